//! Private stays private: secrets handed to `repro` (a file that is not a lockfile, credentials
//! in an index URL) and private findings never reach what it prints or writes.

use std::path::Path;

use crate::repro;

/// Everything a run printed.
fn output_of(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `-r /proc/self/environ`: the process environment is not a lockfile, and the error about it
/// must not print the token it holds.
#[test]
fn an_include_of_the_environment_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let lock = write(dir.path(), "requirements.txt", "-r /proc/self/environ\n");
    let out = repro()
        .env_clear()
        .env("GITHUB_TOKEN", "ghp_s3cretT0kenValue")
        .args(["check"])
        .arg(&lock)
        .output()
        .unwrap();
    let text = output_of(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("/proc/self/environ:1"), "{text}");
    for secret in ["ghp_s3cretT0kenValue", "GITHUB_TOKEN"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

/// A `.netrc` (or any file that is not a requirements file) included by mistake: no line of it
/// is quoted, whichever parser error it trips.
#[test]
fn an_included_netrc_is_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    for (i, netrc) in [
        "machine pypi.example.org login alice password hunter2secret\n",
        "machine pypi.example.org\n  login alice\n  password hunter2secret\n",
        "password=hunter2secret\n",
        "--password hunter2secret\n",
        "-phunter2secret\n",
        "alice[hunter2secret.]==1\n",
        "alice ; hunter2secret == '1'\n",
        "alice==1 --hash=hunter2secret:00\n",
        "alice @ https://x.org/a.whl#sha256=hunter2secret\n",
    ]
    .iter()
    .enumerate()
    {
        write(dir.path(), ".netrc", netrc);
        let lock = write(dir.path(), "requirements.txt", "-r .netrc\n");
        let out = repro().arg("check").arg(&lock).output().unwrap();
        let text = output_of(&out);
        assert_eq!(out.status.code(), Some(2), "case {i}: {text}");
        assert!(text.contains(".netrc:1"), "case {i}: {text}");
        for secret in ["hunter2secret", "alice"] {
            assert!(!text.contains(secret), "case {i}: {secret} leaked: {text}");
        }
    }
}

/// TOML lockfiles: a parser error names the line, never a value of the file (a package name in
/// `repro audit` is private too).
#[test]
fn toml_lockfile_errors_quote_no_value() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "uv.lock",
            "version = 1\n\n[[package]]\nname = \"secretpkg\"\nversion = \"1.0\"\nsource = \"secretpkg-source\"\n",
        ),
        (
            "pylock.toml",
            "lock-version = \"1.0\"\n\n[[packages]]\nname = \"secretpkg\"\nversion = [\"secretpkg-1.0\"]\n",
        ),
        (
            "Cargo.lock",
            "version = 3\n\n[[package]]\nname = \"secretpkg\"\nversion = \"1.0.0\"\ndependencies = [\"secretdep 9\"]\n",
        ),
        ("pylock.toml", "lock-version = \"secretpkg-9\"\n"),
    ] {
        let sub = dir.path().join(format!("{}", text.len()));
        std::fs::create_dir_all(&sub).unwrap();
        let lock = write(&sub, name, text);
        let out = repro().arg("check").arg(&lock).output().unwrap();
        let printed = output_of(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {printed}");
        for secret in ["secretpkg", "secretdep", "1.0.0"] {
            assert!(
                !printed.contains(secret),
                "{name}: {secret} leaked: {printed}"
            );
        }
    }
}

