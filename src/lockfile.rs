//! The lockfile model ([`Lock`], [`LockedPackage`]) and the loaders that fill it.
//!
//! Every supported format is parsed into the same model, keeping the line of every package,
//! option and include, so that each finding can point at `file:line`. Parsers read files (a
//! `requirements.txt` follows its `-r`/`-c` includes) but never touch the network.
//!
//! Formats: pip/uv `requirements.txt` ([`requirements_txt`]), `uv.lock` ([`uv_lock`]),
//! `pylock.toml` (PEP 751, [`pylock`]) and `Cargo.lock` v1–v4 ([`cargo_lock`]).

pub mod cargo_lock;
pub mod project;
pub mod pylock;
pub mod requirements_txt;
pub mod uv_lock;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::digest::{Digest, sha256, truncate};
use crate::model::{Ecosystem, Location, PackageName};

/// Largest lockfile `repro` reads (each file, includes too). Real lockfiles are kilobytes to a
/// few megabytes (uv's own uv.lock is about 1 MB); the limit keeps a hostile or mistaken path (a
/// disk image, a log) from being read whole.
pub const MAX_LOCKFILE_BYTES: u64 = 16 * 1024 * 1024;

/// Most entries (packages, options, includes) one lockfile may hold, its includes counted.
/// Memory follows entries, not bytes: each costs about 1.5 KB once parsed and checked, and a
/// file of 16 MB of `a==1` lines would hold 3 million of them (4 GB). The largest real locks
/// hold a few thousand.
pub const MAX_LOCK_ENTRIES: usize = 100_000;

/// Most entries all the lockfiles of one run may hold together (`repro check` of a whole
/// monorepo): about 750 MB once parsed and checked, the memory bound of a run.
pub const MAX_RUN_ENTRIES: usize = 500_000;

/// The format of a lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockFormat {
    /// pip / pip-tools / `uv pip compile` requirements file.
    RequirementsTxt,
    /// uv's `uv.lock`.
    UvLock,
    /// PEP 751 `pylock.toml`.
    Pylock,
    /// Cargo's `Cargo.lock`.
    CargoLock,
}

impl LockFormat {
    /// The ecosystem whose packages the format locks.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            LockFormat::CargoLock => Ecosystem::Cargo,
            _ => Ecosystem::Pypi,
        }
    }

    /// A human name for the format.
    pub fn as_str(self) -> &'static str {
        match self {
            LockFormat::RequirementsTxt => "requirements.txt",
            LockFormat::UvLock => "uv.lock",
            LockFormat::Pylock => "pylock.toml",
            LockFormat::CargoLock => "Cargo.lock",
        }
    }

    /// Detect the format from a file name alone (used when walking directories).
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if name == "Cargo.lock" {
            Some(LockFormat::CargoLock)
        } else if name == "uv.lock" {
            Some(LockFormat::UvLock)
        } else if lower == "pylock.toml"
            || (lower.starts_with("pylock.") && lower.ends_with(".toml"))
        {
            Some(LockFormat::Pylock)
        } else if lower.ends_with(".txt")
            && (lower.contains("requirements") || lower.contains("constraints"))
        {
            Some(LockFormat::RequirementsTxt)
        } else {
            None
        }
    }

    /// Detect the format from content, for a file named on the command line whose name says
    /// nothing. TOML formats are told apart by their top-level keys; anything else is a
    /// requirements file (pip and uv read `-r hash.txt` whatever its name).
    pub fn sniff(text: &str) -> Self {
        let has_line = |prefix: &str| text.lines().any(|l| l.trim_start().starts_with(prefix));
        if has_line("lock-version") && has_line("[[packages]]") {
            LockFormat::Pylock
        } else if has_line("[[package]]") {
            if text.contains("source = { registry") || has_line("requires-python") {
                LockFormat::UvLock
            } else {
                LockFormat::CargoLock
            }
        } else {
            LockFormat::RequirementsTxt
        }
    }
}

