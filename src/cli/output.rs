//! Printing a report: the output options, rendering in each format, and writing it to
//! standard output or `-o FILE` (a reader that went away is not an error).

use super::Outcome;
use anyhow::{bail, Context, Result};
use clap::builder::{EnumValueParser, TypedValueParser};
use clap::{Args, ValueEnum};
use smtplog::report::{self, Dimension, Report};
use smtplog::sanitize::escape_str;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// Options shared by everything that prints a report.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Break counts down by these, comma-separated (CSV rows; in text, only that table).
    ///
    /// The values marked "use alone" each name a whole table of their own (senders, problems,
    /// warnings, blocklists), printed with every row, in CSV or text.
    // Parsed as the CLI's values (the library's type knows no clap), kept as the library's.
    #[arg(long, value_parser = EnumValueParser::<DimensionArg>::new().map(Dimension::from), value_delimiter = ',', value_name = "DIM,...")]
    pub by: Vec<Dimension>,

    /// Add the catalogue's title and advice columns to CSV rows keyed by a code.
    #[arg(long)]
    advice: bool,

    /// Rows per text table (0: all) [default: 10; 20 with --full].
    #[arg(long, value_name = "N")]
    top: Option<usize>,

    /// Every section of the text report (enhanced codes, dsn values, days, hours, senders,
    /// recipients, connections, problems with advice), as before the brief report.
    #[arg(long)]
    full: bool,

    /// Colour in the text report (5xx red, 4xx yellow): auto is on a terminal only, and
    /// never with NO_COLOR set or TERM=dumb.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,

    /// Compare the key figures with an earlier JSON report (`--format json`, such as
    /// yesterday's) and say what moved most.
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,

    /// List examples of Postfix/Exim lines the parser did not understand.
    #[arg(long)]
    show_unrecognised: bool,

    /// Rows of the detail sections of the text report: recipient domains, sending hosts and
    /// warnings; with --full, the problems (0: all) [default: 3; 15 with --full].
    #[arg(long, value_name = "N")]
    detail: Option<usize>,

    /// With --full: show the problems (deferrals, bounces, rejects, grouped by code and
    /// reason) first (the brief report always starts with what needs attention).
    #[arg(long)]
    problems_first: bool,

    /// Write the report to FILE instead of standard output (`-`).
    ///
    /// A regular file is replaced atomically (a temporary file in its directory, then a
    /// rename) and keeps its mode and owner; a new file gets 0666 less the umask; a symlink
    /// is followed; a device or FIFO (/dev/stdout, a pipe) is written in place.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// No progress bar and no notices; the report, warnings and errors still appear.
    #[arg(short, long)]
    pub quiet: bool,

    /// Exit with status 3 (after writing the report) when EXPR holds: bounced>5%,
    /// deferred>=200, 5xx>2%, code:421>100, enhanced:5.7.26>0, unrecognised>0. Repeatable.
    ///
    /// METRIC is an event (delivered, deferred, bounced, expired, rejected, reject_warning,
    /// held, discarded, filtered), a reply class (2xx..5xx), code:NNN, enhanced:X.Y.Z, a line
    /// kind (mail, other, unrecognised, overlong, malformed), replies or received; OP is
    /// one of > >= < <=. A share (N%) of a delivery event is of delivery outcomes (delivered,
    /// deferred, bounced, expired); of rejected, reject_warning, held or discarded, of the
    /// messages offered (received + rejected); of a class or code, of all replies; of a line
    /// kind, of all lines. Each threshold exceeded is one line on stderr, even with --quiet.
    #[arg(long = "fail-if", value_name = "EXPR", value_parser = threshold)]
    fail_if: Vec<smtplog::thresholds::Threshold>,

    /// The report's time and window, for --format prom (set by the command, not an option).
    #[arg(skip)]
    pub times: report::prom::Times,
}

/// When to colour the text report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Tables for people.
    Text,
    /// One JSON object (stable keys; input for `smtplog merge`).
    Json,
    /// One CSV table, rows from `--by`.
    Csv,
    /// Prometheus text metrics, for node_exporter's textfile collector.
    Prom,
    /// One self-contained HTML page with charts (no script, nothing loaded from outside).
    Html,
}

