//! One fixture per rule: each breaks exactly that rule, and the finding carries the rule's
//! code, its message and the exact `file:line`.

use crate::check_json;

struct Case {
    /// Path given to `repro check`.
    path: &'static str,
    /// Extra arguments.
    args: &'static [&'static str],
    /// Expected exit status.
    exit: i32,
    /// Expected code of the (only) finding.
    code: &'static str,
    /// Expected severity.
    severity: &'static str,
    /// Expected `file:line`.
    location: &'static str,
    /// Expected message.
    message: &'static str,
}

fn run(case: &Case) {
    let mut args: Vec<&str> = case.args.to_vec();
    args.push(case.path);
    let (code, report) = check_json(&args);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(
        findings.len(),
        1,
        "{}: expected exactly one finding, got {findings:#?}",
        case.path
    );
    let f = &findings[0];
    let location = match f["location"]["line"].as_u64().unwrap() {
        0 => f["location"]["file"].as_str().unwrap().to_string(),
        n => format!("{}:{n}", f["location"]["file"].as_str().unwrap()),
    };
    assert_eq!(f["code"], case.code, "{}", case.path);
    assert_eq!(f["severity"], case.severity, "{}", case.path);
    assert_eq!(location, case.location, "{}", case.path);
    assert_eq!(f["message"], case.message, "{}", case.path);
    assert_eq!(code, case.exit, "{}: exit status", case.path);
    assert_eq!(report["hermetic"], case.exit == 0, "{}", case.path);
}

macro_rules! rule_test {
    ($name:ident, $case:expr) => {
        #[test]
        fn $name() {
            run(&$case);
        }
    };
}

rule_test!(
    detects_unpinned,
    Case {
        path: "corpora/requirements-txt/nonhermetic/unpinned",
        args: &[],
        exit: 1,
        code: "unpinned",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/unpinned/requirements.txt:2",
        message: "`urllib3>=2.0` admits more than one version",
    }
);

rule_test!(
    detects_arbitrary_equality_as_warning,
    Case {
        path: "corpora/requirements-txt/nonhermetic/arbitrary-equality",
        args: &[],
        exit: 0,
        code: "arbitrary-equality",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/arbitrary-equality/requirements.txt:1",
        message: "`six===1.17.0` pins by string comparison",
    }
);

rule_test!(
    deny_warnings_fails_on_arbitrary_equality,
    Case {
        path: "corpora/requirements-txt/nonhermetic/arbitrary-equality",
        args: &["--deny", "warnings"],
        exit: 1,
        code: "arbitrary-equality",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/arbitrary-equality/requirements.txt:1",
        message: "`six===1.17.0` pins by string comparison",
    }
);

rule_test!(
    detects_missing_hash_in_hash_checking_mode,
    Case {
        path: "corpora/requirements-txt/nonhermetic/missing-hash",
        args: &[],
        exit: 1,
        code: "missing-hash",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/missing-hash/requirements.txt:2",
        message: "`urllib3==2.7.0` has no `--hash`, but other requirements in this file do: pip refuses to install it in hash-checking mode",
    }
);

rule_test!(
    detects_weak_hash,
    Case {
        path: "corpora/requirements-txt/nonhermetic/weak-hash",
        args: &[],
        exit: 1,
        code: "weak-hash",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/weak-hash/requirements.txt:1",
        message: "`six==1.17.0` allows a md5 hash; any one matching hash admits an artifact",
    }
);

rule_test!(
    detects_unhashed_url_requirement,
    Case {
        path: "corpora/requirements-txt/nonhermetic/url-requirement",
        args: &[],
        exit: 1,
        code: "url-requirement",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/url-requirement/requirements.txt:2",
        message: "`tool` comes from URL `https://files.example.org/tool-1.0-py3-none-any.whl` with no hash",
    }
);

rule_test!(
    detects_vcs_requirement,
    Case {
        path: "corpora/requirements-txt/nonhermetic/vcs-requirement",
        args: &[],
        exit: 1,
        code: "vcs-requirement",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/vcs-requirement/requirements.txt:2",
        message: "`tool` is checked out from `git+https://github.com/example/tool@v1.0#egg=tool`: a checkout has no hash",
    }
);

rule_test!(
    detects_editable_requirement,
    Case {
        path: "corpora/requirements-txt/nonhermetic/editable-requirement",
        args: &[],
        exit: 1,
        code: "editable-requirement",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/editable-requirement/requirements.txt:2",
        message: "the project at `./vendor/tool` is an editable install of `./vendor/tool`",
    }
);

