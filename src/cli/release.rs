//! `repro release`: check → fetch → provenance (the direct dependencies' PEP 740 attestations
//! and publisher pins) → audit (private; before the build, so that a finding stops the release
//! before it costs a build) → build (manifest, provenance) → SBOM → sign every artefact →
//! SHA256SUMS → VERIFY.md, into one release folder.
//!
//! Each step runs this very binary as a child process with the arguments a maintainer would
//! type, so a release is exactly the sequence the README documents; signing runs in-process so
//! the passphrase is asked once.

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use crate::audit::FailOn;
use crate::cli::{ExitStatus, Printer};
use crate::sign;
use crate::sign::files::{sign_attestation, sign_file, write_file};

/// Arguments of `repro release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Lockfiles, or directories to search for them
    locks: Vec<PathBuf>,
    /// Release name (SBOM, VERIFY.md)
    #[arg(long)]
    name: String,
    /// Release version
    #[arg(long = "version", value_name = "V")]
    release_version: String,
    /// Build target, e.g. lambda-python3.12-x86_64
    #[arg(long, value_name = "T")]
    target: String,
    /// Signing key (cosign's encrypted PEM; passphrase from $REPRO_PASSWORD or the terminal)
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The release folder to create (must not exist, or be empty)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Build outputs to ship (files or directories), as `repro build --output`
    #[arg(long = "output", value_name = "PATH")]
    outputs: Vec<String>,
    #[command(flatten)]
    db: crate::cli::OsvDbArgs,
    /// Private audit report, outside the release folder [default: audit-report.txt in the
    /// private state directory, as `repro audit`]
    #[arg(long, value_name = "FILE")]
    audit_report: Option<PathBuf>,
    /// Findings at or above this rating stop the release
    #[arg(long, value_enum, default_value = "high")]
    fail_on: FailOn,
    /// Audit policy file
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Artifact store
    #[arg(long, value_name = "DIR", env = "REPRO_STORE")]
    store: Option<PathBuf>,
    /// Python package index
    #[arg(long, value_name = "URL")]
    index_url: Option<String>,
    /// A local folder of artifacts
    #[arg(long, value_name = "DIR")]
    find_links: Option<PathBuf>,
    /// Use the store alone
    #[arg(long)]
    offline: bool,
    /// A direct dependency without PEP 740 provenance stops the release (`repro provenance
    /// --require`)
    #[arg(long)]
    require_provenance: bool,
    /// Check the provenance of every locked package, not only the direct dependencies
    #[arg(long)]
    provenance_all: bool,
    /// Read provenance from this folder instead of the index (`repro provenance --provenance-dir`)
    #[arg(long, value_name = "DIR")]
    provenance_dir: Option<PathBuf>,
    /// Skip the provenance step (a release whose locks hold no PyPI package)
    #[arg(long, conflicts_with_all = ["require_provenance", "provenance_all", "provenance_dir"])]
    no_provenance: bool,
    /// Timestamp handed to the build
    #[arg(long, value_name = "SECONDS")]
    source_date_epoch: Option<i64>,
    /// Builder identity for the provenance
    #[arg(long, value_name = "URI", env = "REPRO_BUILDER_ID")]
    builder_id: Option<String>,
    /// The build command, after `--`
    #[arg(last = true)]
    command: Vec<String>,
}

/// The steps of a release.
const STEPS: usize = 8;

fn step(printer: &Printer, n: usize, what: &str) {
    if printer.verbosity != crate::cli::printer::Verbosity::Silent {
        eprintln!("release {n}/{STEPS}: {what}");
    }
}

/// Run this binary with `args`; Ok(exit code). Its stdout goes to our stderr: under `--json`,
/// stdout carries the release's one document, and the steps' results are progress here.
fn repro(args: &[String], printer: &Printer) -> anyhow::Result<i32> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    if printer.verbosity == crate::cli::printer::Verbosity::Silent {
        cmd.arg("-qq");
    }
    let status = cmd.args(args).stdout(std::io::stderr()).status()?;
    Ok(status.code().unwrap_or(2))
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Run `repro release`.
pub fn run(args: ReleaseArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match release(&args, printer) {
        Ok(()) => Ok(ExitStatus::Success),
        Err(Stop::Failure(msg)) => {
            printer.error(&msg, None);
            Ok(ExitStatus::Failure)
        }
        Err(Stop::Error(msg)) => {
            printer.error(&msg, None);
            Ok(ExitStatus::Error)
        }
    }
}

