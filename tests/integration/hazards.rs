//! Host leaks found on the first machine, and differences named from two manifests alone.
//!
//! `repro build` scans its outputs (files, archive members, members of nested archives) for the
//! build directory, `HOME`, the user and host names, the store and the interpreter's and tools'
//! paths, records each hit as a hazard, warns, and fails with `--deny hazards`. Manifests record
//! the members of nested archives, so `repro diff A.json B.json` names a difference inside a zip
//! in a tree, or inside a wheel in that zip, without the bytes. Builds run the real binary in
//! temporary build directories; zips are made with `repro pack`, console scripts by pip from a
//! loopback mirror, as in `build.rs`.

use std::path::{Path, PathBuf};

use crate::build::setup_tree;
use crate::repro;
use crate::support::{Server, wheel, wheel_with_dist_files};

const WHEEL: &str = "pkg-1.0-py3-none-any.whl";

/// A temporary machine: a build directory, a HOME and a store apart from each other.
struct Machine {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    home: PathBuf,
    store: PathBuf,
}

impl Machine {
    fn new() -> Machine {
        let tmp = tempfile::tempdir().unwrap();
        let (work, home, store) = (
            tmp.path().join("work"),
            tmp.path().join("builder-home"),
            tmp.path().join("store"),
        );
        for d in [&work, &home] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(work.join("requirements.txt"), "").unwrap();
        Machine {
            _tmp: tmp,
            work,
            home,
            store,
        }
    }

    /// `repro build … --output dist [extra…] -- sh -c SCRIPT` in the build directory, with this
    /// machine's HOME.
    fn build(&self, script: &str, extra: &[&str]) -> std::process::Output {
        repro()
            .current_dir(&self.work)
            .env("HOME", &self.home)
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
            .arg(&self.store)
            .args(["--output", "dist"])
            .args(extra)
            .args(["--", "sh", "-c", script])
            .output()
            .unwrap()
    }

    fn manifest(&self) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(self.work.join("repro-manifest.json")).unwrap())
            .unwrap()
    }
}

/// A build script making `dist/fn.zip`: `bin/tool` (a script whose first line is `shebang`),
/// `app/config.py` and `app/cache.py` (from files `config.txt` and `cache.txt` of the build
/// directory, when present), `app/main.py` from `main.txt`, and a wheel whose `pkg/mod.py`
/// comes from `mod.txt`.
fn lambda_script(shebang: &str) -> String {
    let repro = env!("CARGO_BIN_EXE_repro");
    format!(
        r#"set -e
rm -rf dist fn whl; mkdir -p dist fn/bin fn/app whl/pkg
printf '%s\nimport sys\n' "{shebang}" > fn/bin/tool; chmod 755 fn/bin/tool
for f in config cache main; do if [ -f $f.txt ]; then cp $f.txt fn/app/$f.py; fi; done
cp mod.txt whl/pkg/mod.py
"{repro}" pack -q whl fn/{WHEEL}
"{repro}" pack -q fn dist/fn.zip
"#
    )
}

