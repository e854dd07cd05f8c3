//! `repro build [LOCKS…] --target T [--output PATH…] [-- COMMAND…]`: resolve, export the
//! target's wheelhouse, run the command in a normalized environment that can install only what
//! was verified, hash the outputs, and write the manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use clap::Args;

use crate::cli::check::load_all_or_report;
use crate::cli::{ExitStatus, Printer, SourceArgs, StoreArgs};
use crate::fetch::{Outcome, fetch};
use crate::manifest::{Build, Host, InputFile, Manifest, Resolved, describe_output};
use crate::resolve::Selector;

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
    /// Build twice locally, in two build paths with another umask, TZ, locale and environment
    /// order, and diff the outputs (writes no manifest): see non-determinism before a second
    /// machine does
    #[arg(long, requires = "command")]
    vary: bool,
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
    /// The build command, after `--`
    #[arg(last = true)]
    command: Vec<String>,
}

/// Run `command` in `dir` with `env` (in that order) under `umask`.
fn run_command(
    command: &[String],
    dir: &Path,
    env: &[(String, String)],
    umask: &str,
) -> anyhow::Result<std::process::ExitStatus> {
    std::fs::create_dir_all(dir.join(".repro/home"))?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("umask {umask}; exec \"$@\""))
        .arg("repro-build")
        .args(command)
        .current_dir(dir)
        .env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status()
        .with_context(|| format!("cannot run `{}`", command.join(" ")))
}

/// Copy the build tree for a varied build: files are copied (the build may write them),
/// wheelhouse entries hard-linked (read-only inputs); `.git`, `target`, `.repro/home` skipped.
fn copy_tree(src: &Path, dst: &Path) -> anyhow::Result<()> {
    let skip = |rel: &Path| {
        rel.starts_with(".git") || rel.starts_with("target") || rel.starts_with(".repro/home")
    };
    for e in walkdir::WalkDir::new(src).follow_links(false).min_depth(1) {
        let e = e?;
        let rel = e.path().strip_prefix(src)?;
        if skip(rel) {
            continue;
        }
        let to = dst.join(rel);
        let ft = e.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&to)?;
        } else if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path())?, &to)?;
        } else if rel.starts_with(".repro") {
            if std::fs::hard_link(e.path(), &to).is_err() {
                std::fs::copy(e.path(), &to)?;
            }
        } else {
            std::fs::copy(e.path(), &to)?;
        }
    }
    Ok(())
}

/// A disorderfs mount that shuffles directory entries, unmounted on drop.
struct Disorderfs {
    mountpoint: PathBuf,
}

impl Disorderfs {
    /// Mount `src` at `mountpoint`, or `None` when disorderfs is not installed or FUSE refuses.
    fn mount(src: &Path, mountpoint: &Path) -> Option<Disorderfs> {
        let status = Command::new("disorderfs")
            .args(["--shuffle-dirents=yes", "--multi-user=no", "--quiet"])
            .arg(src)
            .arg(mountpoint)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Disorderfs {
            mountpoint: mountpoint.to_path_buf(),
        })
    }
}

impl Drop for Disorderfs {
    fn drop(&mut self) {
        let unmounted = Command::new("fusermount")
            .arg("-u")
            .arg(&self.mountpoint)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = Command::new("umount").arg(&self.mountpoint).status();
        }
    }
}

