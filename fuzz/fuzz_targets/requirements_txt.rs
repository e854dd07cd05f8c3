//! Fuzz the requirements.txt parser: any input either parses or yields an error naming the file; the
//! hermeticity rules then run on whatever parsed. Neither may panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use repro::check::{CheckOptions, CheckReport};
use repro::lockfile::{LockFormat, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz/requirements.txt");
    match parse(path, text, LockFormat::RequirementsTxt) {
        Ok(lock) => {
            let locks = [lock];
            let _ = CheckReport::generate(&locks, &[], Vec::new(), CheckOptions::default());
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz/requirements.txt")),
    }
});
