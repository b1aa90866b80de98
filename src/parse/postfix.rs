//! Postfix message bodies, by daemon.

use super::{
    between, between_by, is_common_diagnostic, parse_u64, rfind_by, seconds_to_ms, stage_of,
    Counter, Dnsbl, Event, Finders, ParsedLine, Severity,
};
use crate::code::parse_enhanced;

/// A Postfix queue id: short (`5BFB6B82BD`, upper-case hex) or long (`4PbC4x469Jz3tBr`).
fn is_queue_id(word: &[u8]) -> bool {
    let short = (5..=16).contains(&word.len())
        && word
            .iter()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
    let long = (10..=20).contains(&word.len())
        && word.iter().all(u8::is_ascii_alphanumeric)
        && word.iter().any(u8::is_ascii_digit)
        && word.iter().any(u8::is_ascii_uppercase);
    short || long
}

/// The queue id after the last `queued as ` of a reply: the filter's re-injected copy.
pub(super) fn queued_as<'a>(f: &Finders, reply: &'a [u8]) -> Option<&'a [u8]> {
    let at = f.queued_as_rev.rfind(reply)? + f.queued_as_rev.needle().len();
    let id = &reply[at..];
    let len = id.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    Some(&id[..len]).filter(|id| is_queue_id(id))
}

/// Split `QUEUEID: rest` or `NOQUEUE: rest`; the id is `None` for NOQUEUE.
fn split_queue_id(body: &[u8]) -> (Option<&[u8]>, &[u8]) {
    let window = &body[..body.len().min(24)];
    if let Some(colon) = memchr::memchr(b':', window) {
        if body.get(colon + 1) == Some(&b' ') {
            let word = &body[..colon];
            if word == b"NOQUEUE" {
                return (None, &body[colon + 2..]);
            }
            if is_queue_id(word) {
                return (Some(word), &body[colon + 2..]);
            }
        }
    }
    (None, body)
}

/// The text of a reply that a Postfix client received, inside a status's parentheses
/// or on its own (`host X said: 550 ...`, `host X refused to talk to me: 421 ...`).
fn remote_reply_text<'a>(f: &Finders, text: &'a [u8]) -> Option<&'a [u8]> {
    if text.starts_with(b"host ") {
        // The first marker is Postfix's own; the remote's text comes after it.
        let said = f.said.find(text);
        let refused = f.refused_to_talk.find(text);
        return match (said, refused) {
            (Some(s), Some(r)) if r < s => Some(&text[r + f.refused_to_talk.needle().len()..]),
            (Some(s), _) => Some(&text[s + f.said.needle().len()..]),
            (None, Some(r)) => Some(&text[r + f.refused_to_talk.needle().len()..]),
            (None, None) => None,
        };
    }
    if text.starts_with(b"SASL authentication failed; server ") {
        return f
            .said
            .find(text)
            .map(|s| &text[s + f.said.needle().len()..]);
    }
    None
}

/// A delivery status line: `to=<..>, relay=.., dsn=X.Y.Z, status=S (text)` or qmgr's expiry.
fn parse_status<'a>(f: &Finders, rest: &'a [u8], status_at: usize, out: &mut ParsedLine<'a>) {
    let value = &rest[status_at + f.status.needle().len()..];
    let word_len = value
        .iter()
        .take_while(|b| !matches!(b, b' ' | b',' | b'('))
        .count();
    out.event = match &value[..word_len] {
        b"sent" => Some(Event::Delivered),
        b"deferred" => Some(Event::Deferred),
        b"bounced" => Some(Event::Bounced),
        b"expired" | b"force-expired" => Some(Event::Expired),
        _ => None,
    };
    // `dsn=X.Y.Z, status=`: the dsn ends right before the status field when there is one.
    let before = &rest[..status_at];
    if let Some(comma) = before.strip_suffix(b",") {
        let start = comma.len() - comma.iter().rev().take_while(|b| **b != b'=').count();
        if comma[..start].ends_with(b" dsn=") {
            out.dsn = parse_enhanced(&comma[start..]).map(|(e, _)| e);
        }
    }
    // `delay=1.2` (seconds from arrival to this attempt) sits between relay and dsn.
    // By its `y`: the letters before it are in most host names.
    out.delay_ms = between_by(rest, b" delay=", 5, b',').and_then(seconds_to_ms);
    out.recipient = rest
        .strip_prefix(b"to=<")
        .and_then(|r| memchr::memchr(b'>', r).map(|end| &r[..end]));
    // The recipient (qmgr's expiry names the sender instead), kept for problems only.
    if out.event != Some(Event::Delivered) {
        out.party = between(rest, b"to=<", b'>').or_else(|| between(rest, b"from=<", b'>'));
    }
    let after = &value[word_len..];
    let Some(text) = after.strip_prefix(b" (") else {
        // qmgr: `status=expired, returned to sender`
        let rest = after.strip_prefix(b", ").unwrap_or(after);
        out.reason = (!rest.is_empty()).then_some(rest);
        return;
    };
    out.reason = Some(text);
    out.forwarded = out.event == Some(Event::Delivered) && text.starts_with(b"forwarded as ");
    // `(250 2.0.0 Ok: queued as ...)`: the reply starts the text.
    if out.take_reply(text) {
        return;
    }
    // A suspended delivery repeats a reply received earlier; that reply was counted then.
    if let Some(reply) = remote_reply_text(f, text) {
        out.take_reply(reply);
    }
}

