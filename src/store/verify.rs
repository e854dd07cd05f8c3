//! `store verify`: re-prove every object, in parallel.
//!
//! Shallow: SHA-256 and BLAKE3 of every object in one streaming pass, against its name and its
//! record. Deep: also walk every archive (wheel, crate, sdist), hash each member after
//! decompression, check archive sanity (see [`crate::archive`]) and keep the per-member index in
//! the object's record for later diffs.

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::archive::{self, ArchiveFormat, WalkLimits};
use crate::digest::hash_reader;
use crate::store::{ObjectId, Store};

/// Version of the JSON document `repro store verify --json` prints.
pub const REPORT_SCHEMA: &str = "repro.store-verify/v1";

/// What is wrong with an object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ProblemKind {
    /// The bytes no longer hash to the object's name (bit flip, truncation, overwrite).
    Corrupt {
        /// SHA-256 of the bytes now.
        actual: String,
        /// Size now.
        size: u64,
    },
    /// A file the store did not write under `objects/` or `records/`: its name is not a
    /// SHA-256 in lower-case hex (or not UTF-8), or it sits in the wrong fan-out directory.
    BadName,
    /// The bytes match the name, but not the record (size or BLAKE3).
    RecordMismatch {
        /// What differs.
        detail: String,
    },
    /// The object has no record (the store was interrupted right after admitting it): `fetch`
    /// would call it present while nothing knows its file name.
    MissingRecord,
    /// The record cannot be read, is not valid, names another object or lists a file name that
    /// is not plain. It is never rewritten; `--repair` sets it aside and writes a fresh one.
    BadRecord {
        /// What is wrong.
        detail: String,
    },
    /// A record whose object is not in the store.
    OrphanRecord,
    /// The object could not be read.
    Unreadable {
        /// Why.
        detail: String,
    },
    /// The archive is malformed or unsafe (deep only), or is not the format its file names say.
    Archive {
        /// The rule it breaks (absent for a malformed archive).
        #[serde(skip_serializing_if = "Option::is_none")]
        rule: Option<crate::archive::Rule>,
        /// Why, naming the member.
        detail: String,
    },
}

/// One bad object.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The object's name.
    pub object: String,
    /// File names it was published under.
    pub filenames: Vec<String>,
    /// What is wrong.
    pub problem: ProblemKind,
    /// Where `--repair` moved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantined: Option<String>,
    /// What `--repair` did to its record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repaired: Option<String>,
}

/// The result of `store verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// Whether archives were walked.
    pub deep: bool,
    /// Objects checked.
    pub objects: usize,
    /// Bytes hashed (object bytes; deep walks add their decompressed bytes to `member_bytes`).
    pub bytes: u64,
    /// Archives walked (deep).
    pub archives: usize,
    /// Members hashed (deep).
    pub members: usize,
    /// Decompressed member bytes hashed (deep).
    pub member_bytes: u64,
    /// Objects with a problem, sorted by name.
    pub problems: Vec<Problem>,
}

/// Verification options.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions {
    /// Walk archives.
    pub deep: bool,
    /// Quarantine corrupted objects.
    pub repair: bool,
    /// Archive bounds.
    pub limits: Option<WalkLimits>,
}

