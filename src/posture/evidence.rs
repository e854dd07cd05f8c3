//! `repro posture evidence RELEASE_DIR`: the controls table a reviewer asks for, each row
//! verified from the bytes of a release folder (and of the inputs given beside it), never
//! asserted.
//!
//! | row | verified | S2C2F | SLSA |
//! |---|---|---|---|
//! | `locks` | the manifest's lockfiles (from `--repo`) have the digests it records and are hermetic; every resolved artifact is one the locks allow | ING-1, AUD-2, AUD-3, ENF-1 | |
//! | `offline-build` | the manifest records an offline build from the store, every artifact pinned by SHA-256 and BLAKE3 | ING-2 | |
//! | `artefacts` | each artefact's bundle and raw signature verify with the published key; each output is the file the manifest records | | |
//! | `sha256sums` | SHA256SUMS is signed, lists every artefact with the digest its signature signs, and every other listed file matches | | |
//! | `sbom` | present, a valid CycloneDX document (typed checks), listing exactly the manifest's resolved set | INV-1 | |
//! | `licences` | every SBOM component carries a licence | SCA-2 | |
//! | `provenance` | the DSSE bundle verifies; SLSA provenance v1 naming exactly the manifest's outputs and resolved dependencies | | L1; signed provenance |
//! | `second-machine` | a PASSED verification summary of this manifest, signed by another key than the release's | | independent rebuild |
//! | `audit` | the last private audit ran within the age limit, with no overdue finding (counts only) | SCA-1, UPD-1, SCA-4, ING-3 | |
//! | `malware-feed` | the malicious-package feed's newest record is within the age limit | SCA-4, ING-3 | |
//! | `dependency-provenance` | the provenance report of this release's direct dependencies: coverage, no failure | AUD-1 | |
//! | `security-policy` | SECURITY.md (from `--repo`) passes `repro posture check` against this release | INV-2 | |
//!
//! Each row is `pass`, `fail` (the evidence contradicts the claim: a signature that does not
//! verify, an overdue finding) or `not-evidenced` (the evidence is missing, too old, or covers
//! nothing). A row judges its own bytes once: a changed artefact fails `artefacts`, not every
//! row that mentions it; a SHA256SUMS that does not verify is not used to judge artefacts.
//! The command fails when any row fails, or when a control the component claims
//! ([`super::controls::claimed`]) has no passing row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::commands::{self, BUNDLE_SUFFIX, SIG_SUFFIX};
use super::config::{Component, Fingerprint};
use super::controls::{self, CISA, Control, L2Adjacent, SlsaRequirement};
use super::{Posture, PostureError};
use crate::manifest::Manifest;
use crate::sbom::cyclonedx::Document;
use crate::sign::{self, BundleContent};

/// Schema of the JSON report.
pub const EVIDENCE_SCHEMA: &str = "repro.posture-evidence/v1";

/// Largest SHA256SUMS read: a line per file, a release of 100,000 files is under 10 MiB.
pub const MAX_SUMS_BYTES: u64 = 16 * 1024 * 1024;

/// Largest private audit report read (text or JSON): its findings, thousands at most, are a
/// few megabytes.
pub const MAX_AUDIT_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Largest dependency provenance report read.
pub const MAX_PROVENANCE_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Largest SBOM read, as `repro sbom query` reads them.
pub const MAX_SBOM_BYTES: u64 = 256 * 1024 * 1024;

/// The default age limit of the last private audit, in days.
pub const DEFAULT_MAX_AUDIT_AGE_DAYS: u32 = 7;

/// The default age limit of the malware feed's newest record, in days: the OSSF feed gains
/// records every day, so a newest record two days old means the copy stopped updating.
pub const DEFAULT_MAX_FEED_AGE_DAYS: u32 = 2;

/// A row of the controls table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowId {
    /// The lockfiles are hermetic.
    Locks,
    /// The build ran offline from the store.
    OfflineBuild,
    /// Every artefact's signature.
    Artefacts,
    /// SHA256SUMS.
    Sha256sums,
    /// The SBOM.
    Sbom,
    /// Licences in the SBOM.
    Licences,
    /// SLSA provenance.
    Provenance,
    /// The second machine's verification summary.
    SecondMachine,
    /// The last private audit.
    Audit,
    /// The malware feed's age.
    MalwareFeed,
    /// Direct-dependency provenance coverage.
    DependencyProvenance,
    /// SECURITY.md.
    SecurityPolicy,
}

impl RowId {
    /// Every row, in table order.
    pub const ALL: [RowId; 12] = [
        RowId::Locks,
        RowId::OfflineBuild,
        RowId::Artefacts,
        RowId::Sha256sums,
        RowId::Sbom,
        RowId::Licences,
        RowId::Provenance,
        RowId::SecondMachine,
        RowId::Audit,
        RowId::MalwareFeed,
        RowId::DependencyProvenance,
        RowId::SecurityPolicy,
    ];

    /// What the row shows.
    pub fn title(self) -> &'static str {
        match self {
            RowId::Locks => "Locks hermetic",
            RowId::OfflineBuild => "Offline build from the artifact store",
            RowId::Artefacts => "Every artefact's signature",
            RowId::Sha256sums => "SHA256SUMS",
            RowId::Sbom => "SBOM lists the resolved set",
            RowId::Licences => "Licences known",
            RowId::Provenance => "SLSA provenance",
            RowId::SecondMachine => "Second machine reproduced it",
            RowId::Audit => "Last private audit",
            RowId::MalwareFeed => "Malware feed fresh",
            RowId::DependencyProvenance => "Direct-dependency provenance",
            RowId::SecurityPolicy => "SECURITY.md",
        }
    }

    /// The controls the row evidences.
    pub fn controls(self) -> Vec<Control> {
        let s = |ids: &[&'static str]| ids.iter().map(|i| Control::S2c2f(i)).collect::<Vec<_>>();
        match self {
            RowId::Locks => s(&["ING-1", "AUD-2", "AUD-3", "ENF-1"]),
            RowId::OfflineBuild => s(&["ING-2"]),
            RowId::Artefacts | RowId::Sha256sums => Vec::new(),
            RowId::Sbom => s(&["INV-1"]),
            RowId::Licences => s(&["SCA-2"]),
            RowId::Provenance => SlsaRequirement::ALL
                .into_iter()
                .map(Control::Slsa)
                .chain([Control::L2Adjacent(L2Adjacent::SignedProvenance)])
                .collect(),
            RowId::SecondMachine => vec![Control::L2Adjacent(L2Adjacent::IndependentRebuild)],
            // The audit gate is the deny list (ING-3) and, with the malicious-package feed, the
            // malware scan (SCA-4): both rows must pass for either.
            RowId::Audit => s(&["SCA-1", "UPD-1", "SCA-4", "ING-3"]),
            RowId::MalwareFeed => s(&["SCA-4", "ING-3"]),
            RowId::DependencyProvenance => s(&["AUD-1"]),
            RowId::SecurityPolicy => s(&["INV-2"]),
        }
    }

    /// The CISA attestation-form practices (section III) the row's artefacts evidence.
    pub fn cisa(self) -> &'static [u8] {
        match self {
            RowId::Locks => &[2],
            RowId::OfflineBuild => &[1, 2],
            RowId::Artefacts | RowId::Sha256sums | RowId::Sbom => &[3],
            RowId::Licences => &[2],
            RowId::Provenance => &[3],
            RowId::SecondMachine => &[1],
            RowId::Audit => &[2, 4],
            RowId::MalwareFeed => &[2, 4],
            RowId::DependencyProvenance => &[3],
            RowId::SecurityPolicy => &[4],
        }
    }
}

/// A row's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Verified.
    Pass,
    /// The evidence contradicts the claim.
    Fail,
    /// The evidence is missing, too old, or covers nothing.
    NotEvidenced,
}

impl Status {
    /// As the table prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotEvidenced => "not evidenced",
        }
    }
}

/// One row of the controls table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Which row.
    pub id: RowId,
    /// Its title.
    pub title: &'static str,
    /// The verdict.
    pub status: Status,
    /// What was verified, or why it could not be.
    pub evidence: String,
    /// Each problem found.
    pub problems: Vec<String>,
    /// S2C2F requirement ids.
    pub s2c2f: Vec<&'static str>,
    /// SLSA requirements and L2-adjacent controls.
    pub slsa: Vec<&'static str>,
}

