//! Reading CycloneDX JSON made by any tool (spec 1.4 to 1.6), for `audit --sbom` and `sbom
//! query`: a lenient wire format of its own, apart from the one repro writes
//! ([`super::cyclonedx`]), because other tools use what the spec allows and repro never writes.
//!
//! Accepted as the spec allows: licences by `license.id`, `license.name` or `expression`;
//! components nested in components (flattened here, depth-first); every optional field missing
//! (`version`, `purl`, `metadata`, `serialNumber`, the document `version`); `metadata.tools` as
//! the 1.4 array or the 1.5 object (ignored). See <https://cyclonedx.org/docs/1.6/json/>.
//!
//! Invariant: every file asked for is either read or an error naming it. A directory is
//! searched for `*.json`; a JSON document there whose `bomFormat` is not `CycloneDX` is not an
//! SBOM and is listed in [`Loaded::skipped`], but a file that cannot be read, is not JSON, or
//! claims to be CycloneDX and is not valid is an error, never skipped, and a directory with no
//! SBOM at all is an error too: no answer over it could be an all-clear.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Largest SBOM read. A CycloneDX document of tens of thousands of components is a few
/// megabytes; the cap keeps a mistaken path (a disk image, `/dev/zero`) from exhausting memory.
pub const MAX_SBOM_BYTES: u64 = 256 * 1024 * 1024;

/// Deepest nesting of components followed (the spec sets none; a hostile file could).
pub const MAX_DEPTH: usize = 64;

/// Why SBOMs could not be read. Messages say where, never what: a type error of serde quotes
/// the value (a package name, private to `repro audit --sbom`).
#[derive(Debug, thiserror::Error)]
pub enum SbomReadError {
    /// The file or directory could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not JSON, or not a valid CycloneDX document.
    #[error("`{}` is not a CycloneDX JSON document: {detail}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        detail: String,
    },
    /// A directory holds no CycloneDX document.
    #[error("no CycloneDX SBOM in `{}` (searched {json} `*.json` file{})", path.display(), if *json == 1 { "" } else { "s" })]
    Empty {
        /// The directory.
        path: PathBuf,
        /// JSON files found there, none of them CycloneDX.
        json: usize,
    },
}

/// One component, with the components nested in it flattened beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomComponent {
    /// `library`, `application`, `framework`, … (`library` when missing).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Version, when given.
    pub version: Option<String>,
    /// Package URL, when given.
    pub purl: Option<String>,
    /// Licences: SPDX ids, names and expressions, as written.
    pub licenses: Vec<String>,
    /// The values of its `repro:used-by` properties.
    pub used_by: Vec<String>,
}

impl SbomComponent {
    /// The PyPI or crates.io packages this component may be, for matching: the one its purl
    /// names (purl type case-insensitive; the purl's version, else the component's), and, when
    /// the component's own `name` and `version` say something else, that one too (the
    /// fail-closed union: a component named `harmless` whose purl is `pkg:pypi/soupsieve@2.8.3`
    /// is audited as both). A component whose purl is not `pkg:pypi` or `pkg:cargo` is none.
    pub fn packages(&self) -> Vec<(crate::model::Ecosystem, crate::model::PackageName, String)> {
        let Some(p) = self.purl.as_deref().and_then(crate::vex::parse_purl) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(v) = p.version.clone().or_else(|| self.version.clone()) {
            out.push((p.ecosystem, p.name.clone(), v));
        }
        if let Some(v) = &self.version {
            let named = (
                p.ecosystem,
                crate::model::PackageName::new(p.ecosystem, &self.name),
                v.clone(),
            );
            if !out.contains(&named) {
                out.push(named);
            }
        }
        out
    }
}

/// One SBOM read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sbom {
    /// `specVersion`.
    pub spec_version: String,
    /// `name@version` of `metadata.component`, empty when there is none.
    pub release: String,
    /// Every component, nested ones included.
    pub components: Vec<SbomComponent>,
}

/// What [`load`] read.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Each SBOM with its file, in path order.
    pub sboms: Vec<(PathBuf, Sbom)>,
    /// JSON files of a directory that are not CycloneDX documents.
    pub skipped: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDocument {
    bom_format: Option<String>,
    spec_version: Option<String>,
    #[serde(default)]
    metadata: Option<WireMetadata>,
    #[serde(default)]
    components: Vec<WireComponent>,
}

#[derive(Deserialize)]
struct WireMetadata {
    #[serde(default)]
    component: Option<WireComponent>,
}

#[derive(Deserialize)]
struct WireComponent {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    licenses: Vec<WireLicenseChoice>,
    #[serde(default)]
    properties: Vec<WireProperty>,
    #[serde(default)]
    components: Vec<WireComponent>,
}

/// `{"license": {"id": …}}`, `{"license": {"name": …}}` or `{"expression": …}`.
#[derive(Deserialize)]
struct WireLicenseChoice {
    #[serde(default)]
    license: Option<WireLicense>,
    #[serde(default)]
    expression: Option<String>,
}

