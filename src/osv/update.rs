//! A local advisory database kept fresh by `repro db update DIR`: osv.dev's per-ecosystem
//! exports and the OSSF malicious-packages archive, downloaded with conditional requests,
//! verified, swapped in atomically, and indexed. [`Db`] owns the directory; nothing else writes
//! in it.
//!
//! ```text
//! DIR/
//!   repro-db.json            the state: per source, its URL, validators (ETag, Last-Modified),
//!                            SHA-256, size, retrieval time and last check (LAYOUT_SCHEMA)
//!   osv-PyPI.zip             <base>/PyPI/all.zip
//!   osv-crates.io.zip        <base>/crates.io/all.zip
//!   malicious-packages.zip   the OSSF malicious-packages archive
//!   osv.idx                  `repro db index` of the zips, rebuilt when one changed
//! ```
//!
//! Invariant: a source file in DIR is always a complete zip that was read to its end with every
//! member's CRC checked. A download goes to a temp file in DIR and replaces the old file by a
//! rename only once verified; a failure (transport, HTTP error, short or corrupt body) leaves
//! the old file and its state as they were, so the data's recorded age keeps growing and an
//! audit with `--max-db-age` notices.
//!
//! The data's age is the time since the oldest source's last successful check (a download or a
//! 304): a 304 confirms the copy is what the server has now.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::registry::{Conditional, FetchError, Http, Validators};

/// The state file's schema; bump it with the layout.
pub const LAYOUT_SCHEMA: &str = "repro.db/v1";
/// The state file in DIR.
pub const STATE_FILE: &str = "repro-db.json";
/// The index file in DIR.
pub const INDEX_FILE: &str = "osv.idx";
/// osv.dev's public bucket of exports.
pub const DEFAULT_OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The OSSF malicious-packages repository as one zip.
pub const DEFAULT_MALICIOUS_URL: &str =
    "https://github.com/ossf/malicious-packages/archive/refs/heads/main.zip";
/// Most bytes a downloaded zip may expand to (its members read for their CRCs): osv.dev's
/// exports expand to a few hundred MB; a zip bomb stops here instead of burning hours of CPU.
pub const MAX_EXPANDED_BYTES: u64 = 16 << 30;
/// The ecosystems repro audits, as osv.dev names them.
pub const ECOSYSTEMS: &[&str] = &["PyPI", "crates.io"];
/// Largest download accepted (osv.dev's PyPI export is about 100 MB; the malicious-packages
/// archive a few hundred).
pub const MAX_DOWNLOAD_BYTES: u64 = 2 << 30;

/// Why an update could not complete.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// DIR or its state cannot be used.
    #[error("`{}`: {message}", path.display())]
    Dir {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The index could not be rebuilt.
    #[error(transparent)]
    Index(#[from] crate::osv::index::IndexError),
}

/// One source of the database.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file name in DIR.
    pub file: String,
    /// Where it comes from.
    pub url: String,
    /// The OSV ecosystems (as osv.dev names them) of which the zip must hold at least one
    /// record: a zip of another ecosystem's records would be an empty database that looks fresh.
    pub ecosystems: &'static [&'static str],
}

/// The sources of an update: osv.dev's export of each ecosystem under `osv_base`, and the
/// malicious-packages archive at `malicious_url` (none to skip it).
pub fn sources(osv_base: &str, malicious_url: Option<&str>) -> Vec<Source> {
    let base = osv_base.trim_end_matches('/');
    let mut out: Vec<Source> = ECOSYSTEMS
        .iter()
        .map(|e| Source {
            file: format!("osv-{e}.zip"),
            url: format!("{base}/{e}/all.zip"),
            ecosystems: std::slice::from_ref(e),
        })
        .collect();
    if let Some(u) = malicious_url {
        out.push(Source {
            file: "malicious-packages.zip".into(),
            url: u.to_string(),
            ecosystems: ECOSYSTEMS,
        });
    }
    out
}

