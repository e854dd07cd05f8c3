//! Signing and offline verification: ECDSA P-256 keys (cosign's encrypted key format),
//! Sigstore bundles (v0.3 message signatures and DSSE envelopes) and raw signatures in the form
//! `cosign sign-blob --key` and `openssl dgst -sha256 -sign` produce; keyless (Fulcio
//! certificate) bundles are verified by [`keyless`] against shipped or given trusted roots.
//!
//! Every signature is ECDSA P-256 over SHA-256 of the signed bytes, encoded as ASN.1 DER. The
//! file is hashed once, streaming; the signature is made and checked over that digest
//! (`PrehashSigner`, `PrehashVerifier`), so a 100 MB artefact costs one hashing pass.

pub mod dsse;
pub mod files;
pub mod keyless;
pub mod verify;

use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Media type of the bundles `repro sign` writes.
pub const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// PEM label of cosign's encrypted private keys.
pub const ENCRYPTED_KEY_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";

/// Largest key file read (private or public). A PEM key is under a kilobyte; the cap makes
/// `--key /dev/zero` or a mistaken path fail at once instead of reading gigabytes.
pub const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Largest bundle read. A bundle holds a certificate chain, log entries and, for an
/// attestation, the base64 of its statement (at most [`MAX_STATEMENT_BYTES`]).
pub const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;

/// Largest in-toto statement signed or checked: provenance of a build with many outputs is a
/// few megabytes.
pub const MAX_STATEMENT_BYTES: u64 = 32 * 1024 * 1024;

/// Largest raw signature file read (DER or its base64: about a hundred bytes).
pub const MAX_SIGNATURE_BYTES: u64 = 64 * 1024;

/// Most memory an encrypted key's scrypt parameters may ask for (128 · N · r · p bytes). cosign
/// writes N = 32768, r = 8, p = 1 (32 MiB); a crafted key asking for gigabytes would exhaust
/// the machine before its passphrase is even checked.
pub const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;

/// Read a small file whole: a regular file of at most `cap` bytes (a FIFO or device is refused
/// unread).
fn read_file_capped(path: &Path, cap: u64) -> Result<Vec<u8>, SignError> {
    crate::fsio::read_capped(path, cap).map_err(io(path))
}

/// [`read_file_capped`] as UTF-8 text.
fn read_text_capped(path: &Path, cap: u64) -> Result<String, SignError> {
    crate::fsio::read_to_string_capped(path, cap).map_err(io(path))
}

/// The mode of a private key file that others than its owner may read, if it is one: the key
/// should be `chmod 600` (the caller warns).
pub fn key_readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let mode = std::fs::metadata(path).ok()?.mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// Why signing or verification failed; each variant names the check.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key file cannot be used.
    #[error("{0}")]
    Key(String),
    /// The passphrase does not open the key.
    #[error("wrong passphrase, or the encrypted key is damaged")]
    Passphrase,
    /// A bundle cannot be read.
    #[error("bundle: {0}")]
    Bundle(String),
    /// The artefact is not the one the bundle names.
    #[error("artifact digest: {0}")]
    Digest(String),
    /// The signature does not verify with the key.
    #[error("signature: {0}")]
    Signature(String),
    /// I/O on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SignError + '_ {
    move |source| SignError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// SHA-256 of a file, streaming.
