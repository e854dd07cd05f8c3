//! Archive walking: stream the members of a wheel or zip, or of a `.crate` / sdist `.tar.gz`,
//! with their metadata and SHA-256, bounded against hostile archives.
//!
//! Every walk checks, and refuses with an [`ArchiveError`] naming the member:
//! absolute or `..` paths, duplicate member names, links that leave the archive, device and
//! FIFO members, a zip whose local headers disagree with its central directory, and
//! decompression bombs (a member or the whole archive beyond [`WalkLimits`], or a
//! compression ratio beyond the limit). Memory stays bounded: members are streamed through a
//! fixed buffer, never held whole.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::digest::HASH_BUFFER;

/// Bounds on what a walk will read.
#[derive(Debug, Clone, Copy)]
pub struct WalkLimits {
    /// Most members in one archive.
    pub max_members: usize,
    /// Largest uncompressed member.
    pub max_member_bytes: u64,
    /// Largest total uncompressed size.
    pub max_total_bytes: u64,
    /// Highest uncompressed:compressed ratio, checked once a member (or a tar stream) passes
    /// [`WalkLimits::ratio_floor`] bytes.
    pub max_ratio: u64,
    /// Sizes below which the ratio is not checked (small, highly compressible files are normal).
    pub ratio_floor: u64,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_members: 200_000,
            max_member_bytes: 2 * 1024 * 1024 * 1024,
            max_total_bytes: 8 * 1024 * 1024 * 1024,
            max_ratio: 1_000,
            ratio_floor: 16 * 1024 * 1024,
        }
    }
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
    /// Detect by magic bytes.
    pub fn sniff(path: &Path) -> io::Result<Option<Self>> {
        let mut head = [0u8; 262];
        let mut f = File::open(path)?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..])? {
                0 => break,
                k => n += k,
            }
        }
        Ok(
            if head[..n].starts_with(b"PK\x03\x04") || head[..n].starts_with(b"PK\x05\x06") {
                Some(ArchiveFormat::Zip)
            } else if head[..n].starts_with(&[0x1f, 0x8b]) {
                Some(ArchiveFormat::TarGz)
            } else if n >= 262 && &head[257..262] == b"ustar" {
                Some(ArchiveFormat::Tar)
            } else {
                None
            },
        )
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
    /// Not a readable archive of the expected format.
    #[error("`{}` is not a valid {format} archive: {detail}", path.display())]
    Format {
        /// The archive.
        path: PathBuf,
        /// Which format.
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A member breaks a safety rule.
    #[error("`{}!/{member}`: {detail}", path.display())]
    Unsafe {
        /// The archive.
        path: PathBuf,
        /// The member.
        member: String,
        /// Which rule.
        detail: String,
    },
}

/// Why a member path is unsafe, if it is.
pub fn unsafe_path(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("empty member name");
    }
    if name.contains('\0') {
        return Some("NUL byte in member name");
    }
    let normalized = name.replace('\\', "/");
    if normalized.starts_with('/') || normalized.as_bytes().get(1) == Some(&b':') {
        return Some("absolute path");
    }
    if Path::new(&normalized)
        .components()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return Some("path escapes the archive with `..`");
    }
    None
}

