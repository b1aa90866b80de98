//! HTML output: one self-contained HTML5 file (inline CSS and SVG, no script, no external
//! resource, a Content-Security-Policy that forbids them), with the text report's sections
//! laid out for a browser, a phone, print and dark mode.
//!
//! Every string taken from a log goes through [`log`]: control, invisible and bidi
//! characters become visible escapes as in the text report, and maud then HTML-escapes it
//! (`<`, `>`, `&`, `"`), in text and in attributes alike.

use super::parties::{Accuracy, Table};
use super::Report;
use crate::sanitize::escape_str;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::io::{self, Write};

mod overview;
mod tables;
mod who;

use overview::{attention, changes, charts, figures, header};
use tables::{classes, codes, days_and_hours, delays_and_connections, events};
use who::{blocklists, diagnostics, parties, problems, unrecognised};

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
        // Data flows one way: the printers know the Report, never the counting types.
        let printers = [
            include_str!("html.rs"),
            include_str!("html/overview.rs"),
            include_str!("html/tables.rs"),
            include_str!("html/who.rs"),
            include_str!("svg.rs"),
            include_str!("text.rs"),
            include_str!("text/who.rs"),
            include_str!("text/diagnosis.rs"),
            include_str!("csv.rs"),
            include_str!("json.rs"),
            include_str!("prom.rs"),
            include_str!("brief.rs"),
        ];
        for source in printers {
            for name in [
                concat!("Sum", "mary"),
                concat!("crate::", "count"),
                concat!("crate::", "tables"),
                concat!("crate::", "scan"),
                concat!("cl", "ap::"),
            ] {
                assert!(!source.contains(name), "{name}");
            }
        }
    }
}
