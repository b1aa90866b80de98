//! One case per line shape (the shapes of `shared/testdata/public/SHAPES.md` and the real
//! corpus), written with our own names, addresses and texts.

use super::*;

mod exim;
mod postfix;

/// What a line yields: kind, event, code, enhanced, dsn.
#[derive(Debug, PartialEq)]
struct Got {
    kind: &'static str,
    event: Option<&'static str>,
    code: Option<u16>,
    enhanced: Option<String>,
    dsn: Option<String>,
}

fn got(line: &str) -> Got {
    let parser = Parser::new();
    let p = parser.parse(line.as_bytes(), &YearRule::fixed(2026));
    Got {
        kind: match p.kind {
            LineKind::Mail(_) => "mail",
            LineKind::Other => "other",
            LineKind::Unrecognised(_) => "unrecognised",
        },
        event: p.event.map(Event::name),
        code: p.code.map(|c| c.value()),
        enhanced: p.enhanced.map(|e| e.to_string()),
        dsn: p.dsn.map(|e| e.to_string()),
    }
}

fn full(line: &str) -> ParsedLine<'_> {
    Parser::new().parse(line.as_bytes(), &YearRule::fixed(2026))
}

/// Assert event, code, enhanced and dsn of a mail line.
fn check(
    line: &str,
    event: Option<&'static str>,
    code: Option<u16>,
    enhanced: Option<&str>,
    dsn: Option<&str>,
) {
    assert_eq!(
        got(line),
        Got {
            kind: "mail",
            event,
            code,
            enhanced: enhanced.map(String::from),
            dsn: dsn.map(String::from)
        },
        "{line}"
    );
}

const PF: &str = "Nov 24 12:05:23 mx1 postfix";

const EX: &str = "2026-11-24 12:05:40";
#[test]
fn other_programs_and_junk() {
    for line in [
        "Nov 24 12:05:23 mx1 sshd[1]: Accepted password for root from 192.0.2.1 port 550 ssh2",
        "Envelope-from: <userx@test1>",
        "  missing quote at end of string value for hold_domains",
        "\u{1}\u{0}\u{0}S\u{0}\u{5}",
        "Jan",
        "",
        "./smtpd_check: <queue id>: reject: CONNECT from unknown[192.0.2.17]: 450 4.7.1 Client host rejected",
    ] {
        assert_eq!(got(line).kind, "other", "{line:?}");
        assert_eq!(got(line).code, None);
    }
}

#[test]
fn hostile_bytes_never_panic() {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let mut line = b"Nov 24 12:05:23 mx1 postfix/smtp[1]: ABCDEF1234: to=<\xff\xfe>, dsn=".to_vec();
    for b in 0u8..=255 {
        line.push(b);
        let _ = parser.parse(&line, &years);
    }
    for prefix in [
        &b"2026-11-24 12:05:40 "[..],
        b"Nov 24 12:05:23 h exim[1]: ",
        b"Nov 24 12:05:23 h postfix/smtpd[1]: ",
    ] {
        for tail in [
            &b"1xVpHI-0007o9-2x"[..],
            b"1xVpHI-0007o9-2x ",
            b"H=",
            b"rejected ",
            b"NOQUEUE: reject: RCPT from ]",
            b"reject: header x; from=<",
            b"authenticator failed] 5",
        ] {
            let mut l = prefix.to_vec();
            l.extend_from_slice(tail);
            let _ = parser.parse(&l, &years);
        }
    }
}

#[test]
fn delivery_lines_with_a_bad_or_missing_dsn_still_count() {
    // An invalid dsn is not counted, but the status still is; so is a line without `to=<`.
    check(&format!("{PF}/smtp[40]: 1234567890AB: to=<u@ex.test>, relay=ex.test[192.0.2.89]:123, delay=0.12, delays=0.12/0.12/0.12/0.12, dsn=1.2.3, status=sent (250 2.0.0 Ok: queued as aaaa)"),
        Some("delivered"), Some(250), Some("2.0.0"), None);
    check(&format!("{PF}/smtp[40]: 1234567890AB: u@ex.test, relay=ex.test[192.0.2.89]:25, delay=2, delays=2/2/2/2, dsn=1.2.3, status=deferred (host ex.test[192.0.2.89] said: 12 Malformed (in reply to RCPT TO command))"),
        Some("deferred"), None, None, None);
    // `123 #1.2.3` and `123-1.2.3` are not replies.
    check(&format!("{PF}/lmtp[40]: 1234567890AB: to=<u@ex.test>, relay=ex.test[192.0.2.89]:25, delay=1.23, delays=1.23/1.23/1.23/1.23, dsn=1.2.3, status=bounced (123 #1.2.3 Reasons)"),
        Some("bounced"), None, None, None);
}

#[test]
fn delays_in_milliseconds() {
    assert_eq!(seconds_to_ms(b"0.02"), Some(20));
    assert_eq!(seconds_to_ms(b"102"), Some(102_000));
    assert_eq!(seconds_to_ms(b"1.2345"), Some(1235));
    assert_eq!(seconds_to_ms(b"-1"), None);
    assert_eq!(seconds_to_ms(b"1e9"), None);
    assert_eq!(seconds_to_ms(b""), None);
    let line = format!("{PF}/smtp[1]: 1A2B3C4D5E: to=<a@b.test>, relay=x[192.0.2.1]:25, delay=1.7, delays=0.02/0/1.7/0.06, dsn=2.0.0, status=sent (250 ok)");
    assert_eq!(full(&line).delay_ms, Some(1700));
    let exim = "2026-11-24 12:05:40 1xVpHI-0007o9-2x => ok@sink.test R=r T=t H=h [192.0.2.1] C=\"250 OK\" QT=1m2.5s DT=0s";
    assert_eq!(full(exim).delay_ms, Some(62_500));
    let forwarded = format!("{PF}/local[1]: 36707B83BA: to=<f@here.test>, relay=local, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (forwarded as 379FFB83B6)");
    assert!(full(&forwarded).forwarded);
}

