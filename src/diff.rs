//! `diff`: explain every difference between two manifests, archives, trees or files.
//!
//! A [`Difference`] has a location (`out/fn.zip!/pkg/mod.py`: `!` enters an archive), a stable
//! [`Kind`] and a human detail (a unified text diff, a hex window, the two values of a field).
//! Comparison is recursive, in the manner of diffoscope's comparators: the most specific
//! comparator that recognises both inputs wins (tree, manifest, zip, tar, then bytes), and
//! archives nested in archives are compared in turn.
//!
//! Identical means identical bytes: two files are only ever called identical when their bytes
//! are equal. When a comparator finds nothing to say about two files whose bytes differ, a
//! [`Kind::Bytes`] difference names the first differing byte, so no structure repro does not
//! model can hide a difference. Every read is bounded: archives are read by the walker's own
//! parsers (hostile ones refused), every inflated byte of a comparison, nested archives
//! included, is counted against one [`Budget`], nesting stops at [`DiffOptions::max_depth`],
//! plain files are compared streaming, and only FIFO-free, device-free paths are opened.

mod archive;
mod bytes;
mod data;
mod elf;
mod group;
pub mod hostpath;
pub mod html;
mod manifest;
mod tree;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use crate::archive::{ArchiveError, ArchiveFormat, Budget, WalkLimits};
use crate::manifest::ManifestError;

pub use bytes::{hex_window, is_text, text_diff};
pub use group::{Class, ClassSummary, Group, groups, summary_by_kind, thousands};

/// Version of the JSON document `repro diff --json` prints. `groups` was added within v1: a
/// consumer of v1 that ignores unknown fields reads every report as before.
pub const REPORT_SCHEMA: &str = "repro.diff/v1";

/// Deepest nesting of archives followed (a Lambda zip holding a wheel holding a zip is 3).
pub use crate::archive::MAX_NESTING;

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
    /// Bytes before the first zip entry.
    LeadingData,
    /// Bytes after the zip end record, the gzip stream or the tar end-of-archive marker.
    TrailingData,
    /// Unused bytes between zip entries, or in a tar entry's padding.
    Gap,
    /// A local header that disagrees with its central directory entry, or a data descriptor.
    LocalHeader,
    /// An entry that only some readers see (past the end record's count, or a local header in
    /// unused bytes).
    HiddenEntry,
    /// The zip end record (entry counts, disks, the central directory's place).
    EndRecord,
    /// The zip64 end record or locator.
    Zip64,
    /// The gzip members: how many, where they start.
    GzipMember,
    /// A gzip trailer (CRC-32, ISIZE) that does not match the content.
    GzipTrailer,
    /// Another rule of the archive format one side breaks (names, extra fields, entry types).
    Structure,
    /// Bytes that differ where no member, header or field explains the difference.
    Bytes,
}

impl Kind {
    /// Whether this kind is a note rather than a difference when two build manifests are
    /// compared: what the build ran with (tool and toolchain versions, environment, command)
    /// may differ between two machines; the outputs, the inputs and the resolved set decide.
    /// `--strict` makes notes differences.
    pub fn is_note(self) -> bool {
        matches!(
            self,
            Kind::Tool | Kind::Toolchain | Kind::Environment | Kind::Command
        )
    }

    /// Whether a difference of this kind is in what the outputs hold (a member's bytes, a
    /// member added, removed or retyped, bytes no member explains, the inputs and resolved set
    /// of a build): the likely causes, shown first. Everything else is metadata: times, modes,
    /// owners, header fields, order, compression.
    pub fn class(self) -> Class {
        match self {
            Kind::Added
            | Kind::Removed
            | Kind::Content
            | Kind::EntryType
            | Kind::LinkTarget
            | Kind::Target
            | Kind::Input
            | Kind::ResolvedAdded
            | Kind::ResolvedRemoved
            | Kind::ResolvedChanged
            | Kind::LeadingData
            | Kind::TrailingData
            | Kind::Gap
            | Kind::HiddenEntry
            | Kind::Bytes => Class::Content,
            Kind::Order
            | Kind::Mode
            | Kind::Mtime
            | Kind::Owner
            | Kind::Recompressed
            | Kind::ZipField
            | Kind::GzipHeader
            | Kind::TarHeader
            | Kind::DirectoryMtimes
            | Kind::Toolchain
            | Kind::Environment
            | Kind::Command
            | Kind::Tool
            | Kind::LocalHeader
            | Kind::EndRecord
            | Kind::Zip64
            | Kind::GzipMember
            | Kind::GzipTrailer
            | Kind::Structure => Class::Metadata,
        }
    }

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

