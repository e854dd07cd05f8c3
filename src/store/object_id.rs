//! [`ObjectId`]: the name of a store object, which can only be a SHA-256 digest.
//!
//! Every path under `objects/` and `records/` is built from an `ObjectId`, never from a string:
//! a file name found on disk is parsed first (`"…".parse::<ObjectId>()`), and one that is not
//! 64 lower-case hex digits is a stray, reported as such, never sliced or joined into a path.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digest::{Digest, HashAlgorithm};

/// The SHA-256 of an object's bytes: its name in the store.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId([u8; 32]);

/// Why a string is not an object name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a store object name: expected 64 lower-case hex digits (a SHA-256)")]
pub struct ObjectIdError;

impl ObjectId {
    /// The object named by a SHA-256 digest; `None` for any other algorithm (those reach the
    /// store through [`crate::store::Store::resolve`]).
    pub fn from_digest(d: &Digest) -> Option<Self> {
        if d.algorithm() != HashAlgorithm::Sha256 {
            return None;
        }
        d.as_bytes().try_into().ok().map(ObjectId)
    }

    /// The name in lower-case hex.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The two hex digits of the fan-out directory (`objects/sha256/ab/ab…`).
    pub fn prefix(&self) -> String {
        hex::encode(&self.0[..1])
    }

    /// The name as a `sha256:` digest.
    pub fn digest(&self) -> Digest {
        Digest::sha256_from_bytes(self.0)
    }
}

impl FromStr for ObjectId {
    type Err = ObjectIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Lower-case only: the store writes lower-case names, so an upper-case one is a file
        // the store did not write.
        if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ObjectIdError);
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| ObjectIdError)?;
        Ok(ObjectId(bytes))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.hex())
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl crate::digest::Digests {
    /// The store name of the bytes these digests describe.
    pub fn object_id(&self) -> ObjectId {
        self.sha256
            .parse()
            .expect("a computed SHA-256 is 64 lower-case hex digits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn round_trips_and_refuses_anything_else() {
        let id: ObjectId = HELLO.parse().unwrap();
        assert_eq!(id.to_string(), HELLO);
        assert_eq!(id.prefix(), "2c");
        assert_eq!(ObjectId::from_digest(&id.digest()), Some(id));
        for bad in [
            "",
            "ab",
            &HELLO.to_uppercase(),
            &format!("{HELLO}0"),
            &HELLO.replacen('2', "é", 1),
            "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
        ] {
            assert_eq!(bad.parse::<ObjectId>(), Err(ObjectIdError), "{bad}");
        }
        let sha512: Digest = format!("sha512:{}", "ab".repeat(64)).parse().unwrap();
        assert_eq!(ObjectId::from_digest(&sha512), None);
    }
}
