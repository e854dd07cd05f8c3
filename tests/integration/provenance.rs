//! `repro provenance`: PEP 740 attestations of real PyPI files (tests/fixtures/pep740, from the
//! `pypi-attestations` project's test assets) served by a loopback index that implements the PEP
//! 691 `provenance` key (API 1.3) and the Integrity API. Every genuine attestation passes; a
//! tampered subject digest, another file name, a swapped certificate, an edited statement, a
//! publisher the certificate was not issued to, an e-mail identity presented as a publisher, a
//! publisher that differs from the pin and a vanished provenance each fail with their reason.
//! The opt-in `pypi_attestations_gives_the_same_verdicts` asks the reference CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::repro;
use crate::support::{Reply, Server, sha256_hex};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pep740");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

const SDIST: &str = "pypi_attestations-0.0.19.tar.gz";
const GITLAB: &str = "gitlab_oidc_project-0.0.3.tar.gz";
const MODELS: &str = "pypi_attestation_models-0.0.4a2.tar.gz";
const RFC8785: &str = "rfc8785-0.1.2-py3-none-any.whl";
const SPT3G: &str = "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const SPT3G_SHA: &str = "d2772f9a5199f05ed1be8d9aa78b879e51772e3ead9d73fe8057257b1aec7cf8";

fn github(repository: &str) -> Value {
    json!({"kind": "GitHub", "repository": repository, "workflow": "release.yml", "environment": null})
}

fn gitlab() -> Value {
    json!({"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
        "workflow_filepath": ".gitlab-ci.yml", "environment": null})
}

/// A provenance object: one bundle of `attestations` by `publisher`.
fn object(publisher: Value, attestations: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"version": 1, "attestation_bundles": [
        {"publisher": publisher, "attestations": attestations}]}))
    .unwrap()
}

/// How the index tells where a file's provenance is.
#[derive(Clone, Copy, PartialEq)]
enum Served {
    /// The PEP 691 `provenance` key names a URL (API 1.3).
    Key,
    /// The page predates API 1.3; the Integrity API answers.
    Integrity,
    /// `"provenance": null`.
    Null,
    /// No key, and the Integrity API answers 404.
    Absent,
}

/// One locked file and what the index says of it.
#[derive(Clone)]
struct Dist {
    project: &'static str,
    version: &'static str,
    filename: String,
    sha256: String,
    provenance: Option<Vec<u8>>,
    served: Served,
}

impl Dist {
    fn new(
        project: &'static str,
        version: &'static str,
        filename: &str,
        provenance: Option<Vec<u8>>,
    ) -> Dist {
        let sha256 = match std::fs::read(Path::new(FIXTURES).join(filename)) {
            Ok(bytes) => sha256_hex(&bytes),
            Err(_) => SPT3G_SHA.to_string(),
        };
        Dist {
            project,
            version,
            filename: filename.to_string(),
            sha256,
            provenance,
            served: Served::Key,
        }
    }

    fn served(mut self, served: Served) -> Dist {
        self.served = served;
        self
    }
}

/// The genuine distributions and the provenance PyPI serves (or would serve) for them.
fn sdist() -> Dist {
    Dist::new(
        "pypi-attestations",
        "0.0.19",
        SDIST,
        Some(fixture(&format!("{SDIST}.provenance"))),
    )
}

fn gitlab_dist() -> Dist {
    Dist::new(
        "gitlab-oidc-project",
        "0.0.3",
        GITLAB,
        Some(object(
            gitlab(),
            vec![json_fixture(&format!("{GITLAB}.publish.attestation"))],
        )),
    )
}

fn models() -> Dist {
    Dist::new(
        "pypi-attestation-models",
        "0.0.4a2",
        MODELS,
        Some(object(
            github("trailofbits/pypi-attestation-models"),
            vec![json_fixture(&format!("{MODELS}.attestation"))],
        )),
    )
}

