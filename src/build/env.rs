//! The environment a build command runs in, and the facts of the machine it runs on.
//!
//! The command gets a cleared environment with fixed values (time zone, locale, hash seed, an
//! installer that can only read the verified wheelhouse) and the host's `PATH` and a `HOME` in
//! the build directory; the manifest records the same environment with host-specific values as
//! placeholders, so two machines record the same thing.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::build::BuildError;

/// Run `command` in `dir` with `env` (in that order) under `umask`.
pub fn run_command(
    command: &[String],
    dir: &Path,
    env: &[(String, String)],
    umask: &str,
) -> Result<std::process::ExitStatus, BuildError> {
    let home = dir.join(".repro/home");
    std::fs::create_dir_all(&home).map_err(BuildError::io("cannot create", &home))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask}; exec \"$@\""))
        .arg("repro-build")
        .args(command)
        .current_dir(dir)
        .env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status().map_err(|source| BuildError::Command {
        command: command.join(" "),
        source,
    })
}

/// The normalized environment: (what the command gets, what the manifest records). Host-specific
/// values (PATH, HOME, the build directory) are recorded as placeholders so that two machines
/// record the same thing.
pub fn environment(
    epoch: i64,
    wheelhouse: &str,
    target: &crate::resolve::Target,
    build_dir: &Path,
) -> (Vec<(String, String)>, BTreeMap<String, String>) {
    let home = build_dir.join(".repro/home");
    let fixed = [
        ("SOURCE_DATE_EPOCH", epoch.to_string()),
        ("TZ", "UTC".into()),
        ("LC_ALL", "C.UTF-8".into()),
        ("LANG", "C.UTF-8".into()),
        ("PYTHONHASHSEED", "0".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("PIP_NO_INDEX", "1".into()),
        ("PIP_FIND_LINKS", wheelhouse.into()),
        ("PIP_REQUIRE_HASHES", "1".into()),
        ("PIP_CONFIG_FILE", "/dev/null".into()),
        ("PIP_DISABLE_PIP_VERSION_CHECK", "1".into()),
        ("PIP_ROOT_USER_ACTION", "ignore".into()),
        ("UV_FIND_LINKS", wheelhouse.into()),
        ("UV_OFFLINE", "1".into()),
        ("UV_NO_CONFIG", "1".into()),
        ("CARGO_NET_OFFLINE", "true".into()),
        ("REPRO_TARGET", target.name.clone()),
        // For installers that must be told the target: pip's --platform (repeated, pip does
        // not expand manylinux tags itself) and --python-version.
        ("REPRO_PLATFORMS", target.platforms.join(" ")),
        (
            "REPRO_PYTHON_VERSION",
            format!("{}.{}", target.python.0, target.python.1),
        ),
        ("REPRO_WHEELHOUSE", wheelhouse.into()),
    ];
    let mut actual: Vec<(String, String)> = fixed
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut recorded: BTreeMap<String, String> = actual.iter().cloned().collect();
    actual.push((
        "PATH".into(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
    ));
    recorded.insert("PATH".into(), "${PATH}".into());
    actual.push(("HOME".into(), home.display().to_string()));
    recorded.insert("HOME".into(), "${BUILD_DIR}/.repro/home".into());
    recorded.insert("umask".into(), "022".into());
    (actual, recorded)
}

/// The version line of each toolchain the inputs imply and that is present on PATH: python,
/// pip and uv for PyPI locks, rustc and cargo for Cargo.lock. A pure-Python build records no
/// Rust toolchain, so a verifier without Rust records the same.
pub fn toolchains(ecosystems: &[crate::model::Ecosystem]) -> BTreeMap<String, String> {
    use crate::model::Ecosystem;
    let mut out = BTreeMap::new();
    for (eco, name, cmd, args) in [
        (Ecosystem::Pypi, "python", "python3", &["--version"][..]),
        (
            Ecosystem::Pypi,
            "pip",
            "python3",
            &["-m", "pip", "--version"][..],
        ),
        (Ecosystem::Pypi, "uv", "uv", &["--version"][..]),
        (Ecosystem::Cargo, "rustc", "rustc", &["--version"][..]),
        (Ecosystem::Cargo, "cargo", "cargo", &["--version"][..]),
    ] {
        if !ecosystems.contains(&eco) {
            continue;
        }
        let Ok(o) = Command::new(cmd)
            .args(args)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .output()
        else {
            continue;
        };
        if !o.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(if o.stdout.is_empty() {
            &o.stderr
        } else {
            &o.stdout
        })
        .trim()
        .to_string();
        // `pip 23.2 from /home/…/site-packages/pip (python 3.11)`: drop the host path.
        let text = match text.split_once(" from ") {
            Some((head, tail)) => format!(
                "{head} {}",
                tail.rsplit_once(' ').map(|(_, t)| t).unwrap_or("")
            )
            .trim()
            .to_string(),
            None => text,
        };
        out.insert(name.to_string(), text);
    }
    out
}

/// A build command as the manifest records it: an absolute program path that `PATH` resolves
/// by name to the same file becomes that name, a path under the build directory becomes
/// `${BUILD_DIR}/…`; the second value lists the other absolute paths, which make the command
/// differ on a machine with another layout.
pub fn normalize_command(
    command: &[String],
    build_dir: &Path,
    path_var: Option<&std::ffi::OsStr>,
) -> (Vec<String>, Vec<String>) {
    let same_file = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    };
    let on_path = |p: &Path| -> Option<String> {
        let name = p.file_name()?;
        std::env::split_paths(path_var?)
            .map(|dir| dir.join(name))
            .find(|c| c.is_file())
            .filter(|c| same_file(c, p))
            .map(|_| name.to_string_lossy().into_owned())
    };
    let roots: Vec<std::path::PathBuf> =
        [Some(build_dir.to_path_buf()), build_dir.canonicalize().ok()]
            .into_iter()
            .flatten()
            .collect();
    let mut flagged = Vec::new();
    let normalized = command
        .iter()
        .map(|arg| {
            let p = Path::new(arg);
            if !p.is_absolute() {
                return arg.clone();
            }
            if let Some(rel) = roots.iter().find_map(|r| p.strip_prefix(r).ok()) {
                return format!("${{BUILD_DIR}}/{}", rel.display());
            }
            if let Some(name) = on_path(p) {
                return name;
            }
            flagged.push(arg.clone());
            arg.clone()
        })
        .collect();
    (normalized, flagged)
}

/// Whether the build tree has uncommitted changes (`None` when it is not a git checkout).
pub fn git_dirty(dir: &Path) -> Option<bool> {
    let out = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(dir)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(!out.stdout.is_empty())
}

/// The git remote and commit of the build tree, when it is a checkout.
pub fn git_source(dir: &Path) -> crate::attest::SourceInfo {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = git(&["rev-parse", "HEAD"]);
    // A remote cloned with a token (`https://x-access-token:…@github.com/…`) keeps it in its URL.
    let uri =
        git(&["remote", "get-url", "origin"]).map(|u| format!("git+{}", crate::redact::redact(&u)));
    crate::attest::SourceInfo {
        uri: uri.or_else(|| commit.as_ref().map(|_| "git+local-checkout".to_string())),
        commit,
        dirty: git_dirty(dir),
    }
}

/// The host name (ignored by comparison; recorded in the manifest's `host`).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Where this machine keeps the interpreter and tools a build command run in `dir` with `env`
/// would find, as absolute paths: each of `python3`, `pip`, `uv`, `cargo` and `rustc` on the
/// command's `PATH` (as found, and with links resolved: a pyenv shim and the interpreter behind
/// it), and what that interpreter says of itself: `sys.executable`, `sys.prefix`,
/// `sys.base_prefix`, `sys.exec_prefix` (a venv and the Python it was made from). Installers
/// write these into what they install (pip: the shebang of every console script), so they are
/// host paths an output must not carry.
pub fn tool_paths(
    dir: &Path,
    env: &[(String, String)],
) -> Vec<(crate::hazard::HazardKind, std::path::PathBuf)> {
    use crate::hazard::HazardKind;
    let path = env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| std::ffi::OsString::from(v))
        .unwrap_or_default();
    let path = path.as_os_str();
    let mut out = Vec::new();
    for (name, kind) in [
        ("python3", HazardKind::InterpreterPath),
        ("pip", HazardKind::ToolPath),
        ("pip3", HazardKind::ToolPath),
        ("uv", HazardKind::ToolPath),
        ("cargo", HazardKind::ToolPath),
        ("rustc", HazardKind::ToolPath),
    ] {
        let Some(found) = find_on_path(name, path) else {
            continue;
        };
        if name == "python3" {
            for p in interpreter_paths(&found, dir, env) {
                push_resolved(&mut out, kind, p);
            }
        }
        push_resolved(&mut out, kind, found);
    }
    out
}

