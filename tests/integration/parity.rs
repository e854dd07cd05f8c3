//! Regression tests for the disagreements with pip and uv found on real lockfiles, one per
//! numbered item of the issue "Agree with pip and uv on real lockfiles". Each fixture under
//! `corpora/parity/` is a file pip and uv both read (or, for a refusal, read differently); its
//! origin is in `corpora/README.md`.

use crate::{check_json, repro};

/// The codes of a report's findings, in order.
fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// `repro check --json ARGS…` must say hermetic (exit 0) with no finding at all.
fn assert_clean(args: &[&str]) -> serde_json::Value {
    let (code, report) = check_json(args);
    assert_eq!((code, codes(&report)), (0, vec![]), "{args:?}: {report:#}");
    assert!(
        report["failures"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    report
}

/// The load failure of a file that must not parse: (exit status, `file:line`, message).
fn failure(path: &str) -> (i32, String, String) {
    let (code, report) = check_json(&[path]);
    let f = &report["failures"][0];
    (
        code,
        format!("{}:{}", f["path"].as_str().unwrap_or(""), f["line"]),
        f["message"].as_str().unwrap_or("").to_string(),
    )
}

/// Item 1: `uv export` writes the project as `-e .` and names it in `# via demo`; both are the
/// root of the lock. Real `uv export --all-extras` output (dependency-group packages carry no
/// `# via` there: they are top-level, not orphans).
#[test]
fn uv_export_names_the_project_in_via_and_is_hermetic() {
    let report = assert_clean(&[
        "--deny",
        "warnings",
        "corpora/parity/uv-export/requirements.txt",
    ]);
    assert_eq!(report["locks"][0]["packages"], 4);
}

/// Item 1: `uv export --all-packages --no-emit-workspace` leaves the projects out and names
/// each workspace member in `# via`.
#[test]
fn uv_export_without_the_workspace_names_members_in_via() {
    assert_clean(&[
        "--deny",
        "warnings",
        "corpora/parity/uv-export-workspace/requirements.txt",
    ]);
}

/// Item 1: a `# via` naming neither a locked package nor the project is still missing.
#[test]
fn via_naming_an_unknown_package_is_still_missing() {
    let (code, report) = check_json(&["corpora/requirements-txt/nonhermetic/missing-dependency"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["missing-dependency"]);
}

/// Item 2: a file included with both `-c` and `-r` installs its packages (uv and pip both
/// install them): they are packages of the lock, not constraints only.
#[test]
fn a_file_included_as_constraint_and_requirement_keeps_its_packages() {
    let report = assert_clean(&["corpora/parity/constraint-and-requirement/requirements.txt"]);
    assert_eq!(report["locks"][0]["packages"], 1);
    assert_eq!(report["totals"]["hashes"], 1);
}

/// Item 3: a comment ending in `\` before a line of content: pip joins the line into the
/// comment, uv installs it. Refused, naming the line, quoting nothing.
#[test]
fn a_comment_ending_in_backslash_is_refused() {
    let (code, at, message) = failure("corpora/parity/comment-backslash/requirements.txt");
    assert_eq!(code, 2);
    assert_eq!(at, "corpora/parity/comment-backslash/requirements.txt:1");
    assert_eq!(
        message,
        "a comment ends in `\\`: pip joins line 2 into the comment, uv reads it as a line of its own"
    );
}

/// Item 4: a diamond (`a` and `b` both include `base`) holds `base` once: no duplicate, three
/// packages.
#[test]
fn diamond_includes_hold_the_shared_file_once() {
    let report = assert_clean(&["corpora/parity/diamond/requirements.txt"]);
    assert_eq!(report["locks"][0]["packages"], 3);
}

/// Item 5: a UTF-8 byte-order mark is not part of the first requirement.
#[test]
fn a_byte_order_mark_is_skipped() {
    let report = assert_clean(&["corpora/parity/bom/requirements.txt"]);
    assert_eq!(report["locks"][0]["packages"], 1);
}

/// Item 5: a lone `\r` ends a line, for pip and uv alike.
#[test]
fn a_lone_carriage_return_ends_a_line() {
    let report = assert_clean(&["corpora/parity/cr-line-endings/requirements.txt"]);
    assert_eq!(report["locks"][0]["packages"], 2);
    assert_eq!(report["totals"]["hashes"], 2);
}

/// Item 6: a bare wheel file name followed by a marker and a hash is a hashed local wheel.
#[test]
fn a_wheel_file_name_with_a_marker_is_read() {
    let report = assert_clean(&["corpora/parity/wheel-file-marker/requirements.txt"]);
    assert_eq!(report["locks"][0]["packages"], 1);
    assert_eq!(report["totals"]["hashes"], 1);
}

/// Item 7: `-r "base reqs.txt"` names the file `base reqs.txt`, as a shell would split it.
#[test]
fn a_quoted_include_is_unquoted() {
    let report = assert_clean(&["corpora/parity/quoted-include/requirements.txt"]);
    assert_eq!(report["locks"][0]["packages"], 1);
}

/// Item 8: an editable's extras are not part of its path, its name comes from its project's
/// metadata, and a project with no readable metadata is "the project at" its path.
#[test]
fn editables_are_named_from_their_metadata() {
    let (code, report) = check_json(&["corpora/parity/editable-extras/requirements.txt"]);
    assert_eq!(code, 1);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "`mypkg` is an editable install of `./pkg`",
            "the project at `./vendor/tool` is an editable install of `./vendor/tool`",
        ]
    );
}

/// Item 9: uv.lock's `[manifest]` requirements (a script's lock) and
/// `[manifest.dependency-groups]` (a workspace with no root project) are edges from the root:
/// no `orphan`, even under `--deny warnings`.
#[test]
fn uv_lock_manifest_requirements_are_root_edges() {
    assert_clean(&[
        "--deny",
        "warnings",
        "corpora/parity/uv-lock-manifest/script/script.py.lock",
        "corpora/parity/uv-lock-manifest/non-project-workspace",
    ]);
}

/// Item 10: a file named on the command line is read as a requirements file whatever its name.
#[test]
fn any_file_named_explicitly_is_a_requirements_file() {
    let report = assert_clean(&["corpora/parity/any-name/hash.txt"]);
    assert_eq!(report["locks"][0]["packages"], 1);
    // And a file that is no lockfile at all fails to parse at its line, quoting nothing.
    let out = repro()
        .args(["check", "Cargo.toml"])
        .output()
        .expect("run repro");
    assert_eq!(out.status.code(), Some(2));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Cargo.toml:1: invalid requirement"), "{text}");
    assert!(!text.contains("[package]"), "{text}");
    assert!(!text.contains("pass the file itself"), "{text}");
}
