//! pip / pip-tools / `uv pip compile` requirements files.
//!
//! Grammar as implemented (pip's, as `pip install -r` reads it):
//! - Physical lines ending in `\` join the next line. A `#` at the start of a line or after
//!   whitespace starts a comment (URL fragments such as `#sha256=` are not comments).
//! - A logical line is blank, a global option (`-r`/`--requirement`, `-c`/`--constraint`,
//!   `-e`/`--editable`, `-i`/`--index-url`, `--extra-index-url`, `-f`/`--find-links`,
//!   `--no-index`, `--trusted-host`, `--no-binary`, `--only-binary`, `--prefer-binary`, `--pre`,
//!   `--require-hashes`, `--use-feature`), or a requirement followed by per-requirement options
//!   (`--hash=<algo>:<hex>`, repeatable). Options take their value after `=` or a space.
//! - A requirement is PEP 508 (`name[extras]==version ; marker`, `name @ url`) parsed by
//!   `pep508_rs`, or an unnamed URL or path (`https://…/x.whl`, `git+https://…#egg=x`, `./dir`).
//! - Comments right after a requirement that read `# via a, b` or `# via` followed by `#   a`
//!   lines are its reverse dependency edges (pip-compile and uv write them).
//! - pip-compile's `# The following packages are considered to be unsafe…` section lists
//!   packages that are required but left unpinned, as comments; they are kept.
//!
//! Not supported (rejected with a clear error): unknown options, `--global-option` and other
//! build-time options.

use std::path::{Path, PathBuf};

use pep440_rs::Operator;
use pep508_rs::{Requirement, VerbatimUrl, VersionOrUrl};

use crate::digest::{Digest, DigestParseError, truncate};
use crate::lockfile::{
    CommentedPackage, Include, IncludeKind, Lock, LockError, LockFormat, LockOption, LockedPackage,
    OptionKind, PackageSource, Pin, RequiredBy, read_text,
};
use crate::model::{Ecosystem, Location, PackageName};

/// Deepest chain of `-r`/`-c` includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 32;

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
}

/// A physical-line cursor that joins continuations and tracks the first line of each logical line.
struct LogicalLines<'a> {
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
}

impl<'a> Iterator for LogicalLines<'a> {
    /// (first line number, content of the logical line)
    type Item = (usize, String);

