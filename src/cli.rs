//! Command-line interface: clap definitions and the glue from arguments to the library.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use smtplog::input::{Input, DEFAULT_CHUNK_SIZE};
use smtplog::report::{self, Dimension, Report};
use smtplog::sanitize::escape_str;
use smtplog::scan::{self, ScanOptions, YearSource};
use smtplog::window::{self, Window, Zone};
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// The exit statuses, at the end of both `smtplog --help` and `smtplog report --help`
/// (a macro, so that `concat!` can take it).
macro_rules! exit_status_help {
    () => {
        "\
Exit status:
  0  every input was read and held Postfix or Exim lines; the report was written
  1  a report was written, but some input could not be read (or only partly)
  2  usage error, nothing could be read, or the report could not be written
  3  a report was written, and a --fail-if threshold was exceeded
  4  a report was written, but no line was a Postfix or Exim line (or the window kept none)"
    };
}

const AFTER_HELP: &str = concat!(
    "\
Examples:
  smtplog report /var/log/mail.log
  smtplog explain 551
  smtplog explain 450 451 550
  smtplog codes --format csv > codes.csv
  smtplog merge mx1.json mx2.json

",
    exit_status_help!()
);

const REPORT_HELP: &str = concat!(
    "\
Examples:
  smtplog report /var/log/mail.log
  smtplog report /var/log/mail.log /var/log/exim4/mainlog
  journalctl -u postfix -o short-iso | smtplog report -
  smtplog report --day yesterday -o today.txt /var/log/mail.log
  smtplog report --day yesterday --format json -o today.json /var/log/mail.log
  smtplog report --baseline yesterday.json --day today /var/log/mail.log
  smtplog report --full --top 0 /var/log/mail.log | less
  smtplog report --format csv --by code,day /var/log/mail.log > codes.csv
  smtplog report --format csv --by problem --advice /var/log/mail.log > problems.csv

",
    exit_status_help!()
);

/// The version, and whether this binary was built for release (the speed figures hold only then).
#[cfg(not(debug_assertions))]
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (release build)");
#[cfg(debug_assertions)]
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (debug build)");

/// Count and explain the SMTP reply codes in Postfix and Exim logs.
#[derive(Parser, Debug)]
#[command(name = "smtplog", version = VERSION, about, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Count the SMTP replies, enhanced codes and delivery events in logs.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// Explain a reply code (551) or enhanced code (5.7.1), several side by side, or a log line or reply text.
    #[command(
        after_help = "Examples:\n  smtplog explain 551\n  smtplog explain 5.7.1\n  smtplog explain 251 551\n  smtplog explain 450 451 550 5.7.1\n  smtplog explain 550 --lang fr\n  smtplog explain --line \"$(grep -m1 'status=bounced' /var/log/mail.log)\"\n  smtplog explain --text '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred'"
    )]
    Explain(ExplainArgs),
    /// Print the whole catalogue (every reply code and enhanced status code).
    #[command(
        after_help = "Examples:\n  smtplog codes | less\n  smtplog codes --format csv > smtp-codes.csv\n  smtplog codes --format json | jq '.[] | select(.code == \"551\")'"
    )]
    Codes(CodesArgs),
    /// Add up JSON reports (from other hosts or days) into one report.
    #[command(
        after_help = "Example:\n  smtplog merge mx1.json mx2.json --format csv --by code,day"
    )]
    Merge(MergeArgs),
    /// Stream one record per reply or event line (NDJSON or CSV), for log engines.
    #[command(
        after_help = "Examples:\n  smtplog events /var/log/mail.log > events.ndjson\n  smtplog events --format csv --day yesterday /var/log/mail.log | clickhouse-client -q 'INSERT INTO smtp_events FORMAT CSVWithNames'\n  smtplog events --schema"
    )]
    Events(EventsArgs),
    /// Print the man page or a shell's completion script (for packagers).
    #[command(
        after_help = "Examples:\n  smtplog generate man > /usr/local/share/man/man1/smtplog.1\n  smtplog generate completions bash > /etc/bash_completion.d/smtplog"
    )]
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
struct EventsArgs {
    /// Print the JSON Schema of a record and exit.
    #[arg(long, exclusive = true)]
    schema: bool,