/// `reject: RCPT from host[addr]: 550 5.1.1 ...; from=<..>` and its siblings.
///
/// smtpd writes the reply after the client (`host[addr]: `), postscreen after the client's
/// port (`[addr]:port: `), proxy-reject right after the stage, cleanup's header and body
/// checks after the field list (`helo=<..>: 5.7.1 text`).
fn parse_reject<'a>(f: &Finders, rest: &'a [u8], out: &mut ParsedLine<'a>) {
    let stage_len = rest
        .iter()
        .take_while(|b| !matches!(b, b' ' | b':'))
        .count();
    let stage = &rest[..stage_len];
    out.stage = stage_of(stage);
    let after_stage = &rest[stage_len..];
    if matches!(stage, b"header" | b"body") {
        // The checked text (a Subject, say) is the sender's: start after the last field list.
        if let Some(fields) = f.from_fields.find_iter(after_stage).last() {
            let tail = &after_stage[fields..];
            if let Some(c) = f.colon_space.find(tail) {
                out.take_reply_or_bare_enhanced(&tail[c + 2..]);
            }
            // `... from host[addr]; from=<..>`: the client just before the field list.
            let head = &after_stage[..fields];
            out.party = memchr::memmem::rfind(head, b" from ").map(|i| &head[i + 6..]);
        }
        return;
    }
    if let Some(from_rest) = after_stage.strip_prefix(b" from ") {
        let Some(bracket) = memchr::memchr(b']', from_rest) else {
            return;
        };
        out.party = Some(&from_rest[..=bracket]);
        let mut tail = &from_rest[bracket + 1..];
        // postscreen: `[addr]:port: `
        if let Some(port_and_rest) = tail.strip_prefix(b":") {
            let digits = port_and_rest
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits > 0 && port_and_rest.get(digits) == Some(&b':') {
                tail = &port_and_rest[digits..];
            }
        }
        if let Some(text) = tail.strip_prefix(b": ") {
            out.take_reply_or_bare_enhanced(text);
            out.end_reason_at_fields(&f.field_separator);
        }
        return;
    }
    // `proxy-reject: END-OF-MESSAGE: 554 5.7.0 ...`
    if let Some(text) = after_stage.strip_prefix(b": ") {
        out.take_reply_or_bare_enhanced(text);
        out.end_reason_at_fields(&f.field_separator);
        out.party = between(rest, b"to=<", b'>');
    }
}

