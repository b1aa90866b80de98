//! Opening logs (files, compressed rotations, stdin) and reading them in line-aligned chunks.

use crate::sanitize::escape_path;
use flate2::read::MultiGzDecoder;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

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

/// A decoder's failure, with the format it was decoding.
#[derive(Debug, thiserror::Error)]
#[error("{format} data: {source}")]
struct DecodeError {
    format: &'static str,
    source: io::Error,
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

fn wrap(
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

/// Read the first `limit` bytes of a reader and hand back a reader that still yields them.
pub fn peek(
    mut reader: Box<dyn Read + Send>,
    limit: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(limit.min(1 << 16));
    (&mut reader).take(limit as u64).read_to_end(&mut head)?;
    let replay: Box<dyn Read + Send> = Box::new(Cursor::new(head.clone()).chain(reader));
    Ok((head, replay))
}

/// A run of whole lines, and how many overlong lines were dropped before it.
#[derive(Debug, Default)]
pub struct Chunk {
    /// The buffer: its first `len` bytes are the chunk; the rest is spare room kept
    /// initialised so that reading into it again needs no zeroing.
    buffer: Vec<u8>,
    len: usize,
    /// Lines longer than [`MAX_LINE`] that were skipped.
    pub overlong: u64,
}

impl Chunk {
    /// Whole lines, each ending in `\n` except perhaps the last line of the input.
    pub fn data(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    /// The buffer, for [`ChunkReader::recycle`].
    pub fn into_buffer(self) -> Vec<u8> {
        self.buffer
    }
}

/// Reads an input as chunks of about `chunk_size` bytes that end at a line end.
///
/// Memory stays near `chunk_size + MAX_LINE` whatever the input: the unfinished last
/// line moves to the next chunk, and a line that outgrows [`MAX_LINE`] is skipped
/// to its end and counted, never buffered. Bytes are read straight into the chunk's
/// buffer, in reads of the chunk's size (one system call per chunk for a file).
pub struct ChunkReader<R> {
    reader: R,
    chunk_size: usize,
    carry: Vec<u8>,
    skipping: bool,
    eof: bool,
    /// A read error held back until the data read before it has been handed out.
    pending_error: Option<io::Error>,
    /// Buffers handed back after use, still initialised: reusing them spares zeroing.
    spare: Vec<Vec<u8>>,
}

impl<R: Read> ChunkReader<R> {
    /// Wrap a reader.
    pub fn new(reader: R, chunk_size: usize) -> ChunkReader<R> {
        ChunkReader {
            reader,
            chunk_size: chunk_size.max(1),
            carry: Vec::new(),
            skipping: false,
            eof: false,
            pending_error: None,
            spare: Vec::new(),
        }
    }

    /// Read into `buf[*filled..]` until `want` bytes are there or the input ends.
    fn fill(&mut self, buf: &mut Vec<u8>, filled: &mut usize, want: usize) -> io::Result<()> {
        // At least 64 KiB more per read, so a long line does not cost a read per byte.
        let target = want.max(*filled + (64 << 10));
        if buf.len() < target {
            // Zeroed once; a recycled buffer keeps its initialised length.
            buf.resize(target, 0);
        }
        while *filled < want && !self.eof {
            match self.reader.read(&mut buf[*filled..target]) {
                Ok(0) => self.eof = true,
                Ok(n) => *filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Hand back a chunk's buffer for reuse.
    pub fn recycle(&mut self, buffer: Vec<u8>) {
        if self.spare.len() < 8 {
            self.spare.push(buffer);
        }
    }

    /// The next chunk, or `None` at the end of the input.
    ///
    /// After a read error (a truncated `.gz`, say) the lines read before it come first,
    /// and the error with the next call.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        if let Some(err) = self.pending_error.take() {
            return Err(err);
        }
        let mut overlong = 0;
        let mut buf = self.spare.pop().unwrap_or_default();
        if buf.len() < self.carry.len() {
            buf.resize(self.carry.len(), 0);
        }
        buf[..self.carry.len()].copy_from_slice(&self.carry);
        let mut filled = self.carry.len();
        self.carry.clear();
        let chunk = |buffer: Vec<u8>, len: usize, overlong: u64| Chunk {
            buffer,
            len,
            overlong,
        };
        loop {
            let want = if filled >= self.chunk_size {
                filled + 1
            } else {
                self.chunk_size
            };
            if let Err(err) = self.fill(&mut buf, &mut filled, want) {
                if filled == 0 && overlong == 0 {
                    return Err(err);
                }
                self.pending_error = Some(err);
                self.eof = true;
                if self.skipping {
                    filled = 0;
                }
                return Ok(Some(chunk(buf, filled, overlong)));
            }
            if self.skipping {
                match memchr::memchr2(b'\n', b'\r', &buf[..filled]) {
                    Some(i) => {
                        buf.copy_within(i + 1..filled, 0);
                        filled -= i + 1;
                        self.skipping = false;
                    }
                    None => {
                        filled = 0;
                        if self.eof {
                            break;
                        }
                        continue;
                    }
                }
            }
            match last_cut(&buf[..filled], self.eof) {
                Some(last) if filled >= self.chunk_size || self.eof => {
                    self.carry.extend_from_slice(&buf[last + 1..filled]);
                    return Ok(Some(chunk(buf, last + 1, overlong)));
                }
                Some(_) => continue,
                None if self.eof => {
                    if filled == 0 && overlong == 0 {
                        return Ok(None);
                    }
                    return Ok(Some(chunk(buf, filled, overlong)));
                }
                None if filled > MAX_LINE => {
                    overlong += 1;
                    self.skipping = true;
                    filled = 0;
                }
                None => continue,
            }
        }
        Ok((overlong > 0).then(|| chunk(Vec::new(), 0, overlong)))
    }
}

/// Whether a line is over [`MAX_LINE`] and is to be counted as overlong, not parsed.
pub fn is_overlong(line: &[u8]) -> bool {
    line.len() > MAX_LINE
}

/// Iterate over the lines of a chunk, without line terminators.
///
/// Lines end with `\n`, `\r\n` or a lone `\r` (old Mac style), one terminator each.
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let rest = &data[start..];
        let (line, used) = match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => (&rest[..i], i + 2),
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        start += used;
        Some(line)
    })
}

/// Where a chunk may end: after the last line terminator, but never between the `\r` and
/// `\n` of a CRLF (a lone `\r` at the very end might be the first half of one).
fn last_cut(buf: &[u8], eof: bool) -> Option<usize> {
    let mut end = buf.len();
    loop {
        let i = memchr::memrchr2(b'\n', b'\r', &buf[..end])?;
        if buf[i] == b'\r' && i + 1 == buf.len() && !eof {
            end = i;
            continue;
        }
        return Some(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(data: &[u8], size: usize) -> (Vec<Vec<u8>>, u64) {
        let mut r = ChunkReader::new(data, size);
        let mut out = Vec::new();
        let mut overlong = 0;
        while let Some(c) = r.next_chunk().unwrap() {
            overlong += c.overlong;
            for line in lines(c.data()) {
                if is_overlong(line) {
                    overlong += 1;
                } else {
                    out.push(line.to_vec());
                }
            }
        }
        (out, overlong)
    }

    #[test]
    fn every_chunk_size_gives_the_same_lines() {
        let data = b"one\ntwo\r\nthree\n\nfive\rsix\r\r\nseven";
        let want: Vec<Vec<u8>> = [
            &b"one"[..],
            b"two",
            b"three",
            b"",
            b"five",
            b"six",
            b"",
            b"seven",
        ]
        .iter()
        .map(|l| l.to_vec())
        .collect();
        for size in 1..40 {
            assert_eq!(chunks(data, size), (want.clone(), 0), "chunk size {size}");
        }
    }

    /// A reader that gives a few bytes per call and is interrupted every other call.
    struct Stutter<'a> {
        data: &'a [u8],
        calls: usize,
    }

    impl Read for Stutter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(2) {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            let n = buf.len().min(3).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_and_interrupted_reads_give_the_same_chunks() {
        let data = b"one\ntwo\r\nthree\n\nfive\rsix\r\r\nseven".repeat(50);
        for size in [1, 7, 64, 4096] {
            let mut whole = ChunkReader::new(&data[..], size);
            let mut stutter = ChunkReader::new(
                Stutter {
                    data: &data,
                    calls: 0,
                },
                size,
            );
            let (mut a, mut b) = (Vec::new(), Vec::new());
            while let Some(c) = whole.next_chunk().unwrap() {
                a.extend_from_slice(c.data());
                whole.recycle(c.into_buffer());
            }
            while let Some(c) = stutter.next_chunk().unwrap() {
                // Every chunk ends at a line end, whatever the reads gave.
                assert!(
                    matches!(c.data().last(), Some(b'\n' | b'\r'))
                        || b.len() + c.data().len() == data.len()
                );
                b.extend_from_slice(c.data());
                stutter.recycle(c.into_buffer());
            }
            assert_eq!(a, data, "chunk size {size}");
            assert_eq!(b, data, "chunk size {size}");
        }
    }

    #[test]
    fn overlong_lines_are_skipped_and_counted() {
        let mut data = b"a\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        data.extend(b"\nb\n");
        for size in [3, 4096, DEFAULT_CHUNK_SIZE] {
            let (lines, overlong) = chunks(&data, size);
            assert_eq!(lines, vec![b"a".to_vec(), b"b".to_vec()]);
            assert_eq!(overlong, 1);
        }
        // An overlong last line without a newline.
        let mut data = b"a\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        assert_eq!(chunks(&data, 100), (vec![b"a".to_vec()], 1));
    }

    #[test]
    fn empty_input_has_no_chunks() {
        assert_eq!(chunks(b"", 10), (vec![], 0));
    }

    #[test]
    fn input_errors_keep_the_io_error() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        let missing = Input::Path(dir.path().join("gone\u{202e}.log"));
        let Err(err) = open(&missing) else {
            panic!("a missing file opens")
        };
        assert_eq!(
            err.to_string(),
            format!("{}: no such file", missing.display_name())
        );
        assert!(err.to_string().contains("gone\\u{202e}.log"), "{err}");
        assert_eq!(err.kind(), Some(io::ErrorKind::NotFound));
        let source = err.source().and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(source.map(io::Error::kind), Some(io::ErrorKind::NotFound));

        let Err(err) = open(&Input::Path(dir.path().to_path_buf())) else {
            panic!("a directory opens")
        };
        assert_eq!(err.reason, "is a directory (give the log files inside it)");
        assert_eq!(err.kind(), Some(io::ErrorKind::IsADirectory));

        // A decoder's error stays inside, with the words naming its format.
        let truncated: Box<dyn Read + Send> = Box::new(&[0x1f, 0x8b, 0x08, 0x00][..]);
        let (mut reader, _) = wrap(BufReader::new(truncated)).unwrap();
        let read = reader.read_to_end(&mut Vec::new()).unwrap_err();
        let err = InputError::from_io(&Input::Stdin, read);
        assert_eq!(
            err.to_string(),
            "<stdin>: unexpected end of file (truncated gzip data?)"
        );
        assert_eq!(err.kind(), Some(io::ErrorKind::UnexpectedEof));
        assert!(err.io_error().and_then(|e| e.get_ref()).is_some());
    }
}