impl fmt::Display for LockFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parsed lockfile.
#[derive(Debug, Clone, Serialize)]
pub struct Lock {
    /// The lockfile, as named by the user or found under a directory they named.
    pub path: PathBuf,
    /// Its format.
    pub format: LockFormat,
    /// The ecosystem of its packages.
    pub ecosystem: Ecosystem,
    /// SHA-256 of the lockfile's bytes (not of its includes).
    pub sha256: Digest,
    /// Locked packages: the root file's in file order, then each `-r` include's, depth first.
    pub packages: Vec<LockedPackage>,
    /// Packages named in `-c` constraint files: they restrict versions but install nothing.
    pub constraints: Vec<LockedPackage>,
    /// Global options (`--index-url`, `--trusted-host`, …) of a requirements file and its includes.
    pub options: Vec<LockOption>,
    /// `-r` / `-c` includes, resolved relative to the including file.
    pub includes: Vec<Include>,
    /// Packages that the generator listed only as comments (pip-compile's "considered to be
    /// unsafe" section): required, but not pinned.
    pub commented_out: Vec<CommentedPackage>,
    /// Whether the file records dependency edges (`# via` comments, or a structured format), so
    /// closure and orphan rules have something to go on.
    pub has_edges: bool,
    /// What the lock's root asks for outside any package: uv.lock's `[manifest]` requirements
    /// and dependency groups (a script's lock, a workspace without a root project).
    pub root_dependencies: Vec<Dependency>,
    /// The projects the lock was made for (a requirements file's `# via <project>` names one:
    /// the root of the lock, not a package missing from it).
    pub projects: Vec<PackageName>,
}

impl Lock {
    /// Entries that cost memory: packages, constraints, options, includes and commented-out
    /// packages (see [`MAX_LOCK_ENTRIES`]).
    pub fn entries(&self) -> usize {
        self.packages.len()
            + self.constraints.len()
            + self.options.len()
            + self.includes.len()
            + self.commented_out.len()
    }

    /// A lock of a structured format (no options, includes or comments), its digest taken
    /// from `text`.
    pub fn structured(
        path: &Path,
        format: LockFormat,
        text: &str,
        packages: Vec<LockedPackage>,
        has_edges: bool,
    ) -> Lock {
        Lock {
            path: path.to_path_buf(),
            format,
            ecosystem: format.ecosystem(),
            sha256: sha256(text.as_bytes()),
            packages,
            constraints: Vec::new(),
            options: Vec::new(),
            includes: Vec::new(),
            commented_out: Vec::new(),
            has_edges,
            root_dependencies: Vec::new(),
            projects: Vec::new(),
        }
    }

    /// Total number of allowed digests over all packages.
    pub fn hash_count(&self) -> usize {
        self.packages.iter().map(|p| p.hashes.len()).sum()
    }

    /// The packages named `name`.
    pub fn find<'a>(&'a self, name: &'a PackageName) -> impl Iterator<Item = &'a LockedPackage> {
        self.packages.iter().filter(move |p| &p.name == name)
    }
}

/// One package of a lock.
#[derive(Debug, Clone, Serialize)]
pub struct LockedPackage {
    /// Normalized name (PEP 503 for PyPI).
    pub name: PackageName,
    /// The name as written in the file.
    pub display_name: String,
    /// The exact version, when the package is pinned to one (`==` or `===`, or a lock entry).
    pub version: Option<String>,
    /// How the version is constrained.
    pub pin: Pin,
    /// Where the package comes from.
    pub source: PackageSource,
    /// Where the package is declared.
    pub location: Location,
    /// Every digest an acceptable artifact may have (pip's rule: any one of them matches).
    pub hashes: Vec<Digest>,
    /// The artifacts the lock names (uv.lock, pylock.toml, Cargo.lock), where it names them.
    pub artifacts: Vec<Artifact>,
    /// Extras requested (`name[extra]`).
    pub extras: Vec<String>,
    /// Environment marker, as written.
    pub marker: Option<String>,
    /// Forward dependency edges (structured formats).
    pub dependencies: Vec<Dependency>,
    /// Reverse edges: who requires this package (`# via` annotations of requirements files).
    pub required_by: Vec<RequiredBy>,
}

