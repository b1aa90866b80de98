//! Parser cases of Exim mainlog lines: arrivals, deliveries, bounces, deferrals,
//! rejections and the rest.

use super::*;

#[test]
fn exim_arrival_and_completion() {
    let line = format!("{EX} [123] 1xVpHI-0007o9-2x <= s@ex.test H=(c.test) [192.0.2.2]:32829 P=esmtp S=1377 id=1.2@ex.test T=\"hi 550\" for ok@here.test");
    let p = full(&line);
    assert!(p.received && p.code.is_none());
    assert_eq!(p.message_id, Some(&b"1xVpHI-0007o9-2x"[..]));
    let line = format!("{EX} 1xVpHI-0007o9-2x Completed");
    let p = full(&line);
    assert!(p.finishes_message);
    let line =
        format!("{EX} 10HmaX-000000005vi-0000 <= someone@some.test U=CALLER P=local-smtp S=sss");
    let p = full(&line);
    assert_eq!(p.message_id, Some(&b"10HmaX-000000005vi-0000"[..]));
    // A bounce's arrival: R= is the parent message id.
    assert!(
        full(&format!(
            "{EX} 1jmFas-0004f6-EB <= <> R=1jmFYj-00039V-QX U=Debian-exim P=local S=8656"
        ))
        .received
    );
}

#[test]
fn exim_deliveries() {
    check(&format!("{EX} 1xVpHI-0007o9-2x => ok@sink.test F=<s@ex.test> R=sink T=remote_smtp S=1404 H=127.0.0.1 [127.0.0.1]:2525 C=\"250 2.0.0 Ok: queued as S0006A\" QT=0s DT=0s"),
        Some("delivered"), Some(250), Some("2.0.0"), None);
    check(&format!("{EX} 1jmH1t-0000dO-Un => h@bar.test R=dnslookup T=remote_smtp H=mail.bar.test [192.0.2.7] X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=yes DN=\"C=US,O=Bar,CN=mail.bar.test\" C=\"250 2.6.0 <E1@x.test> 16655 bytes in 0.342, 47.543 KB/sec Queued mail for delivery -> 250 2.1.5\""),
        Some("delivered"), Some(250), Some("2.6.0"), None);
    check(&format!("{EX} 10HmaX-000000005vi-0000 => ok@test.ex R=client T=send H=ip4 [ip4] PRDR C=\"250 PRDR R=<ok@test.ex> acceptance\\\\n250 id=10HmaY-000000005vi-0000 message accepted\""),
        Some("delivered"), Some(250), None, None);
    check(&format!("{EX} 1jmXgg-000AIC-89 -> sally@d.test R=dnslookup T=remote_smtp H=smart.test [192.0.2.5] C=\"250 6292145-1592637196662@smart.test Received OK\""),
        Some("delivered"), Some(250), None, None);
    check(
        &format!("{EX} 1xVpHJ-0007oD-0P => alice <alice@here.test> R=local_user T=local_delivery"),
        Some("delivered"),
        None,
        None,
        None,
    );
    check(
        &format!("{EX} 10HmaY-000000005vi-0000 *> accept <accept@y> R=accept T=appendfile"),
        None,
        None,
        None,
        None,
    );
}

