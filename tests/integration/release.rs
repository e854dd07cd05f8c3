//! `repro release` end to end on a miniature Lambda tree (the local mirror, pip, and
//! `examples/build-lambda.sh`), then the customer's and the second machine's side: every
//! artefact verifies, the SBOM validates, a second build in another directory reproduces the
//! manifest, `repro diff --attest` writes a PASSED summary that verifies against a Lambda zip,
//! and a changed byte gives a FAILED one. Also the signed attestations' tamper cases.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::build::{setup_tree, two_wheel_mirror};

pub(crate) const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/build-lambda.sh");
pub(crate) const REPRO: &str = env!("CARGO_BIN_EXE_repro");

pub(crate) fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(REPRO)
        .args(args)
        .current_dir(dir)
        .env("REPRO_PASSWORD", "release pass")
        .env("TZ", "UTC")
        .output()
        .unwrap()
}

pub(crate) fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `repro build` of the miniature tree in `dir` from the mirror (`--output dist`) under time
/// zone `tz`, with `extra` (`--out`, `--provenance`); with `script`, the example Lambda build
/// runs first.
pub(crate) fn lambda_build(
    dir: &Path,
    store: &Path,
    index: &str,
    tz: &str,
    extra: &[&str],
    script: bool,
) -> std::process::Output {
    let mut cmd = Command::new(REPRO);
    cmd.args(["build", "--target", "lambda-python3.12-x86_64", "--store"])
        .arg(store)
        .args(["--index-url", index, "--source-date-epoch", "1700000000"])
        .args(["--output", "dist"])
        .args(extra)
        .arg("functions");
    if script {
        cmd.args(["--", SCRIPT, REPRO, "functions", "dist"]);
    }
    cmd.current_dir(dir).env("TZ", tz).output().unwrap()
}

/// An empty OSV database with one record that matches nothing here.
fn osv(dir: &Path) -> PathBuf {
    let db = dir.join("osv");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("PYSEC-0.json"),
        r#"{"id":"PYSEC-0","affected":[{"package":{"ecosystem":"PyPI","name":"unrelated"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    db
}

/// A miniature release built under `t`: the maintainer's tree (`t/maintainer`, key pair
/// `t/release.key`/`.pub`, passphrase `release pass`), the store, the OSV database, the private
/// audit report (`t/audit.txt`) and the release folder `t/release-1.0`.
pub(crate) struct MiniRelease {
    pub maint: PathBuf,
    pub store: PathBuf,
    pub db: PathBuf,
    pub release: PathBuf,
}

/// Run `repro release` of the miniature Lambda tree from the mirror at `index` (the key is
/// generated first); the release must succeed.
pub(crate) fn mini_release(t: &Path, index: &str, files: &[(String, Vec<u8>)]) -> MiniRelease {
    let store = t.join("store");
    let maint = t.join("maintainer");
    std::fs::create_dir_all(&maint).unwrap();
    setup_tree(&maint, files);
    ok(&run(&maint, &["key", "generate", "--out", "../release"]));
    let db = osv(t);
    let release = t.join("release-1.0");
    let out = run(
        &maint,
        &[
            "release",
            "--name",
            "hello-lambdas",
            "--version",
            "1.0",
            "--target",
            "lambda-python3.12-x86_64",
            "--key",
            "../release.key",
            "--out",
            release.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--audit-report",
            "../audit.txt",
            "--store",
            store.to_str().unwrap(),
            "--index-url",
            index,
            "--source-date-epoch",
            "1700000000",
            "--builder-id",
            "https://example.org/maintainer-laptop",
            "--output",
            "dist",
            "functions",
            "--",
            SCRIPT,
            REPRO,
            "functions",
            "dist",
        ],
    );
    ok(&out);
    MiniRelease {
        maint,
        store,
        db,
        release,
    }
}