/// Actions that smtpd, postscreen and cleanup log for a message or a command.
fn parse_action<'a>(f: &Finders, rest: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    // Every action starts with one of these letters; most lines (connect, client=) do not.
    if !matches!(
        rest.first(),
        Some(b'r' | b'm' | b'p' | b'h' | b'd' | b'f' | b'i' | b'w')
    ) {
        return false;
    }
    let actions: [(&[u8], Option<Event>); 9] = [
        (b"reject: ", Some(Event::Rejected)),
        (b"milter-reject: ", Some(Event::Rejected)),
        (b"milter-header-reject: ", Some(Event::Rejected)),
        (b"proxy-reject: ", Some(Event::Rejected)),
        (b"reject_warning: ", Some(Event::RejectWarning)),
        (b"proxy-accept: ", None),
        (b"hold: ", Some(Event::Held)),
        (b"milter-hold: ", Some(Event::Held)),
        (b"discard: ", Some(Event::Discarded)),
    ];
    // header_checks/body_checks WARN: a would-be reject that only went to the log.
    if let Some(check) = rest.strip_prefix(b"warning: ") {
        if check.starts_with(b"header ") || check.starts_with(b"body ") {
            out.event = Some(Event::RejectWarning);
            let mut would = ParsedLine::new(out.kind, out.stamp);
            parse_reject(f, check, &mut would);
            out.reason = would.reason;
            out.party = would.party;
            return true;
        }
    }
    for (prefix, event) in actions {
        if let Some(after) = rest.strip_prefix(prefix) {
            out.event = event;
            match event {
                Some(Event::Rejected) => {
                    parse_reject(f, after, out);
                    // A 4xx reject asks the client to try again: a temporary rejection.
                    out.temporary = out.code.is_some_and(|c| c.value() / 100 == 4);
                }
                // A reject_warning's code was never sent: it is not a reply. Its text and
                // client still say what would have been refused.
                Some(Event::RejectWarning) => {
                    let mut would = ParsedLine::new(out.kind, out.stamp);
                    parse_reject(f, after, &mut would);
                    out.reason = would.reason;
                    out.party = would.party;
                }
                Some(Event::Held | Event::Discarded) => {}
                _ => {
                    if let Some(text) = after.strip_prefix(b"END-OF-MESSAGE: ") {
                        out.take_reply(text);
                    }
                }
            }
            return true;
        }
    }
    const QUIET_ACTIONS: [&[u8]; 6] = [
        b"filter: ",
        b"redirect: ",
        b"replace: ",
        b"prepend: ",
        b"info: ",
        b"milter-discard: ",
    ];
    if QUIET_ACTIONS.iter().any(|p| rest.starts_with(p)) {
        if rest.starts_with(b"milter-discard: ") {
            out.event = Some(Event::Discarded);
        }
        return true;
    }
    false
}

/// smtpd and postscreen lines that carry no reply.
fn is_smtpd_info(rest: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 37] = [
        b"connect from ",
        b"disconnect from ",
        b"lost connection after ",
        b"timeout after ",
        b"too many errors after ",
        b"client=",
        b"improper command pipelining ",
        b"Anonymous TLS connection established",
        b"Untrusted TLS connection established",
        b"Trusted TLS connection established",
        b"Verified TLS connection established",
        b"SSL_accept error",
        b"CONNECT from ",
        b"DISCONNECT ",
        b"PASS NEW ",
        b"PASS OLD ",
        b"PREGREET ",
        b"DNSBL rank ",
        b"HANGUP ",
        b"COMMAND ",
        b"BARE NEWLINE ",
        b"NON-SMTP COMMAND ",
        b"WHITELISTED ",
        b"BLACKLISTED ",
        b"ALLOWLISTED ",
        b"DENYLISTED ",
        b"WHITELIST VETO ",
        b"ALLOWLIST VETO ",
        b"cache ",
        b"NOQUEUE: ",
        b"SASL ",
        b"sasl_",
        b"EHLO ",
        b"table ",
        b"DATA without valid RCPT",
        b"BDAT without valid RCPT",
        b"discarding EHLO keywords: ",
    ];
    PREFIXES.iter().any(|p| rest.starts_with(p))
}

/// Which connection-level counter a smtpd or postscreen line feeds.
fn connection_counter(daemon: &[u8], rest: &[u8]) -> Option<Counter> {
    let counters: [(&[u8], &[u8], Counter); 7] = [
        (b"smtpd", b"connect from ", Counter::SmtpdConnect),
        (b"postscreen", b"CONNECT from ", Counter::PostscreenConnect),
        (b"postscreen", b"PASS NEW ", Counter::PostscreenPassNew),
        (b"postscreen", b"PASS OLD ", Counter::PostscreenPassOld),
        (b"postscreen", b"PREGREET ", Counter::PostscreenPregreet),
        (b"postscreen", b"DNSBL rank ", Counter::PostscreenDnsbl),
        (b"postscreen", b"HANGUP ", Counter::PostscreenHangup),
    ];
    counters
        .into_iter()
        .find(|(d, prefix, _)| *d == daemon && rest.starts_with(prefix))
        .map(|(_, _, counter)| counter)
}

