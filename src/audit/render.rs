//! The private report as a work list, in text or Markdown: the findings grouped by due date
//! (the most urgent first, then those waiting for the next regular release), each with what to
//! do (the smallest upgrade that clears every finding of the package, the fixed versions), where
//! (the lockfiles), how late (business days overdue), and the advisory's aliases and references;
//! then the findings VEX suppresses, with the justification, and the stale suppressions.
//!
//! Both renderings keep two lines that `repro posture evidence` reads without reading a name:
//! the first (`repro audit, DATE: N packages; F findings …`, after `# ` in Markdown) and, for
//! each overdue finding in force, `due: DATE OVERDUE (clock from …)` (indented two spaces in
//! text, a `- ` item in Markdown). A suppressed finding's clock is written otherwise.

use std::fmt::Write as _;

use crate::audit::report::Report;
use crate::audit::{Finding, FindingKind};

/// The findings of `report` in runs of the same due date.
fn by_due(findings: &[Finding]) -> Vec<&[Finding]> {
    findings.chunk_by(|a, b| a.sla.due == b.sla.due).collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn group_title(group: &[Finding]) -> String {
    let f = &group[0];
    let count = plural(group.len(), "finding", "findings");
    if f.sla.due == "next-release" {
        return format!("due with the next regular release: {count}");
    }
    match f.sla.overdue_business_days {
        Some(n) => format!(
            "due {}, overdue by {}: {count}",
            f.sla.due,
            plural(n as usize, "business day", "business days")
        ),
        None => match f.sla.days_left {
            Some(n) => format!(
                "due {}, in {}: {count}",
                f.sla.due,
                plural(n.max(0) as usize, "business day", "business days")
            ),
            None => format!("due {}: {count}", f.sla.due),
        },
    }
}

fn headline(f: &Finding) -> String {
    let what = match &f.kind {
        FindingKind::Vulnerability => "vulnerability".to_string(),
        FindingKind::Malicious => "MALICIOUS PACKAGE".to_string(),
        FindingKind::Warning(i) => format!("warning: {i}"),
    };
    format!(
        "{} {} {}=={} ({}, {}){}",
        match f.kind {
            FindingKind::Warning(_) => "INFO".to_string(),
            _ => f.severity.as_str().to_uppercase(),
        },
        f.id,
        f.name,
        f.version,
        f.ecosystem,
        what,
        if f.fails { "" } else { " [not failing]" }
    )
}

/// The lines of one finding, as (label, value) pairs, in the order a responder reads them.
fn details(f: &Finding, suppressed: bool) -> Vec<(&'static str, String)> {
    let mut d = Vec::new();
    if let Some(s) = &f.summary {
        d.push(("summary", s.clone()));
    }
    if !f.aliases.is_empty() {
        d.push(("aliases", f.aliases.join(", ")));
    }
    if let (Some(score), Some(v)) = (f.score, &f.vector) {
        d.push(("score", format!("{score:.1} {v}")));
    }
    let clock = format!("(clock from {} {})", f.sla.clock_source, f.sla.clock_start);
    if suppressed {
        d.push((
            "clock",
            format!(
                "was due {}{} {clock}",
                f.sla.due,
                if f.sla.overdue { ", past" } else { "" }
            ),
        ));
    } else {
        d.push((
            "due",
            format!(
                "{}{} {clock}",
                f.sla.due,
                if f.sla.overdue { " OVERDUE" } else { "" }
            ),
        ));
        if let Some(n) = f.sla.overdue_business_days {
            d.push((
                "overdue",
                plural(n as usize, "business day", "business days"),
            ));
        }
    }
    if let Some(n) = &f.policy_note {
        d.push(("policy note", n.clone()));
    }
    match &f.upgrade {
        Some(u) => d.push((
            "upgrade",
            format!(
                "{} {} → {u} (the smallest version that clears every finding of {} {})",
                f.name, f.version, f.name, f.version
            ),
        )),
        None if !matches!(f.kind, FindingKind::Warning(_)) => d.push((
            "upgrade",
            match f.kind {
                FindingKind::Malicious => "none: remove the package".to_string(),
                _ => "no fixed version clears every finding of this package".to_string(),
            },
        )),
        None => {}
    }
    if !f.fixed_in.is_empty() {
        d.push(("fixed in", f.fixed_in.join(", ")));
    }
    d.push(("lockfiles", f.used_by.join(", ")));
    if !f.references.is_empty() {
        d.push((
            "references",
            f.references
                .iter()
                .map(|r| r.url.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ));
    }
    d.push(("advisory", f.source.clone()));
    if let Some(v) = &f.vex {
        let mut text = match (&v.justification, &v.detail) {
            (Some(j), Some(d)) => format!("{j}: {d}"),
            (Some(j), None) => j.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => String::new(),
        };
        match (&v.expires, v.expired) {
            (Some(e), true) => {
                let _ = write!(text, " (EXPIRED {e}: no longer suppresses)");
            }
            (Some(e), false) => {
                let _ = write!(text, " (until {e})");
            }
            _ => {}
        }
        let _ = write!(text, " [{}]", v.statement);
        d.push(("not affected", text));
    }
    d
}

fn first_line(r: &Report) -> String {
    format!(
        "repro audit, {}: {} packages; {} findings ({} failing), {} warnings",
        r.now, r.packages, r.summary.findings, r.summary.failing, r.summary.warnings
    )
}

fn stale_line(s: &crate::vex::Statement) -> String {
    let products: Vec<&str> = s.products.iter().map(|p| p.purl.as_str()).collect();
    format!(
        "{} {} ({}{})",
        s.vulnerability,
        if products.is_empty() {
            "(no pypi or cargo purl)".to_string()
        } else {
            products.join(", ")
        },
        s.origin,
        s.expires
            .as_ref()
            .map(|e| format!(", until {e}"))
            .unwrap_or_default()
    )
}

/// The text report.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", first_line(r));
    if let Some(f) = &r.database.freshness {
        let _ = writeln!(
            out,
            "advisory data: {} old (last checked {})",
            f.age, f.checked
        );
    }
    for group in by_due(&r.findings) {
        let _ = writeln!(out);
        let _ = writeln!(out, "== {} ==", group_title(group));
        for f in group {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", headline(f));
            for (label, value) in details(f, false) {
                if label == "summary" {
                    let _ = writeln!(out, "  {value}");
                } else {
                    let _ = writeln!(out, "  {label}: {value}");
                }
            }
        }
    }
    if !r.suppressed.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "== suppressed by VEX: {} ==",
            plural(r.suppressed.len(), "finding", "findings")
        );
        for f in &r.suppressed {
            let _ = writeln!(out);
            let _ = writeln!(out, "SUPPRESSED {}", headline(f));
            for (label, value) in details(f, true) {
                let _ = writeln!(out, "  {label}: {value}");
            }
        }
    }
    if !r.stale_suppressions.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "== stale suppressions: {} naming no finding ==",
            plural(r.stale_suppressions.len(), "statement", "statements")
        );
        for s in &r.stale_suppressions {
            let _ = writeln!(out, "  {}", stale_line(s));
        }
    }
    out
}

