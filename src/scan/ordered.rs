//! The state the workers of one input share: the feed of chunks, numbered in input order,
//! and the in-order append of the counted parts ([`Ordered`]).

use crate::count::Summary;
use crate::input::{self, ChunkReader};
use std::collections::BTreeMap;

/// Counted parts waiting for their turn, and the whole they are appended to (with the
/// number of parts appended so far).
pub(super) struct Ordered<'t> {
    pub(super) finished: std::sync::Mutex<BTreeMap<u64, Summary>>,
    pub(super) whole: std::sync::Mutex<(&'t mut Summary, u64)>,
}

impl Ordered<'_> {
    /// Hand in part `index`, and append whatever is next if no other worker is doing so.
    /// False if a lock was poisoned (a worker panicked): the scan stops.
    pub(super) fn finish<R: std::io::Read>(
        &self,
        index: u64,
        part: Summary,
        feed: &Feed<R>,
    ) -> bool {
        match self.finished.lock() {
            Ok(mut finished) => finished.insert(index, part),
            Err(_) => return false,
        };
        loop {
            // Busy: the worker that holds the whole looks again once it lets go.
            let mut whole = match self.whole.try_lock() {
                Ok(whole) => whole,
                Err(std::sync::TryLockError::WouldBlock) => return true,
                Err(std::sync::TryLockError::Poisoned(_)) => return false,
            };
            let before = whole.1;
            loop {
                let next = match self.finished.lock() {
                    Ok(mut finished) => finished.remove(&whole.1),
                    Err(_) => return false,
                };
                let Some(part) = next else { break };
                whole.0.append(part);
                whole.1 += 1;
            }
            let appended = whole.1;
            if appended > before {
                feed.appended(appended - before, whole.0.parties.levels());
            }
            drop(whole);
            // A part handed in while the whole was held, by a worker that found it busy.
            let waiting = match self.finished.lock() {
                Ok(finished) => finished.contains_key(&appended),
                Err(_) => return false,
            };
            if !waiting {
                return true;
            }
        }
    }
}

/// The chunks of one input, shared by the workers that count them.
pub(super) struct Feed<R> {
    pub(super) state: std::sync::Mutex<FeedState<R>>,
    /// Signalled when a part is appended (room for another chunk) or the input ends.
    pub(super) room: std::sync::Condvar,
    pub(super) max_in_flight: usize,
}

pub(super) struct FeedState<R> {
    pub(super) reader: Option<ChunkReader<R>>,
    /// The number the next chunk gets.
    pub(super) next: u64,
    pub(super) in_flight: usize,
    pub(super) done: bool,
    /// The read error that ended the input early, reported after its lines are counted.
    pub(super) failure: Option<std::io::Error>,
    /// The whole's sampling levels, handed to the chunks counted next.
    pub(super) levels: [u32; 5],
}

impl<R: std::io::Read> Feed<R> {
    /// The next chunk, its number and the sampling levels to count it at; `None` at the
    /// end of the input (or after a read error). Waits while too many parts are unappended.
    pub(super) fn take(&self, spare: Option<Vec<u8>>) -> Option<(u64, input::Chunk, [u32; 5])> {
        let mut state = self.state.lock().ok()?;
        while state.in_flight >= self.max_in_flight && !state.done {
            state = self.room.wait(state).ok()?;
        }
        if state.done {
            return None;
        }
        let reader = state.reader.as_mut()?;
        if let Some(buffer) = spare {
            reader.recycle(buffer);
        }
        match reader.next_chunk() {
            Ok(Some(chunk)) => {
                let index = state.next;
                state.next += 1;
                state.in_flight += 1;
                Some((index, chunk, state.levels))
            }
            Ok(None) => {
                state.done = true;
                self.room.notify_all();
                None
            }
            Err(e) => {
                state.failure = Some(e);
                state.done = true;
                self.room.notify_all();
                None
            }
        }
    }

    /// `count` parts were appended; the whole is now at `levels`.
    fn appended(&self, count: u64, levels: [u32; 5]) {
        if let Ok(mut state) = self.state.lock() {
            state.in_flight = state.in_flight.saturating_sub(count as usize);
            state.levels = levels;
        }
        self.room.notify_all();
    }
}