enum Stop {
    /// A check said no (not hermetic, findings, a mismatch).
    Failure(String),
    /// Something could not run.
    Error(String),
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Self {
        Stop::Error(format!("{e:#}"))
    }
}

fn checked(code: i32, what: &str) -> Result<(), Stop> {
    match code {
        0 => Ok(()),
        1 => Err(Stop::Failure(format!("release stopped: {what}"))),
        _ => Err(Stop::Error(format!(
            "release stopped: {what} could not run"
        ))),
    }
}

fn release(args: &ReleaseArgs, printer: &Printer) -> Result<(), Stop> {
    let out = &args.out;
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Stop::Error(format!(
            "{}: exists and is not empty; a release folder starts empty",
            out.display()
        )));
    }
    let audit_report = match &args.audit_report {
        Some(p) => p.clone(),
        None => crate::audit::location::default_report("txt").map_err(Stop::Error)?,
    };
    // Open the key first: a wrong passphrase should not cost a build.
    crate::cli::warn_exposed_key(&args.key, printer);
    let key = sign::load_private(&args.key, || {
        crate::cli::passphrase("Passphrase for the release key: ", false)
    })
    .map_err(|e| Stop::Error(e.to_string()))?;
    std::fs::create_dir_all(out).map_err(|e| Stop::Error(format!("{}: {e}", out.display())))?;
    check_report_outside(&audit_report, out)?;
    let locks: Vec<String> = args.locks.iter().map(|p| s(p)).collect();
    // Every step names the store explicitly: the SBOM's licences come from it, and an SBOM's
    // bytes must not depend on whether the store was named by `--store` or `$REPRO_STORE`.
    let store = args
        .store
        .clone()
        .unwrap_or_else(crate::store::Store::default_root);
    let mut sources: Vec<String> = vec!["--store".into(), s(&store)];
    if let Some(u) = &args.index_url {
        sources.extend(["--index-url".into(), u.clone()]);
    }
    if let Some(f) = &args.find_links {
        sources.extend(["--find-links".into(), s(f)]);
    }
    if args.offline {
        sources.push("--offline".into());
    }

    step(printer, 1, "check: the locks must be hermetic");
    let mut a = vec!["check".to_string(), "-q".to_string()];
    a.extend(locks.iter().cloned());
    checked(
        repro(&a, printer)?,
        "the locks are not hermetic (`repro check`)",
    )?;

    step(printer, 2, "fetch: every artifact, verified into the store");
    let mut a = vec![
        "fetch".into(),
        "-q".into(),
        "--target".into(),
        args.target.clone(),
    ];
    a.extend(sources.iter().cloned());
    a.extend(locks.iter().cloned());
    checked(
        repro(&a, printer)?,
        "an artifact does not match its lock (`repro fetch`)",
    )?;

    step(
        printer,
        3,
        "provenance: PEP 740 attestations and publisher pins",
    );
    if args.no_provenance {
        if printer.verbosity != crate::cli::printer::Verbosity::Silent {
            eprintln!("  skipped (--no-provenance)");
        }
    } else {
        let mut a = vec![
            "provenance".to_string(),
            "-q".to_string(),
            "--store".into(),
            s(&store),
        ];
        match (args.offline, &args.provenance_dir, &args.index_url) {
            (true, _, _) => a.push("--offline".into()),
            (false, Some(d), _) => a.extend(["--provenance-dir".into(), s(d)]),
            (false, None, Some(u)) => a.extend(["--index-url".into(), u.clone()]),
            (false, None, None) => {}
        }
        if args.require_provenance {
            a.push("--require".into());
        }
        if args.provenance_all {
            a.push("--all".into());
        }
        a.extend(locks.iter().cloned());
        checked(
            repro(&a, printer)?,
            "a dependency's provenance did not verify, or its publisher is not the pinned one (`repro provenance`)",
        )?;
    }

    step(printer, 4, "audit: findings go to the private report only");
    let mut a = vec![
        "audit".into(),
        "--report".into(),
        s(&audit_report),
        "--fail-on".into(),
        format!("{:?}", args.fail_on).to_lowercase(),
    ];
    for d in &args.db.db {
        a.extend(["--db".into(), s(d)]);
    }
    if let Some(p) = &args.policy {
        a.extend(["--policy".into(), s(p)]);
    }
    a.extend(locks.iter().cloned());
    checked(
        repro(&a, printer)?,
        &format!(
            "the audit found advisories at or above --fail-on; see the private report {}",
            audit_report.display()
        ),
    )?;

    step(printer, 5, "build: manifest and provenance");
    let manifest = out.join("repro-manifest.json");
    let provenance = out.join("provenance.intoto.json");
    let mut a = vec![
        "build".into(),
        "--target".into(),
        args.target.clone(),
        "--out".into(),
        s(&manifest),
        "--provenance".into(),
        s(&provenance),
    ];
    a.extend(sources.iter().cloned());
    if let Some(e) = args.source_date_epoch {
        a.extend(["--source-date-epoch".into(), e.to_string()]);
    }
    if let Some(b) = &args.builder_id {
        a.extend(["--builder-id".into(), b.clone()]);
    }
    for o in &args.outputs {
        a.extend(["--output".into(), o.clone()]);
    }
    a.extend(locks.iter().cloned());
    if !args.command.is_empty() {
        a.push("--".into());
        a.extend(args.command.iter().cloned());
    }
    checked(repro(&a, printer)?, "the build failed (`repro build`)")?;

    step(printer, 6, "sbom");
    let sbom = out.join("sbom.cdx.json");
    let a = vec![
        "sbom".into(),
        "--manifest".into(),
        s(&manifest),
        "--name".into(),
        args.name.clone(),
        "--version".into(),
        args.release_version.clone(),
        "--out".into(),
        s(&sbom),
        "--store".into(),
        s(&store),
    ];
    checked(repro(&a, printer)?, "the SBOM could not be written")?;

    step(
        printer,
        7,
        "sign: every artefact, the provenance, SHA256SUMS",
    );
    let mut artefacts = vec![manifest.clone(), sbom.clone()];
    for o in &args.outputs {
        copy_output(Path::new(o), out, &mut artefacts)?;
    }
    write_public(
        &out.join("release.pub"),
        sign::public_pem(key.verifying_key()).as_bytes(),
    )?;
    for f in &artefacts {
        sign_file(&key, f, None).map_err(Stop::Error)?;
    }
    sign_attestation(&key, &provenance, None).map_err(Stop::Error)?;
    // However it got there (a hard link, a bind mount), the private report is not a release file.
    let report_id = std::fs::metadata(&audit_report)
        .ok()
        .map(|m| (m.dev(), m.ino()));
    for f in walk(out)? {
        let id = std::fs::metadata(&f).ok().map(|m| (m.dev(), m.ino()));
        if id.is_some() && id == report_id {
            return Err(Stop::Error(format!(
                "`{}` is the private audit report: refusing to release it",
                f.display()
            )));
        }
    }
    write_sums(out, &key)?;

    step(printer, 8, "VERIFY.md");
    let verify = verify_md(args, out, &artefacts, key.verifying_key());
    write_public(&out.join("VERIFY.md"), verify.as_bytes())?;
    for f in walk(out)? {
        let mut p = std::fs::metadata(&f)
            .map_err(|e| Stop::Error(e.to_string()))?
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o644);
        std::fs::set_permissions(&f, p).map_err(|e| Stop::Error(e.to_string()))?;
    }
    if printer.json {
        printer
            .json(&serde_json::json!({
                "schema": "repro.release/v1",
                "name": args.name,
                "version": args.release_version,
                "out": out,
                "artefacts": artefacts,
                "verify": out.join("VERIFY.md"),
            }))
            .map_err(|e| Stop::Error(e.to_string()))?;
    } else {
        printer
            .summary(&format!(
                "released {} {} into {}: {} artefacts signed; see {}\n",
                args.name,
                args.release_version,
                out.display(),
                artefacts.len(),
                out.join("VERIFY.md").display()
            ))
            .map_err(|e| Stop::Error(e.to_string()))?;
    }
    Ok(())
}

