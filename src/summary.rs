//! Counting: the mergeable summary of everything the parser found.
//!
//! Every reply or event line becomes one *fact*: its day, hour, MTA, event, reply code,
//! enhanced code and dsn. Every table in every report is a projection of the facts, so
//! adding two summaries is adding their fact counts.

use crate::code::{EnhancedCode, ReplyCode};
use crate::parse::{Counter, Event, LineKind, Mta, ParsedLine};
use crate::parties::Parties;
use crate::problems::{DiagnosticKey, DiagnosticTable, ProblemTable};
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;

/// How long a queue id may stay silent and still belong to the same message.
///
/// Postfix keeps a message at most `maximal_queue_lifetime` (5 days by default) and Exim
/// gives up after its retry rules (4 days by default); a week covers both.
pub const MESSAGE_LIFETIME_SECS: i64 = 7 * 86_400;

/// How many unrecognised lines a summary keeps as examples.
pub const UNRECOGNISED_SAMPLES: usize = 20;

/// Delivery delays, in a fixed log-scale histogram: mergeable and of constant size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayHistogram {
    /// Deliveries per bucket; bucket `i > 0` holds delays up to `1.3^i` ms, bucket 0 holds 0 ms.
    pub buckets: [u64; DELAY_BUCKETS],
    /// Deliveries with a delay.
    pub count: u64,
    /// Sum of the delays, in ms.
    pub sum_ms: u64,
    /// The longest delay, in ms.
    pub max_ms: u64,
}

/// Buckets of [`DelayHistogram`]: 1.3^95 ms is over two years.
pub const DELAY_BUCKETS: usize = 96;

impl Default for DelayHistogram {
    fn default() -> Self {
        DelayHistogram {
            buckets: [0; DELAY_BUCKETS],
            count: 0,
            sum_ms: 0,
            max_ms: 0,
        }
    }
}

impl DelayHistogram {
    /// The bucket of a delay.
    pub fn bucket(ms: u64) -> usize {
        if ms == 0 {
            return 0;
        }
        let i = ((ms as f64).ln() / 1.3f64.ln()).ceil() as usize;
        i.clamp(1, DELAY_BUCKETS - 1)
    }

    /// The upper bound of a bucket, in ms.
    pub fn upper_ms(bucket: usize) -> u64 {
        if bucket == 0 {
            0
        } else {
            1.3f64.powi(bucket as i32).round() as u64
        }
    }

    /// Count one delay.
    pub fn record(&mut self, ms: u64) {
        self.buckets[Self::bucket(ms)] += 1;
        self.count += 1;
        self.sum_ms = self.sum_ms.saturating_add(ms);
        self.max_ms = self.max_ms.max(ms);
    }

    /// Add another histogram.
    pub fn add(&mut self, other: &DelayHistogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *a += b;
        }
        self.count += other.count;
        self.sum_ms = self.sum_ms.saturating_add(other.sum_ms);
        self.max_ms = self.max_ms.max(other.max_ms);
    }

    /// The delay below which `percent` of deliveries fall, as a bucket bound (within 30%;
    /// never above the largest delay seen).
    pub fn percentile_ms(&self, percent: u64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = (self.count * percent).div_ceil(100).max(1);
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Self::upper_ms(i).min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }
}

/// One kind of counted line: the dimensions every report can break down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fact {
    /// The date in the line's timestamp.
    pub day: Option<NaiveDate>,
    /// The hour in the line's timestamp.
    pub hour: Option<u8>,
    /// Which MTA wrote it.
    pub mta: Mta,
    /// The event the line reports.
    pub event: Option<Event>,
    /// The reply code, for reply lines.
    pub code: Option<ReplyCode>,
    /// The enhanced code that followed the reply code.
    pub enhanced: Option<EnhancedCode>,
    /// Postfix `dsn=`, or a bare enhanced code on a line without a reply code.
    pub dsn: Option<EnhancedCode>,
    /// An Exim temporary rejection.
    pub temporary: bool,
}

/// Line totals; every line is in exactly one of mail, other and unrecognised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// All lines read.
    pub total: u64,
    /// Postfix and Exim lines of a known shape.
    pub mail: u64,
    /// Lines of other programs, or with no recognisable header.
    pub other: u64,
    /// Postfix and Exim lines of an unknown shape.
    pub unrecognised: u64,
}

