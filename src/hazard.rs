//! Hazards: host-specific strings found inside build outputs.
//!
//! A build that writes the build directory, `HOME`, the user or host name, the store path or an
//! interpreter's absolute path into its outputs (pip's console-script shebangs are the classic
//! case: `#!/root/.pyenv/versions/3.11.7/bin/python3.11`) builds other bytes on a machine where
//! those differ. The build knows these strings ([`Needle`]s); this module finds them in the
//! bytes it is handed, text or binary, and says where and which ([`Found`]). It is a pure
//! library: needles in, findings out; it reads no file and prints nothing.
//!
//! Invariants:
//! - Streaming: a [`Scanner`] is fed the bytes of one file or member through its own buffer
//!   (the caller reads into [`Scanner::spare`] and hashes the same bytes), so scanning shares
//!   the read pass with hashing, copies nothing, and keeps memory flat. A match that spans two
//!   reads is found, and what is reported does not depend on how the stream was cut.
//! - One finding per kind per stream, at the first occurrence, and the longest match wins:
//!   `/root` (`HOME`) inside `/root/.pyenv/versions/3.11.7` (the interpreter's prefix) is the
//!   interpreter path, not also `HOME`.
//! - No false positives from common words: paths match only as whole paths (the bytes around
//!   them are not file-name characters: `/root` does not match `/rootfs` or `/mnt/root`), host
//!   names only as whole tokens, and user names only as a path component (`/home/alice/`) or
//!   before `@`, since names such as `root`, `app` or `runner` are words in code. Names shorter
//!   than [`MIN_NAME_BYTES`], generic directories ([`GENERIC_DIRS`]) and repro's own
//!   placeholders (`${BUILD_DIR}`) are never needles.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

/// Shortest user or host name searched for: one- and two-letter names (`vm`, `ci`) occur by
/// chance in every binary.
pub const MIN_NAME_BYTES: usize = 3;
/// Longest needle: Linux's `PATH_MAX`; a longer string is no path the build could have used.
pub const MAX_NEEDLE_BYTES: usize = 4096;
/// Bytes of context kept on each side of a match in an excerpt: enough to recognise the line
/// (`#!`, `HOME=`), short enough that the manifest does not copy the output.
pub const EXCERPT_CONTEXT: usize = 16;
/// A match longer than this is shortened in its excerpt to its first two path components
/// (`/root/.pyenv/…`): the kind already says what it is.
pub const EXCERPT_MATCH: usize = 24;
/// Bytes read into the scanner's buffer at a time (the hashing buffer of the archive walker).
pub const SCAN_CHUNK: usize = 256 * 1024;

/// Directories too generic to be host-specific: a `HOME`, build directory, store or prefix
/// equal to one of these would match every path under it (`/usr` in `#!/usr/bin/env python3`).
pub const GENERIC_DIRS: &[&str] = &[
    "/",
    "/bin",
    "/etc",
    "/home",
    "/opt",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/usr/local",
    "/usr/local/bin",
    "/var",
    "/var/tmp",
];

/// Host names that every machine has.
const GENERIC_HOSTS: &[&str] = &["localhost", "localhost.localdomain"];

/// What kind of host string a hazard is. Stable: JSON consumers key on these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HazardKind {
    /// The absolute path of an interpreter (or its prefix) the build found.
    InterpreterPath,
    /// The absolute path of a tool (pip, uv, cargo, rustc) the build found.
    ToolPath,
    /// The store the build installed from.
    StorePath,
    /// The build directory.
    BuildDir,
    /// The home directory of the user running the build.
    Home,
    /// The host name.
    Hostname,
    /// The user name.
    User,
}

/// Every kind, in the order findings are reported within one location.
pub const KINDS: [HazardKind; 7] = [
    HazardKind::InterpreterPath,
    HazardKind::ToolPath,
    HazardKind::StorePath,
    HazardKind::BuildDir,
    HazardKind::Home,
    HazardKind::Hostname,
    HazardKind::User,
];

