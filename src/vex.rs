//! VEX statements (Vulnerability Exploitability eXchange): what a team says about an advisory
//! in its product, read from OpenVEX JSON ([`openvex`]) or a CycloneDX VEX BOM ([`cyclonedx`]).
//!
//! A `not_affected` statement with a justification suppresses the audit findings it names (the
//! advisory by id or alias, the package by purl, with or without a version) until its optional
//! expiry date; `repro sbom --vex` embeds the statements in the SBOM. Statements of other
//! statuses (`affected`, `fixed`, `under_investigation`) are read and kept, suppress nothing, and
//! overrule a `not_affected` statement naming the same finding; a malicious-package finding is
//! never suppressed (see [`crate::audit::apply_vex`]).
//!
//! Expiry is an extension of both formats, as neither has one: an OpenVEX statement's
//! `"repro:expires": "YYYY-MM-DD"`, a CycloneDX vulnerability's property `repro:expires`. A
//! statement is in force through its expiry day and expired the day after.
//!
//! Invariant: errors name the file and the statement's position, never a value of the file. A
//! VEX document names the advisories a team has triaged and the packages it ships: as private as
//! the audit's findings.

pub mod cyclonedx;
pub mod openvex;

use std::path::Path;

use serde::Serialize;

use crate::model::{Ecosystem, PackageName};

/// Largest VEX document read. A statement is a few hundred bytes, so 16 MiB holds tens of
/// thousands; the cap keeps a mistaken path (a disk image, `/dev/zero`) from being read whole.
pub const MAX_VEX_BYTES: u64 = 16 * 1024 * 1024;

/// The status a statement gives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The product is not affected: suppresses the finding.
    NotAffected,
    /// The product is affected.
    Affected,
    /// Fixed in the product.
    Fixed,
    /// Being looked at.
    UnderInvestigation,
}

impl Status {
    /// OpenVEX's name of the status.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }
}

/// A package a statement is about, from its purl.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Product {
    /// The purl as written (without qualifiers and subpath).
    pub purl: String,
    /// `pypi` or `cargo`.
    pub ecosystem: Ecosystem,
    /// Normalized name.
    pub name: PackageName,
    /// The version, when the purl has one (else every version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The advisory: a CVE, GHSA, PYSEC, RUSTSEC id.
    pub vulnerability: String,
    /// Other ids of the same advisory the statement gives.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The PyPI and crates.io packages it is about.
    pub products: Vec<Product>,
    /// What it says.
    pub status: Status,
    /// Why not affected: OpenVEX's justification (`vulnerable_code_not_in_execute_path`, …) or
    /// CycloneDX's (`code_not_reachable`, …), as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// OpenVEX's `impact_statement`, CycloneDX's `analysis.detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Last day the statement is in force (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The same, as days since 1970-01-01.
    #[serde(skip)]
    pub expires_day: Option<i64>,
    /// Where it was read: `file.json` statement 3.
    pub origin: String,
}

impl Statement {
    /// Whether the statement names this advisory (by its id or an alias, either way) and this
    /// package version.
    pub fn covers(
        &self,
        ecosystem: Ecosystem,
        name: &PackageName,
        version: &str,
        id: &str,
        aliases: &[String],
    ) -> bool {
        let ids: Vec<&str> = std::iter::once(self.vulnerability.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .collect();
        let names_advisory = ids.iter().any(|v| {
            v.eq_ignore_ascii_case(id) || aliases.iter().any(|a| a.eq_ignore_ascii_case(v))
        });
        names_advisory
            && self.products.iter().any(|p| {
                p.ecosystem == ecosystem
                    && &p.name == name
                    && p.version
                        .as_deref()
                        .is_none_or(|v| same_version(ecosystem, v, version))
            })
    }

    /// Whether the statement has expired at `today` (days since 1970-01-01).
    pub fn expired(&self, today: i64) -> bool {
        self.expires_day.is_some_and(|d| today > d)
    }
}

fn same_version(ecosystem: Ecosystem, a: &str, b: &str) -> bool {
    use std::str::FromStr;
    a == b
        || match ecosystem {
            Ecosystem::Pypi => matches!(
                (pep440_rs::Version::from_str(a), pep440_rs::Version::from_str(b)),
                (Ok(x), Ok(y)) if x == y
            ),
            Ecosystem::Cargo => false,
        }
}

/// Why a VEX document was refused. Messages name the file and the statement, never a value.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    /// The file cannot be read (missing, too large, not a regular file).
    #[error("`{path}`: cannot read the VEX document: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The file is not a VEX document repro reads.
    #[error("`{path}`: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, and where (statement number, JSON line and column).
        message: String,
    },
}

