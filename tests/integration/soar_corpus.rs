//! The real corpus: ~80 uv-compiled, hash-pinned requirements files of the SOAR product's
//! Lambda functions (see corpora/README.md), and uv's own Cargo.lock.

use crate::check_json;

#[test]
fn soar_corpus_is_hermetic() {
    let (code, report) = check_json(&["corpora/opensecops-soar"]);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(code, 0);
    assert_eq!(report["totals"]["lockfiles"], 80);
    assert_eq!(report["totals"]["packages"], 506);
    assert_eq!(report["totals"]["hashes"], 2032);
    // Every function's lock was compiled from the `.in` beside it, where there is one.
    let locks = report["locks"].as_array().unwrap();
    let empty = locks.iter().filter(|l| l["packages"] == 0).count();
    assert_eq!(
        empty, 4,
        "functions with no dependencies: three empty files and one holding a blank line"
    );
}

#[test]
fn soar_lock_with_boto3_include_keeps_edges() {
    let lock = repro::lockfile::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpora/opensecops-soar/functions/ai/query_ai/requirements.txt"
    )))
    .unwrap();
    let botocore = lock
        .packages
        .iter()
        .find(|p| p.name.as_str() == "botocore")
        .unwrap();
    assert_eq!(botocore.version.as_deref(), Some("1.42.97"));
    assert_eq!(botocore.location.line, 12);
    assert_eq!(botocore.required_by.len(), 2);
    let urllib3 = lock
        .packages
        .iter()
        .find(|p| p.name.as_str() == "urllib3")
        .unwrap();
    assert!(
        urllib3
            .required_by
            .contains(&repro::lockfile::RequiredBy::Input(
                "-r ../../../boto3.in".into()
            ))
    );
}

#[test]
fn soar_input_drift_is_caught() {
    // Copy one function, loosen nothing but bump its input: the check must notice.
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora/opensecops-soar/functions/ai/query_ai");
    std::fs::copy(
        src.join("requirements.txt"),
        dir.path().join("requirements.txt"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("requirements.in"),
        "boto3==1.42.94\nurllib3>=2.7.0\nhtml2text>=2026.1.0\nbeautifulsoup4>=4.13.0,<5.0.0\n",
    )
    .unwrap();
    let (code, report) = check_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let f = &report["findings"][0];
    assert_eq!(f["code"], "input-not-satisfied");
    assert_eq!(f["location"]["line"], 18);
}

#[test]
fn uv_cargo_lock_is_hermetic() {
    let (code, report) = check_json(&["corpora/cargo/Cargo.lock"]);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(code, 0);
    assert_eq!(report["totals"]["packages"], 753);
    assert_eq!(report["totals"]["hashes"], 683);
}