/// A control's verdict over its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    /// Every row that evidences it passed.
    Evidenced,
    /// A row that evidences it failed.
    Contradicted,
    /// No row passed for it (or none exists).
    NotEvidenced,
}

/// One control of the frameworks, claimed or evidenced.
#[derive(Debug, Clone, Serialize)]
pub struct ControlVerdict {
    /// The control.
    #[serde(flatten)]
    pub control: Control,
    /// Its title.
    pub title: &'static str,
    /// Whether the component claims it.
    pub claimed: bool,
    /// The verdict.
    pub status: ControlStatus,
    /// The rows that evidence it.
    pub rows: Vec<RowId>,
}

/// One practice of the CISA attestation form.
#[derive(Debug, Clone, Serialize)]
pub struct CisaEvidence {
    /// 1–4.
    pub practice: u8,
    /// The practice.
    pub title: &'static str,
    /// The artefacts that evidence it.
    pub artefacts: Vec<&'static str>,
    /// The rows.
    pub rows: Vec<RowId>,
    /// Every row passed, some did, or none.
    pub status: &'static str,
    /// What no artefact can show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// The result of `repro posture evidence`.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceReport {
    /// [`EVIDENCE_SCHEMA`].
    pub schema: &'static str,
    /// The release folder.
    pub release: PathBuf,
    /// The release's name and version (from its SBOM), when readable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The component of `posture.toml` the release is of.
    pub component: String,
    /// Whether it is the privileged component.
    pub privileged: bool,
    /// The day the evidence was checked (YYYY-MM-DD).
    pub checked_on: String,
    /// The repro version that checked it.
    pub tool_version: &'static str,
    /// The controls table.
    pub rows: Vec<Row>,
    /// Every control claimed or evidenced.
    pub controls: Vec<ControlVerdict>,
    /// The CISA attestation-form practices.
    pub cisa: Vec<CisaEvidence>,
    /// No row failed and every claimed control is evidenced.
    pub passed: bool,
}

/// What `repro posture evidence` is asked.
#[derive(Debug, Clone)]
pub struct EvidenceRequest {
    /// The release folder.
    pub release: PathBuf,
    /// The posture file.
    pub posture: PathBuf,
    /// The component the release is of (default: the only one, or the SBOM's name).
    pub component: Option<String>,
    /// The source tree the release was built from (lockfiles, SECURITY.md).
    pub repo: Option<PathBuf>,
    /// An audit policy instead of the one `posture.toml` names (for `security-policy`).
    pub policy: Option<PathBuf>,
    /// The second machine's verification summary bundle (default:
    /// `RELEASE_DIR/reproduced.intoto.json.sigstore.json`).
    pub vsa: Option<PathBuf>,
    /// The second machine's public key.
    pub vsa_key: Option<PathBuf>,
    /// The last private audit report (text or JSON).
    pub audit_report: Option<PathBuf>,
    /// Age limit of the audit, days.
    pub max_audit_age_days: u32,
    /// Malware feeds (OSV directories or zips).
    pub malware_feeds: Vec<PathBuf>,
    /// Age limit of the feed's newest record, days.
    pub max_feed_age_days: u32,
    /// A `repro provenance --json` report of the release's direct dependencies.
    pub provenance_report: Option<PathBuf>,
    /// Today, days since 1970-01-01.
    pub now_days: i64,
}

/// How artefacts are verified: the published key, or the published keyless identity.
enum Verifier {
    Key(p256::ecdsa::VerifyingKey, Fingerprint),
    Keyless {
        identity: String,
        issuer: String,
        root: Box<sigstore_verify::trust_root::TrustedRoot>,
    },
}

/// An artefact of the release: a file its signature and SHA256SUMS must cover.
struct Artefact {
    rel: String,
    /// SHA-256 the manifest records (outputs).
    recorded: Option<String>,
}

struct Ctx<'a> {
    req: &'a EvidenceRequest,
    dir: &'a Path,
    verifier: Result<Verifier, (Status, String)>,
    release_key: Option<Fingerprint>,
    manifest: Result<Manifest, String>,
    manifest_sha256: Option<String>,
    sbom: Result<Document, String>,
    artefacts: Vec<Artefact>,
}

/// Gather the evidence. Errors (exit 2): the posture file, the component, the folder.
pub fn evidence(req: &EvidenceRequest) -> Result<EvidenceReport, PostureError> {
    let posture = Posture::load(&req.posture)?;
    let dir = req.release.as_path();
    if !dir.is_dir() {
        return Err(PostureError::file(
            dir,
            "is not a release folder (a directory)",
        ));
    }
    let sbom = load_sbom(&dir.join(commands::SBOM));
    let component = pick_component(&posture, req.component.as_deref(), sbom.as_ref().ok())?;
    let manifest_path = dir.join(commands::MANIFEST);
    let manifest = Manifest::load(&manifest_path).map_err(|e| e.to_string());
    let manifest_sha256 = sign::sha256_file(&manifest_path).ok().map(hex::encode);
    let release_key = sign::load_public(&dir.join(commands::RELEASE_KEY))
        .ok()
        .map(|k| Fingerprint::of(&k));
    let mut artefacts = vec![
        Artefact {
            rel: commands::MANIFEST.into(),
            recorded: None,
        },
        Artefact {
            rel: commands::SBOM.into(),
            recorded: None,
        },
    ];
    if let Ok(m) = &manifest {
        artefacts.extend(output_files(m));
    }
    let ctx = Ctx {
        req,
        dir,
        verifier: verifier(&posture, dir),
        release_key,
        manifest,
        manifest_sha256,
        sbom,
        artefacts,
    };
    let rows: Vec<Row> = RowId::ALL
        .into_iter()
        .map(|id| {
            let (status, evidence, problems) = match id {
                RowId::Locks => locks(&ctx),
                RowId::OfflineBuild => offline_build(&ctx),
                RowId::Artefacts => artefacts_row(&ctx),
                RowId::Sha256sums => sums_row(&ctx),
                RowId::Sbom => sbom_row(&ctx),
                RowId::Licences => licences(&ctx),
                RowId::Provenance => provenance(&ctx),
                RowId::SecondMachine => second_machine(&ctx),
                RowId::Audit => audit(&ctx),
                RowId::MalwareFeed => malware_feed(&ctx),
                RowId::DependencyProvenance => dependency_provenance(&ctx),
                RowId::SecurityPolicy => security_policy(&ctx),
            };
            let mut s2c2f = Vec::new();
            let mut slsa = Vec::new();
            for c in id.controls() {
                match c {
                    Control::S2c2f(i) => s2c2f.push(i),
                    Control::Slsa(r) => slsa.push(r.id()),
                    Control::L2Adjacent(a) => slsa.push(a.id()),
                }
            }
            Row {
                id,
                title: id.title(),
                status,
                evidence,
                problems,
                s2c2f,
                slsa,
            }
        })
        .collect();

    let claimed = controls::claimed(&posture, component);
    let controls: Vec<ControlVerdict> = Control::all()
        .into_iter()
        .filter_map(|c| {
            let rs: Vec<&Row> = rows
                .iter()
                .filter(|r| r.id.controls().contains(&c))
                .collect();
            let is_claimed = claimed.contains(&c);
            if !is_claimed && rs.is_empty() {
                return None;
            }
            let status = if rs.iter().any(|r| r.status == Status::Fail) {
                ControlStatus::Contradicted
            } else if !rs.is_empty() && rs.iter().all(|r| r.status == Status::Pass) {
                ControlStatus::Evidenced
            } else {
                ControlStatus::NotEvidenced
            };
            Some(ControlVerdict {
                control: c,
                title: c.title(),
                claimed: is_claimed,
                status,
                rows: rs.iter().map(|r| r.id).collect(),
            })
        })
        .collect();
    let cisa = CISA
        .iter()
        .map(|p| {
            let rs: Vec<&Row> = rows
                .iter()
                .filter(|r| r.id.cisa().contains(&p.number))
                .collect();
            let passed = rs.iter().filter(|r| r.status == Status::Pass).count();
            CisaEvidence {
                practice: p.number,
                title: p.title,
                artefacts: cisa_artefacts(p.number).to_vec(),
                rows: rs.iter().map(|r| r.id).collect(),
                status: if passed == rs.len() && passed > 0 {
                    "evidenced"
                } else if passed > 0 {
                    "partly evidenced"
                } else {
                    "not evidenced"
                },
                note: cisa_note(p.number),
            }
        })
        .collect();
    let passed = rows.iter().all(|r| r.status != Status::Fail)
        && controls
            .iter()
            .filter(|c| c.claimed)
            .all(|c| c.status == ControlStatus::Evidenced);
    let meta = ctx
        .sbom
        .as_ref()
        .ok()
        .and_then(|d| d.metadata.as_ref())
        .and_then(|m| m.component.as_ref());
    Ok(EvidenceReport {
        schema: EVIDENCE_SCHEMA,
        release: dir.to_path_buf(),
        name: meta.map(|c| c.name.clone()),
        version: meta.and_then(|c| c.version.clone()),
        component: component.name.clone(),
        privileged: component.privileged,
        checked_on: crate::date::format_day(req.now_days),
        tool_version: env!("CARGO_PKG_VERSION"),
        rows,
        controls,
        cisa,
        passed,
    })
}

