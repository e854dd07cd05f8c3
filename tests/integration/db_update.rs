//! `repro db update DIR` against a loopback server serving zips built from `../shared/osv` (the
//! real endpoints are not reachable from these machines), and `repro audit --max-db-age`: a first
//! download, a 304 on the second run, a truncated or corrupt zip refused with the old data kept,
//! a server error keeping the old data, stale data an error that names nothing private.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::repro;
use crate::support::{Reply, Server};

/// `../shared/osv` (beside the work trees), or the corpus extract when it is missing.
fn shared_osv() -> PathBuf {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osv");
    if shared.join("pypi").is_dir() {
        shared
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/osv")
    }
}

/// A zip (stored, no compression: fast in a debug build) of the `*.json` files under `dir`
/// whose path relative to `dir` passes `keep`, under `prefix/` in the zip.
fn zip_of(dir: &Path, prefix: &str, keep: &dyn Fn(&str) -> bool) -> Vec<u8> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for f in files {
        let rel = f.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        if !keep(&rel) {
            continue;
        }
        zip.start_file(format!("{prefix}/{rel}"), opts).unwrap();
        zip.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The SOAR corpus's packages (and a few hundred more), so that the zips are real data but small.
fn soar_or_sample(rel: &str) -> bool {
    let first = rel.split('/').next().unwrap_or("");
    [
        "soupsieve",
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "pyyaml",
        "jira",
        "boto3",
    ]
    .contains(&first)
        || first.starts_with('a')
}

/// A server with the three sources: (server, PyPI zip, crates zip, malicious zip).
fn data_server() -> (Server, Vec<u8>, Vec<u8>, Vec<u8>) {
    let osv = shared_osv();
    let pypi = zip_of(
        &osv.join("pypi/pypa-advisory-database/vulns"),
        "",
        &soar_or_sample,
    );
    let crates = zip_of(&osv.join("crates/rustsec-osv/crates"), "", &|_| true);
    let malicious = zip_of(
        &osv.join("malicious/osv/malicious"),
        "malicious-packages-main/osv/malicious",
        &|rel| rel.starts_with("crates-io/") || rel.starts_with("pypi/a"),
    );
    let s = Server::start();
    s.route(
        "/osv/PyPI/all.zip",
        Reply::Tagged(pypi.clone(), "\"p1\"".into()),
    );
    s.route(
        "/osv/crates.io/all.zip",
        Reply::Tagged(crates.clone(), "\"c1\"".into()),
    );
    s.route(
        "/mal.zip",
        Reply::Tagged(malicious.clone(), "\"m1\"".into()),
    );
    (s, pypi, crates, malicious)
}

fn update(server: &Server, dir: &Path, extra: &[&str]) -> std::process::Output {
    repro()
        .args(["db", "update"])
        .arg(dir)
        .arg("--osv-url")
        .arg(format!("{}/osv", server.url))
        .arg("--malicious-url")
        .arg(format!("{}/mal.zip", server.url))
        .args(["--retries", "1", "--timeout", "5"])
        .args(extra)
        .output()
        .unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn soar_audit(db: &Path, extra: &[&str]) -> std::process::Output {
    repro()
        .args([
            "audit",
            "corpora/opensecops-soar",
            "--now",
            "2026-12-03",
            "--db",
        ])
        .arg(db)
        .args(extra)
        .output()
        .unwrap()
}

const PRIVATE: &[&str] = &["soupsieve", "2.8.3", "PYSEC-", "CVE-", "GHSA-", "vulns/"];

fn assert_private(what: &str, out: &std::process::Output) {
    let t = text(out);
    for s in PRIVATE {
        assert!(!t.contains(s), "{what}: {s} leaked:\n{t}");
    }
}

fn sha(path: &Path) -> String {
    crate::support::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn first_download_then_304_then_failures_keep_the_old_data() {
    let (server, pypi, _, _) = data_server();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("osvdb");

    // First run: three downloads, verified, indexed.
    let out = update(&server, &dir, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "repro.db-update/v1");
    assert!(
        doc["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["outcome"] == "downloaded"),
        "{doc}"
    );
    assert_eq!(doc["reindexed"], true);
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.join("repro-db.json")).unwrap()).unwrap();
    assert_eq!(state["sources"]["osv-PyPI.zip"]["etag"], "\"p1\"");
    assert_eq!(
        state["sources"]["osv-PyPI.zip"]["last_modified"],
        "Wed, 02 Dec 2026 06:00:00 GMT"
    );
    assert!(state["sources"]["osv-PyPI.zip"]["retrieved"].is_string());

    // The audit reads the directory, knows the data's age, and finds soupsieve's advisories.
    let out = soar_audit(&dir, &["--max-db-age", "36h", "--show", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 2);
    assert!(
        report["database"]["freshness"]["age_seconds"]
            .as_i64()
            .unwrap()
            < 600
    );
    let private = t.path().join("report.txt");
    let out = soar_audit(
        &dir,
        &["--max-db-age", "36h", "--report", private.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("; advisory data 0 minutes old; report written to"),
        "{}",
        text(&out)
    );
    assert_private("counts line", &out);

    // Second run: conditional requests only, all answered 304; nothing rewritten.
    let before = sha(&dir.join("osv.idx"));
    let hits = server.total_hits();
    let started = std::time::Instant::now();
    let out = update(&server, &dir, &[]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.total_hits(), hits + 3);
    let requests = server.requests();
    for (line, headers) in &requests[requests.len() - 3..] {
        assert!(
            headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("if-none-match:")),
            "{line} {headers:?}"
        );
        assert!(
            headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("if-modified-since:")),
            "{line} {headers:?}"
        );
    }
    assert!(text(&out).contains("not modified"), "{}", text(&out));
    assert!(text(&out).contains("index unchanged"), "{}", text(&out));
    assert_eq!(sha(&dir.join("osv.idx")), before);
    eprintln!("db update on unchanged data: {took:?}");
    assert!(took.as_millis() < 1000, "{took:?}");

    // A corrupt zip (new ETag, one byte of a member changed: its CRC fails) is refused; the
    // old file and its state stay.
    let held = sha(&dir.join("osv-PyPI.zip"));
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.join("repro-db.json")).unwrap()).unwrap();
    let mut corrupt = pypi.clone();
    let at = corrupt.len() / 2;
    corrupt[at] ^= 0x55;
    server.route("/osv/PyPI/all.zip", Reply::Tagged(corrupt, "\"p2\"".into()));
    let out = update(&server, &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("osv-PyPI.zip: not updated"),
        "{}",
        text(&out)
    );
    assert_eq!(sha(&dir.join("osv-PyPI.zip")), held);
    let state2: Value =
        serde_json::from_slice(&std::fs::read(dir.join("repro-db.json")).unwrap()).unwrap();
    assert_eq!(state2["sources"]["osv-PyPI.zip"]["etag"], "\"p1\"");
    assert_eq!(
        state2["sources"]["osv-PyPI.zip"]["checked"], state["sources"]["osv-PyPI.zip"]["checked"],
        "a failed source's age keeps growing"
    );

    // A truncated body: refused.
    server.route(
        "/osv/PyPI/all.zip",
        Reply::Truncate(pypi.clone(), pypi.len() / 3),
    );
    let out = update(&server, &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(sha(&dir.join("osv-PyPI.zip")), held);

    // A zip cut short but sent as complete (the right Content-Length of fewer bytes): refused.
    let short = pypi[..pypi.len() - 100].to_vec();
    server.route("/osv/PyPI/all.zip", Reply::Tagged(short, "\"p3\"".into()));
    let out = update(&server, &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(sha(&dir.join("osv-PyPI.zip")), held);

    // A server error: the old data is kept, and still audits.
    server.route("/osv/PyPI/all.zip", Reply::Status(503));
    let out = update(&server, &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("HTTP 503"), "{}", text(&out));
    assert_eq!(sha(&dir.join("osv-PyPI.zip")), held);
    let out = soar_audit(
        &dir,
        &["--max-db-age", "36h", "--report", private.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!dir.read_dir().unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".download-")
    }));
}