#[test]
fn release_then_verify_reproduce_and_attest() {
    let (_server, index, files) = two_wheel_mirror();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let MiniRelease {
        maint,
        store,
        db,
        release,
    } = mini_release(t, &index, &files);
    let second = t.join("second/elsewhere");
    std::fs::create_dir_all(&second).unwrap();
    setup_tree(&second, &files);
    for f in [
        "repro-manifest.json",
        "provenance.intoto.json",
        "provenance.intoto.json.sigstore.json",
        "sbom.cdx.json",
        "dist/hello.zip",
        "dist/hello.zip.sigstore.json",
        "dist/hello.zip.sig",
        "SHA256SUMS",
        "SHA256SUMS.sigstore.json",
        "VERIFY.md",
        "release.pub",
    ] {
        assert!(release.join(f).is_file(), "{f} missing");
    }
    // The private audit report is outside the release.
    assert!(t.join("audit.txt").is_file());
    let verify_md = std::fs::read_to_string(release.join("VERIFY.md")).unwrap();
    assert!(verify_md.contains(
        "repro verify dist/hello.zip --bundle dist/hello.zip.sigstore.json --key release.pub"
    ));
    assert!(
        verify_md.contains("cosign verify-blob --key release.pub --signature dist/hello.zip.sig")
    );

    // The customer: every artefact verifies; SHA256SUMS holds.
    for a in [
        "repro-manifest.json",
        "sbom.cdx.json",
        "dist/hello.zip",
        "SHA256SUMS",
    ] {
        ok(&run(&release, &["verify", a, "--key", "release.pub"]));
    }
    let sums = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&release)
        .output()
        .unwrap();
    ok(&sums);
    // The SBOM validates against the CycloneDX 1.6 schema.
    let sbom: Value =
        serde_json::from_slice(&std::fs::read(release.join("sbom.cdx.json")).unwrap()).unwrap();
    let errors = crate::sbom::validate_1_6(&sbom);
    assert!(errors.is_empty(), "{errors:?}");
    // The provenance: signed, names the zip, validates as SLSA provenance.
    ok(&run(
        &release,
        &[
            "verify",
            "dist/hello.zip",
            "--bundle",
            "provenance.intoto.json.sigstore.json",
            "--key",
            "release.pub",
            "--type",
            "slsa-provenance",
        ],
    ));
    let prov: Value =
        serde_json::from_slice(&std::fs::read(release.join("provenance.intoto.json")).unwrap())
            .unwrap();
    assert_eq!(
        prov["predicate"]["runDetails"]["builder"]["id"],
        "https://example.org/maintainer-laptop"
    );
    assert_eq!(
        prov["predicate"]["buildDefinition"]["buildType"],
        ::repro::attest::BUILD_TYPE
    );
    assert_eq!(
        prov["predicate"]["buildDefinition"]["resolvedDependencies"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The second machine: same build elsewhere, then diff against the signed manifest.
    let out = lambda_build(
        &second,
        &store,
        &index,
        "Pacific/Auckland",
        &[
            "--out",
            "local-manifest.json",
            "--provenance",
            "local-provenance.json",
        ],
        true,
    );
    ok(&out);
    let manifest = release.join("repro-manifest.json");
    let attest = second.join("reproduced.intoto.json");
    let diff = Command::new(REPRO)
        .arg("diff")
        .arg(&manifest)
        .arg(second.join("local-manifest.json"))
        .arg("--attest")
        .arg(&attest)
        .arg("--provenance")
        .arg(release.join("provenance.intoto.json"))
        .output()
        .unwrap();
    ok(&diff);
    // Deterministic provenance: identical buildDefinition and subjects.
    let local_prov: Value =
        serde_json::from_slice(&std::fs::read(second.join("local-provenance.json")).unwrap())
            .unwrap();
    assert_eq!(prov["subject"], local_prov["subject"]);
    assert_eq!(
        prov["predicate"]["buildDefinition"],
        local_prov["predicate"]["buildDefinition"]
    );
    let vsa: Value = serde_json::from_slice(&std::fs::read(&attest).unwrap()).unwrap();
    assert_eq!(vsa["predicate"]["verificationResult"], "PASSED");
    assert_eq!(
        vsa["predicateType"],
        "https://slsa.dev/verification_summary/v1"
    );
    // The second machine signs it with its own key; the zip verifies against it.
    ok(&run(&second, &["key", "generate", "--out", "verifier"]));
    ok(&run(
        &second,
        &[
            "sign",
            "--key",
            "verifier.key",
            "--attestation",
            "reproduced.intoto.json",
        ],
    ));
    ok(&run(
        &second,
        &[
            "verify",
            release.join("dist/hello.zip").to_str().unwrap(),
            "--bundle",
            "reproduced.intoto.json.sigstore.json",
            "--key",
            "verifier.pub",
            "--type",
            "vsa",
        ],
    ));

    // A flipped byte inside the zip's compressed data: the build opens the zips of its
    // outputs, so it refuses to record a corrupt one.
    let zip = second.join("dist/hello.zip");
    let good = std::fs::read(&zip).unwrap();
    let mut bytes = good.clone();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&zip, &bytes).unwrap();
    let out = lambda_build(
        &second,
        &store,
        &index,
        "UTC",
        &["--out", "changed-manifest.json"],
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("dist/hello.zip"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&zip, &good).unwrap();

    // One changed byte in one installed file of the second build: FAILED, and no PASSED
    // summary can be made.
    let installed = second.join("build/hello/alpha/__init__.py");
    let text = std::fs::read_to_string(&installed).unwrap();
    std::fs::write(&installed, text.replace("hello", "hellO")).unwrap();
    ok(&run(
        &second,
        &[
            "pack",
            "--source-date-epoch",
            "1700000000",
            "build/hello",
            "dist/hello.zip",
        ],
    ));
    let out = lambda_build(
        &second,
        &store,
        &index,
        "UTC",
        &["--out", "changed-manifest.json"],
        false,
    );
    ok(&out);
    let failed = second.join("failed.intoto.json");
    let diff = Command::new(REPRO)
        .arg("diff")
        .arg(&manifest)
        .arg(second.join("changed-manifest.json"))
        .arg("--attest")
        .arg(&failed)
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(1));
    let vsa: Value = serde_json::from_slice(&std::fs::read(&failed).unwrap()).unwrap();
    assert_eq!(vsa["predicate"]["verificationResult"], "FAILED");
    assert!(vsa["predicate"]["repro"]["differences"].as_u64().unwrap() >= 1);
    ok(&run(
        &second,
        &[
            "sign",
            "--key",
            "verifier.key",
            "--attestation",
            "failed.intoto.json",
        ],
    ));
    let out = run(
        &second,
        &[
            "verify",
            release.join("dist/hello.zip").to_str().unwrap(),
            "--bundle",
            "failed.intoto.json.sigstore.json",
            "--key",
            "verifier.pub",
            "--type",
            "vsa",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("verification result: FAILED"));

    // A release folder that is not empty is refused.
    let again = run(
        &maint,
        &[
            "release",
            "--name",
            "x",
            "--version",
            "1",
            "--target",
            "lambda-python3.12-x86_64",
            "--key",
            "../release.key",
            "--out",
            release.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "functions",
        ],
    );
    assert_eq!(again.status.code(), Some(2));
}

/// Tampered attestations: each rejected with the reason.
#[test]
fn tampered_attestations_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&run(d, &["key", "generate", "--out", "k"]));
    ok(&run(d, &["key", "generate", "--out", "other"]));
    std::fs::write(d.join("fn.zip"), b"zip bytes").unwrap();
    let digest = repro_sha256(b"zip bytes");
    let statement = |sha: &str, pt: &str, result: &str| {
        serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "fn.zip", "digest": {"sha256": sha}}],
            "predicateType": pt,
            "predicate": {"verificationResult": result},
        })
    };
    let write_sign = |name: &str, v: &Value, key: &str| {
        std::fs::write(d.join(name), serde_json::to_vec(v).unwrap()).unwrap();
        ok(&run(d, &["sign", "--key", key, "--attestation", name]));
        format!("{name}.sigstore.json")
    };
    let vsa = "https://slsa.dev/verification_summary/v1";
    let check = |bundle: &str, ty: &str| {
        run(
            d,
            &[
                "verify", "fn.zip", "--bundle", bundle, "--key", "k.pub", "--type", ty,
            ],
        )
    };
    let good = write_sign("good.json", &statement(&digest, vsa, "PASSED"), "k.key");
    ok(&check(&good, "vsa"));
    let reason = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).to_string();

    let wrong = write_sign(
        "wrong-subject.json",
        &statement(&"0".repeat(64), vsa, "PASSED"),
        "k.key",
    );
    let o = check(&wrong, "vsa");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        reason(&o).contains("subject: the artefact"),
        "{}",
        reason(&o)
    );

    let failed = write_sign("failed.json", &statement(&digest, vsa, "FAILED"), "k.key");
    let o = check(&failed, "vsa");
    assert!(reason(&o).contains("verification result: FAILED"));

    let o = check(&good, "slsa-provenance");
    assert!(reason(&o).contains("predicate type"), "{}", reason(&o));

    let other = write_sign(
        "other.json",
        &statement(&digest, vsa, "PASSED"),
        "other.key",
    );
    let o = check(&other, "vsa");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        reason(&o).contains("signature: no envelope signature verifies"),
        "{}",
        reason(&o)
    );

    let mut b: Value = serde_json::from_slice(&std::fs::read(d.join(&good)).unwrap()).unwrap();
    b["dsseEnvelope"]["payloadType"] = "application/json".into();
    std::fs::write(d.join("pt.sigstore.json"), serde_json::to_vec(&b).unwrap()).unwrap();
    let o = check("pt.sigstore.json", "vsa");
    assert_eq!(o.status.code(), Some(1));
    assert!(reason(&o).contains("payload type"), "{}", reason(&o));
}

