//! Provenance: the PEP 740 attestations of the locked PyPI artifacts, verified offline, and the
//! publisher pins that notice when a dependency's publisher changes.
//!
//! For each artifact of the packages in scope (the direct dependencies, [`direct`], or every
//! package), the provenance object comes from the store when it holds one (a warm run makes no
//! request), else from a folder (`--provenance-dir`, `<file name>.provenance`), else from the
//! index: the PEP 691 file entry's `provenance` URL (API 1.3+) or, when the page predates it,
//! the Integrity API (`/integrity/<project>/<version>/<file>/provenance`). Each object is
//! verified offline ([`verify`]) against the file name and SHA-256 the lock allows, and kept in
//! the store only once it verified; the answer "no provenance" from the index is kept too
//! (`--refresh` asks again).
//!
//! The verdicts are a package's: `attested` (every artifact verified), `partial`, `missing`,
//! `failed` (an attestation did not verify: never a pass), `unknown` (could not be checked).
//! Against the pin file beside the locks ([`pin`]), a changed publisher or a pinned package
//! whose files lack provenance is a finding. Sources are untrusted: an index decides nothing
//! that the signatures, the lock and the pins do not confirm.

pub mod certificate;
pub mod direct;
pub mod pep740;
pub mod pin;
pub mod publisher;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::lockfile::{Lock, PackageSource};
use crate::model::{Ecosystem, Location, PackageName};
use crate::registry::{self, Http, HttpOptions, IndexFile, ProvenanceLink};
use crate::sign::keyless;
use crate::store::Store;
use crate::store::provenance::ProvenanceEntry;
use publisher::Publisher;
use verify::{Check, Expected, VerifiedAttestation};

/// Version of the JSON document `repro provenance --json` prints.
pub const REPORT_SCHEMA: &str = "repro.provenance/v1";

/// Which packages are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// The direct dependencies.
    Direct,
    /// Every locked package.
    All,
}

/// Where provenance objects come from when the store lacks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A PEP 691 index and its Integrity API.
    Index {
        /// The simple index URL.
        index_url: String,
    },
    /// A folder of `<artifact file name>.provenance` files.
    Dir(PathBuf),
    /// The store alone.
    Offline,
}

/// What a run checks and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Direct dependencies or all.
    pub scope: Scope,
    /// Where objects the store lacks come from.
    pub source: Source,
    /// Ask the source again for artifacts the store knows as unattested.
    pub refresh: bool,
    /// Missing provenance of a package in scope is a finding.
    pub require: bool,
    /// Parallel requests.
    pub jobs: usize,
    /// HTTP settings.
    pub http: HttpOptions,
}

/// Where an artifact's answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// The store (fetched before).
    Store,
    /// The URL a PEP 691 project page names.
    Index,
    /// The Integrity API.
    IntegrityApi,
    /// `--provenance-dir`.
    Dir,
}

/// How one artifact ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum ArtifactOutcome {
    /// Every attestation verified.
    Verified {
        /// The publishers the attestations were matched to.
        publishers: Vec<Publisher>,
        /// The attestations.
        attestations: Vec<VerifiedAttestation>,
    },
    /// The source holds no provenance for it.
    Missing {
        /// Why we say so.
        reason: String,
    },
    /// An attestation did not verify.
    Failed {
        /// The check that failed.
        check: Check,
        /// Why.
        reason: String,
    },
    /// It could not be checked.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// One artifact's result.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactReport {
    /// Its file name, when known.
    pub filename: Option<String>,
    /// Its SHA-256, as locked.
    pub sha256: String,
    /// Where the answer came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceKind>,
    /// The URL or file of the provenance object (credentials removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: ArtifactOutcome,
}

/// A package's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageStatus {
    /// Every artifact has verified provenance.
    Attested,
    /// Some artifacts have verified provenance, others none.
    Partial,
    /// No artifact has provenance.
    Missing,
    /// An attestation did not verify.
    Failed,
    /// Some artifact could not be checked.
    Unknown,
}

/// A package compared with one pin file.
#[derive(Debug, Clone, Serialize)]
pub struct PinCheck {
    /// The pin file.
    pub file: PathBuf,
    /// What it pins for the package.
    pub pinned: Vec<Publisher>,
    /// The result.
    pub status: PinStatus,
}

