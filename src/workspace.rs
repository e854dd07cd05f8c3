//! The lockfiles of a run: every lockfile found under the paths a command was given, loaded in
//! parallel, with the files that failed to load; the one loader every command shares.

use std::collections::HashSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::check::LoadFailure;
use crate::lockfile::{self, Lock};

/// Lockfiles loaded in parallel between two checks of the run's entry cap.
const LOAD_BATCH: usize = 256;

/// Load every lockfile under `roots`. Files that fail to load are reported, not fatal; files
/// included (`-r`) by another lockfile found are checked as part of it, not again on their own.
pub fn load_all(roots: &[PathBuf]) -> (Vec<Lock>, Vec<LoadFailure>) {
    let mut locks = Vec::new();
    let mut failures = Vec::new();
    // The memory bound of a run: entries over all lockfiles (see MAX_RUN_ENTRIES).
    let mut entries = 0usize;
    'roots: for root in roots {
        let found = match lockfile::discover(root) {
            Ok(found) => found,
            Err(e) => {
                failures.push(LoadFailure::from_error(root, &e));
                continue;
            }
        };
        for problem in &found.problems {
            failures.push(LoadFailure::from_error(root, problem));
        }
        if found.locks.is_empty() && found.problems.is_empty() {
            failures.push(LoadFailure::from_error(
                root,
                &lockfile::LockError::NoLockfile { path: root.clone() },
            ));
        }
        // Loaded in parallel, a batch at a time, so the entry cap below still stops a run
        // within one batch of it; results keep discovery's order.
        for batch in found.locks.chunks(LOAD_BATCH) {
            let results: Vec<_> = batch
                .par_iter()
                .map(|(path, format)| match format {
                    Some(f) => lockfile::load_as(path, *f),
                    None => lockfile::load(path),
                })
                .collect();
            for ((path, _), result) in batch.iter().zip(results) {
                match result {
                    Ok(lock) => {
                        entries += lock.entries();
                        if entries > lockfile::MAX_RUN_ENTRIES {
                            failures.push(LoadFailure {
                            path: path.clone(),
                            line: 0,
                            message: format!(
                                "the lockfiles of this run hold more than {} entries together: stopped loading here",
                                lockfile::MAX_RUN_ENTRIES
                            ),
                            hint: Some("check the tree in smaller parts".to_string()),
                        });
                            break 'roots;
                        }
                        locks.push(lock);
                    }
                    Err(e) => failures.push(LoadFailure::from_error(path, &e)),
                }
            }
        }
    }
    let included: HashSet<PathBuf> = locks
        .iter()
        .flat_map(|l| &l.includes)
        .filter_map(|i| crate::fsio::canonicalize(&i.path).ok())
        .collect();
    if !included.is_empty() {
        locks.retain(|l| {
            crate::fsio::canonicalize(&l.path).map_or(true, |p| !included.contains(&p))
        });
    }
    (locks, failures)
}
