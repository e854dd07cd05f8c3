//! A compact local index of OSV sources (`repro db index`), so that an audit reads only the
//! advisories of the packages it checks.
//!
//! Layout: the magic line `repro-osv-index\n`, a little-endian `u64` header length, the header
//! (JSON: schema, the sources with their fingerprints, the problems found while indexing, and
//! for each package the byte ranges of its advisories), then the advisories as JSON, one after
//! another.
//!
//! Staleness: the index records, per directory source, every directory's modification time
//! (adding, removing or renaming a record, as `git pull`, rsync and unzip do, changes its
//! directory's), and per record the SHA-256 of its file; a zip or single-file source is recorded
//! by size and modification time. An audit re-stats the directories (in parallel, no walk) and
//! re-hashes each record it reads, and refuses the index when anything differs. A record
//! rewritten in place to name a different package is the one change this does not see; rebuild
//! the index after editing records by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::model::{Ecosystem, PackageName};
use crate::osv::{Advisory, Database, OsvError, Parsed, Problem};

/// First bytes of an index file.
pub const MAGIC: &[u8; 16] = b"repro-osv-index\n";
// v2: advisories carry their `references` (an index of v1 would report none).
const SCHEMA: &str = "repro.osv-index/v2";

/// Errors opening or building an index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The index is older than one of its sources.
    #[error(
        "{index}: stale index: the source {source_path} changed since it was indexed; rebuild it with `repro db index`"
    )]
    Stale {
        /// The index file.
        index: PathBuf,
        /// The source that changed.
        source_path: PathBuf,
    },
    /// A record the audit reads was edited since it was indexed. The record's path names the
    /// package it concerns, which an audit keeps private: it is not in the message
    /// ([`IndexError::private_detail`] has it, for `--show`).
    #[error(
        "{index}: stale index: an advisory record this audit reads changed since it was indexed; rebuild it with `repro db index`"
    )]
    StaleRecord {
        /// The index file.
        index: PathBuf,
        /// The record that changed.
        record: PathBuf,
    },
    /// The file is not an index, or is damaged.
    #[error("{path}: not a readable repro OSV index: {message}")]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A source cannot be read.
    #[error(transparent)]
    Source(#[from] OsvError),
    /// Writing the index failed.
    #[error("{path}: cannot write the index: {message}")]
    Write {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl IndexError {
    /// What the message leaves out because it would name an audited package: the path of a
    /// changed record.
    pub fn private_detail(&self) -> Option<String> {
        match self {
            IndexError::StaleRecord { record, .. } => {
                Some(format!("the changed record is {}", record.display()))
            }
            _ => None,
        }
    }
}

/// A JSON error without the text it quotes (an index body holds package names).
fn json_error(e: &serde_json::Error) -> String {
    format!(
        "damaged JSON ({:?} error at line {}, column {})",
        e.classify(),
        e.line(),
        e.column()
    )
    .to_lowercase()
}

/// One indexed source and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceStamp {
    /// Absolute path of the source.
    pub path: PathBuf,
    /// SHA-256 over the (path, size, mtime) of `entries`, in order.
    pub fingerprint: String,
    /// Record files in the source.
    pub files: usize,
    /// The directories of a directory source, relative (`""` is the source itself), one per
    /// line. Empty for a zip or a single file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entries: String,
}

/// Hash the (path, size, mtime) of `entries` (relative to `root`; `""` is the root itself),
/// stat'ed relative to one descriptor of the root, in parallel.
fn fingerprint(root: &Path, entries: &[&str]) -> Result<String, OsvError> {
    use rayon::prelude::*;
    use rustix::fs::{AtFlags, Mode, OFlags};
    let fail = |p: &str, e: rustix::io::Errno| OsvError::Source {
        path: root.join(p),
        message: format!("cannot read: {}", std::io::Error::from(e)),
    };
    let line = |rel: &str, st: &rustix::fs::Stat| {
        format!(
            "{rel}\0{}\0{}.{}\n",
            st.st_size, st.st_mtime, st.st_mtime_nsec
        )
    };
    if entries == [""] {
        // A zip or a single record: the source is one file.
        let st = rustix::fs::lstat(root).map_err(|e| fail("", e))?;
        return Ok(hex::encode(Sha256::digest(line("", &st).as_bytes())));
    }
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let root_fd = rustix::fs::open(root, flags, Mode::empty()).map_err(|e| fail("", e))?;
    let lines: Vec<String> = entries
        .par_iter()
        .map(|rel| {
            let st = if rel.is_empty() {
                rustix::fs::fstat(&root_fd)
            } else {
                rustix::fs::statat(&root_fd, *rel, AtFlags::SYMLINK_NOFOLLOW)
            }
            .map_err(|e| fail(rel, e))?;
            Ok(line(rel, &st))
        })
        .collect::<Result<_, OsvError>>()?;
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
    }
    Ok(hex::encode(h.finalize()))
}

