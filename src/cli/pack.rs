//! `repro pack DIR OUT.zip|OUT.tar.gz`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::cli::{ExitStatus, Printer};
use crate::pack::{pack, source_date_epoch};

/// Arguments of `repro pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The directory to pack
    dir: PathBuf,
    /// The archive to write (`.zip` or `.tar.gz`)
    out: PathBuf,
    /// Timestamp for every member [default: $SOURCE_DATE_EPOCH, else the last git commit time]
    #[arg(long, value_name = "SECONDS")]
    source_date_epoch: Option<i64>,
}

/// Run `repro pack`.
pub fn run(args: PackArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    let epoch = match source_date_epoch(args.source_date_epoch, &args.dir) {
        Ok(e) => e,
        Err(e) => {
            printer.error(&e, None);
            return Ok(ExitStatus::Error);
        }
    };
    let Some(epoch) = epoch else {
        printer.error(
            "no SOURCE_DATE_EPOCH: set it, pass --source-date-epoch, or pack inside a git checkout",
            Some("`export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)` gives every machine the same value"),
        );
        return Ok(ExitStatus::Error);
    };
    let n = pack(&args.dir, &args.out, epoch)
        .with_context(|| format!("cannot pack `{}`", args.dir.display()))?;
    let digest = crate::digest::hash_reader(std::fs::File::open(&args.out)?, &[])?;
    if printer.json {
        printer.json(&serde_json::json!({
            "schema": "repro.pack/v1",
            "out": args.out,
            "members": n,
            "size": digest.size,
            "sha256": digest.sha256,
            "source_date_epoch": epoch,
        }))?;
    } else if printer.verbosity >= crate::cli::printer::Verbosity::Default {
        printer.out(&format!(
            "packed {n} members into {} ({} bytes, sha256:{})\n",
            args.out.display(),
            digest.size,
            digest.sha256
        ))?;
    }
    Ok(ExitStatus::Success)
}
