//! `repro posture`: a generated SECURITY.md passes `check`, and each way it can go wrong (a
//! section removed or moved, a stale SLA number, a wrong key fingerprint, a placeholder,
//! headings that differ between repositories) fails naming the repository, the section and what
//! differs; `evidence` on the miniature release of `release.rs` passes, and each tampering
//! flips exactly its row. The project's own SECURITY.md is what `init` writes from its
//! posture.toml, and passes `check`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::build::{setup_tree, two_wheel_mirror};
use crate::release::{MiniRelease, lambda_build, mini_release, ok, run};

/// "Today" for every age limit here.
const NOW: &str = "2026-11-20";

fn posture_toml(fingerprint: &str) -> String {
    format!(
        r#"schema = 1
project = "hello-lambdas"
audit-policy = "audit-policy.toml"

[reporting]
address = "security@example.org"
acknowledge-business-days = 2

[[supported]]
versions = "1.x"
supported = true
note = "fixes land here"

[[supported]]
versions = "0.x"
supported = false

[[component]]
name = "hello-lambdas"
s2c2f-level = 3
privileged = true

[signing]
key-fingerprint = "{fingerprint}"

[slsa]
build-level = 1
l2-adjacent = ["signed-provenance", "independent-rebuild"]

[[out-of-scope]]
what = "Licence scan"
why = "the test wheels declare no licence"
controls = ["SCA-2"]

[[out-of-scope]]
what = "End-of-life scan, automated updates, pull-request comments"
why = "a single-maintainer project with no forge bot"
controls = ["SCA-3", "UPD-2", "UPD-3"]
"#
    )
}

const POLICY: &str = "critical-days = 3\nhigh-days = 10\nholidays = [\"2026-12-25\"]\n";

/// A repository with posture.toml, audit-policy.toml and a generated SECURITY.md.
fn repo_with_security_md(dir: &Path, fingerprint: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("posture.toml"), posture_toml(fingerprint)).unwrap();
    std::fs::write(dir.join("audit-policy.toml"), POLICY).unwrap();
    ok(&run(dir, &["posture", "init"]));
}

/// `repro posture check ARGS…` in `dir`: exit code, stdout.
fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut a = vec!["posture", "check"];
    a.extend_from_slice(args);
    let out = run(dir, &a);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn edit(path: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    std::fs::write(path, f(text)).unwrap();
}

const FINGERPRINT: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn a_generated_security_md_passes_check() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    // Dangerous direction first: a hand-written SECURITY.md is not overwritten by init.
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("SECURITY.md"),
        "# Security policy\nhand-written\n",
    )
    .unwrap();
    std::fs::write(repo.join("posture.toml"), posture_toml(FINGERPRINT)).unwrap();
    std::fs::write(repo.join("audit-policy.toml"), POLICY).unwrap();
    let out = run(&repo, &["posture", "init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not replaced"));
    ok(&run(&repo, &["posture", "init", "--force"]));
    let (code, out) = check(&repo, &[]);
    assert_eq!(code, 0, "{out}");
    let md = std::fs::read_to_string(repo.join("SECURITY.md")).unwrap();
    // The generated sections, in order, with the commands VERIFY.md gives.
    let heads: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        heads,
        [
            "## Supported versions",
            "## Reporting a vulnerability",
            "## Response SLA",
            "## Security posture",
            "## Signing identities and verification",
            "## Am I affected?",
            "## Export control",
            "## EU Cyber Resilience Act readiness",
        ]
    );
    for want in [
        "| critical | 3 business days |",
        "| high | 10 business days |",
        "2026-12-25",
        "repro verify SHA256SUMS --key release.pub && sha256sum -c SHA256SUMS",
        "repro sbom query sbom.cdx.json urllib3 '<2.5'",
        "ECCN 5D002",
        "License Exception ENC",
        "11 September 2026",
        "11 December 2027",
        "Patches from outside are not accepted",
        FINGERPRINT,
        "ING-3, SCA-4, AUD-1",
    ] {
        assert!(md.contains(want), "{want} missing:\n{md}");
    }
    // init is idempotent, and the JSON report is versioned.
    ok(&run(&repo, &["posture", "init"]));
    assert_eq!(
        std::fs::read_to_string(repo.join("SECURITY.md")).unwrap(),
        md
    );
    let out = run(&repo, &["posture", "check", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "repro.posture-check/v1");
    assert_eq!(v["passed"], true);
    assert_eq!(
        v["repositories"][0]["headings"][3]["anchor"],
        "response-sla"
    );
}

