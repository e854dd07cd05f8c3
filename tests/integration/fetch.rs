//! `repro fetch` and `repro store …` against real HTTP servers on 127.0.0.1: a well-behaved
//! PyPI-like mirror, a crates download server, and a malicious mirror.

use std::path::{Path, PathBuf};

use crate::repro;
use crate::support::{Reply, Server, sha256_hex, simple_page, tar_gz, wheel};

/// A mirror with two packages (four files) and a lock pinning them.
struct Mirror {
    server: Server,
    dir: tempfile::TempDir,
    files: Vec<(String, Vec<u8>)>,
}

impl Mirror {
    fn new() -> Mirror {
        let server = Server::start();
        let files = vec![
            (
                "alpha-1.0-py3-none-any.whl".to_string(),
                wheel("alpha", "1.0", "py3-none-any", "A = 1\n"),
            ),
            (
                "alpha-1.0.tar.gz".to_string(),
                tar_gz(&[("alpha-1.0/PKG-INFO", b"Name: alpha\n")]),
            ),
            (
                "beta-2.0-cp312-cp312-manylinux_2_17_x86_64.whl".to_string(),
                wheel(
                    "beta",
                    "2.0",
                    "cp312-cp312-manylinux_2_17_x86_64",
                    "B = 'native'\n",
                ),
            ),
            (
                "beta-2.0-py3-none-any.whl".to_string(),
                wheel("beta", "2.0", "py3-none-any", "B = 'pure'\n"),
            ),
        ];
        for (name, bytes) in &files {
            server.route(
                &format!("/files/{name}"),
                Reply::Ok(bytes.clone(), "application/octet-stream"),
            );
        }
        let page = |prefix: &str| {
            let f: Vec<(&str, &[u8])> = files
                .iter()
                .filter(|(n, _)| n.starts_with(prefix))
                .map(|(n, b)| (n.as_str(), b.as_slice()))
                .collect();
            simple_page(&server.url, &f)
        };
        server.route(
            "/simple/alpha/",
            Reply::Ok(page("alpha"), "application/vnd.pypi.simple.v1+json"),
        );
        server.route(
            "/simple/beta/",
            Reply::Ok(page("beta"), "application/vnd.pypi.simple.v1+json"),
        );
        let dir = tempfile::tempdir().unwrap();
        let h = |i: usize| sha256_hex(&files[i].1);
        std::fs::write(
            dir.path().join("requirements.txt"),
            format!(
                "alpha==1.0 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\n    # via -r requirements.in\nbeta==2.0 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\n    # via alpha\n",
                h(0),
                h(1),
                h(2),
                h(3)
            ),
        )
        .unwrap();
        Mirror { server, dir, files }
    }

