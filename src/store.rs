//! The content-addressed artifact store: the only module that writes under the store root.
//!
//! ```text
//! <root>/
//! ├── CACHEDIR.TAG            marks the tree as a cache for backup tools
//! ├── .gitignore              `*`: never committed by accident
//! └── v1/                     layout version; bump it when the layout changes
//!     ├── objects/sha256/ab/abcdef…   read-only files named by their SHA-256
//!     ├── records/sha256/ab/abcdef….json  sidecar: size, BLAKE3, file names, origins, members
//!     ├── aliases/sha512/ab/abcdef…     the SHA-256 name of the object with that SHA-512
//!     │                       (also sha384): locks may pin only those; a claim, proven on use
//!     ├── records.lock        held (flock) while a record is read, changed and written back
//!     ├── provenance/sha256/ab/abcdef….json  PEP 740 provenance of the artifact (see `provenance`)
//!     ├── answers/sha256/ab/abcdef….json  what the index said about a locked digest: file
//!     │                       name and URL, so a warm fetch asks nothing (see `answers`)
//!     ├── tmp/                in-flight downloads (same file system, renamed into objects/)
//!     └── quarantine/         objects that failed `store verify --repair`
//! ```
//!
//! Invariant: a file under `objects/` has exactly the bytes its name says, and whatever hands an
//! object out ([`Store::checkout`], [`Store::confirm`]) proves it again first, by every digest
//! the caller asked for it by (an alias is only a claim until the bytes are hashed): the bytes are
//! read-only, but not beyond the reach of a build step or a careless hand. Writes stream into a
//! temp file in `tmp/` while hashing, are fsynced, and are renamed into place only when the
//! digest is one the caller allows; a crash or Ctrl-C leaves at most a temp file, never a partial
//! object. Two writers of the same object race harmlessly: same digest, same bytes, atomic rename.

pub mod answers;
mod object_id;
pub mod provenance;
pub mod verify;

pub use object_id::{ObjectId, ObjectIdError};

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, Digests, HASH_BUFFER, HashAlgorithm, StreamHasher, truncate};

/// The directory under the root holding this layout version.
pub const LAYOUT: &str = "v1";

