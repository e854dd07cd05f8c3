//! `repro posture check REPO…`: each repository's SECURITY.md against the shared structure,
//! its audit policy and its release's signing identities, and the repositories against each
//! other.
//!
//! Per repository: the file exists; it has the title and every required section, in order,
//! and no other level-2 section; no placeholder is left; each section makes its required
//! statements; the SLA table's numbers equal the audit policy's (`--policy`, else the one its
//! `posture.toml` names, else `repro audit`'s defaults); the signing identities and the verify
//! command equal those of the release folder (`--release DIR`), or of `posture.toml` when no
//! release is given; a continuous-detection job is stated exactly when `posture.toml` claims one,
//! and its workflow evidences the claim ([`super::detection`]). Across repositories: every
//! heading at the same address as in the first.
//! Each finding names the repository, the section (and line) and what differs.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::commands;
use super::config::{Fingerprint, OidcIdentity, Signing};
use super::document::{self, Heading, Section};
use super::{MAX_SECURITY_MD_BYTES, POSTURE_TOML, Posture, SECURITY_MD};

/// Schema of the JSON report.
pub const CHECK_SCHEMA: &str = "repro.posture-check/v1";

/// What went wrong, as a stable kebab-case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckCode {
    /// No SECURITY.md.
    MissingFile,
    /// The title is missing or is not the first heading.
    MissingTitle,
    /// A required section is missing.
    MissingSection,
    /// A required section is out of order.
    SectionOrder,
    /// A level-2 section that is not one of the required ones.
    UnexpectedSection,
    /// A required section appears twice.
    DuplicateSection,
    /// A placeholder was left.
    Placeholder,
    /// A section lacks one of its required statements.
    MissingStatement,
    /// The SLA table disagrees with the audit policy.
    SlaMismatch,
    /// The signing identities or the verify command disagree with the release.
    SigningMismatch,
    /// Headings differ from the first repository's.
    HeadingMismatch,
    /// SECURITY.md and posture.toml disagree about the continuous-detection job.
    DetectionClaim,
    /// The claimed continuous-detection workflow does not evidence the claim.
    DetectionWorkflow,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct CheckFinding {
    /// Stable code.
    pub code: CheckCode,
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The section concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<&'static str>,
    /// What differs.
    pub message: String,
}

impl std::fmt::Display for CheckFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": ")?;
        if let Some(s) = self.section {
            write!(f, "section `{s}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// One repository's result.
#[derive(Debug, Clone, Serialize)]
pub struct RepoReport {
    /// The repository, as given.
    pub repository: PathBuf,
    /// Its SECURITY.md.
    pub file: PathBuf,
    /// The headings found, with their addresses.
    pub headings: Vec<Heading>,
    /// What the signing identities were compared with: `release` or `posture.toml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_checked_against: Option<String>,
    /// Findings.
    pub findings: Vec<CheckFinding>,
    /// What could not be checked (unreadable files): exit 2.
    pub errors: Vec<String>,
}

/// The result of `repro posture check`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// [`CHECK_SCHEMA`].
    pub schema: &'static str,
    /// No finding and no error.
    pub passed: bool,
    /// The release folder the identities were compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<PathBuf>,
    /// Per repository, in the order given.
    pub repositories: Vec<RepoReport>,
    /// Findings over all repositories.
    pub findings: usize,
    /// Errors over all repositories.
    pub errors: usize,
}

impl CheckReport {
    /// The readable report: one line per finding, then a verdict line.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for r in &self.repositories {
            for f in &r.findings {
                let code = serde_json::to_value(f.code).expect("serializes");
                let _ = writeln!(out, "error[{}]: {f}", code.as_str().unwrap_or(""));
            }
            for e in &r.errors {
                let _ = writeln!(out, "error: {e}");
            }
        }
        let n = self.repositories.len();
        let _ = writeln!(
            out,
            "{n} repositor{}: {}",
            if n == 1 { "y" } else { "ies" },
            if self.passed {
                "SECURITY.md structure, SLA and signing identities as required".to_string()
            } else {
                let n = |k: usize, one: &str, many: &str| {
                    format!("{k} {}", if k == 1 { one } else { many })
                };
                format!(
                    "{}, {}",
                    n(self.findings, "finding", "findings"),
                    n(self.errors, "error", "errors")
                )
            }
        );
        out
    }
}

