//! A `repro diff` that leads to the cause: the broken build of issue 19 (pip's `.pyc`
//! compilation, a timestamped `build_info.json`, `zip -r` packing with another owner) as two
//! zips generated here, and what each rendering must make of it: repeated differences grouped,
//! content before metadata, times in ISO 8601 with the raw value, hex with ASCII, host paths
//! named, JSON compared as data, ELF sections named, `--all-metadata` listing members, `--html`
//! (escaped, self-contained, and loaded in headless Chromium when asked); plus the output
//! contract of issue 16 for `diff`: `-q` the summary, `-qq` nothing but errors, `--json` one
//! document on stdout, errors too.
//!
//! See: issue 19 ("`repro diff` leads to the cause", "`--html FILE`") and issue 16 ("One
//! contract, everywhere").

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::repro;

/// Members whose only change is their time (and for the first 26, their owner).
const BULK: usize = 1_967;

/// One member of a generated zip.
struct Member {
    name: String,
    data: Vec<u8>,
    year: u16,
    uid: Option<u32>,
}

fn write_zip(path: &Path, members: &[Member]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for m in members {
        let mut opts = zip::write::FullFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644)
            .last_modified_time(
                zip::DateTime::from_date_and_time(m.year, 5, 11, 19, 24, 0).unwrap(),
            );
        if let Some(uid) = m.uid {
            let mut d = vec![1u8, 4];
            d.extend(uid.to_le_bytes());
            d.push(4);
            d.extend(uid.to_le_bytes());
            opts.add_extra_field(0x7875, d, false).unwrap();
        }
        w.start_file(m.name.as_str(), opts).unwrap();
        w.write_all(&m.data).unwrap();
    }
    w.finish().unwrap();
}

/// A `.pyc`-like blob whose code object records the pip build directory it was compiled in.
fn pyc(build_dir: &str) -> Vec<u8> {
    let path = format!("{build_dir}/botocore/__init__.py");
    let mut b = b"\xcb\x0d\x0d\x0a\0\0\0\0\xe3\0\0\0\0\0\0\0".to_vec();
    b.push(0xfa);
    b.push(path.len() as u8);
    b.extend(path.as_bytes());
    b.extend(b"\xda\x08<module>");
    b
}

/// One side of the broken build: `year` the members' time, `uid` the owner of the first 26,
/// `built` the time in `build_info.json`, `pip` pip's temp dir, `pretty` how the JSON is written.
fn side(path: &Path, year: u16, uid: u32, built: &str, pip: &str, pretty: bool) {
    let mut members: Vec<Member> = (0..BULK)
        .map(|i| Member {
            name: format!("pkg/m{i:04}.py"),
            data: format!("x = {i}\n").into_bytes(),
            year,
            uid: (i < 26).then_some(uid),
        })
        .collect();
    let info = if pretty {
        format!("{{\n  \"version\": \"1.0\",\n  \"built\": \"{built}\",\n  \"name\": \"pkg\"\n}}\n")
    } else {
        format!("{{\"name\": \"pkg\", \"version\": \"1.0\", \"built\": \"{built}\"}}\n")
    };
    let meta = if pretty {
        "{\n  \"b\": [1, 2],\n  \"a\": 1\n}\n"
    } else {
        "{\"a\": 1, \"b\": [1, 2]}\n"
    };
    for (name, data) in [
        ("pkg/build_info.json", info.into_bytes()),
        ("pkg/meta.json", meta.as_bytes().to_vec()),
        ("pkg/__pycache__/__init__.cpython-312.pyc", pyc(pip)),
    ] {
        members.push(Member {
            name: name.to_string(),
            data,
            year,
            uid: None,
        });
    }
    write_zip(path, &members);
}

/// The two zips of the broken build.
fn broken_build() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    side(
        &a,
        2024,
        1000,
        "2024-05-11",
        "/tmp/pip-req-build-abc123",
        false,
    );
    side(&b, 2026, 0, "2026-05-11", "/tmp/pip-req-build-xyz789", true);
    (dir, a, b)
}

/// Run `repro ARGS…`: (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = repro().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn diff(flags: &[&str], a: &Path, b: &Path) -> (i32, String, String) {
    let mut args: Vec<&std::ffi::OsStr> = Vec::new();
    let (globals, rest): (Vec<&str>, Vec<&str>) = flags
        .iter()
        .partition(|f| matches!(**f, "-q" | "-qq" | "-v"));
    args.extend(globals.iter().map(std::ffi::OsStr::new));
    args.push("diff".as_ref());
    args.extend(rest.iter().map(std::ffi::OsStr::new));
    args.push(a.as_os_str());
    args.push(b.as_os_str());
    run(&args)
}

