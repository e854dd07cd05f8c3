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
