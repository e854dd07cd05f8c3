//! `repro store verify` and `repro store export`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};

use crate::cli::load_all_or_report;
use crate::cli::printer::{Progress, human_bytes};
use crate::cli::printer::{Style, Verbosity};
use crate::cli::{ExitStatus, Printer, SourceArgs, StoreArgs};
use crate::fetch::{Outcome, fetch};
use crate::store::verify::{ProblemKind, VerifyOptions, verify};

/// `repro store …`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Rehash every object (SHA-256 and BLAKE3, one pass, in parallel); exit 1 if any is corrupt
    Verify(VerifyArgs),
    /// Write a wheelhouse (real file names, hard links where possible) for offline installs:
    /// `pip install --no-index --find-links DIR --require-hashes -r requirements.txt`
    Export(ExportArgs),
}

/// Arguments of `repro store verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Also open every wheel, crate and sdist: hash each member, check archive sanity, and
    /// record a per-member index
    #[arg(long)]
    deep: bool,
    /// Move corrupted objects to the store's quarantine folder
    #[arg(long)]
    repair: bool,
    /// Worker threads [default: the number of cores]
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

/// Arguments of `repro store export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The wheelhouse to write
    dir: PathBuf,
    /// Lockfiles, or directories to search for them
    paths: Vec<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    sources: SourceArgs,
}

/// Run a `repro store` command.
pub fn run(cmd: StoreCommand, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match cmd {
        StoreCommand::Verify(args) => run_verify(args, printer),
        StoreCommand::Export(args) => run_export(args, printer),
    }
}