#[test]
fn exim_bounces_and_expiries() {
    check(&format!("{EX} 1raAO7-0094KF-7u ** rudy@foo.test R=dnslookup T=remote_smtp H=(relay.test) [192.0.2.4]: SMTP error from remote mail server after RCPT TO:<rudy@foo.test>: 540 5.7.1 <rudy@foo.test>: recipient address rejected: Blocked"),
        Some("bounced"), Some(540), Some("5.7.1"), None);
    check(&format!("{EX} -0200 [789] 1jmKso-0009d4-Uf ** m@zee.test R=dnslookup T=remote_smtp H=mail.zee.test [192.0.2.3] X=TLS1.2:X:256 CV=yes DN=\"C=US,CN=mail.zee.test\": SMTP error from remote mail server after end of data: 554 5.2.0 mKr3 Recipient Mailbox Full [504]"),
        Some("bounced"), Some(554), Some("5.2.0"), None);
    check(&format!("{EX} 10HmaY-000000005vi-0000 ** userx@d1 R=others T=smtp H=127.0.0.1 [127.0.0.1]* : SMTP error from remote mail server after MAIL FROM:<CALLER@test.ex>: 550 Don't like that sender"),
        Some("bounced"), Some(550), None, None);
    check(&format!("{EX} 10HmaX-000000005vi-0000 ** fred@u.test R=r T=t1 H=127.0.0.1 [127.0.0.1] : SMTP error from remote mail server after RCPT TO:<fred@u.test>: 550-no mate\\n550-123456789 100 123456789 200 a long line"),
        Some("bounced"), Some(550), None, None);
    check(&format!("{EX} 1xVpHq-00A001-Na ** x@c521.test F=<a@ex.test> R=sink T=remote_smtp H=127.0.0.1 [127.0.0.1]:2521: SMTP error from remote mail server after initial connection: 521 5.3.2 c521.test does not accept mail (RFC 7504) DT=0s"),
        Some("bounced"), Some(521), Some("5.3.2"), None);
    check(&format!("{EX} 1xVpHq-000001-Na ** x@noauth.test F=<a@ex.test> R=sink T=remote_smtp H=127.0.0.1 [127.0.0.1]:2587: SMTP error from remote mail server after pipelined MAIL FROM:<a@ex.test> SIZE=2421: 530 5.7.0 Authentication required DT=0s"),
        Some("bounced"), Some(530), Some("5.7.0"), None);
    check(
        &format!("{EX} 10HmaY-000000005vi-0000 ** userx@bad.ex : Unrouteable address"),
        Some("bounced"),
        None,
        None,
        None,
    );
    check(
        &format!("{EX} 1jmFYj-00039V-QX ** bob@null.test: retry timeout exceeded"),
        Some("expired"),
        None,
        None,
        None,
    );
}

#[test]
fn exim_deferrals() {
    check(&format!("{EX} 10HmaX-000000005vi-0000 == userx@d.test R=all T=smtp defer (-44) H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after RCPT TO:<userx@d.test>: 452 Temporary error"),
        Some("deferred"), Some(452), None, None);
    check(&format!("{EX} 1raAV4-009jr4-9x == jack@t.test R=dnslookup T=remote_smtp defer (-44) H=(relay.test) [192.0.2.4: SMTP error from remote mail server after RCPT TO:<jack@t.test>: 450 4.7.1 <jack@t.test>: Recipient address rejected"),
        Some("deferred"), Some(450), Some("4.7.1"), None);
    check(&format!("{EX} 1xVpHU-0001sQ-0X == u452gmail+e57@sink.test R=sink T=remote_smtp defer (-44) H=127.0.0.1 [127.0.0.1]:2525 DT=0s: SMTP error from remote mail server after RCPT TO:<u452gmail+e57@sink.test>: 452-4.2.2 The inbox is full. Please direct the\\n452-4.2.2 recipient to\\n452 4.2.2 https://support.test/x"),
        Some("deferred"), Some(452), Some("4.2.2"), None);
    for tail in [
        "R=dnslookup T=remote_smtp defer (110): Connection timed out",
        "R=all T=smtp defer (-54): retry time not reached for any host for 'simple'",
        "routing defer (-51) DT=0s: retry time not reached",
        "R=others T=smtp defer (0): SMTP delivery explicitly queued",
        "R=usery T=appendfile2 defer (-22): mailbox is full (MTA-imposed quota exceeded while writing to /var/mail/usery)",
        "R=sink T=remote_smtp defer (-42) DT=0s: authentication required but authentication attempt(s) failed",
    ] {
        check(&format!("{EX} 1jmFYj-00039V-QX == bob@null.test {tail}"), Some("deferred"), None, None, None);
    }
}

