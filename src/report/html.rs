//! HTML output: one self-contained HTML5 file (inline CSS and SVG, no script, no external
//! resource, a Content-Security-Policy that forbids them), with the text report's sections
//! laid out for a browser, a phone, print and dark mode.
//!
//! Every string taken from a log goes through [`log`]: control, invisible and bidi
//! characters become visible escapes as in the text report, and maud then HTML-escapes it
//! (`<`, `>`, `&`, `"`), in text and in attributes alike.

use super::parties::{Accuracy, Table, TrafficRow};
use super::svg::{self, Bar, Series};
use super::{percent, Report};
use crate::catalogue::catalogue;
use crate::code::{Class, ReplyCode};
use crate::parse::{Event, Severity};
use crate::sanitize::escape_str;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::io::{self, Write};

/// The policy of the `<meta http-equiv="Content-Security-Policy">`: nothing may load or
/// run; only the inline stylesheet applies.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS: &str = include_str!("html.css");

/// What to include in the HTML report.
#[derive(Clone, Debug, Default)]
pub struct HtmlOptions {
    /// Rows per table (0: all).
    pub top: usize,
    /// Rows in the problems and diagnostics tables (0: all).
    pub detail: usize,
    /// List the unrecognised example lines.
    pub show_unrecognised: bool,
    /// An earlier report to compare with (`--baseline`).
    pub baseline: Option<std::sync::Arc<Report>>,
}

/// Log text made safe to show: controls, invisible and bidi characters escaped as in the
/// text report, and noncharacters too (an HTML5 parse error); maud escapes the rest.
pub fn log(text: &str) -> String {
    let text = escape_str(text);
    if text.chars().any(is_noncharacter) {
        let mut out = String::with_capacity(text.len() + 8);
        for ch in text.chars() {
            if is_noncharacter(ch) {
                out.push_str(&format!("\\u{{{:x}}}", ch as u32));
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        text.into_owned()
    }
}

fn is_noncharacter(ch: char) -> bool {
    let c = ch as u32;
    (0xfdd0..=0xfdef).contains(&c) || c & 0xfffe == 0xfffe
}

/// A count for people: `1,234,567`.
pub fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Bytes for people: `512 B`, `284.6 kB`, `1.2 GB` (powers of 1000).
pub fn bytes(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..=999_999_999 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.1} GB", n as f64 / 1e9),
    }
}

/// Milliseconds for people: `850 ms`, `12.4 s`, `3.5 min`, `2.1 h`, `1.5 d`.
pub fn duration(ms: u64) -> String {
    let s = ms as f64 / 1000.0;
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{s:.1} s"),
        60_000..=3_599_999 => format!("{:.1} min", s / 60.0),
        3_600_000..=86_399_999 => format!("{:.1} h", s / 3600.0),
        _ => format!("{:.1} d", s / 86_400.0),
    }
}

/// A number cell.
fn n(v: u64) -> Markup {
    html! { td.n { (num(v)) } }
}

/// A bytes cell, the exact figure in its title.
fn b(v: u64) -> Markup {
    html! { td.n title={(num(v)) " bytes"} { (bytes(v)) } }
}

/// A delay cell, the exact figure in its title.
fn d(v: Option<u64>) -> Markup {
    match v {
        Some(ms) => html! { td.n title={(num(ms)) " ms"} { (duration(ms)) } },
        None => html! { td.n { "-" } },
    }
}

fn limit<T>(rows: &[T], top: usize) -> &[T] {
    if top == 0 || rows.len() <= top {
        rows
    } else {
        &rows[..top]
    }
}

/// "(20 of 312; --top 0 shows all)" under a shortened table.
fn more(shown: usize, total: u64, flag: &str) -> Markup {
    html! {
        @if shown as u64 != total && shown != 0 {
            p.more { (num(shown as u64)) " of " (num(total)) "; " code { "--" (flag) " 0" } " shows all." }
        }
    }
}

fn distinct<R>(table: &Table<R>) -> String {
    match table.accuracy {
        Accuracy::Exact => num(table.distinct),
        Accuracy::Estimated => format!("~{} (estimated from a sample)", num(table.distinct)),
        Accuracy::AtLeast => format!("at least {}", num(table.distinct)),
    }
}

/// A section with a heading whose id is `id`.
fn section(id: &str, title: &str, body: Markup) -> Markup {
    html! {
        section id=(id) aria-labelledby={(id) "-h"} {
            h2 id={(id) "-h"} { (title) }
            (body)
        }
    }
}