/// The result of comparing a package with its pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinStatus {
    /// The publishers are the pinned ones.
    Match,
    /// The publishers changed.
    Changed,
    /// The package is pinned, but (some of) its files have no provenance.
    Vanished,
    /// Attested, not pinned yet.
    Unpinned,
    /// Neither pinned nor attested.
    None,
    /// Not compared: the package failed or could not be checked.
    NotCompared,
}

/// Stable codes of the findings (JSON consumers key on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// An attestation did not verify.
    InvalidAttestation,
    /// A package's publisher is not the pinned one.
    PublisherChanged,
    /// A pinned package's files lack provenance.
    ProvenanceVanished,
    /// A package in scope lacks provenance (`--require`).
    ProvenanceMissing,
    /// An artifact could not be checked.
    NotChecked,
    /// A pin file cannot be used.
    PinFile,
}

impl Code {
    /// The code as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidAttestation => "invalid-attestation",
            Code::PublisherChanged => "publisher-changed",
            Code::ProvenanceVanished => "provenance-vanished",
            Code::ProvenanceMissing => "provenance-missing",
            Code::NotChecked => "not-checked",
            Code::PinFile => "pin-file",
        }
    }

    /// Whether the finding is a verdict (exit 1) rather than a check that could not run (2).
    pub fn is_verdict(self) -> bool {
        !matches!(self, Code::NotChecked | Code::PinFile)
    }
}

/// A finding: what is wrong, where, and what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The code.
    pub code: Code,
    /// The package (`name==version`), when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// What is wrong, in one line.
    pub message: String,
    /// Where (the lock line, the pin file).
    pub location: String,
    /// How to fix it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// One package's result.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    /// The name as the lock writes it.
    pub name: String,
    /// The version.
    pub version: String,
    /// Whether it is a direct dependency of some lock.
    pub direct: bool,
    /// Where the first lock declares it.
    pub location: Location,
    /// The locks that hold it.
    pub lockfiles: Vec<PathBuf>,
    /// The verdict.
    pub status: PackageStatus,
    /// The verified publishers.
    pub publishers: Vec<Publisher>,
    /// Its artifacts.
    pub artifacts: Vec<ArtifactReport>,
    /// The comparison with each pin file that covers it.
    pub pins: Vec<PinCheck>,
}

/// A pin file's state after the run.
#[derive(Debug, Clone, Serialize)]
pub struct PinFileReport {
    /// The file.
    pub path: PathBuf,
    /// Whether it exists.
    pub exists: bool,
    /// Packages attested but not pinned there.
    pub unpinned: Vec<String>,
    /// The pins `--pin` would write: the old pins with the packages of this run updated.
    #[serde(skip)]
    pub proposed: pin::Pinned,
    /// Whether [`PinFileReport::proposed`] differs from the file.
    pub outdated: bool,
    /// Whether `--pin` wrote it.
    pub written: bool,
}

/// Counts for the coverage line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Packages in scope.
    pub packages: usize,
    /// Attested.
    pub attested: usize,
    /// Partly attested.
    pub partial: usize,
    /// Without provenance.
    pub missing: usize,
    /// Failed verification.
    pub failed: usize,
    /// Could not be checked.
    pub unknown: usize,
    /// Artifacts checked.
    pub artifacts: usize,
    /// Attestations verified.
    pub attestations: usize,
}

/// The result of `repro provenance`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// Direct dependencies or all.
    pub scope: Scope,
    /// Where objects the store lacked came from (credentials removed).
    pub source: String,
    /// The counts.
    pub summary: Summary,
    /// Every package in scope, sorted by name and version.
    pub packages: Vec<PackageReport>,
    /// The pin files beside the locks.
    pub pins: Vec<PinFileReport>,
    /// Findings, in package order.
    pub findings: Vec<Finding>,
    /// Notes (how the top level was decided, locks that were skipped).
    pub notes: Vec<String>,
    /// HTTP requests made.
    pub requests: usize,
}

impl Report {
    /// Whether anything was checked at all: a gate with nothing to check does not pass.
    pub fn checked_nothing(&self) -> bool {
        self.packages.is_empty()
    }

    /// Whether a finding is a verdict (exit 1).
    pub fn has_verdict(&self) -> bool {
        self.findings.iter().any(|f| f.code.is_verdict())
    }

    /// Whether something could not be checked (exit 2 when no verdict).
    pub fn has_error(&self) -> bool {
        self.findings.iter().any(|f| !f.code.is_verdict())
    }
}

