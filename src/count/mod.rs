//! Counting: the mergeable summary of everything the parser found.
//!
//! Every reply or event line becomes one *fact*: its day, hour, MTA, event, reply code,
//! enhanced code and dsn. Every table in every report is a projection of the facts, so
//! adding two summaries is adding their fact counts.

use crate::code::{EnhancedCode, ReplyCode};
use crate::parse::{Counter, Event, LineKind, Mta, ParsedLine};
use crate::parties::Parties;
use crate::problems::{DiagnosticKey, DiagnosticTable, ProblemKey, ProblemTable};
use chrono::NaiveDate;
use rustc_hash::FxHashMap as HashMap;

/// How long a queue id may stay silent and still belong to the same message.
///
/// Postfix keeps a message at most `maximal_queue_lifetime` (5 days by default) and Exim
/// gives up after its retry rules (4 days by default); a week covers both.
pub const MESSAGE_LIFETIME_SECS: i64 = 7 * 86_400;

/// `host[127.0.0.1]`, `localhost[::1]`: a client on the loopback address, where content
/// filters re-inject.
fn is_loopback_host(client: &[u8]) -> bool {
    memchr::memrchr(b'[', client).is_some_and(|open| {
        let addr = &client[open + 1..];
        addr.starts_with(b"127.") || addr.starts_with(b"::1]") || addr.starts_with(b"IPv6:::1]")
    })
}

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

impl Fact {
    /// The fact as `level` keeps it (see [`crate::limits::MAX_FACTS`]): 1, codes outside
    /// the catalogue as `5.*.*`; 2, every day as one too; 3, no hour either; 4, no enhanced
    /// code or dsn either.
    pub fn at_level(self, level: u8) -> Fact {
        let code = |c: Option<EnhancedCode>| match level {
            0 => c,
            1..=3 => c.map(crate::limits::collapsed_code),
            _ => None,
        };
        Fact {
            enhanced: code(self.enhanced),
            dsn: code(self.dsn),
            day: self.day.map(|d| {
                if level < 2 {
                    d
                } else {
                    crate::limits::OTHER_DAY
                }
            }),
            hour: self.hour.filter(|_| level < 3),
            ..self
        }
    }
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
    /// Mail lines of verbose (`-v`) or debug logging (part of `mail`).
    pub debug: u64,
    /// Lines whose classic stamp names a date that does not exist (`Feb 29` of a common
    /// year): counted, with no date.
    pub bad_stamps: u64,
}

impl LineCounts {
    fn add(&mut self, other: &LineCounts) {
        self.total += other.total;
        self.mail += other.mail;
        self.other += other.other;
        self.unrecognised += other.unrecognised;
        self.debug += other.debug;
        self.bad_stamps += other.bad_stamps;
    }
}

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
struct ReplyNews<'a> {
    host: &'a [u8],
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
}

/// A host's reply, kept to match a later line of the same message.
#[derive(Clone, Debug, PartialEq, Eq)]
struct HostReply {
    host: Box<[u8]>,
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
}

impl HostReply {
    fn new(news: ReplyNews<'_>) -> HostReply {
        HostReply {
            host: news.host.into(),
            code: news.code,
            enhanced: news.enhanced,
        }
    }

    fn is(&self, other: &HostReply) -> bool {
        self.code == other.code && self.enhanced == other.enhanced && self.host == other.host
    }
}

/// A flagless host error as a line reports it: its reply, the fact it counts as, its problem
/// reason and the provider rule that problem matched.
type HostErrorNews<'a> = (
    ReplyNews<'a>,
    Fact,
    Option<&'a [u8]>,
    Option<crate::providers::Hit>,
);

/// A flagless Exim host-error line's reply: counted when read, taken back when an address
/// line of the same message repeats its host and reply (one reply, one count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostError {
    reply: HostReply,
    /// The fact it was counted as.
    pub(crate) fact: Fact,
    /// Its reason, when it was counted as a problem too.
    pub(crate) problem: Option<Box<[u8]>>,
    /// The provider rule its problem row matched.
    pub(crate) provider: Option<crate::providers::Hit>,
}

/// A message's host errors and address lines (Exim), as one run of its lines saw them.
///
/// Exim logs each host's error as it happens (no flag), then one line per address; a host
/// error after an address line begins the next delivery attempt, whose address lines do
/// not repeat the errors of the attempt before.
#[derive(Clone, Debug, Default)]
struct Attempts {
    /// Whether the latest such line was an address line (none: no such line yet).
    closed: Option<bool>,
    seen_error: bool,
    /// A host error came after an address line of this run.
    broke: bool,
    /// Boxed, since most messages have no host error and no reply on an address line.
    lists: Option<Box<AttemptLists>>,
}

/// Host errors (and address replies) kept per attempt: an attempt has one per MX host, so
/// only a forged log has more; past this they stay counted and are not matched.
const MAX_HOST_ERRORS: usize = 32;

/// The host errors and address replies of [`Attempts`].
#[derive(Clone, Debug, Default)]
struct AttemptLists {
    /// The run's host errors that no address line has repeated (of its latest attempt).
    errors: Vec<HostError>,
    /// Host replies of address lines until the run began an attempt of its own, and how
    /// many came before its first host error: these may repeat the part before's errors.
    replies: Vec<HostReply>,
    replies_before_error: usize,
}

