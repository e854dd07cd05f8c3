//! `diff`: explain every difference between two manifests, archives, trees or files.
//!
//! A [`Difference`] has a location (`out/fn.zip!/pkg/mod.py`: `!` enters an archive), a stable
//! [`Kind`] and a human detail (a unified text diff, a hex window, the two values of a field).
//! Comparison is recursive, in the manner of diffoscope's comparators: the most specific
//! comparator that recognises both inputs wins (tree, manifest, zip, tar, then bytes), and
//! archives nested in archives are compared in turn. Every read is bounded: member contents are
//! held in memory only up to [`DiffOptions::max_member_bytes`], text diffs give up after a
//! deadline rather than go quadratic, and hostile archives are refused by the archive walker.

mod archive;
mod bytes;
mod tree;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::archive::{ArchiveError, ArchiveFormat, WalkLimits};

pub use bytes::{hex_window, is_text, text_diff};
pub(crate) use tree::{mode as tree_mode, mtime as tree_mtime, walk_tree};

/// Version of the JSON document `repro diff --json` prints.
pub const REPORT_SCHEMA: &str = "repro.diff/v1";

/// What kind of difference. Stable: JSON consumers key on these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Present only in B.
    Added,
    /// Present only in A.
    Removed,
    /// Same name, other bytes.
    Content,
    /// Same members, in another order.
    Order,
    /// Permission bits.
    Mode,
    /// Modification time.
    Mtime,
    /// uid, gid, user or group name.
    Owner,
    /// File, directory, link: another type of entry.
    EntryType,
    /// A link points elsewhere.
    LinkTarget,
    /// Same content, other compressed bytes (another deflate level or method).
    Recompressed,
    /// A zip field: compression method, extra field, comment, external attributes, CRC.
    ZipField,
    /// A gzip header field: MTIME, OS, FNAME, XFL, FLG.
    GzipHeader,
    /// A tar header field: format (ustar, GNU, PAX).
    TarHeader,
    /// Directory timestamps, summarized.
    DirectoryMtimes,
    /// Manifest: the target differs.
    Target,
    /// Manifest: a toolchain version differs.
    Toolchain,
    /// Manifest: the build environment differs.
    Environment,
    /// Manifest: an input lockfile differs.
    Input,
    /// Manifest: the command differs.
    Command,
    /// Manifest: the tool (`repro`) version differs.
    Tool,
    /// Manifest: an artifact joined the resolved set.
    ResolvedAdded,
    /// Manifest: an artifact left the resolved set.
    ResolvedRemoved,
    /// Manifest: a resolved artifact changed version or digest.
    ResolvedChanged,
}

impl Kind {
    /// The kebab-case name.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Where: a path, with `!/` entering an archive.
    pub location: String,
    /// What kind.
    pub kind: Kind,
    /// A one-line summary.
    pub summary: String,
    /// Detail for a human: a unified diff, a hex window, member content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Difference {
    /// A difference without detail.
    pub fn new(location: impl Into<String>, kind: Kind, summary: impl Into<String>) -> Self {
        Difference {
            location: location.into(),
            kind,
            summary: summary.into(),
            detail: None,
        }
    }

    /// Add detail.
    pub fn with_detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }
}

/// Options of a comparison.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Most lines of detail per difference.
    pub max_lines: usize,
    /// Report every timestamp, including directories'.
    pub all_metadata: bool,
    /// Largest member held in memory for a content diff.
    pub max_member_bytes: u64,
    /// Archive bounds.
    pub limits: WalkLimits,
    /// Deepest archive nesting followed.
    pub max_depth: usize,
    /// Where the bytes of manifest A's outputs are (to descend into differing outputs).
    pub root_a: Option<PathBuf>,
    /// … and manifest B's.
    pub root_b: Option<PathBuf>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            max_lines: 200,
            all_metadata: false,
            max_member_bytes: 64 * 1024 * 1024,
            limits: WalkLimits::default(),
            max_depth: 8,
            root_a: None,
            root_b: None,
        }
    }
}

/// Why a comparison could not complete.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// Reading failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An archive is malformed or hostile.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A manifest is not one this version reads.
    #[error("`{}`: {detail}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DiffError + '_ {
    move |source| DiffError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The report of `repro diff`.
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// A, as given.
    pub a: PathBuf,
    /// B, as given.
    pub b: PathBuf,
    /// No difference at all.
    pub identical: bool,
    /// Every difference, in the order found (grouped by location).
    pub differences: Vec<Difference>,
}

/// Compare `a` and `b` (manifests, archives, directories or files).
pub fn diff(a: &Path, b: &Path, options: &DiffOptions) -> Result<DiffReport, DiffError> {
    let mut out = Vec::new();
    let label = if a.file_name() == b.file_name() {
        a.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        String::new()
    };
    compare(a, b, &label, options, 0, &mut out)?;
    Ok(DiffReport {
        schema: REPORT_SCHEMA,
        a: a.to_path_buf(),
        b: b.to_path_buf(),
        identical: out.is_empty(),
        differences: out,
    })
}

