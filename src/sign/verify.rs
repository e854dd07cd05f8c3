//! `repro verify` as a library operation: which checks a file, a bundle or a raw signature
//! must pass (key or keyless, transparency-log evidence, the DSSE predicate), and the typed
//! verdict. The CLI only renders it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::sign::{BundleContent, SignError};

/// What to verify, and against what.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest {
    /// The file, or `sha256:HEX` for a keyless bundle checked against a digest.
    pub file: String,
    /// The Sigstore bundle (default: FILE.sigstore.json).
    pub bundle: Option<PathBuf>,
    /// A raw base64 signature instead of a bundle (needs `key`).
    pub signature: Option<PathBuf>,
    /// The public key of a key-based signature.
    pub key: Option<PathBuf>,
    /// Keyless: the certificate's identity.
    pub certificate_identity: Option<String>,
    /// Keyless: the certificate's OIDC issuer.
    pub certificate_oidc_issuer: Option<String>,
    /// A trusted root instead of the shipped public-good one.
    pub trusted_root: Option<PathBuf>,
    /// The shipped staging trusted root.
    pub staging: bool,
    /// For a DSSE bundle: the predicate the statement must carry.
    pub predicate: Option<crate::attest::PredicateKind>,
}

/// A verified signature: how it was verified (the `detail` of `repro.verify/v1`).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Verified {
    /// A raw signature checked with a key.
    RawSignature {
        /// One line for people.
        summary: &'static str,
        /// SHA-256 of the file.
        sha256: String,
    },
    /// A keyless bundle: certificate chain, identity, issuer and log evidence.
    Keyless {
        /// One line for people.
        summary: String,
        /// What the certificate and the log said.
        keyless: crate::sign::keyless::Verified,
    },
    /// A key-signed bundle with a transparency-log entry, both checked.
    KeyLogged {
        /// One line for people.
        summary: &'static str,
        /// The log evidence.
        log: crate::sign::keyless::Verified,
    },
    /// A key-signed bundle without a log entry (none claimed).
    Key {
        /// One line for people.
        summary: &'static str,
        /// SHA-256 of the file.
        sha256: String,
        /// The bundle's media type.
        #[serde(rename = "mediaType")]
        media_type: String,
    },
}

impl Verified {
    /// One line for people.
    pub fn summary(&self) -> &str {
        match self {
            Verified::RawSignature { summary, .. }
            | Verified::KeyLogged { summary, .. }
            | Verified::Key { summary, .. } => summary,
            Verified::Keyless { summary, .. } => summary,
        }
    }
}

/// Verification failed (exit 1) or could not run (exit 2).
pub enum Failure {
    /// The signature, bundle or identity does not verify (exit 1).
    Invalid(String),
    /// Verification could not run: a missing file, a bad key, no trusted root (exit 2).
    Error(String),
}

impl From<SignError> for Failure {
    fn from(e: SignError) -> Self {
        match e {
            SignError::Digest(_) | SignError::Signature(_) => Failure::Invalid(e.to_string()),
            _ => Failure::Error(e.to_string()),
        }
    }
}