/// What `repro posture check` is asked.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// Repositories (directories holding SECURITY.md and, usually, posture.toml).
    pub repositories: Vec<PathBuf>,
    /// The latest release folder, whose signing identities SECURITY.md must state.
    pub release: Option<PathBuf>,
    /// An audit policy for every repository instead of their own.
    pub policy: Option<PathBuf>,
}

/// Check every repository.
pub fn check(req: &CheckRequest) -> CheckReport {
    let release = req.release.as_deref().map(ReleaseIdentity::load);
    let mut repos: Vec<RepoReport> = req
        .repositories
        .iter()
        .map(|r| check_one(r, req.policy.as_deref(), release.as_ref()))
        .collect();
    // Across repositories: every heading at the same address as in the first one read.
    if let Some(first) = repos.iter().position(|r| !r.headings.is_empty()) {
        let reference = repos[first].headings.clone();
        let ref_file = repos[first].file.clone();
        for r in repos.iter_mut().skip(first + 1) {
            if r.headings.is_empty() {
                continue;
            }
            let n = reference.len().max(r.headings.len());
            if let Some(i) = (0..n).find(|&i| {
                reference.get(i).map(|h| (h.level, &h.anchor))
                    != r.headings.get(i).map(|h| (h.level, &h.anchor))
            }) {
                let show = |h: Option<&Heading>| match h {
                    Some(h) => format!(
                        "`{} {}` (#{})",
                        "#".repeat(h.level as usize),
                        h.text,
                        h.anchor
                    ),
                    None => "nothing".to_string(),
                };
                let here = r.headings.get(i);
                r.findings.push(CheckFinding {
                    code: CheckCode::HeadingMismatch,
                    file: r.file.clone(),
                    line: here.map(|h| h.line),
                    section: None,
                    message: format!(
                        "heading {} is {} here, but {} in `{}`: the same heading must be at the \
                         same address in every repository",
                        i + 1,
                        show(here),
                        show(reference.get(i)),
                        ref_file.display()
                    ),
                });
            }
        }
    }
    let findings = repos.iter().map(|r| r.findings.len()).sum();
    let errors = repos.iter().map(|r| r.errors.len()).sum::<usize>()
        + release.as_ref().map_or(0, |r| usize::from(r.is_err()));
    if let Some(Err(e)) = &release
        && let Some(first) = repos.first_mut()
    {
        first.errors.push(e.clone());
    }
    CheckReport {
        schema: CHECK_SCHEMA,
        passed: findings == 0 && errors == 0,
        release: req.release.clone(),
        repositories: repos,
        findings,
        errors,
    }
}

/// The identities a release folder is signed with.
#[derive(Debug, Clone)]
pub(crate) struct ReleaseIdentity {
    dir: PathBuf,
    /// The fingerprint of `release.pub`, when SHA256SUMS verifies with it.
    key: Option<Fingerprint>,
    /// SHA256SUMS's bundle, when it is keyless.
    keyless_bundle: Option<PathBuf>,
}

