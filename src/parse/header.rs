//! The front of a line: timestamp, host, program tag.

use crate::stamp::{parse_classic_shape, parse_exim, parse_rfc3339, Stamp, YearRule};

/// Which program wrote the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// A Postfix daemon; `daemon` is the last part of the tag (`smtp` of `postfix-out/smtp`).
    Postfix {
        /// The daemon name.
        daemon: &'a [u8],
    },
    /// Exim.
    Exim {
        /// The length of the message id that starts the body, if one does (found with the
        /// header, where it tells a main-log line from syslog, and not looked for again).
        id: Option<usize>,
    },
    /// Anything else.
    Other,
}

/// A line split into its header fields and the program's own message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    /// The line's timestamp.
    pub stamp: Option<Stamp>,
    /// The program.
    pub source: Source<'a>,
    /// What the program wrote, after the tag (for Exim, after its own timestamp and pid).
    pub body: &'a [u8],
    /// A classic syslog stamp whose date does not exist (`Feb 29` of a common year).
    pub bad_stamp: bool,
    /// The syslog host field (journald's `_HOSTNAME`); empty when the line has none (an
    /// Exim main-log line, a line of no known shape).
    pub host: &'a [u8],
    /// The syslog tag without its pid (`postfix-out/smtp`, `exim4`); empty without one.
    pub tag: &'a [u8],
}

impl Header<'_> {
    /// The instance: the tag up to its first `/` (`postfix-out` of `postfix-out/smtp`, the
    /// whole tag without one); empty without a tag.
    pub fn instance(&self) -> &[u8] {
        match memchr::memchr(b'/', self.tag) {
            Some(slash) => &self.tag[..slash],
            None => self.tag,
        }
    }
}

/// Split `host tag[pid]: body` (the text after a syslog timestamp) into host, program and body.
fn syslog_tag(rest: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let rest = rest.strip_prefix(b" ")?;
    // Host names are short: a plain loop beats a vectorised search here.
    let host_end = rest.iter().take(256).position(|b| *b == b' ')?;
    let (program, body) = tag_tail(&rest[host_end + 1..])?;
    Some((&rest[..host_end], program, body))
}

/// Split `tag[pid]: body` into the program name and the body.
fn tag_tail(text: &[u8]) -> Option<(&[u8], &[u8])> {
    // The tag ends at the first colon and holds no space; tags are short, so looking
    // further only finds colons in message text.
    let window = &text[..text.len().min(96)];
    let colon = memchr::memchr2(b':', b' ', window)?;
    if colon == 0 || window[colon] != b':' {
        return None;
    }
    let tag = &text[..colon];
    let program = match memchr::memchr(b'[', tag) {
        Some(bracket) => &tag[..bracket],
        None => tag,
    };
    let body = &text[colon + 1..];
    Some((program, body.strip_prefix(b" ").unwrap_or(body)))
}

/// Classify a syslog program name.
fn source_of(program: &[u8]) -> Source<'_> {
    if program.starts_with(b"postfix") {
        // The daemon after the slash is a few bytes: a loop from the end, not memchr's setup.
        if let Some(slash) = program.iter().rposition(|&b| b == b'/') {
            return Source::Postfix {
                daemon: &program[slash + 1..],
            };
        }
        // `postfix[3281]: fatal: ...` from `postfix start` and friends: the command itself.
        if program == b"postfix" {
            return Source::Postfix { daemon: program };
        }
    }
    if program == b"exim" || program.starts_with(b"exim4") {
        // The id is looked for once the body is known (see `from_syslog`).
        return Source::Exim { id: None };
    }
    Source::Other
}

/// Strip Exim's optional ` [pid]` after its timestamp, and the space before the message.
fn exim_after_stamp(rest: &[u8]) -> &[u8] {
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    if rest.first() == Some(&b'[') {
        if let Some(end) = memchr::memchr(b']', &rest[..rest.len().min(16)]) {
            if rest[1..end].iter().all(u8::is_ascii_digit) && end > 1 {
                let after = &rest[end + 1..];
                return after.strip_prefix(b" ").unwrap_or(after);
            }
        }
    }
    rest
}

/// Build the header for a syslog line once the timestamp is known.
fn from_syslog<'a>(
    stamp: Option<Stamp>,
    host: &'a [u8],
    program: &'a [u8],
    body: &'a [u8],
) -> Header<'a> {
    let mut source = source_of(program);
    let (stamp, body) = match source {
        // `exim[123]: 2026-11-03 04:12:55 ...`: Exim's own stamp inside syslog.
        Source::Exim { .. } => {
            let (stamp, body) = match parse_exim(body) {
                Some((inner, len)) => (stamp.or(Some(inner)), exim_after_stamp(&body[len..])),
                None => (stamp, exim_after_stamp(body)),
            };
            source = Source::Exim {
                id: super::exim::message_id_len(body),
            };
            (stamp, body)
        }
        _ => (stamp, body),
    };
    Header {
        stamp,
        source,
        body,
        bad_stamp: false,
        host,
        tag: program,
    }
}

