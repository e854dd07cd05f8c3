//! Input consistency: a `requirements.txt` compiled from a `requirements.in` beside it must
//! satisfy every requirement of the `.in` (following its `-r` includes), and every top-level
//! requirement of the `.txt` (`# via -r …`) must come from the `.in`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pep440_rs::Version;
use pep508_rs::VersionOrUrl;

use crate::check::{Code, Context, Finding, Rule};
use crate::lockfile::requirements_txt::load_tree;
use crate::lockfile::{IncludeKind, Lock, LockError, LockFormat, RequiredBy};
use crate::model::{Location, PackageName};

/// `input-not-locked`, `input-not-satisfied`, `stale-top-level`, `input-unreadable`.
pub struct InputConsistency;

/// The `.in` file a `.txt` lock was compiled from: same directory, same stem.
pub fn input_for(lock_path: &Path) -> Option<PathBuf> {
    let stem = lock_path.file_stem()?;
    let candidate = lock_path.with_file_name(format!("{}.in", stem.to_string_lossy()));
    candidate.is_file().then_some(candidate)
}

impl Rule for InputConsistency {
    fn check_lock(&self, lock: &Lock, _ctx: &Context<'_>, out: &mut Vec<Finding>) {
        if lock.format != LockFormat::RequirementsTxt {
            return;
        }
        let Some(input) = input_for(&lock.path) else {
            return;
        };
        let files = match load_tree(&input) {
            Ok((_, files)) => files,
            Err(e) => {
                let location = match &e {
                    LockError::Syntax { location, .. } => location.clone(),
                    _ => Location::file(&input),
                };
                out.push(Finding::new(
                    Code::InputUnreadable,
                    location,
                    format!(
                        "cannot check `{}` against its input: {e}",
                        lock.path.display()
                    ),
                ));
                return;
            }
        };
        let constraint_files: Vec<&PathBuf> = files
            .iter()
            .flat_map(|f| &f.includes)
            .filter(|i| i.kind == IncludeKind::Constraint)
            .map(|i| &i.path)
            .collect();
        let locked: HashMap<&PackageName, _> = lock.packages.iter().map(|p| (&p.name, p)).collect();
        let mut asked: Vec<PackageName> = Vec::new();
        for file in files
            .iter()
            .filter(|f| !constraint_files.contains(&&f.path))
        {
            for line in &file.requirements {
                let Some(req) = &line.requirement else {
                    continue;
                };
                let name = PackageName::from(&req.name);
                asked.push(name.clone());
                let here = Location::new(&file.path, line.line);
                let Some(pkg) = locked.get(&name) else {
                    // A requirement whose marker is false where the lock was compiled is absent
                    // by design; only an unconditional one must be locked.
                    if req.marker.contents().is_none() {
                        out.push(
                            Finding::new(
                                Code::InputNotLocked,
                                here,
                                format!("`{req}` is not locked in `{}`", lock.path.display()),
                            )
                            .hint("recompile the lockfile from its input"),
                        );
                    }
                    continue;
                };
                let (Some(VersionOrUrl::VersionSpecifier(specs)), Some(v)) =
                    (&req.version_or_url, &pkg.version)
                else {
                    continue;
                };
                let Ok(version) = v.parse::<Version>() else {
                    continue;
                };
                if !specs.contains(&version) {
                    out.push(
                        Finding::new(
                            Code::InputNotSatisfied,
                            pkg.location.clone(),
                            format!(
                                "`{}` does not satisfy `{}{}` asked at {here}",
                                pkg.spec(),
                                req.name,
                                specs
                            ),
                        )
                        .hint("recompile the lockfile from its input"),
                    );
                }
            }
        }
        if !lock.has_edges {
            return;
        }
        for p in &lock.packages {
            let top_level = p
                .required_by
                .iter()
                .any(|r| matches!(r, RequiredBy::Input(i) if i.starts_with("-r")));
            if top_level && !asked.contains(&p.name) {
                out.push(
                    Finding::new(
                        Code::StaleTopLevel,
                        p.location.clone(),
                        format!(
                            "`{}` is a top-level requirement, but `{}` does not ask for it",
                            p.spec(),
                            input.display()
                        ),
                    )
                    .hint("recompile the lockfile from its input"),
                );
            }
        }
    }
}
