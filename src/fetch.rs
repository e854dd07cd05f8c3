//! `fetch`: turn locks into verified objects in the store.
//!
//! Planning maps every locked package to the artifacts it needs (all of them, or the one an
//! installer picks for a [`Target`]); requirements files carry only hashes, so their file names
//! and URLs come from the index (PEP 691), or, when they name every allowed digest, from what the
//! store already knows: an object's record, the index's kept answer about a digest
//! ([`crate::store::answers`], written for every digest the index mapped, downloaded or not), or
//! the name of the `--find-links` file with that digest; then no request is made. Execution fetches each distinct
//! digest once, in parallel, from the store (already there), a `--find-links` folder, or the
//! network, and admits only bytes the lock allows. Per-artifact failures never stop the batch.
//!
//! A lock may pin an artifact by any strong digest (pip takes `--hash=sha512:`; uv.lock and
//! pylock.toml may carry SHA-384 or SHA-512): the download is hashed with that algorithm too,
//! admitted by that digest, and stored under its SHA-256 (the store's names). An index that
//! publishes no digest of the lock's algorithm cannot say which file a digest pins, so the files
//! of the pinned version are probed: each is downloaded and admitted only if its bytes have a
//! digest the lock allows (`not-locked` otherwise, as pip would refuse it too).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;

use crate::digest::{Digest, HashAlgorithm};
use crate::lockfile::{ArtifactKind, Lock, LockFormat, LockedPackage, PackageSource};
use crate::model::{Ecosystem, Location};
use crate::registry::settings::{IndexSetting, IndexSettings, IndexSource};
use crate::registry::{self, FetchError, FindLinks, Http, IndexFile};
use crate::resolve::{Selector, Target, select};
use crate::store::answers::{AnswerKind, AnsweredFile, IndexAnswer, usable_url};
use crate::store::{MAX_OBJECT_BYTES, ObjectId, Provenance, Store, StoreError};

/// Version of the JSON document `repro fetch --json` prints.
pub const REPORT_SCHEMA: &str = "repro.fetch/v1";

/// Most parallel downloads (`--jobs`). Each is a thread with its own connection; past a few
/// dozen, a mirror throttles and the machine's thread limit comes into view (`-j 5000` could
/// not start its threads).
pub const MAX_JOBS: usize = 256;

/// The byte limit of one download: what the server announced plus one byte (so a longer body is
/// caught), never more than the store's cap on an object. A `Content-Length` above the cap is
/// refused before a byte is read, so a server cannot lift the cap by announcing more.
pub fn download_limit(content_length: Option<u64>) -> Result<u64, u64> {
    match content_length {
        Some(n) if n > MAX_OBJECT_BYTES => Err(n),
        Some(n) => Ok((n + 1).min(MAX_OBJECT_BYTES)),
        None => Ok(MAX_OBJECT_BYTES),
    }
}

/// Where bytes may come from.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Python index (PEP 691 JSON) settings; each lock's index is chosen from them
    /// ([`IndexSettings::for_lock`]).
    pub index: IndexSettings,
    /// Crate download base.
    pub crates_url: String,
    /// Local folder of artifacts.
    pub find_links: Option<PathBuf>,
    /// The store alone.
    pub offline: bool,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            index: IndexSettings::new(None, &|_| None),
            crates_url: registry::DEFAULT_CRATES_URL.into(),
            find_links: None,
            offline: false,
        }
    }
}

/// One artifact to put in the store.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package name as written.
    pub package: String,
    /// Version.
    pub version: String,
    /// Where the lock declares the package.
    pub location: Location,
    /// File name.
    pub filename: String,
    /// Where to download it, when the network is a source.
    pub url: Option<String>,
    /// The digest this file must have.
    pub expected: Digest,
    /// Size the lock or index states.
    pub size: Option<u64>,
    /// A probe: the index could not say which file `expected` pins, so this file is tried
    /// against every digest in `allowed` and kept only if it has one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<Digest>,
}

