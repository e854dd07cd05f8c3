//! Bounded: every input has a size, a time or a count it cannot exceed, and a special file
//! (FIFO, device) is refused without being read.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::repro;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Run `cmd`, killing it after `limit`: Ok(output) if it finished in time.
fn run_within(mut cmd: assert_cmd::Command, limit: Duration) -> std::process::Output {
    cmd.timeout(limit);
    let started = Instant::now();
    let out = cmd.output().unwrap();
    assert!(
        started.elapsed() < limit,
        "did not finish within {limit:?} (hung): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `-r` to a FIFO (or a lockfile that is one): refused at once, not a hang waiting for a writer.
#[test]
fn a_fifo_include_or_lockfile_is_refused_not_hung() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("pipe.txt"));
    let lock = write(dir.path(), "requirements.txt", "-r pipe.txt\n");
    let mut cmd = repro();
    cmd.arg("check").arg(&lock);
    let out = run_within(cmd, Duration::from_secs(10));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("requirements.txt:1: cannot read included file `pipe.txt`: is a FIFO"),
        "{text}"
    );
    // Named on the command line, and a device.
    for path in [dir.path().join("pipe.txt"), "/dev/zero".into()] {
        let mut cmd = repro();
        cmd.arg("check").arg(&path);
        let out = run_within(cmd, Duration::from_secs(10));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("not a regular file"), "{text}");
    }
}

// --- HTTP ----------------------------------------------------------------------------------

use crate::support::{Reply, Server, sha256_hex, wheel};

/// A mirror serving one wheel's index page; the wheel's own route is left to each test.
struct OneWheel {
    server: Server,
    dir: tempfile::TempDir,
    name: &'static str,
}

impl OneWheel {
    fn new() -> OneWheel {
        let server = Server::start();
        let whl = wheel("alpha", "1.0", "py3-none-any", "A = 1\n");
        let name = "alpha-1.0-py3-none-any.whl";
        server.route(
            "/simple/alpha/",
            Reply::Ok(
                crate::support::simple_page(&server.url, &[(name, &whl)]),
                "application/vnd.pypi.simple.v1+json",
            ),
        );
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "requirements.txt",
            &format!("alpha==1.0 --hash=sha256:{}\n", sha256_hex(&whl)),
        );
        OneWheel { server, dir, name }
    }

    fn file_route(&self) -> String {
        format!("/files/{}", self.name)
    }

    fn fetch(&self, extra: &[&str]) -> (i32, String, String, Duration) {
        let started = Instant::now();
        let out = repro()
            .arg("fetch")
            .arg("--store")
            .arg(self.dir.path().join("store"))
            .args(["--index-url", &format!("{}/simple/", self.server.url)])
            .args(extra)
            .arg(self.dir.path().join("requirements.txt"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            started.elapsed(),
        )
    }

    /// Files left in the store's temp directory.
    fn tmp_files(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("store/v1/tmp"))
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

/// A `Content-Length` above the 4 GiB object cap is refused before a byte is read: it cannot
/// lift the cap.
#[test]
fn a_content_length_cannot_lift_the_object_cap() {
    let m = OneWheel::new();
    let cap: u64 = 4 * 1024 * 1024 * 1024;
    m.server.route(
        &m.file_route(),
        Reply::RawThenStall(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\r\n{}",
                cap + 1,
                "x".repeat(64 * 1024)
            )
            .into_bytes(),
        ),
    );
    let (code, out, err, took) = m.fetch(&["--timeout", "5", "--retries", "1"]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "the server announces {} bytes, more than the {cap}-byte limit",
            cap + 1
        )),
        "{err}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(m.tmp_files(), 0);
}

