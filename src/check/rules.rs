//! The per-lock and whole-tree hermeticity rules.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::check::{Code, Context, Finding, Rule};
use crate::lockfile::{
    ArtifactKind, Lock, LockFormat, LockedPackage, OptionKind, PackageSource, Pin, RequiredBy,
};
use crate::model::{Ecosystem, Location, PackageName};

const COMPILE_HINT: &str = "pin and hash every package with `uv pip compile --generate-hashes` (or `pip-compile --generate-hashes`)";

/// `unpinned`, `arbitrary-equality`.
pub struct Pins;

impl Rule for Pins {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for p in &lock.packages {
            if !matches!(p.source, PackageSource::Registry { .. }) {
                continue;
            }
            match &p.pin {
                Pin::Exact => {}
                Pin::ArbitraryEquality => out.push(
                    Finding::new(
                        Code::ArbitraryEquality,
                        p.location.clone(),
                        format!(
                            "`{}==={}` pins by string comparison",
                            p.display_name,
                            p.version.as_deref().unwrap_or("")
                        ),
                    )
                    .hint("use `==` with a PEP 440 version"),
                ),
                Pin::Range(spec) => out.push(
                    Finding::new(
                        Code::Unpinned,
                        p.location.clone(),
                        format!("`{}{}` admits more than one version", p.display_name, spec),
                    )
                    .hint(COMPILE_HINT),
                ),
                Pin::None => out.push(
                    Finding::new(
                        Code::Unpinned,
                        p.location.clone(),
                        format!("`{}` has no version", p.display_name),
                    )
                    .hint(COMPILE_HINT),
                ),
            }
        }
    }
}

/// `unsafe-file-name`: artifact file names a lock records become file names in the store's
/// records and in wheelhouses, so each must be a plain file name.
pub struct FileNames;

impl Rule for FileNames {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for p in &lock.packages {
            for a in &p.artifacts {
                let Some(name) = a.filename.as_deref() else {
                    continue;
                };
                if let Some(why) = crate::fsio::unsafe_file_name(name) {
                    out.push(
                        Finding::new(
                            Code::UnsafeFileName,
                            p.location.clone(),
                            format!(
                                "`{}` names its artifact `{}`: {why}",
                                p.display_name,
                                name.escape_debug()
                            ),
                        )
                        .hint("a lock written by uv or pip never does this: regenerate it"),
                    );
                }
            }
        }
    }
}

/// `missing-hash`, `missing-checksum`, `weak-hash`.
pub struct Hashes;

impl Rule for Hashes {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let hash_mode = lock.packages.iter().any(|p| !p.hashes.is_empty());
        for p in &lock.packages {
            for d in p.hashes.iter().filter(|d| !d.algorithm().is_strong()) {
                out.push(
                    Finding::new(
                        Code::WeakHash,
                        p.location.clone(),
                        format!(
                            "`{}` allows a {} hash; any one matching hash admits an artifact",
                            p.spec(),
                            d.algorithm()
                        ),
                    )
                    .hint("use sha256 hashes only"),
                );
            }
            // Sources whose identity is not a file hash are judged by the `Sources` rule.
            let hashed_source = match &p.source {
                PackageSource::Registry { .. } => true,
                PackageSource::Url { .. } | PackageSource::Path { .. } => false,
                _ => false,
            };
            if !hashed_source || !p.hashes.is_empty() {
                continue;
            }
            let finding = match lock.format {
                LockFormat::CargoLock => Finding::new(
                    Code::MissingChecksum,
                    p.location.clone(),
                    format!("registry crate `{}` has no checksum", p.spec()),
                )
                .hint("regenerate Cargo.lock with a current cargo"),
                LockFormat::RequirementsTxt if hash_mode => Finding::new(
                    Code::MissingHash,
                    p.location.clone(),
                    format!(
                        "`{}` has no `--hash`, but other requirements in this file do: pip refuses to install it in hash-checking mode",
                        p.spec()
                    ),
                )
                .hint(COMPILE_HINT),
                LockFormat::UvLock | LockFormat::Pylock if p.artifacts.is_empty() => {
                    Finding::new(
                        Code::MissingHash,
                        p.location.clone(),
                        format!("`{}` names no artifact, so no hash pins it", p.spec()),
                    )
                }
                _ => Finding::new(
                    Code::MissingHash,
                    p.location.clone(),
                    format!("`{}` has no hash", p.spec()),
                )
                .hint(COMPILE_HINT),
            };
            out.push(finding);
        }
    }
}

/// `url-requirement`, `local-path-requirement`, `vcs-requirement`, `git-unpinned`,
/// `editable-requirement`.
pub struct Sources;

