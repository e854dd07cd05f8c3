//! `repro audit` and `repro db index`: OSV matching rules on hand-made records, concrete findings
//! on the real corpora, the response clock, private routing, hostile advisory data, the index.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::repro;

/// A scratch directory holding an OSV database and a lock.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("db")).unwrap();
        Case { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn record(&self, file: &str, record: &Value) -> &Case {
        let p = self.path("db").join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_vec_pretty(record).unwrap()).unwrap();
        self
    }

    fn lock(&self, text: &str) -> &Case {
        std::fs::write(self.path("requirements.txt"), text).unwrap();
        self
    }

    fn cargo_lock(&self, packages: &[(&str, &str)]) -> &Case {
        let mut text = String::from("version = 4\n");
        for (n, v) in packages {
            text.push_str(&format!(
                "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
                "0".repeat(64)
            ));
        }
        std::fs::write(self.path("Cargo.lock"), text).unwrap();
        self
    }

    /// Run `repro audit LOCKS… --db DB ARGS…` (`--now 2026-12-03` unless ARGS give one).
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut locks = vec![];
        for f in ["requirements.txt", "Cargo.lock"] {
            if self.path(f).exists() {
                locks.push(self.path(f));
            }
        }
        repro()
            .arg("audit")
            .args(&locks)
            .arg("--db")
            .arg(self.path("db"))
            .args(if args.contains(&"--now") {
                &[][..]
            } else {
                &["--now", "2026-12-03"][..]
            })
            .args(args)
            .output()
            .unwrap()
    }

    /// Run `repro audit --show --json` on the lock(s) and return (exit code, report).
    fn audit(&self, extra: &[&str]) -> (i32, Value) {
        let out = self.run(&[&["--show", "--json"], extra].concat());
        let code = out.status.code().unwrap();
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, report)
    }

    /// For each (version, affected): pin `name` at that version alone and check that the audit
    /// finds something exactly when it should.
    fn expect_affected(&self, name: &str, table: &[(&str, bool)]) {
        for (v, hit) in table {
            self.lock(&format!("{name}=={v}\n"));
            assert_eq!(!self.hits(&[]).is_empty(), *hit, "{name}=={v}");
        }
    }

    /// `ID NAME==VERSION` of every finding, sorted.
    fn hits(&self, extra: &[&str]) -> Vec<String> {
        let (_, r) = self.audit(extra);
        let mut v: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}=={}",
                    f["id"].as_str().unwrap(),
                    f["name"].as_str().unwrap(),
                    f["version"].as_str().unwrap()
                )
            })
            .collect();
        v.sort();
        v
    }
}

fn pypi_record(id: &str, name: &str, ranges: Value, versions: Value) -> Value {
    json!({
        "id": id,
        "modified": "2026-11-01T00:00:00Z",
        "published": "2026-11-02T00:00:00Z",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": name},
            "ranges": ranges,
            "versions": versions,
        }],
    })
}

/// A PyPI record affecting every version of `name`.
fn every_version(id: &str, name: &str) -> Value {
    pypi_record(id, name, eco(json!([{"introduced": "0"}])), json!([]))
}

fn eco(events: Value) -> Value {
    json!([{"type": "ECOSYSTEM", "events": events}])
}

#[test]
fn introduced_and_fixed() {
    let c = Case::new();
    c.record(
        "a.json",
        &pypi_record(
            "PYSEC-T-1",
            "demo",
            eco(json!([{"introduced": "1.0"}, {"fixed": "2.0"}])),
            json!([]),
        ),
    );
    c.expect_affected(
        "demo",
        &[
            ("0.9", false),
            ("1.0", true),
            ("1.9.9", true),
            ("2.0", false),
        ],
    );
}

#[test]
fn last_affected_and_limit() {
    let c = Case::new();
    c.record(
        "a.json",
        &pypi_record(
            "PYSEC-T-2",
            "demo",
            eco(json!([{"introduced": "0"}, {"last_affected": "3.2"}])),
            json!([]),
        ),
    )
    .record(
        "b.json",
        &pypi_record(
            "PYSEC-T-3",
            "other",
            eco(json!([{"introduced": "0"}, {"limit": "5.0"}])),
            json!([]),
        ),
    );
    c.lock("demo==3.2\nother==4.9\n");
    assert_eq!(c.hits(&[]), ["PYSEC-T-2 demo==3.2", "PYSEC-T-3 other==4.9"]);
    c.lock("demo==3.2.1\nother==5.0\n");
    assert!(c.hits(&[]).is_empty());
}

