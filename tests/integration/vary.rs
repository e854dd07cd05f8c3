//! `repro build --vary`: each variation catches a build that depends on what it varies, a
//! well-behaved build stays reproducible under all of them, a variation this host cannot run is
//! reported as skipped with its reason, progress goes to stderr, and `--keep` keeps both builds.
//!
//! The variations that need a tool or a privilege are checked against this host: with the tool
//! missing (or not root), the test asserts that the variation is skipped and that the reason
//! names what is missing; with it present, that the fragile build is caught, or, where the host
//! refuses (no FUSE device, a seccomp filter on `personality`), that the skip names the probe
//! that failed. No assertion depends on timing.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::build::{setup_tree, two_wheel_mirror};
use crate::repro;

/// A build that gives the same output whatever varies.
const STEADY: &str =
    "echo same > out/same.txt; chmod 644 out/same.txt; touch -d @1700000000 out/same.txt";

/// A build tree (an empty lock and twenty small input files) in `tmp/tree`, the store beside.
fn tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    std::fs::create_dir_all(tree.join("in")).unwrap();
    std::fs::write(tree.join("requirements.txt"), "").unwrap();
    for i in 0..20 {
        std::fs::write(tree.join(format!("in/f{i:02}")), format!("{i}\n")).unwrap();
    }
    tmp
}

/// `repro build --vary ARGS… -- sh -c SCRIPT` in `tmp/tree`, output `out`.
fn run(tmp: &Path, script: &str, args: &[&str]) -> Output {
    let script = format!("rm -rf out; mkdir out; {script}");
    run_command(tmp, args, &["sh", "-c", &script])
}

/// `repro build --vary ARGS… -- COMMAND…` in `tmp/tree`, output `out`.
fn run_command(tmp: &Path, args: &[&str], command: &[&str]) -> Output {
    repro()
        .current_dir(tmp.join("tree"))
        .args([
            "build",
            "requirements.txt",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--offline",
            "--store",
        ])
        .arg(tmp.join("store"))
        .args(["--output", "out", "--vary"])
        .args(args)
        .arg("--")
        .args(command)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The JSON report of `--vary --json`.
fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

fn varied<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["variations"]["varied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
}

fn skipped(report: &Value, name: &str) -> Option<String> {
    report["variations"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .map(|v| v["reason"].as_str().unwrap().to_string())
}

/// The summary and detail of every difference at `location`.
fn difference(report: &Value, location: &str) -> Option<String> {
    let found: Vec<String> = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["location"] == location)
        .map(|d| format!("{} {}", d["summary"], d["detail"].as_str().unwrap_or("")))
        .collect();
    (!found.is_empty()).then(|| found.join("\n"))
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn allowed_cpus() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or("")
        .trim()
        .to_string();
    list.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('-') {
            Some((lo, hi)) => hi.parse::<usize>().unwrap() - lo.parse::<usize>().unwrap() + 1,
            None => 1,
        })
        .sum()
}

/// What a variation needs of the host.
#[derive(Clone, Copy)]
enum Need {
    Root,
    Tool(&'static str),
    TwoCpus,
}

/// Why this host must skip a variation needing `needs`: a word the reason must contain.
fn expected_skip(needs: &[Need]) -> Option<&'static str> {
    needs.iter().find_map(|n| match *n {
        Need::Root if !is_root() => Some("needs root"),
        Need::Tool(t) if which(t).is_none() => Some(t),
        Need::TwoCpus if allowed_cpus() < 2 => Some("1 CPU"),
        _ => None,
    })
}

