//! `smtplog generate`: the man page and shell completions, made from the clap definitions
//! so that they never drift from `--help`.

use super::output::to_stdout;
use super::{Cli, Outcome};
use anyhow::Result;
use clap::{Arg, ArgAction, Args, Command, CommandFactory, Subcommand};
use clap_mangen::roff::{self, bold, italic, roman, Roff};
use std::io::{self, Write};

#[derive(Args, Debug)]
pub struct GenerateArgs {
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

/// Print what `smtplog generate` asks for.
pub fn run(args: GenerateArgs) -> Result<Outcome> {
    to_stdout(|out| match args.what {
        Generated::Man => man_page(Cli::command(), out),
        Generated::Completions { shell } => {
            completions(shell, Cli::command(), out);
            Ok(())
        }
    })
}

/// Sections the clap definitions do not hold: (heading, paragraphs). A paragraph starting
/// with "$ " is an example command, shown as it is.
const EXTRA: &[(&str, &[&str])] = &[
    (
        "EXIT STATUS",
        &[
            "0  every input was read, some line was a Postfix or Exim line, and the report was written.",
            "1  a report was written, but some input could not be read, or only partly (a truncated or corrupt compressed file); each is named on standard error.",
            "2  usage error (an unknown option, a value out of range), nothing could be read, or the report could not be written.",
            "3  a report was written, and a --fail-if threshold was exceeded; each is one line on standard error (also with --quiet).",
            "4  a report was written, but no line was a Postfix or Exim line, or the time window kept none (a wrong file, an empty log, a day without traffic).",
        ],
    ),
    (
        "COUNTING RULES",
        &[
            "A reply line reports an SMTP or LMTP reply code that the server received from a peer (Postfix said:, status=sent (250 ...), Exim C=\"250 ...\", SMTP error from remote mail server) or sent to a client (Postfix reject:, Exim ACL rejections that start with a code). Each counts one basic code (the three digits that start the reply) and, when it follows directly, one enhanced code (RFC 3463 x.y.z). No other number in a line counts: ports, pids, sizes, queue ids, quoted downstream replies.",
            "Postfix dsn= is not a reply and has its own table. Each line has at most one event: delivered, deferred, bounced, expired, rejected, reject_warning, held, discarded or filtered (a hand-off to a content filter on a loopback port). Events without a code count under no_code.",
            "Messages are distinct queue ids and Exim message ids; per-message state lives only while a message is in flight. Counts are the same for any number of threads, any chunk size and any order of input files. Every table keyed by log text is exact up to a limit, then marked estimated or shown as its total, so memory stays bounded.",
            "Every line is mail (a Postfix or Exim line of a known shape), other, or unrecognised; --show-unrecognised lists examples of the last.",
        ],
    ),
    (
        "FILES",
        &[
            "Inputs may be plain, gzip, xz, bzip2 or zstd, told apart by their first bytes; - is standard input. A file given twice (by any path) is counted once.",
            "-o FILE: a regular file or new path is written atomically (a temporary file in the same directory, then a rename); a replaced file keeps its mode, and its owner and group when run as root; a new file gets 0666 less the umask. A symlink is followed to its target. A device, FIFO or socket is written in place. -o - is standard output.",
            "/etc/cron.d/smtplog and the smtplog-daily.service and .timer units of the Debian package write yesterday's report to /var/lib/smtplog/.",
        ],
    ),
    (
        "ENVIRONMENT",
        &[
            "LC_ALL, LC_MESSAGES, LANG: the language of the headings of explain (en, zh, fr, tr), the first one set wins; --lang overrides them. Entry texts are English.",
            "COLUMNS: the width --help wraps to when standard output is not a terminal.",
            "NO_COLOR: smtplog writes no colour in reports at all; the variable also turns off colour in --help.",
        ],
    ),
    (
        "EXAMPLES",
        &[
            "$ smtplog report /var/log/mail.log",
            "$ smtplog report --since -7d /var/log/mail.log*",
            "$ journalctl -u postfix -o short-iso | smtplog report -",
            "$ smtplog report --format json /var/log/mail.log > summary.json",
            "$ smtplog report --format csv --by code,day --advice /var/log/mail.log > codes.csv",
            "$ smtplog merge mx1.json mx2.json",
            "$ smtplog explain 5.7.1",
            "$ smtplog explain 251 551",
            "Yesterday's report every morning, from /etc/cron.d/smtplog:",
            "$ 10 6 * * *  root  smtplog report --day yesterday --quiet -o /var/lib/smtplog/smtp-$(date -d yesterday +\\%F).txt /var/log/mail.log /var/log/mail.log.1",
        ],
    ),
];

/// Write the man page `smtplog(1)`: clap's title, name, synopsis and description, every
/// subcommand with its options, then the sections above.
fn man_page(cmd: Command, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = cmd;
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone())
        .section("1")
        .manual("smtplog manual");
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    let mut page = Roff::new();
    page.control("SH", ["COMMANDS"]);
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        page.control("SS", [format!("smtplog {}", sub.get_name()).as_str()]);
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            page.text([roman(about.to_string())]);
        }
        // --help and --version are the same everywhere; the synopsis has them.
        let args = sub.get_arguments().filter(|a| {
            !a.is_hide_set()
                && !matches!(
                    a.get_action(),
                    ArgAction::Help
                        | ArgAction::HelpShort
                        | ArgAction::HelpLong
                        | ArgAction::Version
                )
        });
        for arg in args {
            page.control("TP", []);
            page.text(arg_heading(arg));
            if let Some(help) = arg.get_long_help().or(arg.get_help()) {
                page.text([roman(help.to_string())]);
            }
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                page.text([roman(format!(" [values: {}]", values.join(", ")))]);
            }
        }
        for nested in sub
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            page.control("TP", []);
            page.text([bold(format!(
                "smtplog {} {}",
                sub.get_name(),
                nested.get_name()
            ))]);
            if let Some(about) = nested.get_about() {
                page.text([roman(about.to_string())]);
            }
        }
    }
    for (heading, paragraphs) in EXTRA {
        page.control("SH", [*heading]);
        for paragraph in *paragraphs {
            // "0  text" in EXIT STATUS: a tagged paragraph.
            let status = paragraph
                .split_once("  ")
                .filter(|(tag, _)| tag.parse::<u8>().is_ok());
            if let Some((tag, text)) = status {
                page.control("TP", []);
                page.text([bold(tag)]);
                page.text([roman(text)]);
                continue;
            }
            match paragraph.strip_prefix("$ ") {
                Some(command) => {
                    page.control("IP", []);
                    page.text([bold(command)]);
                }
                None => {
                    page.control("PP", []);
                    page.text([roman(*paragraph)]);
                }
            }
        }
    }
    page.to_writer(out)?;
    man.render_version_section(out)
}

/// `-o, --output FILE` in bold and italic, as man pages show options.
fn arg_heading(arg: &Arg) -> Vec<roff::Inline> {
    let mut parts = Vec::new();
    let values = arg
        .get_value_names()
        .map(|names| names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .unwrap_or_default();
    if arg.is_positional() {
        parts.push(italic(values.join(" ")));
        return parts;
    }
    if let Some(short) = arg.get_short() {
        parts.push(bold(format!("-{short}")));
        parts.push(roman(", "));
    }
    if let Some(long) = arg.get_long() {
        parts.push(bold(format!("--{long}")));
    }
    let takes_value = !matches!(
        arg.get_action(),
        ArgAction::SetTrue
            | ArgAction::SetFalse
            | ArgAction::Count
            | ArgAction::Help
            | ArgAction::Version
    );
    if takes_value && !values.is_empty() {
        parts.push(roman(" "));
        parts.push(italic(values.join(" ")));
    }
    parts
}

/// Write the completion script for `shell`.
fn completions(shell: clap_complete::Shell, mut cmd: Command, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut cmd, "smtplog", out);
}