/// The report's first lines: what was read, the time it covered, the window asked for, and
/// every notice (the view's, [`super::header::header`]), with the limits spelt out.
fn header(report: &Report) -> Markup {
    let h = super::header::header(report);
    let l = &h.lines;
    let days: Vec<&str> = report.by_day.iter().map(|d| d.day.as_str()).collect();
    let span = match (days.first(), days.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(first), _) => first.to_string(),
        _ => String::new(),
    };
    // The view's notice of capped tables points at the text's --full; here the limits
    // themselves say what was capped.
    let mut notices: Vec<String> = h
        .notices
        .iter()
        .filter(|n| !(report.limits.any() && n.starts_with("some tables were capped")))
        .map(|n| log(n))
        .collect();
    notices.extend(
        super::header::limit_notices(report)
            .into_iter()
            .map(|n| n + "."),
    );
    let window = match (&h.since, &h.until) {
        (Some(since), Some(until)) => Some(format!("from {since} until before {until}")),
        (Some(since), None) => Some(format!("from {since}")),
        (None, Some(until)) => Some(format!("until before {until}")),
        (None, None) => None,
    };
    html! {
        header {
            h1 { "SMTP replies" @if !span.is_empty() { " " span.span { (span) } } }
            dl.facts {
                @if !h.inputs.is_empty() {
                    dt { "Read" }
                    dd {
                        ul.inputs {
                            @for input in &h.inputs {
                                li {
                                    code { (log(&input.name)) } ": " (num(input.lines)) " lines"
                                    @if let Some(error) = &input.error { " " span.error { "(" (log(error)) ")" } }
                                }
                            }
                        }
                    }
                }
                @if let (Some(first), Some(last)) = (&h.first_seen, &h.last_seen) {
                    dt { "Lines stamped" } dd { (first) " to " (last) }
                }
                @if let Some(window) = &window { dt { "Window" } dd { (window) } }
                dt { "Lines" }
                dd {
                    (num(l.total)) " read: " (num(l.mail)) " Postfix/Exim, "
                    (num(l.other)) " other, " (num(l.unrecognised)) " unrecognised"
                    @if l.debug > 0 { "; " (num(l.debug)) " debug" }
                }
            }
            @if !notices.is_empty() {
                ul.notices { @for note in &notices { li { (note) } } }
            }
        }
    }
}

/// A change against the baseline: `+12`, `−3`, `±0`.
fn signed(change: i64) -> String {
    match change {
        0 => "\u{b1}0".to_string(),
        c if c > 0 => format!("+{}", num(c.unsigned_abs())),
        c => format!("\u{2212}{}", num(c.unsigned_abs())),
    }
}

/// Key figures as cards (the view's, [`super::baseline::key_figures`]), with their shares
/// and, given a baseline, how they moved.
fn figures(report: &Report, baseline: Option<&Report>) -> Markup {
    let approx = report.messages_approx();
    let figures = super::baseline::key_figures(report, baseline);
    let card = |id: &str, label: &str, value: String, title: String, extra: Markup| {
        html! {
            div.card id={"fig-" (id)} title=(title) {
                span.value { (value) }
                span.label { (label) }
                (extra)
            }
        }
    };
    html! {
        section.figures aria-label="Key figures" {
            (card("messages", "messages", format!("{approx}{}", num(report.messages)), format!("{} distinct messages", report.messages), html! {}))
            @for f in &figures {
                @let title = match f.share {
                    Some(share) => format!("{}: {} ({share:.1}% {})", f.note, f.value, f.share_of),
                    None => format!("{}: {}", f.note, f.value),
                };
                (card(f.name, f.name, num(f.value), title, html! {
                    @if let Some(share) = f.share { span.share { (format!("{share:.1}")) "% " (f.share_of) } }
                    @if let (Some(change), Some(before)) = (f.change(), f.before) {
                        span class={"change " (if change > 0 { "up" } else if change < 0 { "down" } else { "same" })}
                            title={"baseline: " (num(before))} { (signed(change)) " since the baseline" }
                    }
                }))
            }
            (card("replies", "replies", num(report.replies), format!("{} reply lines", report.replies), html! {}))
            @if report.bytes_received > 0 {
                (card("bytes-received", "received", format!("{approx}{}", bytes(report.bytes_received)), format!("{} bytes received", report.bytes_received), html! {}))
            }
            @if report.bytes_delivered > 0 {
                (card("bytes-delivered", "delivered", format!("{approx}{}", bytes(report.bytes_delivered)), format!("{} bytes delivered", report.bytes_delivered), html! {}))
            }
        }
    }
}

