//! `repro build [LOCKS…] --target T [--output PATH…] [-- COMMAND…]`: resolve, export the
//! target's wheelhouse, run the command in a normalized environment that can install only what
//! was verified, hash the outputs, and write the manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};

use crate::build::BuildError;
use crate::build::env::{
    environment, git_dirty, git_source, host_needles, hostname, normalize_command, run_command,
    toolchains,
};
use crate::build::vary::{Step, VaryOutcome, VaryPlan, VaryRequest};
use crate::cli::load_all_or_report;
use crate::cli::printer::{Style, Verbosity};
use crate::cli::{ExitStatus, Printer, SourceArgs, StoreArgs};
use crate::fetch::{Outcome, fetch};
use crate::hazard::{Hazard, Needles};
use crate::manifest::{Build, HazardScan, Host, InputFile, Manifest, describe_output_scanned};
use crate::resolve::Selector;
use crate::store::StoreError;

/// Arguments of `repro build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Lockfiles, or directories to search for them
    locks: Vec<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Where to write the manifest
    #[arg(long, value_name = "MANIFEST", default_value = "repro-manifest.json")]
    out: PathBuf,
    /// A declared output (file, archive or directory), hashed deeply into the manifest
    #[arg(long = "output", value_name = "PATH")]
    outputs: Vec<String>,
    /// Where to export the target's wheelhouse for the command
    #[arg(long, value_name = "DIR", default_value = ".repro/wheelhouse")]
    wheelhouse: PathBuf,
    /// Timestamp handed to the build [default: $SOURCE_DATE_EPOCH, else the last git commit time]
    #[arg(long, value_name = "SECONDS")]
    source_date_epoch: Option<i64>,
    /// Build twice locally and diff the outputs (writes no manifest): the second build in
    /// another path, umask, TZ, locale, environment order, HOME and PATH, with the interpreter
    /// at another path, and where this host allows, shuffled directory order (disorderfs),
    /// another user and host name (root), kernel version, ASLR, one CPU and a clock a year
    /// ahead (faketime); what cannot vary here is reported as skipped, with the reason
    #[arg(long, requires = "command")]
    vary: bool,
    /// With `--vary`: keep both builds in DIR (created, or empty) for inspection
    #[arg(long, value_name = "DIR", requires = "vary")]
    keep: Option<PathBuf>,
    /// Also write SLSA provenance v1 (an in-toto statement over the outputs) to this file
    #[arg(long, value_name = "FILE")]
    provenance: Option<PathBuf>,
    /// The builder identity recorded in the provenance (`runDetails.builder.id`)
    #[arg(
        long,
        value_name = "URI",
        env = "REPRO_BUILDER_ID",
        default_value = "urn:repro:builder:unidentified"
    )]
    builder_id: String,
    /// Turn a class of warnings into failures: `hazards` (host-specific strings in the
    /// outputs) exits 1 once the manifest is written
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
    /// The build command, after `--`
    #[arg(last = true)]
    command: Vec<String>,
}

/// What `repro build --deny` can turn into failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Deny {
    /// A host-specific string (build directory, `HOME`, user or host name, store path, an
    /// interpreter's or tool's path) found in an output.
    Hazards,
}