impl HazardKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            HazardKind::InterpreterPath => "interpreter-path",
            HazardKind::ToolPath => "tool-path",
            HazardKind::StorePath => "store-path",
            HazardKind::BuildDir => "build-dir",
            HazardKind::Home => "home",
            HazardKind::Hostname => "hostname",
            HazardKind::User => "user",
        }
    }

    /// What the bytes around a match must look like.
    fn boundary(self) -> Boundary {
        match self {
            HazardKind::Hostname => Boundary::Token,
            HazardKind::User => Boundary::Component,
            _ => Boundary::Path,
        }
    }

    fn index(self) -> usize {
        KINDS
            .iter()
            .position(|k| *k == self)
            .expect("every kind is listed")
    }
}

impl std::fmt::Display for HazardKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A host-specific string found in a build output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hazard {
    /// Where: the output, and `!/` into archives (`dist/fn.zip!/bin/html2text`).
    pub location: String,
    /// Which host string.
    pub kind: HazardKind,
    /// The offending bytes, shortened, with a little context (`#!/root/.pyenv/…`); bytes that
    /// are not printable ASCII are written `\xNN`.
    pub excerpt: String,
}

/// A kind of hazard found in one stream, at its first occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Which host string.
    pub kind: HazardKind,
    /// The excerpt of the first occurrence (see [`Hazard::excerpt`]).
    pub excerpt: String,
}

/// How the bytes around a match must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// A whole path: no file-name character before or after.
    Path,
    /// A whole token: no letter, digit, `_` or `-` before or after.
    Token,
    /// A path component (`/` or `\` before, no file-name character after), or a name before
    /// `@` (`alice@host`).
    Component,
}

/// A byte that can continue a file name.
fn file_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+' | b'~')
}

/// A byte that can continue a host name token.
fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

impl Boundary {
    /// Whether a match with `before` (the two bytes before it, nearest last; None past the
    /// start of the stream) and `after` (None at its end) around it stands on its own. A `/`
    /// after `<` opens an XML or HTML closing tag (`</root>`), not a path.
    fn holds(self, before: [Option<u8>; 2], after: Option<u8>) -> bool {
        let [before2, before] = before;
        match self {
            Boundary::Path => {
                !before.is_some_and(|b| b == b'<' || file_name_byte(b))
                    && !after.is_some_and(file_name_byte)
            }
            Boundary::Token => !before.is_some_and(token_byte) && !after.is_some_and(token_byte),
            Boundary::Component => {
                (matches!(before, Some(b'/' | b'\\'))
                    && before2 != Some(b'<')
                    && !after.is_some_and(file_name_byte))
                    || (after == Some(b'@') && !before.is_some_and(token_byte))
            }
        }
    }
}

/// A host string to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needle {
    /// Which kind of host string.
    pub kind: HazardKind,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Needle {
    /// A needle of `kind`.
    pub fn new(kind: HazardKind, bytes: impl Into<Vec<u8>>) -> Needle {
        Needle {
            kind,
            bytes: bytes.into(),
        }
    }

    /// Why this needle is not searched for, if it is not.
    pub fn unfit(&self) -> Option<&'static str> {
        let b = &self.bytes;
        if b.len() > MAX_NEEDLE_BYTES {
            return Some("longer than PATH_MAX");
        }
        if b.windows(2).any(|w| w == b"${") {
            return Some("a repro placeholder");
        }
        if b.iter().any(|&c| c == 0 || c == b'\n') {
            return Some("holds a NUL or a line break");
        }
        match self.kind.boundary() {
            Boundary::Path => {
                if b.first() != Some(&b'/') {
                    return Some("not an absolute path");
                }
                if GENERIC_DIRS.iter().any(|d| d.as_bytes() == b.as_slice()) {
                    return Some("a directory every machine has");
                }
            }
            Boundary::Token | Boundary::Component => {
                if b.len() < MIN_NAME_BYTES {
                    return Some("a name too short to tell from chance");
                }
                if self.kind == HazardKind::Hostname
                    && GENERIC_HOSTS
                        .iter()
                        .any(|h| h.as_bytes().eq_ignore_ascii_case(b))
                {
                    return Some("a host name every machine has");
                }
            }
        }
        None
    }
}

/// The needles of one build, compiled for a multi-pattern search.
#[derive(Debug, Clone)]
pub struct Needles {
    needles: Vec<Needle>,
    search: Option<AhoCorasick>,
    longest: usize,
}

