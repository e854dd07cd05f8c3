//! `repro check PATH…`: load every lockfile under the paths, run the rules, render the report.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::check::{CheckOptions, CheckReport, Finding, Severity};
use crate::cli::printer::{Style, Verbosity};
use crate::cli::{ExitStatus, Printer, StoreArgs, default_paths};

/// Arguments of `repro check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Lockfiles, or directories to search for requirements*.txt, uv.lock, pylock.toml and
    /// Cargo.lock (skipping target/, .venv/, node_modules/, .git/)
    paths: Vec<PathBuf>,
    /// Turn a class of findings into failures
    #[arg(long, value_enum)]
    deny: Vec<Deny>,
    /// Also prove full closure for this target from the metadata of the wheels in the store
    /// (`Requires-Dist`, markers evaluated for the target): e.g. `lambda-python3.12-x86_64`
    #[arg(long, value_name = "T")]
    target: Option<String>,
    /// With --target: pass even when the closure could not be checked for some packages (their
    /// wheels are not in the store)
    #[arg(long, requires = "target")]
    allow_unchecked_closure: bool,
    #[command(flatten)]
    store: StoreArgs,
    /// List every rule (code, default severity, what it demands) and exit
    #[arg(long)]
    rules: bool,
}

/// What `--deny` can turn into failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Deny {
    /// Every warning fails the check.
    Warnings,
}

/// Run `repro check`.
pub fn run(args: CheckArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    if args.rules {
        let rules: Vec<_> = crate::check::Code::ALL
            .iter()
            .map(|c| (c.as_str(), c.severity(), c.description()))
            .collect();
        if printer.json {
            let list: Vec<_> = rules
                .iter()
                .map(|(code, sev, desc)| serde_json::json!({"code": code, "severity": sev, "description": desc}))
                .collect();
            printer.json(&list)?;
        } else {
            let mut out = String::new();
            for (code, sev, desc) in rules {
                let _ = writeln!(out, "{code:<24} {sev:<8} {desc}");
            }
            printer.out(&out)?;
        }
        return Ok(ExitStatus::Success);
    }
    let roots = default_paths(args.paths);
    let (locks, failures) = crate::workspace::load_all(&roots);
    let options = CheckOptions {
        deny_warnings: args.deny.contains(&Deny::Warnings),
        allow_unchecked_closure: args.allow_unchecked_closure,
    };
    let report = match &args.target {
        Some(t) => {
            let target: crate::resolve::Target = t.parse()?;
            let store = args.store.open()?;
            let metadata = crate::check::StoreMetadata::new(&store, target);
            CheckReport::generate_with_metadata(&locks, &roots, failures, options, &metadata)
        }
        None => CheckReport::generate(&locks, &roots, failures, options),
    };
    if printer.json {
        printer.json(&report)?;
    } else {
        printer.out(&render(&report, printer))?;
    }
    Ok(if !report.failures.is_empty() {
        ExitStatus::Error
    } else if report.hermetic {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn render_finding(out: &mut String, f: &Finding, printer: &Printer) {
    let label = match f.severity {
        Severity::Error => printer.paint(Style::Error, &format!("error[{}]", f.code)),
        Severity::Warning => printer.paint(Style::Warning, &format!("warning[{}]", f.code)),
    };
    let _ = writeln!(out, "{label}: {}", f.message);
    let _ = writeln!(out, "  --> {}", f.location);
    if let Some(h) = &f.hint {
        let _ = writeln!(out, "  hint: {h}");
    }
}

/// Human rendering of the report.
pub fn render(report: &CheckReport, printer: &Printer) -> String {
    let mut out = String::new();
    if printer.verbosity >= Verbosity::Default {
        for failure in &report.failures {
            let loc = if failure.line > 0 {
                format!("{}:{}", failure.path.display(), failure.line)
            } else {
                failure.path.display().to_string()
            };
            let _ = writeln!(
                out,
                "{}: {loc}: {}",
                printer.paint(Style::Error, "error"),
                failure.message
            );
            if let Some(h) = &failure.hint {
                let _ = writeln!(out, "  hint: {h}");
            }
        }
        for f in &report.findings {
            render_finding(&mut out, f, printer);
        }
        if !report.findings.is_empty() || !report.failures.is_empty() {
            out.push('\n');
        }
        let width = report
            .locks
            .iter()
            .map(|l| l.path.display().to_string().len())
            .max()
            .unwrap_or(0);
        for l in &report.locks {
            let status = match (l.errors, l.warnings) {
                (0, 0) => printer.paint(Style::Ok, "ok"),
                (0, w) => printer.paint(Style::Warning, &format!("{w} warning{}", plural(w))),
                (e, _) => printer.paint(Style::Error, &format!("{e} error{}", plural(e))),
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:>4} package{} {:>5} hash{}  {}",
                l.path.display(),
                l.packages,
                if l.packages == 1 { " " } else { "s" },
                l.hashes,
                if l.hashes == 1 { "  " } else { "es" },
                status,
            );
        }
    }
    if printer.verbosity >= Verbosity::Quiet {
        let t = &report.totals;
        let unchecked = report.closure.as_ref().filter(|c| c.unchecked > 0);
        let verdict = match (report.hermetic, unchecked) {
            (true, None) => printer.paint(Style::Ok, "hermetic"),
            (true, Some(_)) => printer.paint(Style::Warning, "hermetic, closure not checked"),
            (false, Some(_)) if t.errors == 0 && t.failures == 0 => {
                printer.paint(Style::Error, "closure not checked")
            }
            (false, _) => printer.paint(Style::Error, "not hermetic"),
        };
        let closure_note = match unchecked {
            Some(c) => format!(
                "; no wheel metadata for `{}` for {} package{}{}",
                c.target,
                c.unchecked,
                plural(c.unchecked),
                if c.allowed { ", allowed" } else { "" }
            ),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{} lockfile{}, {} package{}, {} hash{}: {verdict} ({} error{}, {} warning{}{}{closure_note})",
            t.lockfiles,
            plural(t.lockfiles),
            t.packages,
            plural(t.packages),
            t.hashes,
            if t.hashes == 1 { "" } else { "es" },
            t.errors,
            plural(t.errors),
            t.warnings,
            plural(t.warnings),
            if t.failures > 0 {
                format!(", {} file{} not loaded", t.failures, plural(t.failures))
            } else {
                String::new()
            }
        );
        if let Some(c) = unchecked.filter(|c| !c.allowed) {
            let _ = writeln!(
                out,
                "  hint: run `repro fetch --target {}` first, or pass `--allow-unchecked-closure`",
                c.target
            );
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
