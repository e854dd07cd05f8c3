//! The build manifest: what `repro build` records on each machine, and how two are compared.
//!
//! The document has three parts: `build`, everything that must be equal on two machines
//! building the same release (tool and toolchain versions, target, normalized environment,
//! input lockfiles, the resolved artifact set, the command, and every output down to its
//! members); `build_id`, the SHA-256 of `build` serialized canonically (compact JSON, struct
//! fields in a fixed order, maps sorted, no floats); and `host`, facts of one machine (hostname,
//! times, build directory) that comparison ignores. Two reproducible builds give byte-identical
//! `build` parts and so the same `build_id`. Beside them, `hazards`: host-specific strings found
//! in the outputs ([`crate::hazard`]), the reasons a second machine would differ, found on the
//! first.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::archive::{ArchiveError, Member};
use crate::hazard::Hazard;

mod describe;

pub use describe::{Described, HazardScan, MAX_HAZARDS, describe_output, describe_output_scanned};

/// Largest manifest read: one records every member of every output, nested archives included;
/// 256 MiB holds over a million members.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// Why a manifest could not be read or an output described.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Reading failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a manifest this version reads.
    #[error("`{}`: {detail}", path.display())]
    Invalid {
        /// The manifest.
        path: std::path::PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// An output archive could not be walked.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// The manifest schema this version writes and reads.
pub const SCHEMA: &str = "repro.manifest/v1";

/// A build manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`SCHEMA`].
    pub schema: String,
    /// `sha256:` of the canonical serialization of `build`.
    pub build_id: String,
    /// The comparable part.
    pub build: Build,
    /// Host facts, ignored by comparison.
    pub host: Host,
    /// Host-specific strings found in the outputs (the build directory, `HOME`, an
    /// interpreter's path…): why a second machine would build other bytes. Outside `build`,
    /// so not part of the build id; absent from manifests written before they were recorded.
    #[serde(default)]
    pub hazards: Vec<Hazard>,
    /// Hazards found past [`MAX_HAZARDS`] per output, counted but not recorded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hazards_omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The comparable part of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// `repro` and its version.
    pub tool: BTreeMap<String, String>,
    /// The target name.
    pub target: String,
    /// The timestamp handed to the build.
    pub source_date_epoch: i64,
    /// The environment handed to the command (host-specific values as placeholders).
    pub environment: BTreeMap<String, String>,
    /// Versions of the toolchains the inputs imply (python, pip, uv for PyPI locks; rustc, cargo
    /// for Cargo.lock), where present.
    pub toolchains: BTreeMap<String, String>,
    /// Input lockfiles.
    pub inputs: Vec<InputFile>,
    /// Every resolved artifact, sorted.
    pub resolved: Vec<Resolved>,
    /// The command run, if any, with host paths normalized: a program found on `PATH` by its
    /// name, paths under the build directory as `${BUILD_DIR}/…`.
    pub command: Vec<String>,
    /// Every declared output.
    pub outputs: Vec<Output>,
}

/// An input lockfile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InputFile {
    /// Path as given.
    pub path: String,
    /// SHA-256 hex.
    pub sha256: String,
}

/// A resolved artifact.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resolved {
    /// `pypi` or `cargo`.
    pub ecosystem: String,
    /// Package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// File name.
    pub filename: String,
    /// SHA-256 hex.
    pub sha256: String,
    /// BLAKE3 hex.
    pub blake3: String,
    /// Size in bytes.
    pub size: u64,
    /// The input lockfiles that lock this artifact (their paths as in `inputs`), so an SBOM or an
    /// audit of the build names the functions a package ships in, not every function.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
}

/// A declared output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Path as given.
    pub path: String,
    /// `file`, `archive` or `tree`.
    pub kind: String,
    /// Size in bytes (files and archives).
    pub size: u64,
    /// SHA-256 hex (files and archives; for trees, of the member list).
    pub sha256: String,
    /// Members of archives and trees, in a deterministic order.
    pub members: Vec<Member>,
    /// Members of the archives this output holds (a zip in a tree, a wheel in a zip), down to
    /// [`crate::archive::MAX_NESTING`] levels: each path is the archive's path in the output,
    /// `!/`, and the member's path in the archive (`fn.zip!/bin/html2text`,
    /// `fn.zip!/pkg.whl!/pkg/mod.py`); each archive's members in its order, each followed by
    /// its own. Apart from `members`, which lists what the output itself holds (the files of a
    /// tree, whose digest is that list's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nested: Vec<Member>,
}

/// Host facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    /// Host name.
    pub hostname: String,
    /// Start, seconds since the Unix epoch.
    pub started: u64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// Absolute build directory.
    pub build_dir: String,
}

impl Build {
    /// The build id: `sha256:` of the canonical serialization.
    pub fn id(&self) -> String {
        let bytes = serde_json::to_vec(self).expect("manifests serialize");
        format!("sha256:{}", crate::digest::sha256(&bytes).hex())
    }
}

impl Manifest {
    /// A manifest for `build`, with its id.
    pub fn new(build: Build, host: Host) -> Manifest {
        Manifest {
            schema: SCHEMA.to_string(),
            build_id: build.id(),
            build,
            host,
            hazards: Vec::new(),
            hazards_omitted: 0,
        }
    }

    /// Load and validate a manifest.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let bytes = crate::fsio::read_capped(path, MAX_MANIFEST_BYTES).map_err(|source| {
            ManifestError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        let err = |detail: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| err(format!("not JSON: {e}")))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA) => {}
            Some(other) => {
                return Err(err(format!(
                    "manifest schema `{other}` is not `{SCHEMA}`, the one this repro reads"
                )));
            }
            None => return Err(err("no `schema`: not a repro manifest".into())),
        }
        let m: Manifest =
            serde_json::from_value(value).map_err(|e| err(format!("malformed manifest: {e}")))?;
        if m.build.id() != m.build_id {
            return Err(err(format!(
                "build_id {} does not match its build section ({}): the manifest was edited",
                m.build_id,
                m.build.id()
            )));
        }
        Ok(m)
    }
}

/// Whether `path` looks like a repro manifest (JSON naming a `repro.manifest` schema).
pub fn is_manifest(path: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = crate::fsio::open_regular(path) else {
        return false;
    };
    let mut head = String::new();
    let _ = f.take(4096).read_to_string(&mut head);
    head.trim_start().starts_with('{') && head.contains("\"repro.manifest/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest one byte over the cap is refused from its size, before it is read.
    #[test]
    fn manifests_at_the_cap_plus_one_are_refused() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.as_file().set_len(MAX_MANIFEST_BYTES + 1).unwrap();
        let err = Manifest::load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("larger than the limit of 268435456"), "{err}");
    }
}
