//! Directory trees: entries matched by relative path; modes, links and contents compared,
//! directory timestamps summarized so they do not bury what matters.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::diff::bytes::preview;
use crate::diff::{DiffError, DiffOptions, Difference, Kind, compare, io_error, join};

struct Entry {
    path: PathBuf,
    meta: Metadata,
}

/// Every entry under `root` (not following links), in file-name order, with its `/`-separated
/// relative path and its own metadata.
pub(crate) fn walk_tree(root: &Path) -> Result<Vec<(String, PathBuf, Metadata)>, DiffError> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
    {
        let e = e.map_err(|e| DiffError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("file system loop")),
        })?;
        let rel = e
            .path()
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let meta = e.path().symlink_metadata().map_err(io_error(e.path()))?;
        out.push((rel, e.path().to_path_buf(), meta));
    }
    Ok(out)
}

fn list(root: &Path) -> Result<BTreeMap<String, Entry>, DiffError> {
    Ok(walk_tree(root)?
        .into_iter()
        .map(|(rel, path, meta)| (rel, Entry { path, meta }))
        .collect())
}

fn kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "directory"
    } else if t.is_file() {
        "file"
    } else {
        "special file"
    }
}

#[cfg(unix)]
pub(crate) fn mode(m: &Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode(_: &Metadata) -> u32 {
    0
}

pub(crate) fn mtime(m: &Metadata) -> i64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Compare two directory trees.
pub fn compare_trees(
    a: &Path,
    b: &Path,
    loc: &str,
    options: &DiffOptions,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (ta, tb) = (list(a)?, list(b)?);
    let read_preview = |e: &Entry| -> Option<String> {
        if !e.meta.is_file() || e.meta.len() > options.max_member_bytes {
            return None;
        }
        std::fs::read(&e.path)
            .ok()
            .map(|d| preview(&d, options.max_lines))
    };
    for (rel, e) in ta.iter().filter(|(r, _)| !tb.contains_key(*r)) {
        out.push(
            Difference::new(
                join(loc, rel, false),
                Kind::Removed,
                format!("{} only in A", kind(&e.meta)),
            )
            .with_detail(read_preview(e)),
        );
    }
    for (rel, e) in tb.iter().filter(|(r, _)| !ta.contains_key(*r)) {
        out.push(
            Difference::new(
                join(loc, rel, false),
                Kind::Added,
                format!("{} only in B", kind(&e.meta)),
            )
            .with_detail(read_preview(e)),
        );
    }
    let mut dir_mtimes = Vec::new();
    for (rel, x) in &ta {
        let Some(y) = tb.get(rel) else { continue };
        let here = join(loc, rel, false);
        if kind(&x.meta) != kind(&y.meta) {
            out.push(Difference::new(
                &here,
                Kind::EntryType,
                format!("{} in A, {} in B", kind(&x.meta), kind(&y.meta)),
            ));
            continue;
        }
        if x.meta.file_type().is_symlink() {
            let (la, lb) = (
                std::fs::read_link(&x.path).ok(),
                std::fs::read_link(&y.path).ok(),
            );
            if la != lb {
                out.push(Difference::new(
                    &here,
                    Kind::LinkTarget,
                    format!(
                        "link to `{}` in A, `{}` in B",
                        la.unwrap_or_default().display(),
                        lb.unwrap_or_default().display()
                    ),
                ));
            }
            continue;
        }
        if mode(&x.meta) != mode(&y.meta) {
            out.push(Difference::new(
                &here,
                Kind::Mode,
                format!("mode {:o} in A, {:o} in B", mode(&x.meta), mode(&y.meta)),
            ));
        }
        if mtime(&x.meta) != mtime(&y.meta) {
            if x.meta.is_dir() && !options.all_metadata {
                dir_mtimes.push(here.clone());
            } else {
                out.push(Difference::new(
                    &here,
                    Kind::Mtime,
                    format!("mtime {} in A, {} in B", mtime(&x.meta), mtime(&y.meta)),
                ));
            }
        }
        if x.meta.is_file() {
            compare(&x.path, &y.path, &here, options, depth, out)?;
        }
    }
    if !dir_mtimes.is_empty() {
        out.push(Difference::new(
            loc,
            Kind::DirectoryMtimes,
            format!(
                "{} director{} have other mtimes (first: `{}`); --all-metadata lists them",
                dir_mtimes.len(),
                if dir_mtimes.len() == 1 { "y" } else { "ies" },
                dir_mtimes[0]
            ),
        ));
    }
    Ok(())
}