#[test]
fn a_removed_or_moved_section_fails_check_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("svc-a");
    repo_with_security_md(&repo, FINGERPRINT);
    let md = repo.join("SECURITY.md");
    let original = std::fs::read_to_string(&md).unwrap();
    // Removed: the export-control section.
    edit(&md, |t| {
        let start = t.find("## Export control").unwrap();
        let end = t.find("## EU Cyber").unwrap();
        format!("{}{}", &t[..start], &t[end..])
    });
    let (code, out) = check(tmp.path(), &["svc-a"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("svc-a/SECURITY.md: section `Export control`: missing (it belongs after `## Am I affected?`"),
        "{out}"
    );
    // Moved: the SLA after the posture statement.
    std::fs::write(&md, &original).unwrap();
    edit(&md, |t| {
        let sla = t.find("## Response SLA").unwrap();
        let posture = t.find("## Security posture").unwrap();
        let signing = t.find("## Signing identities").unwrap();
        format!(
            "{}{}{}{}",
            &t[..sla],
            &t[posture..signing],
            &t[sla..posture],
            &t[signing..]
        )
    });
    let (code, out) = check(tmp.path(), &["svc-a"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("section `Response SLA`: comes after `## Security posture`"),
        "{out}"
    );
    assert!(out.contains("error[section-order]"), "{out}");
    std::fs::write(&md, &original).unwrap();
    assert_eq!(check(tmp.path(), &["svc-a"]).0, 0);
}

#[test]
fn a_stale_sla_number_fails_check() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("svc-b");
    repo_with_security_md(&repo, FINGERPRINT);
    // The policy changed after SECURITY.md was written.
    std::fs::write(
        repo.join("audit-policy.toml"),
        "critical-days = 2\nhigh-days = 10\n",
    )
    .unwrap();
    let (code, out) = check(tmp.path(), &["svc-b"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("section `Response SLA`: critical is 3 business days here, the audit policy"),
        "{out}"
    );
    assert!(out.contains("says 2 business days"), "{out}");
    assert!(out.contains("svc-b/SECURITY.md:"), "{out}");
    // Regenerated, it agrees again; edited by hand, it does not.
    ok(&run(&repo, &["posture", "init"]));
    assert_eq!(check(tmp.path(), &["svc-b"]).0, 0);
    edit(&repo.join("SECURITY.md"), |t| {
        t.replace("| high | 10 business days |", "| high | 15 business days |")
    });
    let (code, out) = check(tmp.path(), &["svc-b"]);
    assert_eq!(code, 1);
    assert!(out.contains("high is 15 business days here"), "{out}");
}

#[test]
fn a_placeholder_fails_check() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("svc-c");
    repo_with_security_md(&repo, FINGERPRINT);
    edit(&repo.join("SECURITY.md"), |t| {
        t.replace(
            "Include the affected version",
            "TODO: say who triages.\n\nInclude the affected version",
        )
    });
    let (code, out) = check(tmp.path(), &["svc-c"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("section `Reporting a vulnerability`: placeholder `TODO` left"),
        "{out}"
    );
    assert!(out.contains("error[placeholder]"), "{out}");
}

#[test]
fn a_wrong_key_fingerprint_fails_check() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("svc-d");
    repo_with_security_md(&repo, FINGERPRINT);
    // Against posture.toml: the fingerprint edited in SECURITY.md only.
    let other = "f".repeat(64);
    edit(&repo.join("SECURITY.md"), |t| {
        t.replace(FINGERPRINT, &other)
    });
    let (code, out) = check(tmp.path(), &["svc-d"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "section `Signing identities and verification`: states the key fingerprint `{other}`, but `"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("posture.toml` is `{FINGERPRINT}`")),
        "{out}"
    );
    // Against the latest release: posture.toml and SECURITY.md agree, the release does not.
    let f = fixture();
    ok(&run(&repo, &["posture", "init"]));
    let release = f.release.to_str().unwrap();
    let (code, out) = check(&repo, &["--release", release]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "states the key fingerprint `{FINGERPRINT}`, but the release's `{release}/release.pub` is `{}`",
            f.fingerprint
        )),
        "{out}"
    );
    // The release's own repository states the release's key.
    let (code, out) = check(&f.maint, &["--release", release]);
    assert_eq!(code, 0, "{out}");
}

