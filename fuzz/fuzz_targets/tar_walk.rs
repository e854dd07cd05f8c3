//! Fuzz the tar and gzip readers and the walker: the same bytes are walked as a plain tar and,
//! gzip-compressed, as a `.tar.gz`; both walks must agree on accepting them and on the members.
//! Nothing may panic, and headers cannot demand memory past their caps.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use repro::archive::{Budget, WalkLimits, gzip::GzipReader, names, walk_tar};

fuzz_target!(|data: &[u8]| {
    let limits = WalkLimits {
        max_total_bytes: 64 << 20,
        ..WalkLimits::default()
    };
    let path = std::path::Path::new("fuzz.tar");
    let plain = walk_tar(path, data, &limits, |_| None);
    if let Ok(members) = &plain {
        assert!(names::check(members).is_ok());
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("compress");
    let compressed = gz.finish().expect("compress");
    let budget = Budget::new(limits.max_total_bytes);
    let through_gzip = walk_tar(
        path,
        GzipReader::new(&compressed[..], &limits, &budget),
        &limits,
        |g| repro::archive::first_refusal(g.anomalies()).cloned(),
    );
    match (&plain, &through_gzip) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(_), Err(_)) => {}
        // The gzip layer adds its ratio check: a stream of zeros may be refused there only.
        (Ok(_), Err(e)) => assert_eq!(e.rule(), Some(repro::archive::Rule::Bomb), "{e}"),
        (Err(e), Ok(_)) => panic!("refused plain, accepted through gzip: {e}"),
    }
    // Raw bytes as a gzip stream too.
    let budget = Budget::new(limits.max_total_bytes);
    let _ = walk_tar(
        path,
        GzipReader::new(data, &limits, &budget),
        &limits,
        |g| repro::archive::first_refusal(g.anomalies()).cloned(),
    );
});