fn diff_json(a: &Path, b: &Path) -> serde_json::Value {
    let (code, out, err) = diff(&["--json"], a, b);
    assert_eq!(code, 1, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The difference at `location` of `kind`.
fn find<'a>(report: &'a serde_json::Value, location: &str, kind: &str) -> &'a serde_json::Value {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["location"] == location && d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} at {location}: {report:#}"))
}

/// Issue 19: 1,970 members whose mtime moved the same way are one line, not 1,970; the summary
/// by kind comes first, and the content differences (the causes) before the metadata.
#[test]
fn repeated_metadata_changes_print_one_line_per_group_content_first() {
    let (_d, a, b) = broken_build();
    let (code, out, _) = diff(&[], &a, &b);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() < 80, "{} lines:\n{out}", lines.len());
    assert!(lines[0].starts_with("2,025 differences between "), "{out}");
    assert!(
        lines[1].contains("content") && lines[1].contains("3 content"),
        "{out}"
    );
    assert!(
        lines[2].contains("metadata") && lines[2].contains("1,970 mtime, 52 owner"),
        "{out}"
    );
    assert!(
        out.contains(
            "mtime: 1,970 members: mtime 2024-05-11T19:24:00Z (1715455440) in A, \
             2026-05-11T19:24:00Z (1778527440) in B"
        ),
        "{out}"
    );
    assert!(
        out.contains("owner: 26 members: ux uid: 1000 in A, 0 in B (local and central headers)"),
        "{out}"
    );
    let content = out.find("content (the likely causes):").unwrap();
    let metadata = out.find("\nmetadata:").unwrap();
    assert!(content < metadata, "{out}");
    assert!(!out.contains("pkg/m0100.py"), "{out}");
}

/// Issue 19: `--all-metadata` changed nothing inside zips (596 lines either way); now it (and
/// `-v`) lists the members of every group.
#[test]
fn all_metadata_and_verbose_list_the_members_of_each_group_inside_zips() {
    let (_d, a, b) = broken_build();
    let (_, grouped, _) = diff(&[], &a, &b);
    for flag in ["--all-metadata", "-v"] {
        let (code, all, _) = diff(&[flag], &a, &b);
        assert_eq!(code, 1);
        assert!(all.lines().count() > BULK, "{flag}: {all}");
        assert!(all.contains("\n    pkg/m0100.py\n"), "{flag}: {all}");
        assert!(all.lines().count() > grouped.lines().count() + BULK);
    }
}

/// Issue 19: times as ISO 8601 UTC, the raw value in parentheses.
#[test]
fn times_are_iso_8601_utc_with_the_raw_value() {
    let (_d, a, b) = broken_build();
    let r = diff_json(&a, &b);
    assert_eq!(
        find(&r, "pkg/m0100.py", "mtime")["summary"],
        "mtime 2024-05-11T19:24:00Z (1715455440) in A, 2026-05-11T19:24:00Z (1778527440) in B"
    );
}

/// Issue 19: pip's temp path inside a `.pyc` had to be decoded by hand from a hex view with no
/// ASCII column; now the path is named, and the hex has an ASCII column and marks.
#[test]
fn pyc_host_path_is_named_and_hex_has_ascii_and_marks() {
    let (_d, a, b) = broken_build();
    let r = diff_json(&a, &b);
    let d = find(&r, "pkg/__pycache__/__init__.cpython-312.pyc", "content");
    let detail = d["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "host paths in A only: /tmp/pip-req-build-abc123/botocore/__init__.py\n\
             host paths in B only: /tmp/pip-req-build-xyz789/botocore/__init__.py\n"
        ),
        "{detail}"
    );
    assert!(detail.contains("|uild-abc123/boto|"), "{detail}");
    assert!(detail.contains("|uild-xyz789/boto|"), "{detail}");
    assert!(detail.contains("^^ ^^ ^^"), "{detail}");
}

