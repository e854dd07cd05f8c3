//! Directory trees: entries matched by relative path; modes, links and contents compared,
//! directory timestamps summarized so they do not bury what matters.

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};

use crate::archive::dir::{mode, mtime};
use crate::diff::bytes::preview;
use crate::diff::{Ctx, DiffError, Difference, Kind, compare, join};

struct Entry {
    path: PathBuf,
    meta: Metadata,
}

fn list(root: &Path) -> Result<BTreeMap<String, Entry>, DiffError> {
    Ok(crate::archive::dir::walk_dir(root)?
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

/// Compare two directory trees.
pub fn compare_trees(
    a: &Path,
    b: &Path,
    loc: &str,
    ctx: &Ctx<'_>,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let options = ctx.options;
    let (ta, tb) = (list(a)?, list(b)?);
    // FIFOs, devices and sockets are neither opened nor compared: refuse the trees.
    if let Some((rel, e)) = ta
        .iter()
        .chain(tb.iter())
        .find(|(_, e)| kind(&e.meta) == "special file")
    {
        return Err(DiffError::Io {
            path: e.path.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "`{rel}` is {}: repro compares regular files, directories and links only",
                    crate::fsio::describe_type(&e.meta.file_type())
                ),
            ),
        });
    }
    let read_preview = |e: &Entry| -> Option<String> {
        if !e.meta.is_file() || e.meta.len() > options.max_member_bytes {
            return None;
        }
        crate::fsio::read_capped(&e.path, options.max_member_bytes)
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
                    format!(
                        "mtime {} in A, {} in B",
                        crate::date::iso_with_raw(mtime(&x.meta)),
                        crate::date::iso_with_raw(mtime(&y.meta))
                    ),
                ));
            }
        }
        if x.meta.is_file() {
            compare(&x.path, &y.path, &here, ctx, depth, out)?;
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