/// Run the fragile `script` under `--vary --json` and check that `variation` catches it: the
/// output at `location` differs and its detail contains `needle` (the second build's value).
/// When this host cannot run the variation, check that it is reported as skipped and why.
/// Returns the report when the variation ran.
fn assert_caught(
    variation: &str,
    needs: &[Need],
    script: &str,
    location: &str,
    needle: &str,
) -> Option<Value> {
    let tmp = tree();
    let out = run(tmp.path(), script, &["--json"]);
    let report = report(&out);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        text(&out)
    );
    if let Some(word) = expected_skip(needs) {
        let reason = skipped(&report, variation)
            .unwrap_or_else(|| panic!("`{variation}` not skipped: {}", text(&out)));
        assert!(
            reason.contains(word),
            "`{variation}` skipped for `{reason}`, expected a reason naming `{word}`"
        );
        assert!(varied(&report, variation).is_none());
        return None;
    }
    if let Some(reason) = skipped(&report, variation) {
        // The tool is there but this host refuses it (no FUSE, a seccomp filter): the reason
        // must say which probe failed, not that something is missing.
        assert!(
            ["failed", "could not", "did not", "cannot"]
                .iter()
                .any(|w| reason.contains(w)),
            "`{variation}` skipped although its needs are met: {reason}"
        );
        return None;
    }
    assert!(
        varied(&report, variation).is_some(),
        "`{variation}` neither varied nor skipped: {}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let diff = difference(&report, location)
        .unwrap_or_else(|| panic!("`{location}` does not differ: {}", text(&out)));
    assert!(diff.contains(needle), "`{needle}` not in:\n{diff}");
    Some(report)
}

#[test]
fn vary_catches_a_build_that_records_its_home() {
    assert_caught(
        "home",
        &[],
        "echo \"$HOME\" > out/home.txt",
        "out/home.txt",
        "/b-home",
    );
}

#[test]
fn vary_catches_a_build_that_records_its_user_and_group() {
    let report = assert_caught(
        "user-group",
        &[Need::Root, Need::Tool("setpriv")],
        "id -u > out/uid.txt; id -g > out/gid.txt",
        "out/uid.txt",
        "\n+65534",
    );
    if let Some(report) = report {
        assert!(difference(&report, "out/gid.txt").is_some_and(|d| d.contains("\n+65534")));
    }
}

#[test]
fn vary_catches_a_build_that_records_its_host_and_domain_name() {
    let report = assert_caught(
        "domain-host",
        &[Need::Root, Need::Tool("unshare")],
        "uname -n > out/host.txt; cat /proc/sys/kernel/domainname > out/domain.txt",
        "out/host.txt",
        "+repro-second-host",
    );
    if let Some(report) = report {
        assert!(
            difference(&report, "out/domain.txt")
                .is_some_and(|d| d.contains("+repro-second-domain.invalid"))
        );
    }
}

#[test]
fn vary_catches_a_build_that_records_where_its_tools_are() {
    assert_caught(
        "exec-path",
        &[],
        "command -v sh > out/sh.txt",
        "out/sh.txt",
        "/b-tools/bin/sh",
    );
}

#[test]
fn vary_catches_a_build_that_records_its_interpreter_path() {
    assert_caught(
        "interpreter-path",
        &[Need::Tool("python3")],
        "python3 -c 'import sys; print(sys.executable)' > out/python.txt",
        "out/python.txt",
        "/b-tools/bin/python3",
    );
}

#[test]
fn vary_catches_a_build_that_records_the_kernel_version() {
    assert_caught(
        "kernel",
        &[Need::Tool("setarch")],
        "uname -r > out/kernel.txt",
        "out/kernel.txt",
        "+2.6.",
    );
}

#[test]
fn vary_catches_a_build_that_records_an_address_and_runs_the_first_without_aslr() {
    let tmp = tree();
    let keep = tmp.path().join("kept");
    let out = run(
        tmp.path(),
        "head -1 /proc/self/maps > out/maps.txt; cat /proc/self/personality > out/personality.txt",
        &["--json", "--keep", keep.to_str().unwrap()],
    );
    let report = report(&out);
    let randomized = std::fs::read_to_string("/proc/sys/kernel/randomize_va_space")
        .is_ok_and(|s| s.trim() != "0");
    let expected = match expected_skip(&[Need::Tool("setarch")]) {
        Some(word) => Some(word),
        None if !randomized => Some("randomize_va_space"),
        None => None,
    };
    if let Some(word) = expected {
        let reason = skipped(&report, "aslr").expect("aslr skipped");
        assert!(reason.contains(word), "{reason}");
        return;
    }
    if let Some(reason) = skipped(&report, "aslr") {
        assert!(reason.contains("failed"), "{reason}");
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        difference(&report, "out/maps.txt").is_some(),
        "{}",
        text(&out)
    );
    // ADDR_NO_RANDOMIZE (0x0040000) in the first build's personality only.
    let personality = |dir: &str| {
        let p = Path::new(dir).join("out/personality.txt");
        u32::from_str_radix(std::fs::read_to_string(p).unwrap().trim(), 16).unwrap()
    };
    let (a, b) = (
        report["a"].as_str().unwrap().to_string(),
        report["b"].as_str().unwrap().to_string(),
    );
    assert!(a.starts_with(keep.to_str().unwrap()), "{a}");
    assert_ne!(personality(&a) & 0x0040000, 0, "build 1 ran with ASLR");
    assert_eq!(personality(&b) & 0x0040000, 0, "build 2 ran without ASLR");
}

