//! `repro audit` (findings routed privately) and `repro db index`.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::audit::report::{DatabaseInfo, Format, Report};
use crate::audit::{FailOn, Options, Policy, Subject};
use crate::cli::{ExitStatus, Printer};
use crate::model::{Ecosystem, PackageName};
use crate::osv::{Database, ProblemLevel};

/// Arguments of `repro audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Lockfiles, or directories to search for them
    locks: Vec<PathBuf>,
    /// Audit the components of a CycloneDX SBOM (pkg:pypi and pkg:cargo purls)
    #[arg(long, value_name = "SBOM", conflicts_with_all = ["locks", "manifest"])]
    sbom: Option<PathBuf>,
    /// Audit the resolved set of a build manifest
    #[arg(long, value_name = "MANIFEST", conflicts_with = "locks")]
    manifest: Option<PathBuf>,
    #[command(flatten)]
    db: OsvDbArgs,
    /// Policy file (TOML): deadlines, holidays, clock starts of privately reported findings
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Private report file, created with mode 0600 [default: audit-report.txt (.md, .json,
    /// .sarif by --format) in the private state directory $XDG_STATE_HOME/repro, else
    /// ~/.local/state/repro]
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Print the findings on stdout (for a person at a terminal, not for a public log)
    #[arg(long)]
    show: bool,
    /// Today, YYYY-MM-DD, for reproducible reports [default: the current date, UTC]
    #[arg(long, value_name = "DATE")]
    now: Option<String>,
    /// Lowest rating that fails the audit (unknown ratings count as high)
    #[arg(long, value_enum, default_value = "any")]
    fail_on: FailOn,
    /// Informational kinds that fail the audit too: unmaintained, unsound, notice, or warnings
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    deny: Vec<String>,
    /// Report format: text, markdown, json (the default with --json) or sarif (SARIF 2.1.0)
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,
    /// VEX statements (OpenVEX JSON or a CycloneDX VEX BOM): `not_affected` findings move to
    /// their own section of the report; repeat for several
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
}

/// Where advisory data is (`repro audit`, `repro release`).
#[derive(Debug, Clone, Args)]
pub struct OsvDbArgs {
    /// OSV data: a directory of OSV JSON, a zip of OSV JSON (osv.dev's all.zip), a single
    /// record, or an index from `repro db index`; repeat for several
    #[arg(
        long,
        value_name = "PATH",
        required = true,
        env = "REPRO_OSV_DB",
        value_delimiter = ':'
    )]
    pub db: Vec<PathBuf>,
}

/// `repro db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Build a compact index of OSV sources for fast audits; an audit refuses the index when a
    /// source changed since
    Index {
        /// OSV sources: directories of OSV JSON, zips of OSV JSON
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        /// The index file to write (atomically)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Today in days since 1970-01-01 (UTC), or the `--now` date.
fn today(now: Option<&str>) -> anyhow::Result<i64> {
    match now {
        Some(s) => crate::date::parse_day(s)
            .map_err(|e| anyhow::anyhow!("`--now {}` is {e}", crate::digest::truncate(s, 40))),
        None => Ok(crate::date::today()),
    }
}

/// Run `repro db`.
pub fn run_db(cmd: DbCommand, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let DbCommand::Index { sources, out } = cmd;
    let built = match crate::osv::index::build(&sources, &out, today(None)?) {
        Ok(b) => b,
        Err(e) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Error);
        }
    };
    report_problems(&built.problems, printer, true);
    if built.advisories == 0 {
        printer.error(
            &format!(
                "no PyPI or crates.io advisory in {} record(s) of the sources",
                built.records_read
            ),
            Some("point at directories or zips of OSV JSON records"),
        );
        return Ok(ExitStatus::Error);
    }
    if printer.json {
        printer.json(&serde_json::json!({
            "schema": "repro.db-index/v1",
            "index": out,
            "sources": built.sources,
            "records": built.records_read,
            "advisories": built.advisories,
            "problems": built.problems,
        }))?;
    } else {
        printer.out(&format!(
            "indexed {} advisories from {} records of {} source(s) into {}\n",
            built.advisories,
            built.records_read,
            built.sources.len(),
            out.display()
        ))?;
    }
    Ok(ExitStatus::Success)
}

/// Print database problems on stderr, at most 20 of them. A problem tied to one package's entry
/// (an unparsable range, a future `modified`) is only reported for the packages audited, so
/// naming it would say what we depend on: unless `named` (`--show`, `db index`), those are only
/// counted here and listed in the private report.
fn report_problems(problems: &[crate::osv::Problem], printer: &Printer, named: bool) {
    const SHOWN: usize = 20;
    let (public, private): (Vec<_>, Vec<_>) =
        problems.iter().partition(|p| named || p.package.is_none());
    for p in public.iter().take(SHOWN) {
        let text = format!("{}: {}", p.path, p.message);
        match p.level {
            ProblemLevel::Error => printer.warning(&format!("skipped {text}")),
            ProblemLevel::Warning => printer.warning(&text),
        }
    }
    if public.len() > SHOWN {
        printer.warning(&format!(
            "{} more advisory problems (all listed in the JSON report)",
            public.len() - SHOWN
        ));
    }
    if !private.is_empty() {
        printer.warning(&format!(
            "{} problem(s) in advisories of audited packages: listed in the private report",
            private.len()
        ));
    }
}

