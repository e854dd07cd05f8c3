//! Full closure from package metadata: with artifacts in the store and a target, every
//! `Requires-Dist` of every wheel the target installs (markers evaluated for the target and the
//! extras requested) must be satisfied by a package pinned in the same lock.
//!
//! Crates need no such pass: `Cargo.lock` is written by cargo from every crate's manifest and
//! already holds the whole graph, which the `Closure` rule checks.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use pep440_rs::Version;
use pep508_rs::{ExtraName, VersionOrUrl};

use crate::check::{Code, Context, Finding, Rule};
use crate::lockfile::{Lock, LockFormat, LockedPackage, PackageSource};
use crate::model::PackageName;
use crate::resolve::{Target, select};
use crate::store::Store;

/// Where the closure rule gets package metadata from.
pub trait PackageMetadata: Sync {
    /// The target whose markers are evaluated.
    fn target(&self) -> &Target;

    /// The `Requires-Dist` of the wheel the target would install for `pkg`: `None` when no such
    /// wheel is in the store, `Some(Err)` when it cannot be read.
    fn requires_dist(&self, pkg: &LockedPackage) -> Option<Result<Vec<String>, String>>;
}

/// Package metadata read from the wheels in an artifact store.
pub struct StoreMetadata<'a> {
    store: &'a Store,
    target: Target,
}

impl<'a> StoreMetadata<'a> {
    /// Metadata of `store`'s wheels for `target`.
    pub fn new(store: &'a Store, target: Target) -> Self {
        StoreMetadata { store, target }
    }
}

impl PackageMetadata for StoreMetadata<'_> {
    fn target(&self) -> &Target {
        &self.target
    }

    fn requires_dist(&self, pkg: &LockedPackage) -> Option<Result<Vec<String>, String>> {
        // The files of the package that are in the store, with the names they were fetched as.
        let present: Vec<(String, crate::store::ObjectId)> = pkg
            .hashes
            .iter()
            .filter(|d| d.algorithm().is_strong())
            .filter_map(|d| {
                let id = self.store.resolve(d)?;
                let rec = self.store.record(&id)?;
                let name = rec.filenames.iter().next()?.clone();
                // A changed object says nothing about the locked artifact: not present.
                self.store
                    .confirm(&id, std::slice::from_ref(d))
                    .ok()
                    .map(|_| (name, id))
            })
            .collect();
        let names: Vec<&str> = present.iter().map(|(n, _)| n.as_str()).collect();
        match select(&self.target, &names) {
            Some((i, true)) => Some(crate::metadata::wheel_requires_dist(
                &self.store.object_path(&present[i].1),
            )),
            _ => None,
        }
    }
}

/// `missing-dependency`, `metadata-unsatisfied` and `metadata-unavailable`, from wheel metadata.
pub struct MetadataClosure;

