//! `repro diff --html FILE`: a report as one self-contained page a person would rather look at
//! than read the terminal: the verdict and a summary by kind, a tree of the outputs whose
//! members fold open (the content differences, with side-by-side text diffs and hex with
//! ASCII), then the metadata groups, each one line whose members fold open.
//!
//! Invariants: the page loads nothing (no network, no script at all; a Content-Security-Policy
//! of `default-src 'none'` says so to the browser too), and every string that comes from the
//! compared files (member names, diff lines, hex, field values, paths) leaves through
//! [`escape`], so hostile bytes are shown, never interpreted. The page is a rendering of the
//! report, deterministic like it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::diff::group::{Class, ClassSummary, Group, summary_by_kind, thousands};
use crate::diff::{DiffReport, Difference};

/// The page's style: no colour carries meaning alone (removed/added also differ by side).
const STYLE: &str = "
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
pre{margin:.3em 0;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse}td,th{padding:.15em .6em;vertical-align:top;text-align:left}
.summary td:nth-child(2){text-align:right}
details{margin:.2em 0 .2em 1.2em}summary{cursor:pointer}
details.output>summary{font-weight:bold}
.kind{display:inline-block;min-width:7em;color:#8a4b00;font-weight:600}
.count{color:#555}
.notes{color:#444}
table.sbs{width:100%;table-layout:fixed;border:1px solid #ddd;margin:.3em 0}
table.sbs td{white-space:pre-wrap;word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;padding:0 .4em}
table.sbs td.n{width:3.5em;color:#888;text-align:right}
table.sbs th{background:#f4f4f4}
td.del{background:#ffe9e9}td.ins{background:#e6ffec}tr.hunk td{background:#f1f5ff;color:#555}
pre.hex mark{background:#ffd54f}
mark.hostpath{background:#ffcc80;border-bottom:2px solid #e65100}
.identical{color:#1b5e20;font-weight:bold}.different{color:#b71c1c;font-weight:bold}
";

/// Text as HTML: `&`, `<`, `>`, `"` and `'` escaped, control characters (bar newline and tab)
/// and bidirectional controls shown as U+FFFD so that no byte of a compared file changes how the page is read.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            // Bidirectional controls reorder what is shown (a name that reads as another):
            // shown as U+FFFD like control characters.
            c if c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}') =>
            {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

/// Text escaped, with the strings that look like host paths marked.
fn escape_marking_paths(text: &str) -> String {
    let mut out = String::new();
    let mut at = 0;
    for r in crate::diff::hostpath::find(text) {
        out.push_str(&escape(&text[at..r.start]));
        let _ = write!(
            out,
            "<mark class=\"hostpath\" title=\"looks like a host path\">{}</mark>",
            escape(&text[r.clone()])
        );
        at = r.end;
    }
    out.push_str(&escape(&text[at..]));
    out
}

/// The page for a report.
pub fn render(report: &DiffReport) -> String {
    let (a, b) = (
        report.a.display().to_string(),
        report.b.display().to_string(),
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>repro diff: {} and {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>repro diff</h1>\n<p>A: <code>{}</code><br>B: <code>{}</code></p>\n",
        escape(&a),
        escape(&b),
        escape(&a),
        escape(&b),
    );
    let groups = report.groups();
    if report.identical {
        let _ = writeln!(
            out,
            "<p class=\"verdict identical\" id=\"verdict\">{}</p>",
            if report.notes.is_empty() {
                "identical: byte for byte"
            } else {
                "reproduced: identical outputs from the same inputs and resolved set"
            }
        );
    } else {
        let _ = writeln!(
            out,
            "<p class=\"verdict different\" id=\"verdict\">{} difference{}</p>",
            thousands(report.differences.len()),
            if report.differences.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        summary(&mut out, &groups);
        content(&mut out, report, &groups);
        metadata(&mut out, report, &groups);
    }
    if !report.notes.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Notes on how the builds ran</h2>\n<ul class=\"notes\">"
        );
        for n in &report.notes {
            let _ = writeln!(
                out,
                "<li><span class=\"kind\">{}</span> <code>{}</code>: {}</li>",
                n.kind,
                escape(&n.location),
                escape_marking_paths(&n.summary)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The summary by kind: content first.
fn summary(out: &mut String, groups: &[Group<'_>]) {
    out.push_str("<h2>Summary</h2>\n<table class=\"summary\" id=\"summary\">\n");
    for ClassSummary {
        class,
        total,
        kinds,
    } in summary_by_kind(groups)
    {
        let list: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{} {k}", thousands(*n)))
            .collect();
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            class.as_str(),
            thousands(total),
            list.join(", ")
        );
    }
    out.push_str("</table>\n");
}

/// A node of the tree of outputs: its differences, and its members by name (`!/` enters an
/// archive).
#[derive(Default)]
struct Node<'a> {
    here: Vec<&'a Difference>,
    members: BTreeMap<&'a str, Node<'a>>,
}

impl Node<'_> {
    fn count(&self) -> usize {
        self.here.len() + self.members.values().map(Node::count).sum::<usize>()
    }
}

/// The content differences as a tree of the outputs: each output, then its members.
fn content(out: &mut String, report: &DiffReport, groups: &[Group<'_>]) {
    let mut root = Node::default();
    for g in groups.iter().filter(|g| g.class == Class::Content) {
        for i in &g.differences {
            let d = &report.differences[*i];
            let mut node = &mut root;
            for part in d.location.split("!/") {
                node = node.members.entry(part).or_default();
            }
            node.here.push(d);
        }
    }
    if root.members.is_empty() {
        return;
    }
    out.push_str("<h2>Content (the likely causes)</h2>\n<div id=\"content\">\n");
    for (name, node) in &root.members {
        tree(out, name, node, 0);
    }
    out.push_str("</div>\n");
}

fn tree(out: &mut String, name: &str, node: &Node<'_>, depth: usize) {
    let _ = writeln!(
        out,
        "<details class=\"{}\" open>\n<summary><code class=\"member\">{}</code> <span class=\"count\">({})</span></summary>",
        if depth == 0 { "output" } else { "member" },
        escape(if name.is_empty() { "(top level)" } else { name }),
        thousands(node.count())
    );
    for d in &node.here {
        difference(out, d);
    }
    for (name, child) in &node.members {
        tree(out, name, child, depth + 1);
    }
    out.push_str("</details>\n");
}

/// One difference: its kind and summary, then its detail as side-by-side text, hex or lines.
fn difference(out: &mut String, d: &Difference) {
    let _ = writeln!(
        out,
        "<div class=\"difference\"><span class=\"kind\">{}</span> {}",
        d.kind,
        escape_marking_paths(&d.summary)
    );
    if let Some(detail) = &d.detail {
        render_detail(out, detail);
    }
    out.push_str("</div>\n");
}

/// A detail: lines before a unified diff or a hex window as they are (host paths marked), a
/// unified diff side by side, a hex window with the differing bytes marked.
fn render_detail(out: &mut String, detail: &str) {
    let lines: Vec<&str> = detail.lines().collect();
    let unified = lines
        .windows(2)
        .position(|w| w[0].starts_with("--- ") && w[1].starts_with("+++ "));
    let hex = lines
        .iter()
        .position(|l| l.starts_with("first difference at byte"));
    let start = match (unified, hex) {
        (Some(u), Some(h)) => u.min(h),
        (Some(u), None) => u,
        (None, Some(h)) => h,
        (None, None) => lines.len(),
    };
    if start > 0 {
        let _ = writeln!(
            out,
            "<pre class=\"lines\">{}</pre>",
            escape_marking_paths(&lines[..start].join("\n"))
        );
    }
    let rest = &lines[start..];
    if rest.is_empty() {
        return;
    }
    if Some(start) == unified {
        side_by_side(out, &rest[2..]);
    } else {
        hex_block(out, rest);
    }
}

/// A unified diff as a two-column table: context on both sides, removed lines left, added
/// lines right, paired in order.
fn side_by_side(out: &mut String, lines: &[&str]) {
    out.push_str("<table class=\"sbs\"><colgroup><col style=\"width:3.5em\"><col><col style=\"width:3.5em\"><col></colgroup>\n<tr><th></th><th>A</th><th></th><th>B</th></tr>\n");
    let (mut na, mut nb) = (0usize, 0usize);
    let mut dels: Vec<&str> = Vec::new();
    let mut inss: Vec<&str> = Vec::new();
    let flush = |out: &mut String,
                 dels: &mut Vec<&str>,
                 inss: &mut Vec<&str>,
                 na: &mut usize,
                 nb: &mut usize| {
        for i in 0..dels.len().max(inss.len()) {
            let cell = |side: Option<&&str>, n: &mut usize, class: &str| match side {
                Some(t) => {
                    *n += 1;
                    format!(
                        "<td class=\"n\">{n}</td><td class=\"{class}\">{}</td>",
                        escape_marking_paths(t)
                    )
                }
                None => "<td class=\"n\"></td><td></td>".to_string(),
            };
            let left = cell(dels.get(i), na, "del");
            let right = cell(inss.get(i), nb, "ins");
            let _ = writeln!(out, "<tr>{left}{right}</tr>");
        }
        dels.clear();
        inss.clear();
    };
    for line in lines {
        if let Some(t) = line.strip_prefix('-') {
            dels.push(t);
            continue;
        }
        if let Some(t) = line.strip_prefix('+') {
            inss.push(t);
            continue;
        }
        if line.starts_with('\\') && !(dels.is_empty() && inss.is_empty()) {
            // `\ No newline at end of file` under a removed or added line: the last line of
            // that side lacks its newline; keep the run whole so its lines stay paired.
            continue;
        }
        flush(out, &mut dels, &mut inss, &mut na, &mut nb);
        if line.starts_with("@@") {
            // `@@ -12,7 +12,8 @@`: where the hunk starts on each side.
            let start = |sign: char| -> usize {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(sign))
                    .and_then(|w| w.split(',').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(1)
            };
            na = start('-').saturating_sub(1);
            nb = start('+').saturating_sub(1);
            let _ = writeln!(
                out,
                "<tr class=\"hunk\"><td colspan=\"4\">{}</td></tr>",
                escape(line)
            );
        } else if let Some(t) = line.strip_prefix(' ') {
            na += 1;
            nb += 1;
            let t = escape_marking_paths(t);
            let _ = writeln!(
                out,
                "<tr><td class=\"n\">{na}</td><td>{t}</td><td class=\"n\">{nb}</td><td>{t}</td></tr>"
            );
        } else {
            // `\ No newline at end of file`, `… (n more lines)`.
            let _ = writeln!(
                out,
                "<tr class=\"hunk\"><td colspan=\"4\">{}</td></tr>",
                escape(line)
            );
        }
    }
    flush(out, &mut dels, &mut inss, &mut na, &mut nb);
    out.push_str("</table>\n");
}

/// A hex window: each pair of A and B rows with the bytes that differ marked (in the hex and
/// in the ASCII column); the text's `^` marker lines are replaced by the marks.
fn hex_block(out: &mut String, lines: &[&str]) {
    out.push_str("<pre class=\"hex\">");
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let pair = lines.get(i + 1).copied();
        match (parse_row(line), pair.and_then(parse_row)) {
            (Some(x), Some(y)) if x.side == 'A' && y.side == 'B' && x.at == y.at => {
                row_html(out, &x, &y);
                out.push('\n');
                row_html(out, &y, &x);
                out.push('\n');
                i += 2;
                // The marker line the text form adds.
                if lines
                    .get(i)
                    .is_some_and(|l| l.trim_start().starts_with('^'))
                {
                    i += 1;
                }
            }
            _ => {
                out.push_str(&escape(line));
                out.push('\n');
                i += 1;
            }
        }
    }
    out.push_str("</pre>\n");
}

/// One parsed row of a hex window.
struct Row<'a> {
    at: &'a str,
    side: char,
    /// 16 cells, `None` past the side's last byte.
    cells: Vec<Option<&'a str>>,
    ascii: Vec<char>,
    end: bool,
}

/// `00000010  A  2d 62 …  |-build-abc/pkg/m|` or `00000010  A  (end)`.
fn parse_row(line: &str) -> Option<Row<'_>> {
    let at = line.get(..8)?;
    if !at.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let side = line.get(10..11)?.chars().next()?;
    if !matches!(side, 'A' | 'B') {
        return None;
    }
    let rest = line.get(13..)?;
    if rest == "(end)" {
        return Some(Row {
            at,
            side,
            cells: vec![None; 16],
            ascii: Vec::new(),
            end: true,
        });
    }
    let bar = rest.find('|')?;
    let (hex, ascii) = (&rest[..bar], &rest[bar + 1..]);
    let ascii = ascii.strip_suffix('|')?;
    let mut cells = Vec::with_capacity(16);
    for i in 0..16 {
        let off = i * 3 + usize::from(i >= 8);
        let cell = hex.get(off..off + 2)?;
        cells.push((cell != "  ").then_some(cell));
    }
    let n = cells.iter().filter(|c| c.is_some()).count();
    Some(Row {
        at,
        side,
        cells,
        ascii: ascii.chars().take(n).collect(),
        end: false,
    })
}

/// One row as HTML, the cells that differ from `other`'s marked.
fn row_html(out: &mut String, row: &Row<'_>, other: &Row<'_>) {
    let _ = write!(out, "{}  {}  ", escape(row.at), row.side);
    if row.end {
        out.push_str("(end)");
        return;
    }
    for (i, cell) in row.cells.iter().enumerate() {
        if i > 0 {
            out.push_str(if i == 8 { "  " } else { " " });
        }
        let differs = *cell != other.cells[i];
        match (cell, differs) {
            (Some(c), true) => {
                let _ = write!(out, "<mark>{}</mark>", escape(c));
            }
            (Some(c), false) => out.push_str(&escape(c)),
            (None, _) => out.push_str("  "),
        }
    }
    out.push_str("  |");
    for (i, c) in row.ascii.iter().enumerate() {
        let s = escape(&c.to_string());
        if row.cells[i] != other.cells[i] {
            let _ = write!(out, "<mark>{s}</mark>");
        } else {
            out.push_str(&s);
        }
    }
    for _ in row.ascii.len()..16 {
        out.push(' ');
    }
    out.push('|');
}

/// The metadata groups: one line each, its members folded.
fn metadata(out: &mut String, report: &DiffReport, groups: &[Group<'_>]) {
    let meta: Vec<&Group<'_>> = groups
        .iter()
        .filter(|g| g.class == Class::Metadata)
        .collect();
    if meta.is_empty() {
        return;
    }
    out.push_str("<h2>Metadata</h2>\n<div id=\"metadata\">\n");
    for g in meta {
        let _ = writeln!(
            out,
            "<details class=\"group\">\n<summary><span class=\"kind\">{}</span> <span class=\"count\">{} member{}</span>: {}</summary>\n<ul>",
            g.kind,
            thousands(g.count),
            if g.count == 1 { "" } else { "s" },
            escape_marking_paths(&g.change)
        );
        for i in &g.differences {
            let d = &report.differences[*i];
            let _ = write!(
                out,
                "<li><code class=\"member\">{}</code>",
                escape(if d.location.is_empty() {
                    "(top level)"
                } else {
                    &d.location
                })
            );
            if let Some(detail) = &d.detail {
                render_detail(out, detail);
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ul>\n</details>\n");
    }
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Difference, Kind, REPORT_SCHEMA};

    fn report(differences: Vec<Difference>) -> DiffReport {
        DiffReport {
            schema: REPORT_SCHEMA,
            a: "a/<fn>.zip".into(),
            b: "b/fn.zip".into(),
            identical: differences.is_empty(),
            differences,
            notes: Vec::new(),
        }
    }

    #[test]
    fn everything_from_the_compared_files_is_escaped() {
        let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&\u{1b}[31m";
        let r = report(vec![
            Difference::new(
                format!("fn.zip!/{evil}"),
                Kind::Added,
                format!("only in B {evil}"),
            )
            .with_detail(Some(format!("{evil}\n"))),
            Difference::new("fn.zip!/m.py", Kind::Content, "content differs").with_detail(Some(
                crate::diff::text_diff(&format!("x\n{evil}\n"), "x\ny\n", 100),
            )),
            Difference::new("fn.zip!/b", Kind::Mtime, evil),
            Difference::new("fn.zip!/c", Kind::Mtime, evil),
        ]);
        let page = render(&r);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains('\u{1b}'), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("a/&lt;fn&gt;.zip"), "{page}");
        // Nothing is loaded from anywhere.
        for needle in ["src=\"", "href=", "http://", "https://", "url("] {
            assert!(!page.contains(needle), "{needle} in {page}");
        }
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn text_diffs_are_side_by_side_and_hex_bytes_marked() {
        let a = b"\x00\x01header /tmp/pip-build-abc/x.py".to_vec();
        let mut b = a.clone();
        b[24] = b'z';
        let r = report(vec![
            Difference::new("fn.zip!/m.py", Kind::Content, "content differs")
                .with_detail(Some(crate::diff::text_diff("a\nb\nc\n", "a\nB\nc\n", 100))),
            Difference::new("fn.zip!/m.pyc", Kind::Content, "content differs")
                .with_detail(Some(crate::diff::hex_window(&a, &b))),
        ]);
        let page = render(&r);
        assert!(
            page.contains("<td class=\"n\">2</td><td class=\"del\">b</td><td class=\"n\">2</td><td class=\"ins\">B</td>"),
            "{page}"
        );
        assert!(page.contains("<mark>61</mark>"), "{page}");
        assert!(page.contains("<mark>a</mark>"), "{page}");
        assert!(!page.contains("^^"), "{page}");
    }

    #[test]
    fn metadata_groups_are_one_line_with_folded_members() {
        let r = report(
            (0..1970)
                .map(|i| Difference::new(format!("fn.zip!/m{i}.py"), Kind::Mtime, "mtime x"))
                .collect(),
        );
        let page = render(&r);
        assert_eq!(page.matches("<details class=\"group\">").count(), 1);
        assert!(page.contains("1,970 members</span>: mtime x"), "{page}");
        assert_eq!(page.matches("<code class=\"member\">").count(), 1970);
    }
}
