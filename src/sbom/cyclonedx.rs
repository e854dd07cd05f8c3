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
    }
}
