//! Zip and tar(.gz) comparators: the two archives' layouts first (every byte: unused regions,
//! end records, gzip members, what follows a tar's end), then members matched by name, then
//! every header field named.
//!
//! Archives are read by the walker's own parsers ([`crate::archive::zip`],
//! [`crate::archive::tar`]), so a comparison sees what the walker sees. An archive that cannot
//! be compared safely (overlapping entries, unsafe or duplicate names, links leaving it, a bomb)
//! is refused; every other oddity is compared and named. Members are read by index (zip) or in
//! one extra pass (tar), never by searching the archive once per member.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::archive::tar::TarLayout;
use crate::archive::zip::{ZipEntry, ZipLayout};
use crate::archive::{Anomaly, ArchiveFormat, Member, MemberKind, Rule, looks_nested, names};
use crate::diff::bytes::{content_difference, preview, streams_equal};
use crate::diff::{Ctx, DiffError, DiffOptions, Difference, Kind, compare, io_error, join};

/// Most member bytes held in memory at once for the details of one tar comparison.
const MAX_DETAIL_BYTES: u64 = 256 * 1024 * 1024;

/// Anomalies that make an archive unsafe to compare: its members cannot be matched or read
/// safely. Everything else is compared and named.
fn blocks_comparison(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::Overlap
            | Rule::UnsafePath
            | Rule::Duplicate
            | Rule::PathConflict
            | Rule::ThroughLink
            | Rule::LinkEscape
            | Rule::Bomb
    )
}

/// The difference kind that names an anomaly.
fn rule_kind(rule: Rule) -> Kind {
    match rule {
        Rule::LeadingData => Kind::LeadingData,
        Rule::TrailingData | Rule::TarEnd => Kind::TrailingData,
        Rule::Gap | Rule::Padding => Kind::Gap,
        Rule::HiddenEntry => Kind::HiddenEntry,
        Rule::EndRecord | Rule::CentralDirectory => Kind::EndRecord,
        Rule::Zip64 => Kind::Zip64,
        Rule::LocalHeader | Rule::LocalHeaderMetadata | Rule::DataDescriptor => Kind::LocalHeader,
        Rule::GzipMembers => Kind::GzipMember,
        Rule::GzipTrailer => Kind::GzipTrailer,
        Rule::GzipHeader => Kind::GzipHeader,
        Rule::TarHeader | Rule::TarExtension | Rule::TarType => Kind::TarHeader,
        _ => Kind::Structure,
    }
}

/// Refuse an archive whose anomalies or names make comparing it unsafe.
fn refuse_unsafe(path: &Path, anomalies: &[Anomaly], members: &[Member]) -> Result<(), DiffError> {
    if let Some(a) = anomalies.iter().find(|a| blocks_comparison(a.rule)) {
        return Err(a.refuse(path).into());
    }
    names::check(members).map_err(|(member, rule, detail)| {
        Anomaly::new(rule, Some(member), detail).refuse(path).into()
    })
}

/// Anomalies found in one archive and not in the other.
fn compare_anomalies(loc: &str, aa: &[Anomaly], ab: &[Anomaly], out: &mut Vec<Difference>) {
    let key = |a: &Anomaly| (a.rule, a.member.clone(), a.detail.clone());
    let (sa, sb): (BTreeSet<_>, BTreeSet<_>) =
        (aa.iter().map(key).collect(), ab.iter().map(key).collect());
    for (only, side) in [(sa.difference(&sb), "A"), (sb.difference(&sa), "B")] {
        for (rule, member, detail) in only {
            let here = member
                .as_deref()
                .map_or_else(|| loc.to_string(), |m| join(loc, m, true));
            out.push(Difference::new(
                here,
                rule_kind(*rule),
                format!("in {side} only: {detail} ({rule})"),
            ));
        }
    }
}

/// Content of a member: descend into nested archives, else a text or hex diff.
fn member_content(
    here: &str,
    da: &[u8],
    db: &[u8],
    ctx: &Ctx<'_>,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    if looks_nested(here) && depth + 1 < ctx.options.max_depth {
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
            return compare(&pa, &pb, here, ctx, depth + 1, out);
        }
    }
    out.push(content_difference(here, da, db, ctx.options));
    Ok(())
}