/// How a requirements file's unnamed requirement is named when its metadata cannot be read:
/// `the project at ./vendor/tool`.
pub const UNNAMED_PREFIX: &str = "the project at ";

impl LockedPackage {
    /// The package as a message names it: `` `name` ``, or for an unnamed requirement
    /// `` the project at `./path` ``.
    pub fn subject(&self) -> String {
        match self.display_name.strip_prefix(UNNAMED_PREFIX) {
            Some(at) => format!("{UNNAMED_PREFIX}`{at}`"),
            None => format!("`{}`", self.display_name),
        }
    }

    /// `name==version`, or the name alone when unpinned.
    pub fn spec(&self) -> String {
        match &self.version {
            Some(v) => format!("{}=={}", self.display_name, v),
            None => self.display_name.clone(),
        }
    }
}

/// How a package's version is constrained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "specifier")]
pub enum Pin {
    /// Exactly one version (`==1.2.3`, or a lock entry's `version`).
    Exact,
    /// PEP 440 arbitrary equality (`===1.2.3`): pinned by string, discouraged.
    ArbitraryEquality,
    /// A specifier that admits more than one version (`>=1.2`, `==1.*`).
    Range(String),
    /// No version at all (a bare name, a URL, a path).
    None,
}

/// Where a package's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum PackageSource {
    /// A package index or registry; `None` means the default (PyPI, crates.io) or whatever the
    /// file's options select.
    Registry {
        /// The index URL, when the lock records it.
        index: Option<String>,
    },
    /// A direct URL to an archive.
    Url {
        /// The URL as written.
        url: String,
    },
    /// A version-control checkout.
    Git {
        /// Repository URL as written.
        url: String,
        /// The full commit id, when the lock pins one.
        commit: Option<String>,
    },
    /// A local file or directory outside the project.
    Path {
        /// The path as written.
        path: String,
    },
    /// An editable install (`-e`).
    Editable {
        /// The path or URL as written.
        path: String,
    },
    /// The project itself (a workspace member: uv's editable/virtual root, a Cargo package with
    /// no source).
    Workspace {
        /// The member's path, where recorded.
        path: Option<String>,
    },
}

/// An artifact a lock names for a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Wheel, sdist or crate.
    pub kind: ArtifactKind,
    /// File name, where known.
    pub filename: Option<String>,
    /// Download URL, where the lock records one.
    pub url: Option<String>,
    /// The digest the lock records.
    pub digest: Option<Digest>,
    /// Size in bytes, where recorded.
    pub size: Option<u64>,
}

/// The kind of an artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A built wheel.
    Wheel,
    /// A source distribution (needs a build step).
    Sdist,
    /// A `.crate` archive.
    Crate,
    /// A direct archive URL or path of unknown kind.
    Archive,
}

/// A forward dependency edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// The required package.
    pub name: PackageName,
    /// The exact version, where the lock disambiguates.
    pub version: Option<String>,
    /// The marker under which the edge applies.
    pub marker: Option<String>,
}

/// A reverse edge: why a package is in a requirements file (`# via …`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum RequiredBy {
    /// Another package of the lock.
    Package(PackageName),
    /// A top-level requirement from an input file (`-r requirements.in`, `project (pyproject.toml)`).
    Input(String),
    /// A constraints file (`-c constraints.txt`).
    Constraint(String),
}

/// A global option of a requirements file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockOption {
    /// Which option.
    pub kind: OptionKind,
    /// Its value, if it takes one.
    pub value: Option<String>,
    /// Where it is written.
    pub location: Location,
}

/// Global options of pip's requirements-file grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptionKind {
    /// `-i`, `--index-url`.
    IndexUrl,
    /// `--extra-index-url`.
    ExtraIndexUrl,
    /// `--no-index`.
    NoIndex,
    /// `-f`, `--find-links`.
    FindLinks,
    /// `--trusted-host`.
    TrustedHost,
    /// `--no-binary`.
    NoBinary,
    /// `--only-binary`.
    OnlyBinary,
    /// `--prefer-binary`.
    PreferBinary,
    /// `--pre`.
    Pre,
    /// `--require-hashes`.
    RequireHashes,
    /// `--use-feature`.
    UseFeature,
}

