//! PEP 740 on the wire: the provenance object an index serves for a file, its attestation
//! bundles (a publisher and its attestations) and each attestation, and the conversion of an
//! attestation into the Sigstore bundle (v0.3, DSSE envelope) it stands for.
//!
//! See <https://peps.python.org/pep-0740/>. The conversion is `pypi-attestations`'
//! `Attestation.to_bundle`: the certificate becomes `verificationMaterial.certificate`, the
//! transparency-log entry is copied as it is (it is already in the bundle's JSON form), and the
//! statement and signature become a DSSE envelope of type `application/vnd.in-toto+json`.
//!
//! Parsing is strict where the format is: versions must be 1, base64 must decode, every
//! attestation carries exactly one log entry. Nothing here is trusted: [`super::verify`] decides.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;

use super::publisher::Publisher;

/// Most attestations one provenance object may carry, over all its bundles. PyPI accepts one
/// attestation per predicate type for a file (publish and SLSA provenance today); the cap
/// bounds the verification work a hostile index can ask for (each costs a few milliseconds).
pub const MAX_ATTESTATIONS: usize = 16;

/// A provenance object (`{"version": 1, "attestation_bundles": […]}`).
#[derive(Debug, Clone)]
pub struct ProvenanceObject {
    /// Its bundles, in the order served.
    pub bundles: Vec<AttestationBundle>,
}

/// One attestation bundle: the publisher the index names and the attestations it made.
#[derive(Debug, Clone)]
pub struct AttestationBundle {
    /// The publisher, or why it cannot be used (an unknown kind, a missing field).
    pub publisher: Result<Publisher, String>,
    /// The attestations.
    pub attestations: Vec<Attestation>,
}

/// One attestation, decoded.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The signing certificate, DER.
    pub certificate: Vec<u8>,
    /// The one transparency-log entry, as the bundle's JSON carries it.
    pub tlog_entry: serde_json::Value,
    /// The in-toto statement, as signed.
    pub statement: Vec<u8>,
    /// The DSSE signature over the statement.
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
struct RawProvenance {
    version: u32,
    attestation_bundles: Vec<RawBundle>,
}

#[derive(Deserialize)]
struct RawBundle {
    publisher: serde_json::Value,
    attestations: Vec<RawAttestation>,
}

#[derive(Deserialize)]
struct RawAttestation {
    version: u32,
    verification_material: RawMaterial,
    envelope: RawEnvelope,
}

