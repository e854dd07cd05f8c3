//! Cargo's `Cargo.lock`, versions 1 to 4, through the `cargo-lock` crate.
//!
//! `cargo-lock` owns the semantics (v1 `[metadata]` checksums, source ids, dependency
//! disambiguation); a second, shallow TOML pass recovers the line of every `[[package]]`, which
//! `cargo-lock` does not keep. Packages with no `source` are the workspace's own members.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use crate::digest::{Digest, HashAlgorithm};
use crate::lockfile::{
    Artifact, ArtifactKind, Dependency, Lock, LockError, LockFormat, LockedPackage, PackageSource,
    Pin, toml_error,
};
use crate::model::{Ecosystem, LineIndex, Location, PackageName};

#[derive(Deserialize)]
struct RawLock {
    #[serde(default)]
    package: Vec<Spanned<RawPackage>>,
    #[serde(default)]
    metadata: std::collections::BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    checksum: Option<String>,
}

/// A checksum must be 64 ASCII hex digits. Checked here because cargo-lock 11.1 panics on a
/// 64-byte checksum holding a multi-byte character (found by the `cargo_lock` fuzz target).
fn valid_checksum(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parse the text of a `Cargo.lock`.
pub fn parse(path: &Path, text: &str) -> Result<Lock, LockError> {
    // The shallow pass first: its errors carry a line, cargo-lock's do not.
    let raw: RawLock = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    let lines = LineIndex::new(text);
    let mut line_of: HashMap<(String, String), usize> = HashMap::with_capacity(raw.package.len());
    for p in &raw.package {
        let line = lines.line(p.span().start);
        if let Some(c) = &p.get_ref().checksum
            && !valid_checksum(c)
        {
            return Err(LockError::syntax(
                path,
                line,
                "invalid `checksum`: expected 64 hex characters",
            ));
        }
        line_of
            .entry((p.get_ref().name.clone(), p.get_ref().version.clone()))
            .or_insert(line);
    }
    for (key, value) in &raw.metadata {
        let bad = key.starts_with("checksum ")
            && !value
                .get_ref()
                .as_str()
                .is_some_and(|v| valid_checksum(v) || v == "<none>");
        if bad {
            return Err(LockError::syntax(
                path,
                lines.line(value.span().start),
                "invalid `[metadata]` checksum: expected 64 hex characters or `<none>`",
            ));
        }
    }
    let lockfile = cargo_lock::Lockfile::from_str(text).map_err(|e| {
        // cargo-lock renders TOML errors over several lines ("at line N, column M", a snippet,
        // then the reason): keep the line number and the reason.
        let rendered = e.to_string();
        let line = rendered
            .split_once("at line ")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let last = rendered
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("invalid");
        // cargo-lock appends what it rejected after a colon (`couldn't resolve dependency:
        // NAME`) or quotes it: keep the reason, never the file's text (see `LockError::Syntax`).
        let last = last.strip_prefix("parse error: ").unwrap_or(last);
        let clause = last.split(": ").next().unwrap_or(last);
        let reason =
            crate::redact::scrub_quoted(clause, |span| crate::redact::is_toml_value(text, span));
        LockError::syntax(
            path,
            line,
            format!(
                "invalid Cargo.lock: {}",
                crate::digest::truncate(&reason, 300)
            ),
        )
        .with_hint("regenerate it with `cargo generate-lockfile`")
    })?;
    let mut packages = Vec::with_capacity(lockfile.packages.len());
    for pkg in &lockfile.packages {
        let name = pkg.name.as_str().to_string();
        let version = pkg.version.to_string();
        let line = line_of
            .get(&(name.clone(), version.clone()))
            .copied()
            .unwrap_or(0);
        let source = match &pkg.source {
            None => PackageSource::Workspace { path: None },
            Some(s) if s.is_registry() => PackageSource::Registry {
                index: if s.is_default_registry() {
                    None
                } else {
                    Some(s.url().to_string())
                },
            },
            Some(s) if s.is_git() => PackageSource::Git {
                url: s.url().to_string(),
                commit: s
                    .precise()
                    .filter(|c| crate::lockfile::requirements_txt::is_full_commit(c))
                    .map(str::to_string),
            },
            Some(s) => PackageSource::Path {
                path: s.url().to_string(),
            },
        };
        let mut hashes = Vec::new();
        let mut artifacts = Vec::new();
        if let Some(checksum) = &pkg.checksum {
            let digest = checksum
                .as_sha256()
                .map(Digest::sha256_from_bytes)
                .ok_or_else(|| LockError::syntax(path, line, "checksum is not SHA-256"))?;
            debug_assert_eq!(digest.algorithm(), HashAlgorithm::Sha256);
            hashes.push(digest.clone());
            artifacts.push(Artifact {
                kind: ArtifactKind::Crate,
                filename: Some(format!("{name}-{version}.crate")),
                url: None,
                digest: Some(digest),
                size: None,
            });
        }
        let dependencies = pkg
            .dependencies
            .iter()
            .map(|d| Dependency {
                name: PackageName::cargo(d.name.as_str()),
                version: Some(d.version.to_string()),
                marker: None,
            })
            .collect();
        packages.push(LockedPackage {
            name: PackageName::new(Ecosystem::Cargo, &name),
            display_name: name,
            version: Some(version),
            pin: Pin::Exact,
            source,
            location: Location::new(path, line),
            hashes,
            artifacts,
            extras: Vec::new(),
            marker: None,
            dependencies,
            required_by: Vec::new(),
        });
    }
    Ok(Lock::structured(
        path,
        LockFormat::CargoLock,
        text,
        packages,
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_checksum_is_an_error_not_a_panic() {
        // Regression: cargo-lock 11.1 panics slicing this checksum (found by fuzzing).
        let bad = format!("{}Й{}", "0".repeat(7), "0".repeat(55));
        assert_eq!(bad.len(), 64);
        let text = format!(
            "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{bad}\"\n"
        );
        let err = parse(Path::new("Cargo.lock"), &text)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Cargo.lock:3: invalid `checksum`: expected 64 hex characters"
        );
        let v1 = format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[metadata]\n\"checksum a 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\" = \"{bad}\"\n"
        );
        let err = parse(Path::new("Cargo.lock"), &v1).unwrap_err().to_string();
        assert!(
            err.starts_with("Cargo.lock:6: invalid `[metadata]` checksum"),
            "{err}"
        );
    }

    #[test]
    fn parses_v4_with_checksums_git_and_members() {
        let text = r#"version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "itoa",
 "dep",
]

[[package]]
name = "dep"
version = "0.2.0"
source = "git+https://github.com/org/dep?rev=main#0123456789abcdef0123456789abcdef01234567"

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
"#;
        let lock = parse(Path::new("Cargo.lock"), text).unwrap();
        assert_eq!(lock.packages.len(), 3);
        assert!(matches!(
            lock.packages[0].source,
            PackageSource::Workspace { .. }
        ));
        assert_eq!(lock.packages[0].location.line, 3);
        assert!(matches!(
            &lock.packages[1].source,
            PackageSource::Git { commit: Some(c), .. } if c.len() == 40
        ));
        assert_eq!(lock.packages[2].hashes.len(), 1);
        assert_eq!(lock.packages[2].location.line, 16);
        assert!(matches!(
            lock.packages[2].source,
            PackageSource::Registry { index: None }
        ));
    }
}