impl LineCounts {
    fn add(&mut self, other: &LineCounts) {
        self.total += other.total;
        self.mail += other.mail;
        self.other += other.other;
        self.unrecognised += other.unrecognised;
    }
}

/// A queue id or Exim message id, stored inline (no allocation per message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct IdKey {
    len: u8,
    bytes: [u8; 23],
}

impl IdKey {
    fn new(id: &[u8]) -> IdKey {
        let mut bytes = [0u8; 23];
        let len = id.len().min(23);
        bytes[..len].copy_from_slice(&id[..len]);
        IdKey {
            len: len as u8,
            bytes,
        }
    }
}

/// What one line says about its message.
#[derive(Clone, Copy, Debug, Default)]
struct LineNews<'a> {
    received: bool,
    size: Option<u64>,
    deferred: bool,
    delivered: bool,
    /// The sender on a size line.
    sender: Option<&'a [u8]>,
    /// The sending host on a received line (none: local).
    client: Option<&'a [u8]>,
    /// A delivery to this recipient (not a forward), and its delay.
    recipient: Option<&'a [u8]>,
    delay_ms: Option<u64>,
}

/// What is known of a message so far.
///
/// `size` is the latest size line's; a message *arrives* when it is both received and
/// sized, and is then credited to its first sender and its sending host. Until then those
/// two are kept here (few messages wait: Postfix logs the size right after `client=`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct MessageState {
    received: bool,
    size: Option<u64>,
    deferred: bool,
    sender: Option<Box<[u8]>>,
    client: Option<Box<[u8]>>,
}

impl MessageState {
    fn arrived(&self) -> bool {
        self.received && self.size.is_some()
    }

    /// Nothing known: what a message that starts in a part looks like before it.
    fn is_blank(&self) -> bool {
        !self.received && self.size.is_none()
    }
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
}

impl MessageTotals {
    fn add(&mut self, other: &MessageTotals) {
        self.messages += other.messages;
        self.bytes_received += other.bytes_received;
        self.bytes_delivered += other.bytes_delivered;
        self.deferred_messages += other.deferred_messages;
    }
}

/// Bytes in a tracker's `names`: runs keep their senders and hosts there, not in an
/// allocation each.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    len: usize,
}

impl Span {
    fn store(names: &mut Vec<u8>, bytes: &[u8]) -> Span {
        names.extend_from_slice(bytes);
        Span {
            start: names.len() - bytes.len(),
            len: bytes.len(),
        }
    }

    fn get(self, names: &[u8]) -> &[u8] {
        &names[self.start..self.start + self.len]
    }
}

/// A message's arrival: its size, sender and sending host (none: local).
type Arrival<'a> = (u64, &'a [u8], Option<&'a [u8]>);

/// The lines of a message's first run in a part of the log, kept until the part before is
/// known: their effect depends on what that part already knew of the message.
///
/// Sender and recipient tables are credited as the lines come, as if the message started
/// in this part (it nearly always does); [`Pending::correct`] puts that right when it
/// did not.
#[derive(Clone, Debug)]
struct Pending {
    key: IdKey,
    first: Option<i64>,
    received: bool,
    /// The latest size.
    size: Option<u64>,
    /// The first size line's size and sender (in the tracker's `names`).
    first_size: Option<u64>,
    sender: Option<Span>,
    /// The first received line's sending host, and the size known right after it.
    client: Option<Span>,
    size_at_received: Option<u64>,
    deferred: bool,
    delivered_before_size: u64,
    bytes_after_size: u64,
    /// Recipients (in `names`) of deliveries before any size line in this part: their
    /// bytes are known only from the part before.
    unsized_recipients: Vec<Span>,
    /// The run ended (finishing line, or a silence) before the end of the part.
    ended: bool,
}

impl Pending {
    fn new(key: IdKey, first: Option<i64>) -> Pending {
        Pending {
            key,
            first,
            received: false,
            size: None,
            first_size: None,
            sender: None,
            client: None,
            size_at_received: None,
            deferred: false,
            delivered_before_size: 0,
            bytes_after_size: 0,
            unsized_recipients: Vec::new(),
            ended: false,
        }
    }

