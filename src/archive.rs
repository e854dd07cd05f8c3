//! Archive walking: the members of a wheel or zip, or of a `.crate` / sdist `.tar.gz`, with
//! their metadata and SHA-256, exactly as real extractors would see them, bounded against
//! hostile archives.
//!
//! The formats are read here byte by byte ([`zip`], [`gzip`], [`tar`]) rather than through a
//! library that picks one interpretation silently: every byte of a zip belongs to an entry, the
//! central directory or the end record; every gzip member and every block after a tar's
//! end-of-archive marker is seen. Whatever real readers (Python's `zipfile` and `tarfile`,
//! Info-ZIP `unzip`, GNU tar, cargo) would read differently is an [`Anomaly`] with a stable
//! [`Rule`]. A walk refuses, with an [`ArchiveError`] naming the member, the first anomaly that
//! is not [harmless](Rule::harmless), and every unsafe member ([`names`]): absolute or `..`
//! paths, duplicates, members under a link, links that leave the archive (followed through
//! other links), devices and FIFOs. Decompression is bounded by what is actually inflated, not
//! by what headers claim ([`WalkLimits`], [`Budget`]). Memory stays bounded: members are
//! streamed through a fixed buffer, never held whole.

pub mod dir;
pub mod gzip;
pub mod names;
pub mod tar;
pub mod zip;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::digest::HASH_BUFFER;

pub use names::unsafe_path;

/// Most members in one archive: the largest real wheels hold a few tens of thousands.
pub const MAX_MEMBERS: usize = 200_000;
/// Largest uncompressed member: the largest shared libraries in real wheels are under 2 GiB.
pub const MAX_MEMBER_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Most bytes inflated from one archive (or, in `repro diff`, from every archive of one
/// comparison, nested ones included).
pub const MAX_TOTAL_BYTES: u64 = 8 * 1024 * 1024 * 1024;
/// Highest ratio of inflated to compressed bytes, once past [`RATIO_FLOOR`]: text compresses
/// about 10:1, runs of zeros 1,000:1 and more, a deflate bomb 1,032:1.
pub const MAX_RATIO: u64 = 1_000;
/// Inflated size below which the ratio is not checked (small, highly compressible files are
/// normal).
pub const RATIO_FLOOR: u64 = 16 * 1024 * 1024;
/// Longest symbolic-link target read from a zip member: Linux's `PATH_MAX`.
pub const MAX_LINK_TARGET: u64 = 4096;
/// Deepest nesting of archives followed, by `repro diff` and in manifests (a Lambda zip holding
/// a wheel holding a zip is 3): the outermost archive is at depth 0, and an archive at depth
/// `MAX_NESTING - 1` is recorded and compared as bytes.
pub const MAX_NESTING: usize = 4;

/// Whether a member's name says it is an archive to descend into (its content must say so too,
/// see [`ArchiveFormat::sniff`]): what `repro diff` opens and a manifest records the members of.
/// A `.json.gz` is data, not a tar.
pub fn looks_nested(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".zip", ".whl", ".jar", ".tar.gz", ".tgz", ".crate", ".tar"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Bounds on what a walk will read.
#[derive(Debug, Clone, Copy)]
pub struct WalkLimits {
    /// Most members in one archive.
    pub max_members: usize,
    /// Largest uncompressed member.
    pub max_member_bytes: u64,
    /// Largest total uncompressed size.
    pub max_total_bytes: u64,
    /// Highest uncompressed:compressed ratio, checked while inflating once a member (or a gzip
    /// stream) passes [`WalkLimits::ratio_floor`] bytes.
    pub max_ratio: u64,
    /// Sizes below which the ratio is not checked.
    pub ratio_floor: u64,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_members: MAX_MEMBERS,
            max_member_bytes: MAX_MEMBER_BYTES,
            max_total_bytes: MAX_TOTAL_BYTES,
            max_ratio: MAX_RATIO,
            ratio_floor: RATIO_FLOOR,
        }
    }
}

/// A count of inflated bytes shared by every reader of one walk (or one comparison), refusing
/// once it passes its limit: nested archives and overlapping members cannot multiply work.
#[derive(Debug)]
pub struct Budget {
    spent: AtomicU64,
    limit: u64,
}

impl Budget {
    /// A budget of `limit` inflated bytes.
    pub fn new(limit: u64) -> Budget {
        Budget {
            spent: AtomicU64::new(0),
            limit,
        }
    }

    /// Spend `n` bytes, or fail once past the limit.
    pub fn spend(&self, n: u64) -> io::Result<()> {
        let total = self.spent.fetch_add(n, Ordering::Relaxed) + n;
        if total > self.limit {
            return Err(refusal(
                Rule::Bomb,
                format!(
                    "more than {} bytes inflated in all (a decompression bomb, or archives \
                     nested too deep)",
                    self.limit
                ),
            ));
        }
        Ok(())
    }

    /// Bytes spent so far.
    pub fn spent(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }
}

