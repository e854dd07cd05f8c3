//! SBOM: the release's components, built from locks, rendered as CycloneDX.
//!
//! The domain model ([`Bom`]) is kept apart from the wire format ([`cyclonedx`], per spec
//! version). One component per distinct (ecosystem, name, version) across all locks, with the
//! lockfiles that use it, every digest the locks allow, and the dependency graph; one
//! application component per lockfile (a Lambda function), so that merging loses nothing. The
//! output is deterministic: sorted everywhere, the timestamp from `SOURCE_DATE_EPOCH`, and the
//! serial number a UUID v5 of the component set.

pub mod cyclonedx;
pub mod read;

use std::collections::{BTreeMap, BTreeSet};

use crate::digest::Digest;
use crate::lockfile::{Lock, LockFormat, PackageSource, RequiredBy};
use crate::model::{Ecosystem, PackageName};

/// A library component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Normalized name.
    pub name: PackageName,
    /// Version.
    pub version: String,
    /// Every digest the locks allow.
    pub hashes: BTreeSet<Digest>,
    /// The lockfiles (functions) that use it.
    pub used_by: BTreeSet<String>,
    /// Distribution URLs the locks name.
    pub urls: BTreeSet<String>,
    /// The licence its artifact declares, when the store holds one.
    pub license: Option<crate::metadata::License>,
    /// BLAKE3 of the exact artifact installed (SBOMs from a build manifest).
    pub blake3: BTreeSet<String>,
    /// The Trusted Publishers its artifacts' verified PEP 740 provenance names.
    pub publishers: BTreeSet<Publisher>,
}

/// A verified publisher of a component (PEP 740), as the SBOM records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Publisher {
    /// Who it is (`GitHub o/r, workflow release.yml`).
    pub description: String,
    /// The source repository its certificate names, when it names one.
    pub repository: Option<String>,
}

impl Component {
    /// The package URL (`pkg:pypi/six@1.17.0`, `pkg:cargo/itoa@1.0.11`), per the purl spec:
    /// PyPI names lower-cased with `_` as `-` (the PEP 503 form), versions percent-encoded.
    pub fn purl(&self) -> String {
        purl(self.ecosystem, self.name.as_str(), &self.version)
    }
}

/// The purl of a package.
pub fn purl(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!("pkg:{}/{}@{}", ecosystem.as_str(), enc(name), enc(version))
}

/// An application part of the release: one lockfile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Application {
    /// The lockfile's path, as given.
    pub path: String,
    /// SHA-256 of the lockfile.
    pub sha256: String,
}

/// The release as a bill of materials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bom {
    /// Release name.
    pub name: String,
    /// Release version.
    pub version: String,
    /// Timestamp (seconds since the Unix epoch), from `SOURCE_DATE_EPOCH`.
    pub timestamp: i64,
    /// Libraries, keyed by purl.
    pub components: BTreeMap<String, Component>,
    /// Applications (lockfiles).
    pub applications: Vec<Application>,
    /// Dependency graph: bom-ref → bom-refs it depends on (`release`, `app:<path>`, purls).
    pub dependencies: BTreeMap<String, BTreeSet<String>>,
}

impl Bom {
    /// The SBOM of a build: the exact artifacts the manifest says were resolved and installed
    /// (SHA-256 and BLAKE3), the input lockfiles as applications, the manifest's timestamp.
    pub fn from_manifest(manifest: &crate::manifest::Manifest, name: &str, version: &str) -> Bom {
        let mut components: BTreeMap<String, Component> = BTreeMap::new();
        let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let applications: Vec<Application> = manifest
            .build
            .inputs
            .iter()
            .map(|i| Application {
                path: i.path.clone(),
                sha256: i.sha256.clone(),
            })
            .collect();
        for app in &applications {
            dependencies
                .entry(RELEASE_REF.into())
                .or_default()
                .insert(app_ref(&app.path));
        }
        for r in &manifest.build.resolved {
            let ecosystem = Ecosystem::from_name(&r.ecosystem).unwrap_or(Ecosystem::Pypi);
            let name = PackageName::new(ecosystem, &r.name);
            let purl = purl(ecosystem, name.as_str(), &r.version);
            let c = components.entry(purl.clone()).or_insert_with(|| Component {
                ecosystem,
                name,
                version: r.version.clone(),
                hashes: BTreeSet::new(),
                used_by: BTreeSet::new(),
                urls: BTreeSet::new(),
                license: None,
                blake3: BTreeSet::new(),
                publishers: BTreeSet::new(),
            });
            if let Ok(d) = Digest::from_hex(crate::digest::HashAlgorithm::Sha256, &r.sha256) {
                c.hashes.insert(d);
            }
            c.blake3.insert(r.blake3.clone());
            // Each artifact is used by the lockfiles that lock it; a manifest from before that
            // was recorded attributes it to every input.
            if r.used_by.is_empty() {
                c.used_by
                    .extend(applications.iter().map(|a| a.path.clone()));
            } else {
                c.used_by.extend(r.used_by.iter().cloned());
            }
            dependencies.entry(purl.clone()).or_default();
            // The manifest records no graph: the release ships every resolved artifact.
            dependencies
                .entry(RELEASE_REF.into())
                .or_default()
                .insert(purl);
        }
        for app in &applications {
            dependencies.entry(app_ref(&app.path)).or_default();
        }
        Bom {
            name: name.to_string(),
            version: version.to_string(),
            timestamp: manifest.build.source_date_epoch,
            components,
            applications,
            dependencies,
        }
    }

