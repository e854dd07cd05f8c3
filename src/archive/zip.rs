//! Zip archives read byte by byte (PKWARE APPNOTE 6.3.10): the end record, the zip64 end
//! record and its locator, every central directory entry, the local header each one points at,
//! the member's data and its data descriptor.
//!
//! Readers disagree on zips that are not laid out plainly: Python's `zipfile` takes the *last*
//! end-record signature it finds and shifts every offset when the central directory is not
//! where the end record says, reads central directory entries until the directory's *size* is
//! used up, and decodes names without the UTF-8 flag as CP437; Info-ZIP `unzip` trusts the
//! entry *count* and honours a Unicode Path extra field; streaming readers go by local headers
//! alone. So the layout parsed here accounts for every byte of the file: each entry's span
//! (local header, data, descriptor) must follow the previous one with no gap and no overlap,
//! from offset 0 to the central directory, which must end where the (zip64) end record begins,
//! which must end where the file ends. Whatever does not fit is an [`Anomaly`]: `store verify
//! --deep` refuses the archive, and `repro diff` names the difference.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::{Anomaly, ArchiveError, Budget, MemberKind, Rule, WalkLimits};

const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const CDH_SIG: &[u8; 4] = b"PK\x01\x02";
const LFH_SIG: &[u8; 4] = b"PK\x03\x04";
const DD_SIG: &[u8; 4] = b"PK\x07\x08";
const Z64_EOCD_SIG: &[u8; 4] = b"PK\x06\x06";
const Z64_LOC_SIG: &[u8; 4] = b"PK\x06\x07";

const EOCD_LEN: u64 = 22;
const CDH_LEN: usize = 46;
const LFH_LEN: u64 = 30;
const Z64_LOC_LEN: u64 = 20;
const Z64_EOCD_MIN: u64 = 56;
/// The end record's comment is at most 65,535 bytes, so the end record starts within this
/// many bytes of the end of a well-formed file.
const EOCD_SEARCH: u64 = EOCD_LEN + 0xffff;

/// Largest central directory read. It is held in memory while the entries are parsed; 200,000
/// entries with 100-byte names and ordinary extra fields take about 35 MiB.
pub const MAX_CENTRAL_DIRECTORY: u64 = 128 * 1024 * 1024;
/// Largest zip64 end record (its "extensible data sector" is free-form and unused in practice).
pub const MAX_ZIP64_END_RECORD: u64 = 64 * 1024;

const FLAG_ENCRYPTED: u16 = 1 << 0;
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
const FLAG_UTF8: u16 = 1 << 11;
const FLAG_MASKED_HEADER: u16 = 1 << 13;

/// Compression method: stored.
pub const STORED: u16 = 0;
/// Compression method: deflate.
pub const DEFLATED: u16 = 8;

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The end-of-central-directory record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndRecord {
    /// Where it starts.
    pub offset: u64,
    /// The 22 fixed bytes.
    pub raw: Vec<u8>,
    /// The archive comment.
    pub comment: Vec<u8>,
}

impl EndRecord {
    /// Number of this disk.
    pub fn disk(&self) -> u16 {
        le16(&self.raw, 4)
    }
    /// Disk where the central directory starts.
    pub fn cd_disk(&self) -> u16 {
        le16(&self.raw, 6)
    }
    /// Entries on this disk.
    pub fn disk_entries(&self) -> u16 {
        le16(&self.raw, 8)
    }
    /// Entries in all.
    pub fn total_entries(&self) -> u16 {
        le16(&self.raw, 10)
    }
    /// Size of the central directory.
    pub fn cd_size(&self) -> u32 {
        le32(&self.raw, 12)
    }
    /// Offset of the central directory.
    pub fn cd_offset(&self) -> u32 {
        le32(&self.raw, 16)
    }
}

/// The zip64 end record and its locator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zip64End {
    /// Where the locator starts.
    pub locator_offset: u64,
    /// The 20 bytes of the locator.
    pub locator: Vec<u8>,
    /// Where the record starts.
    pub offset: u64,
    /// The record's bytes (56 fixed bytes and any extensible data).
    pub raw: Vec<u8>,
}

impl Zip64End {
    fn disk(&self) -> u32 {
        le32(&self.raw, 16)
    }
    fn cd_disk(&self) -> u32 {
        le32(&self.raw, 20)
    }
    fn disk_entries(&self) -> u64 {
        le64(&self.raw, 24)
    }
    fn total_entries(&self) -> u64 {
        le64(&self.raw, 32)
    }
    fn cd_size(&self) -> u64 {
        le64(&self.raw, 40)
    }
    fn cd_offset(&self) -> u64 {
        le64(&self.raw, 48)
    }
}

/// A central directory entry, with sizes and offset resolved through its zip64 extra field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralHeader {
    /// The 46 fixed bytes.
    pub raw: Vec<u8>,
    /// Extra fields.
    pub extra: Vec<u8>,
    /// Entry comment.
    pub comment: Vec<u8>,
    /// Compressed size.
    pub compressed: u64,
    /// Uncompressed size.
    pub size: u64,
    /// Offset of the local header (after the adjustment readers make when the central
    /// directory is not where the end record says).
    pub local_offset: u64,
}