    /// The size of the arrival this run makes on its own, as if the message started here:
    /// at its first received line if a size was known by then, else at its first size line.
    fn local_arrival(&self) -> Option<u64> {
        if self.received {
            self.size_at_received.or(self.first_size)
        } else {
            None
        }
    }

    fn take(&mut self, news: LineNews<'_>, parties: &mut Parties, names: &mut Vec<u8>) {
        let arrived = self.local_arrival().is_some();
        if self.size.is_none() && news.size.is_some() {
            self.first_size = news.size;
            self.sender = Some(Span::store(names, news.sender.unwrap_or_default()));
        }
        self.size = news.size.or(self.size);
        if news.received && !self.received {
            self.received = true;
            self.size_at_received = self.size;
            self.client = news.client.map(|c| Span::store(names, c));
        }
        if let (false, Some(size)) = (arrived, self.local_arrival()) {
            let sender = self.sender.map_or(&b""[..], |s| s.get(names));
            parties.arrival(sender, self.client.map(|c| c.get(names)), size);
        }
        self.deferred |= news.deferred;
        if news.delivered {
            match self.size {
                Some(size) => self.bytes_after_size += size,
                None => self.delivered_before_size += 1,
            }
        }
        if let Some(recipient) = news.recipient {
            parties.delivery(recipient, self.size.unwrap_or(0), news.delay_ms);
            if self.size.is_none() {
                self.unsized_recipients.push(Span::store(names, recipient));
            }
        }
    }

    /// The arrival this run completes after what was known before: its size, sender and
    /// sending host (exactly what taking the lines one by one would credit).
    fn arrival<'s>(&self, before: &'s MessageState, names: &'s [u8]) -> Option<Arrival<'s>> {
        let sender = self.sender.map(|s| s.get(names));
        let client = self.client.map(|c| c.get(names));
        if before.arrived() {
            None
        } else if before.received {
            // Received before, sized here: at the first size line.
            let size = self.first_size?;
            Some((size, sender?, before.client.as_deref()))
        } else if let Some(known) = before.size {
            // Sized before, received here: at the first received line.
            self.received.then(|| {
                let size = self.size_at_received.unwrap_or(known);
                let sender = before.sender.as_deref().unwrap_or_default();
                (size, sender, client)
            })
        } else {
            let size = self.local_arrival()?;
            Some((size, sender?, client))
        }
    }

    /// Apply to what was known before: exactly what taking the lines one by one would do.
    fn resolve(&self, before: &MessageState, totals: &mut MessageTotals, names: &[u8]) {
        if let Some((size, _, _)) = self.arrival(before, names) {
            totals.bytes_received += size;
        }
        if self.deferred && !before.deferred {
            totals.deferred_messages += 1;
        }
        totals.bytes_delivered +=
            self.delivered_before_size * before.size.unwrap_or(0) + self.bytes_after_size;
    }

    /// Put right the sender and recipient credits made as if the message started here.
    fn correct(&self, before: &MessageState, parties: &mut Parties, names: &[u8]) {
        if before.is_blank() {
            return;
        }
        if let Some(size) = self.local_arrival() {
            let sender = self.sender.map_or(&b""[..], |s| s.get(names));
            parties.take_back_arrival(sender, self.client.map(|c| c.get(names)), size);
        }
        if let Some((size, sender, client)) = self.arrival(before, names) {
            parties.arrival(sender, client, size);
        }
        let size = before.size.unwrap_or(0);
        for recipient in &self.unsized_recipients {
            parties.delivery_bytes(recipient.get(names), size);
        }
    }

    /// The state after this run, following `before`.
    fn state_after(self, before: MessageState, names: &[u8]) -> MessageState {
        let arrived = self.arrival(&before, names).is_some() || before.arrived();
        let received = before.received || self.received;
        let size = self.size.or(before.size);
        let waiting = !arrived;
        MessageState {
            received,
            size,
            deferred: before.deferred || self.deferred,
            sender: if waiting && size.is_some() {
                if before.size.is_some() {
                    before.sender
                } else {
                    self.sender.map(|s| s.get(names).into())
                }
            } else {
                None
            },
            client: if waiting && received {
                if before.received {
                    before.client
                } else {
                    self.client.map(|c| c.get(names).into())
                }
            } else {
                None
            },
        }
    }
}