impl Job {
    /// The digests that admit this file: `expected`, or for a probe each digest the lock
    /// allows for the package.
    pub fn admits(&self) -> &[Digest] {
        if self.allowed.is_empty() {
            std::slice::from_ref(&self.expected)
        } else {
            &self.allowed
        }
    }
}

/// How one artifact ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Outcome {
    /// Already in the store.
    Present,
    /// Downloaded and admitted.
    Downloaded {
        /// Bytes.
        bytes: u64,
    },
    /// Copied from `--find-links`.
    Local {
        /// The file.
        path: PathBuf,
    },
    /// A probed file (see [`Job::allowed`]) whose bytes have no digest the lock allows: not
    /// admitted, and not an error (the lock pins another file of the same version).
    NotLocked {
        /// SHA-256 of what arrived.
        actual: String,
    },
    /// The bytes do not match the lock.
    Mismatch {
        /// SHA-256 of what arrived.
        actual: String,
        /// Bytes that arrived.
        bytes: u64,
        /// Bytes the lock or index said to expect, when it said.
        expected_bytes: Option<u64>,
    },
    /// The store holds the object, but its bytes changed after admission: nothing is handed
    /// out from it until `store verify --repair` sets it aside.
    Corrupt {
        /// SHA-256 of the store's bytes now.
        actual: String,
    },
    /// Could not be fetched (missing offline, network error, not on the index).
    Failed {
        /// Why.
        reason: String,
    },
}

/// What to say about a store object that changed after admission (`actual`: its SHA-256 now).
pub fn corrupt_message(actual: &str) -> String {
    format!(
        "the store's copy changed after it was admitted (it hashes to sha256:{actual}); `repro store verify --repair` sets it aside, then fetch again"
    )
}

/// A package for which no artifact could be planned.
#[derive(Debug, Clone, Serialize)]
pub struct PlanError {
    /// Package name.
    pub package: String,
    /// Version.
    pub version: String,
    /// Where the lock declares it.
    pub location: Location,
    /// Why.
    pub reason: String,
}

/// The result of a fetch.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// `all`, or the target name.
    pub selector: String,
    /// Store root.
    pub store: PathBuf,
    /// Each artifact with its outcome.
    pub artifacts: Vec<(Job, Outcome)>,
    /// Packages that could not be planned.
    pub plan_errors: Vec<PlanError>,
    /// Index pages requested.
    pub index_requests: usize,
    /// The indexes the requirements locks are fetched from, and where each setting came from.
    pub indexes: Vec<IndexUse>,
}

impl FetchReport {
    /// Count outcomes of one kind.
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.artifacts.iter().filter(|(_, o)| f(o)).count()
    }

    /// Bytes downloaded.
    pub fn downloaded_bytes(&self) -> u64 {
        self.artifacts
            .iter()
            .map(|(_, o)| match o {
                Outcome::Downloaded { bytes } => *bytes,
                _ => 0,
            })
            .sum()
    }

    /// Any digest mismatch (of a download, or of the store's own copy).
    pub fn has_mismatch(&self) -> bool {
        self.count(|o| matches!(o, Outcome::Mismatch { .. } | Outcome::Corrupt { .. })) > 0
    }

    /// Any failure other than a mismatch.
    pub fn has_failure(&self) -> bool {
        !self.plan_errors.is_empty() || self.count(|o| matches!(o, Outcome::Failed { .. })) > 0
    }
}

/// Progress events for a front end.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// The plan is ready: this many artifacts.
    Planned(usize),
    /// Bytes arrived.
    Bytes(u64),
    /// One artifact finished.
    Done(&'a Job, &'a Outcome),
    /// A transient failure is being retried.
    Retry(&'a str, u32),
}

/// The digests of a package that can prove an artifact (SHA-256 or stronger).
fn strong(allowed: &[Digest]) -> Vec<&Digest> {
    allowed
        .iter()
        .filter(|d| d.algorithm().is_strong())
        .collect()
}

/// A file that may be the artifact a digest of a requirements file pins.
#[derive(Clone)]
struct Candidate {
    filename: String,
    url: Option<String>,
    digest: Digest,
    size: Option<u64>,
    /// For a probe, every digest that admits the file (see [`Job::allowed`]).
    probe: Vec<Digest>,
}