/// The packages to audit.
fn subjects(args: &AuditArgs, printer: &Printer) -> anyhow::Result<Option<Vec<Subject>>> {
    let mut items = Vec::new();
    if let Some(path) = &args.sbom {
        // Its errors say where, never what (see `load_documents`).
        let docs = match crate::cli::sbom::load_documents(path) {
            Ok(d) => d,
            Err(e) => {
                printer.error(&format!("{e:#}"), None);
                return Ok(None);
            }
        };
        for (file, doc) in &docs {
            for c in &doc.components {
                let (Some(purl), Some(version)) = (&c.purl, &c.version) else {
                    continue;
                };
                let eco = if purl.starts_with("pkg:pypi/") {
                    Ecosystem::Pypi
                } else if purl.starts_with("pkg:cargo/") {
                    Ecosystem::Cargo
                } else {
                    continue;
                };
                items.push((
                    eco,
                    PackageName::new(eco, &c.name),
                    version.clone(),
                    file.display().to_string(),
                ));
            }
        }
    } else if let Some(path) = &args.manifest {
        let m = match crate::manifest::Manifest::load(path) {
            Ok(m) => m,
            Err(crate::manifest::ManifestError::Invalid { path, detail }) => {
                let detail = private(&detail, args.show);
                printer.error(&format!("`{}`: {detail}", path.display()), None);
                return Ok(None);
            }
            Err(e) => {
                printer.error(&e.to_string(), None);
                return Ok(None);
            }
        };
        for r in &m.build.resolved {
            let Some(eco) = Ecosystem::from_name(&r.ecosystem) else {
                continue;
            };
            // Used by the lockfiles that lock it (the functions it ships in); a manifest from
            // before that was recorded names itself.
            let users = if r.used_by.is_empty() {
                vec![path.display().to_string()]
            } else {
                r.used_by.clone()
            };
            for user in users {
                items.push((eco, PackageName::new(eco, &r.name), r.version.clone(), user));
            }
        }
    } else {
        let (locks, failures) =
            crate::cli::check::load_all(&crate::cli::default_paths(args.locks.clone()));
        for f in &failures {
            let text = format!(
                "{}:{}: {}",
                f.path.display(),
                f.line,
                private(&f.message, args.show)
            );
            printer.error(&text, f.hint.as_deref());
        }
        if !failures.is_empty() {
            return Ok(None);
        }
        for lock in &locks {
            for p in &lock.packages {
                if let Some(v) = &p.version {
                    items.push((
                        lock.ecosystem,
                        p.name.clone(),
                        v.clone(),
                        lock.path.display().to_string(),
                    ));
                }
            }
        }
    }
    Ok(Some(crate::audit::merge_subjects(items)))
}

/// The detail of an error for a public log: without `--show`, every quoted span is removed,
/// since a message about a lock or a manifest may quote a package name or version.
fn private(message: &str, show: bool) -> String {
    if show {
        message.to_string()
    } else {
        crate::redact::scrub_quoted(message, |_| true)
    }
}

/// Load every `--db` (sources and indexes) into one database.
fn load_db(args: &AuditArgs, subjects: &[Subject], now: i64) -> Result<Database, String> {
    let wanted: Vec<(Ecosystem, PackageName)> = subjects
        .iter()
        .map(|s| (s.ecosystem, s.name.clone()))
        .collect();
    let set: std::collections::HashSet<_> = wanted.iter().cloned().collect();
    let mut db = Database::default();
    for path in &args.db.db {
        let part = if crate::osv::index::is_index(path) {
            crate::osv::index::load(path, &wanted, now).map_err(|e| {
                match e.private_detail().filter(|_| args.show) {
                    Some(detail) => format!("{e} ({detail})"),
                    None => e.to_string(),
                }
            })?
        } else {
            crate::osv::load(std::slice::from_ref(path), now, Some(&set))
                .map_err(|e| e.to_string())?
        };
        if part.records_read == 0 {
            return Err(format!(
                "{}: no OSV record found in the advisory database",
                path.display()
            ));
        }
        db.records_read += part.records_read;
        db.withdrawn += part.withdrawn;
        db.problems.extend(part.problems);
        db.extend(part.advisories);
    }
    Ok(db)
}