/// Run `repro build`.
pub fn run(args: BuildArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let build_dir = std::env::current_dir()?;
    let Selector::Target(target) = args.sources.selector()? else {
        bail!(
            "`repro build` needs `--target` (e.g. lambda-python3.12-x86_64): a build is for one target"
        );
    };
    let epoch = match crate::pack::source_date_epoch(args.source_date_epoch, &build_dir) {
        Ok(e) => e,
        Err(e) => {
            printer.error(&e, None);
            return Ok(ExitStatus::Error);
        }
    };
    let Some(epoch) = epoch else {
        printer.error(
            "no SOURCE_DATE_EPOCH: pass --source-date-epoch, set SOURCE_DATE_EPOCH, or build in a git checkout",
            Some("`export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)` gives both machines the same value"),
        );
        return Ok(ExitStatus::Error);
    };
    let Some(locks) = load_all_or_report(args.locks.clone(), printer) else {
        return Ok(ExitStatus::Error);
    };
    // 1. Resolve into the store (offline when the store already holds everything).
    let store = args.store.open()?;
    let selector = Selector::Target(target.clone());
    let report = fetch(
        &locks,
        &selector,
        &args.sources.sources(),
        &store,
        args.sources.http_options(),
        args.sources.jobs,
        &|_| {},
    )?;
    if report.has_failure() || report.has_mismatch() {
        for e in &report.plan_errors {
            printer.error(
                &format!("{}: {}=={}: {}", e.location, e.package, e.version, e.reason),
                None,
            );
        }
        for (job, o) in &report.artifacts {
            if matches!(o, Outcome::Mismatch { .. } | Outcome::Failed { .. }) {
                printer.error(
                    &format!(
                        "{}: {}=={} `{}`: {o:?}",
                        job.location, job.package, job.version, job.filename
                    ),
                    None,
                );
            }
        }
        return Ok(if report.has_failure() {
            ExitStatus::Error
        } else {
            ExitStatus::Failure
        });
    }
    // 2. Export the wheelhouse (copies proven by their SHA-256).
    // Probed files the lock does not allow were never admitted: not part of the wheelhouse.
    let jobs: Vec<&crate::fetch::Job> = report
        .artifacts
        .iter()
        .filter(|(_, o)| !matches!(o, Outcome::NotLocked { .. }))
        .map(|(job, _)| job)
        .collect();
    let resolved = match crate::build::export_wheelhouse(&store, &jobs, &args.wheelhouse) {
        Ok(r) => r,
        Err(e @ BuildError::Store(StoreError::Corrupt { .. })) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Failure);
        }
        Err(e @ BuildError::UnfitName { .. }) => {
            printer.error(&e.to_string(), None);
            return Ok(ExitStatus::Error);
        }
        Err(e) => return Err(e.into()),
    };
    // Which lockfiles lock each artifact: an SBOM or audit of the build names those only.
    let resolved: Vec<crate::manifest::Resolved> = resolved
        .into_iter()
        .map(|mut r| {
            r.used_by = locks
                .iter()
                .filter(|l| {
                    l.packages
                        .iter()
                        .any(|p| p.hashes.iter().any(|d| d.hex() == r.sha256))
                })
                .map(|l| l.path.display().to_string())
                .collect();
            r.used_by.sort();
            r.used_by.dedup();
            r
        })
        .collect();
    // 3. Run the command.
    let wheelhouse = args.wheelhouse.display().to_string();
    let (env, recorded) = environment(epoch, &wheelhouse, &target, &build_dir);
    if args.vary {
        return vary(&args, &env, &build_dir, printer);
    }
    if !args.command.is_empty() {
        let status = run_command(&args.command, &build_dir, &env, "022")?;
        if !status.success() {
            printer.error(
                &format!(
                    "the build command failed ({status}): `{}`",
                    args.command.join(" ")
                ),
                None,
            );
            return Ok(ExitStatus::Error);
        }
    }
    // 4. Hash the outputs, and scan every byte for this machine's strings in the same pass.
    let scan = HazardScan {
        needles: Needles::new(host_needles(&build_dir, store.root(), &env)),
        inputs: crate::build::input_digests(&args.wheelhouse, &resolved),
    };
    let mut outputs = Vec::new();
    let mut hazards: Vec<Hazard> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut hazards_omitted = 0;
    for o in &args.outputs {
        let described = describe_output_scanned(Path::new(o), o, &Default::default(), &scan)
            .with_context(|| format!("cannot hash output `{o}`"))?;
        outputs.push(described.output);
        // Two outputs may hold one file (`--output dist --output dist/fn.zip`): once is enough.
        for h in described.hazards {
            if seen.insert((h.location.clone(), h.kind)) {
                hazards.push(h);
            }
        }
        hazards_omitted += described.hazards_omitted;
    }
    let mut inputs: Vec<InputFile> = locks
        .iter()
        .map(|l| InputFile {
            path: l.path.display().to_string(),
            sha256: l.sha256.hex(),
        })
        .collect();
    inputs.sort();
    let mut ecosystems: Vec<crate::model::Ecosystem> = locks.iter().map(|l| l.ecosystem).collect();
    ecosystems.sort();
    ecosystems.dedup();
    // Recorded without credentials (a `--index-url https://user:token@…` argument), and with
    // host paths normalized, so that a second machine with its tools elsewhere records the same.
    let redacted: Vec<String> = args
        .command
        .iter()
        .map(|a| crate::redact::redacted(a))
        .collect();
    let (command, flagged) =
        normalize_command(&redacted, &build_dir, std::env::var_os("PATH").as_deref());
    for p in &flagged {
        printer.warning(&format!(
            "the command names the host path `{p}`, which a second machine may not have (name the program as PATH finds it, or keep it under the build directory)"
        ));
    }
    if git_dirty(&build_dir) == Some(true) {
        printer.warning(
            "the source tree has uncommitted changes: the provenance records it, and a second machine building the commit may not build these bytes (commit, or build from a clean checkout)",
        );
    }
    let build = Build {
        tool: BTreeMap::from([
            ("name".to_string(), "repro".to_string()),
            ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ]),
        target: target.name.clone(),
        source_date_epoch: epoch,
        environment: recorded,
        toolchains: toolchains(&ecosystems),
        inputs,
        resolved,
        command,
        outputs,
    };
    let mut manifest = Manifest::new(
        build,
        Host {
            hostname: hostname(),
            started: started_at,
            duration_ms: started.elapsed().as_millis() as u64,
            build_dir: build_dir.display().to_string(),
        },
    );
    manifest.hazards = hazards;
    manifest.hazards_omitted = hazards_omitted;
    let json = serde_json::to_vec_pretty(&manifest)?;
    std::fs::create_dir_all(crate::fsio::dir_of(&args.out))?;
    crate::fsio::write_atomic_beside(&args.out, &json)?;
    if let Some(path) = &args.provenance {
        let finished = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let manifest_sha256 = crate::digest::sha256(&json).hex();
        let run = crate::attest::RunDetails {
            builder_id: args.builder_id.clone(),
            invocation_id: format!(
                "{}-{started_at}",
                &crate::digest::sha256(
                    format!(
                        "{}{}{started_at}",
                        manifest.build_id, manifest.host.hostname
                    )
                    .as_bytes()
                )
                .hex()[..16]
            ),
            started_on: crate::date::rfc3339(started_at as i64),
            finished_on: crate::date::rfc3339(finished as i64),
            manifest_sha256: Some(manifest_sha256),
            manifest_name: args
                .out
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let statement = crate::attest::provenance(&manifest, &git_source(&build_dir), &run);
        std::fs::create_dir_all(crate::fsio::dir_of(path))?;
        crate::fsio::write_atomic_beside(path, &serde_json::to_vec_pretty(&statement)?)?;
    }
    report_hazards(&manifest.hazards, manifest.hazards_omitted, printer);
    if printer.json {
        let mut doc = serde_json::json!({
            "schema": "repro.build/v1",
            "manifest": args.out,
            "build_id": manifest.build_id,
            "hazards": manifest.hazards,
        });
        if manifest.hazards_omitted > 0 {
            doc["hazards_omitted"] = manifest.hazards_omitted.into();
        }
        printer.json(&doc)?;
    } else {
        printer.out(&format!(
            "built for {}: {} resolved artifacts, {} outputs; manifest {} (build id {})\n",
            target.name,
            manifest.build.resolved.len(),
            manifest.build.outputs.len(),
            args.out.display(),
            manifest.build_id
        ))?;
    }
    let found = manifest.hazards.len() as u64 + manifest.hazards_omitted;
    if found > 0 && args.deny.contains(&Deny::Hazards) {
        printer.error(
            &format!(
                "{found} hazard{} in the outputs (`--deny hazards`); the manifest `{}` records {}",
                if found == 1 { "" } else { "s" },
                args.out.display(),
                if found == 1 { "it" } else { "them" }
            ),
            None,
        );
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// `repro build --vary`: two builds under variation, progress on stderr, the plan and the diff
/// on stdout.
fn vary(
    args: &BuildArgs,
    env: &[(String, String)],
    build_dir: &Path,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let show_progress = !printer.json && printer.verbosity >= Verbosity::Default;
    let progress = |step: Step<'_>| {
        if !show_progress {
            return;
        }
        let line = match step {
            Step::Build { number: 1, dir, .. } => format!("build 1/2 in {}\n", dir.display()),
            Step::Build { number, dir, plan } => format!(
                "build {number}/2 in {} ({})\n",
                dir.display(),
                plan.varied
                    .iter()
                    .map(|v| v.name.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Step::Diffing { outputs } => format!(
                "diffing {outputs} output{}\n",
                if outputs == 1 { "" } else { "s" }
            ),
        };
        printer.diagnostics(&line);
    };
    let request = VaryRequest {
        command: &args.command,
        outputs: &args.outputs,
        env,
        build_dir,
        keep: args.keep.as_deref(),
    };
    match crate::build::vary::vary(&request, &progress)? {
        VaryOutcome::CommandFailed {
            build,
            dir,
            status,
            plan,
            kept,
        } => {
            let hint = (build == 2).then(|| {
                format!(
                    "build 2 ran under: {}; a build that fails only there depends on one of these",
                    plan.varied
                        .iter()
                        .map(|v| format!("{} {}", v.name, v.second))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            });
            printer.error(
                &format!(
                    "the build command failed in build {build}/2, in `{}` ({status}){}",
                    dir.display(),
                    kept.map(|k| format!("; both builds kept in `{}`", k.display()))
                        .unwrap_or_default()
                ),
                hint.as_deref(),
            );
            Ok(ExitStatus::Error)
        }
        VaryOutcome::Compared(report) => {
            if printer.json {
                printer.json(&report)?;
            } else {
                let n = args.outputs.len();
                let mut text = if report.diff.identical {
                    format!(
                        "reproducible under variation: {n} output{} identical across two builds\n",
                        if n == 1 { "" } else { "s" },
                    )
                } else {
                    crate::cli::printer::diff::Detail::of(printer, false)
                        .map_or_else(String::new, |detail| {
                            crate::cli::printer::diff::render(&report.diff, printer, detail)
                        })
                };
                text.push_str(&render_plan(&report.variations));
                if report.kept.is_some() {
                    text.push_str(&format!(
                        "kept: build 1 in {}, build 2 in {}\n",
                        report.diff.a.display(),
                        report.diff.b.display()
                    ));
                }
                printer.out(&text)?;
            }
            Ok(if report.diff.identical {
                ExitStatus::Success
            } else {
                ExitStatus::Failure
            })
        }
    }
}

/// What varied between the two builds (first → second), then what was skipped and why.
fn render_plan(plan: &VaryPlan) -> String {
    let width = plan
        .varied
        .iter()
        .map(|v| v.name.name().len())
        .chain(plan.skipped.iter().map(|v| v.name.name().len()))
        .max()
        .unwrap_or(0);
    let mut out = String::from("varied between the two builds:\n");
    for v in &plan.varied {
        out.push_str(&format!(
            "  {:width$}  {} -> {}\n",
            v.name.name(),
            v.first,
            v.second
        ));
    }
    if !plan.skipped.is_empty() {
        out.push_str("skipped (cannot vary here):\n");
        for v in &plan.skipped {
            out.push_str(&format!("  {:width$}  {}\n", v.name.name(), v.reason));
        }
    }
    out
}

/// Print each hazard as a warning (`warning[hazard]: LOCATION: KIND: EXCERPT`), then what to do.
fn report_hazards(hazards: &[Hazard], omitted: u64, printer: &Printer) {
    if (hazards.is_empty() && omitted == 0) || printer.verbosity == Verbosity::Silent {
        return;
    }
    let label = printer.paint_err(Style::Warning, "warning[hazard]");
    let mut text = String::new();
    for h in hazards {
        text.push_str(&format!(
            "{label}: {}: {}: {}\n",
            crate::redact::plain_text(&h.location),
            h.kind,
            h.excerpt
        ));
    }
    printer.diagnostics(&text);
    if omitted > 0 {
        printer.warning(&format!(
            "{omitted} more hazards found and not recorded (at most {} per output)",
            crate::manifest::MAX_HAZARDS
        ));
    }
    printer.warning(&format!(
        "{} host-specific string{} in the outputs: a machine with another build directory, \
         home, user, host name, store or interpreter location would build other bytes \
         (`--deny hazards` makes this fatal)",
        hazards.len() as u64 + omitted,
        if hazards.len() as u64 + omitted == 1 {
            ""
        } else {
            "s"
        }
    ));
}