/// smtp/lmtp client lines that carry no reply.
fn is_client_info(rest: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 12] = [
        b"connect to ",
        b"lost connection with ",
        b"conversation with ",
        b"Untrusted TLS connection established",
        b"Trusted TLS connection established",
        b"Verified TLS connection established",
        b"Anonymous TLS connection established",
        b"enabling PIX workarounds",
        b"server certificate verification failed",
        b"SSL_connect error",
        b"host ",
        b"TLS ",
    ];
    PREFIXES.iter().any(|p| rest.starts_with(p))
}

/// Daemons that log `to=<..>, ..., dsn=X.Y.Z, status=S (text)` lines.
fn is_delivery_agent(daemon: &[u8]) -> bool {
    matches!(
        daemon,
        b"smtp" | b"lmtp" | b"local" | b"virtual" | b"pipe" | b"error" | b"retry" | b"discard"
    )
}

/// Where ` status=` starts on a delivery line.
///
/// The recipient address and the remote reply are both chosen by others and may contain
/// `status=`; Postfix's own field is the one right after a well-formed `dsn=X.Y.Z, `.
fn find_delivery_status(f: &Finders, rest: &[u8]) -> Option<usize> {
    // Skip the recipient: a quoted local part may hold anything but `>, relay=`.
    let fields = if rest.starts_with(b"to=<") {
        f.address_end
            .find_iter(rest)
            .find(|&i| {
                rest[i + 3..].starts_with(b"relay=") || rest[i + 3..].starts_with(b"orig_to=<")
            })
            .unwrap_or(0)
    } else {
        0
    };
    f.dsn
        .find_iter(&rest[fields..])
        .map(|d| d + fields)
        .find_map(|d| {
            let value_at = d + f.dsn.needle().len();
            let (_, len) = parse_enhanced(&rest[value_at..])?;
            rest[value_at + len..]
                .starts_with(b", status=")
                .then_some(value_at + len + 1)
        })
        // No well-formed dsn (`dsn=1.2.3`, or none at all): the first status after the fields.
        .or_else(|| f.status.find(&rest[fields..]).map(|s| s + fields))
}

/// The host of `client=host[addr]:port, sasl_method=...`: up to the closing bracket.
fn client_host(value: &[u8]) -> &[u8] {
    // A comma and a space, by its comma: `memmem::find` builds a searcher on every call.
    let end = memchr::memchr_iter(b',', value)
        .find(|&i| value.get(i + 1) == Some(&b' '))
        .unwrap_or(value.len());
    let value = &value[..end];
    match memchr::memrchr(b']', value) {
        Some(close) => &value[..=close],
        None => value,
    }
}