/// A package of a requirements file whose artifacts are known only by hash.
struct HashOnly<'a> {
    pkg: &'a LockedPackage,
    /// The index its lock is fetched from.
    index: usize,
}

/// An index a fetch used (or would have, offline), and the locks that named it.
#[derive(Debug, Clone, Serialize)]
pub struct IndexUse {
    /// The URL, credentials redacted.
    pub url: String,
    /// Where the setting came from.
    pub source: IndexSource,
    /// Requests made to it.
    pub requests: usize,
}

/// Plan the jobs for `locks`.
fn plan(
    locks: &[Lock],
    selector: &Selector,
    sources: &Sources,
    store: &Store,
    find_links: Option<&FindLinks>,
    http: Option<&Http>,
    pool: &rayon::ThreadPool,
) -> (Vec<Job>, Vec<PlanError>, Vec<IndexUse>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut hash_only: Vec<HashOnly<'_>> = Vec::new();
    let mut indexes: Vec<IndexSetting> = Vec::new();
    for lock in locks {
        for pkg in &lock.packages {
            let version = pkg.version.clone().unwrap_or_default();
            match (&pkg.source, lock.format) {
                (
                    PackageSource::Workspace { .. }
                    | PackageSource::Git { .. }
                    | PackageSource::Editable { .. },
                    _,
                ) => {}
                (_, _) if pkg.hashes.is_empty() => {}
                (PackageSource::Registry { .. }, LockFormat::RequirementsTxt) => {
                    let setting = sources.index.for_lock(lock);
                    let index = match indexes.iter().position(|s| *s == setting) {
                        Some(i) => i,
                        None => {
                            indexes.push(setting);
                            indexes.len() - 1
                        }
                    };
                    hash_only.push(HashOnly { pkg, index })
                }
                (PackageSource::Url { url }, LockFormat::RequirementsTxt) => {
                    let filename = crate::lockfile::file_name_of(url).to_string();
                    out.push(Job {
                        ecosystem: lock.ecosystem,
                        package: pkg.display_name.clone(),
                        version,
                        location: pkg.location.clone(),
                        filename,
                        url: Some(url.split('#').next().unwrap_or(url).to_string()),
                        expected: pkg.hashes[0].clone(),
                        size: None,
                        allowed: Vec::new(),
                    });
                }
                (_, format) => {
                    let artifacts: Vec<_> = pkg
                        .artifacts
                        .iter()
                        .filter(|a| a.digest.is_some())
                        .collect();
                    let chosen: Vec<usize> = match selector {
                        Selector::Target(t) if format != LockFormat::CargoLock => {
                            let names: Vec<&str> = artifacts
                                .iter()
                                .map(|a| a.filename.as_deref().unwrap_or(""))
                                .collect();
                            match select(t, &names) {
                                Some((i, _)) => vec![i],
                                None => {
                                    errors.push(no_fit(pkg, t));
                                    continue;
                                }
                            }
                        }
                        _ => (0..artifacts.len()).collect(),
                    };
                    for i in chosen {
                        let a = artifacts[i];
                        let url = match (format, &a.url) {
                            (LockFormat::CargoLock, _) => Some(registry::crate_url(
                                &sources.crates_url,
                                &pkg.display_name,
                                &version,
                            )),
                            (_, u) => u.clone(),
                        };
                        out.push(Job {
                            ecosystem: lock.ecosystem,
                            package: pkg.display_name.clone(),
                            version: version.clone(),
                            location: pkg.location.clone(),
                            filename: a.filename.clone().unwrap_or_default(),
                            url,
                            expected: a.digest.clone().expect("filtered"),
                            size: a.size,
                            allowed: Vec::new(),
                        });
                    }
                }
            }
        }
    }

    // Requirements packages: planned from what the store already knows (records, the index's
    // kept answers, `--find-links` file names) when that suffices, else from the index.
    let mut need_index: Vec<(&LockedPackage, usize)> = Vec::new();
    for h in hash_only {
        let pkg = h.pkg;
        let known = known_candidates(pkg, store, find_links);
        let complete = known.missing.is_empty() && !known.candidates.is_empty();
        if !sources.offline && http.is_some() {
            let obtainable = complete
                && match choose(pkg, &known.candidates, selector) {
                    Ok(chosen) => chosen.iter().all(|c| c.obtainable(store, find_links)),
                    Err(_) => false,
                };
            if !obtainable {
                need_index.push((pkg, h.index));
                continue;
            }
        }
        let version = pkg.version.clone().unwrap_or_default();
        for (allowed, in_store) in &known.missing {
            if matches!(selector, Selector::All) || *in_store {
                errors.push(PlanError {
                    package: pkg.display_name.clone(),
                    version: version.clone(),
                    location: pkg.location.clone(),
                    reason: if *in_store {
                        format!(
                            "{allowed} is in the store but has no record naming it (a fetch was \
                             interrupted): fetch once online to restore its file name"
                        )
                    } else {
                        format!("{allowed} is not in the store (offline)")
                    },
                });
            }
        }
        if known.candidates.is_empty() && matches!(selector, Selector::All) {
            continue;
        }
        match choose(pkg, &known.candidates, selector) {
            Ok(chosen) => push_jobs(&mut out, pkg, chosen),
            Err(e) => errors.push(e),
        }
    }
    let mut pages_wanted: Vec<(usize, String)> = need_index
        .iter()
        .map(|(p, i)| (*i, p.name.to_string()))
        .collect();
    pages_wanted.sort();
    pages_wanted.dedup();
    let mut requests = vec![0; indexes.len()];
    let pages: HashMap<(usize, String), Result<Vec<IndexFile>, String>> = match http {
        Some(http) if !pages_wanted.is_empty() => {
            for (i, _) in &pages_wanted {
                requests[*i] += 1;
            }
            pool.install(|| {
                pages_wanted
                    .par_iter()
                    .map(|(i, name)| {
                        let r = registry::project_files(http, &indexes[*i].url, name)
                            .map_err(|e| e.to_string());
                        ((*i, name.clone()), r)
                    })
                    .collect()
            })
        }
        _ => HashMap::new(),
    };

    for (pkg, index) in need_index {
        let index_url = &indexes[index].url;
        let version = pkg.version.clone().unwrap_or_default();
        let mut candidates: Vec<Candidate> = Vec::new();
        match pages.get(&(index, pkg.name.to_string())) {
            Some(Ok(files)) => {
                let fitting: Vec<&IndexFile> = files
                    .iter()
                    .filter(|f| {
                        crate::resolve::unfit_file_name(&f.filename, pkg.name.as_str(), &version)
                            .is_none()
                    })
                    .collect();
                let mut probed = false;
                for allowed in &pkg.hashes {
                    // An index that publishes no digest of this algorithm (PyPI publishes
                    // SHA-256 only) cannot map it to a file: probe the version's files.
                    let published = files.iter().any(|f| {
                        f.hashes
                            .iter()
                            .any(|h| h.algorithm() == allowed.algorithm())
                    });
                    if !published && allowed.algorithm().is_strong() {
                        keep_answer(store, allowed, AnswerKind::Probe, &fitting, index_url);
                        if !probed {
                            probed = true;
                            let admits: Vec<Digest> =
                                strong(&pkg.hashes).into_iter().cloned().collect();
                            for f in &fitting {
                                candidates.push(Candidate {
                                    filename: f.filename.clone(),
                                    url: Some(f.url.clone()),
                                    digest: allowed.clone(),
                                    size: f.size,
                                    probe: admits.clone(),
                                });
                            }
                        }
                        continue;
                    }
                    match files.iter().find(|f| f.hashes.contains(allowed)) {
                        Some(f) => {
                            keep_answer(store, allowed, AnswerKind::File, &[f], index_url);
                            candidates.push(Candidate {
                                filename: f.filename.clone(),
                                url: Some(f.url.clone()),
                                digest: allowed.clone(),
                                size: f.size,
                                probe: Vec::new(),
                            })
                        }
                        None => errors.push(PlanError {
                            package: pkg.display_name.clone(),
                            version: version.clone(),
                            location: pkg.location.clone(),
                            reason: format!(
                                "{allowed} is allowed by the lock but no file on the index has it"
                            ),
                        }),
                    }
                }
            }
            Some(Err(e)) => {
                errors.push(PlanError {
                    package: pkg.display_name.clone(),
                    version: version.clone(),
                    location: pkg.location.clone(),
                    reason: format!("index lookup failed: {e}"),
                });
                continue;
            }
            None => continue,
        }
        match choose(pkg, &candidates, selector) {
            Ok(chosen) => push_jobs(&mut out, pkg, chosen),
            Err(e) => errors.push(e),
        }
    }
    // One job per digest (per file, for probes): the same wheel pinned by 40 lockfiles is
    // fetched once.
    let mut seen = HashSet::new();
    out.retain(|j| {
        let key = if j.allowed.is_empty() {
            j.expected.to_string()
        } else {
            format!("probe {}", j.url.as_deref().unwrap_or(&j.filename))
        };
        seen.insert(key)
    });
    let used = indexes
        .into_iter()
        .zip(requests)
        .map(|(s, requests)| IndexUse {
            url: crate::redact::redacted(&s.url),
            source: s.source,
            requests,
        })
        .collect();
    (out, errors, used)
}