/// Credentials in the index URL authenticate the requests and appear nowhere repro writes:
/// not in the output (text or JSON), the errors, the store's records, nor the request line.
#[test]
fn index_credentials_are_used_but_never_written() {
    use crate::support::{Reply, Server, sha256_hex, wheel};
    let server = Server::start();
    let good = wheel("alpha", "1.0", "py3-none-any", "A = 1\n");
    let gone = wheel("beta", "2.0", "py3-none-any", "B = 1\n");
    let page = |name: &str, bytes: &[u8]| {
        // Relative file URLs: they inherit the page's credentials, as on a private index.
        serde_json::to_vec(&serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": "x",
            "files": [{
                "filename": name,
                "url": format!("../../files/{name}?token=qs-S3cret"),
                "hashes": {"sha256": sha256_hex(bytes)},
            }],
        }))
        .unwrap()
    };
    server.route(
        "/simple/alpha/",
        Reply::Ok(
            page("alpha-1.0-py3-none-any.whl", &good),
            "application/vnd.pypi.simple.v1+json",
        ),
    );
    server.route(
        "/simple/beta/",
        Reply::Ok(
            page("beta-2.0-py3-none-any.whl", &gone),
            "application/vnd.pypi.simple.v1+json",
        ),
    );
    server.route(
        "/files/alpha-1.0-py3-none-any.whl?token=qs-S3cret",
        Reply::Ok(good.clone(), "application/octet-stream"),
    );
    let dir = tempfile::tempdir().unwrap();
    let lock = write(
        dir.path(),
        "requirements.txt",
        &format!(
            "alpha==1.0 --hash=sha256:{}\nbeta==2.0 --hash=sha256:{}\n",
            sha256_hex(&good),
            sha256_hex(&gone)
        ),
    );
    let index = server.url.replace("http://", "http://alice:S3cretTok@") + "/simple/";
    let store = dir.path().join("store");
    for json in [false, true] {
        let out = repro()
            .arg("fetch")
            .arg("--store")
            .arg(&store)
            .args(["--index-url", &index, "--timeout", "2", "--retries", "1"])
            .args(json.then_some("--json"))
            .arg(&lock)
            .output()
            .unwrap();
        let text = output_of(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("beta-2.0-py3-none-any.whl"), "{text}");
        for secret in ["S3cretTok", "alice", "qs-S3cret"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    let mut records = String::new();
    for e in walkdir::WalkDir::new(store.join("v1/records")) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            records.push_str(&std::fs::read_to_string(e.path()).unwrap());
        }
    }
    assert!(records.contains("alpha-1.0-py3-none-any.whl"), "{records}");
    for secret in ["S3cretTok", "alice", "qs-S3cret"] {
        assert!(!records.contains(secret), "{secret} in a record: {records}");
    }
    // Sent as Basic authentication (base64 of `alice:S3cretTok`), not in the request itself.
    let requests = server.requests();
    assert!(!requests.is_empty());
    for (line, headers) in &requests {
        assert!(!line.contains("S3cretTok"), "{line}");
        assert!(
            headers.contains(&"authorization: Basic YWxpY2U6UzNjcmV0VG9r".to_string())
                || headers.contains(&"Authorization: Basic YWxpY2U6UzNjcmV0VG9r".to_string()),
            "{line}: {headers:?}"
        );
        assert!(headers.iter().all(|h| !h.contains("alice:")), "{headers:?}");
    }
}

/// A lock's own `--index-url` with credentials: `repro check` reports the index without them.
#[test]
fn lock_index_credentials_are_not_printed_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let lock = write(
        dir.path(),
        "requirements.txt",
        "--index-url https://ci:glpat-S3cret@gitlab.example/api/v4/simple/?private_token=p-S3cret\nsix==1.17.0 --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\n",
    );
    for json in [false, true] {
        let out = repro()
            .arg("check")
            .args(json.then_some("--json"))
            .arg(&lock)
            .output()
            .unwrap();
        let text = output_of(&out);
        assert!(text.contains("gitlab.example/api/v4/simple/"), "{text}");
        for secret in ["glpat-S3cret", "p-S3cret", "ci:"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
}

/// Distribution URLs with credentials in a uv.lock: the SBOM lists them without.
#[test]
fn sbom_urls_carry_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "uv.lock",
        "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"six\"\nversion = \"1.17.0\"\nsource = { registry = \"https://u:S3cretTok@mirror.example/simple\" }\nwheels = [\n    { url = \"https://u:S3cretTok@mirror.example/files/six-1.17.0-py2.py3-none-any.whl?X-Amz-Signature=sigS3cret\", hash = \"sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\" },\n]\n",
    );
    let sbom = dir.path().join("sbom.json");
    let out = repro()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("sbom")
        .arg(dir.path().join("uv.lock"))
        .args(["--name", "x", "--version", "1", "--out"])
        .arg(&sbom)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_of(&out));
    let text = std::fs::read_to_string(&sbom).unwrap();
    assert!(text.contains("mirror.example/files/six-1.17.0"), "{text}");
    for secret in ["S3cretTok", "sigS3cret"] {
        assert!(!text.contains(secret), "{secret} in the SBOM: {text}");
    }
}