impl CentralHeader {
    /// "Version made by": the host system in the high byte.
    pub fn made_by(&self) -> u16 {
        le16(&self.raw, 4)
    }
    /// General-purpose flags.
    pub fn flags(&self) -> u16 {
        le16(&self.raw, 8)
    }
    /// Compression method.
    pub fn method(&self) -> u16 {
        le16(&self.raw, 10)
    }
    /// DOS time.
    pub fn time(&self) -> u16 {
        le16(&self.raw, 12)
    }
    /// DOS date.
    pub fn date(&self) -> u16 {
        le16(&self.raw, 14)
    }
    /// CRC-32 of the content.
    pub fn crc(&self) -> u32 {
        le32(&self.raw, 16)
    }
    /// External attributes (Unix mode in the high 16 bits).
    pub fn external(&self) -> u32 {
        le32(&self.raw, 38)
    }
}

/// A local file header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHeader {
    /// The 30 fixed bytes.
    pub raw: Vec<u8>,
    /// Its name.
    pub name: Vec<u8>,
    /// Its extra fields.
    pub extra: Vec<u8>,
}

impl LocalHeader {
    fn flags(&self) -> u16 {
        le16(&self.raw, 6)
    }
    fn method(&self) -> u16 {
        le16(&self.raw, 8)
    }
    fn crc(&self) -> u32 {
        le32(&self.raw, 14)
    }
}

/// One entry: its central directory record, and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// The name as stored (validated as UTF-8 or ASCII when it has no anomaly).
    pub name: String,
    /// The name's bytes.
    pub raw_name: Vec<u8>,
    /// The central directory record.
    pub central: CentralHeader,
    /// The local header, when the central directory points at one.
    pub local: Option<LocalHeader>,
    /// Where the compressed data starts.
    pub data_start: u64,
    /// The data descriptor's bytes, when there is one.
    pub descriptor: Option<Vec<u8>>,
    /// Where the entry's span (header, data, descriptor) ends.
    pub end: u64,
    /// File, directory or symbolic link.
    pub kind: MemberKind,
    /// Permission bits (Unix hosts; synthesized from DOS attributes as other tools do).
    pub mode: u32,
    /// Modification time from the DOS fields, read as UTC (0 when invalid).
    pub mtime: i64,
}

impl ZipEntry {
    /// The span of the entry's local header, data and descriptor.
    pub fn span(&self) -> (u64, u64) {
        (self.central.local_offset, self.end)
    }
}

/// Bytes of the file that no entry, directory or end record explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    /// Where they are, in words (`before the first entry`, ``between `a` and `b` ``).
    pub label: String,
    /// First byte.
    pub offset: u64,
    /// Length.
    pub len: u64,
}

/// Everything a zip holds, byte by byte.
#[derive(Debug, Clone)]
pub struct ZipLayout {
    /// File length.
    pub len: u64,
    /// The end record.
    pub end: EndRecord,
    /// The zip64 end record, if any.
    pub zip64: Option<Zip64End>,
    /// Where the central directory really starts.
    pub cd_start: u64,
    /// Entries in central directory order (all of them, counted or not).
    pub entries: Vec<ZipEntry>,
    /// Bytes nothing explains.
    pub unexplained: Vec<Unexplained>,
    /// What does not fit a plain layout.
    pub anomalies: Vec<Anomaly>,
}

fn read_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

/// A zip timestamp (DOS date and time, no zone: read as UTC) as seconds since the Unix epoch;
/// 0 for an invalid one, as the `zip` crate reads it.
pub fn dos_mtime(date: u16, time: u16) -> i64 {
    let (year, month, day) = (
        1980 + (date >> 9) as i64,
        ((date >> 5) & 0xf) as i64,
        (date & 0x1f) as i64,
    );
    let (hour, minute, second) = (
        (time >> 11) as i64,
        ((time >> 5) & 0x3f) as i64,
        ((time & 0x1f) * 2) as i64,
    );
    // A leap second (60) reads as 58, as the `zip` crate reads it; 62 is invalid.
    if second > 60 {
        return 0;
    }
    crate::date::epoch_of(
        year as i16,
        month as i8,
        day as i8,
        hour as i8,
        minute as i8,
        second.min(58) as i8,
    )
    .unwrap_or(0)
}

/// Extra fields as (tag, data) pairs; `None` when the bytes do not split into whole fields.
fn extra_fields(extra: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < extra.len() {
        if i + 4 > extra.len() {
            return None;
        }
        let tag = le16(extra, i);
        let len = le16(extra, i + 2) as usize;
        let data = extra.get(i + 4..i + 4 + len)?;
        out.push((tag, data));
        i += 4 + len;
    }
    Some(out)
}

