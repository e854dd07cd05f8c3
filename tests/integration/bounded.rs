//! Bounded: every input has a size, a time or a count it cannot exceed, and a special file
//! (FIFO, device) is refused without being read.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::repro;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Run `cmd`, killing it after `limit`: Ok(output) if it finished in time.
fn run_within(mut cmd: assert_cmd::Command, limit: Duration) -> std::process::Output {
    cmd.timeout(limit);
    let started = Instant::now();
    let out = cmd.output().unwrap();
    assert!(
        started.elapsed() < limit,
        "did not finish within {limit:?} (hung): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `-r` to a FIFO (or a lockfile that is one): refused at once, not a hang waiting for a writer.
#[test]
fn a_fifo_include_or_lockfile_is_refused_not_hung() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe.txt"));
    let lock = write(dir.path(), "requirements.txt", "-r pipe.txt\n");
    let mut cmd = repro();
    cmd.arg("check").arg(&lock);
    let out = run_within(cmd, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("requirements.txt:1: cannot read included file `pipe.txt`: is a FIFO"),
        "{text}"
    );
    // Named on the command line, and a device.
    for path in [dir.path().join("pipe.txt"), "/dev/zero".into()] {
        let mut cmd = repro();
        cmd.arg("check").arg(&path);
        let out = run_within(cmd, Duration::from_secs(10));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("not a regular file"), "{text}");
    }
}
