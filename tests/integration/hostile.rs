//! Hostile input: every case exits 2 (could not complete) with a message naming the file and
//! line, and never panics.

use std::io::Write;

use crate::repro;

/// Run `repro check PATH`; return (exit code, stdout + stderr).
fn check(path: &str) -> (i32, String) {
    let out = repro().args(["check", path]).output().expect("run repro");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{path}: panic: {text}");
    (out.status.code().unwrap(), text)
}

fn assert_error(path: &str, expected: &str) {
    let (code, text) = check(path);
    assert_eq!(code, 2, "{path}: {text}");
    assert!(
        text.contains(expected),
        "{path}: expected `{expected}` in:\n{text}"
    );
}

#[test]
fn binary_garbage_is_rejected_with_line() {
    assert_error(
        "corpora/requirements-txt/invalid/binary-garbage.requirements.txt",
        "corpora/requirements-txt/invalid/binary-garbage.requirements.txt:2: invalid UTF-8 at byte 128",
    );
}

#[test]
fn invalid_utf8_is_rejected_with_line() {
    assert_error(
        "corpora/requirements-txt/invalid/invalid-utf8.requirements.txt",
        "corpora/requirements-txt/invalid/invalid-utf8.requirements.txt:2: invalid UTF-8 at byte 32",
    );
}

#[test]
fn include_cycle_is_rejected_at_the_closing_include() {
    assert_error(
        "corpora/requirements-txt/invalid/cycle-a.requirements.txt",
        "corpora/requirements-txt/invalid/cycle-b.requirements.txt:2: include cycle: cycle-a.requirements.txt -> cycle-b.requirements.txt -> cycle-a.requirements.txt",
    );
}

#[test]
fn missing_include_is_rejected_at_the_include() {
    assert_error(
        "corpora/requirements-txt/invalid/missing-include.requirements.txt",
        "corpora/requirements-txt/invalid/missing-include.requirements.txt:2: cannot read included file `missing.requirements.txt`",
    );
}

#[test]
fn wrong_length_hash_is_rejected_with_line() {
    assert_error(
        "corpora/requirements-txt/invalid/wrong-length-hash.requirements.txt",
        "corpora/requirements-txt/invalid/wrong-length-hash.requirements.txt:2: invalid sha256 hash: expected 64 hex characters, got 6",
    );
}

#[test]
fn bad_specifier_is_rejected_with_line_and_column() {
    assert_error(
        "corpora/requirements-txt/invalid/bad-specifier.requirements.txt",
        "corpora/requirements-txt/invalid/bad-specifier.requirements.txt:2: invalid requirement (column 9): no such comparison operator \">>>\"",
    );
}

#[test]
fn name_ending_in_a_dot_is_an_error_not_a_panic() {
    // pep508_rs 0.9.2 panics on this name; found by the requirements_txt fuzz target.
    assert_error(
        "corpora/requirements-txt/invalid/name-trailing-dot.requirements.txt",
        "name-trailing-dot.requirements.txt:2: invalid requirement: the package name must end with a letter or digit",
    );
}

#[test]
fn unsupported_option_is_rejected() {
    assert_error(
        "corpora/requirements-txt/invalid/unsupported-option.requirements.txt",
        "unsupported-option.requirements.txt:1: unsupported option `--global-option`",
    );
}

#[test]
fn malformed_toml_locks_are_rejected_with_line() {
    assert_error(
        "corpora/uv-lock/invalid/uv.lock",
        "corpora/uv-lock/invalid/uv.lock:4: invalid sha256 hash",
    );
    assert_error(
        "corpora/pylock/invalid/pylock.toml",
        "corpora/pylock/invalid/pylock.toml:3: invalid sha256 hash",
    );
    assert_error(
        "corpora/cargo-lock/invalid/Cargo.lock",
        "corpora/cargo-lock/invalid/Cargo.lock:5: invalid Cargo.lock: unexpected character 'n' while parsing major version number",
    );
}

#[test]
fn ten_megabyte_line_is_rejected_with_a_bounded_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requirements.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "six==1.17.0").unwrap();
    f.write_all(&vec![b'a'; 10 * 1024 * 1024]).unwrap();
    writeln!(f, " (").unwrap();
    drop(f);
    let (code, text) = check(path.to_str().unwrap());
    assert_eq!(code, 2, "{}", &text[..text.len().min(2000)]);
    assert!(
        text.contains("requirements.txt:2: invalid requirement"),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(text.len() < 2000, "message is {} bytes", text.len());
}

#[test]
fn ten_megabyte_valid_line_of_hashes_parses() {
    // A long line is not an error in itself: 150,000 `--hash` options on one logical line.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requirements.txt");
    let mut text = String::from("six==1.17.0");
    for i in 0..150_000u32 {
        text.push_str(&format!(" --hash=sha256:{:064x}", i));
    }
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let (code, out) = check(path.to_str().unwrap());
    assert_eq!(code, 0, "{}", &out[..out.len().min(2000)]);
    assert!(out.contains("150000 hashes"), "{out}");
}

#[test]
fn oversized_file_is_refused_before_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("requirements.txt");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(repro::lockfile::MAX_LOCKFILE_BYTES + 1).unwrap();
    let (code, text) = check(path.to_str().unwrap());
    assert_eq!(code, 2);
    assert!(
        text.contains("larger than the 16777216-byte limit"),
        "{text}"
    );
}

/// A file named explicitly is read as a requirements file whatever its name (pip and uv read
/// `-r notes.md`); one that is not fails at its line, quoting nothing of it.
#[test]
fn unknown_file_given_explicitly_fails_to_parse_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.md");
    std::fs::write(&path, "hello world\n").unwrap();
    let (code, text) = check(path.to_str().unwrap());
    assert_eq!(code, 2);
    assert!(text.contains("notes.md:1: invalid requirement"), "{text}");
    assert!(!text.contains("hello"), "{text}");
}

#[test]
fn one_bad_file_does_not_hide_the_others() {
    let (code, report) = crate::check_json(&["corpora/requirements-txt/invalid"]);
    assert_eq!(code, 2);
    // Every malformed file is reported; none aborts the run.
    let failures = report["failures"].as_array().unwrap();
    assert!(failures.len() >= 6, "{failures:#?}");
}
