//! `repro provenance [LOCKS…]`: verify the PEP 740 provenance of the locked PyPI packages and
//! compare their publishers with the pins beside the locks.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use crate::cli::load_all_or_report;
use crate::cli::printer::{Style, Verbosity};
use crate::cli::{ExitStatus, Printer, StoreArgs, default_paths};
use crate::provenance::{
    ArtifactOutcome, Code, Options, PackageStatus, Report, Scope, Source, check, write_pins,
};

/// Arguments of `repro provenance`.
#[derive(Debug, Args)]
pub struct ProvenanceArgs {
    /// Lockfiles, or directories to search for them
    paths: Vec<PathBuf>,
    /// Check every locked package, not only the direct dependencies
    #[arg(long)]
    all: bool,
    /// Write each attested package's publisher to `provenance.toml` beside the locks (review the
    /// diff before committing it)
    #[arg(long)]
    pin: bool,
    /// A package in scope without provenance is an error
    #[arg(long)]
    require: bool,
    /// Read provenance from this folder (`<artifact file name>.provenance`) instead of the index
    #[arg(long, value_name = "DIR", conflicts_with = "offline")]
    provenance_dir: Option<PathBuf>,
    /// Python package index (PEP 691 JSON simple API; PEP 740 provenance, else its Integrity API)
    #[arg(long, value_name = "URL", default_value = crate::registry::DEFAULT_INDEX_URL, env = "REPRO_INDEX_URL")]
    index_url: String,
    /// Use the store alone: no network
    #[arg(long)]
    offline: bool,
    /// Ask the index again about files the store knows as unattested
    #[arg(long, conflicts_with = "offline")]
    refresh: bool,
    #[command(flatten)]
    store: StoreArgs,
    /// Verify against the Sigstore staging instance's trusted root
    #[arg(long)]
    staging: bool,
    /// Verify against this trusted root (`trusted_root.json`) instead of the shipped one
    #[arg(long, value_name = "FILE", conflicts_with = "staging")]
    trusted_root: Option<PathBuf>,
    /// Parallel requests (1 to 256)
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=crate::fetch::MAX_JOBS as i64))]
    jobs: u16,
    /// Seconds before a connection or a stalled read times out
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
    /// Attempts per request (timeouts, 5xx and 429 are retried)
    #[arg(long, value_name = "N", default_value_t = 4)]
    retries: u32,
}

impl ProvenanceArgs {
    /// The options of a run.
    fn options(&self) -> Options {
        Options {
            scope: if self.all { Scope::All } else { Scope::Direct },
            source: match (&self.provenance_dir, self.offline) {
                (_, true) => Source::Offline,
                (Some(dir), _) => Source::Dir(dir.clone()),
                (None, false) => Source::Index {
                    index_url: self.index_url.clone(),
                },
            },
            refresh: self.refresh,
            require: self.require,
            jobs: usize::from(self.jobs),
            http: crate::registry::HttpOptions {
                timeout: std::time::Duration::from_secs(self.timeout.max(1)),
                attempts: self.retries.max(1),
                ..Default::default()
            },
        }
    }

    /// The command that pins the same locks.
    fn pin_command(&self) -> String {
        let mut cmd = String::from("repro provenance --pin");
        if self.all {
            cmd.push_str(" --all");
        }
        for p in default_paths(self.paths.clone()) {
            let _ = write!(cmd, " {}", p.display());
        }
        cmd
    }
}

/// Run `repro provenance`.
pub fn run(args: ProvenanceArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let Some(locks) = load_all_or_report(args.paths.clone(), printer) else {
        return Ok(ExitStatus::Error);
    };
    let root = match crate::sign::keyless::trusted_root(args.trusted_root.as_deref(), args.staging)
    {
        Ok(r) => r,
        Err(e) => {
            printer.error(&e, None);
            return Ok(ExitStatus::Error);
        }
    };
    let store = args.store.open()?;
    let mut report = match check(&locks, &store, &root, &args.options()) {
        Ok(r) => r,
        Err(e) => {
            printer.error(&e, None);
            return Ok(ExitStatus::Error);
        }
    };
    let mut pinned: Result<Vec<PathBuf>, String> = Ok(Vec::new());
    if args.pin && !report.checked_nothing() {
        pinned = write_pins(&report);
        if let Ok(written) = &pinned {
            for f in &mut report.pins {
                f.written = written.contains(&f.path);
            }
        }
    }
    if printer.json {
        printer.json(&report)?;
    } else {
        if printer.verbosity >= Verbosity::Quiet {
            printer.diagnostics(&render_findings(&report, printer, &args));
        }
        printer.out(&render(&report, printer, &args))?;
        if printer.verbosity >= Verbosity::Default {
            let notes: String = pin_notes(&report, &args)
                .iter()
                .map(|n| format!("note: {n}\n"))
                .collect();
            printer.diagnostics(&notes);
        }
    }
    if report.checked_nothing() {
        printer.error(
            "nothing to check: no PyPI package in scope of these locks",
            Some("PEP 740 provenance covers PyPI packages; `--all` checks more than the direct dependencies"),
        );
        return Ok(ExitStatus::Error);
    }
    if let Err(e) = &pinned {
        printer.error(
            e,
            Some("fix or investigate the failures above, then pin again"),
        );
    }
    Ok(if report.has_verdict() {
        ExitStatus::Failure
    } else if report.has_error() || pinned.is_err() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}

/// The findings, for stderr.
fn render_findings(report: &Report, printer: &Printer, args: &ProvenanceArgs) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let label = format!("error[{}]", f.code.as_str());
        let _ = writeln!(
            out,
            "{}: {}\n  --> {}",
            printer.paint_err(Style::Error, &label),
            crate::redact::plain_text(&f.message),
            f.location
        );
        let exact =
            matches!(f.code, Code::PublisherChanged | Code::ProvenanceVanished).then(|| {
                format!(
                    "if the change is expected, review it, then re-pin: `{}`",
                    args.pin_command()
                )
            });
        if let Some(h) = exact.as_ref().or(f.hint.as_ref()) {
            let _ = writeln!(out, "  hint: {h}");
        }
    }
    out
}