/// Refuse a private report inside the release folder, comparing where the two are, not how they
/// are written: the report's directory is resolved (symbolic links, `..`) and it and each of
/// its ancestors is compared with the release folder by device and inode, which also sees
/// through bind mounts. A report path that is itself a symbolic link is refused.
fn check_report_outside(report: &Path, out: &Path) -> Result<(), Stop> {
    let inside = || {
        Stop::Error(format!(
            "--audit-report `{}` lies inside the release folder `{}`: findings stay private",
            report.display(),
            out.display()
        ))
    };
    if std::fs::symlink_metadata(report).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Stop::Error(format!(
            "--audit-report `{}` is a symbolic link: refusing to write the private report through it",
            report.display()
        )));
    }
    if report.file_name().is_none() {
        return Err(Stop::Error(format!(
            "--audit-report `{}` does not name a file",
            report.display()
        )));
    }
    let parent = std::fs::canonicalize(crate::fsio::dir_of(report)).map_err(|e| {
        Stop::Error(format!(
            "--audit-report `{}`: cannot resolve its directory: {e}",
            report.display()
        ))
    })?;
    let out_meta =
        std::fs::metadata(out).map_err(|e| Stop::Error(format!("`{}`: {e}", out.display())))?;
    let out_id = (out_meta.dev(), out_meta.ino());
    for dir in parent.ancestors() {
        let m =
            std::fs::metadata(dir).map_err(|e| Stop::Error(format!("`{}`: {e}", dir.display())))?;
        if (m.dev(), m.ino()) == out_id {
            return Err(inside());
        }
    }
    Ok(())
}

