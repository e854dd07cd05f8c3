//! `repro posture init|check|evidence`: parse the arguments, call [`crate::posture`], print
//! the report (text or Markdown by default, `--json` for the versioned document).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::{ExitStatus, Printer};
use crate::posture::{self, check, evidence};

/// `repro posture` subcommands.
#[derive(Debug, Subcommand)]
pub enum PostureCommand {
    /// Write SECURITY.md from posture.toml and the audit policy: fixed sections in a fixed
    /// order, the SLA table from the policy, the verify and "am I affected?" commands as
    /// VERIFY.md gives them
    Init(InitArgs),
    /// Check each repository's SECURITY.md: every section, in order, no placeholder, the SLA of
    /// the audit policy, the signing identities of the release, the same headings everywhere
    Check(CheckArgs),
    /// The controls table of a release folder, each row verified from bytes and mapped to
    /// S2C2F, SLSA Build L1 and the CISA attestation form (Markdown, or --json)
    Evidence(EvidenceArgs),
}

/// Arguments of `repro posture init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The posture file
    #[arg(long, value_name = "FILE", default_value = posture::POSTURE_TOML)]
    posture: PathBuf,
    /// Audit policy [default: the one posture.toml names, else repro audit's defaults]
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Where to write [default: SECURITY.md beside the posture file]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Replace a SECURITY.md that `repro posture init` did not write
    #[arg(long)]
    force: bool,
}

/// Arguments of `repro posture check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Repositories (directories with SECURITY.md and posture.toml) [default: .]
    repos: Vec<PathBuf>,
    /// The latest release folder: SECURITY.md must state its signing identities
    #[arg(long, value_name = "DIR")]
    release: Option<PathBuf>,
    /// Audit policy for every repository [default: each one's, as its posture.toml names it]
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

/// Arguments of `repro posture evidence`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The release folder (`repro release --out`)
    release: PathBuf,
    /// The posture file: what the component claims
    #[arg(long, value_name = "FILE", default_value = posture::POSTURE_TOML)]
    posture: PathBuf,
    /// The component the release is of [default: the only one, or the SBOM's name]
    #[arg(long, value_name = "NAME")]
    component: Option<String>,
    /// The source tree it was built from: its lockfiles and SECURITY.md
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Audit policy for the SECURITY.md check [default: the one posture.toml names]
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The second machine's signed verification summary [default:
    /// RELEASE/reproduced.intoto.json.sigstore.json]
    #[arg(long, value_name = "BUNDLE")]
    vsa: Option<PathBuf>,
    /// The second machine's public key
    #[arg(long, value_name = "PUB")]
    vsa_key: Option<PathBuf>,
    /// The last private audit report (`repro audit --report`, text or JSON); only its counts
    /// and date are read
    #[arg(long, value_name = "FILE")]
    audit_report: Option<PathBuf>,
    /// Oldest acceptable audit, in days
    #[arg(long, value_name = "DAYS", default_value_t = evidence::DEFAULT_MAX_AUDIT_AGE_DAYS)]
    max_audit_age: u32,
    /// The malicious-package feed (OSV directory or zip; repeatable)
    #[arg(long = "malware-feed", value_name = "PATH")]
    malware_feeds: Vec<PathBuf>,
    /// Oldest acceptable newest record of the malware feed, in days
    #[arg(long, value_name = "DAYS", default_value_t = evidence::DEFAULT_MAX_FEED_AGE_DAYS)]
    max_feed_age: u32,
    /// `repro provenance --json` report of the release's direct dependencies
    #[arg(long, value_name = "FILE")]
    provenance_report: Option<PathBuf>,
    /// Today, for the age limits (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", hide = true)]
    now: Option<String>,
}

/// Today in days since 1970-01-01 (UTC), or the `--now` date.
fn today(now: Option<&str>) -> Result<i64, String> {
    match now {
        Some(s) => crate::date::parse_day(s)
            .ok()
            .ok_or_else(|| format!("--now {s:?} is not a YYYY-MM-DD date")),
        None => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Ok(secs.div_euclid(86_400))
        }
    }
}

/// Run `repro posture`.
pub fn run(cmd: PostureCommand, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match cmd {
        PostureCommand::Init(a) => {
            let req = posture::InitRequest {
                posture: a.posture,
                policy: a.policy,
                out: a.out,
                force: a.force,
            };
            match posture::init(&req) {
                Ok(report) => {
                    if printer.json {
                        printer.json(&report)?;
                    } else {
                        printer.out(&format!(
                            "wrote {} ({} sections{})\n",
                            report.written.display(),
                            report.sections.len(),
                            match &report.policy {
                                Some(p) => format!(", SLA from {}", p.display()),
                                None => ", SLA from repro audit's default policy".into(),
                            }
                        ))?;
                    }
                    Ok(ExitStatus::Success)
                }
                Err(e) => {
                    printer.error(&e.to_string(), None);
                    Ok(ExitStatus::Error)
                }
            }
        }
        PostureCommand::Check(a) => {
            let report = check::check(&check::CheckRequest {
                repositories: crate::cli::default_paths(a.repos),
                release: a.release,
                policy: a.policy,
            });
            if printer.json {
                printer.json(&report)?;
            } else {
                printer.out(&report.render())?;
            }
            Ok(if report.errors > 0 {
                ExitStatus::Error
            } else if report.passed {
                ExitStatus::Success
            } else {
                ExitStatus::Failure
            })
        }
        PostureCommand::Evidence(a) => {
            let now_days = match today(a.now.as_deref()) {
                Ok(d) => d,
                Err(e) => {
                    printer.error(&e, None);
                    return Ok(ExitStatus::Error);
                }
            };
            let req = evidence::EvidenceRequest {
                release: a.release,
                posture: a.posture,
                component: a.component,
                repo: a.repo,
                policy: a.policy,
                vsa: a.vsa,
                vsa_key: a.vsa_key,
                audit_report: a.audit_report,
                max_audit_age_days: a.max_audit_age,
                malware_feeds: a.malware_feeds,
                max_feed_age_days: a.max_feed_age,
                provenance_report: a.provenance_report,
                now_days,
            };
            match evidence::evidence(&req) {
                Ok(report) => {
                    if printer.json {
                        printer.json(&report)?;
                    } else {
                        printer.out(&report.to_markdown())?;
                    }
                    Ok(if report.passed {
                        ExitStatus::Success
                    } else {
                        ExitStatus::Failure
                    })
                }
                Err(e) => {
                    printer.error(&e.to_string(), None);
                    Ok(ExitStatus::Error)
                }
            }
        }
    }
}