/// Run `repro audit`.
pub fn run(args: AuditArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let now = match today(args.now.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Error);
        }
    };
    let policy = match &args.policy {
        Some(p) => match Policy::load(p) {
            Ok(p) => p,
            Err(e) => {
                printer.error(&e, None);
                return Ok(ExitStatus::Error);
            }
        },
        None => Policy::default(),
    };
    for d in &args.deny {
        if !matches!(
            d.as_str(),
            "unmaintained" | "unsound" | "notice" | "warnings"
        ) {
            printer.error(
                &format!("--deny {d:?}: expected unmaintained, unsound, notice or warnings"),
                None,
            );
            return Ok(ExitStatus::Error);
        }
    }
    let format = match (args.format, printer.json) {
        (Some(f), false) | (Some(f @ Format::Json), true) => f,
        (None, json) => {
            if json {
                Format::Json
            } else {
                Format::Text
            }
        }
        (Some(_), true) => {
            printer.error(
                "--json and --format name two report formats: give one",
                None,
            );
            return Ok(ExitStatus::Error);
        }
    };
    // VEX documents are read before anything is scanned: one that does not parse stops the
    // audit (its errors name the file and the statement, never a value of it).
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
    let Some(subjects) = subjects(&args, printer)? else {
        return Ok(ExitStatus::Error);
    };
    let db = match load_db(&args, &subjects, now) {
        Ok(db) => db,
        Err(e) => {
            printer.error(
                &e,
                Some("--db takes directories or zips of OSV JSON, or an index"),
            );
            return Ok(ExitStatus::Error);
        }
    };
    report_problems(&db.problems, printer, args.show);
    let options = Options {
        now_days: now,
        fail_on: args.fail_on,
        deny: args.deny.clone(),
        policy,
    };
    let findings = crate::audit::audit(&subjects, &db, &options);
    let triaged = crate::audit::apply_vex(findings, &statements, now);
    let skipped = db
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .count();
    let report = Report::generate(
        now,
        subjects.len(),
        DatabaseInfo {
            records: db.records_read,
            withdrawn: db.withdrawn,
            skipped,
            problems: db.problems,
            freshness: None,
        },
        triaged,
    );
    // The report, rendered once: for the terminal (--show) and/or the private file.
    let rendered = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report).expect("report serializes");
            s.push('\n');
            s
        }
        Format::Text => crate::audit::render::text(&report),
        Format::Markdown => crate::audit::render::markdown(&report),
        Format::Sarif => crate::audit::sarif::render(&report),
    };
    let status = if report.summary.failing > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    if args.show {
        printer.out(&rendered)?;
        if let Some(path) = &args.report
            && let Err(e) = write_private(path, rendered.as_bytes())
        {
            printer.error(&e, None);
            return Ok(ExitStatus::Error);
        }
        return Ok(status);
    }
    let path = match &args.report {
        Some(p) => p.clone(),
        None => match default_report(format.extension()) {
            Ok(p) => p,
            Err(e) => {
                printer.error(
                    &e,
                    Some("give the report a private place with `--report FILE`"),
                );
                return Ok(ExitStatus::Error);
            }
        },
    };
    if let Err(e) = write_private(&path, rendered.as_bytes()) {
        printer.error(&e, None);
        return Ok(ExitStatus::Error);
    }
    printer.out(&format!(
        "{}; report written to {}\n",
        report.public_line(),
        path.display()
    ))?;
    Ok(status)
}

/// The private state directory: `$XDG_STATE_HOME/repro`, else `~/.local/state/repro`. The
/// current directory is usually a git work tree, where a report would be one `git add .` away
/// from being published.
pub(crate) fn state_dir() -> Result<PathBuf, String> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("HOME").filter(|p| !p.is_empty()) {
            Some(home) => PathBuf::from(home).join(".local/state"),
            None => return Err("neither XDG_STATE_HOME nor HOME is set".into()),
        },
    };
    Ok(base.join("repro"))
}

/// Where the report goes without `--report`: `audit-report.txt` (or `.json`) in the state
/// directory, which is created with mode 0700 and refused if others may enter it.
pub(crate) fn default_report(extension: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = state_dir()?;
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create `{}`: {e}", dir.display())),
    }
    let meta = std::fs::symlink_metadata(&dir)
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "`{}` is not a directory: refusing to put the private report there",
            dir.display()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "`{}` is open to others (mode {mode:04o}): refusing to put the private report there; `chmod 700` it",
            dir.display()
        ));
    }
    Ok(dir.join(format!("audit-report.{extension}")))
}

/// Write `bytes` to `path` with mode 0600 (atomically: temp file, fsync, rename), refusing to
/// replace a symlink or a file that others may read.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{}: refusing to write the private report through a symlink",
                path.display()
            ));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "{}: refusing to overwrite a report others may read (mode {mode:04o}); remove it or `chmod 600` it",
                path.display()
            ));
        }
    }
    crate::fsio::write_atomic_beside(path, bytes).map_err(|e| e.to_string())?;
    // tempfile creates files 0600 already; make it explicit for any umask or platform.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: cannot set mode 0600: {e}", path.display()))
}
