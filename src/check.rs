//! `repro check`: is a set of lockfiles hermetic?
//!
//! A [`Rule`] inspects one lock (or the whole set) and pushes [`Finding`]s, each with a stable
//! [`Code`], a severity, a `file:line` location and, where the fix is known, a hint.
//! [`CheckReport::generate`] runs every rule of [`RULES`] and is a pure function of its input; the
//! report is the JSON document `repro check --json` prints. New rules (such as closure over
//! wheel metadata from the artifact store) plug in by implementing [`Rule`] and joining the list.

mod closure;
mod inputs;
mod rules;

pub use closure::{PackageMetadata, StoreMetadata};

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::lockfile::{Lock, LockError, LockFormat};
use crate::model::{Ecosystem, Location};

/// Version of the JSON document `repro check --json` prints.
pub const REPORT_SCHEMA: &str = "repro.check/v1";

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Makes the lock non-hermetic.
    Error,
    /// Worth a look; fails the check only with `--deny warnings`.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident, $desc:literal; )*) => {
        /// Stable identifiers of findings. JSON consumers key on them: renaming one is a breaking
        /// change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Code {
            $(
                #[doc = $desc]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The default severity.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// One line saying what the rule demands.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $desc,)* }
            }
        }
    };
}

codes! {
    Unpinned = "unpinned", Error, "every package is pinned to exactly one version with `==`";
    ArbitraryEquality = "arbitrary-equality", Warning, "`===` pins by string comparison, which PEP 440 discourages";
    MissingHash = "missing-hash", Error, "every package carries at least one hash (pip's hash-checking mode needs all of them)";
    WeakHash = "weak-hash", Error, "hashes are SHA-256 or stronger; MD5, SHA-1 and SHA-224 do not prove identity";
    MissingChecksum = "missing-checksum", Error, "every registry crate in Cargo.lock has a `checksum`";
    UrlRequirement = "url-requirement", Error, "a direct URL requirement carries a hash (`#sha256=` or `--hash`)";
    VcsRequirement = "vcs-requirement", Error, "no version-control requirement: its bytes cannot be hashed";
    GitUnpinned = "git-unpinned", Error, "a git source is pinned to a full commit id";
    EditableRequirement = "editable-requirement", Error, "no editable (`-e`) requirement outside the project";
    LocalPathRequirement = "local-path-requirement", Error, "a local path requirement carries a hash";
    ExtraIndexUrl = "extra-index-url", Error, "no `--extra-index-url`: two indexes invite dependency confusion";
    NonDefaultIndex = "non-default-index", Warning, "packages come from the default index (PyPI, crates.io) unless intended";
    TrustedHost = "trusted-host", Warning, "no `--trusted-host`: it turns off TLS verification for a host";
    FindLinks = "find-links", Warning, "no `--find-links`: it adds an unindexed source of artifacts";
    MissingDependency = "missing-dependency", Error, "every dependency edge (`# via`, uv.lock, Cargo.lock) points at a locked package";
    UnsafeUnpinned = "unsafe-unpinned", Error, "no required package left as a comment (pip-compile's \"unsafe\" section)";
    MetadataUnsatisfied = "metadata-unsatisfied", Error, "every requirement in a wheel's metadata is satisfied by the version the lock pins";
    MetadataUnavailable = "metadata-unavailable", Warning, "the store holds a wheel for the target, so its requirements can be checked";
    Orphan = "orphan", Warning, "every locked package is required by something or is a top-level requirement";
    DuplicateRequirement = "duplicate-requirement", Error, "a package is listed once per file (pip refuses double requirements)";
    InputNotLocked = "input-not-locked", Error, "every requirement of the `.in` file beside the lock is locked";
    InputNotSatisfied = "input-not-satisfied", Error, "every pinned version satisfies the specifier in the `.in` file";
    InputUnreadable = "input-unreadable", Error, "the `.in` file beside a lock can be read and parsed";
    StaleTopLevel = "stale-top-level", Error, "every top-level requirement of the lock comes from its `.in` file";
    VersionConflict = "version-conflict", Warning, "a package is pinned at one version across the tree";
    SdistOnly = "sdist-only", Warning, "a package has a wheel: an sdist needs build dependencies the lock does not pin";
    IncludeOutsideTree = "include-outside-tree", Warning, "`-r`/`-c` includes stay inside the checked tree";
    UnsafeFileName = "unsafe-file-name", Error, "every artifact file name a lock records is a plain file name (no `/`, `\\`, leading `.` or control character)";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one line.
    pub message: String,
    /// Where.
    pub location: Location,
    /// How to fix it, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    /// A finding with the code's default severity.
    pub fn new(code: Code, location: Location, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            location,
            hint: None,
        }
    }

    /// Add a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// What every rule can see.
