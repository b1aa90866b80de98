//! Exim mainlog message bodies (after the timestamp and optional pid).

use super::{
    between, parse_u64, rfind_by, seconds_to_ms, stage_of, Counter, Event, Finders, ParsedLine,
};

/// An Exim message id: `1xVpHI-0007o9-2x` (classic) or `10HmaX-000000005vi-0000` (4.97+).
pub(super) fn message_id_len(body: &[u8]) -> Option<usize> {
    // Every Exim line is tested: a table and fixed offsets, no per-byte class branches.
    let ok = |from: usize, to: usize| body[from..to].iter().all(|&b| ID_BYTE[usize::from(b)]);
    let ends = |at: usize| matches!(body.get(at), None | Some(b' '));
    if body.len() < 16 || body[6] != b'-' || !ok(0, 6) {
        return None;
    }
    if body[13] == b'-' && ok(7, 13) && ok(14, 16) && ends(16) {
        return Some(16);
    }
    if body.len() >= 23 && body[18] == b'-' && ok(7, 18) && ok(19, 23) && ends(23) {
        return Some(23);
    }
    None
}

/// The bytes of an Exim message id's parts: ASCII letters and digits.
static ID_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// Where the first `: ` outside `<...>` starts: addresses are the sender's to choose and
/// may hold one, Exim's own separators are never inside angle brackets.
fn colon_outside_brackets(text: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < text.len() {
        match text[i] {
            b'<' => i += memchr::memchr(b'>', &text[i..])?,
            b':' if text[i + 1] == b' ' => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The address in the last `[...]` of `text`: the host Exim names before an error.
fn last_bracketed(text: &[u8]) -> Option<&[u8]> {
    let open = memchr::memrchr(b'[', text)?;
    let len = memchr::memchr(b']', &text[open + 1..])?;
    Some(&text[open + 1..open + 1 + len])
}

/// `... SMTP error from remote mail server after RCPT TO:<a@b>: 550 5.1.1 ...`, with the
/// host before (`H=mx [ip]: SMTP error ...`) or, before Exim 4.8x, after the command
/// (`... after RCPT TO:<a@b>: host mx [ip]: 550 ...`). Sets the reply and its host.
fn take_smtp_error<'a>(f: &Finders, text: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    let Some(at) = f.exim_smtp_error.find(text) else {
        return false;
    };
    let after = &text[at + f.exim_smtp_error.needle().len()..];
    let Some(c) = colon_outside_brackets(after) else {
        return false;
    };
    let reply = &after[c + 2..];
    if let Some(host) = reply.strip_prefix(b"host ") {
        // The old layout: the host's name and address, then the reply.
        let Some(close) = memchr::memmem::find(host, b"]: ") else {
            return false;
        };
        out.reply_host = last_bracketed(&host[..=close]);
        return out.take_reply(&host[close + 3..]);
    }
    out.reply_host = last_bracketed(&text[..at]);
    out.take_reply(reply)
}

/// `H=mx.example.net [192.0.2.20]: SMTP error from remote mail server after ...: 421 ...`
/// with no flag: one host of a message refused it (the next may take it). Its reply
/// counts unless an address line of the message repeats it (see the message tracker).
fn parse_host_error<'a>(f: &Finders, rest: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    let Some(fields) = rest.strip_prefix(b"H=") else {
        return false;
    };
    // The error must follow the host's own fields directly, not a word of some text.
    let Some(c) = colon_outside_brackets(fields) else {
        return false;
    };
    if !fields[c + 2..].starts_with(f.exim_smtp_error.needle()) {
        return false;
    }
    take_smtp_error(f, rest, out) && out.reply_host.is_some()
}

/// `[H=]mx.example.org [192.0.2.7] Connection timed out` (refused, unreachable): a host of a
/// message could not be reached. No reply; counted as a connection failure.
fn is_connect_failure(rest: &[u8]) -> bool {
    const ERRORS: [&[u8]; 5] = [
        b"Connection timed out",
        b"Connection refused",
        b"Network is unreachable",
        b"No route to host",
        b"Connection reset by peer",
    ];
    let Some(close) = memchr::memchr(b']', rest) else {
        return false;
    };
    let mut tail = &rest[close + 1..];
    if let Some(port) = tail.strip_prefix(b":") {
        tail = &port[port.iter().take_while(|b| b.is_ascii_digit()).count()..];
    }
    let is_host = |head: &[u8]| {
        let head = head.strip_prefix(b"H=").unwrap_or(head);
        let open = memchr::memrchr(b'[', head);
        // `name [ip]` or `[ip]`: one word at most before the address.
        open.is_some_and(|o| !head[..o.saturating_sub(1)].contains(&b' '))
    };
    tail.strip_prefix(b" ").is_some_and(|t| ERRORS.contains(&t)) && is_host(&rest[..=close])
}

