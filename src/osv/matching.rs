//! Whether a version of a package is affected, per the OSV schema's evaluation rules.
//!
//! A version listed in `versions` is affected whatever the ranges say. A range's events are
//! sorted by version and walked in order: `introduced` at or below the version makes it
//! affected, `fixed` at or below it (or `last_affected` strictly below it) makes it not
//! affected; when the range has `limit` events, the version must also lie below one of them.
//! PyPI versions are ordered by PEP 440 (epochs, pre-, post-, dev- and local versions), crates
//! by Semantic Versioning (where `0.0.0-0` is the lowest version).

use std::cmp::Ordering;
use std::str::FromStr;

use crate::model::Ecosystem;
use crate::osv::{Affected, Event, RangeKind};

/// A version parsed for one ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Version {
    /// `introduced: "0"`: below every version.
    Zero,
    Pep440(pep440_rs::Version),
    Semver(semver::Version),
}

impl Version {
    fn parse(ordering: Ordering_, s: &str) -> Option<Version> {
        let s = s.trim();
        match ordering {
            Ordering_::Pep440 => pep440_rs::Version::from_str(s).ok().map(Version::Pep440),
            Ordering_::Semver => semver::Version::parse(s.strip_prefix('v').unwrap_or(s))
                .ok()
                .map(Version::Semver),
        }
    }

    fn cmp(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Zero, Version::Zero) => Some(Ordering::Equal),
            (Version::Zero, _) => Some(Ordering::Less),
            (_, Version::Zero) => Some(Ordering::Greater),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Which ordering applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering_ {
    Pep440,
    Semver,
}

fn ordering(ecosystem: Ecosystem, kind: RangeKind) -> Ordering_ {
    match (ecosystem, kind) {
        (Ecosystem::Pypi, RangeKind::Ecosystem) => Ordering_::Pep440,
        _ => Ordering_::Semver,
    }
}

/// Whether an event's version parses under the range's ordering (`introduced: "0"` always does).
pub fn event_parses(ecosystem: Ecosystem, kind: RangeKind, version: &str) -> bool {
    version == "0" || Version::parse(ordering(ecosystem, kind), version).is_some()
}

/// Whether two version strings name the same version in the ecosystem (`1.0` and `1.0.0` are
/// the same PEP 440 version).
fn same_version(ecosystem: Ecosystem, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let o = match ecosystem {
        Ecosystem::Pypi => Ordering_::Pep440,
        Ecosystem::Cargo => Ordering_::Semver,
    };
    match (Version::parse(o, a), Version::parse(o, b)) {
        (Some(x), Some(y)) => x.cmp(&y) == Some(Ordering::Equal),
        _ => false,
    }
}

/// Why a version is affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Because {
    /// It is listed in `versions`.
    Listed,
    /// It lies in a range.
    InRange,
}

/// Whether `version` of the entry's package is affected. Versions that do not parse under a
/// range's ordering can only match through `versions`.
pub fn affects(entry: &Affected, version: &str) -> Option<Because> {
    if entry
        .versions
        .iter()
        .any(|v| same_version(entry.ecosystem, v, version))
    {
        return Some(Because::Listed);
    }
    entry
        .ranges
        .iter()
        .any(|r| {
            let o = ordering(entry.ecosystem, r.kind);
            let Some(v) = Version::parse(o, version) else {
                return false;
            };
            in_range(o, &v, &r.events)
        })
        .then_some(Because::InRange)
}