impl Attempts {
    fn address_line(&mut self, reply: Option<ReplyNews<'_>>, backs: &mut Vec<TakeBack>) {
        if let Some(reply) = reply.map(HostReply::new) {
            let lists = self.lists.get_or_insert_with(Default::default);
            lists.errors.retain(|e| {
                let repeated = e.reply.is(&reply);
                if repeated {
                    backs.push(TakeBack::Reply(e.clone()));
                }
                !repeated
            });
            if !self.broke
                && lists.replies.len() < MAX_HOST_ERRORS
                && !lists.replies.iter().any(|r| r.is(&reply))
            {
                lists.replies.push(reply);
                if !self.seen_error {
                    lists.replies_before_error = lists.replies.len();
                }
            }
        }
        self.closed = Some(true);
    }

    fn host_error(&mut self, error: HostError) {
        let lists = self.lists.get_or_insert_with(Default::default);
        if self.closed == Some(true) {
            // A new attempt: the last one's errors stay counted.
            lists.errors.clear();
            self.broke = true;
        }
        self.seen_error = true;
        self.closed = Some(false);
        if lists.errors.len() < MAX_HOST_ERRORS {
            lists.errors.push(error);
        }
    }

    /// The address replies that may repeat the errors of the part before, given whether
    /// its latest line of the kind was an address line; and whether this run began a new
    /// attempt (so that those errors are final).
    fn against(&self, before_closed: bool) -> (&[HostReply], bool) {
        let replies = self.lists.as_ref().map_or(&[][..], |l| &l.replies);
        if before_closed {
            let n = self.lists.as_ref().map_or(0, |l| l.replies_before_error);
            (&replies[..n], self.seen_error)
        } else {
            (replies, self.broke)
        }
    }

    /// The run's own host errors not repeated yet.
    fn into_errors(self) -> Vec<HostError> {
        self.lists.map(|l| l.errors).unwrap_or_default()
    }
}

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
    /// The hour of a received line, and whether its client is on loopback (where a content
    /// filter re-injects).
    receipt_hour: Option<(NaiveDate, u8)>,
    loopback: bool,
    /// A flagless host error (Exim): its reply, the fact it counts as, its problem reason.
    /// (By reference: few lines have one, and every line's news is built.)
    host_error: Option<&'a HostErrorNews<'a>>,
    /// An Exim address line (`=>`, `->`, `==`, `**`), and the host reply it gives.
    address_line: bool,
    address_reply: Option<ReplyNews<'a>>,
    /// A content filter's hand-off named this id as its re-injection (`queued as ID`).
    reinjected: bool,
}

/// What is known of a message so far.
///
/// `size` is the latest size line's; a message *arrives* when it is both received and
/// sized, and is then credited to its first sender and its sending host. Until then those
/// two are kept in `rare` (few messages wait: Postfix logs the size right after `client=`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct MessageState {
    size: Option<u64>,
    received: bool,
    deferred: bool,
    /// A content filter's re-injection of a message received under another id: never an
    /// arrival of its own.
    reinjected: bool,
    rare: Option<Box<Rare>>,
}

/// What few messages need, out of line so that every message's state stays small.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rare {
    /// Sender and sending host while the message waits to arrive, and after a loopback
    /// arrival (a filter's hand-off may take it back).
    sender: Option<Box<[u8]>>,
    client: Option<Box<[u8]>>,
    /// A loopback receipt: its hour, for taking it back.
    loopback: bool,
    receipt_hour: Option<(NaiveDate, u8)>,
    /// Host errors no address line has repeated yet, and whether an address line came
    /// after them (their attempt is over, but for more address lines).
    host_errors: Vec<HostError>,
    closed: bool,
}

impl MessageState {
    fn arrived(&self) -> bool {
        self.received && !self.reinjected && self.size.is_some()
    }

    /// Nothing known: what a message that starts in a part looks like before it.
    fn is_blank(&self) -> bool {
        !self.received && self.size.is_none() && !self.reinjected
    }

    fn sender(&self) -> Option<&[u8]> {
        self.rare.as_ref()?.sender.as_deref()
    }

    fn client(&self) -> Option<&[u8]> {
        self.rare.as_ref()?.client.as_deref()
    }

    fn loopback(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.loopback)
    }

    fn receipt_hour(&self) -> Option<(NaiveDate, u8)> {
        self.rare.as_ref()?.receipt_hour
    }

    fn host_errors(&self) -> &[HostError] {
        self.rare.as_ref().map_or(&[], |r| &r.host_errors)
    }

    fn closed(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.closed)
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
    /// A message id was forgotten while its message was open (see [`MAX_SILENT_LINES`]):
    /// these totals may count a message twice.
    pub approximate: bool,
}

impl MessageTotals {
    fn add(&mut self, other: &MessageTotals) {
        self.messages += other.messages;
        self.bytes_received += other.bytes_received;
        self.bytes_delivered += other.bytes_delivered;
        self.deferred_messages += other.deferred_messages;
        self.approximate |= other.approximate;
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
    /// The run's first line, counted from the start of its part.
    first_line: u64,
    received: bool,
    /// The latest size.
    size: Option<u64>,
    /// The first size line's size and sender (in the tracker's `names`).
    first_size: Option<u64>,
    sender: Option<Span>,
    /// The first received line's sending host, and the size known right after it.
    client: Option<Span>,
    size_at_received: Option<u64>,
    /// Received lines counted, the first one's hour, and whether it came from loopback.
    receipts: u32,
    receipt_hour: Option<(NaiveDate, u8)>,
    loopback: bool,
    /// A filter's hand-off named this id as its re-injection.
    reinjected: bool,
    deferred: bool,
    delivered_before_size: u64,
    bytes_after_size: u64,
    /// Recipients (in `names`) of deliveries before any size line in this part: their
    /// bytes are known only from the part before.
    unsized_recipients: Vec<Span>,
    /// Host errors and address lines (they may take back the part before's host errors).
    attempts: Attempts,
    /// The run ended (finishing line, or a silence) before the end of the part.
    ended: bool,
}

impl Pending {
    fn new(key: IdKey, first: Option<i64>, first_line: u64) -> Pending {
        Pending {
            key,
            first,
            first_line,
            received: false,
            size: None,
            first_size: None,
            sender: None,
            client: None,
            size_at_received: None,
            receipts: 0,
            receipt_hour: None,
            loopback: false,
            reinjected: false,
            deferred: false,
            delivered_before_size: 0,
            bytes_after_size: 0,
            unsized_recipients: Vec::new(),
            attempts: Attempts::default(),
            ended: false,
        }
    }