#[derive(Deserialize)]
struct RawMaterial {
    certificate: String,
    transparency_entries: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawEnvelope {
    statement: String,
    signature: String,
}

/// The publisher object of a bundle, as PyPI writes it (`kind` and the kind's fields).
#[derive(Deserialize)]
struct RawPublisher {
    kind: String,
    repository: Option<String>,
    workflow: Option<String>,
    workflow_filepath: Option<String>,
    environment: Option<String>,
    email: Option<String>,
    project_id: Option<String>,
    pipeline_definition_id: Option<String>,
    vcs_origin: Option<String>,
    vcs_ref: Option<String>,
}

fn publisher(value: &serde_json::Value) -> Result<Publisher, String> {
    let raw: RawPublisher = serde_json::from_value(value.clone())
        .map_err(|e| format!("the publisher is not a PEP 740 publisher object: {e}"))?;
    let need = |field: Option<String>, name: &str| {
        field
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the {} publisher has no `{name}`", raw.kind))
    };
    // An empty environment is no environment (PyPI writes `null` or leaves it out).
    let environment = raw.environment.clone().filter(|e| !e.is_empty());
    Ok(match raw.kind.as_str() {
        "GitHub" => Publisher::GitHub {
            repository: need(raw.repository.clone(), "repository")?,
            workflow: need(raw.workflow.clone(), "workflow")?,
            environment,
        },
        "GitLab" => Publisher::GitLab {
            repository: need(raw.repository.clone(), "repository")?,
            workflow_filepath: need(raw.workflow_filepath.clone(), "workflow_filepath")?,
            environment,
        },
        "Google" => Publisher::Google {
            email: need(raw.email.clone(), "email")?,
        },
        "CircleCI" => Publisher::CircleCi {
            project_id: need(raw.project_id.clone(), "project_id")?,
            pipeline_definition_id: need(
                raw.pipeline_definition_id.clone(),
                "pipeline_definition_id",
            )?,
            vcs_origin: raw.vcs_origin.clone().filter(|v| !v.is_empty()),
            vcs_ref: raw.vcs_ref.clone().filter(|v| !v.is_empty()),
        },
        other => {
            return Err(format!(
                "unsupported publisher kind `{}` (repro knows GitHub, GitLab, Google and CircleCI)",
                crate::redact::plain_text(other)
            ));
        }
    })
}

fn decode(field: &str, value: &str) -> Result<Vec<u8>, String> {
    B64.decode(value.trim())
        .map_err(|e| format!("`{field}` is not base64: {e}"))
}

/// Parse a provenance object. The error says what is malformed, never quoting the input.
pub fn parse(bytes: &[u8]) -> Result<ProvenanceObject, String> {
    let raw: RawProvenance = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not a PEP 740 provenance object: {:?} error at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    if raw.version != 1 {
        return Err(format!(
            "provenance object version {} (PEP 740 defines version 1)",
            raw.version
        ));
    }
    let total: usize = raw
        .attestation_bundles
        .iter()
        .map(|b| b.attestations.len())
        .sum();
    if total > MAX_ATTESTATIONS {
        return Err(format!(
            "{total} attestations, more than the {MAX_ATTESTATIONS} one file may carry"
        ));
    }
    if raw.attestation_bundles.is_empty() || total == 0 {
        return Err("the provenance object holds no attestation".into());
    }
    let mut bundles = Vec::with_capacity(raw.attestation_bundles.len());
    for b in raw.attestation_bundles {
        let mut attestations = Vec::with_capacity(b.attestations.len());
        for (i, a) in b.attestations.into_iter().enumerate() {
            attestations.push(attestation(a).map_err(|e| format!("attestation {}: {e}", i + 1))?);
        }
        bundles.push(AttestationBundle {
            publisher: publisher(&b.publisher),
            attestations,
        });
    }
    Ok(ProvenanceObject { bundles })
}

fn attestation(a: RawAttestation) -> Result<Attestation, String> {
    if a.version != 1 {
        return Err(format!(
            "attestation version {} (PEP 740 defines version 1)",
            a.version
        ));
    }
    let mut entries = a.verification_material.transparency_entries;
    if entries.len() != 1 {
        return Err(format!(
            "{} transparency-log entries (a PEP 740 attestation carries one)",
            entries.len()
        ));
    }
    Ok(Attestation {
        certificate: decode("certificate", &a.verification_material.certificate)?,
        tlog_entry: entries.remove(0),
        statement: decode("statement", &a.envelope.statement)?,
        signature: decode("signature", &a.envelope.signature)?,
    })
}

impl Attestation {
    /// The Sigstore bundle (v0.3) this attestation stands for, as JSON.
    pub fn to_bundle_json(&self) -> String {
        serde_json::json!({
            "mediaType": crate::sign::BUNDLE_V03,
            "verificationMaterial": {
                "certificate": {"rawBytes": B64.encode(&self.certificate)},
                "tlogEntries": [self.tlog_entry],
            },
            "dsseEnvelope": {
                "payload": B64.encode(&self.statement),
                "payloadType": crate::sign::dsse::IN_TOTO,
                "signatures": [{"sig": B64.encode(&self.signature)}],
            },
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &[u8] =
        include_bytes!("../../tests/fixtures/pep740/pypi_attestations-0.0.19.tar.gz.provenance");

    #[test]
    fn parses_a_real_provenance_object() {
        let p = parse(OBJECT).unwrap();
        assert_eq!(p.bundles.len(), 1);
        assert_eq!(
            p.bundles[0].publisher,
            Ok(Publisher::GitHub {
                repository: "trailofbits/pypi-attestations".into(),
                workflow: "release.yml".into(),
                environment: None,
            })
        );
        let a = &p.bundles[0].attestations[0];
        assert!(
            a.statement
                .starts_with(b"{\"_type\":\"https://in-toto.io/Statement/v1\"")
        );
        let bundle: serde_json::Value = serde_json::from_str(&a.to_bundle_json()).unwrap();
        assert_eq!(
            bundle["dsseEnvelope"]["payloadType"],
            "application/vnd.in-toto+json"
        );
        assert_eq!(
            bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"],
            "153454663"
        );
    }

    #[test]
    fn refuses_malformed_objects_without_quoting_them() {
        let mut v: serde_json::Value = serde_json::from_slice(OBJECT).unwrap();
        v["version"] = 2.into();
        assert!(
            parse(v.to_string().as_bytes())
                .unwrap_err()
                .contains("version 2")
        );
        let err = parse(b"{\"secret-token\": 1}").unwrap_err();
        assert!(!err.contains("secret-token"), "{err}");
        let mut v: serde_json::Value = serde_json::from_slice(OBJECT).unwrap();
        v["attestation_bundles"][0]["publisher"]["kind"] = "Bitbucket".into();
        let p = parse(v.to_string().as_bytes()).unwrap();
        assert!(
            p.bundles[0]
                .publisher
                .as_ref()
                .unwrap_err()
                .contains("`Bitbucket`")
        );
        let mut v: serde_json::Value = serde_json::from_slice(OBJECT).unwrap();
        let entry = v["attestation_bundles"][0]["attestations"][0]["verification_material"]
            ["transparency_entries"][0]
            .clone();
        v["attestation_bundles"][0]["attestations"][0]["verification_material"]
            ["transparency_entries"]
            .as_array_mut()
            .unwrap()
            .push(entry);
        assert!(
            parse(v.to_string().as_bytes())
                .unwrap_err()
                .contains("2 transparency-log entries")
        );
    }

    #[test]
    fn caps_the_attestations_at_the_limit_and_one_past_it() {
        let mut v: serde_json::Value = serde_json::from_slice(OBJECT).unwrap();
        let one = v["attestation_bundles"][0]["attestations"][0].clone();
        let list = v["attestation_bundles"][0]["attestations"]
            .as_array_mut()
            .unwrap();
        list.resize(MAX_ATTESTATIONS, one.clone());
        assert_eq!(
            parse(v.to_string().as_bytes()).unwrap().bundles[0]
                .attestations
                .len(),
            16
        );
        v["attestation_bundles"][0]["attestations"]
            .as_array_mut()
            .unwrap()
            .push(one);
        let err = parse(v.to_string().as_bytes()).unwrap_err();
        assert!(err.contains("17 attestations, more than the 16"), "{err}");
    }
}