/// Fail when `inflated` bytes from `compressed` exceed the ratio limit.
pub(crate) fn check_ratio(inflated: u64, compressed: u64, limits: &WalkLimits) -> io::Result<()> {
    if inflated > limits.ratio_floor && inflated / compressed.max(1) > limits.max_ratio {
        return Err(refusal(
            Rule::Bomb,
            format!(
                "compression ratio {}:1 exceeds {}:1 (a decompression bomb)",
                inflated / compressed.max(1),
                limits.max_ratio
            ),
        ));
    }
    Ok(())
}

/// A rule an archive breaks. Stable: JSON consumers key on these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Bytes before the first zip entry.
    LeadingData,
    /// Bytes after the zip end record, the gzip stream, or the tar end-of-archive marker.
    TrailingData,
    /// Unused bytes between zip entries.
    Gap,
    /// Zip entries whose bytes overlap (a bomb, or a member hiding in another).
    Overlap,
    /// An entry some readers see and others do not.
    HiddenEntry,
    /// The end record: ambiguous, several disks, a comment past the end of the file.
    EndRecord,
    /// The central directory is not where the end record says, or holds garbage.
    CentralDirectory,
    /// The zip64 records disagree with the classic ones.
    Zip64,
    /// A local header disagrees with its central directory entry (name, flags, method, CRC,
    /// sizes).
    LocalHeader,
    /// A local header's version-needed or time differs from the central directory's: no reader
    /// extracts other bytes or names because of it.
    LocalHeaderMetadata,
    /// A data descriptor is missing or disagrees with the central directory.
    DataDescriptor,
    /// Malformed extra fields.
    ExtraField,
    /// An encrypted member.
    Encrypted,
    /// A compression method other than stored or deflate.
    Method,
    /// A name readers decode differently (no UTF-8 flag, invalid UTF-8, a Unicode Path field).
    NameEncoding,
    /// An entry whose type readers disagree on.
    EntryType,
    /// A member whose content does not match its header (CRC, size).
    Corrupt,
    /// A gzip header field that gzip refuses.
    GzipHeader,
    /// More than one gzip member.
    GzipMembers,
    /// A gzip trailer whose CRC-32 or ISIZE does not match the content.
    GzipTrailer,
    /// A tar header readers read differently (checksum, numbers, prefix).
    TarHeader,
    /// A tar extension header (GNU long name, pax) readers apply differently.
    TarExtension,
    /// A tar entry type repro does not extract (devices, FIFOs, sparse, unknown), or a
    /// non-file entry carrying data.
    TarType,
    /// A tar archive with no end-of-archive marker, or only one zero block: every reader
    /// stops there.
    TarEnd,
    /// Non-zero bytes in a tar entry's padding: no reader extracts them.
    Padding,
    /// An absolute path, a `..` component, a NUL, a backslash, an empty or `.` component.
    UnsafePath,
    /// Two members with one name.
    Duplicate,
    /// A member under a file, or a file where members need a directory.
    PathConflict,
    /// A member under a symbolic link: extracting it writes through the link.
    ThroughLink,
    /// A link whose target (followed through the archive's other links) leaves the archive.
    LinkEscape,
    /// Inflation beyond the declared size, the ratio or the limits.
    Bomb,
}

impl Rule {
    /// Whether an archive breaking this rule is still read the same by every reader (recorded,
    /// compared by `repro diff`, not refused).
    pub fn harmless(self) -> bool {
        matches!(
            self,
            Rule::LocalHeaderMetadata | Rule::TarEnd | Rule::Padding
        )
    }

    /// The kebab-case name.
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// Something in an archive that a plain archive does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// Which rule.
    pub rule: Rule,
    /// The member concerned, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// What is wrong, and which readers it fools.
    pub detail: String,
}

impl Anomaly {
    /// An anomaly.
    pub fn new(rule: Rule, member: Option<String>, detail: String) -> Anomaly {
        Anomaly {
            rule,
            member,
            detail,
        }
    }

    /// The error refusing the archive at `path` for this anomaly.
    pub fn refuse(&self, path: &Path) -> ArchiveError {
        ArchiveError::Unsafe {
            path: path.to_path_buf(),
            member: self.member.clone().unwrap_or_default(),
            rule: self.rule,
            detail: self.detail.clone(),
        }
    }
}

/// The first anomaly that is not harmless.
pub fn first_refusal(anomalies: &[Anomaly]) -> Option<&Anomaly> {
    anomalies.iter().find(|a| !a.rule.harmless())
}

/// What kind of entry a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A hard link (tar).
    Hardlink,
}

/// One member of an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Path inside the archive, as stored.
    pub path: String,
    /// Entry kind.
    pub kind: MemberKind,
    /// Uncompressed size.
    pub size: u64,
    /// Unix permission bits (with file type bits stripped), when the archive records them.
    pub mode: u32,
    /// Modification time, seconds since the Unix epoch (zip times are read as UTC).
    pub mtime: i64,
    /// SHA-256 of the content (files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Link target (links only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Archive formats the walker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArchiveFormat {
    /// Zip (wheels, Lambda packages, zip sdists).
    Zip,
    /// Gzip-compressed tar (crates, sdists).
    TarGz,
    /// Plain tar.
    Tar,
}

