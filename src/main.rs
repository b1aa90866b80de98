//! The `smtplog` command: parse arguments, run, map the outcome to an exit code.

mod cli;

use std::process::ExitCode;

/// Exit codes, documented in the README and `--help`.
mod exit {
    /// Everything was read and reported.
    pub const OK: u8 = 0;
    /// A report was made, but some input could not be read (or only partly).
    pub const PARTIAL: u8 = 1;
    /// Bad usage or a failure before any report could be made.
    pub const USAGE: u8 = 2;
    /// A report was made, and a `--fail-if` threshold was exceeded.
    pub const THRESHOLD: u8 = 3;
    /// A report was made, but no line was a Postfix or Exim line (or the window kept none).
    pub const NO_MAIL: u8 = 4;
}

fn main() -> ExitCode {
    match cli::run() {
        Ok(cli::Outcome::Complete) => ExitCode::from(exit::OK),
        Ok(cli::Outcome::SomeInputsFailed) => ExitCode::from(exit::PARTIAL),
        Ok(cli::Outcome::NoMailLines) => ExitCode::from(exit::NO_MAIL),
        Ok(cli::Outcome::ThresholdExceeded) => ExitCode::from(exit::THRESHOLD),
        // `smtplog ... | head` is fine: the reader has what it wanted.
        Err(err) if cli::is_broken_pipe(&err) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!(
                "smtplog: error: {}",
                smtplog::sanitize::escape_str(&format!("{err:#}"))
            );
            ExitCode::from(exit::USAGE)
        }
    }
}
