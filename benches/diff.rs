//! `repro diff` on a large wheel pair: identical, and with one member changed; and on a pair of
//! 100,000-member zips whose members all differ (every member's content is read and diffed, so
//! the cost must grow linearly with the members, not quadratically).
//!
//! Uses the botocore wheel (15 MB, ~2,000 members) from `$REPRO_BENCH_STORE` (default
//! `target/bench-store`, filled by `benches/compare.sh`) when present, else a synthetic
//! 2,000-member wheel. The changed copy rewrites one member (`botocore/__init__.py`, or the first
//! `.py` member) with one byte altered; everything else is copied raw.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use repro::diff::{DiffOptions, diff};

fn largest_wheel() -> Option<PathBuf> {
    let root = std::env::var_os("REPRO_BENCH_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-store"))
        });
    let store = repro::store::Store::open(&root).ok()?;
    store
        .list()
        .ok()?
        .entries
        .into_iter()
        .filter_map(|o| {
            let rec = store.record(&o)?;
            rec.filenames
                .iter()
                .any(|f| f.starts_with("botocore-") && f.ends_with(".whl"))
                .then(|| store.object_path(&o))
        })
        .next()
}

fn synthetic(dir: &Path) -> PathBuf {
    let path = dir.join("synthetic-1.0-py3-none-any.whl");
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
    path
}

/// Copy `src` to `dst`, altering one byte of the first `.py` member.
fn with_one_change(src: &Path, dst: &Path) -> String {
    let mut a = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    let mut changed = None;
    for i in 0..a.len() {
        let name = a.by_index(i).unwrap().name().unwrap().to_string();
        if changed.is_none() && name.ends_with(".py") {
            let mut data = Vec::new();
            a.by_index(i).unwrap().read_to_end(&mut data).unwrap();
            data.push(b'\n');
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&data).unwrap();
            changed = Some(name);
        } else {
            w.raw_copy_file(a.by_index_raw(i).unwrap()).unwrap();
        }
    }
    w.finish().unwrap();
    changed.unwrap()
}

fn bench_diff(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (label, a) = match largest_wheel() {
        Some(p) => ("botocore-wheel", p),
        None => ("synthetic-wheel", synthetic(dir.path())),
    };
    let same = dir.path().join("same.whl");
    std::fs::copy(&a, &same).unwrap();
    let changed = dir.path().join("changed.whl");
    let member = with_one_change(&a, &changed);
    let options = DiffOptions::default();
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    group.bench_function(format!("{label}/identical"), |b| {
        b.iter(|| assert!(diff(&a, &same, &options).unwrap().identical))
    });
    group.bench_function(format!("{label}/one-member-changed"), |b| {
        b.iter(|| {
            let r = diff(&a, &changed, &options).unwrap();
            assert!(r.differences.iter().any(|d| d.location.ends_with(&member)));
        })
    });
    group.finish();
}

/// A zip of `n` tiny text members, each holding `VALUE = i + k`.
fn many_members(path: &Path, n: usize, k: usize) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::from_date_and_time(2024, 1, 1, 0, 0, 0).unwrap());
    for i in 0..n {
        w.start_file(format!("pkg/m{i:06}.py"), opts).unwrap();
        w.write_all(format!("VALUE = {}\n", i + k).as_bytes())
            .unwrap();
    }
    w.finish().unwrap();
}

fn bench_all_members_differ(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    many_members(&a, 100_000, 0);
    many_members(&b, 100_000, 1);
    let options = DiffOptions::default();
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    group.bench_function("100k-members-all-differ", |bench| {
        bench.iter(|| {
            let r = diff(&a, &b, &options).unwrap();
            assert_eq!(r.differences.len(), 100_000);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_diff, bench_all_members_differ);
criterion_main!(benches);
