//! Differential test: repro's parse of lockfiles made by uv, pip-tools and pip, package by
//! package, against what pip's own parser (`pip._internal.req.req_file`) and `uv pip install
//! --dry-run` read in them (`tests/oracle/lock_oracle.py`).
//!
//! CI compares the locks committed under `corpora/differential/` (their generating commands
//! are in each case's `COMMAND` and in `corpora/README.md`) with the reference outputs
//! committed beside them, so it needs no network and no Python. The live test regenerates the
//! locks with the real tools and compares again:
//!
//! ```sh
//! python3 -m venv /tmp/oracle && /tmp/oracle/bin/pip install -U pip uv pip-tools
//! REPRO_ORACLE_PYTHON=/tmp/oracle/bin/python cargo test --test integration differential -- --ignored
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use repro::lockfile::{self, Lock, LockedPackage, PackageSource};
use repro::model::{Ecosystem, PackageName};
use serde_json::Value;

fn norm(name: &str) -> String {
    PackageName::new(Ecosystem::Pypi, name).to_string()
}

/// A version as PEP 440 normalizes it (`1.0` and `1.0.0` are one version to pip).
fn version(v: &str) -> String {
    v.parse::<pep440_rs::Version>()
        .map(|v| v.to_string())
        .unwrap_or_else(|_| v.to_string())
}

/// Where a package is declared, relative to the case directory.
fn place(case: &Path, p: &LockedPackage) -> (String, usize) {
    let file = p
        .location
        .file
        .strip_prefix(case)
        .unwrap_or(&p.location.file);
    (file.display().to_string(), p.location.line)
}

/// pip's records, one per line: pip yields a file's lines again each time the file is included
/// (a diamond, a file included with `-c` and `-r`), repro reads each file once. A line pip reads
/// as a requirement at least once is a requirement (it is installed).
fn pip_lines(pip: &Value) -> Vec<Value> {
    let mut lines: Vec<Value> = Vec::new();
    for r in pip["packages"].as_array().expect("pip.json: packages") {
        match lines
            .iter_mut()
            .find(|l| l["file"] == r["file"] && l["line"] == r["line"])
        {
            Some(l) => {
                let constraint =
                    l["constraint"].as_bool().unwrap() && r["constraint"].as_bool().unwrap();
                l["constraint"] = Value::Bool(constraint);
            }
            None => lines.push(r.clone()),
        }
    }
    lines
}

/// Every way repro's parse of `lock` differs from pip's records.
fn against_pip(case: &Path, lock: &Lock, pip: &Value, out: &mut Vec<String>) {
    let records = &pip_lines(pip);
    let ours: Vec<(&LockedPackage, bool)> = lock
        .packages
        .iter()
        .map(|p| (p, false))
        .chain(lock.constraints.iter().map(|p| (p, true)))
        .collect();
    if ours.len() != records.len() {
        out.push(format!(
            "{}: repro reads {} requirements, pip {}",
            case.display(),
            ours.len(),
            records.len()
        ));
    }
    for r in records {
        let at = (
            r["file"].as_str().unwrap().to_string(),
            r["line"].as_u64().unwrap() as usize,
        );
        let here = format!("{}/{}:{}", case.display(), at.0, at.1);
        let Some((p, constraint)) = ours.iter().find(|(p, _)| place(case, p) == at) else {
            out.push(format!("{here}: pip reads a requirement, repro none"));
            continue;
        };
        let mut differ = |what: &str, pip: String, repro: String| {
            if pip != repro {
                out.push(format!("{here}: {what}: pip `{pip}`, repro `{repro}`"));
            }
        };
        if let Some(name) = r["name"].as_str() {
            differ("name", norm(name), p.name.to_string());
        }
        if let Some(v) = r["version"].as_str() {
            differ(
                "version",
                version(v),
                p.version.as_deref().map(version).unwrap_or_default(),
            );
        }
        let extras = |v: Vec<String>| {
            let mut v: Vec<String> = v.iter().map(|e| norm(e)).collect();
            v.sort();
            v.join(",")
        };
        differ(
            "extras",
            extras(
                r["extras"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect(),
            ),
            extras(p.extras.clone()),
        );
        let mut hashes: Vec<String> = p.hashes.iter().map(|d| d.to_string()).collect();
        hashes.sort();
        differ(
            "hashes",
            r["hashes"].to_string(),
            serde_json::to_string(&hashes).unwrap(),
        );
        differ(
            "marker",
            r["marker"].is_string().to_string(),
            p.marker.is_some().to_string(),
        );
        let editable = matches!(
            p.source,
            PackageSource::Editable { .. } | PackageSource::Workspace { .. }
        );
        differ("editable", r["editable"].to_string(), editable.to_string());
        differ(
            "constraint",
            r["constraint"].to_string(),
            constraint.to_string(),
        );
    }
}

/// Every way the packages repro would install differ from what uv would install. For a
/// requirements file, pip's records say which markers apply to the reference interpreter; a
/// pylock.toml package with a marker may or may not be installed.
fn against_uv(case: &Path, lock: &Lock, uv: &Value, pip: Option<&Value>, out: &mut Vec<String>) {
    let applies = |p: &LockedPackage| -> Option<bool> {
        match pip {
            Some(pip) => pip["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| {
                    (
                        r["file"].as_str().unwrap().to_string(),
                        r["line"].as_u64().unwrap() as usize,
                    ) == place(case, p)
                })
                .map(|r| r["applies"].as_bool().unwrap()),
            None => p.marker.is_none().then_some(true),
        }
    };
    let key = |p: &LockedPackage| match &p.source {
        PackageSource::Registry { .. } => {
            format!(
                "{}=={}",
                p.name,
                p.version.as_deref().map(version).unwrap_or_default()
            )
        }
        _ => format!("{} (local)", p.name),
    };
    let uv_set: BTreeSet<String> = uv["installs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| match i["version"].as_str() {
            Some(v) => format!("{}=={}", norm(i["name"].as_str().unwrap()), version(v)),
            None => format!("{} (local)", norm(i["name"].as_str().unwrap())),
        })
        .collect();
    let sure: BTreeSet<String> = lock
        .packages
        .iter()
        .filter(|p| applies(p) == Some(true))
        .map(key)
        .collect();
    let maybe: BTreeSet<String> = lock
        .packages
        .iter()
        .filter(|p| applies(p).is_none())
        .map(key)
        .collect();
    for k in sure.difference(&uv_set) {
        out.push(format!(
            "{}: repro installs {k}, uv does not",
            case.display()
        ));
    }
    for k in uv_set.difference(&sure).filter(|k| !maybe.contains(*k)) {
        out.push(format!(
            "{}: uv installs {k}, repro does not",
            case.display()
        ));
    }
}