pub fn sha256_file(path: &Path) -> Result<[u8; 32], SignError> {
    // A FIFO or a device is refused: it would block or never end.
    let mut f = crate::fsio::open_regular(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// A new random P-256 key.
pub fn generate_key() -> Result<SigningKey, SignError> {
    use p256::elliptic_curve::Generate as _;
    SigningKey::try_generate().map_err(|e| SignError::Key(format!("no system randomness: {e}")))
}

/// The public key as PKIX (SubjectPublicKeyInfo) PEM.
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .expect("a P-256 key encodes")
}

/// The `publicKey.hint` of a bundle: base64 of SHA-256 of the public key's DER.
pub fn key_hint(key: &VerifyingKey) -> String {
    let der = key.to_public_key_der().expect("a P-256 key encodes");
    B64.encode(Sha256::digest(der.as_bytes()))
}

/// Read a PKIX PEM public key (`-----BEGIN PUBLIC KEY-----`).
pub fn load_public(path: &Path) -> Result<VerifyingKey, SignError> {
    let text = read_text_capped(path, MAX_KEY_BYTES)?;
    VerifyingKey::from_public_key_pem(text.trim()).map_err(|e| {
        SignError::Key(format!(
            "{}: not a PEM P-256 public key (PKIX): {e}",
            path.display()
        ))
    })
}

// --- cosign's encrypted key format --------------------------------------------------------
//
// The PEM body is JSON: scrypt (N = 32768, r = 8, p = 1, 32-byte salt) derives a 32-byte key
// that opens a NaCl secretbox (XSalsa20-Poly1305, 24-byte nonce) holding the PKCS#8 DER of the
// private key; byte strings are standard base64. This is go-tuf's `encrypted` format, which
// cosign uses for `cosign.key`.

#[derive(Serialize, Deserialize)]
struct EncryptedKey {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct KdfParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// Check scrypt parameters before any work: N a power of two, p = 1 (as cosign writes), and
/// the memory they need within [`MAX_SCRYPT_MEMORY`].
fn check_scrypt(p: &KdfParams) -> Result<(), SignError> {
    if !p.n.is_power_of_two() || p.n < 2 || p.r == 0 || p.p != 1 {
        return Err(SignError::Key(format!(
            "unsupported scrypt parameters N={} r={} p={}",
            p.n, p.r, p.p
        )));
    }
    let memory = 128u128 * u128::from(p.n) * u128::from(p.r) * u128::from(p.p);
    if memory > u128::from(MAX_SCRYPT_MEMORY) {
        return Err(SignError::Key(format!(
            "scrypt parameters N={} r={} p={} need {} MiB, more than the {} MiB limit: refusing the key",
            p.n,
            p.r,
            p.p,
            memory >> 20,
            MAX_SCRYPT_MEMORY >> 20
        )));
    }
    Ok(())
}

fn scrypt_key(password: &[u8], salt: &[u8], p: &KdfParams) -> Result<[u8; 32], SignError> {
    check_scrypt(p)?;
    let params = scrypt::Params::new(p.n.trailing_zeros() as u8, p.r, p.p)
        .map_err(|e| SignError::Key(format!("scrypt parameters: {e}")))?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password, salt, &params, &mut key)
        .map_err(|e| SignError::Key(format!("scrypt: {e}")))?;
    Ok(key)
}

/// Encrypt a private key with a passphrase, as cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` PEM.
pub fn encrypt_private(key: &SigningKey, password: &[u8]) -> Result<String, SignError> {
    use crypto_secretbox::aead::Aead as _;
    use crypto_secretbox::{KeyInit as _, XSalsa20Poly1305};
    let der = key
        .to_pkcs8_der()
        .map_err(|e| SignError::Key(format!("cannot encode the key: {e}")))?;
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut salt)
        .and_then(|_| getrandom::fill(&mut nonce))
        .map_err(|e| SignError::Key(format!("no system randomness: {e}")))?;
    let params = KdfParams {
        n: 32768,
        r: 8,
        p: 1,
    };
    let k = scrypt_key(password, &salt, &params)?;
    let cipher = XSalsa20Poly1305::new(&k.into());
    let sealed = cipher
        .encrypt(&nonce.into(), der.as_bytes())
        .map_err(|_| SignError::Key("encryption failed".into()))?;
    let doc = EncryptedKey {
        kdf: Kdf {
            name: "scrypt".into(),
            params,
            salt: B64.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: B64.encode(nonce),
        },
        ciphertext: B64.encode(sealed),
    };
    let json = serde_json::to_vec(&doc).expect("serializes");
    Ok(pem_encode(ENCRYPTED_KEY_LABEL, &json))
}