/// A JSON error by kind and position only: serde's message may quote the value it rejected.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    format!(
        "{} error at line {}, column {}",
        match e.classify() {
            serde_json::error::Category::Io => "input",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "end-of-file",
        },
        e.line(),
        e.column()
    )
}

/// Read the statements of an OpenVEX document or a CycloneDX BOM's `vulnerabilities` (at most
/// [`MAX_VEX_BYTES`]).
pub fn load(path: &Path) -> Result<Vec<Statement>, VexError> {
    let shown = path.display().to_string();
    let bytes = crate::fsio::read_capped(path, MAX_VEX_BYTES).map_err(|e| VexError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    parse(&bytes, &shown)
}

/// Parse a VEX document; `label` names it in errors and in each statement's origin.
pub fn parse(bytes: &[u8], label: &str) -> Result<Vec<Statement>, VexError> {
    let invalid = |message: String| VexError::Invalid {
        path: label.to_string(),
        message,
    };
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("not JSON: {}", json_error(&e))))?;
    let is_openvex = value
        .get("@context")
        .and_then(|c| c.as_str())
        .is_some_and(|c| c.contains("openvex"))
        || value.get("statements").is_some_and(|s| s.is_array());
    if is_openvex {
        openvex::parse(bytes, label)
    } else if value.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") {
        cyclonedx::parse(bytes, label)
    } else {
        Err(invalid(
            "neither an OpenVEX document (`@context` https://openvex.dev/ns/…, `statements`) nor a CycloneDX BOM"
                .into(),
        ))
    }
}

/// The checks every format's statement passes through: a `not_affected` statement must say
/// why, and the expiry must be a calendar date. Text is made plain (one line, no escapes).
#[allow(clippy::too_many_arguments)]
pub(crate) fn statement(
    label: &str,
    n: usize,
    vulnerability: Option<&str>,
    aliases: Vec<String>,
    products: Vec<Product>,
    status: Status,
    justification: Option<String>,
    detail: Option<String>,
    expires: Option<&str>,
) -> Result<Statement, VexError> {
    let at = |message: &str| VexError::Invalid {
        path: label.to_string(),
        message: format!("statement {n}: {message}"),
    };
    let plain = |s: &str| crate::redact::plain_text(s.trim()).into_owned();
    let vulnerability = vulnerability
        .map(plain)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| at("names no vulnerability"))?;
    let justification = justification.map(|s| plain(&s)).filter(|s| !s.is_empty());
    let detail = detail.map(|s| plain(&s)).filter(|s| !s.is_empty());
    if status == Status::NotAffected && justification.is_none() && detail.is_none() {
        return Err(at(
            "says `not_affected` without a justification or an impact statement",
        ));
    }
    let expires_day = match expires {
        Some(e) => Some(
            crate::date::parse_day(e.trim())
                .map_err(|e| at(&format!("its `repro:expires` is {e}")))?,
        ),
        None => None,
    };
    Ok(Statement {
        vulnerability,
        aliases: aliases
            .iter()
            .map(|a| plain(a))
            .filter(|a| !a.is_empty())
            .collect(),
        products,
        status,
        justification,
        detail,
        expires: expires_day.map(crate::date::format_day),
        expires_day,
        origin: format!("{label} statement {n}"),
    })
}

