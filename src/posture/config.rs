//! `posture.toml`: what a repository's SECURITY.md states, in one small reviewed file.
//!
//! ```toml
//! schema = 1                                  # this format's version
//! project = "repro"
//! repository = "https://github.com/opensecops/repro"   # optional
//! audit-policy = "audit-policy.toml"          # optional, relative to this file; the SLA table
//!                                             # comes from it (else repro audit's defaults)
//!
//! [reporting]
//! address = "security@opensecops.org"        # e-mail address or https URL, private
//! github-private-reporting = true             # optional: also GitHub's private reporting
//! acknowledge-business-days = 2               # optional
//!
//! [[supported]]                               # one row per version line, in order
//! versions = "latest release (0.x)"
//! supported = true
//! note = "fixes land here"                    # optional
//!
//! [[component]]                               # every component the posture covers
//! name = "repro"
//! s2c2f-level = 3                             # 1–3; 3 means the locally-runnable subset,
//! privileged = true                           # and only the privileged component claims it
//!
//! [signing]                                   # at least one identity
//! key-fingerprint = "…"                       # SHA-256 of the release key's DER, 64 hex digits
//! oidc-identity = "https://github.com/…/release.yml@refs/heads/main"   # keyless: both or
//! oidc-issuer = "https://token.actions.githubusercontent.com"          # neither
//!
//! [slsa]                                      # optional
//! build-level = 1                             # 0 or 1
//! l2-adjacent = ["signed-provenance", "independent-rebuild"]
//!
//! [affected-example]                          # optional: the package the "am I affected?"
//! ecosystem = "cargo"                         # example queries (default: PyPI urllib3 <2.5)
//! package = "rustls"
//! spec = "<0.23.18"
//!
//! [continuous-detection]                     # optional: the daily scan-only job
//! workflow = ".github/workflows/scan-only.yml"   # relative to the repository (this file's
//!                                             # directory); `posture check` verifies it
//!
//! [[out-of-scope]]                            # what is deliberately not claimed, and why
//! what = "Automated dependency updates"
//! why = "…"
//! controls = ["UPD-2"]                        # optional: S2C2F requirements it removes
//! ```
//!
//! Every text value is one line without control characters (it lands in Markdown: a newline
//! could start a heading of its own). Errors name the file and the line.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::PostureError;
use super::commands::AffectedExample;
use super::controls::{L2Adjacent, S2c2fRequirement};
use crate::model::Ecosystem;

/// The version of the `posture.toml` format this code reads.
pub const SCHEMA_VERSION: i64 = 1;

/// A validated posture.
#[derive(Debug, Clone, Serialize)]
pub struct Posture {
    /// The file it was read from.
    pub path: PathBuf,
    /// Project name.
    pub project: String,
    /// The repository's URL.
    pub repository: Option<String>,
    /// The audit policy, resolved against the posture file's directory.
    pub audit_policy: Option<PathBuf>,
    /// How to report.
    pub reporting: Reporting,
    /// Supported versions, in order.
    pub supported: Vec<Supported>,
    /// The components the posture covers.
    pub components: Vec<Component>,
    /// Who signs releases.
    pub signing: Signing,
    /// SLSA claims.
    pub slsa: Slsa,
    /// The package of the "am I affected?" example.
    pub affected_example: AffectedExample,
    /// What is deliberately not claimed.
    pub out_of_scope: Vec<OutOfScope>,
    /// The continuous-detection job, when one is claimed.
    pub continuous_detection: Option<ContinuousDetection>,
}

/// The continuous-detection claim: a scheduled scan-only job whose findings go to the security
/// team only. `repro posture check` verifies the workflow ([`super::detection`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContinuousDetection {
    /// The workflow file, relative to the repository, `/`-separated.
    pub workflow: String,
}

