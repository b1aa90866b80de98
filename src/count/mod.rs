//! Counting: the mergeable summary of everything the parser found.
//!
//! Every reply or event line becomes one *fact*: its day, hour, MTA, event, reply code,
//! enhanced code and dsn. Every table in every report is a projection of the facts, so
//! adding two summaries is adding their fact counts.
//!
//! [`Summary`] and its adding up are here; counting one line is in `record`, and how the
//! facts' keys collapse under the limits and the fact level in `collapse`. The tables a
//! summary holds have modules of their own: the message tracker (`messages`), delivery
//! delays ([`delays`]), problems and diagnostics ([`problems`], their text normaliser in
//! [`normalise`]), senders and recipients ([`parties`]) and blocklists ([`blocklists`]).

pub mod blocklists;
mod collapse;
pub mod delays;
mod messages;
pub mod normalise;
pub mod parties;
pub mod problems;
mod record;

pub use messages::{MessageTotals, MAX_SILENT_LINES, MESSAGE_LIFETIME_SECS};

use crate::code::{EnhancedCode, ReplyCode};
use crate::parse::{Counter, Event, Mta};
use chrono::NaiveDate;
use delays::DelayHistogram;
use messages::MessageTracker;
use parties::Parties;
use problems::{DiagnosticTable, ProblemTable};
use rustc_hash::FxHashMap as HashMap;

/// How many unrecognised lines a summary keeps as examples.
pub const UNRECOGNISED_SAMPLES: usize = 20;

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
    pub blocklists: blocklists::Blocklists,
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
    /// The earliest and latest line stamps counted ([`crate::stamp::Stamp::scalar`], the
    /// wall time the log wrote), for the report's header; min and max add up in any order.
    seen: Option<(i64, i64)>,
}

impl Summary {
    /// An empty summary that stands at the start of a log, keeping up to
    /// [`DEFAULT_MAX_DISTINCT`](parties::DEFAULT_MAX_DISTINCT) keys per party table.
    pub fn new() -> Summary {
        let mut summary = Summary::default();
        summary.set_max_distinct(parties::DEFAULT_MAX_DISTINCT);
        summary
    }

    /// Set how many senders, hosts, recipients and domains each table keeps exactly
    /// (past that, a reproducible sample; see [`parties`]).
    pub fn set_max_distinct(&mut self, limit: usize) {
        self.parties.set_limit(limit);
    }

    /// An empty summary with room for about `ids` message ids, so that counting a chunk
    /// does not keep growing its maps.
    pub fn with_capacity(ids: usize) -> Summary {
        let mut summary = Summary::default();
        summary.messages.reserve(ids / 4);
        summary.parties.reserve(ids / 4);
        summary
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

    /// The earliest and latest line stamps counted ([`crate::stamp::Stamp::scalar`]), if any.
    pub fn seen(&self) -> Option<(i64, i64)> {
        self.seen
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
        let mut totals = self.messages.totals_as_start();
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
