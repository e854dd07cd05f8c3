//! Findings only the security team can read (issue 20): `--encrypt-to` (age X25519 and SSH
//! recipients; Debian's `age` decrypts the file, a wrong identity cannot), `--notify` (the
//! command gets the report bytes, its output and failure never carry a finding), and the output
//! contract of `repro audit` (`--json`: one document, errors too; `-qq`: nothing but errors).

use std::io::Read as _;
use std::path::Path;

use serde_json::Value;

use crate::repro;

const PRIVATE: &[&str] = &["soupsieve", "2.8.3", "PYSEC-", "CVE-", "GHSA-", "vulns/"];

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_private(what: &str, out: &std::process::Output) {
    let t = text(out);
    for s in PRIVATE {
        assert!(!t.contains(s), "{what}: {s} leaked:\n{t}");
    }
}

fn soar(args: &[&str]) -> std::process::Output {
    repro()
        .args([
            "audit",
            "corpora/opensecops-soar",
            "--db",
            "corpora/osv",
            "--now",
            "2026-12-03",
        ])
        .args(args)
        .output()
        .unwrap()
}

fn decrypt(bytes: &[u8], identity: &dyn age::Identity) -> Result<String, String> {
    let d = age::Decryptor::new_buffered(bytes).map_err(|e| e.to_string())?;
    let mut r = d
        .decrypt(std::iter::once(identity))
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    r.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[test]
fn the_report_is_encrypted_to_the_recipients_only() {
    let t = tempfile::tempdir().unwrap();
    let team = age::x25519::Identity::generate();
    let other = age::x25519::Identity::generate();
    let recipient = team.to_public().to_string();
    let report = t.path().join("audit-report.age");
    let out = soar(&[
        "--encrypt-to",
        &recipient,
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_private("encrypted run", &out);
    assert!(text(&out).contains("(encrypted)"), "{}", text(&out));
    let bytes = std::fs::read(&report).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    assert!(
        !String::from_utf8_lossy(&bytes).contains("soupsieve"),
        "ciphertext only"
    );
    let plain = decrypt(&bytes, &team).unwrap();
    assert!(
        plain.contains("HIGH PYSEC-2026-3071 soupsieve==2.8.3"),
        "{plain}"
    );
    assert!(decrypt(&bytes, &other).is_err(), "a wrong identity cannot");

    // Several recipients, SARIF: each can read it.
    let second = age::x25519::Identity::generate();
    let out = soar(&[
        "--encrypt-to",
        &recipient,
        "--encrypt-to",
        &second.to_public().to_string(),
        "--format",
        "sarif",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let bytes = std::fs::read(&report).unwrap();
    let sarif: Value = serde_json::from_str(&decrypt(&bytes, &second).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    // Debian's `age` decrypts it with the matching identity file, not with another.
    if Path::new("/usr/bin/age").exists() {
        let id = t.path().join("team.txt");
        std::fs::write(&id, format!("{}\n", team.to_string().expose_secret())).unwrap();
        let wrong = t.path().join("other.txt");
        std::fs::write(&wrong, format!("{}\n", other.to_string().expose_secret())).unwrap();
        let ok = std::process::Command::new("/usr/bin/age")
            .arg("-d")
            .arg("-i")
            .arg(&id)
            .arg(&report)
            .output()
            .unwrap();
        assert!(ok.status.success(), "{}", text(&ok));
        assert!(String::from_utf8_lossy(&ok.stdout).contains("\"version\": \"2.1.0\""));
        let bad = std::process::Command::new("/usr/bin/age")
            .arg("-d")
            .arg("-i")
            .arg(&wrong)
            .arg(&report)
            .output()
            .unwrap();
        assert!(!bad.status.success());
    } else {
        eprintln!("skipped the interop half: `apt-get install age`");
    }
}

use age::secrecy::ExposeSecret as _;

/// An SSH public key is a recipient too (as `age -R ~/.ssh/id_ed25519.pub`); Debian's `age`
/// decrypts with the private key.
#[test]
fn ssh_public_keys_are_recipients() {
    let keygen = Path::new("/usr/bin/ssh-keygen");
    if !keygen.exists() {
        eprintln!("skipped: no ssh-keygen");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let key = t.path().join("id_ed25519");
    let made = std::process::Command::new(keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "team", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let report = t.path().join("r.age");
    let out = soar(&[
        "--encrypt-to",
        public.trim(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let identity = age::ssh::Identity::from_buffer(
        std::io::BufReader::new(std::fs::File::open(&key).unwrap()),
        None,
    )
    .unwrap();
    let plain = decrypt(&std::fs::read(&report).unwrap(), &identity).unwrap();
    assert!(plain.contains("soupsieve==2.8.3"));
    if Path::new("/usr/bin/age").exists() {
        let ok = std::process::Command::new("/usr/bin/age")
            .arg("-d")
            .arg("-i")
            .arg(&key)
            .arg(&report)
            .output()
            .unwrap();
        assert!(ok.status.success(), "{}", text(&ok));
    }
}

#[test]
fn encryption_and_notify_errors_name_nothing_private() {
    let t = tempfile::tempdir().unwrap();
    let report = t.path().join("r.age");
    let report = report.to_str().unwrap();
    // Not a recipient: exit 2 before anything is scanned; no file.
    for bad in ["age1notakey", "ssh-ed25519 AAAA", "soupsieve"] {
        let out = soar(&["--encrypt-to", bad, "--report", report]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            text(&out).contains("`--encrypt-to` value 1"),
            "{}",
            text(&out)
        );
        assert!(!Path::new(report).exists());
        let out = soar(&["--encrypt-to", bad, "--report", report, "--json"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["status"], "error");
    }
    let recipient = age::x25519::Identity::generate().to_public().to_string();

    // --notify gets the encrypted bytes on its stdin; what it prints goes nowhere.
    let got = t.path().join("notified.age");
    let cmd = format!(
        "cat > '{}'; echo soupsieve 2.8.3 PYSEC-2026-3071; echo CVE-2026-49476 >&2",
        got.display()
    );
    let out = soar(&[
        "--encrypt-to",
        &recipient,
        "--report",
        report,
        "--notify",
        &cmd,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_private("notify output", &out);
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(report).unwrap());

    // Its failure is exit 2 with its exit status, never its output.
    let out = soar(&[
        "--encrypt-to",
        &recipient,
        "--report",
        report,
        "--notify",
        "echo soupsieve 2.8.3; echo PYSEC-2026-3071 >&2; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("exit status 3"), "{}", text(&out));
    assert_private("notify failure", &out);

    // No findings: not run.
    let clean = t.path().join("requirements.txt");
    std::fs::write(&clean, "six==1.17.0\n").unwrap();
    let marker = t.path().join("ran");
    let out = repro()
        .args(["audit"])
        .arg(&clean)
        .args(["--db", "corpora/osv", "--report", report, "--notify"])
        .arg(format!("touch '{}'", marker.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!marker.exists());
}

/// `--json`: exactly one JSON document on stdout, for a scan and for an error; `-qq`: nothing
/// but errors.
#[test]
fn json_is_one_document_and_qq_prints_only_errors() {
    let t = tempfile::tempdir().unwrap();
    let report = t.path().join("r.json");
    let report = report.to_str().unwrap();
    let out = soar(&["--json", "--report", report]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "repro.audit-run/v1");
    assert_eq!(doc["summary"]["findings"], 2);
    assert_private("json run", &out);
    // Errors of every kind: a bad flag value, a missing lock, a missing database.
    for args in [
        &["--json", "--policy", "/nonexistent/policy.toml"][..],
        &["--json", "--deny", "everything"][..],
        &["--json", "--format", "sarif"][..],
        &["--json", "--max-db-age", "soon"][..],
    ] {
        let out = soar(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)));
        assert_eq!(doc["status"], "error", "{args:?}");
        assert!(doc["errors"][0]["message"].is_string());
    }
    let out = repro()
        .args([
            "audit",
            "--json",
            "--db",
            "/nonexistent/osv",
            "corpora/opensecops-soar",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "error");

    // -qq: a clean scan and a scan with findings print nothing; an error still does.
    let out = soar(&["-qq", "--report", report]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
    let out = soar(&["-qq", "--policy", "/nonexistent/policy.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error:"));
    // -q: the counts line only.
    let out = soar(&["-q", "--report", report]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}