/// No pending run: the message's lines are counted as they come.
const NOT_PENDING: u32 = u32::MAX;

/// A message still open.
#[derive(Clone, Debug)]
struct Live {
    last: Option<i64>,
    state: MessageState,
    /// Index of its first run in `pending`, while its lines go there.
    pending: u32,
}

/// Counts distinct messages by id, and what depends on a message's history (sizes,
/// deferrals), in memory bounded by the messages in flight.
///
/// A message is an id's run of lines up to its finishing line (`removed`, `Completed`) or
/// a silence longer than [`MESSAGE_LIFETIME_SECS`]. A part of the log that does not start
/// at the beginning cannot tell whether an id's first run continues a message from before,
/// so it keeps what each first run said in `pending`, in order, until
/// [`MessageTracker::append`] resolves them against the live ids of the part before it.
/// A line costs one hash lookup.
///
/// Ids silent for twice the lifetime are dropped from memory. That never changes a count
/// as long as log time does not run backwards by more than that (two weeks), which holds
/// for real logs and rotated sets (inputs are taken in order of their first timestamp).
#[derive(Clone, Debug, Default)]
struct MessageTracker {
    /// Totals known for sure.
    totals: MessageTotals,
    /// First runs of ids in this part, in the order they began.
    pending: Vec<Pending>,
    /// Ids whose message is still open at the end of this part.
    live: HashMap<IdKey, Live>,
    /// The latest time seen, for evicting ids that went silent.
    newest: Option<i64>,
    /// When ids were last evicted (log time): eviction runs at most once an hour of log.
    evicted_at: Option<i64>,
    /// Senders and hosts of the pending runs.
    names: Vec<u8>,
}

fn silent_too_long(last: Option<i64>, now: Option<i64>) -> bool {
    matches!((last, now), (Some(last), Some(now)) if now - last > MESSAGE_LIFETIME_SECS)
}

impl MessageTracker {
    fn observe(
        &mut self,
        id: &[u8],
        time: Option<i64>,
        finishes: bool,
        news: LineNews<'_>,
        parties: &mut Parties,
    ) {
        let key = IdKey::new(id);
        if let Some(t) = time {
            self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        }
        match self.live.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut slot) => {
                let live = slot.get_mut();
                if silent_too_long(live.last, time) {
                    // Silent too long: the same id now names a new message.
                    if let Some(run) = self.pending.get_mut(live.pending as usize) {
                        run.ended = true;
                    }
                    self.totals.messages += 1;
                    live.state = MessageState::default();
                    live.pending = NOT_PENDING;
                }
                live.last = time.or(live.last);
                match self.pending.get_mut(live.pending as usize) {
                    Some(run) => run.take(news, parties, &mut self.names),
                    None => {
                        // A message known to be new (after a silence): its state is at hand,
                        // so the line is a run of one, resolved at once.
                        let mut run = Pending::new(key, time);
                        run.take(news, parties, &mut self.names);
                        let before = std::mem::take(&mut live.state);
                        run.resolve(&before, &mut self.totals, &self.names);
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
                let mut run = Pending::new(key, time);
                run.take(news, parties, &mut self.names);
                run.ended = finishes;
                if !finishes {
                    slot.insert(Live {
                        last: time,
                        state: MessageState::default(),
                        pending: self.pending.len() as u32,
                    });
                }
                self.pending.push(run);
            }
        }
    }

