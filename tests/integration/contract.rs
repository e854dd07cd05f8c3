//! The contract every command keeps (issue 16): who may read what it writes, what `-q`, `-qq`
//! and `--json` print, and what its exit status means.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Run `repro ARGS…` under `umask`, from the crate root.
fn under_umask(umask: &str, args: &[&str]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("repro");
    let out = std::process::Command::new("sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Public documents (`pack` archives, `sbom --out`, `db index`) are written with the user's
/// umask; before, they were 0600 whatever it was.
// See: issue 16 ("Public documents … are written with the user's umask (today 0600 always)").
#[test]
fn public_documents_follow_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("a.txt"), "a\n").unwrap();
    for (umask, want) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let zip = dir.path().join(format!("out-{umask}.zip"));
        let sbom = dir.path().join(format!("sbom-{umask}.json"));
        let idx = dir.path().join(format!("osv-{umask}.idx"));
        under_umask(
            umask,
            &[
                "pack",
                "--source-date-epoch",
                "1700000000",
                tree.to_str().unwrap(),
                zip.to_str().unwrap(),
            ],
        );
        under_umask(
            umask,
            &[
                "sbom",
                "--source-date-epoch",
                "1",
                "--out",
                sbom.to_str().unwrap(),
                "corpora/uv-lock/valid/app",
            ],
        );
        under_umask(
            umask,
            &["db", "index", "corpora/osv", "--out", idx.to_str().unwrap()],
        );
        for f in [&zip, &sbom, &idx] {
            assert_eq!(mode(f), want, "{} under umask {umask}", f.display());
        }
    }
}

/// Private files stay 0600 under any umask: the store's records and kept index answers.
#[test]
fn private_files_stay_0600_under_any_umask() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    let krate = crate::support::tar_gz(&[("itoa-1.0.0/Cargo.toml", b"[package]\n")]);
    std::fs::write(files.join("itoa-1.0.0.crate"), &krate).unwrap();
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        format!(
            "version = 4\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            crate::support::sha256_hex(&krate)
        ),
    )
    .unwrap();
    let store = dir.path().join("store");
    under_umask(
        "000",
        &[
            "fetch",
            "--offline",
            "--find-links",
            files.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            lock.to_str().unwrap(),
        ],
    );
    let records = store.join("v1/records/sha256");
    let mut seen = 0;
    for d in std::fs::read_dir(&records).unwrap().flatten() {
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
            seen += 1;
        }
    }
    assert_eq!(seen, 1);
}

/// Run `repro ARGS…` from the crate root: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = crate::repro().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exactly one JSON document on stdout, with a `schema` field.
fn one_document(stdout: &str) -> serde_json::Value {
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(docs.len(), 1, "{stdout}");
    assert!(
        docs[0].get("schema").is_some() || docs[0].get("$schema").is_some(),
        "{stdout}"
    );
    docs[0].clone()
}

/// `sbom --json --out` prints a document (it printed nothing); errors under `--json` are an
/// error document on stdout; `-qq` prints nothing but errors.
// See: issue 16 ("`sbom --json --out` prints nothing", "`--json` mode still prints text errors").
#[test]
fn json_is_one_document_and_qq_prints_only_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let (code, stdout, err) = run(&[
        "sbom",
        "--json",
        "--source-date-epoch",
        "1",
        "--out",
        out.to_str().unwrap(),
        "corpora/uv-lock/valid/app",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc = one_document(&stdout);
    assert_eq!(doc["schema"], "repro.sbom-written/v1");
    // sbom query: a match, then an unreadable file, both one document.
    let (code, stdout, _) = run(&[
        "sbom",
        "query",
        "--json",
        "corpora/cyclonedx/valid/hand-made/nested-minimal.cdx.json",
        "itoa",
    ]);
    assert_eq!(code, 1);
    assert_eq!(one_document(&stdout)["schema"], "repro.sbom-query/v1");
    let (code, stdout, _) = run(&[
        "sbom",
        "query",
        "--json",
        "corpora/cyclonedx/invalid/truncated.cdx.json",
        "six",
    ]);
    assert_eq!(code, 2);
    let doc = one_document(&stdout);
    assert_eq!(doc["schema"], "repro.error/v1");
    assert_eq!(doc["exit"], 2);
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("truncated.cdx.json"),
        "{doc}"
    );
    // key generate refusing to overwrite: an error document.
    let key = dir.path().join("k");
    std::fs::write(dir.path().join("k.key"), "x").unwrap();
    let (code, stdout, _) = run(&["key", "generate", "--json", "--out", key.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(one_document(&stdout)["schema"], "repro.error/v1");
    // fetch: -q prints the summary only, -qq nothing on stdout, and errors still on stderr.
    let store = dir.path().join("store");
    let fetch = |q: &str| {
        run(&[
            "fetch",
            q,
            "--offline",
            "--store",
            store.to_str().unwrap(),
            "corpora/uv-lock/valid/app",
        ])
    };
    let (code, stdout, stderr) = fetch("-q");
    assert_eq!(code, 2);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stderr.contains("not in the store"), "{stderr}");
    let (code, stdout, stderr) = fetch("-qq");
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("not in the store"),
        "-qq keeps errors: {stderr}"
    );
    // sbom query -q: the summary line alone; -qq: nothing.
    let q = |flag: &str| {
        run(&[
            "sbom",
            "query",
            flag,
            "corpora/cyclonedx/valid/hand-made/nested-minimal.cdx.json",
            "itoa",
        ])
        .1
    };
    assert_eq!(q("-q").lines().count(), 1);
    assert_eq!(q("-qq"), "");
}
