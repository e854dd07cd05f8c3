//! in-toto attestations: SLSA provenance v1 generated from a build manifest, and the SLSA
//! Verification Summary (VSA) a second machine writes when it reproduced a build; and the checks
//! `repro verify --type` applies to a signed statement.
//!
//! Field meanings are documented in `docs/attestations.md`.

use serde_json::{Value, json};

use crate::manifest::Manifest;

/// in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// SLSA provenance v1.
pub const PROVENANCE: &str = "https://slsa.dev/provenance/v1";
/// SLSA verification summary v1.
pub const VSA: &str = "https://slsa.dev/verification_summary/v1";
/// The build type repro's provenance declares (documented in `docs/attestations.md`).
pub const BUILD_TYPE: &str = "https://repro.dev/build-types/repro-build/v1";
/// The verifier id of a VSA written by `repro diff --attest`.
pub const VERIFIER_ID: &str = "https://repro.dev/verifiers/repro-diff/v1";

/// Which predicate `repro verify --type` requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PredicateKind {
    /// SLSA provenance v1.
    SlsaProvenance,
    /// SLSA verification summary v1, with result PASSED.
    Vsa,
    /// Any in-toto statement v1 (the default for DSSE bundles).
    Any,
}

/// Check that bytes are an in-toto Statement v1 with at least one subject.
pub fn check_statement(payload: &[u8]) -> Result<Value, String> {
    let v: Value =
        serde_json::from_slice(payload).map_err(|e| format!("statement: not JSON: {e}"))?;
    if v["_type"] != STATEMENT_TYPE {
        return Err(format!(
            "statement: _type is {}, not {STATEMENT_TYPE}",
            v["_type"]
        ));
    }
    let subjects = v["subject"].as_array().map_or(0, Vec::len);
    if subjects == 0 {
        return Err("statement: no subject".into());
    }
    if !v["predicateType"].is_string() {
        return Err("statement: no predicateType".into());
    }
    Ok(v)
}

/// Check a signed statement's predicate type, that the artefact (by SHA-256) is one of its
/// subjects, and for a VSA that the result is PASSED.
pub fn check_predicate(
    payload: &[u8],
    kind: PredicateKind,
    artefact_sha256: Option<&[u8; 32]>,
) -> Result<(), String> {
    let v = check_statement(payload)?;
    if let Some(d) = artefact_sha256 {
        let hex = hex::encode(d);
        let listed = v["subject"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["digest"]["sha256"].as_str() == Some(hex.as_str()));
        if !listed {
            return Err(format!(
                "subject: the artefact (sha256:{hex}) is not a subject of the statement"
            ));
        }
    }
    let pt = v["predicateType"].as_str().unwrap_or("");
    match kind {
        PredicateKind::Any => Ok(()),
        PredicateKind::SlsaProvenance if pt == PROVENANCE => Ok(()),
        PredicateKind::Vsa if pt == VSA => match v["predicate"]["verificationResult"].as_str() {
            Some("PASSED") => Ok(()),
            other => Err(format!(
                "verification result: {} (not PASSED)",
                other.unwrap_or("missing")
            )),
        },
        _ => Err(format!(
            "predicate type: {pt:?} is not {}",
            if kind == PredicateKind::Vsa {
                VSA
            } else {
                PROVENANCE
            }
        )),
    }
}

/// Source repository and commit, when the build ran in a git checkout.
#[derive(Debug, Clone, Default)]
pub struct SourceInfo {
    /// `git+<remote URL>` or the checkout path.
    pub uri: Option<String>,
    /// The commit.
    pub commit: Option<String>,
    /// Whether the tree had uncommitted changes when it was built (`None`: not a checkout).
    pub dirty: Option<bool>,
}

/// Run-specific details of a provenance statement.
#[derive(Debug, Clone)]
pub struct RunDetails {
    /// The builder identity (`--builder-id`).
    pub builder_id: String,
    /// Invocation id.
    pub invocation_id: String,
    /// RFC 3339 start and finish times.
    pub started_on: String,
    /// RFC 3339.
    pub finished_on: String,
    /// SHA-256 of the manifest file, when written.
    pub manifest_sha256: Option<String>,
    /// The manifest's file name.
    pub manifest_name: String,
}

/// Subjects of a manifest: every output file (and every member of an output directory).
pub fn subjects(m: &Manifest) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for o in &m.build.outputs {
        if o.kind == "tree" {
            for member in &o.members {
                if let Some(sha) = &member.sha256 {
                    out.push(json!({
                        "name": format!("{}/{}", o.path.trim_end_matches('/'), member.path),
                        "digest": {"sha256": sha},
                    }));
                }
            }
        } else {
            out.push(json!({"name": o.path, "digest": {"sha256": o.sha256}}));
        }
    }
    out
}