    /// Append the part that follows this one. `self` must start at the beginning.
    /// `parties` are the later part's tables, put right where a message began before it.
    fn append(&mut self, later: MessageTracker, parties: &mut Parties) {
        debug_assert!(self.pending.is_empty());
        let MessageTracker {
            totals,
            pending,
            mut live,
            newest,
            names,
            ..
        } = later;
        self.totals.add(&totals);
        for run in pending {
            let before = match self.live.remove(&run.key) {
                Some(prev) if !silent_too_long(prev.last, run.first) => prev.state,
                _ => {
                    self.totals.messages += 1;
                    MessageState::default()
                }
            };
            run.resolve(&before, &mut self.totals, &names);
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
        self.live.extend(live);
        self.newest = match (self.newest, newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        // At most once an hour of log time: a pass over every live id is not free.
        let due = |newest: &i64| self.evicted_at.is_none_or(|at| newest - at > 3600);
        if let Some(newest) = self.newest.filter(due) {
            self.evicted_at = Some(newest);
            // Twice the lifetime, so that eviction never changes a count.
            self.live.retain(|_, open| {
                open.last
                    .is_none_or(|t| newest - t <= 2 * MESSAGE_LIFETIME_SECS)
            });
        }
    }

    /// Treat this part as the start of the log: every pending run is a new message.
    fn resolve_as_start(&mut self) {
        let blank = MessageState::default();
        for run in std::mem::take(&mut self.pending) {
            self.totals.messages += 1;
            run.resolve(&blank, &mut self.totals, &self.names);
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

/// Everything counted over some lines. Two summaries add up with [`Summary::append`]
/// (consecutive parts of one log) or [`Summary::add`] (independent logs).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Line totals.
    pub lines: LineCounts,
    /// Lines per day (lines with a timestamp).
    pub lines_by_day: HashMap<NaiveDate, u64>,
    /// Counted facts.
    pub facts: HashMap<Fact, u64>,
    /// Messages received (Postfix `client=`/`uid=`, Exim `<=`).
    pub received: u64,
    /// Lines longer than the reader's limit, cut short (counted in `lines.other`).
    pub overlong_lines: u64,
    /// Journal entries that were not well-formed (counted in `lines.other`).
    pub malformed_entries: u64,
    /// Lines skipped by the time window (not in `lines`).
    pub outside_window: u64,
    /// The first unrecognised lines, for users to report.
    pub unrecognised_samples: Vec<Vec<u8>>,
    /// Problems grouped by event, code, enhanced code and normalised reason.
    pub problems: ProblemTable,
    /// Warnings, errors, fatal errors and panics by program and text.
    pub diagnostics: DiagnosticTable,
    /// Connection-level counters, indexed like [`Counter::ALL`].
    pub counters: [u64; Counter::ALL.len()],
    /// postscreen DNSBL ranks and dnsblog listings.
    pub blocklists: crate::blocklists::Blocklists,
    /// Delivered lines that forwarded the message (Postfix `forwarded as`).
    pub forwarded: u64,
    /// Delays of delivered lines.
    pub delays: DelayHistogram,
    /// Messages received, by day and hour.
    pub received_by_hour: HashMap<(NaiveDate, u8), u64>,
    /// Traffic per sender, sending host, recipient and domain.
    pub parties: Parties,
    messages: MessageTracker,
    /// Totals of summaries that were added with [`Summary::add`] or loaded.
    extra: MessageTotals,
    current_day: Option<(NaiveDate, u64)>,
    current_hour: Option<((NaiveDate, u8), u64)>,
}

impl Summary {
    /// An empty summary that stands at the start of a log, keeping up to
    /// [`DEFAULT_MAX_DISTINCT`](crate::parties::DEFAULT_MAX_DISTINCT) keys per party table.
    pub fn new() -> Summary {
        let mut summary = Summary::default();
        summary.set_max_distinct(crate::parties::DEFAULT_MAX_DISTINCT);
        summary
    }

    /// Set how many senders, hosts, recipients and domains each table keeps exactly
    /// (past that, a reproducible sample; see [`crate::parties`]).
    pub fn set_max_distinct(&mut self, limit: usize) {
        self.parties.set_limit(limit);
    }

    /// An empty summary with room for about `ids` message ids, so that counting a chunk
    /// does not keep growing its maps.
    pub fn with_capacity(ids: usize) -> Summary {
        let mut summary = Summary::default();
        summary.messages.live.reserve(ids / 4);
        summary.parties.reserve(ids / 4);
        summary
    }

    /// Count one parsed line.
    pub fn record(&mut self, line: &ParsedLine<'_>, raw: &[u8]) {
        self.lines.total += 1;
        let mta = match line.kind {
            LineKind::Mail(mta) => {
                self.lines.mail += 1;
                mta
            }
            LineKind::Other => {
                self.lines.other += 1;
                self.count_day(line);
                return;
            }
            LineKind::Unrecognised(_) => {
                self.lines.unrecognised += 1;
                if self.unrecognised_samples.len() < UNRECOGNISED_SAMPLES {
                    self.unrecognised_samples
                        .push(raw[..raw.len().min(2048)].to_vec());
                }
                self.count_day(line);
                return;
            }
        };
        self.count_day(line);
        let time = line.stamp.map(|s| s.scalar());
        // A forward is delivered again under a new id: that delivery is the recipient's.
        let delivered_to = line
            .recipient
            .filter(|_| line.event == Some(Event::Delivered) && !line.forwarded);
        if let Some(id) = line.message_id {
            let news = LineNews {
                received: line.received,
                size: line.size,
                deferred: line.event == Some(Event::Deferred),
                delivered: line.event == Some(Event::Delivered),
                sender: line.sender,
                client: line.client,
                recipient: delivered_to,
                delay_ms: line.delay_ms,
            };
            self.messages
                .observe(id, time, line.finishes_message, news, &mut self.parties);
        } else if let Some(recipient) = delivered_to {
            self.parties.delivery(recipient, 0, line.delay_ms);
        }
        if let (Some(event @ (Event::Deferred | Event::Bounced)), Some(recipient)) =
            (line.event, line.recipient)
        {
            self.parties
                .failure(recipient, event == Event::Bounced, line.delay_ms);
        }
        if line.received {
            self.received += 1;
            if let Some(stamp) = line.stamp {
                *self
                    .received_by_hour
                    .entry((stamp.date, stamp.hour()))
                    .or_insert(0) += 1;
            }
        }
        if let Some(severity) = line.severity {
            let key = DiagnosticKey {
                mta,
                program: String::from_utf8_lossy(line.program).into_owned(),
                severity,
            };
            if severity == crate::parse::Severity::Info {
                // The master daemon's own messages are few and say what they mean
                // (`version 3.7.11`, `signal 15`): listed as written, not normalised.
                self.diagnostics
                    .record_literal(key, line.reason.unwrap_or_default());
            } else {
                self.diagnostics.record(key, line.reason, None);
            }
        }
        if let Some(counter) = line.counter {
            self.counters[counter as usize] += 1;
        }
        if let Some(dnsbl) = line.dnsbl {
            self.blocklists.record(dnsbl);
        }
        if line.event == Some(Event::Delivered) {
            self.forwarded += u64::from(line.forwarded);
            if let Some(ms) = line.delay_ms {
                self.delays.record(ms);
            }
        }
        if ProblemTable::is_problem(line) {
            self.problems.record_line(line, raw);
        }
        if line.code.is_some() || line.event.is_some() {
            let fact = Fact {
                day: line.stamp.map(|s| s.date),
                hour: line.stamp.map(|s| s.hour()),
                mta,
                event: line.event,
                code: line.code,
                enhanced: line.enhanced,
                dsn: line.dsn,
                temporary: line.temporary,
            };
            *self.facts.entry(fact).or_insert(0) += 1;
        }
    }

    fn count_day(&mut self, line: &ParsedLine<'_>) {
        let Some(stamp) = line.stamp else { return };
        // Lines come in runs of one day: count the run, touch the map when the day changes.
        match &mut self.current_day {
            Some((day, n)) if *day == stamp.date => *n += 1,
            _ => {
                self.flush_day();
                self.current_day = Some((stamp.date, 1));
            }
        }
    }

    fn flush_day(&mut self) {
        if let Some((day, n)) = self.current_day.take() {
            *self.lines_by_day.entry(day).or_insert(0) += n;
        }
        if let Some((hour, n)) = self.current_hour.take() {
            *self.received_by_hour.entry(hour).or_insert(0) += n;
        }
    }

    /// Record a line that was cut at the reader's length limit.
    pub fn record_overlong(&mut self) {
        self.lines.total += 1;
        self.lines.other += 1;
        self.overlong_lines += 1;
    }

    /// Count a journal entry that is not well-formed (bad JSON, no timestamp or message).
    pub fn record_malformed(&mut self) {
        self.lines.total += 1;
        self.lines.other += 1;
        self.malformed_entries += 1;
    }

    fn add_counts(&mut self, mut other: Summary) {
        self.flush_day();
        other.flush_day();
        self.lines.add(&other.lines);
        for (day, n) in other.lines_by_day {
            *self.lines_by_day.entry(day).or_insert(0) += n;
        }
        for (fact, n) in other.facts {
            *self.facts.entry(fact).or_insert(0) += n;
        }
        self.received += other.received;
        self.overlong_lines += other.overlong_lines;
        self.malformed_entries += other.malformed_entries;
        self.outside_window += other.outside_window;
        self.extra.add(&other.extra);
        self.problems.add(other.problems);
        self.diagnostics.add(other.diagnostics);
        self.blocklists.add(other.blocklists);
        for (mine, theirs) in self.counters.iter_mut().zip(other.counters) {
            *mine += theirs;
        }
        self.forwarded += other.forwarded;
        self.delays.add(&other.delays);
        self.parties.add(other.parties);
        for (key, n) in other.received_by_hour {
            *self.received_by_hour.entry(key).or_insert(0) += n;
        }
        let room = UNRECOGNISED_SAMPLES.saturating_sub(self.unrecognised_samples.len());
        self.unrecognised_samples
            .extend(other.unrecognised_samples.into_iter().take(room));
    }

    /// Append the summary of the lines that directly follow this summary's lines.
    ///
    /// A message whose lines fall on both sides of the boundary is counted once.
    /// `self` must cover a log from its start (as every [`Summary::new`] does once
    /// the first part is appended to it).
    pub fn append(&mut self, mut later: Summary) {
        let tracker = std::mem::take(&mut later.messages);
        self.messages.resolve_as_start();
        self.messages.append(tracker, &mut later.parties);
        self.add_counts(later);
    }

    /// Add a summary of an unrelated log (another host, another day range).
    pub fn add(&mut self, mut other: Summary) {
        other.messages.resolve_as_start();
        self.extra.add(&other.messages.totals);
        self.add_counts(other);
    }

    /// Totals that depend on each message's history: distinct messages (by queue id /
    /// Exim message id), bytes received and delivered, messages deferred at least once.
    pub fn message_totals(&self) -> MessageTotals {
        // What `resolve_as_start` would add, without copying the live ids to find out.
        let mut totals = self.messages.totals;
        let blank = MessageState::default();
        for run in &self.messages.pending {
            totals.messages += 1;
            run.resolve(&blank, &mut totals, &self.messages.names);
        }
        totals.add(&self.extra);
        totals
    }

    /// Distinct messages seen (by queue id / Exim message id).
    pub fn messages(&self) -> u64 {
        self.message_totals().messages
    }

    /// Bring the per-day line runs into `lines_by_day`, and resolve what waits on the
    /// part before (this summary is then taken to start the log).
    pub fn finish(&mut self) {
        self.flush_day();
        self.messages.resolve_as_start();
    }

    /// Replace the message totals, for summaries rebuilt from a saved report.
    pub fn set_loaded_totals(&mut self, totals: MessageTotals) {
        self.messages = MessageTracker::default();
        self.extra = totals;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker_over(ids: &[(&str, i64, bool)]) -> MessageTracker {
        let mut t = MessageTracker::default();
        for (id, time, fin) in ids {
            t.observe(
                id.as_bytes(),
                Some(*time),
                *fin,
                LineNews::default(),
                &mut Parties::default(),
            );
        }
        t
    }

    #[test]
    fn sizes_and_deferrals_count_once_per_message_across_parts() {
        let news = |received, size, deferred, delivered| LineNews {
            received,
            size,
            deferred,
            delivered,
            ..LineNews::default()
        };
        let lines = [
            ("A1", news(true, None, false, false)),
            ("A1", news(false, Some(100), false, false)),
            ("A1", news(false, None, true, false)),
            ("A1", news(false, None, true, false)),
            ("A1", news(false, Some(999), false, false)),
            ("A1", news(false, None, false, true)),
            ("A1", news(false, None, false, true)),
            ("B2", news(false, None, false, true)),
            ("B2", news(true, Some(7), false, false)),
            ("B2", news(false, None, false, true)),
        ];
        let run = |part: &[(&str, LineNews)]| {
            let mut t = MessageTracker::default();
            for (i, (id, n)) in part.iter().enumerate() {
                t.observe(
                    id.as_bytes(),
                    Some(i as i64),
                    false,
                    *n,
                    &mut Parties::default(),
                );
            }
            t
        };
        let mut whole = run(&lines);
        whole.resolve_as_start();
        assert_eq!(
            whole.totals,
            MessageTotals {
                messages: 2,
                bytes_received: 107,
                // A delivery counts the latest size line before it (999).
                bytes_delivered: 2005,
                deferred_messages: 1
            }
        );
        for cut in 0..=lines.len() {
            let mut acc = MessageTracker::default();
            acc.append(run(&lines[..cut]), &mut Parties::default());
            acc.append(run(&lines[cut..]), &mut Parties::default());
            acc.resolve_as_start();
            assert_eq!(acc.totals, whole.totals, "cut at {cut}");
        }
    }

    #[test]
    fn message_split_across_parts_counts_once() {
        let all = [
            ("A1", 0, false),
            ("B2", 1, false),
            ("A1", 2, true),
            ("B2", 3, true),
        ];
        let mut whole = tracker_over(&all);
        whole.resolve_as_start();
        for cut in 0..=all.len() {
            let mut acc = MessageTracker::default();
            acc.append(tracker_over(&all[..cut]), &mut Parties::default());
            acc.append(tracker_over(&all[cut..]), &mut Parties::default());
            assert_eq!(acc.totals.messages, whole.totals.messages, "cut at {cut}");
        }
        assert_eq!(whole.totals.messages, 2);
    }

    #[test]
    fn reused_id_after_finish_or_silence_is_new() {
        let mut t = tracker_over(&[("A1", 0, true), ("A1", 10, false)]);
        t.resolve_as_start();
        assert_eq!(t.totals.messages, 2);
        let mut t = tracker_over(&[("A1", 0, false), ("A1", MESSAGE_LIFETIME_SECS + 1, false)]);
        t.resolve_as_start();
        assert_eq!(t.totals.messages, 2);
        let mut acc = MessageTracker::default();
        acc.append(tracker_over(&[("A1", 0, true)]), &mut Parties::default());
        acc.append(tracker_over(&[("A1", 5, false)]), &mut Parties::default());
        acc.resolve_as_start();
        assert_eq!(acc.totals.messages, 2);
    }

    #[test]
    fn an_id_reused_after_a_silence_credits_each_message_to_its_own_sender() {
        let later = MESSAGE_LIFETIME_SECS + 10;
        let arrival = |sender: &'static [u8], size| LineNews {
            received: true,
            size: Some(size),
            sender: Some(sender),
            client: Some(b"h[192.0.2.1]"),
            ..LineNews::default()
        };
        let delivery = LineNews {
            delivered: true,
            recipient: Some(b"r@x.test"),
            ..LineNews::default()
        };
        let lines = [
            (0, arrival(b"first@a.test", 10)),
            (1, delivery),
            (later, arrival(b"second@b.test", 20)),
            (later + 1, delivery),
        ];
        let run = |part: &[(i64, LineNews<'static>)]| {
            let mut t = MessageTracker::default();
            let mut p = Parties::default();
            for (time, news) in part {
                t.observe(b"A1", Some(*time), false, *news, &mut p);
            }
            (t, p)
        };
        let sorted = |t: &crate::parties::Tally<crate::parties::Traffic>| {
            let mut rows: Vec<_> = t
                .rows()
                .into_iter()
                .map(|(k, v)| (k, v.messages, v.bytes))
                .collect();
            rows.sort();
            rows
        };
        for cut in 0..=lines.len() {
            let mut acc = MessageTracker::default();
            let mut parties = Parties::default();
            for part in [&lines[..cut], &lines[cut..]] {
                let (t, mut p) = run(part);
                acc.resolve_as_start();
                acc.append(t, &mut p);
                parties.add(p);
            }
            acc.resolve_as_start();
            assert_eq!(acc.totals.messages, 2, "cut at {cut}");
            assert_eq!(acc.totals.bytes_received, 30, "cut at {cut}");
            assert_eq!(
                sorted(&parties.senders),
                vec![
                    ("first@a.test".to_string(), 1, 10),
                    ("second@b.test".to_string(), 1, 20)
                ],
                "cut at {cut}"
            );
            assert_eq!(
                sorted(&parties.recipients),
                vec![("r@x.test".to_string(), 2, 30)],
                "cut at {cut}"
            );
        }
    }
}
