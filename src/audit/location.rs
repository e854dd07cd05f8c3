//! Where the private audit report goes, and how it is written: a state directory only its owner
//! can enter, a 0600 file replaced atomically, never through a symlink.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// The private state directory: `$XDG_STATE_HOME/repro`, else `~/.local/state/repro`. The
/// current directory is usually a git work tree, where a report would be one `git add .` away
/// from being published.
pub fn state_dir() -> Result<PathBuf, String> {
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
pub fn default_report(extension: &str) -> Result<PathBuf, String> {
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
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
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