/// An artifact sent gzip-encoded is hashed as sent: a 100 KB response does not become a
/// 100 MB temp file.
#[test]
fn a_gzip_encoded_artifact_is_not_inflated() {
    use std::io::Write;
    let m = OneWheel::new();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 100 << 20]).unwrap();
    let body = gz.finish().unwrap();
    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Encoding: gzip\r\nContent-Type: application/octet-stream\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    m.server.route(&m.file_route(), Reply::Raw(response));
    let (code, out, err, _) = m.fetch(&["--retries", "1"]);
    let err = format!("{out}{err}");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("({} bytes)", body.len())),
        "the bytes as sent, not inflated: {err}"
    );
    assert!(!err.contains("104857600"), "{err}");
    assert_eq!(m.tmp_files(), 0);
}

/// Index pages may be gzip-encoded (decoded here, since ureq no longer decodes), and the decoded
/// size is capped, as it was when ureq decoded them.
#[test]
fn gzip_index_pages_are_decoded_with_a_cap() {
    use std::io::Write;
    let gzip = |bytes: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    };
    let encoded = |body: Vec<u8>| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Encoding: gzip\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(&body);
        r
    };
    // An ordinary page, compressed: the wheel is found and admitted.
    let m = OneWheel::new();
    let whl = wheel("alpha", "1.0", "py3-none-any", "A = 1\n");
    let page = crate::support::simple_page(&m.server.url, &[(m.name, &whl)]);
    m.server
        .route("/simple/alpha/", Reply::Raw(encoded(gzip(&page))));
    m.server.route(
        &m.file_route(),
        Reply::Ok(whl.clone(), "application/octet-stream"),
    );
    let (code, out, err, _) = m.fetch(&["--retries", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    // A page that decodes to one byte more than the cap.
    let m = OneWheel::new();
    let cap = 64usize << 20;
    let mut bomb = b"{\"files\": [], \"pad\": \"".to_vec();
    bomb.resize(cap - 1, b' ');
    bomb.extend_from_slice(b"\"}");
    assert_eq!(bomb.len(), cap + 1);
    m.server
        .route("/simple/alpha/", Reply::Raw(encoded(gzip(&bomb))));
    let (code, out, err, _) = m.fetch(&["--retries", "1"]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("project page larger than {cap} bytes")),
        "{err}"
    );
}

/// `--timeout` bounds a stalled body: it fails after one timeout, not twenty.
#[test]
fn a_stalled_body_times_out_after_the_timeout() {
    let m = OneWheel::new();
    m.server.route(
        &m.file_route(),
        Reply::RawThenStall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nContent-Type: application/octet-stream\r\n\r\npartial".to_vec(),
        ),
    );
    let (code, _, err, took) = m.fetch(&["--timeout", "1", "--retries", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}: {err}");
    assert_eq!(m.tmp_files(), 0);
}