rule_test!(
    detects_local_path_requirement,
    Case {
        path: "corpora/requirements-txt/nonhermetic/local-path-requirement",
        args: &[],
        exit: 1,
        code: "local-path-requirement",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/local-path-requirement/requirements.txt:2",
        message: "`tool` comes from local path `./dist/tool-1.0-py3-none-any.whl` with no hash",
    }
);

rule_test!(
    detects_extra_index_url,
    Case {
        path: "corpora/requirements-txt/nonhermetic/extra-index-url",
        args: &[],
        exit: 1,
        code: "extra-index-url",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/extra-index-url/requirements.txt:1",
        message: "`--extra-index-url https://internal.example.org/simple` lets two indexes serve the same names",
    }
);

rule_test!(
    reports_non_default_index,
    Case {
        path: "corpora/requirements-txt/nonhermetic/non-default-index",
        args: &[],
        exit: 0,
        code: "non-default-index",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/non-default-index/requirements.txt:1",
        message: "`--index-url https://mirror.example.org/simple` overrides the default index",
    }
);

rule_test!(
    reports_trusted_host,
    Case {
        path: "corpora/requirements-txt/nonhermetic/trusted-host",
        args: &[],
        exit: 0,
        code: "trusted-host",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/trusted-host/requirements.txt:1",
        message: "`--trusted-host mirror.example.org` turns off TLS verification for that host",
    }
);

rule_test!(
    reports_find_links,
    Case {
        path: "corpora/requirements-txt/nonhermetic/find-links",
        args: &[],
        exit: 0,
        code: "find-links",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/find-links/requirements.txt:1",
        message: "`--find-links ./wheels` adds an unindexed source of artifacts",
    }
);

rule_test!(
    detects_via_edge_to_unlocked_package,
    Case {
        path: "corpora/requirements-txt/nonhermetic/missing-dependency",
        args: &[],
        exit: 1,
        code: "missing-dependency",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/missing-dependency/requirements.txt:4",
        message: "`zope-event` is not locked, yet `# via zope-event` says it requires `six==1.17.0`",
    }
);

rule_test!(
    detects_unpinned_unsafe_section,
    Case {
        path: "corpora/requirements-txt/nonhermetic/unsafe-unpinned",
        args: &[],
        exit: 1,
        code: "unsafe-unpinned",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/unsafe-unpinned/requirements.txt:6",
        message: "`setuptools` is required but left unpinned as a comment",
    }
);

rule_test!(
    reports_orphan,
    Case {
        path: "corpora/requirements-txt/nonhermetic/orphan",
        args: &[],
        exit: 0,
        code: "orphan",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/orphan/requirements.txt:4",
        message: "`urllib3==2.7.0` has no `# via`: nothing requires it",
    }
);

rule_test!(
    detects_duplicate_requirement,
    Case {
        path: "corpora/requirements-txt/nonhermetic/duplicate-requirement",
        args: &[],
        exit: 1,
        code: "duplicate-requirement",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/duplicate-requirement/requirements.txt:3",
        message: "`six==1.16.0` is listed again (first at corpora/requirements-txt/nonhermetic/duplicate-requirement/requirements.txt:1)",
    }
);

rule_test!(
    detects_input_not_locked,
    Case {
        path: "corpora/requirements-txt/nonhermetic/input-not-locked",
        args: &[],
        exit: 1,
        code: "input-not-locked",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/input-not-locked/requirements.in:2",
        message: "`urllib3>=2` is not locked in `corpora/requirements-txt/nonhermetic/input-not-locked/requirements.txt`",
    }
);

rule_test!(
    detects_input_not_satisfied,
    Case {
        path: "corpora/requirements-txt/nonhermetic/input-not-satisfied",
        args: &[],
        exit: 1,
        code: "input-not-satisfied",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/input-not-satisfied/requirements.txt:1",
        message: "`six==1.16.0` does not satisfy `six>=1.17` asked at corpora/requirements-txt/nonhermetic/input-not-satisfied/requirements.in:1",
    }
);

rule_test!(
    detects_stale_top_level,
    Case {
        path: "corpora/requirements-txt/nonhermetic/stale-top-level",
        args: &[],
        exit: 1,
        code: "stale-top-level",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/stale-top-level/requirements.txt:4",
        message: "`urllib3==2.7.0` is a top-level requirement, but `corpora/requirements-txt/nonhermetic/stale-top-level/requirements.in` does not ask for it",
    }
);

