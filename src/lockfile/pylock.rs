//! PEP 751 `pylock.toml`: `[[packages]]` with `version`, `marker`, `dependencies`, and one of
//! `vcs`, `directory`, `archive`, or `sdist`/`wheels` (registry artifacts with `hashes`).
//!
//! Supported: `lock-version` 1.x. Markers are kept as written: PEP 751 allows markers such as
//! `'dev' in dependency_groups` that PEP 508 parsers reject, so they are not evaluated here.
//! See <https://packaging.python.org/en/latest/specifications/pylock-toml/>.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::digest::{Digest, HashAlgorithm};
use crate::lockfile::{
    Artifact, ArtifactKind, Dependency, Lock, LockError, LockFormat, LockedPackage, PackageSource,
    Pin, requirements_txt::is_full_commit, toml_error,
};
use crate::model::{Ecosystem, LineIndex, Location, PackageName};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLock {
    lock_version: Option<String>,
    #[serde(default)]
    packages: Vec<Spanned<RawPackage>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    index: Option<String>,
    #[serde(default)]
    dependencies: Vec<RawDependency>,
    vcs: Option<RawVcs>,
    directory: Option<RawDirectory>,
    archive: Option<RawArtifact>,
    sdist: Option<RawArtifact>,
    #[serde(default)]
    wheels: Vec<RawArtifact>,
}

