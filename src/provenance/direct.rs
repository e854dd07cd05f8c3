//! Which packages of a lock are its direct dependencies: the ones a person asked for, whose
//! publisher they chose to trust (the rest came along with those).
//!
//! - `requirements.txt`: packages annotated `# via -r requirements.in` (or another input, such
//!   as `# via project (pyproject.toml)`), and every requirement of the `.in` beside the lock
//!   (following its `-r` includes, as `repro check` does).
//! - `uv.lock`: the dependencies (with optional and dev dependencies) of the workspace members.
//! - `pylock.toml`: the packages no other locked package depends on.
//!
//! A lock that says nothing about its top level (a hand-written requirements file without
//! annotations and without an `.in`, a pylock.toml without dependency lists) has every package
//! taken as direct, and the answer says so.

use std::collections::BTreeSet;

use crate::lockfile::{Lock, LockFormat, PackageSource, RequiredBy};
use crate::model::PackageName;

/// The direct dependencies of a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Direct {
    /// Their names.
    pub names: BTreeSet<PackageName>,
    /// Why every package was taken as direct, when the lock records no top level.
    pub everything: Option<String>,
}

impl Direct {
    /// Whether `name` is direct.
    pub fn contains(&self, name: &PackageName) -> bool {
        self.everything.is_some() || self.names.contains(name)
    }
}

/// The `.in` file a `.txt` lock was compiled from: same directory, same stem (as `repro check`
/// finds it).
fn input_for(lock_path: &std::path::Path) -> Option<std::path::PathBuf> {
    let stem = lock_path.file_stem()?;
    let candidate = lock_path.with_file_name(format!("{}.in", stem.to_string_lossy()));
    candidate.is_file().then_some(candidate)
}

/// The direct dependencies of `lock`.
pub fn direct(lock: &Lock) -> Direct {
    let mut names = BTreeSet::new();
    let everything = match lock.format {
        LockFormat::RequirementsTxt => {
            for p in &lock.packages {
                if p.required_by
                    .iter()
                    .any(|r| matches!(r, RequiredBy::Input(_)))
                {
                    names.insert(p.name.clone());
                }
            }
            if let Some(input) = input_for(&lock.path)
                && let Ok((_, files)) = crate::lockfile::requirements_txt::load_tree(&input)
            {
                for line in files.iter().flat_map(|f| &f.requirements) {
                    if let Some(req) = &line.requirement {
                        names.insert(PackageName::from(&req.name));
                    }
                }
            }
            names.is_empty().then(|| {
                format!(
                    "`{}` records no top-level requirement (no `# via -r` annotation, no `.in` \
                     beside it): every package is taken as direct",
                    lock.path.display()
                )
            })
        }
        LockFormat::UvLock => {
            let members: Vec<_> = lock
                .packages
                .iter()
                .filter(|p| matches!(p.source, PackageSource::Workspace { .. }))
                .collect();
            for m in &members {
                names.extend(m.dependencies.iter().map(|d| d.name.clone()));
            }
            members.is_empty().then(|| {
                format!(
                    "`{}` has no workspace member: every package is taken as direct",
                    lock.path.display()
                )
            })
        }
        LockFormat::Pylock | LockFormat::CargoLock => {
            let required: BTreeSet<&PackageName> = lock
                .packages
                .iter()
                .flat_map(|p| p.dependencies.iter().map(|d| &d.name))
                .collect();
            if lock.has_edges && !required.is_empty() {
                names.extend(
                    lock.packages
                        .iter()
                        .filter(|p| !required.contains(&p.name))
                        .map(|p| p.name.clone()),
                );
                None
            } else {
                Some(format!(
                    "`{}` records no dependency edges: every package is taken as direct",
                    lock.path.display()
                ))
            }
        }
    };
    Direct { names, everything }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn names(d: &Direct) -> Vec<&str> {
        d.names.iter().map(PackageName::as_str).collect()
    }

    #[test]
    fn requirements_top_level_comes_from_via_and_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("requirements.txt");
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        std::fs::write(
            &lock,
            format!("certifi==2024.8.30 \\\n    --hash=sha256:{A}\n    # via requests\nrequests==2.32.3 \\\n    --hash=sha256:{B}\n    # via -r requirements.in\n", A = a, B = b),
        )
        .unwrap();
        let l = crate::lockfile::load(&lock).unwrap();
        assert_eq!(names(&direct(&l)), ["requests"]);
        std::fs::write(dir.path().join("requirements.in"), "requests\nCertifi\n").unwrap();
        assert_eq!(names(&direct(&l)), ["certifi", "requests"]);
    }

    #[test]
    fn a_lock_without_top_level_takes_everything() {
        let l = crate::lockfile::parse(
            Path::new("requirements.txt"),
            &format!("six==1.17.0 --hash=sha256:{}\n", "a".repeat(64)),
            LockFormat::RequirementsTxt,
        )
        .unwrap();
        let d = direct(&l);
        assert!(d.everything.is_some());
        assert!(d.contains(&PackageName::new(crate::model::Ecosystem::Pypi, "six")));
    }

    #[test]
    fn uv_lock_top_level_is_the_workspace_members_dependencies() {
        let text = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "requests" }]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "certifi" }]

[[package]]
name = "certifi"
version = "2024.8.30"
source = { registry = "https://pypi.org/simple" }
"#;
        let l = crate::lockfile::parse(Path::new("uv.lock"), text, LockFormat::UvLock).unwrap();
        assert_eq!(names(&direct(&l)), ["requests"]);
    }
}