/// A package to check, merged over the locks.
struct Wanted {
    name: PackageName,
    display: String,
    version: String,
    direct: bool,
    location: Location,
    lockfiles: BTreeSet<PathBuf>,
    /// SHA-256 → the file name the lock gives it.
    artifacts: BTreeMap<String, Option<String>>,
    /// Why it cannot have PEP 740 provenance, or cannot be checked.
    not_applicable: Option<String>,
    unchecked: Option<String>,
}

/// What a source answered for one artifact, before verification.
enum Answer {
    Object {
        text: String,
        filename: String,
        origin: String,
        source: SourceKind,
    },
    None {
        filename: Option<String>,
        origin: Option<String>,
        source: SourceKind,
        reason: String,
        /// Keep the answer in the store (an index said so).
        keep: bool,
    },
    Unknown(String),
}

/// Plan the packages in scope.
fn wanted(locks: &[Lock], scope: Scope, notes: &mut Vec<String>) -> Vec<Wanted> {
    let mut by_key: BTreeMap<(PackageName, String), Wanted> = BTreeMap::new();
    for lock in locks {
        if lock.ecosystem != Ecosystem::Pypi {
            notes.push(format!(
                "`{}` skipped: PEP 740 provenance covers PyPI packages only",
                lock.path.display()
            ));
            continue;
        }
        let top = direct::direct(lock);
        if scope == Scope::Direct
            && let Some(why) = &top.everything
        {
            notes.push(why.clone());
        }
        for p in &lock.packages {
            let is_direct = top.contains(&p.name);
            if matches!(p.source, PackageSource::Workspace { .. })
                || (scope == Scope::Direct && !is_direct)
            {
                continue;
            }
            let version = p.version.clone().unwrap_or_default();
            let w = by_key
                .entry((p.name.clone(), version.clone()))
                .or_insert_with(|| Wanted {
                    name: p.name.clone(),
                    display: p.display_name.clone(),
                    version: version.clone(),
                    direct: false,
                    location: p.location.clone(),
                    lockfiles: BTreeSet::new(),
                    artifacts: BTreeMap::new(),
                    not_applicable: None,
                    unchecked: None,
                });
            w.direct |= is_direct;
            w.lockfiles.insert(lock.path.clone());
            match &p.source {
                PackageSource::Git { .. }
                | PackageSource::Path { .. }
                | PackageSource::Editable { .. } => {
                    w.not_applicable = Some(
                        "not from an index (a git, path or editable source): PEP 740 does not apply"
                            .into(),
                    );
                    continue;
                }
                _ => {}
            }
            for d in &p.hashes {
                if d.algorithm() != crate::digest::HashAlgorithm::Sha256 {
                    continue;
                }
                let named = p
                    .artifacts
                    .iter()
                    .find(|a| a.digest.as_ref() == Some(d))
                    .and_then(|a| a.filename.clone())
                    .or_else(|| match &p.source {
                        PackageSource::Url { url } => {
                            Some(crate::lockfile::file_name_of(url).to_string())
                        }
                        _ => None,
                    });
                let slot = w.artifacts.entry(d.hex()).or_default();
                if slot.is_none() {
                    *slot = named;
                }
            }
            if w.artifacts.is_empty() && w.not_applicable.is_none() {
                w.unchecked = Some(if p.version.is_none() {
                    "not pinned to a version".into()
                } else {
                    "the lock allows no SHA-256 for it, and PEP 740 attestations name SHA-256"
                        .into()
                });
            }
        }
    }
    by_key.into_values().collect()
}

/// A provenance folder, read by file name.
fn from_dir(dir: &Path, filename: &str) -> Answer {
    let path = dir.join(format!("{filename}.provenance"));
    match crate::fsio::read_to_string_capped(&path, registry::MAX_PROVENANCE_BYTES) {
        Ok(text) => Answer::Object {
            text,
            filename: filename.to_string(),
            origin: format!("dir:{}", path.display()),
            source: SourceKind::Dir,
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Answer::None {
            filename: Some(filename.to_string()),
            origin: Some(format!("dir:{}", path.display())),
            source: SourceKind::Dir,
            reason: format!("no `{}` in the provenance folder", path.display()),
            keep: false,
        },
        Err(e) => Answer::Unknown(format!("`{}`: {e}", path.display())),
    }
}

/// The files of a provenance folder that may belong to `w`, for artifacts the lock names only
/// by digest: every `<file>.provenance` whose file name names the package and version.
fn dir_candidates(dir: &Path, w: &Wanted) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".provenance").map(str::to_string))
        .filter(|n| crate::resolve::unfit_file_name(n, w.name.as_str(), &w.version).is_none())
        .collect();
    out.sort();
    out
}