/// Issue 19: two JSON files that differ only in key order got a 40-line text diff; now they
/// are named the same value, and a changed value is named by its path. The verdict stays the
/// bytes': both are still differences.
#[test]
fn json_is_compared_as_data_first() {
    let (_d, a, b) = broken_build();
    let r = diff_json(&a, &b);
    let same = find(&r, "pkg/meta.json", "content")["summary"]
        .as_str()
        .unwrap();
    assert!(
        same.ends_with("; same JSON value: key order and whitespace only"),
        "{same}"
    );
    let info = find(&r, "pkg/build_info.json", "content");
    assert!(
        info["summary"]
            .as_str()
            .unwrap()
            .ends_with("; JSON value differs at $.built"),
        "{info}"
    );
    assert!(
        info["detail"]
            .as_str()
            .unwrap()
            .contains("$.built: \"2024-05-11\" in A, \"2026-05-11\" in B"),
        "{info}"
    );
    assert_eq!(r["identical"], false);
}

/// Issue 19: ELF objects are named by the section where they differ (the GNU build-id note),
/// on their own and inside a wheel.
#[test]
fn elf_differences_are_named_by_section_and_build_id() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/elf");
    let (a, b) = (fixtures.join("a.so"), fixtures.join("b.so"));
    let r = diff_json(&a, &b);
    let d = find(&r, "", "content");
    assert!(
        d["summary"]
            .as_str()
            .unwrap()
            .ends_with("; ELF: differs in .note.gnu.build-id"),
        "{d}"
    );
    let detail = d["detail"].as_str().unwrap();
    assert!(
        detail.contains(
            ".note.gnu.build-id (GNU build-id 00112233445566778899aabbccddeeff00112233 in A, \
             ffeeddccbbaa99887766554433221100ffeeddcc in B)"
        ),
        "{detail}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (za, zb) = (dir.path().join("a.whl"), dir.path().join("b.whl"));
    for (z, so) in [(&za, &a), (&zb, &b)] {
        write_zip(
            z,
            &[Member {
                name: "pkg/_speedups.cpython-312-x86_64-linux-gnu.so".into(),
                data: std::fs::read(so).unwrap(),
                year: 2020,
                uid: None,
            }],
        );
    }
    let r = diff_json(&za, &zb);
    let d = find(
        &r,
        "pkg/_speedups.cpython-312-x86_64-linux-gnu.so",
        "content",
    );
    assert!(
        d["detail"]
            .as_str()
            .unwrap()
            .contains("ELF: first difference in .note.gnu.build-id"),
        "{d}"
    );
}

/// The JSON report keeps every difference and adds the groups: each difference in exactly one
/// group, content groups first.
#[test]
fn json_report_groups_every_difference_once_content_first() {
    let (_d, a, b) = broken_build();
    let r = diff_json(&a, &b);
    let n = r["differences"].as_array().unwrap().len();
    let groups = r["groups"].as_array().unwrap();
    let mut seen: Vec<u64> = groups
        .iter()
        .flat_map(|g| g["differences"].as_array().unwrap())
        .map(|i| i.as_u64().unwrap())
        .collect();
    seen.sort();
    assert_eq!(seen, (0..n as u64).collect::<Vec<_>>());
    assert_eq!(groups[0]["class"], "content");
    let mtime = groups.iter().find(|g| g["kind"] == "mtime").unwrap();
    assert_eq!(mtime["count"], 1970);
    assert_eq!(mtime["class"], "metadata");
}

/// Issue 16: `-q` prints only the summary, `-qq` nothing but errors, for `diff` too (19,017
/// lines either way before).
#[test]
fn quiet_prints_the_summary_and_very_quiet_nothing_but_errors() {
    let (d, a, b) = broken_build();
    let (_, full, _) = diff(&[], &a, &b);
    let (code, quiet, _) = diff(&["-q"], &a, &b);
    assert_eq!(code, 1);
    let head: Vec<&str> = full.lines().take(3).collect();
    assert_eq!(quiet.lines().collect::<Vec<_>>(), head, "{quiet}");
    let (code, silent, err) = diff(&["-qq"], &a, &b);
    assert_eq!((code, silent.as_str(), err.as_str()), (1, "", ""));
    let (code, silent, _) = diff(&["-qq"], &a, &a);
    assert_eq!((code, silent.as_str()), (0, ""));
    // An error is still printed under -qq, on stderr.
    let missing = d.path().join("missing.zip");
    let (code, silent, err) = diff(&["-qq"], &a, &missing);
    assert_eq!((code, silent.as_str()), (2, ""));
    assert!(err.contains("missing.zip"), "{err}");
}