/// The smallest upgrade that clears every advisory entry of a package at once: the lowest
/// version above `current` that the entries name as fixed (a `fixed` event of any range) and
/// that none of them affects, in the ecosystem's order (PEP 440, semver). OSV records name the
/// fixing releases, not every release, so the answer is always a version some advisory points
/// to. `None` when no such version exists: a malicious package (every version affected), an
/// advisory with only `last_affected`, or fixes that each leave another entry open.
pub fn smallest_upgrade(
    ecosystem: crate::model::Ecosystem,
    current: &str,
    entries: &[&Affected],
) -> Option<String> {
    let o = match ecosystem {
        Ecosystem::Pypi => Ordering_::Pep440,
        Ecosystem::Cargo => Ordering_::Semver,
    };
    let now = Version::parse(o, current)?;
    let mut candidates: Vec<(Version, &str)> = entries
        .iter()
        .flat_map(|e| &e.ranges)
        .flat_map(|r| &r.events)
        .filter_map(|ev| match ev {
            Event::Fixed(v) => Version::parse(o, v).map(|p| (p, v.as_str())),
            _ => None,
        })
        .filter(|(p, _)| p.cmp(&now) == Some(Ordering::Greater))
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0).unwrap_or(Ordering::Equal));
    candidates
        .into_iter()
        .find(|(_, v)| entries.iter().all(|e| affects(e, v).is_none()))
        .map(|(_, v)| v.trim().to_string())
}