/// "Needs attention": the problems that hurt the most messages, as cards with what they
/// mean and what to do (ranked by the view, [`super::attention::needs_attention`]).
fn attention(report: &Report) -> Markup {
    use super::attention::{needs_attention, Affected, DEFAULT_MAX};
    let items = needs_attention(report, DEFAULT_MAX);
    if items.is_empty() {
        return html! {};
    }
    section(
        "attention",
        "Needs attention",
        html! {
            div.attention {
                @for (i, a) in items.iter().enumerate() {
                    @let event = match (a.event, &a.stage) {
                        (Some(e), Some(stage)) => format!("{} at {}", e.name(), log(stage)),
                        (Some(e), None) => e.name().to_string(),
                        (None, _) => "reply".to_string(),
                    };
                    @let codes = [a.code.map(|c| c.to_string()), a.enhanced.as_deref().map(log)]
                        .into_iter().flatten().collect::<Vec<_>>().join(" ");
                    @let affected: Vec<String> = a.affected.iter().map(|x| log(x)).collect();
                    @let severity = match a.event {
                        Some(Event::Bounced | Event::Expired) => "lost",
                        Some(Event::Deferred) => "late",
                        _ => "refused",
                    };
                    article class={"item " (severity)} id={"attention-" (i + 1)} {
                        h3 {
                            span.count { (num(a.count)) } " " (event)
                            @if !codes.is_empty() { " " code { (codes) } }
                            @if let Some(p) = &a.provider { " " span.badge { (p) } }
                        }
                        p.reason { (log(&a.reason)) }
                        @if !a.meaning.is_empty() { p { strong { "Means: " } (a.meaning) } }
                        @if !a.fix.is_empty() { p { strong { "Fix: " } (a.fix) } }
                        @if !affected.is_empty() {
                            p.examples {
                                (match a.affected_kind { Affected::Clients => "Clients: ", Affected::RecipientDomains => "Domains: " })
                                (affected.join(", "))
                            }
                        }
                        @if let Some(url) = &a.url { p { a href=(url) rel="noreferrer" { (url) } } }
                    }
                }
            }
        },
    )
}

/// With a baseline: the problems that grew most since (the view's
/// [`super::baseline::movers`]).
fn changes(report: &Report, baseline: Option<&Report>) -> Markup {
    let Some(baseline) = baseline else {
        return html! {};
    };
    let movers = super::baseline::movers(report, baseline, super::attention::DEFAULT_MAX);
    section(
        "changes",
        "Changes since the baseline",
        html! {
            @if movers.is_empty() {
                p { "No problem grew since the baseline." }
            } @else {
                div.scroll { table {
                    thead { tr {
                        th scope="col" { "Event" } th scope="col" { "Code" } th scope="col" { "Enhanced" }
                        th scope="col" .n { "Before" } th scope="col" .n { "Now" } th scope="col" .n { "Change" }
                        th scope="col" { "Most affected" }
                    } }
                    tbody {
                        @for m in &movers {
                            tr {
                                th scope="row" { (m.event.map_or("(reply)", |e| e.name())) @if m.new { " " span.badge { "new" } } }
                                td { (m.code.map_or_else(|| "-".to_string(), |c| c.to_string())) }
                                td { (m.enhanced.as_deref().map_or_else(|| "-".to_string(), log)) }
                                (n(m.before)) (n(m.after))
                                td.n { (signed(m.after as i64 - m.before as i64)) }
                                td.key { (m.top_affected.as_deref().map_or_else(String::new, log)) }
                            }
                        }
                    }
                } }
            }
        },
    )
}

const TRAFFIC: [(&str, &str); 5] = [
    ("received", "s0"),
    ("delivered", "s1"),
    ("deferred", "s2"),
    ("bounced", "s3"),
    ("rejected", "s4"),
];

fn class_css(class: Class) -> &'static str {
    match class {
        Class::Positive => "c2",
        Class::Intermediate => "c3",
        Class::Transient => "c4",
        Class::Permanent => "c5",
    }
}

/// An hour's counts in the order of [`TRAFFIC`].
fn hour_traffic(h: &super::HourRow) -> [u64; 5] {
    [h.received, h.delivered, h.deferred, h.bounced, h.rejected]
}

/// One chart line per [`TRAFFIC`] kind, a value per row.
fn traffic_series<T>(rows: &[T], traffic: impl Fn(&T) -> [u64; 5]) -> Vec<Series<'static>> {
    let values: Vec<[u64; 5]> = rows.iter().map(traffic).collect();
    TRAFFIC
        .iter()
        .enumerate()
        .map(|(i, (name, class))| Series {
            name,
            class,
            values: values.iter().map(|v| v[i]).collect(),
        })
        .collect()
}

fn charts(report: &Report) -> Markup {
    let hours: Vec<String> = report
        .by_hour
        .iter()
        .map(|h| format!("{:02}", h.hour))
        .collect();
    let hour_series = traffic_series(&report.by_hour, hour_traffic);
    let days: Vec<String> = report.by_day.iter().map(|d| d.day.clone()).collect();
    let day_series = traffic_series(&report.by_day, |d| {
        [
            d.received,
            d.by_event.delivered,
            d.by_event.deferred,
            d.by_event.bounced,
            d.by_event.rejected,
        ]
    });
    let class_names: Vec<String> = Class::ALL
        .iter()
        .map(|c| {
            let name = catalogue().class(*c).map_or("", |e| e.name.as_str());
            format!("{} {name}", c.label())
        })
        .collect();
    let parts: Vec<(&str, &str, u64)> = Class::ALL
        .iter()
        .zip(&class_names)
        .map(|(c, name)| (name.as_str(), class_css(*c), report.by_class.get(*c)))
        .collect();
    let top_codes: Vec<Bar<'_>> = limit(&report.by_code, 10)
        .iter()
        .map(|r| Bar {
            label: &r.code,
            note: &r.title,
            class: ReplyCode::new(r.code.parse().unwrap_or(0))
                .map_or("c5", |c| class_css(c.class())),
            value: r.count,
        })
        .collect();
    let hour_title = match report.days_counted() {
        Some(days) if days > 1 => format!("Traffic per hour of the day, summed over {days} days"),
        _ => "Traffic per hour of the day".to_string(),
    };
    html! {
        section #charts aria-labelledby="charts-h" {
            h2 #charts-h { "Charts" }
            div.charts {
                @if !report.by_hour.is_empty() {
                    figure {
                        (svg::lines("chart-hours", &hour_title, &hours, &hour_series))
                        figcaption { (hour_title) " (data: " a href="#hours" { "per-hour table" } ")" }
                    }
                }
                @if report.by_day.len() > 1 {
                    figure {
                        (svg::lines("chart-days", "Traffic per day", &days, &day_series))
                        figcaption { "Traffic per day (data: " a href="#days" { "per-day table" } ")" }
                    }
                }
                @if report.replies > 0 {
                    figure {
                        (svg::shares("chart-classes", "Replies by class", &parts))
                        figcaption { "Replies by class (data: " a href="#classes" { "class table" } ")" }
                    }
                    figure {
                        (svg::bars("chart-codes", "Most frequent reply codes", &top_codes))
                        figcaption { "Most frequent reply codes (data: " a href="#codes" { "code table" } ")" }
                    }
                }
            }
        }
    }
}

