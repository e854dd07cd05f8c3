//! `repro diff A B`: two manifests, two archives, two trees or two files.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use crate::cli::printer::{Style, Verbosity};
use crate::cli::{ExitStatus, Printer};
use crate::diff::{
    Class, ClassSummary, DiffFailure, DiffOptions, DiffReport, Group, Kind, diff, summary_by_kind,
    thousands,
};

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

/// Most members of one group of equal content changes shown in full without `-v`.
const MAX_CONTENT_SHOWN: usize = 20;

/// How much of a report the text shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// `-q`: the verdict and the summary by kind.
    Summary,
    /// The default: the summary, every content difference, one line per metadata group.
    Grouped,
    /// `--all-metadata` or `-v`: also the members of every metadata group.
    Members,
}

impl Detail {
    /// The detail the global options ask for (`-q`, `-v`) and `--all-metadata`; `None` under
    /// `-qq` (nothing but errors).
    pub fn of(printer: &Printer, all_metadata: bool) -> Option<Detail> {
        match printer.verbosity {
            Verbosity::Silent => None,
            Verbosity::Quiet => Some(Detail::Summary),
            Verbosity::Verbose => Some(Detail::Members),
            Verbosity::Default if all_metadata => Some(Detail::Members),
            Verbosity::Default => Some(Detail::Grouped),
        }
    }
}

/// `n thing` or `n things`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A location as shown: the top level has no name of its own.
fn location(loc: &str) -> &str {
    if loc.is_empty() { "(top level)" } else { loc }
}

/// Render a report for a person: the verdict and a summary by kind first; then the content
/// differences (the likely causes) with their details; then one line per group of metadata
/// differences that changed the same way, its members listed only at [`Detail::Members`];
/// then notes.
pub fn render(report: &DiffReport, printer: &Printer, detail: Detail) -> String {
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
            "reproduced: {} and {} built identical outputs from the same inputs and resolved set; {} on how the builds ran{}",
            report.a.display(),
            report.b.display(),
            count(report.notes.len(), "note", "notes"),
            if detail == Detail::Summary { "" } else { ":" }
        );
        if detail != Detail::Summary {
            for n in &report.notes {
                let _ = writeln!(out, "  note: {} ({}): {}", n.location, n.kind, n.summary);
            }
        }
        return out;
    }
    let groups = report.groups();
    let _ = writeln!(
        out,
        "{} between {} and {}",
        count(report.differences.len(), "difference", "differences"),
        report.a.display(),
        report.b.display()
    );
    for ClassSummary {
        class,
        total,
        kinds,
    } in summary_by_kind(&groups)
    {
        let kinds: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{} {k}", thousands(*n)))
            .collect();
        let _ = writeln!(
            out,
            "  {:<8}  {:>7}  {}",
            class.as_str(),
            thousands(total),
            kinds.join(", ")
        );
    }
    if detail == Detail::Summary {
        return out;
    }
    let paint_kind = |k: Kind| printer.paint(Style::Warning, &k.to_string());
    let write_detail = |out: &mut String, text: &Option<String>, indent: &str| {
        if let Some(text) = text {
            for line in text.lines() {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
    };
    let content: Vec<&Group<'_>> = groups
        .iter()
        .filter(|g| g.class == Class::Content)
        .collect();
    if !content.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            printer.paint(Style::Bold, "content (the likely causes):")
        );
        let mut last = None;
        for g in &content {
            // A large group of equal content changes (500 members only in B) opens with its
            // own line and shows its first members in full, so that the other causes stay in
            // view; -v shows every member.
            let shown = if detail == Detail::Members || g.count <= MAX_CONTENT_SHOWN {
                g.count
            } else {
                let _ = writeln!(
                    out,
                    "{}: {}: {}",
                    paint_kind(g.kind),
                    count(g.count, "member", "members"),
                    g.change
                );
                last = None;
                MAX_CONTENT_SHOWN
            };
            for i in &g.differences[..shown] {
                let d = &report.differences[*i];
                if last != Some(&d.location) {
                    let _ = writeln!(out, "{}", printer.paint(Style::Bold, location(&d.location)));
                    last = Some(&d.location);
                }
                let _ = writeln!(out, "  {}: {}", paint_kind(d.kind), d.summary);
                write_detail(&mut out, &d.detail, "    ");
            }
            if shown < g.count {
                let _ = writeln!(
                    out,
                    "… and {} more {}: {} (-v lists them)",
                    thousands(g.count - shown),
                    g.kind,
                    g.change
                );
                last = None;
            }
        }
    }
    let metadata: Vec<&Group<'_>> = groups
        .iter()
        .filter(|g| g.class == Class::Metadata)
        .collect();
    if !metadata.is_empty() {
        let _ = writeln!(out, "\n{}", printer.paint(Style::Bold, "metadata:"));
        let mut hidden = 0;
        for g in &metadata {
            if let [only] = g.differences[..] {
                let d = &report.differences[only];
                let _ = writeln!(
                    out,
                    "  {}: {}: {}",
                    paint_kind(g.kind),
                    location(&d.location),
                    d.summary
                );
                write_detail(&mut out, &d.detail, "    ");
                continue;
            }
            let _ = writeln!(
                out,
                "  {}: {}: {}",
                paint_kind(g.kind),
                count(g.count, "member", "members"),
                g.change
            );
            if detail == Detail::Members {
                for i in &g.differences {
                    let d = &report.differences[*i];
                    let _ = writeln!(out, "    {}", location(&d.location));
                    write_detail(&mut out, &d.detail, "      ");
                }
            } else {
                hidden += g.count;
            }
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "  ({} in groups: --all-metadata or -v lists their members)",
                count(hidden, "difference", "differences")
            );
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out);
    }
    for n in &report.notes {
        let _ = writeln!(out, "  note: {} ({}): {}", n.location, n.kind, n.summary);
    }
    out
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
