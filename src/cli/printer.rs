//! The only writer to the terminal: stdout carries results, stderr carries everything else.
//!
//! Verbosity and colour are decided once, here, from the global options and the environment.
//! Every line leaves through [`crate::redact::redact`], so a credential in a URL (an index's
//! `user:token@`, a `?token=`) is never printed, whichever message carries it; diagnostics on
//! stderr also lose control characters and escape sequences that data (a record's version, a
//! file name) may carry ([`crate::redact::plain_text`], line by line).

pub mod diff;

use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, GlobalArgs};

/// Output verbosity, as one enum rather than two counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-qq`: errors only.
    Silent,
    /// `-q`: summary lines.
    Quiet,
    /// The default.
    Default,
    /// `-v`.
    Verbose,
}

/// Writes results to stdout and diagnostics to stderr, with or without colour.
///
/// Under `--json`, stdout carries exactly one JSON document: the command's report, or, when the
/// command ends without one (it failed before it had a report), the error document
/// [`ERROR_SCHEMA`] that [`Printer::finish`] prints with every error reported.
#[derive(Debug, Clone)]
pub struct Printer {
    /// How much to print.
    pub verbosity: Verbosity,
    /// Whether the result is JSON.
    pub json: bool,
    color_out: bool,
    color_err: bool,
    state: std::sync::Arc<std::sync::Mutex<State>>,
}

/// Version of the error document `--json` prints when a command ends without its report.
pub const ERROR_SCHEMA: &str = "repro.error/v1";

/// What was printed so far.
#[derive(Debug, Default)]
struct State {
    /// Writes to stdout (under `--json`, the document).
    documents: usize,
    /// Errors reported, in order.
    errors: Vec<ErrorEntry>,
}

/// One error of the error document.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErrorEntry {
    /// The message (credentials redacted, plain text).
    pub message: String,
    /// How to fix it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The document `--json` prints for a command that ended without its report.
#[derive(Debug, serde::Serialize)]
pub struct ErrorDocument {
    /// [`ERROR_SCHEMA`].
    pub schema: &'static str,
    /// The exit status: 1 the check found problems, 2 could not complete.
    pub exit: u8,
    /// Every error reported, in order.
    pub errors: Vec<ErrorEntry>,
}

/// ANSI styles used in human output.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// Red bold: errors.
    Error,
    /// Yellow bold: warnings.
    Warning,
    /// Green bold: success.
    Ok,
    /// Bold.
    Bold,
    /// Dim: secondary detail.
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Error => "\x1b[1;31m",
            Style::Warning => "\x1b[1;33m",
            Style::Ok => "\x1b[1;32m",
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
        }
    }
}

impl Printer {
    /// Build the printer from the global options and the environment.
    pub fn new(global: &GlobalArgs) -> Self {
        let verbosity = match (global.quiet, global.verbose) {
            (0, 0) => Verbosity::Default,
            (0, _) => Verbosity::Verbose,
            (1, _) => Verbosity::Quiet,
            _ => Verbosity::Silent,
        };
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        Printer {
            verbosity,
            json: global.json,
            color_out: decide(std::io::stdout().is_terminal()),
            color_err: decide(std::io::stderr().is_terminal()),
            state: Default::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write a summary line (or block) to stdout: the result of a command in text mode.
    /// Printed unless `-qq` or `--json` (whose document carries it).
    pub fn summary(&self, text: &str) -> std::io::Result<()> {
        if self.json || self.verbosity == Verbosity::Silent {
            return Ok(());
        }
        self.out(text)
    }

    /// Write details (a table, one line per item) to stdout: not under `-q`, `-qq` or
    /// `--json`.
    pub fn detail(&self, text: &str) -> std::io::Result<()> {
        if self.json || self.verbosity < Verbosity::Default {
            return Ok(());
        }
        self.out(text)
    }

    /// End the run: under `--json`, a command that printed no document gets the error
    /// document, so stdout always holds exactly one.
    pub fn finish(&self, exit: u8) {
        if !self.json {
            return;
        }
        let errors = {
            let state = self.state();
            if state.documents > 0 {
                return;
            }
            state.errors.clone()
        };
        let _ = self.json(&ErrorDocument {
            schema: ERROR_SCHEMA,
            exit,
            errors,
        });
    }

    /// Style `text` for stdout.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.color_out {
            format!("{}{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }

    /// Style `text` for stderr.
    pub fn paint_err(&self, style: Style, text: &str) -> String {
        if self.color_err {
            format!("{}{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }

    /// Write a block of diagnostics (already labelled, possibly painted with
    /// [`Printer::paint_err`]) to stderr, credentials redacted.
    pub fn diagnostics(&self, text: &str) {
        let _ = std::io::stderr()
            .lock()
            .write_all(crate::redact::redact(text).as_bytes());
    }

    /// Write a block of result text to stdout.
    pub fn out(&self, text: &str) -> std::io::Result<()> {
        // Under --json, whatever reaches stdout is the command's document (some commands
        // render theirs themselves).
        self.state().documents += 1;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(crate::redact::redact(text).as_bytes())?;
        stdout.flush()
    }

    /// Write a JSON document to stdout.
    pub fn json<T: serde::Serialize>(&self, value: &T) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.out(&text)
    }

    /// Report a warning on stderr (silenced by -qq).
    pub fn warning(&self, message: &str) {
        if self.verbosity == Verbosity::Silent {
            return;
        }
        let label = if self.color_err {
            format!("{}warning\x1b[0m", Style::Warning.code())
        } else {
            "warning".to_string()
        };
        let _ = writeln!(std::io::stderr().lock(), "{label}: {}", diagnostic(message));
    }

    /// Report an error on stderr, with an optional hint line.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        self.state().errors.push(ErrorEntry {
            message: diagnostic(message),
            hint: hint.map(diagnostic),
        });
        let label = if self.color_err {
            format!("{}error\x1b[0m", Style::Error.code())
        } else {
            "error".to_string()
        };
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{label}: {}", diagnostic(message));
        if let Some(h) = hint {
            let _ = writeln!(stderr, "  hint: {}", diagnostic(h));
        }
    }
}

/// A diagnostic as printed: each line plain text, credentials redacted.
fn diagnostic(message: &str) -> String {
    let lines: Vec<_> = message
        .split('\n')
        .map(|l| crate::redact::plain_text(l))
        .collect();
    crate::redact::redacted(&lines.join("\n"))
}

/// Human size: `12.3 MB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A progress display on stderr: artifacts done and bytes received. Hidden when stderr is not a
/// terminal, and when quiet or verbose.
pub struct Progress {
    bar: indicatif::ProgressBar,
    bytes: std::sync::atomic::AtomicU64,
}

impl Progress {
    /// A bar for `printer`'s verbosity, with the message `what`.
    pub fn new(printer: &Printer, what: &'static str) -> Progress {
        let bar = if printer.verbosity == Verbosity::Default {
            indicatif::ProgressBar::with_draw_target(
                Some(0),
                indicatif::ProgressDrawTarget::stderr(),
            )
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_prefix(what);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress {
            bar,
            bytes: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Set the number of items.
    pub fn set_len(&self, n: u64) {
        self.bar.set_length(n);
    }

    /// Count bytes.
    pub fn add_bytes(&self, n: u64) {
        let total = self
            .bytes
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed)
            + n;
        self.bar.set_message(human_bytes(total));
    }

    /// One item done.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Print a line to stderr, above the bar when one is drawn.
    pub fn println(&self, line: String) {
        let line = crate::redact::redacted(&line);
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
