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
