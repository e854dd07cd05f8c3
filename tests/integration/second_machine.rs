//! The second machine is a different machine: a build manifest records what determines the
//! outputs (not where the tools live), attributes each artifact to the lockfiles that use it,
//! and says when the source tree was dirty.

use std::path::Path;

use crate::build::two_wheel_mirror;
use crate::repro;
use crate::support::sha256_hex;

/// Two functions: `a` locks alpha and beta, `b` locks beta only.
fn two_functions(root: &Path, files: &[(String, Vec<u8>)]) {
    let h = |i: usize| sha256_hex(&files[i].1);
    for (name, text) in [
        (
            "a",
            format!(
                "alpha==1.0 \\\n    --hash=sha256:{}\n    # via -r requirements.in\nbeta==2.0 \\\n    --hash=sha256:{}\n    # via alpha\n",
                h(0),
                h(1)
            ),
        ),
        (
            "b",
            format!(
                "beta==2.0 \\\n    --hash=sha256:{}\n    # via -r requirements.in\n",
                h(1)
            ),
        ),
    ] {
        let dir = root.join("functions").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("requirements.txt"), text).unwrap();
    }
}

fn build(root: &Path, index: &str, command: &[&str]) -> (i32, String) {
    let out = repro()
        .args([
            "build",
            "functions",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--output",
            "dist",
            "--provenance",
            "provenance.json",
            "--store",
        ])
        .arg(root.join("store"))
        .args(["--index-url", index, "--"])
        .args(command)
        .current_dir(root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn each_artifact_is_attributed_to_the_lockfiles_that_lock_it() {
    let (_server, index, files) = two_wheel_mirror();
    let dir = tempfile::tempdir().unwrap();
    two_functions(dir.path(), &files);
    let (code, out) = build(
        dir.path(),
        &index,
        &["sh", "-c", "mkdir -p dist && echo 1 > dist/x"],
    );
    assert_eq!(code, 0, "{out}");
    let m = json(&dir.path().join("repro-manifest.json"));
    let used_by = |name: &str| -> Vec<String> {
        m["build"]["resolved"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["used_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(used_by("alpha"), vec!["functions/a/requirements.txt"]);
    assert_eq!(
        used_by("beta"),
        vec![
            "functions/a/requirements.txt",
            "functions/b/requirements.txt"
        ]
    );
    // The SBOM of the build says the same.
    let out = repro()
        .args([
            "sbom",
            "--manifest",
            "repro-manifest.json",
            "--name",
            "t",
            "--version",
            "1",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let bom: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alpha = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "alpha")
        .unwrap();
    let users: Vec<&str> = alpha["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "repro:used-by")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["functions/a/requirements.txt"], "{alpha}");
    // And an audit of the build names only the function that ships alpha.
    let db = dir.path().join("osv");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(
        db.join("PYSEC-T-9.json"),
        serde_json::to_vec(&serde_json::json!({
            "id": "PYSEC-T-9",
            "modified": "2026-11-01T00:00:00Z",
            "published": "2026-11-02T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "alpha"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
        }))
        .unwrap(),
    )
    .unwrap();
    let report = dir.path().join("private/audit.json");
    std::fs::create_dir(dir.path().join("private")).unwrap();
    let out = repro()
        .args([
            "audit",
            "--json",
            "--manifest",
            "repro-manifest.json",
            "--db",
        ])
        .arg(&db)
        .arg("--report")
        .arg(&report)
        .args(["--now", "2026-11-03"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&report);
    assert_eq!(
        r["findings"][0]["used_by"],
        serde_json::json!(["functions/a/requirements.txt"]),
        "{r}"
    );
}

#[test]
fn host_paths_in_the_command_are_normalized_and_a_dirty_tree_is_recorded() {
    let (_server, index, files) = two_wheel_mirror();
    let dir = tempfile::tempdir().unwrap();
    two_functions(dir.path(), &files);
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.org")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.org")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "functions"]);
    git(&["commit", "-q", "-m", "functions"]);
    // The program is named by its absolute path, as `"$(command -v sh)"` would: recorded by name.
    let sh = which("sh");
    let script = dir.path().join("make-dist.sh");
    std::fs::write(&script, "mkdir -p dist && echo 1 > dist/x\n").unwrap();
    let (code, out) = build(
        dir.path(),
        &index,
        &[sh.to_str().unwrap(), script.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}");
    let m = json(&dir.path().join("repro-manifest.json"));
    assert_eq!(
        m["build"]["command"],
        serde_json::json!(["sh", "${BUILD_DIR}/make-dist.sh"]),
        "{}",
        m["build"]
    );
    // A pure-Python build records no Rust toolchain.
    let toolchains = m["build"]["toolchains"].as_object().unwrap();
    assert!(
        !toolchains.contains_key("rustc") && !toolchains.contains_key("cargo"),
        "{toolchains:?}"
    );
    // Untracked files (the script, the store, the outputs) are not changes to the commit.
    assert!(!out.contains("uncommitted changes"), "{out}");
    let p = json(&dir.path().join("provenance.json"));
    assert_eq!(
        p["predicate"]["buildDefinition"]["externalParameters"]["source"]["uncommittedChanges"],
        serde_json::json!(false),
        "untracked files are not changes to the commit: {p}"
    );
    // A tracked file changed: now the provenance says so.
    std::fs::write(
        dir.path().join("functions/b/requirements.txt"),
        std::fs::read_to_string(dir.path().join("functions/b/requirements.txt")).unwrap() + "\n",
    )
    .unwrap();
    let (code, out) = build(dir.path(), &index, &["sh", "make-dist.sh"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("uncommitted changes"), "{out}");
    let p = json(&dir.path().join("provenance.json"));
    assert_eq!(
        p["predicate"]["buildDefinition"]["externalParameters"]["source"]["uncommittedChanges"],
        serde_json::json!(true),
        "{p}"
    );
}

fn which(name: &str) -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap()
}