/// For an artifact the lock names only by digest: the folder's file of the package whose
/// attestation names `sha`; a file of the package that cannot be read is reported, not skipped.
fn by_digest(dir: &Path, w: &Wanted, sha: &str) -> Answer {
    let mut unreadable = None;
    for name in dir_candidates(dir, w) {
        match from_dir(dir, &name) {
            Answer::Object { text, .. } if subject_sha256(&text).as_deref() != Some(sha) => {}
            found @ Answer::Object { .. } => return found,
            Answer::Unknown(why) => {
                unreadable.get_or_insert(why);
            }
            Answer::None { .. } => {}
        }
    }
    match unreadable {
        Some(why) => Answer::Unknown(why),
        None => Answer::None {
            filename: None,
            origin: None,
            source: SourceKind::Dir,
            reason: format!("no provenance in `{}` names sha256:{sha}", dir.display()),
            keep: false,
        },
    }
}

/// The subject SHA-256 of the first attestation of a provenance object, without verifying it
/// (to match a folder's file to a digest; verification follows).
fn subject_sha256(text: &str) -> Option<String> {
    let object = pep740::parse(text.as_bytes()).ok()?;
    let a = object.bundles.first()?.attestations.first()?;
    let v: serde_json::Value = serde_json::from_slice(&a.statement).ok()?;
    v["subject"][0]["digest"]["sha256"]
        .as_str()
        .map(str::to_ascii_lowercase)
}