/// `** addr ...: reason` or `== addr ... defer (-44) ...: SMTP error ...: 451 ...`: the
/// address, and the reply or the reason Exim gives.
fn take_failure<'a>(f: &Finders, rest: &'a [u8], out: &mut ParsedLine<'a>) {
    let addr = &rest[3..];
    let end = addr.iter().position(|b| *b == b' ').unwrap_or(addr.len());
    out.party = Some(addr[..end].strip_suffix(b":").unwrap_or(&addr[..end]));
    out.recipient = recipient(addr);
    if !take_smtp_error(f, rest, out) {
        out.reason = f.colon_space.find(rest).map(|c| &rest[c + 2..]);
    }
}

/// The recipient after a delivery flag: `ok@sink.test F=<..> ...`, or for a local delivery,
/// a pipe or a file, the address it was for: `alice <alice@exim.test>`, `:blackhole: <b@x>`.
/// A pipe or file with no address (`|/usr/bin/procmail`, `/var/mail/x`) is a local
/// delivery to no recipient, so none.
fn recipient(addr: &[u8]) -> Option<&[u8]> {
    let end = addr.iter().position(|b| *b == b' ').unwrap_or(addr.len());
    let first = addr[..end].strip_suffix(b":").unwrap_or(&addr[..end]);
    if memchr::memchr(b'@', first).is_none() {
        // `=> |/usr/bin/procmail (x@y.test) <x@y.test>`: a parenthesised parent may come first.
        let mut tail = addr.get(end + 1..).unwrap_or_default();
        if tail.starts_with(b"(") {
            if let Some(close) = memchr::memchr(b')', tail) {
                tail = tail.get(close + 2..).unwrap_or_default();
            }
        }
        if let Some(original) = tail.strip_prefix(b"<") {
            if let Some(close) = memchr::memchr(b'>', original) {
                if memchr::memchr(b'@', &original[..close]).is_some() {
                    return Some(&original[..close]);
                }
            }
        }
        if matches!(first.first(), Some(b'|' | b'/')) {
            return None;
        }
    }
    Some(first)
}

/// The sending host of an arrival: `H=name (helo) [ip]:port` up to the closing bracket.
fn arrival_host<'a>(f: &Finders, arrival: &'a [u8]) -> Option<&'a [u8]> {
    // Fields come in a fixed order, `H=` before `P=`; the subject (`T=`) comes later and
    // may say anything. Prebuilt finders: a `memmem::find` builds its searcher every line.
    let fields = f
        .exim_protocol
        .find(arrival)
        .map_or(arrival, |p| &arrival[..p]);
    let at = f.exim_host.find(fields)? + 3;
    let value = &fields[at..];
    // `name (helo) [ip]:port`, `(helo) [ip]`, `[ip]`: the name when there is one (the helo
    // is the client's claim, not a key), else the address in its brackets.
    if !matches!(value.first(), Some(b'(' | b'[')) {
        let end = value.iter().position(|b| *b == b' ').unwrap_or(value.len());
        return Some(&value[..end]);
    }
    let open = f
        .space_bracket
        .find(value)
        .map(|i| i + 1)
        .filter(|_| value[0] == b'(')
        .unwrap_or(0);
    let close = memchr::memchr(b']', &value[open..])? + open;
    Some(&value[open..=close])
}

