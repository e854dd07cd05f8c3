//! Zip and tar(.gz) comparators: members matched by name, then every header field named.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::archive::{ArchiveFormat, Member, MemberKind};
use crate::diff::bytes::{content_difference, preview, streams_equal};
use crate::diff::{DiffError, DiffOptions, Difference, Kind, compare, io_error, join};

/// Zip fields of one member that the walker does not report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ZipFields {
    method: u16,
    crc: u32,
    compressed: u64,
    external: u32,
    comment: String,
    local_extra: Vec<u8>,
    central_extra: Vec<u8>,
}

fn zip_fields(path: &Path) -> Result<(HashMap<String, ZipFields>, String), DiffError> {
    let f = File::open(path).map_err(io_error(path))?;
    let mut z = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| DiffError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let mut raw = File::open(path).map_err(io_error(path))?;
    let archive_comment = String::from_utf8_lossy(z.comment()).into_owned();
    let mut out = HashMap::with_capacity(z.len());
    for i in 0..z.len() {
        let e = z.by_index_raw(i).map_err(|e| DiffError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let name = String::from_utf8_lossy(e.name_raw()).into_owned();
        #[allow(deprecated)]
        let method = e.compression().to_u16();
        let mut header = [0u8; 30];
        raw.seek(SeekFrom::Start(e.header_start()))
            .and_then(|_| raw.read_exact(&mut header))
            .map_err(io_error(path))?;
        let name_len = u16::from_le_bytes([header[26], header[27]]) as u64;
        let extra_len = u16::from_le_bytes([header[28], header[29]]) as usize;
        let mut local_extra = vec![0u8; extra_len];
        raw.seek(SeekFrom::Start(e.header_start() + 30 + name_len))
            .and_then(|_| raw.read_exact(&mut local_extra))
            .map_err(io_error(path))?;
        out.insert(
            name,
            ZipFields {
                method,
                crc: e.crc32(),
                compressed: e.compressed_size(),
                external: e.external_attributes(),
                comment: e.comment().to_string(),
                local_extra,
                central_extra: e.extra_data().unwrap_or_default(),
            },
        );
    }
    Ok((out, archive_comment))
}

fn zip_error(path: &Path, e: zip::result::ZipError) -> DiffError {
    DiffError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The members of a zip from its central directory alone, without inflating anything, with the
/// walker's checks on names (absolute or `..` paths, duplicates, member count, declared sizes);
/// link targets are read from the (small) link members. Contents are compared lazily.
fn zip_listing(path: &Path, limits: &crate::archive::WalkLimits) -> Result<Vec<Member>, DiffError> {
    let f = File::open(path).map_err(io_error(path))?;
    let mut z = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| zip_error(path, e))?;
    let unsafe_member = |member: &str, detail: String| -> DiffError {
        crate::archive::ArchiveError::Unsafe {
            path: path.to_path_buf(),
            member: member.to_string(),
            detail,
        }
        .into()
    };
    if z.len() > limits.max_members {
        return Err(unsafe_member(
            "",
            format!(
                "{} members, more than the limit of {}",
                z.len(),
                limits.max_members
            ),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(z.len());
    let mut out = Vec::with_capacity(z.len());
    for i in 0..z.len() {
        let (name, kind, size, mode, mtime) = {
            let e = z.by_index_raw(i).map_err(|e| zip_error(path, e))?;
            let name = String::from_utf8_lossy(e.name_raw()).into_owned();
            let kind = if e.is_dir() {
                MemberKind::Dir
            } else if e.is_symlink() {
                MemberKind::Symlink
            } else {
                MemberKind::File
            };
            let mtime = crate::archive::zip_mtime(e.last_modified());
            (
                name,
                kind,
                e.size(),
                e.unix_mode().unwrap_or(0) & 0o7777,
                mtime,
            )
        };
        if let Some(why) = crate::archive::unsafe_path(&name) {
            return Err(unsafe_member(&name, why.into()));
        }
        if !seen.insert(name.clone()) {
            return Err(unsafe_member(&name, "duplicate member name".into()));
        }
        if size > limits.max_member_bytes {
            return Err(unsafe_member(
                &name,
                format!("declares {size} bytes, more than the member limit"),
            ));
        }
        let link = if kind == MemberKind::Symlink {
            let mut target = String::new();
            z.by_index(i)
                .map_err(|e| zip_error(path, e))?
                .take(4096)
                .read_to_string(&mut target)
                .map_err(io_error(path))?;
            Some(target)
        } else {
            None
        };
        out.push(Member {
            path: name,
            kind,
            size,
            mode,
            mtime,
            sha256: None,
            link,
        });
    }
    Ok(out)
}

/// Decode zip extra fields into named values: `UT` (extended timestamp) and `ux` (Info-ZIP
/// Unix uid/gid) in words, others as tag and length.
pub fn decode_extra(bytes: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let tag = u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let len = u16::from_le_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        let data = &bytes[i + 4..(i + 4 + len).min(bytes.len())];
        match tag {
            0x5455 if !data.is_empty() => {
                let flags = data[0];
                let mut j = 1;
                for (bit, name) in [(1, "mtime"), (2, "atime"), (4, "ctime")] {
                    if flags & bit != 0 && j + 4 <= data.len() {
                        let t =
                            u32::from_le_bytes([data[j], data[j + 1], data[j + 2], data[j + 3]]);
                        out.push((format!("UT {name}"), t.to_string()));
                        j += 4;
                    }
                }
            }
            0x7875 if data.len() >= 3 => {
                let uid_size = data[1] as usize;
                let read = |s: &[u8]| s.iter().rev().fold(0u64, |acc, b| acc << 8 | *b as u64);
                if data.len() > 2 + uid_size {
                    let uid = read(&data[2..2 + uid_size]);
                    let gid_size = data[2 + uid_size] as usize;
                    let gid_start = 3 + uid_size;
                    let gid = read(&data[gid_start..(gid_start + gid_size).min(data.len())]);
                    out.push(("ux uid".into(), uid.to_string()));
                    out.push(("ux gid".into(), gid.to_string()));
                }
            }
            other => out.push((format!("extra field 0x{other:04x}"), format!("{len} bytes"))),
        }
        i += 4 + len;
    }
    out
}

fn read_zip_member(path: &Path, name: &str, cap: u64) -> Result<Option<Vec<u8>>, DiffError> {
    let f = File::open(path).map_err(io_error(path))?;
    let mut z = zip::ZipArchive::new(BufReader::new(f)).map_err(|e| DiffError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let e = z.by_name(name).map_err(|e| DiffError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    if e.size() > cap {
        return Ok(None);
    }
    let mut v = Vec::with_capacity(e.size() as usize);
    e.take(cap).read_to_end(&mut v).map_err(io_error(path))?;
    Ok(Some(v))
}

fn read_tar_member(
    path: &Path,
    gz: bool,
    name: &str,
    cap: u64,
) -> Result<Option<Vec<u8>>, DiffError> {
    let f = BufReader::new(File::open(path).map_err(io_error(path))?);
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut t = tar::Archive::new(reader);
    for e in t.entries().map_err(io_error(path))? {
        let e = e.map_err(io_error(path))?;
        if String::from_utf8_lossy(&e.path_bytes()) == name {
            if e.size() > cap {
                return Ok(None);
            }
            let mut v = Vec::new();
            e.take(cap).read_to_end(&mut v).map_err(io_error(path))?;
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Reads one member's bytes (`None` when larger than the cap).
type ReadMember<'a> = &'a dyn Fn(&str) -> Result<Option<Vec<u8>>, DiffError>;
/// Compares the bytes of one member that differs.
/// Whether two members (of the same name and kind) hold the same content.
type SameContent<'a> = &'a mut dyn FnMut(&Member, &Member) -> Result<bool, DiffError>;
/// Compares the bytes of one member that differs.
type CompareContent<'a> =
    &'a mut dyn FnMut(&str, &[u8], &[u8], &mut Vec<Difference>) -> Result<(), DiffError>;

/// Is this member name an archive we should descend into?
fn looks_nested(name: &str) -> bool {
    [".zip", ".whl", ".jar", ".tar.gz", ".tgz", ".crate", ".tar"]
        .iter()
        .any(|e| name.to_ascii_lowercase().ends_with(e))
}

/// Compare the member lists (added, removed, order) and each common member's walker metadata;
/// `content` is called for members whose bytes differ, `fields` for every common member.
#[allow(clippy::too_many_arguments)]
fn compare_members(
    ma: &[Member],
    mb: &[Member],
    loc: &str,
    options: &DiffOptions,
    out: &mut Vec<Difference>,
    read_a: ReadMember<'_>,
    read_b: ReadMember<'_>,
    same: SameContent<'_>,
    content: CompareContent<'_>,
    fields: &mut dyn FnMut(&str, &mut Vec<Difference>),
) -> Result<(), DiffError> {
    let ia: BTreeMap<&str, &Member> = ma.iter().map(|m| (m.path.as_str(), m)).collect();
    let ib: BTreeMap<&str, &Member> = mb.iter().map(|m| (m.path.as_str(), m)).collect();
    let names_a: Vec<&str> = ma.iter().map(|m| m.path.as_str()).collect();
    let names_b: Vec<&str> = mb.iter().map(|m| m.path.as_str()).collect();
    let common_a: Vec<&str> = names_a
        .iter()
        .copied()
        .filter(|n| ib.contains_key(n))
        .collect();
    let common_b: Vec<&str> = names_b
        .iter()
        .copied()
        .filter(|n| ia.contains_key(n))
        .collect();
    if common_a != common_b {
        let first = common_a
            .iter()
            .zip(&common_b)
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let same = if ia.len() == ib.len() && common_a.len() == ia.len() {
            "same members, "
        } else {
            ""
        };
        out.push(Difference::new(
            loc,
            Kind::Order,
            format!(
                "{same}different order: position {first} holds `{}` in A, `{}` in B",
                common_a[first], common_b[first]
            ),
        ));
    }
    let only = [
        (ma, &ib, read_a, Kind::Removed, "A"),
        (mb, &ia, read_b, Kind::Added, "B"),
    ];
    for (members, other, read, kind, side) in only {
        for m in members
            .iter()
            .filter(|m| !other.contains_key(m.path.as_str()))
        {
            let data = if m.kind == MemberKind::File {
                read(&m.path)?
            } else {
                None
            };
            out.push(
                Difference::new(
                    join(loc, &m.path, true),
                    kind,
                    format!("only in {side} ({} bytes)", m.size),
                )
                .with_detail(data.map(|d| preview(&d, options.max_lines))),
            );
        }
    }
    for (name, a) in &ia {
        let Some(b) = ib.get(name) else { continue };
        let here = join(loc, name, true);
        if a.kind != b.kind {
            out.push(Difference::new(
                &here,
                Kind::EntryType,
                format!("{:?} in A, {:?} in B", a.kind, b.kind),
            ));
            continue;
        }
        if a.link != b.link {
            out.push(Difference::new(
                &here,
                Kind::LinkTarget,
                format!(
                    "link to `{}` in A, `{}` in B",
                    a.link.as_deref().unwrap_or(""),
                    b.link.as_deref().unwrap_or("")
                ),
            ));
        }
        if !same(a, b)? {
            match (read_a(name)?, read_b(name)?) {
                (Some(da), Some(db)) => content(&here, &da, &db, out)?,
                _ => out.push(Difference::new(
                    &here,
                    Kind::Content,
                    format!(
                        "content differs ({} → {} bytes; larger than {} bytes, not shown)",
                        a.size, b.size, options.max_member_bytes
                    ),
                )),
            }
        }
        if a.mode != b.mode {
            out.push(Difference::new(
                &here,
                Kind::Mode,
                format!("mode {:o} in A, {:o} in B", a.mode, b.mode),
            ));
        }
        if a.mtime != b.mtime {
            out.push(Difference::new(
                &here,
                Kind::Mtime,
                format!("mtime {} in A, {} in B", a.mtime, b.mtime),
            ));
        }
        fields(name, out);
    }
    Ok(())
}

/// Content of a member: descend into nested archives, else a text or hex diff.
fn member_content(
    here: &str,
    da: &[u8],
    db: &[u8],
    options: &DiffOptions,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    if looks_nested(here) {
        let dir = tempfile::tempdir().map_err(|e| DiffError::Io {
            path: "temp".into(),
            source: e,
        })?;
        let (pa, pb) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&pa, da).map_err(io_error(&pa))?;
        std::fs::write(&pb, db).map_err(io_error(&pb))?;
        if ArchiveFormat::sniff(&pa).ok().flatten().is_some()
            && ArchiveFormat::sniff(&pb).ok().flatten().is_some()
        {
            return compare(&pa, &pb, here, options, depth + 1, out);
        }
    }
    out.push(content_difference(here, da, db, options));
    Ok(())
}

/// Compare two zip archives.
pub fn compare_zips(
    a: &Path,
    b: &Path,
    loc: &str,
    options: &DiffOptions,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let ma = zip_listing(a, &options.limits)?;
    let mb = zip_listing(b, &options.limits)?;
    let (fa, ca) = zip_fields(a)?;
    let (fb, cb) = zip_fields(b)?;
    if ca != cb {
        out.push(Difference::new(
            loc,
            Kind::ZipField,
            format!("archive comment `{ca}` in A, `{cb}` in B"),
        ));
    }
    let cap = options.max_member_bytes;
    let open = |p: &Path| -> Result<zip::ZipArchive<BufReader<File>>, DiffError> {
        let f = File::open(p).map_err(io_error(p))?;
        zip::ZipArchive::new(BufReader::new(f)).map_err(|e| zip_error(p, e))
    };
    let (mut za, mut zb) = (open(a)?, open(b)?);
    let verdicts: std::cell::RefCell<HashMap<String, bool>> = Default::default();
    // The listing is in central-directory order, so a member's position is its index.
    let index_a: HashMap<&str, usize> = ma
        .iter()
        .enumerate()
        .map(|(i, m)| (m.path.as_str(), i))
        .collect();
    let index_b: HashMap<&str, usize> = mb
        .iter()
        .enumerate()
        .map(|(i, m)| (m.path.as_str(), i))
        .collect();
    let mut same = |x: &Member, y: &Member| -> Result<bool, DiffError> {
        let (Some(fx), Some(fy)) = (fa.get(&x.path), fb.get(&y.path)) else {
            return Ok(false);
        };
        let equal = if x.kind != MemberKind::File {
            true
        } else if fx.crc != fy.crc || x.size != y.size {
            false
        } else {
            // Equal compressed bytes decompress to equal content: no need to inflate.
            let raw_equal = fx.method == fy.method
                && fx.compressed == fy.compressed
                && streams_equal(
                    za.by_index_raw(index_a[x.path.as_str()])
                        .map_err(|e| zip_error(a, e))?,
                    zb.by_index_raw(index_b[y.path.as_str()])
                        .map_err(|e| zip_error(b, e))?,
                    fx.compressed,
                )
                .map_err(io_error(a))?;
            raw_equal
                || streams_equal(
                    za.by_index(index_a[x.path.as_str()])
                        .map_err(|e| zip_error(a, e))?
                        .take(options.limits.max_member_bytes),
                    zb.by_index(index_b[y.path.as_str()])
                        .map_err(|e| zip_error(b, e))?
                        .take(options.limits.max_member_bytes),
                    x.size,
                )
                .map_err(io_error(a))?
        };
        verdicts.borrow_mut().insert(x.path.clone(), equal);
        Ok(equal)
    };
    compare_members(
        &ma,
        &mb,
        loc,
        options,
        out,
        &|n| read_zip_member(a, n, cap),
        &|n| read_zip_member(b, n, cap),
        &mut same,
        &mut |here, da, db, out| member_content(here, da, db, options, depth, out),
        &mut |name, out| {
            let (Some(x), Some(y)) = (fa.get(name), fb.get(name)) else {
                return;
            };
            let here = join(loc, name, true);
            let same_content = verdicts.borrow().get(name).copied().unwrap_or(false);
            if x.method != y.method {
                out.push(Difference::new(
                    &here,
                    Kind::ZipField,
                    format!("compression method {} in A, {} in B", x.method, y.method),
                ));
            }
            if same_content && x.method == y.method && x.compressed != y.compressed {
                out.push(Difference::new(
                    &here,
                    Kind::Recompressed,
                    format!(
                        "same content, compressed bytes differ ({} vs {} bytes): another compression level",
                        x.compressed, y.compressed
                    ),
                ));
            }
            if x.crc != y.crc && same_content {
                out.push(Difference::new(
                    &here,
                    Kind::ZipField,
                    format!("CRC-32 {:08x} in A, {:08x} in B", x.crc, y.crc),
                ));
            }
            // The mode is reported from the walker; other external attribute bits here.
            if (x.external & 0xffff) != (y.external & 0xffff) {
                out.push(Difference::new(
                    &here,
                    Kind::ZipField,
                    format!(
                        "external attributes (DOS bits) {:04x} in A, {:04x} in B",
                        x.external & 0xffff,
                        y.external & 0xffff
                    ),
                ));
            }
            if x.comment != y.comment {
                out.push(Difference::new(
                    &here,
                    Kind::ZipField,
                    format!("comment `{}` in A, `{}` in B", x.comment, y.comment),
                ));
            }
            for (which, ea, eb) in [
                ("local", &x.local_extra, &y.local_extra),
                ("central", &x.central_extra, &y.central_extra),
            ] {
                if ea == eb {
                    continue;
                }
                let (da, db) = (decode_extra(ea), decode_extra(eb));
                let keys: std::collections::BTreeSet<&String> =
                    da.iter().chain(&db).map(|(k, _)| k).collect();
                for k in keys {
                    let va = da
                        .iter()
                        .find(|(kk, _)| kk == k)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("absent");
                    let vb = db
                        .iter()
                        .find(|(kk, _)| kk == k)
                        .map(|(_, v)| v.as_str())
                        .unwrap_or("absent");
                    if va != vb {
                        let kind = if k.starts_with("ux") {
                            Kind::Owner
                        } else {
                            Kind::ZipField
                        };
                        out.push(Difference::new(
                            &here,
                            kind,
                            format!("{which} {k}: {va} in A, {vb} in B"),
                        ));
                    }
                }
            }
        },
    )
}

/// The gzip header fields of a file: (MTIME, OS, FNAME, XFL, FLG).
fn gzip_header(path: &Path) -> Result<Vec<(&'static str, String)>, DiffError> {
    let mut f = File::open(path).map_err(io_error(path))?;
    let mut h = [0u8; 10];
    f.read_exact(&mut h).map_err(io_error(path))?;
    let flg = h[3];
    let mut fields = vec![
        (
            "MTIME",
            u32::from_le_bytes([h[4], h[5], h[6], h[7]]).to_string(),
        ),
        ("XFL", h[8].to_string()),
        ("OS", h[9].to_string()),
        ("FLG", format!("{flg:#04x}")),
    ];
    if flg & 0x04 != 0 {
        let mut len = [0u8; 2];
        f.read_exact(&mut len).map_err(io_error(path))?;
        let mut skip = vec![0u8; u16::from_le_bytes(len) as usize];
        f.read_exact(&mut skip).map_err(io_error(path))?;
    }
    let mut name = Vec::new();
    if flg & 0x08 != 0 {
        for b in BufReader::new(f).bytes().take(4096) {
            let b = b.map_err(io_error(path))?;
            if b == 0 {
                break;
            }
            name.push(b);
        }
    }
    fields.push(("FNAME", String::from_utf8_lossy(&name).into_owned()));
    Ok(fields)
}

/// Tar header fields the walker does not report: format, uid, gid, user and group names.
fn tar_fields(path: &Path, gz: bool) -> Result<HashMap<String, [String; 5]>, DiffError> {
    let f = BufReader::new(File::open(path).map_err(io_error(path))?);
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut t = tar::Archive::new(reader);
    let mut out = HashMap::new();
    for e in t.entries().map_err(io_error(path))? {
        let mut e = e.map_err(io_error(path))?;
        let pax = e.pax_extensions().ok().flatten().is_some();
        let h = e.header();
        let format = if pax {
            "POSIX (pax)"
        } else if h.as_gnu().is_some() {
            "GNU"
        } else if h.as_ustar().is_some() {
            "POSIX (ustar)"
        } else {
            "v7"
        };
        let fields = [
            format.to_string(),
            h.uid().map(|u| u.to_string()).unwrap_or_default(),
            h.gid().map(|g| g.to_string()).unwrap_or_default(),
            h.username().ok().flatten().unwrap_or("").to_string(),
            h.groupname().ok().flatten().unwrap_or("").to_string(),
        ];
        out.insert(
            String::from_utf8_lossy(&e.path_bytes()).into_owned(),
            fields,
        );
    }
    Ok(out)
}

/// Compare two tar or tar.gz archives.
#[allow(clippy::too_many_arguments)]
pub fn compare_tars(
    a: &Path,
    b: &Path,
    fa: ArchiveFormat,
    fb: ArchiveFormat,
    loc: &str,
    options: &DiffOptions,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (gza, gzb) = (fa == ArchiveFormat::TarGz, fb == ArchiveFormat::TarGz);
    if gza && gzb {
        let (ha, hb) = (gzip_header(a)?, gzip_header(b)?);
        for ((name, va), (_, vb)) in ha.iter().zip(&hb) {
            if va != vb {
                out.push(Difference::new(
                    loc,
                    Kind::GzipHeader,
                    format!("gzip {name} {va} in A, {vb} in B"),
                ));
            }
        }
    } else if gza != gzb {
        out.push(Difference::new(
            loc,
            Kind::GzipHeader,
            "gzip-compressed in one, plain tar in the other",
        ));
    }
    let ma = crate::archive::walk(a, &options.limits)?;
    let mb = crate::archive::walk(b, &options.limits)?;
    let (ta, tb) = (tar_fields(a, gza)?, tar_fields(b, gzb)?);
    let cap = options.max_member_bytes;
    compare_members(
        &ma,
        &mb,
        loc,
        options,
        out,
        &|n| read_tar_member(a, gza, n, cap),
        &|n| read_tar_member(b, gzb, n, cap),
        &mut |x, y| Ok(x.sha256 == y.sha256),
        &mut |here, da, db, out| member_content(here, da, db, options, depth, out),
        &mut |name, out| {
            let (Some(x), Some(y)) = (ta.get(name), tb.get(name)) else {
                return;
            };
            let here = join(loc, name, true);
            if x[0] != y[0] {
                out.push(Difference::new(
                    &here,
                    Kind::TarHeader,
                    format!("tar format {} in A, {} in B", x[0], y[0]),
                ));
            }
            for (i, field) in [(1, "uid"), (2, "gid"), (3, "uname"), (4, "gname")] {
                if x[i] != y[i] {
                    out.push(Difference::new(
                        &here,
                        Kind::Owner,
                        format!("{field} `{}` in A, `{}` in B", x[i], y[i]),
                    ));
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_ut_and_ux_fields() {
        // UT: flags=1 (mtime), mtime=1600000000; ux: version 1, uid 1000 (4 bytes), gid 100 (4 bytes)
        let mut e = vec![0x55, 0x54, 5, 0, 1];
        e.extend(1_600_000_000u32.to_le_bytes());
        e.extend([0x75, 0x78, 11, 0, 1, 4]);
        e.extend(1000u32.to_le_bytes());
        e.push(4);
        e.extend(100u32.to_le_bytes());
        let d = decode_extra(&e);
        assert_eq!(
            d,
            vec![
                ("UT mtime".to_string(), "1600000000".to_string()),
                ("ux uid".to_string(), "1000".to_string()),
                ("ux gid".to_string(), "100".to_string())
            ]
        );
    }
}
