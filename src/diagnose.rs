//! `smtplog explain --line` and `--text`: what smtplog reads from one pasted log line or
//! reply text, the catalogue's entry for its code and the provider's advice.
//!
//! Everything taken from the input is escaped: it is text an attacker may have written.

use crate::code::{parse_enhanced, parse_reply, EnhancedCode, ReplyCode};
use crate::count::normalise::{literal, normalise};
use crate::count::problems::ProblemTable;
use crate::explain::{explain_one, ExplainError, Lang};
use crate::parse::{LineKind, ParsedLine, Parser};
use crate::providers::{self, Direction, Kind};
use crate::sanitize::escape_bytes;
use crate::stamp::YearRule;
use std::fmt::Write as _;

/// One `label: value` row.
fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {:<16} {value}", format!("{label}:"));
}

/// A line without its terminator; more than one line is refused.
fn one_line(line: &[u8]) -> Result<&[u8], ExplainError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match memchr::memchr(b'\n', line) {
        Some(_) => Err(ExplainError::SeveralLines),
        None if line.iter().all(u8::is_ascii_whitespace) => Err(ExplainError::EmptyLine),
        None => Ok(line),
    }
}

/// Explain one pasted Postfix or Exim log line.
pub fn explain_line(line: &[u8], lang: Lang) -> Result<String, ExplainError> {
    let line = one_line(line)?;
    // The year only dates the stamp, which is not shown.
    let parsed = Parser::new().parse(line, &YearRule::fixed(2000));
    let mta = match parsed.kind {
        LineKind::Other => return Err(ExplainError::NotAMailLine),
        LineKind::Unrecognised(mta) | LineKind::Mail(mta) => mta,
    };
    let mut out =
        String::from("What smtplog reads from the line\n================================\n\n");
    row(&mut out, "MTA", mta.name());
    row(&mut out, "Program", &escape_bytes(parsed.program));
    if let LineKind::Unrecognised(_) = parsed.kind {
        out.push_str(
            "\nsmtplog does not know lines of this shape; it counts them as unrecognised \
             (`smtplog report --show-unrecognised` lists them).\n",
        );
        return Ok(out);
    }
    row(&mut out, "Event", parsed.event.map_or("none", |e| e.name()));
    if let Some(severity) = parsed.severity {
        row(&mut out, "Severity", severity.name());
    }
    row(&mut out, "Reply code", &shown(parsed.code));
    row(&mut out, "Enhanced code", &shown(parsed.enhanced));
    if parsed.dsn.is_some() {
        row(&mut out, "DSN", &shown(parsed.dsn));
    }
    if let Some(stage) = parsed.stage {
        row(&mut out, "Stage", stage);
    }
    let host = providers::relay_host(line);
    row(
        &mut out,
        "Relay/peer",
        &host.map_or("none".into(), escape_bytes),
    );
    if let Some(party) = parsed.party {
        row(&mut out, "Concerns", &escape_bytes(party));
    }
    let direction = providers::direction_of(&parsed, line);
    let replied = parsed.code.is_some() || parsed.event.is_some();
    if replied {
        row(&mut out, "Said by", said_by(direction));
    }
    if let Some(reason) = parsed.reason {
        row(&mut out, "Text", &literal(reason));
        row(&mut out, "Normalised", &normalise(reason));
    }
    let problem = ProblemTable::is_problem(&parsed);
    row(
        &mut out,
        "Problem group",
        if problem { "yes" } else { "no" },
    );
    if replied {
        let mut reply = Vec::new();
        providers::reply_text_into(&parsed, &mut reply);
        advice(&mut out, &reply, host, Some(direction));
    }
    catalogue_part(&mut out, &parsed, lang);
    Ok(out)
}

/// Explain a bare reply text such as `550 5.7.26 ...`, as a reply from `relay` if given.
pub fn explain_text(text: &[u8], relay: Option<&[u8]>, lang: Lang) -> Result<String, ExplainError> {
    let text = text.trim_ascii();
    if text.is_empty() {
        return Err(ExplainError::EmptyText);
    }
    let mut parsed = ParsedLine {
        reason: Some(text),
        ..Parser::new().parse(b"", &YearRule::fixed(2000))
    };
    if let Some((code, enhanced, len)) = parse_reply(text) {
        parsed.code = Some(code);
        parsed.enhanced = enhanced;
        parsed.reason = Some(text[len..].trim_ascii_start());
    } else if let Some((status, len)) = parse_enhanced(text) {
        parsed.dsn = Some(status);
        parsed.reason = Some(text[len..].trim_ascii_start());
    }
    let mut out =
        String::from("What smtplog reads from the reply\n=================================\n\n");
    row(&mut out, "Reply code", &shown(parsed.code));
    row(
        &mut out,
        "Enhanced code",
        &shown(parsed.enhanced.or(parsed.dsn)),
    );
    if let Some(host) = relay {
        row(&mut out, "Relay", &escape_bytes(host));
    }
    let reason = parsed.reason.unwrap_or_default();
    row(&mut out, "Text", &literal(reason));
    row(&mut out, "Normalised", &normalise(reason));
    // The whole text, codes included: that is what a provider's tokens are written for.
    advice(&mut out, text, relay, None);
    catalogue_part(&mut out, &parsed, lang);
    Ok(out)
}

fn shown<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

fn said_by(direction: Direction) -> &'static str {
    match direction {
        Direction::Received => "a remote server, to us (received)",
        Direction::Sent => "our server, to a client (sent)",
    }
}

