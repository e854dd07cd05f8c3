//! What `repro` writes never carries a secret it was handed: the one place that decides what is
//! removed on the way out.
//!
//! - [`redact`]: credentials in URLs. An index URL may carry a user and a token
//!   (`https://user:token@host/simple/`, from `--index-url` or a lock's `--index-url` line) or a
//!   token in its query (`?token=…`, a presigned `X-Amz-Signature=…`). The full URL is used to
//!   make the request; everything written (terminal output, JSON, store records, manifests,
//!   SBOMs, provenance, reports) goes through [`redact`] first, which replaces the user
//!   information and the value of every query parameter whose name says it is a credential with
//!   `***`. It works on free text, so an error message that embeds a URL is covered too.
//! - [`scrub_quoted`]: content of a file that did not parse. A parser's message may quote the
//!   text it choked on (`invalid type: string "…"`, ``found `…` ``); when the file was not a
//!   lockfile at all (`-r /proc/self/environ`, a `.netrc`), that text is a secret. Quoted spans
//!   that come from the file are replaced with `…`; the parser's own vocabulary stays.
//!
//! - [`plain_text`]: text taken from a data source (an advisory's summary, a package name) and
//!   written into a report or onto a terminal loses its control characters and terminal escape
//!   sequences, so it cannot forge a line of the report or repaint the screen.
//!
//! This module imports nothing from the rest of the crate.

use std::borrow::Cow;

/// What replaces a credential.
pub const MASK: &str = "***";

/// Query parameter names (lower-cased substrings) whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "secret",
    "pass",
    "pwd",
    "key",
    "auth",
    "sig",
    "credential",
    "session",
];

/// Characters that end a URL's authority or a query value inside free text.
fn ends_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>' | '\\' | '#')
}

/// Replace credentials in every URL of `text`: the user information (`user:token@`) and the
/// values of query parameters named like credentials (`token`, `key`, `signature`, `password`,
/// …). Text without either is returned as is, without copying.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !text.contains("://") && !text.contains('=') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    // Pass 1: user information after each `scheme://`.
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| ends_value(c) || matches!(c, '/' | '?'))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(MASK);
                out.push_str(&authority[at..]);
                changed = true;
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    // Pass 2: credential-named query values (`?token=…`, `&X-Amz-Signature=…`).
    let mut result = String::with_capacity(out.len());
    let mut chars = out.char_indices().peekable();
    let bytes = out.as_bytes();
    let mut copied = 0;
    while let Some((i, c)) = chars.next() {
        if c != '?' && c != '&' && c != ';' {
            continue;
        }
        let start = i + 1;
        let name_len = out[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(out.len() - start);
        let eq = start + name_len;
        if name_len == 0 || bytes.get(eq) != Some(&b'=') {
            continue;
        }
        let name = out[start..eq].to_ascii_lowercase();
        if !SECRET_PARAMS.iter().any(|s| name.contains(s)) {
            continue;
        }
        let value_start = eq + 1;
        let value_end = out[value_start..]
            .find(|c: char| ends_value(c) || c == '&')
            .map_or(out.len(), |n| value_start + n);
        if value_end == value_start || &out[value_start..value_end] == MASK {
            continue;
        }
        result.push_str(&out[copied..value_start]);
        result.push_str(MASK);
        copied = value_end;
        changed = true;
        while chars.peek().is_some_and(|(j, _)| *j < value_end) {
            chars.next();
        }
    }
    result.push_str(&out[copied..]);
    if changed {
        Cow::Owned(result)
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` as one line of plain text: terminal escape sequences (CSI `ESC [ … final`, OSC
/// `ESC ] … BEL` or `ESC \\`, and two-byte `ESC x`) are removed, every other control character
/// (line breaks, tabs, C1 controls, DEL) becomes a space, and Unicode direction overrides and
/// isolates (which reorder what a terminal shows) are removed.
pub fn plain_text(text: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC, DCS, SOS, PM, APC: up to BEL or ESC \.
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            if chars.peek() == Some(&'\\') {
                                chars.next();
                            }
                            break;
                        }
                    }
                }
                _ => {}
            },
            // C1 CSI and OSC introducers, as ESC [ and ESC ].
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`redact`] into an owned string.
pub fn redacted(text: &str) -> String {
    redact(text).into_owned()
}

/// Replace each span quoted with backticks or double quotes in `message` whose content
/// `is_content` says came from the input with `…`. Spans without a letter or digit (`` `=` ``,
/// `` `@` ``) are the parser's grammar, not content, and stay.
pub fn scrub_quoted(message: &str, is_content: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let Some(open) = rest.find(['`', '"']) else {
            out.push_str(rest);
            break;
        };
        let quote = rest[open..].chars().next().expect("found a quote");
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            // An unclosed quote: whatever follows may be content.
            out.push_str(&rest[..open]);
            if after.chars().any(|c| c.is_alphanumeric()) {
                out.push(quote);
                out.push('…');
            } else {
                out.push_str(&rest[open..]);
            }
            break;
        };
        let span = &after[..close];
        out.push_str(&rest[..=open]);
        if span.chars().any(|c| c.is_alphanumeric()) && is_content(span) {
            out.push('…');
        } else {
            out.push_str(span);
        }
        out.push(quote);
        rest = &after[close + 1..];
    }
    out
}