/// Where Exim's own `rejected` word starts in a line of `KEY=value` fields: before the first
/// `: ` (after it comes the ACL's message or a peer's reply, which may say anything),
/// outside the client's `(helo)` and `<addresses>`.
fn rejected_word(body: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'<' => i += memchr::memchr(b'>', &body[i..])?,
            b'(' => i += memchr::memchr(b')', &body[i..])?,
            b':' if body.get(i + 1) == Some(&b' ') => return None,
            b'r' if (i == 0 || body[i - 1] == b' ') && body[i..].starts_with(b"rejected ") => {
                return Some(i)
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Rejections: `rejected RCPT <a@b>: text`, `temporarily rejected MAIL <..>: 451 ...`,
/// `rejected connection in "connect" ACL: 554 ...`, `unqualified sender rejected: <..>`.
///
/// The code counts only when the ACL message starts with one; Exim does not log the
/// code it sent otherwise, and codes are never guessed.
fn parse_rejection<'a>(f: &Finders, body: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    let at = if body.starts_with(b"rejected ") {
        Some(0)
    } else if body.starts_with(b"unqualified ") {
        // `unqualified sender rejected: <localonly> H=...`
        memchr::memmem::find(body, b" rejected: ").map(|i| i + 1)
    } else if body.starts_with(b"H=")
        || body.starts_with(b"U=")
        || body.starts_with(b"F=")
        || body.starts_with(b"temporarily rejected ")
    {
        rejected_word(body)
    } else {
        None
    };
    let Some(at) = at else {
        return false;
    };
    out.event = Some(Event::Rejected);
    out.temporary = body[..at].ends_with(b"temporarily ");
    out.party = between(body, b"[", b']');
    let after = &body[at..];
    // `rejected RCPT`, `rejected MAIL`, `rejected EHLO or HELO`, `rejected connection`,
    // `rejected after DATA`, `rejected from <..>` (a message too big: its data).
    let word = |from: usize| {
        let rest = after.get(from..).unwrap_or_default();
        &rest[..rest
            .iter()
            .position(|b| matches!(b, b' ' | b':'))
            .unwrap_or(rest.len())]
    };
    out.stage = match word(9) {
        b"connection" => Some("CONNECT"),
        b"after" | b"from" | b"DATA" => Some("DATA"),
        b"unqualified" => None,
        other => stage_of(other),
    };
    match f.colon_space.find(after) {
        // `unqualified sender rejected: <x> H=...`: the words before the colon say what
        // happened, and what follows is only who.
        Some(c) if out.stage.is_none() && body.starts_with(b"unqualified ") => {
            out.reason = Some(&body[..at + c]);
        }
        Some(c) => {
            if !out.take_reply(&after[c + 2..]) {
                out.reason = Some(&after[c + 2..]);
            }
        }
        // `rejected EHLO from [ip]:port: reason` has its colon; a bare `rejected X` is the reason.
        None => out.reason = Some(after),
    }
    true
}

/// `dovecot_login authenticator failed for (x) [1.2.3.4]:5432: 535 Incorrect ...` (server)
/// or `plain_client authenticator failed H=host [1.2.3.4] 535 5.7.8 ...` (client).
fn parse_auth_failure<'a>(f: &Finders, body: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    let Some(at) = f.auth_failed.find(body) else {
        return false;
    };
    let after = &body[at..];
    out.party = between(after, b"[", b']');
    // The reply follows the first `: ` or `] ` that is followed by a code.
    for i in memchr::memchr2_iter(b':', b']', after) {
        if after.get(i + 1) == Some(&b' ') && out.take_reply(&after[i + 2..]) {
            break;
        }
    }
    true
}

/// Exim ending a session for how the client spoke: `SMTP protocol synchronization error
/// (...): rejected connection from H=[ip] ...` and `SMTP call from host [ip] dropped: too
/// many syntax or protocol errors` (or unrecognized / nonmail commands). Rejections with no
/// code in the log.
fn parse_session_drop<'a>(body: &'a [u8], out: &mut ParsedLine<'a>) -> bool {
    if body.starts_with(b"SMTP protocol synchronization error") {
        out.event = Some(Event::Rejected);
        let end = memchr::memmem::find(body, b": rejected ");
        out.stage = end
            .filter(|&e| body[e + 11..].starts_with(b"connection"))
            .map(|_| "CONNECT");
        out.reason = Some(&body[..end.unwrap_or(body.len())]);
        out.party = between(body, b"H=", b' ')
            .and_then(last_bracketed)
            .or_else(|| between(body, b"[", b']'));
        return true;
    }
    if let Some(call) = body.strip_prefix(b"SMTP call from ") {
        let Some(at) = memchr::memmem::find(call, b" dropped: too many ") else {
            return false;
        };
        out.event = Some(Event::Rejected);
        let reason = &call[at + 1..];
        // The last command (`(last command was "...")`) is the client's text.
        let end = memchr::memmem::find(reason, b" (").unwrap_or(reason.len());
        out.reason = Some(&reason[..end]);
        out.party = last_bracketed(&call[..at]);
        return true;
    }
    false
}

