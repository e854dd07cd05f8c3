//! Keyless (Fulcio certificate) bundles, v0.1–v0.3, verified offline with `sigstore-verify`:
//! the certificate chain to a Fulcio CA of the trusted root valid at the signing time, the
//! embedded SCT against the trusted CT logs, the transparency-log entry (inclusion proof against
//! a checkpoint signed by a trusted Rekor key, the signed entry timestamp, the integrated time
//! inside the certificate's validity) or RFC 3161 timestamps from a trusted TSA, the identity
//! (SAN) and OIDC issuer extensions, and the signature (message or DSSE) over the artefact.
//!
//! The public-good and staging trusted roots ship in the binary (the `trusted_root.json` files of
//! sigstore-python 4.5.1, Apache-2.0); `--trusted-root` replaces them. Where `sigstore-verify`
//! is more lenient than the reference verifier (sigstore-python), repro adds the check: a
//! bundle with the same log entry twice, or the same RFC 3161 timestamp twice, is refused.

use std::path::Path;

pub use sigstore_verify::Verifier;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Artifact, Bundle, Sha256Hash};
use sigstore_verify::{VerificationPolicy, VerificationResult};

/// The public-good instance's trusted root.
pub const PRODUCTION_ROOT: &str = include_str!("roots/production.json");
/// The staging instance's trusted root.
pub const STAGING_ROOT: &str = include_str!("roots/staging.json");

/// What a verification established.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    /// The certificate's identity (SAN).
    pub identity: Option<String>,
    /// The OIDC issuer.
    pub issuer: Option<String>,
    /// Transparency-log integrated time (Unix seconds), when the bundle has one.
    pub integrated_time: Option<i64>,
    /// Verified signing times (log and RFC 3161), Unix seconds.
    pub timestamps: Vec<i64>,
}

impl From<&VerificationResult> for Verified {
    fn from(result: &VerificationResult) -> Self {
        Verified {
            identity: result.identity().map(|s| s.to_string()),
            issuer: result.issuer().map(str::to_string),
            integrated_time: result.integrated_time().map(|t| t.as_second()),
            timestamps: result
                .verified_timestamps()
                .iter()
                .map(|t| t.as_second())
                .collect(),
        }
    }
}

/// The artefact: a file (streamed) or a SHA-256 digest (`sha256:HEX`).
pub enum Subject<'a> {
    /// A file on disk.
    File(&'a Path),
    /// A digest given instead of the bytes.
    Sha256(String),
}

/// Largest trusted root read (`--trusted-root`): the public-good one is about 10 KB.
pub const MAX_TRUSTED_ROOT_BYTES: u64 = 4 * 1024 * 1024;

/// Pick the trusted root: a file if given, else staging or production.
pub fn trusted_root(file: Option<&Path>, staging: bool) -> Result<TrustedRoot, String> {
    let json = match file {
        Some(p) => crate::fsio::read_to_string_capped(p, MAX_TRUSTED_ROOT_BYTES)
            .map_err(|e| format!("{}: cannot read the trusted root: {e}", p.display()))?,
        None if staging => STAGING_ROOT.to_string(),
        None => PRODUCTION_ROOT.to_string(),
    };
    TrustedRoot::from_json(&json).map_err(|e| format!("trusted root: {e}"))
}

/// Refuse what sigstore-python refuses and sigstore-verify lets through.
pub(crate) fn extra_checks(bundle_json: &str) -> Result<(), String> {
    let v: serde_json::Value =
        serde_json::from_str(bundle_json).map_err(|e| format!("bundle: not JSON: {e}"))?;
    let vm = &v["verificationMaterial"];
    if let Some(entries) = vm["tlogEntries"].as_array() {
        let mut seen = std::collections::HashSet::new();
        for e in entries {
            let key = (e["logId"]["keyId"].to_string(), e["logIndex"].to_string());
            if !seen.insert(key) {
                return Err("transparency log: the bundle holds the same log entry twice".into());
            }
        }
    }
    if let Some(ts) = vm["timestampVerificationData"]["rfc3161Timestamps"].as_array() {
        let mut seen = std::collections::HashSet::new();
        for t in ts {
            if !seen.insert(t["signedTimestamp"].to_string()) {
                return Err("timestamp: the bundle holds the same RFC 3161 timestamp twice".into());
            }
        }
    }
    Ok(())
}

/// Verify a keyless bundle for `identity` (exact SAN) and `issuer`.
pub fn verify(
    subject: Subject<'_>,
    bundle_json: &str,
    identity: &str,
    issuer: &str,
    root: &TrustedRoot,
) -> Result<Verified, String> {
    check(
        subject,
        bundle_json,
        &VerificationPolicy::new(identity, issuer),
        root,
    )
}