/// Markdown text: advisory data and package names may hold Markdown or HTML, which a viewer
/// would render (a link, an image, emphasis, a script tag). Every character with an inline
/// meaning is escaped with a backslash; block syntax cannot start, since every value follows a
/// label or a heading marker on its line (and is one line: plain text).
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_{}[]<>#!|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A URL as a Markdown autolink when it is a plain http(s) URL, else as escaped text.
fn md_url(u: &str) -> String {
    let plain = (u.starts_with("https://") || u.starts_with("http://"))
        && !u
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '`' | '"'));
    if plain { format!("<{u}>") } else { md(u) }
}

fn md_finding(out: &mut String, f: &Finding, suppressed: bool) {
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "### {}{}",
        if suppressed { "SUPPRESSED " } else { "" },
        md(&headline(f))
    );
    let _ = writeln!(out);
    for (label, value) in details(f, suppressed) {
        let value = match label {
            "references" => f
                .references
                .iter()
                .map(|r| md_url(&r.url))
                .collect::<Vec<_>>()
                .join(" "),
            // Kept as text for `repro posture evidence` (a date and a fixed word).
            "due" => value,
            _ => md(&value),
        };
        let _ = writeln!(out, "- {label}: {value}");
    }
}

/// The Markdown report.
pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", first_line(r));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Private: this report names the packages, versions and advisories of an audit. {} \
         critical, {} high, {} medium, {} low, {} unrated; {} overdue.",
        r.summary.critical,
        r.summary.high,
        r.summary.medium,
        r.summary.low,
        r.summary.unknown,
        r.summary.overdue
    );
    if let Some(f) = &r.database.freshness {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Advisory data: {} old (last checked {}).",
            f.age, f.checked
        );
    }
    for group in by_due(&r.findings) {
        let _ = writeln!(out);
        let _ = writeln!(out, "## {}", md(&group_title(group)));
        for f in group {
            md_finding(&mut out, f, false);
        }
    }
    if !r.suppressed.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "## Suppressed by VEX: {}",
            plural(r.suppressed.len(), "finding", "findings")
        );
        for f in &r.suppressed {
            md_finding(&mut out, f, true);
        }
    }
    if !r.stale_suppressions.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "## Stale suppressions: {} naming no finding",
            plural(r.stale_suppressions.len(), "statement", "statements")
        );
        let _ = writeln!(out);
        for s in &r.stale_suppressions {
            let _ = writeln!(out, "- {}", md(&stale_line(s)));
        }
    }
    out
}
