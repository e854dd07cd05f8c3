//! pip / pip-tools / `uv pip compile` / `uv export` requirements files.
//!
//! Grammar as implemented (what pip's `req_file` and uv's `uv-requirements-txt` both read;
//! where they differ, the file is refused or the choice is named below):
//! - The file is UTF-8, optionally after a byte-order mark; a UTF-16 file with its BOM is read
//!   too (pip and uv both decode it). UTF-32 is refused (uv does not read it).
//! - Lines end at `\n`, `\r\n` or a lone `\r` (pip and uv both split there). Another character
//!   Python's `splitlines` ends a line at (form feed, vertical tab, U+001C–U+001E, U+0085,
//!   U+2028, U+2029) is refused: pip starts a new line there, uv does not.
//! - Physical lines ending in `\` join the next line. A `#` at the start of a line or after
//!   whitespace starts a comment (URL fragments such as `#sha256=` are not comments). A line
//!   whose comment ends in `\` before a line of content is refused: pip joins that line into
//!   the comment, uv reads it.
//! - A logical line is blank, a global option (`-r`/`--requirement`, `-c`/`--constraint`,
//!   `-e`/`--editable`, `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`,
//!   `--no-index`, `--trusted-host`, `--no-binary`, `--only-binary`, `--prefer-binary`, `--pre`,
//!   `--require-hashes`, `--use-feature`), or a requirement followed by per-requirement options
//!   (`--hash=<algo>:<hex>`, repeatable). Options take their value after `=` or a space, split
//!   as a POSIX shell splits words (`-r "base reqs.txt"`). One option per line: pip reads a
//!   second one, uv reads it as part of the first one's value, so a second is refused.
//! - A requirement is PEP 508 (`name[extras]==version ; marker`, `name @ url`) parsed by
//!   `pep508_rs`, or an unnamed URL or path (`https://…/x.whl`, `git+https://…#egg=x`, `./dir`)
//!   with optional `[extras]` and `; marker`. An unnamed requirement is named by `#egg=`, by its
//!   wheel file name (which also gives its version), or by the metadata of the project at its
//!   path (see [`super::project`]); else it is "the project at <path>".
//! - `-e <path or URL>[extras] ; marker`: the marker is kept, as uv keeps it (pip drops it).
//! - Comments right after a requirement that read `# via a, b` or `# via` followed by `#   a`
//!   lines are its reverse dependency edges (pip-compile and uv write them).
//! - pip-compile's `# The following packages are considered to be unsafe…` section lists
//!   packages that are required but left unpinned, as comments; they are kept.
//! - A file `uv export` wrote (its header says so) lists dependency-group packages without a
//!   `# via`: they are top-level, not orphans.
//!
//! Not supported (rejected with a clear error): unknown options, `--global-option` and other
//! build-time options.

use std::path::{Path, PathBuf};

use pep440_rs::Operator;
use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};

use crate::digest::{Digest, DigestParseError, truncate};
use crate::lockfile::project::{Workspace, project_name};
use crate::lockfile::{
    CommentedPackage, Include, IncludeKind, Lock, LockError, LockFormat, LockOption, LockedPackage,
    OptionKind, PackageSource, Pin, RequiredBy, UNNAMED_PREFIX, read_bytes,
};
use crate::model::{Ecosystem, Location, PackageName};

/// Deepest chain of `-r`/`-c` includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// What a package listed without `# via` in a `uv export` file is required by: uv annotates
/// the project's dependencies and extras (`# via <project>`), not its dependency groups.
pub const UV_EXPORT_GROUP: &str = "a dependency group (uv export)";

/// One requirements file, parsed, with its includes not yet followed.
#[derive(Debug, Clone)]
pub struct RequirementsFile {
    /// The file.
    pub path: PathBuf,
    /// Requirement lines, in order.
    pub requirements: Vec<RequirementLine>,
    /// Global options.
    pub options: Vec<LockOption>,
    /// `-r` / `-c` lines.
    pub includes: Vec<Include>,
    /// Packages listed as comments only.
    pub commented_out: Vec<CommentedPackage>,
    /// Whether any `# via` annotation was seen.
    pub annotated: bool,
    /// Whether the header says `uv export` wrote the file.
    pub uv_export: bool,
}

/// One requirement of a requirements file.
#[derive(Debug, Clone)]
pub struct RequirementLine {
    /// The logical line's first physical line.
    pub line: usize,
    /// The parsed PEP 508 requirement, for named requirements.
    pub requirement: Option<Requirement<VerbatimUrl>>,
    /// The package name (from the requirement, `#egg=`, or a wheel file name).
    pub name: Option<String>,
    /// The URL or path of an unnamed or `@` requirement, or of an editable.
    pub url: Option<String>,
    /// Whether the line is `-e`.
    pub editable: bool,
    /// `--hash` values and a URL's `#sha256=` fragment.
    pub hashes: Vec<Digest>,
    /// `# via` edges.
    pub via: Vec<RequiredBy>,
    /// Extras of an unnamed or editable requirement (`./pkg[dev]`).
    pub extras: Vec<String>,
    /// Marker of an unnamed or editable requirement (`./pkg ; python_version >= "3.9"`).
    pub marker: Option<String>,
    /// Version of an unnamed wheel, from its file name.
    pub version: Option<String>,
    /// The local directory of a path or editable requirement, resolved against the file's
    /// directory (not read at parse time).
    pub local_dir: Option<PathBuf>,
}

impl RequirementLine {
    fn new(line: usize, editable: bool, hashes: Vec<Digest>) -> Self {
        RequirementLine {
            line,
            requirement: None,
            name: None,
            url: None,
            editable,
            hashes,
            via: Vec::new(),
            extras: Vec::new(),
            marker: None,
            version: None,
            local_dir: None,
        }
    }
}

/// Characters Python's `str.splitlines` (and so pip) ends a line at, besides `\n` and `\r`,
/// that uv reads as part of the line.
const PIP_ONLY_LINE_BREAKS: &[char] = &[
    '\u{0b}', '\u{0c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
];

/// The physical lines of `text`, split at `\n`, `\r\n` and a lone `\r`, lazily: a file is
/// read no further than the entry cap lets it.
struct PhysicalLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for PhysicalLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        match self.rest.find(['\n', '\r']) {
            Some(i) => {
                let line = &self.rest[..i];
                let skip = if self.rest[i..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                self.rest = &self.rest[i + skip..];
                Some(line)
            }
            None => Some(std::mem::take(&mut self.rest)),
        }
    }
}

/// Refuse a line break only pip honours (see [`PIP_ONLY_LINE_BREAKS`]) in physical line `n`.
fn check_line_breaks(path: &Path, n: usize, line: &str) -> Result<(), LockError> {
    match line.chars().find(|c| PIP_ONLY_LINE_BREAKS.contains(c)) {
        Some(c) => Err(LockError::syntax(
            path,
            n,
            format!(
                "character U+{:04X} ends a line for pip but not for uv: the file means different things to each",
                c as u32
            ),
        )
        .with_hint("replace it with a newline or remove it")),
        None => Ok(()),
    }
}