/// Ask the index for one artifact, given its project page.
fn from_index(
    http: &Http,
    index_url: &str,
    w: &Wanted,
    sha: &str,
    locked_name: Option<&str>,
    page: &Result<Vec<IndexFile>, String>,
    requests: &std::sync::atomic::AtomicUsize,
) -> Answer {
    let files = match page {
        Ok(f) => f,
        Err(e) => return Answer::Unknown(format!("index lookup failed: {e}")),
    };
    let Some(file) = files.iter().find(|f| {
        f.hashes
            .iter()
            .any(|h| h.algorithm() == crate::digest::HashAlgorithm::Sha256 && h.hex() == sha)
    }) else {
        return Answer::Unknown(format!(
            "no file on the index has sha256:{sha}, which the lock allows"
        ));
    };
    let filename = locked_name.unwrap_or(&file.filename).to_string();
    if let Some(why) = crate::resolve::unfit_file_name(&filename, w.name.as_str(), &w.version) {
        return Answer::Unknown(format!("refusing the file name `{filename}`: {why}"));
    }
    let (url, source) = match &file.provenance {
        ProvenanceLink::None => {
            return Answer::None {
                filename: Some(filename),
                origin: None,
                source: SourceKind::Index,
                reason: "the index says it holds no provenance for this file".into(),
                keep: true,
            };
        }
        ProvenanceLink::Url(u) => (u.clone(), SourceKind::Index),
        ProvenanceLink::Unknown => {
            match registry::integrity_url(index_url, w.name.as_str(), &w.version, &file.filename) {
                Some(u) => (u, SourceKind::IntegrityApi),
                None => {
                    return Answer::Unknown(
                        "the index names no provenance (PEP 691 API before 1.3) and has no \
                         Integrity API (its path does not end in `simple/`)"
                            .into(),
                    );
                }
            }
        }
    };
    requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match registry::fetch_provenance(http, &url) {
        Ok(Some(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => Answer::Object {
                text,
                filename,
                origin: url,
                source,
            },
            Err(_) => Answer::Unknown(format!(
                "`{}`: the provenance is not UTF-8 text",
                crate::redact::redact(&url)
            )),
        },
        Ok(None) if source == SourceKind::IntegrityApi => Answer::None {
            filename: Some(filename),
            origin: Some(url),
            source,
            reason: "the Integrity API holds no provenance for this file".into(),
            keep: true,
        },
        Ok(None) => Answer::Unknown(format!(
            "the index names `{}` as the file's provenance, and it answers 404",
            crate::redact::redact(&url)
        )),
        Err(e) => Answer::Unknown(e.to_string()),
    }
}

/// Check the provenance of the packages in `locks`.
pub fn check(
    locks: &[Lock],
    store: &Store,
    root: &sigstore_verify::trust_root::TrustedRoot,
    options: &Options,
) -> Result<Report, String> {
    let verifier = keyless::Verifier::new(root).map_err(|e| format!("trusted root: {e}"))?;
    let mut notes = Vec::new();
    let wanted = wanted(locks, options.scope, &mut notes);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.max(1))
        .build()
        .map_err(|e| format!("cannot start {} threads: {e}", options.jobs))?;
    let requests = std::sync::atomic::AtomicUsize::new(0);

    // The store first: an artifact it answers for costs no request.
    let mut answers: HashMap<(usize, String), Answer> = HashMap::new();
    let mut need: Vec<(usize, String)> = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        for sha in w.artifacts.keys() {
            match store.read_provenance(sha) {
                Ok(Some(entry)) if !(options.refresh && entry.object.is_none()) => {
                    let answer = match entry.object {
                        Some(text) => Answer::Object {
                            text,
                            filename: entry.filename,
                            origin: entry.origin,
                            source: SourceKind::Store,
                        },
                        None => Answer::None {
                            filename: Some(entry.filename),
                            origin: Some(entry.origin),
                            source: SourceKind::Store,
                            reason: "the index held no provenance for this file when it was \
                                     asked (`--refresh` asks again)"
                                .into(),
                            keep: false,
                        },
                    };
                    answers.insert((i, sha.clone()), answer);
                }
                Ok(_) => need.push((i, sha.clone())),
                Err(e) => {
                    answers.insert((i, sha.clone()), Answer::Unknown(e.to_string()));
                }
            }
        }
    }

    // Then the source, for what the store lacks.
    let source_name = match &options.source {
        Source::Offline => {
            for key in need.drain(..) {
                answers.insert(
                    key,
                    Answer::Unknown(
                        "not in the store (offline): run once online, or with \
                         --provenance-dir, to fill it"
                            .into(),
                    ),
                );
            }
            "offline (the store alone)".to_string()
        }
        Source::Dir(dir) => {
            for (i, sha) in need.drain(..) {
                let w = &wanted[i];
                let answer = match &w.artifacts[&sha] {
                    Some(name) => from_dir(dir, name),
                    None => by_digest(dir, w, &sha),
                };
                answers.insert((i, sha), answer);
            }
            format!("folder {}", dir.display())
        }
        Source::Index { index_url } => {
            let http = Http::new(options.http.clone());
            let projects: BTreeSet<&str> =
                need.iter().map(|(i, _)| wanted[*i].name.as_str()).collect();
            let pages: HashMap<&str, Result<Vec<IndexFile>, String>> = pool.install(|| {
                projects
                    .par_iter()
                    .map(|name| {
                        requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let page = registry::project_files(&http, index_url, name)
                            .map_err(|e| e.to_string());
                        (*name, page)
                    })
                    .collect()
            });
            let fetched: Vec<((usize, String), Answer)> = pool.install(|| {
                need.par_iter()
                    .map(|(i, sha)| {
                        let w = &wanted[*i];
                        let answer = from_index(
                            &http,
                            index_url,
                            w,
                            sha,
                            w.artifacts[sha].as_deref(),
                            &pages[w.name.as_str()],
                            &requests,
                        );
                        ((*i, sha.clone()), answer)
                    })
                    .collect()
            });
            answers.extend(fetched);
            format!("index {}", crate::redact::redacted(index_url))
        }
    };

    // Verify every object (in parallel: a few milliseconds each), and keep what verified.
    let keys: Vec<(usize, String)> = answers.keys().cloned().collect();
    let outcomes: HashMap<(usize, String), ArtifactReport> = pool.install(|| {
        keys.par_iter()
            .map(|key| {
                let (i, sha) = key;
                let w = &wanted[*i];
                let report = judge(store, &verifier, w, sha, &answers[key]);
                (key.clone(), report)
            })
            .collect()
    });

    let mut report = Report {
        schema: REPORT_SCHEMA,
        scope: options.scope,
        source: source_name,
        summary: Summary::default(),
        packages: Vec::new(),
        pins: Vec::new(),
        findings: Vec::new(),
        notes,
        requests: 0,
    };
    for (i, w) in wanted.iter().enumerate() {
        let artifacts: Vec<ArtifactReport> = w
            .artifacts
            .keys()
            .map(|sha| outcomes[&(i, sha.clone())].clone())
            .collect();
        report.packages.push(package_report(w, artifacts));
    }
    compare_pins(locks, &mut report);
    report.requests = requests.load(std::sync::atomic::Ordering::Relaxed);
    findings(&mut report, &wanted, options);
    Ok(report)
}