fn in_range(o: Ordering_, v: &Version, events: &[Event]) -> bool {
    let parse = |s: &str| {
        if s == "0" {
            Some(Version::Zero)
        } else {
            Version::parse(o, s)
        }
    };
    let mut parsed: Vec<(Version, &Event)> = events
        .iter()
        .filter_map(|e| parse(e.version()).map(|p| (p, e)))
        .collect();
    // Stable sort: events of equal versions keep their record order.
    parsed.sort_by(|a, b| a.0.cmp(&b.0).unwrap_or(Ordering::Equal));
    let limits: Vec<&Version> = parsed
        .iter()
        .filter(|(_, e)| matches!(e, Event::Limit(_)))
        .map(|(p, _)| p)
        .collect();
    if !limits.is_empty() && !limits.iter().any(|l| v.cmp(l) == Some(Ordering::Less)) {
        return false;
    }
    let mut affected = false;
    for (p, e) in &parsed {
        let c = v.cmp(p);
        match e {
            Event::Introduced(_) if matches!(c, Some(Ordering::Greater | Ordering::Equal)) => {
                affected = true
            }
            Event::Fixed(_) if matches!(c, Some(Ordering::Greater | Ordering::Equal)) => {
                affected = false
            }
            Event::LastAffected(_) if c == Some(Ordering::Greater) => affected = false,
            _ => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PackageName;
    use crate::osv::Range;

    fn entry(eco: Ecosystem, kind: RangeKind, events: Vec<Event>, versions: &[&str]) -> Affected {
        Affected {
            ecosystem: eco,
            name: PackageName::new(eco, "p"),
            versions: versions.iter().map(|s| s.to_string()).collect(),
            ranges: vec![Range { kind, events }],
            severity: vec![],
            informational: None,
        }
    }
    use Event::*;
    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn introduced_fixed() {
        let e = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("1.0")), Fixed(s("1.5"))],
            &[],
        );
        assert_eq!(affects(&e, "0.9"), None);
        assert_eq!(affects(&e, "1.0"), Some(Because::InRange));
        assert_eq!(affects(&e, "1.4.99"), Some(Because::InRange));
        assert_eq!(affects(&e, "1.5"), None);
        assert_eq!(affects(&e, "1.5rc1"), Some(Because::InRange));
        assert_eq!(affects(&e, "1.0.dev1"), None);
    }

    #[test]
    fn two_intervals_out_of_order() {
        let e = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![
                Introduced(s("2.0")),
                Fixed(s("2.3")),
                Introduced(s("0")),
                Fixed(s("1.9")),
            ],
            &[],
        );
        for (v, want) in [("1.0", true), ("1.9", false), ("2.1", true), ("2.3", false)] {
            assert_eq!(affects(&e, v).is_some(), want, "{v}");
        }
    }

    #[test]
    fn last_affected_and_limit() {
        let e = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0")), LastAffected(s("3.2"))],
            &[],
        );
        assert!(affects(&e, "3.2").is_some());
        assert!(affects(&e, "3.2.post1").is_none());
        let e = entry(
            Ecosystem::Cargo,
            RangeKind::Semver,
            vec![Introduced(s("0.0.0-0")), Limit(s("2.0.0"))],
            &[],
        );
        assert!(affects(&e, "1.9.9").is_some());
        assert!(affects(&e, "2.0.0").is_none());
    }

    #[test]
    fn epochs_and_local_versions() {
        let e = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0")), Fixed(s("2.0"))],
            &[],
        );
        assert!(affects(&e, "1.0+ubuntu1").is_some());
        assert!(
            affects(&e, "1!0.5").is_none(),
            "epoch 1 sorts after every epoch-0 version"
        );
        assert!(affects(&e, "2.0+local").is_none());
    }

    #[test]
    fn listed_versions_win_over_ranges() {
        let e = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("5.0")), Fixed(s("5.1"))],
            &["4.2", "1.0.0"],
        );
        assert_eq!(affects(&e, "4.2"), Some(Because::Listed));
        assert_eq!(
            affects(&e, "1.0"),
            Some(Because::Listed),
            "1.0 == 1.0.0 in PEP 440"
        );
        assert_eq!(affects(&e, "4.3"), None);
    }

    #[test]
    fn smallest_upgrade_clears_every_entry() {
        // Two advisories of one package: fixed in 2.8.4, and in 2.9.1 (or 2.8.6 on the 2.8 line).
        let a = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0")), Fixed(s("2.8.4"))],
            &[],
        );
        let mut b = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0")), Fixed(s("2.8.6"))],
            &[],
        );
        b.ranges.push(Range {
            kind: RangeKind::Ecosystem,
            events: vec![Introduced(s("2.9")), Fixed(s("2.9.1"))],
        });
        assert_eq!(
            smallest_upgrade(Ecosystem::Pypi, "2.8.3", &[&a]).as_deref(),
            Some("2.8.4")
        );
        assert_eq!(
            smallest_upgrade(Ecosystem::Pypi, "2.8.3", &[&a, &b]).as_deref(),
            Some("2.8.6")
        );
        // A fix listed as affected elsewhere (`versions`) does not clear it.
        let c = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0")), Fixed(s("2.8.5"))],
            &["2.8.6"],
        );
        assert_eq!(
            smallest_upgrade(Ecosystem::Pypi, "2.8.3", &[&a, &b, &c]).as_deref(),
            Some("2.9.1")
        );
        // PEP 440 order, not string order: 2.10 is above 2.9.
        let d = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0")), Fixed(s("2.10")), Fixed(s("2.9"))],
            &["2.9"],
        );
        assert_eq!(
            smallest_upgrade(Ecosystem::Pypi, "2.8", &[&d]).as_deref(),
            Some("2.10")
        );
        // Every version affected (a malicious package): nothing to upgrade to.
        let mal = entry(
            Ecosystem::Pypi,
            RangeKind::Ecosystem,
            vec![Introduced(s("0"))],
            &[],
        );
        assert_eq!(smallest_upgrade(Ecosystem::Pypi, "1.0", &[&mal, &a]), None);
        // Semver for crates.
        let k = entry(
            Ecosystem::Cargo,
            RangeKind::Semver,
            vec![
                Introduced(s("0.0.0-0")),
                Fixed(s("0.3.27")),
                Introduced(s("0.4.0")),
                Fixed(s("0.4.16")),
            ],
            &[],
        );
        assert_eq!(
            smallest_upgrade(Ecosystem::Cargo, "0.4.15", &[&k]).as_deref(),
            Some("0.4.16")
        );
    }

    #[test]
    fn semver_prereleases() {
        let e = entry(
            Ecosystem::Cargo,
            RangeKind::Semver,
            vec![Introduced(s("0.0.0-0")), Fixed(s("0.9.0"))],
            &[],
        );
        assert!(affects(&e, "0.8.5").is_some());
        assert!(affects(&e, "0.9.0-alpha.1").is_some());
        assert!(affects(&e, "0.9.0").is_none());
        assert!(affects(&e, "not-semver").is_none());
    }
}