fn classes(report: &Report) -> Markup {
    let cat = catalogue();
    section(
        "classes",
        "Replies by class",
        html! {
            div.scroll { table {
                thead { tr { th scope="col" { "Class" } th scope="col" .n { "Count" } th scope="col" .n { "Share" } th scope="col" { "Meaning" } th scope="col" { "For the sender" } } }
                tbody {
                    @for class in Class::ALL {
                        @let count = report.by_class.get(class);
                        @let entry = cat.class(class);
                        tr id={"class-" (class.label())} {
                            th scope="row" { span class={"sw " (class_css(class))} {} (class.label()) }
                            (n(count))
                            td.n { (format!("{:.1}", percent(count, report.replies))) "%" }
                            td { (entry.map_or("", |e| e.name.as_str())) }
                            td { (entry.map_or("", |e| e.sender_action.as_str())) }
                        }
                    }
                }
            } }
        },
    )
}

/// A code's full catalogue entry, for its `<details>`.
fn reply_entry(code: &str) -> Markup {
    let entry = code
        .parse()
        .ok()
        .and_then(ReplyCode::new)
        .and_then(|c| catalogue().reply(c));
    let Some(e) = entry else {
        return html! {};
    };
    html! {
        details {
            summary { "Catalogue entry" }
            dl {
                dt { "Status" } dd { (e.status) @if !e.rfc.is_empty() { " (" (e.rfc) ")" } }
                dt { "What it means" } dd { (e.description) }
                dt { "When you see it" } dd { (e.when) }
                dt { "Sender's fix" } dd { (e.fix_sender) }
                dt { "Admin's fix" } dd { (e.fix_admin) }
                dt { "Who must act" } dd { (e.actor) }
                @if !e.commands.is_empty() { dt { "Commands" } dd { (e.commands.join(", ")) } }
                @if !e.related.is_empty() { dt { "Related" } dd { (e.related.join(", ")) } }
                @for v in &e.variants {
                    dt { "Variant: " (v.name) @if let Some(x) = &v.enhanced { " (" (x) ")" } } dd { (v.text) }
                }
            }
        }
    }
}

fn codes(report: &Report, top: usize) -> Markup {
    let rows = limit(&report.by_code, top);
    section(
        "codes",
        "Replies by code",
        html! {
            div.scroll { table.codes {
                thead { tr { th scope="col" { "Code" } th scope="col" .n { "Count" } th scope="col" .n { "Share" } th scope="col" { "Meaning and advice" } } }
                tbody {
                    @for r in rows {
                        tr id={"code-" (r.code)} {
                            th scope="row" { (r.code) }
                            (n(r.count))
                            td.n { (format!("{:.1}", r.share)) "%" }
                            td {
                                strong { (r.title) }
                                @if !r.advice.is_empty() { br; span.advice { (r.advice) } }
                                (reply_entry(&r.code))
                            }
                        }
                    }
                }
            } }
            (more(rows.len(), report.by_code.len() as u64, "top"))
            @if !report.by_enhanced.is_empty() {
                h3 { "Enhanced status codes of replies" }
                @let rows = limit(&report.by_enhanced, top);
                div.scroll { table {
                    thead { tr { th scope="col" { "Code" } th scope="col" .n { "Count" } th scope="col" { "Meaning and advice" } } }
                    tbody {
                        @for r in rows {
                            tr id={"enhanced-" (r.code)} {
                                th scope="row" { (r.code) }
                                (n(r.count))
                                td { strong { (r.title) } @if !r.advice.is_empty() { br; span.advice { (r.advice) } } }
                            }
                        }
                    }
                } }
                (more(rows.len(), report.by_enhanced.len() as u64, "top"))
            }
        },
    )
}

