//! OSV advisory data, offline: records read from directory trees of OSV JSON, from zips of OSV
//! JSON (osv.dev's per-ecosystem `all.zip`), or from a compact index built by `repro db index`.
//!
//! Only what matching and reporting need is kept of each record ([`Advisory`]); records of other
//! ecosystems are dropped, `withdrawn` records are counted and skipped. A record that cannot be
//! read or parsed, or a range whose versions do not parse, is reported as a [`Problem`] naming
//! its file, and the rest of the data is still used.

pub mod index;
pub mod matching;
pub mod update;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

use crate::model::{Ecosystem, PackageName};

/// Records larger than this are refused (the largest real OSV record is well under 1 MiB).
pub const MAX_RECORD_BYTES: u64 = 8 << 20;

/// One advisory, reduced to what matching and reports use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `PYSEC-…`, `RUSTSEC-…`, `MAL-…`, `GHSA-…`.
    pub id: String,
    /// Other ids of the same issue (CVE, GHSA).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// One-line summary, when the record has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// RFC 3339 time of publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// RFC 3339 time of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Record-level `severity[]` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityEntry>,
    /// `database_specific.severity` (GHSA: `CRITICAL`, `HIGH`, `MODERATE`, `LOW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_severity: Option<String>,
    /// An OSSF malicious-package report (`MAL-…`).
    #[serde(default)]
    pub malicious: bool,
    /// The affected packages of the ecosystems repro knows.
    pub affected: Vec<Affected>,
    /// `references[]`: advisories, reports, fixes, as the record lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Where the record was read (file, or `archive.zip!/member`).
    pub source: String,
    /// SHA-256 of the record file, kept by the index so that an audit can tell whether the
    /// file changed since (not set for zip members: the zip itself is checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_sha256: Option<String>,
}

/// A `references[]` entry: its OSV type (`ADVISORY`, `WEB`, `FIX`, `REPORT`, `PACKAGE`, …) and
/// URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// The OSV reference type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The URL, as written.
    pub url: String,
}

/// A `severity[]` entry: `CVSS_V3`, `CVSS_V4`, `CVSS_V2`, … and its vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityEntry {
    /// The OSV severity type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector (or score) as written.
    pub score: String,
}

/// One `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// Ecosystem of the package.
    pub ecosystem: Ecosystem,
    /// Normalized package name.
    pub name: PackageName,
    /// Versions listed explicitly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// `ECOSYSTEM` and `SEMVER` ranges (GIT ranges cannot match a released version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Entry-level `severity[]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<SeverityEntry>,
    /// RustSec's `database_specific.informational` (`unmaintained`, `unsound`, `notice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
}

/// A version range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Ordering to use.
    pub kind: RangeKind,
    /// Events in record order.
    pub events: Vec<Event>,
}

/// How a range's versions are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeKind {
    /// The ecosystem's own ordering (PEP 440 for PyPI; semver for crates.io).
    Ecosystem,
    /// Semantic Versioning 2.0.
    Semver,
}

/// A range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (`0`: from the first version).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// The range ends below this version.
    Limit(String),
}

impl Event {
    /// The event's version.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// A record or a source that could not be used (or only in part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The record file (or `archive.zip!/member`), or the source.
    pub path: String,
    /// What is wrong, and what was done about it.
    pub message: String,
    /// `error` (the record or range was skipped) or `warning` (used as is).
    pub level: ProblemLevel,
    /// `ecosystem/name` when the problem concerns one package's entry (an audit reports only
    /// those of the packages it checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

impl Problem {
    /// A record (or member) that could not be used at all.
    pub fn skipped(path: impl std::fmt::Display, message: String) -> Problem {
        Problem {
            path: path.to_string(),
            message,
            level: ProblemLevel::Error,
            package: None,
        }
    }
}

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemLevel {
    /// The record (or one of its ranges) was skipped.
    Error,
    /// The record was used; something about it is suspicious.
    Warning,
}

/// Advisories loaded from one or more sources.
#[derive(Debug, Default)]
pub struct Database {
    /// Every usable, non-withdrawn advisory with at least one PyPI or crates.io package.
    pub advisories: Vec<Advisory>,
    /// Records that could not be used, and warnings.
    pub problems: Vec<Problem>,
    /// JSON records read (including withdrawn and other ecosystems).
    pub records_read: usize,
    /// Withdrawn records skipped.
    pub withdrawn: usize,
    /// (ecosystem, name) → indexes into `advisories`.
    by_package: HashMap<(Ecosystem, PackageName), Vec<usize>>,
}

impl Database {
    /// Advisories naming the package.
    pub fn for_package<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &PackageName,
    ) -> impl Iterator<Item = &'a Advisory> + 'a {
        self.by_package
            .get(&(ecosystem, name.clone()))
            .into_iter()
            .flatten()
            .map(|&i| &self.advisories[i])
    }