/// One line per package, then the coverage line, for stdout.
fn render(report: &Report, printer: &Printer, args: &ProvenanceArgs) -> String {
    let mut out = String::new();
    if printer.verbosity >= Verbosity::Default {
        let width = report
            .packages
            .iter()
            .map(|p| p.name.len() + p.version.len() + 1)
            .max()
            .unwrap_or(0);
        for p in &report.packages {
            let verified = p
                .artifacts
                .iter()
                .filter(|a| matches!(a.outcome, ArtifactOutcome::Verified { .. }))
                .count();
            let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
            let publishers = p
                .publishers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            let (label, style, detail) = match p.status {
                PackageStatus::Attested => (
                    "attested",
                    Style::Ok,
                    format!("{publishers} ({})", files(verified)),
                ),
                PackageStatus::Partial => (
                    "partial",
                    Style::Warning,
                    format!("{publishers} ({verified} of {})", files(p.artifacts.len())),
                ),
                PackageStatus::Missing => (
                    "missing",
                    Style::Dim,
                    match p.artifacts.len() {
                        0 => "not from an index".to_string(),
                        n => format!("no provenance ({})", files(n)),
                    },
                ),
                PackageStatus::Failed => (
                    "FAILED",
                    Style::Error,
                    "an attestation did not verify".into(),
                ),
                PackageStatus::Unknown => {
                    ("unknown", Style::Warning, "could not be checked".into())
                }
            };
            let id = format!("{} {}", p.name, p.version);
            let _ = writeln!(
                out,
                "{}{id:<width$}  {}",
                printer.paint(style, &format!("{label:<9}")),
                crate::redact::plain_text(&detail)
            );
        }
    }
    let s = &report.summary;
    let what = match report.scope {
        Scope::Direct => "direct dependencies",
        Scope::All => "packages",
    };
    let _ = writeln!(
        out,
        "{} of {} {what} attested ({} partly, {} without provenance, {} failed, {} not checked); {} attestation{} verified offline; {} request{}",
        s.attested,
        s.packages,
        s.partial,
        s.missing,
        s.failed,
        s.unknown,
        s.attestations,
        if s.attestations == 1 { "" } else { "s" },
        report.requests,
        if report.requests == 1 { "" } else { "s" },
    );
    for f in &report.pins {
        if f.written {
            let _ = writeln!(
                out,
                "pinned {} package{} in {}",
                f.proposed.len(),
                if f.proposed.len() == 1 { "" } else { "s" },
                f.path.display()
            );
        } else if f.exists && args.pin {
            let _ = writeln!(out, "{} is up to date", f.path.display());
        }
    }
    out
}

/// Suggestions about the pin files (never acted on without `--pin`).
fn pin_notes(report: &Report, args: &ProvenanceArgs) -> Vec<String> {
    let mut notes = Vec::new();
    for f in report.pins.iter().filter(|_| !args.pin) {
        if !f.exists && !f.proposed.is_empty() {
            notes.push(format!(
                "{} attested package{} not pinned: `{}` records the publishers in `{}`",
                f.proposed.len(),
                if f.proposed.len() == 1 {
                    " is"
                } else {
                    "s are"
                },
                args.pin_command(),
                f.path.display()
            ));
        } else if f.exists && !f.unpinned.is_empty() {
            notes.push(format!(
                "`{}` does not pin {}: `{}` adds {}",
                f.path.display(),
                f.unpinned.join(", "),
                args.pin_command(),
                if f.unpinned.len() == 1 { "it" } else { "them" }
            ));
        }
    }
    notes.extend(report.notes.iter().cloned());
    notes
}