#[test]
fn versions_list_matches_even_where_ranges_disagree() {
    let c = Case::new();
    c.record(
        "a.json",
        &pypi_record(
            "PYSEC-T-4",
            "demo",
            eco(json!([{"introduced": "5.0"}, {"fixed": "5.1"}])),
            json!(["1.17", "1.18"]),
        ),
    );
    c.lock("demo==1.18\n");
    assert_eq!(c.hits(&[]), ["PYSEC-T-4 demo==1.18"]);
    let (_, r) = c.audit(&[]);
    assert_eq!(r["findings"][0]["matched_by"], "versions");
    c.lock("demo==1.19\n");
    assert!(c.hits(&[]).is_empty());
}

#[test]
fn pep440_prereleases_epochs_and_local_versions() {
    let c = Case::new();
    c.record(
        "a.json",
        &pypi_record(
            "PYSEC-T-5",
            "demo",
            eco(json!([{"introduced": "0"}, {"fixed": "2.0"}])),
            json!([]),
        ),
    );
    // 2.0rc1 sorts before 2.0: affected. 1!1.0 has epoch 1: after every 0-epoch version.
    // 1.5+local sorts after 1.5 and before 2.0: affected. 2.0.post1 is after the fix.
    c.expect_affected(
        "demo",
        &[
            ("2.0rc1", true),
            ("2.0.dev3", true),
            ("1!1.0", false),
            ("1.5+local.7", true),
            ("2.0.post1", false),
        ],
    );
}

#[test]
fn withdrawn_records_are_skipped() {
    let c = Case::new();
    let mut r = every_version("PYSEC-T-6", "demo");
    r["withdrawn"] = json!("2026-11-03T00:00:00Z");
    c.record("a.json", &r).lock("demo==1.0\n");
    let (code, report) = c.audit(&[]);
    assert_eq!(code, 0);
    assert_eq!(report["database"]["withdrawn"], 1);
    assert!(report["findings"].as_array().unwrap().is_empty());
}

#[test]
fn malicious_packages_are_critical_for_every_version() {
    let c = Case::new();
    c.record(
        "MAL-2026-1.json",
        &json!({
            "id": "MAL-2026-1",
            "modified": "2026-12-01T00:00:00Z",
            "published": "2026-12-01T00:00:00Z",
            "summary": "Malicious code in evil-pkg (PyPI)",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "evil-pkg"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
            "database_specific": {"malicious-packages-origins": [{"source": "test"}]}
        }),
    );
    c.lock("Evil_Pkg==9.9.9\n");
    let (code, r) = c.audit(&["--fail-on", "critical"]);
    assert_eq!(code, 1);
    let f = &r["findings"][0];
    assert_eq!(f["id"], "MAL-2026-1");
    assert_eq!(f["kind"], "malicious");
    assert_eq!(f["severity"], "critical");
    // Published Tuesday 2026-12-01: three business days later is Friday 2026-12-04.
    assert_eq!(f["sla"]["due"], "2026-12-04");
    assert_eq!(f["sla"]["overdue"], false);
}

#[test]
fn names_are_normalized_per_ecosystem() {
    let c = Case::new();
    c.record(
        "a.json",
        &pypi_record(
            "PYSEC-T-7",
            "PyYAML",
            eco(json!([{"introduced": "0"}, {"fixed": "5.4"}])),
            json!([]),
        ),
    )
    .record("b.json", &every_version("PYSEC-T-8", "zope.event"));
    c.lock("pyyaml==5.3\nZope_Event==4.0\n");
    assert_eq!(
        c.hits(&[]),
        ["PYSEC-T-7 pyyaml==5.3", "PYSEC-T-8 zope-event==4.0"]
    );
}

fn rustsec(id: &str, krate: &str, events: Value, informational: Option<&str>) -> Value {
    json!({
        "id": id,
        "modified": "2026-11-01T00:00:00Z",
        "published": "2026-11-20T00:00:00Z",
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": krate},
            "ranges": [{"type": "SEMVER", "events": events}],
            "database_specific": {"informational": informational},
        }],
    })
}