/// Exim's `1h2m3s` / `4s` / `0.342s` durations, in milliseconds.
fn exim_duration_ms(text: &[u8]) -> Option<u64> {
    let mut total: u64 = 0;
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        let unit: u64 = match b {
            b'0'..=b'9' | b'.' => continue,
            b'w' => 604_800,
            b'd' => 86_400,
            b'h' => 3_600,
            b'm' => 60,
            b's' => 1,
            _ => return None,
        };
        total = total.checked_add(seconds_to_ms(&text[start..i])?.checked_mul(unit)?)?;
        start = i + 1;
    }
    (start == text.len() && start > 0).then_some(total)
}

/// Exim lines without a message id that carry nothing to count.
fn is_info(f: &Finders, body: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 50] = [
        b"SMTP connection from ",
        b"SMTP call from ",
        b"Start queue run",
        b"End queue run",
        b"exim ",
        b"no MAIL in SMTP connection",
        b"no host name found",
        b"no IP address found for host",
        b"unexpected disconnection",
        b"SMTP protocol error",
        b"SMTP protocol synchronization error",
        b"SMTP syntax error",
        b"SMTP command timeout",
        b"SMTP data timeout",
        b"SMTP incomplete transaction",
        b"SMTP connection lost",
        b"TLS error",
        b"H=",
        b"U=",
        b"Connection from ",
        b"Connections=",
        b"Warning: ",
        b"LOG: ",
        b"DKIM: ",
        b"SA: ",
        b"cwd=",
        b"pid ",
        b"Accepting ",
        b"too many connections",
        b"refused relay",
        b"refused connection from ",
        b"Tainted ",
        b"failed to expand",
        b"Failed to ",
        b"remote host used my name",
        b"lowest numbered MX",
        b"ETRN ",
        b"VRFY failed for ",
        b"EXPN failed for ",
        b"mail accepted ",
        b"spool directory space check failed",
        b"timed out while reading local message",
        b"exec of ",
        b"bind of ",
        b"ridiculously long message header",
        b"overlong message header line",
        b"Daemon ",
        b"SIGHUP received",
        b"Message ",
        b"ACL \"",
    ];
    PREFIXES.iter().any(|p| body.starts_with(p)) || f.connect_acl_accept.find(body).is_some()
}

/// Lines about a message (after its id) that carry nothing to count.
fn is_message_info(f: &Finders, rest: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 29] = [
        b"no recipients found in headers",
        b"qualify/rewrite: ",
        b"remote host address is the local host",
        b"unable to set gid",
        b"failed to read delivery status",
        b"unfrozen by ",
        b"Error while reading message",
        b"Error in system filter",
        b"Failed to expand",
        b"home directory ",
        b"no IP address found for host",
        b"verify header_syntax fails",
        b"*> ",
        b">> ",
        b"Frozen",
        b"frozen",
        b"Message is frozen",
        b"Unfrozen",
        b"SA: ",
        b"H=",
        b"Warning: ",
        b"cancelled by ",
        b"removed by ",
        b"Spool file ",
        b"no immediate delivery",
        b"SMTP ",
        b"DKIM: ",
        b"Remote host ",
        b"Process failed ",
    ];
    PREFIXES.iter().any(|p| rest.starts_with(p))
        || rest.ends_with(b": error ignored")
        || f.router.find(rest).is_some()
        || f.transport_returned.find(rest).is_some()
        || f.transport_output.find(rest).is_some()
}