impl ArchiveFormat {
    /// Detect by magic bytes: a local header or an end record at the start, gzip's magic, or a
    /// ustar header; else a zip end record near the end (a zip with bytes before its first
    /// entry, which Python's zipfile and pip read as a zip). FIFOs and devices are refused
    /// unread.
    pub fn sniff(path: &Path) -> io::Result<Option<Self>> {
        let f = crate::fsio::open_regular(path)?;
        let mut head = [0u8; 263];
        let mut n = 0;
        while n < head.len() {
            match (&f).read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        let head = &head[..n];
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Ok(Some(ArchiveFormat::Zip));
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            return Ok(Some(ArchiveFormat::TarGz));
        }
        if n >= 262 && &head[257..262] == b"ustar" {
            return Ok(Some(ArchiveFormat::Tar));
        }
        use std::os::unix::fs::FileExt;
        let len = f.metadata()?.len();
        let window = len.min(22 + 0xffff);
        let mut tail = vec![0u8; window as usize];
        f.read_exact_at(&mut tail, len - window)?;
        Ok(tail
            .windows(4)
            .any(|w| w == b"PK\x05\x06")
            .then_some(ArchiveFormat::Zip))
    }
}

/// Why a walk stopped.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The archive.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Not a readable archive of the expected format, or beyond a limit.
    #[error("`{}` is not a valid {format} archive: {detail}", path.display())]
    Format {
        /// The archive.
        path: PathBuf,
        /// Which format.
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The archive, or a member, breaks a rule.
    #[error("`{}{}{member}`: {detail} ({rule})", path.display(), if member.is_empty() { "" } else { "!/" })]
    Unsafe {
        /// The archive.
        path: PathBuf,
        /// The member ("" for the archive as a whole).
        member: String,
        /// Which rule.
        rule: Rule,
        /// What is wrong.
        detail: String,
    },
}

impl ArchiveError {
    /// The rule broken, for a refusal.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            ArchiveError::Unsafe { rule, .. } => Some(*rule),
            _ => None,
        }
    }
}

fn refuse(path: &Path, member: &str, rule: Rule, detail: impl Into<String>) -> ArchiveError {
    ArchiveError::Unsafe {
        path: path.to_path_buf(),
        member: member.to_string(),
        rule,
        detail: detail.into(),
    }
}

/// Sees the content of every file member as a walk hashes it, in the same read pass and through
/// the sink's own buffer, so that whatever else must read the bytes (a scan, a copy of a nested
/// archive) reads them once, without copying them. A walk calls [`ContentSink::begin`], then
/// reads into [`ContentSink::buffer`] and reports each read with [`ContentSink::filled`], then
/// calls [`ContentSink::end`] with the member's final record.
pub trait ContentSink {
    /// Where the next read goes (never empty).
    fn buffer(&mut self) -> &mut [u8];
    /// A file member's content starts.
    fn begin(&mut self, _member: &str) -> io::Result<()> {
        Ok(())
    }
    /// `n` bytes were read into [`ContentSink::buffer`] (and hashed).
    fn filled(&mut self, n: usize) -> io::Result<()>;
    /// The member's content ended; `member` has its size and SHA-256.
    fn end(&mut self, _member: &Member) -> Result<(), ArchiveError> {
        Ok(())
    }
}

/// A sink that only lends its buffer: a plain walk.
pub struct HashOnly(Vec<u8>);

impl Default for HashOnly {
    fn default() -> Self {
        HashOnly(vec![0u8; HASH_BUFFER])
    }
}

impl ContentSink for HashOnly {
    fn buffer(&mut self) -> &mut [u8] {
        &mut self.0
    }

    fn filled(&mut self, _n: usize) -> io::Result<()> {
        Ok(())
    }
}

/// Hash a member's content through the sink's buffer: (size, SHA-256 hex). Errors from a
/// checked reader (bombs, CRC, truncation) pass through.
fn hash_member(mut r: impl Read, sink: &mut dyn ContentSink) -> io::Result<(u64, String)> {
    let mut h = sha2::Sha256::new();
    let mut total = 0u64;
    loop {
        let buf = sink.buffer();
        let n = match r.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        h.update(&buf[..n]);
        sink.filled(n)?;
    }
    Ok((total, hex::encode(h.finalize())))
}

/// A rule broken while streaming a member, carried inside an [`io::Error`] so that readers
/// stacked on one another (gzip under tar, a member under a zip) pass it up unchanged.
#[derive(Debug)]
pub struct Refusal {
    /// Which rule.
    pub rule: Rule,
    /// What is wrong.
    pub detail: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Refusal {}

/// An [`io::Error`] carrying a [`Refusal`].
pub(crate) fn refusal(rule: Rule, detail: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, Refusal { rule, detail })
}

