//! Exim's host errors and the delivery attempts they belong to, per message.
//!
//! Apart from the tracker because only Exim needs it: a host error (no flag) is counted
//! when read, and taken back when an address line of the same attempt repeats its host
//! and reply.

use super::{ReplyNews, TakeBack};
use crate::code::{EnhancedCode, ReplyCode};
use crate::count::Fact;

/// A host's reply, kept to match a later line of the same message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HostReply {
    host: Box<[u8]>,
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
}

impl HostReply {
    pub(super) fn new(news: ReplyNews<'_>) -> HostReply {
        HostReply {
            host: news.host.into(),
            code: news.code,
            enhanced: news.enhanced,
        }
    }

    pub(super) fn is(&self, other: &HostReply) -> bool {
        self.code == other.code && self.enhanced == other.enhanced && self.host == other.host
    }
}

/// A flagless Exim host-error line's reply: counted when read, taken back when an address
/// line of the same message repeats its host and reply (one reply, one count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostError {
    pub(super) reply: HostReply,
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
pub(super) struct Attempts {
    /// Whether the latest such line was an address line (none: no such line yet).
    pub(super) closed: Option<bool>,
    seen_error: bool,
    /// A host error came after an address line of this run.
    broke: bool,
    /// Boxed, since most messages have no host error and no reply on an address line.
    lists: Option<Box<AttemptLists>>,
}

/// Host errors (and address replies) kept per attempt: an attempt has one per MX host, so
/// only a forged log has more; past this they stay counted and are not matched.
pub(super) const MAX_HOST_ERRORS: usize = 32;

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
    pub(super) fn address_line(&mut self, reply: Option<ReplyNews<'_>>, backs: &mut Vec<TakeBack>) {
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

    pub(super) fn host_error(&mut self, error: HostError) {
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
    pub(super) fn against(&self, before_closed: bool) -> (&[HostReply], bool) {
        let replies = self.lists.as_ref().map_or(&[][..], |l| &l.replies);
        if before_closed {
            let n = self.lists.as_ref().map_or(0, |l| l.replies_before_error);
            (&replies[..n], self.seen_error)
        } else {
            (replies, self.broke)
        }
    }

    /// The run's own host errors not repeated yet.
    pub(super) fn into_errors(self) -> Vec<HostError> {
        self.lists.map(|l| l.errors).unwrap_or_default()
    }
}