    /// Add advisories, indexing them by package.
    pub(crate) fn extend(&mut self, advisories: Vec<Advisory>) {
        for a in advisories {
            let i = self.advisories.len();
            let mut keys: Vec<_> = a
                .affected
                .iter()
                .map(|x| (x.ecosystem, x.name.clone()))
                .collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                self.by_package.entry(k).or_default().push(i);
            }
            self.advisories.push(a);
        }
    }
}

/// The packages an audit asks about, or `None` for every package (indexing).
pub type Wanted<'a> = Option<&'a HashSet<(Ecosystem, PackageName)>>;

/// Errors that stop loading altogether.
#[derive(Debug, thiserror::Error)]
pub enum OsvError {
    /// A source path cannot be read.
    #[error("{path}: {message}")]
    Source {
        /// The source.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The outcome of reading one record.
#[derive(Debug)]
pub enum Parsed {
    /// A usable advisory (possibly with range problems).
    Advisory(Box<Advisory>, Vec<Problem>),
    /// Withdrawn: skipped.
    Withdrawn,
    /// No PyPI or crates.io package.
    Elsewhere,
    /// Unusable.
    Failed(Problem),
}

/// Load every source (directories of OSV JSON, zips of OSV JSON) into one database. `now` (days
/// since 1970-01-01) decides which `modified` times lie in the future.
pub fn load(paths: &[PathBuf], now_days: i64, wanted: Wanted) -> Result<Database, OsvError> {
    let mut db = Database::default();
    for path in paths {
        let parsed = read_source(path, wanted)?;
        absorb(&mut db, parsed, now_days);
    }
    Ok(db)
}

/// Fold parsed records into the database, adding a warning for each future `modified` time.
pub(crate) fn absorb(db: &mut Database, parsed: Vec<Parsed>, now_days: i64) {
    let mut good = Vec::new();
    for p in parsed {
        db.records_read += 1;
        match p {
            Parsed::Advisory(a, problems) => {
                db.problems.extend(problems);
                if let Some(p) = future_modified(&a, now_days) {
                    db.problems.push(p);
                }
                good.push(*a);
            }
            Parsed::Withdrawn => db.withdrawn += 1,
            Parsed::Elsewhere => {}
            Parsed::Failed(p) => db.problems.push(p),
        }
    }
    db.extend(good);
}

/// A warning when the record says it was modified after `now`.
pub(crate) fn future_modified(a: &Advisory, now_days: i64) -> Option<Problem> {
    let m = a.modified.as_deref()?;
    let day = crate::date::parse_time_day(m).ok()?;
    (day > now_days).then(|| Problem {
        path: a.source.clone(),
        message: format!(
            "{}: `modified` {m} lies in the future; the record is used as written",
            a.id
        ),
        level: ProblemLevel::Warning,
        package: a
            .affected
            .first()
            .map(|x| format!("{}/{}", x.ecosystem.as_str(), x.name.as_str())),
    })
}

/// Whether a path is a zip (by its first bytes).
fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    crate::fsio::open_regular(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

/// Read every record of one source.
pub(crate) fn read_source(path: &Path, wanted: Wanted) -> Result<Vec<Parsed>, OsvError> {
    // A FIFO or a device as `--db` is refused, not opened (opening a FIFO blocks).
    let meta = crate::fsio::check_file_or_dir(path).map_err(|e| OsvError::Source {
        path: path.to_path_buf(),
        message: format!("cannot read advisory database: {e}"),
    })?;
    if meta.is_dir() {
        let files = json_files(path)?;
        Ok(files
            .par_iter()
            .map_init(Vec::new, |buf, f| {
                let read = read_bounded(f, buf);
                match (parse_read(read, buf, &f.display(), wanted), wanted) {
                    // Indexing (every package wanted) records each file's digest.
                    (Parsed::Advisory(mut a, p), None) => {
                        a.record_sha256 = Some(hex::encode(
                            <sha2::Sha256 as sha2::Digest>::digest(&buf[..]),
                        ));
                        Parsed::Advisory(a, p)
                    }
                    (parsed, _) => parsed,
                }
            })
            .collect())
    } else if is_zip(path) {
        read_zip(path, wanted)
    } else {
        // A single OSV JSON file.
        let mut buf = Vec::new();
        let read = read_bounded(path, &mut buf);
        Ok(vec![parse_read(read, &buf, &path.display(), wanted)])
    }
}

/// Parse what a bounded read put into `buf`, or report why the read failed.
fn parse_read(
    read: Result<(), String>,
    buf: &[u8],
    label: &dyn std::fmt::Display,
    wanted: Wanted,
) -> Parsed {
    match read {
        Ok(()) => parse_record(buf, label, wanted),
        Err(message) => Parsed::Failed(Problem::skipped(label, message)),
    }
}

/// Every `*.json` file under `dir`, sorted, symlinks not followed.
pub(crate) fn json_files(dir: &Path) -> Result<Vec<PathBuf>, OsvError> {
    Ok(walk(dir)?.0)
}

/// The `*.json` files and the directories under `dir` (itself included), each sorted; symlinks
/// are not followed. Subdirectories are read in parallel: advisory trees hold thousands of them.
pub(crate) fn walk(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), OsvError> {
    fn visit(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), OsvError> {
        let err = |e: std::io::Error| OsvError::Source {
            path: dir.to_path_buf(),
            message: format!("cannot read advisory directory: {e}"),
        };
        let mut files = Vec::new();
        let mut subdirs = Vec::new();
        for e in std::fs::read_dir(dir).map_err(err)? {
            let e = e.map_err(err)?;
            let t = e.file_type().map_err(err)?;
            if t.is_dir() {
                subdirs.push(e.path());
            } else if t.is_file() && e.file_name().to_string_lossy().ends_with(".json") {
                files.push(e.path());
            }
        }
        let nested: Vec<_> = subdirs
            .par_iter()
            .map(|d| visit(d))
            .collect::<Result<_, _>>()?;
        let mut dirs = vec![dir.to_path_buf()];
        for (f, d) in nested {
            files.extend(f);
            dirs.extend(d);
        }
        Ok((files, dirs))
    }
    let (mut files, mut dirs) = visit(dir)?;
    // Byte order, not component order: cheaper, and just as deterministic.
    files.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    dirs.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok((files, dirs))
}

/// Read a file of at most [`MAX_RECORD_BYTES`].
fn read_bounded(path: &Path, buf: &mut Vec<u8>) -> Result<(), String> {
    let f = crate::fsio::open_regular(path).map_err(|e| format!("cannot read: {e}"))?;
    take_bounded(f, buf)
}

/// Read at most [`MAX_RECORD_BYTES`] into `bytes` (cleared first; its allocation is reused).
fn take_bounded(r: impl Read, bytes: &mut Vec<u8>) -> Result<(), String> {
    bytes.clear();
    r.take(MAX_RECORD_BYTES + 1)
        .read_to_end(bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        bytes.clear();
        bytes.shrink_to(1 << 20);
        return Err(format!(
            "record larger than {} MiB: skipped",
            MAX_RECORD_BYTES >> 20
        ));
    }
    Ok(())
}

/// Read every `*.json` member of a zip, in parallel (one archive handle per worker).
fn read_zip(path: &Path, wanted: Wanted) -> Result<Vec<Parsed>, OsvError> {
    let open = || -> Result<zip::ZipArchive<std::io::BufReader<std::fs::File>>, OsvError> {
        let f = crate::fsio::open_regular(path).map_err(|e| OsvError::Source {
            path: path.to_path_buf(),
            message: format!("cannot read advisory zip: {e}"),
        })?;
        zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| OsvError::Source {
            path: path.to_path_buf(),
            message: format!("not a readable zip: {e}"),
        })
    };
    let count = open()?.len();
    let parsed: Result<Vec<Option<Parsed>>, OsvError> = (0..count)
        .into_par_iter()
        .map_init(open, |zip, i| {
            let zip = match zip {
                Ok(z) => z,
                Err(e) => {
                    return Err(OsvError::Source {
                        path: path.to_path_buf(),
                        message: e.to_string(),
                    });
                }
            };
            let mut member = match zip.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    return Ok(Some(Parsed::Failed(Problem::skipped(
                        format_args!("{}!/#{i}", path.display()),
                        format!("cannot read member: {e}"),
                    ))));
                }
            };
            let name = member
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into());
            if !member.is_file() || !name.ends_with(".json") {
                return Ok(None);
            }
            let label = format!("{}!/{name}", path.display());
            let mut buf = Vec::new();
            let read = take_bounded(&mut member, &mut buf);
            Ok(Some(parse_read(read, &buf, &label, wanted)))
        })
        .collect();
    Ok(parsed?.into_iter().flatten().collect())
}