    #[command(flatten)]
    logs: Option<LogArgs>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EventsFormat::Ndjson)]
    format: EventsFormat,

    /// Keep each reply text as written (escaped) instead of normalising it.
    #[arg(long)]
    raw: bool,

    /// Write the records to FILE instead of standard output (same rules as report's -o).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// No notes; warnings and errors still appear.
    #[arg(short, long)]
    quiet: bool,
}

/// Formats of `events`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EventsFormat {
    /// One JSON object per line.
    Ndjson,
    /// CSV with a header row, for COPY / LOAD DATA.
    Csv,
}

#[derive(Args, Debug)]
struct GenerateArgs {
    #[command(subcommand)]
    what: Generated,
}

#[derive(Subcommand, Debug)]
enum Generated {
    /// The man page smtplog(1), in roff.
    Man,
    /// The completion script for a shell.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// One code, or several to compare side by side.
    #[arg(required_unless_present_any = ["line", "text"], conflicts_with_all = ["line", "text"], num_args = 1.., value_name = "CODE")]
    codes: Vec<String>,
    /// Explain one pasted Postfix or Exim log line: what smtplog reads from it, the code's
    /// entry and the provider's or blocklist's advice.
    #[arg(long, value_name = "LOG LINE", conflicts_with = "text", allow_hyphen_values = true, value_parser = clap::value_parser!(OsString))]
    line: Option<OsString>,
    /// The same for a bare reply text (`550 5.7.26 ...`).
    #[arg(long, value_name = "REPLY", allow_hyphen_values = true, value_parser = clap::value_parser!(OsString))]
    text: Option<OsString>,
    /// With --text: the host that sent the reply, so that rules known by host apply.
    #[arg(long, value_name = "HOST", requires = "text", conflicts_with_all = ["codes", "line"])]
    relay: Option<String>,
    /// Language of the headings (default: from LANG, else English); entry texts are English.
    #[arg(long, value_enum)]
    lang: Option<smtplog::explain::Lang>,
}

#[derive(Args, Debug)]
struct CodesArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = smtplog::explain::ExportFormat::Text)]
    format: smtplog::explain::ExportFormat,
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// JSON reports written by `smtplog report --format json`.
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Keys each sender and recipient table keeps exactly, as for `report` (0: all).
    #[arg(long, default_value_t = smtplog::count::parties::DEFAULT_MAX_DISTINCT, value_name = "N")]
    max_distinct: usize,
}

/// Options shared by everything that prints a report.
#[derive(Args, Debug, Clone)]
struct OutputArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Break counts down by these, comma-separated (CSV rows; in text, only that table).
    ///
    /// The values marked "use alone" each name a whole table of their own (senders, problems,
    /// warnings, blocklists), printed with every row, in CSV or text.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "DIM,...")]
    by: Vec<Dimension>,

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
    quiet: bool,

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
    times: report::prom::Times,
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

#[derive(Args, Debug)]
struct ReportArgs {
    #[command(flatten)]
    logs: LogArgs,

    #[command(flatten)]
    output: OutputArgs,
}

/// The logs to read and how to read them (`report` and `events`).
#[derive(Args, Debug)]
struct LogArgs {
    /// Log files: syslog or Exim lines, or `journalctl -o json` / `-o export` output; plain,
    /// gzip, xz, bzip2 or zstd; all told apart by content. `-` reads standard input.
    #[arg(required = true, value_name = "LOG", value_parser = clap::value_parser!(OsString))]
    inputs: Vec<OsString>,

