//! Core metadata of built distributions: a wheel's `*.dist-info/METADATA` (RFC 822 headers).
//!
//! Only what the closure check needs: the `Requires-Dist` values. Reads are bounded: the
//! metadata member must be at most [`MAX_METADATA_BYTES`].

use std::io::Read;
use std::path::Path;

/// Largest METADATA member read.
pub const MAX_METADATA_BYTES: u64 = 4 * 1024 * 1024;

/// The `Requires-Dist` values of the wheel at `path`.
pub fn wheel_requires_dist(path: &Path) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| format!("not a wheel: {e}"))?;
    let name = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i)?.ok().map(|n| n.into_owned()))
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .ok_or("the wheel has no .dist-info/METADATA")?;
    let entry = zip.by_name(&name).map_err(|e| e.to_string())?;
    if entry.size() > MAX_METADATA_BYTES {
        return Err(format!(
            "`{name}` is larger than {MAX_METADATA_BYTES} bytes"
        ));
    }
    let mut text = String::new();
    entry
        .take(MAX_METADATA_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("`{name}` is unreadable: {e}"))?;
    Ok(header_values(&text, "Requires-Dist"))
}

/// The values of header `key` in RFC 822-style metadata (headers end at the first blank line;
/// continuation lines start with whitespace).
pub fn header_values(text: &str, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(done) = current.take() {
            out.push(done);
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case(key)
        {
            current = Some(v.trim().to_string());
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_until_the_body() {
        let text = "Metadata-Version: 2.1\nName: a\nRequires-Dist: b>=1\nRequires-Dist: c ;\n  extra == 'x'\n\nRequires-Dist: not-a-header\n";
        assert_eq!(
            header_values(text, "requires-dist"),
            vec!["b>=1", "c ; extra == 'x'"]
        );
    }
}
