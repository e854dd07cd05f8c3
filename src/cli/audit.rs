//! `repro audit` (findings routed privately) and `repro db index`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::audit::report::{DataAge, DatabaseInfo, Format, Report};
use crate::audit::{FailOn, Options, Policy, Subject};
use crate::cli::{ExitStatus, OsvDbArgs, Printer};
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
    /// Refuse advisory data older than this (`36h`, `2d`): exit 2, never a clean scan. The age
    /// is known for a directory kept by `repro db update`
    #[arg(long, value_name = "AGE")]
    max_db_age: Option<String>,
    /// Encrypt the report file to this age recipient (`age1…`) or SSH public key (`ssh-ed25519
    /// …`, `ssh-rsa …`); repeat for several. No plaintext report touches the disk
    #[arg(long, value_name = "RECIPIENT")]
    encrypt_to: Vec<String>,
    /// On findings, run this shell command with the report file's bytes (encrypted with
    /// --encrypt-to) on its standard input; its output is discarded, its failure is exit 2
    #[arg(long, value_name = "CMD")]
    notify: Option<String>,
}

/// `repro db …`.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download fresh advisory data into DIR (osv.dev's PyPI and crates.io exports, the OSSF
    /// malicious-packages archive) with conditional requests, verify each zip, swap it in
    /// atomically, and rebuild DIR/osv.idx; audit with `--db DIR`
    Update {
        /// The database directory (created if missing)
        dir: PathBuf,
        /// Base URL of osv.dev's exports (`<URL>/PyPI/all.zip`, `<URL>/crates.io/all.zip`)
        #[arg(long, value_name = "URL", default_value = crate::osv::update::DEFAULT_OSV_BASE, env = "REPRO_OSV_URL")]
        osv_url: String,
        /// The OSSF malicious-packages data as one zip of OSV records
        #[arg(long, value_name = "URL", default_value = crate::osv::update::DEFAULT_MALICIOUS_URL, env = "REPRO_MALICIOUS_URL")]
        malicious_url: String,
        /// Skip the malicious-packages data
        #[arg(long)]
        no_malicious: bool,
        /// Seconds before a connection or a stalled read times out
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        timeout: u64,
        /// Attempts per download (timeouts, 5xx and 429 are retried)
        #[arg(long, value_name = "N", default_value_t = 4)]
        retries: u32,
    },
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
    let (sources, out) = match cmd {
        DbCommand::Index { sources, out } => (sources, out),
        DbCommand::Update {
            dir,
            osv_url,
            malicious_url,
            no_malicious,
            timeout,
            retries,
        } => {
            return run_update(
                &dir,
                &osv_url,
                (!no_malicious).then_some(malicious_url.as_str()),
                timeout,
                retries,
                printer,
            );
        }
    };
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

