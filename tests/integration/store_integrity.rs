//! The store stays what was admitted: builds get copies, never links; whatever hands an object
//! out proves its SHA-256 first; every record is checked and never silently replaced; an object
//! whose record was lost to a crash is reported and mended; file names from locks, indexes and
//! records never reach the file system unchecked.

use std::path::{Path, PathBuf};

use crate::build::two_wheel_mirror;
use crate::repro;
use crate::support::{Server, sha256_hex};

/// A tree with one function's requirements, a store, and a mirror serving its two wheels.
struct Setup {
    _server: Server,
    index: String,
    files: Vec<(String, Vec<u8>)>,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let (server, index, files) = two_wheel_mirror();
        let dir = tempfile::tempdir().unwrap();
        crate::build::setup_tree(dir.path(), &files);
        let s = Setup {
            _server: server,
            index,
            files,
            dir,
        };
        let (code, out) = s.run(&["fetch"], &["functions"]);
        assert_eq!(code, 0, "{out}");
        s
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn object(&self, i: usize) -> PathBuf {
        let h = sha256_hex(&self.files[i].1);
        self.store()
            .join("v1/objects/sha256")
            .join(&h[..2])
            .join(&h)
    }

    fn record(&self, i: usize) -> PathBuf {
        let h = sha256_hex(&self.files[i].1);
        self.store()
            .join("v1/records/sha256")
            .join(&h[..2])
            .join(format!("{h}.json"))
    }

    /// `repro COMMAND --store S --index-url I ARGS…` in the tree: (exit code, stdout + stderr).
    fn run(&self, command: &[&str], args: &[&str]) -> (i32, String) {
        let out = repro()
            .args(command)
            .arg("--store")
            .arg(self.store())
            .args(if matches!(command[0], "fetch" | "build") {
                vec!["--index-url", self.index.as_str()]
            } else {
                vec![]
            })
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn verify(&self, extra: &[&str]) -> (i32, serde_json::Value) {
        let out = repro()
            .args(["store", "verify", "--json", "--store"])
            .arg(self.store())
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout).unwrap_or_default(),
        )
    }
}