// --- The OSV schema, as far as repro reads it -----------------------------------------------

/// `null` reads as the default (real records write `"informational": null`, `"versions": null`).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

// Borrowed where the JSON allows it: most strings of a record are never kept.
type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct RawRecord<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    modified: Option<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    published: Option<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    withdrawn: Option<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    aliases: Vec<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    summary: Option<Str<'a>>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<SeverityEntry>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    affected: Vec<RawAffected<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    database_specific: Option<RawDatabaseSpecific<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    references: Vec<RawReference<'a>>,
}

#[derive(Deserialize)]
struct RawReference<'a> {
    #[serde(rename = "type", default, borrow, deserialize_with = "nullable")]
    kind: Option<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    url: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RawDatabaseSpecific<'a> {
    #[serde(default, borrow, deserialize_with = "nullable")]
    severity: Option<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    informational: Option<Str<'a>>,
    #[serde(default, rename = "malicious-packages-origins")]
    malicious_origins: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct RawAffected<'a> {
    #[serde(default, borrow, deserialize_with = "nullable")]
    package: Option<RawPackage<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    versions: Vec<Str<'a>>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    ranges: Vec<RawRange<'a>>,
    #[serde(default, deserialize_with = "nullable")]
    severity: Vec<SeverityEntry>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    database_specific: Option<RawDatabaseSpecific<'a>>,
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(borrow)]
    ecosystem: Str<'a>,
    #[serde(borrow)]
    name: Str<'a>,
}