#[test]
fn crates_use_semver_and_informational_records_are_warnings() {
    let c = Case::new();
    c.record(
        "RUSTSEC-T-1.json",
        &rustsec(
            "RUSTSEC-T-1",
            "demo_crate",
            json!([{"introduced": "0.0.0-0"}, {"fixed": "0.9.0"}]),
            None,
        ),
    )
    .record(
        "RUSTSEC-T-2.json",
        &rustsec(
            "RUSTSEC-T-2",
            "old-crate",
            json!([{"introduced": "0.0.0-0"}]),
            Some("unmaintained"),
        ),
    );
    // Crate names are not normalized: demo-crate is another crate.
    c.cargo_lock(&[
        ("demo_crate", "0.9.0-alpha.1"),
        ("demo-crate", "0.1.0"),
        ("old-crate", "1.0.0"),
    ]);
    let (code, r) = c.audit(&[]);
    assert_eq!(code, 1, "{r:#}");
    let f = r["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    let vuln = f.iter().find(|f| f["id"] == "RUSTSEC-T-1").unwrap();
    assert_eq!(vuln["name"], "demo_crate");
    let warn = f.iter().find(|f| f["id"] == "RUSTSEC-T-2").unwrap();
    assert_eq!(warn["kind"], "warning");
    assert_eq!(warn["informational"], "unmaintained");
    assert_eq!(warn["fails"], false);
    assert_eq!(warn["sla"]["due"], "next-release");
    // Only the warning: passes unless denied.
    c.cargo_lock(&[("old-crate", "1.0.0")]);
    assert_eq!(c.audit(&[]).0, 0);
    assert_eq!(c.audit(&["--deny", "unmaintained"]).0, 1);
    assert_eq!(c.audit(&["--deny", "warnings"]).0, 1);
    assert_eq!(c.audit(&["--deny", "unsound"]).0, 0);
}

#[test]
fn severity_from_cvss_vectors_and_database_specific() {
    let c = Case::new();
    let mut v3 = every_version("PYSEC-T-9", "a");
    v3["severity"] =
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]);
    let mut v4 = every_version("PYSEC-T-10", "b");
    v4["severity"] = json!([{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"}]);
    let mut ghsa = every_version("GHSA-T-11", "c");
    ghsa["database_specific"] = json!({"severity": "MODERATE"});
    let none = every_version("PYSEC-T-12", "d");
    c.record("1.json", &v3)
        .record("2.json", &v4)
        .record("3.json", &ghsa)
        .record("4.json", &none)
        .lock("a==1\nb==1\nc==1\nd==1\n");
    let (_, r) = c.audit(&[]);
    let sev = |id: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| (f["severity"].clone(), f["score"].clone()))
            .unwrap()
    };
    assert_eq!(sev("PYSEC-T-9"), (json!("critical"), json!(9.8)));
    assert_eq!(sev("PYSEC-T-10"), (json!("medium"), json!(6.9)));
    assert_eq!(sev("GHSA-T-11"), (json!("medium"), Value::Null));
    assert_eq!(sev("PYSEC-T-12"), (json!("unknown"), Value::Null));
    // Thresholds: unknown ranks as high.
    assert_eq!(c.audit(&["--fail-on", "critical"]).0, 1);
    c.lock("b==1\nc==1\n");
    assert_eq!(c.audit(&["--fail-on", "high"]).0, 0);
    assert_eq!(c.audit(&["--fail-on", "medium"]).0, 1);
    c.lock("d==1\n");
    assert_eq!(c.audit(&["--fail-on", "high"]).0, 1);
}