/// Whether a link at `member` pointing at `target` stays inside the archive.
fn link_escapes(member: &str, target: &str) -> bool {
    if target.starts_with('/') || target.contains('\0') {
        return true;
    }
    let mut depth: i64 = member.split('/').filter(|s| !s.is_empty()).count() as i64 - 1;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

/// Hash a member's content through a fixed buffer, refusing more than `limit` bytes.
fn hash_member(mut r: impl Read, limit: u64) -> io::Result<(u64, String, bool)> {
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if total > limit {
            return Ok((total, String::new(), true));
        }
        h.update(&buf[..n]);
    }
    Ok((total, hex::encode(h.finalize()), false))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm, the inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// A zip timestamp as seconds since the Unix epoch (zip times carry no zone: read as UTC).
pub(crate) fn zip_mtime(dt: Option<zip::DateTime>) -> i64 {
    dt.map(|t| {
        days_from_civil(t.year() as i64, t.month() as i64, t.day() as i64) * 86_400
            + t.hour() as i64 * 3600
            + t.minute() as i64 * 60
            + t.second() as i64
    })
    .unwrap_or(0)
}

/// Walk the archive at `path`, of the format its magic bytes say.
pub fn walk(path: &Path, limits: &WalkLimits) -> Result<Vec<Member>, ArchiveError> {
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    match ArchiveFormat::sniff(path).map_err(io)? {
        Some(ArchiveFormat::Zip) => walk_zip(path, limits),
        Some(ArchiveFormat::TarGz) => {
            let f = File::open(path).map_err(io)?;
            let compressed = f.metadata().map_err(io)?.len();
            let gz = flate2::read::GzDecoder::new(BufReader::with_capacity(HASH_BUFFER, f));
            walk_tar(path, gz, Some(compressed), limits)
        }
        Some(ArchiveFormat::Tar) => {
            let f = File::open(path).map_err(io)?;
            walk_tar(path, BufReader::with_capacity(HASH_BUFFER, f), None, limits)
        }
        None => Err(ArchiveError::Format {
            path: path.to_path_buf(),
            format: "zip or tar",
            detail: "unrecognised magic bytes".into(),
        }),
    }
}

/// Walk a zip archive.
pub fn walk_zip(path: &Path, limits: &WalkLimits) -> Result<Vec<Member>, ArchiveError> {
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let format_err = |detail: String| ArchiveError::Format {
        path: path.to_path_buf(),
        format: "zip",
        detail,
    };
    let unsafe_member = |member: &str, detail: String| ArchiveError::Unsafe {
        path: path.to_path_buf(),
        member: member.to_string(),
        detail,
    };
    let file = File::open(path).map_err(io)?;
    let mut archive = zip::ZipArchive::new(BufReader::with_capacity(HASH_BUFFER, file))
        .map_err(|e| format_err(e.to_string()))?;
    if archive.len() > limits.max_members {
        return Err(format_err(format!(
            "{} members, more than the limit of {}",
            archive.len(),
            limits.max_members
        )));
    }
    let mut raw = File::open(path).map_err(io)?;
    let mut seen = HashSet::with_capacity(archive.len());
    let mut members = Vec::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        // Central directory entry, and the local header it points at.
        let (name, header_start, method, declared, compressed, is_dir, is_symlink, mode, mtime) = {
            let entry = archive
                .by_index_raw(i)
                .map_err(|e| format_err(e.to_string()))?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            (
                name,
                entry.header_start(),
                entry.compression(),
                entry.size(),
                entry.compressed_size(),
                entry.is_dir(),
                entry.is_symlink(),
                entry.unix_mode().unwrap_or(0),
                zip_mtime(entry.last_modified()),
            )
        };
        if let Some(why) = unsafe_path(&name) {
            return Err(unsafe_member(&name, why.into()));
        }
        if !seen.insert(name.clone()) {
            return Err(unsafe_member(&name, "duplicate member name".into()));
        }
        check_local_header(&mut raw, header_start, &name, method)
            .map_err(|detail| unsafe_member(&name, detail))?;
        if declared > limits.max_member_bytes {
            return Err(unsafe_member(
                &name,
                format!(
                    "declares {declared} bytes, more than the member limit of {}",
                    limits.max_member_bytes
                ),
            ));
        }
        let mut entry = archive
            .by_index(i)
            .map_err(|e| format_err(format!("{name}: {e}")))?;
        let kind = if is_dir {
            MemberKind::Dir
        } else if is_symlink {
            MemberKind::Symlink
        } else {
            MemberKind::File
        };
        let (size, sha, over) = hash_member(&mut entry, limits.max_member_bytes.min(declared))
            .map_err(|e| unsafe_member(&name, format!("cannot decompress: {e}")))?;
        if over {
            return Err(unsafe_member(
                &name,
                "inflates beyond its declared size (a zip bomb)".into(),
            ));
        }
        if size > limits.ratio_floor && size / compressed.max(1) > limits.max_ratio {
            return Err(unsafe_member(
                &name,
                format!(
                    "compression ratio {}:1 exceeds {}:1 (a zip bomb)",
                    size / compressed.max(1),
                    limits.max_ratio
                ),
            ));
        }
        total += size;
        if total > limits.max_total_bytes {
            return Err(unsafe_member(
                &name,
                format!("archive inflates beyond {} bytes", limits.max_total_bytes),
            ));
        }
        let mut member = Member {
            path: name.clone(),
            kind,
            size,
            mode: mode & 0o7777,
            mtime,
            sha256: None,
            link: None,
        };
        if kind == MemberKind::Symlink {
            // A zip symlink's content is its target.
            drop(entry);
            let mut target = String::new();
            archive
                .by_index(i)
                .map_err(|e| format_err(e.to_string()))?
                .take(4096)
                .read_to_string(&mut target)
                .map_err(|e| unsafe_member(&name, format!("unreadable link target: {e}")))?;
            if link_escapes(&name, &target) {
                return Err(unsafe_member(
                    &name,
                    format!("symlink to `{target}` leaves the archive"),
                ));
            }
            member.link = Some(target);
        } else if kind == MemberKind::File {
            member.sha256 = Some(sha);
        }
        members.push(member);
    }
    Ok(members)
}

