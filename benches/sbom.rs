//! SBOM generation for the whole SOAR corpus, and `sbom query` over 100 SBOMs of that size.
//!
//! `cargo bench --bench sbom`

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use repro::lockfile;
use repro::sbom::Bom;
use repro::sbom::cyclonedx::{SpecVersion, render};

fn bench_sbom(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/opensecops-soar");
    let mut group = c.benchmark_group("sbom");
    group.bench_function("soar-corpus-80-files/parse+render", |b| {
        b.iter(|| {
            let locks: Vec<_> = lockfile::discover(&root)
                .unwrap()
                .locks
                .into_iter()
                .map(|(p, f)| lockfile::load_as(&p, f.unwrap()).unwrap())
                .collect();
            let bom = Bom::generate(&locks, "soar", "1.0", 1_700_000_000);
            serde_json::to_vec_pretty(&render(&bom, SpecVersion::V1_6)).unwrap()
        })
    });
    group.finish();

    // 100 SBOMs of the corpus's size, then a query over all of them, as the CLI runs it.
    let dir = tempfile::tempdir().unwrap();
    let locks: Vec<_> = lockfile::discover(&root)
        .unwrap()
        .locks
        .into_iter()
        .map(|(p, f)| lockfile::load_as(&p, f.unwrap()).unwrap())
        .collect();
    for i in 0..100 {
        let bom = Bom::generate(&locks, "soar", &format!("1.{i}"), 1_700_000_000);
        std::fs::write(
            dir.path().join(format!("soar-1.{i}.json")),
            serde_json::to_vec_pretty(&render(&bom, SpecVersion::V1_6)).unwrap(),
        )
        .unwrap();
    }
    let bin = env!("CARGO_MANIFEST_DIR").to_string() + "/target/release/repro";
    let mut group = c.benchmark_group("sbom-query");
    group.sample_size(10);
    if Path::new(&bin).exists() {
        group.bench_function("100-soar-sboms/urllib3<2.8 (release binary)", |b| {
            b.iter(|| {
                let out = std::process::Command::new(&bin)
                    .args(["sbom", "query"])
                    .arg(dir.path())
                    .args(["urllib3", "<2.8"])
                    .output()
                    .unwrap();
                assert_eq!(out.status.code(), Some(1));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_sbom);
criterion_main!(benches);
