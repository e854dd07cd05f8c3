//! Snapshots of both renderings of a report: the human text and the JSON document.

use crate::repro;

fn run(args: &[&str]) -> String {
    let out = repro().args(args).output().expect("run repro");
    format!(
        "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn human_report_of_non_hermetic_uv_locks() {
    insta::assert_snapshot!(run(&["check", "corpora/uv-lock/nonhermetic"]));
}

#[test]
fn human_report_of_a_hermetic_tree() {
    insta::assert_snapshot!(run(&["check", "corpora/requirements-txt/valid"]));
}

#[test]
fn human_report_of_a_malformed_file() {
    insta::assert_snapshot!(run(&[
        "check",
        "corpora/requirements-txt/invalid/wrong-length-hash.requirements.txt"
    ]));
}

#[test]
fn quiet_prints_the_summary_only() {
    insta::assert_snapshot!(run(&["check", "-q", "corpora/cargo-lock"]));
}

#[test]
fn json_report_of_non_hermetic_cargo_locks() {
    let (code, report) = crate::check_json(&["corpora/cargo-lock/nonhermetic"]);
    assert_eq!(code, 1);
    insta::assert_json_snapshot!(report);
}

#[test]
fn json_report_of_a_malformed_file() {
    let (code, report) = crate::check_json(&["corpora/uv-lock/invalid"]);
    assert_eq!(code, 2);
    insta::assert_json_snapshot!(report);
}

#[test]
fn help_lists_check() {
    let out = repro().arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("check"));
}

#[test]
fn usage_error_exits_2() {
    let out = repro()
        .args(["check", "--deny", "everything"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_path_exits_2_naming_it() {
    let out = repro().args(["check", "no/such/dir"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no/such/dir"));
}

#[test]
fn rules_are_listed_with_their_explanation() {
    insta::assert_snapshot!(run(&["check", "--rules"]));
}