/// A keyless release folder whose manifest signature does not verify under the identity
/// SECURITY.md states (here a staging bundle, against the production trusted root) fails.
#[test]
fn a_keyless_release_not_signed_by_the_stated_identity_fails_check() {
    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sigstore");
    let tmp = tempfile::tempdir().unwrap();
    let release = tmp.path().join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(
        format!("{FIXTURES}/bundle_v3.txt"),
        release.join("repro-manifest.json"),
    )
    .unwrap();
    std::fs::copy(
        format!("{FIXTURES}/bundle_v3.txt.sigstore"),
        release.join("repro-manifest.json.sigstore.json"),
    )
    .unwrap();
    let repo = tmp.path().join("svc-k");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("posture.toml"),
        posture_toml(FINGERPRINT).replace(
            &format!("key-fingerprint = \"{FINGERPRINT}\""),
            "oidc-identity = \"william@yossarian.net\"\noidc-issuer = \"https://github.com/login/oauth\"",
        ),
    )
    .unwrap();
    std::fs::write(repo.join("audit-policy.toml"), POLICY).unwrap();
    ok(&run(&repo, &["posture", "init"]));
    let (code, out) = check(tmp.path(), &["svc-k", "--release", "release"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "is not signed by `william@yossarian.net` via `https://github.com/login/oauth`"
        ),
        "{out}"
    );
    // Against posture.toml alone, the same SECURITY.md agrees.
    assert_eq!(check(tmp.path(), &["svc-k"]).0, 0);
}

#[test]
fn headings_must_be_at_the_same_address_in_every_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("svc-a"), tmp.path().join("svc-b"));
    repo_with_security_md(&a, FINGERPRINT);
    repo_with_security_md(&b, FINGERPRINT);
    edit(&b.join("SECURITY.md"), |t| {
        t.replace(
            "## Response SLA\n",
            "## Response SLA\n\n### Our triage rota\n\nWeekdays.\n",
        )
    });
    let (code, out) = check(tmp.path(), &["svc-a", "svc-b"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("svc-b/SECURITY.md:") && out.contains("error[heading-mismatch]"),
        "{out}"
    );
    assert!(
        out.contains("heading 5 is `### Our triage rota` (#our-triage-rota) here, but `## Security posture` (#security-posture) in `svc-a/SECURITY.md`"),
        "{out}"
    );
    // The same structure everywhere passes.
    ok(&run(&b, &["posture", "init"]));
    let (code, out) = check(tmp.path(), &["svc-a", "svc-b"]);
    assert_eq!(code, 0, "{out}");
}

