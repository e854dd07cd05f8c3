//! The command line: argument parsing (clap derive), dispatch, and exit statuses.
//!
//! `main` returns an [`ExitCode`]: 0 all good, 1 the check found something, 2 usage or runtime
//! error. Commands return [`ExitStatus`]; errors travel as `anyhow` chains only at this edge.

mod audit;
mod build;
mod check;
pub(crate) mod diff;
mod fetch;
mod pack;
mod posture;
pub(crate) mod printer;
mod provenance;
mod release;
pub(crate) mod sbom;
mod sign;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub use printer::Printer;

/// What a command concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// All good: hermetic, identical, verified, no findings.
    Success,
    /// The check found something.
    Failure,
    /// The command could not complete (bad input, I/O, network).
    Error,
}

impl ExitStatus {
    /// The exit code: 0, 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s.code())
    }
}

/// Supply-chain integrity for Python and Rust releases.
///
/// Exit status: 0 all good, 1 the check found problems, 2 the command could not complete.
#[derive(Debug, Parser)]
#[command(name = "repro", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print a versioned JSON document on stdout instead of text
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Print less (-q: summary only; -qq: nothing but errors)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub quiet: u8,
    /// Print more detail
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// When to use colour (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Global options")]
    pub color: ColorChoice,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prove that lockfiles are hermetic: every package pinned with `==` and hashed, the closure
    /// complete, no URL/VCS/editable escapes, no index overrides
    Check(check::CheckArgs),
    /// Resolve lockfiles into the content-addressed store, admitting only bytes that match the
    /// lock (from PyPI, crates.io, a mirror, a local folder, or the store alone)
    Fetch(fetch::FetchArgs),
    /// Inspect the artifact store: rehash it, or export a wheelhouse from it
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Pack a directory into a zip or tar.gz deterministically: sorted members, mtimes at
    /// SOURCE_DATE_EPOCH, normalized modes, no owners, no time or host extra fields
    Pack(pack::PackArgs),
    /// Build in a normalized environment from verified artifacts only, and record a manifest of
    /// inputs, resolved set, environment and outputs
    Build(build::BuildArgs),
    /// Compare two manifests, archives, directories or files, naming every difference down to
    /// the byte, inside archives
    Diff(diff::DiffArgs),
    /// Write a deterministic CycloneDX SBOM of the locks; `repro sbom query` answers "are we
    /// affected?" across SBOMs
    #[command(disable_version_flag = true)]
    Sbom(sbom::SbomArgs),
    /// Scan locks, an SBOM or a manifest against offline OSV advisories (vulnerabilities and
    /// malicious packages), start the response clock, and route findings to a private report
    Audit(audit::AuditArgs),
    /// Verify the PEP 740 provenance of the locked PyPI packages offline (Sigstore attestations
    /// binding each file to its Trusted Publisher) and pin each package's publisher
    Provenance(provenance::ProvenanceArgs),
    /// Manage advisory databases: download fresh OSV data (`db update`), build a compact index of
    /// OSV sources (`db index`)
    #[command(subcommand)]
    Db(audit::DbCommand),
    /// Manage signing keys: generate an ECDSA P-256 pair (cosign's encrypted key format)
    #[command(subcommand)]
    Key(sign::KeyCommand),
    /// Sign files (Sigstore bundle v0.3 and raw signature) or an in-toto statement (DSSE)
    Sign(sign::SignArgs),
    /// Verify a file offline against a Sigstore bundle (key-based or keyless) or a raw signature
    Verify(sign::VerifyArgs),
    /// One maintainer command: check, fetch, build, audit (private), SBOM, sign everything,
    /// SHA256SUMS and VERIFY.md into a release folder
    #[command(disable_version_flag = true)]
    Release(release::ReleaseArgs),
    /// The project's security posture: write SECURITY.md from posture.toml, check it across
    /// repositories, and verify the evidence for every claimed control in a release folder
    #[command(subcommand)]
    Posture(posture::PostureCommand),
}

/// Where the artifact store is.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// The artifact store [default: $REPRO_STORE, else the user cache directory]
    #[arg(long, value_name = "DIR", env = "REPRO_STORE")]
    pub store: Option<PathBuf>,
}

impl StoreArgs {
    /// Open the store.
    pub fn open(&self) -> anyhow::Result<crate::store::Store> {
        let root = self
            .store
            .clone()
            .unwrap_or_else(crate::store::Store::default_root);
        Ok(crate::store::Store::open(root)?)
    }
}

/// Where artifacts come from, and for which target.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Pick the artifact an installer would pick for this target: `lambda-python3.12-x86_64`,
    /// `lambda-python3.12-arm64`, or `cp312-<platform tag>` (e.g. `cp312-manylinux_2_17_x86_64`)
    #[arg(long, value_name = "T", conflicts_with = "all")]
    pub target: Option<String>,
    /// Admit every artifact the lock lists (the default without --target)
    #[arg(long)]
    pub all: bool,
    /// Python package index (PEP 691 JSON simple API) [default: $REPRO_INDEX_URL, the lock's
    /// `--index-url`, $PIP_INDEX_URL, $UV_DEFAULT_INDEX, $UV_INDEX_URL, pip.conf, uv.toml or
    /// pyproject.toml `[tool.uv]`, else https://pypi.org/simple/]
    #[arg(long, value_name = "URL")]
    pub index_url: Option<String>,
    /// A local folder of wheels, sdists and crates, matched by digest whatever their names
    #[arg(long, value_name = "DIR")]
    pub find_links: Option<PathBuf>,
    /// Base URL of crate downloads
    #[arg(long, value_name = "URL", default_value = crate::registry::DEFAULT_CRATES_URL, env = "REPRO_CRATES_URL")]
    pub crates_url: String,
    /// Use the store alone: no network
    #[arg(long)]
    pub offline: bool,
    /// Parallel downloads (1 to 256)
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=crate::fetch::MAX_JOBS as i64).map(usize::from))]
    pub jobs: usize,
    /// Seconds before a connection or a stalled read times out
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Attempts per download (timeouts, 5xx and 429 are retried; hash mismatches never)
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub retries: u32,
}

