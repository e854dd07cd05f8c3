//! Tar streams read block by block (POSIX ustar and pax, GNU and v7 headers), with the
//! extension headers (GNU long names and links, pax local and global headers) bounded and
//! interpreted here, so that every header and every byte after the end-of-archive marker is
//! seen.
//!
//! Where tar implementations read a header differently, the header is an [`Anomaly`] rather than
//! a guess: a name prefix in a non-POSIX header (Python prepends it, GNU tar does not); a
//! directory, link or hard link that carries data (Python reads that data as the next headers,
//! GNU tar skips it); numeric fields that are not plain octal or base-256; unknown entry types
//! (extracted as regular files by GNU tar and Python); a GNU long name and a pax path for the
//! same entry; a pax global header that renames entries; bytes after the end-of-archive blocks
//! (`tar --ignore-zeros` reads them). The caps below bound the memory any header can demand.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;

use super::{Anomaly, ArchiveError, MemberKind, Rule, WalkLimits};

/// Longest GNU long name or long link target (`L`/`K` entry). Linux's `PATH_MAX` is 4,096
/// bytes; 64 KiB is far beyond any real path and bounds the memory one header can demand.
pub const MAX_LONG_NAME: u64 = 64 * 1024;
/// Largest pax extended header (`x`/`g` entry): paths, times and extended attributes take a few
/// KiB at most; 1 MiB leaves room for large attributes and bounds memory.
pub const MAX_PAX_HEADER: u64 = 1024 * 1024;
/// Most extension-header bytes (long names and pax headers) read from one archive in all, so
/// that 200,000 entries with 1 MiB headers cannot demand 200 GB.
pub const MAX_EXTENSION_BYTES: u64 = 64 * 1024 * 1024;

const BLOCK: u64 = 512;

/// One tar entry (after its extension headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Offset (in the uncompressed stream) of its first header block, extension headers
    /// included.
    pub offset: u64,
    /// The main header block.
    pub header: Vec<u8>,
    /// Extension headers that apply to it, in order: (type flag, data).
    pub extensions: Vec<(u8, Vec<u8>)>,
    /// The path, after the long name, pax path and ustar prefix are applied.
    pub path: String,
    /// The link target (links only).
    pub link: Option<String>,
    /// Entry kind.
    pub kind: MemberKind,
    /// Data size.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Modification time (the pax `mtime` when given).
    pub mtime: i64,
}

/// What follows the last entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TarEnd {
    /// Offset of the first zero block (or of the end of the stream without one).
    pub offset: u64,
    /// Length of everything from there to the end of the stream.
    pub len: u64,
    /// Of which non-zero bytes.
    pub nonzero: u64,
    /// SHA-256 of those bytes.
    pub sha256: String,
}

/// Non-zero bytes in the padding after an entry's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Padding {
    /// The entry.
    pub entry: String,
    /// Where the padding starts (in the uncompressed stream).
    pub offset: u64,
    /// SHA-256 of the padding.
    pub sha256: String,
}

/// Reads a tar stream entry by entry (see the module documentation).
pub struct TarReader<'p, R> {
    src: R,
    path: &'p Path,
    limits: WalkLimits,
    pos: u64,
    /// Data bytes of the current entry not yet read.
    remaining: u64,
    /// Padding after the current entry's data.
    padding: u64,
    current: String,
    entries: usize,
    extension_bytes: u64,
    anomalies: Vec<Anomaly>,
    /// Non-zero padding seen.
    pub padding_digests: Vec<Padding>,
    end: Option<TarEnd>,
}

