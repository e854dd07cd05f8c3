//! CycloneDX JSON, spec 1.6 (and 1.5): typed serde structs for the wire format, written in a
//! fixed field order with sorted arrays, so the same [`Bom`] gives the same bytes everywhere.
//! See <https://cyclonedx.org/docs/1.6/json/>.

use serde::{Deserialize, Serialize};

use crate::digest::HashAlgorithm;
use crate::sbom::{Bom, RELEASE_REF, app_ref};

/// Spec versions written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SpecVersion {
    /// CycloneDX 1.6.
    #[value(name = "1.6")]
    V1_6,
    /// CycloneDX 1.5.
    #[value(name = "1.5")]
    V1_5,
}

impl SpecVersion {
    fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_6 => "1.6",
            SpecVersion::V1_5 => "1.5",
        }
    }
}

/// A CycloneDX document (the subset repro writes and reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    /// JSON schema of the spec version.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Always `CycloneDX`.
    pub bom_format: String,
    /// `1.6` or `1.5`.
    pub spec_version: String,
    /// `urn:uuid:…`, derived from the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Document version.
    pub version: u32,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Components.
    #[serde(default)]
    pub components: Vec<Component>,
    /// Dependency graph.
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    /// VEX statements about the components (`repro sbom --vex`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
}

/// A `vulnerabilities[]` entry: a VEX statement about components of this BOM
/// (<https://cyclonedx.org/docs/1.6/json/#vulnerabilities>).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The advisory id.
    pub id: String,
    /// Other ids of the same advisory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<VulnerabilityReference>,
    /// The statement.
    pub analysis: Analysis,
    /// The components it is about, by bom-ref.
    pub affects: Vec<Affects>,
    /// `repro:expires`, `repro:vex-statement`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// Another id of a vulnerability, and where it is from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityReference {
    /// The id.
    pub id: String,
    /// Its source.
    pub source: Source,
}

/// A vulnerability source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Its name.
    pub name: String,
}

/// A vulnerability's analysis (the VEX status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// `not_affected`, `false_positive`, `exploitable`, `resolved`, `in_triage`.
    pub state: String,
    /// One of CycloneDX's justifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A component a vulnerability is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affects {
    /// Its bom-ref.
    #[serde(rename = "ref")]
    pub reference: String,
}

/// CycloneDX's `analysis.justification` values.
const CDX_JUSTIFICATIONS: &[&str] = &[
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
];

/// A justification in CycloneDX's terms: its own values as they are, OpenVEX's mapped where the
/// meaning is the same; `None` otherwise (the original is kept in the detail).
fn cdx_justification(j: &str) -> Option<&'static str> {
    if let Some(same) = CDX_JUSTIFICATIONS.iter().find(|c| **c == j) {
        return Some(same);
    }
    match j {
        "component_not_present" | "vulnerable_code_not_present" => Some("code_not_present"),
        "vulnerable_code_not_in_execute_path" => Some("code_not_reachable"),
        "inline_mitigations_already_exist" => Some("protected_by_mitigating_control"),
        _ => None,
    }
}