fn cisa_artefacts(practice: u8) -> &'static [&'static str] {
    match practice {
        1 => &[
            "repro-manifest.json (the normalized, offline build environment)",
            "reproduced.intoto.json.sigstore.json (the second machine's rebuild)",
        ],
        2 => &[
            "the lockfiles, by the manifest's digests",
            "the private audit report (counts only)",
            "the malware feed",
            "sbom.cdx.json (licences)",
        ],
        3 => &[
            "sbom.cdx.json",
            "provenance.intoto.json and its DSSE bundle",
            "SHA256SUMS and its signature",
            "each artefact's .sigstore.json and .sig",
            "the direct-dependency provenance report",
        ],
        _ => &[
            "the private audit report (within the age limit)",
            "the audit policy (the response SLA)",
            "SECURITY.md (the vulnerability disclosure program, 4c)",
        ],
    }
}

fn cisa_note(practice: u8) -> Option<&'static str> {
    match practice {
        1 => Some(
            "1a–1c, 1e and 1f (separated environments, audited trust relationships, multi-factor \
             authentication, encrypted secrets, monitoring) are organisational practices that no \
             release artefact evidences",
        ),
        _ => None,
    }
}

fn pick_component<'p>(
    posture: &'p Posture,
    asked: Option<&str>,
    sbom: Option<&Document>,
) -> Result<&'p Component, PostureError> {
    let names = || {
        posture
            .components
            .iter()
            .map(|c| format!("`{}`", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = asked {
        return posture.component(name).ok_or_else(|| {
            PostureError::file(
                &posture.path,
                format!("no component `{name}` (components: {})", names()),
            )
        });
    }
    if let [only] = posture.components.as_slice() {
        return Ok(only);
    }
    sbom.and_then(|d| d.metadata.as_ref())
        .and_then(|m| m.component.as_ref())
        .and_then(|c| posture.component(&c.name))
        .ok_or_else(|| {
            PostureError::file(
                &posture.path,
                format!(
                    "several components ({}) and the release's SBOM names none of them: give \
                     --component",
                    names()
                ),
            )
        })
}

/// The files of the manifest's outputs, as `repro release` copies them into the folder: a file
/// output under its file name, a tree output's files under the tree's name.
fn output_files(m: &Manifest) -> Vec<Artefact> {
    let mut out = Vec::new();
    for o in &m.build.outputs {
        let name = Path::new(&o.path)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| o.path.clone());
        if o.kind == "tree" {
            for member in &o.members {
                if let Some(sha) = &member.sha256 {
                    out.push(Artefact {
                        rel: format!("{name}/{}", member.path),
                        recorded: Some(sha.clone()),
                    });
                }
            }
        } else {
            out.push(Artefact {
                rel: name,
                recorded: Some(o.sha256.clone()),
            });
        }
    }
    out
}

fn verifier(posture: &Posture, dir: &Path) -> Result<Verifier, (Status, String)> {
    if let Some(want) = &posture.signing.key_fingerprint {
        let path = dir.join(commands::RELEASE_KEY);
        let key = sign::load_public(&path).map_err(|e| {
            (
                Status::NotEvidenced,
                format!("no usable release key `{}`: {e}", path.display()),
            )
        })?;
        let got = Fingerprint::of(&key);
        if &got != want {
            return Err((
                Status::Fail,
                format!(
                    "`{}` has the fingerprint `{got}`, not the published key's `{want}` ({})",
                    path.display(),
                    posture.path.display()
                ),
            ));
        }
        return Ok(Verifier::Key(key, got));
    }
    let o = posture
        .signing
        .oidc
        .as_ref()
        .expect("validated: an identity");
    let root = sign::keyless::trusted_root(None, false).map_err(|e| (Status::NotEvidenced, e))?;
    Ok(Verifier::Keyless {
        identity: o.identity.clone(),
        issuer: o.issuer.clone(),
        root: Box::new(root),
    })
}

impl Verifier {
    fn describe(&self) -> String {
        match self {
            Verifier::Key(_, fp) => format!("the published key (fingerprint `{fp}`)"),
            Verifier::Keyless {
                identity, issuer, ..
            } => format!("the published identity `{identity}` via `{issuer}`"),
        }
    }

    /// Verify `file` against `FILE.sigstore.json` (and, for a key, `FILE.sig`); its SHA-256.
    fn verify_file(&self, file: &Path) -> Result<[u8; 32], String> {
        let bundle_path = with_suffix(file, BUNDLE_SUFFIX);
        let digest = sign::sha256_file(file).map_err(|e| e.to_string())?;
        let bundle = sign::read_bundle(&bundle_path).map_err(|e| e.to_string())?;
        match self {
            Verifier::Key(key, _) => {
                if bundle.keyless {
                    return Err("its bundle is signed keyless, not with the release key".into());
                }
                let BundleContent::Message {
                    digest: named,
                    signature,
                } = &bundle.content
                else {
                    return Err("its bundle holds a DSSE envelope, not a message signature".into());
                };
                sign::verify_message(key, &digest, named.as_deref(), signature)
                    .map_err(|e| e.to_string())?;
                let sig_path = with_suffix(file, SIG_SUFFIX);
                let raw =
                    sign::read_signature(&sig_path).map_err(|e| format!("raw signature: {e}"))?;
                sign::verify_digest(key, &digest, &raw)
                    .map_err(|e| format!("raw signature `{}`: {e}", sig_path.display()))?;
            }
            Verifier::Keyless {
                identity,
                issuer,
                root,
            } => {
                sign::keyless::verify(
                    sign::keyless::Subject::File(file),
                    &bundle.json,
                    identity,
                    issuer,
                    root,
                )?;
            }
        }
        Ok(digest)
    }

    /// Verify a DSSE bundle; the payload.
    fn verify_dsse(&self, bundle_path: &Path, subject: Option<&Path>) -> Result<Vec<u8>, String> {
        let bundle = sign::read_bundle(bundle_path).map_err(|e| e.to_string())?;
        let BundleContent::Dsse(env) = &bundle.content else {
            return Err("not a DSSE envelope".into());
        };
        if env.payload_type != sign::dsse::IN_TOTO {
            return Err(format!(
                "payload type `{}` is not `{}`",
                env.payload_type,
                sign::dsse::IN_TOTO
            ));
        }
        match self {
            Verifier::Key(key, _) => env.verify(key).map_err(|e| e.to_string()),
            Verifier::Keyless {
                identity,
                issuer,
                root,
            } => {
                let subject =
                    subject.ok_or("no artefact to verify the keyless envelope against")?;
                sign::keyless::verify(
                    sign::keyless::Subject::File(subject),
                    &bundle.json,
                    identity,
                    issuer,
                    root,
                )?;
                env.payload_bytes().map_err(|e| e.to_string())
            }
        }
    }
}

fn with_suffix(file: &Path, suffix: &str) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

type Verdict = (Status, String, Vec<String>);

/// `1 lockfile`, `2 lockfiles`.
fn n(count: impl Into<i64>, one: &str, many: &str) -> String {
    let count = count.into();
    format!("{count} {}", if count == 1 { one } else { many })
}

fn not_evidenced(why: impl Into<String>) -> Verdict {
    (Status::NotEvidenced, why.into(), Vec::new())
}

fn judged(problems: Vec<String>, fail_evidence: &str, pass_evidence: String) -> Verdict {
    if problems.is_empty() {
        (Status::Pass, pass_evidence, problems)
    } else {
        (Status::Fail, fail_evidence.to_string(), problems)
    }
}

/// At most this many problems are listed per row; the count says how many there were.
const MAX_PROBLEMS_SHOWN: usize = 20;

fn capped(mut problems: Vec<String>) -> Vec<String> {
    if problems.len() > MAX_PROBLEMS_SHOWN {
        let n = problems.len() - MAX_PROBLEMS_SHOWN;
        problems.truncate(MAX_PROBLEMS_SHOWN);
        problems.push(format!("… and {n} more"));
    }
    problems
}

fn manifest<'c>(ctx: &'c Ctx) -> Result<&'c Manifest, Verdict> {
    ctx.manifest
        .as_ref()
        .map_err(|e| not_evidenced(format!("no readable build manifest: {e}")))
}