#[derive(Deserialize)]
struct WireLicense {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct WireProperty {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

/// Read one CycloneDX JSON document from `bytes` (`path` names it in errors).
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Option<Sbom>, SbomReadError> {
    let invalid = |e: serde_json::Error| SbomReadError::Invalid {
        path: path.to_path_buf(),
        detail: format!(
            "{:?} error at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        ),
    };
    // First: is it JSON, and does it say it is CycloneDX?
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(invalid)?;
    if value.get("bomFormat").and_then(|v| v.as_str()) != Some("CycloneDX") {
        return Ok(None);
    }
    let doc: WireDocument = serde_json::from_value(value).map_err(|e| SbomReadError::Invalid {
        path: path.to_path_buf(),
        // A `from_value` error has no position; its category is the whole story we may tell.
        detail: format!("{:?} error in a component or the metadata", e.classify()),
    })?;
    let spec_version = doc.spec_version.unwrap_or_default();
    if !matches!(spec_version.as_str(), "1.4" | "1.5" | "1.6") {
        return Err(SbomReadError::Invalid {
            path: path.to_path_buf(),
            detail: format!(
                "spec version `{}` is not one repro reads (1.4 to 1.6)",
                crate::redact::plain_text(&spec_version)
            ),
        });
    }
    debug_assert_eq!(doc.bom_format.as_deref(), Some("CycloneDX"));
    let release = doc
        .metadata
        .as_ref()
        .and_then(|m| m.component.as_ref())
        .map(|c| format!("{}@{}", c.name, c.version.as_deref().unwrap_or("")))
        .unwrap_or_default();
    let mut components = Vec::new();
    flatten(doc.components, 0, &mut components).map_err(|()| SbomReadError::Invalid {
        path: path.to_path_buf(),
        detail: format!("components nested deeper than {MAX_DEPTH}"),
    })?;
    Ok(Some(Sbom {
        spec_version,
        release,
        components,
    }))
}

fn flatten(wire: Vec<WireComponent>, depth: usize, out: &mut Vec<SbomComponent>) -> Result<(), ()> {
    if depth > MAX_DEPTH {
        return Err(());
    }
    for c in wire {
        let licenses = c
            .licenses
            .into_iter()
            .filter_map(|l| {
                l.expression
                    .or_else(|| l.license.and_then(|l| l.id.or(l.name)))
            })
            .collect();
        let used_by = c
            .properties
            .into_iter()
            .filter(|p| p.name == "repro:used-by")
            .filter_map(|p| p.value)
            .collect();
        out.push(SbomComponent {
            kind: c.kind.unwrap_or_else(|| "library".into()),
            name: c.name,
            version: c.version,
            purl: c.purl,
            licenses,
            used_by,
        });
        flatten(c.components, depth + 1, out)?;
    }
    Ok(())
}

/// Read one file of `path`.
fn load_file(path: &Path) -> Result<Option<Sbom>, SbomReadError> {
    let bytes =
        crate::fsio::read_capped(path, MAX_SBOM_BYTES).map_err(|source| SbomReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    parse(path, &bytes)
}

/// Read an SBOM file, or every `*.json` under a directory (see the module's invariant).
pub fn load(path: &Path) -> Result<Loaded, SbomReadError> {
    let meta = std::fs::metadata(path).map_err(|source| SbomReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut loaded = Loaded::default();
    if !meta.is_dir() {
        return match load_file(path)? {
            Some(s) => {
                loaded.sboms.push((path.to_path_buf(), s));
                Ok(loaded)
            }
            None => Err(SbomReadError::Invalid {
                path: path.to_path_buf(),
                detail: "its `bomFormat` is not `CycloneDX`".into(),
            }),
        };
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
        let entry = entry.map_err(|e| SbomReadError::Io {
            path: e.path().unwrap_or(path).to_path_buf(),
            source: e.into_io_error().unwrap_or_else(|| {
                std::io::Error::other("a directory loop (a link to an ancestor)")
            }),
        })?;
        // A link counts as the file it points to; a dangling one is an error when read.
        if entry.path().extension().is_some_and(|x| x == "json") && !entry.file_type().is_dir() {
            files.push(entry.into_path());
        }
    }
    files.sort();
    for f in &files {
        match load_file(f)? {
            Some(s) => loaded.sboms.push((f.clone(), s)),
            None => loaded.skipped.push(f.clone()),
        }
    }
    if loaded.sboms.is_empty() {
        return Err(SbomReadError::Empty {
            path: path.to_path_buf(),
            json: files.len(),
        });
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Sbom {
        parse(Path::new("t.json"), json.as_bytes())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn licences_by_id_name_or_expression_and_nested_components() {
        let sbom = read(
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
                "components": [
                  {"type": "library", "name": "a", "version": "1", "purl": "pkg:pypi/a@1",
                   "licenses": [{"license": {"id": "MIT"}}, {"license": {"name": "Custom"}}],
                   "components": [{"name": "b", "licenses": [{"expression": "MIT OR Apache-2.0"}]}]}
                ]}"#,
        );
        assert_eq!(sbom.release, "");
        assert_eq!(sbom.components.len(), 2);
        assert_eq!(sbom.components[0].licenses, ["MIT", "Custom"]);
        assert_eq!(sbom.components[1].name, "b");
        assert_eq!(sbom.components[1].version, None);
        assert_eq!(sbom.components[1].licenses, ["MIT OR Apache-2.0"]);
    }

    #[test]
    fn a_1_4_document_with_tools_as_an_array_reads() {
        let sbom = read(
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
                "metadata": {"tools": [{"vendor": "x", "name": "y"}],
                             "component": {"type": "application", "name": "app"}},
                "components": []}"#,
        );
        assert_eq!(sbom.release, "app@");
    }

    #[test]
    fn errors_say_where_never_what() {
        let err = parse(
            Path::new("t.json"),
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": 5, "version": "secret-name"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`t.json`") && !err.contains("secret"), "{err}");
        let err = parse(Path::new("t.json"), b"{ not json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(
            parse(Path::new("t.json"), br#"{"spdxVersion": "SPDX-2.3"}"#)
                .unwrap()
                .is_none()
        );
        let err = parse(
            Path::new("t.json"),
            br#"{"bomFormat": "CycloneDX", "specVersion": "1.2"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("1.4 to 1.6"), "{err}");
    }
}