#[test]
fn exim_host_error_without_flag_is_a_reply_of_its_host() {
    // One MX refused; whether an address line repeats it is the message tracker's to say.
    let line = format!("{EX} 1wQzXc-000777-Kp H=mx2.relay.test [203.0.113.20]: SMTP error from remote mail server after initial connection: 421 4.7.0 Slow down please");
    check(&line, None, Some(421), Some("4.7.0"), None);
    assert_eq!(full(&line).reply_host, Some(&b"203.0.113.20"[..]));
    check(&format!("{EX} 10HmbA-000000005vi-0000 H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after pipelined MAIL FROM:<C@test.ex>: 451 Temp error"),
        None, Some(451), None, None);
    // Not a reply code: no reply, still a known shape.
    check(&format!("{EX} 10HmaX-000000005vi-0000 H=127.0.0.1 [127.0.0.1]: SMTP error from remote mail server after end of data: 850 NONSENSE"),
        None, None, None, None);
    // The marker inside other text is not a host error.
    let text = format!("{EX} 1wQzXc-000777-Kp H=mx2.relay.test [203.0.113.20]: SMTP timeout after RCPT TO:<a: SMTP error from remote mail server after x: 550 no>: Connection timed out");
    let p = full(&text);
    assert_eq!((p.code, p.reply_host), (None, None));
    // The address line of the same shape names its host too.
    let line = format!("{EX} 1wQzXc-000777-Kp == ned@far.test R=dnslookup T=remote_smtp defer (-45) H=mx2.relay.test [203.0.113.20]: SMTP error from remote mail server after initial connection: 421 4.7.0 Slow down please");
    assert_eq!(full(&line).reply_host, Some(&b"203.0.113.20"[..]));
}

#[test]
fn exim_delivery_reply_ends_at_its_closing_quote() {
    // The fields after `C="..."` (QT=, DT=) are not part of the server's reply.
    let line = format!("{EX} 1xVpHI-0007o9-2x => ok@sink.test R=sink T=remote_smtp H=127.0.0.1 [127.0.0.1]:2525 C=\"250 2.0.0 Ok: queued as S0006A\" QT=0s DT=0s");
    assert_eq!(full(&line).reason, Some(&b"Ok: queued as S0006A"[..]));
    // A quote inside the reply stays in it.
    let line = format!("{EX} 1xVpHI-0007o9-2x => ok@sink.test R=sink T=remote_smtp H=mx.test [192.0.2.1] C=\"250 ok \"queued\" here\" QT=1s");
    assert_eq!(full(&line).reason, Some(&b"ok \"queued\" here"[..]));
    // No closing quote (a truncated line): the rest of the line.
    let line = format!("{EX} 1xVpHI-0007o9-2x => ok@sink.test R=sink T=remote_smtp H=mx.test [192.0.2.1] C=\"250 ok cut shor");
    assert_eq!(full(&line).reason, Some(&b"ok cut shor"[..]));
}

#[test]
fn exim_old_layout_puts_the_host_after_the_command() {
    let line = format!("{EX} 1wQzXd-000778-Lq ** kim@far.test R=dnslookup T=remote_smtp: SMTP error from remote mail server after RCPT TO:<kim@far.test>: host mx.far.test [198.51.100.77]: 550 5.1.1 no such mailbox here");
    check(&line, Some("bounced"), Some(550), Some("5.1.1"), None);
    let p = full(&line);
    assert_eq!(p.reply_host, Some(&b"198.51.100.77"[..]));
    assert_eq!(p.reason, Some(&b"no such mailbox here"[..]));
    check(&format!("{EX} 1wQzXd-000778-Lq == kim@far.test R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail server after RCPT TO:<kim@far.test>: host mx.far.test [198.51.100.77]: 451 4.3.0 try later"),
        Some("deferred"), Some(451), Some("4.3.0"), None);
}