/// What the store and `--find-links` know of a requirements package's files, without the index.
struct Known {
    /// Files a digest of the lock names.
    candidates: Vec<Candidate>,
    /// Digests nothing names, each with whether the store holds its object.
    missing: Vec<(Digest, bool)>,
}

/// The files of `pkg` that its digests name, from the object's record, the index's kept
/// answer, or the name of the `--find-links` file with that digest (in that order); only names
/// that fit the package and version are taken.
fn known_candidates(pkg: &LockedPackage, store: &Store, find_links: Option<&FindLinks>) -> Known {
    let version = pkg.version.clone().unwrap_or_default();
    let fits =
        |name: &str| crate::resolve::unfit_file_name(name, pkg.name.as_str(), &version).is_none();
    let admits: Vec<Digest> = strong(&pkg.hashes).into_iter().cloned().collect();
    let mut known = Known {
        candidates: Vec::new(),
        missing: Vec::new(),
    };
    for allowed in &pkg.hashes {
        let id = store.resolve(allowed);
        let in_store = id.is_some_and(|id| store.has_object(&id));
        // A record lists the names its bytes were published under; only one that names this
        // package and version is taken.
        let recorded = id
            .and_then(|id| store.record(&id))
            .and_then(|r| r.filenames.into_iter().find(|f| fits(f)));
        if let Some(filename) = recorded {
            known.candidates.push(Candidate {
                filename,
                url: None,
                digest: allowed.clone(),
                size: None,
                probe: Vec::new(),
            });
            continue;
        }
        if let Some(answer) = store.answer(allowed) {
            let probe = match answer.kind {
                AnswerKind::File => Vec::new(),
                AnswerKind::Probe => admits.clone(),
            };
            for f in answer.files.into_iter().filter(|f| fits(&f.filename)) {
                known.candidates.push(Candidate {
                    url: usable_url(&f.url).then_some(f.url),
                    filename: f.filename,
                    digest: allowed.clone(),
                    size: f.size,
                    probe: probe.clone(),
                });
            }
            continue;
        }
        let local = find_links
            .and_then(|f| f.get(allowed))
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .filter(|n| fits(n));
        match local {
            Some(name) => known.candidates.push(Candidate {
                filename: name.to_string(),
                url: None,
                digest: allowed.clone(),
                size: None,
                probe: Vec::new(),
            }),
            None => known.missing.push((allowed.clone(), in_store)),
        }
    }
    // A file named both by a digest and as a probe candidate is the digest's.
    known
        .candidates
        .sort_by_key(|c| (!c.probe.is_empty(), c.filename.clone()));
    let mut seen = HashSet::new();
    known.candidates.retain(|c| seen.insert(c.filename.clone()));
    known
}