#[test]
fn sla_business_days_holidays_policy_clock_and_overdue() {
    let c = Case::new();
    let mut r = every_version("PYSEC-T-13", "demo");
    r["severity"] =
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]);
    r["published"] = json!("2026-12-18T09:00:00Z"); // a Friday
    r["aliases"] = json!(["CVE-2026-0001"]);
    c.record("a.json", &r).lock("demo==1.0\n");
    let (_, rep) = c.audit(&["--now", "2026-12-21"]);
    let sla = &rep["findings"][0]["sla"];
    assert_eq!(rep["findings"][0]["severity"], "high");
    // Ten business days from Friday 2026-12-18: Friday 2027-01-01.
    assert_eq!(sla["due"], "2027-01-01");
    assert_eq!(sla["clock_source"], "published");
    let policy = c.path("policy.toml");
    std::fs::write(
        &policy,
        "holidays = [\"2026-12-24\", \"2026-12-25\", \"2027-01-01\"]\n\n[[clock]]\nadvisory = \"CVE-2026-0001\"\npackage = \"demo\"\nstart = \"2026-12-01\"\nnote = \"reported privately\"\n",
    )
    .unwrap();
    let p = policy.to_str().unwrap();
    let (_, rep) = c.audit(&["--policy", p, "--now", "2026-12-16"]);
    let sla = &rep["findings"][0]["sla"];
    assert_eq!(sla["clock_source"], "policy");
    assert_eq!(sla["clock_start"], "2026-12-01");
    assert_eq!(sla["due"], "2026-12-15");
    assert_eq!(sla["overdue"], true);
    assert_eq!(rep["summary"]["overdue"], 1);
    // Without the clock entry, the holidays push the due date past the new year.
    std::fs::write(
        &policy,
        "holidays = [\"2026-12-24\", \"2026-12-25\", \"2027-01-01\"]\n",
    )
    .unwrap();
    let (_, rep) = c.audit(&["--policy", p]);
    assert_eq!(rep["findings"][0]["sla"]["due"], "2027-01-06");
    // A broken policy names the file and line, not the value (a policy may be private).
    std::fs::write(&policy, "holidays = [\"Christmas\"]\n").unwrap();
    let out = c.run(&["--now", "2026-12-03", "--policy", p]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "policy.toml:1: a `holidays` entry is not a calendar date in the form YYYY-MM-DD"
        ) && !err.contains("Christmas"),
        "{err}"
    );
    // A date the calendar does not have is an error, not the next month's day.
    std::fs::write(&policy, "holidays = [\"2026-02-30\"]\n").unwrap();
    let out = c.run(&["--now", "2026-12-03", "--policy", p]);
    assert_eq!(out.status.code(), Some(2));
}

/// `--now 2026-02-31` used to be read as 2026-03-03: a date the calendar does not have is an
/// error (exit 2), and nothing is scanned.
#[test]
fn an_impossible_now_is_an_error() {
    let c = Case::new();
    for bad in ["2026-02-31", "2026-13-01", "2026-2-1", "tomorrow"] {
        let out = c.run(&["--now", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "`--now {bad}` is not a calendar date in the form YYYY-MM-DD"
            )),
            "{err}"
        );
    }
}

/// Findings for a medium advisory: next regular release, no date.
#[test]
fn medium_and_low_wait_for_the_next_release() {
    let c = Case::new();
    let mut r = every_version("PYSEC-T-14", "demo");
    r["severity"] =
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N"}]);
    c.record("a.json", &r).lock("demo==1.0\n");
    let (_, rep) = c.audit(&[]);
    assert_eq!(rep["findings"][0]["severity"], "low");
    assert_eq!(rep["findings"][0]["sla"]["due"], "next-release");
    assert!(rep["summary"].get("earliest_due").is_none());
}

// --- Private routing ---------------------------------------------------------------------

