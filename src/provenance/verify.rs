//! Offline verification of a provenance object for one locked artifact.
//!
//! Every attestation of every bundle must pass, in this order, and the first check that fails
//! names the verdict:
//!
//! 1. the attestation is well formed, and its statement is an in-toto Statement v1 with exactly
//!    one subject carrying a SHA-256 (`statement`);
//! 2. the Sigstore bundle it stands for verifies against the trusted root shipped in the binary:
//!    the certificate chain to a Fulcio CA and its SCT, the Rekor entry (inclusion proof against
//!    a signed checkpoint, signed entry timestamp, integrated time inside the certificate's
//!    validity, the entry's body describing this envelope) and the DSSE signature over the
//!    statement (`certificate`, `transparency-log`, `signature`, …);
//! 3. the subject is the locked file: its name is the artifact's file name and its SHA-256 the
//!    digest the lock allows (`subject-name`, `subject-digest`);
//! 4. the predicate type is PyPI's publish attestation or SLSA provenance v1 (`predicate-type`);
//! 5. the certificate was issued to the publisher the bundle names (`email-identity`,
//!    `publisher-mismatch`; see [`super::publisher`]).
//!
//! The signature is checked before the statement's claims are believed: a statement edited to
//! name another digest fails on its signature, not on a comparison with the lock.

use serde::{Deserialize, Serialize};

use super::certificate::FulcioCertificate;
use super::pep740::{Attestation, ProvenanceObject};
use super::publisher::{Mismatch, Publisher};
use crate::sign::keyless;

/// PyPI's publish attestation.
pub const PYPI_PUBLISH_V1: &str = "https://docs.pypi.org/attestations/publish/v1";
/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The in-toto Statement type.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// Why an attestation failed: a stable code (JSON consumers key on it) and the detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The provenance object or an attestation is not well formed.
    Malformed,
    /// The statement is not an in-toto Statement v1 with one subject.
    Statement,
    /// The bundle does not verify: the certificate and its chain.
    Certificate,
    /// The bundle does not verify: the transparency-log evidence.
    TransparencyLog,
    /// The bundle does not verify: a timestamp.
    Timestamp,
    /// The bundle does not verify: the DSSE signature.
    Signature,
    /// Another check of the verifier (bundle structure, trusted root).
    Bundle,
    /// The subject names another file.
    SubjectName,
    /// The subject's SHA-256 is not the locked one.
    SubjectDigest,
    /// The predicate type is neither PyPI publish v1 nor SLSA provenance v1.
    PredicateType,
    /// An e-mail identity presented as a Trusted Publisher.
    EmailIdentity,
    /// The certificate was issued to another signer than the publisher the bundle names.
    PublisherMismatch,
    /// The bundle names a publisher repro cannot match (an unknown kind).
    UnsupportedPublisher,
}

impl Check {
    /// The code, as JSON and the text output write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Malformed => "malformed",
            Check::Statement => "statement",
            Check::Certificate => "certificate",
            Check::TransparencyLog => "transparency-log",
            Check::Timestamp => "timestamp",
            Check::Signature => "signature",
            Check::Bundle => "bundle",
            Check::SubjectName => "subject-name",
            Check::SubjectDigest => "subject-digest",
            Check::PredicateType => "predicate-type",
            Check::EmailIdentity => "email-identity",
            Check::PublisherMismatch => "publisher-mismatch",
            Check::UnsupportedPublisher => "unsupported-publisher",
        }
    }

    fn from_verifier(check: &str) -> Check {
        match check {
            "certificate" | "identity" | "OIDC issuer" => Check::Certificate,
            "transparency log" => Check::TransparencyLog,
            "timestamp" => Check::Timestamp,
            "signature" => Check::Signature,
            "artifact digest" => Check::SubjectDigest,
            _ => Check::Bundle,
        }
    }
}

/// A failed verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Which check failed.
    pub check: Check,
    /// Why, in one line.
    pub reason: String,
}

impl Failure {
    fn new(check: Check, reason: impl Into<String>) -> Failure {
        Failure {
            check,
            reason: reason.into(),
        }
    }
}

/// What one verified attestation established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedAttestation {
    /// The predicate type.
    pub predicate_type: String,
    /// The certificate's identity (SAN).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
    /// The Rekor integrated time (Unix seconds).
    pub integrated_time: Option<i64>,
    /// What could not be checked (an environment the certificate does not record).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A verified provenance object: its publishers and attestations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The publishers of its bundles (one, in practice).
    pub publishers: Vec<Publisher>,
    /// Every attestation, in order.
    pub attestations: Vec<VerifiedAttestation>,
}

/// The locked artifact an attestation must name.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Its file name.
    pub filename: &'a str,
    /// Its SHA-256, lower-case hex.
    pub sha256: &'a str,
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    kind: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
}

