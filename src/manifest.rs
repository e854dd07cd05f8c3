//! The build manifest: what `repro build` records on each machine, and how two are compared.
//!
//! The document has three parts: `build`, everything that must be equal on two machines
//! building the same release (tool and toolchain versions, target, normalized environment,
//! input lockfiles, the resolved artifact set, the command, and every output down to its
//! members); `build_id`, the SHA-256 of `build` serialized canonically (compact JSON, struct
//! fields in a fixed order, maps sorted, no floats); and `host`, facts of one machine (hostname,
//! times, build directory) that comparison ignores. Two reproducible builds give byte-identical
//! `build` parts and so the same `build_id`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveFormat, Member, MemberKind, WalkLimits};
use crate::diff::{DiffError, DiffOptions, Difference, Kind};

/// The manifest schema this version writes and reads.
pub const SCHEMA: &str = "repro.manifest/v1";

/// Largest manifest read. A manifest records every member of every output (a tree of 100,000
/// files is about 20 MB); the cap keeps a mistaken path from exhausting memory.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// A build manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`SCHEMA`].
    pub schema: String,
    /// `sha256:` of the canonical serialization of `build`.
    pub build_id: String,
    /// The comparable part.
    pub build: Build,
    /// Host facts, ignored by comparison.
    pub host: Host,
}

/// The comparable part of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// `repro` and its version.
    pub tool: BTreeMap<String, String>,
    /// The target name.
    pub target: String,
    /// The timestamp handed to the build.
    pub source_date_epoch: i64,
    /// The environment handed to the command (host-specific values as placeholders).
    pub environment: BTreeMap<String, String>,
    /// Versions of python, pip, uv, rustc, cargo, where present.
    pub toolchains: BTreeMap<String, String>,
    /// Input lockfiles.
    pub inputs: Vec<InputFile>,
    /// Every resolved artifact, sorted.
    pub resolved: Vec<Resolved>,
    /// The command run, if any.
    pub command: Vec<String>,
    /// Every declared output.
    pub outputs: Vec<Output>,
}

/// An input lockfile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InputFile {
    /// Path as given.
    pub path: String,
    /// SHA-256 hex.
    pub sha256: String,
}

/// A resolved artifact.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resolved {
    /// `pypi` or `cargo`.
    pub ecosystem: String,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// File name.
    pub filename: String,
    /// SHA-256 hex.
    pub sha256: String,
    /// BLAKE3 hex.
    pub blake3: String,
    /// Size in bytes.
    pub size: u64,
}

/// A declared output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Path as given.
    pub path: String,
    /// `file`, `archive` or `tree`.
    pub kind: String,
    /// Size in bytes (files and archives).
    pub size: u64,
    /// SHA-256 hex (files and archives; for trees, of the member list).
    pub sha256: String,
    /// Members of archives and trees, in a deterministic order.
    pub members: Vec<Member>,
}

/// Host facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// Host name.
    pub hostname: String,
    /// Start, seconds since the Unix epoch.
    pub started: u64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// Absolute build directory.
    pub build_dir: String,
}

impl Build {
    /// The build id: `sha256:` of the canonical serialization.
    pub fn id(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("manifests serialize");
        format!("sha256:{}", crate::digest::sha256(&bytes).hex())
    }
}

impl Manifest {
    /// A manifest for `build`, with its id.
    pub fn new(build: Build, host: Host) -> Manifest {
        Manifest {
            schema: SCHEMA.to_string(),
            build_id: build.id(),
            build,
            host,
        }
    }

    /// Load and validate a manifest (a regular file of at most [`MAX_MANIFEST_BYTES`]).
    pub fn load(path: &Path) -> Result<Manifest, DiffError> {
        let bytes = crate::fsio::read_capped(path, MAX_MANIFEST_BYTES)
            .map_err(crate::diff::io_error(path))?;
        let err = |detail: String| DiffError::Manifest {
            path: path.to_path_buf(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| err(format!("not JSON: {e}")))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => {}
            Some(other) => {
                return Err(err(format!(
                    "manifest schema `{other}` is not `{SCHEMA}`, the one this repro reads"
                )));
            }
            None => return Err(err("no `schema`: not a repro manifest".into())),
        }
        let m: Manifest =
            serde_json::from_value(value).map_err(|e| err(format!("malformed manifest: {e}")))?;
        if m.build.id() != m.build_id {
            return Err(err(format!(
                "build_id {} does not match its build section ({}): the manifest was edited",
                m.build_id,
                m.build.id()
            )));
        }
        Ok(m)
    }
}

