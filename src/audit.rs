//! Advisory scanning: join locked packages to OSV advisories ([`Finding`]s), rate them, and
//! start the response clock (critical: 3 business days, high: 10, medium and low: the next
//! regular release).
//!
//! Severity comes from the newest CVSS vector of the record (entry-level first), else from
//! `database_specific.severity`, else it is unknown; malicious-package reports are always
//! critical. An unknown severity is triaged on the high clock and counts as high for
//! `--fail-on`, so that a record without a score is never quieter than a rated one. RustSec's
//! informational records (unmaintained, unsound, notice) are warnings unless denied.

pub mod location;
pub mod policy;
pub mod render;
pub mod report;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use serde::Serialize;

use crate::model::{Ecosystem, PackageName};
use crate::osv::matching::{Because, affects, smallest_upgrade};
use crate::osv::{Advisory, Affected, Database, Event, Reference, SeverityEntry};

pub use policy::Policy;

/// Schema of the JSON report.
pub const REPORT_SCHEMA: &str = "repro.audit/v1";

/// A package version to audit, and where it is used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Normalized name.
    pub name: PackageName,
    /// Exact version.
    pub version: String,
    /// Lockfiles, manifests or SBOMs that hold it.
    pub used_by: BTreeSet<String>,
}

/// Collect subjects, merging the same package version seen in several places.
pub fn merge_subjects(
    items: impl IntoIterator<Item = (Ecosystem, PackageName, String, String)>,
) -> Vec<Subject> {
    let mut map: BTreeMap<(Ecosystem, PackageName, String), BTreeSet<String>> = BTreeMap::new();
    for (e, n, v, from) in items {
        map.entry((e, n, v)).or_default().insert(from);
    }
    map.into_iter()
        .map(|((ecosystem, name, version), used_by)| Subject {
            ecosystem,
            name,
            version,
            used_by,
        })
        .collect()
}

/// Severity rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS below 4.0.
    Low,
    /// CVSS 4.0–6.9, GHSA `MODERATE`.
    Medium,
    /// No score in the record: treated as high for deadlines and thresholds.
    Unknown,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0 and above; every malicious package.
    Critical,
}

impl Severity {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::Unknown => "unknown",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The rank used for thresholds and deadlines (unknown ranks as high).
    pub fn rank(self) -> u8 {
        match self {
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::Unknown | Severity::High => 3,
            Severity::Critical => 4,
        }
    }
}

/// What a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "informational")]
pub enum FindingKind {
    /// A vulnerability.
    Vulnerability,
    /// A known malicious package.
    Malicious,
    /// RustSec informational: `unmaintained`, `unsound`, `notice`.
    Warning(String),
}

/// An advisory joined to a locked package.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Advisory id.
    pub id: String,
    /// CVE, GHSA and other ids of the same issue.
    pub aliases: Vec<String>,
    /// Summary, when the record has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Vulnerability, malicious package or warning.
    #[serde(flatten)]
    pub kind: FindingKind,
    /// `pypi` or `cargo`.
    pub ecosystem: Ecosystem,
    /// Package name.
    pub name: String,
    /// Locked version.
    pub version: String,
    /// Rating.
    pub severity: Severity,
    /// CVSS base score, when a vector gave the rating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The vector that gave the rating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// Whether the version is listed explicitly or lies in a range.
    pub matched_by: &'static str,
    /// Versions the advisory names as fixed.
    pub fixed_in: Vec<String>,
    /// The smallest version that clears every vulnerability and malicious-package finding of
    /// this package version at once (none when no fixed version does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    /// Where the version is used: the lockfiles (or manifest, SBOM) that lock it.
    pub used_by: Vec<String>,
    /// The advisory's references (advisories, reports, fixes), as the record lists them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// The advisory record.
    pub source: String,
    /// The response clock.
    pub sla: Sla,
    /// The `note` of the policy's `[[clock]]` entry that started the clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_note: Option<String>,
    /// The VEX statement that names this finding: it suppresses the finding, or has expired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexApplied>,
    /// Whether this finding makes the audit fail (`--fail-on`, `--deny`).
    pub fails: bool,
}