/// Compare one case directory (a lock with `pip.json` and/or `uv.json` beside it).
fn compare(case: &Path) -> Vec<String> {
    let read = |name: &str| -> Option<Value> {
        let text = std::fs::read_to_string(case.join(name)).ok()?;
        Some(serde_json::from_str(&text).expect("reference JSON"))
    };
    let (pip, uv) = (read("pip.json"), read("uv.json"));
    let name = uv
        .as_ref()
        .and_then(|u| u["lock"].as_str().map(str::to_string))
        .unwrap_or_else(|| "requirements.txt".into());
    let lock = match lockfile::load(&case.join(&name)) {
        Ok(lock) => lock,
        Err(e) => return vec![format!("{}: repro cannot read it: {e}", case.display())],
    };
    let mut out = Vec::new();
    if let Some(pip) = &pip {
        against_pip(case, &lock, pip, &mut out);
    }
    if let Some(uv) = &uv {
        against_uv(case, &lock, uv, pip.as_ref(), &mut out);
    }
    out
}

fn cases(root: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("uv.json").exists() || p.join("pip.json").exists())
        .collect();
    cases.sort();
    cases
}

/// The committed locks of uv, pip-tools and pip read as pip and uv read them.
#[test]
fn committed_locks_read_as_pip_and_uv_read_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/differential");
    let cases = cases(&root);
    assert!(cases.len() >= 4, "{cases:?}");
    let differences: Vec<String> = cases.iter().flat_map(|c| compare(c)).collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// The parity fixtures that pip and uv both read (`corpora/parity/`, each with references made
/// by `lock_oracle.py reference`) read the same in repro: includes with `-c` and `-r`, a
/// diamond, a byte-order mark, lone carriage returns, a quoted include, `uv export` output.
#[test]
fn parity_fixtures_read_as_pip_and_uv_read_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/parity");
    let cases = cases(&root);
    assert_eq!(cases.len(), 7, "{cases:?}");
    let differences: Vec<String> = cases.iter().flat_map(|c| compare(c)).collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// The comparison itself finds differences: a lock edited after its references were made.
#[test]
fn an_edited_lock_is_a_difference() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/differential/uv-pip-compile");
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    std::fs::create_dir(&case).unwrap();
    for f in ["requirements.txt", "pip.json", "uv.json"] {
        std::fs::copy(src.join(f), case.join(f)).unwrap();
    }
    let text = std::fs::read_to_string(case.join("requirements.txt")).unwrap();
    std::fs::write(
        case.join("requirements.txt"),
        text.replacen("click==8.1.8", "click==8.1.7", 1),
    )
    .unwrap();
    let differences = compare(&case);
    assert!(
        differences
            .iter()
            .any(|d| d.contains("version: pip `8.1.8`, repro `8.1.7`"))
            && differences
                .iter()
                .any(|d| d.contains("repro installs click==8.1.7")),
        "{differences:#?}"
    );
}

/// Regenerate the locks with the real tools and compare again (needs PyPI).
#[test]
#[ignore = "needs PyPI and a Python with pip >= 25.1, uv and pip-tools: set REPRO_ORACLE_PYTHON"]
fn live_locks_from_uv_pip_tools_and_pip() {
    let python = std::env::var("REPRO_ORACLE_PYTHON")
        .expect("REPRO_ORACLE_PYTHON: a Python with pip >= 25.1, uv and pip-tools installed");
    let dir = tempfile::tempdir().unwrap();
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/lock_oracle.py");
    let status = std::process::Command::new(&python)
        .arg(&oracle)
        .arg("generate")
        .arg(dir.path())
        .status()
        .expect("run the oracle");
    assert!(status.success(), "lock_oracle.py generate failed");
    let cases = cases(dir.path());
    assert_eq!(cases.len(), 4, "{cases:?}");
    let differences: Vec<String> = cases.iter().flat_map(|c| compare(c)).collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