/// Verify every object of `store` on the current rayon pool. `progress` hears each object.
pub fn verify(
    store: &Store,
    options: VerifyOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<VerifyReport, crate::store::StoreError> {
    let listing = store.list()?;
    let objects = &listing.entries;
    let bytes = AtomicU64::new(0);
    let archives = AtomicU64::new(0);
    let members = AtomicU64::new(0);
    let member_bytes = AtomicU64::new(0);
    let limits = options.limits.unwrap_or_default();
    let mut problems: Vec<Problem> = objects
        .par_iter()
        .filter_map(|name| {
            let result = check_one(
                store,
                name,
                options.deep,
                &limits,
                &bytes,
                &archives,
                &members,
                &member_bytes,
            );
            progress(1);
            let problem = result.err()?;
            let record = store.record(name);
            let quarantined = if options.repair
                && matches!(
                    problem,
                    ProblemKind::Corrupt { .. } | ProblemKind::Archive { .. }
                ) {
                store.quarantine(name).ok().map(|p| p.display().to_string())
            } else {
                None
            };
            let repaired = if options.repair {
                repair_record(store, name, &problem)
            } else {
                None
            };
            Some(Problem {
                object: name.hex(),
                filenames: record
                    .map(|r| r.filenames.into_iter().collect())
                    .unwrap_or_default(),
                problem,
                quarantined,
                repaired,
            })
        })
        .collect();
    // Records of objects that are not there.
    let present: std::collections::HashSet<&ObjectId> = objects.iter().collect();
    let records = store.list_records()?;
    for id in &records.entries {
        if present.contains(id) {
            continue;
        }
        let filenames = store
            .record(id)
            .map(|r| r.filenames.into_iter().collect())
            .unwrap_or_default();
        let repaired = (options.repair && store.remove_record(id).is_ok())
            .then(|| "record removed".to_string());
        problems.push(Problem {
            filenames,
            object: id.hex(),
            problem: ProblemKind::OrphanRecord,
            quarantined: None,
            repaired,
        });
    }
    // Files the store did not write: named by their path under the store, never opened.
    for stray in listing.strays.iter().chain(&records.strays) {
        progress(1);
        let quarantined = if options.repair {
            store
                .quarantine_stray(stray)
                .ok()
                .map(|p| p.display().to_string())
        } else {
            None
        };
        problems.push(Problem {
            object: stray
                .strip_prefix(store.root())
                .unwrap_or(stray)
                .to_string_lossy()
                .into_owned(),
            filenames: Vec::new(),
            problem: ProblemKind::BadName,
            quarantined,
            repaired: None,
        });
    }
    problems.sort_by(|a, b| a.object.cmp(&b.object));
    Ok(VerifyReport {
        schema: REPORT_SCHEMA,
        deep: options.deep,
        objects: objects.len() + listing.strays.len(),
        bytes: bytes.into_inner(),
        archives: archives.into_inner() as usize,
        members: members.into_inner() as usize,
        member_bytes: member_bytes.into_inner(),
        problems,
    })
}

/// Mend an object's record under `--repair`: a missing one is rebuilt from the object (its file
/// names come back with the next `fetch`), an unreadable one is set aside first.
fn repair_record(store: &Store, name: &ObjectId, problem: &ProblemKind) -> Option<String> {
    let set_aside = match problem {
        ProblemKind::MissingRecord => None,
        ProblemKind::BadRecord { .. } => Some(store.quarantine_record(name).ok()?),
        _ => return None,
    };
    let d = store.confirm(name, &[]).ok()?;
    store
        .note(
            &d,
            &crate::store::Provenance {
                filename: String::new(),
                origin: "store verify --repair".into(),
            },
        )
        .ok()?;
    Some(match set_aside {
        Some(p) => format!("record set aside at {}; a fresh one written", p.display()),
        None => "record rebuilt from the object".into(),
    })
}

#[allow(clippy::too_many_arguments)]
fn check_one(
    store: &Store,
    name: &ObjectId,
    deep: bool,
    limits: &WalkLimits,
    bytes: &AtomicU64,
    archives: &AtomicU64,
    members: &AtomicU64,
    member_bytes: &AtomicU64,
) -> Result<(), ProblemKind> {
    let path = store.object_path(name);
    let file = File::open(&path).map_err(|e| ProblemKind::Unreadable {
        detail: e.to_string(),
    })?;
    let d = hash_reader(file, &[]).map_err(|e| ProblemKind::Unreadable {
        detail: e.to_string(),
    })?;
    bytes.fetch_add(d.size, Ordering::Relaxed);
    if d.object_id() != *name {
        return Err(ProblemKind::Corrupt {
            actual: d.sha256,
            size: d.size,
        });
    }
    let record = match store.read_record(name) {
        Ok(r) => r,
        Err(crate::store::StoreError::BadRecord { detail, .. }) => {
            return Err(ProblemKind::BadRecord { detail });
        }
        Err(e) => {
            return Err(ProblemKind::Unreadable {
                detail: e.to_string(),
            });
        }
    };
    if let Some(r) = &record
        && (r.blake3 != d.blake3 || r.size != d.size)
    {
        return Err(ProblemKind::RecordMismatch {
            detail: format!(
                "record says {} bytes, blake3 {}; object has {} bytes, blake3 {}",
                r.size, r.blake3, d.size, d.blake3
            ),
        });
    }
    if deep {
        deep_check(
            store,
            name,
            record.as_ref(),
            limits,
            archives,
            members,
            member_bytes,
        )?;
    }
    if record.is_none() {
        return Err(ProblemKind::MissingRecord);
    }
    Ok(())
}

/// Walk an archive object, refusing it when it is not what its file names say or breaks an
/// archive rule, and keep its member index in its record.
fn deep_check(
    store: &Store,
    name: &ObjectId,
    record: Option<&crate::store::ObjectRecord>,
    limits: &WalkLimits,
    archives: &AtomicU64,
    members: &AtomicU64,
    member_bytes: &AtomicU64,
) -> Result<(), ProblemKind> {
    let path = store.object_path(name);
    let format = ArchiveFormat::sniff(&path).map_err(|e| ProblemKind::Unreadable {
        detail: e.to_string(),
    })?;
    // What the object was published as decides what it must be: a `.whl` that is not a zip is
    // refused, not skipped as "not an archive".
    let expected = record.and_then(|r| {
        r.filenames.iter().find_map(|f| {
            let f = f.to_ascii_lowercase();
            if f.ends_with(".whl") || f.ends_with(".zip") || f.ends_with(".egg") {
                Some((ArchiveFormat::Zip, f))
            } else if f.ends_with(".tar.gz") || f.ends_with(".tgz") || f.ends_with(".crate") {
                Some((ArchiveFormat::TarGz, f))
            } else if f.ends_with(".tar") {
                Some((ArchiveFormat::Tar, f))
            } else {
                None
            }
        })
    });
    if let Some((want, filename)) = &expected
        && format != Some(*want)
    {
        return Err(ProblemKind::Archive {
            rule: None,
            detail: format!(
                "published as `{filename}`, but its bytes are {}",
                match format {
                    Some(f) => format!("a {f:?} archive").to_lowercase(),
                    None => "not an archive".to_string(),
                }
            ),
        });
    }
    if format.is_none() {
        return Ok(());
    }
    let walked = archive::walk(&path, limits).map_err(|e| ProblemKind::Archive {
        rule: e.rule(),
        detail: e
            .to_string()
            .replace(&path.display().to_string(), &name.hex()),
    })?;
    archives.fetch_add(1, Ordering::Relaxed);
    members.fetch_add(walked.len() as u64, Ordering::Relaxed);
    member_bytes.fetch_add(walked.iter().map(|m| m.size).sum(), Ordering::Relaxed);
    if record.is_some_and(|r| r.members.as_ref() != Some(&walked)) {
        // The member index is a cache: a store that cannot be written (read-only media, another
        // user's store) keeps its objects' verdicts, and a record that changed meanwhile is
        // never overwritten with a stale copy.
        let _ = store.update_record(name, crate::store::ObjectRecord::default, |r| {
            if r.members.as_ref() == Some(&walked) {
                return false;
            }
            r.members = Some(walked);
            true
        });
    }
    Ok(())
}