/// The PyPI or crates.io package a purl names (`pkg:pypi/name@version`, `pkg:cargo/…`);
/// `None` for other types and for text that is not a purl. Qualifiers and subpath are ignored.
pub fn parse_purl(purl: &str) -> Option<Product> {
    let rest = purl.trim().strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (kind, path) = rest.split_once('/')?;
    let ecosystem = match kind.to_ascii_lowercase().as_str() {
        "pypi" => Ecosystem::Pypi,
        "cargo" => Ecosystem::Cargo,
        _ => return None,
    };
    let (name, version) = match path.rsplit_once('@') {
        Some((n, v)) => (n, Some(percent_decode(v)?)),
        None => (path, None),
    };
    let name = percent_decode(name.trim_matches('/'))?;
    if name.is_empty() || name.contains('/') || version.as_deref() == Some("") {
        return None;
    }
    let base = match &version {
        Some(v) => format!("pkg:{}/{}@{}", ecosystem.as_str(), name, v),
        None => format!("pkg:{}/{}", ecosystem.as_str(), name),
    };
    Some(Product {
        purl: crate::redact::plain_text(&base).into_owned(),
        ecosystem,
        name: PackageName::new(ecosystem, &name),
        version,
    })
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_of_pypi_and_cargo() {
        let p = parse_purl("pkg:pypi/Soup_Sieve@2.8.3?repository_url=x#sub").unwrap();
        assert_eq!(p.name.as_str(), "soup-sieve");
        assert_eq!(p.version.as_deref(), Some("2.8.3"));
        assert_eq!(p.purl, "pkg:pypi/Soup_Sieve@2.8.3");
        let p = parse_purl("pkg:cargo/h2").unwrap();
        assert_eq!((p.ecosystem, p.version), (Ecosystem::Cargo, None));
        assert_eq!(
            parse_purl("pkg:pypi/a@1.0%2Blocal")
                .unwrap()
                .version
                .as_deref(),
            Some("1.0+local")
        );
        for bad in [
            "pkg:npm/left-pad@1",
            "soupsieve",
            "pkg:pypi/",
            "pkg:pypi/a@",
            "pkg:pypi/a@%zz",
        ] {
            assert!(parse_purl(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn covers_by_id_or_alias_and_version() {
        let s = statement(
            "v.json",
            1,
            Some("CVE-2026-1"),
            vec![],
            vec![parse_purl("pkg:pypi/demo@1.0").unwrap()],
            Status::NotAffected,
            Some("vulnerable_code_not_in_execute_path".into()),
            None,
            Some("2027-01-31"),
        )
        .unwrap();
        let demo = PackageName::new(Ecosystem::Pypi, "demo");
        let aliases = vec!["CVE-2026-1".to_string()];
        assert!(s.covers(Ecosystem::Pypi, &demo, "1.0.0", "PYSEC-1", &aliases));
        assert!(!s.covers(Ecosystem::Pypi, &demo, "1.1", "PYSEC-1", &aliases));
        assert!(!s.covers(Ecosystem::Pypi, &demo, "1.0", "PYSEC-1", &[]));
        assert!(!s.expired(crate::date::parse_day("2027-01-31").unwrap()));
        assert!(s.expired(crate::date::parse_day("2027-02-01").unwrap()));
    }

    #[test]
    fn not_affected_needs_a_reason_and_errors_quote_nothing() {
        let e = statement(
            "v.json",
            2,
            Some("CVE-SECRET"),
            vec![],
            vec![],
            Status::NotAffected,
            None,
            None,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("statement 2") && !e.contains("CVE-SECRET"),
            "{e}"
        );
        let e = statement(
            "v.json",
            3,
            Some("CVE-SECRET"),
            vec![],
            vec![],
            Status::Affected,
            None,
            None,
            Some("2026-02-30"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("repro:expires") && !e.contains("2026-02-30"),
            "{e}"
        );
    }
}
