//! Safe file input and output: the one place that opens a file for reading with checks, reads
//! with a size cap, and writes atomically.
//!
//! Every input can be hostile: a path may name a FIFO (opening it for reading blocks until a
//! writer appears), a character device (`/dev/zero` never ends), or a huge file. Readers here
//! open with `O_NONBLOCK`, check the opened descriptor with `fstat` (no race between the check
//! and the read) and refuse anything but a regular file before reading a byte; capped reads stop
//! at the cap plus one byte. Writers go through a temp file in the destination's directory,
//! fsync it, and rename it into place, so a crash or a full disk never leaves a half-written
//! document.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What kind of file system object a path is, in words, for error messages.
pub fn describe_type(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_file() {
        "a regular file"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// The error for a path that is not a regular file.
fn not_regular(ft: &fs::FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {}, not a regular file: refusing to read it",
            describe_type(ft)
        ),
    )
}

/// Open `path` for reading only if it is a regular file (following symbolic links). A FIFO,
/// device or socket is refused without blocking and without reading from it.
pub fn open_regular(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; the
    // descriptor is then checked with fstat, so a file swapped in after a stat cannot slip by.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    // Regular files ignore O_NONBLOCK for reads, but clear it so the descriptor behaves as an
    // ordinary one wherever it is handed.
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
    Ok(file)
}

/// Check, without opening it, that `path` is a regular file or a directory (following symbolic
/// links): what a comparison or a walk may descend into.
pub fn check_file_or_dir(path: &Path) -> io::Result<fs::Metadata> {
    let meta = fs::metadata(path)?;
    let ft = meta.file_type();
    if ft.is_file() || ft.is_dir() {
        Ok(meta)
    } else {
        Err(not_regular(&ft))
    }
}

/// Read a whole regular file of at most `cap` bytes. A larger file (or one that grows while it
/// is read) is refused with an error naming the cap; a FIFO or device is refused unread.
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > cap {
        return Err(too_large(len, cap));
    }
    let mut out = Vec::with_capacity(len as usize);
    file.take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(too_large(out.len() as u64, cap));
    }
    Ok(out)
}

/// [`read_capped`], as UTF-8 text.
pub fn read_to_string_capped(path: &Path, cap: u64) -> io::Result<String> {
    String::from_utf8(read_capped(path, cap)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not valid UTF-8 text"))
}

fn too_large(len: u64, cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "is {len} bytes or more, larger than the limit of {cap} bytes for this kind of file"
        ),
    )
}

/// Longest file name written (Linux's `NAME_MAX`).
pub const MAX_FILE_NAME: usize = 255;

/// Why `name` is not a plain file name to create inside a directory, if it is not one: the one
/// check every writer of a name that came from a lock, an index or a store record makes. A
/// plain name has no `/` or `\`, is not `.` or `..` and does not start with `.` (no hidden or
/// special names), has no NUL or control character, and is at most [`MAX_FILE_NAME`] bytes.
pub fn unsafe_file_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an empty file name")
    } else if name.len() > MAX_FILE_NAME {
        Some("a file name longer than 255 bytes")
    } else if name.contains(['/', '\\']) {
        Some("a path, not a file name")
    } else if name.starts_with('.') {
        Some("a name starting with `.`")
    } else if name.chars().any(char::is_control) {
        Some("a control character in the name")
    } else {
        None
    }
}

/// Why an atomic write failed.
#[derive(Debug, thiserror::Error)]
#[error("{action} `{}`: {source}", path.display())]
pub struct WriteError {
    /// What was being done.
    pub action: &'static str,
    /// On which path.
    pub path: PathBuf,
    /// The cause.
    pub source: io::Error,
}

fn write_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Paths already resolved by [`canonicalize`] in this run (directories, and the files asked
/// for), by the path as written.
///
/// A run reads a tree that does not change under it; resolving each directory once instead of
/// once per path below it is what keeps `repro check` of 8,000 lockfiles linear (issue 16:
/// `realpath` walks every component with a `readlink`, so every lockfile paid for its whole
/// path again).
static CANONICAL_DIRS: std::sync::OnceLock<
    std::sync::Mutex<std::collections::HashMap<PathBuf, PathBuf>>,
> = std::sync::OnceLock::new();

/// [`std::fs::canonicalize`], resolving each directory once per run: the absolute path with
/// every symbolic link, `.` and `..` resolved. A path whose last component is a plain name and
/// not a link is its resolved directory joined with the name (one `lstat`); anything else is
/// left to the system's `realpath`.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    use std::path::Component;
    let cache = CANONICAL_DIRS.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
        return Ok(hit.clone());
    }
    let (Some(parent), Some(Component::Normal(name))) =
        (path.parent(), path.components().next_back())
    else {
        return canonical_dir(path);
    };
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return fs::canonicalize(path);
    }
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let resolved = canonical_dir(parent)?.join(name);
    // Files too: a lockfile is resolved by discovery, by its loader and by the check.
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf(), resolved.clone());
    Ok(resolved)
}

