//! What an index answered about a locked digest, kept so that a warm `fetch` asks nothing.
//!
//! ```text
//! <root>/v1/answers/sha256/ab/abcdef….json   one entry per digest a lock pins (also sha384, sha512)
//! ```
//!
//! A requirements file pins artifacts by digest alone; their file names and URLs come from the
//! index. An object's record answers that for the artifacts the store holds, but `fetch
//! --target` downloads one artifact per package, so the index's answer for the other digests of
//! the lock would be lost, and every warm run would ask the index again. An answer is kept for
//! every digest the index mapped to a file ([`AnswerKind::File`]), and for a digest of an
//! algorithm the index does not publish, the files of the pinned version that were candidates
//! for it ([`AnswerKind::Probe`]).
//!
//! An answer is only a claim about names: the bytes are judged by the lock's digest when they
//! arrive, as bytes from the index are. URLs are stored with their credentials redacted; an
//! answer whose URL lost them cannot be downloaded from, and `fetch` asks the index again.
//! Entries are written atomically (temp file, fsync, rename).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::digest::Digest;

/// The entry format; bump it when its fields change meaning.
pub const ANSWER_SCHEMA: &str = "repro.store-answer/v1";

/// Largest entry read: a few file names and URLs.
pub const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// A file the index listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredFile {
    /// File name (`six-1.17.0-py2.py3-none-any.whl`).
    pub filename: String,
    /// Download URL, credentials redacted.
    pub url: String,
    /// Size the index stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// How the index answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnswerKind {
    /// The index publishes this digest for exactly the one file listed.
    File,
    /// The index publishes no digest of this algorithm: the listed files of the pinned
    /// version are candidates, each admitted only if its bytes have a digest the lock allows.
    Probe,
}

/// What the index answered about one digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexAnswer {
    /// [`ANSWER_SCHEMA`].
    pub schema: String,
    /// The digest (`sha256:<hex>`), the entry's name.
    pub digest: String,
    /// How the index answered.
    pub kind: AnswerKind,
    /// The file (for [`AnswerKind::File`]) or the candidates (for [`AnswerKind::Probe`]).
    pub files: Vec<AnsweredFile>,
    /// The index asked, credentials redacted.
    pub index: String,
}

impl IndexAnswer {
    /// An answer about `digest` from the index at `index`; URLs lose their credentials here.
    pub fn new(digest: &Digest, kind: AnswerKind, files: Vec<AnsweredFile>, index: &str) -> Self {
        IndexAnswer {
            schema: ANSWER_SCHEMA.into(),
            digest: digest.to_string(),
            kind,
            files: files
                .into_iter()
                .map(|f| AnsweredFile {
                    url: crate::redact::redacted(&f.url),
                    ..f
                })
                .collect(),
            index: crate::redact::redacted(index),
        }
    }
}

/// Whether a stored URL can be downloaded from: it lost no credentials to redaction.
pub fn usable_url(url: &str) -> bool {
    !url.contains(crate::redact::MASK)
}

impl Store {
    /// Where the answer about `d` lives.
    fn answer_path(&self, d: &Digest) -> PathBuf {
        let hex = d.hex();
        self.base
            .join("answers")
            .join(d.algorithm().as_str())
            .join(&hex[..2])
            .join(format!("{hex}.json"))
    }

    /// The index's answer about `d`: `Ok(None)` when there is none, an error when the entry
    /// cannot be read, names another digest or lists a file name that is not plain.
    pub fn read_answer(&self, d: &Digest) -> Result<Option<IndexAnswer>, StoreError> {
        let path = self.answer_path(d);
        let bad = |detail: String| StoreError::BadAnswer {
            path: path.clone(),
            detail,
        };
        let Some(bytes) = super::read_entry(&path, MAX_ANSWER_BYTES)
            .map_err(|e| bad(format!("cannot be read: {e}")))?
        else {
            return Ok(None);
        };
        let answer: IndexAnswer = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("is not a valid index answer: {e}")))?;
        if answer.schema != ANSWER_SCHEMA {
            return Err(bad(format!("has the schema `{}`", answer.schema)));
        }
        if answer.digest != d.to_string() {
            return Err(bad(format!("names another digest (`{}`)", answer.digest)));
        }
        if let Some((name, why)) = answer
            .files
            .iter()
            .find_map(|f| crate::fsio::unsafe_file_name(&f.filename).map(|w| (&f.filename, w)))
        {
            return Err(bad(format!("names the file `{name}`: {why}")));
        }
        Ok(Some(answer))
    }

    /// The index's answer about `d`, if a valid one is kept (a bad entry is as good as none:
    /// the index is asked again and the entry replaced).
    pub fn answer(&self, d: &Digest) -> Option<IndexAnswer> {
        self.read_answer(d).ok().flatten()
    }

    /// Keep (replace) an answer, atomically; unchanged answers are not rewritten.
    pub fn put_answer(&self, d: &Digest, answer: &IndexAnswer) -> Result<(), StoreError> {
        if let Some(f) = answer
            .files
            .iter()
            .find(|f| crate::fsio::unsafe_file_name(&f.filename).is_some())
        {
            return Err(StoreError::UnsafeName {
                name: f.filename.clone(),
                why: crate::fsio::unsafe_file_name(&f.filename).unwrap_or_default(),
            });
        }
        if self.answer(d).as_ref() == Some(answer) {
            return Ok(());
        }
        let path = self.answer_path(d);
        let json = serde_json::to_vec_pretty(answer).expect("answers serialize");
        self.write_entry(&path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::HashAlgorithm;

    #[test]
    fn answers_round_trip_without_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let d = Digest::from_hex(HashAlgorithm::Sha256, &"ab".repeat(32)).unwrap();
        assert_eq!(store.read_answer(&d).unwrap(), None);
        let answer = IndexAnswer::new(
            &d,
            AnswerKind::File,
            vec![AnsweredFile {
                filename: "a-1-py3-none-any.whl".into(),
                url: "https://u:secret@mirror.example/files/a-1-py3-none-any.whl".into(),
                size: Some(3),
            }],
            "https://u:secret@mirror.example/simple/",
        );
        store.put_answer(&d, &answer).unwrap();
        let back = store.read_answer(&d).unwrap().unwrap();
        assert_eq!(back, answer);
        assert!(!back.files[0].url.contains("secret") && !back.index.contains("secret"));
        assert!(!usable_url(&back.files[0].url));
        // Another digest's answer under this name is refused.
        let other = Digest::from_hex(HashAlgorithm::Sha256, &"cd".repeat(32)).unwrap();
        let text =
            serde_json::to_vec(&IndexAnswer::new(&other, AnswerKind::File, vec![], "x")).unwrap();
        std::fs::write(store.answer_path(&d), text).unwrap();
        let err = store.read_answer(&d).unwrap_err().to_string();
        assert!(err.contains("names another digest"), "{err}");
    }
}