/// A body that trickles (a byte every 0.3 s, so no single read waits a whole `--timeout`) is
/// cut off when the attempt has run ten timeouts.
#[test]
fn a_trickling_body_is_cut_off_at_the_attempt_limit() {
    let m = OneWheel::new();
    m.server.route(
        &m.file_route(),
        Reply::Drip(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec(),
            1000,
            Duration::from_millis(300),
        ),
    );
    let (code, _, err, took) = m.fetch(&["--timeout", "1", "--retries", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(took >= Duration::from_secs(9), "took {took:?}: {err}");
    assert!(took < Duration::from_secs(15), "took {took:?}: {err}");
}

/// A redirect to another scheme is reported as one, not as an HTTP error status.
#[test]
fn a_redirect_to_another_scheme_is_named() {
    let m = OneWheel::new();
    m.server.route(
        &m.file_route(),
        Reply::Raw(
            b"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/alpha.whl\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ),
    );
    let (code, out, err, _) = m.fetch(&["--retries", "1"]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "redirects to another scheme, `ftp:` (`ftp://127.0.0.1/alpha.whl`): not followed"
        ),
        "{err}"
    );
    assert!(!err.contains("HTTP 404"), "{err}");
    // A redirect within HTTP is followed.
    let m = OneWheel::new();
    let whl = wheel("alpha", "1.0", "py3-none-any", "A = 1\n");
    m.server
        .route("/elsewhere.whl", Reply::Ok(whl, "application/octet-stream"));
    m.server.route(
        &m.file_route(),
        Reply::Raw(
            b"HTTP/1.1 301 Moved\r\nLocation: /elsewhere.whl\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_vec(),
        ),
    );
    let (code, out, err, _) = m.fetch(&["--retries", "1"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// `--jobs` above the cap is a usage error; at the cap, a thread limit that refuses the
/// threads is an error with a message (exit 2), not a panic.
#[test]
fn too_many_jobs_is_an_error_not_a_panic() {
    let m = OneWheel::new();
    let (code, _, err, _) = m.fetch(&["-j", "257"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("257 is not in 1..=256"), "{err}");
    let (code, _, err, _) = m.fetch(&["-j", "5000"]);
    assert_eq!(code, 2, "{err}");
    // 256 threads under a limit of 30 processes. The limit does not bind root: drop to nobody.
    use std::os::unix::fs::PermissionsExt;
    let open = tempfile::tempdir().unwrap();
    std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let lock = open.path().join("requirements.txt");
    std::fs::copy(m.dir.path().join("requirements.txt"), &lock).unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o644)).unwrap();
    let uid = std::process::Command::new("id").arg("-u").output().unwrap();
    let mut cmd = if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "bash"]);
        c
    } else {
        std::process::Command::new("bash")
    };
    let out = cmd
        .arg("-c")
        .arg("ulimit -u 30; exec \"$@\"")
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_repro"))
        .args(["fetch", "-j", "256", "--offline", "--store"])
        .arg(open.path().join("store"))
        .arg(&lock)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot start 256 download threads"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

// --- Size caps on every document read --------------------------------------------------------

/// A sparse file of `len` bytes (no disk used): capped reads refuse it from its size alone.
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

/// Every kind of document is refused one byte past its cap, and `/dev/zero` and a FIFO in its
/// place fail at once instead of being read forever or blocking.
#[test]
fn documents_are_read_with_caps_and_special_files_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    mkfifo(&dir.join("fifo"));
    let artefact = write(dir, "artefact.txt", "hello\n");
    let keys = repro()
        .current_dir(dir)
        .env("REPRO_PASSWORD", "x")
        .args(["key", "generate", "--out", "k"])
        .output()
        .unwrap();
    assert_eq!(keys.status.code(), Some(0));
    let (key, public) = (dir.join("k.key"), dir.join("k.pub"));
    // A keyless bundle, as far as reading it goes: the trusted root is read next.
    let bundle = write(
        dir,
        "keyless.sigstore.json",
        r#"{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"certificate": {"rawBytes": "AA=="}},
            "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": "AA=="}, "signature": "AA=="}}"#,
    );
    let lock = write(dir, "requirements.txt", "six==1.17.0\n");
    std::fs::create_dir(dir.join("db")).unwrap();
    std::fs::write(
        dir.join("db/a.json"),
        r#"{"id":"PYSEC-T-1","affected":[{"package":{"ecosystem":"PyPI","name":"demo"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    const MIB: u64 = 1024 * 1024;
    // (what, cap, the command with `{}` where the file goes)
    let cases: &[(&str, u64, &[&str])] = &[
        (
            "private key",
            64 * 1024,
            &["sign", "--key", "{}", "ARTEFACT"],
        ),
        (
            "public key",
            64 * 1024,
            &[
                "verify",
                "ARTEFACT",
                "--key",
                "{}",
                "--signature",
                "ARTEFACT",
            ],
        ),
        (
            "signature",
            64 * 1024,
            &["verify", "ARTEFACT", "--key", "PUB", "--signature", "{}"],
        ),
        (
            "bundle",
            64 * MIB,
            &["verify", "ARTEFACT", "--key", "PUB", "--bundle", "{}"],
        ),
        (
            "statement",
            32 * MIB,
            &["sign", "--key", "KEY", "--attestation", "{}"],
        ),
        (
            "trusted root",
            4 * MIB,
            &[
                "verify",
                "ARTEFACT",
                "--bundle",
                "BUNDLE",
                "--certificate-identity",
                "i",
                "--certificate-oidc-issuer",
                "o",
                "--trusted-root",
                "{}",
            ],
        ),
        (
            "policy",
            MIB,
            &["audit", "--db", "DB", "--policy", "{}", "LOCK"],
        ),
        ("SBOM", 256 * MIB, &["audit", "--db", "DB", "--sbom", "{}"]),
        (
            "manifest",
            256 * MIB,
            &["audit", "--db", "DB", "--manifest", "{}"],
        ),
        ("lockfile", 16 * MIB, &["check", "{}"]),
    ];
    let subst = |args: &[&str], file: &Path| -> Vec<std::ffi::OsString> {
        args.iter()
            .map(|a| match *a {
                "{}" => file.as_os_str().to_owned(),
                "ARTEFACT" => artefact.as_os_str().to_owned(),
                "KEY" => key.as_os_str().to_owned(),
                "PUB" => public.as_os_str().to_owned(),
                "BUNDLE" => bundle.as_os_str().to_owned(),
                "DB" => dir.join("db").into_os_string(),
                "LOCK" => lock.as_os_str().to_owned(),
                other => other.into(),
            })
            .collect()
    };
    for (what, cap, args) in cases {
        // One byte past the cap.
        let big = dir.join(format!("big-{}", what.replace(' ', "-")));
        sparse(&big, cap + 1);
        let mut cmd = repro();
        cmd.env("REPRO_PASSWORD", "x").args(subst(args, &big));
        let out = run_within(cmd, Duration::from_secs(10));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{what}: {text}");
        assert!(
            text.contains(&format!("larger than the limit of {cap} bytes"))
                || text.contains(&format!("larger than the {cap}-byte limit")),
            "{what}: {text}"
        );
        // A device and a FIFO.
        for special in [Path::new("/dev/zero"), &dir.join("fifo")] {
            let mut cmd = repro();
            cmd.env("REPRO_PASSWORD", "x").args(subst(args, special));
            let out = run_within(cmd, Duration::from_secs(10));
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.status.code(), Some(2), "{what} {special:?}: {text}");
            assert!(
                text.contains("not a regular file"),
                "{what} {special:?}: {text}"
            );
        }
    }
    // The artefact itself, when signing or verifying.
    let mut cmd = repro();
    cmd.env("REPRO_PASSWORD", "x")
        .args(["verify", "/dev/zero", "--signature"])
        .arg(&artefact)
        .arg("--key")
        .arg(&public);
    let out = run_within(cmd, Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
}