/// Issue 16: under `--json`, stdout is exactly one JSON document, errors too.
#[test]
fn json_errors_are_one_json_document_on_stdout() {
    let (d, a, _) = broken_build();
    let missing = d.path().join("missing.zip");
    let (code, out, err) = diff(&["--json"], &a, &missing);
    assert_eq!(code, 2);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?} {err}"));
    assert_eq!(v["schema"], "repro.diff.error/v1");
    assert_eq!(v["error"]["code"], "read");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing.zip"),
        "{v}"
    );
    // A hostile archive is an error document too, and -qq does not silence the document.
    let evil = d.path().join("evil.zip");
    write_zip(
        &evil,
        &[Member {
            name: "../../escape.py".into(),
            data: b"1\n".to_vec(),
            year: 2020,
            uid: None,
        }],
    );
    let (code, out, _) = diff(&["--json", "-qq"], &a, &evil);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["code"], "archive", "{v}");
}

/// Members and contents that hold HTML and script are shown, never interpreted.
fn hostile_pair() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    let name = "pkg/<img src=x onerror=alert(1)>.py";
    for (p, body, year) in [
        (&a, "x = 1\n</pre></table><script>alert(1)</script>\n", 2024),
        (&b, "x = 2\n</pre></table><script>alert(2)</script>\n", 2026),
    ] {
        write_zip(
            p,
            &[
                Member {
                    name: name.into(),
                    data: body.as_bytes().to_vec(),
                    year,
                    uid: None,
                },
                Member {
                    name: "pkg/__pycache__/m.pyc".into(),
                    data: pyc(if year == 2024 {
                        "/tmp/pip-req-build-abc123"
                    } else {
                        "/tmp/pip-req-build-<b>x</b>"
                    }),
                    year,
                    uid: None,
                },
            ],
        );
    }
    (dir, a, b)
}

/// Issue 19 `--html FILE`: one self-contained page, every byte of the compared files escaped.
#[test]
fn html_page_is_self_contained_and_escapes_what_the_files_hold() {
    let (d, a, b) = hostile_pair();
    let page = d.path().join("report.html");
    let (code, _, err) = run(&[
        "diff".as_ref(),
        "--html".as_ref(),
        page.as_os_str(),
        a.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(code, 1, "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for banned in [
        "<script", "<img", "src=\"", "href=", "http:", "https:", "url(",
    ] {
        assert!(!html.contains(banned), "`{banned}` in {html}");
    }
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("default-src &#39;none&#39;") || html.contains("default-src 'none'"));
    // Side by side, hex with ASCII, grouping.
    assert!(html.contains("<table class=\"sbs\">"), "{html}");
    assert!(html.contains("<pre class=\"hex\">"), "{html}");
    assert!(html.contains("<details class=\"group\">"), "{html}");
    assert!(html.contains("mark class=\"hostpath\""), "{html}");
}

/// Bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066..2069 isolates) in a member
/// name or a line of a file reorder what the page shows (`evil\u{202E}yp.txt` reads as
/// `eviltxt.py`): the page shows them as U+FFFD, as it does control characters, and as the
/// text report drops them.
#[test]
fn html_page_shows_no_bidi_control() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    for (p, body, year) in [
        (&a, "ok = 1 # \u{2067}evil\u{2069}\n", 2024),
        (&b, "ok = 2 # \u{2067}evil\u{2069}\n", 2026),
    ] {
        write_zip(
            p,
            &[Member {
                name: "pkg/evil\u{202E}yp.txt".into(),
                data: body.as_bytes().to_vec(),
                year,
                uid: None,
            }],
        );
    }
    let page = dir.path().join("report.html");
    let (code, _, err) = run(&[
        "diff".as_ref(),
        "--html".as_ref(),
        page.as_os_str(),
        a.as_os_str(),
        b.as_os_str(),
    ]);
    assert_eq!(code, 1, "{err}");
    let html = std::fs::read_to_string(&page).unwrap();
    for c in [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ] {
        assert!(!html.contains(c), "U+{:04X} in the page", c as u32);
    }
    assert!(html.contains("evil\u{fffd}yp.txt"), "{html}");
}

