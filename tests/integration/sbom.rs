//! `repro sbom` and `repro sbom query`.

use std::path::Path;

use crate::repro;

fn sbom(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = repro()
        .current_dir(cwd)
        .args([
            "sbom",
            "--source-date-epoch",
            "1700000000",
            "--name",
            "soar",
            "--version",
            "1.2.3",
        ])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_same_locks_give_the_same_bytes_from_any_checkout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [a.path(), b.path()] {
        let dst = d.join("locks");
        std::fs::create_dir_all(dst.join("fn")).unwrap();
        std::fs::copy(
            root.join("corpora/requirements-txt/valid/pip-compiled/requirements.txt"),
            dst.join("fn/requirements.txt"),
        )
        .unwrap();
        std::fs::copy(
            root.join("corpora/cargo-lock/valid/v3/Cargo.lock"),
            dst.join("Cargo.lock"),
        )
        .unwrap();
    }
    let run = |d: &Path| {
        repro()
            .current_dir(d)
            .args(["sbom", "--source-date-epoch", "1700000000", "locks"])
            .output()
            .unwrap()
            .stdout
    };
    let (x, y) = (run(a.path()), run(b.path()));
    assert!(!x.is_empty());
    assert_eq!(x, y);
}

#[test]
fn components_carry_purls_hashes_users_and_the_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, doc, err) = sbom(
        root,
        &[
            "corpora/requirements-txt/valid/pip-compiled",
            "corpora/cargo-lock/valid/v3",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(doc["metadata"]["component"]["name"], "soar");
    assert_eq!(doc["metadata"]["component"]["version"], "1.2.3");
    assert!(
        doc["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    let comps = doc["components"].as_array().unwrap();
    let find = |purl: &str| {
        comps
            .iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("no {purl}"))
    };
    let te = find("pkg:pypi/typing-extensions@4.15.0");
    assert_eq!(te["scope"], "required");
    assert_eq!(te["hashes"][0]["alg"], "SHA-256");
    assert_eq!(
        te["properties"][0]["value"],
        "corpora/requirements-txt/valid/pip-compiled/requirements.txt"
    );
    assert_eq!(find("pkg:cargo/itoa@1.0.11")["type"], "library");
    let apps: Vec<_> = comps
        .iter()
        .filter(|c| c["type"] == "application")
        .collect();
    assert_eq!(apps.len(), 2);
    let deps = doc["dependencies"].as_array().unwrap();
    let edges = |r: &str| -> Vec<String> {
        deps.iter().find(|d| d["ref"] == r).unwrap()["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        edges("pkg:pypi/python-dateutil@2.9.0.post0"),
        vec!["pkg:pypi/six@1.17.0"]
    );
    assert!(
        edges("app:corpora/requirements-txt/valid/pip-compiled/requirements.txt")
            .contains(&"pkg:pypi/python-dateutil@2.9.0.post0".to_string())
    );
    assert_eq!(
        edges("app:corpora/cargo-lock/valid/v3/Cargo.lock"),
        vec!["pkg:cargo/itoa@1.0.11", "pkg:cargo/ryu@1.0.18"]
    );
    assert_eq!(edges("release").len(), 2);
    let (_, v15, _) = sbom(root, &["--spec", "1.5", "corpora/cargo-lock/valid/v3"]);
    assert_eq!(v15["specVersion"], "1.5");
}

#[test]
fn query_answers_are_we_affected_across_sboms() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for (name, locks) in [
        ("r1.json", "corpora/opensecops-soar"),
        ("r2.json", "corpora/cargo-lock/valid/v3"),
    ] {
        let out = repro()
            .args(["sbom", "--source-date-epoch", "1", "--name", name, "--out"])
            .arg(dir.path().join(name))
            .arg(root.join(locks))
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let q = |args: &[&str]| {
        repro()
            .args(["sbom", "query"])
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let hit = q(&["urllib3", "<2.8"]);
    assert_eq!(hit.status.code(), Some(1));
    let text = String::from_utf8_lossy(&hit.stdout);
    assert!(
        text.contains("urllib3==2.7.0 used by")
            && text.contains("functions/ai/query_ai/requirements.txt"),
        "{text}"
    );
    assert_eq!(q(&["urllib3", "<2.5"]).status.code(), Some(0));
    assert_eq!(
        q(&["Typing_Extensions"]).status.code(),
        Some(1),
        "names are normalized"
    );
    assert_eq!(
        q(&["itoa", ">=1.0.10, <1.0.12"]).status.code(),
        Some(1),
        "semver for crates"
    );
    assert_eq!(q(&["itoa", "<1.0.0"]).status.code(), Some(0));
}

#[test]
fn a_lock_that_does_not_parse_fails_and_leaves_no_sbom() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("sbom.json");
    let out = repro()
        .args(["sbom", "--source-date-epoch", "1", "--out"])
        .arg(&out_file)
        .arg(root.join("corpora/uv-lock/invalid/uv.lock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("uv.lock:4"));
    assert!(!out_file.exists());
}

#[test]
fn licences_come_from_the_store_and_are_checked_against_an_allow_list() {
    use crate::support::{sha256_hex, tar_gz};
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let wheel = |name: &str, header: &str| {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(
            format!("{name}-1.0.dist-info/METADATA"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(
            format!("Metadata-Version: 2.4\nName: {name}\nVersion: 1.0\n{header}\n").as_bytes(),
        )
        .unwrap();
        w.finish().unwrap();
        buf.into_inner()
    };
    let mit = wheel("mitpkg", "License-Expression: MIT");
    // A classifier that leaves the version open stays a name (the GPLv3 one maps to
    // GPL-3.0-only: see `metadata::classifiers`).
    let gpl = wheel(
        "gplpkg",
        "Classifier: License :: OSI Approved :: BSD License",
    );
    let krate = tar_gz(&[(
        "dual-1.0.0/Cargo.toml",
        b"[package]\nname = \"dual\"\nversion = \"1.0.0\"\nlicense = \"MIT OR Apache-2.0\"\n",
    )]);
    let folder = dir.path().join("files");
    std::fs::create_dir(&folder).unwrap();
    for (n, b) in [("a", &mit), ("b", &gpl), ("c", &krate)] {
        std::fs::write(folder.join(n), b).unwrap();
    }
    let w = |name: &str, b: &[u8]| {
        format!(
            "{{ url = \"https://x/{name}-1.0-py3-none-any.whl\", hash = \"sha256:{}\" }}",
            sha256_hex(b)
        )
    };
    std::fs::write(
        dir.path().join("uv.lock"),
        format!(
            "version = 1\nrequires-python = \">=3.12\"\n\n[[package]]\nname = \"mitpkg\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{}]\n\n[[package]]\nname = \"gplpkg\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{}]\n",
            w("mitpkg", &mit),
            w("gplpkg", &gpl)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Cargo.lock"),
        format!(
            "version = 4\n\n[[package]]\nname = \"dual\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            sha256_hex(&krate)
        ),
    )
    .unwrap();
    let store = dir.path().join("store");
    let fetch = repro()
        .args(["fetch", "--offline", "--find-links"])
        .arg(&folder)
        .arg("--store")
        .arg(&store)
        .arg(dir.path().join("uv.lock"))
        .arg(dir.path().join("Cargo.lock"))
        .output()
        .unwrap();
    assert!(
        fetch.status.success(),
        "{}",
        String::from_utf8_lossy(&fetch.stdout)
    );
    let (code, doc, err) = sbom(
        dir.path(),
        &["--store", store.to_str().unwrap(), "uv.lock", "Cargo.lock"],
    );
    assert_eq!(code, 0, "{err}");
    let comps = doc["components"].as_array().unwrap();
    let lic = |purl: &str| comps.iter().find(|c| c["purl"] == purl).unwrap()["licenses"].clone();
    assert_eq!(
        lic("pkg:pypi/mitpkg@1.0"),
        serde_json::json!([{"expression": "MIT"}])
    );
    assert_eq!(
        lic("pkg:pypi/gplpkg@1.0"),
        serde_json::json!([{"license": {"name": "BSD License"}}])
    );
    assert_eq!(
        lic("pkg:cargo/dual@1.0.0"),
        serde_json::json!([{"expression": "MIT OR Apache-2.0"}])
    );
    let report = repro()
        .current_dir(dir.path())
        .args([
            "sbom",
            "--source-date-epoch",
            "1",
            "--licenses-only",
            "--allow-licenses",
            "MIT",
            "--store",
        ])
        .arg(&store)
        .args(["uv.lock", "Cargo.lock"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{text}");
    assert!(
        text.contains("pkg:pypi/gplpkg@1.0: `BSD License` is not an SPDX expression"),
        "{text}"
    );
    assert!(
        !text.contains("dual") && !text.contains("mitpkg"),
        "MIT OR Apache-2.0 is satisfied by MIT: {text}"
    );
    // An ambient `REPRO_STORE` only locates the store: it never adds licences to a document.
    let bytes = |env: Option<&Path>| {
        let mut cmd = repro();
        cmd.current_dir(dir.path()).args([
            "sbom",
            "--source-date-epoch",
            "1",
            "uv.lock",
            "Cargo.lock",
        ]);
        if let Some(st) = env {
            cmd.env("REPRO_STORE", st);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let plain = bytes(None);
    assert_eq!(bytes(Some(&store)), plain, "REPRO_STORE changed the SBOM");
    assert!(!String::from_utf8_lossy(&plain).contains("MIT OR Apache-2.0"));
}

#[test]
fn an_sbom_of_a_build_lists_the_exact_artifacts_installed() {
    use repro::manifest::{Build, Host, InputFile, Manifest, Resolved};
    let dir = tempfile::tempdir().unwrap();
    let build = Build {
        tool: Default::default(),
        target: "cp312-manylinux_2_34_x86_64".into(),
        source_date_epoch: 1_700_000_000,
        environment: Default::default(),
        toolchains: Default::default(),
        inputs: vec![InputFile {
            path: "fn/requirements.txt".into(),
            sha256: "ab".into(),
        }],
        resolved: vec![Resolved {
            ecosystem: "pypi".into(),
            name: "Six".into(),
            version: "1.17.0".into(),
            filename: "six-1.17.0-py2.py3-none-any.whl".into(),
            sha256: "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274".into(),
            blake3: "00ff".into(),
            size: 11050,
            used_by: vec![],
        }],
        command: vec![],
        outputs: vec![],
    };
    let m = Manifest::new(
        build,
        Host {
            hostname: "h".into(),
            started: 0,
            duration_ms: 0,
            build_dir: "/".into(),
        },
    );
    let path = dir.path().join("m.json");
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let (code, doc, err) = sbom(dir.path(), &["--manifest", "m.json"]);
    assert_eq!(code, 0, "{err}");
    let six = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purl"] == "pkg:pypi/six@1.17.0")
        .unwrap()
        .clone();
    assert_eq!(
        six["hashes"],
        serde_json::json!([
            {"alg": "SHA-256", "content": "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"},
            {"alg": "BLAKE3", "content": "00ff"}
        ])
    );
    // A manifest of another schema version is refused, and nothing is written.
    std::fs::write(&path, br#"{"schema": "repro.manifest/v7"}"#).unwrap();
    let out = repro()
        .current_dir(dir.path())
        .args(["sbom", "--manifest", "m.json", "--out", "s.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("m.json"));
    assert!(!dir.path().join("s.json").exists());
}

/// Resolves `http://cyclonedx.org/schema/<file>` to the vendored copy in one folder of
/// `tests/schemas`: validation is offline.
struct VendoredSchemas(&'static str);

impl jsonschema::Retrieve for VendoredSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.as_str().rsplit('/').next().unwrap_or("");
        let name = name.split('#').next().unwrap_or("");
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/schemas")
            .join(self.0)
            .join(name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}

pub(crate) fn validate_1_5(doc: &serde_json::Value) -> Vec<String> {
    validate(doc, "cyclonedx-1.5", "bom-1.5.SNAPSHOT.schema.json")
}

pub(crate) fn validate_1_6(doc: &serde_json::Value) -> Vec<String> {
    validate(doc, "cyclonedx", "bom-1.6.schema.json")
}

fn validate(doc: &serde_json::Value, folder: &'static str, file: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(folder)
        .join(file);
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(root).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_retriever(VendoredSchemas(folder))
        .build(&schema)
        .expect("the CycloneDX schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn sboms_validate_against_the_official_cyclonedx_1_6_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for locks in [
        &["corpora/opensecops-soar"][..],
        &["corpora/cargo/Cargo.lock"][..],
        &[
            "corpora/uv-lock/valid",
            "corpora/pylock/valid",
            "corpora/requirements-txt/valid",
        ][..],
    ] {
        let (code, doc, err) = sbom(root, locks);
        assert_eq!(code, 0, "{err}");
        let errors = validate_1_6(&doc);
        assert!(errors.is_empty(), "{locks:?}: {errors:#?}");
    }
    let (_, doc15, _) = sbom(
        root,
        &[
            "--spec",
            "1.5",
            "corpora/opensecops-soar",
            "corpora/cargo/Cargo.lock",
        ],
    );
    let errors = validate(&doc15, "cyclonedx-1.5", "bom-1.5.SNAPSHOT.schema.json");
    assert!(errors.is_empty(), "1.5: {errors:#?}");
    // And the validator does reject what the schema forbids.
    let (_, mut doc, _) = sbom(root, &["corpora/cargo-lock/valid/v3"]);
    doc["components"][0]["type"] = serde_json::json!("not-a-type");
    assert!(!validate_1_6(&doc).is_empty());
}

/// Opt-in interop: the reference CycloneDX Python library loads and strictly validates repro's
/// SBOMs (1.6 and 1.5). Needs `pip install cyclonedx-bom`; run with
/// `cargo test --test integration cyclonedx_python -- --ignored`.
#[test]
#[ignore = "needs cyclonedx-python-lib (pip install cyclonedx-bom)"]
fn cyclonedx_python_lib_accepts_our_sboms() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (spec, version) in [("1.6", "V1_6"), ("1.5", "V1_5")] {
        let out = repro()
            .current_dir(root)
            .args([
                "sbom",
                "--source-date-epoch",
                "1",
                "--spec",
                spec,
                "corpora/opensecops-soar",
                "corpora/cargo/Cargo.lock",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bom.json");
        std::fs::write(&file, &out.stdout).unwrap();
        let script = format!(
            "import sys\nfrom cyclonedx.schema import SchemaVersion\nfrom cyclonedx.validation.json import JsonStrictValidator\n\
             err = JsonStrictValidator(SchemaVersion.{version}).validate_str(open(sys.argv[1]).read())\nprint(err or 'ok')\nsys.exit(1 if err else 0)\n"
        );
        let py = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            py.status.success(),
            "{spec}: {}{}",
            String::from_utf8_lossy(&py.stdout),
            String::from_utf8_lossy(&py.stderr)
        );
    }
}

#[test]
fn wheel_metadata_adds_edges_the_lock_does_not_record() {
    use crate::support::{sha256_hex, wheel_with_requires};
    let dir = tempfile::tempdir().unwrap();
    let alpha = wheel_with_requires(
        "alpha",
        "1.0",
        "py3-none-any",
        "",
        &["beta>=1", "gamma ; extra == 'x'"],
    );
    let beta = wheel_with_requires("beta", "2.0", "py3-none-any", "", &[]);
    let gamma = wheel_with_requires("gamma", "3.0", "py3-none-any", "", &[]);
    let folder = dir.path().join("files");
    std::fs::create_dir(&folder).unwrap();
    let mut lock = String::from("version = 1\nrequires-python = \">=3.12\"\n");
    for (n, v, b) in [
        ("alpha", "1.0", &alpha),
        ("beta", "2.0", &beta),
        ("gamma", "3.0", &gamma),
    ] {
        std::fs::write(folder.join(n), b).unwrap();
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{{ url = \"https://x/{n}-{v}-py3-none-any.whl\", hash = \"sha256:{}\" }}]\n",
            sha256_hex(b)
        ));
    }
    std::fs::write(dir.path().join("uv.lock"), lock).unwrap();
    let store = dir.path().join("store");
    let fetch = repro()
        .args(["fetch", "--offline", "--find-links"])
        .arg(&folder)
        .arg("--store")
        .arg(&store)
        .arg(dir.path().join("uv.lock"))
        .output()
        .unwrap();
    assert!(
        fetch.status.success(),
        "{}",
        String::from_utf8_lossy(&fetch.stdout)
    );
    let edges = |args: &[&str]| -> Vec<String> {
        let (code, doc, err) = sbom(dir.path(), args);
        assert_eq!(code, 0, "{err}");
        doc["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == "pkg:pypi/alpha@1.0")
            .unwrap()["dependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert!(edges(&["uv.lock"]).is_empty(), "the lock records no edges");
    assert_eq!(
        edges(&["--store", store.to_str().unwrap(), "uv.lock"]),
        vec!["pkg:pypi/beta@2.0"]
    );
}

/// A `SOURCE_DATE_EPOCH` that is not a whole number of seconds in the calendar's range is an
/// error, not silently replaced by the last commit's time.
#[test]
fn an_unusable_source_date_epoch_is_an_error() {
    for bad in ["yesterday", "1.5", "99999999999999"] {
        let out = repro()
            .env("SOURCE_DATE_EPOCH", bad)
            .args([
                "sbom",
                "--name",
                "x",
                "--version",
                "1",
                "corpora/requirements-txt/valid/uv-compiled",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("`SOURCE_DATE_EPOCH` is not a whole number of seconds"),
            "{err}"
        );
    }
}

/// Unidecode declares `License: GPL` and the classifier `GPLv2+`: its SBOM licence is
/// `GPL-2.0-or-later` (it was reported as `GPL-2.0-only`); the classifier table maps the
/// GPLv3 classifier to `GPL-3.0-only`.
#[test]
fn a_gpl_or_later_classifier_is_gpl_or_later_in_the_sbom() {
    use crate::support::sha256_hex;
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let wheel = |name: &str, headers: &str| {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(
            format!("{name}-1.0.dist-info/METADATA"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{headers}\n").as_bytes(),
        )
        .unwrap();
        w.finish().unwrap();
        buf.into_inner()
    };
    let wheels = [
        (
            "unidecode",
            wheel(
                "unidecode",
                "License: GPL\nClassifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
            ),
        ),
        (
            "gplthree",
            wheel(
                "gplthree",
                "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
            ),
        ),
    ];
    let folder = dir.path().join("files");
    std::fs::create_dir(&folder).unwrap();
    for (name, bytes) in &wheels {
        std::fs::write(folder.join(name), bytes).unwrap();
    }
    let store = dir.path().join("store");
    let uv_lock: String = wheels
        .iter()
        .map(|(name, bytes)| {
            format!(
                "[[package]]\nname = \"{name}\"\nversion = \"1.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\nwheels = [{{ url = \"https://x/{name}-1.0-py3-none-any.whl\", hash = \"sha256:{}\" }}]\n\n",
                sha256_hex(bytes)
            )
        })
        .collect();
    std::fs::write(
        dir.path().join("uv.lock"),
        format!("version = 1\nrequires-python = \">=3.9\"\n\n{uv_lock}"),
    )
    .unwrap();
    let fetch = repro()
        .args(["fetch", "--offline", "--find-links"])
        .arg(&folder)
        .arg("--store")
        .arg(&store)
        .arg(dir.path().join("uv.lock"))
        .output()
        .unwrap();
    assert!(
        fetch.status.success(),
        "{}{}",
        String::from_utf8_lossy(&fetch.stdout),
        String::from_utf8_lossy(&fetch.stderr)
    );
    let (code, doc, err) = sbom(dir.path(), &["--store", store.to_str().unwrap(), "uv.lock"]);
    assert_eq!(code, 0, "{err}");
    let comps = doc["components"].as_array().unwrap();
    let lic = |purl: &str| comps.iter().find(|c| c["purl"] == purl).unwrap()["licenses"].clone();
    assert_eq!(
        lic("pkg:pypi/unidecode@1.0"),
        serde_json::json!([{"expression": "GPL-2.0-or-later"}])
    );
    assert_eq!(
        lic("pkg:pypi/gplthree@1.0"),
        serde_json::json!([{"expression": "GPL-3.0-only"}])
    );
}

/// `repro sbom query FILE ARGS…` from the repository root: (exit code, stdout, stderr).
fn query_in(args: &[&str]) -> (i32, String, String) {
    let out = repro()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["sbom", "query"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `repro audit --sbom PATH` against the committed OSV corpus: (exit code, stdout, stderr).
fn audit_sbom(path: &Path) -> (i32, String, String) {
    let out = repro()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("audit")
        .arg("--sbom")
        .arg(path)
        .args([
            "--db",
            "corpora/osv",
            "--now",
            "2026-12-03",
            "--show",
            "--json",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// SBOMs made by cyclonedx-py 7.5.0 in each spec version (licences as `{"license": {"id":
/// "MIT"}}`, which failed deserialization before) are read by both commands.
// See: issue 16 ("`repro audit --sbom` and `repro sbom query` reject valid CycloneDX made by
// cyclonedx-py 7.5").
#[test]
fn cyclonedx_py_sboms_of_every_spec_version_are_read() {
    for spec in ["1.4", "1.5", "1.6"] {
        let file = format!("corpora/cyclonedx/valid/cyclonedx-py/environment-{spec}.cdx.json");
        let (code, out, err) = query_in(&[&file, "cyclonedx-python-lib", ">=11"]);
        assert_eq!(code, 1, "{spec}: {out}{err}");
        assert!(out.contains("cyclonedx-python-lib==11.12.0"), "{out}");
        let (code, out, err) = audit_sbom(Path::new(&file));
        assert!(code == 0 || code == 1, "{spec}: {out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(report["findings"].is_array(), "{report}");
    }
    // The SBOM of a SOAR function finds what the audit of its lock finds.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, from_sbom, err) = audit_sbom(
        &root.join("corpora/cyclonedx/valid/cyclonedx-py/requirements-query_ai-1.6.cdx.json"),
    );
    assert_eq!(code, 1, "{from_sbom}{err}");
    let ids = |text: &str| -> Vec<String> {
        let r: serde_json::Value = serde_json::from_str(text).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {} {}", f["id"], f["package"], f["version"]))
            .collect()
    };
    let out = repro()
        .current_dir(root)
        .args([
            "audit",
            "corpora/opensecops-soar/functions/ai/query_ai/requirements.txt",
        ])
        .args([
            "--db",
            "corpora/osv",
            "--now",
            "2026-12-03",
            "--show",
            "--json",
        ])
        .output()
        .unwrap();
    let from_lock = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!ids(&from_lock).is_empty(), "{from_lock}");
    assert_eq!(ids(&from_sbom), ids(&from_lock));
}

/// Components nested in components are found; missing optional fields are fine.
#[test]
fn nested_components_and_missing_fields_are_read() {
    let file = "corpora/cyclonedx/valid/hand-made/nested-minimal.cdx.json";
    let (code, out, err) = query_in(&[file, "itoa", ">=1.0.10, <1.0.12"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("bundle@ ") && out.contains("itoa==1.0.11"),
        "{out}"
    );
    let (code, out, err) = query_in(&[file, "urllib3", "<2.8"]);
    assert_eq!(code, 1, "{out}{err}");
}

/// A file that cannot be read is exit 2 naming it, alone or inside a directory; a directory
/// without any SBOM is exit 2 too: never "0 matches in 0 SBOMs".
#[test]
fn an_unreadable_sbom_is_an_error_never_skipped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for bad in ["truncated.cdx.json", "component-without-name.cdx.json"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            root.join("corpora/cyclonedx/valid/cyclonedx-py/environment-1.6.cdx.json"),
            dir.path().join("a.json"),
        )
        .unwrap();
        std::fs::copy(
            root.join("corpora/cyclonedx/invalid").join(bad),
            dir.path().join(bad),
        )
        .unwrap();
        let (code, out, err) = query_in(&[dir.path().to_str().unwrap(), "six"]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(bad), "{err}");
        let (code, out, err) = audit_sbom(dir.path());
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains(bad), "{err}");
    }
    // A link to nothing cannot be read either.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("link.json")).unwrap();
    let (code, _, err) = query_in(&[dir.path().to_str().unwrap(), "six"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("link.json"), "{err}");
    // JSON that is not CycloneDX is not an SBOM: with nothing else there, no answer is given.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package.json"), b"{\"name\": \"x\"}").unwrap();
    let (code, out, err) = query_in(&[dir.path().to_str().unwrap(), "six"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("no CycloneDX SBOM"), "{err}");
}

/// Opt-in: make SBOMs with cyclonedx-py now (`pip install cyclonedx-bom`; set `CYCLONEDX_PY` to
/// the `cyclonedx-py` executable) in each spec version and read them back.
#[test]
#[ignore = "needs cyclonedx-py (pip install cyclonedx-bom); set CYCLONEDX_PY"]
fn sboms_made_by_cyclonedx_py_now_are_read() {
    let tool = std::env::var("CYCLONEDX_PY").unwrap_or_else(|_| "cyclonedx-py".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for spec in ["1.4", "1.5", "1.6"] {
        let file = dir.path().join(format!("soar-{spec}.json"));
        let made = std::process::Command::new(&tool)
            .args(["requirements", "--spec-version", spec, "-o"])
            .arg(&file)
            .arg(root.join("corpora/opensecops-soar/functions/ai/query_ai/requirements.txt"))
            .status()
            .unwrap();
        assert!(made.success());
        let (code, out, err) = query_in(&[file.to_str().unwrap(), "urllib3", "<2.8"]);
        assert_eq!(code, 1, "{spec}: {out}{err}");
    }
    let (code, out, err) = query_in(&[dir.path().to_str().unwrap(), "urllib3", "<2.8"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("in 3 SBOMs"), "{out}");
}

/// A CycloneDX SBOM from another tool: a package nested under another component, a purl whose
/// name and version disagree with the component's `name` and `version`, a `framework` with an
/// upper-case purl type. `repro audit --sbom` and `repro sbom query` see every one of them by
/// its purl, never skip it into a clean result.
#[test]
fn audit_and_query_see_nested_and_purl_named_components() {
    let dir = tempfile::tempdir().unwrap();
    let docs = [
        (
            "nested.json",
            serde_json::json!([{"type": "library", "name": "wrapper", "version": "1.0",
                "purl": "pkg:pypi/wrapper@1.0",
                "components": [{"type": "library", "name": "soupsieve", "version": "2.8.3",
                                "purl": "pkg:pypi/soupsieve@2.8.3"}]}]),
        ),
        (
            "renamed.json",
            serde_json::json!([{"type": "library", "name": "harmless", "version": "9.9",
                "purl": "pkg:pypi/soupsieve@2.8.3"}]),
        ),
        (
            "framework.json",
            serde_json::json!([{"type": "framework", "name": "soupsieve",
                "purl": "pkg:PyPI/soupsieve@2.8.3"}]),
        ),
    ];
    for (file, components) in docs {
        let path = dir.path().join(file);
        std::fs::write(
            &path,
            serde_json::to_vec(&serde_json::json!({
                "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                "components": components}))
            .unwrap(),
        )
        .unwrap();
        let out = repro()
            .args([
                "audit",
                "--db",
                "corpora/osv",
                "--now",
                "2026-12-03",
                "--show",
                "--json",
                "--sbom",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["summary"]["findings"], 2, "{file}: {r}");
        let out = repro()
            .args(["sbom", "query"])
            .arg(&path)
            .args(["soupsieve", "==2.8.3"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{file}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// A directory of SBOMs: a `.json` file that is not JSON, or a CycloneDX document that does not
/// parse, is an error naming it (exit 2), never skipped into "not affected"; a directory with no
/// SBOM at all is an error too. Other JSON documents beside the SBOMs are skipped.
#[test]
fn unreadable_sboms_in_a_directory_are_errors_not_skipped() {
    let good = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "name": "soupsieve", "version": "2.8.3",
                        "purl": "pkg:pypi/soupsieve@2.8.3"}]});
    let run = |dir: &Path| {
        let q = repro()
            .args(["sbom", "query"])
            .arg(dir)
            .args(["soupsieve"])
            .output()
            .unwrap();
        let a = repro()
            .args([
                "audit",
                "--db",
                "corpora/osv",
                "--now",
                "2026-12-03",
                "--show",
                "--sbom",
            ])
            .arg(dir)
            .output()
            .unwrap();
        (q, a)
    };
    for (broken, bytes) in [
        (
            "broken.json",
            b"{\"bomFormat\": \"CycloneDX\", garbage".to_vec(),
        ),
        (
            "typed.json",
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": "x"}"#
                .to_vec(),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), good.to_string()).unwrap();
        std::fs::write(dir.path().join("other.json"), br#"{"not": "an sbom"}"#).unwrap();
        std::fs::write(dir.path().join(broken), bytes).unwrap();
        let (q, a) = run(dir.path());
        for (what, out) in [("query", q), ("audit", a)] {
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{what} {broken}: {err}");
            assert!(err.contains(broken), "{what} {broken}: {err}");
        }
    }
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("other.json"), br#"{"not": "an sbom"}"#).unwrap();
    let (q, a) = run(empty.path());
    for (what, out) in [("query", q), ("audit", a)] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what} empty: {err}");
        assert!(err.contains("no CycloneDX"), "{what} empty: {err}");
    }
}
