//! `smtplog events`: one record per reply or event line, streamed as the scan goes.

use super::output::to_stdout;
use super::scan::{scan_options, tell, LogArgs};
use super::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use smtplog::scan;
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct EventsArgs {
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

/// Stream a record per line to standard output or `-o FILE`.
pub fn run(args: EventsArgs) -> Result<Outcome> {
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