/// What is known of one source's file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceState {
    /// The URL it was downloaded from.
    pub url: String,
    /// The server's validators for these bytes.
    #[serde(flatten)]
    pub validators: Validators,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// OSV JSON members in the zip.
    pub records: usize,
    /// RFC 3339 time these bytes were downloaded.
    pub retrieved: String,
    /// RFC 3339 time the server last confirmed them (a download or a 304).
    pub checked: String,
}

/// The state file.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct State {
    /// [`LAYOUT_SCHEMA`].
    pub schema: String,
    /// By file name.
    pub sources: BTreeMap<String, SourceState>,
    /// The files of the sources the last update was asked for (the malicious-packages zip
    /// unless `--no-malicious`): each must have been downloaded for the data to have an age.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wanted: Vec<String>,
}

/// What happened to one source.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum Outcome {
    /// New bytes, verified and swapped in.
    Downloaded {
        /// Bytes downloaded.
        bytes: u64,
        /// OSV JSON members.
        records: usize,
    },
    /// 304: the copy held is current.
    NotModified,
    /// Failed; the old file (if any) is kept.
    Failed {
        /// Why.
        error: String,
    },
}

/// The result of one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// The file in DIR.
    pub file: String,
    /// Its URL.
    pub url: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of an update: the `repro.db-update/v1` document.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    /// `repro.db-update/v1`.
    pub schema: &'static str,
    /// The directory.
    pub dir: PathBuf,
    /// Per source.
    pub sources: Vec<SourceReport>,
    /// Whether the index was rebuilt.
    pub reindexed: bool,
    /// Advisories in the index (when rebuilt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisories: Option<usize>,
    /// The data's age after the update, when every source has been fetched once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
}

impl UpdateReport {
    /// Sources that failed.
    pub fn failures(&self) -> usize {
        self.sources
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .count()
    }
}

/// The managed directory.
pub struct Db {
    dir: PathBuf,
}

impl Db {
    /// Open DIR, creating it.
    pub fn open(dir: &Path) -> Result<Db, UpdateError> {
        std::fs::create_dir_all(dir).map_err(|e| UpdateError::Dir {
            path: dir.to_path_buf(),
            message: format!("cannot create the database directory: {e}"),
        })?;
        // The index records its sources' paths: make them absolute, so that an audit run from
        // another directory finds them.
        let dir = std::fs::canonicalize(dir).map_err(|e| UpdateError::Dir {
            path: dir.to_path_buf(),
            message: format!("cannot resolve the database directory: {e}"),
        })?;
        Ok(Db { dir })
    }

    /// Whether `path` is a directory `repro db update` manages.
    pub fn is_managed(path: &Path) -> bool {
        path.is_dir() && path.join(STATE_FILE).is_file()
    }

    /// The index file.
    pub fn index(&self) -> PathBuf {
        self.dir.join(INDEX_FILE)
    }

    /// Read the state (empty when there is none yet).
    pub fn state(&self) -> Result<State, UpdateError> {
        load_state(&self.dir)
    }