/// Largest object the store admits when the caller does not know the size in advance.
pub const MAX_OBJECT_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Largest record read: a record holds the member index of its archive, about 200 bytes per
/// member, so 64 MiB covers the walker's 200,000 members.
pub const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file system operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The bytes do not match any digest the caller allows.
    #[error("digest mismatch: expected {expected}, got sha256:{actual} ({size} bytes)")]
    Mismatch {
        /// The digest(s) that were allowed, joined.
        expected: String,
        /// The SHA-256 of what arrived.
        actual: String,
        /// Bytes that arrived.
        size: u64,
    },
    /// Reading the source stream failed (a truncated download, a reset connection).
    #[error("reading the artifact failed after {read} bytes: {source}")]
    Read {
        /// Bytes read before the failure.
        read: u64,
        /// The cause.
        source: io::Error,
    },
    /// The stream is longer than allowed.
    #[error("artifact exceeds {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// An object's bytes no longer hash to its name: the store was modified after admission.
    #[error(
        "store object `{object}` hashes to sha256:{actual}, not its name: it changed after it was admitted; `repro store verify --repair` quarantines it"
    )]
    Corrupt {
        /// The object's name.
        object: String,
        /// What its bytes hash to now.
        actual: String,
    },
    /// An object's record cannot be read, or does not describe the object.
    #[error(
        "the record of store object `{object}` {detail}; `repro store verify --repair` sets it aside"
    )]
    BadRecord {
        /// The object's name.
        object: String,
        /// What is wrong.
        detail: String,
    },
    /// An object reached through an alias (a SHA-512 the lock pins) does not have that digest:
    /// the alias is wrong, the object is not what the lock allows.
    #[error(
        "store object `{object}` was reached as {digest}, but its bytes do not have that digest"
    )]
    AliasMismatch {
        /// The object's name.
        object: String,
        /// The digest it was reached by.
        digest: String,
    },
    /// An artifact's provenance entry cannot be read, or does not prove itself.
    #[error(
        "the provenance entry `{}` {detail}; remove it, and the next online run fetches it again",
        path.display()
    )]
    BadProvenance {
        /// The entry.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A kept index answer cannot be read, or does not describe its digest.
    #[error(
        "the index answer `{}` {detail}; it is ignored, and the next online run asks the index again",
        path.display()
    )]
    BadAnswer {
        /// The entry.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A file name from a lock, an index or a record is not a plain file name.
    #[error("refusing the file name `{name}`: {why}")]
    UnsafeName {
        /// The name.
        name: String,
        /// Why.
        why: &'static str,
    },
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl From<crate::fsio::WriteError> for StoreError {
    fn from(e: crate::fsio::WriteError) -> Self {
        StoreError::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

/// The bytes of the store file at `path` (a record, an alias, an answer, a provenance entry), at
/// most `cap`: `Ok(None)` when there is none.
fn read_entry(path: &Path, cap: u64) -> io::Result<Option<Vec<u8>>> {
    match crate::fsio::read_capped(path, cap) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the store knows about an object besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// SHA-256, hex (the object's name).
    pub sha256: String,
    /// BLAKE3, hex.
    pub blake3: String,
    /// Size in bytes.
    pub size: u64,
    /// File names the object was published under (`six-1.17.0-py2.py3-none-any.whl`).
    pub filenames: BTreeSet<String>,
    /// Where it came from (URLs, `find-links:` paths).
    pub origins: BTreeSet<String>,
    /// Seconds since the Unix epoch when the store first admitted it.
    pub first_seen: u64,
    /// Per-member index, written by `store verify --deep`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<crate::archive::Member>>,
}

/// Where an ingested artifact came from, for its record.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The file name it was published under.
    pub filename: String,
    /// The URL or path it was read from.
    pub origin: String,
}

/// A store rooted at a directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    base: PathBuf,
}

impl Store {
    /// The default root: `$REPRO_STORE`, else the user cache directory (`$XDG_CACHE_HOME/repro`
    /// or `~/.cache/repro`).
    pub fn default_root() -> PathBuf {
        if let Some(p) = std::env::var_os("REPRO_STORE").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        if let Some(p) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
            return PathBuf::from(p).join("repro");
        }
        match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".cache").join("repro"),
            None => PathBuf::from(".repro-store"),
        }
    }

    /// Open (creating if needed) the store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Store, StoreError> {
        let root = root.into();
        let base = root.join(LAYOUT);
        for dir in ["objects/sha256", "records/sha256", "tmp", "quarantine"] {
            let p = base.join(dir);
            fs::create_dir_all(&p).map_err(io_err("cannot create store directory", &p))?;
        }
        let tag = root.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# This directory is a repro artifact store.\n",
            );
            let _ = fs::write(root.join(".gitignore"), "*\n");
        }
        let store = Store { root, base };
        store.sweep_tmp(Duration::from_secs(24 * 3600));
        Ok(store)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Remove temp files older than `age` (left by a killed process).
    fn sweep_tmp(&self, age: Duration) {
        let Ok(entries) = fs::read_dir(self.base.join("tmp")) else {
            return;
        };
        let now = SystemTime::now();
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > age);
            if old {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    /// Where the object `id` lives (whether or not it exists).
    pub fn object_path(&self, id: &ObjectId) -> PathBuf {
        let hex = id.hex();
        self.base.join("objects/sha256").join(id.prefix()).join(hex)
    }

    fn record_path(&self, id: &ObjectId) -> PathBuf {
        self.base
            .join("records/sha256")
            .join(id.prefix())
            .join(format!("{id}.json"))
    }

    fn alias_path(&self, d: &Digest) -> PathBuf {
        let hex = d.hex();
        self.base
            .join("aliases")
            .join(d.algorithm().as_str())
            .join(&hex[..2])
            .join(hex)
    }

    /// The object a digest names, if the store may hold it: a SHA-256 names it directly; a
    /// SHA-384 or SHA-512 through the alias written when an object with that digest was
    /// admitted. The alias is a claim: [`Store::confirm`] and [`Store::checkout`] prove it.
    pub fn resolve(&self, d: &Digest) -> Option<ObjectId> {
        match d.algorithm() {
            HashAlgorithm::Sha256 => ObjectId::from_digest(d),
            HashAlgorithm::Sha384 | HashAlgorithm::Sha512 => {
                let bytes = crate::fsio::read_capped(&self.alias_path(d), 64).ok()?;
                std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
            }
            _ => None,
        }
    }

    /// Record that the object `digests` describes is also named by each of its extra digests.
    fn write_aliases(&self, digests: &Digests) -> Result<(), StoreError> {
        let id = digests.object_id();
        for d in &digests.extra {
            let path = self.alias_path(d);
            if self.resolve(d) == Some(id) {
                continue;
            }
            self.write_entry(&path, id.hex().as_bytes())?;
        }
        Ok(())
    }

    /// The object's record, if it has a valid one (see [`Store::read_record`]).
    pub fn record(&self, id: &ObjectId) -> Option<ObjectRecord> {
        self.read_record(id).ok().flatten()
    }

    /// The object's record: `Ok(None)` when it has none, an error when the record cannot be
    /// read, is not valid JSON, names another object, or lists a file name that is not plain.
    pub fn read_record(&self, id: &ObjectId) -> Result<Option<ObjectRecord>, StoreError> {
        let hex = id.hex();
        let bad = |detail: String| StoreError::BadRecord {
            object: hex.clone(),
            detail,
        };
        let Some(bytes) = read_entry(&self.record_path(id), MAX_RECORD_BYTES)
            .map_err(|e| bad(format!("cannot be read: {e}")))?
        else {
            return Ok(None);
        };
        let record: ObjectRecord = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("is not a valid record: {e}")))?;
        if record.sha256 != hex {
            return Err(bad(format!("names another object (`{}`)", record.sha256)));
        }
        if let Some((name, why)) = record
            .filenames
            .iter()
            .find_map(|n| crate::fsio::unsafe_file_name(n).map(|why| (n, why)))
        {
            return Err(bad(format!("lists the file name `{name}`: {why}")));
        }
        Ok(Some(record))
    }

    /// Hold the records lock (an exclusive `flock` on `records.lock`) until the guard drops.
    fn lock_records(&self) -> Result<fs::File, StoreError> {
        let path = self.base.join("records.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("cannot open the records lock", &path))?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).map_err(|e| {
            StoreError::Io {
                action: "cannot lock",
                path: path.clone(),
                source: e.into(),
            }
        })?;
        Ok(file)
    }

    /// Read, change and write back an object's record under the records lock, so that two
    /// writers never lose each other's changes. `init` makes the record of an object that has
    /// none; `change` returns whether it changed anything. A record that cannot be read is never
    /// replaced: the error says so.
    pub fn update_record(
        &self,
        id: &ObjectId,
        init: impl FnOnce() -> ObjectRecord,
        change: impl FnOnce(&mut ObjectRecord) -> bool,
    ) -> Result<(), StoreError> {
        let _lock = self.lock_records()?;
        let (mut record, fresh) = match self.read_record(id)? {
            Some(r) => (r, false),
            None => (init(), true),
        };
        if change(&mut record) || fresh {
            self.write_record(&record)?;
        }
        Ok(())
    }

    /// Whether the object's file exists (its bytes are not checked: see [`Store::confirm`]).
    pub fn has_object(&self, id: &ObjectId) -> bool {
        self.object_path(id).is_file()
    }

    /// Prove that the object's bytes still hash to its name, and to each digest of `also` (the
    /// digest the caller resolved it by), returning its digests.
    pub fn confirm(&self, id: &ObjectId, also: &[Digest]) -> Result<Digests, StoreError> {
        let path = self.object_path(id);
        let file = crate::fsio::open_regular(&path).map_err(io_err("cannot read", &path))?;
        let d = crate::digest::hash_reader(file, &extra_algorithms(also))
            .map_err(io_err("cannot read", &path))?;
        check_digests(id, &d, also)?;
        Ok(d)
    }

    /// Copy the object to `dest` (a plain file name in an existing directory), proving its
    /// SHA-256 in the same pass: the copy is written to a temp file beside `dest` and renamed
    /// into place only when the bytes hash to the object's name. A copy, never a link: whatever
    /// the receiver does to it cannot reach the store.
    pub fn checkout(
        &self,
        id: &ObjectId,
        also: &[Digest],
        dest: &Path,
    ) -> Result<Digests, StoreError> {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(why) = crate::fsio::unsafe_file_name(&name) {
            return Err(StoreError::UnsafeName { name, why });
        }
        let src = self.object_path(id);
        let mut reader = crate::fsio::open_regular(&src).map_err(io_err("cannot read", &src))?;
        let dir = crate::fsio::dir_of(dest);
        let mut tmp = tempfile::Builder::new()
            .prefix(".checkout-")
            .tempfile_in(dir)
            .map_err(io_err("cannot create a temp file in", dir))?;
        let mut hasher = StreamHasher::new(&extra_algorithms(also));
        let mut buf = vec![0u8; HASH_BUFFER];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_err("cannot read", &src)(e)),
            };
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])
                .map_err(io_err("cannot write", tmp.path()))?;
        }
        let digests = hasher.finish();
        check_digests(id, &digests, also)?;
        tmp.as_file()
            .sync_all()
            .map_err(io_err("cannot sync", tmp.path()))?;
        tmp.persist(dest).map_err(|e| StoreError::Io {
            action: "cannot write",
            path: dest.to_path_buf(),
            source: e.error,
        })?;
        Ok(digests)
    }

    /// Every record's object, sorted, and the files under `records/` that are not the record
    /// of an object (see [`Listing`]).
    pub fn list_records(&self) -> Result<Listing, StoreError> {
        self.list_dir("records/sha256", ".json")
    }

    /// Move an object's record aside to `quarantine/<hex>.record.json` (a record that cannot be
    /// read is kept for a person to look at, never overwritten).
    pub fn quarantine_record(&self, id: &ObjectId) -> Result<PathBuf, StoreError> {
        let src = self.record_path(id);
        let dest = self
            .base
            .join("quarantine")
            .join(format!("{id}.record.json"));
        fs::rename(&src, &dest).map_err(io_err("cannot quarantine", &src))?;
        Ok(dest)
    }

    /// Remove the record of an object that is not in the store.
    pub fn remove_record(&self, id: &ObjectId) -> Result<(), StoreError> {
        let path = self.record_path(id);
        fs::remove_file(&path).map_err(io_err("cannot remove", &path))
    }

    /// Write (replace) an object's record atomically. Callers that change a record hold the
    /// records lock ([`Store::update_record`]).
    fn write_record(&self, record: &ObjectRecord) -> Result<(), StoreError> {
        let id: ObjectId =
            record
                .sha256
                .parse()
                .map_err(|e: ObjectIdError| StoreError::BadRecord {
                    object: truncate(&record.sha256, 80),
                    detail: e.to_string(),
                })?;
        let json = serde_json::to_vec_pretty(record).expect("records serialize");
        self.write_entry(&self.record_path(&id), &json)
    }

    /// Write (replace) the store file at `path` atomically (through the store's `tmp/`, where
    /// an interrupted write leaves nothing half-written), creating its directory.
    fn write_entry(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let dir = path.parent().expect("store files sit in a directory");
        fs::create_dir_all(dir).map_err(io_err("cannot create", dir))?;
        crate::fsio::write_atomic(&self.base.join("tmp"), path, bytes)?;
        Ok(())
    }

    /// Every object, sorted, and the files under `objects/` that are not an object (see
    /// [`Listing`]).
    pub fn list(&self) -> Result<Listing, StoreError> {
        self.list_dir("objects/sha256", "")
    }

    /// List `<dir>/<ab>/<name><suffix>`: a name that parses as an [`ObjectId`] and sits in its
    /// own fan-out directory is an entry; anything else (another name, a name that is not UTF-8,
    /// a file where a fan-out directory belongs) is a stray.
    fn list_dir(&self, dir: &str, suffix: &str) -> Result<Listing, StoreError> {
        let dir = self.base.join(dir);
        let mut out = Listing::default();
        for prefix in fs::read_dir(&dir).map_err(io_err("cannot list", &dir))? {
            let prefix = prefix.map_err(io_err("cannot list", &dir))?;
            let p = prefix.path();
            if !prefix.file_type().is_ok_and(|t| t.is_dir()) {
                out.strays.push(p);
                continue;
            }
            for e in fs::read_dir(&p).map_err(io_err("cannot list", &p))? {
                let e = e.map_err(io_err("cannot list", &p))?;
                let id = e
                    .file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(suffix))
                    .and_then(|n| n.parse::<ObjectId>().ok())
                    .filter(|id| prefix.file_name().to_str() == Some(id.prefix().as_str()));
                match id {
                    Some(id) => out.entries.push(id),
                    None => out.strays.push(e.path()),
                }
            }
        }
        out.entries.sort();
        out.strays.sort();
        Ok(out)
    }

    /// Move a stray file (see [`Listing`]) to `quarantine/`, under a name made from its path.
    pub fn quarantine_stray(&self, path: &Path) -> Result<PathBuf, StoreError> {
        let name: String = path
            .strip_prefix(&self.base)
            .unwrap_or(path)
            .to_string_lossy()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dest = self.base.join("quarantine").join(format!("stray-{name}"));
        fs::rename(path, &dest).map_err(io_err("cannot quarantine", path))?;
        Ok(dest)
    }

    /// Stream `reader` into the store. The object is admitted only if one of its digests is in
    /// `allowed`; otherwise nothing is written and [`StoreError::Mismatch`] says what arrived.
    /// `limit` bounds the bytes read (the expected size when known); `progress` is called with
    /// the byte count of each chunk.
    pub fn ingest(
        &self,
        mut reader: impl Read,
        allowed: &[Digest],
        provenance: &Provenance,
        limit: Option<u64>,
        progress: &dyn Fn(u64),
    ) -> Result<Digests, StoreError> {
        let tmp_dir = self.base.join("tmp");
        let mut tmp = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempfile_in(&tmp_dir)
            .map_err(io_err("cannot create a temp file in", &tmp_dir))?;
        let extra: Vec<HashAlgorithm> = allowed
            .iter()
            .map(Digest::algorithm)
            .filter(|a| matches!(a, HashAlgorithm::Sha384 | HashAlgorithm::Sha512))
            .collect();
        let mut hasher = StreamHasher::new(&extra);
        // No caller can lift the cap: a limit it passes is clamped to it.
        let limit = limit.unwrap_or(MAX_OBJECT_BYTES).min(MAX_OBJECT_BYTES);
        let mut buf = vec![0u8; HASH_BUFFER];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(StoreError::Read {
                        read: hasher.size(),
                        source,
                    });
                }
            };
            if hasher.size() + n as u64 > limit {
                return Err(StoreError::TooLarge { limit });
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])
                .map_err(io_err("cannot write", tmp.path()))?;
            progress(n as u64);
        }
        let digests = hasher.finish();
        if !allowed.iter().any(|d| digests.matches(d)) {
            return Err(StoreError::Mismatch {
                expected: allowed
                    .iter()
                    .map(Digest::to_string)
                    .collect::<Vec<_>>()
                    .join(" or "),
                actual: digests.sha256.clone(),
                size: digests.size,
            });
        }
        tmp.as_file()
            .sync_all()
            .map_err(io_err("cannot sync", tmp.path()))?;
        let mut perms = tmp
            .as_file()
            .metadata()
            .map_err(io_err("cannot stat", tmp.path()))?
            .permissions();
        perms.set_readonly(true);
        fs::set_permissions(tmp.path(), perms)
            .map_err(io_err("cannot set permissions of", tmp.path()))?;
        let dest = self.object_path(&digests.object_id());
        let dir = dest.parent().expect("object path has a parent");
        fs::create_dir_all(dir).map_err(io_err("cannot create", dir))?;
        tmp.persist(&dest).map_err(|e| StoreError::Io {
            action: "cannot move the verified artifact to",
            path: dest.clone(),
            source: e.error,
        })?;
        crate::fsio::sync_dir(dir);
        self.note(&digests, provenance)?;
        self.write_aliases(&digests)?;
        Ok(digests)
    }

    /// Add a file name and origin to an object's record (creating it). A file name that is
    /// not plain is refused; a record that cannot be read is not replaced.
    pub fn note(&self, digests: &Digests, provenance: &Provenance) -> Result<(), StoreError> {
        let named = !provenance.filename.is_empty();
        if let Some(why) = named
            .then(|| crate::fsio::unsafe_file_name(&provenance.filename))
            .flatten()
        {
            return Err(StoreError::UnsafeName {
                name: provenance.filename.clone(),
                why,
            });
        }
        self.update_record(
            &digests.object_id(),
            || ObjectRecord {
                sha256: digests.sha256.clone(),
                blake3: digests.blake3.clone(),
                size: digests.size,
                first_seen: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0),
                ..ObjectRecord::default()
            },
            |record| {
                (named && record.filenames.insert(provenance.filename.clone()))
                    | record.origins.insert(provenance.origin.clone())
            },
        )
    }

    /// Move a corrupted object (and its record) to `quarantine/`.
    pub fn quarantine(&self, id: &ObjectId) -> Result<PathBuf, StoreError> {
        let src = self.object_path(id);
        let dest = self.base.join("quarantine").join(id.hex());
        fs::rename(&src, &dest).map_err(io_err("cannot quarantine", &src))?;
        let _ = fs::remove_file(self.record_path(id));
        Ok(dest)
    }
}