impl Rule for Sources {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for p in &lock.packages {
            let loc = p.location.clone();
            match &p.source {
                PackageSource::Url { url } if p.hashes.is_empty() => out.push(
                    Finding::new(
                        Code::UrlRequirement,
                        loc,
                        format!("{} comes from URL `{url}` with no hash", p.subject()),
                    )
                    .hint("add `#sha256=<digest>` to the URL or a `--hash` option"),
                ),
                PackageSource::Path { path } if p.hashes.is_empty() => out.push(
                    Finding::new(
                        Code::LocalPathRequirement,
                        loc,
                        format!("{} comes from local path `{path}` with no hash", p.subject()),
                    )
                    .hint("publish the package to the index, or pin the built file by hash"),
                ),
                PackageSource::Editable { path } => out.push(
                    Finding::new(
                        Code::EditableRequirement,
                        loc,
                        format!("{} is an editable install of `{path}`", p.subject()),
                    )
                    .hint("install a built, hashed release instead"),
                ),
                PackageSource::Git { url, .. } if lock.format == LockFormat::RequirementsTxt => {
                    out.push(
                        Finding::new(
                            Code::VcsRequirement,
                            loc,
                            format!("`{}` is checked out from `{url}`: a checkout has no hash", p.display_name),
                        )
                        .hint("depend on a released, hashed artifact"),
                    )
                }
                PackageSource::Git { url, commit: None } => out.push(
                    Finding::new(
                        Code::GitUnpinned,
                        loc,
                        format!("`{}` comes from `{url}`, not pinned to a full commit", p.display_name),
                    )
                    .hint("pin it to a full commit id (`rev = \"<commit>\"` in Cargo.toml, `@<commit>` in a requirement)"),
                ),
                PackageSource::Git { url, commit: Some(_) }
                    if lock.ecosystem == Ecosystem::Pypi =>
                {
                    out.push(Finding {
                        severity: crate::check::Severity::Warning,
                        ..Finding::new(
                            Code::VcsRequirement,
                            loc,
                            format!(
                                "`{}` is built from a git commit of `{url}`: pinned, but its artifact has no hash",
                                p.display_name
                            ),
                        )
                    })
                }
                _ => {}
            }
        }
    }
}

/// The default indexes: PyPI's simple API, crates.io.
fn is_default_index(url: &str) -> bool {
    let u = url.trim_end_matches('/');
    matches!(
        u,
        "https://pypi.org/simple" | "https://pypi.python.org/simple"
    )
}

/// `extra-index-url`, `non-default-index`, `trusted-host`, `find-links`.
pub struct IndexOptions;

impl Rule for IndexOptions {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for o in &lock.options {
            let value = o.value.as_deref().unwrap_or("");
            let loc = o.location.clone();
            match o.kind {
                OptionKind::ExtraIndexUrl => out.push(
                    Finding::new(
                        Code::ExtraIndexUrl,
                        loc,
                        format!(
                            "`--extra-index-url {value}` lets two indexes serve the same names"
                        ),
                    )
                    .hint("use one index (a mirror or proxy that merges them) with `--index-url`"),
                ),
                OptionKind::IndexUrl if !is_default_index(value) => out.push(Finding::new(
                    Code::NonDefaultIndex,
                    loc,
                    format!("`--index-url {value}` overrides the default index"),
                )),
                OptionKind::TrustedHost => out.push(
                    Finding::new(
                        Code::TrustedHost,
                        loc,
                        format!(
                            "`--trusted-host {value}` turns off TLS verification for that host"
                        ),
                    )
                    .hint("serve the index over verified HTTPS"),
                ),
                OptionKind::FindLinks => out.push(Finding::new(
                    Code::FindLinks,
                    loc,
                    format!("`--find-links {value}` adds an unindexed source of artifacts"),
                )),
                _ => {}
            }
        }
        let mut seen = HashSet::new();
        for p in &lock.packages {
            let PackageSource::Registry { index: Some(index) } = &p.source else {
                continue;
            };
            let default = match lock.ecosystem {
                Ecosystem::Pypi => is_default_index(index),
                Ecosystem::Cargo => false,
            };
            if !default && seen.insert(index.clone()) {
                out.push(Finding::new(
                    Code::NonDefaultIndex,
                    p.location.clone(),
                    format!("`{}` comes from registry `{index}`", p.spec()),
                ));
            }
        }
    }
}

/// `duplicate-requirement`.
pub struct Duplicates;

impl Rule for Duplicates {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if lock.format != LockFormat::RequirementsTxt {
            return;
        }
        let mut first: HashMap<&PackageName, &LockedPackage> = HashMap::new();
        for p in &lock.packages {
            if p.marker.is_some() {
                continue;
            }
            match first.get(&p.name) {
                Some(earlier) => out.push(
                    Finding::new(
                        Code::DuplicateRequirement,
                        p.location.clone(),
                        format!(
                            "`{}` is listed again (first at {})",
                            p.spec(),
                            earlier.location
                        ),
                    )
                    .hint("keep one line per package"),
                ),
                None => {
                    first.insert(&p.name, p);
                }
            }
        }
    }
}