    /// Download what changed, verify it, swap it in, rebuild the index if anything changed (or
    /// there is none), and record the times. `now` is seconds since the epoch; `today` its day.
    pub fn update(
        &self,
        http: &Http,
        sources: &[Source],
        now: i64,
        today: i64,
        on_retry: &dyn Fn(&FetchError, u32),
    ) -> Result<UpdateReport, UpdateError> {
        let mut state = self.state()?;
        state.schema = LAYOUT_SCHEMA.into();
        state.wanted = sources.iter().map(|s| s.file.clone()).collect();
        let stamp = crate::date::rfc3339(now);
        let mut reports = Vec::new();
        let mut changed = false;
        for s in sources {
            let path = self.dir.join(&s.file);
            // Validators only for the very bytes they describe: same URL, file still there.
            let held = state
                .sources
                .get(&s.file)
                .filter(|st| st.url == s.url)
                .filter(|st| std::fs::metadata(&path).is_ok_and(|m| m.len() == st.size))
                .map(|st| st.validators.clone())
                .unwrap_or_default();
            let got = http.retrying(
                || {
                    http.get_conditional(&s.url, &held, |reader, len| {
                        download(&self.dir, s, reader, len)
                    })
                },
                on_retry,
            );
            let outcome = match got {
                Ok(Conditional::NotModified) => {
                    // Validators were sent, so they were those of this URL's copy.
                    if let Some(st) = state.sources.get_mut(&s.file).filter(|st| st.url == s.url) {
                        st.checked = stamp.clone();
                    }
                    Outcome::NotModified
                }
                Ok(Conditional::Modified { value, validators }) => {
                    let Downloaded {
                        tmp,
                        sha256,
                        size,
                        records,
                    } = value;
                    match tmp.persist(&path) {
                        Ok(_) => {
                            crate::fsio::sync_dir(&self.dir);
                            changed = true;
                            state.sources.insert(
                                s.file.clone(),
                                SourceState {
                                    url: s.url.clone(),
                                    validators,
                                    sha256,
                                    size,
                                    records,
                                    retrieved: stamp.clone(),
                                    checked: stamp.clone(),
                                },
                            );
                            Outcome::Downloaded {
                                bytes: size,
                                records,
                            }
                        }
                        Err(e) => Outcome::Failed {
                            error: format!("cannot replace `{}`: {}", path.display(), e.error),
                        },
                    }
                }
                Err(e) => Outcome::Failed {
                    error: e.to_string(),
                },
            };
            reports.push(SourceReport {
                file: s.file.clone(),
                url: crate::redact::redact(&s.url).into_owned(),
                outcome,
            });
        }
        // The index covers the files present (a source never downloaded has none yet).
        let files: Vec<PathBuf> = sources
            .iter()
            .map(|s| self.dir.join(&s.file))
            .filter(|p| p.is_file())
            .collect();
        let index = self.index();
        let stale =
            !index.is_file() || crate::osv::index::load(&index, &[], today).is_err() || changed;
        let mut advisories = None;
        if stale && !files.is_empty() {
            let built = crate::osv::index::build(&files, &index, today)?;
            advisories = Some(built.advisories);
        }
        self.save(&state)?;
        Ok(UpdateReport {
            schema: "repro.db-update/v1",
            dir: self.dir.clone(),
            sources: reports,
            reindexed: advisories.is_some(),
            advisories,
            checked: oldest_check(&state, sources),
        })
    }

    fn save(&self, state: &State) -> Result<(), UpdateError> {
        let mut bytes = serde_json::to_vec_pretty(state).expect("state serializes");
        bytes.push(b'\n');
        let path = self.dir.join(STATE_FILE);
        crate::fsio::write_atomic_beside(&path, &bytes).map_err(|e| UpdateError::Dir {
            path,
            message: e.to_string(),
        })
    }
}

fn load_state(dir: &Path) -> Result<State, UpdateError> {
    let path = dir.join(STATE_FILE);
    if !path.exists() {
        return Ok(State {
            schema: LAYOUT_SCHEMA.into(),
            sources: BTreeMap::new(),
            wanted: Vec::new(),
        });
    }
    let bytes = crate::fsio::read_capped(&path, 1 << 20).map_err(|e| UpdateError::Dir {
        path: path.clone(),
        message: format!("cannot read the database state: {e}"),
    })?;
    let state: State = serde_json::from_slice(&bytes).map_err(|e| UpdateError::Dir {
        path: path.clone(),
        message: format!("not a repro database state: {}", crate::vex::json_error(&e)),
    })?;
    if state.schema != LAYOUT_SCHEMA {
        return Err(UpdateError::Dir {
            path,
            message: format!(
                "database layout `{}`, expected `{LAYOUT_SCHEMA}`: remove the directory and run `repro db update` again",
                crate::redact::plain_text(&state.schema)
            ),
        });
    }
    Ok(state)
}

/// The oldest last check among `sources`, or `None` when one was never fetched.
fn oldest_check(state: &State, sources: &[Source]) -> Option<String> {
    sources
        .iter()
        .map(|s| state.sources.get(&s.file).map(|st| st.checked.clone()))
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .min()
}