fn pem_encode(label: &str, body: &[u8]) -> String {
    let b64 = B64.encode(body);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let begin = text.find("-----BEGIN ")?;
    let rest = &text[begin + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end = rest.find(&format!("-----END {label}-----"))?;
    let b64: String = rest[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    B64.decode(b64).ok().map(|b| (label, b))
}

/// Read a private key: cosign's encrypted PEM (`password` opens it), or an unencrypted PKCS#8
/// (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) PEM such as `openssl` writes.
pub fn load_private(
    path: &Path,
    password: impl FnOnce() -> Result<Vec<u8>, SignError>,
) -> Result<SigningKey, SignError> {
    use crypto_secretbox::aead::Aead as _;
    use crypto_secretbox::{KeyInit as _, XSalsa20Poly1305};
    let text = read_text_capped(path, MAX_KEY_BYTES)?;
    let bad = |what: &str| SignError::Key(format!("{}: {what}", path.display()));
    let (label, body) = pem_decode(&text).ok_or_else(|| bad("not a PEM private key"))?;
    match label.as_str() {
        ENCRYPTED_KEY_LABEL | "ENCRYPTED COSIGN PRIVATE KEY" => {
            let doc: EncryptedKey = serde_json::from_slice(&body)
                .map_err(|e| bad(&format!("not an encrypted key document: {e}")))?;
            if doc.kdf.name != "scrypt" || doc.cipher.name != "nacl/secretbox" {
                return Err(bad(&format!(
                    "unsupported encryption {} + {}",
                    doc.kdf.name, doc.cipher.name
                )));
            }
            // The parameters are checked before the passphrase is asked for.
            check_scrypt(&doc.kdf.params).map_err(|e| bad(&e.to_string()))?;
            let salt = B64.decode(&doc.kdf.salt).map_err(|_| bad("bad salt"))?;
            let nonce: [u8; 24] = B64
                .decode(&doc.cipher.nonce)
                .ok()
                .and_then(|n| n.try_into().ok())
                .ok_or_else(|| bad("bad nonce"))?;
            let sealed = B64
                .decode(&doc.ciphertext)
                .map_err(|_| bad("bad ciphertext"))?;
            let k = scrypt_key(&password()?, &salt, &doc.kdf.params)?;
            let der = XSalsa20Poly1305::new(&k.into())
                .decrypt(&nonce.into(), sealed.as_slice())
                .map_err(|_| SignError::Passphrase)?;
            SigningKey::from_pkcs8_der(&der)
                .map_err(|e| bad(&format!("not a P-256 PKCS#8 key: {e}")))
        }
        "PRIVATE KEY" => SigningKey::from_pkcs8_der(&body)
            .map_err(|e| bad(&format!("not a P-256 PKCS#8 key: {e}"))),
        "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(&body)
            .map(SigningKey::from)
            .map_err(|e| bad(&format!("not a P-256 SEC1 key: {e}"))),
        other => Err(bad(&format!("unsupported PEM block {other:?}"))),
    }
}

/// Sign a SHA-256 digest: DER-encoded ECDSA P-256.
pub fn sign_digest(key: &SigningKey, digest: &[u8; 32]) -> Result<DerSignature, SignError> {
    let sig: Signature = key
        .sign_prehash(digest)
        .map_err(|e| SignError::Signature(e.to_string()))?;
    Ok(sig.to_der())
}

/// Verify a DER (or raw 64-byte) signature over a SHA-256 digest.
pub fn verify_digest(key: &VerifyingKey, digest: &[u8; 32], sig: &[u8]) -> Result<(), SignError> {
    let sig = Signature::from_der(sig)
        .or_else(|_| Signature::from_slice(sig))
        .map_err(|_| SignError::Signature("not an ECDSA P-256 signature (DER)".into()))?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| SignError::Signature("does not verify with the given key".into()))
}

/// A v0.3 bundle for a message signature made with a key (no transparency-log entry).
pub fn message_bundle(
    key: &VerifyingKey,
    digest: &[u8; 32],
    sig: &DerSignature,
) -> serde_json::Value {
    serde_json::json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {
            "publicKey": {"hint": key_hint(key)},
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(digest)},
            "signature": B64.encode(sig.as_bytes()),
        }
    })
}

/// Read a raw signature file: base64 text (cosign) or DER bytes (openssl).
pub fn read_signature(path: &Path) -> Result<Vec<u8>, SignError> {
    let bytes = read_file_capped(path, MAX_SIGNATURE_BYTES)?;
    if let Ok(text) = std::str::from_utf8(&bytes) {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = B64.decode(&t) {
            return Ok(der);
        }
    }
    Ok(bytes)
}

