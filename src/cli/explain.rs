//! `smtplog explain` (one entry, several side by side, or a pasted line or reply) and
//! `smtplog codes` (the whole catalogue).

use super::output::{output_width, to_stdout};
use super::Outcome;
use anyhow::Result;
use clap::builder::{EnumValueParser, TypedValueParser};
use clap::{Args, ValueEnum};
use smtplog::explain::{ExportFormat, Lang};
use std::ffi::OsString;

#[derive(Args, Debug)]
pub struct ExplainArgs {
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
    // Parsed as the CLI's values (the library's type knows no clap), kept as the library's.
    #[arg(long, value_parser = EnumValueParser::<LangArg>::new().map(Lang::from))]
    lang: Option<Lang>,
}

/// The values of `--lang`: the library's languages, with the help texts `--help` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LangArg {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
    /// French.
    Fr,
    /// Turkish.
    Tr,
}

impl From<LangArg> for Lang {
    fn from(arg: LangArg) -> Lang {
        match arg {
            LangArg::En => Lang::En,
            LangArg::Zh => Lang::Zh,
            LangArg::Fr => Lang::Fr,
            LangArg::Tr => Lang::Tr,
        }
    }
}

#[derive(Args, Debug)]
pub struct CodesArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = CodesFormat::Text)]
    format: CodesFormat,
}

/// The values of `codes --format`: the library's export formats, with their help texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CodesFormat {
    /// One line per code: code, title, advice.
    Text,
    /// All fields, one row per code.
    Csv,
    /// All fields, one object per code.
    Json,
}

impl From<CodesFormat> for ExportFormat {
    fn from(arg: CodesFormat) -> ExportFormat {
        match arg {
            CodesFormat::Text => ExportFormat::Text,
            CodesFormat::Csv => ExportFormat::Csv,
            CodesFormat::Json => ExportFormat::Json,
        }
    }
}

/// Explain the codes, the line or the reply text the arguments give.
pub fn run_explain(args: ExplainArgs) -> Result<Outcome> {
    let lang = args
        .lang
        .unwrap_or_else(|| Lang::from_locale(locale().as_deref()));
    use std::os::unix::ffi::OsStrExt;
    let relay = args.relay.as_deref().map(str::as_bytes);
    // Each call's error made an anyhow::Error on its own, so that they need not share a type.
    let text = match (&args.line, &args.text, args.codes.as_slice()) {
        (Some(line), _, _) => {
            smtplog::diagnose::explain_line(line.as_bytes(), lang).map_err(anyhow::Error::msg)
        }
        (_, Some(text), _) => smtplog::diagnose::explain_text(text.as_bytes(), relay, lang)
            .map_err(anyhow::Error::msg),
        (_, _, [one]) => smtplog::explain::explain_one(one, lang).map_err(anyhow::Error::msg),
        (_, _, codes) => {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            smtplog::explain::compare_all(&codes, lang).map_err(anyhow::Error::msg)
        }
    }?;
    let text = smtplog::explain::wrap(&text, output_width(false));
    to_stdout(|out| out.write_all(text.as_bytes()))
}

/// Print the whole catalogue.
pub fn run_codes(args: CodesArgs) -> Result<Outcome> {
    to_stdout(|out| smtplog::explain::export(args.format.into(), out))
}

/// The locale for messages, by POSIX precedence: the first of LC_ALL, LC_MESSAGES and LANG
/// that is set and not empty.
fn locale() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's values as the options name them: matches without a wildcard, so that a
    /// new language or format fails to compile here until it has a value (and a help text).
    fn lang_arg(lang: Lang) -> LangArg {
        match lang {
            Lang::En => LangArg::En,
            Lang::Zh => LangArg::Zh,
            Lang::Fr => LangArg::Fr,
            Lang::Tr => LangArg::Tr,
        }
    }

    fn codes_format(format: ExportFormat) -> CodesFormat {
        match format {
            ExportFormat::Text => CodesFormat::Text,
            ExportFormat::Csv => CodesFormat::Csv,
            ExportFormat::Json => CodesFormat::Json,
        }
    }

    #[test]
    fn every_value_is_one_of_the_library() {
        for &arg in LangArg::value_variants() {
            assert_eq!(lang_arg(arg.into()), arg);
        }
        for &arg in CodesFormat::value_variants() {
            assert_eq!(codes_format(arg.into()), arg);
        }
    }
}