/// `--vary`: two builds in two paths under different conditions, then a diff of the outputs.
fn vary(
    args: &BuildArgs,
    env: &[(String, String)],
    build_dir: &Path,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    let root = tempfile::Builder::new().prefix("repro-vary-").tempdir()?;
    let a = root.path().join("a");
    let b_src = root.path().join("b-src");
    for d in [&a, &b_src] {
        std::fs::create_dir_all(d)?;
        copy_tree(build_dir, d)?;
    }
    // The second build runs in a deeper path, through disorderfs where it is installed, so that
    // directories list their entries in a shuffled order.
    let b = root.path().join("b/a/much/deeper/build/path");
    std::fs::create_dir_all(&b)?;
    let shuffled = Disorderfs::mount(&b_src, &b);
    let b = if shuffled.is_some() {
        b
    } else {
        std::fs::remove_dir_all(root.path().join("b"))?;
        std::fs::create_dir_all(b.parent().expect("nested"))?;
        std::fs::rename(&b_src, &b)?;
        b
    };
    // The second build: another umask, time zone and locale, the environment in reverse order.
    let mut varied: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| match k.as_str() {
            "TZ" => (k.clone(), "Etc/GMT-14".to_string()),
            "LC_ALL" | "LANG" => (k.clone(), "C".to_string()),
            "HOME" => (k.clone(), b.join(".repro/home").display().to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    varied.reverse();
    let home_a: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| {
            if k == "HOME" {
                (k.clone(), a.join(".repro/home").display().to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    for (dir, env, umask) in [(&a, &home_a, "022"), (&b, &varied, "002")] {
        let status = run_command(&args.command, dir, env, umask)?;
        if !status.success() {
            printer.error(
                &format!("the build command failed in `{}` ({status})", dir.display()),
                None,
            );
            return Ok(ExitStatus::Error);
        }
    }
    let options = crate::diff::DiffOptions::default();
    let mut differences = Vec::new();
    for o in &args.outputs {
        crate::diff::compare_paths(&a.join(o), &b.join(o), o, &options, &mut differences)?;
    }
    let shuffled_used = shuffled.is_some();
    drop(shuffled);
    let report = crate::diff::DiffReport {
        schema: crate::diff::REPORT_SCHEMA,
        a: a.clone(),
        b: b.clone(),
        identical: differences.is_empty(),
        differences,
    };
    if printer.json {
        printer.json(&report)?;
    } else if report.identical {
        printer.out(&format!(
            "reproducible under variation: {} output{} identical across two build paths, umask 022/002, TZ UTC/Etc/GMT-14, locale C.UTF-8/C, reversed environment order and {}\n",
            args.outputs.len(),
            if args.outputs.len() == 1 { "" } else { "s" },
            if shuffled_used { "shuffled directory order (disorderfs)" } else { "the same directory order (install disorderfs to vary it)" }
        ))?;
    } else {
        printer.out(&crate::cli::diff::render(&report, printer))?;
    }
    Ok(if report.identical {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The normalized environment: (what the command gets, what the manifest records). Host-specific
/// values (PATH, HOME, the build directory) are recorded as placeholders so that two machines
/// record the same thing.
pub fn environment(
    epoch: i64,
    wheelhouse: &str,
    target: &crate::resolve::Target,
    build_dir: &Path,
) -> (Vec<(String, String)>, BTreeMap<String, String>) {
    let home = build_dir.join(".repro/home");
    let fixed = [
        ("SOURCE_DATE_EPOCH", epoch.to_string()),
        ("TZ", "UTC".into()),
        ("LC_ALL", "C.UTF-8".into()),
        ("LANG", "C.UTF-8".into()),
        ("PYTHONHASHSEED", "0".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("PIP_NO_INDEX", "1".into()),
        ("PIP_FIND_LINKS", wheelhouse.into()),
        ("PIP_REQUIRE_HASHES", "1".into()),
        ("PIP_CONFIG_FILE", "/dev/null".into()),
        ("PIP_DISABLE_PIP_VERSION_CHECK", "1".into()),
        ("PIP_ROOT_USER_ACTION", "ignore".into()),
        ("UV_FIND_LINKS", wheelhouse.into()),
        ("UV_OFFLINE", "1".into()),
        ("UV_NO_CONFIG", "1".into()),
        ("CARGO_NET_OFFLINE", "true".into()),
        ("REPRO_TARGET", target.name.clone()),
        // For installers that must be told the target: pip's --platform (repeated, pip does
        // not expand manylinux tags itself) and --python-version.
        ("REPRO_PLATFORMS", target.platforms.join(" ")),
        (
            "REPRO_PYTHON_VERSION",
            format!("{}.{}", target.python.0, target.python.1),
        ),
        ("REPRO_WHEELHOUSE", wheelhouse.into()),
    ];
    let mut actual: Vec<(String, String)> = fixed
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let mut recorded: BTreeMap<String, String> = actual.iter().cloned().collect();
    actual.push((
        "PATH".into(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
    ));
    recorded.insert("PATH".into(), "${PATH}".into());
    actual.push(("HOME".into(), home.display().to_string()));
    recorded.insert("HOME".into(), "${BUILD_DIR}/.repro/home".into());
    recorded.insert("umask".into(), "022".into());
    (actual, recorded)
}

/// The version line of each toolchain present on PATH.
pub fn toolchains() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, cmd, args) in [
        ("python", "python3", &["--version"][..]),
        ("pip", "python3", &["-m", "pip", "--version"][..]),
        ("uv", "uv", &["--version"][..]),
        ("rustc", "rustc", &["--version"][..]),
        ("cargo", "cargo", &["--version"][..]),
    ] {
        let Ok(o) = Command::new(cmd)
            .args(args)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .output()
        else {
            continue;
        };
        if !o.status.success() {
            continue;
        }
        let text = String::from_utf8_lossy(if o.stdout.is_empty() {
            &o.stderr
        } else {
            &o.stdout
        })
        .trim()
        .to_string();
        // `pip 23.2 from /home/…/site-packages/pip (python 3.11)`: drop the host path.
        let text = match text.split_once(" from ") {
            Some((head, tail)) => format!(
                "{head} {}",
                tail.rsplit_once(' ').map(|(_, t)| t).unwrap_or("")
            )
            .trim()
            .to_string(),
            None => text,
        };
        out.insert(name.to_string(), text);
    }
    out
}

/// The git remote and commit of the build tree, when it is a checkout.
fn git_source(dir: &Path) -> crate::attest::SourceInfo {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let commit = git(&["rev-parse", "HEAD"]);
    // A remote cloned with a token (`https://x-access-token:…@github.com/…`) keeps it in its URL.
    let uri =
        git(&["remote", "get-url", "origin"]).map(|u| format!("git+{}", crate::redact::redact(&u)));
    crate::attest::SourceInfo {
        uri: uri.or_else(|| commit.as_ref().map(|_| "git+local-checkout".to_string())),
        commit,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
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
    let Some(epoch) = crate::pack::source_date_epoch(args.source_date_epoch, &build_dir) else {
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
    // 2. Export the wheelhouse: real file names, hard links into the store.
    std::fs::create_dir_all(&args.wheelhouse)
        .with_context(|| format!("cannot create `{}`", args.wheelhouse.display()))?;
    let mut resolved = Vec::new();
    for (job, _) in &report.artifacts {
        let hex = job.expected.hex();
        let record = store
            .record(&hex)
            .with_context(|| format!("no record for `{}` in the store", job.filename))?;
        let dest = args.wheelhouse.join(&job.filename);
        if !dest.exists() {
            let src = store.object_path(&hex);
            if std::fs::hard_link(&src, &dest).is_err() {
                std::fs::copy(&src, &dest)
                    .with_context(|| format!("cannot export `{}`", job.filename))?;
            }
        }
        resolved.push(Resolved {
            ecosystem: job.ecosystem.to_string(),
            name: job.package.clone(),
            version: job.version.clone(),
            filename: job.filename.clone(),
            sha256: hex,
            blake3: record.blake3,
            size: record.size,
        });
    }
    resolved.sort();
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
    // 4. Hash the outputs.
    let mut outputs = Vec::new();
    for o in &args.outputs {
        outputs.push(
            describe_output(Path::new(o), o, &Default::default())
                .with_context(|| format!("cannot hash output `{o}`"))?,
        );
    }
    let mut inputs: Vec<InputFile> = locks
        .iter()
        .map(|l| InputFile {
            path: l.path.display().to_string(),
            sha256: l.sha256.hex(),
        })
        .collect();
    inputs.sort();
    let build = Build {
        tool: BTreeMap::from([
            ("name".to_string(), "repro".to_string()),
            ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ]),
        target: target.name.clone(),
        source_date_epoch: epoch,
        environment: recorded,
        toolchains: toolchains(),
        inputs,
        resolved,
        // Recorded without credentials (a `--index-url https://user:token@…` argument).
        command: args
            .command
            .iter()
            .map(|a| crate::redact::redacted(a))
            .collect(),
        outputs,
    };
    let manifest = Manifest::new(
        build,
        Host {
            hostname: hostname(),
            started: started_at,
            duration_ms: started.elapsed().as_millis() as u64,
            build_dir: build_dir.display().to_string(),
        },
    );
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
            started_on: crate::sbom::cyclonedx::rfc3339(started_at as i64),
            finished_on: crate::sbom::cyclonedx::rfc3339(finished as i64),
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
    if printer.json {
        printer.json(&serde_json::json!({"schema": "repro.build/v1", "manifest": args.out, "build_id": manifest.build_id}))?;
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
    Ok(ExitStatus::Success)
}
