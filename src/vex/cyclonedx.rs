//! CycloneDX VEX (<https://cyclonedx.org/docs/1.6/json/#vulnerabilities>): a BOM's
//! `vulnerabilities`, each with `analysis.state`, `analysis.justification`, `analysis.detail`
//! and the components it `affects`, named by purl or by the `bom-ref` of a component of the same
//! document. The wire format only; the domain type is [`crate::vex::Statement`].

use std::collections::HashMap;

use serde::Deserialize;

use crate::vex::{Statement, Status, VexError, json_error, parse_purl, statement};

#[derive(Deserialize)]
struct Bom {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<Component>,
    #[serde(default)]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Deserialize)]
struct Metadata {
    component: Option<Component>,
}

#[derive(Deserialize)]
struct Component {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Vulnerability {
    id: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    analysis: Option<Analysis>,
    #[serde(default)]
    affects: Vec<Affects>,
    #[serde(default)]
    properties: Vec<Property>,
}

#[derive(Deserialize)]
struct Reference {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Analysis {
    state: Option<String>,
    justification: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    value: Option<String>,
}

fn index<'a>(c: &'a Component, refs: &mut HashMap<&'a str, &'a str>) {
    if let (Some(r), Some(p)) = (&c.bom_ref, &c.purl) {
        refs.insert(r, p);
    }
    for sub in &c.components {
        index(sub, refs);
    }
}

/// Parse a CycloneDX BOM's `vulnerabilities`.
pub fn parse(bytes: &[u8], label: &str) -> Result<Vec<Statement>, VexError> {
    let bom: Bom = serde_json::from_slice(bytes).map_err(|e| VexError::Invalid {
        path: label.to_string(),
        message: format!("not a CycloneDX VEX document: {}", json_error(&e)),
    })?;
    let mut refs = HashMap::new();
    for c in bom
        .components
        .iter()
        .chain(bom.metadata.as_ref().and_then(|m| m.component.as_ref()))
    {
        index(c, &mut refs);
    }
    let mut out = Vec::with_capacity(bom.vulnerabilities.len());
    for (i, v) in bom.vulnerabilities.into_iter().enumerate() {
        let n = i + 1;
        let analysis = v.analysis.unwrap_or(Analysis {
            state: None,
            justification: None,
            detail: None,
        });
        // CycloneDX's states, as VEX statuses: `false_positive` (the advisory does not concern
        // the component) is not affected, and is its own justification; `in_triage` and no
        // state at all are under investigation.
        let mut justification = analysis.justification;
        let status = match analysis.state.as_deref() {
            Some("not_affected") => Status::NotAffected,
            Some("false_positive") => {
                justification.get_or_insert_with(|| "false_positive".into());
                Status::NotAffected
            }
            Some("exploitable") => Status::Affected,
            Some("resolved" | "resolved_with_pedigree") => Status::Fixed,
            Some("in_triage") | None => Status::UnderInvestigation,
            Some(_) => {
                return Err(VexError::Invalid {
                    path: label.to_string(),
                    message: format!(
                        "vulnerability {n}: `analysis.state` is not a CycloneDX analysis state"
                    ),
                });
            }
        };
        let mut products = Vec::new();
        for a in &v.affects {
            // A purl, a bom-ref of this document, or a BOM-Link (`urn:cdx:…#bom-ref`).
            let r = a.reference.as_str();
            let local = r.rsplit_once('#').map_or(r, |(_, frag)| frag);
            let purl = parse_purl(r)
                .or_else(|| refs.get(r).and_then(|p| parse_purl(p)))
                .or_else(|| refs.get(local).and_then(|p| parse_purl(p)));
            products.extend(purl);
        }
        products.sort();
        products.dedup();
        let expires = v
            .properties
            .iter()
            .find(|p| p.name == "repro:expires")
            .and_then(|p| p.value.as_deref());
        out.push(statement(
            label,
            n,
            v.id.as_deref(),
            v.references.into_iter().filter_map(|r| r.id).collect(),
            products,
            status,
            justification,
            analysis.detail,
            expires,
        )?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_analysis_and_resolves_bom_refs() {
        let doc = br#"{
          "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
          "components": [{"type": "library", "bom-ref": "soup", "name": "soupsieve",
                          "version": "2.8.3", "purl": "pkg:pypi/soupsieve@2.8.3"}],
          "vulnerabilities": [
            {"id": "CVE-2026-49476", "references": [{"id": "GHSA-2wc2-fm75-p42x",
              "source": {"name": "GitHub"}}],
             "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
             "affects": [{"ref": "soup"}],
             "properties": [{"name": "repro:expires", "value": "2026-12-01"}]},
            {"id": "CVE-2026-2", "analysis": {"state": "exploitable"},
             "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#soup"}]}
          ]}"#;
        let s = parse(doc, "bom.json").unwrap();
        assert_eq!(s[0].products[0].purl, "pkg:pypi/soupsieve@2.8.3");
        assert_eq!(s[0].aliases, ["GHSA-2wc2-fm75-p42x"]);
        assert_eq!(s[0].justification.as_deref(), Some("code_not_reachable"));
        assert_eq!(s[0].expires.as_deref(), Some("2026-12-01"));
        assert_eq!(s[1].status, Status::Affected);
        assert_eq!(s[1].products.len(), 1);
    }
}