/// Characters of a word, for [`scrub_line`]: names, versions, tokens.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

/// Remove from a parser's `message` whatever it took from `line`, the input it rejected: quoted
/// spans found in the line (as [`scrub_quoted`]), then every word of the message (a run of
/// letters, digits and `._-+`) that is also a word of the line. For parsers whose messages
/// quote their input in any style (`found 'x'`, `Invalid key: x`).
pub fn scrub_line(message: &str, line: &str) -> String {
    let quoted = scrub_quoted(message, |span| line.contains(span));
    let words: std::collections::HashSet<&str> = line
        .split(|c: char| !is_word_char(c))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let mut out = String::with_capacity(quoted.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if words.contains(word.as_str()) {
            out.push('…');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in quoted.chars() {
        if is_word_char(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Whether `span` came from `text` as a TOML value: it occurs there as a string (`"span"` or
/// `'span'`), or it occurs at all and holds characters no bare key has. Used with
/// [`scrub_quoted`] on TOML parser messages, which quote keys (the format's grammar, kept) and
/// values (the content, removed).
pub fn is_toml_value(text: &str, span: &str) -> bool {
    text.contains(&format!("\"{span}\""))
        || text.contains(&format!("'{span}'"))
        || (text.contains(span)
            && !span
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_user_information_from_urls() {
        assert_eq!(
            redact("https://user:s3cret@pypi.example.org/simple/"),
            "https://***@pypi.example.org/simple/"
        );
        assert_eq!(
            redact("https://ghp_tok@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            redact("`http://u:p@127.0.0.1:8080/simple/six/` answered HTTP 404"),
            "`http://***@127.0.0.1:8080/simple/six/` answered HTTP 404"
        );
        // Two URLs in one message, and an `@` in the path that is not user information.
        assert_eq!(
            redact("from https://a:b@x.org/p@1 to git+ssh://git@y.org/r"),
            "from https://***@x.org/p@1 to git+ssh://***@y.org/r"
        );
    }

    #[test]
    fn removes_credential_query_values() {
        assert_eq!(
            redact("https://files.example.org/a.whl?token=abc123&x=1"),
            "https://files.example.org/a.whl?token=***&x=1"
        );
        assert_eq!(
            redact("https://s3/a.whl?X-Amz-Credential=AKIA&X-Amz-Signature=f00d#sha256=00"),
            "https://s3/a.whl?X-Amz-Credential=***&X-Amz-Signature=***#sha256=00"
        );
        assert_eq!(
            redact("https://x.org/simple/?api_key=k\"}"),
            "https://x.org/simple/?api_key=***\"}"
        );
        // Redacting twice changes nothing more.
        let once = redacted("https://u:p@x.org/?token=t");
        assert_eq!(redact(&once), once);
    }

    #[test]
    fn plain_text_cannot_forge_lines_or_repaint() {
        assert_eq!(
            plain_text("ReDoS\n\nLOW FAKE-1 safe==1.0\r\x1b[2K\x1b[1;32mok\x1b[0m"),
            "ReDoS  LOW FAKE-1 safe==1.0 ok"
        );
        assert_eq!(
            plain_text("a\x1b]8;;https://evil\x07link\x1b]8;;\x1b\\b\u{202E}cba\u{9b}31mc"),
            "alinkbcbac"
        );
        assert!(matches!(plain_text("plain — text ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn leaves_other_text_alone() {
        for text in [
            "https://pypi.org/simple/",
            "https://x.org/a.whl?version=1&page=2",
            "--hash=sha256:00ff",
            "name==1.0",
            "user@example.org wrote",
        ] {
            assert!(matches!(redact(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn scrubs_only_quoted_content() {
        let line = "GITHUB_TOKEN=ghp_abc";
        let msg = "Expected one of `@`, `(`, `<`, `=`, found `GITHUB_TOKEN=ghp_abc`";
        assert_eq!(
            scrub_quoted(msg, |s| line.contains(s)),
            "Expected one of `@`, `(`, `<`, `=`, found `…`"
        );
        let toml = "name = \"secretpkg\"\nversion = 5\n";
        assert_eq!(
            scrub_quoted("invalid type: string \"secretpkg\", expected u32", |s| {
                is_toml_value(toml, s)
            }),
            "invalid type: string \"…\", expected u32"
        );
        assert_eq!(
            scrub_quoted("missing field `source`", |s| is_toml_value(toml, s)),
            "missing field `source`"
        );
        assert_eq!(
            scrub_quoted("missing field `name`", |s| is_toml_value(toml, s)),
            "missing field `name`"
        );
        assert_eq!(scrub_quoted("unclosed `abc", |_| true), "unclosed `…");
    }

    #[test]
    fn scrubs_words_of_the_rejected_line() {
        let line = "machine host login alice password hunter2";
        assert_eq!(
            scrub_line(
                "Expected one of `@`, `(`, `<`, `=`, found `h`; Invalid key: hunter2",
                line
            ),
            "Expected one of `@`, `(`, `<`, `=`, found `…`; Invalid key: …"
        );
        assert_eq!(
            scrub_line(
                "Unexpected character 'x', expected end of input",
                "GH_TOKEN=ghp_x1 x"
            ),
            "Unexpected character '…', expected end of input"
        );
    }
}
