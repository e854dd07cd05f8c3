//! `repro diff`: one fixture pair per difference kind (generated here, deterministically), each
//! asserting the kind and the location; plus trees, manifests and hostile archives.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::repro;

#[derive(Clone)]
struct Z {
    name: &'static str,
    data: Vec<u8>,
    mode: u32,
    level: i64,
    year: u16,
    ux: Option<(u32, u32)>,
    comment: &'static str,
}

fn z(name: &'static str, data: &str) -> Z {
    Z {
        name,
        data: data.as_bytes().to_vec(),
        mode: 0o644,
        level: 6,
        year: 2020,
        ux: None,
        comment: "",
    }
}

fn write_zip(path: &Path, entries: &[Z]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for e in entries {
        let mut opts = zip::write::FullFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(e.level))
            .unix_permissions(e.mode)
            .last_modified_time(zip::DateTime::from_date_and_time(e.year, 1, 1, 0, 0, 0).unwrap());
        if !e.comment.is_empty() {
            opts = opts.with_file_comment(e.comment);
        }
        if let Some((uid, gid)) = e.ux {
            let mut d = vec![1u8, 4];
            d.extend(uid.to_le_bytes());
            d.push(4);
            d.extend(gid.to_le_bytes());
            opts.add_extra_field(0x7875, d, false).unwrap();
        }
        w.start_file(e.name, opts).unwrap();
        w.write_all(&e.data).unwrap();
    }
    w.finish().unwrap();
}

fn pair(a: &[Z], b: &[Z]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    let (pa, pb) = (dir.path().join("a/fn.zip"), dir.path().join("b/fn.zip"));
    write_zip(&pa, a);
    write_zip(&pb, b);
    (dir, pa, pb)
}

