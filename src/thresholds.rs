//! Alert thresholds (`--fail-if bounced>5%`): checks a finished report against limits, so
//! that a cron job or a monitoring check can act on the exit status.
//!
//! A threshold is `METRIC OP VALUE` or `METRIC OP VALUE%`, OP one of `>`, `>=`, `<`, `<=`.
//! Percentages have a base that depends on the metric, so that each reads naturally:
//! - delivery events (`delivered`, `deferred`, `bounced`, `expired`): their share of delivery
//!   outcomes (delivered + deferred + bounced + expired);
//! - events of arrival (`rejected`, `reject_warning`, `held`, `discarded`): their share of
//!   messages offered (received + rejected);
//! - reply classes (`2xx`...`5xx`), `code:NNN`, `enhanced:X.Y.Z`: their share of replies;
//! - line kinds (`mail`, `other`, `unrecognised`, `overlong`, `malformed`): their share of lines.
//!
//! A share of an empty base is 0%.

use crate::code::{EnhancedCode, ReplyCode};
use crate::parse::Event;
use crate::report::Report;
use std::fmt;
use std::str::FromStr;

/// What a threshold measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Lines with this event.
    Event(Event),
    /// Replies of a class (`5xx` is 5).
    Class(u8),
    /// Replies with this code.
    Code(ReplyCode),
    /// Replies with this enhanced code.
    Enhanced(EnhancedCode),
    /// Lines of a kind (`mail`, `other`, `unrecognised`, `overlong`, `malformed`).
    Lines(&'static str),
    /// All replies.
    Replies,
    /// Messages received.
    Received,
}

/// How a value is compared with its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `>`
    Above,
    /// `>=`
    AtLeast,
    /// `<`
    Below,
    /// `<=`
    AtMost,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Above => ">",
            Op::AtLeast => ">=",
            Op::Below => "<",
            Op::AtMost => "<=",
        }
    }

    fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Above => value > limit,
            Op::AtLeast => value >= limit,
            Op::Below => value < limit,
            Op::AtMost => value <= limit,
        }
    }
}

/// One `--fail-if` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// What is measured.
    pub metric: Metric,
    /// How it is compared.
    pub op: Op,
    /// The limit: a count, or a percentage when `percent`.
    pub limit: f64,
    /// Whether the limit is a share in percent.
    pub percent: bool,
    /// The expression as written, for messages.
    pub text: String,
}

/// Why an expression was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot read threshold {text:?}: {why}. Use METRIC>N, METRIC>=N%, ... where METRIC is an event (delivered, deferred, bounced, expired, rejected, reject_warning, held, discarded, filtered), a class (2xx..5xx), code:NNN, enhanced:X.Y.Z, a line kind (mail, other, unrecognised, overlong, malformed), replies or received; e.g. bounced>5% deferred>=200 code:421>100 enhanced:5.7.26>0")]
pub struct ThresholdError {
    /// The expression.
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Threshold, ThresholdError> {
        let fail = |why: &str| ThresholdError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let at = compact
            .find(['<', '>'])
            .ok_or_else(|| fail("no comparison (>, >=, <, <=)"))?;
        let (name, rest) = compact.split_at(at);
        let (op, value) = if let Some(v) = rest.strip_prefix(">=") {
            (Op::AtLeast, v)
        } else if let Some(v) = rest.strip_prefix("<=") {
            (Op::AtMost, v)
        } else if let Some(v) = rest.strip_prefix('>') {
            (Op::Above, v)
        } else {
            (Op::Below, &rest[1..])
        };
        let (value, percent) = match value.strip_suffix('%') {
            Some(v) => (v, true),
            None => (value, false),
        };
        let limit: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| fail("the limit is not a number of 0 or more"))?;
        if percent && limit > 100.0 {
            return Err(fail("a share cannot be over 100%"));
        }
        let metric = parse_metric(name).ok_or_else(|| fail("unknown metric"))?;
        if percent && matches!(metric, Metric::Replies | Metric::Received) {
            return Err(fail("replies and received are counts, not shares"));
        }
        Ok(Threshold {
            metric,
            op,
            limit,
            percent,
            text: compact,
        })
    }
}

fn parse_metric(name: &str) -> Option<Metric> {
    let lower = name.to_ascii_lowercase();
    if let Some(code) = lower.strip_prefix("code:") {
        return code.parse().ok().map(Metric::Code);
    }
    if let Some(code) = lower.strip_prefix("enhanced:") {
        return code.parse().ok().map(Metric::Enhanced);
    }
    if let Some(event) = Event::from_name(&lower) {
        return Some(Metric::Event(event));
    }
    match lower.as_str() {
        "2xx" | "3xx" | "4xx" | "5xx" => Some(Metric::Class(lower.as_bytes()[0] - b'0')),
        "mail" => Some(Metric::Lines("mail")),
        "other" => Some(Metric::Lines("other")),
        "unrecognised" | "unrecognized" => Some(Metric::Lines("unrecognised")),
        "overlong" => Some(Metric::Lines("overlong")),
        "malformed" => Some(Metric::Lines("malformed")),
        "replies" => Some(Metric::Replies),
        "received" => Some(Metric::Received),
        _ => None,
    }
}

