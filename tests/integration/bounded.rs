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
            b"HTTP/1.1 301 Moved\r\nLocation: /elsewhere.whl\r\nContent-Length: 0\r\n\r\n".to_vec(),
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
    // 256 threads do not fit in 300 MB of address space.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 300000; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_repro"))
        .args(["fetch", "-j", "256", "--offline", "--store"])
        .arg(m.dir.path().join("store"))
        .arg(m.dir.path().join("requirements.txt"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot start 256 download threads"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
