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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    critical_days: Option<u32>,
    high_days: Option<u32>,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    clock: Vec<RawClock>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    advisory: String,
    package: Option<String>,
    start: String,
    #[allow(dead_code)]
    note: Option<String>,
}

impl Policy {
    /// Read a policy file; errors name the file and what is wrong.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read the policy: {e}", path.display()))?;
        Policy::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parse policy TOML.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        let date = |s: &str, what: &str| {
            crate::osv::parse_day(s).ok_or_else(|| format!("{what} {s:?} is not a YYYY-MM-DD date"))
        };
        let holidays = raw
            .holidays
            .iter()
            .map(|h| date(h, "holiday"))
            .collect::<Result<_, _>>()?;
        let clocks = raw
            .clock
            .into_iter()
            .map(|c| {
                Ok(Clock {
                    start: date(&c.start, "clock start")?,
                    advisory: c.advisory,
                    package: c.package,
                })
            })
            .collect::<Result<_, String>>()?;
        for (what, v) in [
            ("critical-days", raw.critical_days),
            ("high-days", raw.high_days),
        ] {
            if v == Some(0) {
                return Err(format!("{what} must be at least 1"));
            }
        }
        Ok(Policy {
            critical_days: raw.critical_days,
            high_days: raw.high_days,
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
        self.clocks
            .iter()
            .filter(|c| c.advisory == advisory.id || advisory.aliases.contains(&c.advisory))
            .filter(|c| {
                c.package.as_deref().is_none_or(|p| {
                    p == package || PackageName::new(Ecosystem::Pypi, p).as_str() == package
                })
            })
            .map(|c| c.start)
            .min()
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
        assert!(
            Policy::parse("holidays = [\"25 Dec\"]")
                .unwrap_err()
                .contains("25 Dec")
        );
        assert!(
            Policy::parse("hollidays = []")
                .unwrap_err()
                .contains("hollidays")
        );
        assert!(Policy::parse("critical-days = 0").is_err());
    }
}