/// A numeric header field's value, when it is written plainly (octal, or GNU base-256).
pub(crate) fn numeric(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // GNU base-256: 0x80 then big-endian; 0xff (negative) is refused.
        if field[0] != 0x80 {
            return None;
        }
        return field[1..]
            .iter()
            .try_fold(0u64, |acc, &b| acc.checked_mul(256)?.checked_add(b as u64));
    }
    // An all-NUL field reads as 0 for GNU tar and Python alike; all blanks is an error to GNU tar.
    if field.iter().all(|&b| b == 0) {
        return Some(0);
    }
    let start = field.iter().position(|&b| b != b' ')?;
    let digits = field[start..]
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    if digits == 0 {
        return None;
    }
    let rest = &field[start + digits..];
    if !rest.iter().all(|&b| b == 0 || b == b' ') {
        return None;
    }
    field[start..start + digits]
        .iter()
        .try_fold(0u64, |acc, &b| {
            acc.checked_mul(8)?.checked_add((b - b'0') as u64)
        })
}

/// A NUL-terminated header string.
fn text(field: &[u8]) -> &[u8] {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    &field[..end]
}

/// The pax records of an extended header, or why they do not parse.
fn pax_records(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    // Python stops at a NUL byte; records are "<len> <key>=<value>\n".
    while pos < data.len() && data[pos] != 0 {
        let space = data[pos..]
            .iter()
            .position(|&b| b == b' ')
            .ok_or("a pax record without a length")?;
        let len: usize = std::str::from_utf8(&data[pos..pos + space])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or("a pax record length that is not a decimal number")?;
        let end = pos
            .checked_add(len)
            .filter(|&e| e <= data.len() && len > space + 1)
            .ok_or("a pax record longer than its header")?;
        if data[end - 1] != b'\n' {
            return Err("a pax record that does not end in a newline".into());
        }
        let record = &data[pos + space + 1..end - 1];
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or("a pax record without `=`")?;
        let key = String::from_utf8(record[..eq].to_vec())
            .map_err(|_| "a pax key that is not UTF-8".to_string())?;
        out.push((key, record[eq + 1..].to_vec()));
        pos = end;
    }
    Ok(out)
}

/// Pending extension headers for the next entry.
#[derive(Default)]
struct Pending {
    offset: Option<u64>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<BTreeMap<String, Vec<u8>>>,
    extensions: Vec<(u8, Vec<u8>)>,
}

impl<'p, R: Read> TarReader<'p, R> {
    /// A reader of the tar stream `src` (already decompressed), for the archive at `path`.
    pub fn new(src: R, path: &'p Path, limits: &WalkLimits) -> Self {
        TarReader {
            src,
            path,
            limits: *limits,
            pos: 0,
            remaining: 0,
            padding: 0,
            current: String::new(),
            entries: 0,
            extension_bytes: 0,
            anomalies: Vec::new(),
            padding_digests: Vec::new(),
            end: None,
        }
    }

    /// The anomalies so far.
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// The stream read from.
    pub fn inner(&self) -> &R {
        &self.src
    }

    /// Take the anomalies and the end, and give back the inner reader.
    pub fn finish(self) -> (Vec<Anomaly>, Option<TarEnd>, Vec<Padding>, R) {
        (self.anomalies, self.end, self.padding_digests, self.src)
    }

    fn io(&self, source: io::Error) -> ArchiveError {
        if source.get_ref().is_some_and(|r| r.is::<super::Refusal>()) {
            return super::member_error(self.path, &self.current, source);
        }
        if source.kind() == io::ErrorKind::InvalidData || source.kind() == io::ErrorKind::Other {
            ArchiveError::Format {
                path: self.path.to_path_buf(),
                format: "tar",
                detail: source.to_string(),
            }
        } else {
            ArchiveError::Io {
                path: self.path.to_path_buf(),
                source,
            }
        }
    }

    fn format(&self, detail: String) -> ArchiveError {
        ArchiveError::Format {
            path: self.path.to_path_buf(),
            format: "tar",
            detail,
        }
    }

    fn anomaly(&mut self, rule: Rule, member: Option<&str>, detail: String) {
        self.anomalies
            .push(Anomaly::new(rule, member.map(str::to_string), detail));
    }

    /// Read exactly `buf.len()` bytes; `Ok(false)` at a clean end of stream before any byte.
    fn block(&mut self, buf: &mut [u8]) -> Result<bool, ArchiveError> {
        let mut n = 0;
        while n < buf.len() {
            match self.src.read(&mut buf[n..]) {
                Ok(0) if n == 0 => return Ok(false),
                Ok(0) => {
                    return Err(self.format(format!(
                        "truncated: the stream ends inside a block at byte {}",
                        self.pos + n as u64
                    )));
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io(e)),
            }
        }
        self.pos += n as u64;
        Ok(true)
    }