/// A checkout cloned with a token keeps it in its remote URL, and a build command may carry an
/// index URL with credentials: neither reaches the manifest or the provenance.
#[test]
fn build_records_carry_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&[
        "remote",
        "add",
        "origin",
        "https://x-access-token:ghs_S3cretTok@github.com/o/r.git",
    ]);
    write(dir.path(), "requirements.txt", "");
    let out = repro()
        .current_dir(dir.path())
        .args([
            "build",
            "requirements.txt",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--offline",
            "--store",
        ])
        .arg(dir.path().join("store"))
        .args([
            "--output",
            "out",
            "--out",
            "manifest.json",
            "--provenance",
            "prov.json",
            "--",
            "sh",
            "-c",
            "mkdir -p out; echo x > out/a.txt",
            "--index-url=https://ci:glpat-S3cretTok@gitlab.example/simple/",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_of(&out));
    for file in ["manifest.json", "prov.json"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains("gitlab.example/simple/"), "{file}: {text}");
        assert!(!text.contains("S3cretTok"), "{file}: {text}");
    }
    let prov = std::fs::read_to_string(dir.path().join("prov.json")).unwrap();
    assert!(
        prov.contains("git+https://***@github.com/o/r.git"),
        "{prov}"
    );
}

// --- Private routing of `repro audit` on every path -------------------------------------------

/// What must never appear in a public log of an audit run without `--show`.
const PRIVATE: &[&str] = &[
    "secretpkg",
    "1.2.3",
    "PYSEC-T-SECRET",
    "CVE-2099-0001",
    "vulns/secretpkg",
];

fn assert_private(what: &str, out: &std::process::Output, code: i32) {
    let text = output_of(out);
    assert_eq!(out.status.code(), Some(code), "{what}: {text}");
    for secret in PRIVATE {
        assert!(!text.contains(secret), "{what}: {secret} leaked:\n{text}");
    }
}

/// An OSV database with one record affecting `secretpkg` 1.2.3, under `vulns/secretpkg/`.
fn secret_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("db");
    std::fs::create_dir_all(db.join("vulns/secretpkg")).unwrap();
    std::fs::write(
        db.join("vulns/secretpkg/PYSEC-T-SECRET.json"),
        serde_json::to_vec(&serde_json::json!({
            "id": "PYSEC-T-SECRET",
            "aliases": ["CVE-2099-0001"],
            "published": "2026-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "secretpkg"},
                          "versions": ["1.2.3"]}],
        }))
        .unwrap(),
    )
    .unwrap();
    db
}