fn locks(ctx: &Ctx) -> Verdict {
    let Some(repo) = &ctx.req.repo else {
        return not_evidenced(
            "no source tree given (--repo DIR): the lockfiles are not part of the release folder",
        );
    };
    let m = match manifest(ctx) {
        Ok(m) => m,
        Err(v) => return v,
    };
    if m.build.inputs.is_empty() {
        return not_evidenced("the manifest records no input lockfile");
    }
    let mut problems = Vec::new();
    let mut locks = Vec::new();
    for input in &m.build.inputs {
        let path = repo.join(&input.path);
        match sign::sha256_file(&path) {
            Err(e) => problems.push(format!("{}: {e}", path.display())),
            Ok(d) if hex::encode(d) != input.sha256 => problems.push(format!(
                "{}: sha256 {}, the manifest records {} (the lockfile changed since the build)",
                path.display(),
                hex::encode(d),
                input.sha256
            )),
            Ok(_) => match crate::lockfile::load(&path) {
                Ok(l) => locks.push(l),
                Err(e) => problems.push(e.to_string()),
            },
        }
    }
    if !problems.is_empty() {
        return (
            Status::Fail,
            "the lockfiles are not the ones the build used".into(),
            capped(problems),
        );
    }
    let report = crate::check::CheckReport::generate(
        &locks,
        std::slice::from_ref(repo),
        Vec::new(),
        crate::check::CheckOptions::default(),
    );
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity == crate::check::Severity::Error)
    {
        problems.push(format!(
            "{}:{}: {} [{}]",
            f.location.file.display(),
            f.location.line,
            f.message,
            f.code.as_str()
        ));
    }
    let allowed: BTreeSet<String> = locks
        .iter()
        .flat_map(|l| l.packages.iter())
        .flat_map(|p| {
            p.hashes
                .iter()
                .chain(p.artifacts.iter().filter_map(|a| a.digest.as_ref()))
        })
        .filter(|d| d.algorithm() == crate::digest::HashAlgorithm::Sha256)
        .map(|d| d.hex())
        .collect();
    let stray = m
        .build
        .resolved
        .iter()
        .filter(|r| !allowed.contains(&r.sha256))
        .count();
    if stray > 0 {
        problems.push(format!(
            "{stray} resolved artifacts have a SHA-256 no lock allows"
        ));
    }
    if !report.hermetic && problems.is_empty() {
        problems.push("`repro check` does not call the locks hermetic".into());
    }
    judged(
        capped(problems),
        "the locks are not hermetic",
        format!(
            "{} with the digests the manifest records, hermetic (`repro check`: {}, {}, 0 \
             errors); each of the {} is one the locks allow",
            n(locks.len() as i64, "lockfile", "lockfiles"),
            n(report.totals.packages as i64, "package", "packages"),
            n(report.totals.hashes as i64, "hash", "hashes"),
            n(
                m.build.resolved.len() as i64,
                "resolved artifact",
                "resolved artifacts"
            )
        ),
    )
}

fn offline_build(ctx: &Ctx) -> Verdict {
    let m = match manifest(ctx) {
        Ok(m) => m,
        Err(v) => return v,
    };
    if m.build.resolved.is_empty() {
        return not_evidenced("the manifest records no resolved artifact");
    }
    let mut problems = Vec::new();
    for (k, v) in [
        ("PIP_NO_INDEX", "1"),
        ("PIP_REQUIRE_HASHES", "1"),
        ("UV_OFFLINE", "1"),
        ("CARGO_NET_OFFLINE", "true"),
    ] {
        if m.build.environment.get(k).map(String::as_str) != Some(v) {
            problems.push(format!("the build environment does not set {k}={v}"));
        }
    }
    let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let unpinned = m
        .build
        .resolved
        .iter()
        .filter(|r| !hex64(&r.sha256) || !hex64(&r.blake3))
        .count();
    if unpinned > 0 {
        problems.push(format!(
            "{unpinned} resolved artifacts lack a SHA-256 or BLAKE3 digest"
        ));
    }
    judged(
        problems,
        "the manifest does not record an offline build",
        format!(
            "the manifest records a build with no index (PIP_NO_INDEX=1, PIP_REQUIRE_HASHES=1, \
             UV_OFFLINE=1, CARGO_NET_OFFLINE=true) from the store's wheelhouse; {} artifacts, \
             each pinned by SHA-256 and BLAKE3",
            m.build.resolved.len()
        ),
    )
}

fn artefacts_row(ctx: &Ctx) -> Verdict {
    let v = match &ctx.verifier {
        Ok(v) => v,
        Err((status, why)) => return (*status, why.clone(), Vec::new()),
    };
    let mut problems = Vec::new();
    if let Err(e) = &ctx.manifest {
        problems.push(format!(
            "{}: {e}: the outputs it records are unknown",
            commands::MANIFEST
        ));
    }
    let outputs = ctx
        .artefacts
        .iter()
        .filter(|a| a.recorded.is_some())
        .count();
    if ctx.manifest.is_ok() && outputs == 0 {
        return not_evidenced("the manifest records no output: nothing was released");
    }
    for a in &ctx.artefacts {
        let path = ctx.dir.join(&a.rel);
        match v.verify_file(&path) {
            Err(e) => problems.push(format!("{}: {e}", a.rel)),
            Ok(d) => {
                if let Some(want) = &a.recorded
                    && hex::encode(d) != *want
                {
                    problems.push(format!(
                        "{}: sha256 {}, the manifest records {}",
                        a.rel,
                        hex::encode(d),
                        want
                    ));
                }
            }
        }
    }
    judged(
        capped(problems),
        "an artefact does not verify",
        format!(
            "{} artefacts (the manifest, the SBOM, {}): each bundle{} \
             verifies with {}, and each output is the file the manifest records",
            ctx.artefacts.len(),
            n(outputs as i64, "output file", "output files"),
            if matches!(v, Verifier::Key(..)) {
                " and raw signature"
            } else {
                ""
            },
            v.describe()
        ),
    )
}

/// The digest a message bundle signs, hex.
fn signed_digest(bundle: &Path) -> Option<String> {
    match sign::read_bundle(bundle).ok()?.content {
        BundleContent::Message {
            digest: Some(d), ..
        } => Some(hex::encode(d)),
        _ => None,
    }
}

