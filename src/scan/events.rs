//! `events` over many inputs: each input's chunks made into records on a pool of workers,
//! a batch at a time, and written in input order.

use super::{prepare_all, refusal_note, reopen, threads_for, ScanOptions};
use crate::input::{self, ChunkReader, Input, InputError};
use crate::parse::Parser;
use std::sync::Arc;

/// What `events` read: the inputs that failed, and notes.
#[derive(Debug, Default)]
pub struct EventsOutcome {
    /// Inputs that could not be read to the end.
    pub errors: Vec<InputError>,
    /// Notes for the reader (an input given twice, fewer threads).
    pub notices: Vec<String>,
}

/// Write the event records of `inputs` to `out`, in input order (inputs ordered as
/// [`scan`] orders them), chunks made in parallel and written in turn.
pub fn stream_events(
    inputs: &[Input],
    options: &ScanOptions,
    events: crate::events::EventOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<EventsOutcome> {
    use rayon::prelude::*;
    let parser = Parser::with_filter_ports(options.filter_ports.clone());
    let mut outcome = EventsOutcome::default();
    let threads = threads_for(options, &mut outcome.notices);
    let pool = worker_pool(threads, &mut outcome.notices);
    let prepared = prepare_all(
        inputs,
        options,
        &parser,
        &mut outcome.errors,
        &mut outcome.notices,
    );
    if events.format == crate::events::EventFormat::Csv {
        crate::events::write_header(out)?;
    }
    // Chunks read before they are made into records at once: every worker busy, memory a
    // few chunks.
    let batch = threads.max(1) * 2;
    let mut spare = Vec::with_capacity(batch);
    for p in prepared {
        let (format, years) = (p.format, p.years);
        let opened = match reopen(&p.input, p.opened, format, options, Arc::default()) {
            Ok(opened) => opened,
            Err(e) => {
                outcome.errors.push(e);
                continue;
            }
        };
        let mut reader = ChunkReader::new(opened.reader, options.chunk_size);
        let mut done = false;
        while !done {
            let mut chunks = Vec::with_capacity(batch);
            while chunks.len() < batch {
                match reader.next_chunk() {
                    Ok(Some(chunk)) => chunks.push(chunk),
                    Ok(None) => {
                        done = true;
                        break;
                    }
                    Err(e) => {
                        outcome.errors.push(InputError::from_io(&p.input, e));
                        done = true;
                        break;
                    }
                }
            }
            // Output buffers are kept from batch to batch: a fresh one per chunk is a
            // fresh mapping of pages, zeroed by the kernel as they are first written.
            let buffers: Vec<Vec<u8>> = chunks
                .iter()
                .map(|_| spare.pop().unwrap_or_default())
                .collect();
            let make = |(chunk, mut bytes): (&input::Chunk, Vec<u8>)| {
                bytes.clear();
                crate::events::write_chunk(
                    &parser,
                    chunk.data(),
                    &years,
                    &options.window,
                    format,
                    events,
                    &mut bytes,
                )
                .map(|()| bytes)
            };
            let made: Vec<std::io::Result<Vec<u8>>> = match &pool {
                Some(pool) => pool.install(|| chunks.par_iter().zip(buffers).map(make).collect()),
                None => chunks.iter().zip(buffers).map(make).collect(),
            };
            for bytes in made {
                let bytes = bytes?;
                out.write_all(&bytes)?;
                spare.push(bytes);
            }
            for chunk in chunks {
                reader.recycle(chunk.into_buffer());
            }
        }
    }
    Ok(outcome)
}

/// A pool of `threads` workers for `events`, or none for one thread or when the system will
/// not start threads (a process limit, a pids-limited container): records are then made on
/// this thread.
fn worker_pool(threads: usize, notices: &mut Vec<String>) -> Option<rayon::ThreadPool> {
    if threads <= 1 {
        return None;
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => Some(pool),
        Err(err) => {
            notices.push(refusal_note(threads, &err));
            None
        }
    }
}
