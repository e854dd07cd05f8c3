//! Digests as lockfiles write them (`sha256:<hex>`), and hashing of bytes.
//!
//! A [`Digest`] always holds a value of the right length for its algorithm: parsing rejects a
//! wrong length or non-hex text, so a truncated hash in a lockfile is caught at parse time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// A hash algorithm named in a lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HashAlgorithm {
    /// MD5: parsed, never accepted as proof.
    Md5,
    /// SHA-1: parsed, never accepted as proof.
    Sha1,
    /// SHA-224: parsed, too weak for the hermeticity check.
    Sha224,
    /// SHA-256: the default of pip, uv and Cargo.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The lower-case name used before the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlgorithm::Md5 => "md5",
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha224 => "sha224",
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Md5 => 16,
            HashAlgorithm::Sha1 => 20,
            HashAlgorithm::Sha224 => 28,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// Whether the algorithm is strong enough to prove an artifact's identity (SHA-256 or
    /// stronger).
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            HashAlgorithm::Sha256 | HashAlgorithm::Sha384 | HashAlgorithm::Sha512
        )
    }
}

impl FromStr for HashAlgorithm {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "md5" => HashAlgorithm::Md5,
            "sha1" => HashAlgorithm::Sha1,
            "sha224" => HashAlgorithm::Sha224,
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            _ => return Err(DigestParseError::UnknownAlgorithm(truncate(s, 32))),
        })
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a digest string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    /// No `algorithm:` prefix.
    #[error("invalid hash `{0}`: expected `<algorithm>:<hex>`")]
    MissingAlgorithm(String),
    /// An algorithm we do not know.
    #[error("unknown hash algorithm `{0}`")]
    UnknownAlgorithm(String),
    /// The hex part has the wrong length for the algorithm.
    #[error("invalid {algorithm} hash: expected {expected} hex characters, got {got}")]
    WrongLength {
        /// The algorithm named.
        algorithm: HashAlgorithm,
        /// Hex characters the algorithm needs.
        expected: usize,
        /// Characters given.
        got: usize,
    },
    /// The hex part holds a character that is not a hex digit.
    #[error("invalid {0} hash: not hexadecimal")]
    NotHex(HashAlgorithm),
}

/// A digest with its algorithm, parsed from and printed as `algorithm:hex`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: HashAlgorithm,
    bytes: Vec<u8>,
}

impl Digest {
    /// Parse `hex` as a digest of `algorithm`.
    pub fn from_hex(algorithm: HashAlgorithm, hex_str: &str) -> Result<Self, DigestParseError> {
        let expected = algorithm.digest_len() * 2;
        if hex_str.len() != expected {
            return Err(DigestParseError::WrongLength {
                algorithm,
                expected,
                got: hex_str.chars().count(),
            });
        }
        let bytes = hex::decode(hex_str).map_err(|_| DigestParseError::NotHex(algorithm))?;
        Ok(Digest { algorithm, bytes })
    }

    /// A SHA-256 digest from raw bytes.
    pub fn sha256_from_bytes(bytes: [u8; 32]) -> Self {
        Digest {
            algorithm: HashAlgorithm::Sha256,
            bytes: bytes.to_vec(),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The digest in lower-case hex, without the algorithm.
    pub fn hex(&self) -> String {
        hex::encode(&self.bytes)
    }
}

impl FromStr for Digest {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algo, value) = s
            .split_once(':')
            .ok_or_else(|| DigestParseError::MissingAlgorithm(truncate(s, 80)))?;
        Digest::from_hex(algo.parse()?, value)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// SHA-256 of a byte slice, as a [`Digest`].
pub fn sha256(bytes: &[u8]) -> Digest {
    Digest::sha256_from_bytes(sha2::Sha256::digest(bytes).into())
}

/// Shorten user input quoted in an error message, so a 10 MB line does not become a 10 MB message.
pub fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trips() {
        let text = "sha256:0918bfe44902e6ad8d57732ba310582e98da931428d231a5ecb9e7c703a735bb";
        let d: Digest = text.parse().unwrap();
        assert_eq!(d.algorithm(), HashAlgorithm::Sha256);
        assert_eq!(d.to_string(), text);
    }

    #[test]
    fn digest_rejects_wrong_length_and_non_hex() {
        assert_eq!(
            "sha256:abc".parse::<Digest>().unwrap_err().to_string(),
            "invalid sha256 hash: expected 64 hex characters, got 3"
        );
        let not_hex = format!("sha256:{}", "g".repeat(64));
        assert!(matches!(
            not_hex.parse::<Digest>(),
            Err(DigestParseError::NotHex(_))
        ));
        assert!(matches!(
            "whirlpool:00".parse::<Digest>(),
            Err(DigestParseError::UnknownAlgorithm(_))
        ));
        assert!(
            "md5:d41d8cd98f00b204e9800998ecf8427e"
                .parse::<Digest>()
                .is_ok()
        );
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256(b"").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn truncate_keeps_short_and_cuts_long() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
