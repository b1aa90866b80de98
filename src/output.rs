//! Writing a finished report to the file `-o` names, without harming what is there.
//!
//! smtplog runs as root from cron, so `-o` must behave like a careful shell redirect:
//! a regular file (or a new path) is replaced atomically, a temporary file in the same
//! directory renamed over it, so readers never see half a report; a symlink is followed
//! and its target gets these rules; a device, FIFO or socket is written in place (a
//! rename would turn `/dev/null` into a regular file). A replaced file keeps its mode,
//! and its owner and group where the process may set them; a new file gets 0666 less the
//! umask. Errors name the path the user gave, never the temporary file.

use crate::sanitize::escape_path;
use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Symlinks followed before giving up (the kernel's own limit is 40).
const MAX_LINKS: usize = 40;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {reason}")]
pub struct OutputError {
    /// The path as the user gave it, escaped.
    pub path: String,
    /// What went wrong, in words that never name the temporary file.
    pub reason: String,
    /// The I/O error it was, if one. Kept, but not as the `source`: a printed error chain
    /// would add the OS's words (and tempfile's, naming the temporary file) to `reason`, and
    /// a broken pipe on a FIFO would read as `| head` going away.
    io: Option<io::Error>,
}

impl OutputError {
    fn new(path: &Path, reason: impl Into<String>) -> OutputError {
        OutputError {
            path: escape_path(path),
            reason: reason.into(),
            io: None,
        }
    }

    fn io(path: &Path, what: &str, err: io::Error) -> OutputError {
        let reason = match err.kind() {
            io::ErrorKind::PermissionDenied => format!("{what}: permission denied"),
            io::ErrorKind::NotFound => format!("{what}: no such directory"),
            // The OS's words alone: tempfile's own message names the temporary file.
            _ => match err.raw_os_error() {
                Some(code) => format!("{what}: {}", io::Error::from_raw_os_error(code)),
                None => format!("{what}: {}", err.kind()),
            },
        };
        OutputError {
            path: escape_path(path),
            reason,
            io: Some(err),
        }
    }

    /// The I/O error behind it, if one (none for a path that is a directory, say).
    pub fn io_error(&self) -> Option<&io::Error> {
        self.io.as_ref()
    }
}

/// Where a path leads once its symlinks are followed, and what is there.
enum Target {
    /// Nothing yet: a new regular file.
    New(PathBuf),
    /// A regular file, replaced atomically.
    Regular(PathBuf, fs::Metadata),
    /// A device, FIFO or socket, written in place.
    Special(PathBuf),
}

/// Follow symlinks (each resolved against the directory of the link) to what `path` names.
fn resolve(path: &Path) -> Result<Target, OutputError> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::New(current)),
            Err(e) => return Err(OutputError::io(path, "cannot look at it", e)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = fs::read_link(&current)
                .map_err(|e| OutputError::io(path, "cannot read the symlink", e))?;
            current = match current.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
        } else if kind.is_dir() {
            return Err(OutputError::new(path, "is a directory"));
        } else if kind.is_file() {
            return Ok(Target::Regular(current, meta));
        } else if kind.is_char_device()
            || kind.is_block_device()
            || kind.is_fifo()
            || kind.is_socket()
        {
            return Ok(Target::Special(current));
        } else {
            return Err(OutputError::new(path, "is not a file, device or FIFO"));
        }
    }
    Err(OutputError::new(path, "too many levels of symbolic links"))
}

/// Write `bytes` to the file `path` names, by the rules of this module.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut file = OutputFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| OutputError::io(path, "write failed", e))?;
    file.finish()
}

/// A file being written by the rules of this module, for output too big to hold in memory:
/// write to it, then [`OutputFile::finish`] puts it in place (a temporary file is removed
/// if it is dropped unfinished, and the old file stays as it was).
pub struct OutputFile {
    path: PathBuf,
    target: Destination,
}

enum Destination {
    InPlace(fs::File),
    Replacing(PathBuf, tempfile::NamedTempFile),
}