/// Split a line into header and body. Never fails: unknown shapes are `Source::Other`.
pub fn split_header<'a>(line: &'a [u8], years: &YearRule) -> Header<'a> {
    let other = |stamp| Header {
        stamp,
        source: Source::Other,
        body: line,
        bad_stamp: false,
        host: b"",
        tag: b"",
    };
    let Some(&first) = line.first() else {
        return other(None);
    };
    if first.is_ascii_digit() {
        if let Some((stamp, len)) = parse_rfc3339(line) {
            return match syslog_tag(&line[len..]) {
                Some((host, program, body)) => from_syslog(Some(stamp), host, program, body),
                None => other(Some(stamp)),
            };
        }
        if let Some((stamp, len)) = parse_exim(line) {
            let rest = &line[len..];
            let body = exim_after_stamp(rest);
            let id = super::exim::message_id_len(body);
            let exim = Header {
                stamp: Some(stamp),
                source: Source::Exim { id },
                body,
                bad_stamp: false,
                host: b"",
                tag: b"",
            };
            // Most lines: a message id, then no syslog tag (a host named like an id would
            // be followed by one). Decided without looking for the tag. (After a ` [pid]`,
            // an id followed by no `exim`/`postfix` word never makes a tag either.)
            if let Some(id) = id {
                let next = &body[id..];
                if !next.starts_with(b" exim") && !next.starts_with(b" postfix") {
                    return exim;
                }
            }
            // `2016-04-01 11:08:00 host exim[8001]: ...`: syslog with an Exim-style stamp.
            if let Some((host, program, body)) = syslog_tag(rest) {
                if !matches!(source_of(program), Source::Other) {
                    return from_syslog(Some(stamp), host, program, body);
                }
            }
            return exim;
        }
        return other(None);
    }
    if first.is_ascii_uppercase() {
        if let Some((stamp, len)) = parse_classic_shape(line, years) {
            let mut header = match syslog_tag(&line[len..]) {
                Some((host, program, body)) => from_syslog(stamp, host, program, body),
                None => other(stamp),
            };
            header.bad_stamp = stamp.is_none();
            return header;
        }
    }
    // `mail.example.com exim[3751842]: 2021-07-17 23:20:49 ...`: host first, no syslog stamp.
    if let Some(space) = memchr::memchr(b' ', &line[..line.len().min(256)]) {
        if let Some((program, body)) = tag_tail(&line[space + 1..]) {
            if !matches!(source_of(program), Source::Other) {
                return from_syslog(None, &line[..space], program, body);
            }
        }
    }
    other(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> (Option<String>, String, String) {
        let h = split_header(line.as_bytes(), &YearRule::fixed(2026));
        let source = match h.source {
            Source::Postfix { daemon } => format!("postfix:{}", String::from_utf8_lossy(daemon)),
            Source::Exim { .. } => "exim".into(),
            Source::Other => "other".into(),
        };
        (
            h.stamp.map(|s| s.naive().to_string()),
            source,
            String::from_utf8_lossy(h.body).into_owned(),
        )
    }

    #[test]
    fn postfix_headers() {
        let (s, src, body) = split("Nov 24 12:05:23 mx1 postfix/smtpd[29964]: connect from x");
        assert_eq!(s.as_deref(), Some("2026-11-24 12:05:23"));
        assert_eq!(
            (src.as_str(), body.as_str()),
            ("postfix:smtpd", "connect from x")
        );
        let (_, src, _) = split("Mar 11 23:27:54 s postfix-smo/submission/smtpd[2]: x");
        assert_eq!(src, "postfix:smtpd");
        let (_, src, _) = split("2023-03-14T00:08:35.911679+01:00 h postfix/10025/smtpd[3]: x");
        assert_eq!(src, "postfix:smtpd");
        let (s, src, _) = split("2022-04-14T00:36:03.150Z mailhub postfix/smtps/smtpd[1]: x");
        assert_eq!(
            (s.as_deref(), src.as_str()),
            (Some("2022-04-14 00:36:03"), "postfix:smtpd")
        );
        let (_, src, _) = split("Nov 24 12:05:21 mx1 postfix/postfix-script[1]: starting");
        assert_eq!(src, "postfix:postfix-script");
    }

    #[test]
    fn exim_headers() {
        let (s, src, body) = split("2020-06-20 02:32:57 -0200 [789] 1jmKso-0009d4-Uf ** x");
        assert_eq!(
            (s.as_deref(), src.as_str()),
            (Some("2020-06-20 02:32:57"), "exim")
        );
        assert_eq!(body, "1jmKso-0009d4-Uf ** x");
        let (_, src, body) = split("Jun 29 16:04:19 server exim[1234]: dovecot_login a");
        assert_eq!((src.as_str(), body.as_str()), ("exim", "dovecot_login a"));
        let (s, _, body) = split("host exim[3751842]: 2021-07-17 23:20:49 plain_server x");
        assert_eq!(
            (s.as_deref(), body.as_str()),
            (Some("2021-07-17 23:20:49"), "plain_server x")
        );
        let (_, src, body) = split("2016-04-01 11:08:00 info exim[8001]: [8001] no MAIL in");
        assert_eq!((src.as_str(), body.as_str()), ("exim", "no MAIL in"));
        // The usual main-log line: a message id after the stamp, no syslog tag.
        let (_, src, body) = split("2026-11-03 10:00:00 1wAbCd-000123-Xy <= a@b.test S=1");
        assert_eq!(
            (src.as_str(), body.as_str()),
            ("exim", "1wAbCd-000123-Xy <= a@b.test S=1")
        );
        // A host named like a message id is still a syslog host when a tag follows it.
        let (_, src, body) = split("2026-11-03 10:00:00 1wAbCd-000123-Xy exim[9]: [9] x y");
        assert_eq!((src.as_str(), body.as_str()), ("exim", "x y"));
        let (_, src, _) = split("2026-11-03 10:00:00 1wAbCd-000123-Xy postfix/smtp[9]: x");
        assert_eq!(src.as_str(), "postfix:smtp");
        let (_, src, body) =
            split("Nov  3 04:12:55 host exim[123]: 2026-11-03 04:12:55 1abcde-123456-AB Completed");
        assert_eq!(
            (src.as_str(), body.as_str()),
            ("exim", "1abcde-123456-AB Completed")
        );
    }

    #[test]
    fn others() {
        assert_eq!(split("Nov 24 12:05:23 mx1 sshd[1]: Accepted").1, "other");
        assert_eq!(split("").1, "other");
        assert_eq!(split("\u{1}\u{0}\u{0}S").1, "other");
        assert_eq!(
            split("Jan 1 00:00:00 hostname postfix/postscreen[12345").1,
            "other"
        );
        assert_eq!(split("  missing quote at end").1, "other");
        assert_eq!(split("Envelope-from: <userx@test1>").1, "other");
    }

    /// The host field and the instance of a line, as text.
    fn source(line: &str) -> (String, String) {
        let h = split_header(line.as_bytes(), &YearRule::fixed(2026));
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (text(h.host), text(h.instance()))
    }

    #[test]
    fn host_and_instance_of_a_classic_syslog_line() {
        assert_eq!(
            source("Nov 24 12:05:23 mx1 postfix/smtpd[29964]: connect from x"),
            ("mx1".into(), "postfix".into())
        );
        assert_eq!(
            source("Nov 24 12:05:23 mx2.example.com postfix-out/smtp[2]: 4F1A2B3C4D: x"),
            ("mx2.example.com".into(), "postfix-out".into())
        );
    }

    #[test]
    fn host_and_instance_of_a_multi_part_syslog_name() {
        assert_eq!(
            source("Mar 11 23:27:54 s postfix-smo/submission/smtpd[2]: x"),
            ("s".into(), "postfix-smo".into())
        );
    }

    #[test]
    fn host_and_instance_of_an_rfc3339_line() {
        assert_eq!(
            source("2023-03-14T00:08:35.911679+01:00 h1 postfix/10025/smtpd[3]: x"),
            ("h1".into(), "postfix".into())
        );
    }

    #[test]
    fn host_and_instance_of_a_postfix_command_without_a_slash() {
        assert_eq!(
            source("Nov 24 12:05:21 mx1 postfix[3281]: fatal: x"),
            ("mx1".into(), "postfix".into())
        );
    }

    #[test]
    fn host_and_instance_of_exim_in_syslog() {
        assert_eq!(
            source("Jun 29 16:04:19 server exim[1234]: dovecot_login a"),
            ("server".into(), "exim".into())
        );
        assert_eq!(
            source("2016-04-01 11:08:00 info exim4[8001]: [8001] no MAIL in"),
            ("info".into(), "exim4".into())
        );
    }

    #[test]
    fn host_first_without_a_stamp() {
        assert_eq!(
            source("mail.example.com exim[3751842]: 2021-07-17 23:20:49 plain_server x"),
            ("mail.example.com".into(), "exim".into())
        );
    }

    #[test]
    fn exim_main_log_lines_have_no_host_or_instance() {
        assert_eq!(
            source("2026-11-03 10:00:00 1wAbCd-000123-Xy <= a@b.test S=1"),
            (String::new(), String::new())
        );
        assert_eq!(
            source("2020-06-20 02:32:57 -0200 [789] 1jmKso-0009d4-Uf ** x"),
            (String::new(), String::new())
        );
    }

    #[test]
    fn lines_of_no_known_shape_have_no_host() {
        assert_eq!(
            source("  missing quote at end"),
            (String::new(), String::new())
        );
        assert_eq!(source(""), (String::new(), String::new()));
    }

    #[test]
    fn other_programs_keep_their_host_and_tag() {
        assert_eq!(
            source("Nov 24 12:05:23 mx1 sshd[1]: Accepted"),
            ("mx1".into(), "sshd".into())
        );
    }
}