/// Why `path` cannot name a workflow inside a repository, if it cannot: it must be relative,
/// `/`-separated, without `.` or `..` components, and of letters, digits, `.`, `_`, `-` and
/// `/` only (it lands in Markdown and in shell examples).
pub fn workflow_path_problem(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("is empty");
    }
    if path.starts_with('/') {
        return Some("must be relative to the repository");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
    {
        return Some("may hold letters, digits, `.`, `_`, `-` and `/` only");
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Some("must stay inside the repository (no `..`, `.` or empty components)");
    }
    None
}

/// The private reporting channel.
#[derive(Debug, Clone, Serialize)]
pub struct Reporting {
    /// E-mail address or https URL.
    pub address: String,
    /// Whether GitHub's private vulnerability reporting is open too.
    pub github_private_reporting: bool,
    /// Business days to acknowledge a report.
    pub acknowledge_business_days: Option<u32>,
}

/// One supported-versions row.
#[derive(Debug, Clone, Serialize)]
pub struct Supported {
    /// The versions.
    pub versions: String,
    /// Whether they receive security fixes.
    pub supported: bool,
    /// A note.
    pub note: Option<String>,
}

/// A component of the posture.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// Its name (a release's `--name`).
    pub name: String,
    /// S2C2F maturity level claimed, 1–3.
    pub s2c2f_level: u8,
    /// Whether it is the privileged component (it runs with administrator rights where it is
    /// deployed): it alone claims the locally-runnable level-3 subset.
    pub privileged: bool,
}

/// Release signing identities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signing {
    /// SHA-256 (hex) of the release key's DER (SubjectPublicKeyInfo), as VERIFY.md prints it.
    pub key_fingerprint: Option<Fingerprint>,
    /// A keyless (Fulcio) identity.
    pub oidc: Option<OidcIdentity>,
}

/// A keyless signing identity: the certificate's SAN and the OIDC issuer, matched exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcIdentity {
    /// The identity (SAN: e-mail or URI).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
}

/// SLSA claims.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Slsa {
    /// Build level claimed: 0 or 1.
    pub build_level: u8,
    /// L2-adjacent controls claimed.
    pub l2_adjacent: BTreeSet<L2Adjacent>,
}

/// Something deliberately not claimed.
#[derive(Debug, Clone, Serialize)]
pub struct OutOfScope {
    /// What.
    pub what: String,
    /// Why.
    pub why: String,
    /// S2C2F requirements it takes out of the claim.
    pub controls: Vec<&'static str>,
}