/// A repository claiming the continuous-detection job: posture.toml names the workflow, which
/// is the README's example (`examples/github/scan-only.yml`), and SECURITY.md is regenerated.
fn repo_with_detection(dir: &Path) -> PathBuf {
    repo_with_security_md(dir, FINGERPRINT);
    let workflow = dir.join(".github/workflows/scan-only.yml");
    std::fs::create_dir_all(workflow.parent().unwrap()).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github/scan-only.yml");
    std::fs::copy(example, &workflow).unwrap();
    edit(&dir.join("posture.toml"), |t| {
        t + "\n[continuous-detection]\nworkflow = \".github/workflows/scan-only.yml\"\n"
    });
    ok(&run(dir, &["posture", "init"]));
    workflow
}

#[test]
fn a_continuous_detection_claim_is_checked_against_its_workflow() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("svc-cd");
    let workflow = repo_with_detection(&repo);
    let md = std::fs::read_to_string(repo.join("SECURITY.md")).unwrap();
    for want in [
        "**Continuous detection.** `.github/workflows/scan-only.yml` runs every day",
        "encrypted to the security team (`--encrypt-to`)",
        "never printed in the public job log nor filed as a public issue",
        "response SLA above",
        // Level 3 claims both; the job is the continuous part of each.
        "the continuous part of S2C2F SCA-1, SCA-4.",
    ] {
        assert!(md.contains(want), "{want} missing:\n{md}");
    }
    let (code, out) = check(tmp.path(), &["svc-cd"]);
    assert_eq!(code, 0, "{out}");

    let good = std::fs::read_to_string(&workflow).unwrap();
    let cases = [
        (
            good.replace("permissions:\n  contents: read", "permissions: write-all"),
            "`permissions: write-all`",
        ),
        (
            good.replace("  schedule:\n    - cron: \"17 5 * * *\"\n", ""),
            "not scheduled",
        ),
        (
            good.replace("--report audit-report.age", "--show"),
            "runs with `--show`",
        ),
        (
            good.replace("--encrypt-to \"$RECIPIENT\" ", ""),
            "without `--encrypt-to`",
        ),
        (
            good + "\n      - name: Read it\n        run: age -d -i team.key audit-report.age\n",
            "decrypts in the job",
        ),
    ];
    let original = std::fs::read_to_string(&workflow).unwrap();
    for (text, want) in cases {
        std::fs::write(&workflow, &text).unwrap();
        let (code, out) = check(tmp.path(), &["svc-cd"]);
        assert_eq!(code, 1, "{want}: {out}");
        assert!(out.contains("error[detection-workflow]"), "{want}: {out}");
        assert!(
            out.contains("svc-cd/.github/workflows/scan-only.yml"),
            "{want}: {out}"
        );
        assert!(out.contains(want), "{want}: {out}");
    }

    // Missing: a claim without evidence.
    std::fs::remove_file(&workflow).unwrap();
    let (code, out) = check(tmp.path(), &["svc-cd"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not exist"), "{out}");
    // Symlinked, even to a good workflow.
    let elsewhere = tmp.path().join("scan-only.yml");
    std::fs::write(&elsewhere, &original).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &workflow).unwrap();
    let (code, out) = check(tmp.path(), &["svc-cd"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is a symbolic link"), "{out}");
    std::fs::remove_file(&workflow).unwrap();
    std::fs::write(&workflow, &original).unwrap();
    assert_eq!(check(tmp.path(), &["svc-cd"]).0, 0);
}

#[test]
fn security_md_and_posture_toml_must_agree_on_continuous_detection() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("svc-agree");
    repo_with_detection(&repo);
    let posture = repo.join("posture.toml");
    let claimed = std::fs::read_to_string(&posture).unwrap();
    // SECURITY.md states the job; posture.toml no longer claims it.
    std::fs::write(
        &posture,
        claimed.replace(
            "[continuous-detection]\nworkflow = \".github/workflows/scan-only.yml\"\n",
            "",
        ),
    )
    .unwrap();
    let (code, out) = check(tmp.path(), &["svc-agree"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[detection-claim]"), "{out}");
    assert!(out.contains("has no `[continuous-detection]`"), "{out}");
    // Regenerated without it: the paragraph is gone and check passes.
    ok(&run(&repo, &["posture", "init"]));
    assert!(
        !std::fs::read_to_string(repo.join("SECURITY.md"))
            .unwrap()
            .contains("Continuous detection")
    );
    assert_eq!(check(tmp.path(), &["svc-agree"]).0, 0);
    // posture.toml claims it; SECURITY.md does not state it.
    std::fs::write(&posture, &claimed).unwrap();
    let (code, out) = check(tmp.path(), &["svc-agree"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[detection-claim]"), "{out}");
    assert!(out.contains("this section does not state it"), "{out}");
    // Both, with different workflows.
    ok(&run(&repo, &["posture", "init"]));
    edit(&repo.join("SECURITY.md"), |t| {
        t.replace(
            "`.github/workflows/scan-only.yml` runs",
            "`.github/workflows/other.yml` runs",
        )
    });
    let (code, out) = check(tmp.path(), &["svc-agree"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("states the workflow `.github/workflows/other.yml`"),
        "{out}"
    );
}

/// The project's own SECURITY.md is the one `repro posture init` writes from posture.toml,
/// and it passes `check` (CI runs `repro posture check .` too).
#[test]
fn the_projects_own_security_md_is_generated_and_checked() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("SECURITY.md");
    ok(&run(
        root,
        &["posture", "init", "--out", out.to_str().unwrap()],
    ));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(root.join("SECURITY.md")).unwrap(),
        "SECURITY.md is not what `repro posture init` writes from posture.toml: run it"
    );
    let (code, out) = check(root, &["."]);
    assert_eq!(code, 0, "{out}");
}

// --- evidence -----------------------------------------------------------------------------

/// The miniature release with everything its evidence needs, built once for these tests.
struct Fixture {
    maint: PathBuf,
    release: PathBuf,
    db: PathBuf,
    root: PathBuf,
    verifier_pub: PathBuf,
    audit: PathBuf,
    feed: PathBuf,
    provenance: PathBuf,
    fingerprint: String,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    let root = PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/posture-evidence"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let (_server, index, files) = two_wheel_mirror();
    let MiniRelease {
        maint,
        store,
        db,
        release,
    } = mini_release(&root, &index, &files);
    // The second machine: rebuild, compare, sign a PASSED summary with its own key, publish it
    // beside the release.
    let second = root.join("second");
    std::fs::create_dir_all(&second).unwrap();
    setup_tree(&second, &files);
    ok(&lambda_build(
        &second,
        &store,
        &index,
        "Pacific/Auckland",
        &["--out", "local-manifest.json"],
        true,
    ));
    ok(&run(
        &second,
        &[
            "diff",
            release.join("repro-manifest.json").to_str().unwrap(),
            "local-manifest.json",
            "--attest",
            "reproduced.intoto.json",
            "--provenance",
            release.join("provenance.intoto.json").to_str().unwrap(),
        ],
    ));
    ok(&run(&second, &["key", "generate", "--out", "verifier"]));
    ok(&run(
        &second,
        &[
            "sign",
            "--key",
            "verifier.key",
            "--attestation",
            "reproduced.intoto.json",
        ],
    ));
    for f in [
        "reproduced.intoto.json",
        "reproduced.intoto.json.sigstore.json",
    ] {
        std::fs::copy(second.join(f), release.join(f)).unwrap();
    }
    // The posture, and the SECURITY.md written from it.
    let key = repro::sign::load_public(&release.join("release.pub")).unwrap();
    let fingerprint = repro::posture::commands::key_fingerprint(&key);
    std::fs::write(maint.join("posture.toml"), posture_toml(&fingerprint)).unwrap();
    std::fs::write(maint.join("audit-policy.toml"), POLICY).unwrap();
    ok(&run(&maint, &["posture", "init"]));
    // The private audit, today.
    let audit = root.join("audit.json");
    audit_report(&maint, &db, &audit, NOW);
    // A malware feed whose newest record is a day old.
    let feed = root.join("malicious");
    std::fs::create_dir_all(&feed).unwrap();
    std::fs::write(
        feed.join("MAL-2026-1.json"),
        r#"{"id":"MAL-2026-1","modified":"2026-11-19T08:00:00Z","published":"2026-11-19T08:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"evil-lambda-helper"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    // The direct-dependency provenance report (`repro provenance --json`).
    let provenance = root.join("provenance-report.json");
    std::fs::write(
        &provenance,
        serde_json::to_vec_pretty(&serde_json::json!({
            "schema": "repro.provenance/v1",
            "scope": "direct",
            "source": "offline",
            "summary": {"packages": 1, "attested": 1, "partial": 0, "missing": 0, "failed": 0, "unknown": 0, "artifacts": 1, "attestations": 1},
            "packages": [{"name": "alpha", "version": "1.0", "direct": true, "status": "attested"}],
            "pins": [],
            "findings": [],
            "notes": [],
            "requests": 0,
        }))
        .unwrap(),
    )
    .unwrap();
    Fixture {
        verifier_pub: second.join("verifier.pub"),
        maint,
        release,
        db,
        root,
        audit,
        feed,
        provenance,
        fingerprint,
    }
}

/// `repro audit --json` of the tree in `dir` against `db`, dated `now`, into `report`.
fn audit_report(dir: &Path, db: &Path, report: &Path, now: &str) -> std::process::Output {
    run(
        dir,
        &[
            "audit",
            "--json",
            "--report",
            report.to_str().unwrap(),
            "--now",
            now,
            "--db",
            db.to_str().unwrap(),
            "--policy",
            "audit-policy.toml",
            "functions",
        ],
    )
}

/// A copy of the fixture's release folder to tamper with.
fn copy_release(to: &Path) -> PathBuf {
    let from = &fixture().release;
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
    to.to_path_buf()
}

/// `repro posture evidence --json` of `release`, with the fixture's inputs (the audit report
/// replaced by `audit` when given): exit code, report.
fn evidence(release: &Path, audit: Option<&Path>) -> (i32, Value, String) {
    let f = fixture();
    let out = run(
        &f.maint,
        &[
            "posture",
            "evidence",
            release.to_str().unwrap(),
            "--repo",
            ".",
            "--vsa-key",
            f.verifier_pub.to_str().unwrap(),
            "--audit-report",
            audit.unwrap_or(&f.audit).to_str().unwrap(),
            "--malware-feed",
            f.feed.to_str().unwrap(),
            "--provenance-report",
            f.provenance.to_str().unwrap(),
            "--now",
            NOW,
            "--json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

fn statuses(v: &Value) -> BTreeMap<String, String> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The rows of the untampered release: every one passes but the licences, which the test
/// wheels do not declare (SCA-2 is out of scope in the fixture's posture).
fn baseline() -> BTreeMap<String, String> {
    let mut b: BTreeMap<String, String> = [
        "locks",
        "offline-build",
        "artefacts",
        "sha256sums",
        "sbom",
        "provenance",
        "second-machine",
        "audit",
        "malware-feed",
        "dependency-provenance",
        "security-policy",
    ]
    .into_iter()
    .map(|r| (r.to_string(), "pass".to_string()))
    .collect();
    b.insert("licences".into(), "not-evidenced".into());
    b
}

/// The rows that differ from the baseline.
fn flipped(v: &Value) -> BTreeMap<String, String> {
    let base = baseline();
    statuses(v)
        .into_iter()
        .filter(|(k, s)| base.get(k) != Some(s))
        .collect()
}

fn flips(row: &str, to: &str) -> BTreeMap<String, String> {
    [(row.to_string(), to.to_string())].into_iter().collect()
}

#[test]
fn evidence_on_the_miniature_release_passes() {
    let f = fixture();
    let (code, v, out) = evidence(&f.release, None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(v["schema"], "repro.posture-evidence/v1");
    assert_eq!(statuses(&v), baseline(), "{out}");
    assert_eq!(v["component"], "hello-lambdas");
    // Every claimed control is evidenced, mapped to the frameworks' ids.
    let claimed: Vec<&Value> = v["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["claimed"] == true)
        .collect();
    assert!(claimed.iter().all(|c| c["status"] == "evidenced"), "{out}");
    let ids: Vec<&str> = claimed.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for want in [
        "ING-1",
        "ING-2",
        "ING-3",
        "SCA-1",
        "SCA-4",
        "INV-1",
        "INV-2",
        "UPD-1",
        "AUD-1",
        "AUD-2",
        "AUD-3",
        "ENF-1",
        "provenance-exists",
        "distribute-provenance",
        "independent-rebuild",
    ] {
        assert!(ids.contains(&want), "{want} not claimed: {ids:?}");
    }
    assert!(!ids.contains(&"SCA-2") && !ids.contains(&"UPD-2"));
    assert_eq!(v["cisa"].as_array().unwrap().len(), 4);
    // The Markdown rendering: the table, the claims, the CISA section.
    let out = run(
        &f.maint,
        &[
            "posture",
            "evidence",
            f.release.to_str().unwrap(),
            "--repo",
            ".",
            "--vsa-key",
            f.verifier_pub.to_str().unwrap(),
            "--audit-report",
            f.audit.to_str().unwrap(),
            "--malware-feed",
            f.feed.to_str().unwrap(),
            "--provenance-report",
            f.provenance.to_str().unwrap(),
            "--now",
            NOW,
        ],
    );
    ok(&out);
    let md = String::from_utf8_lossy(&out.stdout);
    for want in [
        "| Every artefact's signature | pass |",
        "| Licences known | not evidenced |",
        "## CISA Secure Software Development Attestation Form",
        "**Verdict:** every claimed control has passing evidence.",
    ] {
        assert!(md.contains(want), "{want}:\n{md}");
    }
}

#[test]
fn a_changed_artefact_flips_only_the_artefacts_row() {
    let tmp = tempfile::tempdir().unwrap();
    let rel = copy_release(&tmp.path().join("release"));
    let zip = rel.join("dist/hello.zip");
    let mut bytes = std::fs::read(&zip).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&zip, bytes).unwrap();
    let (code, v, out) = evidence(&rel, None);
    assert_eq!(code, 1, "{out}");
    assert_eq!(flipped(&v), flips("artefacts", "fail"), "{out}");
    assert!(out.contains("dist/hello.zip: artifact digest"), "{out}");
}

#[test]
fn a_changed_sha256sums_flips_only_its_row() {
    let tmp = tempfile::tempdir().unwrap();
    let rel = copy_release(&tmp.path().join("release"));
    // Point the manifest's line at other bytes: what a swapped download would need.
    edit(&rel.join("SHA256SUMS"), |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let i = lines
            .iter()
            .position(|l| l.ends_with("  repro-manifest.json"))
            .unwrap();
        lines[i] = format!("{}  repro-manifest.json", "0".repeat(64));
        lines.join("\n") + "\n"
    });
    let (code, v, out) = evidence(&rel, None);
    assert_eq!(code, 1, "{out}");
    assert_eq!(flipped(&v), flips("sha256sums", "fail"), "{out}");
}

#[test]
fn an_sbom_without_a_resolved_package_flips_only_the_sbom_row() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let rel = copy_release(&tmp.path().join("release"));
    // An SBOM that leaves out `beta`, signed with the release key, SHA256SUMS redone: only the
    // SBOM's content can tell.
    let sbom = rel.join("sbom.cdx.json");
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&sbom).unwrap()).unwrap();
    doc["components"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["name"] != "beta");
    for d in doc["dependencies"].as_array_mut().unwrap() {
        if let Some(on) = d["dependsOn"].as_array_mut() {
            on.retain(|r| !r.as_str().unwrap().contains("beta"));
        }
    }
    doc["dependencies"]
        .as_array_mut()
        .unwrap()
        .retain(|d| !d["ref"].as_str().unwrap().contains("beta"));
    std::fs::write(&sbom, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let key = f.root.join("release.key");
    ok(&run(
        &rel,
        &["sign", "--key", key.to_str().unwrap(), "sbom.cdx.json"],
    ));
    let sums: String = std::fs::read_to_string(rel.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .map(|l| {
            let name = l.split_once("  ").unwrap().1;
            let digest = crate::support::sha256_hex(&std::fs::read(rel.join(name)).unwrap());
            format!("{digest}  {name}\n")
        })
        .collect();
    std::fs::write(rel.join("SHA256SUMS"), sums).unwrap();
    ok(&run(
        &rel,
        &["sign", "--key", key.to_str().unwrap(), "SHA256SUMS"],
    ));
    let (code, v, out) = evidence(&rel, None);
    assert_eq!(code, 1, "{out}");
    assert_eq!(flipped(&v), flips("sbom", "fail"), "{out}");
    assert!(
        out.contains("`pkg:pypi/beta@2.0` is resolved but not in the SBOM"),
        "{out}"
    );
}

#[test]
fn a_missing_second_machine_summary_flips_only_its_row() {
    let tmp = tempfile::tempdir().unwrap();
    let rel = copy_release(&tmp.path().join("release"));
    std::fs::remove_file(rel.join("reproduced.intoto.json.sigstore.json")).unwrap();
    let (code, v, out) = evidence(&rel, None);
    // The claimed independent rebuild now lacks evidence: not a pass.
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        flipped(&v),
        flips("second-machine", "not-evidenced"),
        "{out}"
    );
    let rebuild = v["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "independent-rebuild")
        .unwrap();
    assert_eq!(rebuild["status"], "not-evidenced");
    assert!(
        out.contains("no verification summary from a second machine"),
        "{out}"
    );
}

#[test]
fn an_old_audit_flips_only_the_audit_row() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old-audit.json");
    ok(&audit_report(&f.maint, &f.db, &old, "2026-10-01"));
    let (code, v, out) = evidence(&f.release, Some(&old));
    assert_eq!(code, 1, "{out}");
    assert_eq!(flipped(&v), flips("audit", "not-evidenced"), "{out}");
    assert!(
        out.contains(
            "the last audit ran on 2026-10-01 (50 days ago), older than the limit of 7 days"
        ),
        "{out}"
    );
}

#[test]
fn an_overdue_finding_flips_only_the_audit_row_without_naming_it() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("osv");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("PYSEC-2026-77.json"),
        r#"{"id":"PYSEC-2026-77","published":"2026-09-01T00:00:00Z","modified":"2026-09-01T00:00:00Z","database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"PyPI","name":"alpha"},"versions":["1.0"]}]}"#,
    )
    .unwrap();
    let report = tmp.path().join("audit.json");
    let out = audit_report(&f.maint, &db, &report, NOW);
    assert_eq!(out.status.code(), Some(1));
    let (code, v, out) = evidence(&f.release, Some(&report));
    assert_eq!(code, 1, "{out}");
    assert_eq!(flipped(&v), flips("audit", "fail"), "{out}");
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "audit")
        .unwrap()
        .to_string();
    assert!(
        row.contains("1 finding past the response deadline"),
        "{row}"
    );
    // Counts only: the advisory and the package stay in the private report.
    assert!(!out.contains("PYSEC-2026-77"), "{out}");
    assert!(!row.contains("alpha"), "{row}");
}