/// The hazards of a manifest as (location, kind), sorted.
fn hazards(m: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = m["hazards"]
        .as_array()
        .expect("a hazards list")
        .iter()
        .map(|h| {
            (
                h["location"].as_str().unwrap().to_string(),
                h["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The build directory, the builder's HOME and the interpreter's path, written into members of
/// a zip and of a wheel inside it, are each recorded with where they are and what they are,
/// printed as warnings, reported in JSON, and fatal with `--deny hazards` (after the manifest
/// is written).
#[test]
fn host_paths_in_zip_and_wheel_members_are_hazards() {
    let m = Machine::new();
    let w = &m.work;
    std::fs::write(
        w.join("config.txt"),
        format!("DATA = '{}/data'\n", w.display()),
    )
    .unwrap();
    std::fs::write(
        w.join("cache.txt"),
        format!("CACHE = '{}/.cache/app'\n", m.home.display()),
    )
    .unwrap();
    std::fs::write(w.join("mod.txt"), format!("ROOT = '{}'\n", w.display())).unwrap();
    let script = lambda_script("#!$(python3 -c 'import sys; print(sys.executable)')");
    let out = m.build(&script, &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let expected = [
        ("dist/fn.zip!/app/cache.py", "home"),
        ("dist/fn.zip!/app/config.py", "build-dir"),
        ("dist/fn.zip!/bin/tool", "interpreter-path"),
        (
            "dist/fn.zip!/pkg-1.0-py3-none-any.whl!/pkg/mod.py",
            "build-dir",
        ),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(l, k)| (l.to_string(), k.to_string()))
        .collect();
    let manifest = m.manifest();
    assert_eq!(hazards(&manifest), expected, "{all}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning[hazard]: dist/fn.zip!/bin/tool: interpreter-path: #!/"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning[hazard]: dist/fn.zip!/pkg-1.0-py3-none-any.whl!/pkg/mod.py: build-dir: ROOT = '"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("4 host-specific strings"), "{stderr}");
    // The hazards are host facts: not part of the build id.
    let build_id = manifest["build_id"].clone();

    let out = m.build(&script, &["--deny", "hazards", "--json"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["hazards"].as_array().unwrap().len(), 4, "{all}");
    assert!(all.contains("`--deny hazards`"), "{all}");
    let manifest = m.manifest();
    assert_eq!(hazards(&manifest), expected);
    assert_eq!(manifest["build_id"], build_id);
}

/// The same build without host strings records no hazard, warns of none, and passes
/// `--deny hazards`.
#[test]
fn a_build_without_host_strings_has_no_hazards() {
    let m = Machine::new();
    std::fs::write(m.work.join("config.txt"), "DATA = 'data'\n").unwrap();
    std::fs::write(m.work.join("mod.txt"), "ROOT = '.'\n").unwrap();
    let out = m.build(
        &lambda_script("#!/usr/bin/env python3"),
        &["--deny", "hazards"],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("hazard"), "{all}");
    assert_eq!(m.manifest()["hazards"], serde_json::json!([]));
}

/// Two builds whose `dist/fn.zip` differ in one member, then in one member of the wheel inside
/// it: `repro diff` of the two manifests alone names that member, not just the zip.
#[test]
fn manifest_diff_names_members_of_zips_in_a_tree_and_of_wheels_in_them() {
    let (a, b) = (Machine::new(), Machine::new());
    let script = lambda_script("#!/usr/bin/env python3");
    let build = |m: &Machine, main: &str, module: &str| {
        std::fs::write(m.work.join("main.txt"), main).unwrap();
        std::fs::write(m.work.join("mod.txt"), module).unwrap();
        let out = m.build(&script, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        m.work.join("repro-manifest.json")
    };
    let diff = |x: &Path, y: &Path| {
        let out = repro()
            .args(["diff", "--json"])
            .arg(x)
            .arg(y)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let found: Vec<(String, String)> = report["differences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["location"].as_str().unwrap().to_string(),
                    d["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (out.status.code(), found)
    };
    let ma = build(&a, "X = 1\n", "Y = 1\n");
    let mb = build(&b, "X = 2\n", "Y = 1\n");
    let (code, found) = diff(&ma, &mb);
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        [(
            "dist/fn.zip!/app/main.py".to_string(),
            "content".to_string()
        )]
    );
    let mb = build(&b, "X = 1\n", "Y = 2\n");
    let (code, found) = diff(&ma, &mb);
    assert_eq!(code, Some(1));
    assert_eq!(
        found,
        [(
            format!("dist/fn.zip!/{WHEEL}!/pkg/mod.py"),
            "content".to_string()
        )]
    );
    let mb = build(&b, "X = 1\n", "Y = 1\n");
    assert_eq!(diff(&ma, &mb), (Some(0), vec![]));
}

/// A hostile wheel inside a zip in a tree output is refused as the walker refuses a hostile
/// output, and the error names it inside the zip.
#[test]
fn a_hostile_nested_archive_is_refused() {
    let m = Machine::new();
    let script = format!(
        r#"set -e
rm -rf dist; mkdir dist
python3 -c "
import io, zipfile
w = io.BytesIO()
with zipfile.ZipFile(w, 'w') as z: z.writestr('../../evil.py', 'x')
with zipfile.ZipFile('dist/fn.zip', 'w') as z: z.writestr('{WHEEL}', w.getvalue())
""#
    );
    let out = m.build(&script, &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains(&format!("`dist/fn.zip!/{WHEEL}!/../../evil.py`")),
        "{all}"
    );
}

/// A loopback mirror serving `alpha` (with a console script, `alpha-hello`, and `body` as its
/// module) and `beta`.
fn console_script_mirror(body: &str) -> (Server, String, Vec<(String, Vec<u8>)>) {
    let server = Server::start();
    let files = vec![
        (
            "alpha-1.0-py3-none-any.whl".to_string(),
            wheel_with_dist_files(
                "alpha",
                "1.0",
                "py3-none-any",
                body,
                &[],
                &[(
                    "entry_points.txt",
                    "[console_scripts]\nalpha-hello = alpha:main\n",
                )],
            ),
        ),
        (
            "beta-2.0-py3-none-any.whl".to_string(),
            wheel("beta", "2.0", "py3-none-any", "B = 2\n"),
        ),
    ];
    let index = server.serve_wheels(&files);
    (server, index, files)
}

/// `examples/build-lambda.sh` with pip: the console script pip installs starts with the
/// interpreter's absolute path, which the example rewrites. With the rewrite, the build has no
/// hazard and the zip's script is portable; without it, the first build already reports the
/// interpreter path inside the zip. The builder's HOME written in the locked wheel's own module
/// is no hazard: those bytes are the same on every machine.
#[test]
fn the_example_build_leaves_no_interpreter_path_in_console_scripts() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("builder-home");
    std::fs::create_dir_all(&home).unwrap();
    let (_server, index, files) = console_script_mirror(&format!(
        "CACHE = '{}/.cache/alpha'\n\ndef main():\n    print('hello')\n",
        home.display()
    ));
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/build-lambda.sh");
    let original = std::fs::read_to_string(example).unwrap();
    // The example as it was: pip's scripts left as pip wrote them.
    let start = original
        .find("        python3 - \"build/$fn\" <<'PY'\n")
        .unwrap();
    let end = original.find("\nPY\n").unwrap() + "\nPY\n".len();
    let unfixed = tmp.path().join("build-lambda-unfixed.sh");
    std::fs::write(
        &unfixed,
        format!("{}{}", &original[..start], &original[end..]),
    )
    .unwrap();
    let repro_bin = env!("CARGO_BIN_EXE_repro");
    let run = |dir: &Path, script: &Path| {
        std::fs::create_dir_all(dir).unwrap();
        setup_tree(dir, &files);
        let out = repro()
            .current_dir(dir)
            .env("HOME", &home)
            .args([
                "build",
                "functions",
                "--target",
                "lambda-python3.12-x86_64",
                "--source-date-epoch",
                "1700000000",
                "--output",
                "dist",
                "--store",
            ])
            .arg(tmp.path().join("store"))
            .args(["--index-url", &index, "--", "sh"])
            .arg(script)
            .args([repro_bin, "functions", "dist"])
            .output()
            .unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("repro-manifest.json")).unwrap_or_default(),
        )
        .unwrap_or_default();
        (out, manifest)
    };

    let (out, manifest) = run(&tmp.path().join("unfixed"), &unfixed);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(
        hazards(&manifest),
        [(
            "dist/hello.zip!/bin/alpha-hello".to_string(),
            "interpreter-path".to_string()
        )],
        "{all}"
    );
    assert!(
        all.contains("warning[hazard]: dist/hello.zip!/bin/alpha-hello: interpreter-path: #!/"),
        "{all}"
    );

    let fixed = tmp.path().join("fixed");
    let (out, manifest) = run(&fixed, Path::new(example));
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(manifest["hazards"], serde_json::json!([]), "{all}");
    let script = std::fs::read_to_string(fixed.join("build/hello/bin/alpha-hello")).unwrap();
    assert!(script.starts_with("#!/usr/bin/env python3\n"), "{script}");
    // The manifest names the script inside the zip, with its digest.
    let nested = manifest["build"]["outputs"][0]["nested"]
        .as_array()
        .unwrap();
    let recorded = nested
        .iter()
        .find(|m| m["path"] == "hello.zip!/bin/alpha-hello")
        .expect("the script is recorded inside the zip");
    assert_eq!(
        recorded["sha256"].as_str().unwrap(),
        crate::support::sha256_hex(script.as_bytes())
    );
    // RECORD still tells the truth about the rewritten script.
    let record = std::fs::read_dir(fixed.join("build/hello"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("alpha-1.0.dist-info"))
        .map(|d| std::fs::read_to_string(d.join("RECORD")).unwrap())
        .unwrap();
    let line = record
        .lines()
        .find(|l| l.contains("bin/alpha-hello"))
        .unwrap();
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(script.as_bytes()));
    assert!(
        line.ends_with(&format!(",sha256={digest},{}", script.len())),
        "{line}"
    );
}