/// Reads one member's bytes (`None` when larger than the cap or not at hand).
type ReadFn<'f> = dyn FnMut(&str) -> Result<Option<Vec<u8>>, DiffError> + 'f;
/// A borrowed [`ReadFn`].
type ReadMember<'a, 'f> = &'a mut ReadFn<'f>;
/// Whether two members (of the same name and kind) hold the same content.
type SameContent<'a> = &'a mut dyn FnMut(&Member, &Member) -> Result<bool, DiffError>;
/// Compares header fields of a member both archives hold (`true`: same content).
type Fields<'a> = &'a mut dyn FnMut(&str, bool, &mut Vec<Difference>);

/// Compare the member lists (added, removed, order) and each common member's metadata;
/// `content` is read for members whose bytes differ, `fields` called for every common member.
#[allow(clippy::too_many_arguments)]
fn compare_members(
    ma: &[Member],
    mb: &[Member],
    loc: &str,
    ctx: &Ctx<'_>,
    depth: usize,
    out: &mut Vec<Difference>,
    read_a: ReadMember<'_, '_>,
    read_b: ReadMember<'_, '_>,
    same: SameContent<'_>,
    fields: Fields<'_>,
) -> Result<(), DiffError> {
    let options: &DiffOptions = ctx.options;
    let ia: BTreeMap<&str, &Member> = ma.iter().map(|m| (m.path.as_str(), m)).collect();
    let ib: BTreeMap<&str, &Member> = mb.iter().map(|m| (m.path.as_str(), m)).collect();
    let common_a: Vec<&str> = ma
        .iter()
        .map(|m| m.path.as_str())
        .filter(|n| ib.contains_key(n))
        .collect();
    let common_b: Vec<&str> = mb
        .iter()
        .map(|m| m.path.as_str())
        .filter(|n| ia.contains_key(n))
        .collect();
    if common_a != common_b {
        let first = common_a
            .iter()
            .zip(&common_b)
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let same_set = if ia.len() == ib.len() && common_a.len() == ia.len() {
            "same members, "
        } else {
            ""
        };
        out.push(Difference::new(
            loc,
            Kind::Order,
            format!(
                "{same_set}different order: position {first} holds `{}` in A, `{}` in B",
                common_a[first], common_b[first]
            ),
        ));
    }
    for (members, other, kind, side) in [(ma, &ib, Kind::Removed, "A"), (mb, &ia, Kind::Added, "B")]
    {
        let read: &mut ReadFn<'_> = if side == "A" {
            &mut *read_a
        } else {
            &mut *read_b
        };
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
        let same_content = same(a, b)?;
        if !same_content {
            match (read_a(name)?, read_b(name)?) {
                (Some(da), Some(db)) => member_content(&here, &da, &db, ctx, depth, out)?,
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
                format!(
                    "mtime {} in A, {} in B",
                    crate::date::iso_with_raw(a.mtime),
                    crate::date::iso_with_raw(b.mtime)
                ),
            ));
        }
        fields(name, same_content, out);
    }
    Ok(())
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
                        out.push((format!("UT {name}"), crate::date::iso_with_raw(t.into())));
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

