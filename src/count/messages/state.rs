//! What the tracker knows of one message: its state so far ([`MessageState`]), and the
//! lines of its first run in a part of the log, kept until the part before is known
//! ([`Pending`]).
//!
//! Apart from the tracker, which only finds a message's state by its id and hands it each
//! line: how a line changes what is known, and how a run resolves against the part before,
//! is all here.

use super::attempts::{Attempts, HostError, HostReply, MAX_HOST_ERRORS};
use super::{IdKey, LineNews, MessageTotals, TakeBack};
use crate::count::parties::Parties;
use chrono::NaiveDate;

/// What is known of a message so far.
///
/// `size` is the latest size line's; a message *arrives* when it is both received and
/// sized, and is then credited to its first sender and its sending host. Until then those
/// two are kept in `rare` (few messages wait: Postfix logs the size right after `client=`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MessageState {
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
pub(super) struct Pending {
    pub(super) key: IdKey,
    pub(super) first: Option<i64>,
    /// The run's first line, counted from the start of its part.
    pub(super) first_line: u64,
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
    pub(super) ended: bool,
}

impl Pending {
    pub(super) fn new(key: IdKey, first: Option<i64>, first_line: u64) -> Pending {
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
    pub(super) fn take(
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
    pub(super) fn resolve(
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
    pub(super) fn correct(&self, before: &MessageState, parties: &mut Parties, names: &[u8]) {
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
    pub(super) fn state_after(self, before: MessageState, names: &[u8]) -> MessageState {
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