/// The values of `--by`: the library's dimensions, with the help texts `--help` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum DimensionArg {
    /// The basic reply code.
    Code,
    /// The reply class (2xx..5xx).
    Class,
    /// The enhanced code that followed the reply code.
    Enhanced,
    /// Postfix dsn= (or the bare enhanced code of a line without a reply code).
    Dsn,
    /// The event (delivered, deferred, ...).
    Event,
    /// The date.
    Day,
    /// The hour of day.
    Hour,
    /// The MTA (postfix, exim).
    Mta,
    /// Envelope sender of received messages (a table of its own: use alone).
    Sender,
    /// Sender domain (use alone).
    SenderDomain,
    /// Sending host (use alone).
    SendingHost,
    /// Recipient of deliveries (use alone).
    Recipient,
    /// Recipient domain: deliveries, deferrals, bounces, delays (use alone).
    RecipientDomain,
    /// Problems by event, stage, code, enhanced code and reason, with advice (use alone).
    Problem,
    /// Warnings, errors, fatal errors, panics and master messages by daemon (use alone).
    Diagnostic,
    /// postscreen DNSBL ranks (use alone).
    DnsblRank,
    /// dnsblog listings by blocklist and reply (use alone).
    Blocklist,
    /// Problems summed per provider or blocklist, with advice (use alone).
    Provider,
    /// Lines and outcomes per syslog host (`-`: none, as in Exim's main log; use alone).
    Host,
    /// Lines and outcomes per instance, the syslog tag before its `/` (use alone).
    Instance,
}

impl From<DimensionArg> for Dimension {
    fn from(arg: DimensionArg) -> Dimension {
        match arg {
            DimensionArg::Code => Dimension::Code,
            DimensionArg::Class => Dimension::Class,
            DimensionArg::Enhanced => Dimension::Enhanced,
            DimensionArg::Dsn => Dimension::Dsn,
            DimensionArg::Event => Dimension::Event,
            DimensionArg::Day => Dimension::Day,
            DimensionArg::Hour => Dimension::Hour,
            DimensionArg::Mta => Dimension::Mta,
            DimensionArg::Sender => Dimension::Sender,
            DimensionArg::SenderDomain => Dimension::SenderDomain,
            DimensionArg::SendingHost => Dimension::SendingHost,
            DimensionArg::Recipient => Dimension::Recipient,
            DimensionArg::RecipientDomain => Dimension::RecipientDomain,
            DimensionArg::Problem => Dimension::Problem,
            DimensionArg::Diagnostic => Dimension::Diagnostic,
            DimensionArg::DnsblRank => Dimension::DnsblRank,
            DimensionArg::Blocklist => Dimension::Blocklist,
            DimensionArg::Provider => Dimension::Provider,
            DimensionArg::Host => Dimension::Host,
            DimensionArg::Instance => Dimension::Instance,
        }
    }
}

/// Whether an error is a write to a reader that went away (`| head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(is_broken_pipe_cause)
}

/// Looks inside the wrappers (csv, serde_json, io::Error::new) a write error may come in.
fn is_broken_pipe_cause(cause: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(io) = cause.downcast_ref::<io::Error>() {
        io.kind() == io::ErrorKind::BrokenPipe
            || io
                .get_ref()
                .is_some_and(|inner| is_broken_pipe_cause(inner))
    } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
        matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe)
    } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
        json.io_error_kind() == Some(io::ErrorKind::BrokenPipe)
    } else {
        false
    }
}

/// Finish writing to standard output: a reader that went away (`| head`) is not an error.
fn stdout_done(result: Result<()>) -> Result<()> {
    match result {
        Err(err) if is_broken_pipe(&err) => Ok(()),
        other => other,
    }
}

/// Print or write a report as the output options say.
pub fn emit(report: Report, args: &OutputArgs) -> Result<()> {
    match &args.output {
        Some(path) if path.as_os_str() != "-" => {
            let mut buffer = Vec::new();
            render(report, args, &mut buffer)?;
            smtplog::output::write_file(path, &buffer)?;
        }
        _ => {
            let stdout = io::stdout();
            let mut out: Box<dyn Write> = if stdout.is_terminal() {
                Box::new(io::LineWriter::new(stdout.lock()))
            } else {
                Box::new(io::BufWriter::new(stdout.lock()))
            };
            stdout_done(render(report, args, &mut out).and_then(|()| Ok(out.flush()?)))?;
        }
    }
    Ok(())
}