/// The archive error for an I/O error met while reading `member` of `path`: a [`Refusal`]
/// becomes a refusal of the member, anything else a format error.
pub(crate) fn member_error(path: &Path, member: &str, e: io::Error) -> ArchiveError {
    if let Some(r) = e.get_ref().and_then(|r| r.downcast_ref::<Refusal>()) {
        return refuse(path, member, r.rule, r.detail.clone());
    }
    match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => refuse(
            path,
            member,
            Rule::Corrupt,
            format!("cannot decompress: {e}"),
        ),
        _ => ArchiveError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    }
}

/// Walk the archive at `path`, of the format its magic bytes say, within a fresh budget of
/// [`WalkLimits::max_total_bytes`].
pub fn walk(path: &Path, limits: &WalkLimits) -> Result<Vec<Member>, ArchiveError> {
    walk_in(path, limits, &Budget::new(limits.max_total_bytes))
}

/// Walk the archive at `path`, spending inflated bytes from `budget`.
pub fn walk_in(
    path: &Path,
    limits: &WalkLimits,
    budget: &Budget,
) -> Result<Vec<Member>, ArchiveError> {
    walk_with(path, limits, budget, &mut HashOnly::default())
}

/// Walk the archive at `path`, spending inflated bytes from `budget`, and showing every file
/// member's content to `sink` as it is hashed.
pub fn walk_with(
    path: &Path,
    limits: &WalkLimits,
    budget: &Budget,
    sink: &mut dyn ContentSink,
) -> Result<Vec<Member>, ArchiveError> {
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    match ArchiveFormat::sniff(path).map_err(io)? {
        Some(ArchiveFormat::Zip) => walk_zip_with(path, limits, budget, sink),
        Some(format) => {
            let f = crate::fsio::open_regular(path).map_err(io)?;
            if format == ArchiveFormat::TarGz {
                let gz = gzip::GzipReader::new(f, limits, budget);
                walk_tar_with(
                    path,
                    gz,
                    limits,
                    |g| first_refusal(g.anomalies()).cloned(),
                    sink,
                )
            } else {
                let plain = BufReader::with_capacity(HASH_BUFFER, f);
                walk_tar_with(path, plain, limits, |_| None, sink)
            }
        }
        None => Err(ArchiveError::Format {
            path: path.to_path_buf(),
            format: "zip or tar",
            detail: "unrecognised magic bytes".into(),
        }),
    }
}

/// Read a zip symbolic link's target (its content), capped at [`MAX_LINK_TARGET`].
fn zip_link_target(
    path: &Path,
    layout: &zip::ZipLayout,
    file: &File,
    i: usize,
    limits: &WalkLimits,
    budget: &Budget,
) -> Result<String, ArchiveError> {
    let name = &layout.entries[i].name;
    let mut target = Vec::new();
    layout
        .open(file, i, limits, budget)
        .map_err(|e| member_error(path, name, e))?
        .take(MAX_LINK_TARGET + 1)
        .read_to_end(&mut target)
        .map_err(|e| member_error(path, name, e))?;
    if target.len() as u64 > MAX_LINK_TARGET {
        return Err(refuse(
            path,
            name,
            Rule::LinkEscape,
            format!("a link target longer than {MAX_LINK_TARGET} bytes"),
        ));
    }
    String::from_utf8(target).map_err(|_| {
        refuse(
            path,
            name,
            Rule::NameEncoding,
            "a link target that is not UTF-8",
        )
    })
}

/// Walk a zip archive: its layout first (refusing before anything is inflated), then names and
/// links, then every member's content.
pub fn walk_zip(
    path: &Path,
    limits: &WalkLimits,
    budget: &Budget,
) -> Result<Vec<Member>, ArchiveError> {
    walk_zip_with(path, limits, budget, &mut HashOnly::default())
}

/// [`walk_zip`], showing every file member's content to `sink`.
pub fn walk_zip_with(
    path: &Path,
    limits: &WalkLimits,
    budget: &Budget,
    sink: &mut dyn ContentSink,
) -> Result<Vec<Member>, ArchiveError> {
    let file = crate::fsio::open_regular(path).map_err(|source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let layout = zip::ZipLayout::parse(path, &file, limits)?;
    if let Some(a) = layout.refusal() {
        return Err(a.refuse(path));
    }
    let mut members = Vec::with_capacity(layout.entries.len());
    for (i, e) in layout.entries.iter().enumerate() {
        if e.central.size > limits.max_member_bytes {
            return Err(refuse(
                path,
                &e.name,
                Rule::Bomb,
                format!(
                    "declares {} bytes, more than the member limit of {}",
                    e.central.size, limits.max_member_bytes
                ),
            ));
        }
        if e.kind == MemberKind::Dir && e.central.size > 0 {
            return Err(refuse(
                path,
                &e.name,
                Rule::EntryType,
                format!(
                    "a directory entry carrying {} bytes of data",
                    e.central.size
                ),
            ));
        }
        let link = (e.kind == MemberKind::Symlink)
            .then(|| zip_link_target(path, &layout, &file, i, limits, budget))
            .transpose()?;
        members.push(Member {
            path: e.name.clone(),
            kind: e.kind,
            size: if e.kind == MemberKind::File {
                e.central.size
            } else {
                link.as_ref().map_or(0, |l| l.len() as u64)
            },
            mode: e.mode,
            mtime: e.mtime,
            sha256: None,
            link,
        });
    }
    names::check(&members).map_err(|(member, rule, detail)| refuse(path, &member, rule, detail))?;
    for (i, m) in members.iter_mut().enumerate() {
        if m.kind != MemberKind::File {
            continue;
        }
        let reader = layout
            .open(&file, i, limits, budget)
            .map_err(|e| member_error(path, &m.path, e))?;
        sink.begin(&m.path)
            .map_err(|e| member_error(path, &m.path, e))?;
        let (size, sha) = hash_member(reader, sink).map_err(|e| member_error(path, &m.path, e))?;
        m.size = size;
        m.sha256 = Some(sha);
        sink.end(m)?;
    }
    Ok(members)
}

/// The data of the current entry of a [`tar::TarReader`], as a reader.
struct TarData<'a, 'p, R>(&'a mut tar::TarReader<'p, R>);

impl<R: Read> Read for TarData<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_data(buf)
    }
}

