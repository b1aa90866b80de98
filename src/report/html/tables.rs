//! The HTML tables of replies and events: classes, codes with their catalogue entries,
//! events, days and hours, delays and connections.

use super::overview::{class_css, hour_traffic, TRAFFIC};
use super::{d, limit, log, more, n, num, section};
use crate::catalogue::catalogue;
use crate::code::{Class, ReplyCode};
use crate::parse::Event;
use crate::report::{percent, Report};
use maud::{html, Markup};

pub(super) fn classes(report: &Report) -> Markup {
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
pub(super) fn reply_entry(code: &str) -> Markup {
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

pub(super) fn codes(report: &Report, top: usize) -> Markup {
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

pub(super) fn events(report: &Report, top: usize) -> Markup {
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

pub(super) fn days_and_hours(report: &Report) -> Markup {
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

pub(super) fn delays_and_connections(report: &Report) -> Markup {
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
