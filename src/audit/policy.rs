//! The audit policy file (TOML): response deadlines, holidays, and clock starts for findings
//! reported privately before (or without) a public advisory.
//!
//! ```toml
//! critical-days = 3            # business days (default 3)
//! high-days = 10               # business days (default 10)
//! holidays = ["2026-12-24", "2026-12-25", "2027-01-01"]
//!
//! [[clock]]
//! advisory = "PYSEC-2026-42"   # id or alias (CVE, GHSA)
//! package = "urllib3"          # optional: only this package
//! start = "2026-11-20"         # the day the issue was reported to us
//! note = "reported by a customer"
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Ecosystem, PackageName};
use crate::osv::Advisory;

/// A parsed policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    critical_days: Option<u32>,
    high_days: Option<u32>,
    holidays: BTreeSet<i64>,
    clocks: Vec<Clock>,
}

#[derive(Debug, Clone)]
struct Clock {
    advisory: String,
    package: Option<String>,
    start: i64,
    note: Option<String>,
}

/// Largest policy file read. A policy is a few lines; the cap keeps a mistaken path (a log, a
/// device) from being read whole.
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// Largest response deadline, in business days (about 17 months). Each finding's due date is
/// counted day by day, so an absurd value (`high-days = 4294967295`) would cost seconds per
/// finding; a deadline this far away is a typo.
pub const MAX_POLICY_DAYS: u32 = 365;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    critical_days: Option<Spanned<i64>>,
    high_days: Option<Spanned<i64>>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    #[serde(default)]
    clock: Vec<RawClock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    advisory: String,
    package: Option<String>,
    start: Spanned<String>,
    note: Option<String>,
}

