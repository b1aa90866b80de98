//! Parser cases of Postfix lines: delivery agents, smtpd, postscreen, cleanup, qmgr and
//! the other daemons.

use super::*;

// --- Postfix delivery agents -------------------------------------------------------------

#[test]
fn smtp_sent_code_at_start_of_text() {
    check(&format!("{PF}/smtp[10]: 1A2B3C4D5E: to=<ann@dest.test>, relay=mx.dest.test[198.51.100.7]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 550ABCDEF1)"),
        Some("delivered"), Some(250), Some("2.0.0"), Some("2.0.0"));
}

#[test]
fn smtp_sent_without_enhanced_and_numbers_after() {
    check(&format!("{PF}/smtp[10]: 1A2B3C4D5E: to=<b@d.test>, relay=d.test[192.0.2.9]:25, delay=1.7, delays=0.02/0/1.7/0.06, dsn=2.0.0, status=sent (250 [Gate] OK 1600000000 queue 550)"),
        Some("delivered"), Some(250), None, Some("2.0.0"));
}

#[test]
fn content_filter_hand_off_is_filtered_not_delivered() {
    let line = format!("{PF}/smtp[11]: 4QxR7y2Lm9z3tB: to=<c@d.test>, relay=127.0.0.1[127.0.0.1]:10024, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4QxR7z0Abc)");
    // The filter's reply is still a reply; the hand-off is not a delivery.
    check(
        &line,
        Some("filtered"),
        Some(250),
        Some("2.0.0"),
        Some("2.0.0"),
    );
    // A relay on loopback at another port (a local sink, say) is a delivery.
    check(&format!("{PF}/smtp[11]: 4QxR7y2Lm9z3tC: to=<c@d.test>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
        Some("delivered"), Some(250), Some("2.0.0"), Some("2.0.0"));
    let custom = Parser::with_filter_ports(vec![2525]);
    let loopback6 = format!("{PF}/smtp[11]: 4QxR7y2Lm9z3tC: to=<c@d.test>, relay=localhost[::1]:2525, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)");
    let p = custom.parse(loopback6.as_bytes(), &YearRule::fixed(2026));
    assert_eq!(p.event, Some(Event::Filtered));
}

#[test]
fn content_filter_reply_counts_the_outer_code_once() {
    let line = format!("{PF}/amavis/smtp[11]: 4QxR7y2Lm9z3tB: to=<c@d.test>, orig_to=<x@d.test>, relay=127.0.0.1[127.0.0.1]:10024, delay=2.4, delays=0.3/0/0/2.1, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4QxR7z0Abc)");
    check(
        &line,
        Some("filtered"),
        Some(250),
        Some("2.0.0"),
        Some("2.0.0"),
    );
    assert_eq!(full(&line).message_id, Some(&b"4QxR7y2Lm9z3tB"[..]));
}

#[test]
fn smtp_deferred_host_said_greylisted() {
    check(&format!("{PF}/smtp[12]: A0E85200BD: to=<list@lists.test>, relay=in.lists.test[203.0.113.10]:25, delay=2.3, delays=0.25/0.05/2/0.04, dsn=4.2.0, status=deferred (host in.lists.test[203.0.113.10] said: 450 4.2.0 <list@lists.test>: Recipient address rejected: Greylisted for 300 seconds (in reply to RCPT TO command))"),
        Some("deferred"), Some(450), Some("4.2.0"), Some("4.2.0"));
}

#[test]
fn smtp_deferred_non_standard_text_after_code() {
    check(&format!("{PF}/smtp[13]: 732BB407C3: to=<r@big.test>, relay=mx.big.test[192.0.2.1]:25, delay=6.2, delays=0.1/0/5.2/0.87, dsn=4.0.0, status=deferred (host mx.big.test[192.0.2.1] said: 451 QQ:SPM 163 mx40,Abc-- 1514512452, try again in 15 minutes (in reply to end of DATA command))"),
        Some("deferred"), Some(451), None, Some("4.0.0"));
}

#[test]
fn smtp_bounced_multiline_reply_counts_once() {
    check(&format!("{PF}/smtp[14]: 4E74613FE76: to=<z@mail.test>, relay=in.mail.test[2001:db8::1b]:25, delay=1.9, delays=0.05/0/1.1/0.71, dsn=5.7.1, status=bounced (host in.mail.test[2001:db8::1b] said: 550-5.7.1 [2001:db8:3:25::2      12] This message 550-5.7.1 looks like bulk mail. See 550-5.7.1 https://help.mail.test/answer?id=188131 for 550 5.7.1 details. qc12 - gsmtp (in reply to end of DATA command))"),
        Some("bounced"), Some(550), Some("5.7.1"), Some("5.7.1"));
}

#[test]
fn smtp_bounced_no_reply_code_dns_failure() {
    check(&format!("{PF}/smtp[15]: 4PcV4K5FPLz3tBr: to=<u@nowhere.test>, relay=none, delay=0.07, delays=0.01/0.02/0.04/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service error for name=nowhere.test type=AAAA: Host not found)"),
        Some("bounced"), None, None, Some("5.4.4"));
}

#[test]
fn smtp_deferred_no_code_lost_connection_and_refused() {
    check(&format!("{PF}/smtp[16]: 2DC5552A34: to=<y@far.test>, relay=none, delay=63495, delays=63350/144/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost connection with mx.far.test[192.0.2.22] while sending RCPT TO)"),
        Some("deferred"), None, None, Some("4.4.2"));
    check(&format!("{PF}/smtp[16]: EF4ECB83A8: to=<x@refused.test>, relay=none, delay=0, delays=0/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:2999: Connection refused)"),
        Some("deferred"), None, None, Some("4.4.1"));
}

#[test]
fn suspended_delivery_repeats_an_earlier_reply_and_does_not_count() {
    check(&format!("{PF}/smtp[16]: 2DC5552A35: to=<y@far.test>, relay=none, delay=5, delays=5/0/0/0, dsn=4.3.2, status=deferred (delivery temporarily suspended: host mx.far.test[192.0.2.22] refused to talk to me: 421 4.3.2 busy)"),
        Some("deferred"), None, None, Some("4.3.2"));
}

#[test]
fn refused_to_talk_5xx_greeting_is_deferred_with_5xx_code() {
    check(&format!("{PF}/smtp[17]: E55E6B83A1: to=<x@c521.test>, relay=127.0.0.1[127.0.0.1]:2521, delay=0, delays=0/0/0/0, dsn=4.3.2, status=deferred (host 127.0.0.1[127.0.0.1] refused to talk to me: 521 5.3.2 c521.test does not accept mail (RFC 7504))"),
        Some("deferred"), Some(521), Some("5.3.2"), Some("4.3.2"));
}

#[test]
fn sasl_failure_inside_status() {
    check(&format!("{PF}/smtp[18]: EAE05B83A7: to=<x@auth.test>, relay=127.0.0.1[127.0.0.1]:2587, delay=0, delays=0/0/0/0, dsn=5.7.8, status=bounced (SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 5.7.8 Error: authentication failed: bad credentials)"),
        Some("bounced"), Some(535), Some("5.7.8"), Some("5.7.8"));
}

#[test]
fn lmtp_socket_relay() {
    check(&format!("{PF}/lmtp[19]: AD6E41CDC05C: to=<admin@home.test>, relay=store.home.test[private/dovecot-lmtp], delay=0.15, delays=0.04/0/0.02/0.08, dsn=2.0.0, status=sent (250 2.0.0 <admin@home.test> qYyyBMsl9 Saved)"),
        Some("delivered"), Some(250), Some("2.0.0"), Some("2.0.0"));
}

#[test]
fn local_virtual_pipe_error_discard_have_no_code() {
    for (daemon, text, dsn, status, event) in [
        ("local", "delivered to command: procmail -a \"$EXTENSION\"", "2.0.0", "sent", "delivered"),
        ("local", "unknown user: \"nobody550\"", "5.1.1", "bounced", "bounced"),
        ("local", "forwarded as 4PbMVH1yTpz3tG3", "2.0.0", "sent", "delivered"),
        ("virtual", "delivered to maildir", "2.0.0", "sent", "delivered"),
        ("pipe", "delivered via dovecot service", "2.0.0", "sent", "delivered"),
        ("pipe", "mail forwarding loop for t@home.test", "5.4.6", "bounced", "bounced"),
        ("discard", "home.test", "2.0.0", "sent", "delivered"),
        ("local", "cannot update mailbox /var/mail/carol for user carol. error writing message: File too large", "5.2.2", "bounced", "bounced"),
    ] {
        check(&format!("{PF}/{daemon}[20]: 892A0205B6: to=<t@home.test>, relay={daemon}, delay=0.05, delays=0.02/0/0/0.02, dsn={dsn}, status={status} ({text})"),
            Some(event), None, None, Some(dsn));
    }
    // An unusual status value: recognised, no event.
    check(&format!("{PF}/error[21]: 3E29030F8637E: to=<u@big.test>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=5.1.1, status=undeliverable-but-not-cached (User unknown in virtual alias table)"),
        None, None, None, Some("5.1.1"));
}

#[test]
fn tls_field_before_dsn_and_disagreeing_dsn() {
    check(&format!("{PF}/smtp[22]: 7EE668039: to=<u@ex.test>, relay=mail.ex.test[192.0.2.3]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, tls=dane/!requiretls:nocertmatch, dsn=2.1.5, status=sent (250 2.0.0 Ok: queued as 153053D)"),
        Some("delivered"), Some(250), Some("2.0.0"), Some("2.1.5"));
}

#[test]
fn spoofed_status_in_recipient_address_is_ignored() {
    check(&format!("{PF}/smtp[22]: 7EE668039: to=<\"a, dsn=5.1.1, status=bounced (550 x\"@ex.test>, relay=mail.ex.test[192.0.2.3]:25, delay=3.6, delays=0.08/0.02/0.85/0.14, dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
        Some("delivered"), Some(250), Some("2.0.0"), Some("2.0.0"));
}

#[test]
fn host_said_without_status() {
    check(&format!("{PF}/smtp[23]: ED59C3D: host mx2.ex.test[192.0.2.23] said: 450 4.7.1 <u@ex.test>: Recipient address rejected: Greylisted for 5 minutes (in reply to RCPT TO command)"),
        None, Some(450), Some("4.7.1"), None);
    check(&format!("{PF}/smtp[23]: 644D53D: host in.mail.test[192.0.2.26] said: 421-4.7.0 [192.0.2.1      15] Unusual rate of 421-4.7.0 mail from your IP. See 421 4.7.0 https://help.mail.test/81126 - gsmtp (in reply to end of DATA command)"),
        None, Some(421), Some("4.7.0"), None);
    check(&format!("{PF}/smtp[23]: 40197AA: host mx.slow.test[192.0.2.86] refused to talk to me: 450 4.3.2 try again later"),
        None, Some(450), Some("4.3.2"), None);
    check(&format!("{PF}/smtp[23]: D0F29603B4: SASL authentication failed; server relay.ex.test[192.0.2.4] said: 535 5.7.8 Error: authentication failed"),
        None, Some(535), Some("5.7.8"), None);
}

#[test]
fn client_lines_without_codes() {
    for body in [
        "connect to intern.test[192.0.2.98]:25: Connection timed out",
        "Untrusted TLS connection established to mx4.mail.test[192.0.2.136]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits)",
        "warning: process /usr/lib/postfix/smtpd pid 46234 killed by signal 11",
    ] {
        check(&format!("{PF}/smtp[24]: {body}"), None, None, None, None);
    }
}

// --- Postfix smtpd / postscreen / cleanup -----------------------------------------------

#[test]
fn smtpd_reject_shapes() {
    check(&format!("{PF}/smtpd[30]: 00ADB3C0899: reject: RCPT from host.ex.test[192.0.2.1]: 550 5.1.1 <sales@here.test>: Recipient address rejected: User unknown in local recipient table; from=<x@ex.test> to=<sales@here.test> proto=ESMTP helo=<mail.ex.test>"),
        Some("rejected"), Some(550), Some("5.1.1"), None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from ex.test[192.0.2.10]: 450 4.7.1 : Helo command rejected: Host not found; from=<> to=<> proto=ESMTP helo="),
        Some("rejected"), Some(450), Some("4.7.1"), None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from bad.ex.test[192.0.2.34]: 450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.34]; from=<b@ex.test> to=<g@here.test> proto=ESMTP helo=<bad.ex.test>"),
        Some("rejected"), Some(450), Some("4.7.25"), None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from s.ex.test[192.0.2.86]: 550 5.12.345 <u@here.test>: Recipient address rejected: Some error; from=<w@ex.test> to=<u@here.test> proto=ESMTP helo=<ex.test>"),
        Some("rejected"), Some(550), Some("5.12.345"), None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from unknown[192.0.2.245]: 554 <ce1@far.test>: Relay access denied; from=<k@ex.test> to=<e1@far.test> proto=SMTP helo=<SM01.net>"),
        Some("rejected"), Some(554), None, None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: MAIL from localhost[127.0.0.1]: 452 Insufficient system storage"),
        Some("rejected"), Some(452), None, None);
    check(&format!("{PF}-smo/submission/smtpd[30]: 44JCRG5tYPzCqt2: reject: BDAT from signer.ex.test[192.0.2.109]: 550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce; from=<> to=<s@ex.test> proto=ESMTP helo=<ex.test>"),
        Some("rejected"), Some(550), Some("5.5.3"), None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: EHLO from s27.ex.test[192.0.2.238]: 504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<User>"),
        Some("rejected"), Some(504), Some("5.5.2"), None);
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: CONNECT from unknown[192.0.2.114]: 450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.114]; proto=SMTP"),
        Some("rejected"), Some(450), Some("4.7.25"), None);
    // Unknown client with an IPv6 address.
    check(&format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from unknown[2001:db8::25]: 554 5.7.1 Service unavailable; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>"),
        Some("rejected"), Some(554), Some("5.7.1"), None);
}