    fn lock(&self) -> PathBuf {
        self.dir.path().join("requirements.txt")
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn index(&self) -> String {
        format!("{}/simple/", self.server.url)
    }

    fn fetch(&self, extra: &[&str]) -> (i32, String, String) {
        let out = repro()
            .arg("fetch")
            .arg("--store")
            .arg(self.store())
            .arg("--index-url")
            .arg(self.index())
            .args(["--timeout", "2"])
            .args(extra)
            .arg(self.lock())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn objects(&self) -> Vec<String> {
        let root = self.store().join("v1/objects/sha256");
        let mut out = Vec::new();
        if let Ok(dirs) = std::fs::read_dir(&root) {
            for d in dirs.flatten() {
                for f in std::fs::read_dir(d.path()).unwrap().flatten() {
                    out.push(f.file_name().to_string_lossy().into_owned());
                }
            }
        }
        out.sort();
        out
    }

    fn sha(&self, i: usize) -> String {
        sha256_hex(&self.files[i].1)
    }
}

fn store_cmd(store: &Path, args: &[&str]) -> (i32, String) {
    let out = repro()
        .arg("store")
        .args(args)
        .arg("--store")
        .arg(store)
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

#[test]
fn fetch_all_admits_every_hashed_artifact_then_warm_run_makes_no_request() {
    let m = Mirror::new();
    let (code, out, err) = m.fetch(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 artifacts (all): 4 downloaded"), "{out}");
    let mut expected: Vec<String> = (0..4).map(|i| m.sha(i)).collect();
    expected.sort();
    assert_eq!(m.objects(), expected);
    let before = m.server.total_hits();
    let (code, out, _) = m.fetch(&[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("4 already in the store") && out.contains("0 index requests"),
        "{out}"
    );
    assert_eq!(
        m.server.total_hits(),
        before,
        "a warm run must not touch the network"
    );
    let (code, out) = store_cmd(&m.store(), &["verify", "--deep"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("4 objects") && out.contains("all verified"),
        "{out}"
    );
}

#[test]
fn fetch_for_a_target_picks_what_an_installer_picks() {
    let m = Mirror::new();
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-x86_64"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 artifacts (cp312-manylinux_2_34_x86_64)"),
        "{out}"
    );
    let mut expected = vec![m.sha(0), m.sha(2)];
    expected.sort();
    assert_eq!(m.objects(), expected);
    // arm64: no native wheel for beta, so the pure one.
    let (code, _, _) = m.fetch(&["--target", "lambda-python3.12-arm64"]);
    assert_eq!(code, 0);
    assert!(m.objects().contains(&m.sha(3)));
}

#[test]
fn substituted_bytes_are_refused_and_the_rest_admitted() {
    let m = Mirror::new();
    let evil = wheel(
        "beta",
        "2.0",
        "py3-none-any",
        "import os; os.system('curl evil')\n",
    );
    m.server.route(
        "/files/beta-2.0-py3-none-any.whl",
        Reply::Ok(evil.clone(), "application/octet-stream"),
    );
    let (code, stdout, out) = m.fetch(&[]);
    assert_eq!(code, 1, "{out}");
    // The errors on stderr, the summary alone on stdout.
    assert!(!stdout.contains("hash-mismatch"), "{stdout}");
    assert!(stdout.contains("1 hash mismatch"), "{stdout}");
    assert!(
        out.contains(
            "error[hash-mismatch]: beta==2.0: `beta-2.0-py3-none-any.whl` does not match the lock"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("expected: sha256:{}", m.sha(3))),
        "{out}"
    );
    assert!(
        out.contains(&format!("actual:   sha256:{}", sha256_hex(&evil))),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "url:      {}/files/beta-2.0-py3-none-any.whl",
            m.server.url
        )),
        "{out}"
    );
    assert!(!m.objects().contains(&sha256_hex(&evil)));
    assert!(!m.objects().contains(&m.sha(3)));
    assert_eq!(m.objects().len(), 3, "the other artifacts are admitted");
    // A mismatch is never retried.
    assert_eq!(m.server.hits("/files/beta-2.0-py3-none-any.whl"), 1);
}

#[test]
fn server_errors_are_retried_until_success() {
    let m = Mirror::new();
    let body = m.files[1].1.clone();
    m.server.route(
        "/files/alpha-1.0.tar.gz",
        Reply::FailFirst(2, Box::new(Reply::Ok(body, "application/gzip"))),
    );
    let (code, out, err) = m.fetch(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(m.server.hits("/files/alpha-1.0.tar.gz"), 3);
    assert!(m.objects().contains(&m.sha(1)));
}

#[test]
fn truncated_body_is_retried_then_reported_and_nothing_is_admitted() {
    let m = Mirror::new();
    let body = m.files[0].1.clone();
    let half = body.len() / 2;
    m.server.route(
        "/files/alpha-1.0-py3-none-any.whl",
        Reply::Truncate(body, half),
    );
    let (code, _, out) = m.fetch(&["--retries", "3"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("alpha==1.0: `alpha-1.0-py3-none-any.whl`"),
        "{out}"
    );
    assert_eq!(
        m.server.hits("/files/alpha-1.0-py3-none-any.whl"),
        3,
        "three attempts"
    );
    assert!(!m.objects().contains(&m.sha(0)));
    let tmp = std::fs::read_dir(m.store().join("v1/tmp")).unwrap().count();
    assert_eq!(tmp, 0, "no temp file left behind");
}

#[test]
fn short_content_length_yields_a_mismatch_naming_both_sizes() {
    let m = Mirror::new();
    let body = m.files[2].1.clone();
    let full = body.len();
    let len = full - 10;
    m.server.route(
        "/files/beta-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        Reply::WrongLength(body, len),
    );
    let (code, _, out) = m.fetch(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "error[hash-mismatch]: beta==2.0: `beta-2.0-cp312-cp312-manylinux_2_17_x86_64.whl`"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!("({full} bytes)")) && out.contains(&format!("({len} bytes)")),
        "{out}"
    );
    assert!(!m.objects().contains(&m.sha(2)));
}

#[test]
fn stalled_connection_times_out() {
    let m = Mirror::new();
    m.server.route("/files/alpha-1.0.tar.gz", Reply::Stall);
    let (code, _, out) = m.fetch(&["--retries", "2"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("alpha==1.0: `alpha-1.0.tar.gz`"), "{out}");
    assert_eq!(m.server.hits("/files/alpha-1.0.tar.gz"), 2);
    assert_eq!(m.objects().len(), 3);
}

#[test]
fn killed_fetch_leaves_no_partial_object() {
    let m = Mirror::new();
    // The server never answers for this file: the process is killed while it waits.
    m.server.route("/files/alpha-1.0.tar.gz", Reply::Stall);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_repro"))
        .arg("fetch")
        .arg("--store")
        .arg(m.store())
        .arg("--index-url")
        .arg(m.index())
        .arg(m.lock())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!m.objects().contains(&m.sha(1)));
    // Whatever was admitted is whole.
    let (code, out) = store_cmd(&m.store(), &["verify"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn two_concurrent_fetches_share_one_store_safely() {
    let m = Mirror::new();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_repro"))
            .arg("fetch")
            .arg("--store")
            .arg(m.store())
            .arg("--index-url")
            .arg(m.index())
            .arg(m.lock())
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert!(a.status.success() && b.status.success());
    assert_eq!(m.objects().len(), 4);
    let (code, out) = store_cmd(&m.store(), &["verify"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn find_links_matches_by_digest_whatever_the_names() {
    let m = Mirror::new();
    let folder = m.dir.path().join("wheels");
    std::fs::create_dir(&folder).unwrap();
    for (i, (_, bytes)) in m.files.iter().enumerate() {
        std::fs::write(folder.join(format!("renamed-{i}.bin")), bytes).unwrap();
    }
    // The index is still asked for file names; the bytes come from the folder.
    let (code, out, err) = m.fetch(&["--find-links", folder.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 from --find-links"), "{out}");
    for (name, _) in &m.files {
        assert_eq!(m.server.hits(&format!("/files/{name}")), 0);
    }
}

#[test]
fn offline_fetch_names_the_missing_artifact() {
    let m = Mirror::new();
    let (code, _, out) = m.fetch(&["--offline"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!(
            "sha256:{} is not in the store (offline)",
            m.sha(0)
        )),
        "{out}"
    );
    assert!(out.contains("requirements.txt:1"), "{out}");
    assert_eq!(m.server.total_hits(), 0);
}

#[test]
fn a_flipped_byte_is_reported_for_exactly_that_object_and_repaired() {
    let m = Mirror::new();
    assert_eq!(m.fetch(&[]).0, 0);
    let victim = m.sha(2);
    let path = m
        .store()
        .join("v1/objects/sha256")
        .join(&victim[..2])
        .join(&victim);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0x01;
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let out = repro()
        .args(["store", "verify", "--json", "--store"])
        .arg(m.store())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0]["object"], victim.as_str());
    assert_eq!(problems[0]["problem"]["kind"], "corrupt");
    assert_eq!(
        problems[0]["filenames"][0],
        "beta-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    );
    let (code, out) = store_cmd(&m.store(), &["verify", "--repair"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("moved to"), "{out}");
    assert!(m.store().join("v1/quarantine").join(&victim).exists());
    let (code, out) = store_cmd(&m.store(), &["verify"]);
    assert_eq!(code, 0, "{out}");
    // And the next fetch restores it.
    assert_eq!(m.fetch(&[]).0, 0);
    assert!(m.objects().contains(&victim));
}

#[test]
fn deep_verify_refuses_an_archive_with_path_traversal() {
    let m = Mirror::new();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(
            "../../etc/cron.d/evil",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(b"* * * * * root sh\n").unwrap();
        w.finish().unwrap();
    }
    let evil = buf.into_inner();
    m.server.route(
        "/files/evil-1.0-py3-none-any.whl",
        Reply::Ok(evil.clone(), "application/zip"),
    );
    m.server.route(
        "/simple/evil/",
        Reply::Ok(
            simple_page(&m.server.url, &[("evil-1.0-py3-none-any.whl", &evil)]),
            "application/json",
        ),
    );
    std::fs::write(
        m.lock(),
        format!("evil==1.0 --hash=sha256:{}\n", sha256_hex(&evil)),
    )
    .unwrap();
    assert_eq!(m.fetch(&[]).0, 0, "the lock pins these exact bytes");
    let (code, out) = store_cmd(&m.store(), &["verify"]);
    assert_eq!(
        code, 0,
        "shallow: the bytes are what the lock pinned: {out}"
    );
    let (code, out) = store_cmd(&m.store(), &["verify", "--deep"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("evil-1.0-py3-none-any.whl")
            && out.contains("../../etc/cron.d/evil")
            && out.contains("escapes"),
        "{out}"
    );
}

#[test]
fn crates_come_from_the_crates_url_and_are_checked() {
    let server = Server::start();
    let a = tar_gz(&[(
        "itoa-1.0.0/Cargo.toml",
        b"[package]\nname = \"itoa\"\nlicense = \"MIT\"\n",
    )]);
    let b = tar_gz(&[("ryu-1.0.0/Cargo.toml", b"[package]\nname = \"ryu\"\n")]);
    server.route(
        "/crates/itoa/itoa-1.0.0.crate",
        Reply::Ok(a.clone(), "application/gzip"),
    );
    server.route(
        "/crates/ryu/ryu-1.0.0.crate",
        Reply::Ok(b.clone(), "application/gzip"),
    );
    let dir = tempfile::tempdir().unwrap();
    let src = "registry+https://github.com/rust-lang/crates.io-index";
    std::fs::write(
        dir.path().join("Cargo.lock"),
        format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\", \"ryu\"]\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.0\"\nsource = \"{src}\"\nchecksum = \"{}\"\n\n[[package]]\nname = \"ryu\"\nversion = \"1.0.0\"\nsource = \"{src}\"\nchecksum = \"{}\"\n",
            sha256_hex(&a),
            sha256_hex(b"not the ryu crate") // wrong on purpose: the server's bytes must be refused
        ),
    )
    .unwrap();
    let out = repro()
        .arg("fetch")
        .arg("--store")
        .arg(dir.path().join("store"))
        .arg("--crates-url")
        .arg(format!("{}/crates", server.url))
        .arg(dir.path().join("Cargo.lock"))
        .output()
        .unwrap();
    // Errors are diagnostics: stderr.
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("error"));
    assert!(
        text.contains("error[hash-mismatch]: ryu==1.0.0: `ryu-1.0.0.crate`"),
        "{text}"
    );
    assert!(
        text.contains(&format!("actual:   sha256:{}", sha256_hex(&b))),
        "{text}"
    );
    assert_eq!(server.hits("/crates/itoa/itoa-1.0.0.crate"), 1);
}

#[test]
fn export_writes_a_wheelhouse_that_pip_installs_offline_with_hashes() {
    let m = Mirror::new();
    assert_eq!(m.fetch(&["--target", "lambda-python3.12-x86_64"]).0, 0);
    let house = m.dir.path().join("wheelhouse");
    let out = repro()
        .args(["store", "export"])
        .arg(&house)
        .arg(m.lock())
        .arg("--store")
        .arg(m.store())
        .args(["--target", "lambda-python3.12-x86_64", "--offline"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&house)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "alpha-1.0-py3-none-any.whl",
            "beta-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"
        ]
    );
    // pip itself installs from it with --require-hashes and no index, for the Lambda target.
    let target = m.dir.path().join("site");
    let pip = std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "--require-hashes",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        // pip 23 does not expand a manylinux_2_34 platform to older tags: name the ones wanted.
        .args([
            "--platform",
            "manylinux_2_34_x86_64",
            "--platform",
            "manylinux_2_17_x86_64",
        ])
        .args([
            "--python-version",
            "3.12",
            "--implementation",
            "cp",
            "--only-binary=:all:",
        ])
        .arg("--find-links")
        .arg(&house)
        .arg("--target")
        .arg(&target)
        .arg("-r")
        .arg(m.lock())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("python3 with pip is needed for this test");
    assert!(
        pip.status.success(),
        "pip: {}{}",
        String::from_utf8_lossy(&pip.stdout),
        String::from_utf8_lossy(&pip.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(target.join("beta/__init__.py")).unwrap(),
        "B = 'native'\n"
    );
}

#[test]
fn not_found_is_reported_once_without_retries() {
    let m = Mirror::new();
    m.server
        .route("/files/alpha-1.0.tar.gz", Reply::Status(404));
    let (code, _, out) = m.fetch(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("alpha==1.0: `alpha-1.0.tar.gz`") && out.contains("answered HTTP 404"),
        "{out}"
    );
    assert_eq!(m.server.hits("/files/alpha-1.0.tar.gz"), 1);
}

/// SHA-512 of `bytes`, hex.
fn sha512_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha512::digest(bytes))
}

/// A lock hashed only with SHA-512 (pip takes `--hash=sha512:`) fetches, exports and verifies:
/// the index publishes SHA-256 only, so the pinned version's files are probed and each is
/// admitted only if its SHA-512 is one the lock allows; the store names objects by SHA-256.
#[test]
fn a_sha512_only_lock_fetches_by_probing_and_exports() {
    let m = Mirror::new();
    let h = |i: usize| sha512_hex(&m.files[i].1);
    std::fs::write(
        m.lock(),
        format!(
            "alpha==1.0 --hash=sha512:{}\nbeta==2.0 \\\n    --hash=sha512:{} \\\n    --hash=sha512:{}\n",
            h(0),
            h(2),
            h(3)
        ),
    )
    .unwrap();
    let (code, out, err) = m.fetch(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("4 artifacts (all): 3 downloaded") && out.contains("1 probed and not locked"),
        "{out}"
    );
    let mut expected = vec![m.sha(0), m.sha(2), m.sha(3)];
    expected.sort();
    assert_eq!(m.objects(), expected, "objects are named by their SHA-256");
    // Warm: every digest resolves through the store; no index request.
    let before = m.server.total_hits();
    let (code, out, _) = m.fetch(&["--offline"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 already in the store"), "{out}");
    assert_eq!(m.server.total_hits(), before);
    // Export for a target, proving each copy by its SHA-512 on the way.
    let house = m.dir.path().join("wheelhouse");
    let (code, out) = store_cmd(
        &m.store(),
        &[
            "export",
            house.to_str().unwrap(),
            m.lock().to_str().unwrap(),
            "--target",
            "lambda-python3.12-x86_64",
            "--offline",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let mut names: Vec<String> = std::fs::read_dir(&house)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alpha-1.0-py3-none-any.whl",
            "beta-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"
        ]
    );
    let (code, out) = store_cmd(&m.store(), &["verify", "--deep"]);
    assert_eq!(code, 0, "{out}");
}

/// For a target, only the file an installer picks is probed.
#[test]
fn a_sha512_only_lock_for_a_target_downloads_one_file_per_package() {
    let m = Mirror::new();
    let h = |i: usize| sha512_hex(&m.files[i].1);
    std::fs::write(
        m.lock(),
        format!(
            "alpha==1.0 --hash=sha512:{} --hash=sha512:{}\nbeta==2.0 --hash=sha512:{} --hash=sha512:{}\n",
            h(0),
            h(1),
            h(2),
            h(3)
        ),
    )
    .unwrap();
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-x86_64"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 artifacts"), "{out}");
    let mut expected = vec![m.sha(0), m.sha(2)];
    expected.sort();
    assert_eq!(m.objects(), expected);
}

/// A SHA-512 that no file of the version has is reported, and nothing is admitted.
#[test]
fn a_sha512_no_file_has_is_an_error() {
    let m = Mirror::new();
    std::fs::write(
        m.lock(),
        format!("alpha==1.0 --hash=sha512:{}\n", "ab".repeat(64)),
    )
    .unwrap();
    let (code, out, err) = m.fetch(&[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("no file of this version on the index has a digest the lock allows"),
        "{err}"
    );
    assert!(m.objects().is_empty());
}

/// A pylock.toml artifact pinned by SHA-512 only: fetched from its URL, admitted by its
/// SHA-512, named by its SHA-256, and found again by a warm run without a request.
#[test]
fn a_pylock_artifact_pinned_by_sha512_is_fetched_and_found_again() {
    let m = Mirror::new();
    let lock = m.dir.path().join("pylock.toml");
    std::fs::write(
        &lock,
        format!(
            "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"alpha\"\nversion = \"1.0\"\n\n[[packages.wheels]]\nname = \"alpha-1.0-py3-none-any.whl\"\nurl = \"{}/files/alpha-1.0-py3-none-any.whl\"\nhashes = {{ sha512 = \"{}\" }}\n",
            m.server.url,
            sha512_hex(&m.files[0].1)
        ),
    )
    .unwrap();
    let fetch = || {
        let out = repro()
            .arg("fetch")
            .arg("--store")
            .arg(m.store())
            .arg(&lock)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = fetch();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 downloaded"), "{out}");
    assert_eq!(m.objects(), vec![m.sha(0)]);
    let before = m.server.total_hits();
    let (code, out) = fetch();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 already in the store"), "{out}");
    assert_eq!(m.server.total_hits(), before);
}

/// A warm `fetch --target` asks the index nothing: what the index said about every locked
/// digest (not only the one downloaded) is kept in the store, so the second run plans from it.
/// A new target downloads its file from the URL kept, still without an index request.
// See: issue 16 ("a warm `fetch --target` makes 24 index requests").
#[test]
fn a_warm_fetch_for_a_target_makes_no_request() {
    let m = Mirror::new();
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-x86_64"]);
    assert_eq!(code, 0, "{out}{err}");
    let before = m.server.total_hits();
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-x86_64"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 already in the store") && out.contains("0 index requests"),
        "{out}"
    );
    assert_eq!(m.server.total_hits(), before, "{:?}", m.server.requests());
    // Another target: the pure beta wheel comes from the URL the index gave, not a new page.
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-arm64"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 downloaded") && out.contains("0 index requests"),
        "{out}"
    );
    assert_eq!(
        m.server.hits("/simple/alpha/") + m.server.hits("/simple/beta/"),
        2
    );
    // And offline, the kept answers plan the same jobs.
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-arm64", "--offline"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 already in the store"), "{out}");
}

/// The same for a lock pinned by SHA-512 only, whose files the index cannot map by digest: the
/// candidates probed are kept, and the warm run for the target asks nothing.
#[test]
fn a_warm_fetch_of_a_sha512_lock_for_a_target_makes_no_request() {
    let m = Mirror::new();
    let h = |i: usize| sha512_hex(&m.files[i].1);
    std::fs::write(
        m.lock(),
        format!(
            "alpha==1.0 --hash=sha512:{} --hash=sha512:{}\nbeta==2.0 --hash=sha512:{} --hash=sha512:{}\n",
            h(0),
            h(1),
            h(2),
            h(3)
        ),
    )
    .unwrap();
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-x86_64"]);
    assert_eq!(code, 0, "{out}{err}");
    let before = m.server.total_hits();
    let (code, out, err) = m.fetch(&["--target", "lambda-python3.12-x86_64"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("2 already in the store") && out.contains("0 index requests"),
        "{out}"
    );
    assert_eq!(m.server.total_hits(), before, "{:?}", m.server.requests());
}

/// A lock that names a file by digest only can be fetched offline from `--find-links`: the
/// folder's file names say which file is which. Pins of other formats are matched by digest.
// See: issue 16 ("a requirements.txt lock answers "not in the store (offline)" with the wheel
// in DIR").
#[test]
fn find_links_offline_serves_every_lock_format() {
    let m = Mirror::new();
    let folder = m.dir.path().join("wheels");
    std::fs::create_dir(&folder).unwrap();
    for (name, bytes) in &m.files {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let crate_bytes = tar_gz(&[("itoa-1.0.0/Cargo.toml", b"[package]\nname = \"itoa\"\n")]);
    std::fs::write(folder.join("itoa-1.0.0.crate"), &crate_bytes).unwrap();
    let url = |i: usize| format!("{}/files/{}", m.server.url, m.files[i].0);
    let locks = m.dir.path().join("locks");
    for sub in ["req", "req-target", "uv", "pylock", "cargo"] {
        std::fs::create_dir_all(locks.join(sub)).unwrap();
    }
    std::fs::copy(m.lock(), locks.join("req/requirements.txt")).unwrap();
    std::fs::copy(m.lock(), locks.join("req-target/requirements.txt")).unwrap();
    std::fs::write(
        locks.join("uv/uv.lock"),
        format!(
            "version = 1\nrevision = 3\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"alpha\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nsdist = {{ url = \"{}\", hash = \"sha256:{}\" }}\nwheels = [\n    {{ url = \"{}\", hash = \"sha256:{}\" }},\n]\n",
            url(1),
            m.sha(1),
            url(0),
            m.sha(0)
        ),
    )
    .unwrap();
    std::fs::write(
        locks.join("pylock/pylock.toml"),
        format!(
            "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"beta\"\nversion = \"2.0\"\n\n[[packages.wheels]]\nname = \"{}\"\nurl = \"{}\"\nhashes = {{ sha256 = \"{}\" }}\n",
            m.files[3].0,
            url(3),
            m.sha(3)
        ),
    )
    .unwrap();
    let src = "registry+https://github.com/rust-lang/crates.io-index";
    std::fs::write(
        locks.join("cargo/Cargo.lock"),
        format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\"]\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.0\"\nsource = \"{src}\"\nchecksum = \"{}\"\n",
            sha256_hex(&crate_bytes)
        ),
    )
    .unwrap();
    let fetch = |sub: &str, extra: &[&str]| {
        let store = m.dir.path().join(format!("store-{sub}"));
        let out = repro()
            .arg("fetch")
            .arg("--store")
            .arg(&store)
            .arg("--find-links")
            .arg(&folder)
            .arg("--offline")
            .args(extra)
            .arg(locks.join(sub))
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
    };
    for (sub, extra, n) in [
        ("req", &[][..], 4),
        (
            "req-target",
            &["--target", "lambda-python3.12-x86_64"][..],
            2,
        ),
        ("uv", &[][..], 2),
        ("pylock", &[][..], 1),
        ("cargo", &[][..], 1),
    ] {
        let (code, out) = fetch(sub, extra);
        assert_eq!(code, 0, "{sub}: {out}");
        assert!(
            out.contains(&format!("{n} from --find-links")),
            "{sub}: {out}"
        );
    }
    assert_eq!(m.server.total_hits(), 0);
}

/// The index of a requirements lock comes from the settings pip and uv users have, in the
/// documented order, and the summary says which one was used; credentials never show.
// See: issue 16 ("a lock that names a private mirror is fetched from the public index").
#[test]
fn the_index_comes_from_the_lock_the_environment_or_pip_and_uv_config() {
    let m = Mirror::new();
    let dir = m.dir.path();
    let config_home = dir.join("config");
    std::fs::create_dir_all(&config_home).unwrap();
    let with_creds = m.index().replace("http://", "http://user:s3cret@");
    let run = |case: &str, lock_text: &str, env: &[(&str, String)], extra: &[&str]| {
        let sub = dir.join(case);
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("requirements.txt"), lock_text).unwrap();
        let mut cmd = repro();
        cmd.arg("fetch")
            .arg("--store")
            .arg(sub.join("store"))
            .args(["--timeout", "2", "--retries", "1"])
            .args(extra)
            .arg(sub.join("requirements.txt"));
        for var in [
            "REPRO_INDEX_URL",
            "PIP_INDEX_URL",
            "UV_INDEX_URL",
            "UV_DEFAULT_INDEX",
            "UV_NO_CONFIG",
            "VIRTUAL_ENV",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("PIP_CONFIG_FILE", "/dev/null")
            .env("XDG_CONFIG_HOME", &config_home)
            .env("HOME", dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap(), text, sub)
    };
    let lock = std::fs::read_to_string(m.lock()).unwrap();
    let expect = |(code, text, _): (i32, String, PathBuf), from: &str| {
        assert_eq!(code, 0, "{from}: {text}");
        assert!(text.contains("4 downloaded"), "{from}: {text}");
        assert!(
            text.contains(&format!("from {from}")),
            "expected `from {from}`: {text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    };
    // The lock's own line.
    expect(
        run(
            "lock-line",
            &format!("--index-url {with_creds}\n{lock}"),
            &[],
            &[],
        ),
        "the lock's --index-url at",
    );
    // The lock's line beats the environment; the flag beats both.
    expect(
        run(
            "lock-beats-env",
            &format!("--index-url {}\n{lock}", m.index()),
            &[("PIP_INDEX_URL", "http://127.0.0.1:9/simple/".into())],
            &[],
        ),
        "the lock's --index-url at",
    );
    expect(
        run(
            "flag",
            &format!("--index-url http://127.0.0.1:9/simple/\n{lock}"),
            &[("PIP_INDEX_URL", "http://127.0.0.1:9/simple/".into())],
            &["--index-url", &m.index()],
        ),
        "--index-url",
    );
    for var in ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"] {
        expect(
            run(
                &format!("env-{var}"),
                &lock,
                &[(var, with_creds.clone())],
                &[],
            ),
            &format!("${var}"),
        );
    }
    // pip.conf, then uv's files.
    let conf = dir.join("pip.conf");
    std::fs::write(&conf, format!("[global]\nindex-url = {with_creds}\n")).unwrap();
    expect(
        run(
            "pip-conf",
            &lock,
            &[("PIP_CONFIG_FILE", conf.display().to_string())],
            &[],
        ),
        "pip config",
    );
    let sub = dir.join("uv-toml");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("uv.toml"),
        format!("[[index]]\nurl = \"{}\"\ndefault = true\n", m.index()),
    )
    .unwrap();
    expect(run("uv-toml", &lock, &[], &[]), "uv config");
    let sub = dir.join("pyproject");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("pyproject.toml"),
        format!(
            "[project]\nname = \"app\"\n\n[tool.uv]\nindex-url = \"{}\"\n",
            m.index()
        ),
    )
    .unwrap();
    let (code, text, sub) = run("pyproject", &lock, &[], &["--json"]);
    assert_eq!(code, 0, "{text}");
    // stdout (the document) comes first in `text`.
    let report: serde_json::Value = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        report["indexes"][0]["source"]["kind"], "uv-config",
        "{report}"
    );
    assert_eq!(
        report["indexes"][0]["source"]["at"],
        sub.join("pyproject.toml").display().to_string()
    );
    // Credentials are never kept in the store either.
    let answers = walk(&dir.join("env-PIP_INDEX_URL/store"));
    assert!(!answers.is_empty());
    for f in answers {
        assert!(
            !std::fs::read_to_string(&f).unwrap().contains("s3cret"),
            "{}",
            f.display()
        );
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
    out
}