#[test]
fn exim_events_come_from_structure_not_reply_words() {
    // A sender-verify answer whose text says "rejected": a 550 reply, not a reject event.
    check(&format!("{EX} sender verify fail for <pat@elsewhere.test>: response to \"RCPT TO:<pat@elsewhere.test>\" from mx.elsewhere.test [198.51.100.9] was: 550 5.7.1 Mailbox rejected by policy"),
        None, Some(550), Some("5.7.1"), None);
    check(&format!("{EX} H=(w.test) [198.51.100.3] U=root sender verify fail for <pat@elsewhere.test>: response to \"RCPT TO:<pat@elsewhere.test>\" was: 550 5.7.1 you are rejected here"),
        None, Some(550), Some("5.7.1"), None);
    // A HELO or address holding the word is the client's, not Exim's.
    check(&format!("{EX} H=(rejected) [198.51.100.3] F=<rejected x@y.test> sender verify fail for <a@b.test>: rejected by peer"),
        None, None, None, None);
    check(&format!("{EX} H=(x.test) [198.51.100.3] F=<q@y.test> rejected RCPT <r@here.test>: rejected because we can"),
        Some("rejected"), None, None, None);
}

#[test]
fn exim_session_drops_are_rejections() {
    for body in [
        "SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[198.51.100.44] input=\"EHLO x\"",
        "SMTP protocol synchronization error (next input sent too soon: pipelining was not advertised): rejected \"EHLO y\" H=(y) [198.51.100.45]:5011 next input=\"QUIT\"",
        "SMTP call from bad.test [198.51.100.46]:50600 dropped: too many syntax or protocol errors (last command was \"\\x16\\x03\",  C=EHLO)",
        "SMTP call from (z) [198.51.100.47] dropped: too many unrecognized commands (last command was \"GET / HTTP/1.0\")",
    ] {
        let text = format!("{EX} {body}");
        let p = full(&text);
        assert_eq!((p.kind, p.event, p.code), (LineKind::Mail(Mta::Exim), Some(Event::Rejected), None), "{body}");
        assert!(p.party.is_some_and(|a| a.starts_with(b"198.51.100.4")), "{body}");
    }
    let text = format!("{EX} SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[198.51.100.44] input=\"EHLO x\"");
    let p = full(&text);
    assert_eq!(p.stage, Some("CONNECT"));
    assert_eq!(
        p.reason,
        Some(&b"SMTP protocol synchronization error (input sent without waiting for greeting)"[..])
    );
    let text = format!("{EX} SMTP call from (z) [198.51.100.47] dropped: too many unrecognized commands (last command was \"x\")");
    let p = full(&text);
    assert_eq!(
        p.reason,
        Some(&b"dropped: too many unrecognized commands"[..])
    );
}

#[test]
fn exim_connection_failures_without_a_flag() {
    for tail in [
        "mx.far.test [198.51.100.7] Connection timed out",
        "H=mx.far.test [198.51.100.7] Connection refused",
        "mx.far.test [198.51.100.7]:25 Network is unreachable",
        "H=[2001:db8::7] No route to host",
    ] {
        let text = format!("{EX} 1wQzXe-000779-Mr {tail}");
        let p = full(&text);
        assert_eq!(
            (p.kind, p.code, p.counter),
            (
                LineKind::Mail(Mta::Exim),
                None,
                Some(Counter::EximConnectFailed)
            ),
            "{tail}"
        );
    }
    check(&format!("{EX} 1wQzXe-000779-Mr Process failed (1) when writing error message to root@here.test (frozen)"), None, None, None, None);
    // Two words before the address are not a host.
    assert_eq!(
        got(&format!(
            "{EX} 1wQzXe-000779-Mr some text [198.51.100.7] Connection refused"
        ))
        .kind,
        "unrecognised"
    );
}