/// Walk a tar stream (already decompressed by `src`, whose own anomalies `inner_refusal`
/// reports).
pub fn walk_tar<R: Read>(
    path: &Path,
    src: R,
    limits: &WalkLimits,
    inner_refusal: impl Fn(&R) -> Option<Anomaly>,
) -> Result<Vec<Member>, ArchiveError> {
    walk_tar_with(path, src, limits, inner_refusal, &mut HashOnly::default())
}

/// [`walk_tar`], showing every file member's content to `sink`.
pub fn walk_tar_with<R: Read>(
    path: &Path,
    src: R,
    limits: &WalkLimits,
    inner_refusal: impl Fn(&R) -> Option<Anomaly>,
    sink: &mut dyn ContentSink,
) -> Result<Vec<Member>, ArchiveError> {
    let mut tar = tar::TarReader::new(src, path, limits);
    let mut members = Vec::new();
    loop {
        let entry = tar.next_entry()?;
        if let Some(a) = first_refusal(tar.anomalies())
            .cloned()
            .or_else(|| inner_refusal(tar.inner()))
        {
            return Err(a.refuse(path));
        }
        let Some(e) = entry else { break };
        if let Some(why) = unsafe_path(&e.path) {
            return Err(refuse(path, &e.path, Rule::UnsafePath, why));
        }
        if e.size > limits.max_member_bytes {
            return Err(refuse(
                path,
                &e.path,
                Rule::Bomb,
                format!(
                    "declares {} bytes, more than the member limit of {}",
                    e.size, limits.max_member_bytes
                ),
            ));
        }
        let mut member = Member {
            path: e.path.clone(),
            kind: e.kind,
            size: 0,
            mode: e.mode,
            mtime: e.mtime,
            sha256: None,
            link: e.link.clone(),
        };
        if e.kind == MemberKind::File {
            sink.begin(&e.path)
                .map_err(|err| member_error(path, &e.path, err))?;
            let (size, sha) = hash_member(TarData(&mut tar), sink)
                .map_err(|err| member_error(path, &e.path, err))?;
            member.size = size;
            member.sha256 = Some(sha);
            sink.end(&member)?;
        }
        members.push(member);
    }
    names::check(&members).map_err(|(member, rule, detail)| refuse(path, &member, rule, detail))?;
    Ok(members)
}