    /// Read `len` bytes of extension data (and its padding).
    fn extension_data(&mut self, len: u64) -> Result<Vec<u8>, ArchiveError> {
        let padded = len.div_ceil(BLOCK) * BLOCK;
        let mut data = vec![0u8; padded as usize];
        if !self.block(&mut data)? {
            return Err(self.format("truncated: the stream ends inside a header".into()));
        }
        data.truncate(len as usize);
        Ok(data)
    }

    /// Skip what is left of the current entry's data and its padding.
    fn skip_data(&mut self) -> Result<(), ArchiveError> {
        let mut buf = vec![0u8; 64 * 1024];
        while self.remaining > 0 {
            let want = self.remaining.min(buf.len() as u64) as usize;
            let n = self.read_data(&mut buf[..want]).map_err(|e| self.io(e))?;
            if n == 0 {
                return Err(self.format(format!(
                    "truncated: `{}` ends {} bytes early",
                    self.current, self.remaining
                )));
            }
        }
        if self.padding > 0 {
            let mut pad = vec![0u8; self.padding as usize];
            let at = self.pos;
            if !self.block(&mut pad)? {
                return Err(self.format(format!(
                    "truncated: the stream ends in the padding after `{}`",
                    self.current
                )));
            }
            if pad.iter().any(|&b| b != 0) {
                let digest = crate::digest::sha256(&pad).hex();
                let name = self.current.clone();
                self.anomaly(
                    Rule::Padding,
                    Some(&name),
                    format!(
                        "non-zero bytes in the padding after the data (byte {at}): no reader \
                         extracts them"
                    ),
                );
                self.padding_digests.push(Padding {
                    entry: name,
                    offset: at,
                    sha256: digest,
                });
            }
            self.padding = 0;
        }
        Ok(())
    }

