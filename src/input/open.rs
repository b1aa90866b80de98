//! Opening an input and decoding it: files and stdin, compression told by magic bytes.
//!
//! Everything between a path (or `-`) and a plain byte stream: the [`Compression`] sniffed
//! from the first bytes, the decoders that tag their errors with the format, the byte
//! counter behind the progress display, and what is known of the file on disk ([`Opened`]).
//! Kept apart from the chunking, which reads whatever stream this hands it.

use super::{DecodeError, Input, InputError};
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

/// How an input is compressed, told from its first bytes (logrotate's `compresscmd` may be
/// gzip, xz, bzip2 or zstd, whatever the file is called).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    #[default]
    None,
    /// gzip, one member or several (`cat a.gz b.gz`).
    Gzip,
    /// xz, one stream or several.
    Xz,
    /// bzip2, one stream or several.
    Bzip2,
    /// Zstandard, one frame or several.
    Zstd,
}

impl Compression {
    /// The compression whose magic bytes start `head` (plain when none does).
    pub fn detect(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Compression::Bzip2
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// The format's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        }
    }
}
/// Tags a decoder's errors with its format, so that messages say "truncated xz data".
struct Decoder<R> {
    inner: R,
    format: &'static str,
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|source| {
            let kind = match source.kind() {
                io::ErrorKind::UnexpectedEof => io::ErrorKind::UnexpectedEof,
                io::ErrorKind::Interrupted => io::ErrorKind::Interrupted,
                _ => io::ErrorKind::InvalidData,
            };
            io::Error::new(
                kind,
                DecodeError {
                    format: self.format,
                    source,
                },
            )
        })
    }
}
/// An opened input.
pub struct Opened {
    /// The decoded bytes.
    pub reader: Box<dyn Read + Send>,
    /// Modification time, for giving years to syslog stamps.
    pub modified: Option<SystemTime>,
    /// How the data on disk was compressed.
    pub compression: Compression,
    /// The compressed or plain size on disk, when known.
    pub size: Option<u64>,
    /// Device and inode of a regular file (to notice the same file given twice).
    pub identity: Option<(u64, u64)>,
}

/// The most memory an xz stream may ask for: `xz -9` needs 65 MiB; more is a hostile file.
const XZ_MEMORY_LIMIT: u64 = 128 << 20;

/// Counts the bytes read from disk (before decompression), for a progress display.
struct Counted<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decode a byte stream as its first bytes say: gzip, xz, bzip2, zstd or plain.
pub fn decode(reader: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    wrap(BufReader::with_capacity(64 << 10, reader)).map(|(r, _)| r)
}
pub(super) fn wrap(
    mut reader: BufReader<Box<dyn Read + Send>>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let compression = Compression::detect(reader.fill_buf()?);
    let format = compression.name();
    let decoded: Box<dyn Read + Send> = match compression {
        // Plain text is read straight into the chunk buffers: what the sniffing buffered
        // comes first, then the file itself, so no byte is copied twice.
        Compression::None => {
            let sniffed = reader.buffer().to_vec();
            let rest = reader.into_inner();
            return Ok((Box::new(Cursor::new(sniffed).chain(rest)), compression));
        }
        // logrotate's `compress` writes one member; `cat a.gz b.gz` makes several.
        Compression::Gzip => Box::new(MultiGzDecoder::new(reader)),
        Compression::Xz => {
            let stream = liblzma::stream::Stream::new_stream_decoder(
                XZ_MEMORY_LIMIT,
                liblzma::stream::CONCATENATED,
            )
            .map_err(io::Error::other)?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(reader, stream))
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(reader)),
        // Reads every frame; a window over zstd's default limit (128 MiB) is refused.
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
    };
    Ok((
        Box::new(Decoder {
            inner: decoded,
            format,
        }),
        compression,
    ))
}

fn open_path(
    input: &Input,
    path: &Path,
    progress: Option<&Arc<AtomicU64>>,
) -> Result<Opened, InputError> {
    let meta = std::fs::metadata(path).map_err(|e| InputError::from_io(input, e))?;
    if meta.is_dir() {
        // What reading it would fail with (EISDIR), so that callers can tell the kind.
        return Err(InputError {
            name: input.display_name(),
            reason: "is a directory (give the log files inside it)".to_string(),
            io: Some(io::ErrorKind::IsADirectory.into()),
        });
    }
    let file = File::open(path).map_err(|e| InputError::from_io(input, e))?;
    let inner: Box<dyn Read + Send> = match progress {
        Some(counter) => Box::new(Counted {
            inner: file,
            counter: Arc::clone(counter),
        }),
        None => Box::new(file),
    };
    let (reader, compression) = wrap(BufReader::with_capacity(256 << 10, inner))
        .map_err(|e| InputError::from_io(input, e))?;
    Ok(Opened {
        reader,
        modified: meta.modified().ok(),
        compression,
        size: meta.is_file().then_some(meta.len()),
        identity: meta.is_file().then(|| (meta.dev(), meta.ino())),
    })
}

/// Open an input for reading. Stdin can be opened once only.
pub fn open(input: &Input) -> Result<Opened, InputError> {
    open_counted(input, None)
}

/// Open an input, adding the bytes read from disk to `progress`.
pub fn open_counted(
    input: &Input,
    progress: Option<&Arc<AtomicU64>>,
) -> Result<Opened, InputError> {
    match input {
        Input::Path(path) => open_path(input, path, progress),
        Input::Stdin => {
            let inner: Box<dyn Read + Send> = Box::new(io::stdin());
            let (reader, compression) = wrap(BufReader::with_capacity(256 << 10, inner))
                .map_err(|e| InputError::from_io(input, e))?;
            Ok(Opened {
                reader,
                modified: None,
                compression,
                size: None,
                identity: None,
            })
        }
    }
}

/// The total size on disk of the inputs that are regular files (for a progress display).
pub fn total_size(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .filter_map(|i| match i {
            Input::Path(p) => std::fs::metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len()),
            Input::Stdin => None,
        })
        .sum()
}
