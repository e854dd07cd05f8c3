//! OpenVEX JSON (<https://github.com/openvex/spec>, v0.2.0, and the string forms of v0.0.x):
//! the wire format, kept apart from [`crate::vex::Statement`].
//!
//! Read: each statement's `vulnerability` (`name` and `aliases`, or a bare id), `products` and
//! their `subcomponents` (each `@id` or `identifiers.purl` that is a `pkg:pypi` or `pkg:cargo`
//! purl), `status`, `justification`, `impact_statement`, and repro's `repro:expires`.

use serde::Deserialize;

use crate::vex::{Product, Statement, Status, VexError, json_error, parse_purl, statement};

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    statements: Vec<RawStatement>,
}

#[derive(Deserialize)]
struct RawStatement {
    vulnerability: Option<Vulnerability>,
    #[serde(default)]
    products: Vec<RawProduct>,
    status: String,
    justification: Option<String>,
    impact_statement: Option<String>,
    #[serde(rename = "repro:expires")]
    expires: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Vulnerability {
    /// v0.0.x: `"vulnerability": "CVE-…"`.
    Id(String),
    /// v0.2.0: `{"name": "CVE-…", "aliases": […]}`.
    Object {
        name: Option<String>,
        #[serde(rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawProduct {
    /// v0.0.x: a purl.
    Id(String),
    /// v0.2.0: a component with optional subcomponents.
    Component(Component),
}

#[derive(Deserialize)]
struct Component {
    #[serde(rename = "@id")]
    id: Option<String>,
    identifiers: Option<Identifiers>,
    #[serde(default)]
    subcomponents: Vec<Component>,
}

#[derive(Deserialize)]
struct Identifiers {
    purl: Option<String>,
}

fn purls(c: &Component, out: &mut Vec<Product>) {
    for p in [
        c.id.as_deref(),
        c.identifiers.as_ref().and_then(|i| i.purl.as_deref()),
    ]
    .into_iter()
    .flatten()
    {
        out.extend(parse_purl(p));
    }
    for s in &c.subcomponents {
        purls(s, out);
    }
}

/// Parse an OpenVEX document.
pub fn parse(bytes: &[u8], label: &str) -> Result<Vec<Statement>, VexError> {
    let doc: Document = serde_json::from_slice(bytes).map_err(|e| VexError::Invalid {
        path: label.to_string(),
        message: format!("not an OpenVEX document: {}", json_error(&e)),
    })?;
    let mut out = Vec::with_capacity(doc.statements.len());
    for (i, s) in doc.statements.into_iter().enumerate() {
        let n = i + 1;
        let status = match s.status.as_str() {
            "not_affected" => Status::NotAffected,
            "affected" => Status::Affected,
            "fixed" => Status::Fixed,
            "under_investigation" => Status::UnderInvestigation,
            _ => {
                return Err(VexError::Invalid {
                    path: label.to_string(),
                    message: format!(
                        "statement {n}: the status is not one of not_affected, affected, fixed, under_investigation"
                    ),
                });
            }
        };
        let (vulnerability, aliases) = match s.vulnerability {
            Some(Vulnerability::Id(v)) => (Some(v), Vec::new()),
            Some(Vulnerability::Object { name, id, aliases }) => (name.or(id), aliases),
            None => (None, Vec::new()),
        };
        let mut products = Vec::new();
        for p in &s.products {
            match p {
                RawProduct::Id(id) => products.extend(parse_purl(id)),
                RawProduct::Component(c) => purls(c, &mut products),
            }
        }
        products.sort();
        products.dedup();
        out.push(statement(
            label,
            n,
            vulnerability.as_deref(),
            aliases,
            products,
            status,
            s.justification,
            s.impact_statement,
            s.expires.as_deref(),
        )?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v0_2_and_v0_0_statements() {
        let doc = br#"{
          "@context": "https://openvex.dev/ns/v0.2.0",
          "@id": "https://example.org/vex/1",
          "author": "security@example.org",
          "timestamp": "2026-11-01T00:00:00Z",
          "version": 1,
          "statements": [
            {"vulnerability": {"name": "CVE-2026-49476", "aliases": ["GHSA-2wc2-fm75-p42x"]},
             "products": [{"@id": "pkg:github/opensecops/soar",
                           "subcomponents": [{"@id": "pkg:pypi/soupsieve@2.8.3"}]}],
             "status": "not_affected",
             "justification": "vulnerable_code_not_in_execute_path",
             "impact_statement": "selectors are never user input",
             "repro:expires": "2027-01-31"},
            {"vulnerability": "RUSTSEC-2023-0071", "products": ["pkg:cargo/rsa"],
             "status": "under_investigation"}
          ]}"#;
        let s = parse(doc, "vex.json").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].vulnerability, "CVE-2026-49476");
        assert_eq!(s[0].aliases, ["GHSA-2wc2-fm75-p42x"]);
        assert_eq!(s[0].products.len(), 1, "the GitHub purl is not a package");
        assert_eq!(s[0].expires.as_deref(), Some("2027-01-31"));
        assert_eq!(s[0].origin, "vex.json statement 1");
        assert_eq!(s[1].status, Status::UnderInvestigation);
        assert_eq!(s[1].products[0].version, None);
    }

    #[test]
    fn errors_say_where_not_what() {
        let e = parse(
            br#"{"statements": [{"vulnerability": "CVE-SECRET", "products": ["pkg:pypi/secretpkg@1"], "status": "maybe-secretpkg"}]}"#,
            "v.json",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("statement 1") && !e.contains("secretpkg"), "{e}");
        let e = parse(br#"{"statements": [{"status": ["secretpkg"]}]}"#, "v.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && !e.contains("secretpkg"), "{e}");
    }
}
