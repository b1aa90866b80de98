//! Command-line interface: the clap definitions, and the glue from arguments to the library.
//!
//! One module per subcommand (its arguments and its body), as xsv has; `scan` turns the log
//! options into the library's scan options, `output` prints a report, `progress` draws the
//! bar, `generate` makes the man page and completions from these definitions.

mod events;
mod explain;
mod generate;
mod merge;
mod output;
mod progress;
mod report;
mod scan;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use output::is_broken_pipe;

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
    Report(report::ReportArgs),
    /// Explain a reply code (551) or enhanced code (5.7.1), several side by side, or a log line or reply text.
    #[command(
        after_help = "Examples:\n  smtplog explain 551\n  smtplog explain 5.7.1\n  smtplog explain 251 551\n  smtplog explain 450 451 550 5.7.1\n  smtplog explain 550 --lang fr\n  smtplog explain --line \"$(grep -m1 'status=bounced' /var/log/mail.log)\"\n  smtplog explain --text '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred'"
    )]
    Explain(explain::ExplainArgs),
    /// Print the whole catalogue (every reply code and enhanced status code).
    #[command(
        after_help = "Examples:\n  smtplog codes | less\n  smtplog codes --format csv > smtp-codes.csv\n  smtplog codes --format json | jq '.[] | select(.code == \"551\")'"
    )]
    Codes(explain::CodesArgs),
    /// Add up JSON reports (from other hosts or days) into one report.
    #[command(
        after_help = "Example:\n  smtplog merge mx1.json mx2.json --format csv --by code,day"
    )]
    Merge(merge::MergeArgs),
    /// Stream one record per reply or event line (NDJSON or CSV), for log engines.
    #[command(
        after_help = "Examples:\n  smtplog events /var/log/mail.log > events.ndjson\n  smtplog events --format csv --day yesterday /var/log/mail.log | clickhouse-client -q 'INSERT INTO smtp_events FORMAT CSVWithNames'\n  smtplog events --schema"
    )]
    Events(events::EventsArgs),
    /// Print the man page or a shell's completion script (for packagers).
    #[command(
        after_help = "Examples:\n  smtplog generate man > /usr/local/share/man/man1/smtplog.1\n  smtplog generate completions bash > /etc/bash_completion.d/smtplog"
    )]
    Generate(generate::GenerateArgs),
}

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
        Command::Report(args) => report::run(args),
        Command::Explain(args) => explain::run_explain(args),
        Command::Codes(args) => explain::run_codes(args),
        Command::Merge(args) => merge::run(args),
        Command::Events(args) => events::run(args),
        Command::Generate(args) => generate::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