/// Serve `dists` from `server` as a PEP 691 index with PEP 740 provenance.
fn serve(server: &Server, dists: &[Dist]) {
    let mut pages: std::collections::BTreeMap<&str, Vec<Value>> = Default::default();
    for d in dists {
        let mut file = json!({
            "filename": d.filename,
            "url": format!("/files/{}", d.filename),
            "hashes": {"sha256": d.sha256},
        });
        match d.served {
            Served::Key => file["provenance"] = json!(format!("/prov/{}.provenance", d.filename)),
            Served::Null => file["provenance"] = Value::Null,
            Served::Integrity | Served::Absent => {}
        }
        pages.entry(d.project).or_default().push(file);
        if let Ok(bytes) = std::fs::read(Path::new(FIXTURES).join(&d.filename)) {
            server.route(
                &format!("/files/{}", d.filename),
                Reply::Ok(bytes, "application/octet-stream"),
            );
        }
        if let Some(p) = &d.provenance {
            let path = match d.served {
                Served::Key => format!("/prov/{}.provenance", d.filename),
                _ => format!(
                    "/integrity/{}/{}/{}/provenance",
                    d.project, d.version, d.filename
                ),
            };
            if matches!(d.served, Served::Key | Served::Integrity) {
                server.route(&path, Reply::Ok(p.clone(), "application/json"));
            }
        }
    }
    for (project, files) in pages {
        let api = if files.iter().any(|f| f.get("provenance").is_some()) {
            "1.3"
        } else {
            "1.1"
        };
        server.route(
            &format!("/simple/{project}/"),
            Reply::Ok(
                serde_json::to_vec(
                    &json!({"meta": {"api-version": api}, "name": project, "files": files}),
                )
                .unwrap(),
                "application/vnd.pypi.simple.v1+json",
            ),
        );
    }
}

/// A requirements file locking `dists`, each a top-level requirement (`# via -r`).
fn lock(dir: &Path, dists: &[Dist]) -> PathBuf {
    let mut text = String::new();
    for d in dists {
        text.push_str(&format!(
            "{}=={} \\\n    --hash=sha256:{}\n    # via -r requirements.in\n",
            d.project, d.version, d.sha256
        ));
    }
    let path = dir.join("requirements.txt");
    std::fs::write(&path, text).unwrap();
    path
}

