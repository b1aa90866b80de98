//! Counting one line into a [`Summary`]: the hot path, from a parsed line to every table
//! it counts in.
//!
//! Apart from the summary's definition and adding up because it is the one place that
//! knows what each kind of line counts as; the tables only count what they are told.

use super::messages::{LineNews, ReplyNews, TakeBack};
use super::problems::{DiagnosticKey, ProblemTable};
use super::{Fact, Summary, UNRECOGNISED_SAMPLES};
use crate::parse::{Event, LineKind, Mta, ParsedLine};

/// `host[127.0.0.1]`, `localhost[::1]`: a client on the loopback address, where content
/// filters re-inject.
fn is_loopback_host(client: &[u8]) -> bool {
    memchr::memrchr(b'[', client).is_some_and(|open| {
        let addr = &client[open + 1..];
        addr.starts_with(b"127.") || addr.starts_with(b"::1]") || addr.starts_with(b"IPv6:::1]")
    })
}

impl Summary {
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
    pub(super) fn apply_take_backs(&mut self) {
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

    /// Bring the current day's run of lines into `lines_by_day`.
    pub(super) fn flush_day(&mut self) {
        if let Some((day, n, _)) = self.current_day.take() {
            let day = self.limits.day_key(day);
            *self.lines_by_day.entry(day).or_insert(0) += n;
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
}