/// Embed VEX statements in the document's `vulnerabilities`, each about the library components
/// its purls name (a purl without a version names every version present). Statements that name
/// no component of the document, and `not_affected` statements about a malicious-package
/// report (`MAL-…`), are left out; their number is returned. The serial number is
/// derived again, over the statements too.
pub fn embed_vex(doc: &mut Document, statements: &[crate::vex::Statement]) -> usize {
    use crate::vex::Status;
    let mut skipped = 0;
    let mut out = Vec::new();
    for s in statements {
        // A malicious package is never "not affected" (see `crate::audit::apply_vex`): such a
        // statement is not handed on to the SBOM's readers, who may not know that rule.
        let malicious = std::iter::once(&s.vulnerability)
            .chain(&s.aliases)
            .any(|id| id.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("MAL-")));
        if s.status == Status::NotAffected && malicious {
            skipped += 1;
            continue;
        }
        let mut refs: Vec<String> = doc
            .components
            .iter()
            .filter(|c| c.kind == "library")
            .filter_map(|c| {
                let purl = c.purl.as_deref()?;
                let p = crate::vex::parse_purl(purl)?;
                s.products
                    .iter()
                    .any(|q| {
                        q.ecosystem == p.ecosystem
                            && q.name == p.name
                            && q.version
                                .as_ref()
                                .is_none_or(|v| Some(v) == p.version.as_ref())
                    })
                    .then(|| c.bom_ref.clone())
                    .flatten()
            })
            .collect();
        refs.sort();
        refs.dedup();
        if refs.is_empty() {
            skipped += 1;
            continue;
        }
        let justification = s.justification.as_deref();
        let (state, cdx) = match (&s.status, justification) {
            (Status::NotAffected, Some("false_positive")) => ("false_positive", None),
            (Status::NotAffected, j) => ("not_affected", j.and_then(cdx_justification)),
            (Status::Affected, _) => ("exploitable", None),
            (Status::Fixed, _) => ("resolved", None),
            (Status::UnderInvestigation, _) => ("in_triage", None),
        };
        let detail = match (justification, cdx, &s.detail) {
            (Some(j), None, Some(d)) if j != "false_positive" => Some(format!("{j}: {d}")),
            (Some(j), None, None) if j != "false_positive" => Some(j.to_string()),
            (_, _, d) => d.clone(),
        };
        let mut properties = Vec::new();
        if let Some(e) = &s.expires {
            properties.push(Property {
                name: "repro:expires".into(),
                value: e.clone(),
            });
        }
        out.push(Vulnerability {
            id: s.vulnerability.clone(),
            references: s
                .aliases
                .iter()
                .map(|a| VulnerabilityReference {
                    id: a.clone(),
                    source: Source {
                        name: if a.starts_with("GHSA-") {
                            "GitHub".into()
                        } else if a.starts_with("CVE-") {
                            "NVD".into()
                        } else {
                            "OSV".into()
                        },
                    },
                })
                .collect(),
            analysis: Analysis {
                state: state.into(),
                justification: cdx.map(str::to_string),
                detail,
            },
            affects: refs
                .into_iter()
                .map(|reference| Affects { reference })
                .collect(),
            properties,
        });
    }
    out.sort_by(|a, b| (&a.id, &a.affects[0].reference).cmp(&(&b.id, &b.affects[0].reference)));
    doc.vulnerabilities = out;
    if !doc.vulnerabilities.is_empty() {
        let canonical =
            serde_json::to_vec(&(&doc.serial_number, &doc.vulnerabilities)).expect("serializes");
        let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &canonical);
        doc.serial_number = Some(format!("urn:uuid:{uuid}"));
    }
    skipped
}

/// Document metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// RFC 3339 UTC timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The tools that made the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Tools>,
    /// The release described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Component>,
}

/// Tools (the 1.5+ object form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tools {
    /// Tool components.
    #[serde(default)]
    pub components: Vec<Component>,
}

/// A component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// `application` or `library`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Reference within the document.
    #[serde(rename = "bom-ref", default, skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `required` for everything a release ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    /// Licences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Where the artifact can be downloaded.
    #[serde(
        rename = "externalReferences",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_references: Vec<ExternalReference>,
    /// Name/value properties (`repro:used-by`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
    /// Components nested in this one (repro writes none; other tools do, for what a package
    /// vendors or bundles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

impl Component {
    /// An `application` component with nothing but its reference, name and version.
    pub fn application(bom_ref: Option<String>, name: String, version: Option<String>) -> Self {
        Component {
            kind: "application".into(),
            bom_ref,
            name,
            version,
            scope: None,
            hashes: Vec::new(),
            licenses: Vec::new(),
            purl: None,
            external_references: Vec::new(),
            properties: Vec::new(),
            components: Vec::new(),
        }
    }
}

/// A licence: an SPDX expression, or a named licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LicenseChoice {
    /// `{"expression": "MIT OR Apache-2.0"}`
    Expression {
        /// The SPDX expression.
        expression: String,
    },
    /// `{"license": {"name": "BSD License"}}`
    License {
        /// The licence.
        license: NamedLicense,
    },
}

/// A licence by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedLicense {
    /// The name.
    pub name: String,
}

/// A digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hash {
    /// `SHA-256`, `SHA-384`, `SHA-512`, `BLAKE3`.
    pub alg: String,
    /// Hex.
    pub content: String,
}

/// An external reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalReference {
    /// `distribution`, or `vcs` for a verified publisher's repository.
    #[serde(rename = "type")]
    pub kind: String,
    /// URL.
    pub url: String,
    /// What the reference is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Property {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A dependency edge set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// The depending component.
    #[serde(rename = "ref")]
    pub reference: String,
    /// What it depends on.
    #[serde(rename = "dependsOn", default)]
    pub depends_on: Vec<String>,
}