/// Verify what a source answered for one artifact; keep verified objects (and an index's
/// "none") in the store.
fn judge(
    store: &Store,
    verifier: &keyless::Verifier,
    w: &Wanted,
    sha: &str,
    answer: &Answer,
) -> ArtifactReport {
    let locked_name = w.artifacts[sha].clone();
    let mut report = ArtifactReport {
        filename: locked_name.clone(),
        sha256: sha.to_string(),
        source: None,
        origin: None,
        outcome: ArtifactOutcome::Unknown {
            reason: String::new(),
        },
    };
    match answer {
        Answer::Unknown(reason) => {
            report.outcome = ArtifactOutcome::Unknown {
                reason: crate::redact::redacted(reason),
            };
        }
        Answer::None {
            filename,
            origin,
            source,
            reason,
            keep,
        } => {
            report.filename = locked_name.or_else(|| filename.clone());
            report.source = Some(*source);
            report.origin = origin.as_deref().map(crate::redact::redacted);
            report.outcome = ArtifactOutcome::Missing {
                reason: reason.clone(),
            };
            if *keep && let Some(name) = &report.filename {
                let entry = ProvenanceEntry::new(sha, name, origin.as_deref().unwrap_or(""), None);
                if let Err(e) = store.put_provenance(&entry) {
                    report.outcome = ArtifactOutcome::Unknown {
                        reason: e.to_string(),
                    };
                }
            }
        }
        Answer::Object {
            text,
            filename,
            origin,
            source,
        } => {
            let name = locked_name.unwrap_or_else(|| filename.clone());
            report.filename = Some(name.clone());
            report.source = Some(*source);
            report.origin = Some(crate::redact::redacted(origin));
            let verified = pep740::parse(text.as_bytes())
                .map_err(|e| verify::Failure {
                    check: Check::Malformed,
                    reason: e,
                })
                .and_then(|object| {
                    verify::verify(
                        verifier,
                        &object,
                        Expected {
                            filename: &name,
                            sha256: sha,
                        },
                    )
                });
            report.outcome = match verified {
                Ok(v) => {
                    if *source != SourceKind::Store {
                        let entry = ProvenanceEntry::new(sha, &name, origin, Some(text.clone()));
                        if let Err(e) = store.put_provenance(&entry) {
                            report.outcome = ArtifactOutcome::Unknown {
                                reason: e.to_string(),
                            };
                            return report;
                        }
                    }
                    ArtifactOutcome::Verified {
                        publishers: v.publishers,
                        attestations: v.attestations,
                    }
                }
                Err(f) => ArtifactOutcome::Failed {
                    check: f.check,
                    reason: f.reason,
                },
            };
        }
    }
    report
}

fn package_report(w: &Wanted, artifacts: Vec<ArtifactReport>) -> PackageReport {
    let count =
        |f: fn(&ArtifactOutcome) -> bool| artifacts.iter().filter(|a| f(&a.outcome)).count();
    let verified = count(|o| matches!(o, ArtifactOutcome::Verified { .. }));
    let status = if count(|o| matches!(o, ArtifactOutcome::Failed { .. })) > 0 {
        PackageStatus::Failed
    } else if w.unchecked.is_some() || count(|o| matches!(o, ArtifactOutcome::Unknown { .. })) > 0 {
        PackageStatus::Unknown
    } else if w.not_applicable.is_some() || verified == 0 {
        PackageStatus::Missing
    } else if verified == artifacts.len() {
        PackageStatus::Attested
    } else {
        PackageStatus::Partial
    };
    let publishers: BTreeSet<Publisher> = artifacts
        .iter()
        .filter_map(|a| match &a.outcome {
            ArtifactOutcome::Verified { publishers, .. } => Some(publishers.iter().cloned()),
            _ => None,
        })
        .flatten()
        .collect();
    PackageReport {
        name: w.display.clone(),
        version: w.version.clone(),
        direct: w.direct,
        location: w.location.clone(),
        lockfiles: w.lockfiles.iter().cloned().collect(),
        status,
        publishers: publishers.into_iter().collect(),
        artifacts,
        pins: Vec::new(),
    }
}