/// Write a public release file atomically (mode 0644).
fn write_public(path: &Path, bytes: &[u8]) -> Result<(), Stop> {
    write_file(path, bytes).map_err(Stop::Error)
}

/// Every file under `dir`, sorted by path.
fn walk(dir: &Path) -> Result<Vec<PathBuf>, Stop> {
    let mut v = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let e = e.map_err(|e| Stop::Error(e.to_string()))?;
        if e.file_type().is_file() {
            v.push(e.into_path());
        }
    }
    Ok(v)
}

/// Copy a build output (file, or every file of a directory) into the release folder.
fn copy_output(src: &Path, out: &Path, artefacts: &mut Vec<PathBuf>) -> Result<(), Stop> {
    let meta = std::fs::symlink_metadata(src)
        .map_err(|e| Stop::Error(format!("output {}: {e}", src.display())))?;
    let name = src
        .file_name()
        .ok_or_else(|| Stop::Error(format!("output {}: no file name", src.display())))?;
    if meta.is_file() {
        let to = out.join(name);
        std::fs::copy(src, &to).map_err(|e| Stop::Error(format!("{}: {e}", to.display())))?;
        artefacts.push(to);
        return Ok(());
    }
    if !meta.is_dir() {
        return Err(Stop::Error(format!(
            "output {}: only files and directories can be released",
            src.display()
        )));
    }
    for f in walk(src)? {
        let rel = f.strip_prefix(src).expect("under src");
        let to = out.join(name).join(rel);
        std::fs::create_dir_all(to.parent().expect("has a parent"))
            .map_err(|e| Stop::Error(e.to_string()))?;
        std::fs::copy(&f, &to).map_err(|e| Stop::Error(format!("{}: {e}", to.display())))?;
        artefacts.push(to);
    }
    Ok(())
}

