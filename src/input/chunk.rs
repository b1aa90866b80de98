//! Reading a decoded stream as line-aligned chunks for the workers.
//!
//! [`ChunkReader`] cuts a stream into [`Chunk`]s that end at a line end, skipping and
//! counting lines over [`MAX_LINE`]; [`lines`] splits a chunk into lines, and [`peek`]
//! looks at a stream's head without losing it. Kept apart from opening and decoding:
//! this is the hot loop every byte goes through, and it only needs a [`Read`].

use super::MAX_LINE;
use std::io::{self, Cursor, Read};

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
