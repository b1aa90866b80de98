//! Prometheus text exposition (`--format prom`), for node_exporter's textfile collector.
//!
//! Every family has `# HELP` and `# TYPE`; values describe one report (one window of
//! log), so they are gauges and none ends in `_total`; units are base units (seconds,
//! bytes). Labels are bounded: MTA, reply class and code (at most a few hundred codes),
//! event, line kind, and enhanced codes that the catalogue knows (others are summed under
//! `enhanced="other"`), never free text, addresses or reasons.

use super::{group, Dimension, Report};
use crate::catalogue::catalogue;
use crate::code::EnhancedCode;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// When the report was made and the window it covers, as Unix times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Times {
    /// When the report was made.
    pub generated: i64,
    /// `--since`, when given.
    pub since: Option<i64>,
    /// `--until`, when given.
    pub until: Option<i64>,
}

/// Escape a label value as the exposition format requires.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// An enhanced code as a label: its own when the catalogue has it, else `other`, so that
/// codes made up by remote servers cannot grow the series without bound.
fn enhanced_label(code: &str) -> String {
    match code.parse::<EnhancedCode>() {
        Ok(parsed) if catalogue().enhanced(parsed).is_some() => code.to_string(),
        _ => "other".to_string(),
    }
}

struct Family<'a> {
    out: &'a mut dyn Write,
}

impl Family<'_> {
    fn head(&mut self, name: &str, help: &str) -> io::Result<()> {
        writeln!(self.out, "# HELP smtplog_{name} {help}")?;
        writeln!(self.out, "# TYPE smtplog_{name} gauge")
    }

    fn sample(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: impl std::fmt::Display,
    ) -> io::Result<()> {
        write!(self.out, "smtplog_{name}")?;
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
                .collect();
            write!(self.out, "{{{}}}", inner.join(","))?;
        }
        writeln!(self.out, " {value}")
    }

    fn single(&mut self, name: &str, help: &str, value: impl std::fmt::Display) -> io::Result<()> {
        self.head(name, help)?;
        self.sample(name, &[], value)
    }
}

/// Write the report as Prometheus metrics.
pub fn write(report: &Report, times: Times, out: &mut dyn Write) -> io::Result<()> {
    let mut f = Family { out };
    f.head("lines", "Log lines read, by kind (mail, other, unrecognised; overlong and malformed are part of other).")?;
    let l = &report.lines;
    for (kind, n) in [
        ("mail", l.mail),
        ("other", l.other),
        ("unrecognised", l.unrecognised),
        ("overlong", l.overlong),
        ("malformed", l.malformed),
    ] {
        f.sample("lines", &[("kind", kind)], n)?;
    }
    f.single(
        "lines_outside_window",
        "Lines skipped because they fell outside the time window.",
        l.outside_window,
    )?;

    f.head(
        "replies",
        "SMTP reply lines, by MTA, reply class and reply code.",
    )?;
    for row in group(report, &[Dimension::Mta, Dimension::Class, Dimension::Code]) {
        let [mta, class, code] = [&row.keys[0], &row.keys[1], &row.keys[2]];
        f.sample(
            "replies",
            &[("mta", mta), ("class", class), ("code", code)],
            row.count,
        )?;
    }
    f.head("enhanced_replies", "Replies with an enhanced status code, by code (codes the catalogue does not know are summed as other).")?;
    let mut enhanced: BTreeMap<String, u64> = BTreeMap::new();
    for row in &report.by_enhanced {
        *enhanced.entry(enhanced_label(&row.code)).or_default() += row.count;
    }
    for (code, n) in &enhanced {
        f.sample("enhanced_replies", &[("enhanced", code)], n)?;
    }
    f.head("events", "Delivery and arrival events, by MTA and event.")?;
    for row in group(report, &[Dimension::Mta, Dimension::Event]) {
        f.sample(
            "events",
            &[("mta", &row.keys[0]), ("event", &row.keys[1])],
            row.count,
        )?;
    }
    f.head("problems", "Deferrals, bounces, expiries, rejects and failed replies, by event, reply code and enhanced code (or dsn).")?;
    let mut problems: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for p in &report.problems {
        let key = (
            p.event.map_or("none", |e| e.name()).to_string(),
            p.code.map_or_else(|| "none".to_string(), |c| c.to_string()),
            p.enhanced
                .as_deref()
                .map_or_else(|| "none".to_string(), enhanced_label),
        );
        *problems.entry(key).or_default() += p.count;
    }
    for ((event, code, enhanced), n) in &problems {
        f.sample(
            "problems",
            &[("event", event), ("code", code), ("enhanced", enhanced)],
            n,
        )?;
    }
    f.single(
        "messages",
        "Distinct queue ids and Exim message ids seen.",
        report.messages,
    )?;
    f.single(
        "received_messages",
        "Messages received (Postfix client= and pickup, Exim <=).",
        report.received,
    )?;
    f.single(
        "received_bytes",
        "Bytes of the messages received.",
        report.bytes_received,
    )?;
    f.single(
        "delivered_bytes",
        "Bytes of the messages delivered, once per delivered line.",
        report.bytes_delivered,
    )?;
    if let Some(d) = &report.delays {
        // A summary: quantiles (within 30%, from a log-scale histogram; 1 is the longest),
        // with the sum and count of the deliveries whose delay was logged.
        writeln!(
            f.out,
            "# HELP smtplog_delivery_delay_seconds Delay from arrival to delivery."
        )?;
        writeln!(f.out, "# TYPE smtplog_delivery_delay_seconds summary")?;
        for (q, ms) in [
            ("0.5", d.p50_ms),
            ("0.9", d.p90_ms),
            ("0.99", d.p99_ms),
            ("1", d.max_ms),
        ] {
            f.sample("delivery_delay_seconds", &[("quantile", q)], seconds(ms))?;
        }
        f.sample("delivery_delay_seconds_sum", &[], seconds(d.sum_ms))?;
        f.sample("delivery_delay_seconds_count", &[], d.count)?;
    }
    if let Some(since) = times.since {
        f.single(
            "window_start_timestamp_seconds",
            "Start of the time window (--since or --day).",
            since,
        )?;
    }
    if let Some(until) = times.until {
        f.single(
            "window_end_timestamp_seconds",
            "End of the time window (--until or --day), exclusive.",
            until,
        )?;
    }
    f.single(
        "report_timestamp_seconds",
        "When this report was made.",
        times.generated,
    )
}

/// Milliseconds as seconds, exactly.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_enhanced_codes_bounded() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(enhanced_label("5.7.26"), "5.7.26");
        assert_eq!(enhanced_label("5.123.456"), "other");
        assert_eq!(seconds(1234), "1.234");
        assert_eq!(seconds(5), "0.005");
    }
}
