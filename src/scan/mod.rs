//! Reading inputs and counting them in parallel.
//!
//! Workers take line-aligned chunks of an input in turn (reading and decompressing each
//! under a lock, so chunks are numbered in input order) and count each into its own
//! summary; the summaries are appended in input order, so the result does not depend on
//! the number of threads or the chunk size.

use crate::count::Summary;
use crate::input::{self, ChunkReader, Compression, Input, InputError, DEFAULT_CHUNK_SIZE};
use crate::journal::{self, Converted, ExportReader, ExportTally, LogFormat};
use crate::parse::{split_header, Parser};
use crate::stamp::YearRule;
pub use crate::window::Window;
use chrono::{DateTime, Local, NaiveDateTime};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

mod events;
mod ordered;

pub use events::{stream_events, EventsOutcome};
use ordered::{Feed, FeedState, Ordered};

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
    /// Keys each sender/recipient table keeps exactly (see [`crate::count::parties`]).
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
            max_distinct: crate::count::parties::DEFAULT_MAX_DISTINCT,
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
    /// What each input that could be opened gave, in the order they were counted.
    pub files: Vec<FileStats>,
    /// Things the reader should know that are not errors (an input given twice, fewer threads).
    pub notices: Vec<String>,
}

impl ScanOutcome {
    /// Whether any line read was a Postfix or Exim line inside the window.
    pub fn has_mail_lines(&self) -> bool {
        self.files.iter().any(|f| f.mail_lines > 0)
    }
}

/// What one input gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStats {
    /// The input's display name (escaped).
    pub name: String,
    /// How it was compressed.
    pub compression: Compression,
    /// How its lines are written (syslog lines or journal entries).
    pub format: LogFormat,
    /// Lines counted (inside the window).
    pub lines: u64,
    /// Postfix and Exim lines among them, understood or not.
    pub mail_lines: u64,
    /// Lines left out by the time window.
    pub outside_window: u64,
    /// Whether it was read to its end.
    pub complete: bool,
}

impl FileStats {
    /// Whether the input held lines but none of them was a Postfix or Exim line.
    pub fn holds_no_mail(&self) -> bool {
        self.mail_lines == 0 && self.outside_window == 0
    }
}

/// Most worker threads per core: more only adds start-up time and memory.
pub const MAX_THREADS_PER_CORE: usize = 4;

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
    count_chunk_as(parser, data, years, window, LogFormat::Lines)
}

/// Count the lines of one chunk written in `format`.
pub fn count_chunk_as(
    parser: &Parser,
    data: &[u8],
    years: &YearRule,
    window: &Window,
    format: LogFormat,
) -> Summary {
    // About one message id per 300 bytes of log.
    let mut summary = Summary::with_capacity(data.len() / 300);
    count_into(&mut summary, parser, data, years, window, format);
    summary
}

fn count_into(
    summary: &mut Summary,
    parser: &Parser,
    data: &[u8],
    years: &YearRule,
    window: &Window,
    format: LogFormat,
) {
    // A journal entry's syslog line, remade in one buffer for the whole chunk.
    let mut converter = journal::Converter::new(window.zone);
    for line in input::lines(data) {
        if input::is_overlong(line) {
            summary.record_overlong();
            continue;
        }
        let line = match format {
            LogFormat::JournalJson => match converter.json(line) {
                Converted::Line => converter.line.as_slice(),
                Converted::Overlong => {
                    summary.record_overlong();
                    continue;
                }
                Converted::Malformed => {
                    summary.record_malformed();
                    continue;
                }
                Converted::Blank => continue,
            },
            // Export entries were made into lines by the reader.
            LogFormat::Lines | LogFormat::JournalExport => line,
        };
        let header = split_header(line, years);
        // Outside the window (or of another host): skipped before the body is looked at.
        if !window.keeps(header.stamp.as_ref(), header.host) {
            summary.outside_window += 1;
            continue;
        }
        let (host, tag) = (header.host, header.tag);
        let parsed = parser.parse_body(header);
        summary.record_from(host, tag, &parsed, line);
    }
}