/// Parse a Postfix body. Returns false when the shape is unknown.
pub(super) fn parse<'a>(
    f: &Finders,
    daemon: &[u8],
    body: &'a [u8],
    out: &mut ParsedLine<'a>,
) -> bool {
    let (queue_id, rest) = split_queue_id(body);
    out.message_id = queue_id;
    // A verbose trace that the smtp client's own shapes would take for one of theirs;
    // the other traces fall through to `is_common_diagnostic`.
    if rest.starts_with(b"connect to subsystem ") {
        out.debug = true;
        return true;
    }
    if is_delivery_agent(daemon) {
        if let Some(status_at) = find_delivery_status(f, rest) {
            parse_status(f, rest, status_at, out);
            return true;
        }
    }
    match daemon {
        b"smtpd" | b"postscreen" | b"cleanup" => {
            if parse_action(f, rest, out) {
                return true;
            }
            if daemon == b"smtpd" && rest.starts_with(b"client=") {
                out.received = out.message_id.is_some();
                out.client = Some(client_host(&rest[7..]));
                return true;
            }
            if daemon == b"cleanup"
                && (rest.starts_with(b"message-id=") || rest.starts_with(b"resent-message-id="))
            {
                return true;
            }
            out.counter = connection_counter(daemon, rest);
            if out.counter == Some(Counter::PostscreenDnsbl) {
                out.dnsbl = dnsbl_rank(rest).map(Dnsbl::Rank);
            }
            is_smtpd_info(rest) || is_common_diagnostic(rest, out)
        }
        b"smtp" | b"lmtp" => {
            if let Some(reply) = remote_reply_text(f, rest) {
                out.take_reply(reply);
                out.party =
                    between(rest, b"host ", b' ').or_else(|| between(rest, b"server ", b' '));
                return true;
            }
            is_client_info(rest) || is_common_diagnostic(rest, out)
        }
        b"qmgr" | b"oqmgr" => {
            if rest == b"removed" {
                out.finishes_message = out.message_id.is_some();
                return true;
            }
            if rest.starts_with(b"from=<") {
                // `from=<..>, size=1388, nrcpt=1 (queue active)`: the last size field.
                let size_at = rfind_by(rest, b", size=", 4);
                out.size = size_at.and_then(|i| {
                    let value = &rest[i + 7..];
                    parse_u64(
                        &value[..value.iter().position(|b| *b == b',').unwrap_or(value.len())],
                    )
                });
                // The sender ends where the size field starts (it may hold any byte).
                out.sender = size_at
                    .and_then(|i| rest[6..i.max(6)].strip_suffix(b">"))
                    .filter(|_| out.size.is_some());
                // `from=<..>, status=expired, returned to sender`: the sender address is
                // the client's to choose, so take the last status field, which Postfix wrote.
                if rest.ends_with(b", returned to sender") {
                    if let Some(status_at) = f.status_rev.rfind(rest) {
                        parse_status(f, rest, status_at, out);
                    }
                }
                return true;
            }
            rest.starts_with(b"skipped, still being delivered") || is_common_diagnostic(rest, out)
        }
        b"pickup" => {
            if rest.starts_with(b"uid=") {
                out.received = out.message_id.is_some();
                return true;
            }
            is_common_diagnostic(rest, out)
        }
        b"bounce" => {
            rest.starts_with(b"sender non-delivery notification: ")
                || rest.starts_with(b"sender delay notification: ")
                || rest.starts_with(b"sender delivery status notification: ")
                || rest.starts_with(b"postmaster non-delivery notification: ")
                || is_common_diagnostic(rest, out)
        }
        b"local" | b"virtual" | b"pipe" | b"error" | b"retry" | b"discard" => {
            is_common_diagnostic(rest, out)
        }
        // `postsuper -d`: QID: removed
        b"postsuper" => {
            out.finishes_message = out.message_id.is_some() && rest == b"removed";
            true
        }
        b"master" => {
            // Whatever master says that is not a warning is about itself: started,
            // reloaded, stopped (pflogsumm's "Master daemon messages").
            if !is_common_diagnostic(rest, out) && out.message_id.is_none() {
                out.severity = Some(Severity::Info);
                out.reason = Some(rest);
            }
            true
        }
        b"dnsblog" => {
            out.dnsbl = dnsblog_listing(rest);
            out.dnsbl.is_some() || is_common_diagnostic(rest, out)
        }
        // anvil, scache, tlsmgr, postlog, ...: nothing they say is a reply, but their
        // warnings count like any daemon's.
        _ => {
            is_common_diagnostic(rest, out);
            true
        }
    }
}

/// The rank of a postscreen `DNSBL rank 3 for [192.0.2.1]:64273`.
fn dnsbl_rank(rest: &[u8]) -> Option<u32> {
    let digits = rest.strip_prefix(b"DNSBL rank ")?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    parse_u64(&digits[..end]).and_then(|rank| u32::try_from(rank).ok())
}

/// A dnsblog `addr 192.0.2.18 listed by domain zen.dnsbl.test as 127.0.0.4`.
fn dnsblog_listing(rest: &[u8]) -> Option<Dnsbl<'_>> {
    let after_addr = rest.strip_prefix(b"addr ")?;
    let at = memchr::memmem::find(after_addr, b" listed by domain ")?;
    let listed = &after_addr[at + b" listed by domain ".len()..];
    let as_at = memchr::memmem::find(listed, b" as ")?;
    Some(Dnsbl::Listed {
        list: &listed[..as_at],
        reply: &listed[as_at + 4..],
    })
}