impl ReleaseIdentity {
    /// Read a release folder's identities from the signature of its manifest, the root of
    /// every release: `release.pub` counts only if the manifest's bundle verifies with it (a
    /// key dropped into the folder proves nothing); a keyless bundle is checked against the
    /// identity SECURITY.md states.
    pub(crate) fn load(dir: &Path) -> Result<ReleaseIdentity, String> {
        let signed = dir.join(commands::MANIFEST);
        let bundle_path = dir.join(format!("{}{}", commands::MANIFEST, commands::BUNDLE_SUFFIX));
        let bundle = crate::sign::read_bundle(&bundle_path)
            .map_err(|e| format!("release `{}`: {e}", dir.display()))?;
        if bundle.keyless {
            return Ok(ReleaseIdentity {
                dir: dir.to_path_buf(),
                key: None,
                keyless_bundle: Some(bundle_path),
            });
        }
        let key_path = dir.join(commands::RELEASE_KEY);
        let key = crate::sign::load_public(&key_path)
            .map_err(|e| format!("release `{}`: {e}", dir.display()))?;
        let digest = crate::sign::sha256_file(&signed)
            .map_err(|e| format!("release `{}`: {e}", dir.display()))?;
        let crate::sign::BundleContent::Message {
            digest: named,
            signature,
        } = &bundle.content
        else {
            return Err(format!(
                "`{}`: not a message signature",
                bundle_path.display()
            ));
        };
        crate::sign::verify_message(&key, &digest, named.as_deref(), signature).map_err(|e| {
            format!(
                "`{}` does not verify with `{}`: {e}",
                signed.display(),
                key_path.display()
            )
        })?;
        Ok(ReleaseIdentity {
            dir: dir.to_path_buf(),
            key: Some(Fingerprint::of(&key)),
            keyless_bundle: None,
        })
    }
}

/// What SECURITY.md states in its signing section.
#[derive(Debug, Default)]
struct Stated {
    fingerprints: Vec<(String, usize)>,
    identity: Option<(String, usize)>,
    issuer: Option<(String, usize)>,
}

fn stated(lines: &[(usize, &str)]) -> Stated {
    let mut s = Stated::default();
    for &(n, line) in lines {
        for tok in line.split(|c: char| !c.is_ascii_alphanumeric() && c != ':') {
            let hex = tok.strip_prefix("sha256:").unwrap_or(tok);
            if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                s.fingerprints.push((hex.to_ascii_lowercase(), n));
            }
        }
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            let value = || {
                words
                    .clone()
                    .next()
                    .map(|v| v.trim_matches(['`', '\'', '"']).to_string())
            };
            if w == "--certificate-identity" && s.identity.is_none() {
                s.identity = value().map(|v| (v, n));
            }
            if w == "--certificate-oidc-issuer" && s.issuer.is_none() {
                s.issuer = value().map(|v| (v, n));
            }
        }
    }
    s
}

