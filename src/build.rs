//! Building a release reproducibly: the environment a build command gets ([`env`]), the
//! wheelhouse it installs from ([`export_wheelhouse`]), and `--vary`'s two builds ([`vary`]).
//! The command line layer (`cli/build.rs`) orchestrates these and writes the manifest.

pub mod env;
pub mod vary;

use std::path::{Path, PathBuf};

use crate::fetch::Job;
use crate::manifest::Resolved;
use crate::store::{Store, StoreError};

/// Why a build step failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A file system operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The build command could not be started.
    #[error("cannot run `{command}`: {source}")]
    Command {
        /// The command.
        command: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The store refused to hand an object out (it changed, or a name is not plain).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file name from a lock, an index or a record is not fit to write.
    #[error(
        "{location}: {package}=={version}: refusing to write `{filename}` into the wheelhouse: {why}"
    )]
    UnfitName {
        /// Where the lock declares the package.
        location: String,
        /// The package.
        package: String,
        /// Its version.
        version: String,
        /// The file name.
        filename: String,
        /// Why.
        why: String,
    },
    /// `--vary --keep DIR` names a directory it must not fill.
    #[error("refusing to keep the builds in `{}`: {why}", path.display())]
    Keep {
        /// The directory.
        path: PathBuf,
        /// Why not.
        why: &'static str,
    },
    /// Comparing the outputs of `--vary` failed.
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
}

impl BuildError {
    /// A constructor for [`BuildError::Io`] on `path`.
    pub fn io<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> BuildError + 'a {
        move |source| BuildError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Largest wheel RECORD read for [`input_digests`]: the largest real wheels list a few tens of
/// thousands of files in a few MiB.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// The SHA-256 (hex) of the bytes a build takes from its locked inputs as they are: each
/// resolved artifact (in `wheelhouse`), and each file its wheel's `*.dist-info/RECORD` lists
/// with a `sha256=` hash. An installer copies those files unchanged, so they are the same on
/// every machine, and a host string in them is no hazard; what the installer writes itself
/// (console scripts, RECORD, INSTALLER) is not listed. A wheel whose RECORD cannot be read adds
/// only its own digest: fewer exemptions, never more.
pub fn input_digests(
    wheelhouse: &Path,
    resolved: &[Resolved],
) -> std::collections::HashSet<String> {
    use base64::Engine as _;
    let mut out = std::collections::HashSet::new();
    for r in resolved {
        out.insert(r.sha256.clone());
        if !r.filename.ends_with(".whl") {
            continue;
        }
        let record =
            |name: &str| name.ends_with(".dist-info/RECORD") && name.matches('/').count() == 1;
        let Ok(Some((_, bytes))) =
            crate::archive::read_member(&wheelhouse.join(&r.filename), record, MAX_RECORD_BYTES)
        else {
            continue;
        };
        for line in String::from_utf8_lossy(&bytes).lines() {
            let mut fields = line.rsplitn(3, ',');
            let (_size, hash) = (fields.next(), fields.next());
            let Some(b64) = hash.and_then(|h| h.strip_prefix("sha256=")) else {
                continue;
            };
            if let Ok(digest) =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b64.trim_end_matches('='))
                && digest.len() == 32
            {
                out.insert(hex::encode(digest));
            }
        }
    }
    out
}