/// Whether a physical line is a comment line (pip's `COMMENT_RE.match`): `#` first, after
/// optional whitespace. pip never joins such a line to the next one.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// A cursor that joins continuation lines into logical lines, each with the number of its first
/// physical line.
struct LogicalLines<'p, 'a> {
    path: &'p Path,
    lines: std::iter::Peekable<std::iter::Enumerate<PhysicalLines<'a>>>,
}

impl<'p, 'a> LogicalLines<'p, 'a> {
    fn new(path: &'p Path, text: &'a str) -> Self {
        LogicalLines {
            path,
            lines: PhysicalLines { rest: text }.enumerate().peekable(),
        }
    }

    /// The next physical line (its 1-based number), checked for line breaks only pip honours.
    fn physical(&mut self) -> Result<Option<(usize, &'a str)>, LockError> {
        match self.lines.next() {
            Some((i, line)) => {
                check_line_breaks(self.path, i + 1, line)?;
                Ok(Some((i + 1, line)))
            }
            None => Ok(None),
        }
    }

    /// A line whose comment ends in `\`: pip joins the next line into the comment (it only
    /// checks for a trailing `\`), uv ends the comment at the line's end. When the next line
    /// holds content, the two install different things.
    fn check_comment(&mut self, n: usize, line: &str) -> Result<(), LockError> {
        if is_comment_line(line) || !line.ends_with('\\') || strip_comment(line).len() == line.len()
        {
            return Ok(());
        }
        match self.lines.peek() {
            Some((_, next)) if !next.trim().is_empty() && !is_comment_line(next) => Err(LockError::syntax(
                self.path,
                n,
                format!(
                    "a comment ends in `\\`: pip joins line {} into the comment, uv reads it as a line of its own",
                    n + 1
                ),
            )
            .with_hint("remove the `\\` at the end of the comment")),
            _ => Ok(()),
        }
    }

    fn next_line(&mut self) -> Result<Option<(usize, String)>, LockError> {
        let Some((first, line)) = self.physical()? else {
            return Ok(None);
        };
        if is_comment_line(line) {
            return Ok(Some((first, line.to_string())));
        }
        let mut content = String::new();
        let (mut n, mut current) = (first, line);
        loop {
            self.check_comment(n, current)?;
            let next_is_content = self
                .lines
                .peek()
                .is_some_and(|(_, next)| !is_comment_line(next));
            match current.strip_suffix('\\') {
                // A continuation into a comment line ends the logical line, as in pip; the
                // comment line is read next (it may be a `# via`).
                Some(head) if next_is_content => {
                    content.push_str(head);
                    content.push(' ');
                    (n, current) = self.physical()?.expect("peeked");
                }
                Some(head) => {
                    content.push_str(head);
                    break;
                }
                None => {
                    content.push_str(current);
                    break;
                }
            }
        }
        Ok(Some((first, content)))
    }
}

/// Strip a trailing comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Split `s` into words as a POSIX shell does (pip splits option values with `shlex.split`):
/// whitespace separates words, `'…'` quotes literally, `"…"` quotes with `\` escaping `"`,
/// `\`, `$` and `` ` ``, and a `\` outside quotes escapes the next character. `None` for an
/// unclosed quote.
fn shell_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                chars.next();
                                word.push(n);
                            }
                            _ => word.push('\\'),
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// What a comment line means for the parser's state.
enum ViaState {
    /// Not inside a `# via` block.
    Idle,
    /// After a bare `# via`: following `#   item` lines are items.
    Block,
}

/// Decode a requirements file's bytes as pip and uv both do: UTF-8 with or without a BOM, or
/// UTF-16 with its BOM. UTF-32 (pip reads it, uv does not) and invalid UTF-8 are refused.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, LockError> {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| -> Result<String, LockError> {
        let units = bytes
            .chunks(2)
            .map(|c| from([c[0], *c.get(1).unwrap_or(&0)]));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| {
                LockError::syntax(
                    path,
                    0,
                    "invalid UTF-16 (the file starts with a UTF-16 byte-order mark)",
                )
                .with_hint("save the file as UTF-8")
            })
    };
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(
            LockError::syntax(path, 1, "the file is UTF-32: pip reads it, uv does not")
                .with_hint("save the file as UTF-8"),
        );
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    let skip = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let mut bytes = bytes;
    bytes.drain(..skip);
    crate::lockfile::utf8(path, bytes)
}

/// Parse one requirements file. Includes are recorded, not followed.
pub fn parse(path: &Path, text: &str) -> Result<RequirementsFile, LockError> {
    // A byte-order mark is not part of the first line (pip and uv both skip it).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = RequirementsFile {
        path: path.to_path_buf(),
        requirements: Vec::new(),
        options: Vec::new(),
        includes: Vec::new(),
        commented_out: Vec::new(),
        annotated: false,
        uv_export: false,
    };
    let mut via_state = ViaState::Idle;
    let mut unsafe_section = false;
    let mut header = true;
    // The requirement that `# via` comments attach to: the last one, until a blank line or a
    // top-level comment ends its block.
    let mut attach: Option<usize> = None;

    let mut lines = LogicalLines::new(path, text);
    while let Some((line_no, raw)) = lines.next_line()? {
        // Stop at the cap while parsing, before the entries cost their memory.
        let entries = file.requirements.len()
            + file.options.len()
            + file.includes.len()
            + file.commented_out.len();
        if entries > crate::lockfile::MAX_LOCK_ENTRIES {
            return Err(too_many_entries(path, line_no));
        }
        let trimmed = raw.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let indented = raw.starts_with(char::is_whitespace);
            let body = comment.trim();
            if header && !indented {
                // `#    uv export --no-emit-project`, right after uv's "autogenerated" line.
                if body == "uv export" || body.starts_with("uv export ") {
                    file.uv_export = true;
                }
            }
            if let (Some(idx), true) = (attach, indented || matches!(via_state, ViaState::Block)) {
                if let Some(rest) = body.strip_prefix("via")
                    && (rest.is_empty() || rest.starts_with(char::is_whitespace))
                {
                    file.annotated = true;
                    let rest = rest.trim();
                    if rest.is_empty() {
                        via_state = ViaState::Block;
                    } else {
                        via_state = ViaState::Idle;
                        for item in rest.split(',') {
                            push_via(&mut file.requirements[idx], item);
                        }
                    }
                    continue;
                }
                if matches!(via_state, ViaState::Block)
                    && comment.starts_with("  ")
                    && !body.is_empty()
                {
                    push_via(&mut file.requirements[idx], body);
                    continue;
                }
            }
            via_state = ViaState::Idle;
            if !indented {
                attach = None;
                if body.contains("considered to be unsafe in a requirements file") {
                    unsafe_section = true;
                } else if unsafe_section && !body.is_empty() {
                    file.commented_out.push(CommentedPackage {
                        text: body.to_string(),
                        location: Location::new(path, line_no),
                    });
                }
            }
            continue;
        }
        via_state = ViaState::Idle;
        let content = strip_comment(&raw).trim();
        if content.is_empty() {
            attach = None;
            continue;
        }
        header = false;
        unsafe_section = false;
        if content.starts_with('-') {
            attach = None;
            parse_option_line(path, dir, line_no, content, &mut file)?;
            if file
                .requirements
                .last()
                .is_some_and(|r| r.editable && r.line == line_no)
            {
                attach = Some(file.requirements.len() - 1);
            }
            continue;
        }
        let req = parse_requirement(path, dir, line_no, content, false)?;
        file.requirements.push(req);
        attach = Some(file.requirements.len() - 1);
    }
    Ok(file)
}