    /// The size of the arrival this run makes on its own, as if the message started here:
    /// at its first received line if a size was known by then, else at its first size line.
    fn local_arrival(&self) -> Option<u64> {
        if self.received && !self.reinjected {
            self.size_at_received.or(self.first_size)
        } else {
            None
        }
    }

    /// Take one line. Returns whether its receipt (if it is a received line) counts.
    fn take(
        &mut self,
        news: &LineNews<'_>,
        parties: &mut Parties,
        names: &mut Vec<u8>,
        backs: &mut Vec<TakeBack>,
    ) -> bool {
        if news.reinjected && !self.reinjected {
            // What was counted of this message as an arrival was a filter's copy.
            if let Some(size) = self.local_arrival() {
                let sender = self.sender.map_or(&b""[..], |s| s.get(names));
                parties.take_back_arrival(sender, self.client.map(|c| c.get(names)), size);
            }
            for _ in 0..self.receipts {
                backs.push(TakeBack::Receipt(self.receipt_hour));
            }
            self.receipts = 0;
            self.reinjected = true;
        }
        let arrived = self.local_arrival().is_some();
        if self.size.is_none() && news.size.is_some() {
            self.first_size = news.size;
            self.sender = Some(Span::store(names, news.sender.unwrap_or_default()));
        }
        self.size = news.size.or(self.size);
        let counted = news.received && !self.reinjected;
        if counted {
            self.receipts += 1;
        }
        if news.received && !self.received {
            self.received = true;
            self.size_at_received = self.size;
            self.client = news.client.map(|c| Span::store(names, c));
            self.receipt_hour = news.receipt_hour;
            self.loopback = news.loopback;
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
        if news.address_line {
            self.attempts.address_line(news.address_reply, backs);
        }
        if let Some(&(reply, fact, problem, provider)) = news.host_error {
            self.attempts.host_error(HostError {
                reply: HostReply::new(reply),
                fact,
                problem: problem.map(Into::into),
                provider,
            });
        }
        counted
    }

    /// The arrival this run completes after what was known before: its size, sender and
    /// sending host (exactly what taking the lines one by one would credit).
    fn arrival<'s>(&self, before: &'s MessageState, names: &'s [u8]) -> Option<Arrival<'s>> {
        let sender = self.sender.map(|s| s.get(names));
        let client = self.client.map(|c| c.get(names));
        if before.arrived() || before.reinjected || self.reinjected {
            None
        } else if before.received {
            // Received before, sized here: at the first size line.
            let size = self.first_size?;
            Some((size, sender?, before.client()))
        } else if let Some(known) = before.size {
            // Sized before, received here: at the first received line.
            self.received.then(|| {
                let size = self.size_at_received.unwrap_or(known);
                let sender = before.sender().unwrap_or_default();
                (size, sender, client)
            })
        } else {
            let size = self.local_arrival()?;
            Some((size, sender?, client))
        }
    }

    /// Apply to what was known before: exactly what taking the lines one by one would do.
    fn resolve(
        &self,
        before: &MessageState,
        totals: &mut MessageTotals,
        names: &[u8],
        backs: &mut Vec<TakeBack>,
    ) {
        if let Some((size, _, _)) = self.arrival(before, names) {
            totals.bytes_received += size;
        }
        if self.reinjected && !before.reinjected && before.received {
            // The message that arrived before was a filter's copy. Its arrival may have been
            // credited in an earlier part: the summary takes it back once the parts are one.
            backs.push(TakeBack::Receipt(before.receipt_hour()));
            if let (true, Some(size)) = (before.arrived(), before.size) {
                totals.bytes_received = totals.bytes_received.saturating_sub(size);
                backs.push(TakeBack::Arrival(
                    before.sender().unwrap_or_default().into(),
                    before.client().map(Into::into),
                    size,
                ));
            }
        }
        if before.reinjected {
            for _ in 0..self.receipts {
                backs.push(TakeBack::Receipt(self.receipt_hour));
            }
        }
        let (replies, _) = self.attempts.against(before.closed());
        for error in before.host_errors() {
            if replies.iter().any(|r| r.is(&error.reply)) {
                backs.push(TakeBack::Reply(error.clone()));
            }
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
        let reinjected = before.reinjected || self.reinjected;
        let arrived = !reinjected && (self.arrival(&before, names).is_some() || before.arrived());
        let received = before.received || self.received;
        let size = self.size.or(before.size);
        let loopback = if before.received {
            before.loopback()
        } else {
            self.loopback
        };
        // Sender and host are kept while the message waits to arrive, and after a
        // loopback arrival, which a filter's hand-off may still take back.
        let keep = !reinjected && (!arrived || loopback);
        let sender = if keep && size.is_some() {
            if before.size.is_some() {
                before.sender().map(Into::into)
            } else {
                self.sender.map(|s| s.get(names).into())
            }
        } else {
            None
        };
        let client = if keep && received {
            if before.received {
                before.client().map(Into::into)
            } else {
                self.client.map(|c| c.get(names).into())
            }
        } else {
            None
        };
        let receipt_hour = if before.received {
            before.receipt_hour()
        } else {
            self.receipt_hour
        };
        let (replies, new_attempt) = self.attempts.against(before.closed());
        let mut host_errors: Vec<HostError> = if new_attempt {
            Vec::new()
        } else {
            before
                .host_errors()
                .iter()
                .filter(|e| !replies.iter().any(|r| r.is(&e.reply)))
                .cloned()
                .collect()
        };
        let closed = self.attempts.closed.unwrap_or(before.closed());
        host_errors.extend(self.attempts.into_errors());
        host_errors.truncate(MAX_HOST_ERRORS);
        let loopback = loopback && keep;
        let rare = (sender.is_some() || client.is_some() || loopback || !host_errors.is_empty())
            .then(|| {
                Box::new(Rare {
                    sender,
                    client,
                    loopback,
                    receipt_hour: receipt_hour.filter(|_| loopback),
                    closed: closed && !host_errors.is_empty(),
                    host_errors,
                })
            });
        MessageState {
            size,
            received,
            deferred: before.deferred || self.deferred,
            reinjected,
            rare,
        }
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
struct MessageTracker {
    /// Totals known for sure.
    totals: MessageTotals,
    /// First runs of ids in this part, in the order they began.
    pending: Vec<Pending>,
    /// Ids whose message is still open at the end of this part.
    live: HashMap<IdKey, Live>,
    /// Senders and hosts of the pending runs.
    names: Vec<u8>,
    /// Counts the summary must take back (drained after every line and every append).
    backs: Vec<TakeBack>,
    /// The host of the lines being observed (its key; see [`IdKey`]).
    host: u64,
}

fn silent_too_long(last: Option<i64>, now: Option<i64>) -> bool {
    matches!((last, now), (Some(last), Some(now)) if now - last > MESSAGE_LIFETIME_SECS)
}

/// An id not seen for more than [`MAX_SILENT_LINES`] lines.
fn forgotten(last_line: u64, line: u64) -> bool {
    line.saturating_sub(last_line) > MAX_SILENT_LINES
}

impl MessageTracker {
    /// Take one line of message `id`, the `line`th of this part. Returns whether its
    /// receipt (if it is a received line) counts.
    fn observe(
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
    fn append(&mut self, later: MessageTracker, parties: &mut Parties, offset: u64, end: u64) {
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
    fn forget_silent(&mut self, end: u64) {
        let before = self.live.len();
        self.live.retain(|_, open| !forgotten(open.last_line, end));
        self.totals.approximate |= self.live.len() < before;
    }

    /// Treat this part as the start of the log: every pending run is a new message.
    fn resolve_as_start(&mut self) {
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
    /// Lines per syslog host (`--by host`).
    pub hosts: crate::sources::SourceTable,
    /// Postfix and Exim lines per instance, the tag before its `/` (`--by instance`).
    pub instances: crate::sources::SourceTable,
    /// Lines by event, indexed like [`Event::ALL`] (for the host and instance tables).
    events: [u64; Event::ALL.len()],
    messages: MessageTracker,
    /// Which enhanced codes, days and daemon names are listed by name.
    limits: crate::limits::Limits,
    /// How much the facts leave out (see [`Fact::at_level`]).
    fact_level: u8,
    /// The facts as they would be without collapsed codes and days, once a collapse merged
    /// some: the level depends on these, so that it does not depend on when that happened.
    raw_facts: Option<rustc_hash::FxHashSet<Fact>>,
    /// Totals of summaries that were added with [`Summary::add`] or loaded.
    extra: MessageTotals,
    current_day: Option<(NaiveDate, u64, i64)>,
    current_hour: Option<((NaiveDate, u8), u64)>,
    /// The earliest and latest line stamps counted ([`crate::stamp::Stamp::scalar`], the
    /// wall time the log wrote), for the report's header; min and max add up in any order.
    pub seen: Option<(i64, i64)>,
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
        summary.messages.pending.reserve(ids / 4);
        summary.parties.reserve(ids / 4);
        summary
    }

    /// Count one parsed line of syslog `host` (empty: none) and tag `tag` (see
    /// [`crate::parse::Header`]): its host and instance, then as [`Summary::record`] does,
    /// message ids taken as this host's.
    #[inline]
    pub fn record_from(&mut self, host: &[u8], tag: &[u8], line: &ParsedLine<'_>, raw: &[u8]) {
        // The tables count runs of one name, by the running totals: nothing per line here
        // but the name's comparison and the event's count.
        let mail = !matches!(line.kind, LineKind::Other);
        if !self.hosts.is_current(host) || (mail && !self.instances.is_current_instance(tag)) {
            self.enter_source(host, tag, mail);
        }
        self.messages.host = self.hosts.key();
        if let Some(event) = line.event {
            self.events[event.index()] += 1;
        }
        self.record(line, raw);
    }

    /// Start a run of another host or instance (see [`Summary::record_from`]).
    #[cold]
    fn enter_source(&mut self, host: &[u8], tag: &[u8], mail: bool) {
        let now = self.running();
        self.hosts.enter(host, &now);
        if mail {
            self.instances.enter_instance(tag, &now);
        }
    }

    /// The running totals the host and instance tables count by (see [`crate::sources`]).
    fn running(&self) -> crate::sources::Running {
        crate::sources::Running {
            lines: self.lines.total - self.overlong_lines - self.malformed_entries,
            mail: self.lines.mail + self.lines.unrecognised,
            events: self.events,
        }
    }

    /// The host table, with the current run.
    pub fn host_table(&self) -> crate::sources::SourceTable {
        self.hosts.with_current(&self.running(), false)
    }

    /// The instance table, with the current run.
    pub fn instance_table(&self) -> crate::sources::SourceTable {
        self.instances.with_current(&self.running(), true)
    }

    /// Count one parsed line.
    pub fn record(&mut self, line: &ParsedLine<'_>, raw: &[u8]) {
        self.lines.total += 1;
        self.lines.bad_stamps += u64::from(line.bad_stamp);
        self.lines.debug += u64::from(line.debug);
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
        let time = self.count_day(line);
        // A forward is delivered again under a new id: that delivery is the recipient's.
        let delivered_to = line
            .recipient
            .filter(|_| line.event == Some(Event::Delivered) && !line.forwarded);
        let fact = (line.code.is_some() || line.event.is_some()).then(|| Fact {
            day: line.stamp.map(|s| s.date),
            hour: line.stamp.map(|s| s.hour()),
            mta,
            event: line.event,
            code: line.code,
            enhanced: line.enhanced,
            dsn: line.dsn,
            temporary: line.temporary,
        });
        let is_problem = ProblemTable::is_problem(line);
        // Matched on problem lines only, on the raw line: the normaliser masks the very
        // tokens (`[TSS04]`, hosts) that name a provider.
        let provider = if is_problem {
            crate::providers::rules().classify_line(line, raw)
        } else {
            None
        };
        let mut receipt_counts = line.received;
        if let Some(id) = line.message_id {
            let receipt_hour = if line.received {
                line.stamp.map(|s| (s.date, s.hour()))
            } else {
                None
            };
            // Exim names the host of a reply on its host-error and address lines.
            let (mut host_error, mut address_reply) = (None, None);
            if let (Some(host), Some(code), Some(fact)) = (line.reply_host, line.code, fact) {
                let reply = ReplyNews {
                    host,
                    code,
                    enhanced: line.enhanced,
                };
                if line.event.is_some() {
                    address_reply = Some(reply);
                } else {
                    let problem = is_problem.then(|| line.reason.unwrap_or_default());
                    host_error = Some((reply, fact, problem, provider));
                }
            }
            let host_error = host_error.as_ref();
            let news = LineNews {
                received: line.received,
                size: line.size,
                deferred: line.event == Some(Event::Deferred),
                delivered: line.event == Some(Event::Delivered),
                sender: line.sender,
                client: line.client,
                recipient: delivered_to,
                delay_ms: line.delay_ms,
                receipt_hour,
                loopback: line.received && line.client.is_some_and(is_loopback_host),
                host_error,
                address_line: mta == Mta::Exim
                    && matches!(
                        line.event,
                        Some(Event::Delivered | Event::Deferred | Event::Bounced | Event::Expired)
                    ),
                address_reply,
                reinjected: false,
            };
            let at = self.lines.total;
            receipt_counts = self.messages.observe(
                id,
                time,
                at,
                line.finishes_message,
                &news,
                &mut self.parties,
            );
            if let Some(copy) = line.queued_as {
                // The filter's copy, received under its own id: not an arrival.
                let news = LineNews {
                    reinjected: true,
                    ..LineNews::default()
                };
                self.messages
                    .observe(copy, time, at, false, &news, &mut self.parties);
            }
        } else if let Some(recipient) = delivered_to {
            self.parties.delivery(recipient, 0, line.delay_ms);
        }
        if let (Some(event @ (Event::Deferred | Event::Bounced)), Some(recipient)) =
            (line.event, line.recipient)
        {
            self.parties
                .failure(recipient, event == Event::Bounced, line.delay_ms);
        }
        if receipt_counts {
            self.received += 1;
            if let Some(stamp) = line.stamp {
                *self
                    .received_by_hour
                    .entry((self.limits.day_key(stamp.date), stamp.hour()))
                    .or_insert(0) += 1;
            }
        }
        if let Some(severity) = line.severity {
            let (listed, collapsed) = self.limits.daemon(line.program);
            if collapsed {
                self.collapse_daemons();
            }
            let program = if listed {
                String::from_utf8_lossy(line.program).into_owned()
            } else {
                crate::limits::OTHER_DAEMONS.to_string()
            };
            let key = DiagnosticKey {
                mta,
                program,
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
        if is_problem || fact.is_some() {
            let enhanced = line.enhanced.map(|c| self.code_key(c));
            let dsn = line.dsn.map(|c| self.code_key(c));
            if is_problem {
                self.problems.record_line(line, enhanced, dsn, provider);
            }
            if let Some(fact) = fact {
                let raw = fact.at_level(self.fact_level);
                // As counted: the level's view of the codes and day, and the limits' too.
                let fact = Fact {
                    day: raw.day.map(|d| self.limits.day_key(d)),
                    enhanced: enhanced.filter(|_| raw.enhanced.is_some()),
                    dsn: dsn.filter(|_| raw.dsn.is_some()),
                    ..raw
                };
                let new = match self.facts.entry(fact) {
                    std::collections::hash_map::Entry::Occupied(mut n) => {
                        *n.get_mut() += 1;
                        false
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(1);
                        true
                    }
                };
                let grew = match &mut self.raw_facts {
                    Some(raws) => raws.insert(raw),
                    None => new,
                };
                if grew {
                    self.fit_facts();
                }
            }
        }
        if !self.messages.backs.is_empty() {
            self.apply_take_backs();
        }
    }

    /// Take back what the message tracker found counted wrongly: host errors an address
    /// line repeated, receipts of a filter's re-injected copies.
    #[cold]
    fn apply_take_backs(&mut self) {
        for back in std::mem::take(&mut self.messages.backs) {
            match back {
                TakeBack::Reply(error) => {
                    // The reply as it is counted now: limits and the fact level may have
                    // moved its keys since it was recorded. (The set of raw facts keeps it:
                    // it was seen.)
                    let fact = self.counted_fact(error.fact);
                    if let Some(n) = self.facts.get_mut(&fact) {
                        *n -= 1;
                        if *n == 0 {
                            self.facts.remove(&fact);
                        }
                    }
                    if let Some(reason) = error.problem {
                        let enhanced = error.fact.enhanced.map(|c| self.counted_code(c));
                        self.problems
                            .take_back(error.fact.code, enhanced, error.provider, &reason);
                    }
                }
                TakeBack::Arrival(sender, client, size) => {
                    self.parties
                        .take_back_arrival(&sender, client.as_deref(), size);
                }
                TakeBack::Receipt(hour) => {
                    self.received = self.received.saturating_sub(1);
                    if let Some((day, hour)) = hour {
                        let hour = (self.limits.day_key(day), hour);
                        if let Some(n) = self.received_by_hour.get_mut(&hour) {
                            *n -= 1;
                            if *n == 0 {
                                self.received_by_hour.remove(&hour);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Count the line in its day; returns its stamp's [`crate::stamp::Stamp::scalar`].
    fn count_day(&mut self, line: &ParsedLine<'_>) -> Option<i64> {
        let stamp = line.stamp?;
        // Lines come in runs of one day: count the run, touch the map when the day changes.
        // The run keeps its day's first second, so a line's scalar is one addition.
        let midnight = match &mut self.current_day {
            Some((day, n, midnight)) if *day == stamp.date => {
                *n += 1;
                *midnight
            }
            _ => {
                self.flush_day();
                let midnight = stamp.midnight();
                self.current_day = Some((stamp.date, 1, midnight));
                if self.limits.day(stamp.date) {
                    self.collapse_days();
                }
                midnight
            }
        };
        let time = midnight + i64::from(stamp.secs);
        debug_assert_eq!(time, stamp.scalar());
        self.see(time, time);
        Some(time)
    }

    /// Widen the span of stamps seen to take in `first..=last`.
    pub fn see(&mut self, first: i64, last: i64) {
        self.seen = Some(match self.seen {
            Some((a, b)) => (a.min(first), b.max(last)),
            None => (first, last),
        });
    }

    /// The key a code recorded earlier is counted under now.
    fn counted_code(&self, code: EnhancedCode) -> EnhancedCode {
        if self.limits.reached().codes {
            crate::limits::collapsed_code(code)
        } else {
            code
        }
    }

    /// The key a fact recorded earlier (as the line gave it) is counted under now.
    fn counted_fact(&self, raw: Fact) -> Fact {
        let f = raw.at_level(self.fact_level);
        Fact {
            day: f.day.map(|d| self.limits.day_key(d)),
            enhanced: f.enhanced.map(|c| self.counted_code(c)),
            dsn: f.dsn.map(|c| self.counted_code(c)),
            ..f
        }
    }

    /// The key an enhanced code or dsn is counted under (see [`crate::limits`]).
    fn code_key(&mut self, code: EnhancedCode) -> EnhancedCode {
        let (key, collapsed) = self.limits.code(code);
        if collapsed {
            self.collapse_codes();
        }
        key
    }

    /// Move what was counted under codes outside the catalogue to their class's `5.*.*`.
    fn collapse_codes(&mut self) {
        self.keep_raw_facts();
        let key = |c: Option<EnhancedCode>| c.map(crate::limits::collapsed_code);
        self.rekey_facts(|f| Fact {
            enhanced: key(f.enhanced),
            dsn: key(f.dsn),
            ..f
        });
        let groups = std::mem::take(&mut self.problems.groups);
        for (k, mut group) in groups {
            let status = key(k.status);
            if status != k.status {
                // Groups merged from several codes keep no examples: which would come
                // first depends on when the codes collapsed.
                for stats in group.entries.values_mut() {
                    stats.examples.clear();
                }
            }
            self.problems
                .groups
                .entry(ProblemKey { status, ..k })
                .or_default()
                .add_all(group);
        }
    }

    /// Count every day as [`crate::limits::OTHER_DAY`].
    fn collapse_days(&mut self) {
        self.keep_raw_facts();
        let other = crate::limits::OTHER_DAY;
        let lines: u64 = self.lines_by_day.values().sum();
        self.lines_by_day.clear();
        if lines > 0 {
            self.lines_by_day.insert(other, lines);
        }
        let mut by_hour = HashMap::default();
        for ((_, hour), n) in self.received_by_hour.drain() {
            *by_hour.entry((other, hour)).or_insert(0) += n;
        }
        self.received_by_hour = by_hour;
        self.rekey_facts(|f| Fact {
            day: f.day.map(|_| other),
            ..f
        });
    }

    /// Count every daemon that is not always listed as [`crate::limits::OTHER_DAEMONS`].
    fn collapse_daemons(&mut self) {
        for (mut key, group) in std::mem::take(&mut self.diagnostics.groups) {
            if !crate::limits::is_listed_daemon(key.program.as_bytes()) {
                key.program = crate::limits::OTHER_DAEMONS.to_string();
            }
            self.diagnostics
                .groups
                .entry(key)
                .or_default()
                .add_all(group);
        }
    }

    /// Raise the fact level until the facts fit in [`crate::limits::MAX_FACTS`].
    fn fit_facts(&mut self) {
        let distinct = |s: &Summary| s.raw_facts.as_ref().map_or(s.facts.len(), |r| r.len());
        while distinct(self) > crate::limits::MAX_FACTS && self.fact_level < 4 {
            self.set_fact_level(self.fact_level + 1);
        }
    }

    /// Leave out the dimensions of `level` (if more than already).
    fn set_fact_level(&mut self, level: u8) {
        if level <= self.fact_level {
            return;
        }
        self.fact_level = level;
        // The first two levels are the limits on codes and days, reached early.
        let reached = crate::limits::Reached {
            codes: level >= 1,
            days: level >= 2,
            daemons: false,
        };
        let before = self.limits.reached();
        self.limits.collapse(reached);
        self.collapse_to(before, self.limits.reached());
        self.rekey_facts(|f| f.at_level(level));
        match self.raw_facts.take() {
            Some(raws) if self.raw_needed() => {
                self.raw_facts = Some(raws.into_iter().map(|f| f.at_level(level)).collect());
            }
            // The level merges what the limits did: the facts themselves are the measure.
            _ => {}
        }
    }

    /// Before a collapse merges facts: keep them as they are, for [`Summary::fit_facts`],
    /// unless the fact level merges them the same way anyway.
    fn keep_raw_facts(&mut self) {
        if self.raw_facts.is_none() && self.raw_needed() {
            self.raw_facts = Some(self.facts.keys().copied().collect());
        }
    }

    /// Whether the limits merged facts that the fact level alone would keep apart.
    fn raw_needed(&self) -> bool {
        let reached = self.limits.reached();
        (reached.codes && self.fact_level < 1) || (reached.days && self.fact_level < 2)
    }

    /// How much the facts leave out, as in [`Fact::at_level`] (more than
    /// [`crate::limits::MAX_FACTS`] combinations otherwise).
    pub fn fact_level(&self) -> u8 {
        self.fact_level
    }

    fn rekey_facts(&mut self, key: impl Fn(Fact) -> Fact) {
        let mut facts = HashMap::default();
        for (fact, n) in self.facts.drain() {
            *facts.entry(key(fact)).or_insert(0) += n;
        }
        self.facts = facts;
    }

    /// Bring a summary to the limits its side did not reach but the whole did.
    fn collapse_to(&mut self, before: crate::limits::Reached, after: crate::limits::Reached) {
        if after.codes && !before.codes {
            self.collapse_codes();
        }
        if after.days && !before.days {
            self.collapse_days();
        }
        if after.daemons && !before.daemons {
            self.collapse_daemons();
        }
    }

    /// Which limits on enhanced codes, days and daemon names were reached.
    pub fn limits_reached(&self) -> crate::limits::Reached {
        self.limits.reached()
    }

    /// Note the codes, days and daemons of a summary rebuilt from a saved report, and
    /// that the report reached `reached` and left out the fact dimensions of `fact_level`
    /// (`merge`).
    pub fn relimit(&mut self, reached: crate::limits::Reached, fact_level: u8) {
        self.raw_facts = None;
        self.set_fact_level(fact_level.min(4));
        let mut limits = crate::limits::Limits::default();
        limits.collapse(reached);
        let codes = self
            .facts
            .keys()
            .flat_map(|f| [f.enhanced, f.dsn])
            .chain(self.problems.groups.keys().map(|k| k.status))
            .flatten();
        for code in codes {
            if code.is_other() {
                limits.collapse(crate::limits::Reached {
                    codes: true,
                    ..Default::default()
                });
            }
            limits.code(code);
        }
        let days = self
            .lines_by_day
            .keys()
            .copied()
            .chain(self.received_by_hour.keys().map(|k| k.0))
            .chain(self.facts.keys().filter_map(|f| f.day));
        for day in days {
            if day == crate::limits::OTHER_DAY {
                limits.collapse(crate::limits::Reached {
                    days: true,
                    ..Default::default()
                });
            }
            limits.day(day);
        }
        for key in self.diagnostics.groups.keys() {
            limits.daemon_name(&key.program);
        }
        self.limits = limits;
        self.collapse_to(crate::limits::Reached::default(), self.limits.reached());
        self.fit_facts();
    }

    fn flush_day(&mut self) {
        if let Some((day, n, _)) = self.current_day.take() {
            let day = self.limits.day_key(day);
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
        // Each side's current runs end at its own totals.
        let (mine, theirs) = (self.running(), other.running());
        self.hosts
            .add(&mine, std::mem::take(&mut other.hosts), &theirs, false);
        self.instances
            .add(&mine, std::mem::take(&mut other.instances), &theirs, true);
        for (n, theirs) in self.events.iter_mut().zip(other.events) {
            *n += theirs;
        }
        let (mine, theirs) = (self.limits.reached(), other.limits.reached());
        let whole = self.limits.add(std::mem::take(&mut other.limits));
        // The other side now stands for the whole, so that it keeps its raw facts if the
        // whole needs them.
        other.limits.collapse(whole);
        self.collapse_to(mine, whole);
        other.collapse_to(theirs, whole);
        // Both at the whole's fact level, with the raw facts kept if either side kept them.
        let level = self.fact_level.max(other.fact_level);
        self.set_fact_level(level);
        other.set_fact_level(level);
        if self.raw_needed() {
            self.keep_raw_facts();
            other.keep_raw_facts();
            if let (Some(mine), Some(theirs)) = (&mut self.raw_facts, other.raw_facts.take()) {
                mine.extend(theirs);
            }
        }
        self.lines.add(&other.lines);
        for (day, n) in other.lines_by_day {
            *self.lines_by_day.entry(day).or_insert(0) += n;
        }
        for (fact, n) in other.facts {
            *self.facts.entry(fact).or_insert(0) += n;
        }
        self.fit_facts();
        self.received += other.received;
        self.overlong_lines += other.overlong_lines;
        self.malformed_entries += other.malformed_entries;
        self.outside_window += other.outside_window;
        if let Some((first, last)) = other.seen {
            self.see(first, last);
        }
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
        let offset = self.lines.total;
        let end = offset + later.lines.total;
        self.messages
            .append(tracker, &mut later.parties, offset, end);
        self.add_counts(later);
        // After the later part's counts are in: some of what is taken back is theirs.
        self.apply_take_backs();
    }

    /// Add a summary of an unrelated log (another host, another day range).
    pub fn add(&mut self, mut other: Summary) {
        other.finish_messages();
        self.extra.add(&other.messages.totals);
        self.add_counts(other);
    }

    /// Totals that depend on each message's history: distinct messages (by queue id /
    /// Exim message id), bytes received and delivered, messages deferred at least once.
    pub fn message_totals(&self) -> MessageTotals {
        // What `resolve_as_start` would add, without copying the live ids to find out.
        let mut totals = self.messages.totals;
        let blank = MessageState::default();
        let mut backs = Vec::new();
        for run in &self.messages.pending {
            totals.messages += 1;
            run.resolve(&blank, &mut totals, &self.messages.names, &mut backs);
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
        self.finish_messages();
    }

    /// Resolve the pending runs as the start of the log, and forget the ids silent too
    /// long at its end (the same as later lines would have).
    fn finish_messages(&mut self) {
        self.messages.resolve_as_start();
        self.messages.forget_silent(self.lines.total);
        self.apply_take_backs();
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

    #[test]
    fn loopback_clients_are_told_by_the_address_in_their_last_brackets() {
        let loopback = [
            &b"localhost[127.0.0.1]"[..],
            b"localhost[127.0.0.2]",
            b"localhost[::1]",
            b"localhost[IPv6:::1]",
            b"[127.0.0.1]",
        ];
        let remote = [
            &b"mx.example.com[192.0.2.1]"[..],
            b"mx[::10]",
            b"mx[IPv6:::1:2]",
            b"127.0.0.1",
            b"a[127.0.0.1]b[10.0.0.1]",
            b"",
        ];
        for (clients, expected) in [(&loopback[..], true), (&remote[..], false)] {
            for client in clients {
                let shown = String::from_utf8_lossy(client);
                assert_eq!(is_loopback_host(client), expected, "{shown}");
            }
        }
    }

    fn tracker_over(ids: &[(&str, i64, bool)]) -> MessageTracker {
        let mut t = MessageTracker::default();
        for (id, time, fin) in ids {
            t.observe(
                id.as_bytes(),
                Some(*time),
                0,
                *fin,
                &LineNews::default(),
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
                    i as u64,
                    false,
                    n,
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
                deferred_messages: 1,
                approximate: false
            }
        );
        for cut in 0..=lines.len() {
            let mut acc = MessageTracker::default();
            acc.append(run(&lines[..cut]), &mut Parties::default(), 0, 0);
            acc.append(run(&lines[cut..]), &mut Parties::default(), 0, 0);
            acc.resolve_as_start();
            assert_eq!(acc.totals, whole.totals, "cut at {cut}");
        }
    }

    #[test]
    fn facts_leave_out_the_hour_exactly_when_the_whole_has_too_many() {
        use crate::limits::MAX_FACTS;
        let fact = |i: usize| Fact {
            day: NaiveDate::from_ymd_opt(2026, 1, 1)
                .map(|d| d + chrono::Days::new((i / 9600) as u64)),
            hour: Some((i / 400 % 24) as u8),
            mta: Mta::Postfix,
            event: Some(Event::Rejected),
            code: ReplyCode::new(200 + (i % 400) as u16),
            enhanced: None,
            dsn: None,
            temporary: false,
        };
        let part = |range: std::ops::Range<usize>| {
            let mut s = Summary::default();
            for i in range {
                s.facts.insert(fact(i), 1);
                s.fit_facts();
            }
            s
        };
        let at_limit = part(0..MAX_FACTS);
        assert_eq!(at_limit.fact_level(), 0);
        // Collapsing codes does not make them fit (there are none outside the catalogue);
        // collapsing the 21 days does, and the hours stay.
        let whole = part(0..MAX_FACTS + 1);
        assert_eq!(whole.fact_level(), 2);
        assert_eq!(whole.facts.len(), 400 * 24);
        assert!(whole
            .facts
            .keys()
            .all(|f| f.day == Some(crate::limits::OTHER_DAY) && f.hour.is_some()));
        assert!(whole.limits_reached().days);
        assert_eq!(whole.facts.values().sum::<u64>(), MAX_FACTS as u64 + 1);
        // Two parts under the limit, over it together: the same as the whole.
        let mut left = part(0..MAX_FACTS / 2 + 7);
        left.add_counts(part(MAX_FACTS / 2..MAX_FACTS + 1));
        assert_eq!(left.fact_level(), 2);
        let total = |s: &Summary| {
            let mut v: Vec<(Fact, u64)> = s.facts.iter().map(|(f, n)| (*f, *n)).collect();
            v.sort();
            v
        };
        let mut overlap = total(&whole);
        for (f, n) in &mut overlap {
            // The overlapping facts were counted twice.
            let twice = (MAX_FACTS / 2..MAX_FACTS / 2 + 7).filter(|&i| fact(i).at_level(2) == *f);
            *n += twice.count() as u64;
        }
        assert_eq!(total(&left), overlap);
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
            acc.append(tracker_over(&all[..cut]), &mut Parties::default(), 0, 0);
            acc.append(tracker_over(&all[cut..]), &mut Parties::default(), 0, 0);
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
        acc.append(
            tracker_over(&[("A1", 0, true)]),
            &mut Parties::default(),
            0,
            0,
        );
        acc.append(
            tracker_over(&[("A1", 5, false)]),
            &mut Parties::default(),
            0,
            0,
        );
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
                t.observe(b"A1", Some(*time), 0, false, news, &mut p);
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
                acc.append(t, &mut p, 0, 0);
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
