//! The commands a consumer of a release runs: the one command that verifies a whole release
//! folder, and the "am I affected?" queries against its SBOM.
//!
//! `repro release` renders VERIFY.md from these functions and `repro posture init` renders
//! SECURITY.md from them, so the two documents cannot give different commands; `repro posture
//! check` compares a SECURITY.md against them too. The file names are the ones `repro release`
//! writes.

use serde::Serialize;

use crate::model::Ecosystem;

/// The release's public key, in every key-signed release folder.
pub const RELEASE_KEY: &str = "release.pub";
/// The signed list of every file's SHA-256.
pub const SUMS: &str = "SHA256SUMS";
/// The release's CycloneDX SBOM.
pub const SBOM: &str = "sbom.cdx.json";
/// The build manifest.
pub const MANIFEST: &str = "repro-manifest.json";
/// The SLSA provenance statement (its DSSE bundle is `PROVENANCE.sigstore.json`).
pub const PROVENANCE: &str = "provenance.intoto.json";
/// The second machine's verification summary, as VERIFY.md tells it to write it.
pub const REPRODUCED: &str = "reproduced.intoto.json";
/// The suffix of a Sigstore bundle beside the file it signs.
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";
/// The suffix of a raw signature (base64 DER) beside the file it signs.
pub const SIG_SUFFIX: &str = ".sig";

/// Who signs a release folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer<'a> {
    /// The release key ([`RELEASE_KEY`] in the folder).
    Key,
    /// A keyless identity.
    Keyless {
        /// The certificate identity (SAN).
        identity: &'a str,
        /// The OIDC issuer.
        issuer: &'a str,
    },
}

/// The commands that verify a whole release folder: the signature of [`SUMS`], then every
/// file against it.
pub fn verify_folder(signer: Signer<'_>) -> Vec<String> {
    let first = match signer {
        Signer::Key => format!("repro verify {SUMS} --key {RELEASE_KEY}"),
        Signer::Keyless { identity, issuer } => format!(
            "repro verify {SUMS} --certificate-identity {identity} --certificate-oidc-issuer {issuer}"
        ),
    };
    vec![first, format!("sha256sum -c {SUMS}")]
}

/// The fingerprint of a release key: SHA-256 of its DER (SubjectPublicKeyInfo), hex.
pub fn key_fingerprint(key: &p256::ecdsa::VerifyingKey) -> String {
    use p256::pkcs8::EncodePublicKey as _;
    let der = key.to_public_key_der().expect("a P-256 key encodes");
    crate::digest::sha256(der.as_bytes()).hex()
}

/// The package an "am I affected?" example asks about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedExample {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// A package name (letters, digits, `.`, `_`, `-`: safe in a shell line).
    pub package: String,
    /// A version specifier (PEP 440 or semver), without quotes.
    pub spec: String,
}

impl Default for AffectedExample {
    fn default() -> Self {
        AffectedExample {
            ecosystem: Ecosystem::Pypi,
            package: "urllib3".into(),
            spec: "<2.5".into(),
        }
    }
}

/// The "am I affected?" commands against an SBOM: `repro sbom query` (exit 1 when a component
/// matches), and the same question for someone without repro.
pub fn affected(sbom: &str, example: &AffectedExample) -> Vec<String> {
    let AffectedExample {
        ecosystem,
        package,
        spec,
    } = example;
    vec![
        format!(
            "repro sbom query {sbom} {package} '{spec}'      # exit 1 when a component matches"
        ),
        format!(
            "grep -o '\"purl\": \"pkg:{}/{package}@[^\"]*\"' {sbom}",
            ecosystem.as_str()
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_ones_verify_md_always_gave() {
        assert_eq!(
            verify_folder(Signer::Key),
            [
                "repro verify SHA256SUMS --key release.pub",
                "sha256sum -c SHA256SUMS"
            ]
        );
        assert_eq!(
            affected(SBOM, &AffectedExample::default()),
            [
                "repro sbom query sbom.cdx.json urllib3 '<2.5'      # exit 1 when a component matches",
                "grep -o '\"purl\": \"pkg:pypi/urllib3@[^\"]*\"' sbom.cdx.json",
            ]
        );
    }
}
