//! `repro sbom [LOCKS…]` and `repro sbom query SBOM_OR_DIR NAME [SPEC]`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::cli::load_all_or_report;
use crate::cli::{ExitStatus, Printer};
use crate::sbom::Bom;
use crate::sbom::cyclonedx::{SpecVersion, render};

/// Arguments of `repro sbom`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SbomArgs {
    #[command(subcommand)]
    query: Option<SbomCommand>,
    /// Lockfiles, or directories to search for them
    locks: Vec<PathBuf>,
    /// Describe a build instead: the exact artifacts its manifest says were installed
    #[arg(long, value_name = "MANIFEST", conflicts_with = "locks")]
    manifest: Option<PathBuf>,
    /// Name of the release (the SBOM's metadata component)
    #[arg(long, default_value = "release")]
    name: String,
    /// Version of the release
    #[arg(long = "version", value_name = "V", default_value = "0.0.0")]
    release_version: String,
    /// CycloneDX spec version
    #[arg(long, value_enum, default_value = "1.6")]
    spec: SpecVersion,
    /// Write the SBOM here (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Timestamp of the SBOM [default: $SOURCE_DATE_EPOCH, else the last git commit time]
    #[arg(long, value_name = "SECONDS")]
    source_date_epoch: Option<i64>,
    /// Read licences from the artifacts in this store (a wheel's METADATA, a crate's Cargo.toml).
    /// Only this flag does: `$REPRO_STORE` never changes an SBOM's bytes
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// SPDX licence ids allowed (comma-separated): components outside them are listed, exit 1
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    allow_licenses: Option<Vec<String>>,
    /// Embed VEX statements (OpenVEX JSON or a CycloneDX VEX BOM) in the SBOM's
    /// `vulnerabilities`, each about the components its purls name; repeat for several
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
    /// Print only the licence report (components with an unknown or disallowed licence)
    #[arg(long)]
    licenses_only: bool,
}

#[derive(Debug, Subcommand)]
enum SbomCommand {
    /// Are we affected? Every release (SBOM) and function that holds NAME at a version matching
    /// SPEC (PEP 440 for PyPI, semver for crates); exit 1 when something matches
    Query {
        /// An SBOM, or a directory of SBOMs (every `*.json` holding a CycloneDX document)
        sboms: PathBuf,
        /// Package name (PyPI names are normalized)
        name: String,
        /// Version specifier: `<2.5`, `>=1.0,<1.4`, `==1.2.3`; every version when omitted
        spec: Option<String>,
    },
}

/// Run `repro sbom`.
pub fn run(args: SbomArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    if let Some(SbomCommand::Query { sboms, name, spec }) = args.query {
        return query(&sboms, &name, spec.as_deref(), printer);
    }
    if let Some(path) = &args.manifest {
        let manifest = match crate::manifest::Manifest::load(path) {
            Ok(m) => m,
            Err(e) => {
                printer.error(&e.to_string(), None);
                return Ok(ExitStatus::Error);
            }
        };
        let mut bom = Bom::from_manifest(&manifest, &args.name, &args.release_version);
        if let Some(root) = &args.store {
            attach_publishers(&mut bom, &crate::store::Store::open(root)?)?;
        }
        return write_sbom(&bom, &args, printer);
    }
    let Some(locks) = load_all_or_report(args.locks.clone(), printer) else {
        return Ok(ExitStatus::Error);
    };
    let here = std::env::current_dir()?;
    let epoch = match crate::pack::source_date_epoch(args.source_date_epoch, &here) {
        Ok(e) => e,
        Err(e) => {
            printer.error(&e, None);
            return Ok(ExitStatus::Error);
        }
    };
    let Some(epoch) = epoch else {
        printer.error(
            "no SOURCE_DATE_EPOCH: pass --source-date-epoch, set SOURCE_DATE_EPOCH, or run in a git checkout",
            Some("the SBOM's timestamp must be the same on every machine"),
        );
        return Ok(ExitStatus::Error);
    };
    let mut bom = Bom::generate(&locks, &args.name, &args.release_version, epoch);
    if let Some(root) = &args.store {
        let store = crate::store::Store::open(root)?;
        bom.attach_licenses(&store);
        bom.attach_wheel_dependencies(&store);
        attach_publishers(&mut bom, &store)?;
    }
    let problems = bom.license_problems(args.allow_licenses.as_deref());
    let license_failure = args.allow_licenses.is_some() && !problems.is_empty();
    if args.licenses_only {
        if printer.json {
            let rows: Vec<_> = problems
                .iter()
                .map(|(purl, l)| serde_json::json!({"purl": purl, "license": l.as_ref().map(|l| format!("{l:?}"))}))
                .collect();
            printer.json(&serde_json::json!({"schema": "repro.licenses/v1", "components": bom.components.len(), "problems": rows}))?;
        } else {
            let mut rows = String::new();
            for (purl, l) in &problems {
                let what = match l {
                    None => "licence unknown (is its artifact in --store?)".to_string(),
                    Some(crate::metadata::License::Name(n)) => {
                        format!("`{n}` is not an SPDX expression")
                    }
                    Some(crate::metadata::License::Expression(e)) => {
                        format!("`{e}` is outside the allowed licences")
                    }
                };
                let _ = writeln!(rows, "{purl}: {what}");
            }
            printer.detail(&rows)?;
            printer.summary(&format!(
                "{} components, {} with a licence problem\n",
                bom.components.len(),
                problems.len()
            ))?;
        }
        return Ok(
            if license_failure
                || (args.allow_licenses.is_none() && !problems.is_empty() && args.store.is_some())
            {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            },
        );
    }
    if license_failure {
        write_sbom(&bom, &args, printer)?;
        for (purl, _) in &problems {
            printer.error(
                &format!("{purl}: licence unknown or outside --allow-licenses"),
                None,
            );
        }
        return Ok(ExitStatus::Failure);
    }
    write_sbom(&bom, &args, printer)
}

