//! Provenance kept beside its artifact: what the index (or a folder) answered for the artifact
//! with a given SHA-256, so that a warm run asks nothing and `--offline` has an answer.
//!
//! ```text
//! <root>/v1/provenance/sha256/ab/abcdef….json   one entry per artifact, named by its SHA-256
//! ```
//!
//! An entry holds the provenance object exactly as it was served (so that any verifier can
//! check it again), its SHA-256, the artifact's file name and where the object came from; or,
//! with no object, the answer that there is none. Entries are written atomically (temp file,
//! fsync, rename) and only after the caller verified the object; each read proves the entry
//! again (it names this artifact, its file name is plain, the object hashes to the digest it
//! records), and the caller verifies the object again before believing it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// The entry format; bump it when its fields change meaning.
pub const ENTRY_SCHEMA: &str = "repro.store-provenance/v1";

/// Largest entry read: an object of at most [`crate::registry::MAX_PROVENANCE_BYTES`], escaped
/// as a JSON string (quotes and backslashes double at worst), and a few fields.
pub const MAX_ENTRY_BYTES: u64 = 2 * crate::registry::MAX_PROVENANCE_BYTES + 64 * 1024;

/// What the store knows of an artifact's provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceEntry {
    /// [`ENTRY_SCHEMA`].
    pub schema: String,
    /// SHA-256 of the artifact (the entry's name).
    pub artifact: String,
    /// The artifact's file name.
    pub filename: String,
    /// Where the answer came from (a URL without credentials, or `dir:<path>`).
    pub origin: String,
    /// Seconds since the Unix epoch when it was stored.
    pub fetched: u64,
    /// SHA-256 of [`ProvenanceEntry::object`], when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_sha256: Option<String>,
    /// The provenance object, as served; `None` when the source said there is none.
    pub object: Option<String>,
}

impl ProvenanceEntry {
    /// An entry for `artifact`, holding `object` (or the answer that there is none).
    pub fn new(artifact: &str, filename: &str, origin: &str, object: Option<String>) -> Self {
        ProvenanceEntry {
            schema: ENTRY_SCHEMA.into(),
            artifact: artifact.to_string(),
            filename: filename.to_string(),
            origin: crate::redact::redacted(origin),
            fetched: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            object_sha256: object
                .as_ref()
                .map(|o| crate::digest::sha256(o.as_bytes()).hex()),
            object,
        }
    }
}

impl Store {
    /// Where the provenance entry of the artifact with SHA-256 `hex` lives.
    pub fn provenance_path(&self, hex: &str) -> PathBuf {
        self.base
            .join("provenance/sha256")
            .join(&hex[..2.min(hex.len())])
            .join(format!("{hex}.json"))
    }

    /// The provenance entry of an artifact: `Ok(None)` when there is none, an error when it
    /// cannot be read or does not prove itself (another artifact's, a file name that is not
    /// plain, an object that does not hash to its recorded digest).
    pub fn read_provenance(&self, hex: &str) -> Result<Option<ProvenanceEntry>, StoreError> {
        let path = self.provenance_path(hex);
        let bad = |detail: String| StoreError::BadProvenance {
            path: path.clone(),
            detail,
        };
        let Some(bytes) = super::read_entry(&path, MAX_ENTRY_BYTES)
            .map_err(|e| bad(format!("cannot be read: {e}")))?
        else {
            return Ok(None);
        };
        let entry: ProvenanceEntry = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("is not a valid entry: {e}")))?;
        if entry.schema != ENTRY_SCHEMA {
            return Err(bad(format!("has the schema `{}`", entry.schema)));
        }
        if entry.artifact != hex {
            return Err(bad(format!(
                "names another artifact (`{}`)",
                entry.artifact
            )));
        }
        if let Some(why) = crate::fsio::unsafe_file_name(&entry.filename) {
            return Err(bad(format!("names the file `{}`: {why}", entry.filename)));
        }
        match (&entry.object, &entry.object_sha256) {
            (None, None) => {}
            (Some(o), Some(d)) if &crate::digest::sha256(o.as_bytes()).hex() == d => {}
            _ => {
                return Err(bad(
                    "holds an object that does not hash to its digest".into()
                ));
            }
        }
        Ok(Some(entry))
    }

    /// Write (replace) an artifact's provenance entry atomically.
    pub fn put_provenance(&self, entry: &ProvenanceEntry) -> Result<(), StoreError> {
        if let Some(why) = crate::fsio::unsafe_file_name(&entry.filename) {
            return Err(StoreError::UnsafeName {
                name: entry.filename.clone(),
                why,
            });
        }
        let path = self.provenance_path(&entry.artifact);
        let json = serde_json::to_vec_pretty(entry).expect("entries serialize");
        self.write_entry(&path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3";

    #[test]
    fn entries_round_trip_and_prove_themselves() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.read_provenance(SHA).unwrap(), None);
        let entry = ProvenanceEntry::new(
            SHA,
            "a-1.tar.gz",
            "https://u:secret@mirror.example/integrity/a/1/a-1.tar.gz/provenance",
            Some("{\"version\":1}".into()),
        );
        assert!(!entry.origin.contains("secret"));
        store.put_provenance(&entry).unwrap();
        assert_eq!(store.read_provenance(SHA).unwrap(), Some(entry.clone()));
        // An edited object no longer proves itself.
        let path = store.provenance_path(SHA);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("version", "versioN");
        std::fs::write(&path, text).unwrap();
        let err = store.read_provenance(SHA).unwrap_err().to_string();
        assert!(err.contains("does not hash to its digest"), "{err}");
        // Another artifact's entry under this name is refused.
        let other = ProvenanceEntry::new(&"0".repeat(64), "a-1.tar.gz", "x", None);
        std::fs::write(&path, serde_json::to_vec(&other).unwrap()).unwrap();
        let err = store.read_provenance(SHA).unwrap_err().to_string();
        assert!(err.contains("names another artifact"), "{err}");
    }

    #[test]
    fn reads_are_capped_at_the_limit_and_one_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let path = store.provenance_path(SHA);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let entry = ProvenanceEntry::new(SHA, "a-1.tar.gz", "x", None);
        let mut json = serde_json::to_vec(&entry).unwrap();
        json.resize(MAX_ENTRY_BYTES as usize, b' ');
        std::fs::write(&path, &json).unwrap();
        assert!(store.read_provenance(SHA).unwrap().is_some());
        json.push(b' ');
        std::fs::write(&path, &json).unwrap();
        let err = store.read_provenance(SHA).unwrap_err().to_string();
        assert!(err.contains("larger than the limit"), "{err}");
    }
}