impl OptionKind {
    /// The long flag.
    pub fn flag(self) -> &'static str {
        match self {
            OptionKind::IndexUrl => "--index-url",
            OptionKind::ExtraIndexUrl => "--extra-index-url",
            OptionKind::NoIndex => "--no-index",
            OptionKind::FindLinks => "--find-links",
            OptionKind::TrustedHost => "--trusted-host",
            OptionKind::NoBinary => "--no-binary",
            OptionKind::OnlyBinary => "--only-binary",
            OptionKind::PreferBinary => "--prefer-binary",
            OptionKind::Pre => "--pre",
            OptionKind::RequireHashes => "--require-hashes",
            OptionKind::UseFeature => "--use-feature",
        }
    }
}

/// An include of another requirements file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Include {
    /// `-r` or `-c`.
    pub kind: IncludeKind,
    /// The path as written.
    pub written: String,
    /// The path resolved against the including file's directory.
    pub path: PathBuf,
    /// Where the include is written.
    pub location: Location,
}

/// The two kinds of include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncludeKind {
    /// `-r`: requirements, installed.
    Requirement,
    /// `-c`: constraints, restricting versions only.
    Constraint,
}

/// A package present only as a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentedPackage {
    /// The text of the comment (`setuptools`, `pip==24.0`).
    pub text: String,
    /// Where it is written.
    pub location: Location,
}

/// A lockfile that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_LOCKFILE_BYTES`].
    #[error("`{}` is larger than the {limit}-byte limit for lockfiles", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// The content does not follow the format's grammar.
    ///
    /// The message never quotes the file: a file that does not parse may not be a lockfile at
    /// all (`-r /proc/self/environ`, a `.netrc`), and a lockfile's names and versions are what
    /// `repro audit` keeps private. It says what is wrong and where (`file:line`, a column).
    #[error("{location}: {message}")]
    Syntax {
        /// Where parsing failed.
        location: Location,
        /// What is wrong, in one line.
        message: String,
        /// How to fix it, where known.
        hint: Option<String>,
    },
    /// A file found under a directory whose name would be a lockfile's but whose path is not
    /// valid UTF-8: reported, not skipped (a skipped lockfile would pass unchecked).
    #[error("`{}`: the path is not valid UTF-8", path.to_string_lossy())]
    NotUtf8Name {
        /// The file.
        path: PathBuf,
    },
    /// A path named on the command line holds no lockfile at all: a gate that found nothing to
    /// check does not pass.
    #[error("`{}` holds no lockfile", path.display())]
    NoLockfile {
        /// The directory.
        path: PathBuf,
    },
}

impl LockError {
    /// A syntax error at `file:line`.
    pub fn syntax(file: &Path, line: usize, message: impl Into<String>) -> Self {
        LockError::Syntax {
            location: Location::new(file, line),
            message: message.into(),
            hint: None,
        }
    }

    /// Attach a hint to a syntax error.
    pub fn with_hint(mut self, text: impl Into<String>) -> Self {
        if let LockError::Syntax { hint, .. } = &mut self {
            *hint = Some(text.into());
        }
        self
    }

    /// How to fix the error, where known.
    pub fn hint(&self) -> Option<String> {
        match self {
            LockError::Syntax { hint, .. } => hint.clone(),
            LockError::TooLarge { .. } => Some("is this really a lockfile?".to_string()),
            LockError::NotUtf8Name { .. } => Some("rename it (or its directory) to check it".to_string()),
            LockError::NoLockfile { .. } => Some(
                "repro looks for requirements*.txt, uv.lock, pylock*.toml and Cargo.lock, skipping target/, .venv/, node_modules/ and .git/"
                    .to_string(),
            ),
            LockError::Io { .. } => None,
        }
    }
}

