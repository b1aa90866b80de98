//! The head of the HTML report and its overview: the header, the key figures, what needs
//! attention, the changes against a baseline, and the traffic charts.

use super::{bytes, limit, log, n, num, section};
use crate::catalogue::catalogue;
use crate::code::{Class, ReplyCode};
use crate::parse::Event;
use crate::report::svg::{Bar, Series};
use crate::report::{svg, Report};
use maud::{html, Markup};

/// The report's first lines: what was read, the time it covered, the window asked for, and
/// every notice (the view's, [`crate::report::header::header`]), with the limits spelt out.
pub(super) fn header(report: &Report) -> Markup {
    let h = crate::report::header::header(report);
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
        crate::report::header::limit_notices(report)
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
pub(super) fn signed(change: i64) -> String {
    match change {
        0 => "\u{b1}0".to_string(),
        c if c > 0 => format!("+{}", num(c.unsigned_abs())),
        c => format!("\u{2212}{}", num(c.unsigned_abs())),
    }
}

/// Key figures as cards (the view's, [`crate::report::baseline::key_figures`]), with their shares
/// and, given a baseline, how they moved.
pub(super) fn figures(report: &Report, baseline: Option<&Report>) -> Markup {
    let approx = report.messages_approx();
    let figures = crate::report::baseline::key_figures(report, baseline);
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
/// mean and what to do (ranked by the view, [`crate::report::attention::needs_attention`]).
pub(super) fn attention(report: &Report) -> Markup {
    use crate::report::attention::{needs_attention, Affected, DEFAULT_MAX};
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
/// [`crate::report::baseline::movers`]).
pub(super) fn changes(report: &Report, baseline: Option<&Report>) -> Markup {
    let Some(baseline) = baseline else {
        return html! {};
    };
    let movers =
        crate::report::baseline::movers(report, baseline, crate::report::attention::DEFAULT_MAX);
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

pub(super) const TRAFFIC: [(&str, &str); 5] = [
    ("received", "s0"),
    ("delivered", "s1"),
    ("deferred", "s2"),
    ("bounced", "s3"),
    ("rejected", "s4"),
];

pub(super) fn class_css(class: Class) -> &'static str {
    match class {
        Class::Positive => "c2",
        Class::Intermediate => "c3",
        Class::Transient => "c4",
        Class::Permanent => "c5",
    }
}

/// An hour's counts in the order of [`TRAFFIC`].
pub(super) fn hour_traffic(h: &crate::report::HourRow) -> [u64; 5] {
    [h.received, h.delivered, h.deferred, h.bounced, h.rejected]
}

/// One chart line per [`TRAFFIC`] kind, a value per row.
pub(super) fn traffic_series<T>(
    rows: &[T],
    traffic: impl Fn(&T) -> [u64; 5],
) -> Vec<Series<'static>> {
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

pub(super) fn charts(report: &Report) -> Markup {
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
