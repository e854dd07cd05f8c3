//! Shared vocabulary: ecosystems, normalized package names and source locations.
//!
//! This module imports nothing from the rest of the crate; every other module may use it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The package ecosystem a lockfile belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// The Python Package Index (and compatible indexes).
    Pypi,
    /// crates.io (and compatible Cargo registries).
    Cargo,
}

impl Ecosystem {
    /// The ecosystem of a lower-case name ([`Ecosystem::as_str`]), as manifests record it.
    pub fn from_name(name: &str) -> Option<Ecosystem> {
        match name {
            "pypi" => Some(Ecosystem::Pypi),
            "cargo" => Some(Ecosystem::Cargo),
            _ => None,
        }
    }

    /// The lower-case name used in reports, purls and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Pypi => "pypi",
            Ecosystem::Cargo => "cargo",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A package name, normalized for comparison within its ecosystem.
///
/// PyPI names follow PEP 503 (`Zope.Event` and `zope_event` are both `zope-event`); crate names are
/// kept as written, since crates.io treats `-` and `_` as distinct in `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PackageName(String);

impl PackageName {
    /// Normalize a PyPI project name per PEP 503 (runs of `-`, `_`, `.` become one `-`,
    /// lower-cased). Returns `None` for names PEP 508 would reject.
    pub fn pypi(name: &str) -> Option<Self> {
        pep508_rs::PackageName::new(name.to_string())
            .ok()
            .map(|n| PackageName(n.as_ref().to_string()))
    }

    /// A crate name, kept as written.
    pub fn cargo(name: &str) -> Self {
        PackageName(name.to_string())
    }

    /// Normalize `name` for `ecosystem`, falling back to a lower-cased copy when the name is not
    /// a valid PEP 508 name (so hostile input still gets a stable key).
    pub fn new(ecosystem: Ecosystem, name: &str) -> Self {
        match ecosystem {
            Ecosystem::Pypi => Self::pypi(name).unwrap_or_else(|| PackageName(name.to_lowercase())),
            Ecosystem::Cargo => Self::cargo(name),
        }
    }

    /// The normalized name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&pep508_rs::PackageName> for PackageName {
    fn from(name: &pep508_rs::PackageName) -> Self {
        PackageName(name.as_ref().to_string())
    }
}

/// A place in a file: the file and a 1-based line number (0 when the whole file is meant).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The file, as the user named it (or as found under a directory the user named).
    pub file: PathBuf,
    /// 1-based line number; 0 means the file as a whole.
    pub line: usize,
}

impl Location {
    /// A location at `line` of `file`.
    pub fn new(file: impl Into<PathBuf>, line: usize) -> Self {
        Location {
            file: file.into(),
            line,
        }
    }

    /// The file as a whole.
    pub fn file(file: &Path) -> Self {
        Location::new(file, 0)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

/// Byte offsets of line starts, to turn byte spans (as TOML parsers report them) into lines.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Index the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()));
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_normalize_per_pep_503() {
        assert_eq!(
            PackageName::new(Ecosystem::Pypi, "Zope.Event").as_str(),
            "zope-event"
        );
        assert_eq!(
            PackageName::new(Ecosystem::Pypi, "typing_extensions").as_str(),
            "typing-extensions"
        );
        assert_eq!(
            PackageName::new(Ecosystem::Pypi, "PyYAML").as_str(),
            "pyyaml"
        );
        assert_eq!(
            PackageName::new(Ecosystem::Cargo, "serde_json").as_str(),
            "serde_json"
        );
    }

    #[test]
    fn line_index_maps_offsets_to_lines() {
        let idx = LineIndex::new("a\nbb\n\nc");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(1), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
    }
}