    /// Read each component's licence from its artifact in `store` (a wheel's METADATA, a
    /// crate's Cargo.toml; the first artifact present that declares one). Components with no
    /// artifact in the store keep no licence.
    pub fn attach_licenses(&mut self, store: &crate::store::Store) {
        use crate::archive::ArchiveFormat;
        for c in self.components.values_mut() {
            for id in c.hashes.iter().filter_map(|d| store.resolve(d)) {
                let path = store.object_path(&id);
                let found = match ArchiveFormat::sniff(&path) {
                    Ok(Some(ArchiveFormat::Zip)) if c.ecosystem == Ecosystem::Pypi => {
                        crate::metadata::wheel_license(&path).ok().flatten()
                    }
                    Ok(Some(ArchiveFormat::TarGz)) if c.ecosystem == Ecosystem::Cargo => {
                        crate::metadata::crate_license(&path).ok().flatten()
                    }
                    _ => None,
                };
                if found.is_some() {
                    c.license = found;
                    break;
                }
            }
        }
    }

    /// Add dependency edges from the `Requires-Dist` of the wheels in `store` (for locks that
    /// record no edges, such as hand-written requirements files): A depends on B when a wheel of
    /// A requires B, B is a component, and a lockfile uses both. Requirements that only apply to
    /// an extra are skipped, since which extras are wanted is not known here.
    pub fn attach_wheel_dependencies(&mut self, store: &crate::store::Store) {
        use crate::archive::ArchiveFormat;
        let by_name: BTreeMap<(Ecosystem, PackageName), Vec<String>> =
            self.components
                .iter()
                .fold(BTreeMap::new(), |mut m, (purl, c)| {
                    m.entry((c.ecosystem, c.name.clone()))
                        .or_default()
                        .push(purl.clone());
                    m
                });
        let mut edges: Vec<(String, String)> = Vec::new();
        for (purl, c) in &self.components {
            if c.ecosystem != Ecosystem::Pypi {
                continue;
            }
            let wheel = c
                .hashes
                .iter()
                .filter_map(|d| store.resolve(d))
                .map(|id| store.object_path(&id))
                .find(|p| matches!(ArchiveFormat::sniff(p), Ok(Some(ArchiveFormat::Zip))));
            let Some(requires) = wheel.and_then(|w| crate::metadata::wheel_requires_dist(&w).ok())
            else {
                continue;
            };
            for line in requires {
                let Ok(Ok(req)) = crate::lockfile::requirements_txt::parse_pep508(
                    &line,
                    std::path::Path::new("."),
                ) else {
                    continue;
                };
                if req
                    .marker
                    .contents()
                    .is_some_and(|m| m.to_string().contains("extra"))
                {
                    continue;
                }
                let key = (Ecosystem::Pypi, PackageName::from(&req.name));
                for target in by_name.get(&key).into_iter().flatten() {
                    let shared = self.components[target]
                        .used_by
                        .iter()
                        .any(|u| c.used_by.contains(u));
                    if shared && target != purl {
                        edges.push((purl.clone(), target.clone()));
                    }
                }
            }
        }
        for (from, to) in edges {
            self.dependencies.entry(from).or_default().insert(to);
        }
    }

    /// Record the verified publishers of the components' artifacts, given by artifact SHA-256
    /// (the caller verified them: see `provenance::verified_publishers`).
    pub fn attach_publishers(&mut self, by_sha256: &BTreeMap<String, Vec<Publisher>>) {
        for c in self.components.values_mut() {
            for d in c
                .hashes
                .iter()
                .filter(|d| d.algorithm() == crate::digest::HashAlgorithm::Sha256)
            {
                if let Some(found) = by_sha256.get(&d.hex()) {
                    c.publishers.extend(found.iter().cloned());
                }
            }
        }
    }

    /// Components whose licence is unknown, or (with an allow-list of SPDX ids) not satisfied by
    /// the allowed licences: (purl, licence or `None`).
    pub fn license_problems(
        &self,
        allow: Option<&[String]>,
    ) -> Vec<(String, Option<crate::metadata::License>)> {
        use crate::metadata::License;
        let mut out = Vec::new();
        for (purl, c) in &self.components {
            let ok = match (&c.license, allow) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(License::Name(_)), Some(_)) => false,
                (Some(License::Expression(e)), Some(allowed)) => spdx::Expression::parse_mode(
                    e,
                    spdx::ParseMode {
                        allow_imprecise_license_names: true,
                        allow_slash_as_or_operator: true,
                        ..spdx::ParseMode::STRICT
                    },
                )
                .is_ok_and(|expr| {
                    expr.evaluate(|req| match &req.license {
                        spdx::LicenseItem::Spdx { id, .. } => {
                            allowed.iter().any(|a| a.eq_ignore_ascii_case(id.name))
                        }
                        spdx::LicenseItem::Other(_) => false,
                    })
                }),
            };
            if !ok {
                out.push((purl.clone(), c.license.clone()));
            }
        }
        out
    }
}

