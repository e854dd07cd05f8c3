//! Verdicts that cannot be fooled: `repro diff` (and the verification summary it writes) calls
//! two outputs identical only when their bytes are equal, names what member-by-member comparison
//! cannot see, and finishes in bounded time and memory on hostile input.
//!
//! The zips here are written byte by byte, so that each case changes exactly one thing a
//! well-behaved writer never would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::repro;

/// One stored zip entry.
struct Entry<'a> {
    name: &'a [u8],
    data: &'a [u8],
}

/// How a hand-written zip departs from a plain one.
#[derive(Default, Clone)]
struct Twist {
    /// Bytes inserted after the local entry of this index.
    gap_after: Option<(usize, Vec<u8>)>,
    /// The end record's entry count, when not the true one.
    count: Option<u16>,
    /// General-purpose flags of every entry (local and central alike).
    flags: u16,
    /// Bytes after the end record.
    trailing: Vec<u8>,
    /// Write only the first local entry and point every central entry at it (overlapping
    /// entries: the bytes of one member, listed many times).
    all_at_first: bool,
}

/// A zip of stored entries, written field by field.
fn raw_zip(entries: &[Entry<'_>], t: &Twist) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut offsets = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let crc = crc32fast::hash(e.data);
        offsets.push(out.len() as u32);
        if t.all_at_first && i > 0 {
            continue;
        }
        out.extend(b"PK\x03\x04");
        out.extend(20u16.to_le_bytes());
        out.extend(t.flags.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // stored
        out.extend([0, 0, 0x21, 0]); // time, date: 1980-01-01
        out.extend(crc.to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend((e.data.len() as u32).to_le_bytes());
        out.extend((e.name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(e.name);
        out.extend(e.data);
        if let Some((at, gap)) = &t.gap_after
            && *at == i
        {
            out.extend(gap);
        }
    }
    for (i, e) in entries.iter().enumerate() {
        let offset = if t.all_at_first {
            offsets[0]
        } else {
            offsets[i]
        };
        central.extend(b"PK\x01\x02");
        central.extend((0x0300u16 | 20).to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(t.flags.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend([0, 0, 0x21, 0]);
        central.extend(crc32fast::hash(e.data).to_le_bytes());
        central.extend((e.data.len() as u32).to_le_bytes());
        central.extend((e.data.len() as u32).to_le_bytes());
        central.extend((e.name.len() as u16).to_le_bytes());
        central.extend([0, 0, 0, 0, 0, 0, 0, 0]); // extra, comment, disk, internal
        central.extend((0o100644u32 << 16).to_le_bytes());
        central.extend(offset.to_le_bytes());
        central.extend(e.name);
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    let count = t.count.unwrap_or(entries.len() as u16);
    out.extend(b"PK\x05\x06");
    out.extend([0, 0, 0, 0]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(&t.trailing);
    out
}

fn base_entries() -> Vec<Entry<'static>> {
    vec![
        Entry {
            name: b"app.py",
            data: b"print('hello')\n",
        },
        Entry {
            name: b"lib/util.py",
            data: b"X = 1\n",
        },
        Entry {
            name: b"lib/more.py",
            data: b"Y = 2\n",
        },
    ]
}

/// A build manifest for `bytes` as `dist/fn.zip`, listing `members` (what a member-by-member
/// reader saw: the same for both builds).
fn manifest_for(bytes: &[u8], members: &[repro::archive::Member]) -> repro::manifest::Manifest {
    use repro::manifest::{Build, Host, Manifest, Output};
    use std::collections::BTreeMap;
    let output = Output {
        path: "dist/fn.zip".into(),
        kind: "archive".into(),
        size: bytes.len() as u64,
        sha256: repro::digest::sha256(bytes).hex(),
        members: members.to_vec(),
        nested: Vec::new(),
    };
    let build = Build {
        tool: BTreeMap::from([("name".into(), "repro".into())]),
        target: "cp312-manylinux_2_34_x86_64".into(),
        source_date_epoch: 1_700_000_000,
        environment: BTreeMap::new(),
        toolchains: BTreeMap::new(),
        inputs: Vec::new(),
        resolved: Vec::new(),
        command: vec!["make".into()],
        outputs: vec![output],
    };
    let host = Host {
        hostname: "h".into(),
        started: 1,
        duration_ms: 2,
        build_dir: "/b".into(),
    };
    Manifest::new(build, host)
}

/// Two build roots, each with its `dist/fn.zip` and manifest.
fn two_builds(a: &[u8], b: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.zip");
    std::fs::write(&plain, raw_zip(&base_entries(), &Twist::default())).unwrap();
    let members = repro::archive::walk(&plain, &Default::default()).unwrap();
    for (side, bytes) in [("a", a), ("b", b)] {
        let root = dir.path().join(side);
        std::fs::create_dir_all(root.join("dist")).unwrap();
        std::fs::write(root.join("dist/fn.zip"), bytes).unwrap();
        let m = manifest_for(bytes, &members);
        std::fs::write(
            dir.path().join(format!("{side}.json")),
            serde_json::to_vec_pretty(&m).unwrap(),
        )
        .unwrap();
    }
    let (ra, rb) = (dir.path().join("a"), dir.path().join("b"));
    (dir, ra, rb)
}

/// `repro diff --json` of the two manifests with their roots and a verification summary:
/// (exit code, kinds, the summary's verificationResult).
fn diff_builds(dir: &Path) -> (i32, Vec<String>, String, String) {
    let vsa = dir.join("vsa.json");
    let out = repro()
        .args(["diff", "--json"])
        .arg(dir.join("a.json"))
        .arg(dir.join("b.json"))
        .arg("--root-a")
        .arg(dir.join("a"))
        .arg("--root-b")
        .arg(dir.join("b"))
        .arg("--attest")
        .arg(&vsa)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_default();
    let kinds = report["differences"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|x| x["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let verdict = std::fs::read(&vsa)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .map(|v| {
            v["predicate"]["verificationResult"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    (
        code,
        kinds,
        verdict,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn identical_outputs_pass_and_the_summary_says_passed() {
    let zip = raw_zip(&base_entries(), &Twist::default());
    let (dir, _, _) = two_builds(&zip, &zip);
    let (code, kinds, verdict, text) = diff_builds(dir.path());
    assert_eq!((code, verdict.as_str()), (0, "PASSED"), "{kinds:?} {text}");
}

/// Each twist leaves the member list and every member's bytes as they were: a comparison of
/// members alone calls the pair identical. The bytes differ, so the verdict must not.
#[test]
fn bytes_outside_the_members_are_named_and_fail_the_summary() {
    let base = raw_zip(&base_entries(), &Twist::default());
    let cases: [(&str, Twist, &str); 5] = [
        (
            "bytes after the end record",
            Twist {
                trailing: b"hidden payload".to_vec(),
                ..Twist::default()
            },
            "trailing-data",
        ),
        (
            "unused bytes between entries",
            Twist {
                gap_after: Some((0, b"\0\0hidden\0\0".to_vec())),
                ..Twist::default()
            },
            "gap",
        ),
        (
            "a changed general-purpose flag",
            Twist {
                flags: 1 << 11,
                ..Twist::default()
            },
            "zip-field",
        ),
        (
            "an entry the end record does not count",
            Twist {
                count: Some(2),
                ..Twist::default()
            },
            "hidden-entry",
        ),
        (
            "a local header in the unused bytes",
            Twist {
                gap_after: Some((
                    1,
                    raw_zip(
                        &[Entry {
                            name: b"../../evil.py",
                            data: b"x",
                        }],
                        &Twist::default(),
                    )[..44]
                        .to_vec(),
                )),
                ..Twist::default()
            },
            "hidden-entry",
        ),
    ];
    for (what, twist, kind) in cases {
        let other = raw_zip(&base_entries(), &twist);
        assert_ne!(base, other, "{what}");
        let (dir, _, _) = two_builds(&base, &other);
        let (code, kinds, verdict, text) = diff_builds(dir.path());
        assert_eq!(code, 1, "{what}: {text}");
        assert_eq!(verdict, "FAILED", "{what}: {text}");
        assert!(
            kinds.iter().any(|k| k == kind),
            "{what}: expected `{kind}` among {kinds:?}"
        );
        // The same pair compared directly, without manifests.
        let out = repro()
            .arg("diff")
            .arg(dir.path().join("a/dist/fn.zip"))
            .arg(dir.path().join("b/dist/fn.zip"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{what}");
    }
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

#[test]
fn a_second_gzip_member_is_named() {
    let tar = tar_of(&[("pkg-1.0/setup.py", b"setup()\n")]);
    let one = gz(&tar);
    // The second member holds only zero blocks: every tar reader lists the same members, and
    // a comparison of members alone calls the pair identical.
    let mut two = one.clone();
    two.extend(gz(&[0u8; 1024]));
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.tar.gz"), dir.path().join("b.tar.gz"));
    std::fs::write(&a, &one).unwrap();
    std::fs::write(&b, &two).unwrap();
    let out = repro()
        .args(["diff", "--json"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("\"gzip-member\""), "{text}");
}

#[test]
fn devices_and_fifos_are_refused_before_they_are_opened() {
    let start = Instant::now();
    let out = repro()
        .args(["diff", "/dev/zero", "/dev/full"])
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("character device"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(20));

    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for p in [&a, &b] {
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            p,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
    }
    let out = repro()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("FIFO"), "{err}");

    // A FIFO inside two trees is refused too, not silently equal.
    let (ta, tb) = (dir.path().join("ta"), dir.path().join("tb"));
    for t in [&ta, &tb] {
        std::fs::create_dir(t).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            t.join("pipe"),
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
    }
    let out = repro()
        .arg("diff")
        .arg(&ta)
        .arg(&tb)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("FIFO"), "{err}");
}

/// Ten central directory entries all pointing at one inner zip, nested: inflating it naively
/// multiplies by ten at every level. Overlapping entries are refused before anything inflates.
#[test]
fn nested_overlapping_zips_are_refused_at_once() {
    let mut inner = raw_zip(&base_entries(), &Twist::default());
    for level in 0..6 {
        let names: Vec<Vec<u8>> = (0..10)
            .map(|i| format!("l{level}-{i}.zip").into_bytes())
            .collect();
        let entries: Vec<Entry<'_>> = names
            .iter()
            .map(|n| Entry {
                name: n,
                data: &inner,
            })
            .collect();
        inner = raw_zip(
            &entries,
            &Twist {
                all_at_first: true,
                ..Twist::default()
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    std::fs::write(&a, &inner).unwrap();
    let mut other = inner.clone();
    other.extend(b"x");
    std::fs::write(&b, &other).unwrap();
    let out = repro()
        .arg("diff")
        .arg(&a)
        .arg(&b)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("overlap"), "{err}");
}

/// A central directory that claims more compressed bytes than the member really has (so that
/// the ratio looks harmless) runs into the next entry or the directory: refused.
#[test]
fn a_lying_compressed_size_is_refused() {
    let mut zip = raw_zip(&base_entries(), &Twist::default());
    // The first central entry starts right after the three local entries; its compressed size
    // is at offset 20 of the entry.
    let cd = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    zip[cd + 20..cd + 24].copy_from_slice(&1_000_000u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    std::fs::write(&a, raw_zip(&base_entries(), &Twist::default())).unwrap();
    std::fs::write(&b, &zip).unwrap();
    let out = repro().arg("diff").arg(&a).arg(&b).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("run into the central directory"), "{err}");
}
