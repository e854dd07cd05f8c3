//! Fuzz the zip reader and walker: any bytes either walk into a member list that obeys every
//! namespace rule, or are refused with an error naming the archive. Nothing may panic, and no
//! input may make the walk inflate past its limits.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use repro::archive::{ArchiveError, MemberKind, WalkLimits, names, walk_zip, Budget};

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(data).expect("write");
    let limits = WalkLimits {
        max_total_bytes: 64 << 20,
        max_member_bytes: 16 << 20,
        ..WalkLimits::default()
    };
    let budget = Budget::new(limits.max_total_bytes);
    match walk_zip(file.path(), &limits, &budget) {
        Ok(members) => {
            assert!(names::check(&members).is_ok());
            for m in &members {
                assert_eq!(m.kind == MemberKind::File, m.sha256.is_some(), "{m:?}");
            }
            assert!(budget.spent() <= limits.max_total_bytes);
        }
        Err(ArchiveError::Unsafe { path, .. } | ArchiveError::Format { path, .. }) => {
            assert_eq!(path, file.path());
        }
        Err(ArchiveError::Io { .. }) => {}
    }
});