fn audit(dir: &Path, args: &[&str]) -> std::process::Output {
    repro()
        .current_dir(dir)
        .args(["audit", "--now", "2026-12-03"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn audit_error_paths_name_no_package_advisory_or_record() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let db = secret_db(dir);
    let db = db.to_str().unwrap();
    let lock = write(dir, "requirements.txt", "secretpkg==1.2.3\n");
    let lock = lock.to_str().unwrap();
    let report = dir.join("private/report.txt");
    std::fs::create_dir(dir.join("private")).unwrap();
    let report = report.to_str().unwrap();

    // Findings: counts only.
    assert_private(
        "findings",
        &audit(dir, &["--db", db, "--report", report, lock]),
        1,
    );

    // Lockfiles that do not parse, each quoting the package in its own way.
    for (i, (name, text)) in [
        ("requirements.txt", "secretpkg==1.2.3 (\n"),
        ("requirements.txt", "secretpkg==1.2.3 --hash=sha256:1.2.3\n"),
        ("requirements.txt", "secretpkg==1.2.3 --frobnicate=secretpkg\n"),
        ("requirements.txt", "-r secretpkg-1.2.3.txt\n"),
        ("uv.lock", "version = 1\n[[package]]\nname = \"secretpkg\"\nversion = \"1.2.3\"\nsource = \"secretpkg\"\n"),
        ("pylock.toml", "lock-version = \"1.0\"\n[[packages]]\nname = \"secretpkg\"\nversion = 1.2\n"),
        ("Cargo.lock", "version = 3\n[[package]]\nname = \"secretpkg\"\nversion = \"1.2.3\"\ndependencies = [\"secretpkg 1.2.3 (bad)\"]\n"),
    ]
    .iter()
    .enumerate()
    {
        let sub = dir.join(format!("lock{i}"));
        std::fs::create_dir(&sub).unwrap();
        let bad = write(&sub, name, text);
        assert_private(
            &format!("lock {i}"),
            &audit(dir, &["--db", db, "--report", report, bad.to_str().unwrap()]),
            2,
        );
    }

    // Policies: a syntax error in an embargoed clock entry, a bad date, a bad type.
    for (i, policy) in [
        "[[clock]]\nadvisory = \"CVE-2099-0001\npackage = \"secretpkg\"\nstart = \"2026-07-01\"\n",
        "[[clock]]\nadvisory = \"CVE-2099-0001\"\npackage = \"secretpkg\"\nstart = \"1.2.3\"\n",
        "[[clock]]\nadvisory = \"CVE-2099-0001\"\npackage = [\"secretpkg\"]\nstart = \"2026-07-01\"\n",
        "high-days = \"secretpkg\"\n",
    ]
    .iter()
    .enumerate()
    {
        let p = write(dir, &format!("policy{i}.toml"), policy);
        assert_private(
            &format!("policy {i}"),
            &audit(
                dir,
                &["--db", db, "--policy", p.to_str().unwrap(), "--report", report, lock],
            ),
            2,
        );
    }

    // A stale index: a record this audit reads was edited since indexing.
    let idx = dir.join("osv.idx");
    let built = repro()
        .args(["db", "index", db, "--out"])
        .arg(&idx)
        .output()
        .unwrap();
    assert_eq!(built.status.code(), Some(0), "{}", output_of(&built));
    let idx = idx.to_str().unwrap();
    assert_private(
        "fresh index",
        &audit(dir, &["--db", idx, "--report", report, lock]),
        1,
    );
    let record = dir.join("db/vulns/secretpkg/PYSEC-T-SECRET.json");
    let text = std::fs::read_to_string(&record)
        .unwrap()
        .replace("2026-01-01", "2026-01-02");
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&record)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .unwrap();
    let out = audit(dir, &["--db", idx, "--report", report, lock]);
    assert_private("stale index", &out, 2);
    assert!(
        output_of(&out).contains("stale index"),
        "{}",
        output_of(&out)
    );
    // With --show the person at the terminal learns which record.
    let out = audit(dir, &["--db", idx, "--show", lock]);
    assert!(
        output_of(&out).contains("vulns/secretpkg"),
        "{}",
        output_of(&out)
    );

    // A damaged index body.
    let mut bytes = std::fs::read(idx).unwrap();
    let n = bytes.len();
    bytes[n - 10..].copy_from_slice(b"\"secretpkg");
    let broken = dir.join("broken.idx");
    std::fs::write(&broken, &bytes).unwrap();
    std::fs::write(
        &record,
        std::fs::read_to_string(&record)
            .unwrap()
            .replace("2026-01-02", "2026-01-01"),
    )
    .unwrap();
    assert_private(
        "damaged index",
        &audit(
            dir,
            &["--db", broken.to_str().unwrap(), "--report", report, lock],
        ),
        2,
    );

    // An SBOM and a manifest that do not parse, quoting the package.
    let sbom = write(
        dir,
        "sbom.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "library", "name": "secretpkg", "version": "1.2.3", "purl": {"secretpkg": "1.2.3"}}]}"#,
    );
    assert_private(
        "sbom",
        &audit(
            dir,
            &[
                "--db",
                db,
                "--report",
                report,
                "--sbom",
                sbom.to_str().unwrap(),
            ],
        ),
        2,
    );
    let manifest = write(
        dir,
        "manifest.json",
        r#"{"schema": "repro.manifest/v1", "build_id": "x", "build": {"resolved": [{"name": "secretpkg", "version": "1.2.3", "size": "secretpkg"}]}}"#,
    );
    assert_private(
        "manifest",
        &audit(
            dir,
            &[
                "--db",
                db,
                "--report",
                report,
                "--manifest",
                manifest.to_str().unwrap(),
            ],
        ),
        2,
    );

    // A report that cannot be written.
    assert_private(
        "unwritable report",
        &audit(
            dir,
            &["--db", db, "--report", "/nonexistent/dir/r.txt", lock],
        ),
        2,
    );

    // Encryption: a recipient that does not parse; an encrypted report that cannot be written.
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    for args in [
        &["--encrypt-to", "secretpkg-1.2.3", "--report", report][..],
        &[
            "--encrypt-to",
            &recipient,
            "--report",
            "/nonexistent/dir/r.age",
        ][..],
    ] {
        assert_private(
            "encryption",
            &audit(dir, &[&["--db", db, lock][..], args].concat()),
            2,
        );
    }
    // A --notify command that prints the findings and fails.
    assert_private(
        "notify",
        &audit(
            dir,
            &[
                "--db",
                db,
                lock,
                "--report",
                report,
                "--notify",
                "cat; echo PYSEC-T-SECRET secretpkg 1.2.3 >&2; exit 4",
            ],
        ),
        2,
    );
    // An unknown data age under --max-db-age, a damaged `repro db update` state, stale data.
    assert_private(
        "unknown age",
        &audit(
            dir,
            &["--db", db, lock, "--report", report, "--max-db-age", "36h"],
        ),
        2,
    );
    let managed = dir.join("managed");
    std::fs::create_dir(&managed).unwrap();
    let built = repro()
        .args(["db", "index", db, "--out"])
        .arg(managed.join("osv.idx"))
        .output()
        .unwrap();
    assert_eq!(built.status.code(), Some(0), "{}", output_of(&built));
    let managed_db = managed.to_str().unwrap();
    let state = |checked: &str| {
        std::fs::write(
            managed.join("repro-db.json"),
            format!(
                r#"{{"schema": "repro.db/v1", "sources": {{"osv-PyPI.zip": {{"url": "http://127.0.0.1:9/secretpkg", "sha256": "", "size": 0, "records": 1, "retrieved": "{checked}", "checked": "{checked}"}}, "osv-crates.io.zip": {{"url": "http://127.0.0.1:9/c", "sha256": "", "size": 0, "records": 1, "retrieved": "{checked}", "checked": "{checked}"}}}}}}"#
            ),
        )
        .unwrap();
    };
    state("2020-01-01T00:00:00Z");
    let out = audit(
        dir,
        &[
            "--db",
            managed_db,
            lock,
            "--report",
            report,
            "--max-db-age",
            "36h",
        ],
    );
    assert_private("stale data", &out, 2);
    assert!(output_of(&out).contains("days old"), "{}", output_of(&out));
    state("not a time");
    assert_private(
        "damaged state",
        &audit(dir, &["--db", managed_db, lock, "--report", report]),
        2,
    );
    std::fs::write(managed.join("repro-db.json"), "{\"secretpkg\": ").unwrap();
    assert_private(
        "unreadable state",
        &audit(dir, &["--db", managed_db, lock, "--report", report]),
        2,
    );
}

/// An advisory's text is plain in the report: no line breaks to forge a finding, no escapes.
#[test]
fn advisory_text_cannot_forge_report_lines() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let db = dir.join("db");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(
        db.join("a.json"),
        serde_json::to_vec(&serde_json::json!({
            "id": "PYSEC-T-1\u{1b}[2K",
            "aliases": ["CVE-1\nLOW FAKE-2 other==9.9 (pypi, vulnerability)"],
            "summary": "real issue\n\nLOW FAKE-1 demo==1.0 (pypi, vulnerability) [not failing]\r\u{1b}]8;;https://evil\u{7}x\u{1b}[1;32m",
            "published": "2026-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                          "versions": ["1.0"],
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0\n  fixed in: nothing"}]}]}],
        }))
        .unwrap(),
    )
    .unwrap();
    let lock = write(dir, "requirements.txt", "demo==1.0\n");
    let report = dir.join("report.txt");
    let out = audit(
        dir,
        &[
            "--db",
            db.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            lock.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", output_of(&out));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{7}'),
        "{text:?}"
    );
    let finding_lines: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["CRITICAL ", "HIGH ", "MEDIUM ", "LOW ", "UNKNOWN ", "INFO "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert_eq!(finding_lines.len(), 1, "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("  fixed in: nothing")),
        "{text}"
    );
    let shown = audit(
        dir,
        &[
            "--db",
            db.to_str().unwrap(),
            "--show",
            lock.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("LOW ")).count(),
        0,
        "{stdout}"
    );
}

// --- `repro release`: the private report stays out of the release, and out of the log -------

/// A directory with a release key (`release.key`, passphrase in REPRO_PASSWORD).
fn with_key() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let out = repro()
        .current_dir(t.path())
        .env("REPRO_PASSWORD", "pass")
        .args(["key", "generate", "--out", "release"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_of(&out));
    t
}

fn release(dir: &Path, args: &[&str]) -> std::process::Output {
    repro()
        .current_dir(dir)
        .env("REPRO_PASSWORD", "pass")
        .args([
            "release",
            "--name",
            "r",
            "--version",
            "1",
            "--target",
            "lambda-python3.12-x86_64",
            "--key",
            "release.key",
        ])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn release_refuses_an_audit_report_inside_the_release_folder_however_written() {
    let t = with_key();
    let dir = t.path();
    write(dir, "requirements.txt", "");
    std::fs::create_dir(dir.join("elsewhere")).unwrap();
    std::os::unix::fs::symlink("rel", dir.join("link")).unwrap();
    std::os::unix::fs::symlink("rel/private.txt", dir.join("elsewhere/report-link.txt")).unwrap();
    for report in [
        "./rel/private.txt",
        "rel/../rel/private.txt",
        "elsewhere/../rel/./private.txt",
        "link/private.txt",
        "elsewhere/report-link.txt",
    ] {
        let out = release(
            dir,
            &[
                "--out",
                "rel",
                "--db",
                "db",
                "--audit-report",
                report,
                "requirements.txt",
            ],
        );
        let text = output_of(&out);
        assert_eq!(out.status.code(), Some(2), "{report}: {text}");
        assert!(
            text.contains("inside the release folder") || text.contains("symbolic link"),
            "{report}: {text}"
        );
        assert!(!dir.join("rel/private.txt").exists(), "{report}");
        let _ = std::fs::remove_dir_all(dir.join("rel"));
    }
}

#[test]
fn release_error_paths_name_no_package_advisory_or_record() {
    use crate::support::{Reply, Server, sha256_hex, simple_page, wheel};
    let t = with_key();
    let dir = t.path();
    let server = Server::start();
    let whl = wheel("secretpkg", "1.2.3", "py3-none-any", "S = 1\n");
    let name = "secretpkg-1.2.3-py3-none-any.whl";
    server.route(
        &format!("/files/{name}"),
        Reply::Ok(whl.clone(), "application/octet-stream"),
    );
    server.route(
        "/simple/secretpkg/",
        Reply::Ok(
            simple_page(&server.url, &[(name, &whl)]),
            "application/vnd.pypi.simple.v1+json",
        ),
    );
    let index = format!("{}/simple/", server.url);
    let db = secret_db(dir);
    let lock = write(
        dir,
        "requirements.txt",
        &format!("secretpkg==1.2.3 --hash=sha256:{}\n", sha256_hex(&whl)),
    );
    let common = |out: &str, db: &str| -> Vec<String> {
        [
            "--out",
            out,
            "--db",
            db,
            "--store",
            "store",
            "--index-url",
            &index,
            "--audit-report",
            "private/audit.txt",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    std::fs::create_dir(dir.join("private")).unwrap();
    let run = |n: usize, db: &str, extra: &[&str], lock: &Path| {
        let mut args = common(&format!("rel{n}"), db);
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(lock.to_str().unwrap().to_string());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        release(dir, &refs)
    };
    // Findings stop the release: counts and the report's path only.
    let out = run(0, db.to_str().unwrap(), &[], &lock);
    assert_private("release findings", &out, 1);
    assert!(
        output_of(&out).contains("private/audit.txt"),
        "{}",
        output_of(&out)
    );

    // A policy with an embargoed clock entry that does not parse.
    let policy = write(
        dir,
        "policy.toml",
        "[[clock]]\nadvisory = \"CVE-2099-0001\npackage = \"secretpkg\"\nstart = \"2026-07-01\"\n",
    );
    let out = run(
        1,
        db.to_str().unwrap(),
        &["--policy", policy.to_str().unwrap()],
        &lock,
    );
    assert_private("release policy", &out, 2);

    // A stale index.
    let idx = dir.join("osv.idx");
    let built = repro()
        .args(["db", "index"])
        .arg(&db)
        .arg("--out")
        .arg(&idx)
        .output()
        .unwrap();
    assert_eq!(built.status.code(), Some(0), "{}", output_of(&built));
    let record = db.join("vulns/secretpkg/PYSEC-T-SECRET.json");
    let text = std::fs::read_to_string(&record)
        .unwrap()
        .replace("2026-01-01", "2026-01-02");
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&record)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .unwrap();
    let out = run(2, idx.to_str().unwrap(), &[], &lock);
    assert_private("release stale index", &out, 2);

    // A lock that does not parse.
    let sub = dir.join("bad");
    std::fs::create_dir(&sub).unwrap();
    let bad = write(&sub, "requirements.txt", "secretpkg==1.2.3 (\n");
    let out = run(3, db.to_str().unwrap(), &[], &bad);
    assert_private("release bad lock", &out, 2);
}