/// A crafted encrypted key asking scrypt for 4 GiB is refused before any work.
#[test]
fn a_crafted_key_cannot_demand_gigabytes_of_scrypt_memory() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let t = tempfile::tempdir().unwrap();
    let doc = serde_json::json!({
        "kdf": {"name": "scrypt", "params": {"N": 1 << 20, "r": 32, "p": 1}, "salt": b64(&[7; 32])},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(&[7; 24])},
        "ciphertext": b64(&[7; 80]),
    });
    let body = b64(&serde_json::to_vec(&doc).unwrap());
    let pem = format!(
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{body}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    );
    let key = write(t.path(), "crafted.key", &pem);
    let file = write(t.path(), "a.txt", "a\n");
    let mut cmd = repro();
    cmd.env("REPRO_PASSWORD", "x")
        .args(["sign", "--key"])
        .arg(&key)
        .arg(&file);
    let out = run_within(cmd, Duration::from_secs(10));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("need 4096 MiB, more than the 256 MiB limit"),
        "{err}"
    );
}

/// A private key others can read still signs, with a warning.
#[test]
fn a_private_key_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let out = repro()
        .current_dir(t.path())
        .env("REPRO_PASSWORD", "pass")
        .args(["key", "generate", "--out", "k"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let file = write(t.path(), "a.txt", "a\n");
    let sign = || {
        repro()
            .current_dir(t.path())
            .env("REPRO_PASSWORD", "pass")
            .args(["sign", "--key", "k.key"])
            .arg(&file)
            .output()
            .unwrap()
    };
    let out = sign();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("readable by others"));
    std::fs::set_permissions(
        t.path().join("k.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = sign();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "warning: the private key `k.key` is readable by others (mode 0644): `chmod 600` it"
        ),
        "{err}"
    );
}

