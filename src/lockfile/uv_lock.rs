//! uv's `uv.lock` (TOML): `[[package]]` tables with `source`, `dependencies`, `sdist` and `wheels`.
//!
//! Supported: lock `version` 1 (any `revision`); sources `registry`, `git`, `url`, `path`,
//! `directory`, `editable` and `virtual` (the last two are the project's own workspace members);
//! `dependencies`, `optional-dependencies` and `dev-dependencies` (also spelled
//! `dependency-groups`) as edges; the root's own requirements in `[manifest] requirements` and
//! `[manifest.dependency-groups]` (the lock of a script, or of a workspace with no root project)
//! as edges from the root. Unknown keys are ignored, as uv itself adds keys between revisions.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::digest::{Digest, DigestParseError};
use crate::lockfile::{
    Artifact, ArtifactKind, Dependency, Lock, LockError, LockFormat, LockedPackage, PackageSource,
    Pin, requirements_txt::is_full_commit, toml_error,
};
use crate::model::{Ecosystem, LineIndex, Location, PackageName};

#[derive(Deserialize)]
struct RawLock {
    version: Option<i64>,
    #[serde(default)]
    manifest: RawManifest,
    #[serde(default)]
    package: Vec<Spanned<RawPackage>>,
}

/// `[manifest]`: what the workspace root asks for outside any package.
#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawManifest {
    #[serde(default)]
    requirements: Vec<RawRequirement>,
    #[serde(default)]
    dependency_groups: BTreeMap<String, Vec<RawRequirement>>,
}