/// Walk a source and fingerprint it as it is now.
pub fn stamp(path: &Path) -> Result<SourceStamp, OsvError> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let meta = std::fs::metadata(&abs).map_err(|e| OsvError::Source {
        path: abs.clone(),
        message: format!("cannot read advisory database: {e}"),
    })?;
    if !meta.is_dir() {
        return Ok(SourceStamp {
            fingerprint: fingerprint(&abs, &[""])?,
            path: abs,
            files: 1,
            entries: String::new(),
        });
    }
    let (files, dirs) = crate::osv::walk(&abs)?;
    let list: Vec<String> = dirs
        .iter()
        .map(|p| {
            p.strip_prefix(&abs)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    Ok(SourceStamp {
        fingerprint: fingerprint(&abs, &refs)?,
        path: abs,
        files: files.len(),
        entries: list.join("\n"),
    })
}

/// Whether a source still has the fingerprint it was indexed with (its recorded entries are
/// stat'ed; no walk).
fn unchanged(s: &SourceStamp) -> bool {
    let refs: Vec<&str> = if s.entries.is_empty() {
        vec![""]
    } else {
        s.entries.split('\n').collect()
    };
    fingerprint(&s.path, &refs).is_ok_and(|f| f == s.fingerprint)
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    schema: String,
    sources: Vec<SourceStamp>,
    records_read: usize,
    withdrawn: usize,
    advisories: usize,
    problems: Vec<Problem>,
    /// Records whose `modified` time is after the day the index was built, kept so an audit can
    /// warn about the ones still in the future.
    modified_later: Vec<(usize, usize)>,
    /// `ecosystem/name` → (offset, length) of each advisory in the body.
    packages: BTreeMap<String, Vec<(usize, usize)>>,
}

fn key(ecosystem: Ecosystem, name: &PackageName) -> String {
    format!("{}/{}", ecosystem.as_str(), name.as_str())
}

/// What `build` did.
#[derive(Debug)]
pub struct Built {
    /// The sources indexed.
    pub sources: Vec<SourceStamp>,
    /// Advisories written.
    pub advisories: usize,
    /// Records read.
    pub records_read: usize,
    /// Records or ranges skipped, and warnings.
    pub problems: Vec<Problem>,
}

/// Index `sources` into `out` (atomically). `now_days` is the day of indexing.
pub fn build(sources: &[PathBuf], out: &Path, now_days: i64) -> Result<Built, IndexError> {
    let mut stamps = Vec::new();
    let mut db = Database::default();
    for s in sources {
        let before = stamp(s)?;
        let parsed: Vec<Parsed> = crate::osv::read_source(s, None)?;
        // A source rewritten while it was read would be indexed under the wrong fingerprint.
        if stamp(s)? != before {
            return Err(IndexError::Stale {
                index: out.to_path_buf(),
                source_path: s.clone(),
            });
        }
        stamps.push(before);
        crate::osv::absorb(&mut db, parsed, i64::MAX);
    }
    let mut body = Vec::new();
    let mut packages: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    let mut modified_later = Vec::new();
    for a in &db.advisories {
        let start = body.len();
        serde_json::to_writer(&mut body, a).expect("advisories serialize");
        let span = (start, body.len() - start);
        let mut keys: Vec<String> = a
            .affected
            .iter()
            .map(|x| key(x.ecosystem, &x.name))
            .collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            packages.entry(k).or_default().push(span);
        }
        if crate::osv::future_modified(a, now_days).is_some() {
            modified_later.push(span);
        }
    }
    let header = Header {
        schema: SCHEMA.into(),
        sources: stamps.clone(),
        records_read: db.records_read,
        withdrawn: db.withdrawn,
        advisories: db.advisories.len(),
        problems: db.problems.clone(),
        modified_later,
        packages,
    };
    let header = serde_json::to_vec(&header).expect("header serializes");
    let mut file = Vec::with_capacity(MAGIC.len() + 8 + header.len() + body.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&(header.len() as u64).to_le_bytes());
    file.extend_from_slice(&header);
    file.extend_from_slice(&body);
    crate::fsio::write_public_beside(out, &file).map_err(|e| IndexError::Write {
        path: out.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(Built {
        sources: stamps,
        advisories: db.advisories.len(),
        records_read: db.records_read,
        problems: db.problems,
    })
}

/// Whether `path` is an index file (by its magic).
pub fn is_index(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 16];
    crate::fsio::open_regular(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == MAGIC
}

/// Open an index, check that its sources are unchanged, and load the advisories of the given
/// packages only.
pub fn load(
    path: &Path,
    packages: &[(Ecosystem, PackageName)],
    now_days: i64,
) -> Result<Database, IndexError> {
    let corrupt = |message: String| IndexError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    use std::os::unix::fs::FileExt;
    // Only the header and the advisories asked for are read (positioned reads).
    let file = crate::fsio::open_regular(path).map_err(|e| corrupt(e.to_string()))?;
    let size = file.metadata().map_err(|e| corrupt(e.to_string()))?.len();
    let mut head = [0u8; 24];
    file.read_exact_at(&mut head, 0)
        .map_err(|_| corrupt("wrong magic".into()))?;
    if &head[..16] != MAGIC {
        return Err(corrupt("wrong magic".into()));
    }
    let len = u64::from_le_bytes(head[16..24].try_into().expect("8 bytes"));
    let body_start = 24u64
        .checked_add(len)
        .filter(|&e| e <= size)
        .ok_or_else(|| corrupt("header length past the end".into()))?;
    let mut header = vec![0u8; len as usize];
    file.read_exact_at(&mut header, 24)
        .map_err(|e| corrupt(e.to_string()))?;
    let header: Header = serde_json::from_slice(&header).map_err(|e| corrupt(json_error(&e)))?;
    if header.schema != SCHEMA {
        return Err(corrupt(format!(
            "schema `{}` (this repro reads `{SCHEMA}`); rebuild it",
            crate::redact::plain_text(&crate::digest::truncate(&header.schema, 40))
        )));
    }
    for s in &header.sources {
        if !unchanged(s) {
            return Err(IndexError::Stale {
                index: path.to_path_buf(),
                source_path: s.path.clone(),
            });
        }
    }
    let read = |(off, n): (usize, usize)| -> Result<Advisory, IndexError> {
        let start = body_start
            .checked_add(off as u64)
            .filter(|s| s.checked_add(n as u64).is_some_and(|e| e <= size))
            .ok_or_else(|| corrupt("advisory offset past the end".into()))?;
        let mut buf = vec![0u8; n];
        file.read_exact_at(&mut buf, start)
            .map_err(|e| corrupt(e.to_string()))?;
        serde_json::from_slice(&buf).map_err(|e| corrupt(json_error(&e)))
    };
    let mut spans: Vec<(usize, usize)> = packages
        .iter()
        .filter_map(|(e, n)| header.packages.get(&key(*e, n)))
        .flatten()
        .copied()
        .collect();
    spans.sort();
    spans.dedup();
    let wanted: std::collections::HashSet<String> =
        packages.iter().map(|(e, n)| key(*e, n)).collect();
    let mut db = Database {
        records_read: header.records_read,
        withdrawn: header.withdrawn,
        problems: header
            .problems
            .into_iter()
            .filter(|p| p.package.as_ref().is_none_or(|k| wanted.contains(k)))
            .collect(),
        ..Database::default()
    };
    for span in header.modified_later {
        let a = read(span)?;
        // As a scan of the sources does: only the records of the packages asked about.
        let relevant = a
            .affected
            .iter()
            .any(|x| wanted.contains(&key(x.ecosystem, &x.name)));
        if let Some(p) = crate::osv::future_modified(&a, now_days).filter(|_| relevant) {
            db.problems.push(p);
        }
    }
    let advisories = spans.into_iter().map(read).collect::<Result<Vec<_>, _>>()?;
    // The records this audit uses must still hold the bytes that were indexed.
    for a in &advisories {
        if let Some(want) = &a.record_sha256 {
            let now = crate::fsio::read_capped(Path::new(&a.source), crate::osv::MAX_RECORD_BYTES)
                .map(|b| hex::encode(Sha256::digest(&b)))
                .unwrap_or_default();
            if &now != want {
                return Err(IndexError::StaleRecord {
                    index: path.to_path_buf(),
                    record: PathBuf::from(&a.source),
                });
            }
        }
    }
    db.extend(advisories);
    Ok(db)
}