    /// Read the current entry's data.
    pub fn read_data(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.remaining.min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.src.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("truncated: {} bytes of data missing", self.remaining),
            ));
        }
        self.remaining -= n as u64;
        self.pos += n as u64;
        Ok(n)
    }

    /// Everything after the end-of-archive marker (or the last entry), to the end of the
    /// stream.
    fn read_end(&mut self, offset: u64, first: &[u8]) -> Result<(), ArchiveError> {
        let mut hasher = crate::digest::StreamHasher::new(&[]);
        hasher.update(first);
        let mut len = first.len() as u64;
        let mut nonzero = first.iter().filter(|&&b| b != 0).count() as u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match self.src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            nonzero += buf[..n].iter().filter(|&&b| b != 0).count() as u64;
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        self.pos += len - first.len() as u64;
        if nonzero > 0 {
            self.anomaly(
                Rule::TrailingData,
                None,
                format!(
                    "{nonzero} non-zero bytes after the end-of-archive marker at byte {offset}: \
                     `tar --ignore-zeros` reads them as more entries"
                ),
            );
        } else if len < 2 * BLOCK {
            self.anomaly(
                Rule::TarEnd,
                None,
                if len == 0 {
                    "no end-of-archive marker".to_string()
                } else {
                    "a lone zero block ends the archive".to_string()
                },
            );
        }
        self.end = Some(TarEnd {
            offset,
            len,
            nonzero,
            sha256: hasher.finish().sha256,
        });
        Ok(())
    }

    /// The next entry, or `None` at the end of the archive. Unread data of the previous entry
    /// is skipped. Only a malformed stream or a limit is an error; what tar implementations read
    /// differently is recorded in [`TarReader::anomalies`].
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, ArchiveError> {
        if self.end.is_some() {
            return Ok(None);
        }
        self.skip_data()?;
        let mut pending = Pending::default();
        loop {
            let at = self.pos;
            let mut h = vec![0u8; BLOCK as usize];
            if !self.block(&mut h)? {
                self.dangling(&pending);
                self.read_end(at, &[])?;
                return Ok(None);
            }
            if h.iter().all(|&b| b == 0) {
                self.dangling(&pending);
                self.read_end(at, &h)?;
                return Ok(None);
            }
            let unsigned: u64 = h
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        b as u64
                    }
                })
                .sum();
            if numeric(&h[148..156]) != Some(unsigned) {
                self.anomaly(
                    Rule::TarHeader,
                    None,
                    format!(
                        "a header checksum mismatch at byte {at}: GNU tar skips to the next \
                         header, Python stops reading"
                    ),
                );
                self.read_end(at, &h)?;
                return Ok(None);
            }
            let typeflag = h[156];
            let Some(size) = numeric(&h[124..136]) else {
                self.anomaly(
                    Rule::TarHeader,
                    Some(&String::from_utf8_lossy(text(&h[..100]))),
                    format!("a size field that is not a plain number at byte {at}: readers disagree on where the next header is"),
                );
                self.read_end(at, &h)?;
                return Ok(None);
            };
            pending.offset.get_or_insert(at);
            match typeflag {
                b'L' | b'K' | b'x' | b'g' => {
                    let cap = if matches!(typeflag, b'L' | b'K') {
                        MAX_LONG_NAME
                    } else {
                        MAX_PAX_HEADER
                    };
                    if size > cap {
                        return Err(self.format(format!(
                            "a `{}` extension header of {size} bytes at byte {at}, more than the \
                             limit of {cap}",
                            typeflag as char
                        )));
                    }
                    self.extension_bytes += size;
                    if self.extension_bytes > MAX_EXTENSION_BYTES {
                        return Err(self.format(format!(
                            "more than {MAX_EXTENSION_BYTES} bytes of extension headers"
                        )));
                    }
                    let data = self.extension_data(size)?;
                    self.extension(typeflag, data, &mut pending);
                }
                _ => return self.entry(h, size, pending).map(Some),
            }
        }
    }

    fn dangling(&mut self, pending: &Pending) {
        if pending.long_name.is_some() || pending.long_link.is_some() || pending.pax.is_some() {
            self.anomaly(
                Rule::TarExtension,
                None,
                "an extension header with no entry after it".into(),
            );
        }
    }

    fn extension(&mut self, typeflag: u8, data: Vec<u8>, pending: &mut Pending) {
        match typeflag {
            b'L' | b'K' => {
                let value = text(&data).to_vec();
                if data[value.len()..].iter().any(|&b| b != 0) {
                    self.anomaly(
                        Rule::TarExtension,
                        Some(&String::from_utf8_lossy(&value)),
                        "a GNU long name with bytes after its NUL: readers cut it at different places".into(),
                    );
                }
                let slot = if typeflag == b'L' {
                    &mut pending.long_name
                } else {
                    &mut pending.long_link
                };
                if slot.replace(value).is_some() {
                    self.anomaly(
                        Rule::TarExtension,
                        None,
                        "two GNU long-name headers for one entry: readers keep different ones"
                            .into(),
                    );
                }
            }
            _ => {
                let records = match pax_records(&data) {
                    Ok(r) => r,
                    Err(why) => {
                        self.anomaly(Rule::TarExtension, None, format!("{why}: readers disagree"));
                        Vec::new()
                    }
                };
                let mut map = BTreeMap::new();
                for (k, v) in records {
                    if k.starts_with("GNU.sparse.") {
                        self.anomaly(
                            Rule::TarType,
                            None,
                            "a GNU sparse file (pax form), which repro does not read".into(),
                        );
                    }
                    if map.insert(k.clone(), v).is_some() {
                        self.anomaly(
                            Rule::TarExtension,
                            None,
                            format!(
                                "the pax key `{k}` twice in one header: readers keep different ones"
                            ),
                        );
                    }
                }
                if typeflag == b'g' {
                    for k in ["path", "linkpath", "size"] {
                        if map.contains_key(k) {
                            self.anomaly(
                                Rule::TarExtension,
                                None,
                                format!(
                                    "a pax global header sets `{k}`: Python applies it to every \
                                     entry after it, other readers ignore it"
                                ),
                            );
                        }
                    }
                } else if pending.pax.replace(map).is_some() {
                    self.anomaly(
                        Rule::TarExtension,
                        None,
                        "two pax headers for one entry: readers keep different ones".into(),
                    );
                }
            }
        }
        pending.extensions.push((typeflag, data));
    }

    fn entry(
        &mut self,
        h: Vec<u8>,
        header_size: u64,
        pending: Pending,
    ) -> Result<TarEntry, ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_members {
            return Err(self.format(format!(
                "more than {} members, the limit",
                self.limits.max_members
            )));
        }
        let offset = pending.offset.unwrap_or(self.pos - BLOCK);
        let typeflag = h[156];
        let posix = &h[257..263] == b"ustar\0" && &h[263..265] == b"00";
        let pax = pending.pax.unwrap_or_default();
        let header_name = {
            let name = text(&h[..100]);
            let prefix = text(&h[345..500]);
            if !prefix.is_empty() && !posix {
                self.anomaly(
                    Rule::TarHeader,
                    Some(&String::from_utf8_lossy(name)),
                    "bytes in the prefix field of a non-POSIX header: Python prepends them to \
                     the name, GNU tar does not"
                        .into(),
                );
            }
            if prefix.is_empty() || !posix {
                name.to_vec()
            } else {
                [prefix, b"/", name].concat()
            }
        };
        let raw_path = match (pax.get("path"), pending.long_name) {
            (Some(p), Some(_)) => {
                self.anomaly(
                    Rule::TarExtension,
                    Some(&String::from_utf8_lossy(p)),
                    "both a GNU long name and a pax path: readers pick different ones".into(),
                );
                p.clone()
            }
            (Some(p), None) => p.clone(),
            (None, Some(l)) => l,
            (None, None) => header_name,
        };
        let path = match String::from_utf8(raw_path) {
            Ok(p) => p,
            Err(e) => {
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                self.anomaly(
                    Rule::NameEncoding,
                    Some(&lossy),
                    "a name that is not valid UTF-8: readers decode it differently".into(),
                );
                lossy
            }
        };
        self.current = path.clone();
        let link_raw = match (pax.get("linkpath"), pending.long_link) {
            (Some(p), Some(_)) => {
                self.anomaly(
                    Rule::TarExtension,
                    Some(&path),
                    "both a GNU long link and a pax linkpath: readers pick different ones".into(),
                );
                p.clone()
            }
            (Some(p), None) => p.clone(),
            (None, Some(l)) => l,
            (None, None) => text(&h[157..257]).to_vec(),
        };
        let size = match pax.get("size") {
            Some(s) => match std::str::from_utf8(s)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
            {
                Some(n) => n,
                None => {
                    self.anomaly(
                        Rule::TarExtension,
                        Some(&path),
                        "a pax size that is not a decimal number".into(),
                    );
                    header_size
                }
            },
            None => header_size,
        };
        let kind = match typeflag {
            b'0' | 0 | b'7' => MemberKind::File,
            b'1' => MemberKind::Hardlink,
            b'2' => MemberKind::Symlink,
            b'5' => MemberKind::Dir,
            other => {
                let what = match other {
                    b'3' => "a character device".to_string(),
                    b'4' => "a block device".to_string(),
                    b'6' => "a FIFO".to_string(),
                    b'S' => "a GNU sparse file, which repro does not read".to_string(),
                    t => format!(
                        "entry type `{}`, which GNU tar and Python extract as a regular file",
                        (t as char).escape_default()
                    ),
                };
                self.anomaly(Rule::TarType, Some(&path), what);
                MemberKind::File
            }
        };
        if kind == MemberKind::File && path.ends_with('/') {
            self.anomaly(
                Rule::EntryType,
                Some(&path),
                "a regular file named like a directory: Python and GNU tar read it as a directory"
                    .into(),
            );
        }
        if kind != MemberKind::File && size > 0 {
            self.anomaly(
                Rule::TarType,
                Some(&path),
                format!(
                    "a {} entry carrying {size} bytes of data: Python reads them as the next \
                     headers, GNU tar skips them",
                    match kind {
                        MemberKind::Dir => "directory",
                        MemberKind::Symlink => "symbolic link",
                        _ => "hard link",
                    }
                ),
            );
        }
        let mut numeric_field = |what: &str, field: &[u8]| -> u64 {
            numeric(field).unwrap_or_else(|| {
                self.anomalies.push(Anomaly::new(
                    Rule::TarHeader,
                    Some(path.clone()),
                    format!("a {what} field that is not a plain number: readers disagree"),
                ));
                0
            })
        };
        let mode = (numeric_field("mode", &h[100..108]) & 0o7777) as u32;
        numeric_field("uid", &h[108..116]);
        numeric_field("gid", &h[116..124]);
        let mut mtime = numeric_field("mtime", &h[136..148]) as i64;
        if let Some(m) = pax.get("mtime") {
            let s = String::from_utf8_lossy(m);
            match s.split('.').next().and_then(|w| w.parse::<i64>().ok()) {
                Some(t) => mtime = t,
                None => self.anomaly(
                    Rule::TarExtension,
                    Some(&path),
                    "a pax mtime that is not a number".into(),
                ),
            }
        }
        let link = matches!(kind, MemberKind::Symlink | MemberKind::Hardlink).then(|| {
            String::from_utf8(link_raw).unwrap_or_else(|e| {
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                self.anomalies.push(Anomaly::new(
                    Rule::NameEncoding,
                    Some(path.clone()),
                    "a link target that is not valid UTF-8".into(),
                ));
                lossy
            })
        });
        self.remaining = size;
        self.padding = (BLOCK - size % BLOCK) % BLOCK;
        Ok(TarEntry {
            offset,
            header: h,
            extensions: pending.extensions,
            path,
            link,
            kind,
            size,
            mode,
            mtime,
        })
    }
}