/// Write a whole answer (explain, codes, generate, the events schema) to standard output,
/// buffered; a reader that went away (`| head`) is not an error.
pub fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<Outcome> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    stdout_done(
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(Into::into),
    )?;
    Ok(Outcome::Complete)
}

/// A `--fail-if` expression.
fn threshold(text: &str) -> Result<smtplog::thresholds::Threshold, String> {
    text.parse()
        .map_err(|e: smtplog::thresholds::ThresholdError| e.to_string())
}

/// Say which thresholds a report exceeds (before it is rendered, which consumes it).
pub fn exceeded(report: &Report, args: &OutputArgs) -> Vec<String> {
    smtplog::thresholds::check(&args.fail_if, report)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Print the thresholds exceeded, after the report is written.
pub fn tell_exceeded(lines: &[String]) {
    for line in lines {
        eprintln!("smtplog: {}", escape_str(line));
    }
}

/// A table of its own named by `--by` (sender, problem, ...): it must be the only dimension.
pub fn table_dimension(by: &[Dimension]) -> Result<Option<Dimension>> {
    match by.iter().find(|d| d.is_table()) {
        Some(dim) if by.len() > 1 => bail!(
            "--by {} is a table of its own and cannot be combined with other dimensions",
            dim.name()
        ),
        found => Ok(found.copied()),
    }
}

fn render(report: Report, args: &OutputArgs, out: &mut dyn Write) -> Result<()> {
    if args.advice && args.format != Format::Csv {
        bail!(
            "--advice adds the catalogue's columns to --format csv; the text report gives each problem's fix, and JSON always has it"
        );
    }
    if args.format == Format::Prom {
        if !args.by.is_empty() {
            bail!("--by does not apply to --format prom (its labels are fixed and bounded)");
        }
        report::prom::write(&report, args.times, out)?;
        return Ok(());
    }
    if args.format == Format::Html {
        if !args.by.is_empty() {
            bail!("--by does not apply to --format html (the page has every table; use --format csv or text for a breakdown)");
        }
        let options = report::html::HtmlOptions {
            top: args.top.unwrap_or(20),
            detail: args.detail.unwrap_or(15),
            show_unrecognised: args.show_unrecognised,
            baseline: load_baseline(args)?,
        };
        report::html::write(&report, &options, out)?;
        return Ok(());
    }
    if let Some(dim) = table_dimension(&args.by)? {
        match args.format {
            Format::Prom | Format::Html => unreachable!("handled above"),
            Format::Json => report::json::write(&report, out)?,
            Format::Csv => report::csv::write_table(&report, dim, out)?,
            Format::Text => report::text::write_table(&report, dim, out)?,
        }
        return Ok(());
    }
    match args.format {
        Format::Prom | Format::Html => unreachable!("handled above"),
        Format::Json => {
            // Every kept row, whatever --top (a display choice): `merge` needs complete
            // tables to add them up exactly.
            let mut report = report;
            if !args.by.is_empty() {
                report = report.with_breakdown(&args.by);
            }
            report::json::write(&report, out)?
        }
        Format::Csv => {
            let dims = if args.by.is_empty() {
                vec![Dimension::Code]
            } else {
                args.by.clone()
            };
            report::csv::write(&report, &dims, args.advice, out)?;
        }
        Format::Text => {
            if !args.by.is_empty() {
                // Only the breakdown, as for a table of its own (--by problem).
                return Ok(write_text_breakdown(&report, &args.by, out)?);
            }
            let options = text_options(args)?;
            report::text::write(&report, &options, out)?;
        }
    }
    Ok(())
}

/// The `--by` breakdown as a text table: its keys, and the lines counted for each.
fn write_text_breakdown(report: &Report, by: &[Dimension], out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<&str> = by.iter().map(|d| d.name()).collect();
    let counted = if by
        .iter()
        .any(|d| matches!(d, Dimension::Code | Dimension::Class | Dimension::Enhanced))
    {
        "reply lines (each reply code sent or received once)"
    } else if by.contains(&Dimension::Event) {
        "event lines (deliveries, deferrals, bounces, rejects...)"
    } else {
        "lines with a reply code or an event"
    };
    writeln!(out, "By {}: {counted}", names.join(", "))?;
    writeln!(
        out,
        "  {:<40} {:>9}",
        names.join("  ").to_uppercase(),
        "LINES"
    )?;
    for row in report::group(report, by) {
        writeln!(
            out,
            "  {:<40} {:>9}",
            escape_str(&row.keys.join("  ")),
            row.count
        )?;
    }
    Ok(())
}

/// The `--baseline` report, read and parsed (text and HTML reports).
fn load_baseline(args: &OutputArgs) -> Result<Option<Arc<Report>>> {
    Ok(match &args.baseline {
        Some(path) => {
            // Not escaped here: main escapes the whole message.
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the baseline {}", path.display()))?;
            let base = report::json::read(&text).with_context(|| {
                format!(
                    "the baseline {} is not a JSON report of smtplog (--format json)",
                    path.display()
                )
            })?;
            Some(Arc::new(base))
        }
        None => None,
    })
}

/// The width to lay text out for: the terminal's when stdout is one (and not `-o FILE`),
/// else `COLUMNS`, else 80.
pub fn output_width(to_file: bool) -> usize {
    let terminal = if !to_file && io::stdout().is_terminal() {
        terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
    } else {
        None
    };
    report::brief::width(terminal, std::env::var("COLUMNS").ok().as_deref())
}

/// The text report's options: width, colour and baseline from the environment and flags.
fn text_options(args: &OutputArgs) -> Result<report::text::TextOptions> {
    let to_file = args.output.as_ref().is_some_and(|p| p.as_os_str() != "-");
    let stdout_tty = !to_file && io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    let color = match args.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => stdout_tty && !no_color && !dumb,
    };
    let baseline = load_baseline(args)?;
    Ok(report::text::TextOptions {
        full: args.full,
        width: output_width(to_file),
        color,
        attention: report::attention::DEFAULT_MAX,
        baseline,
        top: args.top.unwrap_or(if args.full { 20 } else { 10 }),
        show_unrecognised: args.show_unrecognised,
        detail: args.detail.unwrap_or(if args.full { 15 } else { 3 }),
        problems_first: args.problems_first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every dimension of the library, as `--by` names it: a match without a wildcard, so
    /// that a new dimension fails to compile here until it has a value (and a help text).
    fn arg_of(dim: Dimension) -> DimensionArg {
        match dim {
            Dimension::Code => DimensionArg::Code,
            Dimension::Class => DimensionArg::Class,
            Dimension::Enhanced => DimensionArg::Enhanced,
            Dimension::Dsn => DimensionArg::Dsn,
            Dimension::Event => DimensionArg::Event,
            Dimension::Day => DimensionArg::Day,
            Dimension::Hour => DimensionArg::Hour,
            Dimension::Mta => DimensionArg::Mta,
            Dimension::Sender => DimensionArg::Sender,
            Dimension::SenderDomain => DimensionArg::SenderDomain,
            Dimension::SendingHost => DimensionArg::SendingHost,
            Dimension::Recipient => DimensionArg::Recipient,
            Dimension::RecipientDomain => DimensionArg::RecipientDomain,
            Dimension::Problem => DimensionArg::Problem,
            Dimension::Diagnostic => DimensionArg::Diagnostic,
            Dimension::DnsblRank => DimensionArg::DnsblRank,
            Dimension::Blocklist => DimensionArg::Blocklist,
            Dimension::Provider => DimensionArg::Provider,
            Dimension::Host => DimensionArg::Host,
            Dimension::Instance => DimensionArg::Instance,
        }
    }

    #[test]
    fn by_values_are_the_dimensions_by_their_names() {
        for &arg in DimensionArg::value_variants() {
            let dim = Dimension::from(arg);
            assert_eq!(arg_of(dim), arg);
            let value = arg.to_possible_value().expect("no value is skipped");
            assert_eq!(value.get_name(), dim.name());
        }
    }
}