pub struct Context<'a> {
    /// All locks being checked.
    pub locks: &'a [Lock],
    /// The roots the user named (files or directories); includes outside them are reported.
    pub roots: &'a [PathBuf],
    /// Package metadata for a target (from the artifact store), when the user asked for full
    /// closure with `--store` and `--target`.
    pub metadata: Option<&'a dyn PackageMetadata>,
}

/// A hermeticity rule.
pub trait Rule: Sync {
    /// Check one lock.
    fn check_lock(&self, _lock: &Lock, _ctx: &Context<'_>, _out: &mut Vec<Finding>) {}

    /// Check the set of locks as a whole.
    fn check_all(&self, _ctx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

/// Every rule, in the order their findings are reported.
pub static RULES: &[&dyn Rule] = &[
    &rules::Pins,
    &rules::Hashes,
    &rules::Sources,
    &rules::IndexOptions,
    &rules::Duplicates,
    &rules::Closure,
    &closure::MetadataClosure,
    &rules::Orphans,
    &rules::SdistOnly,
    &rules::Includes,
    &rules::FileNames,
    &inputs::InputConsistency,
    &rules::WorkspaceVersions,
];

/// Summary of one lockfile in the report.
#[derive(Debug, Clone, Serialize)]
pub struct LockSummary {
    /// The lockfile.
    pub path: PathBuf,
    /// Its format.
    pub format: LockFormat,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Number of packages.
    pub packages: usize,
    /// Number of allowed digests.
    pub hashes: usize,
    /// Findings located in this file (or its includes) at error severity.
    pub errors: usize,
    /// … at warning severity.
    pub warnings: usize,
}

/// A file that could not be checked.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFailure {
    /// The file.
    pub path: PathBuf,
    /// Line, 0 when unknown.
    pub line: usize,
    /// The error, in one line.
    pub message: String,
    /// How to fix it, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl LoadFailure {
    /// Describe a [`LockError`].
    pub fn from_error(path: &Path, err: &LockError) -> Self {
        let (path, line, message) = match err {
            LockError::Syntax {
                location, message, ..
            } => (location.file.clone(), location.line, message.clone()),
            // Named as it can be printed and serialized.
            LockError::NotUtf8Name { path } => (
                PathBuf::from(path.to_string_lossy().into_owned()),
                0,
                err.to_string(),
            ),
            other => (path.to_path_buf(), 0, other.to_string()),
        };
        LoadFailure {
            path,
            line,
            message,
            hint: err.hint(),
        }
    }
}

/// Whether the full closure (`--target`) could be proved from wheel metadata.
#[derive(Debug, Clone, Serialize)]
pub struct ClosureStatus {
    /// The target.
    pub target: String,
    /// Packages whose wheel metadata was not available (not in the store, unreadable): their
    /// requirements were not checked (`metadata-unavailable` findings).
    pub unchecked: usize,
    /// Whether an unchecked closure was accepted (`--allow-unchecked-closure`).
    pub allowed: bool,
}

/// The result of `repro check`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// No error-severity finding (after `--deny warnings`), no load failure, and with
    /// `--target` a closure checked for every package (or the gap explicitly allowed).
    pub hermetic: bool,
    /// With `--target`: how much of the closure was checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure: Option<ClosureStatus>,
    /// One entry per lockfile checked.
    pub locks: Vec<LockSummary>,
    /// Findings, ordered by file, line and code.
    pub findings: Vec<Finding>,
    /// Files that could not be read or parsed.
    pub failures: Vec<LoadFailure>,
    /// Totals.
    pub totals: Totals,
}

/// Totals over the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Lockfiles checked.
    pub lockfiles: usize,
    /// Packages over all lockfiles.
    pub packages: usize,
    /// Digests over all lockfiles.
    pub hashes: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Files that failed to load.
    pub failures: usize,
}