/// How old the data in a managed directory is: the oldest last check of its sources (RFC 3339)
/// and its age in seconds at `now`. `None` when no source was ever downloaded.
///
/// An ecosystem's export that was never downloaded (its first download failed) is an error:
/// the data holds none of its advisories, and the other sources' recent checks must not make
/// an audit of it a clean scan on fresh-looking data.
pub fn freshness(dir: &Path, now: i64) -> Result<Option<(String, i64)>, UpdateError> {
    let state = load_state(dir)?;
    if let Some(e) = ECOSYSTEMS
        .iter()
        .find(|e| !state.sources.contains_key(&format!("osv-{e}.zip")))
    {
        return Err(UpdateError::Dir {
            path: dir.to_path_buf(),
            message: format!(
                "holds no {e} advisories: its export was never downloaded; run `repro db update` until it succeeds"
            ),
        });
    }
    if let Some(f) = state
        .wanted
        .iter()
        .find(|f| !state.sources.contains_key(f.as_str()))
    {
        return Err(UpdateError::Dir {
            path: dir.to_path_buf(),
            message: format!(
                "`{}` was never downloaded: the data is incomplete; run `repro db update` until it succeeds (or with `--no-malicious`)",
                crate::redact::plain_text(f)
            ),
        });
    }
    let Some(oldest) = state.sources.values().map(|s| s.checked.clone()).min() else {
        return Ok(None);
    };
    let at = oldest
        .parse::<jiff::Timestamp>()
        .map_err(|_| UpdateError::Dir {
            path: dir.join(STATE_FILE),
            message: "a source's `checked` time is not an RFC 3339 time".into(),
        })?
        .as_second();
    Ok(Some((oldest, now - at)))
}

/// A verified download, still in its temp file.
struct Downloaded {
    tmp: tempfile::NamedTempFile,
    sha256: String,
    size: u64,
    records: usize,
}

/// Stream the body into a temp file in `dir` (hashing as it goes, capped), check the length the
/// server declared, then read the zip to its end: every member decompressed and its CRC
/// checked, and at least one `*.json` member. A zip that fails any of this never replaces the
/// file held.
fn download(
    dir: &Path,
    source: &Source,
    reader: &mut dyn Read,
    declared: Option<u64>,
) -> Result<Downloaded, FetchError> {
    let url = source.url.as_str();
    let protocol = |detail: String| FetchError::Protocol {
        url: url.to_string(),
        detail,
    };
    if declared.is_some_and(|n| n > MAX_DOWNLOAD_BYTES) {
        return Err(protocol(format!(
            "declares more than {MAX_DOWNLOAD_BYTES} bytes: refused"
        )));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".download-")
        .tempfile_in(dir)
        .map_err(|e| protocol(format!("cannot create a temp file: {e}")))?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(FetchError::Transport {
                    url: url.to_string(),
                    detail: format!("body cut off after {size} bytes: {e}"),
                });
            }
        };
        size += n as u64;
        if size > MAX_DOWNLOAD_BYTES {
            return Err(protocol(format!(
                "more than {MAX_DOWNLOAD_BYTES} bytes: refused"
            )));
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n])
            .map_err(|e| protocol(format!("cannot write the temp file: {e}")))?;
    }
    if let Some(n) = declared
        && n != size
    {
        return Err(FetchError::Transport {
            url: url.to_string(),
            detail: format!("body of {size} bytes, {n} declared: truncated"),
        });
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| protocol(format!("cannot sync the temp file: {e}")))?;
    let records = verify_zip(tmp.path(), source.ecosystems).map_err(|e| {
        protocol(format!(
            "not a complete zip of OSV records ({e}): refused, the data held is kept"
        ))
    })?;
    Ok(Downloaded {
        tmp,
        sha256: hex::encode(hasher.finalize()),
        size,
        records,
    })
}