/// Differences between two extra-field blocks, by decoded field: (field, value in A, value in
/// B); `Err` with the two blocks in hex when they differ in bytes no decoded field explains.
fn extra_changes(ea: &[u8], eb: &[u8]) -> Result<Vec<(String, String, String)>, String> {
    if ea == eb {
        return Ok(Vec::new());
    }
    let (da, db) = (decode_extra(ea), decode_extra(eb));
    let keys: BTreeSet<&String> = da.iter().chain(&db).map(|(k, _)| k).collect();
    let mut changes = Vec::new();
    for k in keys {
        let get = |d: &[(String, String)]| {
            let v = d
                .iter()
                .filter(|(kk, _)| kk == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if v.is_empty() {
                "absent".to_string()
            } else {
                v
            }
        };
        let (va, vb) = (get(&da), get(&db));
        if va != vb {
            changes.push((k.clone(), va, vb));
        }
    }
    if changes.is_empty() {
        return Err(format!(
            "extra fields differ in their bytes ({} in A, {} in B)",
            hex::encode(ea),
            hex::encode(eb)
        ));
    }
    Ok(changes)
}

/// Differences between the extra fields of a member's central and local headers: a field that
/// changed the same way in both is one difference, so a uid change reads as one line.
fn extra_differences(
    here: &str,
    central: (&[u8], &[u8]),
    local: Option<(&[u8], &[u8])>,
    out: &mut Vec<Difference>,
) {
    let kind = |field: &str| {
        if field.starts_with("ux") {
            Kind::Owner
        } else {
            Kind::ZipField
        }
    };
    let c = extra_changes(central.0, central.1);
    let l = local.map(|(a, b)| extra_changes(a, b));
    let in_local = |change: &(String, String, String)| matches!(&l, Some(Ok(changes)) if changes.contains(change));
    match &c {
        Ok(changes) => {
            for change in changes {
                let (field, va, vb) = change;
                let which = if in_local(change) {
                    format!("{field}: {va} in A, {vb} in B (local and central headers)")
                } else {
                    format!("central {field}: {va} in A, {vb} in B")
                };
                out.push(Difference::new(here, kind(field), which));
            }
        }
        Err(bytes) => out.push(Difference::new(
            here,
            Kind::ZipField,
            format!("central {bytes}"),
        )),
    }
    match &l {
        Some(Ok(changes)) => {
            for change in changes {
                if matches!(&c, Ok(cc) if cc.contains(change)) {
                    continue;
                }
                let (field, va, vb) = change;
                out.push(Difference::new(
                    here,
                    kind(field),
                    format!("local {field}: {va} in A, {vb} in B"),
                ));
            }
        }
        Some(Err(bytes)) => out.push(Difference::new(
            here,
            Kind::ZipField,
            format!("local {bytes}"),
        )),
        None => {}
    }
}

/// A DOS date and time as written (no zone), ISO 8601, with the raw fields in parentheses.
fn dos_time(date: u16, time: u16) -> String {
    let civil = crate::date::civil(
        1980 + (date >> 9) as i16,
        ((date >> 5) & 0xf) as i8,
        (date & 0x1f) as i8,
        (time >> 11) as i8,
        ((time >> 5) & 0x3f) as i8,
        ((time & 0x1f) * 2) as i8,
    );
    format!(
        "{} ({date:04x}{time:04x})",
        civil.as_deref().unwrap_or("not a date")
    )
}

/// The header fields of one member both zips hold.
fn zip_entry_fields(here: &str, x: &ZipEntry, y: &ZipEntry, same: bool, out: &mut Vec<Difference>) {
    let (cx, cy) = (&x.central, &y.central);
    let field = |out: &mut Vec<Difference>, what: &str, va: String, vb: String| {
        if va != vb {
            out.push(Difference::new(
                here,
                Kind::ZipField,
                format!("{what} {va} in A, {vb} in B"),
            ));
        }
    };
    field(
        out,
        "version made by",
        format!("{:#06x}", cx.made_by()),
        format!("{:#06x}", cy.made_by()),
    );
    field(
        out,
        "version needed",
        u16::from_le_bytes([cx.raw[6], cx.raw[7]]).to_string(),
        u16::from_le_bytes([cy.raw[6], cy.raw[7]]).to_string(),
    );
    field(
        out,
        "general-purpose flags",
        format!("{:#06x}", cx.flags()),
        format!("{:#06x}", cy.flags()),
    );
    field(
        out,
        "compression method",
        cx.method().to_string(),
        cy.method().to_string(),
    );
    if x.mtime == y.mtime {
        field(
            out,
            "DOS date and time",
            dos_time(cx.date(), cx.time()),
            dos_time(cy.date(), cy.time()),
        );
    }
    if same {
        if cx.crc() != cy.crc() {
            field(
                out,
                "CRC-32",
                format!("{:08x}", cx.crc()),
                format!("{:08x}", cy.crc()),
            );
        }
        if cx.method() == cy.method() && cx.compressed != cy.compressed {
            out.push(Difference::new(
                here,
                Kind::Recompressed,
                format!(
                    "same content, compressed bytes differ ({} vs {} bytes): another compression level",
                    cx.compressed, cy.compressed
                ),
            ));
        }
    }
    field(
        out,
        "internal attributes",
        format!("{:#06x}", u16::from_le_bytes([cx.raw[36], cx.raw[37]])),
        format!("{:#06x}", u16::from_le_bytes([cy.raw[36], cy.raw[37]])),
    );
    // The permission bits are reported as `mode`; the DOS bits and the file type here.
    field(
        out,
        "external attributes (DOS bits)",
        format!("{:04x}", cx.external() & 0xffff),
        format!("{:04x}", cy.external() & 0xffff),
    );
    field(
        out,
        "file type bits",
        format!("{:o}", (cx.external() >> 16) & 0o170000),
        format!("{:o}", (cy.external() >> 16) & 0o170000),
    );
    if cx.comment != cy.comment {
        out.push(Difference::new(
            here,
            Kind::ZipField,
            format!(
                "comment `{}` in A, `{}` in B",
                String::from_utf8_lossy(&cx.comment),
                String::from_utf8_lossy(&cy.comment)
            ),
        ));
    }
    if let (Some(lx), Some(ly)) = (&x.local, &y.local) {
        if lx.raw[4..14] != ly.raw[4..14] && cx.raw[6..16] == cy.raw[6..16] {
            out.push(Difference::new(
                here,
                Kind::LocalHeader,
                "local header fields (version, flags, method, time) differ where the central \
                 directory's agree"
                    .to_string(),
            ));
        }
        if lx.raw[14..26] != ly.raw[14..26] && same && cx.raw[16..28] == cy.raw[16..28] {
            out.push(Difference::new(
                here,
                Kind::LocalHeader,
                format!(
                    "local header CRC and sizes {} in A, {} in B",
                    hex::encode(&lx.raw[14..26]),
                    hex::encode(&ly.raw[14..26])
                ),
            ));
        }
    }
    extra_differences(
        here,
        (&cx.extra, &cy.extra),
        x.local
            .as_ref()
            .zip(y.local.as_ref())
            .map(|(lx, ly)| (&lx.extra[..], &ly.extra[..])),
        out,
    );
    if x.descriptor != y.descriptor {
        let show = |d: &Option<Vec<u8>>| d.as_deref().map_or("none".to_string(), hex::encode);
        out.push(Difference::new(
            here,
            Kind::LocalHeader,
            format!(
                "data descriptor {} in A, {} in B",
                show(&x.descriptor),
                show(&y.descriptor)
            ),
        ));
    }
}

/// The kind that names an unexplained region by its label.
fn region_kind(label: &str) -> Kind {
    match label {
        "before the first entry" => Kind::LeadingData,
        "after the end record" => Kind::TrailingData,
        "in the central directory" => Kind::EndRecord,
        _ => Kind::Gap,
    }
}

/// SHA-256 of a region of a file, hashed streaming.
fn region_sha256(file: &File, offset: u64, len: u64) -> std::io::Result<String> {
    use std::os::unix::fs::FileExt;
    let mut h = crate::digest::StreamHasher::new(&[]);
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = offset;
    while at < offset + len {
        let n = ((offset + len - at) as usize).min(buf.len());
        file.read_exact_at(&mut buf[..n], at)?;
        h.update(&buf[..n]);
        at += n as u64;
    }
    Ok(h.finish().sha256)
}

/// The members of a zip from its layout (link targets read, contents not).
fn zip_members(
    path: &Path,
    file: &File,
    layout: &ZipLayout,
    ctx: &Ctx<'_>,
) -> Result<Vec<Member>, DiffError> {
    let mut out = Vec::with_capacity(layout.entries.len());
    for (i, e) in layout.entries.iter().enumerate() {
        let link = if e.kind == MemberKind::Symlink {
            let mut target = Vec::new();
            layout
                .open(file, i, &ctx.options.limits, &ctx.budget)
                .and_then(|r| {
                    r.take(crate::archive::MAX_LINK_TARGET)
                        .read_to_end(&mut target)
                })
                .map_err(|err| crate::archive::member_error(path, &e.name, err))?;
            Some(String::from_utf8_lossy(&target).into_owned())
        } else {
            None
        };
        out.push(Member {
            path: e.name.clone(),
            kind: e.kind,
            size: e.central.size,
            mode: e.mode,
            mtime: e.mtime,
            sha256: None,
            link,
        });
    }
    Ok(out)
}

/// Compare two zip archives.
pub fn compare_zips(
    a: &Path,
    b: &Path,
    loc: &str,
    ctx: &Ctx<'_>,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let options = ctx.options;
    let fa = crate::fsio::open_regular(a).map_err(io_error(a))?;
    let fb = crate::fsio::open_regular(b).map_err(io_error(b))?;
    let la = ZipLayout::parse(a, &fa, &options.limits)?;
    let lb = ZipLayout::parse(b, &fb, &options.limits)?;
    let ma = zip_members(a, &fa, &la, ctx)?;
    let mb = zip_members(b, &fb, &lb, ctx)?;
    refuse_unsafe(a, &la.anomalies, &ma)?;
    refuse_unsafe(b, &lb.anomalies, &mb)?;

    // The layout: anomalies of one side only, then regions both have but with other bytes.
    compare_anomalies(loc, &la.anomalies, &lb.anomalies, out);
    let regions_b: HashMap<&str, (u64, u64)> = lb
        .unexplained
        .iter()
        .map(|u| (u.label.as_str(), (u.offset, u.len)))
        .collect();
    for u in &la.unexplained {
        let Some(&(off_b, len_b)) = regions_b.get(u.label.as_str()) else {
            continue;
        };
        let ha = region_sha256(&fa, u.offset, u.len).map_err(io_error(a))?;
        let hb = region_sha256(&fb, off_b, len_b).map_err(io_error(b))?;
        if ha != hb {
            out.push(Difference::new(
                loc,
                region_kind(&u.label),
                format!(
                    "the unused bytes {} differ ({} bytes, sha256 {} in A; {len_b} bytes, sha256 {} in B)",
                    u.label,
                    u.len,
                    &ha[..12],
                    &hb[..12]
                ),
            ));
        }
    }
    if la.end.comment != lb.end.comment {
        out.push(Difference::new(
            loc,
            Kind::ZipField,
            format!(
                "archive comment `{}` in A, `{}` in B",
                String::from_utf8_lossy(&la.end.comment),
                String::from_utf8_lossy(&lb.end.comment)
            ),
        ));
    }
    if la.end.disk() != lb.end.disk() || la.end.cd_disk() != lb.end.cd_disk() {
        out.push(Difference::new(
            loc,
            Kind::EndRecord,
            format!(
                "end record disk numbers {}/{} in A, {}/{} in B",
                la.end.disk(),
                la.end.cd_disk(),
                lb.end.disk(),
                lb.end.cd_disk()
            ),
        ));
    }
    match (&la.zip64, &lb.zip64) {
        (Some(_), None) | (None, Some(_)) => out.push(Difference::new(
            loc,
            Kind::Zip64,
            format!(
                "a zip64 end record in {} only",
                if la.zip64.is_some() { "A" } else { "B" }
            ),
        )),
        (Some(x), Some(y)) if x.raw[4..16] != y.raw[4..16] || x.raw[56..] != y.raw[56..] => {
            out.push(Difference::new(
                loc,
                Kind::Zip64,
                "the zip64 end records differ in their versions or extensible data",
            ));
        }
        _ => {}
    }

    // The members.
    let cap = options.max_member_bytes;
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
    let read = |path: &Path, file: &File, layout: &ZipLayout, i: usize| {
        let e = &layout.entries[i];
        if e.central.size > cap {
            return Ok(None);
        }
        let mut v = Vec::with_capacity(e.central.size as usize);
        layout
            .open(file, i, &options.limits, &ctx.budget)
            .and_then(|mut r| r.read_to_end(&mut v))
            .map_err(|err| DiffError::from(crate::archive::member_error(path, &e.name, err)))?;
        Ok(Some(v))
    };
    let mut same = |x: &Member, y: &Member| -> Result<bool, DiffError> {
        let (i, j) = (index_a[x.path.as_str()], index_b[y.path.as_str()]);
        let (ex, ey) = (&la.entries[i], &lb.entries[j]);
        if x.kind != MemberKind::File {
            return Ok(true);
        }
        if ex.central.crc() != ey.central.crc() || ex.central.size != ey.central.size {
            return Ok(false);
        }
        // Equal compressed bytes decompress to equal content: no need to inflate.
        if ex.central.method() == ey.central.method()
            && ex.central.compressed == ey.central.compressed
            && streams_equal(la.raw(&fa, i), lb.raw(&fb, j), ex.central.compressed)
                .map_err(io_error(a))?
        {
            return Ok(true);
        }
        let ra = la
            .open(&fa, i, &options.limits, &ctx.budget)
            .map_err(|e| crate::archive::member_error(a, &x.path, e))?;
        let rb = lb
            .open(&fb, j, &options.limits, &ctx.budget)
            .map_err(|e| crate::archive::member_error(b, &y.path, e))?;
        streams_equal(ra, rb, x.size)
            .map_err(|e| DiffError::from(crate::archive::member_error(a, &x.path, e)))
    };
    compare_members(
        &ma,
        &mb,
        loc,
        ctx,
        depth,
        out,
        &mut |n| read(a, &fa, &la, index_a[n]),
        &mut |n| read(b, &fb, &lb, index_b[n]),
        &mut same,
        &mut |name, same_content, out| {
            let (x, y) = (&la.entries[index_a[name]], &lb.entries[index_b[name]]);
            zip_entry_fields(&join(loc, name, true), x, y, same_content, out);
        },
    )
}

/// Named fields of a tar header block: (name, byte range).
const TAR_FIELDS: &[(&str, std::ops::Range<usize>)] = &[
    ("name", 0..100),
    ("mode", 100..108),
    ("uid", 108..116),
    ("gid", 116..124),
    ("size", 124..136),
    ("mtime", 136..148),
    ("type flag", 156..157),
    ("link name", 157..257),
    ("magic and version", 257..265),
    ("uname", 265..297),
    ("gname", 297..329),
    ("device major", 329..337),
    ("device minor", 337..345),
    ("prefix (ustar) or GNU times and sparse map", 345..500),
    ("bytes after the header fields", 500..512),
];

fn tar_format(h: &[u8], extensions: &[(u8, Vec<u8>)]) -> &'static str {
    if extensions.iter().any(|(t, _)| *t == b'x') {
        "POSIX (pax)"
    } else if &h[257..263] == b"ustar " {
        "GNU"
    } else if &h[257..263] == b"ustar\0" {
        "POSIX (ustar)"
    } else {
        "v7"
    }
}