/// Export the wheelhouse of a resolved set: each artifact under its real file name, a copy of
/// the store's object proven by its SHA-256 on the way (never a link: a build step that patches
/// a wheel in place must not reach the store). A file already there with the right bytes is
/// kept; one with other bytes is replaced. Returns the resolved set, sorted.
pub fn export_wheelhouse(
    store: &Store,
    jobs: &[&Job],
    dir: &Path,
) -> Result<Vec<Resolved>, BuildError> {
    std::fs::create_dir_all(dir).map_err(BuildError::io("cannot create", dir))?;
    let mut resolved = Vec::new();
    for job in jobs {
        if let Some(why) =
            crate::resolve::unfit_file_name(&job.filename, &job.package, &job.version)
        {
            return Err(BuildError::UnfitName {
                location: job.location.to_string(),
                package: job.package.clone(),
                version: job.version.clone(),
                filename: job.filename.clone(),
                why,
            });
        }
        // The store names objects by SHA-256; a lock may pin the file by SHA-512 (an alias,
        // proven again as the bytes are read).
        let id = store
            .resolve(&job.expected)
            .ok_or_else(|| crate::store::StoreError::Io {
                action: "cannot find in the store",
                path: PathBuf::from(job.expected.to_string()),
                source: std::io::ErrorKind::NotFound.into(),
            })?;
        let also = std::slice::from_ref(&job.expected);
        let dest = dir.join(&job.filename);
        let current = dest.exists()
            && crate::fsio::open_regular(&dest)
                .and_then(|f| crate::digest::hash_reader(f, &[job.expected.algorithm()]))
                .is_ok_and(|d| d.object_id() == id && d.matches(&job.expected));
        let digests = if current {
            store.confirm(&id, also)?
        } else {
            store.checkout(&id, also, &dest)?
        };
        resolved.push(Resolved {
            ecosystem: job.ecosystem.to_string(),
            name: job.package.clone(),
            version: job.version.clone(),
            filename: job.filename.clone(),
            sha256: id.hex(),
            blake3: digests.blake3,
            size: digests.size,
            used_by: Vec::new(),
        });
    }
    resolved.sort();
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn resolved(filename: &str, sha256: &str) -> Resolved {
        Resolved {
            ecosystem: "pypi".into(),
            name: "pkg".into(),
            version: "1.0".into(),
            filename: filename.into(),
            sha256: sha256.into(),
            blake3: String::new(),
            size: 0,
            used_by: Vec::new(),
        }
    }

    /// A wheel whose RECORD is `record`.
    fn wheel(dir: &Path, record: &[u8]) {
        let mut w = ::zip::ZipWriter::new(
            std::fs::File::create(dir.join("pkg-1.0-py3-none-any.whl")).unwrap(),
        );
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated);
        w.start_file("pkg/__init__.py", opts).unwrap();
        w.write_all(b"X = 1\n").unwrap();
        w.start_file("pkg-1.0.dist-info/RECORD", opts).unwrap();
        w.write_all(record).unwrap();
        w.finish().unwrap();
    }

    /// The files a wheel's RECORD lists, by SHA-256, and the artifact itself; a RECORD of
    /// MAX_RECORD_BYTES is read, one byte more is not (the wheel's own digest stays).
    #[test]
    fn input_digests_read_wheel_records_up_to_the_cap() {
        let tmp = tempfile::tempdir().unwrap();
        let module = crate::digest::sha256(b"X = 1\n").hex();
        let line = "pkg/__init__.py,sha256=Crrh4K5yghbuRJk8Wjp1X4scOH2Uf8TE9yyrDkqEIUs,6\n";
        let ours = [
            resolved("pkg-1.0-py3-none-any.whl", "aa"),
            resolved("pkg-1.0.tar.gz", "bb"),
        ];
        let record = |len: usize| {
            let mut r = format!("{line}pkg-1.0.dist-info/RECORD,,\n").into_bytes();
            r.resize(len, b'\n');
            r
        };
        wheel(tmp.path(), &record(MAX_RECORD_BYTES as usize));
        let got = input_digests(tmp.path(), &ours);
        let expected: std::collections::HashSet<String> =
            ["aa".to_string(), "bb".to_string(), module].into();
        assert_eq!(got, expected);
        wheel(tmp.path(), &record(MAX_RECORD_BYTES as usize + 1));
        let got = input_digests(tmp.path(), &ours);
        assert_eq!(got, ["aa".to_string(), "bb".to_string()].into());
    }
}