/// Count a chunk from a [`ChunkReader`]: its lines, and the overlong lines skipped before it.
///
/// `levels` are the sampling levels the whole has reached so far (see
/// [`crate::tables::sampled::Tally::raise_level`]): keys the whole would drop are not kept at all.
pub fn count(
    parser: &Parser,
    chunk: &input::Chunk,
    years: &YearRule,
    window: &Window,
    levels: [u32; 5],
) -> Summary {
    count_as(parser, chunk, years, window, levels, LogFormat::Lines)
}

/// [`count`] for a chunk written in `format`.
fn count_as(
    parser: &Parser,
    chunk: &input::Chunk,
    years: &YearRule,
    window: &Window,
    levels: [u32; 5],
    format: LogFormat,
) -> Summary {
    let mut part = Summary::with_capacity(chunk.data().len() / 300);
    part.parties.raise_levels(levels);
    count_into(&mut part, parser, chunk.data(), years, window, format);
    for _ in 0..chunk.overlong {
        part.record_overlong();
    }
    part
}

/// An input opened and ready, with the first timestamp it holds (for ordering inputs).
struct Prepared {
    input: Input,
    compression: Compression,
    format: LogFormat,
    identity: Option<(u64, u64)>,
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
        input::peek(opened.reader, PEEK_BYTES).map_err(|e| InputError::from_io(input, e))?;
    opened.reader = reader;
    let years = year_rule(options.years, opened.modified, &head);
    let format = LogFormat::detect(&head);
    let zone = options.window.zone;
    let mut converter = journal::Converter::new(zone);
    let mut converted = Vec::new();
    let first = match format {
        LogFormat::Lines => input::lines(&head).find_map(|line| parser.parse(line, &years).stamp),
        LogFormat::JournalJson => input::lines(&head).find_map(|line| match converter.json(line) {
            Converted::Line => parser.parse(&converter.line, &years).stamp,
            _ => None,
        }),
        LogFormat::JournalExport => {
            let mut lines = ExportReader::new(&head[..], zone, Arc::default());
            let _ = std::io::Read::read_to_end(&mut lines, &mut converted);
            input::lines(&converted).find_map(|line| parser.parse(line, &years).stamp)
        }
    }
    .map(|s| s.naive());
    Ok(Prepared {
        input: input.clone(),
        compression: opened.compression,
        format,
        identity: opened.identity,
        // Regular files are opened again when their turn comes, to keep few files open;
        // stdin, FIFOs and devices cannot be read twice and stay open.
        opened: opened.identity.is_none().then_some(opened),
        first,
        years,
    })
}

/// Scan one prepared input, appending its counts to `total`.
fn scan_one(
    prepared: Prepared,
    options: &ScanOptions,
    parser: &Arc<Parser>,
    threads: usize,
    refused: &mut Option<std::io::Error>,
    total: &mut Summary,
) -> Result<(), InputError> {
    let Prepared {
        input,
        opened,
        years,
        format,
        ..
    } = prepared;
    let tally = Arc::new(ExportTally::default());
    let opened = reopen(&input, opened, format, options, Arc::clone(&tally))?;
    let result = scan_reader(
        opened, &input, options, parser, threads, refused, years, format, total,
    );
    // Export entries that made no line were counted by the reader.
    for _ in 0..tally.overlong.load(std::sync::atomic::Ordering::Relaxed) {
        total.record_overlong();
    }
    for _ in 0..tally.malformed.load(std::sync::atomic::Ordering::Relaxed) {
        total.record_malformed();
    }
    result
}

/// A prepared input ready to read: opened again unless it stayed open, and a journal
/// export's entries made into lines (what they could not make into one counted in `tally`).
fn reopen(
    input: &Input,
    opened: Option<input::Opened>,
    format: LogFormat,
    options: &ScanOptions,
    tally: Arc<ExportTally>,
) -> Result<input::Opened, InputError> {
    let mut opened = match opened {
        Some(opened) => opened,
        None => input::open_counted(input, options.progress.as_ref())?,
    };
    if format == LogFormat::JournalExport {
        let entries = std::io::BufReader::with_capacity(256 << 10, opened.reader);
        opened.reader = Box::new(ExportReader::new(entries, options.window.zone, tally));
    }
    Ok(opened)
}

