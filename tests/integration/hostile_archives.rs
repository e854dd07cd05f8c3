//! Differential test of the archive walker: does `repro store verify --deep` see exactly what
//! real extractors see?
//!
//! `tests/oracle/hostile_archives.py` writes a corpus of hostile (and ordinary) zips and tars,
//! each marked `accept` or `refuse`; every case goes into one store, `repro store verify --deep
//! --json` walks them all, and `tests/oracle/extractors.py` lists the same files with Python
//! zipfile, Info-ZIP unzip, Python tarfile and GNU tar (in memory, never extracting). Then, case
//! by case:
//!
//! - `refuse`: repro reports an `archive` problem for the object, with a non-empty detail;
//! - `accept`: repro reports no problem, and every extractor reads the archive;
//! - whenever repro accepts (whatever the expectation), its recorded member index equals each
//!   extractor's member list: same paths (a leading `./`, a directory's trailing `/` and the
//!   root entry itself set aside), kinds, file sizes, SHA-256 where both sides have it, and link
//!   targets. zipfile knows no symlinks and reads one as a file holding its target; that file is
//!   compared with repro's link target.
//!
//! Every failure is collected and printed as one table before the test fails. An extractor that
//! is not installed is skipped with a note on stderr, unless `REPRO_REQUIRE_EXTRACTORS` is set
//! (CI sets it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::Digest as _;

use crate::repro;

/// One corpus case, as `cases.json` lists it.
#[derive(Debug, serde::Deserialize)]
struct Case {
    name: String,
    file: String,
    format: String,
    expect: String,
    why: String,
}

/// A member reduced to what both sides can state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    path: String,
    kind: String,
    size: u64,
    sha256: Option<String>,
    link: Option<String>,
}

/// The failed checks of one case.
struct Row {
    case: String,
    expect: String,
    verdict: &'static str,
    what: Vec<String>,
}

fn oracle(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(script)
}

/// Run `python3 ARGS…`, returning stdout; fail clearly when python3 is missing or the script
/// fails.
fn python(args: &[&std::ffi::OsStr]) -> Vec<u8> {
    let out = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed to generate and check the hostile-archive corpus: {e}")
        });
    assert!(
        out.status.success(),
        "python3 {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Put `bytes` into the store at `root` under the name `filename`, with a record as `repro
/// fetch` writes it.
fn admit(root: &Path, filename: &str, bytes: &[u8]) -> String {
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let objects = root.join("v1/objects/sha256").join(&sha[..2]);
    let records = root.join("v1/records/sha256").join(&sha[..2]);
    std::fs::create_dir_all(&objects).unwrap();
    std::fs::create_dir_all(&records).unwrap();
    let object = objects.join(&sha);
    std::fs::write(&object, bytes).unwrap();
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o444)).unwrap();
    let record = serde_json::json!({
        "sha256": sha,
        "blake3": blake3::hash(bytes).to_hex().to_string(),
        "size": bytes.len(),
        "filenames": [filename],
        "origins": ["test"],
        "first_seen": 0,
    });
    std::fs::write(
        records.join(format!("{sha}.json")),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
    sha
}

/// A path as both sides should agree on it: no leading `./`, no trailing `/` on a directory.
fn canonical(path: &str, kind: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    if kind == "dir" {
        p = p.trim_end_matches('/');
    }
    p.to_string()
}

/// Reduce members (repro's records and the extractors' lists share the field names) to
/// comparable form, dropping the root directory entry. A zipfile member that is really a Unix
/// symlink keeps kind `file` and is marked by `symlink_as_file`.
fn reduce(members: &[Value]) -> Vec<(Seen, bool)> {
    let mut out: Vec<(Seen, bool)> = members
        .iter()
        .filter_map(|m| {
            let kind = m["kind"].as_str().unwrap_or("?").to_string();
            let path = canonical(m["path"].as_str().unwrap_or(""), &kind);
            if kind == "dir" && (path.is_empty() || path == ".") {
                return None;
            }
            let link = m["link"].as_str().map(|l| {
                if kind == "hardlink" {
                    canonical(l, "file")
                } else {
                    l.to_string()
                }
            });
            Some((
                Seen {
                    path,
                    kind,
                    size: m["size"].as_u64().unwrap_or(0),
                    sha256: m["sha256"].as_str().map(str::to_string),
                    link,
                },
                m["symlink_as_file"].as_bool().unwrap_or(false),
            ))
        })
        .collect();
    out.sort();
    out
}

fn show(m: &Seen) -> String {
    let mut s = format!("{} `{}`", m.kind, m.path);
    match m.kind.as_str() {
        "file" => {
            let _ = write!(s, " ({} bytes)", m.size);
        }
        "symlink" | "hardlink" => {
            let _ = write!(s, " -> `{}`", m.link.as_deref().unwrap_or("?"));
        }
        _ => {}
    }
    s
}