impl Needles {
    /// Compile `candidates`: unfit ones are dropped (see [`Needle::unfit`]), paths lose a
    /// trailing `/`, and a string given twice keeps its first kind in [`KINDS`] order.
    pub fn new(candidates: impl IntoIterator<Item = Needle>) -> Needles {
        let mut by_bytes: BTreeMap<Vec<u8>, HazardKind> = BTreeMap::new();
        for mut n in candidates {
            if n.kind.boundary() == Boundary::Path {
                while n.bytes.len() > 1 && n.bytes.ends_with(b"/") {
                    n.bytes.pop();
                }
            }
            if n.unfit().is_some() {
                continue;
            }
            let kind = by_bytes.entry(n.bytes).or_insert(n.kind);
            if n.kind.index() < kind.index() {
                *kind = n.kind;
            }
        }
        let needles: Vec<Needle> = by_bytes
            .into_iter()
            .map(|(bytes, kind)| Needle { kind, bytes })
            .collect();
        let search = (!needles.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(needles.iter().map(|n| &n.bytes))
                .expect("a few thousand bytes of needles always compile")
        });
        let longest = needles.iter().map(|n| n.bytes.len()).max().unwrap_or(0);
        Needles {
            needles,
            search,
            longest,
        }
    }

    /// No needles: scanning finds nothing and costs nothing.
    pub fn none() -> Needles {
        Needles::new([])
    }

    /// Whether there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The needles searched for, sorted by bytes.
    pub fn needles(&self) -> &[Needle] {
        &self.needles
    }

    /// A scanner reading [`SCAN_CHUNK`] bytes at a time.
    pub fn scanner(&self) -> Scanner<'_> {
        Scanner::with_chunk(self, SCAN_CHUNK)
    }

    /// Scan one buffer (a link target, a short file).
    pub fn scan(&self, bytes: &[u8]) -> Vec<Found> {
        let mut s = Scanner::with_chunk(self, bytes.len().max(1));
        s.feed(bytes);
        s.finish()
    }
}

/// One match: absolute offsets in the stream, and the needle.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: u64,
    end: u64,
    needle: usize,
}

/// Finds needles in one stream at a time, read into its own buffer.
///
/// The buffer holds a window of the stream: the last [`Scanner::carry`] bytes of the previous
/// window, then new bytes. A match is *decided* (reported or dropped) only once the window
/// reaches `delay` bytes past its end, so the byte after it (its boundary), its excerpt's
/// context and every longer match that could contain it are all in the same window; the carry
/// is long enough that the byte before it and its context before are too. So findings do not
/// depend on where reads cut the stream.
#[derive(Debug)]
pub struct Scanner<'n> {
    needles: &'n Needles,
    buf: Vec<u8>,
    /// Valid bytes in `buf`.
    len: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Matches ending before `decided - delay` were decided in an earlier window.
    decided: u64,
    /// Bytes kept from one window to the next.
    carry: usize,
    /// How far past a match's end the window must reach before it is decided.
    delay: u64,
    first: [Option<String>; KINDS.len()],
    hits: Vec<Hit>,
}

