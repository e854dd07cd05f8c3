//! `repro build` twice, in two build paths with different TZ, umask and locale, must give the
//! same build id; `repro diff` of the manifests exits 0; one changed byte in one installed file
//! is named inside its zip, with the text diff. Uses the local mirror and pip (offline, from the
//! exported wheelhouse); `examples/build-lambda.sh` is the build script, as for the SOAR corpus.

use std::path::Path;

use crate::repro;
use crate::support::{Server, sha256_hex, wheel};

pub(crate) fn setup_tree(root: &Path, files: &[(String, Vec<u8>)]) {
    let fdir = root.join("functions/hello");
    std::fs::create_dir_all(&fdir).unwrap();
    let h = |i: usize| sha256_hex(&files[i].1);
    std::fs::write(
        fdir.join("requirements.txt"),
        format!(
            "alpha==1.0 \\\n    --hash=sha256:{}\n    # via -r requirements.in\nbeta==2.0 \\\n    --hash=sha256:{}\n    # via alpha\n",
            h(0),
            h(1)
        ),
    )
    .unwrap();
}

fn build(dir: &Path, store: &Path, index: &str, umask: &str, tz: &str) -> std::process::Output {
    let repro_bin = env!("CARGO_BIN_EXE_repro");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/build-lambda.sh");
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$@\"",))
        .arg("sh")
        .arg(repro_bin)
        .args([
            "build",
            "functions",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--output",
            "dist",
            "--store",
        ])
        .arg(store)
        .args(["--index-url", index, "--"])
        .arg(script)
        .arg(repro_bin)
        .args(["functions", "dist"])
        .current_dir(dir)
        .env("TZ", tz)
        .env("LC_ALL", if tz == "UTC" { "C" } else { "C.UTF-8" })
        .output()
        .unwrap()
}

/// A local mirror serving two small wheels (alpha 1.0 depends on beta 2.0): the server, its
/// index URL, and the wheels.
pub(crate) fn two_wheel_mirror() -> (Server, String, Vec<(String, Vec<u8>)>) {
    let server = Server::start();
    let files = vec![
        (
            "alpha-1.0-py3-none-any.whl".to_string(),
            wheel("alpha", "1.0", "py3-none-any", "GREETING = 'hello'\n"),
        ),
        (
            "beta-2.0-py3-none-any.whl".to_string(),
            wheel("beta", "2.0", "py3-none-any", "B = 2\n"),
        ),
    ];
    let index = server.serve_wheels(&files);
    (server, index, files)
}