fn run_verify(args: VerifyArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let store = args.store.open()?;
    let started = Instant::now();
    let progress = Progress::new(printer, "verify");
    let listing = store.list()?;
    progress.set_len((listing.entries.len() + listing.strays.len()) as u64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()?;
    let options = VerifyOptions {
        deep: args.deep,
        repair: args.repair,
        limits: None,
    };
    let report = pool.install(|| verify(&store, options, &|_| progress.inc()))?;
    progress.finish();
    let elapsed = started.elapsed().as_secs_f64();
    if printer.json {
        printer.json(&report)?;
    } else {
        let mut out = String::new();
        for p in &report.problems {
            let what = match &p.problem {
                ProblemKind::Corrupt { actual, size } => {
                    format!("content hashes to sha256:{actual} ({size} bytes), not its name")
                }
                ProblemKind::BadName => "file name is not a SHA-256 digest".to_string(),
                ProblemKind::RecordMismatch { detail } => detail.clone(),
                ProblemKind::Unreadable { detail } => format!("unreadable: {detail}"),
                ProblemKind::MissingRecord => "no record: the store was interrupted after admitting it (`--repair` rebuilds it; the next fetch adds its file name)".to_string(),
                ProblemKind::BadRecord { detail } => format!("bad record: {detail}"),
                ProblemKind::OrphanRecord => "a record whose object is not in the store".to_string(),
                ProblemKind::Archive { detail, .. } => detail.clone(),
            };
            let _ = writeln!(
                out,
                "{}: {} ({}): {what}",
                printer.paint(Style::Error, "error"),
                p.object,
                if p.filenames.is_empty() {
                    "no record".to_string()
                } else {
                    p.filenames.join(", ")
                },
            );
            if let Some(q) = &p.quarantined {
                let _ = writeln!(out, "  moved to {q}");
            }
            if let Some(r) = &p.repaired {
                let _ = writeln!(out, "  {r}");
            }
        }
        if printer.verbosity >= Verbosity::Quiet {
            let rate = report.bytes as f64 / elapsed.max(1e-9) / 1e9;
            let _ = write!(
                out,
                "{} object{}, {} in {elapsed:.2} s ({rate:.2} GB/s)",
                report.objects,
                if report.objects == 1 { "" } else { "s" },
                human_bytes(report.bytes),
            );
            if report.deep {
                let _ = write!(
                    out,
                    "; {} archives, {} members, {} decompressed",
                    report.archives,
                    report.members,
                    human_bytes(report.member_bytes)
                );
            }
            let verdict = if report.problems.is_empty() {
                printer.paint(Style::Ok, "all verified")
            } else {
                printer.paint(Style::Error, &format!("{} bad", report.problems.len()))
            };
            let _ = writeln!(out, ": {verdict}");
        }
        printer.out(&out)?;
    }
    Ok(if report.problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn run_export(args: ExportArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let Some(locks) = load_all_or_report(args.paths, printer) else {
        return Ok(ExitStatus::Error);
    };
    let store = args.store.open()?;
    let selector = args.sources.selector()?;
    let mut sources = args.sources.sources();
    // Export never downloads: run `repro fetch` first.
    sources.offline = true;
    let report = fetch(
        &locks,
        &selector,
        &sources,
        &store,
        args.sources.http_options(),
        args.sources.jobs,
        &|_| {},
    )?;
    std::fs::create_dir_all(&args.dir)?;
    let mut out = String::new();
    let mut exported = 0;
    let mut problems = 0;
    let mut corrupt = 0;
    for e in &report.plan_errors {
        problems += 1;
        let _ = writeln!(
            out,
            "{}: {}=={}: {}\n  --> {}",
            printer.paint(Style::Error, "error"),
            e.package,
            e.version,
            e.reason,
            e.location
        );
    }
    for (job, outcome) in &report.artifacts {
        if let Outcome::Corrupt { actual } = outcome {
            corrupt += 1;
            let _ = writeln!(
                out,
                "{}: {}=={}: `{}`: {}",
                printer.paint(Style::Error, "error[store-corrupt]"),
                job.package,
                job.version,
                job.filename,
                crate::fetch::corrupt_message(actual)
            );
            continue;
        }
        if !matches!(outcome, Outcome::Present) {
            problems += 1;
            let _ = writeln!(
                out,
                "{}: {}=={}: `{}` is not in the store; run `repro fetch` first",
                printer.paint(Style::Error, "error"),
                job.package,
                job.version,
                job.filename
            );
            continue;
        }
        if let Some(why) =
            crate::resolve::unfit_file_name(&job.filename, &job.package, &job.version)
        {
            problems += 1;
            let _ = writeln!(
                out,
                "{}: {}=={}: refusing to export `{}`: {why}",
                printer.paint(Style::Error, "error"),
                job.package,
                job.version,
                job.filename
            );
            continue;
        }
        let dest = args.dir.join(&job.filename);
        if dest.exists() {
            let same = crate::digest::hash_reader(
                crate::fsio::open_regular(&dest)?,
                &[job.expected.algorithm()],
            )?
            .matches(&job.expected);
            if same {
                exported += 1;
                continue;
            }
            problems += 1;
            let _ = writeln!(
                out,
                "{}: `{}` already exists with other content",
                printer.paint(Style::Error, "error"),
                dest.display()
            );
            continue;
        }
        // A copy whose SHA-256 is proven on the way: a changed store object is refused (exit 1).
        let Some(id) = store.resolve(&job.expected) else {
            problems += 1;
            let _ = writeln!(
                out,
                "{}: {}=={}: `{}` is not in the store; run `repro fetch` first",
                printer.paint(Style::Error, "error"),
                job.package,
                job.version,
                job.filename
            );
            continue;
        };
        match store.checkout(&id, std::slice::from_ref(&job.expected), &dest) {
            Ok(_) => exported += 1,
            Err(e @ crate::store::StoreError::Corrupt { .. }) => {
                corrupt += 1;
                let _ = writeln!(out, "{}: {e}", printer.paint(Style::Error, "error"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if printer.json {
        printer.json(&serde_json::json!({
            "schema": "repro.store-export/v1",
            "dir": args.dir,
            "selector": report.selector,
            "exported": exported,
            "problems": problems,
            "corrupt": corrupt,
        }))?;
    } else {
        let _ = writeln!(
            out,
            "exported {exported} artifact{} for {} to {}{}",
            if exported == 1 { "" } else { "s" },
            report.selector,
            args.dir.display(),
            match (problems, corrupt) {
                (0, 0) => String::new(),
                (p, 0) => format!("; {p} problem(s)"),
                (p, c) =>
                    format!("; {c} store object(s) changed since admission, {p} other problem(s)"),
            }
        );
        printer.out(&out)?;
    }
    Ok(if problems > 0 {
        ExitStatus::Error
    } else if corrupt > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