/// A SHA-256 of everything read through it.
struct Hashing<R> {
    inner: R,
    hasher: sha2::Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use sha2::Digest as _;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A whole tar archive: every entry with its content's SHA-256, the gzip layer, what follows
/// the end-of-archive marker, and every anomaly (of both layers).
#[derive(Debug, Clone)]
pub struct TarLayout {
    /// Entries in archive order, with the SHA-256 of files.
    pub entries: Vec<(TarEntry, Option<String>)>,
    /// The gzip layer, for a `.tar.gz`.
    pub gzip: Option<super::gzip::GzipInfo>,
    /// What follows the last entry.
    pub end: TarEnd,
    /// Non-zero padding.
    pub padding: Vec<Padding>,
    /// SHA-256 of the uncompressed tar stream.
    pub stream_sha256: String,
    /// Anomalies of the gzip layer, then of the tar layer.
    pub anomalies: Vec<Anomaly>,
}

fn open_stream<'b>(
    path: &Path,
    gz: bool,
    limits: &WalkLimits,
    budget: &'b super::Budget,
) -> Result<Box<dyn ReadInfo + 'b>, ArchiveError> {
    let f = crate::fsio::open_regular(path).map_err(|source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(if gz {
        Box::new(super::gzip::GzipReader::new(f, limits, budget))
    } else {
        Box::new(Plain(io::BufReader::with_capacity(64 * 1024, f)))
    })
}