/// Reverse edges of a lock: who requires each package.
fn reverse_edges(lock: &Lock) -> HashMap<&PackageName, Vec<&LockedPackage>> {
    let mut rev: HashMap<&PackageName, Vec<&LockedPackage>> = HashMap::new();
    for p in &lock.packages {
        for d in &p.dependencies {
            rev.entry(&d.name).or_default().push(p);
        }
    }
    rev
}

/// The chain from `start` up to a top-level requirement, pip style:
/// `zope.event==5.0 -> -r requirements.in`.
fn chain(lock: &Lock, start: &LockedPackage) -> String {
    let by_name: HashMap<&PackageName, &LockedPackage> =
        lock.packages.iter().map(|p| (&p.name, p)).collect();
    let rev = reverse_edges(lock);
    let mut parts = vec![start.spec()];
    let mut seen = HashSet::from([&start.name]);
    let mut current = start;
    for _ in 0..32 {
        // requirements.txt: follow `# via`; structured formats: follow reverse edges.
        let next = current.required_by.iter().find_map(|r| match r {
            RequiredBy::Package(n) => by_name.get(n).copied(),
            _ => None,
        });
        let next = next.or_else(|| {
            rev.get(&current.name)
                .and_then(|v| v.iter().copied().find(|p| !seen.contains(&p.name)))
        });
        match next {
            Some(n) if seen.insert(&n.name) => {
                parts.push(n.spec());
                current = n;
            }
            _ => {
                if let Some(RequiredBy::Input(i) | RequiredBy::Constraint(i)) =
                    current.required_by.first()
                {
                    parts.push(i.clone());
                } else if matches!(current.source, PackageSource::Workspace { .. })
                    || lock.format == LockFormat::RequirementsTxt
                {
                    parts.push(current.location.to_string());
                }
                break;
            }
        }
    }
    parts.join(" -> ")
}

/// `missing-dependency`, `unsafe-unpinned`.
pub struct Closure;

impl Rule for Closure {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let names: HashSet<&PackageName> = lock.packages.iter().map(|p| &p.name).collect();
        let versions: HashSet<(&PackageName, &str)> = lock
            .packages
            .iter()
            .filter_map(|p| p.version.as_deref().map(|v| (&p.name, v)))
            .collect();
        for p in &lock.packages {
            for r in &p.required_by {
                // `# via <project>`: the lock's own project (or a workspace member) requires it,
                // an edge from the root (`uv export` writes these).
                if let RequiredBy::Package(q) = r
                    && !names.contains(q)
                    && !lock.projects.contains(q)
                {
                    out.push(
                        Finding::new(
                            Code::MissingDependency,
                            p.location.clone(),
                            format!(
                                "`{q}` is not locked, yet `# via {q}` says it requires `{}`",
                                p.spec()
                            ),
                        )
                        .hint(COMPILE_HINT),
                    );
                }
            }
            for d in &p.dependencies {
                let present = match (&d.version, lock.ecosystem) {
                    // uv.lock names a version only to tell two locked versions apart.
                    (Some(v), _) => {
                        versions.contains(&(&d.name, v.as_str()))
                            || (lock.ecosystem == Ecosystem::Pypi && names.contains(&d.name))
                    }
                    (None, _) => names.contains(&d.name),
                };
                if !present {
                    let needed = match &d.version {
                        Some(v) => format!("{}=={v}", d.name),
                        None => d.name.to_string(),
                    };
                    out.push(
                        Finding::new(
                            Code::MissingDependency,
                            p.location.clone(),
                            format!("{needed} (from {}) is not locked", chain(lock, p)),
                        )
                        .hint("regenerate the lockfile"),
                    );
                }
            }
        }
        for d in &lock.root_dependencies {
            if !names.contains(&d.name) {
                out.push(
                    Finding::new(
                        Code::MissingDependency,
                        Location::file(&lock.path),
                        format!(
                            "{} (required by the lock's root: `[manifest]`) is not locked",
                            d.name
                        ),
                    )
                    .hint("regenerate the lockfile"),
                );
            }
        }
        for c in &lock.commented_out {
            out.push(
                Finding::new(
                    Code::UnsafeUnpinned,
                    c.location.clone(),
                    format!("`{}` is required but left unpinned as a comment", c.text),
                )
                .hint("re-run pip-compile with `--allow-unsafe` so it is pinned and hashed"),
            );
        }
    }
}

/// `orphan`.
pub struct Orphans;

