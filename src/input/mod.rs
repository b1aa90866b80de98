//! Opening logs (files, compressed rotations, stdin) and reading them in line-aligned chunks.
//!
//! This module holds what both halves share: the [`Input`] to read, the [`InputError`] it
//! fails with, the line-length and chunk-size limits. Opening and decompressing live in
//! `open`, cutting the decoded bytes into line-aligned chunks in `chunk`; everything is
//! re-exported here, so callers keep using `crate::input::...`.

use crate::sanitize::escape_path;
use std::ffi::OsStr;
use std::io;
use std::path::PathBuf;

mod chunk;
mod open;
#[cfg(test)]
mod tests;

pub use chunk::{is_overlong, lines, peek, Chunk, ChunkReader};
pub use open::{decode, open, open_counted, total_size, Compression, Opened};

/// The longest line kept whole; longer lines are counted as overlong and skipped.
///
/// Postfix and syslog cut lines far below this (Postfix `line_length_limit` is 2048,
/// rsyslog's default message size 8 KiB), so only junk is ever this long.
pub const MAX_LINE: usize = 1 << 20;

/// Default chunk size handed to one worker.
///
/// A part's own tables (message ids first seen in it, senders, hosts) grow with its lines
/// until it is appended, so the chunks in flight bound memory on a flood of new ids:
/// 256 KiB keeps a 1M-id flood under 64 MiB on two threads (1 MiB took 86 MiB), at the same
/// speed on ordinary logs.
pub const DEFAULT_CHUNK_SIZE: usize = 256 << 10;

/// A log to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file; plain or compressed, told apart by its first bytes. Any OS path, UTF-8 or not.
    Path(PathBuf),
}

impl Input {
    /// `-` means stdin; anything else is a path.
    pub fn from_arg(arg: &OsStr) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }

    /// The name to show in messages, escaped (a file name may hold any byte).
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::Path(p) => escape_path(p),
        }
    }
}

/// A decoder's failure, with the format it was decoding.
#[derive(Debug, thiserror::Error)]
#[error("{format} data: {source}")]
struct DecodeError {
    format: &'static str,
    source: io::Error,
}

/// An input that could not be read, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct InputError {
    /// The input's display name (escaped).
    pub name: String,
    /// What went wrong, in words.
    pub reason: String,
    /// The I/O error it was, for telling the kind of failure apart without reading words.
    #[source]
    io: Option<io::Error>,
}

impl InputError {
    /// Describe an I/O error in plain words, keeping it as the source.
    pub fn from_io(input: &Input, err: io::Error) -> InputError {
        let decoding = err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<DecodeError>());
        let reason = match (err.kind(), decoding) {
            (io::ErrorKind::NotFound, _) => "no such file".to_string(),
            (io::ErrorKind::PermissionDenied, _) => "permission denied".to_string(),
            (io::ErrorKind::UnexpectedEof, Some(d)) => {
                format!("unexpected end of file (truncated {} data?)", d.format)
            }
            (io::ErrorKind::UnexpectedEof, None) => {
                "unexpected end of file (truncated gzip data?)".to_string()
            }
            (_, Some(d)) => format!("corrupt {} data: {}", d.format, d.source),
            (io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData, None) => {
                format!("corrupt data: {err}")
            }
            _ => err.to_string(),
        };
        InputError {
            name: input.display_name(),
            reason,
            io: Some(err),
        }
    }

    /// The I/O error behind it (its [`source`](std::error::Error::source) too).
    pub fn io_error(&self) -> Option<&io::Error> {
        self.io.as_ref()
    }

    /// The kind of I/O failure: `NotFound`, `PermissionDenied`, `IsADirectory`, ...
    pub fn kind(&self) -> Option<io::ErrorKind> {
        self.io.as_ref().map(io::Error::kind)
    }
}