/// A `not_affected` VEX statement applied to a finding.
#[derive(Debug, Clone, Serialize)]
pub struct VexApplied {
    /// Why not affected (the statement's justification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The statement's impact statement or detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The last day the statement is in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Past its expiry: it no longer suppresses the finding.
    pub expired: bool,
    /// Where the statement is (`vex.json statement 3`).
    pub statement: String,
}

/// The response clock of a finding.
#[derive(Debug, Clone, Serialize)]
pub struct Sla {
    /// `YYYY-MM-DD` the clock started.
    pub clock_start: String,
    /// `published` (the advisory's), `modified` (no publication date), `policy` (a date from
    /// the policy file) or `today` (the record has no date at all).
    pub clock_source: &'static str,
    /// `YYYY-MM-DD`, or `next-release` for medium and low.
    pub due: String,
    /// Business days allowed, when the deadline is a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_days: Option<u32>,
    /// Past due at `now`.
    pub overdue: bool,
    /// Business days left (negative when overdue), when the deadline is a date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// Business days past the due date, when overdue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_business_days: Option<i64>,
}

/// Which findings fail the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Critical only.
    Critical,
    /// High, unknown and critical.
    High,
    /// Medium and above.
    Medium,
    /// Low and above.
    Low,
    /// Every vulnerability, whatever its rating.
    Any,
}

impl FailOn {
    fn admits(self, s: Severity) -> bool {
        match self {
            FailOn::Critical => s.rank() >= 4,
            FailOn::High => s.rank() >= 3,
            FailOn::Medium => s.rank() >= 2,
            FailOn::Low | FailOn::Any => true,
        }
    }
}

/// Options of an audit.
#[derive(Debug, Clone)]
pub struct Options {
    /// Today, as days since 1970-01-01.
    pub now_days: i64,
    /// Threshold.
    pub fail_on: FailOn,
    /// Informational kinds treated as failures (`unmaintained`, `unsound`, `notice`, or
    /// `warnings` for all).
    pub deny: Vec<String>,
    /// Holidays and clock starts.
    pub policy: Policy,
}

