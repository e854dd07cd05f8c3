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