/// Record each component's Trusted Publisher from the provenance the store holds for its
/// artifacts, verified again (offline, against the production trusted root) first.
fn attach_publishers(bom: &mut Bom, store: &crate::store::Store) -> anyhow::Result<()> {
    let sha256s: std::collections::BTreeSet<String> = bom
        .components
        .values()
        .flat_map(|c| &c.hashes)
        .filter(|d| d.algorithm() == crate::digest::HashAlgorithm::Sha256)
        .map(|d| d.hex())
        .collect();
    let root = crate::sign::keyless::trusted_root(None, false).map_err(anyhow::Error::msg)?;
    let found = crate::provenance::verified_publishers(store, &root, &sha256s)
        .map_err(anyhow::Error::msg)?;
    let by_sha256 = found
        .into_iter()
        .map(|(sha, publishers)| {
            let publishers = publishers
                .iter()
                .map(|p| crate::sbom::Publisher {
                    description: p.to_string(),
                    repository: p.repository_url(),
                })
                .collect();
            (sha, publishers)
        })
        .collect();
    bom.attach_publishers(&by_sha256);
    Ok(())
}

/// Render and write (atomically) or print the SBOM.
fn write_sbom(bom: &Bom, args: &SbomArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let mut doc = render(bom, args.spec);
    if !args.vex.is_empty() {
        let mut statements = Vec::new();
        for path in &args.vex {
            match crate::vex::load(path) {
                Ok(s) => statements.extend(s),
                Err(e) => {
                    printer.error(&e.to_string(), None);
                    return Ok(ExitStatus::Error);
                }
            }
        }
        let skipped = crate::sbom::cyclonedx::embed_vex(&mut doc, &statements);
        if skipped > 0 {
            printer.warning(&format!(
                "{skipped} VEX statement(s) name no component of this SBOM, or say a malicious package is not affected: left out"
            ));
        }
    }
    let mut json = serde_json::to_vec_pretty(&doc)?;
    json.push(b'\n');
    match &args.out {
        Some(out) => {
            crate::fsio::write_public_beside(out, &json)
                .with_context(|| format!("cannot write `{}`", out.display()))?;
            if printer.json {
                printer.json(&SbomWritten {
                    schema: SBOM_WRITTEN_SCHEMA,
                    out: out.clone(),
                    spec_version: doc.spec_version.clone(),
                    serial_number: doc.serial_number.clone(),
                    sha256: crate::digest::sha256(&json).hex(),
                    components: bom.components.len(),
                    lockfiles: bom.applications.len(),
                })?;
            } else {
                printer.summary(&format!(
                    "wrote {} (CycloneDX {}): {} components from {} lockfiles\n",
                    out.display(),
                    doc.spec_version,
                    bom.components.len(),
                    bom.applications.len()
                ))?;
            }
        }
        // The SBOM is the document: under --json too (a CycloneDX document names its schema
        // in `$schema`), and under -qq (it is the result asked for, not a message).
        None if printer.json => printer.json(&doc)?,
        None => printer.out(std::str::from_utf8(&json)?)?,
    }
    Ok(ExitStatus::Success)
}