/// Compare two paths under the location `loc`, appending to `out` (for callers that compare
/// several pairs into one report).
pub fn compare_paths(
    a: &Path,
    b: &Path,
    loc: &str,
    options: &DiffOptions,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    compare(a, b, loc, options, 0, out)
}

/// Join a location and a child name.
pub(crate) fn join(loc: &str, name: &str, into_archive: bool) -> String {
    match (loc.is_empty(), into_archive) {
        (true, _) => name.to_string(),
        (false, true) => format!("{loc}!/{name}"),
        (false, false) => format!("{loc}/{name}"),
    }
}

/// The comparator registry, most specific first: trees, manifests, zips, tars, then bytes.
pub(crate) fn compare(
    a: &Path,
    b: &Path,
    loc: &str,
    options: &DiffOptions,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (ma, mb) = (
        std::fs::symlink_metadata(a).map_err(io_error(a))?,
        std::fs::symlink_metadata(b).map_err(io_error(b))?,
    );
    if ma.is_dir() && mb.is_dir() {
        return tree::compare_trees(a, b, loc, options, depth, out);
    }
    if ma.is_dir() != mb.is_dir() {
        out.push(Difference::new(
            loc,
            Kind::EntryType,
            format!(
                "{} in A, {} in B",
                if ma.is_dir() { "a directory" } else { "a file" },
                if mb.is_dir() { "a directory" } else { "a file" }
            ),
        ));
        return Ok(());
    }
    if crate::manifest::is_manifest(a) && crate::manifest::is_manifest(b) {
        return crate::manifest::diff_manifests(a, b, options, out);
    }
    // Identical bytes need no further look.
    if ma.len() == mb.len() && same_bytes(a, b)? {
        return Ok(());
    }
    if depth < options.max_depth {
        let fa = ArchiveFormat::sniff(a).map_err(io_error(a))?;
        let fb = ArchiveFormat::sniff(b).map_err(io_error(b))?;
        match (fa, fb) {
            (Some(ArchiveFormat::Zip), Some(ArchiveFormat::Zip)) => {
                return archive::compare_zips(a, b, loc, options, depth, out);
            }
            (Some(x), Some(y)) if x != ArchiveFormat::Zip && y != ArchiveFormat::Zip => {
                return archive::compare_tars(a, b, x, y, loc, options, depth, out);
            }
            _ => {}
        }
    }
    let da = std::fs::read(a).map_err(io_error(a))?;
    let db = std::fs::read(b).map_err(io_error(b))?;
    out.push(bytes::content_difference(loc, &da, &db, options));
    Ok(())
}

/// Whether two files of equal length hold the same bytes: a comparison that stops at the first
/// difference, cheaper than hashing both. The same inode is trivially identical; large files are
/// compared as two halves in parallel (each half read with positioned reads).
fn same_bytes(a: &Path, b: &Path) -> Result<bool, DiffError> {
    use std::os::unix::fs::MetadataExt;
    let fa = std::fs::File::open(a).map_err(io_error(a))?;
    let fb = std::fs::File::open(b).map_err(io_error(b))?;
    let (ma, mb) = (
        fa.metadata().map_err(io_error(a))?,
        fb.metadata().map_err(io_error(b))?,
    );
    if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
        return Ok(true);
    }
    let len = ma.len();
    const SPLIT_ABOVE: u64 = 4 << 20;
    if len < SPLIT_ABOVE {
        return bytes::streams_equal(fa, fb, len).map_err(io_error(a));
    }
    let mid = len / 2;
    let (first, second) = rayon::join(
        || bytes::ranges_equal(&fa, &fb, 0, mid),
        || bytes::ranges_equal(&fa, &fb, mid, len),
    );
    Ok(first.map_err(io_error(a))? && second.map_err(io_error(a))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files above the split size are compared in two halves: a difference in either half, or
    /// in the very last byte, must be seen.
    #[test]
    fn same_bytes_sees_a_difference_in_either_half() {
        let dir = tempfile::tempdir().unwrap();
        let len = 5 << 20;
        let base: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let a = dir.path().join("a");
        std::fs::write(&a, &base).unwrap();
        for at in [0, len / 2 - 1, len / 2, len - 1] {
            let mut other = base.clone();
            other[at] ^= 1;
            let b = dir.path().join(format!("b{at}"));
            std::fs::write(&b, &other).unwrap();
            assert!(!same_bytes(&a, &b).unwrap(), "byte {at} flipped");
        }
        let copy = dir.path().join("copy");
        std::fs::write(&copy, &base).unwrap();
        assert!(same_bytes(&a, &copy).unwrap());
        assert!(same_bytes(&a, &a).unwrap());
    }
}