/// Read and count an opened input on `threads` worker threads. If none can be started (a
/// process limit), it is counted on this thread and `refused` says why.
#[allow(clippy::too_many_arguments)]
fn scan_reader(
    opened: input::Opened,
    input: &Input,
    options: &ScanOptions,
    parser: &Arc<Parser>,
    threads: usize,
    refused: &mut Option<std::io::Error>,
    years: YearRule,
    format: LogFormat,
    total: &mut Summary,
) -> Result<(), InputError> {
    let input = input.clone();
    let window = options.window;
    if threads <= 1 {
        // One thread means one thread: read and count in turn, a baseline for scaling.
        let reader = ChunkReader::new(opened.reader, options.chunk_size);
        return count_inline(reader, parser, &years, &window, format, total)
            .map_err(|e| InputError::from_io(&input, e));
    }
    let feed = Feed {
        state: std::sync::Mutex::new(FeedState {
            reader: Some(ChunkReader::new(opened.reader, options.chunk_size)),
            next: 0,
            in_flight: 0,
            done: false,
            failure: None,
            levels: total.parties.levels(),
        }),
        room: std::sync::Condvar::new(),
        // Chunks taken and not yet appended: enough to keep every worker busy, few enough
        // that memory stays at a few parts whatever the input size.
        max_in_flight: threads * 2,
    };
    // Parts finish in any order and are appended in input order, by the workers
    // themselves: whichever holds the whole appends every part that is next, while the
    // others count on. No thread of its own competes with the workers for the cores.
    let order = Ordered {
        finished: std::sync::Mutex::new(BTreeMap::new()),
        whole: std::sync::Mutex::new((total, 0)),
    };
    std::thread::scope(|scope| {
        // Each worker reads its next chunk itself (under the feed's lock, so chunks are
        // numbered in input order) and counts it: the bytes are counted on the core that
        // read them, while they are in its cache, and no thread only hands data on.
        let (mut started, mut refusal) = (0, None);
        for n in 0..threads {
            let (feed, order) = (&feed, &order);
            let (parser, years) = (Arc::clone(parser), years);
            let worker = move || {
                let mut spare = None;
                while let Some((index, chunk, levels)) = feed.take(spare.take()) {
                    let part = count_as(&parser, &chunk, &years, &window, levels, format);
                    spare = Some(chunk.into_buffer());
                    if !order.finish(index, part, feed) {
                        break;
                    }
                }
            };
            match std::thread::Builder::new()
                .name(format!("smtplog-worker-{n}"))
                .spawn_scoped(scope, worker)
            {
                Ok(_) => started += 1,
                Err(e) => refusal = Some(e),
            }
        }
        if started == 0 {
            // No thread could be started (a process limit): count on this thread.
            *refused = refusal;
            let taken = feed.state.lock().ok().and_then(|mut s| s.reader.take());
            let mut whole = order.whole.lock().unwrap_or_else(|e| e.into_inner());
            return match taken {
                Some(reader) => count_inline(reader, parser, &years, &window, format, whole.0)
                    .map_err(|e| InputError::from_io(&input, e)),
                None => Ok(()),
            };
        }
        Ok(())
    })?;
    let failure = feed.state.lock().ok().and_then(|mut s| s.failure.take());
    failure.map_or(Ok(()), |e| Err(InputError::from_io(&input, e)))
}

/// Read and count on this thread, chunk after chunk.
fn count_inline<R: std::io::Read>(
    mut reader: ChunkReader<R>,
    parser: &Parser,
    years: &YearRule,
    window: &Window,
    format: LogFormat,
    total: &mut Summary,
) -> std::io::Result<()> {
    while let Some(chunk) = reader.next_chunk()? {
        let levels = total.parties.levels();
        total.append(count_as(parser, &chunk, years, window, levels, format));
        reader.recycle(chunk.into_buffer());
    }
    Ok(())
}

/// The note that no worker thread could be started.
fn refusal_note(threads: usize, err: &dyn std::fmt::Display) -> String {
    format!("could not start {threads} worker threads ({err}); counting on one thread")
}

