//! Live smoke tests against the real PyPI and crates.io. They need the network, so they are
//! ignored by default; run them with `cargo test --test integration live -- --ignored`.
//! They fetch one small lock each (two PyPI packages, one crate): cheap.

use crate::repro;
use crate::support::ConnectProxy;

#[test]
#[ignore = "needs the live PyPI"]
fn live_pypi_fetch_export_and_pip_install_offline() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let lock = "corpora/requirements-txt/valid/uv-compiled/requirements.txt";
    let out = repro()
        .args(["fetch", "--target", "lambda-python3.12-x86_64", "--store"])
        .arg(&store)
        .arg(lock)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let house = dir.path().join("wheelhouse");
    let out = repro()
        .args(["store", "export"])
        .arg(&house)
        .arg(lock)
        .args(["--target", "lambda-python3.12-x86_64", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let site = dir.path().join("site");
    let pip = std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "--require-hashes",
            "--disable-pip-version-check",
        ])
        .args([
            "--only-binary=:all:",
            "--platform",
            "manylinux_2_34_x86_64",
            "--python-version",
            "3.12",
        ])
        .arg("--find-links")
        .arg(&house)
        .arg("--target")
        .arg(&site)
        .arg("-r")
        .arg(lock)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_FIND_LINKS")
        .output()
        .unwrap();
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    assert!(site.join("six.py").is_file());
    assert!(site.join("urllib3").is_dir());
}

#[test]
#[ignore = "needs the live crates.io"]
fn live_crates_io_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let out = repro()
        .args(["fetch", "--store"])
        .arg(dir.path().join("store"))
        .arg("corpora/cargo-lock/valid/v3/Cargo.lock")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 artifacts (all): 2 downloaded"), "{text}");
}

#[test]
#[ignore = "needs the live PyPI"]
fn live_fetch_through_an_https_proxy() {
    let proxy = ConnectProxy::start();
    let dir = tempfile::tempdir().unwrap();
    let out = repro()
        .args(["fetch", "--store"])
        .arg(dir.path().join("store"))
        .arg("corpora/requirements-txt/valid/uv-compiled")
        .env("HTTPS_PROXY", &proxy.url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let tunnels = proxy.tunnels();
    assert!(
        tunnels.iter().any(|t| t.starts_with("pypi.org:443")),
        "{tunnels:?}"
    );
    assert!(
        tunnels
            .iter()
            .any(|t| t.starts_with("files.pythonhosted.org:443")),
        "{tunnels:?}"
    );
}

#[test]
#[ignore = "needs the live PyPI"]
fn ssl_cert_file_is_honoured() {
    // An empty trust store must make TLS fail: proof that SSL_CERT_FILE is what is read.
    let dir = tempfile::tempdir().unwrap();
    let out = repro()
        .args(["fetch", "--retries", "1", "--store"])
        .arg(dir.path().join("store"))
        .arg("corpora/requirements-txt/valid/uv-compiled")
        .env("SSL_CERT_FILE", "/dev/null")
        .env("SSL_CERT_DIR", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("No CA certificates were loaded"), "{text}");
}
