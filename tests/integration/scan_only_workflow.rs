//! `examples/github/scan-only.yml`, run locally: the workflow's YAML is parsed, its permissions
//! checked (read-only), and its `run` steps executed in order (all but the install, which the
//! built binary stands for) against the loopback data server, with the security team's
//! recipient in the repository variable. The log must hold no package name, version or
//! advisory id; the exit status must fail the job; the artifact must be the encrypted report.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{Reply, Server};

/// Copy `from` (a tree of small files) to `to`.
fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A zip of every `*.json` under `dir`, stored.
fn zip_dir(dir: &Path) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        zip.start_file(f.strip_prefix(dir).unwrap().to_string_lossy(), opts)
            .unwrap();
        zip.write_all(&std::fs::read(&f).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn the_scan_only_workflow_runs_and_its_log_names_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/github/scan-only.yml")).unwrap();
    let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
    assert_eq!(
        doc["permissions"]["contents"].as_str(),
        Some("read"),
        "read-only permissions"
    );
    assert_eq!(
        doc["permissions"].as_hash().unwrap().len(),
        1,
        "no other permission"
    );
    assert!(doc["on"]["schedule"][0]["cron"].as_str().is_some());
    let steps = doc["jobs"]["scan"]["steps"].as_vec().unwrap();
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("an upload step");
    assert_eq!(upload["with"]["path"].as_str(), Some("audit-report.age"));
    assert!(upload["with"]["retention-days"].as_i64().unwrap() <= 7);
    let runs: Vec<(&str, &Yaml)> = steps
        .iter()
        .filter_map(|s| s["run"].as_str().map(|r| (r, s)))
        .collect();
    assert!(
        runs[0].0.contains("sha256sum --check"),
        "install verified first"
    );

    // The loopback data server, the repository (SOAR's locks), the team's key.
    let osv = root.join("corpora/osv");
    let server = Server::start();
    let pypi = zip_dir(&osv.join("pypi"));
    let crates = zip_dir(&osv.join("crates"));
    server.route("/osv/PyPI/all.zip", Reply::Tagged(pypi, "\"p\"".into()));
    server.route(
        "/osv/crates.io/all.zip",
        Reply::Tagged(crates.clone(), "\"c\"".into()),
    );
    // The corpus has no malicious-packages extract: any zip of OSV records stands for it here
    // (tests/integration/db_update.rs serves the real one from ../shared/osv).
    server.route("/mal.zip", Reply::Tagged(crates, "\"m\"".into()));
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("repo");
    copy_tree(&root.join("corpora/opensecops-soar"), &repo);
    let team = age::x25519::Identity::generate();
    let bin = Path::new(env!("CARGO_BIN_EXE_repro")).parent().unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());

    let mut log = String::new();
    let mut last = None;
    for (run, step) in &runs[1..] {
        let mut cmd = std::process::Command::new("bash");
        cmd.args(["-e", "-c", run])
            .current_dir(&repo)
            .env("PATH", &path)
            .env("REPRO_OSV_URL", format!("{}/osv", server.url))
            .env("REPRO_MALICIOUS_URL", format!("{}/mal.zip", server.url))
            .env("XDG_STATE_HOME", t.path().join("state"));
        if let Some(env) = step["env"].as_hash() {
            for (k, v) in env {
                let v = v.as_str().unwrap();
                let v = if v == "${{ vars.SECURITY_TEAM_AGE_RECIPIENT }}" {
                    team.to_public().to_string()
                } else {
                    v.to_string()
                };
                cmd.env(k.as_str().unwrap(), v);
            }
        }
        let out = cmd.output().unwrap();
        log.push_str(&String::from_utf8_lossy(&out.stdout));
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        last = out.status.code();
        if !out.status.success() {
            break;
        }
    }
    assert_eq!(last, Some(1), "the job fails on findings: {log}");
    for secret in [
        "soupsieve",
        "2.8.3",
        "PYSEC-",
        "CVE-",
        "GHSA-",
        "MAL-",
        "RUSTSEC-",
        "==",
    ] {
        assert!(!log.contains(secret), "{secret} in the job log:\n{log}");
    }
    assert!(log.contains("2 findings: 0 critical, 2 high"), "{log}");
    let report = std::fs::read(repo.join("audit-report.age")).unwrap();
    assert!(report.starts_with(b"age-encryption.org/v1\n"));
    let d = age::Decryptor::new_buffered(&report[..]).unwrap();
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut d
            .decrypt(std::iter::once(&team as &dyn age::Identity))
            .unwrap(),
        &mut plain,
    )
    .unwrap();
    assert!(plain.contains("soupsieve==2.8.3"));
}