impl Candidate {
    /// Whether its bytes can be had without the index: the store or `--find-links` holds them,
    /// or a download URL is known.
    fn obtainable(&self, store: &Store, find_links: Option<&FindLinks>) -> bool {
        if self.url.is_some() {
            return true;
        }
        if self.probe.is_empty() {
            store
                .resolve(&self.digest)
                .is_some_and(|id| store.has_object(&id))
                || find_links.is_some_and(|f| f.get(&self.digest).is_some())
        } else {
            self.probe.iter().any(|d| {
                store.resolve(d).is_some_and(|id| {
                    store.has_object(&id)
                        && store
                            .record(&id)
                            .is_some_and(|r| r.filenames.contains(&self.filename))
                })
            })
        }
    }
}

/// The candidates the selector picks: all of them, or the one an installer picks for a target.
fn choose(
    pkg: &LockedPackage,
    candidates: &[Candidate],
    selector: &Selector,
) -> Result<Vec<Candidate>, PlanError> {
    match selector {
        Selector::All => Ok(candidates.to_vec()),
        Selector::Target(t) => {
            let names: Vec<&str> = candidates.iter().map(|c| c.filename.as_str()).collect();
            match select(t, &names) {
                Some((i, _)) => Ok(vec![candidates[i].clone()]),
                None => Err(no_fit(pkg, t)),
            }
        }
    }
}