fn events(report: &Report, top: usize) -> Markup {
    let e = &report.by_event;
    section(
        "events",
        "Events",
        html! {
            div.scroll { table {
                thead { tr { th scope="col" { "Event" } th scope="col" .n { "Count" } th scope="col" { "Note" } } }
                tbody {
                    @for event in Event::ALL {
                        @let count = e.get(event);
                        @if count > 0 || !matches!(event, Event::Held | Event::Discarded | Event::Filtered) {
                            tr id={"event-" (event.name())} {
                                th scope="row" { (event.name()) }
                                (n(count))
                                td {
                                    @if event == Event::Rejected && report.rejected_temporary > 0 { (num(report.rejected_temporary)) " temporary" }
                                    @if event == Event::Delivered && report.forwarded > 0 { (num(report.forwarded)) " forwarded" }
                                    @if event == Event::Deferred && report.deferred_messages > 0 { "of " (num(report.deferred_messages)) " messages" }
                                    @if event == Event::Filtered { "handed to a content filter and sent back in: counted once, when delivered" }
                                }
                            }
                        }
                    }
                }
            } }
            @if !report.by_dsn.is_empty() {
                h3 { "Postfix dsn= of delivery status lines" }
                @let rows = limit(&report.by_dsn, top);
                div.scroll { table {
                    thead { tr { th scope="col" { "dsn" } th scope="col" .n { "Count" } } }
                    tbody { @for r in rows { tr { th scope="row" { (r.dsn) } (n(r.count)) } } }
                } }
                (more(rows.len(), report.by_dsn.len() as u64, "top"))
            }
            @if report.no_code.total > 0 {
                h3 { "Events without a reply code" }
                div.pair {
                    div.scroll { table {
                        thead { tr { th scope="col" { "Event" } th scope="col" .n { "Count" } } }
                        tbody { @for (event, count) in &report.no_code.by_event { tr { th scope="row" { (event) } (n(*count)) } } }
                        tfoot { tr { th scope="row" { "total" } (n(report.no_code.total)) } }
                    } }
                    div.scroll { table {
                        thead { tr { th scope="col" { "dsn" } th scope="col" .n { "Count" } } }
                        tbody { @for (dsn, count) in &report.no_code.by_dsn { tr { th scope="row" { (log(dsn)) } (n(*count)) } } }
                    } }
                }
            }
        },
    )
}

fn days_and_hours(report: &Report) -> Markup {
    let days_shown = report.by_day.len() > 1 || report.by_day.iter().any(|d| d.replies > 0);
    let days = report.days_counted().unwrap_or(1);
    html! {
        @if days_shown {
            (section("days", "By day", html! {
                div.scroll { table {
                    thead { tr {
                        th scope="col" { "Day" } th scope="col" .n { "Lines" } th scope="col" .n { "Received" }
                        th scope="col" .n { "Replies" } th scope="col" .n { "2xx" } th scope="col" .n { "4xx" } th scope="col" .n { "5xx" }
                        th scope="col" .n { "Delivered" } th scope="col" .n { "Deferred" } th scope="col" .n { "Bounced" } th scope="col" .n { "Rejected" }
                    } }
                    tbody {
                        @for d in &report.by_day {
                            tr id={"day-" (d.day)} {
                                th scope="row" { (d.day) }
                                (n(d.lines)) (n(d.received)) (n(d.replies)) (n(d.by_class.c2)) (n(d.by_class.c4)) (n(d.by_class.c5))
                                (n(d.by_event.delivered)) (n(d.by_event.deferred)) (n(d.by_event.bounced)) (n(d.by_event.rejected))
                            }
                        }
                    }
                } }
            }))
        }
        @if !report.by_hour.is_empty() {
            (section("hours", "Per-hour traffic", html! {
                @if days > 1 { p { "Totals over " (days) " days, and the daily average." } }
                div.scroll { table {
                    thead { tr {
                        th scope="col" { "Hour" }
                        @for (name, _) in TRAFFIC { th scope="col" .n { (name) } }
                    } }
                    tbody {
                        @for h in &report.by_hour {
                            tr {
                                th scope="row" { (format!("{:02}:00–{:02}:00", h.hour, (h.hour + 1) % 24)) }
                                @for v in hour_traffic(h) {
                                    @if days > 1 {
                                        td.n title={(num(v)) " in all, " (num((v as f64 / days as f64).round() as u64)) " a day"} { (num(v)) }
                                    } @else {
                                        (n(v))
                                    }
                                }
                            }
                        }
                    }
                } }
            }))
        }
    }
}

fn delays_and_connections(report: &Report) -> Markup {
    html! {
        @if let Some(dl) = &report.delays {
            (section("delays", "Delivery delays (arrival to delivery)", html! {
                div.scroll { table {
                    thead { tr { th scope="col" .n { "Deliveries" } th scope="col" .n { "Mean" } th scope="col" .n { "Median" } th scope="col" .n { "90%" } th scope="col" .n { "99%" } th scope="col" .n { "Max" } } }
                    tbody { tr { (n(dl.count)) (d(Some(dl.mean_ms))) (d(Some(dl.p50_ms))) (d(Some(dl.p90_ms))) (d(Some(dl.p99_ms))) (d(Some(dl.max_ms))) } }
                } }
            }))
        }
        @if !report.connections.is_empty() {
            (section("connections", "Connections", html! {
                div.scroll { table {
                    thead { tr { th scope="col" { "Counter" } th scope="col" .n { "Count" } } }
                    tbody { @for (name, count) in &report.connections { tr { th scope="row" { (name) } (n(*count)) } } }
                } }
            }))
        }
    }
}

