//! Core metadata of built distributions: a wheel's `*.dist-info/METADATA` (RFC 822 headers).
//!
//! What the closure check and the SBOM need: the `Requires-Dist` values and the licence. Reads
//! are bounded: the metadata member must be at most [`MAX_METADATA_BYTES`].

pub mod classifiers;

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

/// Licence names seen in `License` fields and `Cargo.toml` that name one SPDX licence without
/// doubt (compared without case). The `spdx` crate's own list of imprecise names is not used:
/// it guesses versions (`GPL` → `GPL-2.0-only`, `GNU GPL v2` → `GPL-3.0-only`, `BSD` →
/// `BSD-2-Clause`), and a wrong id is worse than a name.
const UNAMBIGUOUS_NAMES: &[(&str, &str)] = &[
    ("apache 2.0", "Apache-2.0"),
    ("apache 2", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache2", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache software license 2.0", "Apache-2.0"),
    ("asl2.0", "Apache-2.0"),
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("bsd-2clause", "BSD-2-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd-3clause", "BSD-3-Clause"),
    ("bsd3", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("cc0", "CC0-1.0"),
    ("mpl2", "MPL-2.0"),
    ("mpl 2.0", "MPL-2.0"),
    ("isc license", "ISC"),
];

/// Parse `text` as an SPDX expression: identifiers as the SPDX list writes them (any case,
/// deprecated ones such as `GPL-2.0+` too, `/` for `OR` as older crates write it), or one of
/// [`UNAMBIGUOUS_NAMES`] as the whole text. Anything else is no expression.
pub fn spdx_expression(text: &str) -> Option<String> {
    let text = text.trim();
    if let Some((_, id)) = UNAMBIGUOUS_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(text))
    {
        return Some((*id).to_string());
    }
    let mode = spdx::ParseMode {
        allow_slash_as_or_operator: true,
        allow_deprecated: true,
        allow_postfix_plus_on_gpl: true,
        ..spdx::ParseMode::STRICT
    };
    let expr = spdx::Expression::parse_mode(text, mode)
        .or_else(|_| {
            // Identifiers in another case (`mit`, `apache-2.0`): the list's own spelling.
            let fixed = fix_case(text)?;
            spdx::Expression::parse_mode(&fixed, mode).map_err(|_| ())
        })
        .ok()?;
    // Keep the expression's shape, with each licence written by its canonical SPDX id.
    let source = expr.as_ref().to_string();
    let mut out = source.clone();
    let mut reqs: Vec<_> = expr.requirements().collect();
    reqs.sort_by_key(|r| std::cmp::Reverse(r.span.start));
    for r in reqs {
        out.replace_range(
            r.span.start as usize..r.span.end as usize,
            &r.req.to_string(),
        );
    }
    // `GPL-2.0+` reads as the id `GPL-2.0-or-later` and a `+` the id already says.
    Some(out.replace("-or-later+", "-or-later"))
}

/// `text` with each word that is an SPDX id in another case written as the list writes it;
/// `Err` when no word changed.
fn fix_case(text: &str) -> Result<String, ()> {
    let mut changed = false;
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            let (core, plus) = match w.strip_suffix('+') {
                Some(c) => (c, "+"),
                None => (w, ""),
            };
            match spdx::identifiers::LICENSES
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(core) && l.name != core)
            {
                Some(l) => {
                    changed = true;
                    format!("{}{plus}", l.name)
                }
                None => w.to_string(),
            }
        })
        .collect();
    if changed {
        Ok(words.join(" "))
    } else {
        Err(())
    }
}

/// A wheel's licence, from the most precise source: `License-Expression` (PEP 639); a
/// `License` field that is an SPDX expression; a single licence classifier that names one
/// licence ([`classifiers::LICENSE_CLASSIFIERS`]); else the `License` text or the classifiers,
/// as names. A classifier is preferred to free text that is no expression (`License: GPL` with
/// `GPLv2+` is `GPL-2.0-or-later`).
fn license_of(
    expression: Option<&str>,
    text: Option<&str>,
    classifiers: &[String],
) -> Option<License> {
    if let Some(e) = expression.and_then(spdx_expression) {
        return Some(License::Expression(e));
    }
    let text = text
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 120 && !t.contains('\n'));
    if let Some(e) = text.and_then(spdx_expression) {
        return Some(License::Expression(e));
    }
    let licence_classifiers: Vec<&str> = classifiers
        .iter()
        .map(|c| c.trim())
        .filter(|c| c.starts_with("License ::"))
        .collect();
    // Several classifiers do not say whether they combine with AND or OR: names, then.
    if let [one] = licence_classifiers.as_slice()
        && let Some(id) = classifiers::spdx_for_classifier(one)
    {
        return Some(License::Expression(id.to_string()));
    }
    if let Some(t) = text {
        return Some(License::Name(t.to_string()));
    }
    let names: Vec<&str> = licence_classifiers
        .iter()
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

    /// Unidecode declares `License: GPL` and the `GPLv2+` classifier: GPL-2.0-or-later, never
    /// GPL-2.0-only.
    #[test]
    fn a_precise_classifier_beats_a_vague_licence_field() {
        let gplv2_plus =
            "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)"
                .to_string();
        assert_eq!(
            license_of(None, Some("GPL"), std::slice::from_ref(&gplv2_plus)),
            Some(License::Expression("GPL-2.0-or-later".into()))
        );
        assert_eq!(
            license_of(None, Some("GPL"), &[]),
            Some(License::Name("GPL".into()))
        );
        // Two classifiers: AND or OR is not said.
        let mit = "License :: OSI Approved :: MIT License".to_string();
        assert_eq!(
            license_of(None, None, &[mit.clone(), gplv2_plus]),
            Some(License::Name(
                "MIT License AND GNU General Public License v2 or later (GPLv2+)".into()
            ))
        );
        assert_eq!(
            license_of(None, None, &[mit]),
            Some(License::Expression("MIT".into()))
        );
    }

    #[test]
    fn spdx_expressions_are_never_guessed() {
        for vague in ["GPL", "BSD", "LGPL", "Apache", "GNU GPL v2", "AGPL", "MPL"] {
            assert_eq!(spdx_expression(vague), None, "{vague}");
        }
        assert_eq!(
            spdx_expression("MIT/Apache-2.0").as_deref(),
            Some("MIT/Apache-2.0")
        );
        assert_eq!(
            spdx_expression("mit OR apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            spdx_expression("GPL-2.0+").as_deref(),
            Some("GPL-2.0-or-later")
        );
        assert_eq!(spdx_expression("Apache 2.0").as_deref(), Some("Apache-2.0"));
        assert_eq!(
            spdx_expression("BSD-3-Clause").as_deref(),
            Some("BSD-3-Clause")
        );
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