fn check_one(
    repo: &Path,
    policy: Option<&Path>,
    release: Option<&Result<ReleaseIdentity, String>>,
) -> RepoReport {
    let file = repo.join(SECURITY_MD);
    let mut report = RepoReport {
        repository: repo.to_path_buf(),
        file: file.clone(),
        headings: Vec::new(),
        signing_checked_against: None,
        findings: Vec::new(),
        errors: Vec::new(),
    };
    let finding = |code, line, section: Option<Section>, message: String| CheckFinding {
        code,
        file: file.clone(),
        line,
        section: section.map(Section::heading),
        message,
    };
    let text = match crate::fsio::read_to_string_capped(&file, MAX_SECURITY_MD_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.findings.push(finding(
                CheckCode::MissingFile,
                None,
                None,
                format!(
                    "no {SECURITY_MD} in repository `{}`: write it with `repro posture init`",
                    repo.display()
                ),
            ));
            return report;
        }
        Err(e) => {
            report
                .errors
                .push(format!("{}: cannot read: {e}", file.display()));
            return report;
        }
    };
    let posture_path = repo.join(POSTURE_TOML);
    let posture = if posture_path.exists() {
        match Posture::load(&posture_path) {
            Ok(p) => Some(p),
            Err(e) => {
                report.errors.push(e.to_string());
                None
            }
        }
    } else {
        None
    };
    let lines: Vec<&str> = text.lines().collect();
    let headings = document::headings(&text);
    report.headings = headings.clone();

    // Title and structure.
    match headings.first() {
        Some(h) if h.level == 1 && h.text == document::TITLE => {}
        other => report.findings.push(finding(
            CheckCode::MissingTitle,
            other.map(|h| h.line),
            None,
            format!(
                "the first heading must be `# {}`, found {}",
                document::TITLE,
                other.map_or("none".to_string(), |h| format!(
                    "`{} {}`",
                    "#".repeat(h.level as usize),
                    h.text
                ))
            ),
        )),
    }
    // Each required section's heading index in `headings` (the first, if repeated).
    let mut at: Vec<(Section, usize)> = Vec::new();
    for (i, h) in headings.iter().enumerate() {
        if h.level == 1 && i > 0 {
            report.findings.push(finding(
                CheckCode::UnexpectedSection,
                Some(h.line),
                None,
                format!("a second title `# {}`: SECURITY.md has one", h.text),
            ));
        }
        if h.level != 2 {
            continue;
        }
        match Section::from_heading(&h.text) {
            Some(s) if at.iter().any(|(x, _)| *x == s) => report.findings.push(finding(
                CheckCode::DuplicateSection,
                Some(h.line),
                Some(s),
                "appears twice".into(),
            )),
            Some(s) => at.push((s, i)),
            None => report.findings.push(finding(
                CheckCode::UnexpectedSection,
                Some(h.line),
                None,
                format!(
                    "`## {}` is not one of the required sections ({}); put it under one of them \
                     as a `###` subsection",
                    h.text,
                    Section::ALL.map(|s| s.heading()).join(", ")
                ),
            )),
        }
    }
    for (k, s) in Section::ALL.iter().enumerate() {
        if !at.iter().any(|(x, _)| x == s) {
            let after = Section::ALL[..k]
                .iter()
                .rev()
                .find(|p| at.iter().any(|(x, _)| x == *p));
            report.findings.push(finding(
                CheckCode::MissingSection,
                None,
                Some(*s),
                match after {
                    Some(p) => format!(
                        "missing (it belongs after `## {}`, at #{})",
                        p.heading(),
                        document::anchor(s.heading())
                    ),
                    None => format!(
                        "missing (it belongs first, at #{})",
                        document::anchor(s.heading())
                    ),
                },
            ));
        }
    }
    // Order: each present section must come after every earlier required one present.
    let mut last: Option<(Section, usize)> = None;
    for &(s, i) in &at {
        if let Some((prev, _)) = last
            && s < prev
        {
            report.findings.push(finding(
                CheckCode::SectionOrder,
                Some(headings[i].line),
                Some(s),
                format!(
                    "comes after `## {}`; the required order is {}",
                    prev.heading(),
                    Section::ALL.map(|s| s.heading()).join(", ")
                ),
            ));
        }
        if last.is_none_or(|(prev, _)| s > prev) {
            last = Some((s, i));
        }
    }
    // A section's body: from its heading to the next heading of level 1 or 2.
    let body = |s: Section| -> Vec<(usize, &str)> {
        let Some(&(_, i)) = at.iter().find(|(x, _)| *x == s) else {
            return Vec::new();
        };
        let start = headings[i].line;
        let end = headings[i + 1..]
            .iter()
            .find(|h| h.level <= 2)
            .map_or(lines.len(), |h| h.line - 1);
        (start..end).map(|n| (n + 1, lines[n])).collect()
    };
    let section_of = |line: usize| -> Option<Section> {
        at.iter()
            .filter(|(_, i)| headings[*i].line <= line)
            .max_by_key(|(_, i)| headings[*i].line)
            .map(|(s, _)| *s)
    };

    // Placeholders, anywhere.
    for (n, line) in lines.iter().enumerate() {
        if let Some(p) = document::placeholder(line) {
            report.findings.push(finding(
                CheckCode::Placeholder,
                Some(n + 1),
                section_of(n + 1),
                format!("placeholder `{p}` left"),
            ));
        }
    }
    // Required statements.
    for &(s, i) in &at {
        let text = body(s)
            .iter()
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase()
            .replace("**", "");
        for st in s.statements() {
            if !text.contains(&st.to_lowercase()) {
                report.findings.push(finding(
                    CheckCode::MissingStatement,
                    Some(headings[i].line),
                    Some(s),
                    format!("does not say \"{st}\""),
                ));
            }
        }
    }

    // The continuous-detection claim: SECURITY.md and posture.toml agree, and the workflow
    // evidences it.
    if let Some(&(_, i)) = at.iter().find(|(s, _)| *s == Section::Posture) {
        let stated = body(Section::Posture).into_iter().find_map(|(n, l)| {
            let rest = l.trim_start().strip_prefix(document::DETECTION_LEAD)?;
            let path = rest
                .split_once('`')
                .and_then(|(_, r)| r.split_once('`'))
                .map(|(p, _)| p.to_string());
            Some((n, path))
        });
        let claimed = posture
            .as_ref()
            .and_then(|p| p.continuous_detection.as_ref());
        let claim =
            |m: String, line| finding(CheckCode::DetectionClaim, line, Some(Section::Posture), m);
        match (claimed, &stated) {
            (Some(c), None) => report.findings.push(claim(
                format!(
                    "{POSTURE_TOML} claims continuous detection (`{}`), and this section does not \
                     state it: run `repro posture init`",
                    c.workflow
                ),
                Some(headings[i].line),
            )),
            (None, Some((n, _))) if posture.is_some() => report.findings.push(claim(
                format!(
                    "states continuous detection, and {POSTURE_TOML} has no \
                     `[continuous-detection]`: claim it there or remove the paragraph"
                ),
                Some(*n),
            )),
            (_, Some((n, None))) => report.findings.push(claim(
                "the continuous-detection paragraph names no workflow (its first `code span`)"
                    .into(),
                Some(*n),
            )),
            (Some(c), Some((n, Some(w)))) if *w != c.workflow => report.findings.push(claim(
                format!(
                    "states the workflow `{w}`, and {POSTURE_TOML} claims `{}`",
                    c.workflow
                ),
                Some(*n),
            )),
            _ => {}
        }
        let workflow = claimed
            .map(|c| c.workflow.clone())
            .or_else(|| stated.and_then(|(_, w)| w));
        if let Some(w) = workflow {
            match super::detection::check_workflow(repo, &w) {
                Ok(problems) => {
                    for p in problems {
                        report.findings.push(CheckFinding {
                            code: CheckCode::DetectionWorkflow,
                            file: repo.join(&w),
                            line: p.line,
                            section: Some(Section::Posture.heading()),
                            message: format!("continuous detection: {}", p.message),
                        });
                    }
                }
                Err(e) => report.errors.push(e),
            }
        }
    }

    // The SLA table against the audit policy.
    if at.iter().any(|(s, _)| *s == Section::Sla) {
        match super::load_policy(policy, posture.as_ref()) {
            Err(e) => report.errors.push(e.to_string()),
            Ok((p, policy_path)) => {
                let source = match &policy_path {
                    Some(path) => format!("the audit policy `{}`", path.display()),
                    None => "`repro audit`'s default policy".to_string(),
                };
                let rows = sla_rows(&body(Section::Sla));
                for (severity, want) in [("critical", p.critical_days()), ("high", p.high_days())] {
                    match rows.iter().find(|r| r.severity == severity) {
                        None => report.findings.push(finding(
                            CheckCode::SlaMismatch,
                            None,
                            Some(Section::Sla),
                            format!("no `{severity}` row in the SLA table; {source} gives {want} business days"),
                        )),
                        Some(r) if r.days != Some(want) => report.findings.push(finding(
                            CheckCode::SlaMismatch,
                            Some(r.line),
                            Some(Section::Sla),
                            format!(
                                "{severity} is {} here, {source} says {want} business days",
                                r.days.map_or("not a number of business days".to_string(), |d| format!("{d} business days"))
                            ),
                        )),
                        Some(_) => {}
                    }
                }
                if !rows.iter().any(|r| {
                    r.severity.starts_with("medium") && r.text.contains("next regular release")
                }) {
                    report.findings.push(finding(
                        CheckCode::SlaMismatch,
                        None,
                        Some(Section::Sla),
                        "no `medium, low` row giving \"the next regular release\"".into(),
                    ));
                }
            }
        }
    }

    // Signing identities against the release (or posture.toml).
    if at.iter().any(|(s, _)| *s == Section::Signing) {
        let sign_body = body(Section::Signing);
        let st = stated(&sign_body);
        let section_line = sign_body.first().map(|(n, _)| n - 1);
        match (release, &posture) {
            (Some(Err(_)), _) => {} // reported once, as an error
            (Some(Ok(rel)), _) => {
                report.signing_checked_against = Some(format!("release `{}`", rel.dir.display()));
                let expected = Signing {
                    key_fingerprint: rel.key.clone(),
                    oidc: None,
                };
                compare_key(&st, &expected, section_line, &format!("the release's `{}`", rel.dir.join(commands::RELEASE_KEY).display()), &mut |l, m| {
                    report.findings.push(finding(CheckCode::SigningMismatch, l, Some(Section::Signing), m))
                });
                if let Some(bundle) = &rel.keyless_bundle {
                    match (&st.identity, &st.issuer) {
                        (Some((id, l)), Some((iss, _))) => {
                            let root = sign_root();
                            let signed = rel.dir.join(commands::MANIFEST);
                            let verdict = root.and_then(|root| {
                                let json = crate::sign::read_bundle(bundle).map_err(|e| e.to_string())?.json;
                                crate::sign::keyless::verify(
                                    crate::sign::keyless::Subject::File(&signed),
                                    &json,
                                    id,
                                    iss,
                                    &root,
                                )
                                .map(drop)
                            });
                            if let Err(e) = verdict {
                                report.findings.push(finding(
                                    CheckCode::SigningMismatch,
                                    Some(*l),
                                    Some(Section::Signing),
                                    format!("the release's `{}` is not signed by `{id}` via `{iss}`: {e}", signed.display()),
                                ));
                            }
                        }
                        _ => report.findings.push(finding(
                            CheckCode::SigningMismatch,
                            section_line,
                            Some(Section::Signing),
                            format!("the release `{}` is signed keyless, and no `--certificate-identity` and `--certificate-oidc-issuer` are stated", rel.dir.display()),
                        )),
                    }
                }
            }
            (None, Some(p)) => {
                report.signing_checked_against = Some(format!("`{}`", p.path.display()));
                compare_key(&st, &p.signing, section_line, &format!("`{}`", p.path.display()), &mut |l, m| {
                    report.findings.push(finding(CheckCode::SigningMismatch, l, Some(Section::Signing), m))
                });
                compare_oidc(&st, p.signing.oidc.as_ref(), section_line, &format!("`{}`", p.path.display()), &mut |l, m| {
                    report.findings.push(finding(CheckCode::SigningMismatch, l, Some(Section::Signing), m))
                });
            }
            (None, None) => report.findings.push(finding(
                CheckCode::SigningMismatch,
                section_line,
                Some(Section::Signing),
                format!(
                    "nothing to compare the signing identities with: give `--release DIR`, or keep a {POSTURE_TOML} in `{}`",
                    repo.display()
                ),
            )),
        }
        // The verify command must be the one the stated identities give.
        let stated_signing = Signing {
            key_fingerprint: st.fingerprints.first().and_then(|(f, _)| f.parse().ok()),
            oidc: match (&st.identity, &st.issuer) {
                (Some((id, _)), Some((iss, _))) => Some(OidcIdentity {
                    identity: id.clone(),
                    issuer: iss.clone(),
                }),
                _ => None,
            },
        };
        if stated_signing.key_fingerprint.is_some() || stated_signing.oidc.is_some() {
            let want = document::verify_command(&stated_signing);
            if !sign_body.iter().any(|(_, l)| l.trim() == want) {
                report.findings.push(finding(
                    CheckCode::SigningMismatch,
                    section_line,
                    Some(Section::Signing),
                    format!("the verify command is not `{want}`, the one `repro release` documents for these identities"),
                ));
            }
        }
    }
    report
}