/// Sender, sending host and recipient of a line, as text.
fn who(line: &str) -> (Option<String>, Option<String>, Option<String>) {
    let p = full(line);
    let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
    (text(p.sender), text(p.client), text(p.recipient))
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn senders_hosts_and_recipients() {
    // qmgr: the sender ends where `, size=` starts, even with `>` inside.
    assert_eq!(
        who("Nov 24 12:05:21 mx1 postfix/qmgr[29898]: 4B2A1B82BD: from=<odd>name@Example.test>, size=1388, nrcpt=1 (queue active)"),
        (s("odd>name@Example.test"), None, None)
    );
    assert_eq!(
        who("Nov 24 12:05:21 mx1 postfix/qmgr[29898]: 4B2A1B82BD: from=<>, size=2210, nrcpt=1 (queue active)"),
        (s(""), None, None)
    );
    // smtpd: the host up to its bracket; SASL fields and the port are not part of it.
    assert_eq!(
        who("Nov 24 12:05:21 mx1 postfix/submission/smtpd[30001]: 4B2A1B82BD: client=laptop.example.test[192.0.2.7]:53122, sasl_method=PLAIN, sasl_username=alice"),
        (None, s("laptop.example.test[192.0.2.7]"), None)
    );
    // A status line names its recipient.
    assert_eq!(
        who("Nov 24 12:05:23 mx1 postfix/smtp[29970]: 4B2A1B82BD: to=<Bob@Dest.test>, relay=mx.dest.test[192.0.2.9]:25, delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
        (None, None, s("Bob@Dest.test"))
    );
    // Exim arrivals: sender and `H=` up to the address; a local one has no host.
    assert_eq!(
        who("2026-11-24 12:05:40 1xVpHI-0007o9-2x <= carol@partner.test H=mail.partner.test (helo.partner.test) [198.51.100.4]:41000 P=esmtps S=1377 T=\"H=spoof\" for x@y.test"),
        (s("carol@partner.test"), s("mail.partner.test"), None)
    );
    // No name: the address, not the client's HELO (a bracketed literal here).
    assert_eq!(
        who("2026-11-24 12:05:40 1xVpHI-0007o9-2x <= carol@partner.test H=([198.51.100.4]) [198.51.100.4]:41000 P=esmtp S=13"),
        (s("carol@partner.test"), s("[198.51.100.4]"), None)
    );
    assert_eq!(
        who("2026-11-24 12:05:40 1xVpHI-0007o9-2x <= carol@partner.test H=[198.51.100.4]:41000 P=esmtp S=13"),
        (s("carol@partner.test"), s("[198.51.100.4]"), None)
    );
    assert_eq!(
        who("2026-11-24 12:05:40 1xVpHI-0007o9-2x <= root@mx.test U=root P=local S=380 T=\"H=[1.2.3.4] spoof\""),
        (s("root@mx.test"), None, None)
    );
    // Exim deliveries: the address, or for a local user, pipe or file, the one it was for.
    assert_eq!(
        who("2026-11-24 12:05:41 1xVpHJ-0007oD-0P => dave <dave+tag@exim.test> R=local_user T=local_delivery"),
        (None, None, s("dave+tag@exim.test"))
    );
    assert_eq!(
        who("2026-11-24 12:05:41 1xVpHJ-0007oD-0P => ok@sink.test F=<a@b.test> R=dnslookup T=remote_smtp H=mx.sink.test [192.0.2.1] C=\"250 OK\""),
        (None, None, s("ok@sink.test"))
    );
    assert_eq!(
        who("2026-11-24 12:05:41 1xVpHJ-0007oD-0P == erin@sink.test R=dnslookup T=remote_smtp defer (-44) H=mx.sink.test [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<erin@sink.test>: 451 4.7.1 Greylisted"),
        (None, None, s("erin@sink.test"))
    );
    // A pipe or file: a local delivery, to no recipient (or domain) unless an address is given.
    for (line, expect) in [
        ("=> |/usr/bin/procmail R=userforward T=address_pipe", None),
        ("=> /var/mail/kim R=userforward T=address_file", None),
        (
            "=> |/usr/bin/procmail (kim@here.test) <kim@here.test> R=userforward T=address_pipe",
            s("kim@here.test"),
        ),
        (
            "=> /var/mail/kim <kim@here.test> R=userforward T=address_file",
            s("kim@here.test"),
        ),
    ] {
        let p = full_owned(&format!("2026-11-24 12:05:41 1xVpHJ-0007oD-0P {line}"));
        assert_eq!((p.0, p.1), (Some(Event::Delivered), expect), "{line}");
    }
}

/// Event and recipient of a line.
fn full_owned(line: &str) -> (Option<Event>, Option<String>) {
    let p = full(line);
    (
        p.event,
        p.recipient.map(|r| String::from_utf8_lossy(r).into_owned()),
    )
}
