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

impl DigestParseError {
    /// The reason without the rejected input, for a file that may hold secrets (see
    /// `LockError::Syntax`).
    pub fn without_input(&self) -> String {
        match self {
            DigestParseError::MissingAlgorithm(_) => {
                "invalid hash: expected `<algorithm>:<hex>`".to_string()
            }
            DigestParseError::UnknownAlgorithm(_) => "unknown hash algorithm".to_string(),
            other => other.to_string(),
        }
    }
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

/// The digests of one byte stream, computed in a single pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    /// Bytes read.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// BLAKE3, lower-case hex.
    pub blake3: String,
    /// SHA-384 or SHA-512, when asked for (a lock may pin only those).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<Digest>,
}

impl Digests {
    /// The SHA-256 as a [`Digest`].
    pub fn sha256_digest(&self) -> Digest {
        Digest::from_hex(HashAlgorithm::Sha256, &self.sha256).expect("hex of 32 bytes")
    }

    /// Whether any digest computed here equals `d`.
    pub fn matches(&self, d: &Digest) -> bool {
        match d.algorithm() {
            HashAlgorithm::Sha256 => d.hex() == self.sha256,
            _ => self.extra.contains(d),
        }
    }
}

enum Extra {
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

/// Feeds every requested hash from one pass over the bytes (SHA-256 and BLAKE3 always).
pub struct StreamHasher {
    size: u64,
    sha256: sha2::Sha256,
    blake3: blake3::Hasher,
    extra: Vec<Extra>,
}

impl Default for StreamHasher {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl StreamHasher {
    /// A hasher computing SHA-256, BLAKE3 and any of `extra` that is SHA-384 or SHA-512.
    pub fn new(extra: &[HashAlgorithm]) -> Self {
        let mut extras = Vec::new();
        for a in extra {
            match a {
                HashAlgorithm::Sha384 => extras.push(Extra::Sha384(sha2::Sha384::new())),
                HashAlgorithm::Sha512 => extras.push(Extra::Sha512(sha2::Sha512::new())),
                _ => {}
            }
        }
        StreamHasher {
            size: 0,
            sha256: sha2::Sha256::new(),
            blake3: blake3::Hasher::new(),
            extra: extras,
        }
    }

    /// Feed bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        self.sha256.update(bytes);
        self.blake3.update(bytes);
        for e in &mut self.extra {
            match e {
                Extra::Sha384(h) => h.update(bytes),
                Extra::Sha512(h) => h.update(bytes),
            }
        }
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Finish every hash.
    pub fn finish(self) -> Digests {
        let extra = self
            .extra
            .into_iter()
            .map(|e| match e {
                Extra::Sha384(h) => Digest {
                    algorithm: HashAlgorithm::Sha384,
                    bytes: h.finalize().to_vec(),
                },
                Extra::Sha512(h) => Digest {
                    algorithm: HashAlgorithm::Sha512,
                    bytes: h.finalize().to_vec(),
                },
            })
            .collect();
        Digests {
            size: self.size,
            sha256: hex::encode(self.sha256.finalize()),
            blake3: self.blake3.finalize().to_hex().to_string(),
            extra,
        }
    }
}

/// Read size for streaming hashes: large enough that per-call overhead vanishes, small enough to
/// stay in L2 cache.
pub const HASH_BUFFER: usize = 256 * 1024;

/// Hash everything `reader` yields, in one pass.
pub fn hash_reader(
    mut reader: impl std::io::Read,
    extra: &[HashAlgorithm],
) -> std::io::Result<Digests> {
    let mut hasher = StreamHasher::new(extra);
    let mut buf = vec![0u8; HASH_BUFFER];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
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
    fn stream_hasher_matches_one_shot_hashes() {
        let data = vec![7u8; 1_000_000];
        let d = hash_reader(&data[..], &[HashAlgorithm::Sha512]).unwrap();
        assert_eq!(d.size, 1_000_000);
        assert_eq!(d.sha256, sha256(&data).hex());
        assert_eq!(d.blake3, blake3::hash(&data).to_hex().to_string());
        assert_eq!(d.extra[0].algorithm(), HashAlgorithm::Sha512);
        assert!(d.matches(&d.extra[0].clone()));
        assert!(d.matches(&d.sha256_digest()));
    }

    #[test]
    fn truncate_keeps_short_and_cuts_long() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