#[test]
fn vary_catches_a_build_that_records_the_cpu_count() {
    assert_caught(
        "num-cpus",
        &[Need::Tool("taskset"), Need::TwoCpus],
        "nproc > out/cpus.txt",
        "out/cpus.txt",
        "\n+1",
    );
}

#[test]
fn vary_catches_a_build_that_records_the_year() {
    // `-u`: the year in UTC, so that the time zone variation cannot be what differs.
    assert_caught(
        "time",
        &[Need::Tool("faketime")],
        "date -u +%Y > out/year.txt",
        "out/year.txt",
        "+",
    );
}

#[test]
fn vary_catches_a_build_that_lists_a_directory_unsorted() {
    let expect_skip = which("disorderfs").is_none().then_some("disorderfs");
    let tmp = tree();
    let out = run(tmp.path(), "ls -f in > out/order.txt", &["--json"]);
    let report = report(&out);
    match (expect_skip, skipped(&report, "directory-order")) {
        (Some(word), Some(reason)) => assert!(reason.contains(word), "{reason}"),
        (Some(_), None) => panic!("directory-order not skipped: {}", text(&out)),
        (None, Some(reason)) => assert!(reason.contains("could not mount"), "{reason}"),
        (None, None) => {
            assert!(varied(&report, "directory-order").is_some());
            // Twenty entries: the chance that a shuffle keeps their order is 1 in 20!.
            let diff = difference(&report, "out/order.txt")
                .unwrap_or_else(|| panic!("order not caught: {}", text(&out)));
            assert!(diff.contains("content differs"), "{diff}");
        }
    }
}

#[test]
fn vary_catches_a_build_that_records_its_locale() {
    assert_caught(
        "locale",
        &[],
        "echo \"$LC_ALL\" > out/locale.txt",
        "out/locale.txt",
        "\n+C",
    );
}

#[test]
fn vary_catches_a_build_that_records_its_environment_order() {
    // Not through a shell (nor a pyenv shim, a bash script): dash and bash export their
    // variables in their own order, whatever order they were given. Python keeps the order of
    // `environ`: run the interpreter itself.
    let Some(python) = which("python3").and_then(|p| {
        let out = std::process::Command::new(p)
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .ok()?;
        Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
    }) else {
        return;
    };
    let tmp = tree();
    let keep = tmp.path().join("kept");
    let out = run_command(
        tmp.path(),
        &["--json", "--keep", keep.to_str().unwrap()],
        &[
            &python,
            "-c",
            "import os; os.makedirs('out', exist_ok=True); \
             names = [k for k in os.environ if k in ('TZ', 'HOME', 'PATH', 'SOURCE_DATE_EPOCH')]; \
             open('out/env-order.txt', 'w').write('\\n'.join(names) + '\\n')",
        ],
    );
    let report = report(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        varied(&report, "environment-order").is_some(),
        "{}",
        text(&out)
    );
    assert!(
        difference(&report, "out/env-order.txt").is_some(),
        "order not caught: {}",
        text(&out)
    );
    // The first build sees them in the order repro sets them, the second in reverse.
    let order = |side: &str| {
        std::fs::read_to_string(Path::new(report[side].as_str().unwrap()).join("out/env-order.txt"))
            .unwrap()
    };
    assert_eq!(order("a"), "SOURCE_DATE_EPOCH\nTZ\nPATH\nHOME\n");
    assert_eq!(order("b"), "HOME\nPATH\nTZ\nSOURCE_DATE_EPOCH\n");
}

