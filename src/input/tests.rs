//! Unit tests for the input module: chunking, line splitting and input errors.

use super::open::wrap;
use super::*;
use std::io::{BufReader, Read};

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