/// Why a policy was refused: a line (0 when unknown) and a message that quotes no value of the
/// file. A `[[clock]]` entry names an advisory that may be under embargo, and the package it
/// concerns: an error printed to a public log must not repeat them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Policy {
    /// Read a policy file (at most [`MAX_POLICY_BYTES`], a regular file); errors name the file,
    /// the line and what is wrong, and never quote the file.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let text = crate::fsio::read_to_string_capped(path, MAX_POLICY_BYTES)
            .map_err(|e| format!("`{}`: cannot read the policy: {e}", path.display()))?;
        Policy::parse(&text).map_err(|e| match e.line {
            0 => format!("{}: {}", path.display(), e.message),
            n => format!("{}:{n}: {}", path.display(), e.message),
        })
    }

    /// Parse policy TOML.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let lines = crate::model::LineIndex::new(text);
        let at = |span: std::ops::Range<usize>, message: String| PolicyError {
            line: lines.line(span.start),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            // The message only (its Display quotes the offending line), less any value.
            let message = crate::redact::scrub_quoted(e.message().trim(), |span| {
                crate::redact::is_toml_value(text, span)
            });
            PolicyError {
                line: e.span().map_or(0, |s| lines.line(s.start)),
                message,
            }
        })?;
        let date = |s: &Spanned<String>, what: &str| {
            crate::date::parse_day(s.get_ref()).map_err(|e| at(s.span(), format!("{what} is {e}")))
        };
        let holidays = raw
            .holidays
            .iter()
            .map(|h| date(h, "a `holidays` entry"))
            .collect::<Result<_, _>>()?;
        let clocks = raw
            .clock
            .into_iter()
            .map(|c| {
                Ok(Clock {
                    start: date(&c.start, "a `[[clock]]` entry's `start`")?,
                    advisory: c.advisory,
                    package: c.package,
                    note: c.note,
                })
            })
            .collect::<Result<_, PolicyError>>()?;
        let days = |what: &str, v: Option<Spanned<i64>>| -> Result<Option<u32>, PolicyError> {
            let Some(v) = v else { return Ok(None) };
            match u32::try_from(*v.get_ref()) {
                Ok(n) if (1..=MAX_POLICY_DAYS).contains(&n) => Ok(Some(n)),
                _ => Err(at(
                    v.span(),
                    format!("`{what}` must be between 1 and {MAX_POLICY_DAYS} business days"),
                )),
            }
        };
        Ok(Policy {
            critical_days: days("critical-days", raw.critical_days)?,
            high_days: days("high-days", raw.high_days)?,
            holidays,
            clocks,
        })
    }

    /// Business days allowed for a critical finding.
    pub fn critical_days(&self) -> u32 {
        self.critical_days.unwrap_or(3)
    }

    /// Business days allowed for a high (or unrated) finding.
    pub fn high_days(&self) -> u32 {
        self.high_days.unwrap_or(10)
    }

    /// Days that are not business days besides weekends.
    pub fn holidays(&self) -> &BTreeSet<i64> {
        &self.holidays
    }

    /// The policy's clock start for this advisory (matched by id or alias) and package.
    pub fn clock_start(&self, advisory: &Advisory, package: &str) -> Option<i64> {
        self.clock(advisory, package).map(|(start, _)| start)
    }

    /// The earliest `[[clock]]` entry for this advisory (matched by id or alias) and package:
    /// its start, and its `note` (for the private report).
    pub fn clock(&self, advisory: &Advisory, package: &str) -> Option<(i64, Option<&str>)> {
        self.clocks
            .iter()
            .filter(|c| c.advisory == advisory.id || advisory.aliases.contains(&c.advisory))
            .filter(|c| {
                c.package.as_deref().is_none_or(|p| {
                    p == package || PackageName::new(Ecosystem::Pypi, p).as_str() == package
                })
            })
            .min_by_key(|c| c.start)
            .map(|c| (c.start, c.note.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let p = Policy::parse(
            "high-days = 5\nholidays = [\"2026-12-25\"]\n[[clock]]\nadvisory = \"CVE-1\"\nstart = \"2026-11-20\"\n",
        )
        .unwrap();
        assert_eq!((p.critical_days(), p.high_days()), (3, 5));
        assert_eq!(p.holidays().len(), 1);
        let e = Policy::parse("holidays = [\n  \"25 Dec\",\n]").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(!e.message.contains("25 Dec"), "{e:?}");
        let e = Policy::parse("hollidays = []").unwrap_err();
        assert!(e.message.contains("hollidays"), "{e:?}");
        assert!(Policy::parse("critical-days = 0").is_err());
    }

    #[test]
    fn days_are_range_checked_at_the_cap() {
        let at_cap = format!("high-days = {MAX_POLICY_DAYS}");
        assert_eq!(Policy::parse(&at_cap).unwrap().high_days(), MAX_POLICY_DAYS);
        for bad in [
            format!("high-days = {}", MAX_POLICY_DAYS + 1),
            "high-days = 4294967295".to_string(),
            "critical-days = -1".to_string(),
        ] {
            let e = Policy::parse(&bad).unwrap_err();
            assert_eq!(e.line, 1, "{bad}");
            assert!(e.message.contains("between 1 and 365"), "{bad}: {e:?}");
        }
    }

    #[test]
    fn errors_quote_no_embargoed_value() {
        for text in [
            "[[clock]]\nadvisory = \"CVE-2026-49476\npackage = \"soupsieve\"\nstart = \"2026-07-01\"\n",
            "[[clock]]\nadvisory = \"CVE-2026-49476\"\npackage = \"soupsieve\"\nstart = \"July\"\n",
            "[[clock]]\nadvisory = \"CVE-2026-49476\"\npackage = [\"soupsieve\"]\nstart = \"2026-07-01\"\n",
            "[[clock]]\nadvisory = \"CVE-2026-49476\"\npackage = \"soupsieve\"\nstart = 2026-07-01\n",
        ] {
            let e = Policy::parse(text).unwrap_err();
            assert!(e.line > 0, "{text}: {e:?}");
            for secret in ["CVE-2026-49476", "soupsieve", "July"] {
                assert!(!e.message.contains(secret), "{text}: {e:?}");
            }
        }
    }
}