#[test]
fn two_builds_in_two_paths_agree_and_a_changed_byte_is_named() {
    let (_server, index, files) = two_wheel_mirror();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b/other/path"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
        setup_tree(d, &files);
    }
    let out_a = build(&a, &store, &index, "022", "UTC");
    assert!(
        out_a.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out_a.stdout),
        String::from_utf8_lossy(&out_a.stderr)
    );
    let out_b = build(&b, &store, &index, "077", "Pacific/Auckland");
    assert!(
        out_b.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out_b.stdout),
        String::from_utf8_lossy(&out_b.stderr)
    );
    let manifest = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("repro-manifest.json")).unwrap()).unwrap()
    };
    let (ma, mb) = (manifest(&a), manifest(&b));
    if ma["build_id"] != mb["build_id"] {
        let diff = repro()
            .arg("diff")
            .arg(a.join("repro-manifest.json"))
            .arg(b.join("repro-manifest.json"))
            .arg("--root-a")
            .arg(&a)
            .arg("--root-b")
            .arg(&b)
            .output()
            .unwrap();
        panic!(
            "the two builds differ:\n{}",
            String::from_utf8_lossy(&diff.stdout)
        );
    }
    assert_eq!(ma["build"], mb["build"]);
    assert_ne!(ma["host"]["build_dir"], mb["host"]["build_dir"]);
    assert_eq!(
        ma["build"]["outputs"][0]["members"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "one function zip"
    );
    let zip_members = ma["build"]["outputs"][0]["members"][0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(zip_members, "hello.zip");
    let diff = repro()
        .arg("diff")
        .arg(a.join("repro-manifest.json"))
        .arg(b.join("repro-manifest.json"))
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );

    // One byte of one installed file changes on the second machine: rebuild its zip only.
    let installed = b.join("build/hello/alpha/__init__.py");
    std::fs::write(&installed, "GREETING = 'hellO'\n").unwrap();
    let pack = repro()
        .args(["pack", "--source-date-epoch", "1700000000"])
        .arg(b.join("build/hello"))
        .arg(b.join("dist/hello.zip"))
        .output()
        .unwrap();
    assert!(pack.status.success());
    let diff = repro()
        .arg("diff")
        .arg(a.join("dist"))
        .arg(b.join("dist"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&diff.stdout);
    assert_eq!(diff.status.code(), Some(1), "{text}");
    assert!(text.contains("hello.zip!/alpha/__init__.py"), "{text}");
    assert!(
        text.contains("-GREETING = 'hello'") && text.contains("+GREETING = 'hellO'"),
        "{text}"
    );
}

#[test]
fn vary_exposes_a_build_that_depends_on_umask_time_zone_and_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("requirements.txt"), "").unwrap();
    let run = |script: &str| {
        repro()
            .current_dir(dir)
            .args([
                "build",
                "requirements.txt",
                "--target",
                "lambda-python3.12-x86_64",
                "--source-date-epoch",
                "1700000000",
            ])
            .args(["--offline", "--store"])
            .arg(dir.join("store"))
            .args(["--output", "out", "--vary", "--", "sh", "-c", script])
            .output()
            .unwrap()
    };
    let out = run(
        "rm -rf out; mkdir out; umask > out/umask.txt; echo \"$TZ\" > out/tz.txt; pwd > out/where.txt; echo same > out/same.txt",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "out/umask.txt",
        "-0022",
        "+0002",
        "out/tz.txt",
        "+Etc/GMT-14",
        "out/where.txt",
        "mode 644 in A, 664 in B",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    assert!(!text.contains("out/same.txt\n  content"), "{text}");
    let out = run(
        "rm -rf out; mkdir out; echo same > out/same.txt; chmod 644 out/same.txt; touch -d @1700000000 out/same.txt",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("reproducible under variation"), "{text}");
}

/// A lock hashed only with SHA-512 builds: the wheelhouse holds the locked wheels (copies
/// proven by their SHA-512), and the manifest names each by its SHA-256.
#[test]
fn a_sha512_only_lock_builds() {
    use sha2::Digest as _;
    let (_server, index, files) = two_wheel_mirror();
    let dir = tempfile::tempdir().unwrap();
    let fdir = dir.path().join("functions/hello");
    std::fs::create_dir_all(&fdir).unwrap();
    let h = |i: usize| hex::encode(sha2::Sha512::digest(&files[i].1));
    std::fs::write(
        fdir.join("requirements.txt"),
        format!(
            "alpha==1.0 --hash=sha512:{}\nbeta==2.0 --hash=sha512:{}\n",
            h(0),
            h(1)
        ),
    )
    .unwrap();
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
            "--store",
        ])
        .arg(dir.path().join("store"))
        .args(["--index-url", &index, "--", "sh", "-c"])
        .arg("mkdir -p dist && ls \"$PIP_FIND_LINKS\" > dist/wheels.txt")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dist/wheels.txt")).unwrap(),
        "alpha-1.0-py3-none-any.whl\nbeta-2.0-py3-none-any.whl\n"
    );
    let manifest = std::fs::read_to_string(dir.path().join("repro-manifest.json")).unwrap();
    assert!(manifest.contains(&sha256_hex(&files[0].1)), "{manifest}");
}
