//! Verifying PEP 740 attestations offline: 100 of them per iteration (the target is under a
//! second), each converted to its Sigstore bundle and checked in full (certificate chain and SCT,
//! Rekor inclusion proof, checkpoint and signed entry timestamp, DSSE signature, subject,
//! predicate and publisher). `benches/provenance_compare.sh` times `pypi-attestations verify`
//! on the same 100.
//!
//! `cargo bench --bench provenance`

use criterion::{Criterion, criterion_group, criterion_main};
use repro::provenance::pep740;
use repro::provenance::verify::{Expected, verify};
use repro::sign::keyless;
use serde_json::json;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pep740");

fn attestation(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/{name}")).unwrap()).unwrap()
}

/// A provenance object of one attestation by `publisher`.
fn object(publisher: serde_json::Value, file: &str) -> pep740::ProvenanceObject {
    let doc = json!({"version": 1, "attestation_bundles": [
        {"publisher": publisher, "attestations": [attestation(file)]}]});
    pep740::parse(doc.to_string().as_bytes()).unwrap()
}

fn bench_provenance(c: &mut Criterion) {
    let root = keyless::trusted_root(None, false).unwrap();
    let verifier = keyless::Verifier::new(&root).unwrap();
    let github = |repository: &str| json!({"kind": "GitHub", "repository": repository, "workflow": "release.yml"});
    let sdist = "pypi_attestations-0.0.19.tar.gz";
    let sdist_sha = "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3";
    // (object, file name, sha256): the publish and SLSA attestations of one file.
    let pair = [
        (
            object(
                github("trailofbits/pypi-attestations"),
                &format!("{sdist}.publish.attestation"),
            ),
            sdist,
            sdist_sha,
        ),
        (
            object(
                github("trailofbits/pypi-attestations"),
                &format!("{sdist}.slsa.attestation"),
            ),
            sdist,
            sdist_sha,
        ),
    ];
    // Every genuine production attestation of the fixtures: three certificates, two log shards.
    let gitlab = json!({"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
        "workflow_filepath": ".gitlab-ci.yml"});
    let mut mixed: Vec<_> = pair.to_vec();
    mixed.push((
        object(
            gitlab,
            "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
        ),
        "gitlab_oidc_project-0.0.3.tar.gz",
        "c1ca9b0d85df1606451098233018534497bf584362e10e4a8c21dfaea92c02a8",
    ));
    mixed.push((
        object(
            github("trailofbits/pypi-attestation-models"),
            "pypi_attestation_models-0.0.4a2.tar.gz.attestation",
        ),
        "pypi_attestation_models-0.0.4a2.tar.gz",
        "c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef",
    ));
    mixed.push((
        pep740::parse(&std::fs::read(format!("{FIXTURES}/{sdist}.provenance")).unwrap()).unwrap(),
        sdist,
        sdist_sha,
    ));
    let mut g = c.benchmark_group("provenance");
    g.sample_size(10);
    for (name, set) in [
        ("publish+slsa x50", &pair[..]),
        ("5 real files x20", &mixed[..]),
    ] {
        let hundred: Vec<_> = set.iter().cycle().take(100).collect();
        g.bench_function(format!("verify 100 attestations ({name})"), |b| {
            b.iter(|| {
                for (object, filename, sha256) in &hundred {
                    verify(&verifier, object, Expected { filename, sha256 }).unwrap();
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_provenance);
criterion_main!(benches);
