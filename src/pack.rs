//! Deterministic packing of a directory into a zip or a tar.gz (a Lambda deployment package, a
//! layer), so that two machines packing the same tree produce the same bytes.
//!
//! Normalized: members sorted by path (bytes of the `/`-separated relative path); every mtime
//! set to `SOURCE_DATE_EPOCH` (zip times are clamped to 1980, the earliest a zip can hold);
//! modes 0644, or 0755 for executables and directories; uid/gid 0 and no owner names; no zip
//! extra fields (no extended timestamps, no uid/gid fields); a fixed deflate level; a gzip
//! header with MTIME 0, no file name and OS 255. Symlinks are stored as links, never followed.
//! The archive file's own mtime is set to `SOURCE_DATE_EPOCH` as well.
//! The output is written to a temp file beside it, fsynced, and renamed.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Deflate level used for every member.
pub const LEVEL: i64 = 9;

/// What a packed member is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Dir,
    File { executable: bool },
    Symlink(String),
}

/// Archive formats `pack` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackFormat {
    /// `.zip`
    Zip,
    /// `.tar.gz` / `.tgz`
    TarGz,
}

impl PackFormat {
    /// From the output's file name.
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".zip") || name.ends_with(".whl") {
            Some(PackFormat::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(PackFormat::TarGz)
        } else {
            None
        }
    }
}

/// Why packing failed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// File system error, with the path.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A FIFO, device or socket in the tree: only files, directories and links are packed.
    #[error("`{}` is {kind}: only regular files, directories and symbolic links can be packed", path.display())]
    Special {
        /// The entry.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// The output name says no known format.
    #[error("`{}`: the output must end in .zip or .tar.gz", .0.display())]
    UnknownFormat(PathBuf),
    /// A file name that is not UTF-8 cannot be stored portably.
    #[error("`{}`: file names must be UTF-8", .0.display())]
    NotUtf8(PathBuf),
    /// Writing the archive failed.
    #[error("cannot write `{}`: {detail}", path.display())]
    Archive {
        /// The output.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> PackError + 'a {
    move |source| PackError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Every entry under `dir`, as (`/`-separated relative path, kind), sorted by path.
fn collect(dir: &Path) -> Result<Vec<(String, PathBuf, Entry)>, PackError> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false).min_depth(1) {
        let e = e.map_err(|e| PackError::Io {
            action: "cannot walk",
            path: e.path().unwrap_or(dir).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("file system loop")),
        })?;
        let rel = e.path().strip_prefix(dir).expect("under dir");
        let rel_str = rel
            .components()
            .map(|c| c.as_os_str().to_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| PackError::NotUtf8(e.path().to_path_buf()))?
            .join("/");
        let ft = e.file_type();
        let entry = if ft.is_symlink() {
            let target = fs::read_link(e.path()).map_err(io_err("cannot read link", e.path()))?;
            Entry::Symlink(
                target
                    .to_str()
                    .ok_or_else(|| PackError::NotUtf8(e.path().to_path_buf()))?
                    .to_string(),
            )
        } else if ft.is_dir() {
            Entry::Dir
        } else if !ft.is_file() {
            // A FIFO would block the read forever, a device never end, a socket not open.
            return Err(PackError::Special {
                path: e.path().to_path_buf(),
                kind: crate::fsio::describe_type(&ft),
            });
        } else {
            let mode = e.metadata().map_err(|err| PackError::Io {
                action: "cannot stat",
                path: e.path().to_path_buf(),
                source: err
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("stat failed")),
            })?;
            Entry::File {
                executable: is_executable(&mode),
            }
        };
        out.push((rel_str, e.path().to_path_buf(), entry));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

#[cfg(unix)]
fn is_executable(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &fs::Metadata) -> bool {
    false
}

/// A zip timestamp for `epoch` seconds (UTC), clamped to the zip range 1980–2107.
fn zip_time(epoch: i64) -> zip::DateTime {
    let epoch = epoch.clamp(315_532_800, 4_354_819_199);
    let (y, m, d, hour, minute, second) = crate::date::utc_fields(epoch);
    zip::DateTime::from_date_and_time(
        y as u16,
        m as u8,
        d as u8,
        hour as u8,
        minute as u8,
        second as u8,
    )
    .unwrap_or_default()
}