/// SHA256SUMS of every file of the release so far, signed like the artefacts.
fn write_sums(out: &Path, key: &p256::ecdsa::SigningKey) -> Result<(), Stop> {
    let mut text = String::new();
    for f in walk(out)? {
        let digest = sign::sha256_file(&f).map_err(|e| Stop::Error(e.to_string()))?;
        let rel = f.strip_prefix(out).expect("under out");
        let _ = writeln!(text, "{}  {}", hex::encode(digest), rel.display());
    }
    let sums = out.join("SHA256SUMS");
    write_public(&sums, text.as_bytes())?;
    sign_file(key, &sums, None).map(drop).map_err(Stop::Error)
}

fn verify_md(
    args: &ReleaseArgs,
    out: &Path,
    artefacts: &[PathBuf],
    key: &p256::ecdsa::VerifyingKey,
) -> String {
    let rel = |p: &Path| p.strip_prefix(out).unwrap_or(p).display().to_string();
    // The consumer's commands come from the same functions as SECURITY.md's
    // (`repro posture init`), so the two documents cannot disagree.
    use crate::posture::commands;
    let fingerprint = commands::key_fingerprint(key);
    let mut m = String::new();
    let _ = writeln!(m, "# Verifying {} {}\n", args.name, args.release_version);
    let _ = writeln!(
        m,
        "Every file here is signed with the release key `release.pub` (ECDSA P-256; SHA-256 of \
         its DER: `{fingerprint}`). Take the key from the project's published location, not only \
         from this folder, and compare that fingerprint.\n"
    );
    let _ = writeln!(m, "## Check the whole folder\n\n```sh");
    let _ = writeln!(
        m,
        "{}\n```\n",
        commands::verify_folder(commands::Signer::Key).join("\n")
    );
    let _ = writeln!(m, "## Check one artefact\n\n```sh");
    for a in artefacts {
        let r = rel(a);
        let _ = writeln!(
            m,
            "repro verify {r} --bundle {r}.sigstore.json --key release.pub"
        );
    }
    let _ = writeln!(
        m,
        "```\n\nWith cosign (`cosign verify-blob` checks the raw signature):\n\n```sh"
    );
    for a in artefacts {
        let r = rel(a);
        let _ = writeln!(
            m,
            "cosign verify-blob --key release.pub --signature {r}.sig --insecure-ignore-tlog=true {r}"
        );
    }
    let _ = writeln!(
        m,
        "```\n\n(`--insecure-ignore-tlog` because these signatures were made with a key and not \
         uploaded to a transparency log; nothing here claims a log entry.)\n"
    );
    let _ = writeln!(m, "## How each artefact was built\n\n```sh");
    if let Some(a) = artefacts
        .iter()
        .find(|a| !a.ends_with("repro-manifest.json") && !a.ends_with("sbom.cdx.json"))
    {
        let _ = writeln!(
            m,
            "repro verify {} --bundle provenance.intoto.json.sigstore.json --key release.pub --type slsa-provenance",
            rel(a)
        );
    }
    let _ = writeln!(m, "```\n\n## Am I affected by an advisory?\n\n```sh");
    let _ = writeln!(
        m,
        "{}\n```\n",
        commands::affected(commands::SBOM, &commands::AffectedExample::default()).join("\n")
    );
    let _ = writeln!(m, "## Reproduce the build (second machine)\n\n```sh");
    let _ = writeln!(m, "repro verify repro-manifest.json --key release.pub");
    let mut cmd = format!(
        "repro build --target {} --out local-manifest.json",
        args.target
    );
    if let Some(e) = args.source_date_epoch {
        let _ = write!(cmd, " --source-date-epoch {e}");
    }
    for o in &args.outputs {
        let _ = write!(cmd, " --output {o}");
    }
    for l in &args.locks {
        let _ = write!(cmd, " {}", l.display());
    }
    if !args.command.is_empty() {
        let _ = write!(cmd, " -- {}", args.command.join(" "));
    }
    let _ = writeln!(m, "{cmd}");
    let _ = writeln!(
        m,
        "repro diff repro-manifest.json local-manifest.json --attest reproduced.intoto.json --provenance provenance.intoto.json\n```"
    );
    m
}