/// Compare each package with the pin file beside each of its locks.
fn compare_pins(locks: &[Lock], report: &mut Report) {
    let mut files: BTreeMap<PathBuf, Result<Option<pin::Pinned>, String>> = BTreeMap::new();
    for lock in locks.iter().filter(|l| l.ecosystem == Ecosystem::Pypi) {
        let path = pin::path_for(&lock.path);
        files
            .entry(path.clone())
            .or_insert_with(|| pin::load(&path).map_err(|e| e.to_string()));
    }
    let mut proposed: BTreeMap<PathBuf, pin::Pinned> = files
        .iter()
        .map(|(p, f)| {
            (
                p.clone(),
                f.as_ref().ok().cloned().flatten().unwrap_or_default(),
            )
        })
        .collect();
    let mut unpinned: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for pkg in &mut report.packages {
        let name = pin::name(&pkg.name);
        let current: BTreeSet<Publisher> = pkg.publishers.iter().cloned().collect();
        for lockfile in &pkg.lockfiles {
            let path = pin::path_for(lockfile);
            let Some(Ok(file)) = files.get(&path) else {
                continue;
            };
            if pkg.pins.iter().any(|p| p.file == path) {
                continue;
            }
            let pinned = file
                .as_ref()
                .and_then(|f| f.get(&name))
                .cloned()
                .unwrap_or_default();
            let status = match pkg.status {
                PackageStatus::Failed | PackageStatus::Unknown => PinStatus::NotCompared,
                _ if pinned.is_empty() && current.is_empty() => PinStatus::None,
                _ if pinned.is_empty() => PinStatus::Unpinned,
                _ if current.is_empty() => PinStatus::Vanished,
                _ if current != pinned => PinStatus::Changed,
                PackageStatus::Partial => PinStatus::Vanished,
                _ => PinStatus::Match,
            };
            if status == PinStatus::Unpinned {
                unpinned
                    .entry(path.clone())
                    .or_default()
                    .push(pkg.name.clone());
            }
            // What `--pin` writes: the verified publishers; nothing for a package with none.
            if status != PinStatus::NotCompared {
                let slot = proposed.entry(path.clone()).or_default();
                if current.is_empty() {
                    slot.remove(&name);
                } else {
                    slot.insert(name.clone(), current.clone());
                }
            }
            pkg.pins.push(PinCheck {
                file: path,
                pinned: pinned.into_iter().collect(),
                status,
            });
        }
    }
    for (path, file) in files {
        match file {
            Ok(old) => {
                let new = proposed.remove(&path).unwrap_or_default();
                report.pins.push(PinFileReport {
                    exists: old.is_some(),
                    outdated: old.as_ref() != Some(&new),
                    unpinned: unpinned.remove(&path).unwrap_or_default(),
                    proposed: new,
                    written: false,
                    path,
                });
            }
            Err(e) => report.findings.push(Finding {
                code: Code::PinFile,
                package: None,
                message: e,
                location: path.display().to_string(),
                hint: Some(
                    "fix the file, or remove it and pin again with `repro provenance --pin`".into(),
                ),
            }),
        }
    }
}

