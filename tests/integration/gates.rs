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