/// `repro provenance --store STORE --index-url INDEX ARGS… LOCK`.
fn provenance(store: &Path, index: &str, lock: &Path, args: &[&str]) -> Output {
    repro()
        .args(["provenance", "--store"])
        .arg(store)
        .args(["--index-url", index])
        .args(args)
        .arg(lock)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

/// A fresh index serving `dists`, a lock of them, and a store: (server, index URL, lock, store).
fn setup(dir: &Path, dists: &[Dist]) -> (Server, String, PathBuf, PathBuf) {
    let server = Server::start();
    serve(&server, dists);
    let index = format!("{}/simple/", server.url);
    (server, index, lock(dir, dists), dir.join("store"))
}

#[test]
fn genuine_attestations_pass_and_a_warm_run_makes_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let dists = [sdist(), gitlab_dist(), models().served(Served::Integrity)];
    let (server, index, lock, store) = setup(dir.path(), &dists);
    let out = provenance(&store, &index, &lock, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("3 of 3 direct dependencies attested"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GitHub trailofbits/pypi-attestations, workflow release.yml (1 file)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("GitLab facutuesca/gitlab-oidc-project, CI file .gitlab-ci.yml"),
        "{stdout}"
    );
    // Three project pages, two provenance URLs, one Integrity API answer.
    assert_eq!(server.total_hits(), 6, "{:?}", server.requests());
    assert_eq!(server.hits("/integrity/pypi-attestation-models/0.0.4a2/pypi_attestation_models-0.0.4a2.tar.gz/provenance"), 1);
    // The store now answers: a warm run makes no request at all, and offline works.
    let out = provenance(&store, &index, &lock, &["--json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(server.total_hits(), 6, "{:?}", server.requests());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "repro.provenance/v1");
    assert_eq!(report["requests"], 0);
    assert_eq!(report["summary"]["attested"], 3);
    let pkg = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pypi-attestations")
        .unwrap();
    assert_eq!(pkg["name"], "pypi-attestations");
    assert_eq!(pkg["status"], "attested");
    assert_eq!(
        pkg["publishers"][0],
        github("trailofbits/pypi-attestations")
            .as_object()
            .map(|o| {
                let mut o = o.clone();
                o.remove("environment");
                Value::Object(o)
            })
            .unwrap()
    );
    assert_eq!(pkg["artifacts"][0]["source"], "store");
    assert_eq!(pkg["artifacts"][0]["status"], "verified");
    assert_eq!(
        pkg["artifacts"][0]["attestations"][0]["identity"],
        "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19"
    );
    let out = repro()
        .args(["provenance", "--offline", "--store"])
        .arg(&store)
        .arg(&lock)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    // Without pins, the run suggests the pin file and writes nothing.
    assert!(
        text(&out).contains("repro provenance --pin"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("provenance.toml").exists());
}

#[test]
fn pins_are_written_on_request_compared_later_and_never_rewritten_silently() {
    let dir = tempfile::tempdir().unwrap();
    let (server, index, lock, store) = setup(dir.path(), &[sdist(), gitlab_dist()]);
    let out = provenance(&store, &index, &lock, &["--pin"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let pins = dir.path().join("provenance.toml");
    let written = std::fs::read_to_string(&pins).unwrap();
    assert!(written.contains(
        "name = \"pypi-attestations\"\npublisher = { kind = \"GitHub\", repository = \"trailofbits/pypi-attestations\", workflow = \"release.yml\" }"
    ), "{written}");
    assert!(
        written.contains("workflow_filepath = \".gitlab-ci.yml\""),
        "{written}"
    );
    let out = provenance(&store, &index, &lock, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A reviewed pin that names another publisher: the run fails, naming package, old and new.
    let edited = written.replace(
        "trailofbits/pypi-attestations",
        "trailofbits/pypi-attestations-fork",
    );
    std::fs::write(&pins, &edited).unwrap();
    let out = provenance(&store, &index, &lock, &[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(
        "error[publisher-changed]: pypi-attestations==0.0.19: the publisher changed from `GitHub trailofbits/pypi-attestations-fork, workflow release.yml` to `GitHub trailofbits/pypi-attestations, workflow release.yml`"
    ), "{err}");
    assert!(err.contains(&format!("--> {}", pins.display())), "{err}");
    assert!(
        err.contains(
            "hint: if the change is expected, review it, then re-pin: `repro provenance --pin"
        ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&pins).unwrap(),
        edited,
        "never rewritten silently"
    );
    // The JSON report says the same.
    let out = provenance(&store, &index, &lock, &["--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "publisher-changed");
    assert_eq!(report["packages"][1]["pins"][0]["status"], "changed");
    drop(server);
}

#[test]
fn vanished_provenance_of_a_pinned_package_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, index, lock, store) = setup(dir.path(), &[sdist(), gitlab_dist()]);
    assert_eq!(code(&provenance(&store, &index, &lock, &["--pin"])), 0);
    // Another index (a fresh store) that holds no provenance for the pinned files: `null` for one,
    // no key and a 404 from the Integrity API for the other.
    for (served, what) in [
        (Served::Null, "the index says it holds no provenance"),
        (Served::Absent, "the Integrity API holds no provenance"),
    ] {
        let server = Server::start();
        serve(&server, &[sdist().served(served), gitlab_dist()]);
        let index = format!("{}/simple/", server.url);
        let fresh = dir.path().join(format!("store-{}", served as u8));
        let out = provenance(&fresh, &index, &lock, &["--json"]);
        assert_eq!(code(&out), 1, "{}", text(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["findings"][0]["code"], "provenance-vanished",
            "{report:#}"
        );
        let message = report["findings"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("pypi-attestations==0.0.19: pinned to `GitHub trailofbits/pypi-attestations, workflow release.yml`, but this file has no provenance: `pypi_attestations-0.0.19.tar.gz`"), "{message}");
        assert!(
            report["packages"][1]["artifacts"][0]["reason"]
                .as_str()
                .unwrap()
                .contains(what),
            "{report:#}"
        );
    }
}

#[test]
fn missing_provenance_is_counted_and_an_error_only_with_require() {
    let dir = tempfile::tempdir().unwrap();
    let rfc = Dist::new("rfc8785", "0.1.2", RFC8785, None).served(Served::Absent);
    let (server, index, lock, store) = setup(dir.path(), &[sdist(), rfc]);
    let out = provenance(&store, &index, &lock, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 of 2 direct dependencies attested (0 partly, 1 without provenance"),
        "{stdout}"
    );
    assert!(stdout.contains("missing  rfc8785 0.1.2"), "{stdout}");
    // The answer "none" is kept: the warm run asks nothing; --refresh asks again.
    let hits = server.total_hits();
    let out = provenance(&store, &index, &lock, &["--require"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(server.total_hits(), hits);
    assert!(text(&out).contains("error[provenance-missing]: rfc8785==0.1.2: `rfc8785-0.1.2-py3-none-any.whl` has no provenance"), "{}", text(&out));
    let out = provenance(&store, &index, &lock, &["--refresh"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(server.total_hits(), hits + 2, "{:?}", server.requests());
}

/// Each tampered case, served as the index would serve it, fails with its reason (exit 1).
#[test]
fn tampered_attestations_fail_with_their_reason() {
    let publish = json_fixture(&format!("{SDIST}.publish.attestation"));
    let slsa = json_fixture(&format!("{SDIST}.slsa.attestation"));
    let genuine_sha = sha256_hex(&fixture(SDIST));
    let tampered_statement = {
        let mut a = publish.clone();
        let b64 = base64::engine::general_purpose::STANDARD;
        let s = String::from_utf8(
            b64.decode(a["envelope"]["statement"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
        let s = s.replace(&genuine_sha, &"0".repeat(64));
        a["envelope"]["statement"] = json!(b64.encode(s));
        a
    };
    let swapped_certificate = {
        let mut a = publish.clone();
        a["verification_material"]["certificate"] =
            slsa["verification_material"]["certificate"].clone();
        a
    };
    let mut modified = fixture(SDIST);
    *modified.last_mut().unwrap() ^= 1;
    let mut cases: Vec<(&str, Dist, &[&str])> = Vec::new();
    // The index (or the lock) names other bytes than the ones attested.
    let mut d = sdist();
    d.sha256 = sha256_hex(&modified);
    cases.push((
        "subject-digest: the attestation is for sha256:9bb1add0",
        d,
        &[],
    ));
    // Another file of the project, with the bytes (and the provenance) of this one.
    let mut d = sdist();
    d.version = "0.0.20";
    d.filename = "pypi_attestations-0.0.20.tar.gz".into();
    cases.push(("subject-name: the attestation is for `pypi_attestations-0.0.19.tar.gz`, not `pypi_attestations-0.0.20.tar.gz`", d, &[]));
    // A statement edited to name other bytes, locked as such.
    let mut d = sdist();
    d.sha256 = "0".repeat(64);
    d.provenance = Some(object(
        github("trailofbits/pypi-attestations"),
        vec![tampered_statement],
    ));
    cases.push(("signature: invalid signature", d, &[]));
    // The certificate of another attestation of the same workflow.
    let mut d = sdist();
    d.provenance = Some(object(
        github("trailofbits/pypi-attestations"),
        vec![swapped_certificate],
    ));
    cases.push(("signature: invalid signature", d, &[]));
    // The index names a publisher the certificate was not issued to.
    let mut d = sdist();
    d.provenance = Some(object(
        github("evil/pypi-attestations"),
        vec![publish.clone()],
    ));
    cases.push(("publisher-mismatch: the certificate's Source Repository URI is `https://github.com/trailofbits/pypi-attestations`, not `https://github.com/evil/pypi-attestations`", d, &[]));
    // An e-mail identity presented as a GitHub publisher (staging signatures, verified as such).
    for (file, sha_file) in [(RFC8785, Some(RFC8785)), (SPT3G, None)] {
        let mut d = Dist::new(
            if file == RFC8785 { "rfc8785" } else { "spt3g" },
            if file == RFC8785 { "0.1.2" } else { "1.0" },
            file,
            Some(object(
                github("trailofbits/rfc8785.py"),
                vec![json_fixture(&format!("{file}.publish.attestation"))],
            )),
        );
        if sha_file.is_none() {
            d.sha256 = SPT3G_SHA.into();
        }
        cases.push((
            "email-identity: the certificate names the e-mail identity `william@yossarian.net`",
            d,
            &["--staging"],
        ));
    }
    // Not a provenance object at all.
    let mut d = sdist();
    d.provenance = Some(b"{\"version\": 1, \"attestation_bundles\": 7}".to_vec());
    cases.push(("malformed: not a PEP 740 provenance object", d, &[]));
    for (why, dist, args) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (_server, index, lock, store) = setup(dir.path(), std::slice::from_ref(&dist));
        let out = provenance(&store, &index, &lock, args);
        assert_eq!(code(&out), 1, "{why}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error[invalid-attestation]: "), "{why}: {err}");
        assert!(err.contains(why), "{why}: {err}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("FAILED"),
            "{why}"
        );
        // Nothing that failed is kept: the next run fails again, from the index.
        let out = provenance(&store, &index, &lock, args);
        assert_eq!(code(&out), 1, "{why}: {}", text(&out));
    }
    // Against the production root, the staging signature fails before its identity is looked at.
    let dir = tempfile::tempdir().unwrap();
    let d = Dist::new(
        "rfc8785",
        "0.1.2",
        RFC8785,
        Some(object(
            github("o/r"),
            vec![json_fixture(&format!("{RFC8785}.publish.attestation"))],
        )),
    );
    let (_server, index, lock, store) = setup(dir.path(), &[d]);
    let out = provenance(&store, &index, &lock, &[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("`rfc8785-0.1.2-py3-none-any.whl`: transparency-log: "),
        "{}",
        text(&out)
    );
}

#[test]
fn a_provenance_folder_serves_locks_that_name_files_only_by_digest() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("prov");
    std::fs::create_dir(&folder).unwrap();
    for d in [sdist(), gitlab_dist()] {
        std::fs::write(
            folder.join(format!("{}.provenance", d.filename)),
            d.provenance.unwrap(),
        )
        .unwrap();
    }
    let lock = lock(dir.path(), &[sdist(), gitlab_dist(), models()]);
    let store = dir.path().join("store");
    let out = repro()
        .args(["provenance", "--store"])
        .arg(&store)
        .arg("--provenance-dir")
        .arg(&folder)
        .arg(&lock)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 of 3 direct dependencies attested"),
        "{}",
        text(&out)
    );
    // What verified is in the store now.
    let out = repro()
        .args(["provenance", "--offline", "--json", "--store"])
        .arg(&store)
        .arg(&lock)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["attested"], 2, "{report:#}");
    assert_eq!(report["summary"]["unknown"], 1, "{report:#}");
    assert_eq!(
        code(&out),
        2,
        "not in the store offline: could not be checked"
    );
    // A folder's files are capped as the index's answers are: one byte past 4 MiB is refused.
    let big = folder.join(format!("{MODELS}.provenance"));
    std::fs::write(&big, vec![b' '; 4 * 1024 * 1024 + 1]).unwrap();
    let out = repro()
        .args(["provenance", "--store"])
        .arg(&store)
        .arg("--provenance-dir")
        .arg(&folder)
        .arg(&lock)
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("larger than the limit of 4194304 bytes"),
        "{}",
        text(&out)
    );
}

/// Provenance bodies are capped (4 MiB): one byte past the cap is refused unread, the cap itself
/// is read (and judged: here it is not JSON).
#[test]
fn provenance_bodies_are_capped_at_the_limit_and_one_past_it() {
    const CAP: usize = 4 * 1024 * 1024;
    for (size, expect, why) in [
        (CAP, 1, "malformed: not a PEP 740 provenance object"),
        (CAP + 1, 2, "provenance larger than 4194304 bytes"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut d = sdist();
        d.provenance = Some(vec![b' '; size]);
        let (_server, index, lock, store) = setup(dir.path(), &[d]);
        let out = provenance(&store, &index, &lock, &[]);
        assert_eq!(code(&out), expect, "{}", text(&out));
        assert!(text(&out).contains(why), "{}", text(&out));
    }
}

#[test]
fn credentials_in_the_index_url_are_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _index, lock, store) =
        setup(dir.path(), &[sdist(), models().served(Served::Integrity)]);
    let index = server.url.replace("http://", "http://user:s3cr3t@") + "/simple/";
    for args in [&[][..], &["--json"][..]] {
        let out = provenance(&store, &index, &lock, args);
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(!text(&out).contains("s3cr3t"), "{}", text(&out));
    }
    for e in walkdir::WalkDir::new(&store)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
    {
        let bytes = std::fs::read(e.path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("s3cr3t"),
            "{}",
            e.path().display()
        );
    }
    // The Integrity API was asked with the index's credentials, as HTTP Basic authentication.
    let asked = server
        .requests()
        .into_iter()
        .find(|(line, _)| line.contains("/integrity/"))
        .unwrap();
    assert!(
        asked
            .1
            .iter()
            .any(|h| h.eq_ignore_ascii_case("authorization: Basic dXNlcjpzM2NyM3Q=")),
        "{asked:?}"
    );
}

#[test]
fn the_sbom_records_each_verified_publisher() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, index, lock, store) = setup(dir.path(), &[sdist(), gitlab_dist()]);
    assert_eq!(code(&provenance(&store, &index, &lock, &[])), 0);
    let out = repro()
        .args(["sbom", "--source-date-epoch", "1700000000", "--store"])
        .arg(&store)
        .arg(&lock)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(crate::sbom::validate_1_6(&doc), Vec::<String>::new());
    let component = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "pypi-attestations")
        .unwrap();
    assert!(
        component["properties"]
            .as_array()
            .unwrap()
            .contains(&json!({
                "name": "repro:provenance-publisher",
                "value": "GitHub trailofbits/pypi-attestations, workflow release.yml"
            })),
        "{component:#}"
    );
    assert!(
        component["externalReferences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["type"] == "vcs"
                && r["url"] == "https://github.com/trailofbits/pypi-attestations"),
        "{component:#}"
    );
    // Without verified provenance in the store, nothing is claimed.
    let out = repro()
        .args(["sbom", "--source-date-epoch", "1700000000", "--store"])
        .arg(dir.path().join("empty-store"))
        .arg(&lock)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("repro:provenance-publisher"));
}

/// `repro release` runs the provenance step after fetching: a dependency whose attestation
/// was not made by the publisher the index names stops the release before the build.
#[test]
fn a_release_stops_when_provenance_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = sdist();
    d.provenance = Some(object(
        github("evil/pypi-attestations"),
        vec![json_fixture(&format!("{SDIST}.publish.attestation"))],
    ));
    let (_server, index, lock, store) = setup(dir.path(), &[d]);
    repro()
        .args(["key", "generate", "--out"])
        .arg(dir.path().join("release"))
        .env("REPRO_PASSWORD", "pass")
        .assert()
        .success();
    let db = dir.path().join("osv");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(
        db.join("PYSEC-0.json"),
        r#"{"id":"PYSEC-0","affected":[{"package":{"ecosystem":"PyPI","name":"unrelated"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    let out_dir = dir.path().join("release-1.0");
    let out = repro()
        .args(["release", "--name", "x", "--version", "1.0"])
        .args(["--target", "lambda-python3.12-x86_64", "--key"])
        .arg(dir.path().join("release.key"))
        .arg("--out")
        .arg(&out_dir)
        .arg("--db")
        .arg(&db)
        .arg("--audit-report")
        .arg(dir.path().join("audit.txt"))
        .arg("--store")
        .arg(&store)
        .args(["--index-url", &index])
        .arg(&lock)
        .args(["--", "true"])
        .env("REPRO_PASSWORD", "pass")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("release 3/8: provenance"), "{err}");
    assert!(err.contains("publisher-mismatch"), "{err}");
    assert!(
        err.contains("release stopped: a dependency's provenance did not verify"),
        "{err}"
    );
    assert!(!err.contains("release 4/8"), "{err}");
    assert!(!out_dir.join("repro-manifest.json").exists());
}

/// The reference verifier's verdicts on the same files (opt-in: `pip install pypi-attestations`,
/// then `PYPI_ATTESTATIONS=$(which pypi-attestations) cargo test --test integration
/// pypi_attestations -- --ignored`). Each case is a distribution file, a provenance object and
/// the repository the publisher should be; repro checks the same through `--provenance-dir`.
#[test]
#[ignore = "needs the pypi-attestations CLI ($PYPI_ATTESTATIONS)"]
fn pypi_attestations_gives_the_same_verdicts() {
    let cli = std::env::var("PYPI_ATTESTATIONS").unwrap_or_else(|_| "pypi-attestations".into());
    let publish = json_fixture(&format!("{SDIST}.publish.attestation"));
    let slsa = json_fixture(&format!("{SDIST}.slsa.attestation"));
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut tampered = publish.clone();
    let statement = String::from_utf8(
        b64.decode(tampered["envelope"]["statement"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap()
    .replace("pypi_attestations-0.0.19", "pypi_attestations-0.0.18");
    tampered["envelope"]["statement"] = json!(b64.encode(statement));
    let mut swapped = publish.clone();
    swapped["verification_material"]["certificate"] =
        slsa["verification_material"]["certificate"].clone();
    let mut modified = fixture(SDIST);
    *modified.last_mut().unwrap() ^= 1;
    let tp = "https://github.com/trailofbits/pypi-attestations";
    // (case, project, version, file name, bytes, provenance, repository, staging, expected pass)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Vec<u8>,
        Vec<u8>,
        &'static str,
        bool,
        bool,
    );
    let sdist_prov = || fixture(&format!("{SDIST}.provenance"));
    let ours_tp = |attestations| object(github("trailofbits/pypi-attestations"), attestations);
    let cases: Vec<Case> = vec![
        (
            "genuine (Integrity API object)",
            "pypi-attestations",
            "0.0.19",
            SDIST,
            fixture(SDIST),
            sdist_prov(),
            tp,
            false,
            true,
        ),
        (
            "genuine publish + SLSA",
            "pypi-attestations",
            "0.0.19",
            SDIST,
            fixture(SDIST),
            ours_tp(vec![publish.clone(), slsa.clone()]),
            tp,
            false,
            true,
        ),
        (
            "genuine GitLab",
            "gitlab-oidc-project",
            "0.0.3",
            GITLAB,
            fixture(GITLAB),
            gitlab_dist().provenance.unwrap(),
            "https://gitlab.com/facutuesca/gitlab-oidc-project",
            false,
            true,
        ),
        (
            "genuine, older log shard",
            "pypi-attestation-models",
            "0.0.4a2",
            MODELS,
            fixture(MODELS),
            models().provenance.unwrap(),
            "https://github.com/trailofbits/pypi-attestation-models",
            false,
            true,
        ),
        (
            "tampered subject digest",
            "pypi-attestations",
            "0.0.19",
            SDIST,
            modified,
            sdist_prov(),
            tp,
            false,
            false,
        ),
        (
            "another file name",
            "pypi-attestations",
            "0.0.20",
            "pypi_attestations-0.0.20.tar.gz",
            fixture(SDIST),
            sdist_prov(),
            tp,
            false,
            false,
        ),
        (
            "edited statement",
            "pypi-attestations",
            "0.0.19",
            SDIST,
            fixture(SDIST),
            ours_tp(vec![tampered]),
            tp,
            false,
            false,
        ),
        (
            "swapped certificate",
            "pypi-attestations",
            "0.0.19",
            SDIST,
            fixture(SDIST),
            ours_tp(vec![swapped]),
            tp,
            false,
            false,
        ),
        (
            "publisher not the signer",
            "pypi-attestations",
            "0.0.19",
            SDIST,
            fixture(SDIST),
            object(github("evil/pypi-attestations"), vec![publish.clone()]),
            "https://github.com/evil/pypi-attestations",
            false,
            false,
        ),
        (
            "e-mail identity as a publisher",
            "rfc8785",
            "0.1.2",
            RFC8785,
            fixture(RFC8785),
            object(
                github("trailofbits/rfc8785.py"),
                vec![json_fixture(&format!("{RFC8785}.publish.attestation"))],
            ),
            "https://github.com/trailofbits/rfc8785.py",
            true,
            false,
        ),
    ];
    let mut report = String::new();
    for (case, project, version, name, bytes, prov, repository, staging, pass) in cases {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("prov");
        std::fs::create_dir(&folder).unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let prov_file = folder.join(format!("{name}.provenance"));
        std::fs::write(&prov_file, &prov).unwrap();
        let mut cmd = Command::new(&cli);
        cmd.args(["verify", "pypi", "--offline", "--provenance-file"])
            .arg(&prov_file)
            .args(["--repository", repository]);
        if staging {
            cmd.arg("--staging");
        }
        let oracle = cmd.arg(&file).output().unwrap();
        let pylock = dir.path().join("pylock.toml");
        std::fs::write(
            &pylock,
            pylock_text(project, version, name, &sha256_hex(&bytes)),
        )
        .unwrap();
        let mut ours = repro();
        ours.args(["provenance", "--store"])
            .arg(dir.path().join("store"))
            .arg("--provenance-dir")
            .arg(&folder);
        if staging {
            ours.arg("--staging");
        }
        let ours = ours.arg(&pylock).output().unwrap();
        let (theirs_ok, ours_ok) = (oracle.status.success(), ours.status.success());
        report.push_str(&format!(
            "{} {case}: pypi-attestations {} / repro {}\n  pypi-attestations: {}\n  repro: {}\n",
            if theirs_ok == ours_ok && ours_ok == pass {
                "same"
            } else {
                "DIFFERENT"
            },
            if theirs_ok { "pass" } else { "fail" },
            if ours_ok { "pass" } else { "fail" },
            String::from_utf8_lossy(&oracle.stderr)
                .lines()
                .last()
                .unwrap_or(""),
            String::from_utf8_lossy(&ours.stderr)
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("-"),
        ));
    }
    println!("{report}");
    assert!(!report.contains("DIFFERENT"), "{report}");
}

/// A pylock.toml locking one file.
fn pylock_text(project: &str, version: &str, name: &str, sha256: &str) -> String {
    let artifact = format!(
        "{{ name = \"{name}\", url = \"https://files.example/{name}\", hashes = {{ sha256 = \"{sha256}\" }} }}"
    );
    let line = if name.ends_with(".whl") {
        format!("wheels = [{artifact}]")
    } else {
        format!("sdist = {artifact}")
    };
    format!(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"{project}\"\nversion = \"{version}\"\n{line}\n"
    )
}