/// `repro db update`: the data's age is what the scan-only job depends on, so any source that
/// could not be refreshed is exit 2 (its old data is kept, and its age keeps growing).
fn run_update(
    dir: &Path,
    osv_url: &str,
    malicious_url: Option<&str>,
    timeout: u64,
    retries: u32,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    use crate::osv::update::{Db, Outcome};
    let http = crate::registry::Http::new(crate::registry::HttpOptions {
        timeout: std::time::Duration::from_secs(timeout.max(1)),
        attempts: retries.max(1),
        ..Default::default()
    });
    let fail = |message: &str| -> anyhow::Result<ExitStatus> {
        printer.error(message, None);
        if printer.json {
            printer.json(&error_document(
                "repro.db-update/v1",
                &[(message.to_string(), None)],
            ))?;
        }
        Ok(ExitStatus::Error)
    };
    let db = match Db::open(dir) {
        Ok(db) => db,
        Err(e) => return fail(&e.to_string()),
    };
    let sources = crate::osv::update::sources(osv_url, malicious_url);
    let report = match db.update(
        &http,
        &sources,
        crate::date::now_epoch(),
        crate::date::today(),
        &|e, n| printer.warning(&format!("attempt {n} failed, retrying: {e}")),
    ) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    for s in &report.sources {
        if let Outcome::Failed { error } = &s.outcome {
            printer.error(
                &format!("{}: not updated, the data held is kept: {error}", s.file),
                None,
            );
        }
    }
    if printer.json {
        printer.json(&report)?;
    } else if printer.verbosity >= crate::cli::printer::Verbosity::Quiet {
        let mut text = String::new();
        for s in &report.sources {
            let what = match &s.outcome {
                Outcome::Downloaded { bytes, records } => {
                    format!("downloaded {bytes} bytes, {records} records")
                }
                Outcome::NotModified => "not modified".to_string(),
                Outcome::Failed { .. } => "FAILED (old data kept)".to_string(),
            };
            if printer.verbosity >= crate::cli::printer::Verbosity::Default {
                text.push_str(&format!("{}: {what}\n", s.file));
            }
        }
        text.push_str(&format!(
            "{}: {} source(s), {} failed; {}{}\n",
            report.dir.display(),
            report.sources.len(),
            report.failures(),
            match report.advisories {
                Some(n) => format!("index rebuilt ({n} advisories)"),
                None => "index unchanged".to_string(),
            },
            match &report.checked {
                Some(c) => format!("; data checked {c}"),
                None => String::new(),
            }
        ));
        printer.out(&text)?;
    }
    Ok(if report.failures() > 0 {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}

/// The one JSON document of a command that could not complete: its schema, and each error
/// with its hint.
fn error_document(schema: &str, errors: &[(String, Option<String>)]) -> serde_json::Value {
    serde_json::json!({
        "schema": schema,
        "status": "error",
        "errors": errors
            .iter()
            .map(|(m, h)| serde_json::json!({"message": crate::redact::plain_text(m), "hint": h}))
            .collect::<Vec<_>>(),
    })
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

/// Errors of an audit that could not complete, each with an optional hint; printed on stderr,
/// and as one JSON document under `--json`.
type Errors = Vec<(String, Option<String>)>;

/// The packages to audit.
fn subjects(args: &AuditArgs) -> Result<Vec<Subject>, Errors> {
    let mut items = Vec::new();
    if let Some(path) = &args.sbom {
        // Its errors say where, never what (see `crate::sbom::read`).
        let docs = match crate::sbom::read::load(path) {
            Ok(d) => d.sboms,
            Err(e) => {
                return Err(vec![(format!("{e:#}"), None)]);
            }
        };
        for (file, doc) in &docs {
            // Nested components too, each by its purl (and by its name, if that differs).
            for c in &doc.components {
                for (eco, name, version) in c.packages() {
                    items.push((eco, name, version, file.display().to_string()));
                }
            }
        }
    } else if let Some(path) = &args.manifest {
        let m = match crate::manifest::Manifest::load(path) {
            Ok(m) => m,
            Err(crate::manifest::ManifestError::Invalid { path, detail }) => {
                let detail = private(&detail, args.show);
                return Err(vec![(format!("`{}`: {detail}", path.display()), None)]);
            }
            Err(e) => {
                return Err(vec![(e.to_string(), None)]);
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
            crate::workspace::load_all(&crate::cli::default_paths(args.locks.clone()));
        if !failures.is_empty() {
            return Err(failures
                .iter()
                .map(|f| {
                    (
                        format!(
                            "{}:{}: {}",
                            f.path.display(),
                            f.line,
                            private(&f.message, args.show)
                        ),
                        f.hint.clone(),
                    )
                })
                .collect());
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
    Ok(crate::audit::merge_subjects(items))
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

/// Load every `--db` (sources, indexes, directories kept by `repro db update`) into one
/// database, with the age of the data when every `--db` is such a directory (the oldest).
fn load_db(
    args: &AuditArgs,
    subjects: &[Subject],
    now: i64,
) -> Result<(Database, Option<DataAge>), String> {
    use crate::osv::update::Db;
    let wanted: Vec<(Ecosystem, PackageName)> = subjects
        .iter()
        .map(|s| (s.ecosystem, s.name.clone()))
        .collect();
    let set: std::collections::HashSet<_> = wanted.iter().cloned().collect();
    let mut db = Database::default();
    let mut ages: Vec<Option<(String, i64)>> = Vec::new();
    let clock = crate::date::now_epoch();
    for given in &args.db.db {
        let managed = Db::is_managed(given);
        let index;
        let path = if managed {
            index = given.join(crate::osv::update::INDEX_FILE);
            if !index.is_file() {
                return Err(format!(
                    "{}: no index in the database directory: run `repro db update {}`",
                    given.display(),
                    given.display()
                ));
            }
            ages.push(crate::osv::update::freshness(given, clock).map_err(|e| e.to_string())?);
            &index
        } else {
            ages.push(None);
            given
        };
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
    // Known only if known for every database: the oldest counts.
    let age = ages
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().max_by_key(|(_, secs)| *secs))
        .map(|(checked, secs)| DataAge {
            checked,
            age_seconds: secs,
            age: crate::osv::update::describe_age(secs),
        });
    Ok((db, age))
}

/// Parse `--encrypt-to` values: age X25519 recipients and SSH public keys. The error names the
/// value's position only.
fn recipients(values: &[String]) -> Result<Vec<Box<dyn age::Recipient + Send>>, String> {
    use std::str::FromStr;
    let mut out: Vec<Box<dyn age::Recipient + Send>> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let v = v.trim();
        if let Ok(r) = age::x25519::Recipient::from_str(v) {
            out.push(Box::new(r));
        } else if let Ok(r) = age::ssh::Recipient::from_str(v) {
            out.push(Box::new(r));
        } else {
            return Err(format!(
                "`--encrypt-to` value {} is neither an age recipient (`age1…`) nor an SSH public key (`ssh-ed25519 …`, `ssh-rsa …`)",
                i + 1
            ));
        }
    }
    Ok(out)
}

/// The report encrypted to `recipients` (the age format, binary), in memory: the plaintext is
/// never written anywhere.
fn encrypt(
    recipients: &[Box<dyn age::Recipient + Send>],
    plaintext: &[u8],
) -> Result<Vec<u8>, String> {
    use std::io::Write as _;
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as _))
        .map_err(|e| format!("cannot encrypt the report: {e}"))?;
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut w = encryptor
        .wrap_output(&mut out)
        .map_err(|e| format!("cannot encrypt the report: {e}"))?;
    w.write_all(plaintext)
        .and_then(|_| w.finish().map(|_| ()))
        .map_err(|e| format!("cannot encrypt the report: {e}"))?;
    Ok(out)
}

/// Run `--notify CMD` (through `sh -c`) with `bytes` on its standard input; its output goes
/// nowhere, so nothing it prints can reach the job log.
fn notify(cmd: &str, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the `--notify` command: {e}"))?;
    // A command that exits without reading its input is judged by its exit status.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(bytes);
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot run the `--notify` command: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(n) => Err(format!(
            "the `--notify` command failed with exit status {n}"
        )),
        None => Err("the `--notify` command was killed by a signal".to_string()),
    }
}

/// Run `repro audit`: errors go to stderr and, under `--json`, into the one JSON document.
pub fn run(args: AuditArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    match audit(&args, printer) {
        Ok(status) => Ok(status),
        Err(errors) => {
            for (message, hint) in &errors {
                printer.error(message, hint.as_deref());
            }
            if printer.json {
                printer.json(&error_document(crate::audit::REPORT_SCHEMA, &errors))?;
            }
            Ok(ExitStatus::Error)
        }
    }
}

fn one(message: impl Into<String>, hint: Option<&str>) -> Errors {
    vec![(message.into(), hint.map(str::to_string))]
}

fn audit(args: &AuditArgs, printer: &Printer) -> Result<ExitStatus, Errors> {
    let now = today(args.now.as_deref()).map_err(|e| one(e.to_string(), None))?;
    let policy = match &args.policy {
        Some(p) => Policy::load(p).map_err(|e| one(e, None))?,
        None => Policy::default(),
    };
    for d in &args.deny {
        if !matches!(
            d.as_str(),
            "unmaintained" | "unsound" | "notice" | "warnings"
        ) {
            return Err(one(
                format!("--deny {d:?}: expected unmaintained, unsound, notice or warnings"),
                None,
            ));
        }
    }
    let format = match (args.format, printer.json) {
        (Some(f), false) | (Some(f @ Format::Json), true) => f,
        (None, true) => Format::Json,
        (None, false) => Format::Text,
        (Some(_), true) => {
            return Err(one(
                "--json and --format name two report formats: give one",
                None,
            ));
        }
    };
    let max_age = match &args.max_db_age {
        Some(a) => Some(
            crate::osv::update::parse_age(a)
                .map_err(|e| one(format!("`--max-db-age`: {e}"), None))?,
        ),
        None => None,
    };
    let recipients = recipients(&args.encrypt_to).map_err(|e| {
        one(
            e,
            Some("give the recipient line of `age-keygen`, or an SSH public key line"),
        )
    })?;
    // VEX documents are read before anything is scanned: one that does not parse stops the
    // audit (its errors name the file and the statement, never a value of it).
    let mut statements = Vec::new();
    for path in &args.vex {
        statements.extend(crate::vex::load(path).map_err(|e| one(e.to_string(), None))?);
    }
    let subjects = subjects(args)?;
    let (db, freshness) = load_db(args, &subjects, now).map_err(|e| {
        one(
            e,
            Some("--db takes directories or zips of OSV JSON, an index, or a directory kept by `repro db update`"),
        )
    })?;
    // Stale data is never a clean scan: it is no scan at all.
    if let Some(max) = max_age {
        match &freshness {
            Some(f) if f.age_seconds > max => {
                return Err(one(
                    format!(
                        "advisory data is {} old (last checked {}), over `--max-db-age {}`",
                        f.age,
                        f.checked,
                        args.max_db_age.as_deref().unwrap_or_default()
                    ),
                    Some("run `repro db update DIR` first"),
                ));
            }
            Some(_) => {}
            None => {
                return Err(one(
                    "the age of the advisory data is unknown: `--max-db-age` needs every `--db` to be a directory kept by `repro db update`",
                    None,
                ));
            }
        }
    }
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
            freshness,
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
    let encrypted = !recipients.is_empty();
    let bytes = if encrypted {
        encrypt(&recipients, rendered.as_bytes()).map_err(|e| one(e, None))?
    } else {
        rendered.clone().into_bytes()
    };
    let status = if report.summary.failing > 0 {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    let path = match (&args.report, args.show) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => None,
        (None, false) => {
            let ext = format.extension();
            let ext = if encrypted {
                format!("{ext}.age")
            } else {
                ext.to_string()
            };
            Some(crate::audit::location::default_report(&ext).map_err(|e| {
                one(
                    e,
                    Some("give the report a private place with `--report FILE`"),
                )
            })?)
        }
    };
    if let Some(path) = &path {
        crate::audit::location::write_private(path, &bytes).map_err(|e| one(e, None))?;
    }
    if let Some(cmd) = &args.notify
        && !report.findings.is_empty()
    {
        notify(cmd, &bytes).map_err(|e| one(e, None))?;
    }
    let io = |e: std::io::Error| one(format!("cannot write to standard output: {e}"), None);
    if args.show {
        printer.out(&rendered).map_err(io)?;
        return Ok(status);
    }
    let path = path.expect("a report file without --show");
    if printer.json {
        printer
            .json(&serde_json::json!({
                "schema": "repro.audit-run/v1",
                "status": if status == ExitStatus::Failure { "findings" } else { "clean" },
                "packages": report.packages,
                "summary": report.summary,
                "database": report.database.freshness,
                "report": path,
                "encrypted": encrypted,
            }))
            .map_err(io)?;
    } else if printer.verbosity >= crate::cli::printer::Verbosity::Quiet {
        printer
            .out(&format!(
                "{}; report written to {}{}\n",
                report.public_line(),
                path.display(),
                if encrypted { " (encrypted)" } else { "" }
            ))
            .map_err(io)?;
    }
    Ok(status)
}
