//! Verifying a signed 100 MB artefact against hashing it: the signature check adds one ECDSA
//! verification to the single streaming SHA-256 pass.
//!
//! `cargo bench --bench sign`

use criterion::{Criterion, criterion_group, criterion_main};
use repro::sign;

fn bench_sign(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("artefact.bin");
    let bytes: Vec<u8> = (0..100u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    drop(bytes);
    let key = sign::generate_key().unwrap();
    let digest = sign::sha256_file(&file).unwrap();
    let sig = sign::sign_digest(&key, &digest).unwrap();
    let vk = *key.verifying_key();
    let mut g = c.benchmark_group("verify-100MB");
    g.sample_size(10);
    g.bench_function("sha256 only", |b| {
        b.iter(|| sign::sha256_file(&file).unwrap())
    });
    g.bench_function("sha256 + ECDSA P-256 verify", |b| {
        b.iter(|| {
            let d = sign::sha256_file(&file).unwrap();
            sign::verify_message(&vk, &d, Some(&digest), sig.as_bytes()).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_sign);
criterion_main!(benches);
