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

/// The three SOAR functions the end-to-end test builds: one with a compiled wheel (pyyaml), one
/// pure-Python (beautifulsoup4), one whose packages install console scripts (html2text, and
/// boto3's jmespath) so that `bin/` holds scripts with shebangs.
const E2E_FUNCTIONS: [&str; 3] = [
    "email/format_generic_message",
    "reports/postprocess_html",
    "email/send_email",
];

/// The interpreter both machines use (through venvs at different paths): the system's, which
/// every user can run.
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

/// The uid and gid the second machine's build runs as (`nobody`).
const SECOND_UID: u32 = 65534;

fn run(cmd: &mut std::process::Command) -> (i32, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn copy_dir(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src) {
        let e = e.unwrap();
        let to = dst.join(e.path().strip_prefix(src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// A checkout of the three functions and the example build script at `root`.
fn checkout(root: &Path, script: &str) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/opensecops-soar/functions");
    for f in E2E_FUNCTIONS {
        copy_dir(&corpus.join(f), &root.join("functions").join(f));
    }
    std::fs::create_dir_all(root.join("examples")).unwrap();
    let path = root.join("examples/build-lambda.sh");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The README's build recipe, in `dir`, with `repro` and `python3` found on `path`.
fn readme_build(dir: &Path, store: &Path, path: &std::ffi::OsStr) -> std::process::Command {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(
            "repro build functions --target lambda-python3.12-x86_64 --output dist \
             --source-date-epoch 1700000000 --store \"$STORE\" \
             -- examples/build-lambda.sh \"$(command -v repro)\" functions dist",
        )
        .current_dir(dir)
        .env("PATH", path)
        .env("STORE", store);
    cmd
}

/// The same release built by a maintainer and by a second machine on which everything that can
/// differ does: another checkout path, repro installed elsewhere, no Rust toolchain on PATH, the
/// interpreter at another path reached through a venv, another user and HOME, another host
/// name, time zone, locale, umask and store. The outputs must be byte-identical and the
/// verification summary PASSED. With the example's shebang fix taken out, the maintainer's own
/// build already reports the interpreter path as a hazard, and the diff names the script in
/// `bin/` inside the zip.
///
/// Needs PyPI (the functions' wheels) and root (to run the second build as another user with
/// its own host name): `REPRO_LIVE=1 cargo test --test integration second_machine_e2e --
/// --ignored`. `.ci/run` runs it.
#[test]
#[ignore = "needs PyPI and root: run by .ci/run"]
fn second_machine_e2e_reproduces_three_soar_functions() {
    let (_, uid) = run(std::process::Command::new("id").arg("-u"));
    assert_eq!(
        uid.trim(),
        "0",
        "the second machine's build runs as another user: run as root"
    );
    let root = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/build-lambda.sh"
    ))
    .unwrap();
    let repro_bin = Path::new(env!("CARGO_BIN_EXE_repro"));

    // Both machines run the same Python and pip (the system's, readable by every user), each
    // reached through a venv of its own: the interpreter's path differs, its version does not.
    // (Two pip versions write different console-script wrappers: that difference is real, and
    // `repro diff` reports it as such.)
    let venv = |at: &Path| {
        let (code, out) = run(std::process::Command::new(SYSTEM_PYTHON)
            .args(["-m", "venv", "--without-pip", "--system-site-packages"])
            .arg(at));
        assert_eq!(code, 0, "{out}");
        at.join("bin")
    };
    // The maintainer: repro from the build tree, everything else as this host has it.
    let maintainer = root.path().join("maintainer");
    checkout(&maintainer, &script);
    let host_path = std::env::join_paths(
        [
            venv(&root.path().join("maintainer-venv")),
            repro_bin.parent().unwrap().to_path_buf(),
        ]
        .into_iter()
        .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let (code, out) = run(&mut readme_build(
        &maintainer,
        &root.path().join("maintainer-store"),
        &host_path,
    ));
    assert_eq!(code, 0, "maintainer build:\n{out}");
    assert!(
        !out.contains("hazard"),
        "the example build leaks host paths:\n{out}"
    );

    // The second machine.
    let second = root.path().join("second");
    let tree = second.join("home/builder/src/a/deeper/checkout");
    checkout(&tree, &script);
    // The same checkout with the example's shebang fix taken out, on both machines.
    let unfixed_script = without_shebang_fix(&script);
    let unfixed_tree = second.join("home/builder/src/unfixed");
    checkout(&unfixed_tree, &unfixed_script);
    let bin = second.join("opt/repro/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(repro_bin, bin.join("repro")).unwrap();
    let venv_bin = venv(&second.join("usr/local/venvs/build"));
    let store = second.join("store");
    let (code, out) = run(std::process::Command::new("cp")
        .arg("-a")
        .arg(root.path().join("maintainer-store"))
        .arg(&store));
    assert_eq!(code, 0, "{out}");
    std::fs::create_dir_all(second.join("home/builder")).unwrap();
    let (code, out) = run(std::process::Command::new("chown")
        // -h: change the venv's links themselves, never the system interpreter they point at.
        .args(["-hR", &format!("{SECOND_UID}:{SECOND_UID}")])
        .arg(&second));
    assert_eq!(code, 0, "{out}");
    // PATH: repro and the venv first, then the system; no cargo, no rustc.
    let second_path = std::env::join_paths([
        bin.clone(),
        venv_bin,
        "/usr/local/bin".into(),
        "/usr/bin".into(),
        "/bin".into(),
    ])
    .unwrap();
    let second_build = |tree: &Path| {
        let build = readme_build(tree, &store, &second_path);
        let inner = format!(
            "hostname second-machine && umask 077 && exec setpriv --reuid {SECOND_UID} --regid {SECOND_UID} --clear-groups -- \"$@\""
        );
        let mut cmd = std::process::Command::new("unshare");
        cmd.args(["-u", "sh", "-c", &inner, "sh"])
            .arg(build.get_program())
            .args(build.get_args())
            .current_dir(tree)
            .env_clear()
            .env("PATH", &second_path)
            .env("STORE", &store)
            .env("HOME", second.join("home/builder"))
            .env("USER", "builder")
            .env("TZ", "Asia/Tokyo")
            .env("LC_ALL", "C")
            .env("LANG", "C");
        run(&mut cmd)
    };
    let (code, out) = second_build(&tree);
    assert_eq!(code, 0, "second machine build:\n{out}");
    let m2 = json(&tree.join("repro-manifest.json"));
    assert_eq!(m2["host"]["hostname"], "second-machine", "{}", m2["host"]);
    assert!(
        !m2["build"]["toolchains"]
            .as_object()
            .unwrap()
            .contains_key("rustc")
    );

    // The verdict.
    let vsa = root.path().join("vsa.json");
    let (code, out) = run(std::process::Command::new(repro_bin)
        .arg("diff")
        .arg(maintainer.join("repro-manifest.json"))
        .arg(tree.join("repro-manifest.json"))
        .arg("--root-a")
        .arg(&maintainer)
        .arg("--root-b")
        .arg(&tree)
        .arg("--attest")
        .arg(&vsa));
    assert_eq!(code, 0, "{out}");
    let v = json(&vsa);
    assert_eq!(v["predicate"]["verificationResult"], "PASSED", "{v}");

    // Without the shebang fix, the maintainer's own build already names the interpreter path
    // as a hazard (and `--deny hazards` would fail it)...
    let unfixed = root.path().join("maintainer-unfixed");
    checkout(&unfixed, &unfixed_script);
    let (code, out) = run(&mut readme_build(
        &unfixed,
        &root.path().join("maintainer-store"),
        &host_path,
    ));
    assert_eq!(code, 0, "maintainer build without the fix:\n{out}");
    assert!(
        out.contains("warning[hazard]") && out.contains("bin/"),
        "the maintainer's build does not report the interpreter path in bin/:\n{out}"
    );
    // ...and the second machine's build differs exactly there: the diff names a console
    // script in `bin/` inside a function's zip, and the summary says FAILED.
    let (code, out) = second_build(&unfixed_tree);
    assert_eq!(code, 0, "second machine build without the fix:\n{out}");
    let vsa = root.path().join("vsa-unfixed.json");
    let (code, out) = run(std::process::Command::new(repro_bin)
        .arg("diff")
        .arg(unfixed.join("repro-manifest.json"))
        .arg(unfixed_tree.join("repro-manifest.json"))
        .arg("--root-a")
        .arg(&unfixed)
        .arg("--root-b")
        .arg(&unfixed_tree)
        .arg("--attest")
        .arg(&vsa));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(".zip") && l.contains("bin/")),
        "the diff does not name the console script in the zip:\n{out}"
    );
    let v = json(&vsa);
    assert_eq!(v["predicate"]["verificationResult"], "FAILED", "{v}");
}

/// The example build script without its console-script shebang rewrite (the embedded Python
/// program between `python3 - "build/$fn" <<'PY'` and `PY`).
fn without_shebang_fix(script: &str) -> String {
    let start = script
        .find("        python3 - \"build/$fn\" <<'PY'\n")
        .expect("the example's shebang fix");
    let end = start + script[start..].find("\nPY\n").expect("the end of the fix") + "\nPY\n".len();
    let out = format!("{}{}", &script[..start], &script[end..]);
    assert!(!out.contains("portable = b\"#!"));
    out
}