/// The provider advice: the rule that wins and any others that matched. Without a known
/// direction (a bare text) the reply is taken as received, and a blocklist's advice is
/// given for both directions.
fn advice(out: &mut String, reply: &[u8], host: Option<&[u8]>, direction: Option<Direction>) {
    let rules = providers::rules();
    let found = rules.matches(reply, host, direction.unwrap_or(Direction::Received));
    out.push_str("\nProvider advice\n---------------\n");
    let Some(best) = found.first() else {
        let why = match direction {
            Some(Direction::Sent) => {
                "No blocklist named in this reply (provider rules apply only to replies a remote server sent us)."
            }
            _ => "No provider or blocklist rule matches this reply.",
        };
        let _ = writeln!(out, "  {why}");
        return;
    };
    let rule = rules.get(best.rule);
    row(
        out,
        "Provider",
        &format!("{} ({})", rule.provider, rule.kind.name()),
    );
    row(out, "Rule", &rule.id);
    row(out, "Meaning", &rule.meaning);
    match (direction, &rule.action_sent) {
        (None, Some(sent)) if rule.kind == Kind::Blocklist => {
            row(out, "If you got it", &rule.action);
            row(out, "If you sent it", sent);
        }
        (Some(d), _) => row(out, "What to do", rule.action_for(d)),
        (None, _) => row(out, "What to do", &rule.action),
    }
    row(out, "More", &rule.url);
    if found.len() > 1 {
        let others: Vec<&str> = found[1..]
            .iter()
            .map(|m| rules.get(m.rule).id.as_str())
            .collect();
        row(
            out,
            "Also matched",
            &format!("{} (less specific)", others.join(", ")),
        );
    }
}

/// The catalogue's entry for the most specific code, and a line for the basic code.
fn catalogue_part(out: &mut String, parsed: &ParsedLine<'_>, lang: Lang) {
    let status: Option<EnhancedCode> = parsed.enhanced.or(parsed.dsn);
    let code: Option<ReplyCode> = parsed.code;
    let main = status
        .map(|s| s.to_string())
        .or(code.map(|c| c.to_string()));
    let Some(main) = main else { return };
    out.push_str("\nCatalogue\n---------\n");
    if let Ok(text) = explain_one(&main, lang) {
        out.push_str(&text);
    }
    if let (Some(_), Some(code)) = (status, code) {
        if let Some(entry) = crate::catalogue::catalogue().reply(code) {
            let _ = writeln!(out, "\n{code}  {}: {}", entry.title, entry.advice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gmail_deferral_explained() {
        let line = b"Nov 24 12:05:23 mx1 postfix/smtp[29970]: 80403B82BD: to=<a@gmail.test>, relay=gmail-smtp-in.l.google.com[142.250.1.26]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=4.7.28, status=deferred (host gmail-smtp-in.l.google.com[142.250.1.26] said: 421-4.7.28 [192.0.2.10] Gmail has detected an unusual rate of unsolicited mail. 421 4.7.28 https://support.google.com/mail/?p=UnsolicitedRateLimitError x.1 - gsmtp (in reply to end of DATA command))\n";
        let text = explain_line(line, Lang::En).unwrap();
        for want in [
            "postfix",
            "deferred",
            "Reply code:      421",
            "Enhanced code:   4.7.28",
            "Relay/peer:      gmail-smtp-in.l.google.com",
            "received",
            "gmail-rate-limit",
            "Gmail / Google Workspace",
            "https://support.google.com/mail/?p=UnsolicitedRateLimitError",
            "Also matched:    gmail-other",
            "Catalogue",
            "421  ",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn a_blocklist_text_gives_both_sides() {
        let text = explain_text(
            b"554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org",
            None,
            Lang::En,
        )
        .unwrap();
        assert!(
            text.contains("spamhaus-zen") && text.contains("If you sent it:"),
            "{text}"
        );
        let none = explain_text(b"250 ok", None, Lang::En).unwrap();
        assert!(none.contains("No provider or blocklist rule"), "{none}");
    }

    #[test]
    fn refusals_and_hostile_input() {
        assert!(explain_line(b"hello world", Lang::En).is_err());
        assert!(explain_line(b"a\nb", Lang::En).is_err());
        assert!(explain_line(b"", Lang::En).is_err());
        assert!(explain_text(b"  ", None, Lang::En).is_err());
        let hostile = b"Nov 24 12:05:23 mx1 postfix/smtpd[2]: NOQUEUE: reject: RCPT from x\x1b[2Jy.test[192.0.2.1]: 554 5.7.1 \x1b]0;pwn\x07 \xff\xfe\xe2\x80\xae blocked using zen.spamhaus.org; from=<a@b> to=<c@d>";
        let text = explain_line(hostile, Lang::En).unwrap();
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'));
        assert!(
            text.contains("spamhaus-zen") && text.contains("sent"),
            "{text}"
        );
        let text = explain_text(hostile, Some(b"\x1b[31m"), Lang::En).unwrap();
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn refusals_say_why() {
        let refused = |r: Result<String, ExplainError>| r.unwrap_err();
        assert_eq!(
            refused(explain_line(b"a\nb", Lang::En)),
            ExplainError::SeveralLines
        );
        assert_eq!(
            refused(explain_line(b"a\nb", Lang::En)).to_string(),
            "--line takes one log line; explain lines one at a time"
        );
        assert_eq!(
            refused(explain_line(b" \r\n", Lang::En)).to_string(),
            "--line is empty"
        );
        assert_eq!(
            refused(explain_line(b"hello world", Lang::En)).to_string(),
            "not a Postfix or Exim log line (syslog `postfix/...` or `exim` lines, or Exim's mainlog)"
        );
        assert_eq!(
            refused(explain_text(b" ", None, Lang::En)).to_string(),
            "--text is empty"
        );
    }
}