/// One job per chosen candidate of a requirements package.
fn push_jobs(out: &mut Vec<Job>, pkg: &LockedPackage, chosen: Vec<Candidate>) {
    for c in chosen {
        out.push(Job {
            ecosystem: Ecosystem::Pypi,
            package: pkg.display_name.clone(),
            version: pkg.version.clone().unwrap_or_default(),
            location: pkg.location.clone(),
            filename: c.filename,
            url: c.url,
            expected: c.digest,
            size: c.size,
            allowed: c.probe,
        });
    }
}

/// Keep what the index said about `digest`, so that a warm run need not ask again. A cache:
/// failing to write it costs a request next time, not this run.
fn keep_answer(
    store: &Store,
    digest: &Digest,
    kind: AnswerKind,
    files: &[&IndexFile],
    index: &str,
) {
    let files = files
        .iter()
        .map(|f| AnsweredFile {
            filename: f.filename.clone(),
            url: f.url.clone(),
            size: f.size,
        })
        .collect();
    let _ = store.put_answer(digest, &IndexAnswer::new(digest, kind, files, index));
}

fn no_fit(pkg: &LockedPackage, t: &Target) -> PlanError {
    let kinds: BTreeMap<ArtifactKind, usize> =
        pkg.artifacts.iter().fold(BTreeMap::new(), |mut m, a| {
            *m.entry(a.kind).or_default() += 1;
            m
        });
    PlanError {
        package: pkg.display_name.clone(),
        version: pkg.version.clone().unwrap_or_default(),
        location: pkg.location.clone(),
        reason: format!(
            "no artifact fits target `{t}` (no compatible wheel and no sdist{})",
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" among {} listed", kinds.values().sum::<usize>())
            }
        ),
    }
}

/// The object already in the store for `job`, and the digest it was found by: the lock's own
/// digest (through an alias when that is not a SHA-256), or for a probe any allowed digest
/// whose object was published under this file name.
fn already_stored(job: &Job, store: &Store) -> Option<(ObjectId, Digest)> {
    job.admits().iter().find_map(|d| {
        let id = store.resolve(d).filter(|id| store.has_object(id))?;
        let named = job.allowed.is_empty()
            || store
                .record(&id)
                .is_some_and(|r| r.filenames.contains(&job.filename));
        named.then(|| (id, d.clone()))
    })
}