#[test]
fn the_log_carries_counts_only_and_the_report_is_private() {
    let c = Case::new();
    let mut r = every_version("PYSEC-T-15", "secretpkg");
    r["severity"] =
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]);
    r["aliases"] = json!(["CVE-2026-4242"]);
    c.record("a.json", &r).lock("secretpkg==1.2.3\n");
    // A damaged record of the same package: its problem must not name it in the log either.
    let mut bad = pypi_record(
        "PYSEC-T-15B",
        "secretpkg",
        eco(json!([{"introduced": "0"}, {"fixed": "9-NA"}])),
        json!([]),
    );
    bad["modified"] = json!("2099-01-01T00:00:00Z");
    c.record("secretpkg/b.json", &bad);
    let report = c.path("out/report.txt");
    std::fs::create_dir(c.path("out")).unwrap();
    let out = c.run(&["--now", "2026-12-03", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in ["secretpkg", "1.2.3", "PYSEC-T-15", "CVE-2026-4242"] {
        assert!(!log.contains(secret), "{secret} leaked into the log: {log}");
    }
    assert!(
        log.contains("2 problem(s) in advisories of audited packages"),
        "{log}"
    );
    assert!(
        log.starts_with("1 finding: 0 critical, 1 high, 0 medium, 0 low, 0 unrated; 0 warnings; earliest due 2026-11-16; 1 overdue;"),
        "{log}"
    );
    let mode = std::fs::metadata(&report).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("HIGH PYSEC-T-15 secretpkg==1.2.3"), "{text}");
    assert!(text.contains("CVE-2026-4242"));

    // --json writes the structured report to the file, still nothing in the log.
    let out = c.run(&[
        "--json",
        "--now",
        "2026-12-03",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secretpkg"));
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(doc["schema"], "repro.audit/v1");
    assert_eq!(doc["findings"][0]["name"], "secretpkg");

    // A report others can read is not overwritten; nor is a symlink followed.
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = c.run(&["--now", "2026-12-03", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mode 0644"));
    let link = c.path("out/link.txt");
    std::os::unix::fs::symlink(c.path("public.txt"), &link).unwrap();
    let out = c.run(&["--now", "2026-12-03", "--report", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!c.path("public.txt").exists());

    // --show is for a person at a terminal: the findings on stdout.
    let out = c.run(&["--show", "--now", "2026-12-03"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("secretpkg==1.2.3"));
}

// --- Hostile advisory data ---------------------------------------------------------------

#[test]
fn hostile_records_are_reported_and_the_scan_completes() {
    let c = Case::new();
    let mut good = every_version("PYSEC-T-16", "demo");
    good["modified"] = json!("2099-01-01T00:00:00Z");
    c.record("good.json", &good)
        .record(
            "badrange.json",
            &pypi_record(
                "PYSEC-T-17",
                "demo",
                eco(json!([{"introduced": "0"}, {"fixed": "2.0-NA"}])),
                json!([]),
            ),
        )
        .lock("demo==1.0\n");
    std::fs::write(c.path("db/broken.json"), b"{\"id\": \"X\", \"affected\": [").unwrap();
    std::fs::write(c.path("db/binary.json"), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    // A 50 MB record: refused without being read whole.
    let mut big = b"{\"id\":\"BIG\",\"details\":\"".to_vec();
    big.resize(50 << 20, b'a');
    big.extend_from_slice(b"\"}");
    std::fs::write(c.path("db/big.json"), &big).unwrap();
    let out = c.run(&["--show", "--json", "--now", "2026-12-03"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "broken.json: not an OSV record",
        "binary.json: not an OSV record",
        "big.json: record larger than 8 MiB",
        "badrange.json: PYSEC-T-17: range of demo has the unparsable version \"2.0-NA\"",
        "good.json: PYSEC-T-16: `modified` 2099-01-01T00:00:00Z lies in the future",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["findings"].as_array().unwrap().len(),
        1,
        "the good record still matches"
    );
    assert_eq!(r["database"]["skipped"], 4);
}

#[test]
fn an_empty_or_missing_database_is_an_error() {
    let c = Case::new();
    c.lock("demo==1.0\n");
    let out = c.run(&["--now", "2026-12-03"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no OSV record found"));
    let out = repro()
        .args(["audit", "--db", "/nonexistent/osv"])
        .arg(c.path("requirements.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/osv"));
}

#[test]
fn osv_zips_and_several_databases() {
    let c = Case::new();
    let zip_path = c.path("all.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        z.start_file("PYSEC-T-18.json", opts).unwrap();
        let r = every_version("PYSEC-T-18", "demo");
        std::io::Write::write_all(&mut z, &serde_json::to_vec(&r).unwrap()).unwrap();
        z.finish().unwrap();
    }
    c.record("x.json", &every_version("PYSEC-T-19", "demo"))
        .lock("demo==1.0\n");
    let out = repro()
        .args(["audit", "--show", "--json", "--now", "2026-12-03"])
        .arg("--db")
        .arg(&zip_path)
        .arg("--db")
        .arg(c.path("db"))
        .arg(c.path("requirements.txt"))
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PYSEC-T-18", "PYSEC-T-19"]);
    assert!(
        r["findings"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("all.zip!/PYSEC-T-18.json")
    );
}

// --- The index -----------------------------------------------------------------------------

#[test]
fn the_index_gives_the_same_findings_and_refuses_changed_sources() {
    let c = Case::new();
    c.record("demo/a.json", &every_version("PYSEC-T-20", "demo"))
        .lock("demo==1.0\n");
    let idx = c.path("osv.idx");
    repro()
        .args(["db", "index"])
        .arg(c.path("db"))
        .arg("--out")
        .arg(&idx)
        .assert()
        .success();
    let run = |db: &Path| {
        repro()
            .args(["audit", "--show", "--json", "--now", "2026-12-03", "--db"])
            .arg(db)
            .arg(c.path("requirements.txt"))
            .output()
            .unwrap()
    };
    let direct: Value = serde_json::from_slice(&run(&c.path("db")).stdout).unwrap();
    let indexed: Value = serde_json::from_slice(&run(&idx).stdout).unwrap();
    assert_eq!(direct["findings"], indexed["findings"]);

    // A new record: its directory changed.
    std::thread::sleep(std::time::Duration::from_millis(20));
    c.record("demo/b.json", &every_version("PYSEC-T-21", "demo"));
    let out = run(&idx);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stale index"));
    // Rebuilt, then a record the audit reads edited in place.
    repro()
        .args(["db", "index"])
        .arg(c.path("db"))
        .arg("--out")
        .arg(&idx)
        .assert()
        .success();
    assert_eq!(run(&idx).status.code(), Some(1));
    let a = c.path("db/demo/a.json");
    let mut text = std::fs::read_to_string(&a).unwrap();
    text = text.replace("\"introduced\": \"0\"", "\"introduced\": \"5.0\"");
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&a)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .unwrap();
    let out = run(&idx);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stale index") && err.contains("a.json"),
        "{err}"
    );
}

// --- Real data -------------------------------------------------------------------------------

/// The SOAR corpus against the bundled OSV extract: soupsieve 2.8.3 has two high advisories,
/// published 2026-07-13; nothing else in the 24 packages is affected.
#[test]
fn soar_corpus_findings() {
    let out = repro()
        .args([
            "audit",
            "corpora/opensecops-soar",
            "--db",
            "corpora/osv",
            "--now",
            "2026-12-03",
            "--show",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, String, String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().into(),
                f["name"].as_str().unwrap().into(),
                f["version"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
                f["sla"]["due"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        (
            "PYSEC-2026-3071",
            "soupsieve",
            "2.8.3",
            "high",
            "2026-07-27",
        ),
        (
            "PYSEC-2026-3072",
            "soupsieve",
            "2.8.3",
            "high",
            "2026-07-27",
        ),
    ]
    .map(|(a, b, c, d, e)| (a.into(), b.into(), c.into(), d.into(), e.into()));
    assert_eq!(got, want);
    assert_eq!(r["packages"], 24);
    assert_eq!(r["findings"][0]["used_by"].as_array().unwrap().len(), 3);
    assert_eq!(
        r["findings"][0]["aliases"],
        json!(["CVE-2026-49476", "GHSA-2wc2-fm75-p42x"])
    );
}

/// uv's Cargo.lock against the RustSec OSV export: exactly what `cargo audit` 0.22.2 reports
/// offline on the same data (3 vulnerabilities; 3 unmaintained and 2 unsound warnings).
#[test]
fn cargo_lock_findings_match_cargo_audit() {
    let out = repro()
        .args([
            "audit",
            "corpora/cargo/Cargo.lock",
            "--db",
            "corpora/osv",
            "--now",
            "2026-12-03",
            "--show",
            "--json",
        ])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["kind"].as_str().unwrap(),
                f["informational"].as_str().unwrap_or("-"),
                f["id"].as_str().unwrap(),
                f["name"].as_str().unwrap().to_string() + "@" + f["version"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "vulnerability - RUSTSEC-2023-0071 rsa@0.9.10",
            "vulnerability - RUSTSEC-2026-0204 crossbeam-epoch@0.9.18",
            "vulnerability - RUSTSEC-2026-0258 h2@0.4.15",
            "warning unmaintained RUSTSEC-2026-0173 proc-macro-error2@2.0.1",
            "warning unmaintained RUSTSEC-2026-0192 ttf-parser@0.25.1",
            "warning unmaintained RUSTSEC-2026-0206 rustybuzz@0.20.1",
            "warning unsound RUSTSEC-2026-0186 memmap2@0.9.10",
            "warning unsound RUSTSEC-2026-0221 event-listener@5.4.1",
        ]
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The shared full OSV snapshot (`../shared/osv`, or `$REPRO_OSV_SNAPSHOT`), when this machine
/// has it (CI does; a clone elsewhere may not, and the test then says it skipped).
fn full_snapshot() -> Option<PathBuf> {
    let p = std::env::var_os("REPRO_OSV_SNAPSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/osv"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: no OSV snapshot at {}", p.display());
        None
    }
}

/// repro against the `packaging`-based oracle (tests/oracle/osv_pypi_oracle.py) on the whole
/// PyPI and malicious-package snapshot, for the SOAR corpus and for 39 old pins of popular
/// packages (hundreds of findings over every range shape the real data holds).
#[test]
fn pypi_findings_match_the_packaging_oracle() {
    let Some(osv) = full_snapshot() else { return };
    for corpus in ["corpora/opensecops-soar", "corpora/audit"] {
        let oracle = std::process::Command::new("python3")
            .arg("tests/oracle/osv_pypi_oracle.py")
            .arg(&osv)
            .arg(corpus)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("python3");
        assert!(
            oracle.status.success(),
            "{}",
            String::from_utf8_lossy(&oracle.stderr)
        );
        let want = String::from_utf8(oracle.stdout).unwrap();
        let out = repro()
            .args([
                "audit",
                corpus,
                "--now",
                "2026-12-03",
                "--show",
                "--json",
                "--db",
            ])
            .arg(&osv)
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut got: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ecosystem"] == "pypi")
            .map(|f| {
                format!(
                    "{} {} {}",
                    f["id"].as_str().unwrap(),
                    f["name"].as_str().unwrap(),
                    f["version"].as_str().unwrap()
                )
            })
            .collect();
        got.sort();
        let got = got.iter().map(|l| format!("{l}\n")).collect::<String>();
        assert_eq!(got, want, "{corpus}");
        if corpus == "corpora/audit" {
            assert!(
                got.lines().count() > 600,
                "the old pins hit hundreds of advisories"
            );
            assert!(got.contains("PYSEC-2019-132 urllib3 1.24.1\n"), "{got}");
        }
    }
}

/// `cargo audit` itself on the same data (opt-in: needs `cargo install cargo-audit`; the RustSec
/// OSV export is turned back into advisory-db form by tests/oracle/rustsec_osv_to_db.py).
#[test]
#[ignore = "needs cargo-audit on PATH (or $CARGO_AUDIT)"]
fn cargo_audit_reference_run() {
    let cargo_audit = std::env::var("CARGO_AUDIT").unwrap_or_else(|_| "cargo-audit".into());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("advisory-db");
    let root = env!("CARGO_MANIFEST_DIR");
    let st = std::process::Command::new("python3")
        .arg("tests/oracle/rustsec_osv_to_db.py")
        .arg("corpora/osv/crates/rustsec-osv/crates")
        .arg(&db)
        .current_dir(root)
        .status()
        .unwrap();
    assert!(st.success());
    let out = std::process::Command::new(cargo_audit)
        .args(["audit", "--no-fetch", "--no-yanked", "--json", "--db"])
        .arg(&db)
        .args(["-f", "corpora/cargo/Cargo.lock"])
        .current_dir(root)
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut want: Vec<String> = d["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("vulnerability {}", v["advisory"]["id"].as_str().unwrap()))
        .collect();
    for (kind, list) in d["warnings"].as_object().unwrap() {
        for w in list.as_array().unwrap() {
            want.push(format!("{kind} {}", w["advisory"]["id"].as_str().unwrap()));
        }
    }
    want.sort();
    let out = repro()
        .args([
            "audit",
            "corpora/cargo/Cargo.lock",
            "--db",
            "corpora/osv/crates",
        ])
        .args(["--now", "2026-12-03", "--show", "--json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let kind = f["informational"].as_str().unwrap_or("vulnerability");
            format!("{kind} {}", f["id"].as_str().unwrap())
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
}

/// An SBOM of the corpus audits to the same findings as its locks.
#[test]
fn sbom_input_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("sbom.json");
    repro()
        .args([
            "sbom",
            "corpora/opensecops-soar",
            "--source-date-epoch",
            "0",
            "--out",
        ])
        .arg(&sbom)
        .assert()
        .success();
    let ids = |args: &[&str]| -> Vec<String> {
        let out = repro()
            .arg("audit")
            .args(args)
            .args([
                "--db",
                "corpora/osv",
                "--now",
                "2026-12-03",
                "--show",
                "--json",
            ])
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["id"], f["version"]))
            .collect()
    };
    let from_sbom = ids(&["--sbom", sbom.to_str().unwrap()]);
    assert_eq!(from_sbom, ids(&["corpora/opensecops-soar"]));
    assert_eq!(from_sbom.len(), 2);
}