fn blocklists(report: &Report, detail: usize) -> Markup {
    let bl = &report.blocklists;
    if bl.is_empty() {
        return html! {};
    }
    let listings = limit(&bl.listings, detail);
    section(
        "blocklists",
        "DNS blocklists",
        html! {
            @if !bl.ranks.is_empty() || bl.ranks_capped.is_some() {
                div.scroll { table {
                    thead { tr { th scope="col" .n { "DNSBL rank" } th scope="col" .n { "Clients" } } }
                    tbody {
                        @for r in &bl.ranks { tr { th scope="row" .n { (r.rank) } (n(r.count)) } }
                        @if let Some(total) = bl.ranks_capped { tr { th scope="row" { "all ranks" } (n(total)) } }
                    }
                } }
            }
            @if !bl.listings.is_empty() || bl.listings_capped.is_some() {
                div.scroll { table {
                    thead { tr { th scope="col" { "Blocklist" } th scope="col" { "Reply" } th scope="col" .n { "Listings" } } }
                    tbody {
                        @for r in listings { tr { th scope="row" .key { (log(&r.list)) } td.key { (log(&r.reply)) } (n(r.count)) } }
                        @if let Some(total) = bl.listings_capped { tr { th scope="row" colspan="2" { "(too many different lists and replies to list)" } (n(total)) } }
                    }
                } }
                (more(listings.len(), bl.listings.len() as u64, "detail"))
            }
        },
    )
}

fn traffic(
    id: &str,
    title: &str,
    what: &str,
    table: &Table<TrafficRow>,
    by_bytes: bool,
    top: usize,
) -> Markup {
    if table.rows.is_empty() {
        return html! {};
    }
    if table.accuracy == Accuracy::Estimated {
        return html! {
            h3 id=(id) { (title) }
            p { (distinct(table)) " distinct: more than --max-distinct; raise it to list them." }
        };
    }
    let mut rows: Vec<&TrafficRow> = table.rows.iter().collect();
    if by_bytes {
        rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.key.cmp(&b.key)));
    }
    let shown = limit(&rows, top);
    html! {
        h3 id=(id) { (title) }
        div.scroll { table {
            thead { tr { th scope="col" { (what) } th scope="col" .n { "Messages" } th scope="col" .n { "Bytes" } } }
            tbody { @for r in shown { tr { th scope="row" .key { (log(&r.key)) } (n(r.messages)) (b(r.bytes)) } } }
        } }
        (more(shown.len(), table.distinct.max(rows.len() as u64), "top"))
    }
}

fn parties(report: &Report, top: usize) -> Markup {
    let p = &report.parties;
    if p.senders.rows.is_empty()
        && p.recipients.rows.is_empty()
        && p.recipient_domains.rows.is_empty()
    {
        return html! {};
    }
    let dom = &p.recipient_domains;
    let dom_rows = limit(&dom.rows, top);
    section(
        "parties",
        "Senders and recipients",
        html! {
            div.scroll { table {
                tbody {
                    tr { th scope="row" { "senders" } td.n { (distinct(&p.senders)) } }
                    tr { th scope="row" { "sender domains" } td.n { (distinct(&p.sender_domains)) } }
                    tr { th scope="row" { "sending hosts" } td.n { (distinct(&p.sending_hosts)) } }
                    tr { th scope="row" { "recipients" } td.n { (distinct(&p.recipients)) } }
                    tr { th scope="row" { "recipient domains" } td.n { (distinct(dom)) " delivered to" } }
                }
            } }
            @if p.accuracies().contains(&Accuracy::Estimated) {
                p.more { "Tables over --max-distinct keep a reproducible sample of their keys; raise it for all." }
            }
            @if !dom.rows.is_empty() {
                h3 #recipient-domains { "Recipient domains" }
                @if dom.accuracy == Accuracy::Estimated {
                    p { (distinct(dom)) " distinct: more than --max-distinct; raise it to list them." }
                } @else {
                    div.scroll { table {
                        thead { tr {
                            th scope="col" { "Domain" } th scope="col" .n { "Delivered" } th scope="col" .n { "Bytes" } th scope="col" .n { "Deferred" }
                            th scope="col" .n { "Bounced" } th scope="col" .n { "Avg delay" } th scope="col" .n { "Max delay" }
                        } }
                        tbody {
                            @for r in dom_rows {
                                tr { th scope="row" .key { (log(&r.domain)) } (n(r.delivered)) (b(r.bytes)) (n(r.deferred)) (n(r.bounced)) (d(r.avg_delay_ms)) (d(r.max_delay_ms)) }
                            }
                        }
                    } }
                    (more(dom_rows.len(), dom.rows.len() as u64, "top"))
                }
            }
            (traffic("sender-domains", "Sender domains", "Domain", &p.sender_domains, false, top))
            (traffic("sending-hosts", "Sending hosts", "Host", &p.sending_hosts, false, top))
            (traffic("senders", "Top senders by messages", "Sender", &p.senders, false, top))
            (traffic("senders-size", "Top senders by size", "Sender", &p.senders, true, top))
            (traffic("recipients", "Top recipients by messages", "Recipient", &p.recipients, false, top))
            (traffic("recipients-size", "Top recipients by size", "Recipient", &p.recipients, true, top))
        },
    )
}

