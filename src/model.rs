//! The shared vocabulary of smtplog: the mail software ([`Mta`]), what a line reports
//! ([`Event`], [`Counter`], [`Dnsbl`], [`LineKind`]), how bad it is ([`Severity`]) and the
//! stages a rejection happens at ([`STAGES`]). The parser makes them; the summary and the
//! reports count and show them. They are re-exported from [`crate::parse`].

use serde::{Deserialize, Serialize};

/// The mail software that wrote a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mta {
    /// Postfix, any daemon and any `syslog_name`.
    Postfix,
    /// Exim, its own mainlog or through syslog.
    Exim,
}

impl Mta {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mta::Postfix => "postfix",
            Mta::Exim => "exim",
        }
    }
}

/// What happened to a message or a recipient, at most one per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Postfix `status=sent`; Exim `=>`, `->`.
    Delivered,
    /// Postfix `status=deferred`; Exim `==`.
    Deferred,
    /// Postfix `status=bounced`; Exim `**` (but retry timeouts).
    Bounced,
    /// Postfix qmgr `status=expired`; Exim `** ... retry timeout exceeded`.
    Expired,
    /// A reply refused a client: Postfix `reject:`, `milter-reject:`; Exim `rejected ...`.
    Rejected,
    /// Postfix `reject_warning:`: a reject that was only logged, never sent.
    RejectWarning,
    /// Postfix `hold:` actions: the message went to the hold queue.
    Held,
    /// Postfix `discard:` actions: accepted and thrown away.
    Discarded,
    /// Handed to a content filter (amavis and the like) that sends it back in: the message
    /// is delivered later under a new queue id, so this is not counted as delivered.
    Filtered,
}

impl Event {
    /// All events in report order.
    pub const ALL: [Event; 9] = [
        Event::Delivered,
        Event::Deferred,
        Event::Bounced,
        Event::Expired,
        Event::Rejected,
        Event::RejectWarning,
        Event::Held,
        Event::Discarded,
        Event::Filtered,
    ];

    /// Name used in reports and JSON keys.
    pub fn name(self) -> &'static str {
        match self {
            Event::Delivered => "delivered",
            Event::Deferred => "deferred",
            Event::Bounced => "bounced",
            Event::Expired => "expired",
            Event::Rejected => "rejected",
            Event::RejectWarning => "reject_warning",
            Event::Held => "held",
            Event::Discarded => "discarded",
            Event::Filtered => "filtered",
        }
    }

    /// Position in [`Event::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parse a name as written by [`Event::name`].
    pub fn from_name(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// How bad a diagnostic line is (Postfix `warning:`, `error:`, `fatal:`, `panic:`), or
/// `info` for what the master daemon says of itself (started, reloaded, stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A master daemon message that is not a warning (`daemon started`, `reload`,
    /// `terminating on signal 15`): pflogsumm's "Master daemon messages".
    Info,
    /// `warning:`
    Warning,
    /// `error:`
    Error,
    /// `fatal:`: the process gave up.
    Fatal,
    /// `panic:`: a bug.
    Panic,
}

impl Severity {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
            Severity::Panic => "panic",
        }
    }
}

/// Connection-level happenings that are counted, not explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    /// Postfix smtpd `connect from`.
    SmtpdConnect,
    /// Postfix postscreen `CONNECT from`.
    PostscreenConnect,
    /// postscreen `PASS NEW`: a new client passed the tests.
    PostscreenPassNew,
    /// postscreen `PASS OLD`: a known client.
    PostscreenPassOld,
    /// postscreen `PREGREET`: the client spoke before the greeting.
    PostscreenPregreet,
    /// postscreen `DNSBL rank`: the client is on a DNS blocklist.
    PostscreenDnsbl,
    /// postscreen `HANGUP`: the client hung up during the tests.
    PostscreenHangup,
    /// Exim `SMTP connection from`.
    EximConnect,
    /// Exim could not reach a host of a message (`mx [ip] Connection timed out`, refused,
    /// unreachable): a connection failure with no reply.
    EximConnectFailed,
}

impl Counter {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Counter::SmtpdConnect => "smtpd connections",
            Counter::PostscreenConnect => "postscreen connections",
            Counter::PostscreenPassNew => "postscreen PASS NEW",
            Counter::PostscreenPassOld => "postscreen PASS OLD",
            Counter::PostscreenPregreet => "postscreen PREGREET",
            Counter::PostscreenDnsbl => "postscreen DNSBL listed",
            Counter::PostscreenHangup => "postscreen HANGUP",
            Counter::EximConnect => "exim SMTP connections",
            Counter::EximConnectFailed => "exim connection failures",
        }
    }

    /// All counters, in report order.
    pub const ALL: [Counter; 9] = [
        Counter::SmtpdConnect,
        Counter::PostscreenConnect,
        Counter::PostscreenPassNew,
        Counter::PostscreenPassOld,
        Counter::PostscreenPregreet,
        Counter::PostscreenDnsbl,
        Counter::PostscreenHangup,
        Counter::EximConnect,
        Counter::EximConnectFailed,
    ];
}

/// What a line says about DNS blocklists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dnsbl<'a> {
    /// postscreen `DNSBL rank N for [ip]:port`: the client's combined blocklist score.
    Rank(u32),
    /// dnsblog `addr IP listed by domain LIST as REPLY`: one blocklist listed a client.
    Listed {
        /// The blocklist's domain (`zen.spamhaus.org`).
        list: &'a [u8],
        /// What it answered (`127.0.0.4`).
        reply: &'a [u8],
    },
}

/// How a line was understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// A Postfix or Exim line of a known shape.
    Mail(Mta),
    /// A line of another program, or with no header at all.
    Other,
    /// A Postfix or Exim line of a shape the parser does not know.
    Unrecognised(Mta),
}

/// The stages a rejection can happen at, by their names in Postfix and Exim logs.
pub const STAGES: [&str; 13] = [
    "CONNECT",
    "HELO",
    "EHLO",
    "MAIL",
    "RCPT",
    "DATA",
    "BDAT",
    "END-OF-MESSAGE",
    "header",
    "body",
    "VRFY",
    "ETRN",
    "AUTH",
];

/// The stage named by a word of a log line, if it is one.
pub fn stage_of(word: &[u8]) -> Option<&'static str> {
    STAGES.iter().copied().find(|s| s.as_bytes() == word)
}