/// Every variation is in the plan, once: varied, or skipped with a reason.
fn assert_complete_plan(report: &Value) {
    let mut names: Vec<String> = Vec::new();
    for v in report["variations"]["varied"].as_array().unwrap() {
        assert!(v["first"].is_string() && v["second"].is_string(), "{v}");
        names.push(v["name"].as_str().unwrap().into());
    }
    for v in report["variations"]["skipped"].as_array().unwrap() {
        assert!(!v["reason"].as_str().unwrap().is_empty(), "{v}");
        names.push(v["name"].as_str().unwrap().into());
    }
    names.sort();
    let mut all = vec![
        "build-path",
        "umask",
        "timezone",
        "locale",
        "environment-order",
        "directory-order",
        "home",
        "user-group",
        "domain-host",
        "exec-path",
        "interpreter-path",
        "kernel",
        "aslr",
        "num-cpus",
        "time",
    ];
    all.sort();
    assert_eq!(names, all);
}

#[test]
fn vary_keeps_a_well_behaved_build_reproducible_under_every_variation() {
    let tmp = tree();
    let repro_bin = env!("CARGO_BIN_EXE_repro");
    // Sorted inputs, fixed modes and times, an interpreter that prints data (not itself), and
    // a zip from `repro pack`.
    let script = format!(
        "mkdir -p out/pkg; for f in $(LC_ALL=C ls in | LC_ALL=C sort); do cat in/$f >> out/all.txt; done; \
         if command -v python3 >/dev/null; then python3 -c 'print(sum(range(10)))' > out/py.txt; fi; \
         cp in/f00 out/pkg/a.txt; '{repro_bin}' pack -q out/pkg out/pkg.zip; rm -r out/pkg; \
         chmod 644 out/*; touch -d @$SOURCE_DATE_EPOCH out/* out"
    );
    let out = run(tmp.path(), &script, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stdout.starts_with("reproducible under variation: 1 output identical across two builds"),
        "{}",
        text(&out)
    );
    assert!(
        stdout.contains("varied between the two builds:\n"),
        "{stdout}"
    );
    // Progress on stderr, in order.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = |needle: &str| {
        stderr
            .find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{stderr}"))
    };
    assert!(at("build 1/2 in ") < at("build 2/2 in "), "{stderr}");
    assert!(at("build 2/2 in ") < at("diffing 1 output"), "{stderr}");
    assert!(stderr.contains("(build-path, umask, timezone"), "{stderr}");

    // The same as JSON: the diff report with the plan, every variation accounted for.
    let out = run(tmp.path(), &script, &["--json"]);
    let report = report(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["schema"], "repro.diff/v1");
    assert_eq!(report["identical"], true);
    assert_complete_plan(&report);
    assert!(out.stderr.is_empty(), "{}", text(&out));
}

#[test]
fn vary_reports_what_it_skips_in_text_and_json() {
    let tmp = tree();
    let out = run(tmp.path(), STEADY, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = run(tmp.path(), STEADY, &["--json"]);
    let report = report(&json);
    for s in report["variations"]["skipped"].as_array().unwrap() {
        let (name, reason) = (s["name"].as_str().unwrap(), s["reason"].as_str().unwrap());
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("`{name}` not in:\n{stdout}"));
        assert!(line.ends_with(reason), "{line}");
    }
    if !report["variations"]["skipped"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(stdout.contains("skipped (cannot vary here):\n"), "{stdout}");
    }
    // The tools that are missing here are named as such.
    for (name, tool) in [("time", "faketime"), ("directory-order", "disorderfs")] {
        if which(tool).is_none() {
            assert_eq!(
                skipped(&report, name).as_deref(),
                Some(format!("`{tool}` not found (Debian package {tool})").as_str())
            );
        }
    }
}

#[test]
fn vary_progress_is_hidden_when_quiet_or_json() {
    let tmp = tree();
    for args in [&["-q"][..], &["--json"][..]] {
        let out = run(tmp.path(), STEADY, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("build 1/2"), "{args:?}: {stderr}");
    }
}