#[test]
fn postfix_4xx_rejects_are_temporary() {
    for (line, temporary) in [
        (format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from grey.test[198.51.100.61]: 450 4.7.1 <v@here.test>: Recipient address rejected: try again soon; from=<s@grey.test> to=<v@here.test> proto=ESMTP helo=<grey.test>"), true),
        (format!("{PF}/postscreen[31]: NOQUEUE: reject: RCPT from [198.51.100.62]:40122: 450 4.3.2 Service currently unavailable; from=<s@t.test>, to=<v@here.test>, proto=ESMTP, helo=<t.test>"), true),
        (format!("{PF}/smtpd[30]: NOQUEUE: reject: RCPT from far.test[198.51.100.63]: 554 5.7.1 <v@here.test>: Relay access denied; from=<s@far.test> to=<v@x.test> proto=ESMTP helo=<far.test>"), false),
    ] {
        let p = full(&line);
        assert_eq!((p.event, p.temporary), (Some(Event::Rejected), temporary), "{line}");
    }
}

#[test]
fn postfix_verbose_lines_are_debug_and_known() {
    for body in [
        "qmgr[40]: done incoming queue scan",
        "smtp[41]: connect to subsystem private/rewrite",
        "smtp[41]: smtp socket: wanted attribute: request",
        "cleanup[42]: private/rewrite socket: wanted attribute: flags",
        "smtpd[43]: match_hostname: smtpd_client_event_limit_exceptions: host.test ~? 127.0.0.0/8",
    ] {
        let text = format!("{PF}/{body}");
        let p = full(&text);
        assert_eq!(
            (p.kind, p.debug),
            (LineKind::Mail(Mta::Postfix), true),
            "{body}"
        );
    }
    // Ordinary lines are not debug.
    let text =
        format!("{PF}/smtp[41]: connect to mx.far.test[198.51.100.7]:25: Connection refused");
    let p = full(&text);
    assert!(!p.debug);
    check(
        &format!("{PF}/smtpd[43]: discarding EHLO keywords: 8BITMIME STARTTLS"),
        None,
        None,
        None,
        None,
    );
    let p = full("Nov 24 12:05:23 mx1 postfix[3281]: fatal: open /etc/postfix/main.cf: No such file or directory");
    assert_eq!(
        (p.kind, p.severity, p.program),
        (
            LineKind::Mail(Mta::Postfix),
            Some(Severity::Fatal),
            &b"postfix"[..]
        )
    );
}

#[test]
fn zimbra_filter_ports_are_hand_offs() {
    for port in [10024, 10026, 10030, 10032] {
        let line = format!("{PF}/smtp[11]: 4QxR7y2Lm9z3tB: to=<c@d.test>, relay=127.0.0.1[127.0.0.1]:{port}, delay=0.3, delays=0.1/0/0/0.2, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 4QxR7z0Abc)");
        assert_eq!(full(&line).event, Some(Event::Filtered), "{port}");
    }
}

#[test]
fn a_date_that_does_not_exist_is_a_bad_stamp() {
    let line = "Feb 29 12:05:23 mx1 postfix/smtpd[30]: connect from a.test[198.51.100.1]";
    let p = full(line);
    assert_eq!(
        (p.kind, p.stamp, p.bad_stamp),
        (LineKind::Mail(Mta::Postfix), None, true)
    );
    let p = Parser::new().parse(line.as_bytes(), &YearRule::fixed(2028));
    assert!(p.stamp.is_some() && !p.bad_stamp);
}

#[test]
fn milter_and_warning_shapes() {
    check(&format!("{PF}/smtpd[31]: 1D8CC1CA0A7F: milter-reject: DATA from out.ex.test[192.0.2.151]: 550 5.7.1 Command rejected; from=<s@ex.test> to=<h@here.test> proto=ESMTP helo=<out.ex.test>"),
        Some("rejected"), Some(550), Some("5.7.1"), None);
    check(&format!("{PF}/smtpd[31]: NOQUEUE: milter-reject: RCPT from relay.ex.test[192.0.2.8]: 451 4.7.1 Greylisting in action, please come back later; from=<s@ex.test> to=<e@here.test> proto=ESMTP helo=<relay.ex.test>"),
        Some("rejected"), Some(451), Some("4.7.1"), None);
    // A bare enhanced code is no reply: no code, and it is the line's dsn.
    check(&format!("{PF}/cleanup[31]: 4104E3D: milter-reject: END-OF-MESSAGE from c.ex.test[192.0.2.86]: 5.7.1 Blocked by SpamAssassin; from=<w@ex.test> to=<v@here.test> proto=ESMTP helo=<ex.test>"),
        Some("rejected"), None, None, Some("5.7.1"));
    // reject_warning: its own event; the code was never sent.
    check(&format!("{PF}/smtpd[31]: NOQUEUE: reject_warning: RCPT from ex.test[192.0.2.34]: 553 5.7.1 <s@ex.test>: Sender address rejected: not owned by user u1; from=<s@ex.test> to=<r@here.test> proto=ESMTP helo=<ex.test>"),
        Some("reject_warning"), None, None, None);
}

#[test]
fn postscreen_shapes() {
    check(&format!("{PF}/postscreen[32]: NOQUEUE: reject: RCPT from [192.0.2.173]:60591: 550 5.7.1 Service unavailable; client [192.0.2.173] blocked using rbl.ex.test; from=<s@ex.test>, to=<g@here.test>, proto=ESMTP, helo=<bad.ex.test>"),
        Some("rejected"), Some(550), Some("5.7.1"), None);
    check(&format!("{PF}/postscreen[32]: NOQUEUE: reject: CONNECT from [192.0.2.4]:1337: too many connections"),
        Some("rejected"), None, None, None);
    for body in [
        "PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\\r\\n",
        "DNSBL rank 3 for [192.0.2.4]:64273",
        "CONNECT from [192.0.2.128]:36942 to [192.0.2.246]:25",
        "PASS NEW [192.0.2.5]:4321",
    ] {
        check(
            &format!("{PF}/postscreen[32]: {body}"),
            None,
            None,
            None,
            None,
        );
    }
}

#[test]
fn blocklist_shapes() {
    let rank_line = format!("{PF}/postscreen[32]: DNSBL rank 3 for [192.0.2.4]:64273");
    let rank = full(&rank_line);
    assert_eq!(rank.dnsbl, Some(Dnsbl::Rank(3)));
    assert_eq!(rank.counter, Some(Counter::PostscreenDnsbl));
    // A rank too big for u32 is still the counted line, with no rank to tally.
    let huge_line = format!("{PF}/postscreen[32]: DNSBL rank 99999999999 for [192.0.2.4]:1");
    let huge = full(&huge_line);
    assert_eq!(
        (huge.dnsbl, huge.counter),
        (None, Some(Counter::PostscreenDnsbl))
    );
    let listed_line =
        format!("{PF}/dnsblog[33]: addr 192.0.2.18 listed by domain zen.dnsbl.test as 127.0.0.4");
    let listed = full(&listed_line);
    assert_eq!(
        listed.dnsbl,
        Some(Dnsbl::Listed {
            list: b"zen.dnsbl.test",
            reply: b"127.0.0.4"
        })
    );
    assert_eq!(listed.kind, LineKind::Mail(Mta::Postfix));
    // Anything else dnsblog says is still understood, and never a listing.
    let other_line = format!("{PF}/dnsblog[33]: addr 192.0.2.18 blocked?");
    let other = full(&other_line);
    assert_eq!(
        (other.kind, other.dnsbl),
        (LineKind::Unrecognised(Mta::Postfix), None)
    );
}

#[test]
fn master_messages_are_info_and_warnings_count_for_every_daemon() {
    let started_line =
        format!("{PF}/master[1]: daemon started -- version 3.7.11, configuration /etc/postfix");
    let started = full(&started_line);
    assert_eq!(started.severity, Some(Severity::Info));
    assert_eq!(
        started.reason,
        Some(&b"daemon started -- version 3.7.11, configuration /etc/postfix"[..])
    );
    let warned_line =
        format!("{PF}/master[1]: warning: process /usr/lib/postfix/sbin/smtpd pid 9 exit status 1");
    let warned = full(&warned_line);
    assert_eq!(warned.severity, Some(Severity::Warning));
    for daemon in ["anvil", "tlsmgr", "postlog", "scache"] {
        let line = format!("{PF}/{daemon}[2]: warning: table lookup failed");
        let p = full(&line);
        assert_eq!(
            (p.severity, p.reason),
            (Some(Severity::Warning), Some(&b"table lookup failed"[..])),
            "{line}"
        );
        // Their other lines are neither diagnostics nor master messages.
        let quiet_line = format!("{PF}/{daemon}[2]: statistics: max cache size 1");
        let quiet = full(&quiet_line);
        assert_eq!(quiet.severity, None);
    }
}

#[test]
fn proxy_shapes() {
    check(&format!("{PF}/smtpd[33]: 4A5B6C7D8E: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, id=31619-02 - spam; from=<> to=<u2@here.test> proto=SMTP helo=<x>"),
        Some("rejected"), Some(554), Some("5.7.0"), None);
    check(&format!("{PF}/smtpd[33]: 4A5B6C7D8E: proxy-reject: END-OF-MESSAGE: ; from=<u1@ex.test> to=<u2@here.test> proto=ESMTP helo=<[192.0.2.16]>"),
        Some("rejected"), None, None, None);
    check(&format!("{PF}/smtpd[33]: 4A5B6C7D8E: proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10013): 250 2.0.0 Ok: queued as DF66E940333; from=<u1@ex.test> to=<u2@here.test> proto=ESMTP helo=<[127.0.0.1]>"),
        None, Some(250), Some("2.0.0"), None);
}

#[test]
fn cleanup_header_checks() {
    // The checked Subject is the sender's text and may imitate the field list.
    check(&format!("{PF}/cleanup[34]: 3EA1BB83B8: reject: header Subject: Buy now; from=<x@y>: 250 ok from localhost[127.0.0.1]; from=<m@ex.test> to=<a@here.test> proto=ESMTP helo=<c.test>: 5.7.1 Spam subject rejected"),
        Some("rejected"), None, None, Some("5.7.1"));
    check(&format!("{PF}/cleanup[34]: 4054AB83B8: hold: header Subject: HOLDTEST from localhost[127.0.0.1]; from=<m@ex.test> to=<a@here.test> proto=ESMTP helo=<c.test>: Subject held for review"),
        Some("held"), None, None, None);
    check(&format!("{PF}/cleanup[34]: 40F7FB83BA: discard: header Subject: DISCARDTEST from localhost[127.0.0.1]; from=<m@ex.test> to=<a@here.test> proto=ESMTP helo=<c.test>: Discarded"),
        Some("discarded"), None, None, None);
    check(&format!("{PF}/cleanup[34]: D8B07E3DB6: warning: header Subject: https://ex.test/file/d/0B8 from o1.ex.test[192.0.2.173]; from=<b+2320708-7653-f=h@ex.test> to=<f@here.test> proto=ESMTP helo=<o1.ex.test>"),
        Some("reject_warning"), None, None, None);
    check(
        &format!("{PF}/cleanup[34]: 0F5383D: message-id=<544D2523.30609@ex.test>"),
        None,
        None,
        None,
        None,
    );
}

#[test]
fn smtpd_info_lines() {
    for body in [
        "connect from localhost[127.0.0.1]",
        "disconnect from unknown[192.0.2.66] ehlo=2 starttls=1 mail=1 rcpt=0/1 data=0/1 quit=1 commands=5/7",
        "EB4B2C19E2: client=c[192.0.2.4], sasl_method=PLAIN, sasl_username=u@ex.test",
        "warning: unknown[192.0.2.233]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        "warning: non-SMTP command from unknown[192.0.2.1]: GET / HTTP/1.1",
        "NOQUEUE: discard: RCPT from localhost[127.0.0.1]: <d@spam.test>: Sender address silently discarded; from=<d@spam.test> to=<a@here.test> proto=ESMTP helo=<c.test>",
        "NOQUEUE: filter: RCPT from unknown[192.0.2.255]: <m@ex.test>: Sender address triggers FILTER smtp-amavis:[127.0.0.1]:10024; from=<m@ex.test> to=<u@here.test> proto=ESMTP helo=<x>",
        "> debug-client.ex.test[127.0.0.77]: 504 5.5.2 <bogus>: Sender address rejected: need fully-qualified address",
        "match_list_match: 127.0.0.77: no match",
        "lost connection after RCPT from localhost[127.0.0.1]",
    ] {
        let g = got(&format!("{PF}/smtpd[35]: {body}"));
        assert_eq!((g.kind, g.code), ("mail", None), "{body}");
    }
    let p = full("Nov 24 12:05:23 mx1 postfix/smtpd[35]: 5BFB6B82BD: client=localhost[127.0.0.1]");
    assert!(p.received);
    assert_eq!(p.message_id, Some(&b"5BFB6B82BD"[..]));
    let p =
        full("Nov 24 12:05:23 mx1 postfix/pickup[35]: CE9E3B8290: uid=0 from=<alice@here.test>");
    assert!(p.received);
}

#[test]
fn qmgr_bounce_and_others() {
    check(
        &format!(
            "{PF}/qmgr[36]: BACE842E72: from=<noreply@ex.test>, status=expired, returned to sender"
        ),
        Some("expired"),
        None,
        None,
        None,
    );
    check(&format!("{PF}/qmgr[36]: BACE842E73: from=<noreply@ex.test>, status=force-expired, returned to sender"),
        Some("expired"), None, None, None);
    // A sender that imitates a status field does not make a qmgr line an expiry.
    check(&format!("{PF}/qmgr[36]: BACE842E74: from=<\"x, status=expired\"@ex.test>, size=1, nrcpt=1 (queue active)"),
        None, None, None, None);
    check(
        &format!(
            "{PF}/qmgr[36]: 4PbC4x469Jz3tBr: from=<a@ex.test>, size=175061, nrcpt=1 (queue active)"
        ),
        None,
        None,
        None,
        None,
    );
    let line = format!("{PF}/qmgr[36]: 5BFB6B82BD: removed");
    let p = full(&line);
    assert!(p.finishes_message);
    check(
        &format!("{PF}/bounce[37]: 732BB407C3: sender non-delivery notification: 5DE184083C"),
        None,
        None,
        None,
        None,
    );
    for line in [
        format!("{PF}/master[1]: daemon started -- version 3.7.11, configuration /etc/postfix"),
        format!("{PF}/anvil[2]: statistics: max connection rate 1/60s for (smtpd:192.0.2.86) at Oct 26 18:13:50"),
        format!("{PF}/scache[3]: statistics: start interval Dec  6 21:20:35"),
        format!("{PF}/dnsblog[4]: addr 192.0.2.18 listed by domain zen.dnsbl.test as 127.0.0.4"),
        format!("{PF}/postsuper[5]: 3DE35B83B6: released from hold"),
        format!("{PF}/smtpd[6]: fatal: root(0): message file too big"),
    ] {
        check(&line, None, None, None, None);
    }
}

#[test]
fn unknown_postfix_shapes_are_unrecognised() {
    assert_eq!(
        got(&format!("{PF}/smtpd[35]: something new happened")).kind,
        "unrecognised"
    );
    assert_eq!(
        got(&format!("{PF}/qmgr[35]: 5BFB6B82BD: teleported")).kind,
        "unrecognised"
    );
}

#[test]
fn postfix_timestamp_variants_agree() {
    let body = "postfix/smtp[9]: 1A2B3C4D5E: to=<a@b.test>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to b.test[192.0.2.1]:25: Connection refused)";
    let stamps = [
        "Nov 24 12:05:23 mx1",
        "2026-11-24T12:05:23.123456+00:00 mx1",
        "2026-11-24T12:05:23+0000 mx1",
        "2026-11-24T12:05:23.150Z mx1",
    ];
    for stamp in stamps {
        let line = format!("{stamp} {body}");
        let p = full(&line);
        assert_eq!(
            p.stamp.map(|s| s.naive().to_string()).as_deref(),
            Some("2026-11-24 12:05:23"),
            "{stamp}"
        );
        assert_eq!(p.event, Some(Event::Deferred));
    }
}