/// Read a lockfile's bytes, bounded by [`MAX_LOCKFILE_BYTES`], with their SHA-256.
pub fn read_bytes(path: &Path) -> Result<(Vec<u8>, Digest), LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    // A FIFO, device or socket is refused before a byte is read: `-r /dev/stdin` or a named
    // pipe would block, `/dev/zero` would never end.
    let file = crate::fsio::open_regular(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_LOCKFILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_LOCKFILE_BYTES {
        return Err(LockError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_LOCKFILE_BYTES,
        });
    }
    let digest = sha256(&bytes);
    Ok((bytes, digest))
}

/// Decode UTF-8, rejecting invalid bytes with the line of the first bad one.
pub fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, LockError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        LockError::syntax(path, line, format!("invalid UTF-8 at byte {valid}"))
            .with_hint("lockfiles are UTF-8 text; is this a binary file?")
    })
}

/// Read a text file, bounded by [`MAX_LOCKFILE_BYTES`], rejecting invalid UTF-8 with the line of
/// the first bad byte.
pub fn read_text(path: &Path) -> Result<(String, Digest), LockError> {
    let (bytes, digest) = read_bytes(path)?;
    Ok((utf8(path, bytes)?, digest))
}

/// Load the lockfile at `path`, detecting its format from the name, else from the content.
pub fn load(path: &Path) -> Result<Lock, LockError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match LockFormat::from_file_name(name) {
        Some(format) => load_as(path, format),
        // A file named on the command line is a lockfile whatever its name (`hash.txt`): a
        // TOML lock says which one by its keys, anything else is read as a requirements file,
        // and a file that is neither fails to parse with its line.
        None => {
            let (bytes, _) = read_bytes(path)?;
            load_as(path, LockFormat::sniff(&String::from_utf8_lossy(&bytes)))
        }
    }
}

/// Load the lockfile at `path` as `format`.
pub fn load_as(path: &Path, format: LockFormat) -> Result<Lock, LockError> {
    let lock = match format {
        LockFormat::RequirementsTxt => requirements_txt::load(path)?,
        _ => {
            let (text, digest) = read_text(path)?;
            let mut lock = parse(path, &text, format)?;
            lock.sha256 = digest;
            lock
        }
    };
    check_entries(&lock)?;
    Ok(lock)
}

/// Refuse a lock of more than [`MAX_LOCK_ENTRIES`] entries.
fn check_entries(lock: &Lock) -> Result<(), LockError> {
    if lock.entries() > MAX_LOCK_ENTRIES {
        return Err(LockError::syntax(
            &lock.path,
            0,
            format!("more than {MAX_LOCK_ENTRIES} entries (packages, options, includes)"),
        )
        .with_hint("is this really a lockfile? Real lockfiles hold a few thousand packages"));
    }
    Ok(())
}

/// Parse `text` as `format`. `path` is used for locations only; a requirements file's includes
/// are not followed (use [`load`] for that).
pub fn parse(path: &Path, text: &str, format: LockFormat) -> Result<Lock, LockError> {
    match format {
        LockFormat::RequirementsTxt => {
            let file = requirements_txt::parse(path, text)?;
            Ok(requirements_txt::into_lock(
                path,
                sha256(text.as_bytes()),
                vec![file],
            ))
        }
        LockFormat::UvLock => uv_lock::parse(path, text),
        LockFormat::Pylock => pylock::parse(path, text),
        LockFormat::CargoLock => cargo_lock::parse(path, text),
    }
}

/// The file name at the end of a URL or path, without query or fragment.
pub fn file_name_of(url: &str) -> &str {
    let base = url.split(['#', '?']).next().unwrap_or(url);
    base.rsplit('/').next().unwrap_or(base)
}

/// Directories never searched for lockfiles: build output, virtual environments, VCS metadata.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "target",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
];

/// What [`discover`] found under a root: lockfiles (with their format, when the name says it),
/// and files it could not consider.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Lockfiles, in a stable order, each named by the path it was found at (a symbolic link is
    /// named as the link).
    pub locks: Vec<(PathBuf, Option<LockFormat>)>,
    /// Files that would be lockfiles but cannot be read as such (a name that is not UTF-8).
    pub problems: Vec<LockError>,
}

