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
    Ok(header_values(&wheel_metadata(path)?, "Requires-Dist"))
}

/// A package's licence: an SPDX expression when one parses, else a name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum License {
    /// A valid SPDX expression (`MIT OR Apache-2.0`).
    Expression(String),
    /// A free-text licence name (`BSD License`).
    Name(String),
}

/// Parse `text` as an SPDX expression (accepting common imprecise names such as `Apache 2.0`).
pub fn spdx_expression(text: &str) -> Option<String> {
    let mode = spdx::ParseMode {
        allow_imprecise_license_names: true,
        allow_slash_as_or_operator: true,
        ..spdx::ParseMode::STRICT
    };
    let text = text.trim();
    let expr = spdx::Expression::parse_mode(text, mode).ok()?;
    // Keep the expression's shape, with each licence written by its canonical SPDX id
    // (`Apache 2.0` → `Apache-2.0`).
    let mut out = text.to_string();
    let mut reqs: Vec<_> = expr.requirements().collect();
    reqs.sort_by_key(|r| std::cmp::Reverse(r.span.start));
    for r in reqs {
        out.replace_range(
            r.span.start as usize..r.span.end as usize,
            &r.req.to_string(),
        );
    }
    Some(out)
}

fn license_of(
    expression: Option<&str>,
    text: Option<&str>,
    classifiers: &[String],
) -> Option<License> {
    if let Some(e) = expression.and_then(spdx_expression) {
        return Some(License::Expression(e));
    }
    if let Some(t) = text
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 120 && !t.contains('\n'))
    {
        return Some(
            spdx_expression(t)
                .map(License::Expression)
                .unwrap_or_else(|| License::Name(t.to_string())),
        );
    }
    let names: Vec<&str> = classifiers
        .iter()
        .filter_map(|c| c.strip_prefix("License ::"))
        .filter_map(|c| c.rsplit("::").next())
        .map(str::trim)
        .collect();
    (!names.is_empty()).then(|| License::Name(names.join(" AND ")))
}

/// The licence a wheel declares: `License-Expression` (PEP 639), else `License`, else the
/// licence classifiers.
pub fn wheel_license(path: &Path) -> Result<Option<License>, String> {
    let text = wheel_metadata(path)?;
    let first = |k: &str| header_values(&text, k).into_iter().next();
    Ok(license_of(
        first("License-Expression").as_deref(),
        first("License").as_deref(),
        &header_values(&text, "Classifier"),
    ))
}

/// The licence a crate's `Cargo.toml` declares (`license`, else `license-file`).
pub fn crate_license(path: &Path) -> Result<Option<License>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut t = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(f)));
    for e in t.entries().map_err(|e| e.to_string())? {
        let e = e.map_err(|e| e.to_string())?;
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        if name.matches('/').count() != 1 || !name.ends_with("/Cargo.toml") {
            continue;
        }
        let mut text = String::new();
        e.take(MAX_METADATA_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        let doc: toml::Table =
            toml::from_str(&text).map_err(|e| format!("`{name}`: {}", e.message()))?;
        let pkg = doc.get("package").and_then(|p| p.as_table());
        let get = |k: &str| pkg.and_then(|p| p.get(k)).and_then(|v| v.as_str());
        return Ok(match (get("license"), get("license-file")) {
            (Some(l), _) => Some(
                spdx_expression(l)
                    .map(License::Expression)
                    .unwrap_or_else(|| License::Name(l.to_string())),
            ),
            (None, Some(f)) => Some(License::Name(format!("see {f}"))),
            _ => None,
        });
    }
    Err("the crate has no Cargo.toml".into())
}

/// The text of a wheel's `*.dist-info/METADATA`.
fn wheel_metadata(path: &Path) -> Result<String, String> {
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
    Ok(text)
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
    fn licences_prefer_spdx_expressions() {
        assert_eq!(
            license_of(Some("MIT OR Apache-2.0"), None, &[]),
            Some(License::Expression("MIT OR Apache-2.0".into()))
        );
        assert_eq!(
            license_of(None, Some("Apache 2.0"), &[]),
            Some(License::Expression("Apache-2.0".into()))
        );
        assert_eq!(
            license_of(None, Some("Dual licensed, see LICENSE"), &[]),
            Some(License::Name("Dual licensed, see LICENSE".into()))
        );
        assert_eq!(
            license_of(
                None,
                None,
                &["License :: OSI Approved :: BSD License".to_string()]
            ),
            Some(License::Name("BSD License".into()))
        );
        assert_eq!(license_of(None, None, &[]), None);
    }

    #[test]
    fn reads_headers_until_the_body() {
        let text = "Metadata-Version: 2.1\nName: a\nRequires-Dist: b>=1\nRequires-Dist: c ;\n  extra == 'x'\n\nRequires-Dist: not-a-header\n";
        assert_eq!(
            header_values(text, "requires-dist"),
            vec!["b>=1", "c ; extra == 'x'"]
        );
    }
}