/// A relative path safe to join to the release folder: no root, no `..`, no empty part.
fn safe_relative(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

fn sums_row(ctx: &Ctx) -> Verdict {
    let v = match &ctx.verifier {
        Ok(v) => v,
        Err((status, why)) => return (*status, why.clone(), Vec::new()),
    };
    let path = ctx.dir.join(commands::SUMS);
    let text = match read_sums(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return not_evidenced(format!("no `{}` in the release folder", commands::SUMS));
        }
        Err(e) => {
            return (
                Status::Fail,
                format!("`{}`: {e}", path.display()),
                Vec::new(),
            );
        }
    };
    let mut problems = Vec::new();
    if let Err(e) = v.verify_file(&path) {
        problems.push(format!("{}: {e}", commands::SUMS));
    }
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let parsed = line
            .split_once("  ")
            .or_else(|| line.split_once(" *"))
            .filter(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        match parsed {
            Some((h, p)) if safe_relative(p) => {
                if listed
                    .insert(p.to_string(), h.to_ascii_lowercase())
                    .is_some()
                {
                    problems.push(format!(
                        "{}:{}: `{p}` is listed twice",
                        commands::SUMS,
                        n + 1
                    ));
                }
            }
            Some((_, p)) => problems.push(format!(
                "{}:{}: `{p}` is not a path inside the release folder",
                commands::SUMS,
                n + 1
            )),
            None => problems.push(format!(
                "{}:{}: not a `<sha256>  <file>` line",
                commands::SUMS,
                n + 1
            )),
        }
    }
    let provenance_bundle = format!("{}{BUNDLE_SUFFIX}", commands::PROVENANCE);
    let required: Vec<&str> = ctx
        .artefacts
        .iter()
        .map(|a| a.rel.as_str())
        .chain([commands::PROVENANCE, provenance_bundle.as_str()])
        .collect();
    for r in &required {
        if !listed.contains_key(*r) {
            problems.push(format!("`{r}` is not listed"));
        }
    }
    for (rel, want) in &listed {
        let file = ctx.dir.join(rel);
        if !file.is_file() {
            problems.push(format!("`{rel}` is listed but not in the release folder"));
            continue;
        }
        // An artefact's bytes are judged once, by its own signature (the `artefacts` row);
        // here the list must agree with what that signature signs.
        let is_artefact = ctx.artefacts.iter().any(|a| a.rel == *rel);
        let got = if is_artefact {
            signed_digest(&with_suffix(&file, BUNDLE_SUFFIX))
        } else {
            None
        };
        let (got, what) = match got {
            Some(g) => (Some(g), "its signature signs"),
            None => (
                sign::sha256_file(&file).ok().map(hex::encode),
                "the file is",
            ),
        };
        match got {
            Some(g) if g == *want => {}
            Some(g) => problems.push(format!(
                "`{rel}`: {} gives {want}, {what} {g}",
                commands::SUMS
            )),
            None => problems.push(format!("`{rel}` cannot be read")),
        }
    }
    judged(
        capped(problems),
        "SHA256SUMS does not hold",
        format!(
            "SHA256SUMS verifies with {}, lists {} files including every artefact and the \
             provenance, each with the digest its signature signs (or, for the signatures and \
             the key, the file's own)",
            v.describe(),
            listed.len()
        ),
    )
}

fn read_sums(path: &Path) -> std::io::Result<String> {
    crate::fsio::read_to_string_capped(path, MAX_SUMS_BYTES)
}

fn read_audit_report(path: &Path) -> std::io::Result<String> {
    crate::fsio::read_to_string_capped(path, MAX_AUDIT_REPORT_BYTES)
}

fn read_provenance_report(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::fsio::read_capped(path, MAX_PROVENANCE_REPORT_BYTES)
}

fn load_sbom(path: &Path) -> Result<Document, String> {
    let bytes = crate::fsio::read_capped(path, MAX_SBOM_BYTES)
        .map_err(|e| format!("`{}`: {e}", path.display()))?;
    serde_json::from_slice::<Document>(&bytes).map_err(|e| {
        format!(
            "`{}` is not CycloneDX JSON: {:?} error at line {}, column {}",
            path.display(),
            e.classify(),
            e.line(),
            e.column()
        )
    })
}

/// The CycloneDX component types (1.6).
const COMPONENT_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];

/// The CycloneDX hash algorithms (1.6), with the hex length each content must have.
const HASH_ALGS: &[(&str, usize)] = &[
    ("MD5", 32),
    ("SHA-1", 40),
    ("SHA-256", 64),
    ("SHA-384", 96),
    ("SHA-512", 128),
    ("SHA3-256", 64),
    ("SHA3-384", 96),
    ("SHA3-512", 128),
    ("BLAKE2b-256", 64),
    ("BLAKE2b-384", 96),
    ("BLAKE2b-512", 128),
    ("BLAKE3", 64),
];

/// Typed checks of a CycloneDX 1.5/1.6 document: the constraints of the official schema that
/// consumers rely on (format and version, serial number, component types, hash algorithms and
/// lengths, unique references, a dependency graph over known references, RFC 3339 time).
/// A full JSON-schema validator would add a heavy dependency for the same verdict on the SBOMs
/// `repro sbom` writes; the tests check both agree.
pub fn validate_cyclonedx(doc: &Document) -> Vec<String> {
    let mut p = Vec::new();
    if doc.bom_format != "CycloneDX" {
        p.push(format!(
            "bomFormat is `{}`, not `CycloneDX`",
            doc.bom_format
        ));
    }
    if !["1.5", "1.6"].contains(&doc.spec_version.as_str()) {
        p.push(format!(
            "specVersion `{}` is not 1.5 or 1.6",
            doc.spec_version
        ));
    }
    if let Some(s) = &doc.serial_number {
        let uuid = s.strip_prefix("urn:uuid:").unwrap_or("");
        let groups: Vec<&str> = uuid.split('-').collect();
        let ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups
                .iter()
                .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            p.push(format!("serialNumber `{s}` is not a urn:uuid"));
        }
    }
    if doc.version < 1 {
        p.push("version is below 1".into());
    }
    let mut refs = BTreeSet::new();
    let mut components: Vec<&crate::sbom::cyclonedx::Component> = doc.components.iter().collect();
    if let Some(m) = &doc.metadata {
        if let Some(t) = &m.timestamp
            && (crate::date::parse_time_day(t).ok().is_none() || !t.contains('T'))
        {
            p.push(format!(
                "metadata.timestamp `{t}` is not an RFC 3339 date-time"
            ));
        }
        components.extend(m.component.as_ref());
    }
    for c in components {
        let who = c.bom_ref.as_deref().unwrap_or(&c.name);
        if !COMPONENT_TYPES.contains(&c.kind.as_str()) {
            p.push(format!(
                "component `{who}`: type `{}` is not a CycloneDX type",
                c.kind
            ));
        }
        if c.name.is_empty() {
            p.push(format!("component `{who}` has no name"));
        }
        if let Some(s) = &c.scope
            && !["required", "optional", "excluded"].contains(&s.as_str())
        {
            p.push(format!(
                "component `{who}`: scope `{s}` is not a CycloneDX scope"
            ));
        }
        if let Some(purl) = &c.purl
            && !(purl.starts_with("pkg:") && purl.contains('/'))
        {
            p.push(format!("component `{who}`: `{purl}` is not a package URL"));
        }
        for h in &c.hashes {
            match HASH_ALGS.iter().find(|(a, _)| *a == h.alg) {
                None => p.push(format!(
                    "component `{who}`: hash algorithm `{}` is not a CycloneDX one",
                    h.alg
                )),
                Some((_, len)) => {
                    if h.content.len() != *len || !h.content.bytes().all(|b| b.is_ascii_hexdigit())
                    {
                        p.push(format!(
                            "component `{who}`: {} content is not {len} hex digits",
                            h.alg
                        ));
                    }
                }
            }
        }
        if let Some(r) = &c.bom_ref
            && !refs.insert(r.clone())
        {
            p.push(format!("bom-ref `{r}` is used twice"));
        }
    }
    let mut seen = BTreeSet::new();
    for d in &doc.dependencies {
        if !seen.insert(&d.reference) {
            p.push(format!("dependency `{}` is listed twice", d.reference));
        }
        for r in std::iter::once(&d.reference).chain(&d.depends_on) {
            if !refs.contains(r) {
                p.push(format!(
                    "dependency graph names `{r}`, which no component is"
                ));
            }
        }
    }
    p
}

fn sbom_row(ctx: &Ctx) -> Verdict {
    let doc = match &ctx.sbom {
        Ok(d) => d,
        Err(e) if e.contains("No such file") => return not_evidenced(format!("no SBOM: {e}")),
        Err(e) => return (Status::Fail, e.clone(), Vec::new()),
    };
    let m = match manifest(ctx) {
        Ok(m) => m,
        Err(v) => return v,
    };
    let mut problems = validate_cyclonedx(doc);
    // The manifest's resolved set, as purls, with the SHA-256s of each.
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &m.build.resolved {
        let e = crate::model::Ecosystem::from_name(&r.ecosystem)
            .unwrap_or(crate::model::Ecosystem::Pypi);
        let name = crate::model::PackageName::new(e, &r.name);
        want.entry(crate::sbom::purl(e, name.as_str(), &r.version))
            .or_default()
            .insert(r.sha256.clone());
    }
    if want.is_empty() {
        return not_evidenced("the manifest records no resolved artifact: nothing to list");
    }
    let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in doc.components.iter().filter(|c| c.kind == "library") {
        let Some(purl) = &c.purl else {
            problems.push(format!("library `{}` has no purl", c.name));
            continue;
        };
        got.entry(purl.clone()).or_default().extend(
            c.hashes
                .iter()
                .filter(|h| h.alg == "SHA-256")
                .map(|h| h.content.to_ascii_lowercase()),
        );
    }
    for (purl, shas) in &want {
        match got.get(purl) {
            None => problems.push(format!("`{purl}` is resolved but not in the SBOM")),
            Some(have) => {
                for s in shas.difference(have) {
                    problems.push(format!(
                        "`{purl}`: the SBOM lacks the SHA-256 {s} of the artifact built with"
                    ));
                }
            }
        }
    }
    for purl in got.keys().filter(|p| !want.contains_key(*p)) {
        problems.push(format!(
            "`{purl}` is in the SBOM but not in the manifest's resolved set"
        ));
    }
    judged(
        capped(problems),
        "the SBOM is not valid, or not the manifest's resolved set",
        format!(
            "CycloneDX {} (typed checks of the schema's constraints), {} library components: \
             exactly the manifest's resolved set, each with the SHA-256 built with",
            doc.spec_version,
            got.len()
        ),
    )
}