/// A decompressed stream that can say what its compression layer held.
trait ReadInfo: Read {
    fn gzip_info(self: Box<Self>) -> Option<super::gzip::GzipInfo>;
}

struct Plain<R>(R);

impl<R: Read> Read for Plain<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> ReadInfo for Plain<R> {
    fn gzip_info(self: Box<Self>) -> Option<super::gzip::GzipInfo> {
        None
    }
}

impl<R: Read> ReadInfo for super::gzip::GzipReader<'_, R> {
    fn gzip_info(self: Box<Self>) -> Option<super::gzip::GzipInfo> {
        Some(self.into_info())
    }
}

impl TarLayout {
    /// Read the whole archive at `path` (gzip-compressed when `gz`), spending inflated bytes
    /// from `budget`. Errors are malformed streams and limits; what readers disagree on is in
    /// [`TarLayout::anomalies`].
    pub fn read(
        path: &Path,
        gz: bool,
        limits: &WalkLimits,
        budget: &super::Budget,
    ) -> Result<TarLayout, ArchiveError> {
        use sha2::Digest as _;
        let src = Hashing {
            inner: open_stream(path, gz, limits, budget)?,
            hasher: sha2::Sha256::new(),
        };
        let mut tar = TarReader::new(src, path, limits);
        let mut entries = Vec::new();
        while let Some(e) = tar.next_entry()? {
            let sha = if e.kind == MemberKind::File {
                let mut h = sha2::Sha256::new();
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = tar
                        .read_data(&mut buf)
                        .map_err(|err| super::member_error(path, &e.path, err))?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
                Some(hex::encode(h.finalize()))
            } else {
                None
            };
            entries.push((e, sha));
        }
        let (tar_anomalies, end, padding, src) = tar.finish();
        let stream_sha256 = hex::encode(src.hasher.finalize());
        let gzip = src.inner.gzip_info();
        let mut anomalies = gzip
            .as_ref()
            .map(|g| g.anomalies.clone())
            .unwrap_or_default();
        anomalies.extend(tar_anomalies);
        Ok(TarLayout {
            entries,
            gzip,
            end: end.unwrap_or_default(),
            padding,
            stream_sha256,
            anomalies,
        })
    }

