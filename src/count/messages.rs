//! The message tracker: which lines are one message, and the totals that depend on a
//! message's history (distinct messages, bytes received and delivered, deferrals), in
//! memory bounded by the messages in flight.
//!
//! Apart from the summary because it is the one part of counting that remembers across
//! lines and across parts of the log: what it knows of one message is in `state`, and
//! Exim's host errors and delivery attempts in `attempts`.

mod attempts;
mod state;
#[cfg(test)]
mod tests;

use super::parties::Parties;
use super::Fact;
use crate::code::{EnhancedCode, ReplyCode};
use attempts::HostError;
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;
use state::{MessageState, Pending};

/// How long a queue id may stay silent and still belong to the same message.
///
/// Postfix keeps a message at most `maximal_queue_lifetime` (5 days by default) and Exim
/// gives up after its retry rules (4 days by default); a week covers both.
pub const MESSAGE_LIFETIME_SECS: i64 = 7 * 86_400;

/// A queue id or Exim message id in 16 bytes, stored inline (no allocation per message).
///
/// Ids are letters, digits and dashes (the parser checks), never a NUL: up to 16 bytes are
/// kept as written, padded with NULs (the top bit stays clear). Longer ones (Exim 4.97's
/// 23-byte ids) are a number in bijective base 63 (one number per digit string) with the
/// top bit set and a flag for dashes, so no two ids the parser accepts share a key.
///
/// Queue ids are unique per host only: the key holds the host too, as the fixed hash of its
/// name (see [`crate::sources`]), so that two servers' `4F1A2B3C4D` are two messages. In a
/// log of one host it is the same for every line, and counts are those of the id alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct IdKey {
    id: [u64; 2],
    host: u64,
}

impl IdKey {
    fn new(id: &[u8], host: u64) -> IdKey {
        let raw = |id: &[u8]| {
            let mut bytes = [0u8; 16];
            let len = id.len().min(16);
            bytes[..len].copy_from_slice(&id[..len]);
            // Masked: only an id of other bytes than the parser accepts could set it.
            u128::from_le_bytes(bytes) & !(1 << 127)
        };
        let value = if id.len() <= 16 {
            raw(id)
        } else {
            Self::packed(id).unwrap_or_else(|| raw(id))
        };
        IdKey {
            id: [value as u64, (value >> 64) as u64],
            host,
        }
    }

    /// Up to 21 letters and digits in bijective base 63 (below 2^126), bit 127 set, bit 126
    /// for dashes.
    fn packed(id: &[u8]) -> Option<u128> {
        let mut value: u128 = 0;
        let mut digits = 0;
        let mut dashed = false;
        for &b in id {
            let digit = match b {
                b'0'..=b'9' => b - b'0',
                b'A'..=b'Z' => b - b'A' + 10,
                b'a'..=b'z' => b - b'a' + 36,
                b'-' => {
                    dashed = true;
                    continue;
                }
                _ => return None,
            };
            digits += 1;
            if digits > 21 {
                return None;
            }
            value = value * 63 + u128::from(digit) + 1;
        }
        Some(value | 1 << 127 | u128::from(dashed) << 126)
    }
}

/// What a line says of a reply an Exim host gave: the host's address and the codes.
#[derive(Clone, Copy, Debug)]
pub(super) struct ReplyNews<'a> {
    pub(super) host: &'a [u8],
    pub(super) code: ReplyCode,
    pub(super) enhanced: Option<EnhancedCode>,
}

/// A flagless host error as a line reports it: its reply, the fact it counts as, its problem
/// reason and the provider rule that problem matched.
type HostErrorNews<'a> = (
    ReplyNews<'a>,
    Fact,
    Option<&'a [u8]>,
    Option<crate::providers::Hit>,
);

/// A count made when a line was read that a later line showed to be wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TakeBack {
    /// A host error that an address line repeated.
    Reply(HostError),
    /// A content filter's re-injection was counted as received, in this hour.
    Receipt(Option<(NaiveDate, u8)>),
    /// ... and as an arrival from this sender and host, of this size.
    Arrival(Box<[u8]>, Option<Box<[u8]>>, u64),
}

/// What one line says about its message.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LineNews<'a> {
    pub(super) received: bool,
    pub(super) size: Option<u64>,
    pub(super) deferred: bool,
    pub(super) delivered: bool,
    /// The sender on a size line.
    pub(super) sender: Option<&'a [u8]>,
    /// The sending host on a received line (none: local).
    pub(super) client: Option<&'a [u8]>,
    /// A delivery to this recipient (not a forward), and its delay.
    pub(super) recipient: Option<&'a [u8]>,
    pub(super) delay_ms: Option<u64>,
    /// The hour of a received line, and whether its client is on loopback (where a content
    /// filter re-injects).
    pub(super) receipt_hour: Option<(NaiveDate, u8)>,
    pub(super) loopback: bool,
    /// A flagless host error (Exim): its reply, the fact it counts as, its problem reason.
    /// (By reference: few lines have one, and every line's news is built.)
    pub(super) host_error: Option<&'a HostErrorNews<'a>>,
    /// An Exim address line (`=>`, `->`, `==`, `**`), and the host reply it gives.
    pub(super) address_line: bool,
    pub(super) address_reply: Option<ReplyNews<'a>>,
    /// A content filter's hand-off named this id as its re-injection (`queued as ID`).
    pub(super) reinjected: bool,
}

