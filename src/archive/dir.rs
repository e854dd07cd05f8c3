//! Directory trees as member lists: every entry under a root (not following links), with its
//! `/`-separated relative path, mode, mtime and, for regular files, SHA-256. FIFOs, devices and
//! sockets are refused, never opened.

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use super::{ArchiveError, Member, MemberKind};

/// Every entry under `root` (not following links), in file-name order, with its `/`-separated
/// relative path and its own metadata.
pub fn walk_dir(root: &Path) -> Result<Vec<(String, PathBuf, Metadata)>, ArchiveError> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
    {
        let e = e.map_err(|e| ArchiveError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("file system loop")),
        })?;
        let rel = e
            .path()
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let meta = e
            .path()
            .symlink_metadata()
            .map_err(|source| ArchiveError::Io {
                path: e.path().to_path_buf(),
                source,
            })?;
        out.push((rel, e.path().to_path_buf(), meta));
    }
    Ok(out)
}

/// Permission bits.
pub fn mode(m: &Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

/// Modification time, whole seconds since the Unix epoch.
pub fn mtime(m: &Metadata) -> i64 {
    use std::os::unix::fs::MetadataExt;
    m.mtime()
}

/// The entries of a tree as members (files hashed, links with their targets).
pub fn members(root: &Path) -> Result<Vec<Member>, ArchiveError> {
    members_with(root, |_, path, f| {
        let d = crate::digest::hash_reader(f, &[]).map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok((d.size, d.sha256))
    })
}

/// The entries of a tree as members, each regular file (opened as one, never a FIFO or a
/// device) handed to `hash` with its relative path, which returns its size and SHA-256 hex.
pub fn members_with(
    root: &Path,
    mut hash: impl FnMut(&str, &Path, std::fs::File) -> Result<(u64, String), ArchiveError>,
) -> Result<Vec<Member>, ArchiveError> {
    let mut out = Vec::new();
    for (rel, path, meta) in walk_dir(root)? {
        let io = |source| ArchiveError::Io {
            path: path.clone(),
            source,
        };
        let ft = meta.file_type();
        let (kind, sha256, link, size) = if ft.is_symlink() {
            let target = std::fs::read_link(&path).map_err(io)?;
            (
                MemberKind::Symlink,
                None,
                Some(target.to_string_lossy().into_owned()),
                0,
            )
        } else if ft.is_dir() {
            (MemberKind::Dir, None, None, 0)
        } else {
            let f = crate::fsio::open_regular(&path).map_err(io)?;
            let (size, sha256) = hash(&rel, &path, f)?;
            (MemberKind::File, Some(sha256), None, size)
        };
        out.push(Member {
            path: rel,
            kind,
            size,
            mode: mode(&meta),
            mtime: mtime(&meta),
            sha256,
            link,
        });
    }
    Ok(out)
}