    /// The content of the file members named in `wanted`, each up to `cap` bytes and at most
    /// `total` bytes in all (members past either bound are left out), in a second pass.
    pub fn contents(
        path: &Path,
        gz: bool,
        limits: &WalkLimits,
        budget: &super::Budget,
        wanted: &std::collections::HashSet<&str>,
        cap: u64,
        mut total: u64,
    ) -> Result<std::collections::HashMap<String, Vec<u8>>, ArchiveError> {
        let mut out = std::collections::HashMap::new();
        if wanted.is_empty() {
            return Ok(out);
        }
        let mut tar = TarReader::new(open_stream(path, gz, limits, budget)?, path, limits);
        while let Some(e) = tar.next_entry()? {
            if e.kind != MemberKind::File
                || !wanted.contains(e.path.as_str())
                || e.size > cap
                || e.size > total
            {
                continue;
            }
            let mut data = vec![0u8; e.size as usize];
            let mut n = 0;
            while n < data.len() {
                let k = tar
                    .read_data(&mut data[n..])
                    .map_err(|err| super::member_error(path, &e.path, err))?;
                if k == 0 {
                    break;
                }
                n += k;
            }
            data.truncate(n);
            total -= n as u64;
            out.insert(e.path, data);
            if out.len() == wanted.len() {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_fields_are_plain_octal_or_base_256() {
        assert_eq!(numeric(b"0000644\0"), Some(0o644));
        assert_eq!(numeric(b"  644 \0\0"), Some(0o644));
        assert_eq!(numeric(b"00000000012\0"), Some(0o12));
        assert_eq!(numeric(b"0000001 2\0"), None);
        assert_eq!(numeric(b"\0\0\0\0\0\0\0\0"), Some(0));
        assert_eq!(numeric(b"        "), None);
        assert_eq!(numeric(b"  \0\0\0\0\0\0"), None);
        assert_eq!(numeric(b"0000009\0"), None);
        assert_eq!(numeric(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(numeric(&[0xff; 12]), None);
    }

    #[test]
    fn pax_records_parse_strictly() {
        let ok = b"30 path=a/very/long/path/name\n20 mtime=1700000000\n";
        let r = pax_records(ok).unwrap();
        assert_eq!(r[0], ("path".into(), b"a/very/long/path/name".to_vec()));
        assert_eq!(r[1].0, "mtime");
        assert!(pax_records(b"99 path=x\n").is_err());
        assert!(pax_records(b"9 pathx\n\n").is_err());
    }
}