/// Compare a local file header with its central directory entry.
fn check_local_header(
    raw: &mut File,
    offset: u64,
    name: &str,
    method: zip::CompressionMethod,
) -> Result<(), String> {
    let mut fixed = [0u8; 30];
    raw.seek(SeekFrom::Start(offset))
        .and_then(|_| raw.read_exact(&mut fixed))
        .map_err(|e| format!("local header unreadable: {e}"))?;
    if fixed[..4] != [0x50, 0x4b, 0x03, 0x04] {
        return Err("central directory points at no local header".into());
    }
    let local_method = u16::from_le_bytes([fixed[8], fixed[9]]);
    let name_len = u16::from_le_bytes([fixed[26], fixed[27]]) as usize;
    let mut local_name = vec![0u8; name_len];
    raw.read_exact(&mut local_name)
        .map_err(|e| format!("local header name unreadable: {e}"))?;
    if local_name != name.as_bytes() && String::from_utf8_lossy(&local_name) != name {
        return Err(format!(
            "local header names `{}`, central directory names `{name}`",
            String::from_utf8_lossy(&local_name)
        ));
    }
    #[allow(deprecated)]
    let central_method = method.to_u16();
    if local_method != central_method {
        return Err(format!(
            "local header compression method {local_method} differs from central directory's {central_method}"
        ));
    }
    Ok(())
}