impl ZipLayout {
    /// Parse the layout of the zip in `file`. Only what makes the file unreadable as a zip at
    /// all (no end record, a truncated central directory) or what exceeds a limit is an error;
    /// everything else is recorded in [`ZipLayout::anomalies`].
    pub fn parse(path: &Path, file: &File, limits: &WalkLimits) -> Result<ZipLayout, ArchiveError> {
        let io_err = |source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = |detail: String| ArchiveError::Format {
            path: path.to_path_buf(),
            format: "zip",
            detail,
        };
        let len = file.metadata().map_err(io_err)?.len();
        if len < EOCD_LEN {
            return Err(format(format!(
                "{len} bytes, shorter than an end-of-central-directory record"
            )));
        }
        let mut anomalies = Vec::new();
        let mut unexplained = Vec::new();

        // The end record: the last signature in the window, as Python's zipfile picks it.
        let window = len.min(EOCD_SEARCH);
        let tail_start = len - window;
        let tail = read_at(file, tail_start, window as usize).map_err(io_err)?;
        let candidates: Vec<usize> = (0..=tail.len() - EOCD_LEN as usize)
            .filter(|&i| &tail[i..i + 4] == EOCD_SIG)
            .collect();
        let Some(&last) = candidates.last() else {
            return Err(format(
                "no end-of-central-directory record in the last 64 KiB".into(),
            ));
        };
        let comment_len = |i: usize| le16(&tail, i + 20) as usize;
        let fits = |i: usize| i + EOCD_LEN as usize + comment_len(i) == tail.len();
        let eocd_at = if fits(last) {
            last
        } else if let Some(&exact) = candidates.iter().rev().find(|&&i| fits(i)) {
            anomalies.push(Anomaly::new(
                Rule::EndRecord,
                None,
                format!(
                    "two end-of-central-directory records: the last one (at byte {}, which \
                     Python's zipfile reads) hides in the comment of the one at byte {}",
                    tail_start + last as u64,
                    tail_start + exact as u64
                ),
            ));
            exact
        } else {
            let end = last + EOCD_LEN as usize + comment_len(last);
            if end > tail.len() {
                anomalies.push(Anomaly::new(
                    Rule::EndRecord,
                    None,
                    format!(
                        "the archive comment claims {} bytes, only {} remain",
                        comment_len(last),
                        tail.len() - last - EOCD_LEN as usize
                    ),
                ));
            } else {
                let offset = tail_start + end as u64;
                anomalies.push(Anomaly::new(
                    Rule::TrailingData,
                    None,
                    format!(
                        "{} bytes after the end-of-central-directory record",
                        len - offset
                    ),
                ));
                unexplained.push(Unexplained {
                    label: "after the end record".into(),
                    offset,
                    len: len - offset,
                });
            }
            last
        };
        let comment_end = (eocd_at + EOCD_LEN as usize + comment_len(eocd_at)).min(tail.len());
        let end = EndRecord {
            offset: tail_start + eocd_at as u64,
            raw: tail[eocd_at..eocd_at + EOCD_LEN as usize].to_vec(),
            comment: tail[eocd_at + EOCD_LEN as usize..comment_end].to_vec(),
        };
        drop(tail);

        // The zip64 end record, when a locator sits right before the end record.
        let mut zip64 = None;
        if end.offset >= Z64_LOC_LEN {
            let loc_at = end.offset - Z64_LOC_LEN;
            let locator = read_at(file, loc_at, Z64_LOC_LEN as usize).map_err(io_err)?;
            if &locator[..4] == Z64_LOC_SIG {
                let record_at = le64(&locator, 8);
                if le32(&locator, 16) > 1 || le32(&locator, 4) != 0 {
                    anomalies.push(Anomaly::new(
                        Rule::EndRecord,
                        None,
                        "the zip64 locator names several disks".into(),
                    ));
                }
                if record_at
                    .checked_add(Z64_EOCD_MIN)
                    .is_none_or(|e| e > loc_at)
                {
                    return Err(format(format!(
                        "the zip64 locator points at byte {record_at}, not before itself"
                    )));
                }
                let fixed = read_at(file, record_at, Z64_EOCD_MIN as usize).map_err(io_err)?;
                if &fixed[..4] != Z64_EOCD_SIG {
                    return Err(format(format!(
                        "the zip64 locator points at byte {record_at}, where no zip64 end record is"
                    )));
                }
                let size = le64(&fixed, 4).saturating_add(12);
                if size > MAX_ZIP64_END_RECORD {
                    return Err(format(format!(
                        "a zip64 end record of {size} bytes, more than the limit of \
                         {MAX_ZIP64_END_RECORD}"
                    )));
                }
                if size < Z64_EOCD_MIN || record_at + size > loc_at {
                    return Err(format(format!(
                        "the zip64 end record claims {size} bytes, which do not fit before its locator"
                    )));
                }
                let raw = read_at(file, record_at, size as usize).map_err(io_err)?;
                if record_at + size < loc_at {
                    anomalies.push(Anomaly::new(
                        Rule::Gap,
                        None,
                        format!(
                            "{} unused bytes between the zip64 end record and its locator",
                            loc_at - record_at - size
                        ),
                    ));
                    unexplained.push(Unexplained {
                        label: "between the zip64 end record and its locator".into(),
                        offset: record_at + size,
                        len: loc_at - record_at - size,
                    });
                }
                zip64 = Some(Zip64End {
                    locator_offset: loc_at,
                    locator,
                    offset: record_at,
                    raw,
                });
            }
        }

        // The values that locate the central directory, classic or zip64.
        let mut total = end.total_entries() as u64;
        let mut cd_size = end.cd_size() as u64;
        let mut cd_offset = end.cd_offset() as u64;
        let mut several_disks =
            end.disk() != 0 || end.cd_disk() != 0 || end.disk_entries() != end.total_entries();
        if let Some(z) = &zip64 {
            for (what, classic, sentinel, wide) in [
                (
                    "entry count",
                    end.total_entries() as u64,
                    0xffff,
                    z.total_entries(),
                ),
                (
                    "central directory size",
                    end.cd_size() as u64,
                    0xffff_ffff,
                    z.cd_size(),
                ),
                (
                    "central directory offset",
                    end.cd_offset() as u64,
                    0xffff_ffff,
                    z.cd_offset(),
                ),
            ] {
                if classic != sentinel && classic != wide {
                    anomalies.push(Anomaly::new(
                        Rule::Zip64,
                        None,
                        format!(
                            "the end record's {what} is {classic}, the zip64 end record's {wide}"
                        ),
                    ));
                }
            }
            total = z.total_entries();
            cd_size = z.cd_size();
            cd_offset = z.cd_offset();
            several_disks = z.disk() != 0
                || z.cd_disk() != 0
                || z.disk_entries() != z.total_entries()
                || (end.disk() != 0 && end.disk() != 0xffff);
        }
        if several_disks {
            anomalies.push(Anomaly::new(
                Rule::EndRecord,
                None,
                "the end record describes an archive split over several disks".into(),
            ));
        }

        // The central directory ends where the (zip64) end record begins.
        let cd_end = zip64.as_ref().map_or(end.offset, |z| z.offset);
        if cd_size > cd_end {
            return Err(format(format!(
                "the central directory claims {cd_size} bytes, more than the {cd_end} bytes before the end record"
            )));
        }
        if cd_size > MAX_CENTRAL_DIRECTORY {
            return Err(format(format!(
                "a central directory of {cd_size} bytes, more than the limit of {MAX_CENTRAL_DIRECTORY}"
            )));
        }
        let cd_start = cd_end - cd_size;
        // Python's zipfile shifts every offset by the difference (a self-extracting stub before
        // the archive); unzip warns and tries both; the zip crate adjusts too. Follow the shift,
        // and call the archive out.
        let shift = cd_start.saturating_sub(cd_offset);
        if cd_offset != cd_start {
            anomalies.push(Anomaly::new(
                Rule::CentralDirectory,
                None,
                format!(
                    "the end record puts the central directory at byte {cd_offset}, it lies at \
                     byte {cd_start}: readers that trust the offsets and readers that adjust \
                     them read different bytes"
                ),
            ));
        }
        let cd = read_at(file, cd_start, cd_size as usize).map_err(io_err)?;

        let mut entries = Vec::new();
        let mut pos = 0usize;
        while pos < cd.len() {
            if cd.len() - pos < CDH_LEN || &cd[pos..pos + 4] != CDH_SIG {
                anomalies.push(Anomaly::new(
                    Rule::CentralDirectory,
                    None,
                    format!(
                        "{} bytes at the end of the central directory are not an entry",
                        cd.len() - pos
                    ),
                ));
                unexplained.push(Unexplained {
                    label: "in the central directory".into(),
                    offset: cd_start + pos as u64,
                    len: (cd.len() - pos) as u64,
                });
                break;
            }
            if entries.len() >= limits.max_members {
                return Err(format(format!(
                    "more than {} members, the limit",
                    limits.max_members
                )));
            }
            let raw = &cd[pos..pos + CDH_LEN];
            let (n, e, c) = (
                le16(raw, 28) as usize,
                le16(raw, 30) as usize,
                le16(raw, 32) as usize,
            );
            let var = pos + CDH_LEN;
            if var + n + e + c > cd.len() {
                anomalies.push(Anomaly::new(
                    Rule::CentralDirectory,
                    None,
                    "the last central directory entry runs past the directory's end".into(),
                ));
                break;
            }
            let raw_name = cd[var..var + n].to_vec();
            let extra = cd[var + n..var + n + e].to_vec();
            let comment = cd[var + n + e..var + n + e + c].to_vec();
            pos = var + n + e + c;
            entries.push(central_entry(
                raw.to_vec(),
                raw_name,
                extra,
                comment,
                shift,
                &mut anomalies,
            ));
        }
        if entries.len() as u64 != total {
            let hidden: Vec<String> = entries
                .iter()
                .skip(total as usize)
                .take(3)
                .map(|e| format!("`{}`", e.name))
                .collect();
            anomalies.push(Anomaly::new(
                Rule::HiddenEntry,
                None,
                if (entries.len() as u64) > total {
                    format!(
                        "the end record counts {total} entries, the central directory holds {} \
                         ({}{}): readers that trust the count do not see them",
                        entries.len(),
                        hidden.join(", "),
                        if entries.len() as u64 - total > 3 {
                            ", …"
                        } else {
                            ""
                        }
                    )
                } else {
                    format!(
                        "the end record counts {total} entries, the central directory holds {}",
                        entries.len()
                    )
                },
            ));
        }

        for entry in &mut entries {
            local_entry(file, entry, cd_start, &mut anomalies).map_err(io_err)?;
        }

        // Every byte from 0 to the central directory belongs to exactly one entry.
        let mut spans: Vec<(u64, u64, &str)> = entries
            .iter()
            .filter(|e| e.local.is_some())
            .map(|e| (e.central.local_offset, e.end, e.name.as_str()))
            .collect();
        spans.sort();
        let mut cursor = 0u64;
        let mut previous: Option<&str> = None;
        let mut gaps = Vec::new();
        for &(start, stop, name) in &spans {
            if start > cursor {
                gaps.push((cursor, start, previous, Some(name)));
            } else if start < cursor {
                anomalies.push(Anomaly::new(
                    Rule::Overlap,
                    Some(name.to_string()),
                    format!(
                        "starts at byte {start}, inside `{}` (overlapping entries: a zip bomb, or \
                         one member hiding in another)",
                        previous.unwrap_or("")
                    ),
                ));
            }
            if stop > cursor {
                cursor = stop;
                previous = Some(name);
            }
        }
        if cd_start > cursor {
            gaps.push((cursor, cd_start, previous, None));
        } else if cursor > cd_start {
            anomalies.push(Anomaly::new(
                Rule::Overlap,
                previous.map(str::to_string),
                "runs into the central directory".into(),
            ));
        }
        for (from, to, before, after) in gaps {
            let label = match (before, after) {
                (None, Some(_)) => "before the first entry".to_string(),
                (None, None) => "before the central directory".to_string(),
                (Some(a), Some(b)) => format!("between `{a}` and `{b}`"),
                (Some(a), None) => format!("between `{a}` and the central directory"),
            };
            let rule = if before.is_none() && after.is_some() {
                Rule::LeadingData
            } else {
                Rule::Gap
            };
            anomalies.push(Anomaly::new(
                rule,
                None,
                format!("{} unused bytes {label}", to - from),
            ));
            if let Some(hidden) = hidden_local_header(file, from, to).map_err(io_err)? {
                anomalies.push(Anomaly::new(
                    Rule::HiddenEntry,
                    None,
                    format!(
                        "the unused bytes {label} hold a local header for `{hidden}`, an entry \
                         only a reader that scans local headers sees"
                    ),
                ));
            }
            unexplained.push(Unexplained {
                label,
                offset: from,
                len: to - from,
            });
        }
        unexplained.sort_by_key(|u| u.offset);
        Ok(ZipLayout {
            len,
            end,
            zip64,
            cd_start,
            entries,
            unexplained,
            anomalies,
        })
    }

