//! The default text report: what is wrong and what to do first, then the key numbers and
//! a few details, fitted to a width in display columns. `--full` prints every section
//! ([`super::text::write`]) instead.
//!
//! Printers only format: every fact comes from the view ([`super::header`],
//! [`super::attention`], [`super::baseline`]); every log string is escaped here, where it
//! meets the terminal.

use super::attention::{needs_attention, Affected, Attention};
use super::baseline::{key_figures, movers, Figure};
use super::header::header;
use super::parties::Accuracy;
use super::text::TextOptions;
use super::Report;
use crate::catalogue::catalogue;
use crate::code::Class;
use crate::parse::Event;
use crate::sanitize::escape_str;
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// The narrowest width the report is laid out for (its widest table row, the hours, is 52
/// columns); narrower terminals get this.
pub const MIN_WIDTH: usize = 60;

/// ANSI colours of the report (only when asked for: a terminal, not NO_COLOR).
#[derive(Clone, Copy)]
enum Paint {
    Red,
    Yellow,
    Bold,
}

/// Writes lines no wider than `width` display columns.
struct Page<'a> {
    out: &'a mut dyn Write,
    width: usize,
    color: bool,
}

impl Page<'_> {
    fn paint(&self, text: &str, paint: Paint) -> String {
        if !self.color || text.is_empty() {
            return text.to_string();
        }
        let code = match paint {
            Paint::Red => "31",
            Paint::Yellow => "33",
            Paint::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// The colour of a reply class or event, if it has one.
    fn paint_for(text: &str) -> Option<Paint> {
        match text.as_bytes().first() {
            _ if matches!(text, "bounced" | "expired") => Some(Paint::Red),
            _ if text == "deferred" => Some(Paint::Yellow),
            Some(b'5') => Some(Paint::Red),
            Some(b'4') => Some(Paint::Yellow),
            _ => None,
        }
    }

    /// Colour the whole words of `head` that are `hot` (a trailing `:` aside), each once.
    fn paint_words(&self, head: &str, hot: &[&str]) -> String {
        let mut done: Vec<&str> = Vec::new();
        let words: Vec<String> = head
            .split(' ')
            .map(|word| {
                let bare = word.strip_suffix(':').unwrap_or(word);
                match Self::paint_for(bare) {
                    Some(paint) if hot.contains(&bare) && !done.contains(&bare) => {
                        done.push(bare);
                        format!("{}{}", self.paint(bare, paint), &word[bare.len()..])
                    }
                    _ => word.to_string(),
                }
            })
            .collect();
        words.join(" ")
    }

    /// `text` wrapped to the width: the first line starts with `first`, the others with
    /// `rest` (a hanging indent). `first` may hold one token to colour (`hot`), coloured
    /// after measuring, so colour never changes the layout.
    fn para(&mut self, first: &str, rest: &str, text: &str, hot: &[&str]) -> io::Result<()> {
        self.para_as(first, rest, text, hot, true)
    }

    /// [`Page::para`]; `break_words` false keeps a word longer than the line whole (a URL
    /// of ours, to copy or click) at the cost of that line's width.
    fn para_as(
        &mut self,
        first: &str,
        rest: &str,
        text: &str,
        hot: &[&str],
        break_words: bool,
    ) -> io::Result<()> {
        // Break at spaces only: never inside a path, host or address at its hyphens.
        let options = textwrap::Options::new(self.width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .break_words(break_words)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        let text = if text.is_empty() { " " } else { text };
        for (i, line) in textwrap::wrap(text, options).iter().enumerate() {
            let mut line = line.trim_end().to_string();
            if i == 0 && self.color {
                let (head, tail) = line.split_at(first.len().min(line.len()));
                line = format!("{}{tail}", self.paint_words(head, hot));
            }
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }

    /// A section title, underlined, with a line of explanation.
    fn section(&mut self, title: &str, explanation: &str) -> io::Result<()> {
        writeln!(self.out)?;
        writeln!(self.out, "{}", self.paint(title, Paint::Bold))?;
        writeln!(self.out, "{}", "-".repeat(title.width().min(self.width)))?;
        if !explanation.is_empty() {
            self.para("", "", explanation, &[])?;
        }
        Ok(())
    }
}

/// Pad to `width` display columns on the right.
fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// Pad to `width` display columns on the left.
fn pad_left(text: &str, width: usize) -> String {
    let w = text.width();
    format!("{}{text}", " ".repeat(width.saturating_sub(w)))
}

/// The width a report is laid out for: the terminal's, else `COLUMNS`, else 80 (at least
/// [`MIN_WIDTH`]). `terminal` is the terminal's width when stdout is one.
pub fn width(terminal: Option<usize>, columns: Option<&str>) -> usize {
    terminal
        .or_else(|| columns.and_then(|c| c.trim().parse().ok()))
        .filter(|w| *w > 0)
        .unwrap_or(80)
        .max(MIN_WIDTH)
}

/// Write the default text report.
pub fn write(report: &Report, options: &TextOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut page = Page {
        out,
        width: options.width.max(MIN_WIDTH),
        color: options.color,
    };
    write_header(report, options, &mut page)?;
    let items = needs_attention(report, options.attention);
    write_attention(&items, &mut page)?;
    write_figures(report, options, &mut page)?;
    write_replies(report, options, &mut page)?;
    write_details(report, options, &mut page)?;
    if options.show_unrecognised && !report.unrecognised_examples.is_empty() {
        page.section(
            "Unrecognised Postfix/Exim lines",
            "The first lines smtplog did not understand, one per line as the log has them \
             (escaped, not wrapped, to copy into a bug report).",
        )?;
        for line in &report.unrecognised_examples {
            writeln!(page.out, "  {}", escape_str(line))?;
        }
    }
    writeln!(page.out)?;
    page.para(
        "",
        "",
        "More: --full prints every section; smtplog explain CODE explains a code.",
        &[],
    )
}

fn write_header(report: &Report, options: &TextOptions, page: &mut Page<'_>) -> io::Result<()> {
    let h = header(report);
    let files: Vec<String> = h
        .inputs
        .iter()
        .map(|i| format!("{} ({} lines)", escape_str(&i.name), i.lines))
        .collect();
    let read = if files.is_empty() {
        "merged reports".to_string()
    } else {
        files.join(", ")
    };
    page.para("Mail log report of ", "  ", &read, &[])?;
    let span = match (&h.first_seen, &h.last_seen) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no line had a time stamp".to_string(),
    };
    page.para("Time seen: ", "  ", &span, &[])?;
    if h.since.is_some() || h.until.is_some() {
        let window = format!(
            "{} to {} (lines outside it are not counted)",
            h.since.as_deref().unwrap_or("the start"),
            h.until.as_deref().unwrap_or("the end")
        );
        page.para("Window: ", "  ", &window, &[])?;
    }
    let l = &h.lines;
    let mut lines = format!(
        "{} ({} Postfix/Exim, {} other, {} not understood",
        l.total, l.mail, l.other, l.unrecognised
    );
    if l.debug > 0 {
        lines.push_str(&format!(", {} debug", l.debug));
    }
    lines.push(')');
    page.para("Lines: ", "  ", &lines, &[])?;
    if let Some(base) = &options.baseline {
        let span = match (&base.first_seen, &base.last_seen) {
            (Some(a), Some(b)) => format!("a report of {a} to {b}"),
            _ => "an earlier report".to_string(),
        };
        page.para("Compared with: ", "  ", &span, &[])?;
    }
    for notice in &h.notices {
        page.para("Note: ", "  ", &escape_str(notice), &[])?;
    }
    Ok(())
}

/// `bounced 550 5.1.1` as the attention list and the movers write it.
fn what(
    event: Option<Event>,
    stage: Option<&str>,
    code: Option<u16>,
    enhanced: Option<&str>,
) -> Vec<String> {
    let mut parts = Vec::new();
    parts.push(match event {
        Some(e) => e.name().to_string(),
        None => "refused".to_string(),
    });
    if let Some(stage) = stage {
        parts.push(format!("at {stage}"));
    }
    if let Some(code) = code {
        parts.push(code.to_string());
    }
    if let Some(enhanced) = enhanced {
        parts.push(enhanced.to_string());
    }
    parts
}

fn write_attention(items: &[Attention], page: &mut Page<'_>) -> io::Result<()> {
    if items.is_empty() {
        page.section("Needs attention", "")?;
        return page.para("", "", "No delivery problems.", &[]);
    }
    page.section(
        "Needs attention",
        "What hurt the most messages; lost mail (bounced, expired) weighs most, then late \
         mail (deferred), then mail this server refused.",
    )?;
    for (i, item) in items.iter().enumerate() {
        let parts = what(
            item.event,
            item.stage.as_deref(),
            item.code,
            item.enhanced.as_deref(),
        );
        let number = format!("{:>2}. ", i + 1);
        let head = format!("{number}{} {}: ", item.count, parts.join(" "));
        let hot: Vec<&str> = parts.iter().map(String::as_str).collect();
        page.para(&head, "      ", &escape_str(&item.reason), &hot)?;
        let indent = "    ";
        let deeper = "      ";
        if !item.affected.is_empty() {
            let label = match item.affected_kind {
                Affected::RecipientDomains => "to: ",
                Affected::Clients => "from: ",
            };
            let who: Vec<String> = item
                .affected
                .iter()
                .map(|a| escape_str(a).into_owned())
                .collect();
            page.para(&format!("{indent}{label}"), deeper, &who.join(", "), &[])?;
        }
        if let Some(provider) = &item.provider {
            page.para(&format!("{indent}said by: "), deeper, provider, &[])?;
        }
        if !item.meaning.is_empty() {
            page.para(&format!("{indent}means: "), deeper, &item.meaning, &[])?;
        }
        if !item.fix.is_empty() {
            page.para(&format!("{indent}fix: "), deeper, &item.fix, &[])?;
        }
        if let Some(url) = &item.url {
            page.para_as(&format!("{indent}see: "), deeper, url, &[], false)?;
        }
    }
    Ok(())
}

fn figure_row(f: &Figure, baseline: bool, page: &mut Page<'_>) -> io::Result<()> {
    let share = f.share.map_or_else(String::new, |s| format!("{s:.1}%"));
    let value = f.value.to_string();
    let head = if baseline {
        // "bounced   12 -> 340": the baseline's value, then today's.
        let before = f.before.unwrap_or(0).to_string();
        format!(
            "  {} {} -> {} {}  ",
            pad(f.name, 10),
            pad_left(&before, 7),
            pad_left(&value, 7),
            pad_left(&share, 6)
        )
    } else {
        format!(
            "  {} {} {}  ",
            pad(f.name, 10),
            pad_left(&value, 8),
            pad_left(&share, 6)
        )
    };
    let hang = " ".repeat(head.width().min(page.width.saturating_sub(20)));
    page.para(&head, &hang, &f.note, &[f.name])
}

fn write_figures(report: &Report, options: &TextOptions, page: &mut Page<'_>) -> io::Result<()> {
    let baseline = options.baseline.as_deref();
    let explanation = if baseline.is_some() {
        "Received counts messages accepted; the others count recipients, each as the \
         baseline had it -> now. Shares: of delivery attempts; rejected, of messages offered."
    } else {
        "Received counts messages accepted; the others count recipients. Shares: of delivery \
         attempts; rejected, of messages offered (received + rejected)."
    };
    page.section("Key figures", explanation)?;
    for f in key_figures(report, baseline) {
        figure_row(&f, baseline.is_some(), page)?;
    }
    let approx = report.messages_approx();
    page.para(
        "  ",
        "  ",
        &format!(
            "{approx}{} distinct messages (accepted here or passing through); \
             {} received, {} delivered.",
            report.messages,
            super::text::bytes(report.bytes_received),
            super::text::bytes(report.bytes_delivered)
        ),
        &[],
    )?;
    if let Some(base) = baseline {
        let moved = movers(report, base, 3);
        if !moved.is_empty() {
            let texts: Vec<String> = moved
                .iter()
                .map(|m| {
                    let mut t = format!(
                        "{} {} -> {}",
                        what(m.event, None, m.code, m.enhanced.as_deref()).join(" "),
                        m.before,
                        m.after
                    );
                    if let Some(who) = &m.top_affected {
                        let by = if m.event == Some(Event::Rejected) {
                            "from"
                        } else {
                            "to"
                        };
                        t.push_str(&format!(" ({by} {})", escape_str(who)));
                    }
                    if m.new {
                        t.push_str(", new today");
                    }
                    t
                })
                .collect();
            writeln!(page.out, "  Moved most since the baseline:")?;
            for text in texts {
                page.para("  - ", "    ", &text, &[])?;
            }
        }
    }
    Ok(())
}

fn write_replies(report: &Report, options: &TextOptions, page: &mut Page<'_>) -> io::Result<()> {
    if report.replies == 0 {
        return Ok(());
    }
    let cat = catalogue();
    page.section(
        "Replies by class",
        "Every SMTP reply code sent or received, by its first digit.",
    )?;
    for class in Class::ALL {
        let n = report.by_class.get(class);
        if n == 0 {
            continue;
        }
        let (name, action) = cat
            .class(class)
            .map_or(("", ""), |c| (c.name.as_str(), c.sender_action.as_str()));
        let head = format!(
            "  {}  {}  {:>5.1}%  ",
            class.label(),
            pad_left(&n.to_string(), 8),
            super::percent(n, report.replies)
        );
        page.para(
            &head,
            &" ".repeat(head.width()),
            &format!("{name} ({action})"),
            &[class.label()],
        )?;
    }
    page.section(
        "Replies by code",
        "The most frequent reply codes and what they mean.",
    )?;
    let top = options.top;
    for row in super::text::limit(&report.by_code, top) {
        let head = format!(
            "  {}  {}  {:>5.1}%  ",
            row.code,
            pad_left(&row.count.to_string(), 8),
            row.share
        );
        page.para(
            &head,
            &" ".repeat(head.width()),
            &row.title,
            &[row.code.as_str()],
        )?;
    }
    if top != 0 && report.by_code.len() > top {
        page.para(
            "  ",
            "  ",
            &format!(
                "({} more codes; --top 0 shows all)",
                report.by_code.len() - top
            ),
            &[],
        )?;
    }
    Ok(())
}

fn write_details(report: &Report, options: &TextOptions, page: &mut Page<'_>) -> io::Result<()> {
    // Hours with traffic only, with an inline bar of what was received and delivered.
    let hours: Vec<_> = report
        .by_hour
        .iter()
        .filter(|h| h.received + h.delivered + h.deferred + h.bounced + h.rejected > 0)
        .collect();
    if !hours.is_empty() {
        let days = match report.days_counted() {
            None => "all days".to_string(),
            Some(1) => "1 day".to_string(),
            Some(n) => format!("{n} days"),
        };
        page.section(
            "Traffic by hour",
            &format!("Hours with traffic only, summed over {days}."),
        )?;
        writeln!(
            page.out,
            "  HOUR  {} {} {} {} {}",
            pad_left("RECEIVED", 8),
            pad_left("DELIVERED", 9),
            pad_left("DEFERRED", 8),
            pad_left("BOUNCED", 7),
            pad_left("REJECTED", 8)
        )?;
        for h in hours {
            writeln!(
                page.out,
                "  {:02}    {:>8} {:>9} {:>8} {:>7} {:>8}",
                h.hour, h.received, h.delivered, h.deferred, h.bounced, h.rejected
            )?;
        }
    }
    if report.days_counted() > Some(1) {
        page.section(
            "By day",
            "Each day's messages received and delivery outcomes.",
        )?;
        writeln!(
            page.out,
            "  {}  {} {} {} {} {}",
            pad("DAY", 10),
            pad_left("RECEIVED", 8),
            pad_left("DELIVERED", 9),
            pad_left("DEFERRED", 8),
            pad_left("BOUNCED", 7),
            pad_left("REJECTED", 8)
        )?;
        for d in super::text::limit(&report.by_day, options.top) {
            writeln!(
                page.out,
                "  {}  {:>8} {:>9} {:>8} {:>7} {:>8}",
                pad(&d.day, 10),
                d.received,
                d.by_event.delivered,
                d.by_event.deferred,
                d.by_event.bounced,
                d.by_event.rejected
            )?;
        }
    }
    let domains = &report.parties.recipient_domains;
    if !domains.rows.is_empty() && domains.accuracy != Accuracy::Estimated {
        page.section(
            "Recipient domains",
            "Where mail went, busiest first: deliveries, deferrals and bounces per domain.",
        )?;
        writeln!(
            page.out,
            "  {} {} {}  DOMAIN",
            pad_left("DELIVERED", 9),
            pad_left("DEFERRED", 8),
            pad_left("BOUNCED", 7)
        )?;
        for row in super::text::limit(&domains.rows, options.detail) {
            let head = format!(
                "  {:>9} {:>8} {:>7}  ",
                row.delivered, row.deferred, row.bounced
            );
            page.para(
                &head,
                &" ".repeat(head.width()),
                &escape_str(&row.domain),
                &[],
            )?;
        }
        super::text::more_rows(page.out, domains.rows.len(), options.detail)?;
    }
    let hosts = &report.parties.sending_hosts;
    if !hosts.rows.is_empty() && hosts.accuracy != Accuracy::Estimated {
        page.section(
            "Sending hosts",
            "Who sent the messages received, busiest first.",
        )?;
        writeln!(page.out, "  {}  HOST", pad_left("MESSAGES", 9))?;
        for row in super::text::limit(&hosts.rows, options.detail) {
            let head = format!("  {:>9}  ", row.messages);
            page.para(&head, &" ".repeat(head.width()), &escape_str(&row.key), &[])?;
        }
        super::text::more_rows(page.out, hosts.rows.len(), options.detail)?;
    }
    let faults: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity != crate::parse::Severity::Info)
        .collect();
    if !faults.is_empty() {
        page.section(
            "Warnings and errors",
            "What the mail server itself complained about, most frequent first.",
        )?;
        for d in super::text::limit(&faults, options.detail) {
            let head = format!(
                "  {:>7}  {} {}: ",
                d.count,
                d.severity.name(),
                escape_str(&d.program)
            );
            page.para(&head, "           ", &escape_str(&d.text), &[])?;
        }
        super::text::more_rows(page.out, faults.len(), options.detail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