impl RequirementsFile {
    /// Entries that cost memory (see [`crate::lockfile::MAX_LOCK_ENTRIES`]).
    pub fn entries(&self) -> usize {
        self.requirements.len()
            + self.options.len()
            + self.includes.len()
            + self.commented_out.len()
    }
}

fn too_many_entries(path: &Path, line: usize) -> LockError {
    LockError::syntax(
        path,
        line,
        format!(
            "more than {} entries (packages, options, includes)",
            crate::lockfile::MAX_LOCK_ENTRIES
        ),
    )
    .with_hint("is this really a lockfile? Real lockfiles hold a few thousand packages")
}

fn push_via(req: &mut RequirementLine, item: &str) {
    let item = item.trim();
    if item.is_empty() {
        return;
    }
    let edge = if let Some(file) = item.strip_prefix("-r") {
        RequiredBy::Input(format!("-r {}", file.trim()))
    } else if let Some(file) = item.strip_prefix("-c") {
        RequiredBy::Constraint(format!("-c {}", file.trim()))
    } else if item.contains(' ') || item.contains('(') {
        // `project (pyproject.toml)`: the project itself asks for the package.
        RequiredBy::Input(item.to_string())
    } else {
        RequiredBy::Package(PackageName::new(Ecosystem::Pypi, item))
    };
    if !req.via.contains(&edge) {
        req.via.push(edge);
    }
}

fn parse_option_line(
    path: &Path,
    dir: &Path,
    line_no: usize,
    content: &str,
    file: &mut RequirementsFile,
) -> Result<(), LockError> {
    let first = content.split_whitespace().next().unwrap_or("");
    let (flag, inline) = split_flag(first);
    let loc = Location::new(path, line_no);
    let missing = |flag: &str| {
        LockError::syntax(
            path,
            line_no,
            format!("`{flag}` must be followed by an argument"),
        )
    };
    if flag == "-e" || flag == "--editable" {
        // The rest of the line is the editable target: a path or URL with optional extras and
        // marker (uv reads the marker; pip's option parser drops it).
        let rest = match inline {
            Some(v) if !v.is_empty() => content[content.find(v).unwrap_or(0)..].trim(),
            _ => content[first.len()..].trim(),
        };
        if rest.is_empty() {
            return Err(missing(flag));
        }
        let mut req = parse_requirement(path, dir, line_no, rest, true)?;
        req.editable = true;
        file.requirements.push(req);
        return Ok(());
    }
    let words = shell_words(content).ok_or_else(|| {
        LockError::syntax(path, line_no, "unclosed quote in an option")
            .with_hint("close the quote, as a shell would need it closed")
    })?;
    let mut words = words.iter().map(String::as_str);
    let (flag, inline) = split_flag(words.next().unwrap_or(""));
    let mut value = |flag: &str| -> Result<String, LockError> {
        match inline {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => words
                .next()
                .map(str::to_string)
                .ok_or_else(|| missing(flag)),
        }
    };
    let kind = match flag {
        "-r" | "--requirement" | "-c" | "--constraint" => {
            let value = value(flag)?;
            let kind = if flag == "-c" || flag == "--constraint" {
                IncludeKind::Constraint
            } else {
                IncludeKind::Requirement
            };
            if words.next().is_some() {
                return Err(one_option_per_line(path, line_no));
            }
            file.includes.push(Include {
                kind,
                path: dir.join(&value),
                written: value,
                location: loc,
            });
            return Ok(());
        }
        "-i" | "--index-url" => OptionKind::IndexUrl,
        "--extra-index-url" => OptionKind::ExtraIndexUrl,
        "--no-index" => OptionKind::NoIndex,
        "-f" | "--find-links" => OptionKind::FindLinks,
        "--trusted-host" => OptionKind::TrustedHost,
        "--no-binary" => OptionKind::NoBinary,
        "--only-binary" => OptionKind::OnlyBinary,
        "--prefer-binary" => OptionKind::PreferBinary,
        "--pre" => OptionKind::Pre,
        "--require-hashes" => OptionKind::RequireHashes,
        "--use-feature" => OptionKind::UseFeature,
        other => {
            return Err(LockError::syntax(
                path,
                line_no,
                format!("unsupported option{}", flag_for_message(other)),
            )
            .with_hint("repro accepts the options pip documents for requirements files"));
        }
    };
    let takes_value = !matches!(
        kind,
        OptionKind::NoIndex
            | OptionKind::Pre
            | OptionKind::PreferBinary
            | OptionKind::RequireHashes
    );
    let value = if takes_value {
        Some(value(flag)?)
    } else {
        None
    };
    if words.next().is_some() {
        return Err(one_option_per_line(path, line_no));
    }
    file.options.push(LockOption {
        kind,
        value,
        location: loc,
    });
    Ok(())
}

/// pip reads every option of a line (`--index-url A --extra-index-url B`); uv reads the rest of
/// the line as the first option's value. Neither reading can be trusted, so the line is refused.
fn one_option_per_line(path: &Path, line_no: usize) -> LockError {
    LockError::syntax(
        path,
        line_no,
        "more than one option or value on a line: pip reads each option, uv reads the rest of the line as the first one's value",
    )
    .with_hint("put each option on a line of its own")
}

/// `--flag=value` → (`--flag`, Some(value)); `-rfile` → (`-r`, Some(file)); `--flag` → (`--flag`, None).
fn split_flag(token: &str) -> (&str, Option<&str>) {
    if token.starts_with("--") {
        match token.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (token, None),
        }
    } else if token.len() > 2 && token.is_char_boundary(2) {
        let (f, v) = token.split_at(2);
        (f, Some(v.trim_start_matches('=')))
    } else {
        (token, None)
    }
}