/// Run `repro diff --json A B`: (exit code, differences as (location, kind, summary, detail)).
fn diff_json(a: &Path, b: &Path, extra: &[&str]) -> (i32, Vec<(String, String, String, String)>) {
    let out = repro()
        .args(["diff", "--json"])
        .args(extra)
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    if code == 2 {
        return (
            2,
            vec![(
                "".into(),
                "error".into(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
                String::new(),
            )],
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let diffs = v["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["location"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
                d["summary"].as_str().unwrap().to_string(),
                d["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (code, diffs)
}

fn kinds(d: &[(String, String, String, String)]) -> Vec<(&str, &str)> {
    d.iter()
        .map(|(l, k, _, _)| (l.as_str(), k.as_str()))
        .collect()
}

#[test]
fn identical_archives_print_one_line_and_exit_0() {
    let e = [z("pkg/mod.py", "x = 1\n")];
    let (_d, a, b) = pair(&e, &e);
    let out = repro().arg("diff").arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("identical: "), "{text}");
}

#[test]
fn text_content_change_names_the_member_and_shows_a_unified_diff() {
    let (_d, a, b) = pair(
        &[z("pkg/mod.py", "x = 1\ny = 2\n")],
        &[z("pkg/mod.py", "x = 1\ny = 3\n")],
    );
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 1);
    assert_eq!(kinds(&d), vec![("fn.zip!/pkg/mod.py", "content")]);
    assert!(d[0].3.contains("-y = 2\n+y = 3"), "{}", d[0].3);
}

#[test]
fn binary_content_change_shows_a_hex_window() {
    let mut bin_a = vec![0u8; 100];
    bin_a[0] = 0xff;
    let mut bin_b = bin_a.clone();
    bin_b[50] = 1;
    let mk = |data: Vec<u8>| Z {
        data,
        ..z("lib.so", "")
    };
    let (_d, a, b) = pair(&[mk(bin_a)], &[mk(bin_b)]);
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(kinds(&d), vec![("fn.zip!/lib.so", "content")]);
    assert!(
        d[0].3.starts_with("first difference at byte 50"),
        "{}",
        d[0].3
    );
}

#[test]
fn added_and_removed_members_are_shown_with_their_content() {
    let (_d, a, b) = pair(
        &[z("keep.py", "k\n"), z("old.py", "print('old')\n")],
        &[z("keep.py", "k\n"), z("new.py", "print('new')\n")],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(
        kinds(&d),
        vec![("fn.zip!/old.py", "removed"), ("fn.zip!/new.py", "added")]
    );
    assert!(
        d[0].3.contains("print('old')") && d[1].3.contains("print('new')"),
        "{d:?}"
    );
}

#[test]
fn pure_reordering_is_reported_as_order_only() {
    let (_d, a, b) = pair(
        &[z("a.py", "a\n"), z("b.py", "b\n")],
        &[z("b.py", "b\n"), z("a.py", "a\n")],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(kinds(&d), vec![("fn.zip", "order")]);
    assert!(
        d[0].2.starts_with("same members, different order"),
        "{}",
        d[0].2
    );
}

#[test]
fn mode_and_mtime_changes_are_named() {
    let (_d, a, b) = pair(
        &[z("run.sh", "#!/bin/sh\n")],
        &[Z {
            mode: 0o755,
            year: 2021,
            ..z("run.sh", "#!/bin/sh\n")
        }],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(
        kinds(&d),
        vec![("fn.zip!/run.sh", "mode"), ("fn.zip!/run.sh", "mtime")]
    );
    assert_eq!(d[0].2, "mode 644 in A, 755 in B");
}

#[test]
fn recompression_names_the_members_and_says_content_is_equal() {
    let text = "import os\n".repeat(500);
    let (_d, a, b) = pair(
        &[Z {
            level: 1,
            ..z("big.py", &text)
        }],
        &[Z {
            level: 9,
            ..z("big.py", &text)
        }],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(kinds(&d), vec![("fn.zip!/big.py", "recompressed")]);
    assert!(
        d[0].2.starts_with("same content, compressed bytes differ"),
        "{}",
        d[0].2
    );
}

#[test]
fn uid_gid_extra_fields_are_decoded_and_never_masked() {
    // The content changes too: the owner change must still be reported, as named fields.
    let (_d, a, b) = pair(
        &[Z {
            ux: Some((0, 0)),
            ..z("app.py", "v = 1\n")
        }],
        &[Z {
            ux: Some((1000, 100)),
            ..z("app.py", "v = 2\n")
        }],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    let k = kinds(&d);
    assert!(k.contains(&("fn.zip!/app.py", "content")), "{d:?}");
    let owners: Vec<&str> = d
        .iter()
        .filter(|x| x.1 == "owner")
        .map(|x| x.2.as_str())
        .collect();
    assert!(
        owners.contains(&"ux uid: 0 in A, 1000 in B (local and central headers)"),
        "{owners:?}"
    );
    assert!(
        owners.contains(&"ux gid: 0 in A, 100 in B (local and central headers)"),
        "{owners:?}"
    );
}

#[test]
fn member_comment_is_a_zip_field() {
    let (_d, a, b) = pair(
        &[z("m.py", "m\n")],
        &[Z {
            comment: "built on laptop",
            ..z("m.py", "m\n")
        }],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(kinds(&d), vec![("fn.zip!/m.py", "zip-field")]);
    assert!(d[0].2.contains("built on laptop"), "{}", d[0].2);
}

#[test]
fn nested_wheel_inside_a_lambda_zip_is_compared_member_by_member() {
    let dir = tempfile::tempdir().unwrap();
    let inner = |body: &str| {
        let p = dir.path().join(format!("inner-{}.whl", body.len()));
        write_zip(&p, &[z("pkg/core.py", body), z("pkg/other.py", "same\n")]);
        std::fs::read(p).unwrap()
    };
    let (wa, wb) = (inner("a = 1\n"), inner("a = 22\n"));
    let (_d, a, b) = pair(
        &[Z {
            data: wa,
            ..z("vendor/pkg-1.0-py3-none-any.whl", "")
        }],
        &[Z {
            data: wb,
            ..z("vendor/pkg-1.0-py3-none-any.whl", "")
        }],
    );
    let (_, d) = diff_json(&a, &b, &[]);
    assert_eq!(
        kinds(&d),
        vec![(
            "fn.zip!/vendor/pkg-1.0-py3-none-any.whl!/pkg/core.py",
            "content"
        )]
    );
    assert!(d[0].3.contains("+a = 22"), "{}", d[0].3);
}

fn tar_gz(
    path: &Path,
    gz_mtime: u32,
    gz_name: Option<&str>,
    gnu: bool,
    uid: u64,
    uname: &str,
    body: &[u8],
) {
    let mut gzb = flate2::GzBuilder::new().mtime(gz_mtime);
    if let Some(n) = gz_name {
        gzb = gzb.filename(n);
    }
    let gz = gzb.write(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut b = tar::Builder::new(gz);
    let mut h = if gnu {
        tar::Header::new_gnu()
    } else {
        tar::Header::new_ustar()
    };
    h.set_size(body.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_600_000_000);
    h.set_uid(uid);
    h.set_gid(uid);
    h.set_username(uname).unwrap();
    h.set_cksum();
    b.append_data(&mut h, "pkg-1.0/setup.py", body).unwrap();
    b.into_inner().unwrap().finish().unwrap();
}

#[test]
fn gzip_and_tar_header_fields_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.tar.gz"), dir.path().join("b.tar.gz"));
    tar_gz(&a, 0, None, false, 0, "root", b"setup()\n");
    tar_gz(
        &b,
        1_700_000_000,
        Some("pkg.tar"),
        true,
        1000,
        "alice",
        b"setup()\n",
    );
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 1);
    let summaries: Vec<&str> = d.iter().map(|x| x.2.as_str()).collect();
    assert!(
        summaries.contains(&"gzip MTIME none (0) in A, 2023-11-14T22:13:20Z (1700000000) in B"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"gzip FNAME (none) in A, pkg.tar in B"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"tar format POSIX (ustar) in A, GNU in B"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"uid `0` in A, `1000` in B"),
        "{summaries:?}"
    );
    assert!(
        summaries.contains(&"uname `root` in A, `alice` in B"),
        "{summaries:?}"
    );
    assert!(
        d.iter().any(|x| x.1 == "gzip-header")
            && d.iter().any(|x| x.1 == "tar-header")
            && d.iter().any(|x| x.1 == "owner")
    );
}

#[test]
fn trees_report_modes_links_and_content_and_summarize_directory_mtimes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (side, mode, link, body, t) in [
        ("a", 0o644, "x.py", "v = 1\n", 1_600_000_000u64),
        ("b", 0o755, "y.py", "v = 2\n", 1_700_000_000),
    ] {
        let root = dir.path().join(side);
        std::fs::create_dir_all(root.join("pkg/sub")).unwrap();
        std::fs::write(root.join("pkg/mod.py"), body).unwrap();
        std::fs::write(root.join("tool.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(root.join("tool.sh"), std::fs::Permissions::from_mode(mode))
            .unwrap();
        std::os::unix::fs::symlink(link, root.join("current.py")).unwrap();
        for d in ["pkg", "pkg/sub"] {
            let f = std::fs::File::open(root.join(d)).unwrap();
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(t))
                .unwrap();
        }
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000);
        for f in ["pkg/mod.py", "tool.sh"] {
            std::fs::File::options()
                .write(true)
                .open(root.join(f))
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
    }
    let (code, d) = diff_json(&dir.path().join("a"), &dir.path().join("b"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        kinds(&d),
        vec![
            ("current.py", "link-target"),
            ("pkg/mod.py", "content"),
            ("tool.sh", "mode"),
            ("", "directory-mtimes")
        ]
    );
    assert!(
        d[3].2.starts_with("2 directories have other mtimes"),
        "{}",
        d[3].2
    );
    let (_, all) = diff_json(
        &dir.path().join("a"),
        &dir.path().join("b"),
        &["--all-metadata"],
    );
    assert_eq!(all.iter().filter(|x| x.1 == "mtime").count(), 2);
}

#[test]
fn hostile_archives_are_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    write_zip(&a, &[z("ok.py", "1\n")]);
    write_zip(&b, &[z("../../escape.py", "1\n")]);
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 2);
    assert!(
        d[0].2.contains("../../escape.py") && d[0].2.contains("escapes"),
        "{d:?}"
    );
    // A truncated archive.
    let bytes = std::fs::read(&a).unwrap();
    std::fs::write(&b, &bytes[..bytes.len() / 2]).unwrap();
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 2, "{d:?}");
}

#[test]
fn manifests_of_another_schema_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, r#"{"schema": "repro.manifest/v9", "build": {}}"#).unwrap();
    std::fs::write(&b, r#"{"schema": "repro.manifest/v9", "build": {}}"#).unwrap();
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 2);
    assert!(
        d[0].2
            .contains("manifest schema `repro.manifest/v9` is not `repro.manifest/v1`"),
        "{d:?}"
    );
}

fn manifest(edit: impl FnOnce(&mut repro::manifest::Build)) -> repro::manifest::Manifest {
    use repro::manifest::{Build, Host, InputFile, Manifest, Output, Resolved};
    use std::collections::BTreeMap;
    let mut build = Build {
        tool: BTreeMap::from([
            ("name".into(), "repro".into()),
            ("version".into(), "0.1.0".into()),
        ]),
        target: "cp312-manylinux_2_34_x86_64".into(),
        source_date_epoch: 1_700_000_000,
        environment: BTreeMap::from([("TZ".into(), "UTC".into())]),
        toolchains: BTreeMap::from([("python".into(), "Python 3.12.1".into())]),
        inputs: vec![InputFile {
            path: "fn/requirements.txt".into(),
            sha256: "aa".into(),
        }],
        resolved: vec![Resolved {
            ecosystem: "pypi".into(),
            name: "six".into(),
            version: "1.17.0".into(),
            filename: "six-1.17.0-py2.py3-none-any.whl".into(),
            sha256: "11".into(),
            blake3: "22".into(),
            size: 11050,
            used_by: vec![],
        }],
        command: vec!["make".into()],
        outputs: vec![Output {
            path: "dist/fn.zip".into(),
            kind: "archive".into(),
            size: 10,
            sha256: "33".into(),
            members: vec![repro::archive::Member {
                path: "app.py".into(),
                kind: repro::archive::MemberKind::File,
                size: 5,
                mode: 0o644,
                mtime: 1_700_000_000,
                sha256: Some("44".into()),
                link: None,
            }],
            nested: Vec::new(),
        }],
    };
    edit(&mut build);
    let host = Host {
        hostname: "h".into(),
        started: 1,
        duration_ms: 2,
        build_dir: "/b".into(),
    };
    Manifest::new(build, host)
}

#[test]
fn manifest_sections_are_compared_with_their_own_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, serde_json::to_vec_pretty(&manifest(|_| {})).unwrap()).unwrap();
    // The host section differs, and nothing else: identical.
    let mut other_host = manifest(|_| {});
    other_host.host.hostname = "second-machine".into();
    std::fs::write(&b, serde_json::to_vec_pretty(&other_host).unwrap()).unwrap();
    assert_eq!(diff_json(&a, &b, &[]).0, 0);
    let changed = manifest(|m| {
        m.tool.insert("version".into(), "0.2.0".into());
        m.target = "cp312-manylinux_2_34_aarch64".into();
        m.environment.insert("TZ".into(), "Asia/Tokyo".into());
        m.toolchains.insert("python".into(), "Python 3.12.2".into());
        m.inputs[0].sha256 = "ab".into();
        m.command = vec!["make".into(), "all".into()];
        m.resolved[0].sha256 = "99".into();
        m.resolved.push(repro::manifest::Resolved {
            name: "idna".into(),
            filename: "idna-3.10-py3-none-any.whl".into(),
            ..m.resolved[0].clone()
        });
        m.outputs[0].sha256 = "34".into();
        m.outputs[0].members[0].sha256 = Some("45".into());
        m.outputs[0].members[0].mode = 0o755;
    });
    std::fs::write(&b, serde_json::to_vec_pretty(&changed).unwrap()).unwrap();
    // Strict: every section is a difference.
    let (code, d) = diff_json(&a, &b, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(
        kinds(&d),
        vec![
            ("tool.version", "tool"),
            ("target", "target"),
            ("environment.TZ", "environment"),
            ("toolchains.python", "toolchain"),
            ("inputs.fn/requirements.txt", "input"),
            ("command", "command"),
            (
                "resolved/pypi/six-1.17.0-py2.py3-none-any.whl",
                "resolved-changed"
            ),
            ("resolved/pypi/idna-3.10-py3-none-any.whl", "resolved-added"),
            ("dist/fn.zip!/app.py", "content"),
            ("dist/fn.zip!/app.py", "mode"),
        ]
    );
    // By default the tool, environment, toolchain and command are notes: the outputs, the
    // inputs and the resolved set decide.
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        kinds(&d),
        vec![
            ("target", "target"),
            ("inputs.fn/requirements.txt", "input"),
            (
                "resolved/pypi/six-1.17.0-py2.py3-none-any.whl",
                "resolved-changed"
            ),
            ("resolved/pypi/idna-3.10-py3-none-any.whl", "resolved-added"),
            ("dist/fn.zip!/app.py", "content"),
            ("dist/fn.zip!/app.py", "mode"),
        ]
    );
    // Swapped sides: the added artifact is removed.
    let (_, d) = diff_json(&b, &a, &[]);
    assert!(kinds(&d).contains(&(
        "resolved/pypi/idna-3.10-py3-none-any.whl",
        "resolved-removed"
    )));
    // Only notes: reproduced (exit 0), the notes listed.
    let notes_only = manifest(|m| {
        m.tool.insert("version".into(), "0.2.0".into());
        m.toolchains.insert("python".into(), "Python 3.12.2".into());
        m.command = vec!["/opt/elsewhere/make".into()];
    });
    std::fs::write(&b, serde_json::to_vec_pretty(&notes_only).unwrap()).unwrap();
    let out = repro().arg("diff").arg(&a).arg(&b).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("reproduced: "), "{text}");
    assert_eq!(text.matches("  note: ").count(), 3, "{text}");
    let out = repro()
        .args(["diff", "--strict"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_edited_manifest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let m = manifest(|_| {});
    std::fs::write(&a, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let mut forged = m.clone();
    forged.build.resolved[0].sha256 = "ff".into();
    std::fs::write(&b, serde_json::to_vec_pretty(&forged).unwrap()).unwrap();
    let (code, d) = diff_json(&a, &b, &[]);
    assert_eq!(code, 2);
    assert!(d[0].2.contains("does not match its build section"), "{d:?}");
}

#[test]
fn a_file_against_a_directory_is_an_entry_type_difference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    std::fs::create_dir_all(dir.path().join("b/x")).unwrap();
    std::fs::write(dir.path().join("a/x"), "file\n").unwrap();
    let (code, d) = diff_json(&dir.path().join("a"), &dir.path().join("b"), &[]);
    assert_eq!(code, 1);
    assert_eq!(kinds(&d), vec![("x", "entry-type")]);
}
