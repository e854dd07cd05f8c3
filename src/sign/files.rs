//! Signing files: a Sigstore bundle v0.3 and a raw signature beside each file, a DSSE bundle
//! beside an in-toto statement; the one implementation `repro sign` and `repro release` share.

use std::path::{Path, PathBuf};

/// `FILE` + `suffix`, in `out_dir` or beside the file.
pub fn output_path(file: &Path, out_dir: Option<&Path>, suffix: &str) -> PathBuf {
    let name = format!(
        "{}{suffix}",
        file.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    );
    match out_dir {
        Some(d) => d.join(name),
        None => file.with_file_name(name),
    }
}

/// Write a public file (a signature, a bundle, a public key) atomically with mode 0644.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::fsio::write_atomic_beside(path, bytes).map_err(|e| e.to_string())?;
    // Signatures are public: readable by all, unlike the temp file's 0600.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Sign `file`: FILE.sigstore.json (bundle v0.3) and FILE.sig (base64 DER), in `out_dir` or
/// beside the file. Returns the two paths.
pub fn sign_file(
    key: &p256::ecdsa::SigningKey,
    file: &Path,
    out_dir: Option<&Path>,
) -> Result<[PathBuf; 2], String> {
    use base64::Engine as _;
    let digest = crate::sign::sha256_file(file).map_err(|e| e.to_string())?;
    let sig = crate::sign::sign_digest(key, &digest).map_err(|e| e.to_string())?;
    let bundle = crate::sign::message_bundle(key.verifying_key(), &digest, &sig);
    let b = output_path(file, out_dir, ".sigstore.json");
    write_file(&b, &serde_json::to_vec_pretty(&bundle).expect("serializes"))?;
    let s = output_path(file, out_dir, ".sig");
    let text = base64::engine::general_purpose::STANDARD.encode(sig.as_bytes());
    write_file(&s, format!("{text}\n").as_bytes())?;
    Ok([b, s])
}

/// Sign an in-toto statement as a DSSE envelope: STATEMENT.sigstore.json, in `out_dir` or
/// beside the statement.
pub fn sign_attestation(
    key: &p256::ecdsa::SigningKey,
    statement: &Path,
    out_dir: Option<&Path>,
) -> Result<PathBuf, String> {
    let payload = crate::fsio::read_capped(statement, crate::sign::MAX_STATEMENT_BYTES)
        .map_err(|e| format!("`{}`: {e}", statement.display()))?;
    crate::attest::check_statement(&payload)
        .map_err(|e| format!("{}: {e}", statement.display()))?;
    let env = crate::sign::dsse::sign(key, crate::sign::dsse::IN_TOTO, &payload)
        .map_err(|e| e.to_string())?;
    let bundle = serde_json::json!({
        "mediaType": crate::sign::BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": crate::sign::key_hint(key.verifying_key())}},
        "dsseEnvelope": env,
    });
    let out = output_path(statement, out_dir, ".sigstore.json");
    write_file(
        &out,
        &serde_json::to_vec_pretty(&bundle).expect("serializes"),
    )?;
    Ok(out)
}
