//! `repro diff A B`: two manifests, two archives, two trees or two files.

use std::path::PathBuf;

use clap::Args;

use crate::cli::printer::diff::{Detail, render};
use crate::cli::{ExitStatus, Printer};
use crate::diff::{DiffFailure, DiffOptions, DiffReport, diff};

/// Arguments of `repro diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first manifest, archive, directory or file
    a: PathBuf,
    /// The second
    b: PathBuf,
    /// Most lines of detail (text diff, preview) per difference
    #[arg(long, value_name = "N", default_value_t = 200)]
    max_lines: usize,
    /// Report every timestamp, including those of directory entries, and list every member of
    /// a group of metadata differences (by default one line per group)
    #[arg(long)]
    all_metadata: bool,
    /// Also write the report as one self-contained HTML page (no network, no script from
    /// elsewhere): a tree of the outputs, side-by-side text diffs, hex with ASCII
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
    /// Where the outputs of manifest A are, to compare their bytes
    #[arg(long, value_name = "DIR", requires = "root_b")]
    root_a: Option<PathBuf>,
    /// Where the outputs of manifest B are
    #[arg(long, value_name = "DIR", requires = "root_a")]
    root_b: Option<PathBuf>,
    /// Two manifests (A: the maintainer's, B: this machine's): write an in-toto SLSA
    /// verification summary (PASSED when identical, FAILED with the count otherwise)
    #[arg(long, value_name = "FILE")]
    attest: Option<PathBuf>,
    /// The maintainer's provenance statement, recorded by digest in the summary
    #[arg(long, value_name = "FILE", requires = "attest")]
    provenance: Option<PathBuf>,
    /// The verifier identity recorded in the summary
    #[arg(long, value_name = "URI", env = "REPRO_VERIFIER_ID", default_value = crate::attest::VERIFIER_ID)]
    verifier_id: String,
    /// Two manifests: count tool, toolchain, environment and command differences as
    /// differences (by default they are notes, and the outputs decide)
    #[arg(long)]
    strict: bool,
}

/// Run `repro diff`. Under `--json`, stdout carries exactly one document: the report, or a
/// [`DiffFailure`] when the comparison could not complete (the message also goes to stderr).
pub fn run(args: DiffArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let options = DiffOptions {
        max_lines: args.max_lines,
        all_metadata: args.all_metadata,
        root_a: args.root_a.clone(),
        root_b: args.root_b.clone(),
        strict: args.strict,
        ..Default::default()
    };
    let fail = |code: &'static str, message: String| -> anyhow::Result<ExitStatus> {
        printer.error(&message, None);
        if printer.json {
            printer.json(&DiffFailure::new(&args.a, &args.b, code, message))?;
        }
        Ok(ExitStatus::Error)
    };
    let report = match diff(&args.a, &args.b, &options) {
        Ok(r) => r,
        Err(e) => return fail(e.code(), e.to_string()),
    };
    if let Some(path) = &args.attest
        && let Err(e) = attest(&args, path, &report)
    {
        return fail("attest", e);
    }
    if let Some(path) = &args.html {
        let page = crate::diff::html::render(&report);
        if let Err(e) = crate::fsio::write_atomic_beside(path, page.as_bytes()) {
            return fail("html", format!("cannot write `{}`: {e}", path.display()));
        }
    }
    if printer.json {
        printer.json(&report)?;
    } else {
        let detail = Detail::of(printer, args.all_metadata);
        if let Some(detail) = detail {
            printer.out(&render(&report, printer, detail))?;
        }
    }
    Ok(if report.identical {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Write the verification summary of comparing manifest A (the maintainer's) with B (ours).
fn attest(args: &DiffArgs, path: &std::path::Path, report: &DiffReport) -> Result<(), String> {
    let read = |p: &std::path::Path| {
        crate::fsio::read_capped(p, crate::manifest::MAX_MANIFEST_BYTES)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let (a, b) = (read(&args.a)?, read(&args.b)?);
    let reference = crate::manifest::Manifest::load(&args.a)
        .map_err(|e| format!("--attest compares two manifests: {e}"))?;
    let local = crate::manifest::Manifest::load(&args.b)
        .map_err(|e| format!("--attest compares two manifests: {e}"))?;
    let provenance = match &args.provenance {
        Some(p) => Some(crate::digest::sha256(&read(p)?).hex()),
        None => None,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let statement = crate::attest::vsa(
        &reference,
        &local,
        &crate::digest::sha256(&a).hex(),
        &crate::digest::sha256(&b).hex(),
        provenance.as_deref(),
        report.differences.len(),
        &report
            .notes
            .iter()
            .map(|n| format!("{} ({}): {}", n.location, n.kind, n.summary))
            .collect::<Vec<_>>(),
        &args.verifier_id,
        &crate::date::rfc3339(now),
    );
    let bytes = serde_json::to_vec_pretty(&statement).expect("serializes");
    crate::fsio::write_atomic_beside(path, &bytes).map_err(|e| e.to_string())
}