fn parse_requirement(
    path: &Path,
    dir: &Path,
    line_no: usize,
    content: &str,
    editable: bool,
) -> Result<RequirementLine, LockError> {
    // pip's rule: the requirement ends at the first space-separated token starting with `-`.
    let mut spec_end = content.len();
    let mut offset = 0;
    for token in content.split(' ') {
        if token.starts_with('-') && offset > 0 {
            spec_end = offset;
            break;
        }
        offset += token.len() + 1;
    }
    let spec = content[..spec_end.min(content.len())].trim();
    let opts = content[spec_end.min(content.len())..].trim();

    let mut hashes = Vec::new();
    let words = shell_words(opts).ok_or_else(|| {
        LockError::syntax(path, line_no, "unclosed quote in an option")
            .with_hint("close the quote, as a shell would need it closed")
    })?;
    let mut tokens = words.iter().map(String::as_str);
    while let Some(token) = tokens.next() {
        let (flag, inline) = split_flag(token);
        match flag {
            "--hash" if !editable => {
                let value = match inline {
                    Some(v) if !v.is_empty() => Some(v),
                    _ => tokens.next(),
                }
                .ok_or_else(|| {
                    LockError::syntax(path, line_no, "`--hash` must be followed by an argument")
                })?;
                let digest: Digest = value.parse().map_err(|e: DigestParseError| {
                    LockError::syntax(path, line_no, format!("{} in `--hash`", e.without_input()))
                        .with_hint("regenerate the file with `uv pip compile --generate-hashes`")
                })?;
                hashes.push(digest);
            }
            other => {
                return Err(LockError::syntax(
                    path,
                    line_no,
                    format!(
                        "unsupported per-requirement option{}",
                        flag_for_message(other)
                    ),
                ));
            }
        }
    }

    let mut line = RequirementLine::new(line_no, editable, hashes);
    if editable || is_unnamed(spec) {
        // `-e target`, or a bare URL or path that PEP 508 has no name for.
        let target = parse_unnamed(spec).map_err(|m| LockError::syntax(path, line_no, m))?;
        push_fragment_hash(path, line_no, &target.url, &mut line.hashes)?;
        line.name = target.egg.clone();
        if let Some((name, version)) = wheel_name_version(&target.url) {
            line.name = line.name.or(Some(name));
            line.version = Some(version);
        }
        line.local_dir = local_path(&target.url).map(|p| dir.join(p));
        line.url = Some(target.url);
        line.extras = target.extras;
        line.marker = target.marker;
        return Ok(line);
    }
    let req = match parse_pep508(spec, dir).map_err(|m| LockError::syntax(path, line_no, m))? {
        Ok(req) => req,
        Err(e) => return Err(pep508_error(path, line_no, spec, &e)),
    };
    line.name = Some(req.name.as_ref().to_string());
    if let Some(VersionOrUrl::Url(_)) = &req.version_or_url {
        // The URL as written: after `name[extras] @`, before `;`.
        let written = spec
            .split_once('@')
            .map(|(_, rest)| rest.split(" ;").next().unwrap_or(rest).trim())
            .unwrap_or(spec)
            .to_string();
        push_fragment_hash(path, line_no, &written, &mut line.hashes)?;
        line.local_dir = local_path(&written).map(|p| dir.join(p));
        line.url = Some(written);
    }
    line.requirement = Some(req);
    Ok(line)
}

