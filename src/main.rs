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
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    match cli::run() {
        Ok(cli::Outcome::Complete) => ExitCode::from(exit::OK),
        Ok(cli::Outcome::SomeInputsFailed) => ExitCode::from(exit::PARTIAL),
        // `smtplog report ... | head` is fine.
        Err(err) if is_broken_pipe(&err) => ExitCode::from(exit::OK),
        Err(err) => {
            eprintln!(
                "smtplog: error: {}",
                smtplog::sanitize::escape_str(&format!("{err:#}"))
            );
            ExitCode::from(exit::USAGE)
        }
    }
}
