//! Shallow and deep store verification throughput.
//!
//! Data: the store at `$REPRO_BENCH_STORE` (default `target/bench-store`), which
//! `benches/compare.sh` fills with every artifact of the SOAR corpus and of uv's Cargo.lock
//! (929 files, 189 MB). Without it, a synthetic store (64 files of 1 MiB, plus 16 wheels) is made
//! in a temp dir, so `cargo bench --bench rehash` always runs.

use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use repro::store::Store;
use repro::store::verify::{VerifyOptions, verify};

fn bench_store() -> (Store, Option<tempfile::TempDir>) {
    let path = std::env::var_os("REPRO_BENCH_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-store"))
        });
    if path.join("v1/objects").is_dir() {
        return (Store::open(path).unwrap(), None);
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let prov = repro::store::Provenance {
        filename: "synthetic".into(),
        origin: "bench".into(),
    };
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..80 {
        let bytes: Vec<u8> = if i < 64 {
            (0..1 << 20)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect()
        } else {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut w = zip::ZipWriter::new(&mut buf);
            for m in 0..200 {
                w.start_file(
                    format!("pkg/mod{m}.py"),
                    zip::write::SimpleFileOptions::default(),
                )
                .unwrap();
                w.write_all(format!("# module {i} {m}\n").repeat(200).as_bytes())
                    .unwrap();
            }
            w.finish().unwrap();
            buf.into_inner()
        };
        let d = repro::digest::sha256(&bytes);
        store
            .ingest(&bytes[..], &[d], &prov, None, &|_| {})
            .unwrap();
    }
    (store, Some(dir))
}

fn bench_verify(c: &mut Criterion) {
    let (store, _keep) = bench_store();
    let objects = store.list().unwrap().entries;
    let bytes: u64 = objects
        .iter()
        .map(|o| std::fs::metadata(store.object_path(o)).unwrap().len())
        .sum();
    let label = format!("{}-objects-{}MB", objects.len(), bytes / 1_000_000);
    let mut group = c.benchmark_group("store-verify");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function(format!("shallow/{label}"), |b| {
        b.iter(|| {
            let r = verify(&store, VerifyOptions::default(), &|_| {}).unwrap();
            assert!(r.problems.is_empty());
            r
        })
    });
    group.bench_function(format!("deep/{label}"), |b| {
        b.iter(|| {
            let r = verify(
                &store,
                VerifyOptions {
                    deep: true,
                    ..Default::default()
                },
                &|_| {},
            )
            .unwrap();
            assert!(r.problems.is_empty());
            r
        })
    });
    group.finish();
}

fn bench_hash_one_core(c: &mut Criterion) {
    let data = vec![0x5au8; 64 << 20];
    let mut group = c.benchmark_group("hash-one-core");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("sha256+blake3/64MiB", |b| {
        b.iter(|| repro::digest::hash_reader(&data[..], &[]).unwrap())
    });
    group.bench_function("sha256/64MiB", |b| b.iter(|| repro::digest::sha256(&data)));
    group.finish();
}

criterion_group!(benches, bench_verify, bench_hash_one_core);
criterion_main!(benches);