/// A key fingerprint: SHA-256 of the public key's DER, 64 lower-case hex digits. Parses with or
/// without a `sha256:` prefix, any case; prints bare, as VERIFY.md does.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl std::str::FromStr for Fingerprint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "a key fingerprint is 64 hex digits (SHA-256 of the key's DER), got {} characters",
                hex.len()
            ));
        }
        Ok(Fingerprint(hex.to_ascii_lowercase()))
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Fingerprint {
    /// The fingerprint of a public key.
    pub fn of(key: &p256::ecdsa::VerifyingKey) -> Fingerprint {
        Fingerprint(super::commands::key_fingerprint(key))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    schema: Spanned<i64>,
    project: Spanned<String>,
    repository: Option<Spanned<String>>,
    audit_policy: Option<Spanned<String>>,
    reporting: RawReporting,
    #[serde(default)]
    supported: Vec<RawSupported>,
    #[serde(default)]
    component: Vec<RawComponent>,
    signing: RawSigning,
    #[serde(default)]
    slsa: Option<RawSlsa>,
    affected_example: Option<RawAffected>,
    #[serde(default)]
    out_of_scope: Vec<RawOutOfScope>,
    continuous_detection: Option<RawContinuousDetection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawContinuousDetection {
    workflow: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawReporting {
    address: Spanned<String>,
    #[serde(default)]
    github_private_reporting: bool,
    acknowledge_business_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSupported {
    versions: Spanned<String>,
    supported: bool,
    note: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawComponent {
    name: Spanned<String>,
    s2c2f_level: Spanned<i64>,
    privileged: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSigning {
    key_fingerprint: Option<Spanned<String>>,
    oidc_identity: Option<Spanned<String>>,
    oidc_issuer: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSlsa {
    build_level: Spanned<i64>,
    #[serde(default)]
    l2_adjacent: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAffected {
    ecosystem: Spanned<String>,
    package: Spanned<String>,
    spec: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOutOfScope {
    what: Spanned<String>,
    why: Spanned<String>,
    #[serde(default)]
    controls: Vec<Spanned<String>>,
}

impl Posture {
    /// Read and validate a posture file (a regular file of at most
    /// [`super::MAX_POSTURE_BYTES`]).
    pub fn load(path: &Path) -> Result<Posture, PostureError> {
        let text = crate::fsio::read_to_string_capped(path, super::MAX_POSTURE_BYTES)
            .map_err(|e| PostureError::file(path, format!("cannot read the posture file: {e}")))?;
        Posture::parse(path, &text)
    }

    /// Parse and validate posture TOML; `path` names it in errors and anchors `audit-policy`.
    pub fn parse(path: &Path, text: &str) -> Result<Posture, PostureError> {
        let lines = crate::model::LineIndex::new(text);
        let at = |span: std::ops::Range<usize>, message: String| PostureError::At {
            path: path.to_path_buf(),
            line: lines.line(span.start),
            message,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| PostureError::At {
            path: path.to_path_buf(),
            line: e.span().map_or(0, |s| lines.line(s.start)),
            message: e.message().trim().to_string(),
        })?;
        let one_line = |s: &Spanned<String>, what: &str| -> Result<String, PostureError> {
            let v = s.get_ref().trim();
            if v.is_empty() {
                return Err(at(s.span(), format!("`{what}` is empty")));
            }
            if v.chars().any(char::is_control) {
                return Err(at(
                    s.span(),
                    format!("`{what}` must be one line without control characters"),
                ));
            }
            Ok(v.to_string())
        };
        if *raw.schema.get_ref() != SCHEMA_VERSION {
            return Err(at(
                raw.schema.span(),
                format!(
                    "`schema` is {}, this repro reads posture schema {SCHEMA_VERSION}",
                    raw.schema.get_ref()
                ),
            ));
        }
        let project = one_line(&raw.project, "project")?;
        let repository = raw
            .repository
            .as_ref()
            .map(|r| {
                let v = one_line(r, "repository")?;
                if !v.starts_with("https://") || v.contains(char::is_whitespace) {
                    return Err(at(r.span(), "`repository` must be an https URL".into()));
                }
                Ok(v)
            })
            .transpose()?;
        let audit_policy = raw
            .audit_policy
            .as_ref()
            .map(|p| one_line(p, "audit-policy").map(|v| crate::fsio::dir_of(path).join(v)))
            .transpose()?;

        let address = one_line(&raw.reporting.address, "reporting.address")?;
        let email = address.contains('@') && !address.contains("://");
        if address.contains(char::is_whitespace) || !(email || address.starts_with("https://")) {
            return Err(at(
                raw.reporting.address.span(),
                "`reporting.address` must be an e-mail address or an https URL".into(),
            ));
        }
        let acknowledge_business_days = raw
            .reporting
            .acknowledge_business_days
            .as_ref()
            .map(|d| match u32::try_from(*d.get_ref()) {
                Ok(n) if (1..=crate::audit::policy::MAX_POLICY_DAYS).contains(&n) => Ok(n),
                _ => Err(at(
                    d.span(),
                    format!(
                        "`reporting.acknowledge-business-days` must be between 1 and {}",
                        crate::audit::policy::MAX_POLICY_DAYS
                    ),
                )),
            })
            .transpose()?;

        if raw.supported.is_empty() {
            return Err(PostureError::file(
                path,
                "no `[[supported]]` entry: say which versions receive security fixes",
            ));
        }
        let supported = raw
            .supported
            .iter()
            .map(|s| {
                Ok(Supported {
                    versions: one_line(&s.versions, "supported.versions")?,
                    supported: s.supported,
                    note: s
                        .note
                        .as_ref()
                        .map(|n| one_line(n, "supported.note"))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>, PostureError>>()?;

        if raw.component.is_empty() {
            return Err(PostureError::file(
                path,
                "no `[[component]]`: name the components the posture covers",
            ));
        }
        let mut names = HashSet::new();
        let mut privileged_seen = false;
        let mut components = Vec::new();
        for c in &raw.component {
            let name = one_line(&c.name, "component.name")?;
            if !names.insert(name.clone()) {
                return Err(at(
                    c.name.span(),
                    format!("component `{name}` is listed twice"),
                ));
            }
            let level = match u8::try_from(*c.s2c2f_level.get_ref()) {
                Ok(n @ 1..=3) => n,
                _ => {
                    return Err(at(
                        c.s2c2f_level.span(),
                        format!(
                            "`s2c2f-level` of `{name}` must be 1, 2 or 3 (level 4 cannot be run \
                             by one project)"
                        ),
                    ));
                }
            };
            let privileged = c.privileged.as_ref().is_some_and(|p| *p.get_ref());
            if let Some(p) = c.privileged.as_ref().filter(|_| privileged) {
                if privileged_seen {
                    return Err(at(
                        p.span(),
                        format!("`{name}` is the second privileged component; at most one is"),
                    ));
                }
                privileged_seen = true;
            }
            if level == 3 && !privileged {
                return Err(at(
                    c.s2c2f_level.span(),
                    format!(
                        "component `{name}` claims S2C2F level 3; only the privileged component \
                         claims the locally-runnable level-3 subset"
                    ),
                ));
            }
            components.push(Component {
                name,
                s2c2f_level: level,
                privileged,
            });
        }

        let key_fingerprint = raw
            .signing
            .key_fingerprint
            .as_ref()
            .map(|f| {
                f.get_ref()
                    .trim()
                    .parse::<Fingerprint>()
                    .map_err(|e| at(f.span(), format!("`signing.key-fingerprint`: {e}")))
            })
            .transpose()?;
        let oidc = match (&raw.signing.oidc_identity, &raw.signing.oidc_issuer) {
            (Some(id), Some(iss)) => {
                let identity = one_line(id, "signing.oidc-identity")?;
                let issuer = one_line(iss, "signing.oidc-issuer")?;
                for (v, s, what) in [
                    (&identity, id, "oidc-identity"),
                    (&issuer, iss, "oidc-issuer"),
                ] {
                    if v.contains(char::is_whitespace) || v.contains('\'') || v.contains('`') {
                        return Err(at(
                            s.span(),
                            format!("`signing.{what}` must not contain spaces or quotes"),
                        ));
                    }
                }
                Some(OidcIdentity { identity, issuer })
            }
            (None, None) => None,
            (Some(s), None) | (None, Some(s)) => {
                return Err(at(
                    s.span(),
                    "`signing.oidc-identity` and `signing.oidc-issuer` go together".into(),
                ));
            }
        };
        if key_fingerprint.is_none() && oidc.is_none() {
            return Err(PostureError::file(
                path,
                "`[signing]` names no identity: give `key-fingerprint`, or `oidc-identity` and \
                 `oidc-issuer`",
            ));
        }

        let slsa = match &raw.slsa {
            None => Slsa::default(),
            Some(s) => {
                let build_level = match *s.build_level.get_ref() {
                    0 => 0,
                    1 => 1,
                    n => {
                        return Err(at(
                            s.build_level.span(),
                            format!(
                                "`slsa.build-level` is {n}: level 2 and above need a hosted build \
                                 platform, which `repro release` is not; claim 1 and list the \
                                 L2-adjacent controls"
                            ),
                        ));
                    }
                };
                let mut l2_adjacent = BTreeSet::new();
                for c in &s.l2_adjacent {
                    let known = L2Adjacent::from_id(c.get_ref()).ok_or_else(|| {
                        at(
                            c.span(),
                            format!(
                                "unknown L2-adjacent control; known: {}",
                                L2Adjacent::ALL.map(|c| c.id()).join(", ")
                            ),
                        )
                    })?;
                    l2_adjacent.insert(known);
                }
                Slsa {
                    build_level,
                    l2_adjacent,
                }
            }
        };

        let affected_example = match &raw.affected_example {
            None => AffectedExample::default(),
            Some(a) => {
                let ecosystem = Ecosystem::from_name(a.ecosystem.get_ref()).ok_or_else(|| {
                    at(
                        a.ecosystem.span(),
                        "`affected-example.ecosystem` is `pypi` or `cargo`".into(),
                    )
                })?;
                let package = one_line(&a.package, "affected-example.package")?;
                if !package
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                {
                    return Err(at(
                        a.package.span(),
                        "`affected-example.package` is a package name (letters, digits, `.`, `_`, `-`)"
                            .into(),
                    ));
                }
                let spec = one_line(&a.spec, "affected-example.spec")?;
                if spec.contains('\'') || spec.contains('`') {
                    return Err(at(
                        a.spec.span(),
                        "`affected-example.spec` must not contain quotes".into(),
                    ));
                }
                AffectedExample {
                    ecosystem,
                    package,
                    spec,
                }
            }
        };

        let max_level = components.iter().map(|c| c.s2c2f_level).max().unwrap_or(0);
        let mut out_of_scope = Vec::new();
        for o in &raw.out_of_scope {
            let mut controls = Vec::new();
            for c in &o.controls {
                let r: &'static S2c2fRequirement = super::controls::s2c2f(c.get_ref().trim())
                    .ok_or_else(|| at(c.span(), "not an S2C2F requirement id".into()))?;
                if !super::controls::s2c2f_claimed_by(max_level).any(|x| x.id == r.id) {
                    return Err(at(
                        c.span(),
                        format!(
                            "`{}` is not claimed by any component's level: nothing to take out \
                             of scope",
                            r.id
                        ),
                    ));
                }
                controls.push(r.id);
            }
            out_of_scope.push(OutOfScope {
                what: one_line(&o.what, "out-of-scope.what")?,
                why: one_line(&o.why, "out-of-scope.why")?,
                controls,
            });
        }

        let continuous_detection = raw
            .continuous_detection
            .as_ref()
            .map(|c| {
                let workflow = one_line(&c.workflow, "continuous-detection.workflow")?;
                match workflow_path_problem(&workflow) {
                    Some(why) => Err(at(
                        c.workflow.span(),
                        format!("`continuous-detection.workflow` {why}"),
                    )),
                    None => Ok(ContinuousDetection { workflow }),
                }
            })
            .transpose()?;

        Ok(Posture {
            path: path.to_path_buf(),
            project,
            repository,
            audit_policy,
            reporting: Reporting {
                address,
                github_private_reporting: raw.reporting.github_private_reporting,
                acknowledge_business_days,
            },
            supported,
            components,
            signing: Signing {
                key_fingerprint,
                oidc,
            },
            slsa,
            affected_example,
            out_of_scope,
            continuous_detection,
        })
    }

    /// The privileged component, if any.
    pub fn privileged(&self) -> Option<&Component> {
        self.components.iter().find(|c| c.privileged)
    }

    /// The component named `name`.
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
schema = 1
project = "demo"
[reporting]
address = "security@example.org"
[[supported]]
versions = "1.x"
supported = true
[[component]]
name = "demo"
s2c2f-level = 3
privileged = true
[[component]]
name = "helper"
s2c2f-level = 2
[signing]
key-fingerprint = "sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
[slsa]
build-level = 1
l2-adjacent = ["independent-rebuild"]
[[out-of-scope]]
what = "Automated updates"
why = "no bot"
controls = ["UPD-2"]
"#;

    fn parse(text: &str) -> Result<Posture, PostureError> {
        Posture::parse(Path::new("posture.toml"), text)
    }

    #[test]
    fn parses_a_full_posture() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.components.len(), 2);
        assert_eq!(p.privileged().unwrap().name, "demo");
        assert_eq!(
            p.signing.key_fingerprint.as_ref().unwrap().to_string(),
            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
        );
        assert_eq!(p.out_of_scope[0].controls, ["UPD-2"]);
        assert!(p.slsa.l2_adjacent.contains(&L2Adjacent::IndependentRebuild));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                GOOD.replace("s2c2f-level = 2", "s2c2f-level = 3"),
                "only the privileged component",
            ),
            (
                GOOD.replace("name = \"helper\"", "name = \"demo\""),
                "listed twice",
            ),
            (
                GOOD.replace("s2c2f-level = 2", "s2c2f-level = 2\nprivileged = true"),
                "second privileged",
            ),
            (
                GOOD.replace("sha256:ABCDEF", "sha256:ABCDE"),
                "64 hex digits",
            ),
            (
                GOOD.replace("\"UPD-2\"", "\"UPD-9\""),
                "not an S2C2F requirement id",
            ),
            (
                GOOD.replace("\"UPD-2\"", "\"REB-1\""),
                "not claimed by any component",
            ),
            (GOOD.replace("build-level = 1", "build-level = 2"), "hosted"),
            (
                GOOD.replace("\"independent-rebuild\"", "\"hosted\""),
                "unknown L2-adjacent",
            ),
            (
                GOOD.replace("security@example.org", "call us"),
                "e-mail address or an https URL",
            ),
            (GOOD.replace("schema = 1", "schema = 2"), "schema 1"),
            (
                GOOD.replace("[signing]", "[signing]\noidc-identity = \"x\""),
                "go together",
            ),
            (
                format!("{GOOD}[continuous-detection]\nworkflow = \"../scan.yml\"\n"),
                "inside the repository",
            ),
            (
                format!("{GOOD}[continuous-detection]\nworkflow = \"/etc/scan.yml\"\n"),
                "relative",
            ),
            (
                format!("{GOOD}[continuous-detection]\nworkflow = \"a b.yml\"\n"),
                "letters, digits",
            ),
            (
                format!(
                    "{GOOD}[continuous-detection]\nworkflow = \"s.yml\"\nschedule = \"daily\"\n"
                ),
                "unknown field",
            ),
        ];
        for (text, want) in cases {
            let e = parse(&text).unwrap_err();
            let PostureError::At { line, message, .. } = &e else {
                panic!("{want}: no line in {e}");
            };
            assert!(*line > 0, "{want}: {e}");
            assert!(message.contains(want), "{want}: {e}");
            assert!(e.to_string().starts_with("posture.toml:"), "{e}");
        }
        let e = parse(&GOOD.replace("key-fingerprint", "# key-fingerprint")).unwrap_err();
        assert!(e.to_string().contains("names no identity"), "{e}");
        let e =
            parse(&GOOD.replace("project = \"demo\"", "project = \"demo\\n# Evil\"")).unwrap_err();
        assert!(e.to_string().contains("one line"), "{e}");
    }

    #[test]
    fn continuous_detection_is_optional_and_names_a_workflow() {
        assert_eq!(parse(GOOD).unwrap().continuous_detection, None);
        let p = parse(&format!(
            "{GOOD}[continuous-detection]\nworkflow = \".github/workflows/scan-only.yml\"\n"
        ))
        .unwrap();
        assert_eq!(
            p.continuous_detection.unwrap().workflow,
            ".github/workflows/scan-only.yml"
        );
        let e = parse(&format!("{GOOD}[continuous-detection]\n")).unwrap_err();
        assert!(e.to_string().contains("missing field `workflow`"), "{e}");
    }

    #[test]
    fn posture_files_are_read_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("posture.toml");
        let mut text = GOOD.to_string();
        text.push_str(&"#".repeat(super::super::MAX_POSTURE_BYTES as usize - GOOD.len()));
        std::fs::write(&p, &text).unwrap();
        Posture::load(&p).unwrap();
        text.push('#');
        std::fs::write(&p, &text).unwrap();
        let e = Posture::load(&p).unwrap_err().to_string();
        assert!(e.contains("larger than the limit"), "{e}");
    }
}