    /// Count only lines at or after this time: 2026-11-03, 2026-11-03T04:00, RFC 3339, today,
    /// yesterday, -24h, -7d.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    since: Option<String>,

    /// Count only lines before this time (same forms as --since; the window is [since, until)).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    until: Option<String>,

    /// Count only lines of one day: 2026-11-03, today or yesterday.
    #[arg(long, value_name = "DAY", conflicts_with_all = ["since", "until"])]
    day: Option<String>,

    /// Count only the lines of this syslog host (journald: `_HOSTNAME`); the others count as
    /// outside the window, and lines without a host field (Exim's own main log) too.
    #[arg(long, value_name = "NAME")]
    host: Option<String>,

    /// Time zone of log stamps without an offset, and of the times above (IANA name, UTC or local).
    #[arg(long, value_name = "ZONE", default_value = "local")]
    tz: String,

    /// The current time, for reproducible relative windows (RFC 3339).
    #[arg(long, hide = true, value_name = "TIME")]
    now: Option<String>,

    /// Loopback ports of content filters (amavis...): Postfix deliveries to them are counted as
    /// `filtered`, not `delivered`, since the message comes back and is delivered later.
    #[arg(long, value_delimiter = ',', value_name = "PORT,...", default_value = DEFAULT_FILTER_PORTS)]
    filter_ports: Vec<u16>,

    /// Year of each file's first syslog timestamp without one; later lines roll over at New
    /// Year (default: from each file's modification time).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i32).range(1970..=9999))]
    year: Option<i32>,

    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N")]
    threads: usize,

    /// Bytes per chunk handed to a worker, 1 to 64 MiB (results never depend on it).
    #[arg(long, default_value_t = DEFAULT_CHUNK_SIZE, hide = true, value_parser = chunk_size)]
    chunk_size: usize,

    /// Senders, hosts, recipients and domains each table keeps exactly; past that it keeps a
    /// reproducible sample and estimates the distinct count (memory stays bounded). 0: keep
    /// every key exactly, however many (memory then grows with them).
    #[arg(long, default_value_t = smtplog::count::parties::DEFAULT_MAX_DISTINCT, value_name = "N")]
    max_distinct: usize,
}

/// `--filter-ports`' default, written as the option takes it (a comma list).
const DEFAULT_FILTER_PORTS: &str = "10024,10025,10026,10030,10032";

/// How a run ended, when it produced a report.
pub enum Outcome {
    /// Every input was read.
    Complete,
    /// Some input could not be read (exit code 1).
    SomeInputsFailed,
    /// Everything was read, but no line was a Postfix or Exim line in the window (exit code 4).
    NoMailLines,
    /// A `--fail-if` threshold was exceeded (exit code 3).
    ThresholdExceeded,
}

/// Parse the arguments and run the command.
pub fn run() -> Result<Outcome> {
    // Help and version print and exit 0; usage errors carry our prefix, like every other
    // error ("smtplog: error: ..."), and exit 2.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprint!("smtplog: {}", e.render());
            std::process::exit(2);
        }
    };
    match cli.command {
        Command::Report(args) => run_report(args),
        Command::Explain(args) => {
            let lang = args
                .lang
                .unwrap_or_else(|| smtplog::explain::Lang::from_locale(locale().as_deref()));
            use std::os::unix::ffi::OsStrExt;
            let relay = args.relay.as_deref().map(str::as_bytes);
            let text = match (&args.line, &args.text, args.codes.as_slice()) {
                (Some(line), _, _) => smtplog::diagnose::explain_line(line.as_bytes(), lang),
                (_, Some(text), _) => smtplog::diagnose::explain_text(text.as_bytes(), relay, lang),
                (_, _, [one]) => smtplog::explain::explain_one(one, lang),
                (_, _, codes) => {
                    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                    smtplog::explain::compare_all(&codes, lang)
                }
            }
            .map_err(anyhow::Error::msg)?;
            let text = smtplog::explain::wrap(&text, output_width(false));
            to_stdout(|out| out.write_all(text.as_bytes()))
        }
        Command::Codes(args) => to_stdout(|out| smtplog::explain::export(args.format, out)),
        Command::Merge(args) => run_merge(args),
        Command::Events(args) => run_events(args),
        Command::Generate(args) => {
            use clap::CommandFactory;
            to_stdout(|out| match args.what {
                Generated::Man => crate::generate::man_page(Cli::command(), out),
                Generated::Completions { shell } => {
                    crate::generate::completions(shell, Cli::command(), out);
                    Ok(())
                }
            })
        }
    }
}