    /// What changed, without where: equal for every location that changed the same way, so
    /// that equal changes group. The summary, but for added, removed and recompressed members,
    /// whose summaries end in sizes that are the member's own.
    pub fn change(&self) -> Cow<'_, str> {
        match self.kind {
            Kind::Added | Kind::Removed | Kind::Recompressed => {
                Cow::Owned(group::without_parentheses(&self.summary))
            }
            _ => Cow::Borrowed(&self.summary),
        }
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
    /// Archive bounds (per archive).
    pub limits: WalkLimits,
    /// Most bytes inflated by the whole comparison, nested archives included.
    pub max_inflated: u64,
    /// Deepest archive nesting followed.
    pub max_depth: usize,
    /// Where the bytes of manifest A's outputs are (to descend into differing outputs).
    pub root_a: Option<PathBuf>,
    /// … and manifest B's.
    pub root_b: Option<PathBuf>,
    /// Count notes (tool, toolchain, environment, command) as differences.
    pub strict: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            max_lines: 200,
            all_metadata: false,
            max_member_bytes: 64 * 1024 * 1024,
            limits: WalkLimits::default(),
            max_inflated: crate::archive::MAX_TOTAL_BYTES,
            max_depth: MAX_NESTING,
            root_a: None,
            root_b: None,
            strict: false,
        }
    }
}

/// Why a comparison could not complete.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// Reading failed (or the path is a FIFO, a device or a socket).
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
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

impl DiffError {
    /// A stable name for the kind of failure, for JSON consumers: `read`, `archive` or
    /// `manifest`.
    pub fn code(&self) -> &'static str {
        match self {
            DiffError::Io { .. } => "read",
            DiffError::Archive(_) => "archive",
            DiffError::Manifest(_) => "manifest",
        }
    }
}

/// Version of the document `repro diff --json` prints instead of a [`DiffReport`] when the
/// comparison could not complete (exit 2).
pub const ERROR_SCHEMA: &str = "repro.diff.error/v1";

/// Why `repro diff` could not complete, as `--json` prints it: one document on stdout, as a
/// report would be.
#[derive(Debug, Clone, Serialize)]
pub struct DiffFailure {
    /// [`ERROR_SCHEMA`].
    pub schema: &'static str,
    /// A, as given.
    pub a: PathBuf,
    /// B, as given.
    pub b: PathBuf,
    /// What failed.
    pub error: FailureDetail,
}

/// The failure of a [`DiffFailure`].
#[derive(Debug, Clone, Serialize)]
pub struct FailureDetail {
    /// Stable: `read`, `archive`, `manifest` ([`DiffError::code`]), `attest` (the summary could
    /// not be made or written) or `html` (the page could not be written).
    pub code: &'static str,
    /// The message, as the text mode prints it.
    pub message: String,
}

impl DiffFailure {
    /// A failure document for comparing `a` and `b`.
    pub fn new(a: &Path, b: &Path, code: &'static str, message: String) -> Self {
        DiffFailure {
            schema: ERROR_SCHEMA,
            a: a.to_path_buf(),
            b: b.to_path_buf(),
            error: FailureDetail { code, message },
        }
    }
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DiffError + '_ {
    move |source| DiffError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The report of `repro diff`. Its JSON is every field below, plus `groups` ([`groups`] of
/// the differences), computed as it is written.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// A, as given.
    pub a: PathBuf,
    /// B, as given.
    pub b: PathBuf,
    /// No difference at all (two manifests: outputs, inputs and resolved set identical; notes
    /// allowed unless `--strict`).
    pub identical: bool,
    /// Every difference, in the order found (grouped by location).
    pub differences: Vec<Difference>,
    /// What differs without deciding the verdict: for two manifests, the tool, toolchain,
    /// environment and command differences of two machines that built the same bytes.
    pub notes: Vec<Difference>,
}

impl DiffReport {
    /// The differences grouped: one group per kind and change, content first.
    pub fn groups(&self) -> Vec<Group<'_>> {
        groups(&self.differences)
    }
}

impl Serialize for DiffReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The wire form: the fields as they were, then `groups`.
        #[derive(Serialize)]
        struct Wire<'a> {
            schema: &'a str,
            a: &'a Path,
            b: &'a Path,
            identical: bool,
            differences: &'a [Difference],
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            notes: &'a [Difference],
            groups: Vec<Group<'a>>,
        }
        Wire {
            schema: self.schema,
            a: &self.a,
            b: &self.b,
            identical: self.identical,
            differences: &self.differences,
            notes: &self.notes,
            groups: self.groups(),
        }
        .serialize(serializer)
    }
}

/// One comparison's options and its shared inflation budget.
pub(crate) struct Ctx<'a> {
    pub options: &'a DiffOptions,
    pub budget: Budget,
}

