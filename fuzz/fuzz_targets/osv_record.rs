//! Fuzz the OSV record reader and the matcher: any bytes either parse into an advisory or yield
//! a problem naming the record; every affected entry is then matched against versions taken from
//! the record itself and a few fixed ones. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use repro::osv::{Parsed, matching, parse_record};

fuzz_target!(|data: &[u8]| {
    match parse_record(data, &"fuzz/record.json", None) {
        Parsed::Advisory(a, _) => {
            for e in &a.affected {
                let mut versions: Vec<&str> = vec!["0", "1.0", "1!2.0rc1+local", "0.0.0-0", ""];
                versions.extend(e.versions.iter().map(String::as_str));
                for r in &e.ranges {
                    versions.extend(r.events.iter().map(|ev| ev.version()));
                }
                for v in versions {
                    let _ = matching::affects(e, v);
                }
            }
        }
        Parsed::Failed(p) => assert_eq!(p.path, "fuzz/record.json"),
        Parsed::Withdrawn | Parsed::Elsewhere => {}
    }
});