/// Totals that depend on a message's own history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageTotals {
    /// Distinct messages.
    pub messages: u64,
    /// Sizes of the messages received (size known from Postfix qmgr `size=` or Exim `S=`).
    pub bytes_received: u64,
    /// Size of the message for every delivered line.
    pub bytes_delivered: u64,
    /// Messages deferred at least once.
    pub deferred_messages: u64,
    /// A message id was forgotten while its message was open (see [`MAX_SILENT_LINES`]):
    /// these totals may count a message twice.
    pub approximate: bool,
}

impl MessageTotals {
    pub(super) fn add(&mut self, other: &MessageTotals) {
        self.messages += other.messages;
        self.bytes_received += other.bytes_received;
        self.bytes_delivered += other.bytes_delivered;
        self.deferred_messages += other.deferred_messages;
        self.approximate |= other.approximate;
    }
}

/// No pending run: the message's lines are counted as they come.
const NOT_PENDING: u32 = u32::MAX;

/// No timestamp (in [`Live::last`]).
const NO_TIME: i64 = i64::MIN;

/// A message still open.
#[derive(Clone, Debug)]
struct Live {
    /// Its latest line's time ([`NO_TIME`]: none yet) and position in the log.
    last: i64,
    last_line: u64,
    state: MessageState,
    /// Index of its first run in `pending`, while its lines go there.
    pending: u32,
}

impl Live {
    fn last(&self) -> Option<i64> {
        (self.last != NO_TIME).then_some(self.last)
    }
}

/// A message id silent for more lines than this is forgotten, so that at most this many
/// ids are in flight whatever the log holds (a log grepped for smtpd lines never says
/// `removed`; anyone can log fake ids). Its later lines count as a new message, and the
/// per-message totals are marked approximate. Counted in lines, not ids, so that what is
/// forgotten is the same for any chunking and thread count.
pub const MAX_SILENT_LINES: u64 = 100_000;

/// Counts distinct messages by id, and what depends on a message's history (sizes,
/// deferrals), in memory bounded by the messages in flight.
///
/// A message is an id's run of lines up to its finishing line (`removed`, `Completed`) or
/// a silence longer than [`MESSAGE_LIFETIME_SECS`] (or [`MAX_SILENT_LINES`] lines). A part
/// of the log that does not start at the beginning cannot tell whether an id's first run
/// continues a message from before, so it keeps what each first run said in `pending`, in
/// order, until [`MessageTracker::append`] resolves them against the live ids of the part
/// before it. A line costs one hash lookup.
///
/// Ids silent for more than [`MAX_SILENT_LINES`] are dropped from memory; a message open
/// when that happens (or at the end) makes the totals approximate.
#[derive(Clone, Debug, Default)]
pub(super) struct MessageTracker {
    /// Totals known for sure.
    pub(super) totals: MessageTotals,
    /// First runs of ids in this part, in the order they began.
    pending: Vec<Pending>,
    /// Ids whose message is still open at the end of this part.
    live: HashMap<IdKey, Live>,
    /// Senders and hosts of the pending runs.
    names: Vec<u8>,
    /// Counts the summary must take back (drained after every line and every append).
    pub(super) backs: Vec<TakeBack>,
    /// The host of the lines being observed (its key; see [`IdKey`]).
    pub(super) host: u64,
}

fn silent_too_long(last: Option<i64>, now: Option<i64>) -> bool {
    matches!((last, now), (Some(last), Some(now)) if now - last > MESSAGE_LIFETIME_SECS)
}

/// An id not seen for more than [`MAX_SILENT_LINES`] lines.
fn forgotten(last_line: u64, line: u64) -> bool {
    line.saturating_sub(last_line) > MAX_SILENT_LINES
}

impl MessageTracker {
    /// Room for about `ids` more ids in flight and first runs.
    pub(super) fn reserve(&mut self, ids: usize) {
        self.live.reserve(ids);
        self.pending.reserve(ids);
    }