/// The purl of a resolved artifact.
fn purl(r: &crate::manifest::Resolved) -> String {
    match crate::model::Ecosystem::from_name(&r.ecosystem) {
        Some(e) => crate::sbom::purl(e, &r.name, &r.version),
        None => format!("pkg:{}/{}@{}", r.ecosystem, r.name, r.version),
    }
}

/// SLSA provenance v1 for a manifest. Everything but `runDetails.metadata` and the byproduct
/// digest depends only on the manifest's comparable part.
pub fn provenance(m: &Manifest, source: &SourceInfo, run: &RunDetails) -> Value {
    let b = &m.build;
    let mut external = json!({
        "command": b.command,
        "target": b.target,
        "lockfiles": b.inputs.iter().map(|i| json!({"path": i.path, "sha256": i.sha256})).collect::<Vec<_>>(),
        "sourceDateEpoch": b.source_date_epoch,
    });
    if let Some(uri) = &source.uri {
        external["source"] = json!({
            "uri": uri,
            "digest": source.commit.as_ref().map(|c| json!({"gitCommit": c})),
            // The commit names the source only when nothing was changed on top of it.
            "uncommittedChanges": source.dirty,
        });
    }
    let mut version = b.toolchains.clone();
    version.insert(
        "repro".into(),
        b.tool.get("version").cloned().unwrap_or_default(),
    );
    let mut byproducts = Vec::new();
    if let Some(sha) = &run.manifest_sha256 {
        byproducts.push(json!({
            "name": run.manifest_name,
            "digest": {"sha256": sha},
            "mediaType": "application/vnd.repro.manifest.v1+json",
        }));
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects(m),
        "predicateType": PROVENANCE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": external,
                "internalParameters": {"environment": b.environment},
                "resolvedDependencies": b.resolved.iter().map(|r| json!({
                    "uri": purl(r),
                    "name": r.filename,
                    "digest": {"sha256": r.sha256},
                })).collect::<Vec<_>>(),
            },
            "runDetails": {
                "builder": {
                    "id": run.builder_id,
                    // A map of strings (the provenance schema): repro's version and each
                    // toolchain's.
                    "version": version,
                },
                "metadata": {
                    "invocationId": run.invocation_id,
                    "startedOn": run.started_on,
                    "finishedOn": run.finished_on,
                },
                "byproducts": byproducts,
            },
        },
    })
}

/// Whether two manifests record the same outputs with equal digests: the same paths, each with
/// the same SHA-256, and at least one (a rebuild that produced nothing verified nothing).
pub fn same_outputs(reference: &Manifest, local: &Manifest) -> bool {
    let digests = |m: &Manifest| {
        m.build
            .outputs
            .iter()
            .map(|o| (o.path.clone(), o.sha256.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    !reference.build.outputs.is_empty() && digests(reference) == digests(local)
}

/// A VSA for the second machine's comparison of two manifests: `PASSED` only when the
/// comparison found no difference and every output's digest is equal.
#[allow(clippy::too_many_arguments)]
pub fn vsa(
    reference: &Manifest,
    local: &Manifest,
    reference_sha256: &str,
    local_sha256: &str,
    provenance_sha256: Option<&str>,
    differences: usize,
    notes: &[String],
    verifier_id: &str,
    time: &str,
) -> Value {
    let passed = differences == 0 && same_outputs(reference, local);
    let mut input = Vec::new();
    if let Some(p) = provenance_sha256 {
        input.push(json!({"uri": "maintainer provenance", "digest": {"sha256": p}}));
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects(reference),
        "predicateType": VSA,
        "predicate": {
            "verifier": {"id": verifier_id, "version": {"repro": env!("CARGO_PKG_VERSION")}},
            "timeVerified": time,
            "resourceUri": format!("repro-build:{}", reference.build_id),
            "policy": {
                "uri": "https://repro.dev/policies/independent-rebuild/v1",
                "digest": {"sha256": reference_sha256},
            },
            "inputAttestations": input,
            "verificationResult": if passed { "PASSED" } else { "FAILED" },
            // Custom levels may not start with SLSA_: the project's own names the check.
            "verifiedLevels": if passed {
                json!(["SLSA_BUILD_LEVEL_1", "REPRO_INDEPENDENTLY_REBUILT_BYTE_IDENTICAL"])
            } else {
                json!([])
            },
            "slsaVersion": "1.0",
            "repro": {
                "check": "independently rebuilt, byte-identical",
                "referenceManifestSha256": reference_sha256,
                "localManifestSha256": local_sha256,
                "buildId": reference.build_id,
                "differences": differences,
                // How the two builds ran differently without changing a byte of the outputs.
                "notes": notes,
            },
        },
    })
}
