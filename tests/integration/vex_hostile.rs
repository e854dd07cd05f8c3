//! VEX statements that must not suppress: a malicious-package finding, a finding a statement of
//! another status also names (a conflict), a CycloneDX `affects` whose `versions` leave the
//! locked version out, a BOM-Link into another BOM, a `bom-ref` given to two components.

use serde_json::{Value, json};

use crate::repro;

/// A database with a malicious-package record for `evil-pkg` and a vulnerability in `demo`
/// (every version), and a lock of `evil-pkg==9.9.9` and `demo==1.0`.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        std::fs::create_dir(&db).unwrap();
        let write = |f: &str, v: Value| {
            std::fs::write(db.join(f), serde_json::to_vec_pretty(&v).unwrap()).unwrap()
        };
        write(
            "MAL-2026-1.json",
            json!({
                "id": "MAL-2026-1", "modified": "2026-12-01T00:00:00Z",
                "published": "2026-12-01T00:00:00Z",
                "summary": "Malicious code in evil-pkg (PyPI)",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "evil-pkg"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
            }),
        );
        write(
            "PYSEC-T-1.json",
            json!({
                "id": "PYSEC-T-1", "aliases": ["CVE-2026-0001"],
                "modified": "2026-11-01T00:00:00Z", "published": "2026-11-02T00:00:00Z",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]
            }),
        );
        std::fs::write(
            dir.path().join("requirements.txt"),
            "evil-pkg==9.9.9\ndemo==1.0\n",
        )
        .unwrap();
        Case { dir }
    }

    /// Audit with the VEX document; (exit code, report).
    fn audit(&self, vex: &Value) -> (i32, Value, String) {
        let path = self.dir.path().join("vex.json");
        std::fs::write(&path, serde_json::to_vec(vex).unwrap()).unwrap();
        let out = repro()
            .arg("audit")
            .arg(self.dir.path().join("requirements.txt"))
            .arg("--db")
            .arg(self.dir.path().join("db"))
            .args(["--now", "2026-12-03", "--show", "--json", "--vex"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code().unwrap(), report, err)
    }
}

fn ids(r: &Value, section: &str) -> Vec<String> {
    let mut v: Vec<String> = r[section]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn not_affected(vuln: &str, purl: &str) -> Value {
    json!({"vulnerability": {"name": vuln}, "products": [purl], "status": "not_affected",
           "justification": "vulnerable_code_not_in_execute_path"})
}

fn openvex(statements: Vec<Value>) -> Value {
    json!({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.org/vex/1",
           "author": "a", "timestamp": "2026-11-01T00:00:00Z", "version": 1,
           "statements": statements})
}

/// A malicious package is removed, never argued away: a `not_affected` statement naming a
/// `MAL-` finding suppresses nothing.
#[test]
fn a_malicious_package_cannot_be_vexed_away() {
    let c = Case::new();
    let (code, r, err) = c.audit(&openvex(vec![
        not_affected("MAL-2026-1", "pkg:pypi/evil-pkg"),
        not_affected("CVE-2026-0001", "pkg:pypi/demo@1.0"),
    ]));
    assert_eq!(code, 1, "{err}");
    assert_eq!(ids(&r, "findings"), ["MAL-2026-1"], "{r}");
    assert_eq!(ids(&r, "suppressed"), ["PYSEC-T-1"], "{r}");
    assert_eq!(r["findings"][0]["fails"], true);
}

/// Two statements that disagree (one `not_affected`, one `affected` or `under_investigation`
/// or `fixed`, in the same file or another) leave the finding in force.
#[test]
fn conflicting_statements_do_not_suppress() {
    let c = Case::new();
    for other in ["affected", "under_investigation", "fixed"] {
        for order in [0, 1] {
            let conflict = json!({"vulnerability": {"name": "PYSEC-T-1"},
                                  "products": ["pkg:pypi/demo"], "status": other});
            let mut statements = vec![not_affected("CVE-2026-0001", "pkg:pypi/demo@1.0"), conflict];
            if order == 1 {
                statements.reverse();
            }
            let (code, r, err) = c.audit(&openvex(statements));
            assert_eq!(code, 1, "{other}: {err}");
            assert_eq!(
                ids(&r, "findings"),
                ["MAL-2026-1", "PYSEC-T-1"],
                "{other}: {r}"
            );
            assert!(ids(&r, "suppressed").is_empty(), "{other}: {r}");
        }
    }
}

fn cdx(serial: Option<&str>, components: Value, vulnerabilities: Value) -> Value {
    let mut bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                         "components": components, "vulnerabilities": vulnerabilities});
    if let Some(s) = serial {
        bom["serialNumber"] = json!(s);
    }
    bom
}

