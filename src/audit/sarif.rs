//! The private report as SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/>), for a
//! private code-scanning upload: one rule per advisory (its summary, references and a
//! `security-severity` score, which GitHub code scanning reads), one result per finding at each
//! lockfile that holds the package, suppressed findings with an external suppression carrying
//! the VEX justification. Wire structs only, written in a fixed order; the domain is
//! [`crate::audit::report::Report`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::report::Report;
use crate::audit::{Finding, FindingKind, Severity};

/// The schema URI written in `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    now: String,
    packages: usize,
    stale_suppressions: usize,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Text,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    package: String,
    version: String,
    ecosystem: String,
    severity: &'static str,
    due: String,
    overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    overdue_business_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upgrade: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixed_in: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vex_expired: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

/// A path as a URI reference: every byte outside RFC 3986's unreserved set and `/` is
/// percent-encoded (a lock path may hold spaces, `#` or `%`).
fn uri(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn level(f: &Finding) -> &'static str {
    match (&f.kind, f.fails) {
        (_, true) => "error",
        (FindingKind::Warning(_), false) => "note",
        (_, false) => "warning",
    }
}

/// The CVSS score GitHub shows, else the middle of the rating's band.
fn security_severity(f: &Finding) -> Option<String> {
    if let Some(s) = f.score {
        return Some(format!("{s:.1}"));
    }
    match (&f.kind, f.severity) {
        (FindingKind::Warning(_), _) => None,
        (_, Severity::Critical) => Some("9.5".into()),
        (_, Severity::High | Severity::Unknown) => Some("8.0".into()),
        (_, Severity::Medium) => Some("5.5".into()),
        (_, Severity::Low) => Some("2.0".into()),
    }
}

fn message(f: &Finding) -> String {
    let mut m = format!(
        "{} {} is affected by {} ({}",
        f.name,
        f.version,
        f.id,
        match &f.kind {
            FindingKind::Malicious => "malicious package".to_string(),
            FindingKind::Warning(i) => i.clone(),
            FindingKind::Vulnerability => f.severity.as_str().to_string(),
        }
    );
    if f.sla.due == "next-release" {
        m.push_str(", due with the next regular release)");
    } else if let Some(n) = f.sla.overdue_business_days {
        m.push_str(&format!(", due {}, {n} business days overdue)", f.sla.due));
    } else {
        m.push_str(&format!(", due {})", f.sla.due));
    }
    match &f.upgrade {
        Some(u) => m.push_str(&format!(": upgrade to {u}")),
        None if f.kind == FindingKind::Malicious => m.push_str(": remove the package"),
        None => {}
    }
    m
}

/// Render the report as a SARIF 2.1.0 log (pretty JSON, newline-terminated).
pub fn render(r: &Report) -> String {
    let mut rules: Vec<Rule> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    let all = r
        .findings
        .iter()
        .map(|f| (f, false))
        .chain(r.suppressed.iter().map(|f| (f, true)));
    for (f, suppressed) in all {
        let rule_index = *index.entry(f.id.clone()).or_insert_with(|| {
            let mut tags = vec!["security".to_string()];
            tags.push(match &f.kind {
                FindingKind::Vulnerability => "vulnerability".into(),
                FindingKind::Malicious => "malicious-package".into(),
                FindingKind::Warning(i) => i.clone(),
            });
            let help_uri = f
                .references
                .iter()
                .find(|x| x.kind == "ADVISORY")
                .or(f.references.first())
                .map(|x| x.url.clone())
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .filter(|u| url::Url::parse(u).is_ok());
            let mut help = f.summary.clone().unwrap_or_else(|| f.id.clone());
            for x in &f.references {
                help.push_str(&format!("\n{}", x.url));
            }
            rules.push(Rule {
                id: f.id.clone(),
                short_description: Text {
                    text: f.summary.clone().unwrap_or_else(|| f.id.clone()),
                },
                help_uri,
                help: Text { text: help },
                properties: RuleProperties {
                    tags,
                    security_severity: security_severity(f),
                    aliases: f.aliases.clone(),
                },
            });
            rules.len() - 1
        });
        let locations = f
            .used_by
            .iter()
            .map(|u| Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation { uri: uri(u) },
                },
            })
            .collect();
        let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            format!("{}\0{}\0{}\0{}", f.id, f.ecosystem, f.name, f.version).as_bytes(),
        ));
        results.push(SarifResult {
            rule_id: f.id.clone(),
            rule_index,
            level: if suppressed { "note" } else { level(f) },
            message: Text { text: message(f) },
            locations,
            partial_fingerprints: [("repro/finding/v1", fingerprint)].into(),
            suppressions: match (&f.vex, suppressed) {
                (Some(v), true) => vec![Suppression {
                    kind: "external",
                    status: "accepted",
                    justification: [v.justification.as_deref(), v.detail.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(": "),
                }],
                _ => Vec::new(),
            },
            properties: ResultProperties {
                package: f.name.clone(),
                version: f.version.clone(),
                ecosystem: f.ecosystem.to_string(),
                severity: f.severity.as_str(),
                due: f.sla.due.clone(),
                overdue: f.sla.overdue && !suppressed,
                overdue_business_days: f.sla.overdue_business_days.filter(|_| !suppressed),
                upgrade: f.upgrade.clone(),
                fixed_in: f.fixed_in.clone(),
                policy_note: f.policy_note.clone(),
                vex_expired: f
                    .vex
                    .as_ref()
                    .filter(|v| v.expired)
                    .and_then(|v| v.expires.clone()),
            },
        });
    }
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "repro",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/opensecops/repro",
                    rules,
                },
            },
            results,
            properties: RunProperties {
                now: r.now.clone(),
                packages: r.packages,
                stale_suppressions: r.stale_suppressions.len(),
            },
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    s.push('\n');
    s
}