/// A directory resolved once ([`canonicalize`]).
fn canonical_dir(dir: &Path) -> io::Result<PathBuf> {
    let cache = CANONICAL_DIRS.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        return Ok(hit.clone());
    }
    use std::path::Component;
    let resolved = match (dir.parent(), dir.components().next_back()) {
        (Some(parent), Some(Component::Normal(name)))
            if !parent.as_os_str().is_empty()
                && !fs::symlink_metadata(dir)?.file_type().is_symlink() =>
        {
            canonical_dir(parent)?.join(name)
        }
        _ => fs::canonicalize(dir)?,
    };
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(dir.to_path_buf(), resolved.clone());
    Ok(resolved)
}

/// The directory a path lies in (`.` for a bare file name).
pub fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Who may read a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Mode 0600 whatever the umask: the store's files, reports that may name private
    /// packages, keys.
    Private,
    /// Mode 0666 less the user's umask (0644 under the usual 022), as any tool writes a file
    /// the user asked for and will publish: `pack` archives, `sbom --out`, `db index`.
    Public,
}

/// A temp file in `dir` with the mode `visibility` asks for, to be persisted over a
/// destination. The mode is set when the file is created (`open(2)` applies the umask), so a
/// private file is never readable by others, not even for a moment.
pub fn temp_file(
    dir: &Path,
    prefix: &str,
    visibility: Visibility,
) -> io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    if visibility == Visibility::Public {
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// [`write_atomic`] with the temp file beside `dest`.
pub fn write_atomic_beside(dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic(dir_of(dest), dest, bytes)
}

/// [`write_atomic_as`] a public document ([`Visibility::Public`]), the temp file beside `dest`.
pub fn write_public_beside(dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_as(dir_of(dest), dest, bytes, Visibility::Public)
}

/// Write `bytes` to `dest` through a temp file in `tmp_dir` (which must be on the same file
/// system): write, fsync, then rename over `dest`, then fsync the directory. The file is
/// created with mode 0600 ([`Visibility::Private`]).
pub fn write_atomic(tmp_dir: &Path, dest: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_as(tmp_dir, dest, bytes, Visibility::Private)
}

/// [`write_atomic`], with the mode `visibility` asks for.
pub fn write_atomic_as(
    tmp_dir: &Path,
    dest: &Path,
    bytes: &[u8],
    visibility: Visibility,
) -> Result<(), WriteError> {
    let mut tmp = temp_file(tmp_dir, ".write-", visibility)
        .map_err(write_err("cannot create a temp file in", tmp_dir))?;
    tmp.write_all(bytes)
        .map_err(write_err("cannot write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(write_err("cannot sync", tmp.path()))?;
    tmp.persist(dest).map_err(|e| WriteError {
        action: "cannot replace",
        path: dest.to_path_buf(),
        source: e.error,
    })?;
    if let Some(dir) = dest.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// fsync a directory so a rename into it survives a crash (best effort: not every file system
/// supports it).
pub fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        )
        .unwrap();
        let err = open_regular(&fifo).unwrap_err().to_string();
        assert!(err.contains("is a FIFO, not a regular file"), "{err}");
        let err = read_capped(&fifo, 10).unwrap_err().to_string();
        assert!(err.contains("FIFO"), "{err}");
    }

    #[test]
    fn refuses_a_character_device() {
        let err = read_capped(Path::new("/dev/zero"), 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a character device"), "{err}");
    }

    #[test]
    fn caps_reads_at_the_limit_and_one_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, vec![7u8; 100]).unwrap();
        assert_eq!(read_capped(&p, 100).unwrap().len(), 100);
        let err = read_capped(&p, 99).unwrap_err().to_string();
        assert!(err.contains("limit of 99 bytes"), "{err}");
    }

    #[test]
    fn plain_file_names() {
        for bad in [
            "",
            "../../x.whl",
            "a/b.whl",
            "..",
            ".hidden.whl",
            "a\\b.whl",
            "a\nb.whl",
            "a\0b",
        ] {
            assert!(unsafe_file_name(bad).is_some(), "{bad:?}");
        }
        assert!(unsafe_file_name(&"x".repeat(MAX_FILE_NAME)).is_none());
        assert!(unsafe_file_name(&"x".repeat(MAX_FILE_NAME + 1)).is_some());
        assert!(unsafe_file_name("six-1.17.0-py2.py3-none-any.whl").is_none());
    }

    #[test]
    fn writes_atomically_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("doc.json");
        write_atomic_beside(&p, b"one").unwrap();
        write_atomic_beside(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