fn sign_root() -> Result<sigstore_verify::trust_root::TrustedRoot, String> {
    crate::sign::keyless::trusted_root(None, false)
}

fn compare_key(
    st: &Stated,
    expected: &Signing,
    section_line: Option<usize>,
    source: &str,
    push: &mut dyn FnMut(Option<usize>, String),
) {
    match &expected.key_fingerprint {
        Some(want) => {
            let want = want.to_string();
            if st.fingerprints.is_empty() {
                push(
                    section_line,
                    format!("states no release key fingerprint; {source} is `{want}`"),
                );
            }
            for (fp, line) in &st.fingerprints {
                if *fp != want {
                    push(
                        Some(*line),
                        format!("states the key fingerprint `{fp}`, but {source} is `{want}`"),
                    );
                }
            }
        }
        None => {
            for (fp, line) in &st.fingerprints {
                push(
                    Some(*line),
                    format!("states the key fingerprint `{fp}`, but {source} names no release key"),
                );
            }
        }
    }
}

fn compare_oidc(
    st: &Stated,
    expected: Option<&OidcIdentity>,
    section_line: Option<usize>,
    source: &str,
    push: &mut dyn FnMut(Option<usize>, String),
) {
    let stated = (&st.identity, &st.issuer);
    match (expected, stated) {
        (None, (None, None)) => {}
        (None, (Some((_, l)), _) | (_, Some((_, l)))) => push(
            Some(*l),
            format!("states a keyless identity, but {source} names none"),
        ),
        (Some(o), (Some((id, l)), Some((iss, _)))) => {
            if *id != o.identity || *iss != o.issuer {
                push(
                    Some(*l),
                    format!(
                        "states the keyless identity `{id}` via `{iss}`, but {source} names `{}` via `{}`",
                        o.identity, o.issuer
                    ),
                );
            }
        }
        (Some(o), _) => push(
            section_line,
            format!(
                "states no keyless identity with its issuer; {source} names `{}` via `{}`",
                o.identity, o.issuer
            ),
        ),
    }
}