/// Check options.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Treat warnings as errors.
    pub deny_warnings: bool,
    /// With metadata (`--target`): accept a closure that could not be checked for some packages
    /// instead of failing.
    pub allow_unchecked_closure: bool,
}

impl CheckReport {
    /// Run every rule, with package metadata for full closure.
    pub fn generate_with_metadata(
        locks: &[Lock],
        roots: &[PathBuf],
        failures: Vec<LoadFailure>,
        options: CheckOptions,
        metadata: &dyn PackageMetadata,
    ) -> Self {
        Self::run(locks, roots, failures, options, Some(metadata))
    }
}

impl CheckReport {
    /// Run every rule over `locks`.
    pub fn generate(
        locks: &[Lock],
        roots: &[PathBuf],
        failures: Vec<LoadFailure>,
        options: CheckOptions,
    ) -> Self {
        Self::run(locks, roots, failures, options, None)
    }

    fn run(
        locks: &[Lock],
        roots: &[PathBuf],
        failures: Vec<LoadFailure>,
        options: CheckOptions,
        metadata: Option<&dyn PackageMetadata>,
    ) -> Self {
        let ctx = Context {
            locks,
            roots,
            metadata,
        };
        let mut findings = Vec::new();
        for rule in RULES {
            for lock in locks {
                rule.check_lock(lock, &ctx, &mut findings);
            }
            rule.check_all(&ctx, &mut findings);
        }
        if options.deny_warnings {
            for f in &mut findings {
                f.severity = Severity::Error;
            }
        }
        findings.sort_by(|a, b| {
            (&a.location, a.code, &a.message).cmp(&(&b.location, b.code, &b.message))
        });
        findings.dedup();

        let summaries: Vec<LockSummary> = locks
            .iter()
            .map(|lock| {
                // The files of this lock (itself, its includes, where its packages are), as a
                // set: a scan of the packages per finding is quadratic over a large tree.
                let files: std::collections::HashSet<&Path> = std::iter::once(lock.path.as_path())
                    .chain(lock.includes.iter().map(|i| i.path.as_path()))
                    .chain(lock.packages.iter().map(|p| p.location.file.as_path()))
                    .collect();
                let in_lock = |f: &&Finding| files.contains(f.location.file.as_path());
                let count = |sev| {
                    findings
                        .iter()
                        .filter(in_lock)
                        .filter(|f| f.severity == sev)
                        .count()
                };
                LockSummary {
                    path: lock.path.clone(),
                    format: lock.format,
                    ecosystem: lock.ecosystem,
                    sha256: lock.sha256.hex(),
                    packages: lock.packages.len(),
                    hashes: lock.hash_count(),
                    errors: count(Severity::Error),
                    warnings: count(Severity::Warning),
                }
            })
            .collect();
        let totals = Totals {
            lockfiles: locks.len(),
            packages: locks.iter().map(|l| l.packages.len()).sum(),
            hashes: locks.iter().map(Lock::hash_count).sum(),
            errors: findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
            warnings: findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            failures: failures.len(),
        };
        // A closure that could not be checked is not a pass (a gate that did not look).
        let closure = metadata.map(|m| ClosureStatus {
            target: m.target().to_string(),
            unchecked: findings
                .iter()
                .filter(|f| f.code == Code::MetadataUnavailable)
                .count(),
            allowed: options.allow_unchecked_closure,
        });
        let closure_ok = closure
            .as_ref()
            .is_none_or(|c| c.unchecked == 0 || c.allowed);
        CheckReport {
            schema: REPORT_SCHEMA,
            hermetic: totals.errors == 0 && failures.is_empty() && closure_ok,
            closure,
            locks: summaries,
            findings,
            failures,
            totals,
        }
    }
}