/// What a listing of `objects/` or `records/` found.
#[derive(Debug, Default)]
pub struct Listing {
    /// The objects (or the objects with a record), sorted.
    pub entries: Vec<ObjectId>,
    /// Files the store did not write there: names that are not a SHA-256 in lower-case hex (or
    /// not UTF-8), or that sit in the wrong fan-out directory. Reported by `store verify`,
    /// never opened as objects.
    pub strays: Vec<PathBuf>,
}

/// The algorithms to compute besides SHA-256 to prove `also`.
fn extra_algorithms(also: &[Digest]) -> Vec<HashAlgorithm> {
    also.iter()
        .map(Digest::algorithm)
        .filter(|a| *a != HashAlgorithm::Sha256)
        .collect()
}

/// The bytes must hash to the object's name and to every digest the caller named it by.
fn check_digests(id: &ObjectId, d: &Digests, also: &[Digest]) -> Result<(), StoreError> {
    if d.object_id() != *id {
        return Err(StoreError::Corrupt {
            object: id.hex(),
            actual: d.sha256.clone(),
        });
    }
    if let Some(other) = also.iter().find(|a| !d.matches(a)) {
        return Err(StoreError::AliasMismatch {
            object: id.hex(),
            digest: other.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prov() -> Provenance {
        Provenance {
            filename: "a.whl".into(),
            origin: "test".into(),
        }
    }

    /// A store at `root` holding `hello`, and the object's digest.
    fn hello_store(root: &Path) -> (Store, Digest, Digests) {
        let store = Store::open(root).unwrap();
        let want = crate::digest::sha256(b"hello");
        let d = store
            .ingest(
                &b"hello"[..],
                std::slice::from_ref(&want),
                &prov(),
                None,
                &|_| {},
            )
            .unwrap();
        (store, want, d)
    }

    #[test]
    fn admits_matching_bytes_and_records_them() {
        let dir = tempfile::tempdir().unwrap();
        let (store, want, d) = hello_store(dir.path());
        assert_eq!(d.sha256, want.hex());
        let id = d.object_id();
        assert!(store.has_object(&id));
        assert_eq!(fs::read(store.object_path(&id)).unwrap(), b"hello");
        let rec = store.record(&id).unwrap();
        assert_eq!(rec.size, 5);
        assert!(rec.filenames.contains("a.whl"));
        assert_eq!(store.list().unwrap().entries, vec![id]);
        assert!(
            fs::metadata(store.object_path(&id))
                .unwrap()
                .permissions()
                .readonly()
        );
    }

    #[test]
    fn rejects_mismatch_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let want = crate::digest::sha256(b"hello");
        let err = store
            .ingest(&b"hellO"[..], &[want], &prov(), None, &|_| {})
            .unwrap_err();
        assert!(matches!(err, StoreError::Mismatch { size: 5, .. }), "{err}");
        assert!(store.list().unwrap().entries.is_empty());
        assert_eq!(fs::read_dir(dir.path().join("v1/tmp")).unwrap().count(), 0);
    }

    #[test]
    fn stops_at_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let want = crate::digest::sha256(b"hello");
        let err = store
            .ingest(&b"hello world"[..], &[want], &prov(), Some(5), &|_| {})
            .unwrap_err();
        assert!(matches!(err, StoreError::TooLarge { limit: 5 }));
        assert!(store.list().unwrap().entries.is_empty());
    }

    /// Record updates hold the records lock: sixteen writers adding a name each lose none.
    #[test]
    fn concurrent_notes_lose_no_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _, d) = hello_store(dir.path());
        std::thread::scope(|scope| {
            for i in 0..16 {
                let (store, d) = (&store, &d);
                scope.spawn(move || {
                    store
                        .note(
                            d,
                            &Provenance {
                                filename: format!("a-{i}.whl"),
                                origin: format!("test-{i}"),
                            },
                        )
                        .unwrap();
                });
            }
        });
        let rec = store.record(&d.object_id()).unwrap();
        assert_eq!(rec.filenames.len(), 17, "{:?}", rec.filenames);
    }

    #[test]
    fn checkout_proves_the_bytes_and_never_links() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s")).unwrap();
        let want = crate::digest::sha256(b"hello");
        store
            .ingest(
                &b"hello"[..],
                std::slice::from_ref(&want),
                &prov(),
                None,
                &|_| {},
            )
            .unwrap();
        let id = ObjectId::from_digest(&want).unwrap();
        let dest = dir.path().join("a.whl");
        store.checkout(&id, &[], &dest).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_ne!(
            fs::metadata(&dest).unwrap().ino(),
            fs::metadata(store.object_path(&id)).unwrap().ino()
        );
        // A changed object is refused, and nothing is written.
        let obj = store.object_path(&id);
        let mut perms = fs::metadata(&obj).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(&obj, perms).unwrap();
        fs::write(&obj, b"hellO").unwrap();
        let other = dir.path().join("b.whl");
        let err = store.checkout(&id, &[], &other).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(!other.exists());
        let err = store
            .checkout(&id, &[], &dir.path().join(".hidden"))
            .unwrap_err();
        assert!(matches!(err, StoreError::UnsafeName { .. }), "{err}");
    }

    /// A lock that pins only a SHA-512 reaches the object, named by its SHA-256, through an
    /// alias; the alias is proven on use.
    #[test]
    fn a_sha512_resolves_to_the_object_named_by_its_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let sha512 = crate::digest::hash_reader(&b"hello"[..], &[HashAlgorithm::Sha512])
            .unwrap()
            .extra[0]
            .clone();
        let d = store
            .ingest(
                &b"hello"[..],
                std::slice::from_ref(&sha512),
                &prov(),
                None,
                &|_| {},
            )
            .unwrap();
        let id = store.resolve(&sha512).unwrap();
        assert_eq!(id, d.object_id());
        assert_eq!(store.list().unwrap().entries, vec![id]);
        store.confirm(&id, std::slice::from_ref(&sha512)).unwrap();
        let dest = dir.path().join("a.whl");
        store
            .checkout(&id, std::slice::from_ref(&sha512), &dest)
            .unwrap();
        // An alias that names another object is caught when the bytes are hashed.
        let other: Digest = format!("sha512:{}", "ab".repeat(64)).parse().unwrap();
        let err = store.confirm(&id, &[other]).unwrap_err();
        assert!(matches!(err, StoreError::AliasMismatch { .. }), "{err}");
        let weak: Digest = "md5:5d41402abc4b2a76b9719d911017c592".parse().unwrap();
        assert_eq!(store.resolve(&weak), None);
    }

    /// File names the store did not write are strays, whatever bytes they hold: never sliced,
    /// never opened as objects.
    #[test]
    fn listing_keeps_strays_apart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let objects = dir.path().join("v1/objects/sha256");
        for name in [
            "ab/aé",
            "é/x",
            "2c/2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
        ] {
            let p = objects.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, b"x").unwrap();
        }
        let listing = store.list().unwrap();
        assert!(listing.entries.is_empty());
        assert_eq!(listing.strays.len(), 3);
    }
}
