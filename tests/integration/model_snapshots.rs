//! Snapshots of the parsed model, one file of each format.

use std::path::Path;

fn snapshot_of(path: &str) -> repro::lockfile::Lock {
    // cargo runs integration tests from the crate root, so corpus paths stay relative.
    repro::lockfile::load(Path::new(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn requirements_txt_model() {
    insta::assert_json_snapshot!(snapshot_of(
        "corpora/requirements-txt/valid/pip-compiled/requirements.txt"
    ));
}

#[test]
fn requirements_txt_with_include_model() {
    insta::assert_json_snapshot!(snapshot_of(
        "corpora/requirements-txt/valid/includes/requirements.txt"
    ));
}

#[test]
fn uv_lock_model() {
    insta::assert_json_snapshot!(snapshot_of("corpora/uv-lock/valid/app/uv.lock"));
}

#[test]
fn pylock_model() {
    insta::assert_json_snapshot!(snapshot_of("corpora/pylock/valid/pylock.toml"));
}

#[test]
fn cargo_lock_v1_model() {
    insta::assert_json_snapshot!(snapshot_of("corpora/cargo-lock/valid/v1/Cargo.lock"));
}

#[test]
fn cargo_lock_v3_model() {
    insta::assert_json_snapshot!(snapshot_of("corpora/cargo-lock/valid/v3/Cargo.lock"));
}
