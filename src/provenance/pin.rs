//! Publisher pins: `provenance.toml` beside the locks, a small file people review like code,
//! recording the Trusted Publisher of each attested package.
//!
//! ```toml
//! version = 1
//!
//! [[package]]
//! name = "pypi-attestations"
//! publisher = { kind = "GitHub", repository = "trailofbits/pypi-attestations", workflow = "release.yml" }
//! ```
//!
//! A package published by two publishers (a rare split of wheels and sdist) has two entries.
//! Only `repro provenance --pin` writes the file, atomically, sorted, so that a change shows
//! as a small diff; every other run compares and suggests the command, never rewrites.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::publisher::Publisher;
use crate::model::{Ecosystem, PackageName};

/// The pin file's name.
pub const PIN_FILE: &str = "provenance.toml";

/// The pin file format version.
pub const PIN_VERSION: u32 = 1;

/// Largest pin file read: an entry is about 150 bytes, so 1 MiB holds thousands of packages.
pub const MAX_PIN_BYTES: u64 = 1024 * 1024;

/// Publishers by package.
pub type Pinned = BTreeMap<PackageName, BTreeSet<Publisher>>;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinFile {
    version: u32,
    #[serde(default, rename = "package")]
    packages: Vec<PinEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PinEntry {
    name: String,
    publisher: Publisher,
}

/// A pin file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// It cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It does not parse.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// The pin file beside `lock`.
pub fn path_for(lock: &Path) -> PathBuf {
    lock.with_file_name(PIN_FILE)
}

/// Load a pin file: `Ok(None)` when there is none.
pub fn load(path: &Path) -> Result<Option<Pinned>, PinError> {
    let text = match crate::fsio::read_to_string_capped(path, MAX_PIN_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PinError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let syntax = |line: usize, message: String| PinError::Syntax {
        path: path.to_path_buf(),
        line,
        message,
    };
    let file: PinFile = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| crate::model::LineIndex::new(&text).line(s.start))
            .unwrap_or(0);
        syntax(line, e.message().trim().to_string())
    })?;
    if file.version != PIN_VERSION {
        return Err(syntax(
            1,
            format!(
                "pin file version {} (this repro reads version {PIN_VERSION})",
                file.version
            ),
        ));
    }
    let mut pinned = Pinned::new();
    for entry in file.packages {
        let name = PackageName::pypi(&entry.name)
            .ok_or_else(|| syntax(0, format!("`{}` is not a package name", entry.name)))?;
        pinned.entry(name).or_default().insert(entry.publisher);
    }
    Ok(Some(pinned))
}

/// The pin file's text for `pinned`, sorted.
pub fn render(pinned: &Pinned) -> String {
    let mut out = String::from(
        "# Trusted Publishers of the PyPI packages locked beside this file, from their verified\n\
         # PEP 740 attestations. Written by `repro provenance --pin`; review changes like code.\n\
         # `repro provenance` fails when a package's publisher changes or its provenance vanishes.\n",
    );
    out.push_str(&format!("version = {PIN_VERSION}\n"));
    for (name, publishers) in pinned {
        for p in publishers {
            out.push_str(&format!(
                "\n[[package]]\nname = {}\npublisher = {}\n",
                quote(name.as_str()),
                inline(p)
            ));
        }
    }
    out
}

/// Write `pinned` to `path` atomically.
pub fn write(path: &Path, pinned: &Pinned) -> Result<(), crate::fsio::WriteError> {
    crate::fsio::write_atomic_beside(path, render(pinned).as_bytes())
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A publisher as a TOML inline table, fields in a fixed order (kind first).
fn inline(p: &Publisher) -> String {
    let value = serde_json::to_value(p).expect("publishers serialize");
    let map = value.as_object().expect("a publisher is an object");
    let mut fields = vec![format!(
        "kind = {}",
        quote(map["kind"].as_str().unwrap_or(""))
    )];
    for (k, v) in map {
        if k != "kind"
            && let Some(s) = v.as_str()
        {
            fields.push(format!("{k} = {}", quote(s)));
        }
    }
    format!("{{ {} }}", fields.join(", "))
}

/// A package name of a pin, normalized (PEP 503).
pub fn name(s: &str) -> PackageName {
    PackageName::new(Ecosystem::Pypi, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_round_trip_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PIN_FILE);
        assert!(load(&path).unwrap().is_none());
        let mut pinned = Pinned::new();
        pinned
            .entry(name("Zope.Interface"))
            .or_default()
            .insert(Publisher::Google {
                email: "a\"b@x.iam.gserviceaccount.com".into(),
            });
        pinned
            .entry(name("pypi-attestations"))
            .or_default()
            .insert(Publisher::GitHub {
                repository: "trailofbits/pypi-attestations".into(),
                workflow: "release.yml".into(),
                environment: None,
            });
        write(&path, &pinned).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(
            "name = \"pypi-attestations\"\npublisher = { kind = \"GitHub\", repository = \"trailofbits/pypi-attestations\", workflow = \"release.yml\" }\n"
        ), "{text}");
        assert!(
            text.find("pypi-attestations") < text.find("zope-interface"),
            "{text}"
        );
        assert_eq!(load(&path).unwrap(), Some(pinned));
    }

    #[test]
    fn bad_pin_files_are_named_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PIN_FILE);
        std::fs::write(
            &path,
            "version = 1\n\n[[package]]\nname = \"a\"\npublisher = { kind = \"Bitbucket\" }\n",
        )
        .unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:5:", path.display())), "{err}");
        std::fs::write(&path, "version = 2\n").unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("version 2"));
    }

    #[test]
    fn pin_reads_are_capped_at_the_limit_and_one_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PIN_FILE);
        let mut text = "version = 1\n".to_string().into_bytes();
        text.resize(MAX_PIN_BYTES as usize, b'\n');
        std::fs::write(&path, &text).unwrap();
        assert!(load(&path).unwrap().is_some());
        text.push(b'\n');
        std::fs::write(&path, &text).unwrap();
        assert!(
            load(&path)
                .unwrap_err()
                .to_string()
                .contains("larger than the limit")
        );
    }
}