impl<'a> Ctx<'a> {
    fn new(options: &'a DiffOptions) -> Self {
        Ctx {
            options,
            budget: Budget::new(options.max_inflated),
        }
    }
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
    compare(a, b, &label, &Ctx::new(options), 0, &mut out)?;
    let (notes, differences): (Vec<_>, Vec<_>) = out
        .into_iter()
        .partition(|d| d.kind.is_note() && !options.strict);
    Ok(DiffReport {
        schema: REPORT_SCHEMA,
        a: a.to_path_buf(),
        b: b.to_path_buf(),
        identical: differences.is_empty(),
        differences,
        notes,
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
    compare(a, b, loc, &Ctx::new(options), 0, out)
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
    ctx: &Ctx<'_>,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    // FIFOs, devices and sockets are refused before anything opens them.
    let ma = crate::fsio::check_file_or_dir(a).map_err(io_error(a))?;
    let mb = crate::fsio::check_file_or_dir(b).map_err(io_error(b))?;
    if ma.is_dir() && mb.is_dir() {
        return tree::compare_trees(a, b, loc, ctx, depth, out);
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
        return manifest::diff_manifests(a, b, ctx, out);
    }
    let first = bytes::first_difference(a, b).map_err(io_error(a))?;
    let Some(at) = first else {
        return Ok(());
    };
    let before = out.len();
    let mut compared = false;
    if depth < ctx.options.max_depth {
        let fa = ArchiveFormat::sniff(a).map_err(io_error(a))?;
        let fb = ArchiveFormat::sniff(b).map_err(io_error(b))?;
        match (fa, fb) {
            (Some(ArchiveFormat::Zip), Some(ArchiveFormat::Zip)) => {
                archive::compare_zips(a, b, loc, ctx, depth, out)?;
                compared = true;
            }
            (Some(x), Some(y)) if x != ArchiveFormat::Zip && y != ArchiveFormat::Zip => {
                archive::compare_tars(a, b, x, y, loc, ctx, depth, out)?;
                compared = true;
            }
            _ => {}
        }
    }
    if !compared {
        out.push(bytes::file_difference(loc, a, b, ctx.options).map_err(io_error(a))?);
    } else if out.len() == before {
        // The archives differ, yet no member, header or field says how: never call them
        // identical.
        out.push(bytes::unexplained(loc, a, b, at).map_err(io_error(a))?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files above the split size are compared in two halves: a difference in either half, or
    /// in the very last byte, must be seen, at its offset.
    #[test]
    fn first_difference_sees_a_difference_in_either_half() {
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
            assert_eq!(
                bytes::first_difference(&a, &b).unwrap(),
                Some(at as u64),
                "byte {at} flipped"
            );
        }
        let copy = dir.path().join("copy");
        std::fs::write(&copy, &base).unwrap();
        assert_eq!(bytes::first_difference(&a, &copy).unwrap(), None);
        assert_eq!(bytes::first_difference(&a, &a).unwrap(), None);
        let longer = dir.path().join("longer");
        std::fs::write(&longer, [&base[..], b"x"].concat()).unwrap();
        assert_eq!(
            bytes::first_difference(&a, &longer).unwrap(),
            Some(len as u64)
        );
    }

    fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    /// Every inflated byte of a comparison counts against one budget: at the budget the
    /// comparison completes, one byte less and it is refused.
    #[test]
    fn inflation_budget_at_the_cap_and_one_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
        zip_of(&a, &[("m", &[1u8; 1024])]);
        zip_of(&b, &[("m", &[2u8; 1024])]);
        // Both members are inflated once to show their content: 2,048 bytes.
        let at = DiffOptions {
            max_inflated: 2048,
            ..DiffOptions::default()
        };
        assert!(!diff(&a, &b, &at).unwrap().identical);
        let below = DiffOptions {
            max_inflated: 2047,
            ..DiffOptions::default()
        };
        let err = diff(&a, &b, &below).unwrap_err().to_string();
        assert!(
            err.contains("more than 2047 bytes inflated in all"),
            "{err}"
        );
    }

    /// Archives nested deeper than the comparison follows are still never called identical.
    #[test]
    fn nesting_past_the_depth_limit_is_compared_as_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut sides = Vec::new();
        for (side, byte) in [("a", b'1'), ("b", b'2')] {
            let mut inner = dir.path().join(format!("{side}0.zip"));
            zip_of(&inner, &[("leaf.txt", &[byte])]);
            for level in 1..=MAX_NESTING + 2 {
                let outer = dir.path().join(format!("{side}{level}.zip"));
                let bytes = std::fs::read(&inner).unwrap();
                zip_of(&outer, &[("inner.zip", &bytes)]);
                inner = outer;
            }
            sides.push(inner);
        }
        let report = diff(&sides[0], &sides[1], &DiffOptions::default()).unwrap();
        assert!(!report.identical);
        let deepest = report
            .differences
            .iter()
            .map(|d| d.location.matches("!/").count())
            .max()
            .unwrap();
        assert!(deepest < MAX_NESTING, "{:?}", report.differences);
    }
}
