//! `repro fetch PATH…`: resolve lockfiles into the content-addressed store.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use crate::cli::load_all_or_report;
use crate::cli::printer::{Progress, Style, Verbosity, human_bytes};
use crate::cli::{ExitStatus, Printer, SourceArgs, StoreArgs};
use crate::fetch::{Event, FetchReport, Outcome, fetch};

/// Arguments of `repro fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Lockfiles, or directories to search for them
    paths: Vec<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    sources: SourceArgs,
}

/// Run `repro fetch`.
pub fn run(args: FetchArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let Some(locks) = load_all_or_report(args.paths, printer) else {
        return Ok(ExitStatus::Error);
    };
    let store = args.store.open()?;
    let selector = args.sources.selector()?;
    let sources = args.sources.sources();
    let progress = Progress::new(printer, "fetch");
    let started = Instant::now();
    let verbose = printer.verbosity >= Verbosity::Verbose;
    let report = fetch(
        &locks,
        &selector,
        &sources,
        &store,
        args.sources.http_options(),
        args.sources.jobs,
        &|event| match event {
            Event::Planned(n) => progress.set_len(n as u64),
            Event::Bytes(n) => progress.add_bytes(n),
            Event::Done(job, outcome) => {
                progress.inc();
                if verbose {
                    progress.println(format!("{} {} ({:?})", job.package, job.filename, outcome));
                }
            }
            Event::Retry(why, n) => {
                if verbose {
                    progress.println(format!("retry {n}: {why}"));
                }
            }
        },
    )?;
    progress.finish();
    if printer.json {
        printer.json(&report)?;
    } else {
        // Errors are diagnostics (stderr), shown even under -qq; the summary is the result
        // (stdout), hidden by -qq.
        printer.diagnostics(&render_errors(&report, printer));
        printer.summary(&render_summary(&report, started.elapsed()))?;
    }
    Ok(if report.has_failure() {
        ExitStatus::Error
    } else if report.has_mismatch() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The errors of a fetch, for stderr.
fn render_errors(report: &FetchReport, printer: &Printer) -> String {
    let mut out = String::new();
    {
        for e in &report.plan_errors {
            let _ = writeln!(
                out,
                "{}: {}=={}: {}",
                printer.paint_err(Style::Error, "error"),
                e.package,
                e.version,
                e.reason
            );
            let _ = writeln!(out, "  --> {}", e.location);
        }
        for (job, outcome) in &report.artifacts {
            match outcome {
                Outcome::Mismatch {
                    actual,
                    bytes,
                    expected_bytes,
                } => {
                    let _ = writeln!(
                        out,
                        "{}: {}=={}: `{}` does not match the lock\n  url:      {}\n  expected: {}{}\n  actual:   sha256:{actual} ({bytes} bytes)\n  --> {}\n  nothing was admitted to the store",
                        printer.paint_err(Style::Error, "error[hash-mismatch]"),
                        job.package,
                        job.version,
                        job.filename,
                        job.url.as_deref().unwrap_or("-"),
                        job.expected,
                        expected_bytes
                            .map(|n| format!(" ({n} bytes)"))
                            .unwrap_or_default(),
                        job.location
                    );
                }
                Outcome::Corrupt { actual } => {
                    let _ = writeln!(
                        out,
                        "{}: {}=={}: `{}`: {}\n  --> {}",
                        printer.paint(Style::Error, "error[store-corrupt]"),
                        job.package,
                        job.version,
                        job.filename,
                        crate::fetch::corrupt_message(actual),
                        job.location
                    );
                }
                Outcome::Failed { reason } => {
                    let _ = writeln!(
                        out,
                        "{}: {}=={}: `{}`: {reason}\n  --> {}",
                        printer.paint_err(Style::Error, "error"),
                        job.package,
                        job.version,
                        job.filename,
                        job.location
                    );
                }
                _ => {}
            }
        }
    }
    out
}

/// Which index the requirements locks use, and where that setting came from: ` (index
/// https://mirror/simple/ from $PIP_INDEX_URL)`; empty when no lock needs an index.
fn render_indexes(report: &FetchReport) -> String {
    if report.indexes.is_empty() {
        return String::new();
    }
    let each: Vec<String> = report
        .indexes
        .iter()
        .map(|i| format!("{} from {}", i.url, i.source))
        .collect();
    format!(" (index {})", each.join(", "))
}

/// The one-line summary of a fetch, for stdout.
fn render_summary(report: &FetchReport, elapsed: Duration) -> String {
    let mut out = String::new();
    let downloaded = report.count(|o| matches!(o, Outcome::Downloaded { .. }));
    let present = report.count(|o| matches!(o, Outcome::Present));
    let local = report.count(|o| matches!(o, Outcome::Local { .. }));
    let mismatched =
        report.count(|o| matches!(o, Outcome::Mismatch { .. } | Outcome::Corrupt { .. }));
    let failed = report.count(|o| matches!(o, Outcome::Failed { .. })) + report.plan_errors.len();
    let not_locked = report.count(|o| matches!(o, Outcome::NotLocked { .. }));
    let _ = writeln!(
        out,
        "{} artifact{} ({}): {downloaded} downloaded ({}), {local} from --find-links, {present} already in the store, {mismatched} hash mismatch{}, {failed} failed{}; {} index request{}{} in {:.2} s",
        report.artifacts.len(),
        if report.artifacts.len() == 1 { "" } else { "s" },
        report.selector,
        human_bytes(report.downloaded_bytes()),
        if mismatched == 1 { "" } else { "es" },
        if not_locked > 0 {
            format!(", {not_locked} probed and not locked")
        } else {
            String::new()
        },
        report.index_requests,
        if report.index_requests == 1 { "" } else { "s" },
        render_indexes(report),
        elapsed.as_secs_f64()
    );
    out
}
