//! Fuzz `repro diff` on two archives: the input's first two bytes say where A ends and B
//! begins. The verdict must follow the bytes: equal bytes are identical, unequal bytes never
//! are (whatever the archives hold), and nothing may panic or run past the budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repro::diff::{DiffOptions, diff};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = (u16::from_le_bytes([data[0], data[1]]) as usize).min(data.len() - 2);
    let (a, b) = data[2..].split_at(split);
    let dir = tempfile::tempdir().expect("temp dir");
    // Same names, so that the comparison enters the archives as a diff of two builds would.
    let (pa, pb) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir(&pa).expect("dir");
    std::fs::create_dir(&pb).expect("dir");
    let (fa, fb) = (pa.join("out.zip"), pb.join("out.zip"));
    std::fs::write(&fa, a).expect("write");
    std::fs::write(&fb, b).expect("write");
    let options = DiffOptions {
        max_inflated: 64 << 20,
        max_member_bytes: 1 << 20,
        ..DiffOptions::default()
    };
    if let Ok(report) = diff(&fa, &fb, &options) {
        assert_eq!(report.identical, a == b, "{:?}", report.differences);
        assert_eq!(report.identical, report.differences.is_empty());
    }
    // Directly comparing a file with itself is always identical.
    let same = diff(&fa, &fa, &options).expect("a file against itself");
    assert!(same.identical);
});