fn printable(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    if b[end..].iter().all(|&c| c == 0) {
        String::from_utf8_lossy(&b[..end])
            .escape_default()
            .to_string()
    } else {
        hex::encode(b)
    }
}

/// The header fields of one member both tars hold.
fn tar_entry_fields(
    here: &str,
    (x, sx): &(crate::archive::tar::TarEntry, Option<String>),
    (y, _): &(crate::archive::tar::TarEntry, Option<String>),
    out: &mut Vec<Difference>,
) {
    let _ = sx;
    let (fx, fy) = (
        tar_format(&x.header, &x.extensions),
        tar_format(&y.header, &y.extensions),
    );
    if fx != fy {
        out.push(Difference::new(
            here,
            Kind::TarHeader,
            format!("tar format {fx} in A, {fy} in B"),
        ));
    }
    for (field, range) in TAR_FIELDS {
        let (va, vb) = (&x.header[range.clone()], &y.header[range.clone()]);
        if va == vb {
            continue;
        }
        let kind = match *field {
            "uid" | "gid" | "uname" | "gname" => Kind::Owner,
            // Reported from the member's metadata (mode, mtime), its content (size) or the
            // format line above.
            "mode" if x.mode != y.mode => continue,
            "mtime" if x.mtime != y.mtime => continue,
            "size" if x.size != y.size => continue,
            "magic and version" if fx != fy => continue,
            "name" | "link name" | "prefix (ustar) or GNU times and sparse map"
                if x.path != y.path || x.link != y.link =>
            {
                continue;
            }
            _ => Kind::TarHeader,
        };
        let number = |v: &[u8]| {
            crate::archive::tar::numeric(v).map_or_else(|| printable(v), |n| n.to_string())
        };
        let summary = match *field {
            "uid" | "gid" => format!("{field} `{}` in A, `{}` in B", number(va), number(vb)),
            "uname" | "gname" => {
                format!("{field} `{}` in A, `{}` in B", printable(va), printable(vb))
            }
            _ => format!(
                "header field {field}: `{}` in A, `{}` in B",
                printable(va),
                printable(vb)
            ),
        };
        out.push(Difference::new(here, kind, summary));
    }
    if x.extensions != y.extensions {
        let show = |e: &[(u8, Vec<u8>)]| {
            e.iter()
                .map(|(t, d)| format!("{}: {}", *t as char, String::from_utf8_lossy(d).trim_end()))
                .collect::<Vec<_>>()
                .join("; ")
        };
        out.push(Difference::new(
            here,
            Kind::TarHeader,
            format!(
                "extension headers `{}` in A, `{}` in B",
                show(&x.extensions),
                show(&y.extensions)
            ),
        ));
    }
}