/// Write a whole answer (explain, codes, generate, the events schema) to standard output,
/// buffered; a reader that went away (`| head`) is not an error.
fn to_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<Outcome> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    stdout_done(
        write(&mut out)
            .and_then(|()| out.flush())
            .map_err(Into::into),
    )?;
    Ok(Outcome::Complete)
}

/// The locale for messages, by POSIX precedence: the first of LC_ALL, LC_MESSAGES and LANG
/// that is set and not empty.
fn locale() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
}

/// A table of its own named by `--by` (sender, problem, ...): it must be the only dimension.
fn table_dimension(by: &[Dimension]) -> Result<Option<Dimension>> {
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
fn output_width(to_file: bool) -> usize {
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

/// A progress bar on stderr (terminals only), fed by the bytes the scan reads from disk.
struct Progress {
    bytes: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    drawer: std::thread::JoinHandle<()>,
}

impl Progress {
    fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        let _ = self.drawer.join();
    }
}

fn progress_bar(inputs: &[Input]) -> Progress {
    let bytes = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let total = smtplog::input::total_size(inputs);
    let (b, d) = (Arc::clone(&bytes), Arc::clone(&done));
    let drawer = std::thread::spawn(move || {
        // The bar counts from the start, hidden, so that its rate and ETA are measured over
        // the whole run (a bar made late saw all the bytes so far arrive at once: TiB/s, and
        // an ETA stuck at 0s); it is shown after half a second, so short runs never flicker.
        let started = std::time::Instant::now();
        let bar = (total > 0).then(|| {
            let pb = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::hidden(),
            );
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        });
        let mut shown = false;
        while !d.load(Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if let Some(pb) = &bar {
                pb.set_position(b.load(Ordering::Relaxed).min(total));
                if !shown && started.elapsed() > std::time::Duration::from_millis(500) {
                    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    shown = true;
                }
            }
        }
        if let Some(pb) = bar {
            pb.finish_and_clear();
        }
    });
    Progress {
        bytes,
        done,
        drawer,
    }
}

/// Print a scan's notes (unless `quiet`) and the inputs it could not read.
fn tell(notices: &[String], errors: &[smtplog::input::InputError], quiet: bool) {
    if !quiet {
        for notice in notices {
            eprintln!("smtplog: note: {}", escape_str(notice));
        }
    }
    for error in errors {
        eprintln!("smtplog: error: {}", escape_str(&error.to_string()));
    }
}

/// A `--fail-if` expression.
fn threshold(text: &str) -> Result<smtplog::thresholds::Threshold, String> {
    text.parse()
        .map_err(|e: smtplog::thresholds::ThresholdError| e.to_string())
}