#[test]
fn vary_keep_keeps_both_builds_owned_by_the_caller_and_refuses_a_full_directory() {
    let tmp = tree();
    let keep = tmp.path().join("kept");
    std::fs::create_dir(&keep).unwrap();
    std::fs::write(keep.join("something"), "").unwrap();
    let out = run(
        tmp.path(),
        "id -u > out/uid.txt",
        &["--keep", keep.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "refusing to keep the builds in `{}`: it exists and is not empty",
            keep.display()
        )),
        "{stderr}"
    );
    std::fs::remove_file(keep.join("something")).unwrap();

    // An empty directory, inside the build tree: it is not copied into the builds.
    let keep = tmp.path().join("tree/kept");
    let out = run(
        tmp.path(),
        "id -u > out/uid.txt; ls -a > out/top.txt",
        &["--json", "--keep", "kept"],
    );
    let report = report(&out);
    let kept = keep.canonicalize().unwrap();
    assert_eq!(report["kept"], kept.to_str().unwrap());
    let (a, b) = (
        PathBuf::from(report["a"].as_str().unwrap()),
        PathBuf::from(report["b"].as_str().unwrap()),
    );
    assert_eq!(a, kept.join("a"));
    assert_eq!(b, kept.join("b/a/much/deeper/build/path"));
    for dir in [&a, &b] {
        assert!(dir.join("out/uid.txt").is_file(), "{}", dir.display());
        let top = std::fs::read_to_string(dir.join("out/top.txt")).unwrap();
        assert!(!top.lines().any(|l| l == "kept"), "{top}");
    }
    // Whoever built it, everything kept belongs to the caller again.
    let me = std::fs::metadata("/proc/self").unwrap().uid();
    for e in walk(&kept) {
        let m = std::fs::symlink_metadata(&e).unwrap();
        assert_eq!(m.uid(), me, "{} is not ours", e.display());
    }
    if varied(&report, "user-group").is_some() {
        let uid = std::fs::read_to_string(b.join("out/uid.txt")).unwrap();
        assert_eq!(uid.trim(), "65534");
    }
    // Once used, it is no longer empty.
    let again = run(
        tmp.path(),
        "id -u > out/uid.txt",
        &["--keep", kept.to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                out.push(e.unwrap().path());
            }
        }
        i += 1;
    }
    out
}

#[test]
fn vary_names_the_build_that_failed() {
    let tmp = tree();
    // Fails in the second build only: its umask is 002.
    let out = run(tmp.path(), "test \"$(umask)\" = 0022", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the build command failed in build 2/2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: build 2 ran under: build-path "),
        "{stderr}"
    );
}

#[test]
fn vary_keeps_the_example_lambda_build_reproducible() {
    let (_server, index, files) = two_wheel_mirror();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tree");
    std::fs::create_dir_all(&dir).unwrap();
    setup_tree(&dir, &files);
    let repro_bin = env!("CARGO_BIN_EXE_repro");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/build-lambda.sh");
    let out = repro()
        .current_dir(&dir)
        .args([
            "build",
            "functions",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--output",
            "dist",
            "--json",
            "--store",
        ])
        .arg(tmp.path().join("store"))
        .args(["--index-url", &index, "--vary", "--"])
        .arg(script)
        .arg(repro_bin)
        .args(["functions", "dist"])
        .output()
        .unwrap();
    let report = report(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(report["identical"], true);
    assert_complete_plan(&report);
}

#[test]
fn vary_run_by_another_user_reports_the_root_only_variations_as_skipped() {
    // As root (CI), run repro itself as uid 65534, keeping only the right to read and search
    // (to reach the test binary wherever it is built); otherwise this process is not root and
    // the variation tests above already check these skips.
    let Some(setpriv) = which("setpriv").filter(|_| is_root()) else {
        return;
    };
    let tmp = tree();
    let chown = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let out = std::process::Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=+dac_read_search",
            "--ambient-caps=+dac_read_search",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_repro"))
        .current_dir(tmp.path().join("tree"))
        .args([
            "build",
            "requirements.txt",
            "--target",
            "lambda-python3.12-x86_64",
            "--source-date-epoch",
            "1700000000",
            "--offline",
            "--json",
            "--store",
        ])
        .arg(tmp.path().join("store"))
        .args(["--output", "out", "--vary", "--", "sh", "-c"])
        .arg(format!("rm -rf out; mkdir out; {STEADY}"))
        .output()
        .unwrap();
    let report = report(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        skipped(&report, "user-group").as_deref(),
        Some("needs root to run the second build as another user (running as uid 65534)")
    );
    assert_eq!(
        skipped(&report, "domain-host").as_deref(),
        Some(
            "needs root to give the second build its own UTS namespace (`unshare --uts`) (running as uid 65534)"
        )
    );
    assert_complete_plan(&report);
}