/// A path, and the same with links resolved when that differs.
fn push_resolved(
    out: &mut Vec<(crate::hazard::HazardKind, std::path::PathBuf)>,
    kind: crate::hazard::HazardKind,
    p: std::path::PathBuf,
) {
    if let Ok(real) = std::fs::canonicalize(&p)
        && real != p
    {
        out.push((kind, real));
    }
    out.push((kind, p));
}

/// The first executable regular file `name` in an absolute directory of `path`.
fn find_on_path(name: &str, path: &std::ffi::OsStr) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// What the interpreter at `python`, run as the build command would run it, says of its own
/// location.
fn interpreter_paths(
    python: &Path,
    dir: &Path,
    env: &[(String, String)],
) -> Vec<std::path::PathBuf> {
    let Ok(o) = Command::new(python)
        .args([
            "-I",
            "-c",
            "import sys\nfor p in (sys.executable, sys.prefix, sys.base_prefix, sys.exec_prefix): print(p)",
        ])
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
    else {
        return Vec::new();
    };
    if !o.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .collect()
}

/// The user running the build: `USER`, else `LOGNAME`, else the password database's entry for
/// the owner of this process.
pub fn user_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var)
            && !u.is_empty()
        {
            return Some(u);
        }
    }
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    // The password database is small; a larger file is not one.
    let passwd = crate::fsio::read_to_string_capped(Path::new("/etc/passwd"), 16 << 20).ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