fn licences(ctx: &Ctx) -> Verdict {
    let doc = match &ctx.sbom {
        Ok(d) => d,
        Err(e) => return not_evidenced(format!("no readable SBOM: {e}")),
    };
    let libs: Vec<_> = doc
        .components
        .iter()
        .filter(|c| c.kind == "library")
        .collect();
    if libs.is_empty() {
        return not_evidenced("the SBOM lists no library");
    }
    let without = libs.iter().filter(|c| c.licenses.is_empty()).count();
    if without > 0 {
        return not_evidenced(format!(
            "{without} of {} components carry no licence (write the SBOM with `--store`, where \
             each artifact's metadata declares it)",
            libs.len()
        ));
    }
    (
        Status::Pass,
        format!("each of the {} components carries its licence", libs.len()),
        Vec::new(),
    )
}

fn provenance(ctx: &Ctx) -> Verdict {
    let v = match &ctx.verifier {
        Ok(v) => v,
        Err((status, why)) => return (*status, why.clone(), Vec::new()),
    };
    let m = match manifest(ctx) {
        Ok(m) => m,
        Err(v) => return v,
    };
    let bundle = ctx
        .dir
        .join(format!("{}{BUNDLE_SUFFIX}", commands::PROVENANCE));
    if !bundle.exists() {
        return not_evidenced(format!("no signed provenance (`{}`)", bundle.display()));
    }
    let want = crate::attest::subjects(m);
    if want.is_empty() {
        return not_evidenced("the manifest records no output: the provenance names nothing");
    }
    let first_output = ctx
        .artefacts
        .iter()
        .find(|a| a.recorded.is_some())
        .map(|a| ctx.dir.join(&a.rel));
    let payload = match v.verify_dsse(&bundle, first_output.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            return (
                Status::Fail,
                "the provenance's signature does not verify".into(),
                vec![format!("{}: {e}", bundle.display())],
            );
        }
    };
    let mut problems = Vec::new();
    let stmt = match crate::attest::check_statement(&payload) {
        Ok(s) => s,
        Err(e) => return (Status::Fail, e, Vec::new()),
    };
    if stmt["predicateType"] != crate::attest::PROVENANCE {
        problems.push(format!(
            "predicate type {} is not {}",
            stmt["predicateType"],
            crate::attest::PROVENANCE
        ));
    }
    let pred = &stmt["predicate"];
    if pred["buildDefinition"]["buildType"] != crate::attest::BUILD_TYPE {
        problems.push(format!(
            "build type {} is not {}",
            pred["buildDefinition"]["buildType"],
            crate::attest::BUILD_TYPE
        ));
    }
    let builder = pred["runDetails"]["builder"]["id"].as_str().unwrap_or("");
    if builder.is_empty() {
        problems.push("the provenance names no builder".into());
    }
    let pairs = |v: &serde_json::Value| -> BTreeSet<(String, String)> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or("").to_string(),
                    s["digest"]["sha256"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let subjects = pairs(&stmt["subject"]);
    let expected = pairs(&serde_json::Value::Array(want));
    for (name, _) in expected.difference(&subjects) {
        problems.push(format!(
            "output `{name}` (as the manifest records it) is not a subject"
        ));
    }
    for (name, _) in subjects.difference(&expected) {
        problems.push(format!(
            "subject `{name}` is not an output the manifest records"
        ));
    }
    let deps: BTreeSet<String> = pred["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["digest"]["sha256"].as_str().map(str::to_string))
        .collect();
    let resolved: BTreeSet<String> = m.build.resolved.iter().map(|r| r.sha256.clone()).collect();
    if deps != resolved {
        problems.push(format!(
            "the resolved dependencies ({}) are not the manifest's resolved set ({})",
            deps.len(),
            resolved.len()
        ));
    }
    let copy = ctx.dir.join(commands::PROVENANCE);
    match crate::fsio::read_capped(&copy, sign::MAX_STATEMENT_BYTES) {
        Ok(bytes) if bytes == payload => {}
        Ok(_) => problems.push(format!(
            "`{}` differs from the signed statement",
            commands::PROVENANCE
        )),
        Err(e) => problems.push(format!("`{}`: {e}", copy.display())),
    }
    judged(
        capped(problems),
        "the provenance does not describe this build",
        format!(
            "the DSSE envelope verifies with {}; SLSA provenance v1 (build type `{}`), builder \
             `{builder}`, naming the {} outputs and {} resolved dependencies the manifest records",
            v.describe(),
            crate::attest::BUILD_TYPE,
            expected.len(),
            resolved.len()
        ),
    )
}

fn second_machine(ctx: &Ctx) -> Verdict {
    let path = ctx.req.vsa.clone().unwrap_or_else(|| {
        ctx.dir
            .join(format!("{}{BUNDLE_SUFFIX}", commands::REPRODUCED))
    });
    if !path.exists() {
        return not_evidenced(format!(
            "no verification summary from a second machine (`{}`)",
            path.display()
        ));
    }
    let Some(key_path) = &ctx.req.vsa_key else {
        return not_evidenced(
            "a verification summary is present, but no second machine's key (--vsa-key PUB) to \
             check its signature with",
        );
    };
    let m = match manifest(ctx) {
        Ok(m) => m,
        Err(v) => return v,
    };
    let key = match sign::load_public(key_path) {
        Ok(k) => k,
        Err(e) => return not_evidenced(format!("the second machine's key: {e}")),
    };
    let fp = Fingerprint::of(&key);
    if ctx.release_key.as_ref() == Some(&fp) {
        return (
            Status::Fail,
            "the summary is signed with the release key: a second machine signs with its own"
                .into(),
            Vec::new(),
        );
    }
    let subjects = crate::attest::subjects(m);
    if subjects.is_empty() {
        return not_evidenced("the manifest records no output: nothing was reproduced");
    }
    let payload = match Verifier::Key(key, fp.clone()).verify_dsse(&path, None) {
        Ok(p) => p,
        Err(e) => {
            return (
                Status::Fail,
                "the summary's signature does not verify".into(),
                vec![format!("{}: {e}", path.display())],
            );
        }
    };
    let mut problems = Vec::new();
    for s in &subjects {
        let Some(d) = s["digest"]["sha256"]
            .as_str()
            .and_then(|h| <[u8; 32]>::try_from(hex::decode(h).ok()?).ok())
        else {
            continue;
        };
        if let Err(e) =
            crate::attest::check_predicate(&payload, crate::attest::PredicateKind::Vsa, Some(&d))
        {
            problems.push(format!("{}: {e}", s["name"].as_str().unwrap_or("")));
        }
    }
    let stmt: serde_json::Value = serde_json::from_slice(&payload).unwrap_or_default();
    let reference = stmt["predicate"]["repro"]["referenceManifestSha256"].as_str();
    if reference != ctx.manifest_sha256.as_deref() {
        problems.push(format!(
            "it summarises the build whose manifest is sha256 {}, not this release's ({})",
            reference.unwrap_or("(none)"),
            ctx.manifest_sha256.as_deref().unwrap_or("unreadable")
        ));
    }
    judged(
        capped(problems),
        "the second machine's summary is not a PASSED rebuild of this release",
        format!(
            "PASSED, of this manifest (sha256 {}), every output a subject; signed by the second \
             machine's key `{fp}`, not the release key",
            ctx.manifest_sha256.as_deref().unwrap_or("")
        ),
    )
}

/// The counts of a private audit report; the findings themselves are never read into memory.
#[derive(Deserialize)]
struct AuditJson {
    schema: String,
    now: String,
    packages: usize,
    summary: AuditCounts,
}

#[derive(Deserialize)]
struct AuditCounts {
    findings: usize,
    overdue: usize,
}

/// Date, packages audited, findings, overdue findings: the counts of a report, text or JSON.
fn audit_counts(text: &str) -> Result<(i64, usize, usize, usize), String> {
    if text.trim_start().starts_with('{') {
        let r: AuditJson = serde_json::from_str(text).map_err(|e| {
            format!(
                "not a `repro audit --json` report: {:?} error at line {}, column {}",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
        if r.schema != crate::audit::REPORT_SCHEMA {
            return Err(format!(
                "report schema `{}` is not `{}`",
                r.schema,
                crate::audit::REPORT_SCHEMA
            ));
        }
        let day = crate::date::parse_day(&r.now)
            .ok()
            .ok_or("its `now` is not a date")?;
        return Ok((day, r.packages, r.summary.findings, r.summary.overdue));
    }
    // The text report's first line: `repro audit, YYYY-MM-DD: N packages; F findings (X
    // failing), W warnings`; each overdue finding has a `  due: DATE OVERDUE (clock from …)`
    // line (a record's summary is one indented line too, and could only add a false overdue).
    // The Markdown report (`--format markdown`) has the same lines, as a heading and items.
    let first = text.lines().next().unwrap_or("");
    let first = first.strip_prefix("# ").unwrap_or(first);
    let rest = first
        .strip_prefix("repro audit, ")
        .ok_or("neither a `repro audit` text report nor its JSON")?;
    let day = rest
        .get(..10)
        .and_then(|s: &str| crate::date::parse_day(s).ok())
        .ok_or("its first line has no date")?;
    let number = |after: &str| -> Option<usize> {
        let i = rest.find(after)?;
        rest[..i]
            .rsplit([' ', ':', ';'])
            .next()?
            .trim()
            .parse()
            .ok()
    };
    let packages = number(" packages").ok_or("its first line has no package count")?;
    let findings = number(" findings").ok_or("its first line has no finding count")?;
    let overdue = text
        .lines()
        .filter(|l| {
            (l.starts_with("  due: ") || l.starts_with("- due: "))
                && l.contains(" OVERDUE (clock from ")
        })
        .count();
    Ok((day, packages, findings, overdue))
}

fn audit(ctx: &Ctx) -> Verdict {
    let Some(path) = &ctx.req.audit_report else {
        return not_evidenced("no private audit report given (--audit-report FILE)");
    };
    let text = match read_audit_report(path) {
        Ok(t) => t,
        Err(e) => return not_evidenced(format!("`{}`: {e}", path.display())),
    };
    let (day, packages, findings, overdue) = match audit_counts(&text) {
        Ok(c) => c,
        Err(e) => return not_evidenced(format!("`{}`: {e}", path.display())),
    };
    let age = ctx.req.now_days - day;
    let max = i64::from(ctx.req.max_audit_age_days);
    let when = format!(
        "{} ({} ago)",
        crate::date::format_day(day),
        n(age, "day", "days")
    );
    if packages == 0 {
        return not_evidenced(format!("the audit of {when} covered no package"));
    }
    if age < 0 {
        return not_evidenced(format!(
            "the audit is dated {}, after today",
            crate::date::format_day(day)
        ));
    }
    if overdue > 0 {
        return (
            Status::Fail,
            format!(
                "the audit of {when} has {} past the response deadline (counts only; the \
                 private report names them)",
                n(overdue as i64, "finding", "findings")
            ),
            Vec::new(),
        );
    }
    if age > max {
        return not_evidenced(format!(
            "the last audit ran on {when}, older than the limit of {max} days"
        ));
    }
    (
        Status::Pass,
        format!(
            "audited {} on {when}, within {max} days: {}, 0 overdue (counts only)",
            n(packages as i64, "package", "packages"),
            n(findings as i64, "finding", "findings")
        ),
        Vec::new(),
    )
}

fn malware_feed(ctx: &Ctx) -> Verdict {
    if ctx.req.malware_feeds.is_empty() {
        return not_evidenced("no malware feed given (--malware-feed DIR)");
    }
    let db = match crate::osv::load(&ctx.req.malware_feeds, ctx.req.now_days, None) {
        Ok(db) => db,
        Err(e) => return not_evidenced(e.to_string()),
    };
    let malicious: Vec<_> = db.advisories.iter().filter(|a| a.malicious).collect();
    if malicious.is_empty() {
        return not_evidenced(format!(
            "no malicious-package record in {} records read: not a malware feed",
            db.records_read
        ));
    }
    let newest = malicious
        .iter()
        .filter_map(|a| {
            a.modified
                .as_deref()
                .and_then(|s: &str| crate::date::parse_time_day(s).ok())
        })
        .filter(|d| *d <= ctx.req.now_days)
        .max();
    let Some(newest) = newest else {
        return not_evidenced("no malicious-package record carries a `modified` date up to today");
    };
    let age = ctx.req.now_days - newest;
    let max = i64::from(ctx.req.max_feed_age_days);
    let what = format!(
        "{}; the newest was modified on {} ({} ago)",
        n(
            malicious.len() as i64,
            "malicious-package record",
            "malicious-package records"
        ),
        crate::date::format_day(newest),
        n(age, "day", "days")
    );
    if age > max {
        return not_evidenced(format!("{what}, older than the limit of {max} days"));
    }
    (
        Status::Pass,
        format!("{what}, within {max} days"),
        Vec::new(),
    )
}

/// The parts of a `repro provenance --json` report this row reads.
#[derive(Deserialize)]
struct ProvenanceJson {
    schema: String,
    scope: String,
    summary: ProvenanceCounts,
    #[serde(default)]
    packages: Vec<ProvenancePackage>,
    #[serde(default)]
    findings: Vec<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct ProvenanceCounts {
    packages: usize,
    attested: usize,
    #[serde(default)]
    partial: usize,
    #[serde(default)]
    missing: usize,
    #[serde(default)]
    failed: usize,
    #[serde(default)]
    unknown: usize,
}

#[derive(Deserialize)]
struct ProvenancePackage {
    name: String,
    version: String,
}

/// The schema of the report `repro provenance --json` writes.
pub const PROVENANCE_REPORT_SCHEMA: &str = "repro.provenance/v1";

fn dependency_provenance(ctx: &Ctx) -> Verdict {
    let Some(path) = &ctx.req.provenance_report else {
        return not_evidenced("no dependency provenance report given (--provenance-report FILE)");
    };
    let bytes = match read_provenance_report(path) {
        Ok(b) => b,
        Err(e) => return not_evidenced(format!("`{}`: {e}", path.display())),
    };
    let r: ProvenanceJson = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return not_evidenced(format!(
                "`{}` is not a `repro provenance --json` report: {:?} error at line {}",
                path.display(),
                e.classify(),
                e.line()
            ));
        }
    };
    if r.schema != PROVENANCE_REPORT_SCHEMA {
        return not_evidenced(format!(
            "`{}`: schema `{}` is not `{PROVENANCE_REPORT_SCHEMA}`",
            path.display(),
            r.schema
        ));
    }
    let s = &r.summary;
    if s.packages == 0 {
        return not_evidenced("the provenance report checked no package");
    }
    let m = match manifest(ctx) {
        Ok(m) => m,
        Err(v) => return v,
    };
    let resolved: BTreeSet<(String, String)> = m
        .build
        .resolved
        .iter()
        .map(|x| {
            let e = crate::model::Ecosystem::from_name(&x.ecosystem)
                .unwrap_or(crate::model::Ecosystem::Pypi);
            (
                crate::model::PackageName::new(e, &x.name).to_string(),
                x.version.clone(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    let foreign = r
        .packages
        .iter()
        .filter(|p| {
            let n = crate::model::PackageName::new(crate::model::Ecosystem::Pypi, &p.name);
            !resolved.contains(&(n.to_string(), p.version.clone()))
                && !resolved.contains(&(p.name.clone(), p.version.clone()))
        })
        .count();
    if foreign > 0 {
        problems.push(format!(
            "{foreign} packages of the report are not in this release's resolved set: it is the \
             report of another release"
        ));
    }
    if s.failed > 0 {
        problems.push(format!("{} packages failed verification", s.failed));
    }
    if !r.findings.is_empty() {
        problems.push(format!(
            "{} findings (a changed publisher, a vanished attestation, or a check that could not run)",
            r.findings.len()
        ));
    }
    let coverage = format!(
        "{} of {} {} dependencies attested ({} partly, {} without provenance)",
        s.attested,
        s.packages,
        if r.scope == "direct" {
            "direct"
        } else {
            "locked"
        },
        s.partial,
        s.missing
    );
    if !problems.is_empty() {
        return (Status::Fail, coverage, problems);
    }
    if s.unknown > 0 || s.attested + s.partial == 0 {
        return not_evidenced(format!("{coverage}; {} could not be checked", s.unknown));
    }
    (
        Status::Pass,
        format!("{coverage}; none failed, every publisher as pinned"),
        Vec::new(),
    )
}

fn security_policy(ctx: &Ctx) -> Verdict {
    let Some(repo) = &ctx.req.repo else {
        return not_evidenced("no source tree given (--repo DIR) to read SECURITY.md from");
    };
    let report = super::check::check(&super::check::CheckRequest {
        repositories: vec![repo.clone()],
        release: Some(ctx.dir.to_path_buf()),
        policy: ctx.req.policy.clone(),
    });
    let r = &report.repositories[0];
    if !r.errors.is_empty() {
        return not_evidenced(r.errors.join("; "));
    }
    if !r.findings.is_empty() {
        return (
            Status::Fail,
            format!(
                "{} does not pass `repro posture check` against this release",
                r.file.display()
            ),
            capped(r.findings.iter().map(ToString::to_string).collect()),
        );
    }
    (
        Status::Pass,
        format!(
            "{} passes `repro posture check` against this release: the reporting channel, the \
             response SLA of the audit policy, the release's signing identity",
            r.file.display()
        ),
        Vec::new(),
    )
}

impl EvidenceReport {
    /// The Markdown rendering.
    pub fn to_markdown(&self) -> String {
        use std::fmt::Write as _;
        let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut m = String::new();
        let _ = writeln!(
            m,
            "# Posture evidence: {} {}\n",
            self.name.as_deref().unwrap_or("release"),
            self.version.as_deref().unwrap_or("")
        );
        let _ = writeln!(
            m,
            "Release folder `{}`, component `{}`{}; checked on {} with repro {}. Every row is \
             verified from bytes; a row whose evidence is missing says \"not evidenced\", never \
             \"pass\".\n",
            self.release.display(),
            self.component,
            if self.privileged { " (privileged)" } else { "" },
            self.checked_on,
            self.tool_version
        );
        let _ = writeln!(m, "## Controls\n");
        let _ = writeln!(
            m,
            "| evidence | verdict | what was verified | S2C2F | SLSA |\n|---|---|---|---|---|"
        );
        let dash = |v: &[&str]| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join(", ")
            }
        };
        for r in &self.rows {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} | {} |",
                r.title,
                r.status.as_str(),
                esc(&r.evidence),
                dash(&r.s2c2f),
                dash(&r.slsa)
            );
        }
        let with_problems: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| !r.problems.is_empty())
            .collect();
        if !with_problems.is_empty() {
            let _ = writeln!(m, "\nProblems found:\n");
            for r in with_problems {
                for p in &r.problems {
                    let _ = writeln!(m, "- {}: {}", r.title, esc(p));
                }
            }
        }
        let _ = writeln!(m, "\n## Claimed controls\n");
        let _ = writeln!(
            m,
            "| framework | control | claimed | verdict | evidence |\n|---|---|---|---|---|"
        );
        for c in &self.controls {
            let rows: Vec<&str> = c.rows.iter().map(|r| r.title()).collect();
            let _ = writeln!(
                m,
                "| {} | {} {} | {} | {} | {} |",
                c.control.framework(),
                c.control.id(),
                esc(c.title),
                if c.claimed { "yes" } else { "no" },
                match c.status {
                    ControlStatus::Evidenced => "evidenced",
                    ControlStatus::Contradicted => "CONTRADICTED",
                    ControlStatus::NotEvidenced => "not evidenced",
                },
                dash(&rows)
            );
        }
        let _ = writeln!(
            m,
            "\n## CISA Secure Software Development Attestation Form\n\nWhich practices of section \
             III each artefact evidences:\n"
        );
        let _ = writeln!(
            m,
            "| practice | artefacts | rows | verdict |\n|---|---|---|---|"
        );
        for c in &self.cisa {
            let rows: Vec<&str> = c.rows.iter().map(|r| r.title()).collect();
            let mut title = format!("{}. {}", c.practice, c.title);
            if let Some(n) = c.note {
                let _ = write!(title, " ({n})");
            }
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} |",
                esc(&title),
                esc(&c.artefacts.join("; ")),
                dash(&rows),
                c.status
            );
        }
        let unmet: Vec<String> = self
            .controls
            .iter()
            .filter(|c| c.claimed && c.status != ControlStatus::Evidenced)
            .map(|c| c.control.id().to_string())
            .collect();
        let failed: Vec<&str> = self
            .rows
            .iter()
            .filter(|r| r.status == Status::Fail)
            .map(|r| r.title)
            .collect();
        let _ = writeln!(
            m,
            "\n**Verdict:** {}",
            if self.passed {
                "every claimed control has passing evidence.".to_string()
            } else {
                let mut parts = Vec::new();
                if !failed.is_empty() {
                    parts.push(format!("failed: {}", failed.join(", ")));
                }
                if !unmet.is_empty() {
                    parts.push(format!(
                        "claimed without passing evidence: {}",
                        unmet.join(", ")
                    ));
                }
                parts.join("; ")
            }
        );
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_counts_read_text_and_json_without_names() {
        let text = "repro audit, 2026-11-20: 24 packages; 2 findings (1 failing), 0 warnings\n\nHIGH X pkg==1 (pypi, vulnerability)\n  due: 2026-11-01 OVERDUE (clock from published 2026-10-01)\n";
        let (day, packages, findings, overdue) = audit_counts(text).unwrap();
        assert_eq!(crate::date::format_day(day), "2026-11-20");
        assert_eq!((packages, findings, overdue), (24, 2, 1));
        let json = r#"{"schema":"repro.audit/v1","now":"2026-11-20","packages":3,"summary":{"findings":0,"critical":0,"high":0,"medium":0,"low":0,"unknown":0,"malicious":0,"warnings":0,"overdue":0,"failing":0},"findings":[]}"#;
        assert_eq!(audit_counts(json).unwrap().1, 3);
        assert!(audit_counts("hello").is_err());
    }

    #[test]
    fn typed_cyclonedx_checks_catch_what_the_schema_would() {
        let doc: Document = serde_json::from_value(serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:not-a-uuid",
            "components": [
                {"type": "library", "bom-ref": "a", "name": "a", "hashes": [{"alg": "SHA-256", "content": "00"}]},
                {"type": "lib", "bom-ref": "a", "name": "b"}
            ],
            "dependencies": [{"ref": "a", "dependsOn": ["zzz"]}]
        }))
        .unwrap();
        let p = validate_cyclonedx(&doc).join("\n");
        for want in ["urn:uuid", "64 hex", "`lib`", "used twice", "`zzz`"] {
            assert!(p.contains(want), "{want}: {p}");
        }
    }

    #[test]
    fn report_files_are_read_up_to_their_caps() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        let sized = |len: u64| {
            std::fs::File::create(&f).unwrap().set_len(len).unwrap();
        };
        let over = |e: String| assert!(e.contains("larger than the limit"), "{e}");
        sized(MAX_SUMS_BYTES);
        assert_eq!(read_sums(&f).unwrap().len() as u64, MAX_SUMS_BYTES);
        sized(MAX_SUMS_BYTES + 1);
        over(read_sums(&f).unwrap_err().to_string());
        sized(MAX_AUDIT_REPORT_BYTES + 1);
        over(read_audit_report(&f).unwrap_err().to_string());
        sized(MAX_PROVENANCE_REPORT_BYTES + 1);
        over(read_provenance_report(&f).unwrap_err().to_string());
        sized(MAX_SBOM_BYTES + 1);
        over(load_sbom(&f).unwrap_err());
    }
}