impl<'n> Scanner<'n> {
    /// A scanner reading `chunk` bytes at a time (at least one).
    pub fn with_chunk(needles: &'n Needles, chunk: usize) -> Scanner<'n> {
        let delay = needles.longest + EXCERPT_CONTEXT + 1;
        let carry = if needles.is_empty() {
            0
        } else {
            delay + needles.longest + EXCERPT_CONTEXT + 1
        };
        Scanner {
            needles,
            buf: vec![0; carry + chunk.max(1)],
            len: 0,
            base: 0,
            decided: 0,
            carry,
            delay: delay as u64,
            first: Default::default(),
            hits: Vec::new(),
        }
    }

    /// Where the next read goes (never empty).
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// `n` more bytes were read into [`Scanner::spare`].
    pub fn filled(&mut self, n: usize) {
        if self.needles.is_empty() {
            return;
        }
        self.len += n;
        if self.len == self.buf.len() {
            self.window(false);
            let keep = self.carry.min(self.len);
            self.buf.copy_within(self.len - keep..self.len, 0);
            self.base += (self.len - keep) as u64;
            self.len = keep;
        }
    }

    /// Feed bytes held elsewhere (copying them).
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let spare = self.spare();
            let n = spare.len().min(bytes.len());
            spare[..n].copy_from_slice(&bytes[..n]);
            self.filled(n);
            bytes = &bytes[n..];
        }
    }

    /// The end of the stream: what was found, one per kind in [`KINDS`] order. The scanner is
    /// ready for the next stream.
    pub fn finish(&mut self) -> Vec<Found> {
        if !self.needles.is_empty() {
            self.window(true);
        }
        let found = KINDS
            .iter()
            .zip(self.first.iter_mut())
            .filter_map(|(kind, first)| {
                first.take().map(|excerpt| Found {
                    kind: *kind,
                    excerpt,
                })
            })
            .collect();
        self.len = 0;
        self.base = 0;
        self.decided = 0;
        found
    }

    /// Search the window, and decide the matches it can.
    fn window(&mut self, last: bool) {
        let needles = self.needles;
        let Some(search) = &needles.search else {
            return;
        };
        let end = self.base + self.len as u64;
        let byte = |at: u64| self.buf[(at - self.base) as usize];
        self.hits.clear();
        for m in search.find_overlapping_iter(&self.buf[..self.len]) {
            let (start, stop) = (self.base + m.start() as u64, self.base + m.end() as u64);
            // The bytes before are in an earlier window (this match was decided there, or is
            // no container of one decided here), or the byte after is still to come.
            if (self.base > 0 && start < self.base + 2) || (stop == end && !last) {
                continue;
            }
            let needle = m.pattern().as_usize();
            let before = [
                (start > 1).then(|| byte(start - 2)),
                (start > 0).then(|| byte(start - 1)),
            ];
            let after = (stop < end).then(|| byte(stop));
            if needles.needles[needle].kind.boundary().holds(before, after) {
                self.hits.push(Hit {
                    start,
                    end: stop,
                    needle,
                });
            }
        }
        // Longest first among matches starting at one offset, so that a match inside an
        // earlier (or longer) one is recognised as contained.
        self.hits
            .sort_unstable_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut reach = 0u64;
        for i in 0..self.hits.len() {
            let h = self.hits[i];
            let contained = i > 0 && reach >= h.end;
            reach = reach.max(h.end);
            let due = h.end + self.delay;
            if contained || due < self.decided || (!last && due >= end) {
                continue;
            }
            let kind = needles.needles[h.needle].kind;
            if self.first[kind.index()].is_none() {
                self.first[kind.index()] = Some(self.excerpt(h, end));
            }
        }
        self.decided = end;
    }

    /// The excerpt of a match: context before it on its line, the match (shortened when long),
    /// and, when it was not shortened, context after it on its line.
    fn excerpt(&self, h: Hit, end: u64) -> String {
        let at = |x: u64| (x - self.base) as usize;
        let matched = &self.buf[at(h.start)..at(h.end)];
        let line_break = |b: &u8| matches!(b, b'\n' | b'\r' | 0);
        // The carry keeps the context and the byte before it (see `Scanner::carry`).
        let from = h
            .start
            .saturating_sub(EXCERPT_CONTEXT as u64)
            .max(self.base);
        let mut before = &self.buf[at(from)..at(h.start)];
        let mut cut_before =
            from > 0 && (from == self.base || !line_break(&self.buf[at(from) - 1]));
        if let Some(i) = before.iter().rposition(line_break) {
            before = &before[i + 1..];
            cut_before = false;
        }
        let mut out = String::new();
        if cut_before {
            out.push('…');
        }
        push_escaped(&mut out, before);
        if matched.len() > EXCERPT_MATCH {
            // Up to the third `/` (`/root/.pyenv/`), or the first EXCERPT_MATCH bytes.
            let cut = matched
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'/')
                .nth(2)
                .map(|(i, _)| i + 1)
                .filter(|&i| i <= EXCERPT_MATCH)
                .unwrap_or(EXCERPT_MATCH);
            push_escaped(&mut out, &matched[..cut]);
            out.push('…');
            return out;
        }
        push_escaped(&mut out, matched);
        let to = (h.end + EXCERPT_CONTEXT as u64).min(end);
        let mut after = &self.buf[at(h.end)..at(to)];
        let mut cut_after = to < end && !line_break(&self.buf[at(to)]);
        if let Some(i) = after.iter().position(line_break) {
            after = &after[..i];
            cut_after = false;
        }
        push_escaped(&mut out, after);
        if cut_after {
            out.push('…');
        }
        out
    }
}

