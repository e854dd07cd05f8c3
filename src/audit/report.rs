//! The private audit report: one serde type that *is* the JSON document (`repro.audit/v1`),
//! generated from the findings, and rendered as text or Markdown ([`crate::audit::render`]) or
//! SARIF ([`crate::audit::sarif`]).
//!
//! Every string in it that came from advisory data, a lock or a VEX document is plain text
//! (made so where it was read). The report is private: it names packages, versions and
//! advisories; only [`Report::public_line`] may reach a log.

use serde::Serialize;

use crate::audit::{Finding, Summary, Triaged, summarize};
use crate::osv::Problem;
use crate::vex::Statement;

/// The report formats of `repro audit --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text, one finding a paragraph, grouped by due date.
    Text,
    /// Markdown (a work list for an issue tracker or a wiki), grouped by due date.
    Markdown,
    /// The `repro.audit/v1` JSON document.
    Json,
    /// SARIF 2.1.0, for a private code-scanning upload.
    Sarif,
}

impl Format {
    /// The file extension of a report in this format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Sarif => "sarif",
        }
    }
}

/// How old the advisory data is, when it was downloaded by `repro db update`.
#[derive(Debug, Clone, Serialize)]
pub struct DataAge {
    /// RFC 3339 time of the oldest source's last successful check (a download or a 304).
    pub checked: String,
    /// Seconds from then to the audit.
    pub age_seconds: i64,
    /// The same in words (`5 hours`, `3 days`).
    pub age: String,
}

/// What was read of the advisory data.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseInfo {
    /// JSON records read.
    pub records: usize,
    /// Withdrawn records skipped.
    pub withdrawn: usize,
    /// Records or ranges that could not be used.
    pub skipped: usize,
    /// Those problems, and warnings.
    pub problems: Vec<Problem>,
    /// The data's age, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<DataAge>,
}

/// The private report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`crate::audit::REPORT_SCHEMA`].
    pub schema: &'static str,
    /// The audit's day, `YYYY-MM-DD`.
    pub now: String,
    /// Package versions audited.
    pub packages: usize,
    /// The advisory data.
    pub database: DatabaseInfo,
    /// Counts.
    pub summary: Summary,
    /// Findings in force, by due date, severity, name, id.
    pub findings: Vec<Finding>,
    /// Findings a VEX statement in force suppresses, with its justification.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Finding>,
    /// `not_affected` statements that match no finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_suppressions: Vec<Statement>,
}

impl Report {
    /// Assemble the report (pure).
    pub fn generate(now: i64, packages: usize, database: DatabaseInfo, triaged: Triaged) -> Report {
        let mut summary = summarize(&triaged.findings);
        summary.suppressed = triaged.suppressed.len();
        summary.stale_suppressions = triaged.stale.len();
        Report {
            schema: crate::audit::REPORT_SCHEMA,
            now: crate::date::format_day(now),
            packages,
            database,
            summary,
            findings: triaged.findings,
            suppressed: triaged.suppressed,
            stale_suppressions: triaged.stale,
        }
    }

    /// The line a public log may carry: counts, the nearest due date and the data's age,
    /// nothing that names a package, a version or an advisory.
    pub fn public_line(&self) -> String {
        use std::fmt::Write as _;
        let s = &self.summary;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut line = format!(
            "{}: {} critical, {} high, {} medium, {} low, {} unrated",
            plural(s.findings, "finding", "findings"),
            s.critical,
            s.high,
            s.medium,
            s.low,
            s.unknown
        );
        let _ = write!(line, "; {}", plural(s.warnings, "warning", "warnings"));
        if let Some(d) = &s.earliest_due {
            let _ = write!(line, "; earliest due {d}");
        }
        if s.overdue > 0 {
            let _ = write!(line, "; {} overdue", s.overdue);
        }
        if s.suppressed > 0 {
            let _ = write!(line, "; {} suppressed by VEX", s.suppressed);
        }
        if s.expired_suppressions > 0 {
            let _ = write!(
                line,
                "; {}",
                plural(
                    s.expired_suppressions,
                    "expired suppression",
                    "expired suppressions"
                )
            );
        }
        if s.stale_suppressions > 0 {
            let _ = write!(
                line,
                "; {}",
                plural(
                    s.stale_suppressions,
                    "stale suppression",
                    "stale suppressions"
                )
            );
        }
        let _ = write!(line, "; {} packages audited", self.packages);
        if self.database.skipped > 0 {
            let _ = write!(
                line,
                "; {} unusable advisory records or ranges skipped",
                self.database.skipped
            );
        }
        if let Some(f) = &self.database.freshness {
            let _ = write!(line, "; advisory data {} old", f.age);
        }
        line
    }
}