/// A row of the SLA table.
#[derive(Debug)]
struct SlaRow {
    severity: String,
    days: Option<u32>,
    text: String,
    line: usize,
}

fn sla_rows(body: &[(usize, &str)]) -> Vec<SlaRow> {
    let mut out = Vec::new();
    for &(n, line) in body {
        let t = line.trim();
        if !t.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = t.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 2 {
            continue;
        }
        let severity = cells[0].to_lowercase().replace("**", "");
        let text = cells[1].to_lowercase();
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        let days = (!digits.is_empty()
            && text[digits.len()..]
                .trim_start()
                .starts_with("business day"))
        .then(|| digits.parse().ok())
        .flatten();
        out.push(SlaRow {
            severity,
            days,
            text,
            line: n,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_md_is_read_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(SECURITY_MD);
        std::fs::write(&f, vec![b'x'; MAX_SECURITY_MD_BYTES as usize]).unwrap();
        let req = CheckRequest {
            repositories: vec![dir.path().to_path_buf()],
            ..Default::default()
        };
        let r = check(&req);
        assert!(
            r.repositories[0].errors.is_empty(),
            "{:?}",
            r.repositories[0].errors
        );
        std::fs::write(&f, vec![b'x'; MAX_SECURITY_MD_BYTES as usize + 1]).unwrap();
        let r = check(&req);
        assert!(
            r.repositories[0].errors[0].contains("larger than the limit"),
            "{:?}",
            r.repositories[0].errors
        );
        assert!(!r.passed);
    }

    #[test]
    fn sla_rows_parse_numbers() {
        let body = [
            (1, "| severity | fix released within |"),
            (2, "|---|---|"),
            (3, "| critical | 3 business days |"),
            (4, "| **high** | 10 business days |"),
            (5, "| medium, low | the next regular release |"),
        ];
        let rows = sla_rows(&body);
        assert_eq!(rows[2].days, Some(3));
        assert_eq!(
            (rows[3].severity.as_str(), rows[3].days),
            ("high", Some(10))
        );
        assert_eq!(rows[4].days, None);
    }
}