/// Pack `dir` into `out` (format from the name), with every mtime set to `epoch`.
/// Returns the number of members written.
pub fn pack(dir: &Path, out: &Path, epoch: i64) -> Result<usize, PackError> {
    let format =
        PackFormat::from_path(out).ok_or_else(|| PackError::UnknownFormat(out.to_path_buf()))?;
    let entries = collect(dir)?;
    let parent = crate::fsio::dir_of(out);
    // An archive is a public document: the user's umask decides who may read it.
    let mut tmp = crate::fsio::temp_file(parent, ".pack-", crate::fsio::Visibility::Public)
        .map_err(io_err("cannot create a temp file in", parent))?;
    let archive_err = |detail: String| PackError::Archive {
        path: out.to_path_buf(),
        detail,
    };
    match format {
        PackFormat::Zip => {
            let mut w = zip::ZipWriter::new(tmp.as_file_mut());
            let base = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(LEVEL))
                .last_modified_time(zip_time(epoch));
            for (name, path, entry) in &entries {
                match entry {
                    Entry::Dir => w
                        .add_directory(format!("{name}/"), base.unix_permissions(0o755))
                        .map_err(|e| archive_err(e.to_string()))?,
                    Entry::Symlink(target) => w
                        .add_symlink(name.as_str(), target.as_str(), base.unix_permissions(0o777))
                        .map_err(|e| archive_err(e.to_string()))?,
                    Entry::File { executable } => {
                        let mut f =
                            crate::fsio::open_regular(path).map_err(io_err("cannot read", path))?;
                        let len = f.metadata().map_err(io_err("cannot stat", path))?.len();
                        let opts = base
                            .unix_permissions(if *executable { 0o755 } else { 0o644 })
                            .large_file(len >= u32::MAX as u64);
                        w.start_file(name.as_str(), opts)
                            .map_err(|e| archive_err(e.to_string()))?;
                        io::copy(&mut f, &mut w).map_err(io_err("cannot pack", path))?;
                    }
                }
            }
            w.finish().map_err(|e| archive_err(e.to_string()))?;
        }
        PackFormat::TarGz => {
            let gz = flate2::GzBuilder::new()
                .mtime(0)
                .operating_system(255)
                .write(tmp.as_file_mut(), flate2::Compression::new(LEVEL as u32));
            let mut b = tar::Builder::new(gz);
            b.follow_symlinks(false);
            for (name, path, entry) in &entries {
                let mut h = tar::Header::new_ustar();
                h.set_mtime(epoch.max(0) as u64);
                h.set_uid(0);
                h.set_gid(0);
                let _ = h.set_username("");
                let _ = h.set_groupname("");
                match entry {
                    Entry::Dir => {
                        h.set_entry_type(tar::EntryType::Directory);
                        h.set_mode(0o755);
                        h.set_size(0);
                        b.append_data(&mut h, format!("{name}/"), io::empty())
                            .map_err(|e| archive_err(e.to_string()))?;
                    }
                    Entry::Symlink(target) => {
                        h.set_entry_type(tar::EntryType::Symlink);
                        h.set_mode(0o777);
                        h.set_size(0);
                        b.append_link(&mut h, name, target)
                            .map_err(|e| archive_err(e.to_string()))?;
                    }
                    Entry::File { executable } => {
                        let f =
                            crate::fsio::open_regular(path).map_err(io_err("cannot read", path))?;
                        let len = f.metadata().map_err(io_err("cannot stat", path))?.len();
                        h.set_entry_type(tar::EntryType::Regular);
                        h.set_mode(if *executable { 0o755 } else { 0o644 });
                        h.set_size(len);
                        b.append_data(&mut h, name, f.take(len))
                            .map_err(|e| archive_err(e.to_string()))?;
                    }
                }
            }
            let gz = b.into_inner().map_err(|e| archive_err(e.to_string()))?;
            gz.finish().map_err(|e| archive_err(e.to_string()))?;
        }
    }
    // The archive file itself carries the epoch too, so that a tree of packed outputs
    // (`dist/`) records the same mtimes on every machine.
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch.max(0) as u64);
    tmp.as_file()
        .set_modified(when)
        .map_err(io_err("cannot set the mtime of", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("cannot sync", tmp.path()))?;
    tmp.persist(out).map_err(|e| PackError::Io {
        action: "cannot write",
        path: out.to_path_buf(),
        source: e.error,
    })?;
    Ok(entries.len())
}