/// A requirement of the manifest (`{ name = "six", specifier = "==1.17.0" }`).
#[derive(Deserialize)]
struct RawRequirement {
    name: String,
    marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    version: Option<String>,
    source: Option<RawSource>,
    #[serde(default)]
    dependencies: Vec<RawDependency>,
    #[serde(default)]
    optional_dependencies: BTreeMap<String, Vec<RawDependency>>,
    #[serde(default, alias = "dependency-groups")]
    dev_dependencies: BTreeMap<String, Vec<RawDependency>>,
    sdist: Option<RawArtifact>,
    #[serde(default)]
    wheels: Vec<RawArtifact>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawSource {
    registry: Option<String>,
    git: Option<String>,
    url: Option<String>,
    path: Option<String>,
    directory: Option<String>,
    editable: Option<String>,
    #[serde(rename = "virtual")]
    virtual_: Option<String>,
}

#[derive(Deserialize)]
struct RawDependency {
    name: String,
    version: Option<String>,
    marker: Option<String>,
}

#[derive(Deserialize)]
struct RawArtifact {
    url: Option<String>,
    path: Option<String>,
    filename: Option<String>,
    hash: Option<String>,
    size: Option<u64>,
}

impl RawSource {
    fn to_source(&self) -> PackageSource {
        if let Some(index) = &self.registry {
            PackageSource::Registry {
                index: Some(index.clone()),
            }
        } else if let Some(git) = &self.git {
            // `https://github.com/org/repo?rev=main#<commit>`: the fragment is the resolved commit.
            let commit = git
                .rsplit_once('#')
                .map(|(_, c)| c)
                .filter(|c| is_full_commit(c))
                .map(str::to_string);
            PackageSource::Git {
                url: git.clone(),
                commit,
            }
        } else if let Some(url) = &self.url {
            PackageSource::Url { url: url.clone() }
        } else if let Some(path) = self.path.as_ref().or(self.directory.as_ref()) {
            PackageSource::Path { path: path.clone() }
        } else {
            PackageSource::Workspace {
                path: self.editable.clone().or_else(|| self.virtual_.clone()),
            }
        }
    }
}

fn artifact_name(raw: &RawArtifact) -> Option<String> {
    raw.filename.clone().or_else(|| {
        raw.url
            .as_deref()
            .or(raw.path.as_deref())
            .map(|u| crate::lockfile::file_name_of(u).to_string())
    })
}

/// Parse the text of a `uv.lock`.
pub fn parse(path: &Path, text: &str) -> Result<Lock, LockError> {
    let raw: RawLock = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    match raw.version {
        Some(1) => {}
        Some(v) => {
            return Err(
                LockError::syntax(path, 1, format!("unsupported uv.lock version {v}"))
                    .with_hint("repro reads uv.lock version 1"),
            );
        }
        None => {
            return Err(LockError::syntax(
                path,
                1,
                "missing `version` key: not a uv.lock",
            ));
        }
    }
    let lines = LineIndex::new(text);
    let mut packages = Vec::with_capacity(raw.package.len());
    for spanned in raw.package {
        let line = lines.line(spanned.span().start);
        let pkg = spanned.into_inner();
        let mut hashes = Vec::new();
        let mut artifacts = Vec::new();
        let sdist = pkg.sdist.iter().map(|a| (ArtifactKind::Sdist, a));
        let wheels = pkg.wheels.iter().map(|a| (ArtifactKind::Wheel, a));
        for (kind, raw_artifact) in sdist.chain(wheels) {
            let digest = match &raw_artifact.hash {
                Some(h) => Some(h.parse::<Digest>().map_err(|e: DigestParseError| {
                    LockError::syntax(
                        path,
                        line,
                        format!("{} in the `hash` of an artifact", e.without_input()),
                    )
                })?),
                None => None,
            };
            if let Some(d) = &digest
                && !hashes.contains(d)
            {
                hashes.push(d.clone());
            }
            artifacts.push(Artifact {
                kind,
                filename: artifact_name(raw_artifact),
                url: raw_artifact
                    .url
                    .clone()
                    .or_else(|| raw_artifact.path.clone()),
                digest,
                size: raw_artifact.size,
            });
        }
        let dependencies = pkg
            .dependencies
            .iter()
            .chain(pkg.optional_dependencies.values().flatten())
            .chain(pkg.dev_dependencies.values().flatten())
            .map(|d| Dependency {
                name: PackageName::new(Ecosystem::Pypi, &d.name),
                version: d.version.clone(),
                marker: d.marker.clone(),
            })
            .collect();
        let source = pkg
            .source
            .as_ref()
            .map(RawSource::to_source)
            .unwrap_or(PackageSource::Registry { index: None });
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
            marker: None,
            dependencies,
            required_by: Vec::new(),
        });
    }
    let mut lock = Lock::structured(path, LockFormat::UvLock, text, packages, true);
    lock.root_dependencies = raw
        .manifest
        .requirements
        .iter()
        .chain(raw.manifest.dependency_groups.values().flatten())
        .map(|r| Dependency {
            name: PackageName::new(Ecosystem::Pypi, &r.name),
            version: None,
            marker: r.marker.clone(),
        })
        .collect();
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"version = 1
revision = 3
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9", size = 190490 }
wheels = [
    { url = "https://files.pythonhosted.org/idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3", size = 70442 },
]
"#;

    #[test]
    fn parses_packages_sources_and_lines() {
        let lock = parse(Path::new("uv.lock"), SAMPLE).unwrap();
        assert_eq!(lock.packages.len(), 2);
        assert_eq!(lock.packages[0].location.line, 5);
        assert!(matches!(
            lock.packages[0].source,
            PackageSource::Workspace { .. }
        ));
        assert_eq!(lock.packages[0].dependencies[0].name.as_str(), "idna");
        assert_eq!(lock.packages[1].location.line, 11);
        assert_eq!(lock.packages[1].hashes.len(), 2);
        assert_eq!(
            lock.packages[1].artifacts[1].filename.as_deref(),
            Some("idna-3.10-py3-none-any.whl")
        );
    }

    /// `[manifest]` requirements and groups are the root's edges; `[package.dependency-groups]`
    /// is read as `dev-dependencies`.
    #[test]
    fn reads_the_manifest_and_dependency_groups() {
        let text = r#"version = 1
revision = 3

[manifest]
requirements = [{ name = "six", specifier = "==1.17.0" }]

[manifest.dependency-groups]
lint = [{ name = "Ini_Config", marker = "python_version >= '3.9'" }]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }

[package.dependency-groups]
dev = [{ name = "idna" }]
"#;
        let lock = parse(Path::new("uv.lock"), text).unwrap();
        let roots: Vec<&str> = lock
            .root_dependencies
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(roots, ["six", "ini-config"]);
        assert_eq!(lock.packages[0].dependencies[0].name.as_str(), "idna");
    }

    #[test]
    fn rejects_unknown_version() {
        let err = parse(Path::new("uv.lock"), "version = 9\n").unwrap_err();
        assert_eq!(err.to_string(), "uv.lock:1: unsupported uv.lock version 9");
    }

    #[test]
    fn reports_toml_errors_with_line() {
        let err = parse(Path::new("uv.lock"), "version = 1\n\n[[package]\n").unwrap_err();
        assert!(err.to_string().starts_with("uv.lock:3:"), "{err}");
    }
}