/// The bom-ref of an application (lockfile).
pub fn app_ref(path: &str) -> String {
    format!("app:{path}")
}

/// The bom-ref of the release itself.
pub const RELEASE_REF: &str = "release";

impl Bom {
    /// Build the SBOM of `locks`.
    pub fn generate(locks: &[Lock], name: &str, version: &str, timestamp: i64) -> Bom {
        let mut components: BTreeMap<String, Component> = BTreeMap::new();
        let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut applications = Vec::new();
        for lock in locks {
            let path = lock.path.display().to_string();
            let app = app_ref(&path);
            applications.push(Application {
                path: path.clone(),
                sha256: lock.sha256.hex(),
            });
            dependencies
                .entry(RELEASE_REF.into())
                .or_default()
                .insert(app.clone());
            dependencies.entry(app.clone()).or_default();
            // name → purl within this lock, to resolve edges that name packages.
            let mut by_name: BTreeMap<&PackageName, String> = BTreeMap::new();
            for p in &lock.packages {
                if matches!(p.source, PackageSource::Workspace { .. }) {
                    continue;
                }
                let Some(v) = &p.version else { continue };
                let purl = purl(lock.ecosystem, p.name.as_str(), v);
                by_name.insert(&p.name, purl.clone());
                let c = components.entry(purl.clone()).or_insert_with(|| Component {
                    ecosystem: lock.ecosystem,
                    name: p.name.clone(),
                    version: v.clone(),
                    hashes: BTreeSet::new(),
                    used_by: BTreeSet::new(),
                    urls: BTreeSet::new(),
                    license: None,
                    blake3: BTreeSet::new(),
                    publishers: BTreeSet::new(),
                });
                c.hashes.extend(p.hashes.iter().cloned());
                c.used_by.insert(path.clone());
                c.urls.extend(
                    p.artifacts
                        .iter()
                        .filter_map(|a| a.url.as_deref())
                        .filter(|u| u.starts_with("http"))
                        .map(crate::redact::redacted),
                );
                dependencies.entry(purl).or_default();
            }
            let has_reverse = lock.format == LockFormat::RequirementsTxt && lock.has_edges;
            // uv.lock's `[manifest]`: what the root itself requires.
            for d in &lock.root_dependencies {
                if let Some(t) = by_name.get(&d.name) {
                    dependencies
                        .entry(app.clone())
                        .or_default()
                        .insert(t.clone());
                }
            }
            for p in &lock.packages {
                let Some(me) = by_name.get(&p.name).cloned() else {
                    // A workspace member: its dependencies are the application's.
                    for d in &p.dependencies {
                        if let Some(t) = by_name.get(&d.name) {
                            dependencies
                                .entry(app.clone())
                                .or_default()
                                .insert(t.clone());
                        }
                    }
                    continue;
                };
                for d in &p.dependencies {
                    // Cargo names the version when two of a crate are locked: use it.
                    let exact = d
                        .version
                        .as_ref()
                        .map(|v| purl(lock.ecosystem, d.name.as_str(), v))
                        .filter(|u| components.contains_key(u));
                    if let Some(t) = exact.or_else(|| by_name.get(&d.name).cloned()) {
                        dependencies.entry(me.clone()).or_default().insert(t);
                    }
                }
                for r in &p.required_by {
                    match r {
                        RequiredBy::Package(q) => {
                            if let Some(parent) = by_name.get(q) {
                                dependencies
                                    .entry(parent.clone())
                                    .or_default()
                                    .insert(me.clone());
                            } else if lock.projects.contains(q) {
                                // `# via <project>`: the application itself requires it.
                                dependencies
                                    .entry(app.clone())
                                    .or_default()
                                    .insert(me.clone());
                            }
                        }
                        RequiredBy::Input(_) | RequiredBy::Constraint(_) => {
                            dependencies
                                .entry(app.clone())
                                .or_default()
                                .insert(me.clone());
                        }
                    }
                }
                // Without edges (a hand-written lock, pylock.toml without dependencies), every
                // package hangs off the application, so that nothing is unreachable.
                if !lock.has_edges || (has_reverse && p.required_by.is_empty()) {
                    dependencies
                        .entry(app.clone())
                        .or_default()
                        .insert(me.clone());
                }
            }
        }
        applications.sort();
        applications.dedup();
        Bom {
            name: name.to_string(),
            version: version.to_string(),
            timestamp,
            components,
            applications,
            dependencies,
        }
    }
}