rule_test!(
    detects_unreadable_input,
    Case {
        path: "corpora/requirements-txt/nonhermetic/input-unreadable",
        args: &[],
        exit: 1,
        code: "input-unreadable",
        severity: "error",
        location: "corpora/requirements-txt/nonhermetic/input-unreadable/requirements.in:1",
        message: "cannot check `corpora/requirements-txt/nonhermetic/input-unreadable/requirements.txt` against its input: corpora/requirements-txt/nonhermetic/input-unreadable/requirements.in:1: invalid requirement (column 5): no such comparison operator \">>>=\", must be one of ~= == != <= >= < > ===",
    }
);

rule_test!(
    reports_version_conflict_across_tree,
    Case {
        path: "corpora/requirements-txt/nonhermetic/version-conflict",
        args: &[],
        exit: 0,
        code: "version-conflict",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/version-conflict/b/requirements.txt:1",
        message: "`six` is pinned at 2 versions: 1.16.0 in 1 file, 1.17.0 in 1 file",
    }
);

rule_test!(
    reports_include_outside_tree,
    Case {
        path: "corpora/requirements-txt/nonhermetic/include-outside-tree/lock",
        args: &[],
        exit: 0,
        code: "include-outside-tree",
        severity: "warning",
        location: "corpora/requirements-txt/nonhermetic/include-outside-tree/lock/requirements.txt:1",
        message: "`corpora/requirements-txt/nonhermetic/include-outside-tree/lock/requirements.txt` includes `../shared-base.txt`, outside the checked tree",
    }
);

rule_test!(
    detects_sdist_only_in_uv_lock,
    Case {
        path: "corpora/uv-lock/nonhermetic/sdist-only",
        args: &[],
        exit: 0,
        code: "sdist-only",
        severity: "warning",
        location: "corpora/uv-lock/nonhermetic/sdist-only/uv.lock:32",
        message: "`six==1.17.0` has only a source distribution: building it needs build dependencies the lock does not pin",
    }
);

rule_test!(
    detects_missing_dependency_in_uv_lock_with_chain,
    Case {
        path: "corpora/uv-lock/nonhermetic/missing-dependency",
        args: &[],
        exit: 1,
        code: "missing-dependency",
        severity: "error",
        location: "corpora/uv-lock/nonhermetic/missing-dependency/uv.lock:5",
        message: "idna (from lambda-app==0.1.0 -> corpora/uv-lock/nonhermetic/missing-dependency/uv.lock:5) is not locked",
    }
);

rule_test!(
    detects_unpinned_git_in_uv_lock,
    Case {
        path: "corpora/uv-lock/nonhermetic/git-unpinned",
        args: &[],
        exit: 1,
        code: "git-unpinned",
        severity: "error",
        location: "corpora/uv-lock/nonhermetic/git-unpinned/uv.lock:51",
        message: "`tool` comes from `https://github.com/example/tool?branch=main`, not pinned to a full commit",
    }
);

rule_test!(
    detects_missing_checksum_in_cargo_lock,
    Case {
        path: "corpora/cargo-lock/nonhermetic/missing-checksum",
        args: &[],
        exit: 1,
        code: "missing-checksum",
        severity: "error",
        location: "corpora/cargo-lock/nonhermetic/missing-checksum/Cargo.lock:19",
        message: "registry crate `ryu==1.0.18` has no checksum",
    }
);

rule_test!(
    detects_unpinned_git_in_cargo_lock,
    Case {
        path: "corpora/cargo-lock/nonhermetic/git-unpinned",
        args: &[],
        exit: 1,
        code: "git-unpinned",
        severity: "error",
        location: "corpora/cargo-lock/nonhermetic/git-unpinned/Cargo.lock:10",
        message: "`tool` comes from `https://github.com/example/tool`, not pinned to a full commit",
    }
);

#[test]
fn pylock_without_artifacts_is_not_hermetic() {
    let (code, report) = check_json(&["corpora/pylock/nonhermetic/missing-hash"]);
    assert_eq!(code, 1);
    let codes: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(codes, vec![("missing-hash", 4), ("url-requirement", 9)]);
}

/// A file name that is a path would be written wherever it points, by `build` and `store
/// export`: the lock is not hermetic.
#[test]
fn pylock_artifact_names_must_be_plain_file_names() {
    let (code, report) = check_json(&["corpora/pylock/nonhermetic/unsafe-file-name"]);
    assert_eq!(code, 1);
    let codes: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(codes, vec![("unsafe-file-name", 4)]);
}

