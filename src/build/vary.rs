//! `repro build --vary`: two builds of one tree under different conditions, then a diff of
//! their outputs, to see non-determinism before a second machine does.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::BuildError;
use crate::build::env::run_command;
use crate::diff::{DiffOptions, DiffReport};

/// Copy the build tree for a varied build: every file copied, never linked (one build must not
/// change the other's inputs); `.git`, `target`, `.repro/home` skipped.
fn copy_tree(src: &Path, dst: &Path) -> Result<(), BuildError> {
    let skip = |rel: &Path| {
        rel.starts_with(".git") || rel.starts_with("target") || rel.starts_with(".repro/home")
    };
    for e in walkdir::WalkDir::new(src).follow_links(false).min_depth(1) {
        let e = e.map_err(|e| BuildError::Io {
            action: "cannot walk",
            path: e.path().unwrap_or(src).to_path_buf(),
            source: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("file system loop")),
        })?;
        let rel = e.path().strip_prefix(src).expect("under the root");
        if skip(rel) {
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

/// A disorderfs mount that shuffles directory entries, unmounted on drop.
struct Disorderfs {
    mountpoint: PathBuf,
}

impl Disorderfs {
    /// Mount `src` at `mountpoint`, or `None` when disorderfs is not installed or FUSE refuses.
    fn mount(src: &Path, mountpoint: &Path) -> Option<Disorderfs> {
        let status = Command::new("disorderfs")
            .args(["--shuffle-dirents=yes", "--multi-user=no", "--quiet"])
            .arg(src)
            .arg(mountpoint)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Disorderfs {
            mountpoint: mountpoint.to_path_buf(),
        })
    }
}

impl Drop for Disorderfs {
    fn drop(&mut self) {
        let unmounted = Command::new("fusermount")
            .arg("-u")
            .arg(&self.mountpoint)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg(&self.mountpoint).status();
        }
    }
}

/// What `--vary` found.
#[derive(Debug)]
pub enum VaryOutcome {
    /// The command failed in one of the builds.
    CommandFailed {
        /// Where.
        dir: PathBuf,
        /// Its exit status.
        status: std::process::ExitStatus,
    },
    /// Both builds ran; their outputs compared.
    Compared {
        /// The differences between the two builds' outputs.
        report: DiffReport,
        /// Whether the second build saw its directories in a shuffled order (disorderfs).
        shuffled: bool,
    },
}

/// Two builds of `command` in copies of `build_dir` under different conditions (another path,
/// umask, time zone, locale, reversed environment order, and a shuffled directory order where
/// disorderfs is installed), then a diff of `outputs`.
pub fn vary(
    command: &[String],
    outputs: &[String],
    env: &[(String, String)],
    build_dir: &Path,
) -> Result<VaryOutcome, BuildError> {
    let root = tempfile::Builder::new()
        .prefix("repro-vary-")
        .tempdir()
        .map_err(BuildError::io(
            "cannot create a temp dir in",
            &std::env::temp_dir(),
        ))?;
    let a = root.path().join("a");
    let b_src = root.path().join("b-src");
    for d in [&a, &b_src] {
        std::fs::create_dir_all(d).map_err(BuildError::io("cannot create", d))?;
        copy_tree(build_dir, d)?;
    }
    // The second build runs in a deeper path, through disorderfs where it is installed, so that
    // directories list their entries in a shuffled order.
    let b = root.path().join("b/a/much/deeper/build/path");
    std::fs::create_dir_all(&b).map_err(BuildError::io("cannot create", &b))?;
    let shuffled = Disorderfs::mount(&b_src, &b);
    let b = if shuffled.is_some() {
        b
    } else {
        let parent = b.parent().expect("nested");
        std::fs::remove_dir_all(root.path().join("b"))
            .and_then(|_| std::fs::create_dir_all(parent))
            .and_then(|_| std::fs::rename(&b_src, &b))
            .map_err(BuildError::io("cannot prepare", &b))?;
        b
    };
    // The second build: another umask, time zone and locale, the environment in reverse order.
    let mut varied: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "TZ" => (k.clone(), "Etc/GMT-14".to_string()),
            "LC_ALL" | "LANG" => (k.clone(), "C".to_string()),
            "HOME" => (k.clone(), b.join(".repro/home").display().to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    varied.reverse();
    let home_a: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| {
            if k == "HOME" {
                (k.clone(), a.join(".repro/home").display().to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    for (dir, env, umask) in [(&a, &home_a, "022"), (&b, &varied, "002")] {
        let status = run_command(command, dir, env, umask)?;
        if !status.success() {
            return Ok(VaryOutcome::CommandFailed {
                dir: dir.clone(),
                status,
            });
        }
    }
    let options = DiffOptions::default();
    let mut differences = Vec::new();
    for o in outputs {
        crate::diff::compare_paths(&a.join(o), &b.join(o), o, &options, &mut differences)?;
    }
    let shuffled_used = shuffled.is_some();
    drop(shuffled);
    let report = DiffReport {
        schema: crate::diff::REPORT_SCHEMA,
        a: a.clone(),
        b: b.clone(),
        identical: differences.is_empty(),
        differences,
        notes: Vec::new(),
    };
    Ok(VaryOutcome::Compared {
        report,
        shuffled: shuffled_used,
    })
}
