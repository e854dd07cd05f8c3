//! What the hazard scan adds to describing a build output: `describe_output` (hash every file
//! and member, nested archives included) against `describe_output_scanned` (the same pass,
//! also searching every byte for this machine's strings), on a realistic output tree.
//!
//! The tree is `$REPRO_BENCH_TREE` when set (e.g. the `dist/` of a full SOAR build: see the
//! README, "Development"); else a `dist/` of Lambda-like zips made from the wheels in
//! `$REPRO_BENCH_STORE` (default `target/bench-store`, filled by `benches/compare.sh`), one of
//! them holding a wheel; else a synthetic `dist/` of eight zips of Python text and binary
//! members. The needles are this machine's, as `repro build` collects them.

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use repro::archive::{ArchiveFormat, WalkLimits};
use repro::hazard::Needles;
use repro::manifest::{HazardScan, describe_output, describe_output_scanned};

/// Bytes of wheels copied from the bench store into the tree: about one SOAR function's zips.
const STORE_SAMPLE_BYTES: u64 = 96 * 1024 * 1024;

fn zip_of(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data) in entries {
        w.start_file(
            name.as_str(),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

/// The tree to describe, its name, and what keeps it alive.
fn tree() -> (String, PathBuf, Option<tempfile::TempDir>) {
    if let Some(t) = std::env::var_os("REPRO_BENCH_TREE") {
        return ("given-tree".into(), PathBuf::from(t), None);
    }
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let root = std::env::var_os("REPRO_BENCH_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-store"))
        });
    if let Ok(store) = repro::store::Store::open(&root)
        && let Ok(objects) = store.list()
    {
        let mut wheels: Vec<(u64, PathBuf)> = objects
            .entries
            .iter()
            .map(|o| store.object_path(o))
            .filter(|p| matches!(ArchiveFormat::sniff(p), Ok(Some(ArchiveFormat::Zip))))
            .map(|p| (std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0), p))
            .collect();
        wheels.sort();
        let mut total = 0;
        for (i, (len, p)) in wheels.iter().enumerate() {
            if total + len > STORE_SAMPLE_BYTES {
                continue;
            }
            total += len;
            std::fs::copy(p, dist.join(format!("fn{i:03}.zip"))).unwrap();
        }
        if let Some((_, p)) = wheels.first() {
            zip_of(
                &dist.join("nested.zip"),
                &[("dep-1.0-py3-none-any.whl".into(), std::fs::read(p).unwrap())],
            );
        }
        if total > 0 {
            return ("store-wheels".into(), dist, Some(dir));
        }
    }
    let source = b"import os\nimport sys\n\ndef handler(event, context):\n    \"\"\"Answer one event.\"\"\"\n    return {'status': 200, 'body': os.environ.get('TABLE', 'default')}\n".repeat(40);
    let binary: Vec<u8> = (0..2_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for z in 0..8 {
        let mut entries: Vec<(String, Vec<u8>)> = (0..400)
            .map(|m| (format!("pkg{z}/mod{m}.py"), source.clone()))
            .collect();
        entries.push((format!("pkg{z}/_native.so"), binary.clone()));
        if z == 0 {
            let wheel = tempfile::NamedTempFile::new().unwrap();
            zip_of(wheel.path(), &entries[..50]);
            entries.push((
                "dep-1.0-py3-none-any.whl".into(),
                std::fs::read(wheel.path()).unwrap(),
            ));
        }
        zip_of(&dist.join(format!("fn{z}.zip")), &entries);
    }
    ("synthetic-8-zips".into(), dist, Some(dir))
}

fn bench_scan(c: &mut Criterion) {
    let (name, dist, _keep) = tree();
    let limits = WalkLimits::default();
    let cwd = std::env::current_dir().unwrap();
    let env = [(
        "PATH".to_string(),
        std::env::var("PATH").unwrap_or_default(),
    )];
    let scan = HazardScan {
        needles: Needles::new(repro::build::env::host_needles(
            &cwd,
            &cwd.join("target/bench-store"),
            &env,
        )),
        inputs: Default::default(),
    };
    let output = describe_output(&dist, "dist", &limits).unwrap();
    let bytes: u64 = output
        .members
        .iter()
        .chain(&output.nested)
        .map(|m| m.size)
        .sum();
    let mut group = c.benchmark_group("describe-output");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    let members = output.members.len() + output.nested.len();
    group.bench_function(format!("{name}/{members}-members/hash"), |b| {
        b.iter(|| describe_output(&dist, "dist", &limits).unwrap())
    });
    group.bench_function(
        format!(
            "{name}/{members}-members/hash+scan-{}-needles",
            scan.needles.needles().len()
        ),
        |b| b.iter(|| describe_output_scanned(&dist, "dist", &limits, &scan).unwrap()),
    );
    group.finish();
}

/// The scanner alone, against SHA-256 of the same bytes, on 32 MiB of Python text and 32 MiB of
/// binary-like bytes, read in the walker's chunks.
fn bench_scanner(c: &mut Criterion) {
    let cwd = std::env::current_dir().unwrap();
    let env = [(
        "PATH".to_string(),
        std::env::var("PATH").unwrap_or_default(),
    )];
    let needles = Needles::new(repro::build::env::host_needles(
        &cwd,
        &cwd.join("target/bench-store"),
        &env,
    ));
    let text = b"import os\n\ndef handler(event, context):\n    return {'path': '/var/task/app', 'root': os.getcwd()}\n"
        .repeat(32 * 1024 * 1024 / 88);
    let binary: Vec<u8> = (0..32 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut group = c.benchmark_group("hazard-scan");
    group.sample_size(10);
    for (name, data) in [("python-text-32MiB", &text), ("binary-32MiB", &binary)] {
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function(format!("{name}/scan"), |b| {
            let mut scanner = needles.scanner();
            b.iter(|| {
                scanner.feed(data);
                scanner.finish()
            })
        });
        group.bench_function(format!("{name}/sha256"), |b| {
            b.iter(|| repro::digest::sha256(data))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_scan, bench_scanner);
criterion_main!(benches);