#[test]
fn every_rule_code_has_a_fixture_test() {
    // Codes are a public contract; a new rule must come with a fixture test in this file that
    // expects it (as `code: "…"` in a case, or as the first element of an expected tuple).
    let source: String = include_str!("check_rules.rs").split_whitespace().collect();
    for code in repro::check::Code::ALL {
        let quoted = format!("code:\"{}\"", code.as_str());
        let in_tuple = format!("(\"{}\",", code.as_str());
        assert!(
            source.contains(&quoted) || source.contains(&in_tuple),
            "no fixture test for rule `{code}`"
        );
    }
}

#[test]
fn valid_fixtures_are_hermetic() {
    for dir in [
        "corpora/requirements-txt/valid",
        "corpora/uv-lock/valid",
        "corpora/pylock/valid",
        "corpora/cargo-lock/valid",
    ] {
        let (code, report) = check_json(&[dir]);
        assert_eq!(report["findings"], serde_json::json!([]), "{dir}");
        assert_eq!(code, 0, "{dir}");
    }
}

/// Full closure from wheel metadata: a uv.lock whose wheels come from a local folder into the
/// store (offline), then `check --target` reads each wheel's `Requires-Dist`.
#[test]
fn full_closure_from_wheel_metadata() {
    use crate::support::{sha256_hex, wheel_with_requires};
    let dir = tempfile::tempdir().unwrap();
    let alpha = wheel_with_requires(
        "alpha",
        "1.0",
        "py3-none-any",
        "",
        &[
            "beta>=3",
            "gamma ; sys_platform == 'linux'",
            "delta ; sys_platform == 'win32'",
            "epsilon ; extra == 'fast'",
            "beta[speed]",
        ],
    );
    let beta = wheel_with_requires(
        "beta",
        "2.0",
        "py3-none-any",
        "",
        &["eta ; extra == 'speed'"],
    );
    let zeta_sdist = b"not a wheel".to_vec();
    let folder = dir.path().join("wheels");
    std::fs::create_dir(&folder).unwrap();
    for (name, bytes) in [
        ("a.whl", &alpha),
        ("b.whl", &beta),
        ("z.tar.gz", &zeta_sdist),
    ] {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let artifact = |name: &str, bytes: &[u8]| {
        format!(
            "{{ url = \"https://files.example.org/{name}\", hash = \"sha256:{}\", size = {} }}",
            sha256_hex(bytes),
            bytes.len()
        )
    };
    let lock = format!(
        r#"version = 1
revision = 3
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "alpha" }}, {{ name = "zeta" }}]

[[package]]
name = "alpha"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [{{ name = "beta" }}]
wheels = [{}]

[[package]]
name = "beta"
version = "2.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [{}]

[[package]]
name = "zeta"
version = "3.0"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {}
"#,
        artifact("alpha-1.0-py3-none-any.whl", &alpha),
        artifact("beta-2.0-py3-none-any.whl", &beta),
        artifact("zeta-3.0.tar.gz", &zeta_sdist),
    );
    let lock_path = dir.path().join("uv.lock");
    std::fs::write(&lock_path, lock).unwrap();
    let store = dir.path().join("store");
    let out = crate::repro()
        .args([
            "fetch",
            "--offline",
            "--target",
            "lambda-python3.12-x86_64",
            "--store",
        ])
        .arg(&store)
        .arg("--find-links")
        .arg(&folder)
        .arg(&lock_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (code, report) = check_json(&[
        "--store",
        store.to_str().unwrap(),
        "--target",
        "lambda-python3.12-x86_64",
        lock_path.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    let found: Vec<(&str, u64, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["location"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "missing-dependency",
                11,
                "alpha==1.0 requires gamma (marker: sys_platform == 'linux'), not locked in uv.lock"
            ),
            (
                "metadata-unsatisfied",
                11,
                "alpha==1.0 requires beta>=3, but uv.lock pins beta==2.0"
            ),
            (
                "missing-dependency",
                18,
                "beta==2.0 requires eta (marker: extra == 'speed'), not locked in uv.lock"
            ),
            (
                "metadata-unavailable",
                24,
                "no wheel of `zeta==3.0` for `cp312-manylinux_2_34_x86_64` is in the store: its requirements are unchecked"
            ),
            (
                "sdist-only",
                24,
                "`zeta==3.0` has only a source distribution: building it needs build dependencies the lock does not pin"
            ),
        ]
    );
}