    /// The first anomaly that makes the archive unsafe to trust, if any.
    pub fn refusal(&self) -> Option<&Anomaly> {
        self.anomalies.iter().find(|a| !a.rule.harmless())
    }

    /// A reader of entry `i`'s compressed bytes.
    pub fn raw<'a>(&self, file: &'a File, i: usize) -> SpanReader<'a> {
        let e = &self.entries[i];
        SpanReader {
            file,
            pos: e.data_start,
            end: e.data_start + e.central.compressed,
        }
    }

    /// A reader of entry `i`'s content, checked as it streams: it fails once the content
    /// exceeds the declared size, the member limit, the compression ratio or the `budget`, and
    /// at the end unless the size, the CRC-32 and the compressed length all match.
    pub fn open<'a>(
        &self,
        file: &'a File,
        i: usize,
        limits: &WalkLimits,
        budget: &'a Budget,
    ) -> io::Result<MemberReader<'a>> {
        let e = &self.entries[i];
        let raw = BufReader::with_capacity(64 * 1024, self.raw(file, i));
        let inner = match e.central.method() {
            STORED => Inner::Stored(raw),
            DEFLATED => Inner::Deflated(flate2::bufread::DeflateDecoder::new(raw)),
            m => {
                return Err(super::refusal(
                    Rule::Method,
                    format!("compression method {m} is not supported"),
                ));
            }
        };
        Ok(MemberReader {
            inner,
            declared: e.central.size,
            compressed: e.central.compressed,
            crc: e.central.crc(),
            hasher: crc32fast::Hasher::new(),
            produced: 0,
            limits: *limits,
            budget,
            done: false,
        })
    }
}