/// The worker threads to use: `requested`, or one per core for 0, at most
/// [`MAX_THREADS_PER_CORE`] per core.
pub fn thread_count(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        0 => cores,
        n => n.min(cores * MAX_THREADS_PER_CORE),
    }
}

/// Scan inputs and count them. Inputs are taken in the order of their first timestamp,
/// so a rotated set gives the same counts in any order; a failing input is reported
/// and the others are still counted. A file given twice (by any path) is counted once.
pub fn scan(inputs: &[Input], options: &ScanOptions) -> ScanOutcome {
    let parser = Arc::new(Parser::with_filter_ports(options.filter_ports.clone()));
    let mut notices = Vec::new();
    let mut threads = threads_for(options, &mut notices);
    // Where the note goes if no worker thread can be started: after the one on the count.
    let refusal_at = notices.len();
    let mut errors = Vec::new();
    let prepared = prepare_all(inputs, options, &parser, &mut errors, &mut notices);
    let mut summary = Summary::new();
    summary.set_max_distinct(options.max_distinct);
    let mut files = Vec::new();
    for p in prepared {
        let (name, compression, format) = (p.input.display_name(), p.compression, p.format);
        let (lines_before, outside_before) = (summary.lines, summary.outside_window);
        let mut refused = None;
        let result = scan_one(p, options, &parser, threads, &mut refused, &mut summary);
        if let Some(err) = refused {
            notices.insert(refusal_at, refusal_note(threads, &err));
            threads = 1;
        }
        let lines = summary.lines;
        files.push(FileStats {
            name,
            compression,
            format,
            lines: lines.total - lines_before.total,
            mail_lines: (lines.mail + lines.unrecognised)
                - (lines_before.mail + lines_before.unrecognised),
            outside_window: summary.outside_window - outside_before,
            complete: result.is_ok(),
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    summary.finish();
    ScanOutcome {
        summary,
        errors,
        files,
        notices,
    }
}

/// The worker threads the options ask for, with a note when the count was capped.
fn threads_for(options: &ScanOptions, notices: &mut Vec<String>) -> usize {
    let threads = thread_count(options.threads);
    if threads < options.threads {
        notices.push(format!(
            "--threads {} is more than {MAX_THREADS_PER_CORE} per core; using {threads}",
            options.threads
        ));
    }
    threads
}

/// The inputs that could be opened, in the order they are read: by first timestamp,
/// undated inputs last, ties by name, so that the order of the arguments never matters.
/// A file given twice (by any path) is kept once, with a note.
fn prepare_all(
    inputs: &[Input],
    options: &ScanOptions,
    parser: &Parser,
    errors: &mut Vec<InputError>,
    notices: &mut Vec<String>,
) -> Vec<Prepared> {
    let mut prepared: Vec<Prepared> = Vec::new();
    for input in inputs {
        match prepare(input, options, parser) {
            Ok(p) => prepared.push(p),
            Err(e) => errors.push(e),
        }
    }
    prepared.sort_by_cached_key(|p| (p.first.is_none(), p.first, p.input.display_name()));
    let mut seen: BTreeMap<(u64, u64), String> = BTreeMap::new();
    prepared.retain(|p| {
        let Some(identity) = p.identity else {
            return true;
        };
        let name = p.input.display_name();
        match seen.get(&identity) {
            Some(first) => {
                notices.push(format!("{name} is the same file as {first}; read once"));
                false
            }
            None => {
                seen.insert(identity, name);
                true
            }
        }
    });
    prepared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_given_twice_is_read_once_with_a_note() {
        let path = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/real/postfix-maillog.log"
        ));
        let options = ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        };
        let once = scan(&[Input::Path(path.clone())], &options);
        let input = Input::Path(path);
        let twice = scan(&[input.clone(), input.clone()], &options);
        assert_eq!(twice.summary.lines, once.summary.lines);
        assert_eq!(twice.files.len(), 1);
        let name = input.display_name();
        assert_eq!(
            twice.notices,
            [format!("{name} is the same file as {name}; read once")]
        );
    }
}