/// Fetch one job into the store.
fn run_job(
    job: &Job,
    store: &Store,
    sources: &Sources,
    find_links: Option<&FindLinks>,
    http: Option<&Http>,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Outcome {
    if let Some(why) = (!job.filename.is_empty())
        .then(|| crate::fsio::unsafe_file_name(&job.filename))
        .flatten()
    {
        return Outcome::Failed {
            reason: format!("refusing the file name `{}`: {why}", job.filename),
        };
    }
    if let Some((id, by)) = already_stored(job, store) {
        // "Already in the store" is a claim about bytes: prove it (by the digest the lock pins
        // too, when that is not its SHA-256), and mend a record lost to a crash between the
        // object's rename and its record's write.
        return match store.confirm(&id, std::slice::from_ref(&by)) {
            Ok(d) => match store.read_record(&id) {
                Ok(Some(_)) => Outcome::Present,
                Ok(None) => {
                    let prov = Provenance {
                        filename: job.filename.clone(),
                        origin: "record rebuilt by fetch".into(),
                    };
                    match store.note(&d, &prov) {
                        Ok(()) => Outcome::Present,
                        Err(e) => Outcome::Failed {
                            reason: e.to_string(),
                        },
                    }
                }
                Err(e) => Outcome::Failed {
                    reason: e.to_string(),
                },
            },
            Err(StoreError::Corrupt { actual, .. }) => Outcome::Corrupt { actual },
            Err(e) => Outcome::Failed {
                reason: e.to_string(),
            },
        };
    }
    let allowed = job.admits();
    let mismatch = |e: &StoreError| match e {
        StoreError::Mismatch { actual, .. } if !job.allowed.is_empty() => {
            Some(Outcome::NotLocked {
                actual: actual.clone(),
            })
        }
        StoreError::Mismatch { actual, size, .. } => Some(Outcome::Mismatch {
            actual: actual.clone(),
            bytes: *size,
            expected_bytes: job.size,
        }),
        _ => None,
    };
    if let Some(path) = find_links.and_then(|f| allowed.iter().find_map(|d| f.get(d))) {
        let prov = Provenance {
            filename: job.filename.clone(),
            origin: format!("find-links:{}", path.display()),
        };
        let result = crate::fsio::open_regular(path)
            .map_err(|e| StoreError::Read { read: 0, source: e })
            .and_then(|f| store.ingest(f, allowed, &prov, None, &|n| progress(Event::Bytes(n))));
        return match result {
            Ok(_) => Outcome::Local {
                path: path.to_path_buf(),
            },
            Err(e) => mismatch(&e).unwrap_or(Outcome::Failed {
                reason: e.to_string(),
            }),
        };
    }
    let (Some(http), Some(url), false) = (http, &job.url, sources.offline) else {
        return Outcome::Failed {
            reason: if sources.offline {
                format!("{} is not in the store (offline)", job.expected)
            } else {
                "no download URL known".into()
            },
        };
    };
    // The store's record is written to disk: the URL without the index's credentials.
    let prov = Provenance {
        filename: job.filename.clone(),
        origin: crate::redact::redacted(url),
    };
    // Sizes from an index are as untrusted as its bytes: whatever arrives is hashed and judged
    // by the digest alone, so a substituted file is reported as a mismatch, not a size error.
    let result = http.retrying(
        || {
            http.get(url, None, registry::Coding::Identity, |reader, len| {
                let limit = download_limit(len).map_err(|n| FetchError::Protocol {
                    url: url.clone(),
                    detail: format!(
                        "the server announces {n} bytes, more than the {MAX_OBJECT_BYTES}-byte limit of an artifact: nothing was read"
                    ),
                })?;
                Ok(store.ingest(reader, allowed, &prov, Some(limit), &|n| {
                    progress(Event::Bytes(n))
                })?)
            })
        },
        &|e, n| progress(Event::Retry(&e.to_string(), n)),
    );
    match result {
        Ok(d) => Outcome::Downloaded { bytes: d.size },
        Err(FetchError::Store(e)) => mismatch(&e).unwrap_or(Outcome::Failed {
            reason: format!("`{}`: {e}", crate::redact::redact(url)),
        }),
        Err(e) => Outcome::Failed {
            reason: e.to_string(),
        },
    }
}

/// A package whose files were probed (see [`Job::allowed`]) and none of which the lock allows:
/// the lock pins bytes the index does not serve.
fn unmatched_probes(artifacts: &[(Job, Outcome)]) -> Vec<PlanError> {
    let mut admitted: BTreeMap<(&str, &str), (bool, &Job)> = BTreeMap::new();
    for (job, outcome) in artifacts.iter().filter(|(j, _)| !j.allowed.is_empty()) {
        let entry = admitted
            .entry((job.package.as_str(), job.version.as_str()))
            .or_insert((false, job));
        entry.0 |= !matches!(outcome, Outcome::NotLocked { .. });
    }
    admitted
        .into_values()
        .filter(|(any, _)| !any)
        .map(|(_, job)| PlanError {
            package: job.package.clone(),
            version: job.version.clone(),
            location: job.location.clone(),
            reason: format!(
                "no file of this version on the index has a digest the lock allows ({})",
                job.admits()
                    .iter()
                    .map(Digest::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect()
}

/// Fetch everything `locks` need into `store`.
pub fn fetch(
    locks: &[Lock],
    selector: &Selector,
    sources: &Sources,
    store: &Store,
    http_options: registry::HttpOptions,
    jobs: usize,
    progress: &(dyn Fn(Event<'_>) + Sync),
) -> Result<FetchReport, std::io::Error> {
    let http = (!sources.offline).then(|| Http::new(http_options));
    // Digest algorithms the locks pin by besides SHA-256: `--find-links` files are hashed with
    // them too.
    let mut extra: Vec<HashAlgorithm> = locks
        .iter()
        .flat_map(|l| &l.packages)
        .flat_map(|p| &p.hashes)
        .map(Digest::algorithm)
        .filter(|a| matches!(a, HashAlgorithm::Sha384 | HashAlgorithm::Sha512))
        .collect();
    extra.sort();
    extra.dedup();
    let find_links = match &sources.find_links {
        Some(dir) => Some(FindLinks::scan(dir, &extra).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot read --find-links `{}`: {e}", dir.display()),
            )
        })?),
        None => None,
    };
    // One pool for the index and the downloads. Starting its threads can fail (a low process
    // or memory limit): that is an error to report, not a reason to panic.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.clamp(1, MAX_JOBS))
        .build()
        .map_err(|e| {
            std::io::Error::other(format!(
                "cannot start {jobs} download threads ({e}): lower `--jobs`"
            ))
        })?;
    let (jobs_list, plan_errors, indexes) = plan(
        locks,
        selector,
        sources,
        store,
        find_links.as_ref(),
        http.as_ref(),
        &pool,
    );
    progress(Event::Planned(jobs_list.len()));
    let results = Mutex::new(Vec::with_capacity(jobs_list.len()));
    pool.install(|| {
        jobs_list.par_iter().for_each(|job| {
            let outcome = run_job(
                job,
                store,
                sources,
                find_links.as_ref(),
                http.as_ref(),
                progress,
            );
            progress(Event::Done(job, &outcome));
            results
                .lock()
                .expect("no poisoned lock")
                .push((job.clone(), outcome));
        })
    });
    let mut artifacts = results.into_inner().expect("no poisoned lock");
    let mut plan_errors = plan_errors;
    plan_errors.extend(unmatched_probes(&artifacts));
    artifacts.sort_by(|a, b| {
        (&a.0.package, &a.0.version, &a.0.filename).cmp(&(
            &b.0.package,
            &b.0.version,
            &b.0.filename,
        ))
    });
    Ok(FetchReport {
        schema: REPORT_SCHEMA,
        selector: match selector {
            Selector::All => "all".into(),
            Selector::Target(t) => t.name.clone(),
        },
        store: store.root().to_path_buf(),
        artifacts,
        plan_errors,
        index_requests: indexes.iter().map(|i| i.requests).sum(),
        indexes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_length_cannot_lift_the_object_cap() {
        assert_eq!(download_limit(None), Ok(MAX_OBJECT_BYTES));
        assert_eq!(download_limit(Some(10)), Ok(11));
        assert_eq!(download_limit(Some(MAX_OBJECT_BYTES)), Ok(MAX_OBJECT_BYTES));
        assert_eq!(
            download_limit(Some(MAX_OBJECT_BYTES + 1)),
            Err(MAX_OBJECT_BYTES + 1)
        );
        assert_eq!(download_limit(Some(u64::MAX)), Err(u64::MAX));
    }
}