fn diagnostics(report: &Report, detail: usize) -> Markup {
    let (master, faults): (Vec<_>, Vec<_>) = report
        .diagnostics
        .iter()
        .partition(|d| d.severity == Severity::Info);
    let shown_faults = limit(&faults, detail);
    let shown_master = limit(&master, detail);
    html! {
        @if !faults.is_empty() {
            (section("diagnostics", "Warnings, errors, fatal errors and panics", html! {
                div.scroll { table {
                    thead { tr { th scope="col" .n { "Count" } th scope="col" { "MTA" } th scope="col" { "Severity" } th scope="col" { "Program" } th scope="col" { "Text" } } }
                    tbody {
                        @for d in shown_faults {
                            tr class={"sev-" (d.severity.name())} {
                                (n(d.count)) td { (d.mta.name()) } td { (d.severity.name()) } td.key { (log(&d.program)) } td.key { (log(&d.text)) }
                            }
                        }
                    }
                } }
                (more(shown_faults.len(), faults.len() as u64, "detail"))
            }))
        }
        @if !master.is_empty() {
            (section("master", "Master daemon messages", html! {
                div.scroll { table {
                    thead { tr { th scope="col" .n { "Count" } th scope="col" { "Text" } } }
                    tbody { @for d in shown_master { tr { (n(d.count)) td.key { (log(&d.text)) } } } }
                } }
                (more(shown_master.len(), master.len() as u64, "detail"))
            }))
        }
    }
}

fn problems(report: &Report, detail: usize) -> Markup {
    if report.problems.is_empty() {
        return html! {};
    }
    let rows = limit(&report.problems, detail);
    section(
        "problems",
        "Problems by reply code, enhanced code and reason",
        html! {
            div.scroll { table.problems {
                thead { tr { th scope="col" .n { "Count" } th scope="col" { "Event" } th scope="col" { "Code" } th scope="col" { "Enhanced" } th scope="col" { "Reason, fix and examples" } } }
                tbody {
                    @for p in rows {
                        @let event = match (p.event, &p.stage) {
                            (Some(e), Some(stage)) => format!("{} {}", e.name(), log(stage)),
                            (Some(e), None) => e.name().to_string(),
                            (None, _) => "(reply)".to_string(),
                        };
                        @let examples: Vec<String> = p.examples.iter().map(|e| log(e)).collect();
                        tr {
                            (n(p.count))
                            td { (event) }
                            td { (p.code.map_or_else(|| "-".to_string(), |c| c.to_string())) }
                            td { (p.enhanced.as_deref().map_or_else(|| "-".to_string(), log)) }
                            td.key {
                                span.reason { (log(&p.reason)) }
                                @if !p.advice.is_empty() { br; span.advice { "Fix: " (p.advice) } }
                                @if let Some(a) = &p.provider {
                                    br; span.provider { (a.provider) " [" (a.rule) "]: " (a.action) " " a href=(a.url) rel="noreferrer" { (a.url) } }
                                }
                                @if !examples.is_empty() {
                                    br; span.examples title=(examples.join(", ")) { "e.g. " (examples.join(", ")) }
                                }
                            }
                        }
                    }
                }
            } }
            (more(rows.len(), report.problems.len() as u64, "detail"))
            @if !report.providers.is_empty() {
                h3 #providers { "Problems by provider and blocklist" }
                @let providers = limit(&report.providers, detail);
                @for p in providers {
                    article.provider {
                        h4 { (p.provider) " (" (p.kind.name()) "): " (num(p.count)) " problem lines" }
                        p { @for (i, (event, count)) in p.events.iter().enumerate() { @if i > 0 { ", " } (event) " " (num(*count)) } }
                        div.scroll { table {
                            thead { tr { th scope="col" { "Rule" } th scope="col" .n { "Lines" } th scope="col" { "Codes" } th scope="col" { "Meaning and what to do" } } }
                            tbody {
                                @for r in &p.rules {
                                    tr {
                                        th scope="row" { (r.rule) br; small { (r.direction.name()) } }
                                        (n(r.count))
                                        td { (r.codes.join(" ")) }
                                        td { (r.meaning) br; strong { "Do: " } (r.action) br; a href=(r.url) rel="noreferrer" { (r.url) } }
                                    }
                                }
                            }
                        } }
                    }
                }
                (more(providers.len(), report.providers.len() as u64, "detail"))
            }
        },
    )
}