/// Count and turn the results into findings.
fn findings(report: &mut Report, wanted: &[Wanted], options: &Options) {
    let mut out = Vec::new();
    let mut s = Summary::default();
    for (pkg, w) in report.packages.iter().zip(wanted) {
        s.packages += 1;
        match pkg.status {
            PackageStatus::Attested => s.attested += 1,
            PackageStatus::Partial => s.partial += 1,
            PackageStatus::Missing => s.missing += 1,
            PackageStatus::Failed => s.failed += 1,
            PackageStatus::Unknown => s.unknown += 1,
        }
        let spec = format!("{}=={}", pkg.name, pkg.version);
        let at = pkg.location.to_string();
        let finding = |code, message: String, location: String, hint: Option<String>| Finding {
            code,
            package: Some(spec.clone()),
            message,
            location,
            hint,
        };
        if let Some(why) = &w.unchecked {
            out.push(finding(
                Code::NotChecked,
                format!("{spec}: {why}"),
                at.clone(),
                None,
            ));
        }
        for a in &pkg.artifacts {
            s.artifacts += 1;
            let file = a
                .filename
                .clone()
                .unwrap_or_else(|| format!("sha256:{}", a.sha256));
            match &a.outcome {
                ArtifactOutcome::Verified { attestations, .. } => s.attestations += attestations.len(),
                ArtifactOutcome::Failed { check, reason } => out.push(finding(
                    Code::InvalidAttestation,
                    format!("{spec}: `{file}`: {}: {reason}", check.as_str()),
                    a.origin.clone().unwrap_or_else(|| at.clone()),
                    (a.source == Some(SourceKind::Store)).then(|| {
                        "the store's copy verified when it was admitted; check the trusted root, or remove the entry to fetch it again".to_string()
                    }),
                )),
                ArtifactOutcome::Unknown { reason } => out.push(finding(
                    Code::NotChecked,
                    format!("{spec}: `{file}`: could not be checked: {reason}"),
                    at.clone(),
                    None,
                )),
                ArtifactOutcome::Missing { reason } => {
                    if options.require {
                        out.push(finding(
                            Code::ProvenanceMissing,
                            format!("{spec}: `{file}` has no provenance: {reason}"),
                            at.clone(),
                            Some("ask the project to publish with a Trusted Publisher, or leave out --require".into()),
                        ));
                    }
                }
            }
        }
        if options.require
            && let Some(why) = &w.not_applicable
        {
            out.push(finding(
                Code::ProvenanceMissing,
                format!("{spec}: {why}"),
                at.clone(),
                None,
            ));
        }
        for p in &pkg.pins {
            let pinned = join(&p.pinned);
            let file = p.file.display().to_string();
            let repin = format!(
                "if the change is expected, review it, then re-pin `{file}` with `repro provenance --pin`"
            );
            match p.status {
                PinStatus::Changed => out.push(finding(
                    Code::PublisherChanged,
                    format!(
                        "{spec}: the publisher changed from {pinned} to {}",
                        join(&pkg.publishers)
                    ),
                    file,
                    Some(repin),
                )),
                PinStatus::Vanished => {
                    let lacking: Vec<String> = pkg
                        .artifacts
                        .iter()
                        .filter(|a| !matches!(a.outcome, ArtifactOutcome::Verified { .. }))
                        .map(|a| {
                            a.filename
                                .clone()
                                .unwrap_or_else(|| format!("sha256:{}", a.sha256))
                        })
                        .collect();
                    out.push(finding(
                        Code::ProvenanceVanished,
                        format!(
                            "{spec}: pinned to {pinned}, but {} no provenance: `{}`",
                            if lacking.len() == 1 {
                                "this file has"
                            } else {
                                "these files have"
                            },
                            lacking.join("`, `")
                        ),
                        file,
                        Some(repin),
                    ));
                }
                _ => {}
            }
        }
    }
    report.summary = s;
    report.findings.extend(out);
}

fn join(publishers: &[Publisher]) -> String {
    if publishers.is_empty() {
        return "no publisher".into();
    }
    publishers
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Write the pins `--pin` proposes, for every pin file that changes. Refused when a package
/// failed or could not be checked: pins record a verified state only.
pub fn write_pins(report: &Report) -> Result<Vec<PathBuf>, String> {
    if let Some(p) = report
        .packages
        .iter()
        .find(|p| matches!(p.status, PackageStatus::Failed | PackageStatus::Unknown))
    {
        return Err(format!(
            "not pinning: {}=={} {}; pins record a verified state only",
            p.name,
            p.version,
            if p.status == PackageStatus::Failed {
                "failed verification"
            } else {
                "could not be checked"
            }
        ));
    }
    let mut written = Vec::new();
    for f in report.pins.iter().filter(|f| f.outdated) {
        pin::write(&f.path, &f.proposed).map_err(|e| e.to_string())?;
        written.push(f.path.clone());
    }
    Ok(written)
}

/// The verified publishers of the artifacts the store holds provenance for, by artifact
/// SHA-256: each entry is proven and its object verified again (offline) before it counts.
pub fn verified_publishers(
    store: &Store,
    root: &sigstore_verify::trust_root::TrustedRoot,
    sha256s: &BTreeSet<String>,
) -> Result<BTreeMap<String, Vec<Publisher>>, String> {
    let verifier = keyless::Verifier::new(root).map_err(|e| format!("trusted root: {e}"))?;
    Ok(sha256s
        .par_iter()
        .filter_map(|sha| {
            let entry = store.read_provenance(sha).ok()??;
            let object = pep740::parse(entry.object?.as_bytes()).ok()?;
            let v = verify::verify(
                &verifier,
                &object,
                Expected {
                    filename: &entry.filename,
                    sha256: sha,
                },
            )
            .ok()?;
            Some((sha.clone(), v.publishers))
        })
        .collect())
}