/// A gzip MTIME: 0 means no time stamp (RFC 1952).
fn gzip_time(t: u32) -> String {
    if t == 0 {
        "none (0)".to_string()
    } else {
        crate::date::iso_with_raw(t.into())
    }
}

/// Compare the gzip layers of two `.tar.gz`.
fn compare_gzip(
    loc: &str,
    ga: &crate::archive::gzip::GzipInfo,
    gb: &crate::archive::gzip::GzipInfo,
    out: &mut Vec<Difference>,
) {
    if ga.members.len() != gb.members.len() {
        out.push(Difference::new(
            loc,
            Kind::GzipMember,
            format!(
                "{} gzip member(s) in A, {} in B",
                ga.members.len(),
                gb.members.len()
            ),
        ));
    }
    for (i, (x, y)) in ga.members.iter().zip(&gb.members).enumerate() {
        let which = if ga.members.len() > 1 || gb.members.len() > 1 {
            format!("gzip member {} ", i + 1)
        } else {
            "gzip ".to_string()
        };
        let show = |v: &Option<Vec<u8>>| {
            v.as_deref().map_or("(none)".to_string(), |b| {
                String::from_utf8_lossy(b).into_owned()
            })
        };
        for (name, va, vb) in [
            ("MTIME", gzip_time(x.mtime()), gzip_time(y.mtime())),
            ("XFL", x.xfl().to_string(), y.xfl().to_string()),
            ("OS", x.os().to_string(), y.os().to_string()),
            (
                "FLG",
                format!("{:#04x}", x.flags()),
                format!("{:#04x}", y.flags()),
            ),
            ("FNAME", show(&x.name), show(&y.name)),
            ("FCOMMENT", show(&x.comment), show(&y.comment)),
            (
                "FEXTRA",
                x.extra.as_deref().map_or("(none)".into(), hex::encode),
                y.extra.as_deref().map_or("(none)".into(), hex::encode),
            ),
        ] {
            if va != vb {
                out.push(Difference::new(
                    loc,
                    Kind::GzipHeader,
                    format!("{which}{name} {va} in A, {vb} in B"),
                ));
            }
        }
    }
    if let (Some((_, la, ha)), Some((_, lb, hb))) = (&ga.trailing, &gb.trailing)
        && ha != hb
    {
        out.push(Difference::new(
            loc,
            Kind::TrailingData,
            format!("the {la} bytes after the gzip stream in A differ from the {lb} in B"),
        ));
    }
}