/// Verify a key-based bundle that carries transparency-log entries: the log evidence (inclusion
/// proof, checkpoint, signed entry timestamp) against the trusted root's Rekor keys, and the
/// signature with `public_pem`.
pub fn verify_with_key(
    path: &Path,
    bundle_json: &str,
    public_pem: &str,
    root: &TrustedRoot,
) -> Result<Verified, String> {
    use sigstore_verify::PublicKeyVerificationPolicy;
    use sigstore_verify::types::DerPublicKey;
    let key = DerPublicKey::from_pem(public_pem).map_err(|e| format!("key: {e}"))?;
    check(
        Subject::File(path),
        bundle_json,
        &PublicKeyVerificationPolicy::new(key),
        root,
    )
}

/// The checks both kinds share: repro's extra checks, then sigstore-verify with `policy` over
/// the file (streamed) or the digest.
fn check(
    subject: Subject<'_>,
    bundle_json: &str,
    policy: &impl sigstore_verify::Policy,
    root: &TrustedRoot,
) -> Result<Verified, String> {
    extra_checks(bundle_json)?;
    let bundle = Bundle::from_json(bundle_json).map_err(|e| format!("bundle: {e}"))?;
    let verifier = Verifier::new(root).map_err(|e| format!("trusted root: {e}"))?;
    let result = match subject {
        Subject::File(path) => {
            let f = crate::fsio::open_regular(path)
                .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
            verifier.verify_reader(
                std::io::BufReader::with_capacity(1 << 20, f),
                &bundle,
                policy,
            )
        }
        Subject::Sha256(hex) => {
            let h = Sha256Hash::from_hex(&hex).map_err(|e| format!("sha256:{hex}: {e}"))?;
            verifier.verify(Artifact::from_digest(h), &bundle, policy)
        }
    }
    .map_err(describe)?;
    Ok(Verified::from(&result))
}

/// A failed verification: the check that failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `certificate`, `transparency log`, `signature`, … (see [`describe`]).
    pub check: &'static str,
    /// What the verifier said.
    pub detail: String,
}

/// Verify a keyless bundle over the artefact with SHA-256 `sha256_hex`, authorizing no
/// identity: the certificate chain, SCT, log evidence and signature are checked against
/// `verifier`'s trusted root, and the caller decides who the signer may be from the leaf
/// certificate (PEP 740 Trusted Publishers are matched on Fulcio's extensions, not on one SAN).
/// Build the [`Verifier`] once and share it: it holds the parsed trust material.
pub fn verify_any_identity(
    verifier: &Verifier,
    sha256_hex: &str,
    bundle_json: &str,
) -> Result<Verified, Failure> {
    let fail = |check, detail: String| Failure { check, detail };
    extra_checks(bundle_json).map_err(|e| match e.split_once(": ") {
        Some(("transparency log", d)) => fail("transparency log", d.into()),
        Some(("timestamp", d)) => fail("timestamp", d.into()),
        _ => fail("bundle", e.trim_start_matches("bundle: ").into()),
    })?;
    let bundle = Bundle::from_json(bundle_json).map_err(|e| fail("bundle", e.to_string()))?;
    let digest =
        Sha256Hash::from_hex(sha256_hex).map_err(|e| fail("artifact digest", e.to_string()))?;
    let result = verifier
        .verify(
            Artifact::from_digest(digest),
            &bundle,
            &VerificationPolicy::any_identity(),
        )
        .map_err(|e| fail(check_name(&e), e.to_string()))?;
    if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
        return Err(fail(
            "verification",
            "the verifier skipped a check of the certificate or the log".into(),
        ));
    }
    Ok(Verified::from(&result))
}

/// Name the check that failed.
fn describe(e: sigstore_verify::Error) -> String {
    format!("{}: {e}", check_name(&e))
}

/// The name of the check an error of `sigstore-verify` comes from.
fn check_name(e: &sigstore_verify::Error) -> &'static str {
    use sigstore_verify::Error as E;
    match e {
        E::IdentityMismatch { .. } => "identity",
        E::IssuerMismatch { .. } => "OIDC issuer",
        E::SignatureInvalid(_) => "signature",
        E::ArtifactMismatch(_) => "artifact digest",
        E::Certificate(_) => "certificate",
        E::TransparencyLog(_) => "transparency log",
        E::Timestamp(_) => "timestamp",
        E::InvalidBundle(_) | E::UnsupportedBundle(_) | E::Bundle(_) | E::Types(_) => "bundle",
        E::InvalidTrustRoot(_) | E::TrustRoot(_) | E::TrustedCertificate(_) => "trusted root",
        _ => "verification",
    }
}
