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