/// Parse an Exim body, whose message id is `id` bytes long (see [`message_id_len`]).
/// Returns false when the shape is unknown.
pub(super) fn parse<'a>(
    f: &Finders,
    body: &'a [u8],
    id: Option<usize>,
    out: &mut ParsedLine<'a>,
) -> bool {
    debug_assert_eq!(id, message_id_len(body));
    let Some(id_len) = id else {
        if parse_rejection(f, body, out) || parse_auth_failure(f, body, out) {
            return true;
        }
        // `too many recipients: excess temporarily rejected: sender=<..>` (recipients_max)
        if body.starts_with(b"too many recipients: excess temporarily rejected") {
            out.event = Some(Event::Rejected);
            out.temporary = true;
            return true;
        }
        // `U=x F=<a@b> RCPT <c@d>: discarded by RCPT ACL: ...` (the ACL `discard` verb)
        if f.discarded_by.find(body).is_some() {
            out.event = Some(Event::Discarded);
            return true;
        }
        // `sender verify fail for <..>: ... response to "MAIL FROM:<>" was: 550 ...`
        if (body.starts_with(b"H=")
            || body.starts_with(b"U=")
            || body.starts_with(b"sender verify ")
            || body.starts_with(b"recipient verify "))
            && f.verify.find(body).is_some()
        {
            if let Some(w) = f.verify_was.find(body) {
                out.take_reply(&body[w + f.verify_was.needle().len()..]);
            }
            return true;
        }
        if parse_session_drop(body, out) {
            return true;
        }
        // `SMTP connection from [ip]:port (TCP/IP connection count = 1)`, not `... closed by QUIT`.
        if body.starts_with(b"SMTP connection from ")
            && memchr::memrchr(b'(', body)
                .is_some_and(|i| body[i..].starts_with(b"(TCP/IP connection count"))
        {
            out.counter = Some(Counter::EximConnect);
        }
        return is_info(f, body);
    };
    out.message_id = Some(&body[..id_len]);
    let rest = body.get(id_len + 1..).unwrap_or_default();
    if let Some(arrival) = rest.strip_prefix(b"<= ") {
        out.received = !arrival.is_empty();
        let end = arrival
            .iter()
            .position(|b| *b == b' ')
            .unwrap_or(arrival.len());
        out.sender = Some(&arrival[..end]);
        out.client = arrival_host(f, arrival);
        // `S=1377`: the first size field (the subject, `T="..."`, comes later).
        out.size = between(arrival, b" S=", b' ')
            .or_else(|| {
                arrival
                    .windows(3)
                    .position(|w| w == b" S=")
                    .map(|i| &arrival[i + 3..])
            })
            .and_then(parse_u64);
        return true;
    }
    if rest.starts_with(b"=> ") || rest.starts_with(b"-> ") {
        out.event = Some(Event::Delivered);
        out.recipient = recipient(&rest[3..]);
        // `QT=1s` comes near the end of the line, after the fields others choose.
        out.delay_ms = rfind_by(rest, b" QT=", 1)
            .map(|i| {
                let value = &rest[i + 4..];
                &value[..value.iter().position(|b| *b == b' ').unwrap_or(value.len())]
            })
            .and_then(exim_duration_ms);
        if let Some(c) = f.exim_reply_field.find(rest) {
            // `C="250 ..." QT=1s DT=0s`: the reply ends at its closing quote, the last of
            // the line (the server's text may hold quotes; the fields after it hold none).
            let reply = &rest[c + f.exim_reply_field.needle().len()..];
            let end = memchr::memrchr(b'"', reply).unwrap_or(reply.len());
            out.take_reply(&reply[..end]);
        }
        return true;
    }
    if rest.starts_with(b"** ") {
        out.event = Some(if rest.ends_with(b"retry timeout exceeded") {
            Event::Expired
        } else {
            Event::Bounced
        });
        take_failure(f, rest, out);
        return true;
    }
    if rest.starts_with(b"== ") {
        out.event = Some(Event::Deferred);
        take_failure(f, rest, out);
        return true;
    }
    // `Completed`, or `removed by root` (exim -Mrm): the message is gone.
    if rest == b"Completed" || rest.starts_with(b"Completed ") || rest.starts_with(b"removed by ") {
        out.finishes_message = true;
        return true;
    }
    if parse_host_error(f, rest, out) {
        return true;
    }
    if is_connect_failure(rest) {
        out.counter = Some(Counter::EximConnectFailed);
        return true;
    }
    if parse_rejection(f, rest, out) || parse_auth_failure(f, rest, out) {
        return true;
    }
    is_message_info(f, rest)
}

#[cfg(test)]
mod tests {
    use super::message_id_len;

    #[test]
    fn message_ids_are_told_by_their_parts_and_dashes() {
        for (body, len) in [
            (&b"1xVpHI-0007o9-2x"[..], Some(16)),
            (b"1xVpHI-0007o9-2x <= a@b", Some(16)),
            (b"10HmaX-000000005vi-0000", Some(23)),
            (b"10HmaX-000000005vi-0000 => a@b", Some(23)),
            // A byte that is no letter or digit, a dash out of place, an id run on.
            (b"1xVpH_-0007o9-2x", None),
            (b"1xVpHI-0007o9_2x", None),
            (b"1xVpHI-0007o9-2xy", None),
            (b"10HmaX-000000005vi-00000", None),
            (b"10HmaX-00000000.5vi-0000", None),
            (b"1xVpHI-0007o9-2", None),
            (b"H=mx.example.net [192.0.2.1]", None),
            (b"", None),
        ] {
            assert_eq!(
                message_id_len(body),
                len,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