/// Read the first member of the archive at `path` whose name `wanted` accepts, up to `cap`
/// bytes: (name, content). The archive is checked as a walk checks it up to that member, and
/// nothing is inflated beyond the cap.
pub fn read_member(
    path: &Path,
    wanted: impl Fn(&str) -> bool,
    cap: u64,
) -> Result<Option<(String, Vec<u8>)>, ArchiveError> {
    let limits = WalkLimits::default();
    let budget = Budget::new(limits.max_total_bytes);
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_big = |name: &str| {
        refuse(
            path,
            name,
            Rule::Bomb,
            format!("larger than {cap} bytes, the limit for this member"),
        )
    };
    match ArchiveFormat::sniff(path).map_err(io)? {
        Some(ArchiveFormat::Zip) => {
            let file = crate::fsio::open_regular(path).map_err(io)?;
            let layout = zip::ZipLayout::parse(path, &file, &limits)?;
            if let Some(a) = layout.refusal() {
                return Err(a.refuse(path));
            }
            let Some(i) = layout
                .entries
                .iter()
                .position(|e| e.kind == MemberKind::File && wanted(&e.name))
            else {
                return Ok(None);
            };
            let name = layout.entries[i].name.clone();
            if layout.entries[i].central.size > cap {
                return Err(too_big(&name));
            }
            let mut data = Vec::new();
            layout
                .open(&file, i, &limits, &budget)
                .map_err(|e| member_error(path, &name, e))?
                .read_to_end(&mut data)
                .map_err(|e| member_error(path, &name, e))?;
            Ok(Some((name, data)))
        }
        Some(format) => {
            let f = crate::fsio::open_regular(path).map_err(io)?;
            let src: Box<dyn Read> = if format == ArchiveFormat::TarGz {
                Box::new(gzip::GzipReader::new(f, &limits, &budget))
            } else {
                Box::new(BufReader::with_capacity(HASH_BUFFER, f))
            };
            let mut tar = tar::TarReader::new(src, path, &limits);
            while let Some(e) = tar.next_entry()? {
                if let Some(a) = first_refusal(tar.anomalies()) {
                    return Err(a.refuse(path));
                }
                if e.kind != MemberKind::File || !wanted(&e.path) {
                    continue;
                }
                if e.size > cap {
                    return Err(too_big(&e.path));
                }
                let mut data = Vec::new();
                TarData(&mut tar)
                    .read_to_end(&mut data)
                    .map_err(|err| member_error(path, &e.path, err))?;
                return Ok(Some((e.path, data)));
            }
            if let Some(a) = first_refusal(tar.anomalies()) {
                return Err(a.refuse(path));
            }
            Ok(None)
        }
        None => Err(ArchiveError::Format {
            path: path.to_path_buf(),
            format: "zip or tar",
            detail: "unrecognised magic bytes".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut w = ::zip::ZipWriter::new(tmp.reopen().unwrap());
        for (name, data) in entries {
            w.start_file(*name, ::zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        tmp
    }

    /// A tar header block: `name`, type flag, size, with a valid checksum.
    pub(crate) fn block(name: &str, typeflag: u8, size: u64) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = typeflag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|&b| b as u64).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    /// A tar entry: header and padded data.
    pub(crate) fn entry(name: &str, typeflag: u8, data: &[u8]) -> Vec<u8> {
        let mut out = block(name, typeflag, data.len() as u64);
        out.extend(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    fn walk_bytes(tar: &[u8], limits: &WalkLimits) -> Result<Vec<Member>, ArchiveError> {
        walk_tar(Path::new("t.tar"), tar, limits, |_| None)
    }

    fn end(mut tar: Vec<u8>) -> Vec<u8> {
        tar.extend([0u8; 1024]);
        tar
    }

    #[test]
    fn walks_a_zip_with_hashes() {
        let z = zip_with(&[("a/b.py", b"print(1)\n"), ("c.txt", b"")]);
        let m = walk(z.path(), &WalkLimits::default()).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].path, "a/b.py");
        assert_eq!(m[0].size, 9);
        assert_eq!(
            m[0].sha256.as_deref(),
            Some(crate::digest::sha256(b"print(1)\n").hex().as_str())
        );
    }

    #[test]
    fn refuses_traversal_in_zip() {
        let z = zip_with(&[("../evil.py", b"x")]);
        let err = walk(z.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("../evil.py") && err.contains("escapes"),
            "{err}"
        );
    }

    #[test]
    fn refuses_local_header_that_disagrees_with_central_directory() {
        let z = zip_with(&[("pkg/a.py", b"x = 1\n")]);
        let mut bytes = std::fs::read(z.path()).unwrap();
        // The local header's name starts at byte 30; rename `pkg/a.py` to `pkg/b.py` there only.
        assert_eq!(&bytes[30..38], b"pkg/a.py");
        bytes[34] = b'b';
        std::fs::write(z.path(), &bytes).unwrap();
        let err = walk(z.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the local header names `pkg/b.py`, the central directory `pkg/a.py`"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_zip_bomb_by_ratio() {
        let zeros = vec![0u8; 20 * 1024 * 1024];
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut w = ::zip::ZipWriter::new(tmp.reopen().unwrap());
        w.start_file(
            "bomb",
            ::zip::write::SimpleFileOptions::default()
                .compression_method(::zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(&zeros).unwrap();
        w.finish().unwrap();
        let err = walk(tmp.path(), &WalkLimits::default()).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::Bomb), "{err}");
    }

    #[test]
    fn member_limit_at_the_limit_and_one_past_it() {
        let z = zip_with(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
        let at = WalkLimits {
            max_members: 3,
            ..WalkLimits::default()
        };
        assert!(walk(z.path(), &at).is_ok());
        let below = WalkLimits {
            max_members: 2,
            ..WalkLimits::default()
        };
        let err = walk(z.path(), &below).unwrap_err().to_string();
        assert!(err.contains("more than 2 members"), "{err}");
        let tar = end([
            entry("a", b'0', b"1"),
            entry("b", b'0', b"2"),
            entry("c", b'0', b"3"),
        ]
        .concat());
        assert!(walk_bytes(&tar, &at).is_ok());
        let err = walk_bytes(&tar, &below).unwrap_err().to_string();
        assert!(err.contains("more than 2 members"), "{err}");
    }

    #[test]
    fn gnu_long_names_at_the_cap_and_one_past_it() {
        let limits = WalkLimits::default();
        // The long name's data ends in a NUL, as GNU tar writes it.
        let name = "d/".to_string() + &"x".repeat(tar::MAX_LONG_NAME as usize - 3);
        let at = end([
            entry("././@LongLink", b'L', format!("{name}\0").as_bytes()),
            entry("short", b'0', b"data"),
        ]
        .concat());
        let m = walk_bytes(&at, &limits).unwrap();
        assert_eq!(m[0].path, name);
        let over = end([
            entry("././@LongLink", b'L', format!("{name}x\0").as_bytes()),
            entry("short", b'0', b"data"),
        ]
        .concat());
        let err = walk_bytes(&over, &limits).unwrap_err().to_string();
        assert!(err.contains("more than the limit of 65536"), "{err}");
    }

    #[test]
    fn pax_headers_at_the_cap_and_one_past_it() {
        let limits = WalkLimits::default();
        let record = |len: usize| {
            // "<n> comment=<padding>\n" of exactly `len` bytes.
            let digits = len.to_string().len();
            let pad = len - digits - " comment=\n".len();
            format!("{len} comment={}\n", "p".repeat(pad))
        };
        let at = end([
            entry(
                "PaxHeaders/a",
                b'x',
                record(tar::MAX_PAX_HEADER as usize).as_bytes(),
            ),
            entry("a", b'0', b"data"),
        ]
        .concat());
        assert!(walk_bytes(&at, &limits).is_ok());
        let over = end([
            entry(
                "PaxHeaders/a",
                b'x',
                record(tar::MAX_PAX_HEADER as usize + 1).as_bytes(),
            ),
            entry("a", b'0', b"data"),
        ]
        .concat());
        let err = walk_bytes(&over, &limits).unwrap_err().to_string();
        assert!(err.contains("more than the limit of 1048576"), "{err}");
    }

    #[test]
    fn extension_bytes_in_all_at_the_cap_and_one_past_it() {
        let limits = WalkLimits::default();
        let per = tar::MAX_PAX_HEADER as usize;
        let n = (tar::MAX_EXTENSION_BYTES as usize) / per;
        let record = |len: usize| {
            let digits = len.to_string().len();
            format!(
                "{len} comment={}\n",
                "p".repeat(len - digits - " comment=\n".len())
            )
        };
        let mut tar = Vec::new();
        for i in 0..n {
            tar.extend(entry("PaxHeaders/f", b'x', record(per).as_bytes()));
            tar.extend(entry(&format!("f{i}"), b'0', b""));
        }
        assert!(walk_bytes(&end(tar.clone()), &limits).is_ok());
        // One byte more: a one-byte long name.
        tar.extend(entry("././@LongLink", b'L', b"g"));
        tar.extend(entry("g", b'0', b""));
        let err = walk_bytes(&end(tar), &limits).unwrap_err().to_string();
        assert!(err.contains("extension headers"), "{err}");
    }

    #[test]
    fn zip_link_targets_at_the_cap_and_one_past_it() {
        for (len, ok) in [
            (MAX_LINK_TARGET as usize, true),
            (MAX_LINK_TARGET as usize + 1, false),
        ] {
            let tmp = tempfile::NamedTempFile::new().unwrap();
            let mut w = ::zip::ZipWriter::new(tmp.reopen().unwrap());
            let target = "a/".repeat(len / 2) + if len % 2 == 1 { "b" } else { "" };
            w.add_symlink("link", &target, ::zip::write::SimpleFileOptions::default())
                .unwrap();
            w.finish().unwrap();
            let res = walk(tmp.path(), &WalkLimits::default());
            assert_eq!(res.is_ok(), ok, "{len}: {res:?}");
        }
    }

    #[test]
    fn budget_at_the_limit_and_one_past_it() {
        let b = Budget::new(100);
        b.spend(100).unwrap();
        let err = b.spend(1).unwrap_err();
        assert!(
            err.to_string().contains("more than 100 bytes inflated"),
            "{err}"
        );
    }

    /// A sparse file whose end record claims a central directory one byte over the cap: refused
    /// before anything is read.
    #[test]
    fn central_directory_cap_one_past_it() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let size = zip::MAX_CENTRAL_DIRECTORY + 1;
        let mut eocd = b"PK\x05\x06\0\0\0\0\x01\0\x01\0".to_vec();
        eocd.extend((size as u32).to_le_bytes());
        eocd.extend(0u32.to_le_bytes());
        eocd.extend(0u16.to_le_bytes());
        let f = tmp.reopen().unwrap();
        f.set_len(size).unwrap();
        use std::os::unix::fs::FileExt;
        f.write_all_at(&eocd, size).unwrap();
        let err = walk(tmp.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than the limit of 134217728"), "{err}");
    }

    #[test]
    fn tar_data_after_the_end_is_refused_and_zero_padding_is_not() {
        let limits = WalkLimits::default();
        let body = entry("a", b'0', b"data");
        let mut padded = end(body.clone());
        padded.extend([0u8; 8192]);
        assert!(walk_bytes(&padded, &limits).is_ok());
        let mut hidden = end(body);
        hidden.extend(entry("../../evil", b'0', b"x"));
        let err = walk_bytes(&hidden, &limits).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::TrailingData), "{err}");
    }

    #[test]
    fn a_second_gzip_member_is_read_and_refused() {
        let gz = |data: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        let mut bytes = gz(&entry("pkg/a.py", b'0', b"x"));
        bytes.extend(gz(&end(entry("../../../evil", b'0', b"y"))));
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), &bytes).unwrap();
        let err = walk(tmp.path(), &WalkLimits::default()).unwrap_err();
        assert_eq!(err.rule(), Some(Rule::GzipMembers), "{err}");
    }

    #[test]
    fn zip64_end_record_cap_one_past_it() {
        // A zip64 end record claiming one byte more than the cap, before its locator and a
        // classic end record: refused before the record is read.
        let size = zip::MAX_ZIP64_END_RECORD + 1;
        let mut rec = b"PK\x06\x06".to_vec();
        rec.extend((size - 12).to_le_bytes());
        rec.resize(size as usize, 0);
        let mut bytes = rec;
        let mut loc = b"PK\x06\x07".to_vec();
        loc.extend(0u32.to_le_bytes());
        loc.extend(0u64.to_le_bytes());
        loc.extend(1u32.to_le_bytes());
        bytes.extend(loc);
        bytes.extend(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\0\0");
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), &bytes).unwrap();
        let err = walk(tmp.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("more than the limit of 65536"), "{err}");
    }

    #[test]
    fn member_size_at_the_limit_and_one_past_it() {
        let z = zip_with(&[("a", &[7u8; 100])]);
        let at = WalkLimits {
            max_member_bytes: 100,
            ..WalkLimits::default()
        };
        assert!(walk(z.path(), &at).is_ok());
        let below = WalkLimits {
            max_member_bytes: 99,
            ..WalkLimits::default()
        };
        assert_eq!(walk(z.path(), &below).unwrap_err().rule(), Some(Rule::Bomb));
        let tar = end(entry("a", b'0', &[7u8; 100]));
        assert!(walk_bytes(&tar, &at).is_ok());
        assert_eq!(
            walk_bytes(&tar, &below).unwrap_err().rule(),
            Some(Rule::Bomb)
        );
    }

    #[test]
    fn compression_ratio_at_the_limit_and_one_past_it() {
        // 4,096 zeros deflate to a handful of bytes: find the ratio, then set the limit at it.
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut w = ::zip::ZipWriter::new(tmp.reopen().unwrap());
        w.start_file(
            "zeros",
            ::zip::write::SimpleFileOptions::default()
                .compression_method(::zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(&[0u8; 4096]).unwrap();
        w.finish().unwrap();
        let file = crate::fsio::open_regular(tmp.path()).unwrap();
        let layout = zip::ZipLayout::parse(tmp.path(), &file, &WalkLimits::default()).unwrap();
        let ratio = 4096 / layout.entries[0].central.compressed;
        let at = WalkLimits {
            ratio_floor: 0,
            max_ratio: ratio,
            ..WalkLimits::default()
        };
        assert!(walk(tmp.path(), &at).is_ok());
        let below = WalkLimits {
            max_ratio: ratio - 1,
            ..at
        };
        assert_eq!(
            walk(tmp.path(), &below).unwrap_err().rule(),
            Some(Rule::Bomb)
        );
    }

    #[test]
    fn gzip_header_strings_at_the_cap_and_one_past_it() {
        let gz = |name_len: usize| {
            let mut out = vec![0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3];
            out.extend(std::iter::repeat_n(b'n', name_len));
            out.push(0);
            let mut e = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
            let data = end(entry("a", b'0', b"x"));
            e.write_all(&data).unwrap();
            let mut out = e.finish().unwrap();
            out.extend(crc32fast::hash(&data).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out
        };
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), gz(gzip::MAX_HEADER_STRING)).unwrap();
        assert!(walk(tmp.path(), &WalkLimits::default()).is_ok());
        std::fs::write(tmp.path(), gz(gzip::MAX_HEADER_STRING + 1)).unwrap();
        let err = walk(tmp.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("longer than 65536 bytes"), "{err}");
    }

    #[test]
    fn tar_contents_at_the_memory_bound_and_one_past_it() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            tmp.path(),
            end([entry("a", b'0', &[1u8; 600]), entry("b", b'0', &[2u8; 400])].concat()),
        )
        .unwrap();
        let limits = WalkLimits::default();
        let budget = Budget::new(1 << 20);
        let wanted = ["a", "b"].into_iter().collect();
        let all =
            tar::TarLayout::contents(tmp.path(), false, &limits, &budget, &wanted, 1 << 20, 1000)
                .unwrap();
        assert_eq!(all.len(), 2);
        let fewer =
            tar::TarLayout::contents(tmp.path(), false, &limits, &budget, &wanted, 1 << 20, 999)
                .unwrap();
        assert_eq!(fewer.len(), 1);
    }
}
