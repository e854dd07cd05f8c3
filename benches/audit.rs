//! `repro audit` as a user runs it (the release binary, a fresh process per run): the SOAR
//! corpus against the whole OSV snapshot scanned cold and through an index (and through the
//! index with the report encrypted to an age recipient, `--encrypt-to`: the difference is what
//! encryption costs), and uv's Cargo.lock (683 crates) against the RustSec export. `benches/audit_compare.sh` puts the same
//! runs beside `cargo audit`.
//!
//! `cargo build --release && cargo bench --bench audit` (the snapshot is `../shared/osv`, or
//! `$REPRO_OSV_SNAPSHOT`; without it the bundled extract `corpora/osv` is used).

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};

fn snapshot(root: &Path) -> PathBuf {
    let full = std::env::var_os("REPRO_OSV_SNAPSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/osv"));
    if full.is_dir() {
        full
    } else {
        root.join("corpora/osv")
    }
}

fn run(bin: &Path, root: &Path, args: &[&str], db: &Path, report: &Path) {
    let st = Command::new(bin)
        .current_dir(root)
        .arg("audit")
        .args(args)
        .arg("--db")
        .arg(db)
        .args(["--now", "2026-12-03", "-qq", "--report"])
        .arg(report)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.code().is_some_and(|c| c < 2), "audit failed");
}

fn bench_audit(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/repro");
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    let osv = snapshot(root);
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.txt");
    let index = tmp.path().join("osv.idx");
    let st = Command::new(&bin)
        .arg("db")
        .arg("index")
        .arg(&osv)
        .arg("--out")
        .arg(&index)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let mut g = c.benchmark_group("audit");
    g.sample_size(20);
    g.bench_function("soar-corpus/whole-snapshot/cold", |b| {
        b.iter(|| run(&bin, root, &["corpora/opensecops-soar"], &osv, &report))
    });
    g.bench_function("soar-corpus/whole-snapshot/index", |b| {
        b.iter(|| run(&bin, root, &["corpora/opensecops-soar"], &index, &report))
    });
    let recipient = age::x25519::Identity::generate().to_public().to_string();
    let encrypted = tmp.path().join("report.age");
    g.bench_function("soar-corpus/whole-snapshot/index/encrypt-to", |b| {
        b.iter(|| {
            run(
                &bin,
                root,
                &["corpora/opensecops-soar", "--encrypt-to", &recipient],
                &index,
                &encrypted,
            )
        })
    });
    let crates = osv.join("crates");
    g.bench_function("uv-cargo-lock/rustsec/cold", |b| {
        b.iter(|| run(&bin, root, &["corpora/cargo/Cargo.lock"], &crates, &report))
    });
    g.finish();
}

criterion_group!(benches, bench_audit);
criterion_main!(benches);