/// The rating of an advisory for one affected entry: (severity, score, vector).
pub fn rate(
    advisory: &Advisory,
    entry_severity: &[SeverityEntry],
) -> (Severity, Option<f64>, Option<String>) {
    if advisory.malicious {
        return (Severity::Critical, None, None);
    }
    let vectors = if entry_severity.is_empty() {
        &advisory.severity
    } else {
        entry_severity
    };
    let rank = |kind: &str| match kind {
        "CVSS_V4" => 3,
        "CVSS_V3" => 2,
        "CVSS_V2" => 1,
        _ => 0,
    };
    let best = vectors
        .iter()
        .filter(|s| rank(&s.kind) > 0)
        .filter_map(|s| {
            cvss::Cvss::from_str(s.score.trim())
                .ok()
                .map(|c| (rank(&s.kind), c.score(), s.score.clone()))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    if let Some((_, score, vector)) = best {
        return (from_score(score), Some(score), Some(vector));
    }
    let db = advisory
        .database_severity
        .as_deref()
        .map(str::to_ascii_uppercase);
    let s = match db.as_deref() {
        Some("CRITICAL") => Severity::Critical,
        Some("HIGH") => Severity::High,
        Some("MODERATE" | "MEDIUM") => Severity::Medium,
        Some("LOW") => Severity::Low,
        _ => Severity::Unknown,
    };
    (s, None, None)
}

fn from_score(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// The `n`-th business day after `start` (weekends and holidays skipped).
pub fn add_business_days(start: i64, n: u32, holidays: &BTreeSet<i64>) -> i64 {
    let mut d = start;
    let mut left = n;
    while left > 0 {
        d += 1;
        if crate::date::weekday(d) < 5 && !holidays.contains(&d) {
            left -= 1;
        }
    }
    d
}

/// Business days from `from` to `to` (negative when `to` is earlier).
pub fn business_days_between(from: i64, to: i64, holidays: &BTreeSet<i64>) -> i64 {
    let (a, b, sign) = if from <= to {
        (from, to, 1)
    } else {
        (to, from, -1)
    };
    let n = (a + 1..=b)
        .filter(|d| crate::date::weekday(*d) < 5 && !holidays.contains(d))
        .count() as i64;
    sign * n
}

fn sla_for(
    advisory: &Advisory,
    subject: &Subject,
    severity: Severity,
    informational: bool,
    o: &Options,
) -> Sla {
    let (start, source) = match o.policy.clock_start(advisory, subject.name.as_str()) {
        Some(d) => (d, "policy"),
        None => match advisory
            .published
            .as_deref()
            .and_then(|s| crate::date::parse_time_day(s).ok())
        {
            Some(d) => (d, "published"),
            None => match advisory
                .modified
                .as_deref()
                .and_then(|s| crate::date::parse_time_day(s).ok())
            {
                Some(d) => (d, "modified"),
                None => (o.now_days, "today"),
            },
        },
    };
    // Informational warnings (unmaintained, unsound) wait for the next regular release.
    let days = match (severity.rank(), informational) {
        (_, true) => None,
        (4, _) => Some(o.policy.critical_days()),
        (3, _) => Some(o.policy.high_days()),
        _ => None,
    };
    match days {
        Some(n) => {
            let due = add_business_days(start, n, o.policy.holidays());
            let left = business_days_between(o.now_days, due, o.policy.holidays());
            Sla {
                clock_start: crate::date::format_day(start),
                clock_source: source,
                due: crate::date::format_day(due),
                business_days: Some(n),
                overdue: o.now_days > due,
                days_left: Some(left),
                overdue_business_days: (o.now_days > due).then_some(-left),
            }
        }
        None => Sla {
            clock_start: crate::date::format_day(start),
            clock_source: source,
            due: "next-release".into(),
            business_days: None,
            overdue: false,
            days_left: None,
            overdue_business_days: None,
        },
    }
}

/// Every finding of `subjects` against `db`, ordered by due date, severity, name and id.
pub fn audit(subjects: &[Subject], db: &Database, o: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in subjects {
        let first = out.len();
        // The entries of this package in the advisories that hit it (vulnerabilities and
        // malicious reports): the upgrade must clear them all.
        let mut to_clear: Vec<&Affected> = Vec::new();
        let mut seen = BTreeSet::new();
        for a in db.for_package(s.ecosystem, &s.name) {
            if !seen.insert(a.id.clone()) {
                continue;
            }
            let mut hit = None;
            let mut fixed = BTreeSet::new();
            for e in a
                .affected
                .iter()
                .filter(|e| e.ecosystem == s.ecosystem && e.name == s.name)
            {
                if let Some(b) = affects(e, &s.version) {
                    hit.get_or_insert((e, b));
                }
                for r in &e.ranges {
                    for ev in &r.events {
                        if let Event::Fixed(v) = ev {
                            fixed.insert(v.clone());
                        }
                    }
                }
            }
            let Some((entry, because)) = hit else {
                continue;
            };
            let (severity, score, vector) = rate(a, &entry.severity);
            let kind = if a.malicious {
                FindingKind::Malicious
            } else if let Some(i) = &entry.informational {
                FindingKind::Warning(i.clone())
            } else {
                FindingKind::Vulnerability
            };
            let fails = match &kind {
                FindingKind::Warning(i) => o.deny.iter().any(|d| d == i || d == "warnings"),
                _ => o.fail_on.admits(severity),
            };
            if !matches!(kind, FindingKind::Warning(_)) {
                to_clear.extend(
                    a.affected
                        .iter()
                        .filter(|e| e.ecosystem == s.ecosystem && e.name == s.name),
                );
            }
            let policy_note = o
                .policy
                .clock(a, s.name.as_str())
                .and_then(|(_, note)| note)
                .map(plain_owned);
            // Advisory text is data from the database: in the report it is plain text on one
            // line, so a summary cannot forge a report line or send terminal escapes.
            let plain = |t: &str| crate::redact::plain_text(t).into_owned();
            let sla = sla_for(a, s, severity, matches!(kind, FindingKind::Warning(_)), o);
            out.push(Finding {
                id: plain(&a.id),
                aliases: a.aliases.iter().map(|x| plain(x)).collect(),
                summary: a.summary.as_deref().map(plain),
                sla,
                kind: match kind {
                    FindingKind::Warning(i) => FindingKind::Warning(plain(&i)),
                    other => other,
                },
                ecosystem: s.ecosystem,
                name: plain(s.name.as_str()),
                version: plain(&s.version),
                severity,
                score,
                vector: vector.as_deref().map(plain),
                matched_by: match because {
                    Because::Listed => "versions",
                    Because::InRange => "range",
                },
                fixed_in: fixed.iter().map(|x| plain(x)).collect(),
                upgrade: None,
                used_by: s.used_by.iter().map(|x| plain(x)).collect(),
                references: a
                    .references
                    .iter()
                    .map(|r| Reference {
                        kind: plain(&r.kind),
                        url: plain(&r.url),
                    })
                    .collect(),
                source: plain(&a.source),
                policy_note,
                vex: None,
                fails,
            });
        }
        if !to_clear.is_empty() {
            let upgrade =
                smallest_upgrade(s.ecosystem, &s.version, &to_clear).map(|v| plain_owned(&v));
            for f in &mut out[first..] {
                f.upgrade = upgrade.clone();
            }
        }
    }
    // Dated deadlines first (earliest first), then those waiting for the next release.
    fn due(f: &Finding) -> (bool, &str) {
        (f.sla.due == "next-release", &f.sla.due)
    }
    out.sort_by(|a, b| {
        due(a)
            .cmp(&due(b))
            .then(b.severity.rank().cmp(&a.severity.rank()))
            .then(a.name.cmp(&b.name))
            .then(a.version.cmp(&b.version))
            .then(a.id.cmp(&b.id))
    });
    out
}

fn plain_owned(t: &str) -> String {
    crate::redact::plain_text(t).into_owned()
}

/// Findings after VEX: those still in force, those a `not_affected` statement suppresses, and
/// the statements that suppress nothing.
#[derive(Debug, Clone, Default)]
pub struct Triaged {
    /// Findings in force (an expired statement is noted on its finding).
    pub findings: Vec<Finding>,
    /// Findings a statement in force suppresses; they never fail the audit.
    pub suppressed: Vec<Finding>,
    /// `not_affected` statements that name no finding of this audit (stale suppressions).
    pub stale: Vec<crate::vex::Statement>,
}

/// Apply VEX statements to findings at `today`: a finding named by a `not_affected` statement
/// in force moves to `suppressed`; one named only by expired statements stays, flagged.
///
/// Fail-closed rules: a malicious-package finding is never suppressed (the package is removed,
/// not argued away), and neither is a finding that a statement of another status
/// (`affected`, `fixed`, `under_investigation`) in force also names: the statements disagree,
/// and the disagreement is settled by removing the superseded one, not by picking the lenient.
pub fn apply_vex(
    findings: Vec<Finding>,
    statements: &[crate::vex::Statement],
    today: i64,
) -> Triaged {
    let not_affected: Vec<&crate::vex::Statement> = statements
        .iter()
        .filter(|s| s.status == crate::vex::Status::NotAffected)
        .collect();
    let others: Vec<&crate::vex::Statement> = statements
        .iter()
        .filter(|s| s.status != crate::vex::Status::NotAffected && !s.expired(today))
        .collect();
    let mut used = vec![false; not_affected.len()];
    let mut t = Triaged::default();
    for mut f in findings {
        let name = PackageName::new(f.ecosystem, &f.name);
        let covering: Vec<usize> = not_affected
            .iter()
            .enumerate()
            .filter(|(_, s)| s.covers(f.ecosystem, &name, &f.version, &f.id, &f.aliases))
            .map(|(i, _)| i)
            .collect();
        for &i in &covering {
            used[i] = true;
        }
        let disputed = others
            .iter()
            .any(|s| s.covers(f.ecosystem, &name, &f.version, &f.id, &f.aliases));
        if f.kind == FindingKind::Malicious || disputed {
            t.findings.push(f);
            continue;
        }
        // A statement in force wins over an expired one.
        let chosen = covering
            .iter()
            .find(|&&i| !not_affected[i].expired(today))
            .or(covering.first());
        let Some(&i) = chosen else {
            t.findings.push(f);
            continue;
        };
        let s = not_affected[i];
        let expired = s.expired(today);
        f.vex = Some(VexApplied {
            justification: s.justification.clone(),
            detail: s.detail.clone(),
            expires: s.expires.clone(),
            expired,
            statement: s.origin.clone(),
        });
        if expired {
            t.findings.push(f);
        } else {
            f.fails = false;
            t.suppressed.push(f);
        }
    }
    t.stale = not_affected
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(s, _)| (*s).clone())
        .collect();
    t
}

/// Counts for the public summary line: nothing that names a package or an advisory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Vulnerabilities and malicious packages.
    pub findings: usize,
    /// By rating.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// No rating in the record.
    pub unknown: usize,
    /// Of which malicious packages.
    pub malicious: usize,
    /// Informational warnings.
    pub warnings: usize,
    /// Past their due date.
    pub overdue: usize,
    /// That make the audit fail.
    pub failing: usize,
    /// The nearest due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_due: Option<String>,
    /// Findings a VEX statement suppresses (not counted above).
    pub suppressed: usize,
    /// Findings whose VEX statement has expired (counted above).
    pub expired_suppressions: usize,
    /// `not_affected` VEX statements that name no finding.
    pub stale_suppressions: usize,
}

/// Count findings.
pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        if f.fails {
            s.failing += 1;
        }
        if f.vex.as_ref().is_some_and(|v| v.expired) {
            s.expired_suppressions += 1;
        }
        if let FindingKind::Warning(_) = f.kind {
            s.warnings += 1;
            continue;
        }
        s.findings += 1;
        if f.kind == FindingKind::Malicious {
            s.malicious += 1;
        }
        match f.severity {
            Severity::Critical => s.critical += 1,
            Severity::High => s.high += 1,
            Severity::Medium => s.medium += 1,
            Severity::Low => s.low += 1,
            Severity::Unknown => s.unknown += 1,
        }
        if f.sla.overdue {
            s.overdue += 1;
        }
        if f.sla.due != "next-release" && s.earliest_due.as_ref().is_none_or(|d| f.sla.due < *d) {
            s.earliest_due = Some(f.sla.due.clone());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> i64 {
        crate::date::parse_time_day(s).unwrap()
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let none = BTreeSet::new();
        // 2026-11-27 is a Friday: three business days later is Wednesday 2026-12-02.
        assert_eq!(crate::date::weekday(day("2026-11-27")), 4);
        assert_eq!(
            crate::date::format_day(add_business_days(day("2026-11-27"), 3, &none)),
            "2026-12-02"
        );
        // Started on a Saturday: Monday is the first business day.
        assert_eq!(
            crate::date::format_day(add_business_days(day("2026-11-28"), 1, &none)),
            "2026-11-30"
        );
        let holidays: BTreeSet<i64> = [day("2026-12-25")].into();
        assert_eq!(
            crate::date::format_day(add_business_days(day("2026-12-21"), 10, &holidays)),
            "2027-01-05"
        );
        assert_eq!(
            business_days_between(day("2026-12-04"), day("2026-12-07"), &none),
            1
        );
        assert_eq!(
            business_days_between(day("2026-12-07"), day("2026-12-04"), &none),
            -1
        );
    }

    #[test]
    fn ratings_from_vectors_and_database_severity() {
        let mut a = Advisory {
            id: "X".into(),
            aliases: vec![],
            summary: None,
            published: None,
            modified: None,
            severity: vec![SeverityEntry {
                kind: "CVSS_V3".into(),
                score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            }],
            database_severity: Some("LOW".into()),
            malicious: false,
            affected: vec![],
            references: vec![],
            source: String::new(),
            record_sha256: None,
        };
        let (s, score, _) = rate(&a, &[]);
        assert_eq!((s, score), (Severity::Critical, Some(9.8)));
        a.severity[0].score = "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H".into();
        assert_eq!(rate(&a, &[]).0, Severity::High);
        a.severity.push(SeverityEntry {
            kind: "CVSS_V4".into(),
            score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N".into(),
        });
        assert_eq!(rate(&a, &[]).0, Severity::Medium, "v4 preferred over v3");
        a.severity.clear();
        assert_eq!(rate(&a, &[]).0, Severity::Low);
        a.database_severity = Some("MODERATE".into());
        assert_eq!(rate(&a, &[]).0, Severity::Medium);
        a.database_severity = None;
        assert_eq!(rate(&a, &[]).0, Severity::Unknown);
        a.malicious = true;
        assert_eq!(rate(&a, &[]).0, Severity::Critical);
    }
}