/// `SOURCE_DATE_EPOCH` for a build or a pack: the flag, else the environment variable, else
/// the time of the last git commit of `dir`. `Ok(None)` when none of them says; an error when
/// the flag or the variable is not a whole number of seconds in the calendar's range (a value
/// that cannot be used is not silently replaced by another).
pub fn source_date_epoch(flag: Option<i64>, dir: &Path) -> Result<Option<i64>, String> {
    if let Some(e) = flag {
        return crate::date::check_epoch(e)
            .map(Some)
            .map_err(|e| format!("`--source-date-epoch` is {e}"));
    }
    if let Some(v) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return crate::date::parse_epoch(&v)
            .map(Some)
            .map_err(|e| format!("`SOURCE_DATE_EPOCH` is {e}"));
    }
    let out = std::process::Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output();
    Ok(match out {
        Ok(out) if out.status.success() => {
            crate::date::parse_epoch(&String::from_utf8_lossy(&out.stdout)).ok()
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn read_all(path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn tree(root: &Path, mtime_offset: i64, mode: u32) {
        fs::create_dir_all(root.join("pkg/sub")).unwrap();
        fs::write(root.join("pkg/__init__.py"), "x = 1\n").unwrap();
        fs::write(root.join("pkg/sub/data.bin"), [0u8, 1, 2, 3]).unwrap();
        fs::write(root.join("run.sh"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(root.join("run.sh"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(
            root.join("pkg/__init__.py"),
            fs::Permissions::from_mode(mode),
        )
        .unwrap();
        std::os::unix::fs::symlink("pkg/__init__.py", root.join("link.py")).unwrap();
        let t = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs((1_700_000_000 + mtime_offset) as u64);
        fs::File::options()
            .write(true)
            .open(root.join("pkg/__init__.py"))
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn same_tree_packs_to_same_bytes_whatever_mtimes_and_modes() {
        for ext in ["zip", "tar.gz"] {
            let a = tempfile::tempdir().unwrap();
            let b = tempfile::tempdir().unwrap();
            tree(a.path(), 0, 0o644);
            tree(b.path(), 12345, 0o600);
            let out = tempfile::tempdir().unwrap();
            let oa = out.path().join(format!("a.{ext}"));
            let ob = out.path().join(format!("b.{ext}"));
            assert_eq!(pack(a.path(), &oa, 1_600_000_000).unwrap(), 6);
            pack(b.path(), &ob, 1_600_000_000).unwrap();
            assert_eq!(read_all(&oa).unwrap(), read_all(&ob).unwrap(), "{ext}");
            let members = crate::archive::walk(&oa, &Default::default()).unwrap();
            let names: Vec<_> = members.iter().map(|m| m.path.as_str()).collect();
            assert_eq!(
                names,
                [
                    "link.py",
                    "pkg/",
                    "pkg/__init__.py",
                    "pkg/sub/",
                    "pkg/sub/data.bin",
                    "run.sh"
                ]
            );
            assert!(
                members.iter().all(|m| m.mtime == 1_600_000_000),
                "{ext}: {members:?}"
            );
            let run = members.iter().find(|m| m.path == "run.sh").unwrap();
            assert_eq!(run.mode, 0o755);
            let init = members
                .iter()
                .find(|m| m.path == "pkg/__init__.py")
                .unwrap();
            assert_eq!(init.mode, 0o644);
        }
    }

    #[test]
    fn epoch_changes_the_bytes() {
        let a = tempfile::tempdir().unwrap();
        tree(a.path(), 0, 0o644);
        let out = tempfile::tempdir().unwrap();
        pack(a.path(), &out.path().join("1.zip"), 1_600_000_000).unwrap();
        pack(a.path(), &out.path().join("2.zip"), 1_600_000_002).unwrap();
        assert_ne!(
            read_all(&out.path().join("1.zip")).unwrap(),
            read_all(&out.path().join("2.zip")).unwrap()
        );
    }
}