/// CycloneDX `affects[].versions`: a statement about a purl without a version whose versions
/// say only 2.0 is unaffected does not suppress 1.0; listing 1.0 as unaffected does.
#[test]
fn cyclonedx_affects_versions_limit_the_statement() {
    let c = Case::new();
    let vuln = |versions: Value| {
        cdx(
            None,
            json!([]),
            json!([{"id": "CVE-2026-0001",
                    "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                    "affects": [{"ref": "pkg:pypi/demo", "versions": versions}]}]),
        )
    };
    for versions in [
        json!([{"version": "2.0", "status": "unaffected"}]),
        json!([{"version": "1.0", "status": "affected"}]),
        json!([{"version": "1.0"}]),
        json!([{"range": "vers:pypi/<2.0", "status": "unaffected"}]),
    ] {
        let (code, r, err) = c.audit(&vuln(versions.clone()));
        assert_eq!(code, 1, "{versions}: {err}");
        assert!(ids(&r, "suppressed").is_empty(), "{versions}: {r}");
    }
    let (_, r, err) = c.audit(&vuln(json!([{"version": "1.0", "status": "unaffected"}])));
    assert_eq!(ids(&r, "suppressed"), ["PYSEC-T-1"], "{err}");
}

/// A BOM-Link names a component of the BOM with that serial number: one into another BOM does
/// not resolve to a local component that happens to share the `bom-ref`.
#[test]
fn a_bom_link_into_another_bom_names_nothing_here() {
    let c = Case::new();
    let doc = |link: &str| {
        cdx(
            Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"),
            json!([{"type": "library", "bom-ref": "d", "name": "demo", "version": "1.0",
                    "purl": "pkg:pypi/demo@1.0"}]),
            json!([{"id": "CVE-2026-0001",
                    "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                    "affects": [{"ref": link}]}]),
        )
    };
    let (code, r, err) = c.audit(&doc("urn:cdx:11111111-2222-3333-4444-555555555555/1#d"));
    assert_eq!(code, 1, "{err}");
    assert!(ids(&r, "suppressed").is_empty(), "{r}");
    let (_, r, err) = c.audit(&doc("urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#d"));
    assert_eq!(ids(&r, "suppressed"), ["PYSEC-T-1"], "{err}");
}

/// Two components with one `bom-ref` make every reference to it ambiguous: the document is
/// refused (exit 2), naming no value.
#[test]
fn a_bom_ref_given_twice_is_refused() {
    let c = Case::new();
    let (code, _, err) = c.audit(&cdx(
        None,
        json!([{"type": "library", "bom-ref": "x", "name": "other", "version": "3.0",
                "purl": "pkg:pypi/other@3.0",
                "components": [{"type": "library", "bom-ref": "x", "name": "demo",
                                "version": "1.0", "purl": "pkg:pypi/demo@1.0"}]}]),
        json!([{"id": "CVE-2026-0001",
                "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
                "affects": [{"ref": "x"}]}]),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bom-ref"), "{err}");
    assert!(!err.contains("demo") && !err.contains("\"x\""), "{err}");
}

/// `repro sbom --vex` hands statements to whoever reads the SBOM, who may not know repro's
/// rule: a `not_affected` statement about a malicious-package report is left out of the SBOM
/// (with the count of those left out), never published as "not affected".
#[test]
fn sbom_vex_never_publishes_a_malicious_package_as_not_affected() {
    let t = tempfile::tempdir().unwrap();
    let vex = t.path().join("vex.json");
    std::fs::write(
        &vex,
        serde_json::to_vec(&openvex(vec![
            not_affected("MAL-2026-1", "pkg:pypi/soupsieve@2.8.3"),
            not_affected("CVE-2026-49476", "pkg:pypi/soupsieve@2.8.3"),
        ]))
        .unwrap(),
    )
    .unwrap();
    let out = repro()
        .args([
            "sbom",
            "corpora/opensecops-soar",
            "--source-date-epoch",
            "1700000000",
            "--vex",
        ])
        .arg(&vex)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["CVE-2026-49476"]);
}