/// Walk a tar stream.
pub fn walk_tar(
    path: &Path,
    reader: impl Read,
    compressed_size: Option<u64>,
    limits: &WalkLimits,
) -> Result<Vec<Member>, ArchiveError> {
    let format_err = |detail: String| ArchiveError::Format {
        path: path.to_path_buf(),
        format: "tar",
        detail,
    };
    let unsafe_member = |member: &str, detail: String| ArchiveError::Unsafe {
        path: path.to_path_buf(),
        member: member.to_string(),
        detail,
    };
    let mut archive = tar::Archive::new(reader);
    let mut seen = HashSet::new();
    let mut members = Vec::new();
    let mut total = 0u64;
    for entry in archive.entries().map_err(|e| format_err(e.to_string()))? {
        let mut entry = entry.map_err(|e| format_err(e.to_string()))?;
        if members.len() >= limits.max_members {
            return Err(format_err(format!(
                "more than {} members",
                limits.max_members
            )));
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let header = entry.header();
        let mode = header.mode().unwrap_or(0) & 0o7777;
        let mtime = header.mtime().unwrap_or(0) as i64;
        let declared = header.size().unwrap_or(0);
        let etype = header.entry_type();
        if etype.is_pax_global_extensions()
            || etype.is_pax_local_extensions()
            || etype.is_gnu_longname()
            || etype.is_gnu_longlink()
        {
            continue;
        }
        if let Some(why) = unsafe_path(&name) {
            return Err(unsafe_member(&name, why.into()));
        }
        let kind = if etype.is_file() || etype.is_contiguous() {
            MemberKind::File
        } else if etype.is_dir() {
            MemberKind::Dir
        } else if etype.is_symlink() {
            MemberKind::Symlink
        } else if etype.is_hard_link() {
            MemberKind::Hardlink
        } else {
            return Err(unsafe_member(
                &name,
                format!("unsupported member type {:?}", etype.as_byte() as char),
            ));
        };
        // A directory may legitimately repeat (`a/` then files in it); a file may not.
        if kind != MemberKind::Dir && !seen.insert(name.trim_end_matches('/').to_string()) {
            return Err(unsafe_member(&name, "duplicate member name".into()));
        }
        if declared > limits.max_member_bytes {
            return Err(unsafe_member(
                &name,
                format!(
                    "declares {declared} bytes, more than the member limit of {}",
                    limits.max_member_bytes
                ),
            ));
        }
        let mut member = Member {
            path: name.clone(),
            kind,
            size: declared,
            mode,
            mtime,
            sha256: None,
            link: None,
        };
        match kind {
            MemberKind::File => {
                let (size, sha, over) = hash_member(&mut entry, limits.max_member_bytes)
                    .map_err(|e| unsafe_member(&name, format!("truncated or corrupt: {e}")))?;
                if over {
                    return Err(unsafe_member(&name, "member exceeds the size limit".into()));
                }
                if size != declared {
                    return Err(unsafe_member(
                        &name,
                        format!("truncated: {size} of {declared} bytes"),
                    ));
                }
                member.sha256 = Some(sha);
                total += size;
            }
            MemberKind::Symlink | MemberKind::Hardlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let escapes = if kind == MemberKind::Hardlink {
                    // A hard link names another member by its path from the archive root.
                    unsafe_path(&target).is_some()
                } else {
                    link_escapes(&name, &target)
                };
                if escapes {
                    return Err(unsafe_member(
                        &name,
                        format!("link to `{target}` leaves the archive"),
                    ));
                }
                member.link = Some(target);
            }
            MemberKind::Dir => {}
        }
        if total > limits.max_total_bytes {
            return Err(unsafe_member(
                &name,
                format!("archive inflates beyond {} bytes", limits.max_total_bytes),
            ));
        }
        if let Some(c) = compressed_size
            && total > limits.ratio_floor
            && total / c.max(1) > limits.max_ratio
        {
            return Err(unsafe_member(
                &name,
                format!(
                    "compression ratio {}:1 exceeds {}:1 (a gzip bomb)",
                    total / c.max(1),
                    limits.max_ratio
                ),
            ));
        }
        members.push(member);
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(entries: &[(&str, &[u8])]) -> tempfile::NamedTempFile {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut w = zip::ZipWriter::new(tmp.reopen().unwrap());
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        tmp
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
            err.contains("local header names `pkg/b.py`, central directory names `pkg/a.py`"),
            "{err}"
        );
    }

    #[test]
    fn refuses_duplicate_members() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        {
            let gz = flate2::write::GzEncoder::new(
                tmp.reopen().unwrap(),
                flate2::Compression::default(),
            );
            let mut b = tar::Builder::new(gz);
            for body in [&b"one"[..], &b"two"[..]] {
                let mut h = tar::Header::new_gnu();
                h.set_size(3);
                h.set_mode(0o644);
                h.set_cksum();
                b.append_data(&mut h, "pkg-1.0/setup.py", body).unwrap();
            }
            b.into_inner().unwrap().finish().unwrap();
        }
        let err = walk(tmp.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pkg-1.0/setup.py") && err.contains("duplicate"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_zip_bomb_by_ratio() {
        let zeros = vec![0u8; 20 * 1024 * 1024];
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let mut w = zip::ZipWriter::new(tmp.reopen().unwrap());
        w.start_file(
            "bomb",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(&zeros).unwrap();
        w.finish().unwrap();
        let err = walk(tmp.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("zip bomb"), "{err}");
    }

    #[test]
    fn walks_tar_gz_and_refuses_escaping_symlink() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        {
            let gz = flate2::write::GzEncoder::new(
                tmp.reopen().unwrap(),
                flate2::Compression::default(),
            );
            let mut b = tar::Builder::new(gz);
            let mut h = tar::Header::new_gnu();
            h.set_size(3);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, "pkg-1.0/a.rs", &b"abc"[..]).unwrap();
            let mut l = tar::Header::new_gnu();
            l.set_entry_type(tar::EntryType::Symlink);
            l.set_size(0);
            b.append_link(&mut l, "pkg-1.0/link", "../../etc/passwd")
                .unwrap();
            b.into_inner().unwrap().finish().unwrap();
        }
        let err = walk(tmp.path(), &WalkLimits::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pkg-1.0/link") && err.contains("leaves the archive"),
            "{err}"
        );
    }

    #[test]
    fn link_escape_rules() {
        assert!(!link_escapes("a/b/link", "../c"));
        assert!(link_escapes("a/link", "../../c"));
        assert!(link_escapes("link", "/etc/passwd"));
        assert!(!link_escapes("a/link", "./b"));
    }

    #[test]
    fn unsafe_paths() {
        assert!(unsafe_path("/etc/passwd").is_some());
        assert!(unsafe_path("a/../../b").is_some());
        assert!(unsafe_path("C:\\x").is_some());
        assert!(unsafe_path("a/b.py").is_none());
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(
            civil_from_days(days_from_civil(2026, 12, 31)),
            (2026, 12, 31)
        );
    }
}