#[derive(Deserialize)]
struct Subject {
    #[serde(default)]
    name: String,
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

/// Verify every attestation of `object` for `expected`.
pub fn verify(
    verifier: &keyless::Verifier,
    object: &ProvenanceObject,
    expected: Expected<'_>,
) -> Result<Verified, Failure> {
    let mut publishers: Vec<Publisher> = Vec::new();
    let mut attestations = Vec::new();
    for bundle in &object.bundles {
        let publisher = bundle
            .publisher
            .as_ref()
            .map_err(|e| Failure::new(Check::UnsupportedPublisher, e.clone()))?;
        for a in &bundle.attestations {
            attestations.push(verify_attestation(verifier, a, publisher, expected)?);
        }
        if !publishers.contains(publisher) {
            publishers.push(publisher.clone());
        }
    }
    Ok(Verified {
        publishers,
        attestations,
    })
}

/// Verify one attestation made by `publisher` for `expected`.
pub fn verify_attestation(
    verifier: &keyless::Verifier,
    a: &Attestation,
    publisher: &Publisher,
    expected: Expected<'_>,
) -> Result<VerifiedAttestation, Failure> {
    // 1. The statement's form.
    let statement: Statement = serde_json::from_slice(&a.statement).map_err(|e| {
        Failure::new(
            Check::Statement,
            format!(
                "not an in-toto statement: {:?} error at column {}",
                e.classify(),
                e.column()
            ),
        )
    })?;
    if statement.kind != STATEMENT_V1 {
        return Err(Failure::new(
            Check::Statement,
            format!(
                "statement type `{}`, not `{STATEMENT_V1}`",
                plain(&statement.kind)
            ),
        ));
    }
    let [subject] = statement.subject.as_slice() else {
        return Err(Failure::new(
            Check::Statement,
            format!(
                "{} subjects (a PEP 740 statement names exactly one file)",
                statement.subject.len()
            ),
        ));
    };
    let Some(subject_sha) = subject.digest.get("sha256").filter(|d| is_sha256_hex(d)) else {
        return Err(Failure::new(
            Check::Statement,
            "the subject carries no SHA-256 digest",
        ));
    };
    // 2. The signature, the certificate and the log, over the statement as it is.
    let cert = FulcioCertificate::parse(&a.certificate)
        .map_err(|e| Failure::new(Check::Certificate, e))?;
    let verified = keyless::verify_any_identity(verifier, subject_sha, &a.to_bundle_json())
        .map_err(|f| Failure::new(Check::from_verifier(f.check), f.detail))?;
    // 3. The subject is the locked file.
    if !same_distribution(&subject.name, expected.filename) {
        return Err(Failure::new(
            Check::SubjectName,
            format!(
                "the attestation is for `{}`, not `{}`",
                plain(&subject.name),
                expected.filename
            ),
        ));
    }
    if !subject_sha.eq_ignore_ascii_case(expected.sha256) {
        return Err(Failure::new(
            Check::SubjectDigest,
            format!(
                "the attestation is for sha256:{}, the lock allows sha256:{}",
                subject_sha.to_ascii_lowercase(),
                expected.sha256
            ),
        ));
    }
    // 4. The predicate.
    if statement.predicate_type != PYPI_PUBLISH_V1 && statement.predicate_type != SLSA_PROVENANCE_V1
    {
        return Err(Failure::new(
            Check::PredicateType,
            format!(
                "predicate type `{}` is neither `{PYPI_PUBLISH_V1}` nor `{SLSA_PROVENANCE_V1}`",
                plain(&statement.predicate_type)
            ),
        ));
    }
    // 5. The signer is the publisher.
    let notes = publisher.authorize(&cert).map_err(|m| match m {
        Mismatch::EmailIdentity(why) => Failure::new(Check::EmailIdentity, why),
        Mismatch::Publisher(why) => Failure::new(Check::PublisherMismatch, why),
    })?;
    Ok(VerifiedAttestation {
        predicate_type: statement.predicate_type,
        identity: cert
            .identity
            .as_ref()
            .map(ToString::to_string)
            .or(verified.identity)
            .unwrap_or_default(),
        issuer: cert
            .issuer()
            .map(str::to_string)
            .or(verified.issuer)
            .unwrap_or_default(),
        integrated_time: verified.integrated_time,
        notes,
    })
}

fn plain(s: &str) -> String {
    crate::digest::truncate(&crate::redact::plain_text(s), 200)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether two file names name the same distribution: equal, or the same wheel (PEP 503 name,
/// PEP 440 version, build tag and tag set) or the same sdist (name, version, extension). PyPI
/// compares a subject with the uploaded file this way (`pypi-attestations`), so an attestation
/// may spell the name as its tool normalized it; the digest is compared exactly.
pub fn same_distribution(a: &str, b: &str) -> bool {
    use std::str::FromStr;
    if a == b {
        return true;
    }
    let same_name = |x: &str, y: &str| matches!((crate::model::PackageName::pypi(x), crate::model::PackageName::pypi(y)), (Some(p), Some(q)) if p == q);
    let same_version = |x: &str, y: &str| matches!((pep440_rs::Version::from_str(x), pep440_rs::Version::from_str(y)), (Ok(p), Ok(q)) if p == q);
    if let (Some(x), Some(y)) = (
        crate::resolve::WheelName::parse(a),
        crate::resolve::WheelName::parse(b),
    ) {
        let tags = |w: &crate::resolve::WheelName| {
            w.tags
                .iter()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
        };
        return same_name(&x.name, &y.name)
            && same_version(&x.version, &y.version)
            && x.build == y.build
            && tags(&x) == tags(&y);
    }
    for ext in [".tar.gz", ".zip"] {
        if let (Some(x), Some(y)) = (a.strip_suffix(ext), b.strip_suffix(ext))
            && let (Some((xn, xv)), Some((yn, yv))) = (x.rsplit_once('-'), y.rsplit_once('-'))
        {
            return same_name(xn, yn) && same_version(xv, yv);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::pep740;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/pep740")
                .join(name),
        )
        .unwrap()
    }

    /// A provenance object holding one attestation file of the fixtures, made by `publisher`.
    fn object(attestation: &str, publisher: serde_json::Value) -> pep740::ProvenanceObject {
        let a: serde_json::Value = serde_json::from_slice(&fixture(attestation)).unwrap();
        let doc = serde_json::json!({"version": 1, "attestation_bundles": [
            {"publisher": publisher, "attestations": [a]}]});
        pep740::parse(doc.to_string().as_bytes()).unwrap()
    }

    fn verifier(staging: bool) -> keyless::Verifier {
        keyless::Verifier::new(&keyless::trusted_root(None, staging).unwrap()).unwrap()
    }

    const SDIST: &str = "pypi_attestations-0.0.19.tar.gz";
    const SDIST_SHA: &str = "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3";

    fn github() -> serde_json::Value {
        serde_json::json!({"kind": "GitHub", "repository": "trailofbits/pypi-attestations",
            "workflow": "release.yml", "environment": null})
    }

    #[test]
    fn every_genuine_attestation_verifies() {
        let v = verifier(false);
        let expect = Expected {
            filename: SDIST,
            sha256: SDIST_SHA,
        };
        let served = pep740::parse(&fixture(&format!("{SDIST}.provenance"))).unwrap();
        let ok = verify(&v, &served, expect).unwrap();
        assert_eq!(ok.attestations[0].predicate_type, PYPI_PUBLISH_V1);
        assert_eq!(ok.attestations[0].integrated_time, Some(1_733_354_041));
        for (file, predicate) in [
            (
                "pypi_attestations-0.0.19.tar.gz.publish.attestation",
                PYPI_PUBLISH_V1,
            ),
            (
                "pypi_attestations-0.0.19.tar.gz.slsa.attestation",
                SLSA_PROVENANCE_V1,
            ),
        ] {
            let ok = verify(&v, &object(file, github()), expect).unwrap();
            assert_eq!(ok.attestations[0].predicate_type, predicate, "{file}");
        }
        let gitlab = serde_json::json!({"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
            "workflow_filepath": ".gitlab-ci.yml", "environment": null});
        verify(
            &v,
            &object(
                "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
                gitlab,
            ),
            Expected {
                filename: "gitlab_oidc_project-0.0.3.tar.gz",
                sha256: "c1ca9b0d85df1606451098233018534497bf584362e10e4a8c21dfaea92c02a8",
            },
        )
        .unwrap();
        let models = serde_json::json!({"kind": "GitHub", "repository": "trailofbits/pypi-attestation-models",
            "workflow": "release.yml"});
        verify(
            &v,
            &object("pypi_attestation_models-0.0.4a2.tar.gz.attestation", models),
            Expected {
                filename: "pypi_attestation_models-0.0.4a2.tar.gz",
                sha256: "c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef",
            },
        )
        .unwrap();
    }

    #[test]
    fn tampered_attestations_fail_with_the_reason() {
        let v = verifier(false);
        let publish = "pypi_attestations-0.0.19.tar.gz.publish.attestation";
        let good = object(publish, github());
        let expect = Expected {
            filename: SDIST,
            sha256: SDIST_SHA,
        };
        // The lock allows other bytes than the ones attested.
        let other = "0".repeat(64);
        let err = verify(
            &v,
            &good,
            Expected {
                sha256: &other,
                ..expect
            },
        )
        .unwrap_err();
        assert_eq!(err.check, Check::SubjectDigest, "{err:?}");
        // Another file of the same project.
        let err = verify(
            &v,
            &good,
            Expected {
                filename: "pypi_attestations-0.0.20.tar.gz",
                ..expect
            },
        )
        .unwrap_err();
        assert_eq!(err.check, Check::SubjectName, "{err:?}");
        // A statement edited to name other bytes.
        let mut t = good.clone();
        let a = &mut t.bundles[0].attestations[0];
        a.statement = String::from_utf8(a.statement.clone())
            .unwrap()
            .replace(SDIST_SHA, &other)
            .into_bytes();
        let err = verify(
            &v,
            &t,
            Expected {
                sha256: &other,
                ..expect
            },
        )
        .unwrap_err();
        assert_eq!(err.check, Check::Signature, "{err:?}");
        // The SLSA attestation's certificate (same workflow, another key, valid then).
        let slsa = object("pypi_attestations-0.0.19.tar.gz.slsa.attestation", github());
        let mut t = good.clone();
        t.bundles[0].attestations[0].certificate =
            slsa.bundles[0].attestations[0].certificate.clone();
        let err = verify(&v, &t, expect).unwrap_err();
        assert_eq!(err.check, Check::Signature, "{err:?}");
        // Another project's certificate.
        let gitlab = object(
            "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
            github(),
        );
        let mut t = good.clone();
        t.bundles[0].attestations[0].certificate =
            gitlab.bundles[0].attestations[0].certificate.clone();
        let err = verify(&v, &t, expect).unwrap_err();
        assert_eq!(err.check, Check::Certificate, "{err:?}");
        assert!(err.reason.contains("CertExpired"), "{err:?}");
        // A publisher the certificate was not issued to.
        let evil = serde_json::json!({"kind": "GitHub", "repository": "evil/pypi-attestations",
            "workflow": "release.yml"});
        let err = verify(&v, &object(publish, evil), expect).unwrap_err();
        assert_eq!(err.check, Check::PublisherMismatch, "{err:?}");
        assert!(err.reason.contains("Source Repository URI"), "{err:?}");
        let other_workflow = serde_json::json!({"kind": "GitHub", "repository": "trailofbits/pypi-attestations",
            "workflow": "publish.yml"});
        let err = verify(&v, &object(publish, other_workflow), expect).unwrap_err();
        assert!(err.reason.contains("Build Config URI"), "{err:?}");
    }

    #[test]
    fn an_email_identity_is_not_a_publisher() {
        let v = verifier(true);
        for (file, name, sha) in [
            (
                "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
                "rfc8785-0.1.2-py3-none-any.whl",
                "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201",
            ),
            (
                "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.publish.attestation",
                "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "d2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8",
            ),
        ] {
            let publisher = serde_json::json!({"kind": "GitHub", "repository": "trailofbits/rfc8785.py",
                "workflow": "release.yml"});
            let err = verify(
                &v,
                &object(file, publisher),
                Expected {
                    filename: name,
                    sha256: sha,
                },
            )
            .unwrap_err();
            assert_eq!(err.check, Check::EmailIdentity, "{file}: {err:?}");
            assert!(err.reason.contains("`william@yossarian.net`"), "{err:?}");
            let google = serde_json::json!({"kind": "Google", "email": "william@yossarian.net"});
            let err = verify(
                &v,
                &object(file, google),
                Expected {
                    filename: name,
                    sha256: sha,
                },
            )
            .unwrap_err();
            assert_eq!(err.check, Check::PublisherMismatch, "{file}: {err:?}");
        }
        // Staging signatures are not production's.
        let err = verify(
            &verifier(false),
            &object(
                "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
                github(),
            ),
            Expected {
                filename: "rfc8785-0.1.2-py3-none-any.whl",
                sha256: "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201",
            },
        )
        .unwrap_err();
        assert!(
            matches!(err.check, Check::Certificate | Check::TransparencyLog),
            "{err:?}"
        );
    }

    #[test]
    fn distributions_compare_as_pypi_compares_them() {
        assert!(same_distribution("a-1.0.tar.gz", "a-1.0.tar.gz"));
        assert!(same_distribution(
            "Foo_Bar-1.0.tar.gz",
            "foo-bar-1.0.tar.gz"
        ));
        assert!(same_distribution(
            "foo-1.0-py3-none-any.whl",
            "Foo-1.0-py3-none-any.whl"
        ));
        assert!(!same_distribution("foo-1.0.tar.gz", "foo-1.1.tar.gz"));
        // Stricter than `pypi-attestations`: another archive format is another file.
        assert!(!same_distribution("foo-1.0.tar.gz", "foo-1.0.zip"));
        assert!(!same_distribution(
            "foo-1.0-py3-none-any.whl",
            "foo-1.0-cp312-abi3-any.whl"
        ));
        assert!(!same_distribution(
            "foo-1.0-py3-none-any.whl",
            "foo-1.0.tar.gz"
        ));
    }
}