impl SourceArgs {
    /// The validated selector.
    pub fn selector(&self) -> anyhow::Result<crate::resolve::Selector> {
        Ok(match &self.target {
            Some(t) => crate::resolve::Selector::Target(t.parse()?),
            None => crate::resolve::Selector::All,
        })
    }

    /// The sources.
    pub fn sources(&self) -> crate::fetch::Sources {
        crate::fetch::Sources {
            index: crate::registry::settings::IndexSettings::from_env(self.index_url.as_deref()),
            crates_url: self.crates_url.clone(),
            find_links: self.find_links.clone(),
            offline: self.offline,
        }
    }

    /// HTTP settings.
    pub fn http_options(&self) -> crate::registry::HttpOptions {
        crate::registry::HttpOptions {
            timeout: std::time::Duration::from_secs(self.timeout.max(1)),
            attempts: self.retries.max(1),
            ..Default::default()
        }
    }
}

/// Parse the command line, run the command, and map the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitStatus::Error.into(),
            };
        }
    };
    let printer = Printer::new(&cli.global);
    let result = match cli.command {
        Command::Check(args) => check::run(args, &printer),
        Command::Fetch(args) => fetch::run(args, &printer),
        Command::Store(cmd) => store::run(cmd, &printer),
        Command::Pack(args) => pack::run(args, &printer),
        Command::Build(args) => build::run(args, &printer),
        Command::Diff(args) => diff::run(args, &printer),
        Command::Sbom(args) => sbom::run(args, &printer),
        Command::Audit(args) => audit::run(args, &printer),
        Command::Provenance(args) => provenance::run(args, &printer),
        Command::Db(cmd) => audit::run_db(cmd, &printer),
        Command::Key(cmd) => sign::run_key(cmd, &printer),
        Command::Sign(args) => sign::run_sign(args, &printer),
        Command::Verify(args) => sign::run_verify(args, &printer),
        Command::Release(args) => release::run(args, &printer),
        Command::Posture(cmd) => posture::run(cmd, &printer),
    };
    let status = match result {
        Ok(status) => status,
        Err(err) => {
            // A closed pipe (`repro check … | head`) is not an error worth reporting.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitStatus::Success.into();
            }
            printer.error(&format!("{err:#}"), None);
            ExitStatus::Error
        }
    };
    printer.finish(status.code());
    status.into()
}

/// Load the locks under `paths` for a command that needs every one of them: report each file
/// that fails to load and return `None` if any did.
pub(crate) fn load_all_or_report(
    paths: Vec<PathBuf>,
    printer: &Printer,
) -> Option<Vec<crate::lockfile::Lock>> {
    let (locks, failures) = crate::workspace::load_all(&default_paths(paths));
    for f in &failures {
        printer.error(
            &format!("{}:{}: {}", f.path.display(), f.line, f.message),
            f.hint.as_deref(),
        );
    }
    failures.is_empty().then_some(locks)
}

/// Default paths when none are given: the current directory.
pub(crate) fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
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

/// The passphrase: $REPRO_PASSWORD, else a prompt on the terminal with echo off.
pub(crate) fn passphrase(prompt: &str, confirm: bool) -> Result<Vec<u8>, crate::sign::SignError> {
    use std::io::Write as _;
    if let Ok(p) = std::env::var("REPRO_PASSWORD") {
        return Ok(p.into_bytes());
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(crate::sign::SignError::Key(
            "no terminal to ask for the passphrase: set REPRO_PASSWORD".into(),
        ));
    }
    let read = |prompt: &str| -> Result<Vec<u8>, crate::sign::SignError> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|_| {
                crate::sign::SignError::Key(
                    "no terminal to ask for the passphrase: set REPRO_PASSWORD".into(),
                )
            })?;
        let saved =
            tcgetattr(&tty).map_err(|e| crate::sign::SignError::Key(format!("terminal: {e}")))?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&tty, OptionalActions::Now, &quiet)
            .map_err(|e| crate::sign::SignError::Key(format!("terminal: {e}")))?;
        let mut w = &tty;
        let _ = write!(w, "{prompt}");
        let mut line = String::new();
        let got = std::io::BufRead::read_line(&mut std::io::BufReader::new(&tty), &mut line);
        let _ = tcsetattr(&tty, OptionalActions::Now, &saved);
        let _ = writeln!(w);
        got.map_err(|e| crate::sign::SignError::Key(format!("terminal: {e}")))?;
        Ok(line.trim_end_matches(['\r', '\n']).as_bytes().to_vec())
    };
    let first = read(prompt)?;
    if confirm && read("Repeat the passphrase: ")? != first {
        return Err(crate::sign::SignError::Key("the passphrases differ".into()));
    }
    Ok(first)
}

/// Warn when a private key file may be read by others than its owner.
pub(crate) fn warn_exposed_key(path: &std::path::Path, printer: &Printer) {
    if let Some(mode) = crate::sign::key_readable_by_others(path) {
        printer.warning(&format!(
            "the private key `{}` is readable by others (mode {mode:04o}): `chmod 600` it",
            path.display()
        ));
    }
}