#[test]
fn exim_rejections() {
    check(&format!("{EX} H=mx.t.test [192.0.2.93] F=<b@ex.test> rejected RCPT <r@here.test>: Sender verify failed"),
        Some("rejected"), None, None, None);
    check(&format!("{EX} H=m05.h.test [192.0.2.21]:43030 I=[192.0.2.2]:25 Ci=7326 CV=no SNI=mail.here.test F=<u@ex.test> rejected RCPT <l@here.test>: relay not permitted"),
        Some("rejected"), None, None, None);
    check(&format!("{EX} H=(c.test) [127.0.0.1]:45403 rejected MAIL <spammer@bad.test>: 553 5.7.1 Sender address is blacklisted"),
        Some("rejected"), Some(553), Some("5.7.1"), None);
    check(&format!("{EX} H=[127.0.0.66]:48921 rejected connection in \"connect\" ACL: 554 5.7.1 Connection refused by local policy"),
        Some("rejected"), Some(554), Some("5.7.1"), None);
    check(
        &format!("{EX} H=[127.0.0.1] rejected connection in \"connect\" ACL: 550 client disliked"),
        Some("rejected"),
        Some(550),
        None,
        None,
    );
    check(&format!("{EX} H=test.ex.test [192.0.2.4]:18146 temporarily rejected connection in \"connect\" ACL: \"Host is ratelimited (1.9/1h max:1.2)\""),
        Some("rejected"), None, None, None);
    check(&format!("{EX} H=t.test [192.0.2.4]:53343 F=<i@t.test> rejected RCPT <t@here.test>: \"JunkMail rejected - t.test [192.0.2.4]:53343 is in an RBL: https://rbl.test/q\""),
        Some("rejected"), None, None, None);
    check(&format!("{EX} [2516] 1Unmew-0000ea-SE H=eg.test [192.0.2.148]:32706 I=[192.0.2.1]:25 F=a@ex.test rejected after DATA: This message contains a virus (Junk.39934.UNOFFICIAL)."),
        Some("rejected"), None, None, None);
    check(&format!("{EX} rejected EHLO from [127.0.0.20]:41173: syntactically invalid argument(s): bad_helo!"),
        Some("rejected"), None, None, None);
    check(&format!("{EX} rejected MAIL FROM:<m@ex.test> H=(c.test) [127.0.0.1]:56809: message too big: size=500000 max=102400"),
        Some("rejected"), None, None, None);
    check(
        &format!("{EX} unqualified sender rejected: <localonly> H=(o.test) [127.0.0.20]:57535"),
        Some("rejected"),
        None,
        None,
        None,
    );
    // The words before the address say what happened; they are the reason.
    for what in ["sender", "recipient"] {
        let line =
            format!("{EX} unqualified {what} rejected: <loc> H=(h.test) [198.51.100.5]:41000");
        let reason = format!("unqualified {what} rejected");
        assert_eq!(full(&line).reason, Some(reason.as_bytes()));
    }
    check(&format!("{EX} 1VxPit-000MMd-U4 F=<u@ex.test> H=l.test [192.0.2.40] P=smtp rejected by local_scan(): Rejected: hits=7.5 required=5.0"),
        Some("rejected"), None, None, None);
    let line = format!("{EX} H=(c.test) [127.0.0.1]:35457 temporarily rejected MAIL <g@later.test>: 450 4.7.1 Sender temporarily rejected, try again later");
    let p = full(&line);
    assert_eq!(
        (p.event, p.code.map(|c| c.value()), p.temporary),
        (Some(Event::Rejected), Some(450), true)
    );
}