/// A threshold that a report exceeded, with the value it had.
#[derive(Clone, Debug, PartialEq)]
pub struct Exceeded {
    /// The threshold.
    pub threshold: Threshold,
    /// The measured value (a share in percent when the threshold is one).
    pub value: f64,
    /// The count behind it.
    pub count: u64,
    /// The base of the share.
    pub base: u64,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let t = &self.threshold;
        let name = t.text.split(['<', '>']).next().unwrap_or_default();
        if t.percent {
            write!(
                f,
                "{name} {:.1}% {} {}% ({} of {})",
                self.value,
                t.op.symbol(),
                t.limit,
                self.count,
                self.base
            )
        } else {
            write!(f, "{name} {} {} {}", self.count, t.op.symbol(), t.limit)
        }
    }
}

/// The count a metric has in a report, and the base of its share.
fn measure(metric: &Metric, report: &Report) -> (u64, u64) {
    let e = &report.by_event;
    let outcomes = e.delivered + e.deferred + e.bounced + e.expired;
    let offered = report.received + e.rejected;
    let l = &report.lines;
    match metric {
        Metric::Event(event) => {
            let base = match event {
                Event::Delivered | Event::Deferred | Event::Bounced | Event::Expired => outcomes,
                Event::Filtered => outcomes + e.filtered,
                _ => offered,
            };
            (e.get(*event), base)
        }
        Metric::Class(digit) => {
            let class = crate::code::Class::from_digit(*digit).expect("2..=5");
            (report.by_class.get(class), report.replies)
        }
        Metric::Code(code) => {
            let name = code.value().to_string();
            let count = report
                .by_code
                .iter()
                .filter(|row| row.code == name)
                .map(|row| row.count)
                .sum();
            (count, report.replies)
        }
        Metric::Enhanced(code) => {
            let name = code.to_string();
            let count = report
                .by_enhanced
                .iter()
                .filter(|row| row.code == name)
                .map(|row| row.count)
                .sum();
            (count, report.replies)
        }
        Metric::Lines(kind) => {
            let count = match *kind {
                "mail" => l.mail,
                "other" => l.other,
                "unrecognised" => l.unrecognised,
                "overlong" => l.overlong,
                _ => l.malformed,
            };
            (count, l.total)
        }
        Metric::Replies => (report.replies, 0),
        Metric::Received => (report.received, 0),
    }
}

/// The thresholds a report exceeds, in the order given.
pub fn check(thresholds: &[Threshold], report: &Report) -> Vec<Exceeded> {
    thresholds
        .iter()
        .filter_map(|t| {
            let (count, base) = measure(&t.metric, report);
            let value = if t.percent {
                if base == 0 {
                    0.0
                } else {
                    count as f64 * 100.0 / base as f64
                }
            } else {
                count as f64
            };
            t.op.holds(value, t.limit).then(|| Exceeded {
                threshold: t.clone(),
                value,
                count,
                base,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_of_every_form() {
        let t: Threshold = "bounced>5%".parse().unwrap();
        assert_eq!(
            (t.metric, t.op, t.limit, t.percent),
            (Metric::Event(Event::Bounced), Op::Above, 5.0, true)
        );
        let t: Threshold = "deferred >= 200".parse().unwrap();
        assert_eq!((t.op, t.limit, t.percent), (Op::AtLeast, 200.0, false));
        let t: Threshold = "code:421>100".parse().unwrap();
        assert_eq!(t.metric, Metric::Code("421".parse().unwrap()));
        let t: Threshold = "enhanced:5.7.26>0".parse().unwrap();
        assert_eq!(t.metric, Metric::Enhanced("5.7.26".parse().unwrap()));
        assert_eq!(
            "5xx>2%".parse::<Threshold>().unwrap().metric,
            Metric::Class(5)
        );
        assert_eq!(
            "delivered<=90.5%".parse::<Threshold>().unwrap().op,
            Op::AtMost
        );
        assert_eq!("received<1".parse::<Threshold>().unwrap().op, Op::Below);
        assert_eq!(
            "unrecognised>0".parse::<Threshold>().unwrap().metric,
            Metric::Lines("unrecognised")
        );
    }

    #[test]
    fn bad_expressions_say_what_is_accepted() {
        for bad in [
            "bounced",
            "bounced>",
            "bounced>x",
            "bounced>-1",
            "bounced>101%",
            "bounced>NaN",
            "bounces>5",
            "code:999>1",
            "code:42>1",
            "enhanced:5.7>1",
            "replies>5%",
            ">5",
            "",
        ] {
            let err = bad.parse::<Threshold>().unwrap_err().to_string();
            assert!(err.contains("bounced>5%"), "{bad}: {err}");
        }
    }
}
