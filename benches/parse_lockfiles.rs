//! Parse + check throughput over the real corpora.
//!
//! `cargo bench --bench parse_lockfiles` — the figure quoted for issue #2 is
//! `check/soar-corpus-80-files` (discover, read, parse and check every SOAR lockfile).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use repro::check::{CheckOptions, CheckReport};
use repro::lockfile::{self, LockFormat};

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn soar_paths() -> Vec<PathBuf> {
    lockfile::discover(&corpus("corpora/opensecops-soar"))
        .unwrap()
        .locks
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

fn bench_check(c: &mut Criterion) {
    let root = corpus("corpora/opensecops-soar");
    let paths = soar_paths();
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let mut group = c.benchmark_group("check");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("soar-corpus-80-files", |b| {
        b.iter(|| {
            let roots = vec![root.clone()];
            let mut locks = Vec::new();
            for (path, format) in lockfile::discover(&root).unwrap().locks {
                locks.push(lockfile::load_as(&path, format.unwrap()).unwrap());
            }
            let report = CheckReport::generate(&locks, &roots, Vec::new(), CheckOptions::default());
            assert!(report.hermetic);
            std::hint::black_box(report)
        })
    });
    group.finish();
}

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    let cases = [
        (
            "requirements-txt/save_to_ms_sentinel",
            "corpora/opensecops-soar/functions/ticketing/save_to_ms_sentinel/requirements.txt",
            LockFormat::RequirementsTxt,
        ),
        (
            "cargo-lock/uv-683-crates",
            "corpora/cargo/Cargo.lock",
            LockFormat::CargoLock,
        ),
        (
            "uv-lock/app",
            "corpora/uv-lock/valid/app/uv.lock",
            LockFormat::UvLock,
        ),
        (
            "pylock/valid",
            "corpora/pylock/valid/pylock.toml",
            LockFormat::Pylock,
        ),
    ];
    for (name, rel, format) in cases {
        let path = corpus(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| std::hint::black_box(lockfile::parse(&path, &text, format).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_check, bench_parse);
criterion_main!(benches);
