//! The CLI's shape: each file of `src/cli/` parses one command's arguments, calls the library
//! and renders through the printer. Shared CLI glue lives in `src/cli.rs`; a command that
//! reaches into another command's file (`crate::cli::check::…`) fails here.

use std::path::Path;

/// The modules of `src/cli/` a command file may name: the printer (and its renderers).
const ALLOWED: [&str; 1] = ["printer"];

#[test]
fn no_command_file_imports_another() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let commands: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "rs").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    assert!(commands.len() > 5, "{commands:?}");
    let mut found = Vec::new();
    for file in &commands {
        let text = std::fs::read_to_string(dir.join(format!("{file}.rs"))).unwrap();
        for (n, line) in text.lines().enumerate() {
            for other in &commands {
                if other == file || ALLOWED.contains(&other.as_str()) {
                    continue;
                }
                let path = format!("cli::{other}::");
                let module = format!("cli::{other};");
                if line.contains(&path) || line.contains(&module) || line.contains("super::") {
                    found.push(format!("src/cli/{file}.rs:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "command files import each other (move shared code to src/cli.rs, the printer or the library):\n{}",
        found.join("\n")
    );
}
