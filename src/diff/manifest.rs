//! Two build manifests: every section, then the outputs, member by member from the manifests
//! alone, or byte by byte when `--root-a`/`--root-b` say where the outputs are.

use std::collections::BTreeMap;
use std::path::Path;

use crate::archive::Member;
use crate::diff::{Ctx, DiffError, Difference, Kind, compare, io_error};
use crate::manifest::{Build, Manifest, Output, Resolved};

/// Whether the output recorded as `o` is at `path`, and holds the bytes the manifest records;
/// a difference says so otherwise.
fn at_root(
    path: &Path,
    o: &Output,
    side: &str,
    flag: &str,
    p: &str,
    out: &mut Vec<Difference>,
) -> Result<bool, DiffError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.push(Difference::new(
                p,
                Kind::Content,
                format!("the output is not under {flag} (`{}`)", path.display()),
            ));
            return Ok(false);
        }
        Err(e) => return Err(io_error(path)(e)),
    };
    let actual = if meta.is_dir() {
        let members = crate::archive::dir::members(path)?;
        crate::digest::sha256(&serde_json::to_vec(&members).expect("members serialize")).hex()
    } else {
        let f = crate::fsio::open_regular(path).map_err(io_error(path))?;
        crate::digest::hash_reader(f, &[])
            .map_err(io_error(path))?
            .sha256
    };
    if actual != o.sha256 {
        out.push(Difference::new(
            p,
            Kind::Content,
            format!(
                "the bytes under {flag} are not what manifest {side} records (sha256 {} recorded, {actual} found)",
                o.sha256
            ),
        ));
    }
    Ok(true)
}

fn map_diff(
    kind: Kind,
    what: &str,
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    out: &mut Vec<Difference>,
) {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for k in keys {
        let (x, y) = (a.get(k), b.get(k));
        if x != y {
            out.push(Difference::new(
                format!("{what}.{k}"),
                kind,
                format!(
                    "`{}` in A, `{}` in B",
                    x.map_or("(unset)", String::as_str),
                    y.map_or("(unset)", String::as_str)
                ),
            ));
        }
    }
}