/// Whether `path` looks like a repro manifest (JSON naming a `repro.manifest` schema).
pub fn is_manifest(path: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = crate::fsio::open_regular(path) else {
        return false;
    };
    let mut head = String::new();
    let _ = f.take(4096).read_to_string(&mut head);
    head.trim_start().starts_with('{') && head.contains("\"repro.manifest/")
}

/// Describe an output: a file, an archive (with its members), or a tree (with its entries).
pub fn describe_output(path: &Path, given: &str, limits: &WalkLimits) -> Result<Output, DiffError> {
    let meta = std::fs::symlink_metadata(path).map_err(crate::diff::io_error(path))?;
    if meta.is_dir() {
        let members = tree_members(path)?;
        let listing = serde_json::to_vec(&members).expect("members serialize");
        return Ok(Output {
            path: given.to_string(),
            kind: "tree".into(),
            size: members.iter().map(|m| m.size).sum(),
            sha256: crate::digest::sha256(&listing).hex(),
            members,
        });
    }
    let f = std::fs::File::open(path).map_err(crate::diff::io_error(path))?;
    let d = crate::digest::hash_reader(f, &[]).map_err(crate::diff::io_error(path))?;
    let archive = ArchiveFormat::sniff(path)
        .map_err(crate::diff::io_error(path))?
        .is_some();
    let members = if archive {
        crate::archive::walk(path, limits)?
    } else {
        Vec::new()
    };
    Ok(Output {
        path: given.to_string(),
        kind: if archive { "archive" } else { "file" }.into(),
        size: d.size,
        sha256: d.sha256,
        members,
    })
}

fn tree_members(root: &Path) -> Result<Vec<Member>, DiffError> {
    let mut out = Vec::new();
    for (rel, path, meta) in crate::diff::walk_tree(root)? {
        let (kind, sha256, link, size) = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(crate::diff::io_error(&path))?;
            (
                MemberKind::Symlink,
                None,
                Some(target.to_string_lossy().into_owned()),
                0,
            )
        } else if meta.is_dir() {
            (MemberKind::Dir, None, None, 0)
        } else {
            let f = std::fs::File::open(&path).map_err(crate::diff::io_error(&path))?;
            let d = crate::digest::hash_reader(f, &[]).map_err(crate::diff::io_error(&path))?;
            (MemberKind::File, Some(d.sha256), None, d.size)
        };
        out.push(Member {
            path: rel,
            kind,
            size,
            mode: crate::diff::tree_mode(&meta),
            mtime: crate::diff::tree_mtime(&meta),
            sha256,
            link,
        });
    }
    Ok(out)
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
    options: &DiffOptions,
    out: &mut Vec<Difference>,
) -> Result<(), DiffError> {
    let (ma, mb) = (Manifest::load(a)?, Manifest::load(b)?);
    if ma.build_id == mb.build_id {
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
            format!("{} in A, {} in B", x.source_date_epoch, y.source_date_epoch),
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
        if o.sha256 == q.sha256 && o.members == q.members {
            continue;
        }
        // With the bytes at hand, compare them for real (text diffs, nested archives).
        if let (Some(ra), Some(rb)) = (&options.root_a, &options.root_b) {
            let (fa, fb) = (ra.join(p), rb.join(p));
            if fa.exists() && fb.exists() {
                crate::diff::compare(&fa, &fb, p, options, 0, out)?;
                continue;
            }
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

/// Differences between two recorded outputs, from their member lists alone.
fn member_diff(p: &str, o: &Output, q: &Output, out: &mut Vec<Difference>) {
    let into = o.kind != "tree";
    let join = |name: &str| crate::diff::join(p, name, into);
    let ia: BTreeMap<&str, &Member> = o.members.iter().map(|m| (m.path.as_str(), m)).collect();
    let ib: BTreeMap<&str, &Member> = q.members.iter().map(|m| (m.path.as_str(), m)).collect();
    let before = out.len();
    let order_a: Vec<&str> = o
        .members
        .iter()
        .map(|m| m.path.as_str())
        .filter(|n| ib.contains_key(n))
        .collect();
    let order_b: Vec<&str> = q
        .members
        .iter()
        .map(|m| m.path.as_str())
        .filter(|n| ia.contains_key(n))
        .collect();
    if order_a != order_b {
        out.push(Difference::new(
            p,
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
                if m.sha256 != k.sha256 || m.size != k.size {
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
                        format!("mtime {} in A, {} in B", m.mtime, k.mtime),
                    ));
                }
                if m.link != k.link {
                    out.push(Difference::new(
                        join(n),
                        Kind::LinkTarget,
                        "link target differs",
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
    if out.len() == before {
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