/// Read every member of the zip at `path` to its end (the zip crate checks each CRC at the end
/// of a member); the number of `*.json` members, at least one, and at least one of them an OSV
/// record of one of `ecosystems`.
fn verify_zip(path: &Path, ecosystems: &[&str]) -> Result<usize, String> {
    #[derive(Deserialize)]
    struct Record {
        #[serde(default)]
        affected: Vec<Affected>,
    }
    #[derive(Deserialize)]
    struct Affected {
        package: Option<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        ecosystem: Option<String>,
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let mut json = 0;
    let mut wanted = 0;
    let mut left = MAX_EXPANDED_BYTES;
    let mut buf = Vec::new();
    let over = || format!("expands to more than {MAX_EXPANDED_BYTES} bytes (a zip bomb?)");
    for i in 0..zip.len() {
        let mut m = zip.by_index(i).map_err(|e| format!("member {i}: {e}"))?;
        let is_json = m.is_file() && m.name().is_ok_and(|n| n.ends_with(".json"));
        // A record is read (at most MAX_RECORD_BYTES of it, as an audit would), the rest of
        // every member only drained, for its CRC; all of it within the budget.
        buf.clear();
        if is_json {
            json += 1;
            (&mut m)
                .take(crate::osv::MAX_RECORD_BYTES.min(left))
                .read_to_end(&mut buf)
                .map_err(|e| format!("member {i}: {e}"))?;
            left -= buf.len() as u64;
        }
        let drained = std::io::copy(&mut (&mut m).take(left + 1), &mut std::io::sink())
            .map_err(|e| format!("member {i}: {e}"))?;
        if drained > left {
            return Err(over());
        }
        left -= drained;
        if is_json
            && drained == 0
            && wanted == 0
            && serde_json::from_slice::<Record>(&buf).is_ok_and(|r| {
                r.affected.iter().any(|a| {
                    a.package
                        .as_ref()
                        .and_then(|p| p.ecosystem.as_deref())
                        .is_some_and(|e| ecosystems.contains(&e))
                })
            })
        {
            wanted += 1;
        }
    }
    if json == 0 {
        return Err("no `*.json` member".into());
    }
    if wanted == 0 {
        return Err(format!(
            "no record of {}: another ecosystem's data",
            ecosystems.join(" or ")
        ));
    }
    Ok(json)
}

/// A duration for `--max-db-age`: a whole number and a unit, `s`, `m`, `h`, `d` or `w`
/// (`36h`, `2d`); seconds.
pub fn parse_age(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| "expected a number and a unit, such as `36h` or `2d`".to_string())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        "w" => 7 * 86400,
        _ => return Err("expected a unit of s, m, h, d or w, such as `36h`".to_string()),
    };
    n.checked_mul(mult)
        .filter(|v| *v > 0)
        .ok_or_else(|| "expected a positive duration".to_string())
}

/// An age in words for the report and the counts line: `45 minutes`, `5 hours`, `3 days`.
pub fn describe_age(secs: i64) -> String {
    let secs = secs.max(0);
    let (n, unit) = if secs < 3600 {
        (secs / 60, "minute")
    } else if secs < 2 * 86400 {
        (secs / 3600, "hour")
    } else {
        (secs / 86400, "day")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_and_read() {
        assert_eq!(parse_age("36h"), Ok(36 * 3600));
        assert_eq!(parse_age("2d"), Ok(2 * 86400));
        assert_eq!(parse_age("90m"), Ok(5400));
        for bad in ["", "h", "36", "36x", "-1h", "0h", "99999999999999999w"] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
        assert_eq!(describe_age(59), "0 minutes");
        assert_eq!(describe_age(3 * 3600 + 5), "3 hours");
        assert_eq!(describe_age(3 * 86400 + 5), "3 days");
        assert_eq!(describe_age(86400), "24 hours");
    }

    #[test]
    fn sources_follow_the_base_url() {
        let s = sources(
            "http://127.0.0.1:1/osv/",
            Some("http://127.0.0.1:1/mal.zip"),
        );
        assert_eq!(s[0].url, "http://127.0.0.1:1/osv/PyPI/all.zip");
        assert_eq!(s[1].url, "http://127.0.0.1:1/osv/crates.io/all.zip");
        assert_eq!(s[2].file, "malicious-packages.zip");
    }
}
