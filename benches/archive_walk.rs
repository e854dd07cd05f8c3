//! Archive walk throughput (decompress and hash every member) on real artifacts.
//!
//! Uses the largest wheel and the largest crate in `$REPRO_BENCH_STORE` (default
//! `target/bench-store`, filled by `benches/compare.sh`); without it, a synthetic 2,000-member
//! wheel-like zip.

use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use repro::archive::{ArchiveFormat, WalkLimits, walk};

fn inputs() -> (Vec<(String, PathBuf)>, Option<tempfile::TempDir>) {
    let root = std::env::var_os("REPRO_BENCH_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-store"))
        });
    if let Ok(store) = repro::store::Store::open(&root)
        && let Ok(objects) = store.list().map(|l| l.entries)
        && !objects.is_empty()
    {
        let mut best: [Option<(u64, PathBuf)>; 2] = [None, None];
        for o in objects {
            let p = store.object_path(&o);
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            let slot = match ArchiveFormat::sniff(&p) {
                Ok(Some(ArchiveFormat::Zip)) => 0,
                Ok(Some(ArchiveFormat::TarGz)) => 1,
                _ => continue,
            };
            if best[slot].as_ref().is_none_or(|(l, _)| len > *l) {
                best[slot] = Some((len, p));
            }
        }
        let names = ["largest-zip", "largest-tar-gz"];
        let found: Vec<_> = best
            .into_iter()
            .zip(names)
            .filter_map(|(b, n)| b.map(|(_, p)| (n.to_string(), p)))
            .collect();
        if !found.is_empty() {
            return (found, None);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synthetic.whl");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for m in 0..2000 {
        w.start_file(
            format!("pkg/data/mod{m}.py"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(format!("VALUE_{m} = {m}\n").repeat(300).as_bytes())
            .unwrap();
    }
    w.finish().unwrap();
    (vec![("synthetic-2000-members".into(), path)], Some(dir))
}

fn bench_walk(c: &mut Criterion) {
    let (inputs, _keep) = inputs();
    let mut group = c.benchmark_group("archive-walk");
    group.sample_size(10);
    for (name, path) in inputs {
        let members = walk(&path, &WalkLimits::default()).unwrap();
        let bytes: u64 = members.iter().map(|m| m.size).sum();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("{name}/{}-members", members.len()), |b| {
            b.iter(|| walk(&path, &WalkLimits::default()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_walk);
criterion_main!(benches);