/// The host strings of this machine that a build's outputs must not carry: the build directory
/// and the store (each as given and resolved), the real `HOME`, the user and host names, and
/// the interpreter and tools the build command (run with `env`) finds ([`tool_paths`]). Unfit
/// ones (too short, too generic) are dropped when compiled ([`crate::hazard::Needles::new`]).
pub fn host_needles(
    build_dir: &Path,
    store_root: &Path,
    env: &[(String, String)],
) -> Vec<crate::hazard::Needle> {
    use crate::hazard::{HazardKind, Needle};
    let mut paths: Vec<(HazardKind, std::path::PathBuf)> = Vec::new();
    push_resolved(&mut paths, HazardKind::BuildDir, build_dir.to_path_buf());
    let store = if store_root.is_absolute() {
        store_root.to_path_buf()
    } else {
        build_dir.join(store_root)
    };
    push_resolved(&mut paths, HazardKind::StorePath, store);
    if let Some(home) = std::env::var_os("HOME").map(std::path::PathBuf::from)
        && home.is_absolute()
    {
        push_resolved(&mut paths, HazardKind::Home, home);
    }
    paths.extend(tool_paths(build_dir, env));
    let mut needles: Vec<Needle> = paths
        .into_iter()
        .map(|(kind, p)| {
            use std::os::unix::ffi::OsStrExt;
            Needle::new(kind, p.as_os_str().as_bytes())
        })
        .collect();
    if let Some(user) = user_name() {
        needles.push(Needle::new(HazardKind::User, user));
    }
    let host = hostname();
    if !host.is_empty() {
        needles.push(Needle::new(HazardKind::Hostname, host));
    }
    needles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recorded_without_host_paths() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let tool = bin.join("mytool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        let build = dir.path().join("build");
        std::fs::create_dir(&build).unwrap();
        let path_var = std::env::join_paths([&bin]).unwrap();
        let command: Vec<String> = vec![
            tool.display().to_string(),
            build.join("scripts/go.sh").display().to_string(),
            "/opt/somewhere/else".into(),
            "relative/arg".into(),
        ];
        let (normalized, flagged) = normalize_command(&command, &build, Some(&path_var));
        assert_eq!(
            normalized,
            vec![
                "mytool",
                "${BUILD_DIR}/scripts/go.sh",
                "/opt/somewhere/else",
                "relative/arg"
            ]
        );
        assert_eq!(flagged, vec!["/opt/somewhere/else"]);
        // A program of the same name elsewhere on PATH is not the same program.
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("mytool"), "#!/bin/sh\necho other\n").unwrap();
        let path_var = std::env::join_paths([&other, &bin]).unwrap();
        let (normalized, flagged) = normalize_command(&command[..1], &build, Some(&path_var));
        assert_eq!(normalized, vec![tool.display().to_string()]);
        assert_eq!(flagged.len(), 1);
    }

    #[test]
    fn a_python_build_records_no_rust_toolchain() {
        let t = toolchains(&[crate::model::Ecosystem::Pypi]);
        assert!(
            !t.contains_key("rustc") && !t.contains_key("cargo"),
            "{t:?}"
        );
    }
}