/// Decode one central directory record (the parts that need no other read).
fn central_entry(
    raw: Vec<u8>,
    raw_name: Vec<u8>,
    extra: Vec<u8>,
    comment: Vec<u8>,
    shift: u64,
    anomalies: &mut Vec<Anomaly>,
) -> ZipEntry {
    let flags = le16(&raw, 8);
    let name = match std::str::from_utf8(&raw_name) {
        Ok(s) if flags & FLAG_UTF8 != 0 || s.is_ascii() => s.to_string(),
        Ok(s) => {
            anomalies.push(Anomaly::new(
                Rule::NameEncoding,
                Some(s.to_string()),
                "a non-ASCII name without the UTF-8 flag: Python's zipfile decodes it as CP437, \
                 other readers as UTF-8"
                    .into(),
            ));
            s.to_string()
        }
        Err(_) => {
            let lossy = String::from_utf8_lossy(&raw_name).into_owned();
            anomalies.push(Anomaly::new(
                Rule::NameEncoding,
                Some(lossy.clone()),
                "a name that is not valid UTF-8: readers decode it differently".into(),
            ));
            lossy
        }
    };
    let mut size = le32(&raw, 24) as u64;
    let mut compressed = le32(&raw, 20) as u64;
    let mut local_offset = le32(&raw, 42) as u64;
    match extra_fields(&extra) {
        None => anomalies.push(Anomaly::new(
            Rule::ExtraField,
            Some(name.clone()),
            "the central directory's extra fields do not split into whole fields (Python's \
             zipfile refuses them)"
                .into(),
        )),
        Some(fields) => {
            for (tag, data) in fields {
                match tag {
                    0x0001 => {
                        let mut at = 0;
                        let mut next = |value: &mut u64, sentinel: bool| {
                            if sentinel {
                                match data.get(at..at + 8) {
                                    Some(b) => *value = le64(b, 0),
                                    None => anomalies.push(Anomaly::new(
                                        Rule::Zip64,
                                        Some(name.clone()),
                                        "the zip64 extra field is shorter than its header says"
                                            .into(),
                                    )),
                                }
                                at += 8;
                            }
                        };
                        next(&mut size, le32(&raw, 24) == 0xffff_ffff);
                        next(&mut compressed, le32(&raw, 20) == 0xffff_ffff);
                        next(&mut local_offset, le32(&raw, 42) == 0xffff_ffff);
                    }
                    0x7075 => {
                        // Info-ZIP Unicode Path: unzip extracts under this name when the CRC of
                        // the header's name matches.
                        let named = data.get(5..).map(String::from_utf8_lossy);
                        if named.as_deref() != Some(name.as_str()) {
                            anomalies.push(Anomaly::new(
                                Rule::NameEncoding,
                                Some(name.clone()),
                                format!(
                                    "a Unicode Path extra field names `{}`: unzip extracts the \
                                     entry under that name",
                                    named.unwrap_or_default()
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if le16(&raw, 34) != 0 {
        anomalies.push(Anomaly::new(
            Rule::EndRecord,
            Some(name.clone()),
            "the entry starts on another disk".into(),
        ));
    }
    if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADER) != 0 {
        anomalies.push(Anomaly::new(
            Rule::Encrypted,
            Some(name.clone()),
            "an encrypted entry".into(),
        ));
    }
    let method = le16(&raw, 10);
    if method != STORED && method != DEFLATED {
        anomalies.push(Anomaly::new(
            Rule::Method,
            Some(name.clone()),
            format!(
                "compression method {method}, which repro does not read (stored and deflate only)"
            ),
        ));
    }
    if method == STORED && compressed != size {
        anomalies.push(Anomaly::new(
            Rule::Corrupt,
            Some(name.clone()),
            format!("a stored entry of {size} bytes with {compressed} compressed bytes"),
        ));
    }
    let host = le16(&raw, 4) >> 8;
    let external = le32(&raw, 38);
    let unix = external >> 16;
    let is_link_mode = unix & 0o170000 == 0o120000;
    if is_link_mode && host != 3 {
        anomalies.push(Anomaly::new(
            Rule::EntryType,
            Some(name.clone()),
            format!("a symbolic-link mode on an entry made by host {host}: readers disagree on whether it is a link"),
        ));
    }
    let kind = if raw_name.last() == Some(&b'/') {
        MemberKind::Dir
    } else if is_link_mode && host == 3 {
        MemberKind::Symlink
    } else {
        MemberKind::File
    };
    let mode = match host {
        _ if external == 0 => 0,
        3 => unix & 0o7777,
        0 => {
            let dos = external & 0xff;
            let mut m = if dos & 0x10 != 0 { 0o775 } else { 0o664 };
            if dos & 0x01 != 0 {
                m &= !0o222;
            }
            m
        }
        _ => 0,
    };
    ZipEntry {
        name,
        raw_name,
        mtime: dos_mtime(le16(&raw, 14), le16(&raw, 12)),
        central: CentralHeader {
            raw,
            extra,
            comment,
            compressed,
            size,
            local_offset: local_offset.saturating_add(shift),
        },
        local: None,
        data_start: 0,
        descriptor: None,
        end: 0,
        kind,
        mode,
    }
}

/// Read the local header an entry points at, compare it with the central directory, and find
/// where the entry's data and descriptor end.
fn local_entry(
    file: &File,
    e: &mut ZipEntry,
    cd_start: u64,
    anomalies: &mut Vec<Anomaly>,
) -> io::Result<()> {
    let at = e.central.local_offset;
    let mut refuse = |rule: Rule, detail: String| {
        anomalies.push(Anomaly::new(rule, Some(e.name.clone()), detail));
    };
    if at.checked_add(LFH_LEN).is_none_or(|end| end > cd_start) {
        refuse(
            Rule::LocalHeader,
            format!("the central directory points at byte {at}, past the entries"),
        );
        return Ok(());
    }
    let fixed = read_at(file, at, LFH_LEN as usize)?;
    if &fixed[..4] != LFH_SIG {
        refuse(
            Rule::LocalHeader,
            format!("the central directory points at byte {at}, where no local header is"),
        );
        return Ok(());
    }
    let (n, x) = (le16(&fixed, 26) as u64, le16(&fixed, 28) as u64);
    let data_start = at + LFH_LEN + n + x;
    if data_start > cd_start {
        refuse(
            Rule::LocalHeader,
            "the local header runs into the central directory".into(),
        );
        return Ok(());
    }
    let var = read_at(file, at + LFH_LEN, (n + x) as usize)?;
    let local = LocalHeader {
        raw: fixed,
        name: var[..n as usize].to_vec(),
        extra: var[n as usize..].to_vec(),
    };
    let c = &e.central;
    if local.name != e.raw_name {
        refuse(
            Rule::LocalHeader,
            format!(
                "the local header names `{}`, the central directory `{}`",
                String::from_utf8_lossy(&local.name),
                e.name
            ),
        );
    }
    if local.flags() != c.flags() {
        refuse(
            Rule::LocalHeader,
            format!(
                "general-purpose flags {:#06x} in the local header, {:#06x} in the central directory",
                local.flags(),
                c.flags()
            ),
        );
    }
    if local.method() != c.method() {
        refuse(
            Rule::LocalHeader,
            format!(
                "compression method {} in the local header, {} in the central directory",
                local.method(),
                c.method()
            ),
        );
    }
    let local_fields = extra_fields(&local.extra);
    let local_zip64 = local_fields
        .as_ref()
        .and_then(|f| f.iter().find(|(t, _)| *t == 0x0001).map(|(_, d)| *d));
    let (mut lsize, mut lcomp) = (le32(&local.raw, 22) as u64, le32(&local.raw, 18) as u64);
    if let Some(d) = local_zip64 {
        // In a local header the zip64 field holds both sizes when either is a sentinel.
        if lsize == 0xffff_ffff || lcomp == 0xffff_ffff {
            match (d.get(0..8), d.get(8..16)) {
                (Some(s), Some(k)) => {
                    lsize = le64(s, 0);
                    lcomp = le64(k, 0);
                }
                _ => refuse(
                    Rule::Zip64,
                    "the local zip64 extra field is too short for both sizes".into(),
                ),
            }
        }
    }
    let agrees = |local: u64, central: u64| local == central;
    let descriptor_flag = c.flags() & FLAG_DESCRIPTOR != 0;
    let values = [
        ("CRC-32", local.crc() as u64, c.crc() as u64),
        ("compressed size", lcomp, c.compressed),
        ("size", lsize, c.size),
    ];
    for (what, l, cv) in values {
        // With a data descriptor the local header may leave these as zero.
        if !(agrees(l, cv) || descriptor_flag && l == 0) {
            refuse(
                Rule::LocalHeader,
                format!("{what} {l} in the local header, {cv} in the central directory"),
            );
        }
    }
    if le16(&local.raw, 4) != le16(&c.raw, 6) {
        refuse(
            Rule::LocalHeaderMetadata,
            format!(
                "version needed {} in the local header, {} in the central directory",
                le16(&local.raw, 4),
                le16(&c.raw, 6)
            ),
        );
    }
    if local.raw[10..14] != c.raw[12..16] {
        refuse(
            Rule::LocalHeaderMetadata,
            "the local header's DOS time differs from the central directory's".into(),
        );
    }
    match &local_fields {
        None => refuse(
            Rule::ExtraField,
            "the local header's extra fields do not split into whole fields".into(),
        ),
        Some(fields) => {
            for (_, data) in fields.iter().filter(|(t, _)| *t == 0x7075) {
                let named = data.get(5..).map(String::from_utf8_lossy);
                if named.as_deref() != Some(e.name.as_str()) {
                    refuse(
                        Rule::NameEncoding,
                        format!(
                            "the local header's Unicode Path extra field names `{}`",
                            named.unwrap_or_default()
                        ),
                    );
                }
            }
        }
    }
    let Some(data_end) = data_start
        .checked_add(c.compressed)
        .filter(|&end| end <= cd_start)
    else {
        refuse(
            Rule::Overlap,
            format!(
                "{} compressed bytes from byte {data_start} run into the central directory",
                c.compressed
            ),
        );
        e.local = Some(local);
        e.data_start = data_start;
        e.end = cd_start.max(data_start);
        return Ok(());
    };
    e.data_start = data_start;
    e.end = data_end;
    if descriptor_flag {
        let wide = local_zip64.is_some();
        let w = if wide { 8 } else { 4 };
        let avail = (cd_start - data_end).min(24) as usize;
        let bytes = read_at(file, data_end, avail)?;
        let off = if bytes.starts_with(DD_SIG) { 4 } else { 0 };
        let need = off + 4 + 2 * w;
        if need > bytes.len() {
            refuse(
                Rule::DataDescriptor,
                "the flags announce a data descriptor, none follows the data".into(),
            );
        } else {
            let crc = le32(&bytes, off) as u64;
            let (comp, size) = if wide {
                (le64(&bytes, off + 4), le64(&bytes, off + 12))
            } else {
                (le32(&bytes, off + 4) as u64, le32(&bytes, off + 8) as u64)
            };
            if crc != c.crc() as u64 || comp != c.compressed || size != c.size {
                refuse(
                    Rule::DataDescriptor,
                    format!(
                        "the data descriptor says CRC-32 {crc:08x}, {comp} compressed, {size} bytes; \
                         the central directory {:08x}, {}, {}",
                        c.crc(),
                        c.compressed,
                        c.size
                    ),
                );
            }
            e.descriptor = Some(bytes[..need].to_vec());
            e.end = data_end + need as u64;
        }
    }
    e.local = Some(local);
    Ok(())
}

/// Most bytes of an unused region scanned for a hidden local header.
const HIDDEN_SCAN: u64 = 16 * 1024 * 1024;

/// The name in the first local header signature found in `from..to`, if any.
fn hidden_local_header(file: &File, from: u64, to: u64) -> io::Result<Option<String>> {
    let len = (to - from).min(HIDDEN_SCAN) as usize;
    let bytes = read_at(file, from, len)?;
    let Some(p) = bytes.windows(4).position(|w| w == LFH_SIG) else {
        return Ok(None);
    };
    let name = bytes.get(p + 30..).and_then(|rest| {
        let n = le16(&bytes, p + 26) as usize;
        rest.get(..n)
    });
    Ok(Some(
        name.map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_else(|| "(unreadable name)".into()),
    ))
}

/// Reads a byte range of a file with positioned reads (no shared seek position).
#[derive(Debug)]
pub struct SpanReader<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl Read for SpanReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ends inside the member's data",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

enum Inner<'a> {
    Stored(BufReader<SpanReader<'a>>),
    Deflated(flate2::bufread::DeflateDecoder<BufReader<SpanReader<'a>>>),
}

/// A member's content, checked while it streams (see [`ZipLayout::open`]).
pub struct MemberReader<'a> {
    inner: Inner<'a>,
    declared: u64,
    compressed: u64,
    crc: u32,
    hasher: crc32fast::Hasher,
    produced: u64,
    limits: WalkLimits,
    budget: &'a Budget,
    done: bool,
}

fn corrupt(detail: String) -> io::Error {
    super::refusal(Rule::Corrupt, detail)
}

impl MemberReader<'_> {
    fn finish(&mut self) -> io::Result<()> {
        if self.produced < self.declared {
            return Err(corrupt(format!(
                "truncated: the content ends after {} of the declared {} bytes",
                self.produced, self.declared
            )));
        }
        let crc = std::mem::take(&mut self.hasher).finalize();
        if crc != self.crc {
            return Err(corrupt(format!(
                "CRC-32 {crc:08x} of the content, {:08x} declared",
                self.crc
            )));
        }
        if let Inner::Deflated(d) = &self.inner {
            let buffered = d.get_ref().buffer().len() as u64;
            let span = d.get_ref().get_ref();
            let left = buffered + (span.end - span.pos);
            if left > 0 {
                return Err(corrupt(format!(
                    "{left} of its {} compressed bytes follow the end of the deflate stream",
                    self.compressed
                )));
            }
        }
        Ok(())
    }
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = match &mut self.inner {
            Inner::Stored(r) => r.read(buf)?,
            Inner::Deflated(d) => d.read(buf)?,
        };
        if n == 0 {
            self.done = true;
            self.finish()?;
            return Ok(0);
        }
        self.produced += n as u64;
        if self.produced > self.declared {
            return Err(super::refusal(
                Rule::Bomb,
                format!(
                    "inflates beyond its declared size of {} bytes (a zip bomb)",
                    self.declared
                ),
            ));
        }
        super::check_ratio(self.produced, self.compressed, &self.limits)?;
        self.budget.spend(n as u64)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