#[derive(Deserialize)]
struct RawDependency {
    name: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawVcs {
    url: Option<String>,
    path: Option<String>,
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct RawDirectory {
    path: String,
    #[serde(default)]
    editable: bool,
}

#[derive(Deserialize)]
struct RawArtifact {
    name: Option<String>,
    url: Option<String>,
    path: Option<String>,
    size: Option<u64>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

fn digests(
    path: &Path,
    line: usize,
    hashes: &BTreeMap<String, String>,
) -> Result<Vec<Digest>, LockError> {
    let mut out = Vec::new();
    for (algo, value) in hashes {
        let algorithm: HashAlgorithm = match algo.parse() {
            Ok(a) => a,
            // PEP 751 allows any hashlib algorithm; ones we cannot check are not proof.
            Err(_) => continue,
        };
        let digest = Digest::from_hex(algorithm, value).map_err(|e| {
            LockError::syntax(path, line, format!("{} in `hashes`", e.without_input()))
        })?;
        out.push(digest);
    }
    Ok(out)
}

fn file_name(raw: &RawArtifact) -> Option<String> {
    raw.name.clone().or_else(|| {
        raw.url
            .as_deref()
            .or(raw.path.as_deref())
            .map(|u| crate::lockfile::file_name_of(u).to_string())
    })
}

/// Parse the text of a `pylock.toml`.
pub fn parse(path: &Path, text: &str) -> Result<Lock, LockError> {
    let raw: RawLock = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    match raw.lock_version.as_deref() {
        Some(v) if v == "1" || v.starts_with("1.") => {}
        Some(_) => {
            return Err(LockError::syntax(path, 1, "unsupported `lock-version`")
                .with_hint("repro reads pylock.toml lock-version 1.x (PEP 751)"));
        }
        None => {
            return Err(LockError::syntax(
                path,
                1,
                "missing `lock-version`: not a pylock.toml",
            ));
        }
    }
    let lines = LineIndex::new(text);
    let mut packages = Vec::with_capacity(raw.packages.len());
    for spanned in raw.packages {
        let line = lines.line(spanned.span().start);
        let pkg = spanned.into_inner();
        let mut hashes: Vec<Digest> = Vec::new();
        let mut artifacts = Vec::new();
        let mut add =
            |kind, raw: &RawArtifact, hashes: &mut Vec<Digest>| -> Result<(), LockError> {
                let ds = digests(path, line, &raw.hashes)?;
                let primary = ds
                    .iter()
                    .find(|d| d.algorithm() == HashAlgorithm::Sha256)
                    .or(ds.first())
                    .cloned();
                for d in ds {
                    if !hashes.contains(&d) {
                        hashes.push(d);
                    }
                }
                artifacts.push(Artifact {
                    kind,
                    filename: file_name(raw),
                    url: raw.url.clone().or_else(|| raw.path.clone()),
                    digest: primary,
                    size: raw.size,
                });
                Ok(())
            };
        if let Some(a) = &pkg.archive {
            add(ArtifactKind::Archive, a, &mut hashes)?;
        }
        if let Some(a) = &pkg.sdist {
            add(ArtifactKind::Sdist, a, &mut hashes)?;
        }
        for w in &pkg.wheels {
            add(ArtifactKind::Wheel, w, &mut hashes)?;
        }
        let source = if let Some(vcs) = &pkg.vcs {
            PackageSource::Git {
                url: vcs
                    .url
                    .clone()
                    .or_else(|| vcs.path.clone())
                    .unwrap_or_default(),
                commit: vcs.commit_id.clone().filter(|c| is_full_commit(c)),
            }
        } else if let Some(dir) = &pkg.directory {
            if dir.editable {
                PackageSource::Editable {
                    path: dir.path.clone(),
                }
            } else {
                PackageSource::Path {
                    path: dir.path.clone(),
                }
            }
        } else if let Some(archive) = &pkg.archive {
            match (&archive.url, &archive.path) {
                (Some(url), _) => PackageSource::Url { url: url.clone() },
                (None, Some(p)) => PackageSource::Path { path: p.clone() },
                (None, None) => PackageSource::Url { url: String::new() },
            }
        } else {
            PackageSource::Registry {
                index: pkg.index.clone(),
            }
        };
        let dependencies = pkg
            .dependencies
            .iter()
            .filter_map(|d| {
                d.name.as_ref().map(|n| Dependency {
                    name: PackageName::new(Ecosystem::Pypi, n),
                    version: d.version.clone(),
                    marker: None,
                })
            })
            .collect();
        packages.push(LockedPackage {
            name: PackageName::new(Ecosystem::Pypi, &pkg.name),
            display_name: pkg.name,
            pin: if pkg.version.is_some() {
                Pin::Exact
            } else {
                Pin::None
            },
            version: pkg.version,
            source,
            location: Location::new(path, line),
            hashes,
            artifacts,
            extras: Vec::new(),
            marker: pkg.marker,
            dependencies,
            required_by: Vec::new(),
        });
    }
    // PEP 751 makes `dependencies` optional; edges are known only if some package lists them.
    let has_edges = packages.iter().any(|p| !p.dependencies.is_empty());
    Ok(Lock::structured(
        path,
        LockFormat::Pylock,
        text,
        packages,
        has_edges,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wheels_sdist_and_markers() {
        let text = r#"lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "idna"
version = "3.10"
marker = "'dev' in dependency_groups"
index = "https://pypi.org/simple"
sdist = { name = "idna-3.10.tar.gz", url = "https://x/idna-3.10.tar.gz", hashes = { sha256 = "12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9" } }
wheels = [{ url = "https://x/idna-3.10-py3-none-any.whl", hashes = { sha256 = "946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3" } }]
"#;
        let lock = parse(Path::new("pylock.toml"), text).unwrap();
        let p = &lock.packages[0];
        assert_eq!(p.location.line, 4);
        assert_eq!(p.hashes.len(), 2);
        assert_eq!(p.marker.as_deref(), Some("'dev' in dependency_groups"));
        assert_eq!(
            p.artifacts[1].filename.as_deref(),
            Some("idna-3.10-py3-none-any.whl")
        );
    }

    #[test]
    fn rejects_future_lock_version() {
        let err = parse(Path::new("pylock.toml"), "lock-version = \"2.0\"\n").unwrap_err();
        assert_eq!(err.to_string(), "pylock.toml:1: unsupported `lock-version`");
    }
}
