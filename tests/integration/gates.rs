//! Gates fail closed: a check that could not look at something does not pass it.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::{check_json, repro};

const SIX: &str =
    "six==1.17.0 --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `a` and `b` both include `base`: `base`'s packages are in the lock once, not duplicates.
#[test]
fn a_diamond_of_includes_is_not_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base.txt", SIX);
    write(dir.path(), "a.txt", "-r base.txt\n");
    write(dir.path(), "b.txt", "-r base.txt\n");
    let root = write(dir.path(), "requirements.txt", "-r a.txt\n-r b.txt\n");
    let (code, report) = check_json(&[root.to_str().unwrap()]);
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"duplicate-requirement"), "{report:#}");
    assert_eq!(report["totals"]["packages"], 1, "{report:#}");
    assert_eq!(code, 0, "{report:#}");
}

/// Each file includes the next twice, 20 deep: one read per file, not 2^20.
#[test]
fn a_chain_of_double_includes_is_read_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 20;
    for i in 0..depth {
        write(
            dir.path(),
            &format!("r{i}.txt"),
            &format!("-r r{n}.txt\n-r r{n}.txt\n", n = i + 1),
        );
    }
    write(dir.path(), &format!("r{depth}.txt"), SIX);
    let root = write(dir.path(), "requirements.txt", "-r r0.txt\n");
    let started = Instant::now();
    let (code, report) = check_json(&[root.to_str().unwrap()]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(report["totals"]["packages"], 1, "{report:#}");
    assert_eq!(code, 0, "{report:#}");
    let _ = repro;
}

/// Without `--report`, the private findings go to the state directory (0700), not to the
/// current directory (usually a git work tree).
#[test]
fn audit_report_defaults_to_a_private_state_directory() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    std::fs::create_dir(dir.join("db")).unwrap();
    std::fs::write(
        dir.join("db/a.json"),
        r#"{"id":"PYSEC-T-1","affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    write(dir, "requirements.txt", "demo==1.0\n");
    let work = dir.join("work");
    std::fs::create_dir(&work).unwrap();
    let run = |env: &[(&str, std::path::PathBuf)]| {
        let mut cmd = repro();
        cmd.current_dir(&work)
            .env_remove("XDG_STATE_HOME")
            .args(["audit", "--now", "2026-12-03", "--db"])
            .arg(dir.join("db"))
            .arg(dir.join("requirements.txt"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // $XDG_STATE_HOME/repro.
    let out = run(&[("XDG_STATE_HOME", dir.join("state"))]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = dir.join("state/repro/audit-report.txt");
    assert!(report.is_file());
    assert!(String::from_utf8_lossy(&out.stdout).contains(report.to_str().unwrap()));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.join("state/repro")), 0o700);
    assert_eq!(mode(&report), 0o600);
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "nothing in the work tree"
    );
    // Else ~/.local/state/repro.
    let out = run(&[("HOME", dir.join("home"))]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("home/.local/state/repro/audit-report.txt")
            .is_file()
    );
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "nothing in the work tree"
    );
    // A state directory others may enter is refused.
    std::fs::set_permissions(
        dir.join("state/repro"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let out = run(&[("XDG_STATE_HOME", dir.join("state"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mode 0755"));
}

/// A symbolic link named `requirements.txt` is checked (under the link's name), not skipped;
/// a link loop is reported, not followed forever.
#[test]
fn symlinked_lockfiles_are_followed_and_named_by_the_link() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    std::fs::create_dir_all(dir.join("shared")).unwrap();
    std::fs::create_dir_all(dir.join("tree/fn")).unwrap();
    // Unpinned: a lock that must fail the check if it is read at all.
    write(&dir.join("shared"), "pins.txt", "six>=1\n");
    std::os::unix::fs::symlink(
        "../../shared/pins.txt",
        dir.join("tree/fn/requirements.txt"),
    )
    .unwrap();
    // A directory link back up: not followed, so no loop.
    std::os::unix::fs::symlink("..", dir.join("tree/fn/up")).unwrap();
    let tree = dir.join("tree");
    let (code, report) = check_json(&[tree.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["totals"]["lockfiles"], 1, "{report:#}");
    let link = tree.join("fn/requirements.txt");
    assert_eq!(report["locks"][0]["path"], link.to_str().unwrap());
    assert_eq!(report["findings"][0]["code"], "unpinned");

    // The same through `repro audit`: the package is audited.
    std::fs::write(dir.join("shared/pins.txt"), "demo==1.0\n").unwrap();
    std::fs::create_dir(dir.join("db")).unwrap();
    std::fs::write(
        dir.join("db/a.json"),
        r#"{"id":"PYSEC-T-1","affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    let out = repro()
        .args(["audit", "--now", "2026-12-03", "--db"])
        .arg(dir.join("db"))
        .arg(&tree)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("1 packages audited"), "{text}");

    // A link loop with a lockfile's name: reported (exit 2), the walk ends.
    std::os::unix::fs::symlink("uv.lock", dir.join("tree/uv.lock")).unwrap();
    let (code, report) = check_json(&[tree.to_str().unwrap()]);
    assert_eq!(code, 2, "{report:#}");
    assert!(
        report["failures"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("tree/uv.lock"),
        "{report:#}"
    );
}

/// A lockfile whose path is not UTF-8 is reported, not skipped.
#[test]
fn lockfiles_with_names_that_are_not_utf8_are_reported() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let name = std::ffi::OsStr::from_bytes(b"requirements-\xff.txt");
    std::fs::write(dir.join(name), "six>=1\n").unwrap();
    let sub = dir.join(std::ffi::OsStr::from_bytes(b"fn-\xfe"));
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("requirements.txt"), "six>=1\n").unwrap();
    for json in [true, false] {
        let out = repro()
            .arg("check")
            .args(json.then_some("--json"))
            .arg(dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert_eq!(
            text.matches("the path is not valid UTF-8").count(),
            2,
            "{text}"
        );
        assert!(
            !text.contains("0 lockfiles, 0 packages, 0 hashes: hermetic"),
            "{text}"
        );
    }
}

/// A path given on the command line that holds no lockfile is an error, not "0 lockfiles:
/// hermetic".
#[test]
fn a_path_with_no_lockfile_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    write(dir, "README.md", "nothing to see\n");
    let (code, report) = check_json(&[dir.to_str().unwrap()]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["hermetic"], false);
    assert!(
        report["failures"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("holds no lockfile"),
        "{report:#}"
    );
    let out = repro()
        .args(["audit", "--db"])
        .arg(dir)
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no lockfile"));
}

/// `check --target` with wheels missing from the store: "closure not checked", exit 1, unless
/// `--allow-unchecked-closure`.
#[test]
fn an_unchecked_closure_fails_under_target() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let lock = write(dir, "requirements.txt", SIX);
    let run = |extra: &[&str]| {
        repro()
            .args(["check", "--target", "lambda-python3.12-x86_64", "--store"])
            .arg(dir.join("empty-store"))
            .args(extra)
            .arg(&lock)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(": closure not checked ("), "{text}");
    assert!(text.contains("--allow-unchecked-closure"), "{text}");
    let out = run(&["--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["hermetic"], false);
    assert_eq!(report["closure"]["unchecked"], 1);
    let out = run(&["--allow-unchecked-closure"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(": hermetic, closure not checked ("), "{text}");
}