    fn next(&mut self) -> Option<Self::Item> {
        let (i, first) = self.lines.next()?;
        let first = first.strip_suffix('\r').unwrap_or(first);
        if first.trim_start().starts_with('#') {
            // pip never joins a comment line to the next one.
            return Some((i + 1, first.to_string()));
        }
        let mut content = String::new();
        let mut current = first;
        loop {
            match current.strip_suffix('\\') {
                Some(head) => {
                    content.push_str(head);
                    content.push(' ');
                    match self.lines.next() {
                        Some((_, next)) => {
                            let next = next.strip_suffix('\r').unwrap_or(next);
                            if next.trim_start().starts_with('#') {
                                // A continuation into a comment ends the logical line, as in pip.
                                break;
                            }
                            current = next;
                        }
                        None => break,
                    }
                }
                None => {
                    content.push_str(current);
                    break;
                }
            }
        }
        Some((i + 1, content))
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

/// What a comment line means for the parser's state.
enum ViaState {
    /// Not inside a `# via` block.
    Idle,
    /// After a bare `# via`: following `#   item` lines are items.
    Block,
}

/// Parse one requirements file. Includes are recorded, not followed.
pub fn parse(path: &Path, text: &str) -> Result<RequirementsFile, LockError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = RequirementsFile {
        path: path.to_path_buf(),
        requirements: Vec::new(),
        options: Vec::new(),
        includes: Vec::new(),
        commented_out: Vec::new(),
        annotated: false,
    };
    let mut via_state = ViaState::Idle;
    let mut unsafe_section = false;
    // The requirement that `# via` comments attach to: the last one, until a blank line or a
    // top-level comment ends its block.
    let mut attach: Option<usize> = None;

    let lines = LogicalLines {
        lines: text.lines().enumerate(),
    };
    for (line_no, raw) in lines {
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

/// Split `--opt=value`, `--opt value`, `-ovalue` and `-o value` forms.
fn option_value<'a>(
    tokens: &mut std::iter::Peekable<impl Iterator<Item = &'a str>>,
    inline: Option<&'a str>,
) -> Option<String> {
    match inline {
        Some(v) if !v.is_empty() => Some(v.to_string()),
        _ => tokens.next().map(str::to_string),
    }
}

fn parse_option_line(
    path: &Path,
    dir: &Path,
    line_no: usize,
    content: &str,
    file: &mut RequirementsFile,
) -> Result<(), LockError> {
    let (flag, inline) = split_flag(content.split_whitespace().next().unwrap_or(""));
    let rest_after_flag =
        content[content.find(char::is_whitespace).unwrap_or(content.len())..].trim();
    let mut tokens = rest_after_flag.split_whitespace().peekable();
    let loc = Location::new(path, line_no);
    let missing = |flag: &str| {
        LockError::syntax(
            path,
            line_no,
            format!("`{flag}` must be followed by an argument"),
        )
    };
    let kind = match flag {
        "-r" | "--requirement" | "-c" | "--constraint" => {
            let value = option_value(&mut tokens, inline).ok_or_else(|| missing(flag))?;
            let kind = if flag == "-c" || flag == "--constraint" {
                IncludeKind::Constraint
            } else {
                IncludeKind::Requirement
            };
            file.includes.push(Include {
                kind,
                path: dir.join(&value),
                written: value,
                location: loc,
            });
            return Ok(());
        }
        "-e" | "--editable" => {
            // The rest of the line is the editable target (it may carry `#egg=`).
            let target = match inline {
                Some(v) if !v.is_empty() => v.to_string(),
                _ => rest_after_flag.to_string(),
            };
            if target.is_empty() {
                return Err(missing(flag));
            }
            let mut req = parse_requirement(path, dir, line_no, &target, true)?;
            req.editable = true;
            file.requirements.push(req);
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
        Some(option_value(&mut tokens, inline).ok_or_else(|| missing(flag))?)
    } else {
        None
    };
    file.options.push(LockOption {
        kind,
        value,
        location: loc,
    });
    Ok(())
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

/// Whether `s` looks like a URL or path rather than a PEP 508 name.
fn is_unnamed(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("file:")
        || s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"]
            .iter()
            .any(|ext| s.ends_with(ext))
}

fn parse_requirement(
    path: &Path,
    dir: &Path,
    line_no: usize,
    content: &str,
    editable: bool,
) -> Result<RequirementLine, LockError> {
    // pip's rule: the requirement ends at the first whitespace-separated token starting with `-`.
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
    let mut tokens = opts.split_whitespace().peekable();
    while let Some(token) = tokens.next() {
        let (flag, inline) = split_flag(token);
        match flag {
            "--hash" => {
                let value = option_value(&mut tokens, inline).ok_or_else(|| {
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

    let mut line = RequirementLine {
        line: line_no,
        requirement: None,
        name: None,
        url: None,
        editable,
        hashes,
        via: Vec::new(),
    };

    let parsed = if editable {
        None
    } else {
        Some(parse_pep508(spec, dir).map_err(|m| LockError::syntax(path, line_no, m))?)
    };
    let req = match parsed {
        Some(Ok(req)) => req,
        Some(Err(e)) if !is_unnamed(spec) => return Err(pep508_error(path, line_no, spec, &e)),
        // `-e target`, or a bare URL or path that PEP 508 has no name for.
        _ => {
            let (url, name) = unnamed_target(spec);
            line.name = name;
            line.url = Some(url.to_string());
            push_fragment_hash(path, line_no, url, &mut line.hashes)?;
            return Ok(line);
        }
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
        line.url = Some(written);
    }
    line.requirement = Some(req);
    Ok(line)
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

/// The URL of an unnamed requirement, and a name from `#egg=` or a wheel file name.
fn unnamed_target(spec: &str) -> (&str, Option<String>) {
    let url = spec.split(';').next().unwrap_or(spec).trim();
    let egg = url.split_once('#').and_then(|(_, frag)| {
        frag.split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .map(str::to_string)
    });
    let file_name = url
        .split(['#', '?'])
        .next()
        .unwrap_or(url)
        .rsplit('/')
        .next()
        .unwrap_or("");
    let from_wheel = file_name
        .strip_suffix(".whl")
        .and_then(|stem| stem.split('-').next())
        .map(str::to_string);
    // A directory (`-e ./vendor/tool`) is named after its last component, as a best guess.
    let from_dir = (!file_name.contains('.') && !file_name.is_empty())
        .then(|| file_name.trim_end_matches(".git").to_string());
    (url, egg.or(from_wheel).or(from_dir))
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

fn to_package(path: &Path, line: RequirementLine) -> LockedPackage {
    let display_name = line.name.clone().unwrap_or_else(|| "<unnamed>".to_string());
    let mut version = None;
    let mut pin = Pin::None;
    let mut extras = Vec::new();
    let mut marker = None;
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

/// Build a [`Lock`] from a root file and its (already followed) includes, root first.
pub fn into_lock(path: &Path, sha256: Digest, files: Vec<RequirementsFile>) -> Lock {
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
    };
    let constraint_files: Vec<PathBuf> = files
        .iter()
        .flat_map(|f| f.includes.iter())
        .filter(|i| i.kind == IncludeKind::Constraint)
        .map(|i| i.path.clone())
        .collect();
    for file in files {
        let is_constraint = constraint_files.contains(&file.path);
        lock.has_edges |= file.annotated;
        for line in file.requirements {
            let pkg = to_package(&file.path, line);
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

/// Read `path` and every file it includes, depth first, root first. Each file is read and
/// parsed once, however many times it is included: a diamond (`a` and `b` both include `base`)
/// holds `base`'s packages once, and a chain whose files each include the next twice costs one
/// read per file, not two to the power of its depth. Cycles and unreadable includes are errors
/// at the include's line; an include that is not a regular file (a FIFO, `/dev/stdin`) is
/// refused without being read.
pub fn load_tree(path: &Path) -> Result<(Digest, Vec<RequirementsFile>), LockError> {
    let (text, digest) = read_text(path)?;
    let root = parse(path, &text)?;
    let mut files = Vec::new();
    let root_key = canonical(path);
    let mut seen = std::collections::HashSet::from([root_key.clone()]);
    let mut stack = vec![root_key];
    follow(root, &mut stack, &mut seen, &mut files, &mut 0)?;
    Ok((digest, files))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
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
        let (text, _) = read_text(&include.path).map_err(|e| match e {
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

/// Load a requirements file and its includes into a [`Lock`].
pub fn load(path: &Path) -> Result<Lock, LockError> {
    let (digest, files) = load_tree(path)?;
    Ok(into_lock(path, digest, files))
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