/// `repro pack` of a tree holding a FIFO is refused, not hung on it.
#[test]
fn packing_a_tree_with_a_fifo_is_refused_not_hung() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    write(&tree, "a.txt", "a\n");
    mkfifo(&tree.join("pipe"));
    let mut cmd = repro();
    cmd.args(["pack", "--source-date-epoch", "1700000000"])
        .arg(&tree)
        .arg(t.path().join("out.zip"));
    let out = run_within(cmd, Duration::from_secs(10));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("pipe` is a FIFO: only regular files"), "{err}");
    assert!(!t.path().join("out.zip").exists());
}

// --- Lockfiles: bytes and entries, per file and per run ----------------------------------------

/// `n` pinned requirements, one per line, named with `prefix`.
fn many_requirements(prefix: &str, n: usize) -> String {
    (0..n).map(|i| format!("{prefix}{i}==1.0\n")).collect()
}

/// A lockfile of 16 MB of one-package lines (3 million packages, 4 GB once parsed and checked)
/// is refused at its 100,001st entry, within a memory bound (1 GB of address space).
#[test]
fn a_lockfile_of_millions_of_entries_is_refused_within_a_memory_bound() {
    let t = tempfile::tempdir().unwrap();
    let line = "a==1\n";
    let n = (16 * 1024 * 1024 - 1) / line.len();
    let lock = write(t.path(), "requirements.txt", &line.repeat(n));
    let mut cmd = assert_cmd::Command::new("bash");
    cmd.arg("-c")
        .arg("ulimit -v 1000000; exec \"$@\"")
        .arg("bash")
        .arg(env!("CARGO_BIN_EXE_repro"))
        .arg("check")
        .arg(&lock);
    let out = run_within(cmd, Duration::from_secs(20));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("requirements.txt:100002: more than 100000 entries"),
        "{text}"
    );
}

/// Exactly at the cap a lockfile loads; one entry more (across its includes) does not.
#[test]
fn lock_entries_are_capped_at_one_past_the_limit() {
    let t = tempfile::tempdir().unwrap();
    let cap = 100_000;
    let at_cap = write(t.path(), "requirements.txt", &many_requirements("p", cap));
    let out = repro().args(["check", "-q"]).arg(&at_cap).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("1 lockfile, {cap} packages")),
        "{text}"
    );
    // Split across an include: the tree counts as one lock.
    let sub = t.path().join("over");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "base.txt", &many_requirements("p", cap));
    let over = write(&sub, "requirements.txt", "-r base.txt\n");
    let out = repro()
        .args(["check", "--json"])
        .arg(&over)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failure = report["failures"][0]["message"].as_str().unwrap_or("");
    assert!(failure.contains("more than 100000 entries"), "{failure}");
}

/// Many large lockfiles at once: loading stops when they hold more than 500,000 entries
/// together, the documented memory bound of a run.
#[test]
fn many_large_lockfiles_stay_within_the_run_bound() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..6 {
        let d = t.path().join(format!("fn{i}"));
        std::fs::create_dir(&d).unwrap();
        // Pinned and hashed: hermetic, so the report stays short.
        let text: String = (0..90_000)
            .map(|j| format!("f{i}p{j}==1.0 --hash=sha256:{j:064x}\n"))
            .collect();
        write(&d, "requirements.txt", &text);
    }
    let mut cmd = repro();
    cmd.arg("check").arg(t.path());
    let out = run_within(cmd, Duration::from_secs(120));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "fn5/requirements.txt: the lockfiles of this run hold more than 500000 entries together"
        ),
        "{text}"
    );
    assert!(
        text.contains("5 lockfiles, 450000 packages"),
        "the sixth is not loaded: {text}"
    );
}
