//! Strings that look like host paths: a home directory, a temporary or CI build directory, a
//! Windows user folder. A build that records where it ran (pip's temporary directory inside a
//! `.pyc`, a home directory in a `RECORD` or a debug section) differs from the same build
//! elsewhere, so `repro diff` names these strings wherever compared bytes hold them.
//!
//! A heuristic, and a cheap one: a linear scan for a fixed list of prefixes at a word boundary.
//! It finds; it decides nothing (the verdict is the bytes').

use std::collections::BTreeSet;
use std::ops::Range;

/// Path prefixes that belong to a machine rather than to a build.
const PREFIXES: &[&str] = &[
    "/home/",
    "/Users/",
    "/root/",
    "/tmp/",
    "/var/tmp/",
    "/var/folders/",
    "/private/var/",
    "/private/tmp/",
    "/build/",
    "/builds/",
    "/github/workspace/",
    "/opt/hostedtoolcache/",
];

/// Shortest printable run of bytes searched in binary content (as `strings(1)` does).
const MIN_RUN: usize = 6;

/// Most distinct paths collected from one content.
const MAX_PATHS: usize = 1000;

/// A character that ends a path: whitespace, quotes, separators of lists and markup.
fn ends_path(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | '<'
                | '>'
                | '|'
                | ';'
                | ','
                | ':'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '*'
                | '?'
        )
}

/// Whether a path may start right after `c` (a word boundary).
fn starts_after(c: Option<char>) -> bool {
    c.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '\\' | '~')))
}

/// The byte ranges of `text` that look like host paths, in order, not overlapping.
pub fn find(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        let before = text[..i].chars().next_back();
        let prefix = if !starts_after(before) {
            None
        } else if let Some(p) = PREFIXES.iter().find(|p| rest.starts_with(**p)) {
            Some(p.len())
        } else if rest.len() > 3
            && bytes[i].is_ascii_alphabetic()
            && bytes[i + 1] == b':'
            && (bytes[i + 2] == b'\\' || bytes[i + 2] == b'/')
            && rest[3..].starts_with(|c: char| !ends_path(c))
        {
            // `C:\Users\…`, `D:/a/…`: a drive.
            Some(3)
        } else {
            None
        };
        if let Some(len) = prefix {
            let end = rest[len..]
                .find(ends_path)
                .map_or(text.len(), |e| i + len + e);
            if end > i + len {
                out.push(i..end);
                i = end;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// The distinct host paths in some content: in its text, or in the printable runs of its
/// bytes when it is binary.
pub fn in_bytes(data: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |run: &str| {
        for r in find(run) {
            if out.len() < MAX_PATHS {
                out.insert(run[r].to_string());
            }
        }
    };
    if let Ok(text) = std::str::from_utf8(data) {
        add(text);
        return out;
    }
    for run in data.split(|b| !(0x20..0x7f).contains(b) && *b != b'\t') {
        if run.len() >= MIN_RUN {
            let run = std::str::from_utf8(run).unwrap_or_default();
            add(run);
            // A serialized string is often led by a type or length byte that happens to be
            // printable (marshal's `s`, `z`, `u` in a `.pyc`): the path starts after it.
            add(&run[1..]);
        }
    }
    out
}

/// Lines naming the host paths one side holds and the other does not (empty when none
/// differ): the likely cause of a difference, named before the bytes are shown.
pub fn describe(a: &[u8], b: &[u8]) -> Vec<String> {
    let (pa, pb) = (in_bytes(a), in_bytes(b));
    let mut lines = Vec::new();
    for (side, only) in [("A", pa.difference(&pb)), ("B", pb.difference(&pa))] {
        let only: Vec<&String> = only.collect();
        if only.is_empty() {
            continue;
        }
        let shown: Vec<&str> = only.iter().take(5).map(|s| s.as_str()).collect();
        let more = if only.len() > shown.len() {
            format!(" and {} more", only.len() - shown.len())
        } else {
            String::new()
        };
        lines.push(format!(
            "host paths in {side} only: {}{more}",
            shown.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_home_temp_and_windows_paths_at_word_boundaries() {
        assert_eq!(
            found("co_filename='/tmp/pip-install-x1/pkg/mod.py' and /home/alice/src;"),
            vec!["/tmp/pip-install-x1/pkg/mod.py", "/home/alice/src"]
        );
        assert_eq!(
            found(r"PATH=C:\Users\bob\app:/usr/bin"),
            vec![r"C:\Users\bob\app"]
        );
        // Not at a boundary, or nothing after the prefix, or not a machine's path.
        assert!(found("x/tmp/y /usr/lib/python3 /tmp/ https://h/home/x").is_empty());
    }

    #[test]
    fn binary_content_is_searched_in_its_printable_runs() {
        let mut pyc = vec![0xe3, 0, 0, 0, 0x73];
        pyc.extend(b"/tmp/pip-req-build-abc/botocore/__init__.py");
        pyc.extend([0xda, 0x08]);
        let mut other = pyc.clone();
        let at = pyc.windows(3).position(|w| w == b"abc").unwrap();
        other[at..at + 3].copy_from_slice(b"xyz");
        assert_eq!(
            describe(&pyc, &other),
            vec![
                "host paths in A only: /tmp/pip-req-build-abc/botocore/__init__.py",
                "host paths in B only: /tmp/pip-req-build-xyz/botocore/__init__.py",
            ]
        );
    }
}