#[derive(Deserialize)]
struct RawRange<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
    #[serde(default, borrow, deserialize_with = "nullable")]
    events: Vec<RawEvent<'a>>,
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(default, borrow)]
    introduced: Option<Str<'a>>,
    #[serde(default, borrow)]
    fixed: Option<Str<'a>>,
    #[serde(default, borrow)]
    last_affected: Option<Str<'a>>,
    #[serde(default, borrow)]
    limit: Option<Str<'a>>,
}

/// The ecosystem of an OSV `package.ecosystem` (`PyPI`, `crates.io`; a `:suffix` such as a
/// distribution release is ignored).
fn ecosystem_of(name: &str) -> Option<Ecosystem> {
    match name.split(':').next().unwrap_or(name) {
        "PyPI" => Some(Ecosystem::Pypi),
        "crates.io" => Some(Ecosystem::Cargo),
        _ => None,
    }
}

/// Parse one OSV record. `label` names it in problems; with `wanted`, entries of other packages
/// are dropped.
pub fn parse_record(bytes: &[u8], label: &dyn std::fmt::Display, wanted: Wanted) -> Parsed {
    let fail = |message: String| Parsed::Failed(Problem::skipped(label, message));
    let raw: RawRecord = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => return fail(format!("not an OSV record ({e}): skipped")),
    };
    if raw.withdrawn.is_some() {
        return Parsed::Withdrawn;
    }
    let mut problems = Vec::new();
    let mut affected = Vec::new();
    for a in raw.affected {
        let Some(pkg) = a.package else { continue };
        let Some(ecosystem) = ecosystem_of(&pkg.ecosystem) else {
            continue;
        };
        let name = PackageName::new(ecosystem, &pkg.name);
        if wanted.is_some_and(|w| !w.contains(&(ecosystem, name.clone()))) {
            continue;
        }
        let mut ranges = Vec::new();
        for r in a.ranges {
            let kind = match r.kind.as_ref() {
                "ECOSYSTEM" => RangeKind::Ecosystem,
                "SEMVER" => RangeKind::Semver,
                _ => continue,
            };
            let mut events = Vec::new();
            let mut bad = None;
            for e in r.events {
                let all = [
                    e.introduced.map(|v| Event::Introduced(v.into_owned())),
                    e.fixed.map(|v| Event::Fixed(v.into_owned())),
                    e.last_affected.map(|v| Event::LastAffected(v.into_owned())),
                    e.limit.map(|v| Event::Limit(v.into_owned())),
                ];
                for event in all.into_iter().flatten() {
                    if !matching::event_parses(ecosystem, kind, event.version()) {
                        bad.get_or_insert_with(|| event.version().to_string());
                    }
                    events.push(event);
                }
            }
            match bad {
                Some(v) => problems.push(Problem {
                    path: label.to_string(),
                    message: format!(
                        "{}: range of {} has the unparsable version {v:?}: range skipped",
                        raw.id, pkg.name
                    ),
                    level: ProblemLevel::Error,
                    package: Some(format!("{}/{}", ecosystem.as_str(), name.as_str())),
                }),
                None => ranges.push(Range { kind, events }),
            }
        }
        affected.push(Affected {
            ecosystem,
            name,
            versions: a.versions.into_iter().map(Cow::into_owned).collect(),
            ranges,
            severity: a.severity,
            informational: a
                .database_specific
                .and_then(|d| d.informational)
                .map(Cow::into_owned),
        });
    }
    if affected.is_empty() {
        return if problems.is_empty() {
            Parsed::Elsewhere
        } else {
            Parsed::Failed(problems.remove(0))
        };
    }
    let (database_severity, malicious_origins) = match raw.database_specific {
        Some(d) => (
            d.severity.map(Cow::into_owned),
            d.malicious_origins.is_some(),
        ),
        None => (None, false),
    };
    Parsed::Advisory(
        Box::new(Advisory {
            malicious: raw.id.starts_with("MAL-") || malicious_origins,
            id: raw.id.into_owned(),
            aliases: raw.aliases.into_iter().map(Cow::into_owned).collect(),
            summary: raw.summary.map(Cow::into_owned),
            published: raw.published.map(Cow::into_owned),
            modified: raw.modified.map(Cow::into_owned),
            severity: raw.severity,
            database_severity,
            affected,
            references: raw
                .references
                .into_iter()
                .filter_map(|r| {
                    Some(Reference {
                        kind: r.kind.map(Cow::into_owned).unwrap_or_default(),
                        url: r.url?.into_owned(),
                    })
                })
                .collect(),
            source: label.to_string(),
            record_sha256: None,
        }),
        problems,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Parsed {
        parse_record(json.as_bytes(), &"t.json", None)
    }

    #[test]
    fn reads_a_record_and_normalizes_names() {
        let Parsed::Advisory(a, problems) = parse(
            r#"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","aliases":["CVE-1"],
            "affected":[{"package":{"ecosystem":"PyPI","name":"PyYAML"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.4"}]}],
            "versions":null},
            {"package":{"ecosystem":"npm","name":"left-pad"}}]}"#,
        ) else {
            panic!("not parsed")
        };
        assert!(problems.is_empty());
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].name.as_str(), "pyyaml");
        assert_eq!(a.aliases, ["CVE-1"]);
        assert!(!a.malicious);
    }

    #[test]
    fn withdrawn_elsewhere_and_malformed() {
        assert!(matches!(
            parse(r#"{"id":"X","withdrawn":"2024-01-01T00:00:00Z","affected":[]}"#),
            Parsed::Withdrawn
        ));
        assert!(matches!(
            parse(r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"}}]}"#),
            Parsed::Elsewhere
        ));
        let Parsed::Failed(p) = parse(r#"{"id": 1"#) else {
            panic!()
        };
        assert!(p.message.contains("not an OSV record"), "{}", p.message);
    }

    #[test]
    fn an_unparsable_range_is_reported_and_dropped() {
        let Parsed::Advisory(a, problems) = parse(
            r#"{"id":"PYSEC-2","affected":[{"package":{"ecosystem":"PyPI","name":"a"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not a version!"}]}],
            "versions":["1.0"]}]}"#,
        ) else {
            panic!()
        };
        assert!(a.affected[0].ranges.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("not a version!"));
    }
}
