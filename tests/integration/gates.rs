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
