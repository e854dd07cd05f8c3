//! `repro diff A B`: two manifests, two archives, two trees or two files.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use crate::cli::printer::Style;
use crate::cli::{ExitStatus, Printer};
use crate::diff::{DiffOptions, DiffReport, diff};

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
    /// Report every timestamp, including those of directory entries
    #[arg(long)]
    all_metadata: bool,
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

/// Render a report for a person: differences grouped by location, details indented; then
/// notes.
pub fn render(report: &DiffReport, printer: &Printer) -> String {
    let mut out = String::new();
    if report.identical && report.notes.is_empty() {
        let _ = writeln!(
            out,
            "identical: {} and {}",
            report.a.display(),
            report.b.display()
        );
        return out;
    }
    if report.identical {
        let _ = writeln!(
            out,
            "reproduced: {} and {} built identical outputs from the same inputs and resolved set; {} note{} on how the builds ran:",
            report.a.display(),
            report.b.display(),
            report.notes.len(),
            if report.notes.len() == 1 { "" } else { "s" }
        );
        for n in &report.notes {
            let _ = writeln!(out, "  note: {} ({}): {}", n.location, n.kind, n.summary);
        }
        return out;
    }
    let mut last = None;
    for d in &report.differences {
        if last != Some(&d.location) {
            let _ = writeln!(
                out,
                "{}",
                printer.paint(
                    Style::Bold,
                    if d.location.is_empty() {
                        "(top level)"
                    } else {
                        &d.location
                    }
                )
            );
            last = Some(&d.location);
        }
        let _ = writeln!(
            out,
            "  {}: {}",
            printer.paint(Style::Warning, &d.kind.to_string()),
            d.summary
        );
        if let Some(detail) = &d.detail {
            for line in detail.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    for n in &report.notes {
        let _ = writeln!(out, "  note: {} ({}): {}", n.location, n.kind, n.summary);
    }
    let _ = writeln!(
        out,
        "{} difference{} between {} and {}",
        report.differences.len(),
        if report.differences.len() == 1 {
            ""
        } else {
            "s"
        },
        report.a.display(),
        report.b.display()
    );
    out
}

/// Run `repro diff`.
pub fn run(args: DiffArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let options = DiffOptions {
        max_lines: args.max_lines,
        all_metadata: args.all_metadata,
        root_a: args.root_a.clone(),
        root_b: args.root_b.clone(),
        strict: args.strict,
        ..Default::default()
    };
    let report = match diff(&args.a, &args.b, &options) {
        Ok(r) => r,
        Err(e) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Error);
        }
    };
    if let Some(path) = &args.attest
        && let Err(e) = attest(&args, path, &report)
    {
        printer.error(&e, None);
        return Ok(ExitStatus::Error);
    }
    if printer.json {
        printer.json(&report)?;
    } else {
        printer.out(&render(&report, printer))?;
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