/// Verify `args.file` as the request says: a raw signature with a key; else its bundle, keyless
/// (identity, issuer, trusted root, log evidence, the DSSE predicate when asked) or with a key
/// (with its log entry when the bundle claims one).
pub fn verify(args: &VerifyRequest) -> Result<Verified, Failure> {
    let by_digest = args.file.strip_prefix("sha256:").map(str::to_string);
    let file = Path::new(&args.file);
    if let Some(sig_path) = &args.signature {
        let key = crate::sign::load_public(args.key.as_ref().expect("clap requires --key"))?;
        let digest = crate::sign::sha256_file(file)?;
        crate::sign::verify_digest(&key, &digest, &crate::sign::read_signature(sig_path)?)?;
        return Ok(Verified::RawSignature {
            summary: "raw signature, key",
            sha256: hex::encode(digest),
        });
    }
    let bundle_path = match &args.bundle {
        Some(b) => b.clone(),
        None => PathBuf::from(format!("{}.sigstore.json", args.file)),
    };
    let bundle = crate::sign::read_bundle(&bundle_path)?;
    if let (Some(id), Some(iss)) = (&args.certificate_identity, &args.certificate_oidc_issuer) {
        if !bundle.keyless {
            return Err(Failure::Invalid("certificate: the bundle is signed with a key, not a Fulcio certificate (use --key)".into()));
        }
        let root = crate::sign::keyless::trusted_root(args.trusted_root.as_deref(), args.staging)
            .map_err(Failure::Error)?;
        let subject = match &by_digest {
            Some(hex) => crate::sign::keyless::Subject::Sha256(hex.clone()),
            None => crate::sign::keyless::Subject::File(file),
        };
        let v = crate::sign::keyless::verify(subject, &bundle.json, id, iss, &root)
            .map_err(Failure::Invalid)?;
        if let BundleContent::Dsse(env) = &bundle.content
            && let Some(kind) = args.predicate
        {
            let payload = env.payload_bytes()?;
            crate::attest::check_predicate(&payload, kind, None).map_err(Failure::Invalid)?;
        }
        return Ok(Verified::Keyless {
            summary: format!(
                "keyless, {} via {}",
                v.identity.clone().unwrap_or_default(),
                v.issuer.clone().unwrap_or_default()
            ),
            keyless: v,
        });
    }
    let Some(key_path) = &args.key else {
        return Err(Failure::Error(
            "give --key PUB, or --certificate-identity and --certificate-oidc-issuer".into(),
        ));
    };
    let key = crate::sign::load_public(key_path)?;
    if bundle.keyless {
        return Err(Failure::Invalid("certificate: the bundle is keyless; verify it with --certificate-identity and --certificate-oidc-issuer".into()));
    }
    if by_digest.is_some() {
        return Err(Failure::Error(
            "a key-based bundle is verified against the file itself".into(),
        ));
    }
    if bundle.tlog_entries > 0 {
        // Signed with a key and logged (cosign sign-blob --key with a Rekor upload): the log
        // evidence is checked against the trusted root, then the signature.
        let root = crate::sign::keyless::trusted_root(args.trusted_root.as_deref(), args.staging)
            .map_err(Failure::Error)?;
        let pem = crate::fsio::read_to_string_capped(key_path, crate::sign::MAX_KEY_BYTES)
            .map_err(|e| Failure::Error(format!("`{}`: {e}", key_path.display())))?;
        let v = crate::sign::keyless::verify_with_key(file, &bundle.json, &pem, &root)
            .map_err(Failure::Invalid)?;
        return Ok(Verified::KeyLogged {
            summary: "key signature, transparency-log entry verified",
            log: v,
        });
    }
    let digest = crate::sign::sha256_file(file)?;
    match &bundle.content {
        BundleContent::Message {
            digest: named,
            signature,
        } => {
            crate::sign::verify_message(&key, &digest, named.as_deref(), signature)?;
        }
        BundleContent::Dsse(env) => {
            if env.payload_type != crate::sign::dsse::IN_TOTO {
                return Err(Failure::Invalid(format!(
                    "payload type: {:?} is not {}",
                    env.payload_type,
                    crate::sign::dsse::IN_TOTO
                )));
            }
            let payload = env.verify(&key)?;
            crate::attest::check_predicate(
                &payload,
                args.predicate.unwrap_or(crate::attest::PredicateKind::Any),
                Some(&digest),
            )
            .map_err(Failure::Invalid)?;
        }
    }
    Ok(Verified::Key {
        summary: "key signature, no transparency-log entry (none claimed)",
        sha256: hex::encode(digest),
        media_type: bundle.media_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verdict's JSON is the `detail` of `repro.verify/v1`: its field names are the contract.
    #[test]
    fn verdicts_serialize_as_the_documented_detail() {
        let key = Verified::Key {
            summary: "key signature, no transparency-log entry (none claimed)",
            sha256: "ab".into(),
            media_type: "application/vnd.dev.sigstore.bundle.v0.3+json".into(),
        };
        assert_eq!(
            serde_json::to_value(&key).unwrap(),
            serde_json::json!({
                "summary": "key signature, no transparency-log entry (none claimed)",
                "sha256": "ab",
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            })
        );
        let raw = Verified::RawSignature {
            summary: "raw signature, key",
            sha256: "cd".into(),
        };
        assert_eq!(
            serde_json::to_value(&raw).unwrap(),
            serde_json::json!({"summary": "raw signature, key", "sha256": "cd"})
        );
        assert_eq!(raw.summary(), "raw signature, key");
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_verdict() {
        let request = VerifyRequest {
            file: "/nonexistent/file".into(),
            ..VerifyRequest::default()
        };
        assert!(matches!(verify(&request), Err(Failure::Error(_))));
    }
}