/// Printable ASCII as is, every other byte as `\xNN`.
fn push_escaped(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles() -> Needles {
        Needles::new([
            Needle::new(HazardKind::Home, "/root"),
            Needle::new(HazardKind::BuildDir, "/tmp/build-7f3a/work"),
            Needle::new(
                HazardKind::InterpreterPath,
                "/root/.pyenv/versions/3.11.7/bin/python3.11",
            ),
            Needle::new(HazardKind::InterpreterPath, "/root/.pyenv/versions/3.11.7"),
            Needle::new(HazardKind::User, "alice"),
            Needle::new(HazardKind::Hostname, "buildbox7"),
        ])
    }

    fn kinds(found: &[Found]) -> Vec<&'static str> {
        found.iter().map(|f| f.kind.as_str()).collect()
    }

    /// A shebang with the interpreter's path is one interpreter-path hazard (not also `HOME`),
    /// with the path shortened in the excerpt.
    #[test]
    fn finds_a_shebang_in_text() {
        let found = needles().scan(b"#!/root/.pyenv/versions/3.11.7/bin/python3.11\nimport x\n");
        assert_eq!(
            found,
            vec![Found {
                kind: HazardKind::InterpreterPath,
                excerpt: "#!/root/.pyenv/…".into()
            }]
        );
    }

    /// In binary data, context stops at a NUL and other bytes are escaped.
    #[test]
    fn finds_paths_in_binary() {
        let mut data = vec![0u8, 1, 2, 0x7f];
        data.extend(b"\x01\x02/tmp/build-7f3a/work/src/lib.rs\0\xff\xfe");
        let found = needles().scan(&data);
        assert_eq!(kinds(&found), ["build-dir"]);
        assert_eq!(
            found[0].excerpt,
            "\\x01\\x02\\x7f\\x01\\x02/tmp/build-7f3a/work/src/lib.rs"
        );
        let found = needles().scan(b"\0HOME=/root\0\xff");
        assert_eq!(found[0].excerpt, "HOME=/root");
    }

    /// Paths match as whole paths only.
    #[test]
    fn paths_match_only_as_whole_paths() {
        for text in [
            &b"/rootfs/x"[..],
            b"/mnt/root/x",
            b"/root.old",
            b"a/root",
            b"/tmp/build-7f3a/work2/x",
        ] {
            assert!(
                needles().scan(text).is_empty(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        // An XML closing tag is no path.
        assert!(needles().scan(b"<root>x</root>").is_empty());
        for text in [
            &b"\"/root\""[..],
            b"/root/.cache",
            b"file:///root/x",
            b"(/root)",
        ] {
            assert_eq!(kinds(&needles().scan(text)), ["home"]);
        }
        // The interpreter's own path followed by a version suffix is not that path, but is
        // still under its prefix.
        let found = needles().scan(b"#!/root/.pyenv/versions/3.11.7/bin/python3.11.2");
        assert_eq!(kinds(&found), ["interpreter-path"]);
    }

    /// User names match only as a path component or before `@`; host names as whole tokens.
    #[test]
    fn names_match_only_as_tokens_or_components() {
        for text in [
            &b"alice = 1"[..],
            b"malice/",
            b"/alicebob/",
            b"/alice.txt",
            b"buildbox7x",
            b"xbuildbox7",
            b"buildbox7-2",
        ] {
            assert!(
                needles().scan(text).is_empty(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(kinds(&needles().scan(b"/home/alice/src")), ["user"]);
        assert!(needles().scan(b"<alice>x</alice>").is_empty());
        assert_eq!(kinds(&needles().scan(b"C:\\Users\\alice")), ["user"]);
        assert_eq!(
            kinds(&needles().scan(b"alice@buildbox7:")),
            ["hostname", "user"]
        );
        assert_eq!(kinds(&needles().scan(b"built on buildbox7.")), ["hostname"]);
    }

    /// The same findings whatever the size of the reads: every match that spans a cut is found,
    /// once, with the same excerpt.
    #[test]
    fn matches_across_buffer_boundaries() {
        let mut text = Vec::new();
        text.extend(b"x".repeat(1000));
        text.extend(b"\n#!/root/.pyenv/versions/3.11.7/bin/python3.11\n");
        text.extend(b"y".repeat(37));
        text.extend(b" alice@buildbox7 and /tmp/build-7f3a/work/lib\n/root");
        let n = needles();
        let whole = n.scan(&text);
        assert_eq!(
            kinds(&whole),
            ["interpreter-path", "build-dir", "home", "hostname", "user"]
        );
        for chunk in [1, 2, 3, 5, 7, 16, 31, 64, 100, 997] {
            let mut s = Scanner::with_chunk(&n, chunk);
            let mut rest = &text[..];
            while !rest.is_empty() {
                let spare = s.spare();
                let k = spare.len().min(rest.len()).min(chunk);
                spare[..k].copy_from_slice(&rest[..k]);
                s.filled(k);
                rest = &rest[k..];
            }
            assert_eq!(s.finish(), whole, "chunk {chunk}");
        }
    }

    /// A needle cut by a read, whose boundary byte comes in the next read, is judged on it.
    #[test]
    fn boundary_bytes_in_the_next_read_decide() {
        let n = needles();
        for text in [&b"/root"[..], b"/rootfs", b"/root/"] {
            let mut s = Scanner::with_chunk(&n, 1);
            s.feed(text);
            let found = s.finish();
            assert_eq!(found.len(), usize::from(text != b"/rootfs"), "{text:?}");
        }
    }

    /// Long context is cut, and marked so.
    #[test]
    fn excerpts_are_shortened() {
        let found =
            needles().scan(b"a very long line of text before HOME=/root and a long tail after it");
        assert_eq!(found[0].excerpt, "…ext before HOME=/root and a long tail…");
        assert_eq!(needles().scan(b"/root")[0].excerpt, "/root");
        assert_eq!(
            needles().scan(b"0123456789abcde=/root\n")[0].excerpt,
            "0123456789abcde=/root"
        );
        let found = needles().scan(b"p=/tmp/build-7f3a/work/a/b/c/d");
        assert_eq!(found[0].excerpt, "p=/tmp/build-7f3a/work/a/b/c/d");
    }

    /// Short names, generic directories, relative paths and placeholders are never needles;
    /// a needle of PATH_MAX bytes is, one byte more is not.
    #[test]
    fn unfit_needles_are_dropped() {
        let n = Needles::new([
            Needle::new(HazardKind::User, "ci"),
            Needle::new(HazardKind::Hostname, "vm"),
            Needle::new(HazardKind::Hostname, "localhost"),
            Needle::new(HazardKind::Home, "/"),
            Needle::new(HazardKind::InterpreterPath, "/usr"),
            Needle::new(HazardKind::BuildDir, "relative/dir"),
            Needle::new(HazardKind::BuildDir, "${BUILD_DIR}"),
        ]);
        assert!(n.is_empty(), "{:?}", n.needles());
        let n = Needles::new([Needle::new(HazardKind::User, "bob")]);
        assert_eq!(n.needles().len(), 1);
        let at = format!("/{}", "a".repeat(MAX_NEEDLE_BYTES - 1));
        let over = format!("/{}", "a".repeat(MAX_NEEDLE_BYTES));
        let n = Needles::new([
            Needle::new(HazardKind::BuildDir, at.clone()),
            Needle::new(HazardKind::Home, over),
        ]);
        assert_eq!(n.needles().len(), 1);
        assert_eq!(n.needles()[0].bytes, at.as_bytes());
        assert_eq!(
            kinds(&n.scan(format!("x {at} y").as_bytes())),
            ["build-dir"]
        );
    }

    /// The same string given as two kinds is searched once, as the more specific kind; a
    /// trailing slash does not make a second needle.
    #[test]
    fn duplicate_needles_keep_the_most_specific_kind() {
        let n = Needles::new([
            Needle::new(HazardKind::Home, "/srv/work/"),
            Needle::new(HazardKind::BuildDir, "/srv/work"),
        ]);
        assert_eq!(n.needles().len(), 1);
        assert_eq!(kinds(&n.scan(b"cd /srv/work")), ["build-dir"]);
    }

    /// What the scanner must find, computed the slow way on the whole text: every occurrence of
    /// every needle whose boundary holds, minus those inside a longer one, first per kind.
    fn reference(n: &Needles, text: &[u8]) -> Vec<Found> {
        let mut hits = Vec::new();
        for needle in n.needles() {
            let len = needle.bytes.len();
            for s in 0..text.len().saturating_sub(len - 1) {
                let e = s + len;
                if text[s..e] == needle.bytes[..]
                    && needle.kind.boundary().holds(
                        [
                            s.checked_sub(2).map(|i| text[i]),
                            s.checked_sub(1).map(|i| text[i]),
                        ],
                        text.get(e).copied(),
                    )
                {
                    hits.push((s, e, needle.kind));
                }
            }
        }
        let kept: Vec<_> = hits
            .iter()
            .filter(|(s, e, _)| {
                !hits
                    .iter()
                    .any(|(s2, e2, _)| s2 <= s && e2 >= e && e2 - s2 > e - s)
            })
            .collect();
        let line_break = |b: u8| matches!(b, b'\n' | b'\r' | 0);
        KINDS
            .iter()
            .filter_map(|kind| {
                let (s, e, _) = kept.iter().filter(|h| h.2 == *kind).min_by_key(|h| h.0)?;
                let (s, e) = (*s, *e);
                let from = s.saturating_sub(EXCERPT_CONTEXT);
                let mut before = &text[from..s];
                let mut excerpt = String::new();
                match before.iter().rposition(|b| line_break(*b)) {
                    Some(i) => before = &before[i + 1..],
                    None if from > 0 && !line_break(text[from - 1]) => excerpt.push('…'),
                    None => {}
                }
                push_escaped(&mut excerpt, before);
                let matched = &text[s..e];
                if matched.len() > EXCERPT_MATCH {
                    let slashes: Vec<usize> =
                        (0..matched.len()).filter(|&i| matched[i] == b'/').collect();
                    let cut = match slashes.get(2) {
                        Some(&i) if i < EXCERPT_MATCH => i + 1,
                        _ => EXCERPT_MATCH,
                    };
                    push_escaped(&mut excerpt, &matched[..cut]);
                    excerpt.push('…');
                } else {
                    push_escaped(&mut excerpt, matched);
                    let to = (e + EXCERPT_CONTEXT).min(text.len());
                    let after = &text[e..to];
                    match after.iter().position(|b| line_break(*b)) {
                        Some(i) => push_escaped(&mut excerpt, &after[..i]),
                        None => {
                            push_escaped(&mut excerpt, after);
                            if to < text.len() && !line_break(text[to]) {
                                excerpt.push('…');
                            }
                        }
                    }
                }
                Some(Found {
                    kind: *kind,
                    excerpt,
                })
            })
            .collect()
    }

    /// Random texts made of needles, pieces of them and separators, read whole and in reads of
    /// random sizes, give what the slow reference gives.
    #[test]
    fn random_streams_match_the_reference() {
        let n = needles();
        let pieces: [&[u8]; 17] = [
            b"/root",
            b"/root/.pyenv/versions/3.11.7",
            b"/bin/python3.11",
            b"/tmp/build-7f3a/work",
            b"alice",
            b"buildbox7",
            b"@",
            b"/",
            b".",
            b"-",
            b"x",
            b" ",
            b"\n",
            b"\0",
            b"#!",
            b"\xff",
            b"<",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        for round in 0..400 {
            let mut text = Vec::new();
            for _ in 0..next(120) {
                text.extend(pieces[next(pieces.len())]);
            }
            let expected = reference(&n, &text);
            assert_eq!(n.scan(&text), expected, "round {round}: {text:?}");
            let mut s = Scanner::with_chunk(&n, 1 + next(40));
            let mut rest = &text[..];
            while !rest.is_empty() {
                let spare = s.spare();
                let k = spare.len().min(rest.len()).min(1 + next(50));
                spare[..k].copy_from_slice(&rest[..k]);
                s.filled(k);
                rest = &rest[k..];
            }
            assert_eq!(s.finish(), expected, "round {round} in pieces: {text:?}");
        }
    }

    /// Findings are one per kind, at the first occurrence.
    #[test]
    fn one_finding_per_kind_at_the_first_occurrence() {
        let found = needles().scan(b"HOME=/root\nalso /root/x\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].excerpt, "HOME=/root");
    }
}