/// Issue 19: the page in a real browser. Opt-in (`REPRO_BROWSER_TESTS=1`, with `chromium` on
/// the PATH, Debian's `chromium`): headless Chromium loads the page, takes a screenshot, and its
/// DOM holds the expected members and no element the compared files tried to inject.
#[test]
fn html_page_renders_in_headless_chromium() {
    if std::env::var_os("REPRO_BROWSER_TESTS").is_none_or(|v| v != "1") {
        eprintln!(
            "skipped: set REPRO_BROWSER_TESTS=1 (and install `chromium`) to load the --html page in headless Chromium"
        );
        return;
    }
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("REPRO_BROWSER_TESTS=1 but no chromium on the PATH");
    let (d, a, b) = broken_build();
    let (_hd, ha, hb) = hostile_pair();
    let page = d.path().join("report.html");
    let hostile = d.path().join("hostile.html");
    for (p, x, y) in [(&page, &a, &b), (&hostile, &ha, &hb)] {
        let (code, _, err) = run(&[
            "diff".as_ref(),
            "--html".as_ref(),
            p.as_os_str(),
            x.as_os_str(),
            y.as_os_str(),
        ]);
        assert_eq!(code, 1, "{err}");
    }
    let browse = |args: &[&std::ffi::OsStr]| {
        let profile = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let url = format!("file://{}", page.display());
    let shot = d.path().join("report.png");
    browse(&[
        format!("--screenshot={}", shot.display()).as_ref(),
        "--window-size=1280,2000".as_ref(),
        url.as_ref(),
    ]);
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{}",
        png.len()
    );
    let dom = browse(&["--dump-dom".as_ref(), url.as_ref()]);
    for member in [
        "pkg/__pycache__/__init__.cpython-312.pyc",
        "pkg/build_info.json",
        "pkg/meta.json",
        "pkg/m0100.py",
        "1,970 members",
        "same JSON value: key order and whitespace only",
    ] {
        assert!(dom.contains(member), "{member} not in the DOM:\n{dom}");
    }
    let dom = browse(&[
        "--dump-dom".as_ref(),
        format!("file://{}", hostile.display()).as_ref(),
    ]);
    assert!(!dom.contains("<script"), "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    assert!(!dom.contains("<b>x</b>"), "{dom}");
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;.py"),
        "{dom}"
    );
    if let Some(keep) = std::env::var_os("REPRO_BROWSER_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

/// A large group of equal content changes (100 members only in B) opens with one line and
/// shows its first members in full, so the other causes stay in view; `-v` shows them all.
#[test]
fn many_added_members_are_one_group_with_the_first_shown() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    let member = |name: String, data: &str| Member {
        name,
        data: data.as_bytes().to_vec(),
        year: 2020,
        uid: None,
    };
    write_zip(&a, &[member("pkg/mod.py".into(), "v = 1\n")]);
    let mut members = vec![member("pkg/mod.py".into(), "v = 2\n")];
    members.extend((0..100).map(|i| member(format!("pkg/new{i:03}.py"), "n = 1\n")));
    write_zip(&b, &members);
    let (code, out, _) = diff(&[], &a, &b);
    assert_eq!(code, 1);
    assert!(out.contains("\nadded: 100 members: only in B\n"), "{out}");
    assert!(
        out.contains("pkg/new019.py") && !out.contains("pkg/new020.py"),
        "{out}"
    );
    assert!(
        out.contains("… and 80 more added: only in B (-v lists them)"),
        "{out}"
    );
    assert!(out.contains("-v = 1\n") || out.contains("-v = 1"), "{out}");
    let (_, verbose, _) = diff(&["-v"], &a, &b);
    assert!(verbose.contains("pkg/new099.py"), "{verbose}");
}

/// Both renderings of a small pair, snapshotted: a member whose text changed, three whose time
/// moved, two also chowned.
#[test]
fn text_and_json_reports_are_snapshotted() {
    let dir = tempfile::tempdir().unwrap();
    for (name, year, uid, v) in [("a.zip", 2024, 1000, "1"), ("b.zip", 2026, 0, "2")] {
        let mut members: Vec<Member> = (0..3)
            .map(|i| Member {
                name: format!("pkg/m{i}.py"),
                data: format!("x = {i}\n").into_bytes(),
                year,
                uid: (i < 2).then_some(uid),
            })
            .collect();
        members.push(Member {
            name: "pkg/version.py".into(),
            data: format!("VERSION = '{v}'\n").into_bytes(),
            year,
            uid: None,
        });
        write_zip(&dir.path().join(name), &members);
    }
    let run_here = |args: &[&str]| {
        let out = repro().current_dir(dir.path()).args(args).output().unwrap();
        format!(
            "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    insta::assert_snapshot!("diff_text", run_here(&["diff", "a.zip", "b.zip"]));
    insta::assert_snapshot!(
        "diff_text_verbose",
        run_here(&["-v", "diff", "a.zip", "b.zip"])
    );
    insta::assert_snapshot!(
        "diff_text_quiet",
        run_here(&["-q", "diff", "a.zip", "b.zip"])
    );
    insta::assert_snapshot!("diff_json", run_here(&["diff", "--json", "a.zip", "b.zip"]));
}