fn repro_sha256(b: &[u8]) -> String {
    crate::support::sha256_hex(b)
}

/// The reference libraries accept repro's statements and envelopes (opt-in: a python with
/// `pip install in-toto-attestation securesystemslib cryptography`, given as $REPRO_INTOTO_PYTHON).
#[test]
#[ignore = "needs in-toto-attestation and securesystemslib ($REPRO_INTOTO_PYTHON)"]
fn in_toto_attestation_and_securesystemslib_accept_our_attestations() {
    let python = std::env::var("REPRO_INTOTO_PYTHON").unwrap_or_else(|_| "python3".into());
    let (_server, index, files) = two_wheel_mirror();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    setup_tree(d, &files);
    ok(&run(d, &["key", "generate", "--out", "k"]));
    let store = d.join("store");
    let build = |out: &str, prov: &str| {
        ok(&lambda_build(
            d,
            &store,
            &index,
            "UTC",
            &["--out", out, "--provenance", prov],
            true,
        ))
    };
    build("a.json", "prov.json");
    build("b.json", "prov-b.json");
    ok(&run(
        d,
        &[
            "diff",
            "a.json",
            "b.json",
            "--attest",
            "vsa.json",
            "--provenance",
            "prov.json",
        ],
    ));
    ok(&run(
        d,
        &["sign", "--key", "k.key", "--attestation", "prov.json"],
    ));
    ok(&run(
        d,
        &["sign", "--key", "k.key", "--attestation", "vsa.json"],
    ));
    let out = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/attestation_interop.py"
        ))
        .args([
            "k.pub",
            "prov.json",
            "vsa.json",
            "prov.json.sigstore.json",
            "vsa.json.sigstore.json",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches("ok ").count(),
        4
    );
}