impl Rule for Orphans {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if !lock.has_edges {
            return;
        }
        match lock.format {
            LockFormat::RequirementsTxt => {
                for p in lock.packages.iter().filter(|p| p.required_by.is_empty()) {
                    out.push(
                        Finding::new(
                            Code::Orphan,
                            p.location.clone(),
                            format!("`{}` has no `# via`: nothing requires it", p.spec()),
                        )
                        .hint("remove it, or add it to the input file and recompile"),
                    );
                }
            }
            // A pylock.toml does not say which packages are top-level.
            LockFormat::Pylock => {}
            LockFormat::UvLock | LockFormat::CargoLock => {
                let rev = reverse_edges(lock);
                let from_root: HashSet<&PackageName> =
                    lock.root_dependencies.iter().map(|d| &d.name).collect();
                for p in &lock.packages {
                    if matches!(p.source, PackageSource::Workspace { .. })
                        || rev.contains_key(&p.name)
                        || from_root.contains(&p.name)
                    {
                        continue;
                    }
                    out.push(
                        Finding::new(
                            Code::Orphan,
                            p.location.clone(),
                            format!("`{}` is locked, but no package depends on it", p.spec()),
                        )
                        .hint("regenerate the lockfile to drop it"),
                    );
                }
            }
        }
    }
}

/// `sdist-only`.
pub struct SdistOnly;

impl Rule for SdistOnly {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for p in &lock.packages {
            let has = |k| p.artifacts.iter().any(|a| a.kind == k);
            if has(ArtifactKind::Sdist) && !has(ArtifactKind::Wheel) {
                out.push(
                    Finding::new(
                        Code::SdistOnly,
                        p.location.clone(),
                        format!(
                            "`{}` has only a source distribution: building it needs build dependencies the lock does not pin",
                            p.spec()
                        ),
                    )
                    .hint("prefer a version with wheels, or pin the build backend too"),
                );
            }
        }
    }
}

/// `include-outside-tree`.
pub struct Includes;

impl Rule for Includes {
    fn check_lock(&self, lock: &Lock, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let roots: Vec<_> = ctx
            .roots
            .iter()
            .filter_map(|r| crate::fsio::canonicalize(r).ok())
            .map(|r| {
                if r.is_file() {
                    r.parent().map(|p| p.to_path_buf()).unwrap_or(r)
                } else {
                    r
                }
            })
            .collect();
        if roots.is_empty() {
            return;
        }
        for inc in &lock.includes {
            let Ok(target) = crate::fsio::canonicalize(&inc.path) else {
                continue;
            };
            if !roots.iter().any(|r| target.starts_with(r)) {
                out.push(
                    Finding::new(
                        Code::IncludeOutsideTree,
                        inc.location.clone(),
                        format!(
                            "`{}` includes `{}`, outside the checked tree",
                            lock.path.display(),
                            inc.written
                        ),
                    )
                    .hint("check the parent directory too, or vendor the included file"),
                );
            }
        }
    }
}

/// `version-conflict`: one package, several versions across the tree.
pub struct WorkspaceVersions;

impl Rule for WorkspaceVersions {
    fn check_all(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        // (ecosystem, name) -> version -> locations
        let mut seen: BTreeMap<(Ecosystem, &PackageName), BTreeMap<&str, Vec<&Location>>> =
            BTreeMap::new();
        for lock in ctx.locks {
            // A Cargo.lock may legitimately hold two semver-incompatible versions of a crate.
            if lock.ecosystem == Ecosystem::Cargo {
                continue;
            }
            // One version per file: a package listed twice in one file is `duplicate-requirement`,
            // and a universal lock may split a package by marker.
            let mut firsts: HashSet<&PackageName> = HashSet::new();
            for p in lock.packages.iter().filter(|p| firsts.insert(&p.name)) {
                if let Some(v) = &p.version {
                    seen.entry((lock.ecosystem, &p.name))
                        .or_default()
                        .entry(v.as_str())
                        .or_default()
                        .push(&p.location);
                }
            }
        }
        for ((_, name), versions) in seen {
            if versions.len() < 2 {
                continue;
            }
            // Point at the first file of the least-used version: the likely straggler.
            let (_, locs) = versions
                .iter()
                .min_by_key(|(v, locs)| (locs.len(), *v))
                .expect("two or more versions");
            let listing: Vec<String> = versions
                .iter()
                .map(|(v, locs)| {
                    let n = locs.len();
                    format!("{v} in {n} file{}", if n == 1 { "" } else { "s" })
                })
                .collect();
            out.push(
                Finding::new(
                    Code::VersionConflict,
                    locs[0].clone(),
                    format!(
                        "`{name}` is pinned at {} versions: {}",
                        versions.len(),
                        listing.join(", ")
                    ),
                )
                .hint("align the pins, or accept the drift with a reason"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_indexes() {
        assert!(is_default_index("https://pypi.org/simple/"));
        assert!(!is_default_index("https://mirror.example.org/simple"));
    }
}
