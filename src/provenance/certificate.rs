//! What a Fulcio signing certificate says about its signer: the Subject Alternative Name (a URI
//! for a CI workload, an e-mail address for a person or a service account) and the claims
//! Fulcio copies from the identity token into extensions under `1.3.6.1.4.1.57264.1`.
//!
//! Read with RustCrypto's `x509-cert` (already used by `sigstore-verify`). Only the claims a
//! Trusted Publisher is matched on are kept. From `.1.8` on, Fulcio encodes each value as a DER
//! UTF8String; the deprecated `.1.1` (issuer) holds the bare string. A certificate that carries
//! an extension twice, or a claim that does not decode, is refused: RFC 5280 allows each
//! extension once, and two readers could otherwise pick different values.
//!
//! See <https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md>.

use std::collections::BTreeMap;

use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::asn1::Utf8StringRef;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// The Fulcio claim arc, `1.3.6.1.4.1.57264.1`.
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1";

/// One Fulcio claim, by the last arc of its OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// `.1.1`, deprecated: the OIDC issuer as a bare string.
    IssuerV1 = 1,
    /// `.1.8`: the OIDC issuer.
    Issuer = 8,
    /// `.1.9`: Build Signer URI (the workflow that signed, with its ref).
    BuildSignerUri = 9,
    /// `.1.12`: Source Repository URI.
    SourceRepositoryUri = 12,
    /// `.1.13`: Source Repository Digest (the commit).
    SourceRepositoryDigest = 13,
    /// `.1.14`: Source Repository Ref.
    SourceRepositoryRef = 14,
    /// `.1.18`: Build Config URI (the workflow or CI file, with its ref).
    BuildConfigUri = 18,
    /// `.1.23`: Deployment Environment.
    DeploymentEnvironment = 23,
}

impl Claim {
    const ALL: [Claim; 8] = [
        Claim::IssuerV1,
        Claim::Issuer,
        Claim::BuildSignerUri,
        Claim::SourceRepositoryUri,
        Claim::SourceRepositoryDigest,
        Claim::SourceRepositoryRef,
        Claim::BuildConfigUri,
        Claim::DeploymentEnvironment,
    ];

    /// The claim's name, as Fulcio's OID list gives it.
    pub fn name(self) -> &'static str {
        match self {
            Claim::IssuerV1 => "Issuer (V1)",
            Claim::Issuer => "Issuer",
            Claim::BuildSignerUri => "Build Signer URI",
            Claim::SourceRepositoryUri => "Source Repository URI",
            Claim::SourceRepositoryDigest => "Source Repository Digest",
            Claim::SourceRepositoryRef => "Source Repository Ref",
            Claim::BuildConfigUri => "Build Config URI",
            Claim::DeploymentEnvironment => "Deployment Environment",
        }
    }

    /// The claim's OID, dotted.
    pub fn oid(self) -> String {
        format!("{FULCIO_ARC}.{}", self as u8)
    }
}

/// The certificate's identity (its first e-mail or URI Subject Alternative Name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A URI: a CI workload (`https://github.com/o/r/.github/workflows/w.yml@refs/tags/v1`).
    Uri(String),
    /// An e-mail address: a person, or a Google service account.
    Email(String),
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Uri(u) => f.write_str(u),
            Identity::Email(e) => f.write_str(e),
        }
    }
}

/// A Fulcio certificate, as far as publisher matching needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulcioCertificate {
    /// The identity, when the certificate has an e-mail or URI SAN.
    pub identity: Option<Identity>,
    claims: BTreeMap<Claim, String>,
}

impl FulcioCertificate {
    /// Parse a DER certificate.
    pub fn parse(der: &[u8]) -> Result<FulcioCertificate, String> {
        let cert =
            Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let mut seen = std::collections::BTreeSet::new();
        let mut identity = None;
        let mut claims = BTreeMap::new();
        let san_oid = ObjectIdentifier::new_unwrap("2.5.29.17");
        let wanted: BTreeMap<String, Claim> = Claim::ALL.iter().map(|c| (c.oid(), *c)).collect();
        for ext in cert.tbs_certificate.extensions.iter().flatten() {
            let oid = ext.extn_id;
            if !seen.insert(oid) {
                return Err(format!("the extension {oid} appears twice"));
            }
            let value = ext.extn_value.as_bytes();
            if oid == san_oid {
                let san = SubjectAltName::from_der(value)
                    .map_err(|e| format!("the Subject Alternative Name does not decode: {e}"))?;
                identity = san.0.iter().find_map(|name| match name {
                    GeneralName::UniformResourceIdentifier(u) => {
                        Some(Identity::Uri(u.as_str().to_string()))
                    }
                    GeneralName::Rfc822Name(e) => Some(Identity::Email(e.as_str().to_string())),
                    _ => None,
                });
                continue;
            }
            let Some(claim) = wanted.get(&oid.to_string()).copied() else {
                continue;
            };
            let text = if claim == Claim::IssuerV1 {
                std::str::from_utf8(value)
                    .map(str::to_string)
                    .map_err(|_| format!("the {} claim is not UTF-8", claim.name()))?
            } else {
                Utf8StringRef::from_der(value)
                    .map(|s| s.as_str().to_string())
                    .map_err(|e| {
                        format!("the {} claim is not a DER UTF8String: {e}", claim.name())
                    })?
            };
            claims.insert(claim, text);
        }
        Ok(FulcioCertificate { identity, claims })
    }

    /// A claim's value, when the certificate carries it.
    pub fn claim(&self, claim: Claim) -> Option<&str> {
        self.claims.get(&claim).map(String::as_str)
    }

    /// The OIDC issuer: `.1.8`, else the deprecated `.1.1`.
    pub fn issuer(&self) -> Option<&str> {
        self.claim(Claim::Issuer)
            .or_else(|| self.claim(Claim::IssuerV1))
    }
}

/// The DER of a PEM certificate among the test fixtures (`tests/fixtures/pep740/`).
#[cfg(test)]
pub(crate) fn pem(name: &str) -> Vec<u8> {
    use base64::Engine as _;
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pep740")
            .join(name),
    )
    .unwrap();
    let body = text
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .and_then(|b| b.split("-----END CERTIFICATE-----").next())
        .unwrap();
    let b64: String = body.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_claims_of_a_github_certificate() {
        let c =
            FulcioCertificate::parse(&pem("fulcio_github_actions_environment_cert.pem")).unwrap();
        assert_eq!(
            c.identity,
            Some(Identity::Uri(
                "https://github.com/pavelzw/skill-forge/.github/workflows/package.yml@refs/heads/main"
                    .into()
            ))
        );
        assert_eq!(
            c.issuer(),
            Some("https://token.actions.githubusercontent.com")
        );
        assert_eq!(
            c.claim(Claim::SourceRepositoryUri),
            Some("https://github.com/pavelzw/skill-forge")
        );
        assert_eq!(c.claim(Claim::SourceRepositoryRef), Some("refs/heads/main"));
        assert_eq!(c.claim(Claim::DeploymentEnvironment), Some("upload"));
    }

    #[test]
    fn reads_an_email_identity() {
        let c = FulcioCertificate::parse(&pem("200170367.pem")).unwrap();
        assert_eq!(
            c.identity,
            Some(Identity::Email(
                "919436158236-compute@developer.gserviceaccount.com".into()
            ))
        );
        assert_eq!(c.issuer(), Some("https://accounts.google.com"));
        assert_eq!(c.claim(Claim::SourceRepositoryUri), None);
    }

    #[test]
    fn refuses_what_is_not_a_certificate() {
        assert!(FulcioCertificate::parse(b"not DER").is_err());
    }
}
