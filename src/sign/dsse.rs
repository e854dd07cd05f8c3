//! DSSE envelopes (Dead Simple Signing Envelope, v1): the payload is signed through its
//! pre-authentication encoding, `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP
//! body`, with lengths in ASCII decimal. Signatures are ECDSA P-256 over SHA-256 of the PAE.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::SignError;

/// The in-toto payload type.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";

/// A DSSE envelope, as JSON carries it (`payload` and `sig` base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the payload.
    pub payload: String,
    /// Media type of the payload.
    pub payload_type: String,
    /// Signatures over the PAE.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One envelope signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Base64 of the DER signature.
    pub sig: String,
    /// Key id (the bundle's key hint), optional.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
}

/// The pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Sign `payload` into an envelope.
pub fn sign(key: &SigningKey, payload_type: &str, payload: &[u8]) -> Result<Envelope, SignError> {
    let digest: [u8; 32] = Sha256::digest(pae(payload_type, payload)).into();
    let sig = super::sign_digest(key, &digest)?;
    Ok(Envelope {
        payload: B64.encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![EnvelopeSignature {
            sig: B64.encode(sig.as_bytes()),
            keyid: super::key_hint(key.verifying_key()),
        }],
    })
}

impl Envelope {
    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, SignError> {
        B64.decode(&self.payload)
            .map_err(|_| SignError::Bundle("DSSE payload is not base64".into()))
    }

    /// Verify that at least one signature verifies with `key`; returns the payload.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Vec<u8>, SignError> {
        let payload = self.payload_bytes()?;
        let digest: [u8; 32] = Sha256::digest(pae(&self.payload_type, &payload)).into();
        if self.signatures.is_empty() {
            return Err(SignError::Signature("the envelope has no signature".into()));
        }
        let ok = self.signatures.iter().any(|s| {
            B64.decode(&s.sig)
                .is_ok_and(|der| super::verify_digest(key, &digest, &der).is_ok())
        });
        if ok {
            Ok(payload)
        } else {
            Err(SignError::Signature(
                "no envelope signature verifies with the given key".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn envelope_round_trip_and_tampering() {
        let key = crate::sign::generate_key().unwrap();
        let env = sign(&key, IN_TOTO, b"{\"a\":1}").unwrap();
        assert_eq!(env.verify(key.verifying_key()).unwrap(), b"{\"a\":1}");
        let mut changed = env.clone();
        changed.payload_type = "text/plain".into();
        assert!(changed.verify(key.verifying_key()).is_err());
        let mut changed = env.clone();
        changed.payload = B64.encode(b"{\"a\":2}");
        assert!(changed.verify(key.verifying_key()).is_err());
        let other = crate::sign::generate_key().unwrap();
        assert!(env.verify(other.verifying_key()).is_err());
    }
}
