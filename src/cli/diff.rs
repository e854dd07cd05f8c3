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
}

/// Render a report for a person: differences grouped by location, details indented.
pub fn render(report: &DiffReport, printer: &Printer) -> String {
    let mut out = String::new();
    if report.identical {
        let _ = writeln!(
            out,
            "identical: {} and {}",
            report.a.display(),
            report.b.display()
        );
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
        root_a: args.root_a,
        root_b: args.root_b,
        ..Default::default()
    };
    let report = match diff(&args.a, &args.b, &options) {
        Ok(r) => r,
        Err(e) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Error);
        }
    };
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
