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

/// The version line of each toolchain present on PATH.
pub fn toolchains() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, cmd, args) in [
        ("python", "python3", &["--version"][..]),
        ("pip", "python3", &["-m", "pip", "--version"][..]),
        ("uv", "uv", &["--version"][..]),
        ("rustc", "rustc", &["--version"][..]),
        ("cargo", "cargo", &["--version"][..]),
    ] {
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