impl Rule for MetadataClosure {
    fn check_lock(&self, lock: &Lock, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(meta) = ctx.metadata else { return };
        if lock.format == LockFormat::CargoLock {
            return;
        }
        let env = meta.target().marker_environment();
        let lock_name = lock
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let by_name: HashMap<&PackageName, &LockedPackage> =
            lock.packages.iter().map(|p| (&p.name, p)).collect();
        // The packages the target installs: registry packages whose own marker holds.
        let installed: Vec<&LockedPackage> = lock
            .packages
            .iter()
            .filter(|p| matches!(p.source, PackageSource::Registry { .. }) && p.version.is_some())
            .filter(|p| marker_holds(p.marker.as_deref(), &env))
            .collect();
        let mut requires: HashMap<&PackageName, Vec<pep508_rs::Requirement>> = HashMap::new();
        for p in &installed {
            match meta.requires_dist(p) {
                None => out.push(
                    Finding::new(
                        Code::MetadataUnavailable,
                        p.location.clone(),
                        format!(
                            "no wheel of `{}` for `{}` is in the store: its requirements are unchecked",
                            p.spec(),
                            meta.target()
                        ),
                    )
                    .hint(format!("run `repro fetch --target {}` first", meta.target())),
                ),
                Some(Err(e)) => out.push(Finding::new(
                    Code::MetadataUnavailable,
                    p.location.clone(),
                    format!("cannot read the metadata of `{}`: {e}", p.spec()),
                )),
                Some(Ok(lines)) => {
                    let reqs = lines
                        .iter()
                        .filter_map(|l| crate::lockfile::requirements_txt::parse_pep508(l, Path::new(".")).ok()?.ok())
                        .map(|r| pep508_rs::Requirement {
                            name: r.name,
                            extras: r.extras,
                            version_or_url: match r.version_or_url {
                                Some(VersionOrUrl::VersionSpecifier(s)) => Some(VersionOrUrl::VersionSpecifier(s)),
                                _ => None,
                            },
                            marker: r.marker,
                            origin: None,
                        })
                        .collect();
                    requires.insert(&p.name, reqs);
                }
            }
        }
        // Extras requested of each package: on its lock line, or by a requirement that applies.
        let mut extras: HashMap<&PackageName, BTreeSet<ExtraName>> = installed
            .iter()
            .map(|p| {
                (
                    &p.name,
                    p.extras
                        .iter()
                        .filter_map(|e| ExtraName::new(e.clone()).ok())
                        .collect(),
                )
            })
            .collect();
        for _ in 0..16 {
            let mut changed = false;
            for p in &installed {
                let mine = extras_of(&extras, &p.name);
                for r in requires.get(&p.name).into_iter().flatten() {
                    if !r.marker.evaluate(&env, &mine) {
                        continue;
                    }
                    let target = PackageName::from(&r.name);
                    if let Some((key, _)) = by_name.get_key_value(&target) {
                        let set = extras.entry(key).or_default();
                        for e in &r.extras {
                            changed |= set.insert(e.clone());
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for p in &installed {
            let mine = extras_of(&extras, &p.name);
            for r in requires.get(&p.name).into_iter().flatten() {
                if !r.marker.evaluate(&env, &mine) {
                    continue;
                }
                let marker = r
                    .marker
                    .contents()
                    .map(|m| format!(" (marker: {m})"))
                    .unwrap_or_default();
                let spec = match &r.version_or_url {
                    Some(VersionOrUrl::VersionSpecifier(s)) => format!("{}{s}", r.name),
                    _ => r.name.to_string(),
                };
                match by_name.get(&PackageName::from(&r.name)) {
                    None => out.push(
                        Finding::new(
                            Code::MissingDependency,
                            p.location.clone(),
                            format!(
                                "{} requires {spec}{marker}, not locked in {lock_name}",
                                p.spec()
                            ),
                        )
                        .hint("recompile the lockfile for this target"),
                    ),
                    Some(dep) => {
                        let (Some(VersionOrUrl::VersionSpecifier(s)), Some(v)) =
                            (&r.version_or_url, &dep.version)
                        else {
                            continue;
                        };
                        if let Ok(version) = v.parse::<Version>()
                            && !s.contains(&version)
                        {
                            out.push(
                                Finding::new(
                                    Code::MetadataUnsatisfied,
                                    p.location.clone(),
                                    format!(
                                        "{} requires {spec}{marker}, but {lock_name} pins {}",
                                        p.spec(),
                                        dep.spec()
                                    ),
                                )
                                .hint("recompile the lockfile for this target"),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The extras requested of `name` so far.
fn extras_of(
    extras: &HashMap<&PackageName, BTreeSet<ExtraName>>,
    name: &PackageName,
) -> Vec<ExtraName> {
    extras
        .get(name)
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default()
}

/// Whether a lock line's marker holds for the target (markers PEP 508 cannot parse, such as
/// PEP 751's `dependency_groups`, are taken to hold).
fn marker_holds(marker: Option<&str>, env: &pep508_rs::MarkerEnvironment) -> bool {
    let Some(m) = marker else { return true };
    match crate::lockfile::requirements_txt::parse_pep508(&format!("x ; {m}"), Path::new(".")) {
        Ok(Ok(r)) => r.marker.evaluate(env, &[]),
        _ => true,
    }
}