/// Find the lockfiles under `root` (or `root` itself when it is a file), in a stable order.
///
/// A symbolic link with a lockfile's name is followed, and named by its own path; links to
/// directories are not followed, so a link loop cannot trap the walk. Each lockfile is listed
/// once, under the first path that reaches it. A name that is not valid UTF-8 but would
/// otherwise be a lockfile's is reported in [`Discovered::problems`].
pub fn discover(root: &Path) -> Result<Discovered, LockError> {
    let meta = std::fs::metadata(root).map_err(|source| LockError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        let name = root.file_name().and_then(|n| n.to_str()).unwrap_or("");
        return Ok(Discovered {
            locks: vec![(root.to_path_buf(), LockFormat::from_file_name(name))],
            problems: Vec::new(),
        });
    }
    let mut found = Discovered::default();
    let mut seen = std::collections::HashSet::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && e.depth() > 0
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        });
    for entry in walker {
        let entry = entry.map_err(|e| LockError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e.into_io_error().unwrap_or_else(|| {
                std::io::Error::other("file system loop while walking the tree")
            }),
        })?;
        let ft = entry.file_type();
        if !(ft.is_file() || ft.is_symlink()) {
            continue;
        }
        let Some(format) = LockFormat::from_file_name(&entry.file_name().to_string_lossy()) else {
            continue;
        };
        if entry.path().to_str().is_none() {
            found.problems.push(LockError::NotUtf8Name {
                path: entry.into_path(),
            });
            continue;
        }
        // A link to a file already found (or found twice through links) is one lockfile. A
        // dangling or looping link is kept: loading it reports why it cannot be read.
        let key = crate::fsio::canonicalize(entry.path()).unwrap_or_else(|_| entry.path().into());
        if seen.insert(key) {
            found.locks.push((entry.into_path(), Some(format)));
        }
    }
    Ok(found)
}

/// Turn a byte span reported by a TOML parser into a syntax error at its line. The parser's
/// message is kept, less any value it quotes from the file (see [`LockError::Syntax`]).
pub(crate) fn toml_error(path: &Path, text: &str, err: &toml::de::Error) -> LockError {
    let line = err
        .span()
        .map(|s| crate::model::LineIndex::new(text).line(s.start))
        .unwrap_or(0);
    let message = crate::redact::scrub_quoted(err.message().trim(), |span| {
        crate::redact::is_toml_value(text, span)
    });
    LockError::syntax(path, line, truncate(&message, 300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_by_name() {
        assert_eq!(
            LockFormat::from_file_name("requirements.txt"),
            Some(LockFormat::RequirementsTxt)
        );
        assert_eq!(
            LockFormat::from_file_name("dev-requirements.txt"),
            Some(LockFormat::RequirementsTxt)
        );
        assert_eq!(
            LockFormat::from_file_name("uv.lock"),
            Some(LockFormat::UvLock)
        );
        assert_eq!(
            LockFormat::from_file_name("pylock.dev.toml"),
            Some(LockFormat::Pylock)
        );
        assert_eq!(
            LockFormat::from_file_name("Cargo.lock"),
            Some(LockFormat::CargoLock)
        );
        assert_eq!(LockFormat::from_file_name("requirements.in"), None);
        assert_eq!(LockFormat::from_file_name("notes.txt"), None);
    }

    #[test]
    fn sniffs_formats_by_content() {
        assert_eq!(
            LockFormat::sniff("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\n"),
            LockFormat::Pylock
        );
        assert_eq!(
            LockFormat::sniff("version = 4\n[[package]]\nname = \"a\"\n"),
            LockFormat::CargoLock
        );
        assert_eq!(
            LockFormat::sniff("version = 1\nrequires-python = \">=3.12\"\n[[package]]\n"),
            LockFormat::UvLock
        );
        assert_eq!(LockFormat::sniff("a==1.0\n"), LockFormat::RequirementsTxt);
        // Anything else is read as a requirements file: `-e .`, `six`, or not a lock at all
        // (which then fails to parse, with its line).
        assert_eq!(LockFormat::sniff("-e .\n"), LockFormat::RequirementsTxt);
    }
}