/// Whether `s` starts with a URL scheme (`https://`, `git+ssh://`, `file:`).
fn has_scheme(s: &str) -> bool {
    if s.len() >= 5 && s[..5].eq_ignore_ascii_case("file:") {
        return true;
    }
    match s.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// File name endings pip takes for an archive (`is_archive_file`).
const ARCHIVE_SUFFIXES: &[&str] = &[
    ".whl",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".zip",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

/// Whether a requirement is a URL or path rather than PEP 508 (pip's `parse_req_from_line`):
/// it starts with a scheme or a path (`.`, `/`, `~`), or names an archive file, unless the
/// text before an `@` is a name (`pkg @ https://…/pkg.whl` is PEP 508).
fn is_unnamed(spec: &str) -> bool {
    let head = split_marker(spec).0;
    let head = strip_extras(head).0;
    if has_scheme(head) || head.starts_with(['.', '/', '~']) {
        return true;
    }
    let lower = head.to_ascii_lowercase();
    if ARCHIVE_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        return match head.split_once('@') {
            Some((before, _)) => before.contains('/') || before.trim_start().starts_with('.'),
            None => true,
        };
    }
    false
}

/// `target ; marker` → (`target`, Some(`marker`)). A URL's marker follows `; ` or ` ;` (pip
/// splits URLs at `"; "`, since `;` may belong to a URL); a path's follows any `;`.
fn split_marker(spec: &str) -> (&str, Option<&str>) {
    let cut = if has_scheme(spec) {
        [" ;", "; "].iter().filter_map(|sep| spec.find(sep)).min()
    } else {
        spec.find(';')
    };
    match cut {
        Some(i) => (
            spec[..i].trim(),
            Some(spec[i..].trim_start_matches([' ', ';']).trim()),
        ),
        None => (spec.trim(), None),
    }
}

/// `./pkg[a,b]` → (`./pkg`, Some(`a,b`)), as pip's `_strip_extras` splits them.
fn strip_extras(s: &str) -> (&str, Option<&str>) {
    match s.strip_suffix(']').and_then(|h| h.rsplit_once('[')) {
        Some((head, extras)) if !head.is_empty() && !extras.contains(']') => (head, Some(extras)),
        _ => (s, None),
    }
}

/// An unnamed or editable requirement, split into its parts.
struct Unnamed {
    url: String,
    egg: Option<String>,
    extras: Vec<String>,
    marker: Option<String>,
}

/// Split `path-or-url[extras] ; marker`, validating extras and marker with the PEP 508
/// grammar (an invalid one is an error, as it is for uv).
fn parse_unnamed(spec: &str) -> Result<Unnamed, String> {
    let (head, marker) = split_marker(spec);
    let (url, extras) = strip_extras(head);
    let extras = match extras {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                pep508_rs::ExtraName::new(e.to_string())
                    .map(|n| n.to_string())
                    .map_err(|_| "invalid requirement: an extra is not a valid name".to_string())
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let marker = match marker {
        Some(m) if !m.is_empty() => {
            let parsed = std::panic::catch_unwind(|| m.parse::<pep508_rs::MarkerTree>())
                .map_err(|_| "invalid marker: rejected by the PEP 508 parser".to_string())?;
            match parsed {
                Ok(tree) => tree.contents().map(|c| c.to_string()),
                Err(_) => return Err("invalid marker after `;`".to_string()),
            }
        }
        Some(_) => return Err("`;` must be followed by a marker".to_string()),
        None => None,
    };
    if url.is_empty() {
        return Err("expected a path or URL".to_string());
    }
    let egg = url.split_once('#').and_then(|(_, frag)| {
        frag.split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .map(str::to_string)
    });
    Ok(Unnamed {
        url: url.to_string(),
        egg,
        extras,
        marker,
    })
}

/// The name and version a wheel file name states (`six-1.17.0-py2.py3-none-any.whl`).
fn wheel_name_version(url: &str) -> Option<(String, String)> {
    let stem = crate::lockfile::file_name_of(url).strip_suffix(".whl")?;
    let mut parts = stem.split('-');
    let (name, version) = (parts.next()?, parts.next()?);
    (!name.is_empty() && !version.is_empty() && parts.count() >= 3)
        .then(|| (name.to_string(), version.to_string()))
}

/// The local path of a path requirement or `file:` URL, as written (relative paths stay
/// relative); `None` for a remote URL.
fn local_path(url: &str) -> Option<PathBuf> {
    let base = url.split('#').next().unwrap_or(url);
    if let Some(rest) = base
        .strip_prefix("file://")
        .or_else(|| base.strip_prefix("file:"))
    {
        return Some(PathBuf::from(rest));
    }
    (!has_scheme(base)).then(|| PathBuf::from(base))
}

/// Reject a name or extra that ends in punctuation before `pep508_rs` sees it: pep508_rs 0.9.2 panics
/// ("`PackageName` validation should match PEP 508 parsing") on `G. ==1`, where its parser
/// accepts a trailing `.` that its name validation then rejects. Found by the `requirements_txt`
/// fuzz target.
fn check_name_prefix(spec: &str) -> Result<(), String> {
    fn leading(s: &str) -> &str {
        let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        &s[..s.find(|c: char| !is_name_char(c)).unwrap_or(s.len())]
    }
    let bad = |what: &str, _name: &str| {
        format!("invalid requirement: the {what} must end with a letter or digit")
    };
    let name = leading(spec);
    if !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && pep508_rs::PackageName::new(name.to_string()).is_err()
    {
        return Err(bad("package name", name));
    }
    // Extras: `name [a, b.]` — the same flaw as names (pep508_rs 0.9.2 panics on `b.`).
    if let Some(rest) = spec[name.len()..].trim_start().strip_prefix('[') {
        let inside = rest.split(']').next().unwrap_or(rest);
        for item in inside.split(',') {
            let extra = leading(item.trim_start());
            if !extra.is_empty()
                && extra.starts_with(|c: char| c.is_ascii_alphanumeric())
                && pep508_rs::ExtraName::new(extra.to_string()).is_err()
            {
                return Err(bad("extra", extra));
            }
        }
    }
    Ok(())
}

/// Parse one PEP 508 requirement from untrusted text (a requirements line, a wheel's
/// `Requires-Dist`), guarding against the parser's own assertions (see [`check_name_prefix`]).
/// `Ok(Err(_))` is an ordinary parse error, with its position; `Err(message)` a refusal.
#[allow(clippy::type_complexity)]
pub fn parse_pep508(
    spec: &str,
    dir: &Path,
) -> Result<Result<Requirement<VerbatimUrl>, pep508_rs::Pep508Error<VerbatimUrl>>, String> {
    check_name_prefix(spec)?;
    // pep508_rs asserts, rather than checks, some invariants of its own grammar (two found by
    // fuzzing are pre-checked above). Should another surface, one hostile line must still be an
    // error at its line, not an abort of the whole run.
    std::panic::catch_unwind(|| Requirement::<VerbatimUrl>::parse(spec, dir))
        .map_err(|_| "invalid requirement: rejected by the PEP 508 parser".to_string())
}

/// A PEP 508 error as a one-line syntax error with its column, bounded in length.
fn pep508_error(
    path: &Path,
    line_no: usize,
    spec: &str,
    e: &pep508_rs::Pep508Error<VerbatimUrl>,
) -> LockError {
    // The parser's message quotes the line; keep its grammar (`@`, `==`), not the line's text.
    let message = crate::redact::scrub_line(&e.message.to_string(), spec);
    LockError::syntax(
        path,
        line_no,
        format!(
            "invalid requirement (column {}): {}",
            e.start + 1,
            truncate(&message, 200)
        ),
    )
}

/// An unknown option, named in an error only when it looks like one (`--frobnicate`): a line
/// of a file that is not a requirements file (`-r ~/.netrc`) may hold a secret.
fn flag_for_message(flag: &str) -> String {
    let name = flag.trim_start_matches('-');
    let plain = flag.starts_with('-')
        && (1..=40).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if plain {
        format!(" `{flag}`")
    } else {
        String::new()
    }
}

/// A URL's `#sha256=<hex>` fragment is a pin.
fn push_fragment_hash(
    path: &Path,
    line_no: usize,
    url: &str,
    hashes: &mut Vec<Digest>,
) -> Result<(), LockError> {
    let Some((_, fragment)) = url.split_once('#') else {
        return Ok(());
    };
    for kv in fragment.split('&') {
        if let Some((algo, value)) = kv.split_once('=')
            && let Ok(algorithm) = algo.parse()
        {
            let digest = Digest::from_hex(algorithm, value).map_err(|e| {
                LockError::syntax(
                    path,
                    line_no,
                    format!("{} in the URL fragment", e.without_input()),
                )
            })?;
            hashes.push(digest);
        }
    }
    Ok(())
}

/// Classify the source of a URL or path requirement.
fn classify(url: &str, editable: bool) -> PackageSource {
    if editable {
        return PackageSource::Editable {
            path: url.to_string(),
        };
    }
    let lower = url.to_ascii_lowercase();
    if ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        let base = url.split('#').next().unwrap_or(url);
        let commit = base
            .rsplit_once('@')
            .map(|(_, rev)| rev)
            .filter(|rev| is_full_commit(rev))
            .map(str::to_string);
        PackageSource::Git {
            url: url.to_string(),
            commit,
        }
    } else if lower.starts_with("file:") || !lower.contains("://") {
        PackageSource::Path {
            path: url.to_string(),
        }
    } else {
        PackageSource::Url {
            url: url.to_string(),
        }
    }
}

/// A full commit id: 40 (SHA-1) or 64 (SHA-256) hex digits.
pub fn is_full_commit(rev: &str) -> bool {
    (rev.len() == 40 || rev.len() == 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the loader knows about the projects around a requirements file (see
/// [`super::project`]); empty for a file parsed from text alone.
#[derive(Debug, Default)]
pub struct ProjectContext {
    /// The project the file was exported from and its workspace members.
    pub workspace: Workspace,
    /// Whether local paths may be read for their project's name.
    pub read_metadata: bool,
}

fn to_package(path: &Path, line: RequirementLine, ctx: &ProjectContext) -> LockedPackage {
    let local_dir = line
        .local_dir
        .as_ref()
        .filter(|_| ctx.read_metadata)
        .and_then(|d| crate::fsio::canonicalize(d).ok())
        .filter(|d| d.is_dir());
    let mut name = line.name.clone();
    if name.is_none()
        && let Some(dir) = &local_dir
    {
        name = project_name(dir);
    }
    let display_name = name.unwrap_or_else(|| {
        let at = line.url.as_deref().unwrap_or("?");
        format!("{UNNAMED_PREFIX}{}", truncate(at, 200))
    });
    let mut version = line.version.clone();
    let mut pin = if version.is_some() {
        Pin::Exact
    } else {
        Pin::None
    };
    let mut extras = line.extras.clone();
    let mut marker = line.marker.clone();
    if let Some(req) = &line.requirement {
        extras = req.extras.iter().map(|e| e.to_string()).collect();
        marker = req.marker.contents().map(|m| m.to_string());
        if let Some(VersionOrUrl::VersionSpecifier(specs)) = &req.version_or_url {
            match specs.iter().collect::<Vec<_>>().as_slice() {
                [one] if *one.operator() == Operator::Equal => {
                    version = Some(one.version().to_string());
                    pin = Pin::Exact;
                }
                [one] if *one.operator() == Operator::ExactEqual => {
                    version = Some(one.version().to_string());
                    pin = Pin::ArbitraryEquality;
                }
                [] => {}
                _ => pin = Pin::Range(specs.to_string()),
            }
        }
    }
    let source = match &line.url {
        // The project itself (`-e .` in `uv export` output) or a member of its workspace is
        // built from the tree being checked, as uv.lock's editable root is.
        Some(url)
            if local_dir
                .as_ref()
                .is_some_and(|d| ctx.workspace.contains_dir(d)) =>
        {
            PackageSource::Workspace {
                path: Some(url.clone()),
            }
        }
        Some(url) => classify(url, line.editable),
        None => PackageSource::Registry { index: None },
    };
    LockedPackage {
        name: PackageName::new(Ecosystem::Pypi, &display_name),
        display_name,
        version,
        pin,
        source,
        location: Location::new(path, line.line),
        hashes: line.hashes,
        artifacts: Vec::new(),
        extras,
        marker,
        dependencies: Vec::new(),
        required_by: line.via,
    }
}

/// Build a [`Lock`] from a root file and its (already followed) includes, root first, with no
/// project context (nothing is read from disk).
pub fn into_lock(path: &Path, sha256: Digest, files: Vec<RequirementsFile>) -> Lock {
    into_lock_with(path, sha256, files, &ProjectContext::default())
}

/// Build a [`Lock`] from a root file and its includes, naming path requirements and the
/// lock's root projects from `ctx`.
pub fn into_lock_with(
    path: &Path,
    sha256: Digest,
    files: Vec<RequirementsFile>,
    ctx: &ProjectContext,
) -> Lock {
    let mut lock = Lock {
        path: path.to_path_buf(),
        format: LockFormat::RequirementsTxt,
        ecosystem: Ecosystem::Pypi,
        sha256,
        packages: Vec::new(),
        constraints: Vec::new(),
        options: Vec::new(),
        includes: Vec::new(),
        commented_out: Vec::new(),
        has_edges: false,
        root_dependencies: Vec::new(),
        projects: ctx.workspace.names().cloned().collect(),
    };
    // A file is constraints only when every include of it is `-c`: pip and uv install the
    // packages of a file included with `-r` too, whatever else includes it.
    let key = |p: &Path| canonical(p);
    let mut requirement_files: std::collections::HashSet<PathBuf> =
        std::collections::HashSet::from([key(path)]);
    let mut constraint_files = std::collections::HashSet::new();
    for include in files.iter().flat_map(|f| f.includes.iter()) {
        match include.kind {
            IncludeKind::Requirement => requirement_files.insert(key(&include.path)),
            IncludeKind::Constraint => constraint_files.insert(key(&include.path)),
        };
    }
    for file in files {
        let file_key = key(&file.path);
        let is_constraint =
            constraint_files.contains(&file_key) && !requirement_files.contains(&file_key);
        lock.has_edges |= file.annotated;
        for mut line in file.requirements {
            if file.uv_export && line.via.is_empty() {
                line.via
                    .push(RequiredBy::Input(UV_EXPORT_GROUP.to_string()));
            }
            let pkg = to_package(&file.path, line, ctx);
            if matches!(pkg.source, PackageSource::Workspace { .. })
                && !lock.projects.contains(&pkg.name)
            {
                lock.projects.push(pkg.name.clone());
            }
            if is_constraint {
                lock.constraints.push(pkg);
            } else {
                lock.packages.push(pkg);
            }
        }
        lock.options.extend(file.options);
        lock.includes.extend(file.includes);
        lock.commented_out.extend(file.commented_out);
    }
    lock
}

/// Read and decode one requirements file (see [`decode`]).
pub fn read(path: &Path) -> Result<(String, Digest), LockError> {
    let (bytes, digest) = read_bytes(path)?;
    Ok((decode(path, bytes)?, digest))
}

/// Read `path` and every file it includes, depth first, root first. Each file is read and
/// parsed once, however many times it is included: a diamond (`a` and `b` both include `base`)
/// holds `base`'s packages once, and a chain whose files each include the next twice costs one
/// read per file, not two to the power of its depth. Cycles and unreadable includes are errors
/// at the include's line; an include that is not a regular file (a FIFO, `/dev/stdin`) is
/// refused without being read.
pub fn load_tree(path: &Path) -> Result<(Digest, Vec<RequirementsFile>), LockError> {
    let (text, digest) = read(path)?;
    let root = parse(path, &text)?;
    let mut files = Vec::new();
    let root_key = canonical(path);
    let mut seen = std::collections::HashSet::from([root_key.clone()]);
    let mut stack = vec![root_key];
    follow(root, &mut stack, &mut seen, &mut files, &mut 0)?;
    Ok((digest, files))
}

fn canonical(path: &Path) -> PathBuf {
    crate::fsio::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn follow(
    file: RequirementsFile,
    stack: &mut Vec<PathBuf>,
    seen: &mut std::collections::HashSet<PathBuf>,
    out: &mut Vec<RequirementsFile>,
    entries: &mut usize,
) -> Result<(), LockError> {
    let includes = file.includes.clone();
    // The tree as a whole is one lock: its entries count together.
    *entries += file.entries();
    out.push(file);
    for include in includes {
        if *entries > crate::lockfile::MAX_LOCK_ENTRIES {
            return Err(too_many_entries(
                &include.location.file,
                include.location.line,
            ));
        }
        let target = canonical(&include.path);
        if let Some(pos) = stack.iter().position(|p| *p == target) {
            let chain: Vec<String> = stack[pos..]
                .iter()
                .chain(std::iter::once(&target))
                .map(|p| {
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            return Err(LockError::Syntax {
                location: include.location.clone(),
                message: format!("include cycle: {}", chain.join(" -> ")),
                hint: Some("remove one of the `-r`/`-c` lines that close the cycle".to_string()),
            });
        }
        if !seen.insert(target.clone()) {
            // Already read through another include: its packages are in `out` once.
            continue;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(LockError::syntax(
                &include.location.file,
                include.location.line,
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels"),
            ));
        }
        let (text, _) = read(&include.path).map_err(|e| match e {
            LockError::Io { source, .. } => LockError::Syntax {
                location: include.location.clone(),
                message: format!("cannot read included file `{}`: {source}", include.written),
                hint: Some("includes are resolved relative to the including file".to_string()),
            },
            other => other,
        })?;
        let parsed = parse(&include.path, &text)?;
        stack.push(target);
        follow(parsed, stack, seen, out, entries)?;
        stack.pop();
    }
    Ok(())
}

/// Load a requirements file and its includes into a [`Lock`], reading the metadata of the
/// projects it names by path and of the project (and uv workspace) around it.
pub fn load(path: &Path) -> Result<Lock, LockError> {
    let (digest, files) = load_tree(path)?;
    let ctx = ProjectContext {
        workspace: Workspace::discover(path.parent().unwrap_or(Path::new("."))),
        read_metadata: true,
    };
    Ok(into_lock_with(path, digest, files, &ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<RequirementsFile, LockError> {
        parse(Path::new("requirements.txt"), text)
    }

    #[test]
    fn parses_uv_output_with_hashes_and_via_blocks() {
        let text = "\
# This file was autogenerated by uv via the following command:
#    uv pip compile --generate-hashes requirements.in -o requirements.txt
botocore==1.42.97 \\
    --hash=sha256:5c0bb00e32d16ff6d278cc8c9e10dc3672d9c1d569031635ac3c908a60de8310 \\
    --hash=sha256:77d2c8ce1bc592d3fbd7c01c35836f4a5b0cac2ca03ccdf6ffc60faa16b5fadc
    # via
    #   boto3
    #   s3transfer
six==1.17.0 \\
    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274
    # via -r requirements.in
";
        let file = parse_str(text).unwrap();
        assert!(file.annotated);
        assert_eq!(file.requirements.len(), 2);
        let botocore = &file.requirements[0];
        assert_eq!(botocore.line, 3);
        assert_eq!(botocore.hashes.len(), 2);
        assert_eq!(
            botocore.via,
            vec![
                RequiredBy::Package(PackageName::cargo("boto3")),
                RequiredBy::Package(PackageName::cargo("s3transfer"))
            ]
        );
        assert_eq!(file.requirements[1].line, 9);
        assert_eq!(
            file.requirements[1].via,
            vec![RequiredBy::Input("-r requirements.in".into())]
        );
    }

    #[test]
    fn parses_one_line_comma_separated_via() {
        let file = parse_str("a==1\n    # via b, c\n").unwrap();
        assert_eq!(file.requirements[0].via.len(), 2);
    }

    #[test]
    fn options_and_includes_keep_their_lines() {
        let text = "-i https://example.org/simple\n--extra-index-url=https://x.org/simple\n\n-r base.txt\n-c constraints.txt\n--pre\n";
        let file = parse_str(text).unwrap();
        assert_eq!(file.options.len(), 3);
        assert_eq!(file.options[0].kind, OptionKind::IndexUrl);
        assert_eq!(
            file.options[1].value.as_deref(),
            Some("https://x.org/simple")
        );
        assert_eq!(file.options[1].location.line, 2);
        assert_eq!(file.includes[0].kind, IncludeKind::Requirement);
        assert_eq!(file.includes[0].location.line, 4);
        assert_eq!(file.includes[1].kind, IncludeKind::Constraint);
    }

    #[test]
    fn url_vcs_editable_and_path_requirements_are_classified() {
        let text = "\
pkg @ https://files.example.org/pkg-1.0-py3-none-any.whl#sha256=0918bfe44902e6ad8d57732ba310582e98da931428d231a5ecb9e7c703a735bb
git+https://github.com/org/repo@v1.0#egg=repo
-e ./local/project
./wheels/thing-2.0-py3-none-any.whl
";
        let lock = into_lock(
            Path::new("r.txt"),
            crate::digest::sha256(b""),
            vec![parse_str(text).unwrap()],
        );
        assert!(matches!(lock.packages[0].source, PackageSource::Url { .. }));
        assert_eq!(lock.packages[0].hashes.len(), 1);
        assert!(matches!(
            lock.packages[1].source,
            PackageSource::Git { commit: None, .. }
        ));
        assert_eq!(lock.packages[1].display_name, "repo");
        assert!(matches!(
            lock.packages[2].source,
            PackageSource::Editable { .. }
        ));
        assert!(matches!(
            lock.packages[3].source,
            PackageSource::Path { .. }
        ));
        assert_eq!(lock.packages[3].display_name, "thing");
        assert_eq!(lock.packages[3].version.as_deref(), Some("2.0"));
        // Parsed from text alone, nothing is read from disk: the editable has no name.
        assert_eq!(
            lock.packages[2].display_name,
            "the project at ./local/project"
        );
    }

    const SIX: &str = "sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274";

    fn lock_of(text: &str) -> Lock {
        into_lock(
            Path::new("r.txt"),
            crate::digest::sha256(b""),
            vec![parse_str(text).unwrap()],
        )
    }

    #[test]
    fn a_comment_ending_in_backslash_is_refused_before_content_only() {
        let err = parse_str("a==1 # note \\\nb==2\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "requirements.txt:1: a comment ends in `\\`: pip joins line 2 into the comment, uv reads it as a line of its own"
        );
        // Inside a continuation too.
        assert!(parse_str("a==1 \\\n  --hash=sha256:00 # x \\\nb==2\n").is_err());
        // Before a blank line, a comment or the end of the file, both read the same.
        assert_eq!(
            parse_str("a==1 # note \\\n\nb==2\n")
                .unwrap()
                .requirements
                .len(),
            2
        );
        assert_eq!(
            parse_str("a==1 # note \\\n# c\n")
                .unwrap()
                .requirements
                .len(),
            1
        );
        assert_eq!(parse_str("a==1 # note \\").unwrap().requirements.len(), 1);
        // A comment line ending in `\` is joined by neither.
        assert_eq!(
            parse_str("# note \\\nb==2\n").unwrap().requirements.len(),
            1
        );
    }

    #[test]
    fn a_via_after_a_continuation_is_kept() {
        let file = parse_str("a==1 \\\n    # via b\nb==1\n").unwrap();
        assert_eq!(
            file.requirements[0].via,
            vec![RequiredBy::Package(PackageName::new(Ecosystem::Pypi, "b"))]
        );
    }

    #[test]
    fn line_endings_and_byte_order_marks() {
        let file = parse_str("\u{feff}a==1\rb==2\r\nc==3\n").unwrap();
        let lines: Vec<usize> = file.requirements.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 3]);
        assert_eq!(file.requirements[0].name.as_deref(), Some("a"));
        for c in ['\u{0c}', '\u{0b}', '\u{85}', '\u{2028}'] {
            let err = parse_str(&format!("a==1\nb==2{c}c==3\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("requirements.txt:2: character U+")
                    && err.contains("ends a line for pip but not for uv"),
                "{err}"
            );
        }
    }

    #[test]
    fn decodes_utf8_and_utf16_with_a_bom_and_refuses_utf32() {
        let p = Path::new("r.txt");
        assert_eq!(decode(p, b"\xef\xbb\xbfa==1\n".to_vec()).unwrap(), "a==1\n");
        let mut le = vec![0xFF, 0xFE];
        le.extend("a==1\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(p, le).unwrap(), "a==1\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("a==1\n".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(p, be).unwrap(), "a==1\n");
        let err = decode(p, vec![0xFF, 0xFE, 0, 0, b'a', 0, 0, 0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "r.txt:1: the file is UTF-32: pip reads it, uv does not"
        );
    }

    #[test]
    fn option_values_are_split_as_a_shell_splits_them() {
        for text in [
            "-r \"base reqs.txt\"\n",
            "-r 'base reqs.txt'\n",
            "-r base\\ reqs.txt\n",
            "--requirement=\"base reqs.txt\"\n",
        ] {
            let file = parse_str(text).unwrap();
            assert_eq!(file.includes[0].written, "base reqs.txt", "{text}");
        }
        let err = parse_str("-r \"base\n").unwrap_err().to_string();
        assert_eq!(err, "requirements.txt:1: unclosed quote in an option");
        let file = parse_str(&format!("a==1 --hash '{SIX}'\n")).unwrap();
        assert_eq!(file.requirements[0].hashes.len(), 1);
    }

    #[test]
    fn one_option_per_line() {
        let err = parse_str("--index-url https://a/simple --extra-index-url https://b/simple\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "requirements.txt:1: more than one option or value on a line: pip reads each option, uv reads the rest of the line as the first one's value"
        );
    }

    #[test]
    fn wheel_file_names_take_markers_and_extras() {
        let lock = lock_of(&format!(
            "six-1.17.0-py2.py3-none-any.whl[x] ; python_version >= \"3\" --hash={SIX}\n\
             ./dist/six-1.17.0-py2.py3-none-any.whl;python_version>'3'\n\
             https://example.org/six-1.17.0-py2.py3-none-any.whl ; python_version >= \"3\"\n\
             six @ https://example.org/six-1.17.0-py2.py3-none-any.whl ; python_version >= \"3\"\n"
        ));
        let p = &lock.packages[0];
        assert_eq!(p.display_name, "six");
        assert_eq!(p.version.as_deref(), Some("1.17.0"));
        assert_eq!(p.pin, Pin::Exact);
        assert_eq!(p.extras, ["x"]);
        assert_eq!(p.marker.as_deref(), Some("python_full_version >= '3'"));
        assert_eq!(p.hashes.len(), 1);
        assert!(
            matches!(&p.source, PackageSource::Path { path } if path == "six-1.17.0-py2.py3-none-any.whl")
        );
        assert_eq!(
            lock.packages[1].marker.as_deref(),
            Some("python_full_version >= '3.1'")
        );
        assert!(
            matches!(&lock.packages[2].source, PackageSource::Url { url } if url == "https://example.org/six-1.17.0-py2.py3-none-any.whl")
        );
        assert!(lock.packages[3].marker.is_some());
        assert_eq!(lock.packages[3].display_name, "six");
    }

    #[test]
    fn editables_keep_extras_and_markers_apart_from_the_path() {
        let lock = lock_of("-e ./pkg[d,dev] ; python_version >= \"3.9\"\n--editable=./other\n");
        let p = &lock.packages[0];
        assert!(matches!(&p.source, PackageSource::Editable { path } if path == "./pkg"));
        assert_eq!(p.extras, ["d", "dev"]);
        assert_eq!(p.marker.as_deref(), Some("python_full_version >= '3.9'"));
        assert!(
            matches!(&lock.packages[1].source, PackageSource::Editable { path } if path == "./other")
        );
        assert!(parse_str("-e ./pkg ; not a marker\n").is_err());
    }

    #[test]
    fn uv_export_group_packages_are_top_level() {
        let text = "# This file was autogenerated by uv via the following command:\n#    uv export --no-hashes\na==1\nb==1\n    # via demo\n";
        let file = parse_str(text).unwrap();
        assert!(file.uv_export);
        let lock = lock_of(text);
        assert_eq!(
            lock.packages[0].required_by,
            vec![RequiredBy::Input(UV_EXPORT_GROUP.into())]
        );
        // Not from uv export: no edge is made up.
        assert!(
            lock_of("a==1\nb==1\n    # via demo\n").packages[0]
                .required_by
                .is_empty()
        );
    }

    #[test]
    fn pins_are_classified() {
        let text = "a==1.0\nb===1.0\nc>=1\nd\ne==1.*\n";
        let lock = into_lock(
            Path::new("r.txt"),
            crate::digest::sha256(b""),
            vec![parse_str(text).unwrap()],
        );
        let pins: Vec<_> = lock.packages.iter().map(|p| p.pin.clone()).collect();
        assert_eq!(pins[0], Pin::Exact);
        assert_eq!(pins[1], Pin::ArbitraryEquality);
        assert!(matches!(pins[2], Pin::Range(_)));
        assert_eq!(pins[3], Pin::None);
        assert!(matches!(pins[4], Pin::Range(_)));
    }

    #[test]
    fn rejects_bad_hash_with_line() {
        let err = parse_str("a==1.0\nb==2.0 --hash=sha256:abcd\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "requirements.txt:2: invalid sha256 hash: expected 64 hex characters, got 4 in `--hash`"
        );
    }

    #[test]
    fn rejects_garbage_with_line_and_bounded_message() {
        let long = "x".repeat(100_000);
        let err = parse_str(&format!("a==1\n{long} (\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("requirements.txt:2: invalid requirement"),
            "{err}"
        );
        assert!(err.len() < 600);
    }

    #[test]
    fn name_ending_in_punctuation_is_an_error_not_a_panic() {
        // Regression: pep508_rs 0.9.2 panics on this input (found by fuzzing).
        let err = parse_str("G. ==1\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "requirements.txt:1: invalid requirement: the package name must end with a letter or digit"
        );
        assert!(parse_str("a_ ; python_version > '3'\n").is_err());
        let err = parse_str("a[b, c.]==1\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "requirements.txt:1: invalid requirement: the extra must end with a letter or digit"
        );
    }

    #[test]
    fn rejects_unknown_option() {
        let err = parse_str("--frobnicate yes\n").unwrap_err().to_string();
        assert_eq!(err, "requirements.txt:1: unsupported option `--frobnicate`");
    }

    #[test]
    fn keeps_unsafe_section() {
        let text = "a==1\n    # via -r r.in\n\n# The following packages are considered to be unsafe in a requirements file:\n# setuptools\n";
        let file = parse_str(text).unwrap();
        assert_eq!(file.commented_out.len(), 1);
        assert_eq!(file.commented_out[0].text, "setuptools");
        assert_eq!(file.commented_out[0].location.line, 5);
    }

    #[test]
    fn empty_file_is_an_empty_lock() {
        let file = parse_str("").unwrap();
        assert!(file.requirements.is_empty());
    }

    #[test]
    fn crlf_line_endings() {
        let file = parse_str("a==1.0 \\\r\n    --hash=sha256:0918bfe44902e6ad8d57732ba310582e98da931428d231a5ecb9e7c703a735bb\r\n").unwrap();
        assert_eq!(file.requirements[0].hashes.len(), 1);
    }
}
