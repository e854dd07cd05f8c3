//! The command line: argument parsing (clap derive), dispatch, and exit statuses.
//!
//! `main` returns an [`ExitCode`]: 0 all good, 1 the check found something, 2 usage or runtime
//! error. Commands return [`ExitStatus`]; errors travel as `anyhow` chains only at this edge.

mod check;
mod printer;

use std::path::PathBuf;
use std::process::ExitCode;

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

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
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
    };
    match result {
        Ok(status) => status.into(),
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
            ExitStatus::Error.into()
        }
    }
}

/// Default paths when none are given: the current directory.
fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}
