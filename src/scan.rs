//! Reading inputs and counting them in parallel.
//!
//! One reader thread per input reads (and decompresses) line-aligned chunks into a
//! bounded queue; rayon workers count batches of chunks, each into its own summary;
//! the summaries are appended in input order, so the result does not depend on the
//! number of threads or the chunk size.

use crate::input::{self, ChunkReader, Input, InputError, DEFAULT_CHUNK_SIZE};
use crate::parse::{split_header, Parser};
use crate::stamp::YearRule;
use crate::summary::Summary;
pub use crate::window::Window;
use chrono::{DateTime, Local, NaiveDateTime};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{mpsc, Arc};

/// Where syslog stamps without a year get their year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum YearSource {
    /// From each file's modification time (stdin: now).
    #[default]
    FileTime,
    /// The year of each input's first syslog stamp (later lines roll over at New Year).
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
    /// Bytes read from disk so far are added here (for a progress display).
    pub progress: Option<Arc<AtomicU64>>,
    /// Loopback ports of content filters: deliveries there are hand-offs, not deliveries.
    pub filter_ports: Vec<u16>,
    /// Keys each sender/recipient table keeps exactly (see [`crate::parties`]).
    pub max_distinct: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            threads: 0,
            chunk_size: DEFAULT_CHUNK_SIZE,
            years: YearSource::FileTime,
            window: Window::default(),
            progress: None,
            filter_ports: crate::parse::DEFAULT_FILTER_PORTS.to_vec(),
            max_distinct: crate::parties::DEFAULT_MAX_DISTINCT,
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

fn year_rule(source: YearSource, modified: Option<std::time::SystemTime>, head: &[u8]) -> YearRule {
    match (source, modified) {
        // The year of the input's first undated line; later lines roll over at New Year.
        (YearSource::Fixed(year), _) => input::lines(head)
            .find_map(crate::stamp::classic_month_day)
            .map_or_else(
                || YearRule::fixed(year),
                |(month, day, secs)| YearRule::starting(year, month, day, secs),
            ),
        (YearSource::FileTime, Some(time)) => {
            YearRule::from_reference(DateTime::<Local>::from(time).naive_local())
        }
        (YearSource::FileTime, None) => YearRule::default(),
    }
}

/// Count the lines of one chunk.
pub fn count_chunk(parser: &Parser, data: &[u8], years: &YearRule, window: &Window) -> Summary {
    // About one message id per 300 bytes of log.
    let mut summary = Summary::with_capacity(data.len() / 300);
    count_into(&mut summary, parser, data, years, window);
    summary
}

fn count_into(
    summary: &mut Summary,
    parser: &Parser,
    data: &[u8],
    years: &YearRule,
    window: &Window,
) {
    for line in input::lines(data) {
        if input::is_overlong(line) {
            summary.record_overlong();
            continue;
        }
        let header = split_header(line, years);
        // Outside the window: skipped before the body is looked at.
        if !window.contains(header.stamp.as_ref()) {
            summary.outside_window += 1;
            continue;
        }
        let parsed = parser.parse_body(header);
        summary.record(&parsed, line);
    }
}

/// Count a chunk from a [`ChunkReader`]: its lines, and the overlong lines skipped before it.
///
/// `levels` are the sampling levels the whole has reached so far (see
/// [`crate::parties::Tally::raise_level`]): keys the whole would drop are not kept at all.
pub fn count(
    parser: &Parser,
    chunk: &input::Chunk,
    years: &YearRule,
    window: &Window,
    levels: [u32; 5],
) -> Summary {
    let mut part = Summary::with_capacity(chunk.data.len() / 300);
    part.parties.raise_levels(levels);
    count_into(&mut part, parser, &chunk.data, years, window);
    for _ in 0..chunk.overlong {
        part.record_overlong();
    }
    part
}

/// An input opened and ready, with the first timestamp it holds (for ordering inputs).
struct Prepared {
    input: Input,
    /// Kept open only for stdin, which cannot be opened twice; files are reopened.
    opened: Option<input::Opened>,
    first: Option<NaiveDateTime>,
    /// Years for its undated stamps, fixed once (the file may be touched while we read).
    years: YearRule,
}

const PEEK_BYTES: usize = 64 << 10;

fn prepare(input: &Input, options: &ScanOptions, parser: &Parser) -> Result<Prepared, InputError> {
    let mut opened = input::open(input)?;
    let (head, reader) =
        input::peek(opened.reader, PEEK_BYTES).map_err(|e| InputError::from_io(input, &e))?;
    opened.reader = reader;
    let years = year_rule(options.years, opened.modified, &head);
    let first = input::lines(&head)
        .find_map(|line| parser.parse(line, &years).stamp)
        .map(|s| s.naive());
    Ok(Prepared {
        input: input.clone(),
        // Regular files are opened again when their turn comes, to keep few files open;
        // stdin, FIFOs and devices cannot be read twice and stay open.
        opened: (!is_regular_file(input)).then_some(opened),
        first,
        years,
    })
}

