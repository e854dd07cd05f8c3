//! Posture: the SECURITY.md structure every repository of the project shares, and the evidence
//! that each control a repository claims was verified, not asserted.
//!
//! Three operations, each a pure function of files on disk returning a typed report:
//!
//! - [`init`]: render SECURITY.md from `posture.toml` ([`config`]) and the audit policy
//!   ([`crate::audit::Policy`], the one `repro audit` uses), with fixed headings in a fixed
//!   order ([`document`]); the verify and "am I affected?" commands come from [`commands`],
//!   which `repro release` renders VERIFY.md from too, so the two cannot disagree.
//! - [`check::check`]: every required section present, in order, no placeholder left, the SLA
//!   numbers equal to the audit policy's, the signing identities equal to a release folder's
//!   (or to `posture.toml`'s), and the same headings at the same address across repositories.
//! - [`evidence::evidence`]: the controls table of a release folder, one row per piece of
//!   evidence, each verified from the bytes (signatures, digests, the SBOM against the
//!   manifest, the provenance, a second machine's summary, the private audit's counts), mapped to
//!   the S2C2F requirements, SLSA Build Level 1 and the CISA attestation form ([`controls`]).
//!
//! The invariant, from the project's verdict rules: a row whose evidence is missing is "not
//! evidenced", never "pass"; a control claimed without passing evidence fails the command.

pub mod check;
pub mod commands;
pub mod config;
pub mod controls;
pub mod detection;
pub mod document;
pub mod evidence;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use config::Posture;

/// Largest `posture.toml` read: a few dozen lines; the cap keeps a mistaken path (a log, a
/// device) from being read whole.
pub const MAX_POSTURE_BYTES: u64 = 1024 * 1024;

/// Largest SECURITY.md read: the generated one is a few kilobytes; a hand-written one with
/// history is still far below this.
pub const MAX_SECURITY_MD_BYTES: u64 = 1024 * 1024;

/// The file `init` writes and `check` reads in each repository.
pub const SECURITY_MD: &str = "SECURITY.md";

/// The posture file `init` reads, and `check` and `evidence` look for by default.
pub const POSTURE_TOML: &str = "posture.toml";

/// Why a posture operation could not run: the file (and line) it concerns, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostureError {
    /// A problem at a line of a file.
    #[error("{}:{line}: {message}", path.display())]
    At {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A problem with a whole file (unreadable, missing).
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The audit policy could not be used (its error names the file and line already).
    #[error("{0}")]
    Policy(String),
}

impl PostureError {
    pub(crate) fn file(path: &Path, message: impl Into<String>) -> Self {
        PostureError::File {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Load the audit policy: `explicit` if given, else the one `posture` names, else the defaults
/// `repro audit` uses without `--policy`.
pub fn load_policy(
    explicit: Option<&Path>,
    posture: Option<&Posture>,
) -> Result<(crate::audit::Policy, Option<PathBuf>), PostureError> {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| posture.and_then(|p| p.audit_policy.clone()));
    match path {
        Some(p) => crate::audit::Policy::load(&p)
            .map(|policy| (policy, Some(p)))
            .map_err(PostureError::Policy),
        None => Ok((crate::audit::Policy::default(), None)),
    }
}

/// What `repro posture init` did.
#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    /// `repro.posture-init/v1`.
    pub schema: &'static str,
    /// The file written.
    pub written: PathBuf,
    /// The sections, in order.
    pub sections: Vec<&'static str>,
    /// The audit policy the SLA table was generated from (none: `repro audit`'s defaults).
    pub policy: Option<PathBuf>,
    /// Whether the file existed and was replaced.
    pub replaced: bool,
}

/// Schema of [`InitReport`].
pub const INIT_SCHEMA: &str = "repro.posture-init/v1";

/// What `repro posture init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The posture file.
    pub posture: PathBuf,
    /// An audit policy instead of the one `posture.toml` names.
    pub policy: Option<PathBuf>,
    /// Where to write (default: SECURITY.md beside the posture file).
    pub out: Option<PathBuf>,
    /// Replace a SECURITY.md that `init` did not write.
    pub force: bool,
}

/// Render SECURITY.md from the posture file and the audit policy, and write it (atomically,
/// mode 0644). A file that exists and was not generated (it lacks [`document::MARKER`]) is
/// kept unless `force`: a hand-written policy is not overwritten by accident.
pub fn init(req: &InitRequest) -> Result<InitReport, PostureError> {
    let posture = Posture::load(&req.posture)?;
    let (policy, policy_path) = load_policy(req.policy.as_deref(), Some(&posture))?;
    let text = document::render(&posture, &policy);
    let dest = req
        .out
        .clone()
        .unwrap_or_else(|| crate::fsio::dir_of(&req.posture).join(SECURITY_MD));
    let existing = match std::fs::symlink_metadata(&dest) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(PostureError::file(
                &dest,
                "is a symbolic link: refusing to write through it",
            ));
        }
        Ok(_) => Some(
            crate::fsio::read_to_string_capped(&dest, MAX_SECURITY_MD_BYTES)
                .map_err(|e| PostureError::file(&dest, format!("cannot read: {e}")))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(PostureError::file(&dest, format!("cannot read: {e}"))),
    };
    if let Some(old) = &existing
        && !old.contains(document::MARKER)
        && !req.force
    {
        return Err(PostureError::file(
            &dest,
            "exists and was not written by `repro posture init`: not replaced (move it aside, \
             or pass --force)",
        ));
    }
    crate::fsio::write_atomic_beside(&dest, text.as_bytes())
        .map_err(|e| PostureError::file(&dest, format!("cannot write: {e}")))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o644))
        .map_err(|e| PostureError::file(&dest, format!("cannot set its mode: {e}")))?;
    Ok(InitReport {
        schema: INIT_SCHEMA,
        written: dest,
        sections: document::Section::ALL.iter().map(|s| s.heading()).collect(),
        policy: policy_path,
        replaced: existing.is_some(),
    })
}