/// How `tool`'s members differ from repro's, or None when they agree.
fn differences(tool: &str, repro: &[(Seen, bool)], theirs: &[(Seen, bool)]) -> Option<String> {
    // Key both sides by (path, kind); zipfile's symlink-as-file is keyed as the symlink it is.
    let mut ours: BTreeMap<(String, String), Vec<&Seen>> = BTreeMap::new();
    for (m, _) in repro {
        ours.entry((m.path.clone(), m.kind.clone()))
            .or_default()
            .push(m);
    }
    let mut other: BTreeMap<(String, String), Vec<(&Seen, bool)>> = BTreeMap::new();
    for (m, as_file) in theirs {
        let kind = if *as_file { "symlink" } else { m.kind.as_str() };
        other
            .entry((m.path.clone(), kind.to_string()))
            .or_default()
            .push((m, *as_file));
    }
    let mut lines = Vec::new();
    for (key, mine) in &ours {
        let Some(them) = other.get(key) else {
            for m in mine {
                lines.push(format!("only repro: {}", show(m)));
            }
            continue;
        };
        if mine.len() != them.len() {
            lines.push(format!(
                "{} `{}`: repro lists {}, {tool} {}",
                key.1,
                key.0,
                mine.len(),
                them.len()
            ));
            continue;
        }
        for (m, (t, as_file)) in mine.iter().zip(them) {
            if *as_file {
                // zipfile reads the link as a file holding the target.
                let target = m.link.clone().unwrap_or_default();
                let sha = hex::encode(sha2::Sha256::digest(target.as_bytes()));
                if t.size != target.len() as u64 || t.sha256.as_deref().is_some_and(|s| s != sha) {
                    lines.push(format!(
                        "symlink `{}`: repro's target `{target}`, {tool}'s file holds {} other bytes",
                        m.path, t.size
                    ));
                }
                continue;
            }
            let mut what = Vec::new();
            if m.kind == "file" && m.size != t.size {
                what.push(format!("size {} vs {}", m.size, t.size));
            }
            if let (Some(a), Some(b)) = (&m.sha256, &t.sha256)
                && a != b
            {
                what.push(format!(
                    "sha256 {}… vs {}…",
                    &a[..12],
                    &b[..b.len().min(12)]
                ));
            }
            if m.kind != "file" && m.kind != "dir" && m.link != t.link {
                what.push(format!(
                    "target `{}` vs `{}`",
                    m.link.as_deref().unwrap_or("?"),
                    t.link.as_deref().unwrap_or("?")
                ));
            }
            if !what.is_empty() {
                lines.push(format!(
                    "{} `{}`: repro vs {tool}: {}",
                    m.kind,
                    m.path,
                    what.join(", ")
                ));
            }
        }
    }
    for (key, them) in &other {
        if !ours.contains_key(key) {
            for (t, _) in them {
                lines.push(format!("only {tool}: {}", show(t)));
            }
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// An extractor's error, cut to its first message.
fn brief(error: &str) -> String {
    let first = error.split(" | ").next().unwrap_or("").trim();
    match first.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &first[..i]),
        None => first.to_string(),
    }
}

fn table(rows: &[Row], cases: usize) -> String {
    let w = rows.iter().map(|r| r.case.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{} of {cases} hostile-archive cases fail\n\n{:w$}  expect  repro     what\n",
        rows.len(),
        "case",
    );
    for r in rows {
        let mut lines = r.what.iter().flat_map(|w| w.lines());
        let _ = writeln!(
            out,
            "{:w$}  {:6}  {:8}  {}",
            r.case,
            r.expect,
            r.verdict,
            lines.next().unwrap_or("")
        );
        for line in lines {
            let _ = writeln!(out, "{:w$}  {:6}  {:8}  {line}", "", "", "");
        }
    }
    out
}

#[test]
fn store_verify_deep_sees_what_real_extractors_see() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    python(&[
        oracle("hostile_archives.py").as_os_str(),
        corpus.as_os_str(),
    ]);
    let cases: Vec<Case> =
        serde_json::from_slice(&std::fs::read(corpus.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() > 50, "only {} cases", cases.len());
    // The generator is deterministic: a second run writes the same bytes.
    let again = tmp.path().join("again");
    python(&[oracle("hostile_archives.py").as_os_str(), again.as_os_str()]);
    for name in cases.iter().map(|c| c.file.as_str()).chain(["cases.json"]) {
        assert!(
            std::fs::read(corpus.join(name)).unwrap() == std::fs::read(again.join(name)).unwrap(),
            "hostile_archives.py wrote different bytes for {name} on a second run"
        );
    }

    let store = tmp.path().join("store");
    let mut objects = BTreeMap::new();
    for case in &cases {
        let bytes = std::fs::read(corpus.join(&case.file)).unwrap();
        objects.insert(case.name.clone(), admit(&store, &case.file, &bytes));
    }

    let out = repro()
        .args(["store", "verify", "--deep", "--json", "--store"])
        .arg(&store)
        .output()
        .expect("run repro");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "repro panicked:\n{stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "repro store verify exited {:?}:\n{stderr}",
        out.status.code()
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(report["schema"], "repro.store-verify/v1");
    assert_eq!(report["objects"].as_u64(), Some(cases.len() as u64));
    let problems: BTreeMap<String, Value> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["object"].as_str().unwrap().to_string(), p.clone()))
        .collect();

    let mut args = vec![oracle("extractors.py").into_os_string()];
    args.extend(cases.iter().map(|c| corpus.join(&c.file).into_os_string()));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let views: Value = serde_json::from_slice(&python(&refs)).expect("extractors.py prints JSON");
    let missing: Vec<&str> = views["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !missing.is_empty() {
        let required = std::env::var_os("REPRO_REQUIRE_EXTRACTORS").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "REPRO_REQUIRE_EXTRACTORS is set, but these extractors are not installed: {missing:?}"
        );
        eprintln!(
            "hostile_archives: skipping the {missing:?} views (not installed; set \
             REPRO_REQUIRE_EXTRACTORS=1 to make that a failure)"
        );
    }

    let mut rows = Vec::new();
    for case in &cases {
        let sha = &objects[&case.name];
        let problem = problems.get(sha).map(|p| &p["problem"]);
        let file = corpus.join(&case.file);
        let tools = views["files"][file.to_str().unwrap()]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(
            !tools.is_empty() || !missing.is_empty(),
            "{}: extractors.py gave no view ({})",
            case.name,
            case.format
        );
        let mut what = Vec::new();

        if case.expect == "accept" {
            // The case itself must be sound: every extractor reads it.
            for (tool, view) in &tools {
                if view["ok"] != true {
                    what.push(format!(
                        "the case is wrong: {tool} cannot read it: {}",
                        brief(view["error"].as_str().unwrap_or(""))
                    ));
                }
            }
        }

        let verdict = match problem {
            Some(p) => {
                let kind = p["kind"].as_str().unwrap_or("?");
                let detail = p["detail"].as_str().unwrap_or("").replace(sha, "OBJECT");
                if case.expect == "accept" {
                    what.push(format!("{kind}: {detail}"));
                } else if kind != "archive" {
                    what.push(format!(
                        "problem kind `{kind}`, expected `archive`: {detail}"
                    ));
                } else if detail.trim().is_empty() {
                    what.push("the problem detail is empty".into());
                }
                "refused"
            }
            None => {
                let record: Value = serde_json::from_slice(
                    &std::fs::read(
                        store
                            .join("v1/records/sha256")
                            .join(&sha[..2])
                            .join(format!("{sha}.json")),
                    )
                    .unwrap(),
                )
                .unwrap();
                if case.expect == "refuse" {
                    what.push("no `archive` problem reported".into());
                    what.push(format!("  should refuse: {}", case.why));
                }
                match record["members"].as_array() {
                    None => what.push(format!(
                        "no member index in the record: the walker did not read this {}",
                        case.format
                    )),
                    Some(members) => {
                        let ours = reduce(members);
                        for (tool, view) in &tools {
                            if view["ok"] != true {
                                what.push(format!(
                                    "{tool} fails where repro accepts: {}",
                                    brief(view["error"].as_str().unwrap_or(""))
                                ));
                            }
                            let theirs = reduce(view["members"].as_array().unwrap());
                            if let Some(diff) = differences(tool, &ours, &theirs) {
                                what.push(format!("member index differs from {tool}:"));
                                what.extend(diff.lines().map(|l| format!("  {l}")));
                            }
                        }
                    }
                }
                "accepted"
            }
        };
        if !what.is_empty() {
            rows.push(Row {
                case: case.name.clone(),
                expect: case.expect.clone(),
                verdict,
                what,
            });
        }
    }
    assert!(rows.is_empty(), "{}", table(&rows, cases.len()));

    // `--repair` moves every refused archive to quarantine and leaves the others in place.
    let out = repro()
        .args(["store", "verify", "--deep", "--repair", "--store"])
        .arg(&store)
        .output()
        .expect("run repro");
    assert_eq!(out.status.code(), Some(1));
    for case in &cases {
        let sha = &objects[&case.name];
        let quarantined = store.join("v1/quarantine").join(sha).exists();
        let present = store
            .join("v1/objects/sha256")
            .join(&sha[..2])
            .join(sha)
            .exists();
        assert_eq!(
            (quarantined, present),
            (case.expect == "refuse", case.expect != "refuse"),
            "{}: quarantined {quarantined}, still in objects {present}",
            case.name
        );
    }
}
