//! The text of a `repro diff` report (also shown by `repro build --vary`): a summary by kind,
//! content differences before metadata, groups of equal changes as one line.

use std::fmt::Write as _;

use crate::cli::Printer;
use crate::cli::printer::{Style, Verbosity};
use crate::diff::{Class, ClassSummary, DiffReport, Group, Kind, summary_by_kind, thousands};

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