/// Say which thresholds a report exceeds (before it is rendered, which consumes it).
fn exceeded(report: &Report, args: &OutputArgs) -> Vec<String> {
    smtplog::thresholds::check(&args.fail_if, report)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Print the thresholds exceeded, after the report is written.
fn tell_exceeded(lines: &[String]) {
    for line in lines {
        eprintln!("smtplog: {}", escape_str(line));
    }
}

/// A `--chunk-size` value: big enough to hold a byte, small enough that a few per thread fit.
fn chunk_size(text: &str) -> Result<usize, String> {
    const MAX: usize = 64 << 20;
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX).contains(&n) => Ok(n),
        _ => Err(format!("must be a number of bytes from 1 to {MAX}")),
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
fn emit(report: Report, args: &OutputArgs) -> Result<()> {
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

fn run_merge(args: MergeArgs) -> Result<Outcome> {
    table_dimension(&args.output.by)?;
    let mut merger = report::merge::Merger::new(args.max_distinct);
    // A bad report is named and left out; the others are still merged (exit status 1).
    let mut refused = 0;
    for path in &args.reports {
        let merged = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .and_then(|text| {
                merger
                    .add_json(&text)
                    .with_context(|| format!("cannot merge {}", path.display()))
            });
        if let Err(e) = merged {
            eprintln!("smtplog: error: {}", escape_str(&format!("{e:#}")));
            refused += 1;
        }
    }
    if refused == args.reports.len() {
        bail!("no report could be merged");
    }
    let report = Report::new(&merger.finish());
    let over = exceeded(&report, &args.output);
    let mut output = args.output;
    output.times.generated = chrono::Utc::now().timestamp();
    emit(report, &output)?;
    tell_exceeded(&over);
    Ok(if refused > 0 {
        Outcome::SomeInputsFailed
    } else if !over.is_empty() {
        Outcome::ThresholdExceeded
    } else {
        Outcome::Complete
    })
}

/// The time window the options ask for.
fn window_of(args: &LogArgs) -> Result<Window> {
    let zone = Zone::parse(&args.tz).map_err(anyhow::Error::msg)?;
    let now = match &args.now {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .context("--now takes an RFC 3339 time")?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let bound = |text: &Option<String>| {
        text.as_deref()
            .map(|t| window::parse_bound(t, zone, now))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let (since, until) = match &args.day {
        Some(day) => {
            let (since, until) = window::parse_day(day, zone, now).map_err(anyhow::Error::msg)?;
            (Some(since), Some(until))
        }
        None => (bound(&args.since)?, bound(&args.until)?),
    };
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            bail!("--since must be before --until (the window is [since, until))");
        }
    }
    // Leaked once: the window is copied into every worker and stays for the whole run.
    let host = args
        .host
        .as_ref()
        .map(|h| &*Box::leak(h.clone().into_bytes().into_boxed_slice()));
    Ok(Window {
        since,
        until,
        zone,
        host,
    })
}

/// The inputs and scan options the arguments ask for.
fn scan_options(args: &LogArgs) -> Result<(Vec<Input>, ScanOptions)> {
    if args.inputs.iter().filter(|i| *i == "-").count() > 1 {
        bail!("standard input (-) can be given only once");
    }
    let inputs: Vec<Input> = args.inputs.iter().map(|a| Input::from_arg(a)).collect();
    let options = ScanOptions {
        window: window_of(args)?,
        filter_ports: args.filter_ports.clone(),
        threads: args.threads,
        chunk_size: args.chunk_size,
        max_distinct: args.max_distinct,
        years: args.year.map_or(YearSource::FileTime, YearSource::Fixed),
        ..ScanOptions::default()
    };
    Ok((inputs, options))
}

fn run_report(args: ReportArgs) -> Result<Outcome> {
    let (inputs, options) = scan_options(&args.logs)?;
    let window = options.window;
    table_dimension(&args.output.by)?;
    let progress =
        (!args.output.quiet && io::stderr().is_terminal()).then(|| progress_bar(&inputs));
    let options = ScanOptions {
        progress: progress.as_ref().map(|p| Arc::clone(&p.bytes)),
        ..options
    };
    let outcome = scan::scan(&inputs, &options);
    if let Some(progress) = progress {
        progress.finish();
    }
    tell(&outcome.notices, &outcome.errors, args.output.quiet);
    for file in outcome
        .files
        .iter()
        .filter(|f| f.complete && f.holds_no_mail())
    {
        eprintln!(
            "smtplog: warning: {}: {}",
            escape_str(&file.name),
            if file.lines == 0 {
                "empty (no lines)".to_string()
            } else {
                let read_as = match (file.compression, file.format) {
                    (smtplog::input::Compression::None, smtplog::journal::LogFormat::Lines) => {
                        "read as plain text".to_string()
                    }
                    (c, f) => format!("{} {}", c.name(), f.name()),
                };
                format!(
                    "no Postfix or Exim line in {} lines ({read_as}); is this a mail log?",
                    file.lines
                )
            }
        );
    }
    if outcome.errors.len() == inputs.len() && outcome.summary.lines.total == 0 {
        bail!("no input could be read");
    }
    let has_mail = outcome.has_mail_lines();
    let outside: u64 = outcome.files.iter().map(|f| f.outside_window).sum();
    if !has_mail && outside > 0 {
        let what = if window.host.is_some() {
            "the time window and --host"
        } else {
            "the time window"
        };
        eprintln!("smtplog: warning: {what} kept no line ({outside} lines were outside it)");
    }
    let mut report = Report::new(&outcome.summary);
    report.sources = report::header::Sources::of_scan(&outcome.files, &outcome.errors, &window);
    let over = exceeded(&report, &args.output);
    let mut output = args.output;
    output.times = report::prom::Times {
        generated: chrono::Utc::now().timestamp(),
        since: window.since.map(|t| t.timestamp()),
        until: window.until.map(|t| t.timestamp()),
    };
    emit(report, &output)?;
    tell_exceeded(&over);
    Ok(if !outcome.errors.is_empty() {
        Outcome::SomeInputsFailed
    } else if !has_mail {
        Outcome::NoMailLines
    } else if !over.is_empty() {
        Outcome::ThresholdExceeded
    } else {
        Outcome::Complete
    })
}

fn run_events(args: EventsArgs) -> Result<Outcome> {
    if args.schema {
        return to_stdout(|out| out.write_all(smtplog::events::SCHEMA.as_bytes()));
    }
    let Some(logs) = &args.logs else {
        bail!("give the logs to read (or --schema)");
    };
    let (inputs, options) = scan_options(logs)?;
    let events = smtplog::events::EventOptions {
        format: match args.format {
            EventsFormat::Ndjson => smtplog::events::EventFormat::Ndjson,
            EventsFormat::Csv => smtplog::events::EventFormat::Csv,
        },
        raw: args.raw,
    };
    // Records come in blocks of a chunk's records: a small buffer, which blocks bigger than it
    // pass by, spares copying every block into it (the header and small blocks still gather).
    const BUFFER: usize = 64 << 10;
    let outcome = match args.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let mut file =
                io::BufWriter::with_capacity(BUFFER, smtplog::output::OutputFile::create(path)?);
            let outcome = scan::stream_events(&inputs, &options, events, &mut file)
                .with_context(|| format!("cannot write {}", path.display()))?;
            file.into_inner()
                .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error()))?
                .finish()?;
            outcome
        }
        None => {
            let mut out = io::BufWriter::with_capacity(BUFFER, io::stdout().lock());
            let written = scan::stream_events(&inputs, &options, events, &mut out)
                .and_then(|outcome| out.flush().map(|()| outcome));
            match written {
                Ok(outcome) => outcome,
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(Outcome::Complete),
                Err(e) => return Err(e.into()),
            }
        }
    };
    tell(&outcome.notices, &outcome.errors, args.quiet);
    if outcome.errors.len() == inputs.len() {
        bail!("no input could be read");
    }
    Ok(if outcome.errors.is_empty() {
        Outcome::Complete
    } else {
        Outcome::SomeInputsFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn filter_ports_default_is_the_parser_default_as_a_comma_list() {
        let ports: Vec<String> = smtplog::parse::DEFAULT_FILTER_PORTS
            .iter()
            .map(u16::to_string)
            .collect();
        assert_eq!(DEFAULT_FILTER_PORTS, ports.join(","));
    }
}