fn alg(a: HashAlgorithm) -> Option<&'static str> {
    match a {
        HashAlgorithm::Sha256 => Some("SHA-256"),
        HashAlgorithm::Sha384 => Some("SHA-384"),
        HashAlgorithm::Sha512 => Some("SHA-512"),
        _ => None,
    }
}

/// The property naming a component's verified PEP 740 Trusted Publisher.
pub const PUBLISHER_PROPERTY: &str = "repro:provenance-publisher";

/// The comment of the `vcs` reference to a verified publisher's repository.
pub const PUBLISHER_REPOSITORY: &str =
    "source repository of the Trusted Publisher named by the verified PEP 740 provenance";

/// Render `bom` as a CycloneDX document of `spec`.
pub fn render(bom: &Bom, spec: SpecVersion) -> Document {
    let mut components = Vec::new();
    for app in &bom.applications {
        components.push(Component {
            scope: Some("required".into()),
            properties: vec![Property {
                name: "repro:lockfile-sha256".into(),
                value: app.sha256.clone(),
            }],
            ..Component::application(Some(app_ref(&app.path)), app.path.clone(), None)
        });
    }
    for (purl, c) in &bom.components {
        components.push(Component {
            kind: "library".into(),
            bom_ref: Some(purl.clone()),
            name: c.name.to_string(),
            version: Some(c.version.clone()),
            scope: Some("required".into()),
            hashes: c
                .hashes
                .iter()
                .filter_map(|d| {
                    Some(Hash {
                        alg: alg(d.algorithm())?.into(),
                        content: d.hex(),
                    })
                })
                .chain(c.blake3.iter().map(|b| Hash {
                    alg: "BLAKE3".into(),
                    content: b.clone(),
                }))
                .collect(),
            licenses: match &c.license {
                Some(crate::metadata::License::Expression(e)) => vec![LicenseChoice::Expression {
                    expression: e.clone(),
                }],
                Some(crate::metadata::License::Name(n)) => vec![LicenseChoice::License {
                    license: NamedLicense { name: n.clone() },
                }],
                None => Vec::new(),
            },
            purl: Some(purl.clone()),
            external_references: c
                .urls
                .iter()
                .map(|u| ExternalReference {
                    kind: "distribution".into(),
                    url: u.clone(),
                    comment: None,
                })
                .chain(c.publishers.iter().filter_map(|p| {
                    Some(ExternalReference {
                        kind: "vcs".into(),
                        url: p.repository.clone()?,
                        comment: Some(PUBLISHER_REPOSITORY.into()),
                    })
                }))
                .collect(),
            properties: c
                .used_by
                .iter()
                .map(|u| Property {
                    name: "repro:used-by".into(),
                    value: u.clone(),
                })
                .chain(c.publishers.iter().map(|p| Property {
                    name: PUBLISHER_PROPERTY.into(),
                    value: p.description.clone(),
                }))
                .collect(),
            components: Vec::new(),
        });
    }
    let dependencies: Vec<Dependency> = bom
        .dependencies
        .iter()
        .map(|(r, deps)| Dependency {
            reference: r.clone(),
            depends_on: deps.iter().cloned().collect(),
        })
        .collect();
    // The serial number names the content: a UUID v5 over the canonical component set and graph.
    let canonical = serde_json::to_vec(&(&components, &dependencies, &bom.name, &bom.version))
        .expect("serializes");
    let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, &canonical);
    Document {
        schema: Some(format!(
            "http://cyclonedx.org/schema/bom-{}.schema.json",
            spec.as_str()
        )),
        bom_format: "CycloneDX".into(),
        spec_version: spec.as_str().into(),
        serial_number: Some(format!("urn:uuid:{uuid}")),
        version: 1,
        metadata: Some(Metadata {
            timestamp: Some(crate::date::rfc3339(bom.timestamp)),
            tools: Some(Tools {
                components: vec![Component::application(
                    None,
                    "repro".into(),
                    Some(env!("CARGO_PKG_VERSION").into()),
                )],
            }),
            component: Some(Component::application(
                Some(RELEASE_REF.into()),
                bom.name.clone(),
                Some(bom.version.clone()),
            )),
        }),
        components,
        dependencies,
        vulnerabilities: Vec::new(),
    }
}