/// Data older than `--max-db-age` is exit 2 with its age, never a clean scan, and the message
/// names nothing private; an unknown age is an error too.
#[test]
fn stale_data_is_an_error_never_a_clean_scan() {
    let (server, _, _, _) = data_server();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("osvdb");
    let out = update(&server, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Three days pass (the state says the sources were last checked then).
    let path = dir.join("repro-db.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let then = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3 * 24 + 1);
    for s in state["sources"].as_object_mut().unwrap().values_mut() {
        s["checked"] = Value::String(then.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let report = t.path().join("r.txt");
    let out = soar_audit(
        &dir,
        &["--max-db-age", "36h", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("advisory data is 3 days old"),
        "{}",
        text(&out)
    );
    assert!(!report.exists(), "no report from stale data");
    assert_private("stale", &out);
    // Under --json: one JSON document, the error.
    let out = soar_audit(
        &dir,
        &[
            "--max-db-age",
            "36h",
            "--json",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "error");
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 days old")
    );
    // Without the limit the age is in the counts line.
    let out = soar_audit(&dir, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("advisory data 3 days old"),
        "{}",
        text(&out)
    );
    // A plain directory has no known age.
    let out = soar_audit(
        Path::new("corpora/osv"),
        &["--max-db-age", "36h", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("age of the advisory data is unknown"),
        "{}",
        text(&out)
    );
    let out = soar_audit(
        &dir,
        &[
            "--max-db-age",
            "36 hours",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// Errors of `db update` itself (an unusable directory, a server that is not there) name the
/// source and the URL, and leave nothing behind; they hold nothing of an audit.
#[test]
fn db_update_errors_are_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let out = repro()
        .args(["db", "update"])
        .arg(&file)
        .args([
            "--osv-url",
            "http://127.0.0.1:9/osv",
            "--no-malicious",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "error");
    let dir = t.path().join("db");
    let out = repro()
        .args(["db", "update"])
        .arg(&dir)
        .args([
            "--osv-url",
            "http://127.0.0.1:9/osv",
            "--no-malicious",
            "--retries",
            "1",
            "--timeout",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("osv-PyPI.zip: not updated"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("osv.idx").exists());
}

/// A 304 answers a conditional request only. A server (another `--osv-url`, or one that lies)
/// that answers 304 to a request carrying no validator has confirmed nothing: the run fails and
/// the old data keeps its old check time, so `--max-db-age` still sees it as stale.
#[test]
fn a_304_without_validators_confirms_nothing() {
    let (server, _, _, _) = data_server();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("osvdb");
    let out = update(&server, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let path = dir.join("repro-db.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let then = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3 * 24 + 1);
    for s in state["sources"].as_object_mut().unwrap().values_mut() {
        s["checked"] = Value::String(then.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    // Another server, which answers 304 to everything: the held validators are for the first
    // server's URLs, so none is sent.
    let liar = Server::start();
    for p in ["/osv/PyPI/all.zip", "/osv/crates.io/all.zip"] {
        liar.route(
            p,
            Reply::Raw(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n".to_vec()),
        );
    }
    let out = update(&liar, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("304"), "{}", text(&out));
    let report = t.path().join("r.txt");
    let out = soar_audit(
        &dir,
        &["--max-db-age", "36h", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("advisory data is 3 days old"),
        "{}",
        text(&out)
    );
}

/// A zip of valid OSV records for another ecosystem (a misrouted URL, a hostile mirror) at
/// the PyPI export's URL would leave a "fresh" database with no PyPI advisory: a clean audit.
/// It is refused like a corrupt zip, and the data held is kept.
#[test]
fn a_zip_of_another_ecosystem_is_refused() {
    let (server, pypi, crates, _) = data_server();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("osvdb");
    let out = update(&server, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let held = sha(&dir.join("osv-PyPI.zip"));
    assert_eq!(held, crate::support::sha256_hex(&pypi));
    server.route(
        "/osv/PyPI/all.zip",
        Reply::Tagged(crates.clone(), "\"p2\"".into()),
    );
    let out = update(&server, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("PyPI"), "{}", text(&out));
    assert_eq!(
        sha(&dir.join("osv-PyPI.zip")),
        held,
        "the data held is kept"
    );
    let out = soar_audit(&dir, &["--show", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// A source never downloaded (its first download failed) leaves no data for its ecosystem:
/// the other sources' fresh check times must not make the database look fresh, or the audit
/// of a PyPI project is a clean scan of no PyPI advisory.
#[test]
fn a_source_never_downloaded_is_not_fresh_data() {
    let (server, _, _, _) = data_server();
    server.route("/osv/PyPI/all.zip", Reply::Status(500));
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("osvdb");
    let out = update(&server, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = t.path().join("r.txt");
    let out = soar_audit(
        &dir,
        &["--max-db-age", "36h", "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("holds no PyPI advisories"),
        "{}",
        text(&out)
    );
    assert!(!report.exists(), "no report from missing data");
    // Without --max-db-age too: no scan on data that holds nothing for an ecosystem.
    let out = soar_audit(&dir, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_private("missing data", &out);
}

/// The same for the malicious-packages zip, when the update was asked for it: a first download
/// that failed leaves no `MAL-` record, so the data is incomplete, not fresh. Asked for no
/// malicious data (`--no-malicious`), the directory is complete without it.
#[test]
fn a_malicious_zip_never_downloaded_is_incomplete_data() {
    let (server, _, _, _) = data_server();
    server.route("/mal.zip", Reply::Status(500));
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("osvdb");
    let out = update(&server, &dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = t.path().join("r.txt");
    let out = soar_audit(&dir, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("never downloaded"), "{}", text(&out));
    assert!(!report.exists());
    let out = update(&server, &dir, &["--no-malicious"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = soar_audit(&dir, &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
