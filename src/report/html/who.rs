//! The HTML sections on who was involved: blocklists, traffic by party, parties, provider
//! diagnostics, problems and the unrecognised lines.

use super::{b, d, distinct, limit, log, more, n, num, section, HtmlOptions};
use crate::parse::Severity;
use crate::report::parties::{Accuracy, Table, TrafficRow};
use crate::report::Report;
use maud::{html, Markup};

pub(super) fn blocklists(report: &Report, detail: usize) -> Markup {
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

pub(super) fn traffic(
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

pub(super) fn parties(report: &Report, top: usize) -> Markup {
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

pub(super) fn diagnostics(report: &Report, detail: usize) -> Markup {
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

pub(super) fn problems(report: &Report, detail: usize) -> Markup {
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

pub(super) fn unrecognised(report: &Report, options: &HtmlOptions) -> Markup {
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