/// Compare two manifests: every section, then the outputs member by member (descending into
/// the real bytes when `--root-a`/`--root-b` say where they are).
pub fn diff_manifests(
    a: &Path,
    b: &Path,
    ctx: &Ctx<'_>,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (ma, mb) = (Manifest::load(a)?, Manifest::load(b)?);
    let roots = match (&ctx.options.root_a, &ctx.options.root_b) {
        (Some(ra), Some(rb)) => Some((ra.as_path(), rb.as_path())),
        _ => None,
    };
    if ma.build_id == mb.build_id && roots.is_none() {
        return Ok(());
    }
    let (x, y) = (&ma.build, &mb.build);
    map_diff(Kind::Tool, "tool", &x.tool, &y.tool, out);
    if x.target != y.target {
        out.push(Difference::new(
            "target",
            Kind::Target,
            format!("`{}` in A, `{}` in B", x.target, y.target),
        ));
    }
    if x.source_date_epoch != y.source_date_epoch {
        out.push(Difference::new(
            "source_date_epoch",
            Kind::Environment,
            format!(
                "{} in A, {} in B",
                crate::date::iso_with_raw(x.source_date_epoch),
                crate::date::iso_with_raw(y.source_date_epoch)
            ),
        ));
    }
    map_diff(
        Kind::Environment,
        "environment",
        &x.environment,
        &y.environment,
        out,
    );
    map_diff(
        Kind::Toolchain,
        "toolchains",
        &x.toolchains,
        &y.toolchains,
        out,
    );
    let inputs = |m: &Build| {
        m.inputs
            .iter()
            .map(|i| (i.path.clone(), i.sha256.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    map_diff(Kind::Input, "inputs", &inputs(x), &inputs(y), out);
    if x.command != y.command {
        out.push(Difference::new(
            "command",
            Kind::Command,
            format!(
                "`{}` in A, `{}` in B",
                x.command.join(" "),
                y.command.join(" ")
            ),
        ));
    }
    let key = |r: &Resolved| (r.ecosystem.clone(), r.name.clone(), r.filename.clone());
    let ra: BTreeMap<_, _> = x.resolved.iter().map(|r| (key(r), r)).collect();
    let rb: BTreeMap<_, _> = y.resolved.iter().map(|r| (key(r), r)).collect();
    for (k, r) in &ra {
        match rb.get(k) {
            None => out.push(Difference::new(
                format!("resolved/{}/{}", k.0, k.2),
                Kind::ResolvedRemoved,
                format!("{}=={} ({}) only in A", r.name, r.version, r.filename),
            )),
            Some(s) if s != r => out.push(Difference::new(
                format!("resolved/{}/{}", k.0, k.2),
                Kind::ResolvedChanged,
                format!(
                    "{}=={} sha256:{} in A, {}=={} sha256:{} in B",
                    r.name, r.version, r.sha256, s.name, s.version, s.sha256
                ),
            )),
            _ => {}
        }
    }
    for (k, r) in rb.iter().filter(|(k, _)| !ra.contains_key(*k)) {
        out.push(Difference::new(
            format!("resolved/{}/{}", k.0, k.2),
            Kind::ResolvedAdded,
            format!("{}=={} ({}) only in B", r.name, r.version, r.filename),
        ));
    }
    let oa: BTreeMap<&str, &Output> = x.outputs.iter().map(|o| (o.path.as_str(), o)).collect();
    let ob: BTreeMap<&str, &Output> = y.outputs.iter().map(|o| (o.path.as_str(), o)).collect();
    for (p, o) in &oa {
        let Some(q) = ob.get(p) else {
            out.push(Difference::new(
                *p,
                Kind::Removed,
                format!("output only in A ({} bytes)", o.size),
            ));
            continue;
        };
        // With the bytes at hand, the bytes decide: each must be what its manifest records,
        // and the two are compared for real (nested archives, every byte).
        if let Some((ra, rb)) = roots {
            if let Some(why) = crate::archive::unsafe_path(p) {
                return Err(DiffError::Io {
                    path: a.to_path_buf(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("the output path `{p}` is unsafe to look up under a root: {why}"),
                    ),
                });
            }
            let (fa, fb) = (ra.join(p), rb.join(p));
            let present_a = at_root(&fa, o, "A", "--root-a", p, out)?;
            let present_b = at_root(&fb, q, "B", "--root-b", p, out)?;
            if present_a && present_b {
                compare(&fa, &fb, p, ctx, 0, out)?;
            }
            continue;
        }
        if o.sha256 == q.sha256 && o.members == q.members {
            continue;
        }
        member_diff(p, o, q, out);
    }
    for (p, o) in ob.iter().filter(|(p, _)| !oa.contains_key(*p)) {
        out.push(Difference::new(
            *p,
            Kind::Added,
            format!("output only in B ({} bytes)", o.size),
        ));
    }
    Ok(())
}

/// Every member an output records, direct and nested, grouped by the archive that holds it
/// (`""` for the output itself, `fn.zip!/pkg.whl` for a wheel in a zip in a tree), each group
/// in recorded order, with names relative to that archive.
fn groups(o: &Output) -> BTreeMap<&str, Vec<(&str, &Member)>> {
    let mut out: BTreeMap<&str, Vec<(&str, &Member)>> = BTreeMap::new();
    out.insert("", o.members.iter().map(|m| (m.path.as_str(), m)).collect());
    let mut files: std::collections::HashSet<&str> = o
        .members
        .iter()
        .filter(|m| m.sha256.is_some())
        .map(|m| m.path.as_str())
        .collect();
    for m in &o.nested {
        // The holder is the longest prefix, before a `!/`, that is a file recorded earlier
        // (a member's own name may hold `!/`).
        let holder = m
            .path
            .rmatch_indices("!/")
            .map(|(i, _)| i)
            .find(|&i| files.contains(&m.path[..i]));
        if let Some(i) = holder {
            out.entry(&m.path[..i])
                .or_default()
                .push((&m.path[i + 2..], m));
        }
        if m.sha256.is_some() {
            files.insert(m.path.as_str());
        }
    }
    out
}

/// Differences between two recorded outputs, from their member lists alone (nested archives'
/// members included, so a difference inside a wheel inside a zip is named there).
fn member_diff(p: &str, o: &Output, q: &Output, out: &mut Vec<Difference>) {
    let (ga, gb) = (groups(o), groups(q));
    let into = o.kind != "tree";
    if !level_diff(p, into, "", &ga, &gb, out) {
        out.push(Difference::new(
            p,
            Kind::Content,
            format!(
                "bytes differ (sha256 {} → {}) with the same members: archive headers differ",
                o.sha256, q.sha256
            ),
        ));
    }
}

/// The members of the archive `holder` (`""`: the output) in A and B; whether any difference
/// was found.
fn level_diff(
    p: &str,
    into: bool,
    holder: &str,
    ga: &BTreeMap<&str, Vec<(&str, &Member)>>,
    gb: &BTreeMap<&str, Vec<(&str, &Member)>>,
    out: &mut Vec<Difference>,
) -> bool {
    let full = |name: &str| {
        if holder.is_empty() {
            name.to_string()
        } else {
            format!("{holder}!/{name}")
        }
    };
    let join = |name: &str| crate::diff::join(p, &full(name), into);
    let here = if holder.is_empty() {
        p.to_string()
    } else {
        crate::diff::join(p, holder, into)
    };
    let empty = Vec::new();
    let (la, lb) = (
        ga.get(holder).unwrap_or(&empty),
        gb.get(holder).unwrap_or(&empty),
    );
    let ia: BTreeMap<&str, &Member> = la.iter().copied().collect();
    let ib: BTreeMap<&str, &Member> = lb.iter().copied().collect();
    let before = out.len();
    let order_a: Vec<&str> = la
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| ib.contains_key(n))
        .collect();
    let order_b: Vec<&str> = lb
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| ia.contains_key(n))
        .collect();
    if order_a != order_b {
        out.push(Difference::new(
            &here,
            Kind::Order,
            "same members, different order",
        ));
    }
    for (n, m) in &ia {
        match ib.get(n) {
            None => out.push(Difference::new(
                join(n),
                Kind::Removed,
                format!("only in A ({} bytes)", m.size),
            )),
            Some(k) => {
                let inner = full(n);
                let opened = ga.contains_key(inner.as_str()) && gb.contains_key(inner.as_str());
                let differs = m.sha256 != k.sha256 || m.size != k.size;
                if differs && !opened {
                    out.push(Difference::new(
                        join(n),
                        Kind::Content,
                        format!(
                            "content differs ({} → {} bytes); pass --root-a/--root-b to see the bytes",
                            m.size, k.size
                        ),
                    ));
                }
                if m.mode != k.mode {
                    out.push(Difference::new(
                        join(n),
                        Kind::Mode,
                        format!("mode {:o} in A, {:o} in B", m.mode, k.mode),
                    ));
                }
                if m.mtime != k.mtime {
                    out.push(Difference::new(
                        join(n),
                        Kind::Mtime,
                        format!(
                            "mtime {} in A, {} in B",
                            crate::date::iso_with_raw(m.mtime),
                            crate::date::iso_with_raw(k.mtime)
                        ),
                    ));
                }
                if m.link != k.link {
                    out.push(Difference::new(
                        join(n),
                        Kind::LinkTarget,
                        "link target differs",
                    ));
                }
                // A nested archive recorded on both sides: its members say what differs.
                if differs && opened && !level_diff(p, into, &inner, ga, gb, out) {
                    out.push(Difference::new(
                        join(n),
                        Kind::Content,
                        format!(
                            "bytes differ ({} → {} bytes) with the same members: archive headers differ",
                            m.size, k.size
                        ),
                    ));
                }
            }
        }
    }
    for (n, m) in ib.iter().filter(|(n, _)| !ia.contains_key(*n)) {
        out.push(Difference::new(
            join(n),
            Kind::Added,
            format!("only in B ({} bytes)", m.size),
        ));
    }
    out.len() > before
}
