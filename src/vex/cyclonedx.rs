//! CycloneDX VEX (<https://cyclonedx.org/docs/1.6/json/#vulnerabilities>): a BOM's
//! `vulnerabilities`, each with `analysis.state`, `analysis.justification`, `analysis.detail`
//! and the components it `affects`, named by purl or by the `bom-ref` of a component of the same
//! document. The wire format only; the domain type is [`crate::vex::Statement`].

use std::collections::HashMap;

use serde::Deserialize;

use crate::vex::{Statement, Status, VexError, json_error, parse_purl, statement};

#[derive(Deserialize)]
struct Bom {
    #[serde(rename = "serialNumber")]
    serial_number: Option<String>,
    version: Option<serde_json::Value>,
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
    #[serde(default)]
    versions: Vec<AffectedVersion>,
}

/// `affects[].versions[]`: a version (or a `vers` range) and whether it is `affected` (the
/// default), `unaffected` or `unknown`.
#[derive(Deserialize)]
struct AffectedVersion {
    version: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct Property {
    name: String,
    value: Option<String>,
}

/// Index the components' purls by `bom-ref`; a `bom-ref` given twice makes every reference to
/// it ambiguous, so it is an error (`false`).
fn index<'a>(c: &'a Component, refs: &mut HashMap<&'a str, Option<&'a str>>) -> bool {
    if let Some(r) = &c.bom_ref
        && refs.insert(r, c.purl.as_deref()).is_some()
    {
        return false;
    }
    c.components.iter().all(|sub| index(sub, refs))
}

/// The `bom-ref` a BOM-Link (`urn:cdx:SERIAL/VERSION#bom-ref`) names in this document: only
/// when its serial number and version are this BOM's. A link into another BOM names nothing.
fn local_ref<'a>(link: &'a str, serial: Option<&str>, version: Option<&str>) -> Option<&'a str> {
    let rest = link.strip_prefix("urn:cdx:")?;
    let (doc, frag) = rest.split_once('#')?;
    let (uuid, v) = doc.split_once('/')?;
    let ours = serial?.strip_prefix("urn:uuid:")?;
    (uuid.eq_ignore_ascii_case(ours) && version.is_none_or(|mine| mine == v)).then_some(frag)
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
        if !index(c, &mut refs) {
            return Err(VexError::Invalid {
                path: label.to_string(),
                message: "two components have the same `bom-ref`: a reference to it is ambiguous"
                    .into(),
            });
        }
    }
    let bom_version = bom.version.as_ref().map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
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
            // A purl, a bom-ref of this document, or a BOM-Link (`urn:cdx:…#bom-ref`) to one.
            let r = a.reference.as_str();
            let lookup = |r: &str| refs.get(r).copied().flatten().and_then(parse_purl);
            let purl = parse_purl(r).or_else(|| lookup(r)).or_else(|| {
                local_ref(r, bom.serial_number.as_deref(), bom_version.as_deref()).and_then(lookup)
            });
            let Some(purl) = purl else { continue };
            if a.versions.is_empty() {
                products.push(purl);
                continue;
            }
            // With `versions`, the statement is about the versions listed `unaffected` (a
            // version's status defaults to `affected`); a `range` is not read, so names none.
            for listed in &a.versions {
                let Some(ver) = listed.version.as_deref().map(str::trim) else {
                    continue;
                };
                if listed.status.as_deref() != Some("unaffected") || ver.is_empty() {
                    continue;
                }
                match &purl.version {
                    Some(pv) if pv == ver => products.push(purl.clone()),
                    Some(_) => {}
                    None => {
                        let mut p = purl.clone();
                        p.purl = format!("{}@{}", p.purl, crate::redact::plain_text(ver));
                        p.version = Some(ver.to_string());
                        products.push(p);
                    }
                }
            }
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
          "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
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
