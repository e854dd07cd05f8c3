//! JSON and TOML compared as data before they are compared as text: two documents that differ
//! only in key order and whitespace hold the same value, and a value that differs is named by
//! its path (`$.build.time`), which a 40-line text diff of a reordered file hides.
//!
//! The verdict stays the bytes': the same value in other bytes is still a difference, only
//! explained. TOML is compared through the same JSON data model (its dates as strings).

use serde_json::Value;

/// Most value paths listed.
const MAX_PATHS: usize = 10;

/// Longest value shown in a path's line.
const MAX_VALUE_CHARS: usize = 80;

/// A data format compared as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (RFC 8259).
    Json,
    /// TOML 1.0.
    Toml,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Toml => "TOML",
        }
    }

    /// The format of a member, by its name, or for JSON by its first byte.
    fn of(location: &str, a: &[u8]) -> Option<Format> {
        let name = location.rsplit(['/', '!']).next().unwrap_or(location);
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".toml") || lower == "cargo.lock" || lower == "uv.lock" {
            return Some(Format::Toml);
        }
        let first = a.iter().find(|b| !b.is_ascii_whitespace());
        if lower.ends_with(".json") || matches!(first, Some(b'{' | b'[')) {
            return Some(Format::Json);
        }
        None
    }

    fn parse(self, text: &str) -> Option<Value> {
        match self {
            Format::Json => serde_json::from_str(text).ok(),
            Format::Toml => toml::from_str::<toml::Table>(text)
                .ok()
                .and_then(|t| serde_json::to_value(t).ok()),
        }
    }
}

/// What comparing two texts as data found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataComparison {
    /// JSON or TOML.
    pub format: Format,
    /// Where the values differ, each as `path: value in A, value in B` (empty: the same
    /// value), at most [`MAX_PATHS`].
    pub paths: Vec<String>,
    /// How many paths differ in all.
    pub total: usize,
}

impl DataComparison {
    /// A few words for the summary line.
    pub fn summary(&self) -> String {
        let f = self.format.name();
        match self.paths.first() {
            None => format!("same {f} value: key order and whitespace only"),
            Some(first) if self.total == 1 => {
                format!(
                    "{f} value differs at {}",
                    first.split(": ").next().unwrap_or("")
                )
            }
            Some(_) => format!("{f} value differs at {} paths", self.total),
        }
    }

    /// The lines shown before the text diff.
    pub fn lines(&self) -> Vec<String> {
        let f = self.format.name();
        if self.paths.is_empty() {
            return vec![format!(
                "same {f} value: key order and whitespace only; the text differs:"
            )];
        }
        let mut out = vec![format!("{f} value differs at:")];
        out.extend(self.paths.iter().map(|p| format!("  {p}")));
        if self.total > self.paths.len() {
            out.push(format!("  … and {} more", self.total - self.paths.len()));
        }
        out.push("as text:".to_string());
        out
    }
}

/// Compare two texts as data when both parse as the format their name or content says.
pub fn compare(location: &str, a: &str, b: &str) -> Option<DataComparison> {
    let format = Format::of(location, a.as_bytes())?;
    let (va, vb) = (format.parse(a)?, format.parse(b)?);
    let mut paths = Vec::new();
    let mut total = 0;
    walk("$", Some(&va), Some(&vb), &mut paths, &mut total);
    Some(DataComparison {
        format,
        paths,
        total,
    })
}

fn show(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "absent".to_string();
    };
    let s = v.to_string();
    if s.chars().count() > MAX_VALUE_CHARS {
        let cut: String = s.chars().take(MAX_VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// A path segment for an object key: `.key` when it is an identifier, else `["key"]`.
fn key_segment(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !k.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!(".{k}")
    } else {
        format!("[{}]", Value::String(k.to_string()))
    }
}

fn walk(
    path: &str,
    a: Option<&Value>,
    b: Option<&Value>,
    out: &mut Vec<String>,
    total: &mut usize,
) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                walk(
                    &format!("{path}{}", key_segment(k)),
                    x.get(k),
                    y.get(k),
                    out,
                    total,
                );
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                walk(&format!("{path}[{i}]"), x.get(i), y.get(i), out, total);
            }
        }
        (x, y) if x == y => {}
        (x, y) => {
            *total += 1;
            if out.len() < MAX_PATHS {
                out.push(format!("{path}: {} in A, {} in B", show(x), show(y)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_whitespace_are_the_same_value() {
        let c = compare(
            "pkg/build_info.json",
            "{\"b\": 1, \"a\": [1, 2]}\n",
            "{\n  \"a\": [1,2],\n  \"b\": 1\n}",
        )
        .unwrap();
        assert!(c.paths.is_empty());
        assert_eq!(
            c.summary(),
            "same JSON value: key order and whitespace only"
        );
    }

    #[test]
    fn differing_values_are_named_by_path() {
        let c = compare(
            "info.json",
            r#"{"build": {"time": "2024-05-11", "host": "a"}, "list": [1], "odd key": 1}"#,
            r#"{"build": {"time": "2026-05-11", "host": "a"}, "list": [1, 2], "odd key": 2}"#,
        )
        .unwrap();
        assert_eq!(
            c.paths,
            vec![
                r#"$.build.time: "2024-05-11" in A, "2026-05-11" in B"#,
                "$.list[1]: absent in A, 2 in B",
                r#"$["odd key"]: 1 in A, 2 in B"#,
            ]
        );
        assert_eq!(c.summary(), "JSON value differs at 3 paths");
    }

    #[test]
    fn toml_tables_in_another_order_are_the_same_value() {
        let a = "[tool]\nname = \"x\"\n\n[build]\nsde = 1\n";
        let b = "[build]\nsde = 1\n[tool]\nname   = \"x\"\n";
        let c = compare("pyproject.toml", a, b).unwrap();
        assert_eq!(
            c.summary(),
            "same TOML value: key order and whitespace only"
        );
        let c = compare("pyproject.toml", a, &b.replace('1', "2")).unwrap();
        assert_eq!(c.summary(), "TOML value differs at $.build.sde");
        // Text that is not JSON is not compared as data.
        assert_eq!(compare("notes.txt", "{ not json", "{ not json!"), None);
    }
}