    /// Take one line of message `id`, the `line`th of this part. Returns whether its
    /// receipt (if it is a received line) counts.
    pub(super) fn observe(
        &mut self,
        id: &[u8],
        time: Option<i64>,
        line: u64,
        finishes: bool,
        news: &LineNews<'_>,
        parties: &mut Parties,
    ) -> bool {
        let key = IdKey::new(id, self.host);
        let counted;
        match self.live.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut slot) => {
                let live = slot.get_mut();
                let lost = forgotten(live.last_line, line);
                if silent_too_long(live.last(), time) || lost {
                    // Silent too long: the same id now names a new message.
                    self.totals.approximate |= lost;
                    if let Some(run) = self.pending.get_mut(live.pending as usize) {
                        run.ended = true;
                    }
                    self.totals.messages += 1;
                    live.state = MessageState::default();
                    live.pending = NOT_PENDING;
                }
                if let Some(t) = time {
                    live.last = t;
                }
                live.last_line = line;
                match self.pending.get_mut(live.pending as usize) {
                    Some(run) => {
                        counted = run.take(news, parties, &mut self.names, &mut self.backs)
                    }
                    None => {
                        // A message known to be new (after a silence): its state is at hand,
                        // so the line is a run of one, resolved at once.
                        let mut run = Pending::new(key, time, line);
                        counted = run.take(news, parties, &mut self.names, &mut self.backs);
                        let before = std::mem::take(&mut live.state);
                        run.resolve(&before, &mut self.totals, &self.names, &mut self.backs);
                        run.correct(&before, parties, &self.names);
                        live.state = run.state_after(before, &self.names);
                    }
                }
                if finishes {
                    if let Some(run) = self.pending.get_mut(live.pending as usize) {
                        run.ended = true;
                    }
                    slot.remove();
                }
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                // A first run in this part (perhaps after an earlier one of the same id
                // ended here: it is resolved after that one, so it counts as new).
                let mut run = Pending::new(key, time, line);
                counted = run.take(news, parties, &mut self.names, &mut self.backs);
                run.ended = finishes;
                if !finishes {
                    slot.insert(Live {
                        last: time.unwrap_or(NO_TIME),
                        last_line: line,
                        state: MessageState::default(),
                        pending: self.pending.len() as u32,
                    });
                }
                self.pending.push(run);
            }
        }
        counted
    }

    /// Append the part that follows this one, whose lines start after `offset` lines of
    /// this one and end at line `end`. `self` must start at the beginning. `parties` are
    /// the later part's tables, put right where a message began before it.
    pub(super) fn append(
        &mut self,
        later: MessageTracker,
        parties: &mut Parties,
        offset: u64,
        end: u64,
    ) {
        debug_assert!(self.pending.is_empty());
        let MessageTracker {
            totals,
            pending,
            mut live,
            names,
            backs,
            host: _,
        } = later;
        self.totals.add(&totals);
        self.backs.extend(backs);
        for run in pending {
            let first_line = run.first_line + offset;
            let before = match self.live.remove(&run.key) {
                Some(prev)
                    if !silent_too_long(prev.last(), run.first)
                        && !forgotten(prev.last_line, first_line) =>
                {
                    prev.state
                }
                prev => {
                    self.totals.approximate |=
                        prev.is_some_and(|p| forgotten(p.last_line, first_line));
                    self.totals.messages += 1;
                    MessageState::default()
                }
            };
            run.resolve(&before, &mut self.totals, &names, &mut self.backs);
            run.correct(&before, parties, &names);
            if !run.ended {
                let key = run.key;
                let state = run.state_after(before, &names);
                if let Some(open) = live.get_mut(&key) {
                    open.state = state;
                    open.pending = NOT_PENDING;
                }
            }
        }
        self.live.extend(live.into_iter().map(|(key, mut open)| {
            open.last_line += offset;
            (key, open)
        }));
        if self.live.len() as u64 > MAX_SILENT_LINES {
            self.forget_silent(end);
        }
    }

    /// Drop the ids silent for more than [`MAX_SILENT_LINES`] at line `end`: their
    /// messages were open, so the totals become approximate.
    pub(super) fn forget_silent(&mut self, end: u64) {
        let before = self.live.len();
        self.live.retain(|_, open| !forgotten(open.last_line, end));
        self.totals.approximate |= self.live.len() < before;
    }

    /// Treat this part as the start of the log: every pending run is a new message.
    pub(super) fn resolve_as_start(&mut self) {
        let blank = MessageState::default();
        for run in std::mem::take(&mut self.pending) {
            self.totals.messages += 1;
            run.resolve(&blank, &mut self.totals, &self.names, &mut self.backs);
            if !run.ended {
                let key = run.key;
                let state = run.state_after(MessageState::default(), &self.names);
                if let Some(open) = self.live.get_mut(&key) {
                    open.state = state;
                    open.pending = NOT_PENDING;
                }
            }
        }
        self.names.clear();
    }
}

impl MessageTracker {
    /// The totals as they are once this part is taken to start the log: what
    /// [`MessageTracker::resolve_as_start`] would add, without copying the live ids to find
    /// out.
    pub(super) fn totals_as_start(&self) -> MessageTotals {
        let mut totals = self.totals;
        let blank = MessageState::default();
        let mut backs = Vec::new();
        for run in &self.pending {
            totals.messages += 1;
            run.resolve(&blank, &mut totals, &self.names, &mut backs);
        }
        totals
    }
}