impl OutputFile {
    /// Open the file `path` names for writing.
    pub fn create(path: &Path) -> Result<OutputFile, OutputError> {
        let target = match resolve(path)? {
            Target::Special(target) => Destination::InPlace(
                OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(|e| OutputError::io(path, "cannot open it", e))?,
            ),
            Target::New(target) => {
                let tmp = temporary(path, &target, None)?;
                Destination::Replacing(target, tmp)
            }
            Target::Regular(target, meta) => {
                let tmp = temporary(path, &target, Some(&meta))?;
                Destination::Replacing(target, tmp)
            }
        };
        Ok(OutputFile {
            path: path.to_path_buf(),
            target,
        })
    }

    /// Flush everything to disk and put the file in place.
    pub fn finish(self) -> Result<(), OutputError> {
        let path = self.path;
        match self.target {
            Destination::InPlace(mut file) => file
                .flush()
                .map_err(|e| OutputError::io(&path, "write failed", e)),
            Destination::Replacing(target, mut tmp) => {
                tmp.flush()
                    .and_then(|()| tmp.as_file().sync_all())
                    .map_err(|e| OutputError::io(&path, "write failed", e))?;
                tmp.persist(&target)
                    .map_err(|e| OutputError::io(&path, "cannot replace it", e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.target {
            Destination::InPlace(file) => file.write(buf),
            Destination::Replacing(_, tmp) => tmp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Destination::InPlace(file) => file.flush(),
            Destination::Replacing(_, tmp) => tmp.flush(),
        }
    }
}

/// A temporary file beside `target`, with the mode (and owner) of the file it will replace.
fn temporary(
    path: &Path,
    target: &Path,
    existing: Option<&fs::Metadata>,
) -> Result<tempfile::NamedTempFile, OutputError> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // 0666 is masked by the umask at creation, as a shell's `>` would be.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| OutputError::io(path, "cannot create a file in its directory", e))?;
    if let Some(meta) = existing {
        let file = tmp.as_file();
        // Owner and group first: changing them may clear set-id bits that the mode restores.
        // Only root (or the owner, for a group it is in) may do this; otherwise the new file
        // is ours, as it would be after `cp`.
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
        file.set_permissions(Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(|e| OutputError::io(path, "cannot keep its mode", e))?;
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn a_replaced_file_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.txt");
        fs::write(&file, "old").unwrap();
        fs::set_permissions(&file, Permissions::from_mode(0o640)).unwrap();
        write_file(&file, b"new").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(mode(&file), 0o640);
    }

    #[test]
    fn a_symlink_is_followed_and_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.txt");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        // A dangling link makes its target.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("made.txt", &dangling).unwrap();
        write_file(&dangling, b"x").unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("made.txt")).unwrap(),
            "x"
        );
    }

    #[test]
    fn a_device_is_written_in_place() {
        write_file(Path::new("/dev/null"), b"gone").unwrap();
        let meta = fs::metadata("/dev/null").unwrap();
        assert!(meta.file_type().is_char_device());
    }

    #[test]
    fn errors_name_the_given_path_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_file(dir.path(), b"x").unwrap_err();
        assert_eq!(err.path, dir.path().display().to_string());
        assert!(err.to_string().contains("is a directory"), "{err}");
        let missing = dir.path().join("no/such/dir/report.txt");
        let err = write_file(&missing, b"x").unwrap_err().to_string();
        assert!(err.contains("no/such/dir/report.txt"), "{err}");
        assert!(!err.contains(".report.txt."), "{err}");
        let loop_a = dir.path().join("a");
        std::os::unix::fs::symlink("b", &loop_a).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let err = write_file(&loop_a, b"x").unwrap_err().to_string();
        assert!(err.contains("too many levels"), "{err}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn errors_keep_the_io_error_out_of_the_chain() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/report.txt");
        let err = write_file(&missing, b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write {}: cannot create a file in its directory: no such directory",
                missing.display()
            )
        );
        assert_eq!(
            err.io_error().map(io::Error::kind),
            Some(io::ErrorKind::NotFound)
        );
        assert!(err.source().is_none());
        assert!(write_file(dir.path(), b"x")
            .unwrap_err()
            .io_error()
            .is_none());
    }
}