fn unrecognised(report: &Report, options: &HtmlOptions) -> Markup {
    if report.lines.unrecognised == 0 || !options.show_unrecognised {
        return html! {};
    }
    section(
        "unrecognised",
        "Unrecognised Postfix/Exim lines (first examples)",
        html! {
            ul.lines { @for line in &report.unrecognised_examples { li { code { (log(line)) } } } }
        },
    )
}

/// The whole report as one HTML document.
pub fn render(report: &Report, options: &HtmlOptions) -> Markup {
    let title = match (report.by_day.first(), report.by_day.last()) {
        (Some(a), Some(z)) if a.day != z.day => format!("SMTP replies, {} to {}", a.day, z.day),
        (Some(a), _) => format!("SMTP replies, {}", a.day),
        _ => "SMTP replies".to_string(),
    };
    let main = body(report, options);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="generator" content={"smtplog " (env!("CARGO_PKG_VERSION"))};
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                (header(report))
                (contents(&main))
                main { (main) }
                footer { p { "Made by smtplog " (env!("CARGO_PKG_VERSION")) ". Works offline: no script, no external resource." } }
            }
        }
    }
}

/// The sections of the page, in order, for its table of contents.
const SECTIONS: &[(&str, &str)] = &[
    ("attention", "Needs attention"),
    ("changes", "Changes"),
    ("charts", "Charts"),
    ("classes", "Classes"),
    ("codes", "Codes"),
    ("events", "Events"),
    ("problems", "Problems"),
    ("days", "Days"),
    ("hours", "Hours"),
    ("delays", "Delays"),
    ("connections", "Connections"),
    ("blocklists", "Blocklists"),
    ("parties", "Senders and recipients"),
    ("diagnostics", "Warnings"),
    ("master", "Master daemon"),
    ("unrecognised", "Unrecognised lines"),
];

/// Links to the sections the page holds.
fn contents(main: &Markup) -> Markup {
    let page = main.0.as_str();
    html! {
        nav aria-label="Sections" {
            ul {
                @for (id, title) in SECTIONS {
                    @if page.contains(&format!("<section id=\"{id}\"")) {
                        li { a href={"#" (id)} { (title) } }
                    }
                }
            }
        }
    }
}

fn body(report: &Report, options: &HtmlOptions) -> Markup {
    html! {
                    (attention(report))
                    (figures(report, options.baseline.as_deref()))
                    (changes(report, options.baseline.as_deref()))
                    (charts(report))
                    @if report.replies > 0 {
                        (classes(report))
                        (codes(report, options.top))
                    }
                    (events(report, options.top))
                    (problems(report, options.detail))
                    (days_and_hours(report))
                    (delays_and_connections(report))
                    (blocklists(report, options.detail))
                    (parties(report, options.top))
                    (diagnostics(report, options.detail))
                    (unrecognised(report, options))
    }
}

/// Write the report as one HTML document.
pub fn write(report: &Report, options: &HtmlOptions, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(report, options).into_string().as_bytes())?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1000), "1,000");
        assert_eq!(num(1_234_567), "1,234,567");
        assert_eq!(num(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(duration(90_000), "1.5 min");
    }

    #[test]
    fn the_header_spells_out_the_limits_instead_of_pointing_at_full() {
        let mut report = Report::empty();
        report.limits.days = true;
        report.limits.daemons = true;
        let page = header(&report).into_string();
        assert!(!page.contains("some tables were capped"), "{page}");
        for notice in super::super::header::limit_notices(&report) {
            let item = format!("<li>{}.</li>", maud::html! { (notice) }.into_string());
            assert!(page.contains(&item), "{item} in {page}");
        }
        report.limits = Default::default();
        assert!(!header(&report).into_string().contains("Limit:"));
    }

    #[test]
    fn log_text_is_escaped_for_html_and_terminals() {
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>\u{1b}[31m\u{202e}txt.exe\u{fffe}";
        let cell = html! { td title=(log(hostile)) { (log(hostile)) } }.into_string();
        assert!(!cell.contains("<script"), "{cell}");
        assert!(!cell.contains("<img"), "{cell}");
        assert!(!cell.contains("\"><"), "{cell}");
        assert!(
            cell.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{cell}"
        );
        assert!(cell.contains("\\u{1b}[31m"), "{cell}");
        assert!(cell.contains("\\u{202e}txt.exe"), "{cell}");
        assert!(cell.contains("\\u{fffe}"), "{cell}");
        assert!(!cell.contains('\u{1b}') && !cell.contains('\u{202e}'));
    }

    #[test]
    fn formats_the_view_only() {
        // Data flows one way: the printer knows the Report, never the counting types.
        for source in [include_str!("html.rs"), include_str!("svg.rs")] {
            for name in [
                concat!("Sum", "mary"),
                concat!("crate::", "summary"),
                concat!("crate::", "problems"),
                concat!("crate::", "scan"),
                concat!("crate::", "parties"),
                concat!("cl", "ap::"),
            ] {
                assert!(!source.contains(name), "{name}");
            }
        }
    }
}
