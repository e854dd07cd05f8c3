//! Private stays private: secrets handed to `repro` (a file that is not a lockfile, credentials
//! in an index URL) and private findings never reach what it prints or writes.

use std::path::Path;

use crate::repro;

/// Everything a run printed.
fn output_of(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `-r /proc/self/environ`: the process environment is not a lockfile, and the error about it
/// must not print the token it holds.
#[test]
fn an_include_of_the_environment_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let lock = write(dir.path(), "requirements.txt", "-r /proc/self/environ\n");
    let out = repro()
        .env_clear()
        .env("GITHUB_TOKEN", "ghp_s3cretT0kenValue")
        .args(["check"])
        .arg(&lock)
        .output()
        .unwrap();
    let text = output_of(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("/proc/self/environ:1"), "{text}");
    for secret in ["ghp_s3cretT0kenValue", "GITHUB_TOKEN"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

/// A `.netrc` (or any file that is not a requirements file) included by mistake: no line of it
/// is quoted, whichever parser error it trips.
#[test]
fn an_included_netrc_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    for (i, netrc) in [
        "machine pypi.example.org login alice password hunter2secret\n",
        "machine pypi.example.org\n  login alice\n  password hunter2secret\n",
        "password=hunter2secret\n",
        "--password hunter2secret\n",
        "-phunter2secret\n",
        "alice[hunter2secret.]==1\n",
        "alice ; hunter2secret == '1'\n",
        "alice==1 --hash=hunter2secret:00\n",
        "alice @ https://x.org/a.whl#sha256=hunter2secret\n",
    ]
    .iter()
    .enumerate()
    {
        write(dir.path(), ".netrc", netrc);
        let lock = write(dir.path(), "requirements.txt", "-r .netrc\n");
        let out = repro().arg("check").arg(&lock).output().unwrap();
        let text = output_of(&out);
        assert_eq!(out.status.code(), Some(2), "case {i}: {text}");
        assert!(text.contains(".netrc:1"), "case {i}: {text}");
        for secret in ["hunter2secret", "alice"] {
            assert!(!text.contains(secret), "case {i}: {secret} leaked: {text}");
        }
    }
}

/// TOML lockfiles: a parser error names the line, never a value of the file (a package name in
/// `repro audit` is private too).
#[test]
fn toml_lockfile_errors_quote_no_value() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "uv.lock",
            "version = 1\n\n[[package]]\nname = \"secretpkg\"\nversion = \"1.0\"\nsource = \"secretpkg-source\"\n",
        ),
        (
            "pylock.toml",
            "lock-version = \"1.0\"\n\n[[packages]]\nname = \"secretpkg\"\nversion = [\"secretpkg-1.0\"]\n",
        ),
        (
            "Cargo.lock",
            "version = 3\n\n[[package]]\nname = \"secretpkg\"\nversion = \"1.0.0\"\ndependencies = [\"secretdep 9\"]\n",
        ),
        ("pylock.toml", "lock-version = \"secretpkg-9\"\n"),
    ] {
        let sub = dir.path().join(format!("{}", text.len()));
        std::fs::create_dir_all(&sub).unwrap();
        let lock = write(&sub, name, text);
        let out = repro().arg("check").arg(&lock).output().unwrap();
        let printed = output_of(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {printed}");
        for secret in ["secretpkg", "secretdep", "1.0.0"] {
            assert!(
                !printed.contains(secret),
                "{name}: {secret} leaked: {printed}"
            );
        }
    }
}