/// Compare two tar or tar.gz archives.
#[allow(clippy::too_many_arguments)]
pub fn compare_tars(
    a: &Path,
    b: &Path,
    fa: ArchiveFormat,
    fb: ArchiveFormat,
    loc: &str,
    ctx: &Ctx<'_>,
    depth: usize,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let options = ctx.options;
    let (gza, gzb) = (fa == ArchiveFormat::TarGz, fb == ArchiveFormat::TarGz);
    let ta = TarLayout::read(a, gza, &options.limits, &ctx.budget)?;
    let tb = TarLayout::read(b, gzb, &options.limits, &ctx.budget)?;
    let members = |t: &TarLayout| -> Vec<Member> {
        t.entries
            .iter()
            .map(|(e, sha)| Member {
                path: e.path.clone(),
                kind: e.kind,
                size: if e.kind == MemberKind::File {
                    e.size
                } else {
                    0
                },
                mode: e.mode,
                mtime: e.mtime,
                sha256: sha.clone(),
                link: e.link.clone(),
            })
            .collect()
    };
    let (ma, mb) = (members(&ta), members(&tb));
    refuse_unsafe(a, &ta.anomalies, &ma)?;
    refuse_unsafe(b, &tb.anomalies, &mb)?;

    match (&ta.gzip, &tb.gzip) {
        (Some(ga), Some(gb)) => compare_gzip(loc, ga, gb, out),
        (None, None) => {}
        _ => out.push(Difference::new(
            loc,
            Kind::GzipHeader,
            "gzip-compressed in one, plain tar in the other",
        )),
    }
    compare_anomalies(loc, &ta.anomalies, &tb.anomalies, out);
    if ta.end.sha256 != tb.end.sha256 && ta.end.nonzero + tb.end.nonzero > 0 {
        out.push(Difference::new(
            loc,
            Kind::TrailingData,
            format!(
                "after the end-of-archive marker: {} bytes ({} non-zero) in A, {} ({} non-zero) in B",
                ta.end.len, ta.end.nonzero, tb.end.len, tb.end.nonzero
            ),
        ));
    }
    let pad = |t: &TarLayout| -> BTreeMap<String, String> {
        t.padding
            .iter()
            .map(|p| (p.entry.clone(), p.sha256.clone()))
            .collect()
    };
    let (pa, pb) = (pad(&ta), pad(&tb));
    for name in pa.keys().chain(pb.keys()).collect::<BTreeSet<_>>() {
        if pa.get(name) != pb.get(name) {
            out.push(Difference::new(
                join(loc, name, true),
                Kind::Gap,
                "the padding after the member's data differs (bytes no reader extracts)",
            ));
        }
    }

    // Which members' bytes are needed: those that differ, and those on one side only.
    let ib: HashMap<&str, &Member> = mb.iter().map(|m| (m.path.as_str(), m)).collect();
    let ia: HashMap<&str, &Member> = ma.iter().map(|m| (m.path.as_str(), m)).collect();
    let wanted = |mine: &[Member], other: &HashMap<&str, &Member>| -> HashSet<String> {
        mine.iter()
            .filter(|m| m.kind == MemberKind::File)
            .filter(|m| {
                other
                    .get(m.path.as_str())
                    .is_none_or(|o| o.sha256 != m.sha256)
            })
            .map(|m| m.path.clone())
            .collect()
    };
    let (wa, wb) = (wanted(&ma, &ib), wanted(&mb, &ia));
    fn refs(w: &HashSet<String>) -> HashSet<&str> {
        w.iter().map(String::as_str).collect()
    }
    let cap = options.max_member_bytes;
    let mut ca = TarLayout::contents(
        a,
        gza,
        &options.limits,
        &ctx.budget,
        &refs(&wa),
        cap,
        MAX_DETAIL_BYTES,
    )?;
    let mut cb = TarLayout::contents(
        b,
        gzb,
        &options.limits,
        &ctx.budget,
        &refs(&wb),
        cap,
        MAX_DETAIL_BYTES,
    )?;
    let entries_a: HashMap<&str, usize> = ta
        .entries
        .iter()
        .enumerate()
        .map(|(i, (e, _))| (e.path.as_str(), i))
        .collect();
    let entries_b: HashMap<&str, usize> = tb
        .entries
        .iter()
        .enumerate()
        .map(|(i, (e, _))| (e.path.as_str(), i))
        .collect();
    if gza && gzb && ta.stream_sha256 == tb.stream_sha256 {
        out.push(Difference::new(
            loc,
            Kind::Recompressed,
            "the same tar stream, compressed into other bytes (another gzip level or tool)",
        ));
    }
    compare_members(
        &ma,
        &mb,
        loc,
        ctx,
        depth,
        out,
        &mut |n| Ok(ca.remove(n)),
        &mut |n| Ok(cb.remove(n)),
        &mut |x, y| Ok(x.sha256 == y.sha256),
        &mut |name, _, out| {
            tar_entry_fields(
                &join(loc, name, true),
                &ta.entries[entries_a[name]],
                &tb.entries[entries_b[name]],
                out,
            );
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
                (
                    "UT mtime".to_string(),
                    "2020-09-13T12:26:40Z (1600000000)".to_string()
                ),
                ("ux uid".to_string(), "1000".to_string()),
                ("ux gid".to_string(), "100".to_string())
            ]
        );
    }
}