/// Version of the document `repro sbom --out FILE --json` prints.
pub const SBOM_WRITTEN_SCHEMA: &str = "repro.sbom-written/v1";

/// What `repro sbom --out FILE --json` prints: the file written and what it holds.
#[derive(Debug, serde::Serialize)]
struct SbomWritten {
    /// [`SBOM_WRITTEN_SCHEMA`].
    schema: &'static str,
    /// The file written.
    out: PathBuf,
    /// CycloneDX spec version.
    spec_version: String,
    /// The SBOM's serial number.
    serial_number: Option<String>,
    /// SHA-256 of the bytes written.
    sha256: String,
    /// Library components.
    components: usize,
    /// Lockfiles described (application components).
    lockfiles: usize,
}

/// One component of one SBOM that matches a query.
#[derive(Debug, serde::Serialize)]
struct Match {
    sbom: PathBuf,
    release: String,
    name: String,
    version: String,
    purl: String,
    used_by: Vec<String>,
}

fn matches(
    ecosystem: crate::model::Ecosystem,
    version: &str,
    spec: Option<&str>,
) -> anyhow::Result<bool> {
    let Some(spec) = spec else { return Ok(true) };
    if ecosystem == crate::model::Ecosystem::Cargo {
        let req = semver::VersionReq::parse(spec)
            .with_context(|| format!("invalid semver requirement `{spec}`"))?;
        Ok(semver::Version::parse(version).is_ok_and(|v| req.matches(&v)))
    } else {
        let specs = pep440_rs::VersionSpecifiers::from_str(spec)
            .with_context(|| format!("invalid PEP 440 specifier `{spec}`"))?;
        Ok(pep440_rs::Version::from_str(version).is_ok_and(|v| specs.contains(&v)))
    }
}

fn query(
    sboms: &Path,
    name: &str,
    spec: Option<&str>,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let loaded = crate::sbom::read::load(sboms)?;
    let docs = &loaded.sboms;
    let wanted_pypi = crate::model::PackageName::new(crate::model::Ecosystem::Pypi, name);
    let mut found = Vec::new();
    for (path, doc) in docs {
        // Every component, nested ones and any `type`, by its purl (and its name).
        for c in &doc.components {
            let Some(purl) = &c.purl else { continue };
            let mut hit = None;
            for (eco, pkg, version) in c.packages() {
                let same_name = match eco {
                    crate::model::Ecosystem::Pypi => pkg == wanted_pypi,
                    crate::model::Ecosystem::Cargo => pkg.as_str() == name,
                };
                if same_name && matches(eco, &version, spec)? {
                    hit = Some(version);
                    break;
                }
            }
            if let Some(version) = hit {
                found.push(Match {
                    sbom: path.clone(),
                    release: doc.release.clone(),
                    name: c.name.clone(),
                    version,
                    purl: purl.clone(),
                    used_by: c.used_by.clone(),
                });
            }
        }
    }
    if printer.json {
        printer.json(&serde_json::json!({"schema": "repro.sbom-query/v1", "sboms": docs.len(), "skipped": loaded.skipped, "matches": found}))?;
    } else {
        let mut rows = String::new();
        for m in &found {
            let _ = writeln!(
                rows,
                "{} ({}): {}=={} used by {}",
                m.release,
                m.sbom.display(),
                m.name,
                m.version,
                if m.used_by.is_empty() {
                    "-".to_string()
                } else {
                    m.used_by.join(", ")
                }
            );
        }
        printer.detail(&rows)?;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} match{} for `{name}`{} in {} SBOM{}{}",
            found.len(),
            if found.len() == 1 { "" } else { "es" },
            spec.map(|s| format!(" {s}")).unwrap_or_default(),
            docs.len(),
            if docs.len() == 1 { "" } else { "s" },
            match loaded.skipped.len() {
                0 => String::new(),
                n => format!(
                    " ({n} JSON file{} not CycloneDX, skipped)",
                    if n == 1 { "" } else { "s" }
                ),
            }
        );
        printer.summary(&out)?;
    }
    Ok(if found.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