#[test]
fn exim_auth_and_verify() {
    check(&format!("{EX} dovecot_login authenticator failed for (User) [192.0.2.1]:21298 I=[192.0.2.55]:465 Ci=30416: 535 Incorrect authentication data (set_id=u@ex.test)"),
        None, Some(535), None, None);
    check("Jun 29 16:04:19 server exim[1234]: dovecot_login authenticator failed for ([192.0.2.5]) [192.0.2.4]:55379: 535 Incorrect authentication data (set_id=a@t.test)",
        None, Some(535), None, None);
    check("mail.ex.test exim[3751842]: 2021-07-17 23:20:49 plain_server authenticator failed for ([192.0.2.17]) [192.0.2.27]: 535 Incorrect authentication data",
        None, Some(535), None, None);
    check("2023-05-30 06:10:13.345 login authenticator failed for m.ex.test [192.0.2.12]:5432: 535 Incorrect authentication data (set_id=user)",
        None, Some(535), None, None);
    check(&format!("{EX} 1xVpHl-00012H-0L plain_client authenticator failed H=127.0.0.1 [127.0.0.1] 535 5.7.8 Error: authentication failed"),
        None, Some(535), Some("5.7.8"), None);
    check(&format!("{EX} H=(t) [192.0.2.1] U=root sender verify fail for <u@here.test>: 127.0.0.1 [127.0.0.1] : response to \"MAIL FROM:<>\" was: 550-Multiline error for <>\\n550 Second line"),
        None, Some(550), None, None);
}

#[test]
fn exim_info_lines() {
    for body in [
        "SMTP connection from [127.0.0.1]:32829 (TCP/IP connection count = 1)",
        "Start queue run: pid=29903",
        "exim 4.96 daemon started: pid=29901, -q15s, listening for SMTP on [127.0.0.1]:2526",
        "[18643] no MAIL in SMTP connection from h.ex.test (S) [192.0.2.2]:1418 I=[192.0.2.6]:25 D=2m42s C=QUIT",
        "SMTP syntax error in \"FOOBAR\" H=(d.test) [127.0.0.77]:43789 unrecognized command",
        "H=(o.test) [127.0.0.20]:60521 incomplete transaction (RSET) from <s@o.test>",
        "1VxPit-000MMd-U4 SA: Action: flagged as Spam but accepted: score=8.2 required=5.0 (scanned in 6/6 secs)",
        "10HmaY-000000005vi-0000 Frozen (delivery error message)",
        "10HmaX-000000005vi-0000 frozen by ACL",
        "1xVpHr-00B001-Ng Message is frozen",
        "1xVpHr-000001-Ng u550+e166@sink.test: error ignored",
        "10HmaX-000000005vi-0000 H=127.0.0.1 [127.0.0.1]: SMTP timeout after EHLO myhost.test.ex: Connection timed out",
    ] {
        let g = got(&format!("{EX} {body}"));
        assert_eq!((g.kind, g.event, g.code), ("mail", None, None), "{body}");
    }
}

#[test]
fn more_exim_shapes() {
    let p = full("2026-11-24 12:05:40 too many recipients: excess temporarily rejected: sender=<x@y.test> U=someone");
    assert_eq!(
        (p.event, p.temporary, p.code),
        (Some(Event::Rejected), true, None)
    );
    check("2026-11-24 12:05:40 U=someone F=<ok@x.test> RCPT <discard@p.test>: discarded by RCPT ACL: discard message 1",
        Some("discarded"), None, None, None);
    check(
        "2026-11-24 12:05:40 U=someone sender verify fail for <x@y.test>: Unrouteable address",
        None,
        None,
        None,
        None,
    );
    check(
        "2026-11-24 12:05:40 sender verify defer (making callout connection): T=smtp Network Error",
        None,
        None,
        None,
        None,
    );
    check("2026-11-24 12:05:40 no IP address found for host test.ex.test (during SMTP connection from [192.0.2.9])", None, None, None, None);
    check(
        "2026-11-24 12:05:40 192.0.2.8 accepted by connect ACL",
        None,
        None,
        None,
        None,
    );
    check("2026-11-24 12:05:40 1xVpHI-0007o9-2x r1 router: skipped error: domain missing or malformed", None, None, None, None);
    let p = full("2026-11-24 12:05:40 1xVpHI-0007o9-2x removed by root");
    assert!(p.finishes_message);
    let line = format!("{PF}/postsuper[9]: 3DE35B83B6: removed");
    assert!(full(&line).finishes_message);
}
