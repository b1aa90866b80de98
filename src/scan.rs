//! Reading inputs and counting them in parallel.
//!
//! One reader thread per input reads (and decompresses) line-aligned chunks into a
//! bounded queue; rayon workers count batches of chunks, each into its own summary;
//! the summaries are appended in input order, so the result does not depend on the
//! number of threads or the chunk size.

use crate::input::{self, ChunkReader, Input, InputError, DEFAULT_CHUNK_SIZE};
use crate::parse::Parser;
use crate::stamp::{Stamp, YearRule};
use crate::summary::Summary;
use chrono::{DateTime, Local, NaiveDateTime};
use rayon::prelude::*;
use std::sync::mpsc;

/// A half-open time window `[since, until)` on the lines' own wall-clock time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// First instant included.
    pub since: Option<NaiveDateTime>,
    /// First instant excluded.
    pub until: Option<NaiveDateTime>,
}

impl Window {
    /// Whether a stamp falls in the window. Lines without a stamp are kept only
    /// when there is no window.
    pub fn contains(&self, stamp: Option<&Stamp>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(stamp) = stamp else { return false };
        let at = stamp.naive();
        self.since.is_none_or(|s| at >= s) && self.until.is_none_or(|u| at < u)
    }
}

/// Where syslog stamps without a year get their year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum YearSource {
    /// From each file's modification time (stdin: now).
    #[default]
    FileTime,
    /// One fixed year.
    Fixed(i32),
}

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Bytes per chunk handed to one worker.
    pub chunk_size: usize,
    /// Where undated stamps get their year.
    pub years: YearSource,
    /// Only lines in this window count.
    pub window: Window,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            threads: 0,
            chunk_size: DEFAULT_CHUNK_SIZE,
            years: YearSource::FileTime,
            window: Window::default(),
        }
    }
}

/// The result of a scan: what was counted, and the inputs that failed (wholly or partly).
#[derive(Debug)]
pub struct ScanOutcome {
    /// Counts over every line read.
    pub summary: Summary,
    /// Inputs that could not be read to the end.
    pub errors: Vec<InputError>,
}

fn year_rule(source: YearSource, modified: Option<std::time::SystemTime>) -> YearRule {
    match (source, modified) {
        (YearSource::Fixed(year), _) => YearRule::fixed(year),
        (YearSource::FileTime, Some(time)) => {
            YearRule::from_reference(DateTime::<Local>::from(time).naive_local())
        }
        (YearSource::FileTime, None) => YearRule::default(),
    }
}

/// Count the lines of one chunk.
pub fn count_chunk(parser: &Parser, data: &[u8], years: &YearRule, window: &Window) -> Summary {
    let mut summary = Summary::new();
    for line in input::lines(data) {
        if input::is_overlong(line) {
            summary.record_overlong();
            continue;
        }
        let parsed = parser.parse(line, years);
        if !window.contains(parsed.stamp.as_ref()) {
            summary.outside_window += 1;
            continue;
        }
        summary.record(&parsed, line);
    }
    summary
}

/// An input opened and ready, with the first timestamp it holds (for ordering inputs).
struct Prepared {
    input: Input,
    /// Kept open only for stdin, which cannot be opened twice; files are reopened.
    opened: Option<input::Opened>,
    first: Option<NaiveDateTime>,
}

const PEEK_BYTES: usize = 64 << 10;

fn prepare(input: &Input, options: &ScanOptions, parser: &Parser) -> Result<Prepared, InputError> {
    let mut opened = input::open(input)?;
    let (head, reader) =
        input::peek(opened.reader, PEEK_BYTES).map_err(|e| InputError::from_io(input, &e))?;
    opened.reader = reader;
    let years = year_rule(options.years, opened.modified);
    let first = input::lines(&head)
        .find_map(|line| parser.parse(line, &years).stamp)
        .map(|s| s.naive());
    Ok(Prepared {
        input: input.clone(),
        opened: matches!(input, Input::Stdin).then_some(opened),
        first,
    })
}

/// Scan one prepared input, appending its counts to `total`.
fn scan_one(
    prepared: Prepared,
    options: &ScanOptions,
    parser: &Parser,
    pool: &rayon::ThreadPool,
    total: &mut Summary,
) -> Result<(), InputError> {
    let Prepared { input, opened, .. } = prepared;
    let opened = match opened {
        Some(opened) => opened,
        None => input::open(&input)?,
    };
    let years = year_rule(options.years, opened.modified);
    let batch_size = pool.current_num_threads() * 2;
    let (sender, receiver) = mpsc::sync_channel(batch_size);
    let chunk_size = options.chunk_size;
    std::thread::scope(|scope| {
        // Reading and decompressing overlap with counting.
        scope.spawn(move || {
            let mut reader = ChunkReader::new(opened.reader, chunk_size);
            loop {
                let next = reader.next_chunk();
                let stop = !matches!(next, Ok(Some(_)));
                if sender.send(next).is_err() || stop {
                    break;
                }
            }
        });
        let mut failure = None;
        let mut batch = Vec::with_capacity(batch_size);
        let mut done = false;
        while !done {
            batch.clear();
            while batch.len() < batch_size {
                match receiver.recv() {
                    Ok(Ok(Some(chunk))) => batch.push(chunk),
                    Ok(Ok(None)) | Err(_) => {
                        done = true;
                        break;
                    }
                    Ok(Err(e)) => {
                        failure = Some(InputError::from_io(&input, &e));
                        done = true;
                        break;
                    }
                }
            }
            let parts: Vec<Summary> = pool.install(|| {
                batch
                    .par_iter()
                    .map(|chunk| {
                        let mut part = count_chunk(parser, &chunk.data, &years, &options.window);
                        for _ in 0..chunk.overlong {
                            part.record_overlong();
                        }
                        part
                    })
                    .collect()
            });
            for part in parts {
                total.append(part);
            }
        }
        failure.map_or(Ok(()), Err)
    })
}

/// Scan inputs and count them. Inputs are taken in the order of their first timestamp,
/// so a rotated set gives the same counts in any order; a failing input is reported
/// and the others are still counted.
pub fn scan(inputs: &[Input], options: &ScanOptions) -> ScanOutcome {
    let parser = Parser::new();
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("building a thread pool");
    let mut errors = Vec::new();
    let mut prepared = Vec::new();
    for input in inputs {
        match prepare(input, options, &parser) {
            Ok(p) => prepared.push(p),
            Err(e) => errors.push(e),
        }
    }
    // Undated inputs go last; ties keep the order given.
    prepared.sort_by_key(|p| (p.first.is_none(), p.first));
    let mut summary = Summary::new();
    for p in prepared {
        if let Err(e) = scan_one(p, options, &parser, &pool, &mut summary) {
            errors.push(e);
        }
    }
    summary.finish();
    ScanOutcome { summary, errors }
}