/// What a bundle holds, as far as key-based verification needs.
pub enum BundleContent {
    /// A message signature: the digest it names and the signature.
    Message {
        /// SHA-256 the bundle names, when it names one.
        digest: Option<Vec<u8>>,
        /// DER signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope.
    Dsse(dsse::Envelope),
}

/// Parsed parts of a bundle.
pub struct Bundle {
    /// Media type.
    pub media_type: String,
    /// The signature content.
    pub content: BundleContent,
    /// Whether the bundle carries a Fulcio certificate (keyless) rather than a key hint.
    pub keyless: bool,
    /// Transparency-log entries it holds.
    pub tlog_entries: usize,
    /// The raw JSON.
    pub json: String,
}

/// Read a bundle (v0.1–v0.3).
pub fn read_bundle(path: &Path) -> Result<Bundle, SignError> {
    let json = read_text_capped(path, MAX_BUNDLE_BYTES)?;
    let v: serde_json::Value = serde_json::from_str(&json)
        .map_err(|e| SignError::Bundle(format!("{}: not JSON: {e}", path.display())))?;
    let media_type = v["mediaType"].as_str().unwrap_or("").to_string();
    if !media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return Err(SignError::Bundle(format!(
            "{}: not a Sigstore bundle (mediaType {media_type:?})",
            path.display()
        )));
    }
    let vm = &v["verificationMaterial"];
    let keyless = vm.get("certificate").is_some() || vm.get("x509CertificateChain").is_some();
    let tlog_entries = vm["tlogEntries"].as_array().map_or(0, Vec::len);
    let content = if let Some(ms) = v.get("messageSignature") {
        let digest = ms["messageDigest"]["digest"]
            .as_str()
            .map(|d| B64.decode(d))
            .transpose()
            .map_err(|_| SignError::Bundle("messageDigest is not base64".into()))?;
        let signature = B64
            .decode(ms["signature"].as_str().unwrap_or(""))
            .map_err(|_| SignError::Bundle("signature is not base64".into()))?;
        BundleContent::Message { digest, signature }
    } else if let Some(env) = v.get("dsseEnvelope") {
        BundleContent::Dsse(
            serde_json::from_value(env.clone())
                .map_err(|e| SignError::Bundle(format!("dsseEnvelope: {e}")))?,
        )
    } else {
        return Err(SignError::Bundle(
            "neither messageSignature nor dsseEnvelope".into(),
        ));
    };
    Ok(Bundle {
        media_type,
        content,
        keyless,
        tlog_entries,
        json,
    })
}

/// Verify a message-signature bundle made with a key: the digest it names is the file's, and
/// the signature over that digest verifies with `key`.
pub fn verify_message(
    key: &VerifyingKey,
    file_digest: &[u8; 32],
    digest: Option<&[u8]>,
    signature: &[u8],
) -> Result<(), SignError> {
    if let Some(d) = digest
        && d != file_digest
    {
        return Err(SignError::Digest(format!(
            "the bundle signs sha256:{}, the file is sha256:{}",
            hex::encode(d),
            hex::encode(file_digest)
        )));
    }
    verify_digest(key, file_digest, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrypt_memory_is_capped_before_any_work() {
        let params = |n: u64, r: u32| KdfParams { n, r, p: 1 };
        // cosign's own parameters, and exactly the cap.
        check_scrypt(&params(32768, 8)).unwrap();
        assert_eq!(128 * (1u64 << 18) * 8, MAX_SCRYPT_MEMORY);
        check_scrypt(&params(1 << 18, 8)).unwrap();
        // One step past the cap, and the 4 GiB a crafted key could ask for.
        for (n, r) in [(1u64 << 18, 9), (1 << 19, 8), (1 << 20, 32), (1 << 40, 8)] {
            let err = check_scrypt(&params(n, r)).unwrap_err().to_string();
            assert!(err.contains("more than the 256 MiB limit"), "{err}");
        }
    }

    #[test]
    fn sign_verify_and_tamper() {
        let key = generate_key().unwrap();
        let digest: [u8; 32] = Sha256::digest(b"hello").into();
        let sig = sign_digest(&key, &digest).unwrap();
        let vk = key.verifying_key();
        verify_digest(vk, &digest, sig.as_bytes()).unwrap();
        let other: [u8; 32] = Sha256::digest(b"hellO").into();
        assert!(verify_digest(vk, &other, sig.as_bytes()).is_err());
        let stranger = generate_key().unwrap();
        assert!(verify_digest(stranger.verifying_key(), &digest, sig.as_bytes()).is_err());
    }

    #[test]
    fn encrypted_key_round_trip_and_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_key().unwrap();
        let pem = encrypt_private(&key, b"correct horse").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let p = dir.path().join("k.key");
        std::fs::write(&p, &pem).unwrap();
        let back = load_private(&p, || Ok(b"correct horse".to_vec())).unwrap();
        assert_eq!(back.verifying_key(), key.verifying_key());
        assert!(matches!(
            load_private(&p, || Ok(b"wrong".to_vec())),
            Err(SignError::Passphrase)
        ));
    }
}