fn is_regular_file(input: &Input) -> bool {
    match input {
        Input::Path(path) => std::fs::metadata(path).is_ok_and(|m| m.is_file()),
        Input::Stdin => false,
    }
}

/// Scan one prepared input, appending its counts to `total`.
fn scan_one(
    prepared: Prepared,
    options: &ScanOptions,
    parser: &Arc<Parser>,
    pool: &rayon::ThreadPool,
    total: &mut Summary,
) -> Result<(), InputError> {
    let Prepared {
        input,
        opened,
        years,
        ..
    } = prepared;
    let opened = match opened {
        Some(opened) => opened,
        None => input::open_counted(&input, options.progress.as_ref())?,
    };
    let window = options.window;
    if pool.current_num_threads() == 1 {
        // One thread means one thread: read and count in turn, a baseline for scaling.
        let mut reader = ChunkReader::new(opened.reader, options.chunk_size);
        loop {
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    let levels = total.parties.levels();
                    total.append(count(parser, &chunk, &years, &window, levels));
                    reader.recycle(chunk.data);
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(InputError::from_io(&input, &e)),
            }
        }
    }
    // Chunks being counted at once: enough to keep every worker busy, few enough that
    // memory stays at a few chunks whatever the input size.
    let max_in_flight = pool.current_num_threads() * 2;
    let (chunk_sender, chunks) = mpsc::sync_channel(pool.current_num_threads());
    let (part_sender, parts) = mpsc::channel::<(u64, Summary)>();
    let (recycle_sender, recycled) = mpsc::channel::<Vec<u8>>();
    let chunk_size = options.chunk_size;
    std::thread::scope(|scope| {
        // Reading and decompressing overlap with counting.
        scope.spawn(move || {
            let mut reader = ChunkReader::new(opened.reader, chunk_size);
            loop {
                while let Ok(buffer) = recycled.try_recv() {
                    reader.recycle(buffer);
                }
                let next = reader.next_chunk();
                let stop = !matches!(next, Ok(Some(_)));
                if chunk_sender.send(next).is_err() || stop {
                    break;
                }
            }
        });
        let mut failure = None;
        let mut sent = 0u64;
        let mut appended = 0u64;
        // Parts finish in any order; they are appended in input order.
        let mut finished: BTreeMap<u64, Summary> = BTreeMap::new();
        // The whole's sampling levels, handed to the chunks counted next.
        let levels_now = std::cell::Cell::new(total.parties.levels());
        let mut collect = |finished: &mut BTreeMap<u64, Summary>, appended: &mut u64| {
            let (index, part) = parts.recv().expect("a worker sends every part");
            finished.insert(index, part);
            while let Some(part) = finished.remove(appended) {
                total.append(part);
                *appended += 1;
            }
            levels_now.set(total.parties.levels());
        };
        loop {
            if sent - appended >= max_in_flight as u64 {
                collect(&mut finished, &mut appended);
                continue;
            }
            let chunk = match chunks.recv() {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) | Err(_) => break,
                Ok(Err(e)) => {
                    failure = Some(InputError::from_io(&input, &e));
                    break;
                }
            };
            let (parser, part_sender, index) = (Arc::clone(parser), part_sender.clone(), sent);
            let levels = levels_now.get();
            let recycle = recycle_sender.clone();
            pool.spawn(move || {
                let _ = part_sender.send((index, count(&parser, &chunk, &years, &window, levels)));
                let _ = recycle.send(chunk.data);
            });
            sent += 1;
        }
        while appended < sent {
            collect(&mut finished, &mut appended);
        }
        failure.map_or(Ok(()), Err)
    })
}

/// Scan inputs and count them. Inputs are taken in the order of their first timestamp,
/// so a rotated set gives the same counts in any order; a failing input is reported
/// and the others are still counted.
pub fn scan(inputs: &[Input], options: &ScanOptions) -> ScanOutcome {
    let parser = Arc::new(Parser::with_filter_ports(options.filter_ports.clone()));
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
    // By first timestamp, undated inputs last; ties by name, so that the order of the
    // arguments never matters.
    prepared.sort_by_cached_key(|p| (p.first.is_none(), p.first, p.input.display_name()));
    let mut summary = Summary::new();
    summary.set_max_distinct(options.max_distinct);
    for p in prepared {
        if let Err(e) = scan_one(p, options, &parser, &pool, &mut summary) {
            errors.push(e);
        }
    }
    summary.finish();
    ScanOutcome { summary, errors }
}
