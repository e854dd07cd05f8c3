//! The file system side of `--vary`: copying the build tree, handing the second build's tree to
//! another user and back, the disorderfs view, and the directory of tools at another path.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::build::BuildError;
use crate::build::vary::variation::{Account, is_executable};

/// Copy the build tree for a varied build: every file copied, never linked (one build must not
/// change the other's inputs); `.git`, `target`, `.repro/home` and `skip` (the `--keep`
/// directory, when it is inside the tree) left out.
pub(crate) fn copy_tree(src: &Path, dst: &Path, skip: Option<&Path>) -> Result<(), BuildError> {
    let skipped = |rel: &Path| {
        rel.starts_with(".git")
            || rel.starts_with("target")
            || rel.starts_with(".repro/home")
            || skip.is_some_and(|s| rel == s)
    };
    let mut walk = walkdir::WalkDir::new(src)
        .follow_links(false)
        .min_depth(1)
        .into_iter();
    while let Some(e) = walk.next() {
        let e = e.map_err(|e| BuildError::Io {
            action: "cannot walk",
            path: e.path().unwrap_or(src).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("file system loop")),
        })?;
        let rel = e.path().strip_prefix(src).expect("under the root");
        if skipped(rel) {
            if e.file_type().is_dir() {
                walk.skip_current_dir();
            }
            continue;
        }
        let to = dst.join(rel);
        let ft = e.file_type();
        let copied = if ft.is_dir() {
            std::fs::create_dir_all(&to)
        } else if ft.is_symlink() {
            std::fs::read_link(e.path()).and_then(|t| std::os::unix::fs::symlink(t, &to))
        } else {
            std::fs::copy(e.path(), &to).map(|_| ())
        };
        copied.map_err(BuildError::io("cannot copy", e.path()))?;
    }
    Ok(())
}

/// Give every file under `root` (and `root` itself) to `account`, without following links.
fn chown_tree(root: &Path, account: Account) -> Result<(), BuildError> {
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.map_err(|e| BuildError::Io {
            action: "cannot walk",
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("file system loop")),
        })?;
        std::os::unix::fs::lchown(e.path(), Some(account.uid), Some(account.gid))
            .map_err(BuildError::io("cannot change the owner of", e.path()))?;
    }
    Ok(())
}

/// Directories lent to another account while the second build runs: given back by
/// [`Lent::give_back`], or on drop (errors ignored) when something failed on the way, so that
/// nothing is left owned by another user. A directory that does not exist (the tree moved) is
/// passed over.
pub(crate) struct Lent {
    dirs: Vec<PathBuf>,
    owner: Account,
    out: bool,
}

impl Lent {
    /// Give `dirs` to `to`; `owner` gets them back.
    pub fn lend(dirs: Vec<PathBuf>, to: Account, owner: Account) -> Result<Lent, BuildError> {
        let lent = Lent {
            dirs,
            owner,
            out: true,
        };
        for d in lent.dirs.iter().filter(|d| d.exists()) {
            chown_tree(d, to)?;
        }
        Ok(lent)
    }

    /// Give every directory back to its owner.
    pub fn give_back(mut self) -> Result<(), BuildError> {
        self.out = false;
        for d in self.dirs.iter().filter(|d| d.exists()) {
            chown_tree(d, self.owner)?;
        }
        Ok(())
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if self.out {
            for d in self.dirs.iter().filter(|d| d.exists()) {
                let _ = chown_tree(d, self.owner);
            }
        }
    }
}

/// A disorderfs mount that shuffles directory entries, unmounted on drop.
pub(crate) struct Disorderfs {
    mountpoint: PathBuf,
    mounted: bool,
}

impl Disorderfs {
    /// Mount `src` at `mountpoint`; `Err(why)` when FUSE refuses. `multi_user` lets other
    /// users in, acting with their own rights (the second build may run as another user).
    pub fn mount(
        disorderfs: &Path,
        src: &Path,
        mountpoint: &Path,
        multi_user: bool,
    ) -> Result<Disorderfs, String> {
        let out = Command::new(disorderfs)
            .arg("--shuffle-dirents=yes")
            .arg(if multi_user {
                "--multi-user=yes"
            } else {
                "--multi-user=no"
            })
            .arg("--quiet")
            .arg(src)
            .arg(mountpoint)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `{}`: {e}", disorderfs.display()))?;
        if out.status.success() {
            Ok(Disorderfs {
                mountpoint: mountpoint.to_path_buf(),
                mounted: true,
            })
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "disorderfs could not mount ({}){}",
                out.status,
                match err.trim().lines().last() {
                    Some(l) if !l.trim().is_empty() => format!(": {}", l.trim()),
                    _ => String::new(),
                }
            ))
        }
    }

    /// Unmount; whether it is gone.
    pub fn unmount(&mut self) -> bool {
        if !self.mounted {
            return true;
        }
        // disorderfs 0.5 is a FUSE 3 file system (fusermount3); older ones use fusermount;
        // root can always umount.
        for (tool, args) in [
            ("fusermount3", &["-u"][..]),
            ("fusermount", &["-u"][..]),
            ("umount", &[][..]),
        ] {
            let done = Command::new(tool)
                .args(args)
                .arg(&self.mountpoint)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if done {
                self.mounted = false;
                return true;
            }
        }
        false
    }
}

impl Drop for Disorderfs {
    fn drop(&mut self) {
        self.unmount();
    }
}

/// Fill `dir` with a link to every executable on `path` (the first of each name, as a `PATH`
/// search finds it), so that a build whose `PATH` starts with `dir` runs the same tools from
/// another directory. Links point at the `PATH` entry, not its target, so that multi-call
/// tools and shims still see the name they were called by.
pub(crate) fn link_tools(dir: &Path, path: &str) -> Result<usize, BuildError> {
    std::fs::create_dir_all(dir).map_err(BuildError::io("cannot create", dir))?;
    let mut seen = std::collections::BTreeSet::new();
    for d in std::env::split_paths(path) {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            let from = d.join(&name);
            if !is_executable(&from) {
                continue;
            }
            let link = dir.join(&name);
            std::os::unix::fs::symlink(&from, &link)
                .map_err(BuildError::io("cannot link", &link))?;
            seen.insert(name);
        }
    }
    Ok(seen.len())
}

/// Point `dir/name` at `target`, replacing what is there.
pub(crate) fn relink(dir: &Path, name: &str, target: &Path) -> Result<(), BuildError> {
    let link = dir.join(name);
    match std::fs::remove_file(&link) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BuildError::io("cannot replace", &link)(e)),
    }
    std::os::unix::fs::symlink(target, &link).map_err(BuildError::io("cannot link", &link))
}