fn writable(path: &Path) {
    let mut perms = std::fs::metadata(path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(path, perms).unwrap();
}

fn problem_kinds(report: &serde_json::Value) -> Vec<String> {
    report["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .map(|x| x["problem"]["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_build_step_that_patches_its_wheelhouse_cannot_reach_the_store() {
    let s = Setup::new();
    let (code, out) = s.run(
        &["build"],
        &[
            "functions",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--output",
            "dist",
            "--",
            "sh",
            "-c",
            "for w in .repro/wheelhouse/*.whl; do printf patched >> \"$w\"; done; mkdir -p dist; echo ok > dist/out",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(s.verify(&[]).0, 0, "the build changed the store");
    // A second build finds its patched wheelhouse copies and replaces them with proven ones.
    let (code, out) = s.run(
        &["build"],
        &[
            "functions",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--output",
            "dist",
            "--",
            "sh",
            "-c",
            "sha256sum .repro/wheelhouse/*.whl > dist/sums",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let sums = std::fs::read_to_string(s.dir.path().join("dist/sums")).unwrap();
    for (_, bytes) in &s.files {
        assert!(sums.contains(&sha256_hex(bytes)), "{sums}");
    }
}

#[test]
fn a_changed_store_object_is_refused_by_fetch_export_and_build() {
    let s = Setup::new();
    let victim = s.object(0);
    writable(&victim);
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[40] ^= 1;
    std::fs::write(&victim, &bytes).unwrap();

    let (code, out) = s.run(&["fetch"], &["functions"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed after it was admitted"), "{out}");

    let export = s.dir.path().join("wheelhouse");
    let (code, out) = s.run(
        &["store", "export"],
        &[
            export.to_str().unwrap(),
            "--target",
            "lambda-python3.12-x86_64",
            "functions",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(!export.join(&s.files[0].0).exists(), "{out}");

    let (code, out) = s.run(
        &["build"],
        &[
            "functions",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--output",
            "dist",
            "--",
            "true",
        ],
    );
    assert_eq!(code, 1, "{out}");
}

#[test]
fn a_record_naming_another_file_is_not_exported_under_that_name() {
    let s = Setup::new();
    let record = s.record(0);
    let mut r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    r["filenames"] = serde_json::json!(["evil-6.6-py3-none-any.whl"]);
    std::fs::write(&record, serde_json::to_vec(&r).unwrap()).unwrap();
    let export = s.dir.path().join("wheelhouse");
    let (code, out) = s.run(
        &["store", "export"],
        &[
            export.to_str().unwrap(),
            "--target",
            "lambda-python3.12-x86_64",
            "functions",
        ],
    );
    // The name comes from what the index said about the digest (kept in the store), never
    // from a record naming a file of another package.
    assert_eq!(code, 0, "{out}");
    assert!(!export.join("evil-6.6-py3-none-any.whl").exists(), "{out}");
    assert!(export.join(&s.files[0].0).exists(), "{out}");
    // Without that answer, nothing names the file: an error, still not the record's name.
    std::fs::remove_dir_all(s.store().join("v1/answers")).unwrap();
    std::fs::remove_dir_all(&export).unwrap();
    let (code, out) = s.run(
        &["store", "export"],
        &[
            export.to_str().unwrap(),
            "--target",
            "lambda-python3.12-x86_64",
            "functions",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(!export.join("evil-6.6-py3-none-any.whl").exists(), "{out}");
    // A record listing a path is not a record repro reads.
    r["filenames"] = serde_json::json!(["../../../escape-1.0-py3-none-any.whl"]);
    std::fs::write(&record, serde_json::to_vec(&r).unwrap()).unwrap();
    let (code, report) = s.verify(&[]);
    assert_eq!(code, 1);
    assert_eq!(problem_kinds(&report), vec!["bad-record"], "{report}");
}

#[test]
fn records_that_cannot_be_read_are_reported_and_never_rewritten() {
    let s = Setup::new();
    let record = s.record(1);
    std::fs::write(&record, b"{ not json").unwrap();
    for deep in [&[][..], &["--deep"][..]] {
        let (code, report) = s.verify(deep);
        assert_eq!(code, 1, "{report}");
        assert_eq!(problem_kinds(&report), vec!["bad-record"], "{report}");
        assert_eq!(std::fs::read(&record).unwrap(), b"{ not json");
    }
    // A record that names another object.
    let other = sha256_hex(&s.files[0].1);
    let mut good: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.record(0)).unwrap()).unwrap();
    good["sha256"] = serde_json::json!(other);
    std::fs::write(&record, serde_json::to_vec(&good).unwrap()).unwrap();
    let (code, report) = s.verify(&[]);
    assert_eq!(
        (code, problem_kinds(&report)),
        (1, vec!["bad-record".to_string()])
    );
    // --repair sets the bad record aside and writes a fresh one.
    let (code, report) = s.verify(&["--repair"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report["problems"][0]["repaired"]
            .as_str()
            .unwrap_or("")
            .contains("set aside"),
        "{report}"
    );
    let aside = s
        .store()
        .join("v1/quarantine")
        .join(format!("{}.record.json", sha256_hex(&s.files[1].1)));
    assert!(aside.exists());
    assert_eq!(s.verify(&[]).0, 0);
}

#[test]
fn an_object_without_a_record_is_reported_and_mended_by_the_next_fetch() {
    let s = Setup::new();
    std::fs::remove_file(s.record(0)).unwrap();
    let (code, report) = s.verify(&[]);
    assert_eq!(code, 1);
    assert_eq!(problem_kinds(&report), vec!["missing-record"], "{report}");
    // Offline, the index's kept answer still names the file: the record is mended.
    let (code, out) = s.run(&["fetch"], &["--offline", "functions"]);
    assert_eq!(code, 0, "{out}");
    assert!(s.record(0).exists());
    std::fs::remove_file(s.record(0)).unwrap();
    // Without it, nothing knows the object's file name: the fetch says why, not "missing".
    std::fs::remove_dir_all(s.store().join("v1/answers")).unwrap();
    let (code, out) = s.run(&["fetch"], &["--offline", "functions"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("has no record"), "{out}");
    // The next fetch proves the object (no download) and writes its record back.
    let (code, out) = s.run(&["fetch"], &["functions"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 downloaded"), "{out}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.record(0)).unwrap()).unwrap();
    assert_eq!(r["filenames"][0], s.files[0].0.as_str(), "{r}");
    assert_eq!(s.verify(&[]).0, 0);
    // A record whose object is gone is reported too.
    let object = s.object(1);
    writable(&object);
    std::fs::remove_file(&object).unwrap();
    let (code, report) = s.verify(&[]);
    assert_eq!(code, 1);
    assert_eq!(problem_kinds(&report), vec!["orphan-record"], "{report}");
}

#[test]
fn deep_verify_of_a_store_it_cannot_write_keeps_healthy_verdicts() {
    let s = Setup::new();
    // The member index cannot be written back: the records lock cannot be taken (a directory
    // where the lock file should be, since tests may run as root, whom permissions do not stop).
    let lock = s.store().join("v1/records.lock");
    let _ = std::fs::remove_file(&lock);
    std::fs::create_dir(&lock).unwrap();
    let (code, report) = s.verify(&["--deep"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn lock_file_names_never_reach_the_file_system_unchecked() {
    let s = Setup::new();
    let lock = s.dir.path().join("evil/pylock.toml");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let h = sha256_hex(&s.files[1].1);
    std::fs::write(
        &lock,
        format!(
            "lock-version = \"1.0\"\ncreated-by = \"hand\"\n\n[[packages]]\nname = \"beta\"\nversion = \"2.0\"\nwheels = [{{ name = \"../../../../../../escape-2.0-py3-none-any.whl\", url = \"{}/files/beta-2.0-py3-none-any.whl\", hashes = {{ sha256 = \"{h}\" }} }}]\n",
            s.index.trim_end_matches("/simple/")
        ),
    )
    .unwrap();
    let (code, out) = s.run(&["check"], &["evil"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unsafe-file-name"), "{out}");
    let (code, out) = s.run(
        &["build"],
        &[
            "evil",
            "--target",
            "lambda-python3.12-x86_64",
            "--output",
            "dist",
            "--",
            "true",
        ],
    );
    assert_ne!(code, 0, "{out}");
    // Six `..` from the wheelhouse (`.repro/wheelhouse` in the tree) reach an ancestor of the
    // tree, or the root: nothing may have been written to any of them.
    let wheelhouse = s.dir.path().join(".repro/wheelhouse");
    for dir in wheelhouse.ancestors() {
        let p = dir.join("escape-2.0-py3-none-any.whl");
        assert!(!p.exists(), "{} was written", p.display());
    }
}

/// A file the store did not write, whatever its name (non-ASCII, not a digest, in the wrong
/// fan-out directory, not UTF-8), is reported as `bad-name` and set aside by `--repair`; it is
/// never sliced into a path or opened as an object. (`store verify` used to panic slicing `aé`.)
#[test]
fn stray_files_with_any_name_are_reported_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let s = Setup::new();
    let objects = s.store().join("v1/objects/sha256");
    let h = sha256_hex(&s.files[0].1);
    let strays = [
        objects.join("ab").join("aé"),
        objects.join("é").join("x"),
        objects.join("00").join(&h),
        objects.join(&h[..2]).join(h.to_uppercase()),
        objects
            .join("ff")
            .join(std::ffi::OsStr::from_bytes(b"\xff\xfe")),
        s.store().join("v1/records/sha256/ab/aé.json"),
    ];
    for p in &strays {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"stray").unwrap();
    }
    let (code, report) = s.verify(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(problem_kinds(&report), vec!["bad-name"; strays.len()]);
    let (code, report) = s.verify(&["--repair"]);
    assert_eq!(code, 1, "{report:#}");
    assert!(strays.iter().all(|p| !p.exists()));
    let (code, report) = s.verify(&[]);
    assert_eq!(code, 0, "{report:#}");
}
