//! Tests of `events`: the records' fields, the hand-written JSON against serde's, and the
//! cached texts against chrono's.

use super::cache::StampCache;
use super::fields::{mask_closed_ids, reason_of, Clear, Escapes, LogEscapes, SeenReasons};
use super::json::Json;
use super::*;
use crate::count::normalise::cached_reason;
use crate::stamp::Stamp;

fn record(line: &str) -> Option<Record<'static>> {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let header = split_header(line.as_bytes(), &years);
    let body = header.body;
    let parsed = parser.parse_body(header);
    Record::of(
        line.as_bytes(),
        &parsed,
        body,
        &Zone::Named(chrono_tz::Tz::UTC),
        false,
    )
}

#[test]
fn a_postfix_deferral_has_its_fields() {
    let r = record("Nov 24 12:05:23 mx1 postfix/smtp[29970]: 80403B82BD: to=<u450@sink.test>, relay=mx.sink.test[192.0.2.7]:25, delay=1.5, delays=0/0/0/1.5, dsn=4.2.1, status=deferred (host mx.sink.test[192.0.2.7] said: 450 4.2.1 <u450@sink.test>: Mailbox busy (in reply to RCPT TO command))").unwrap();
    assert_eq!(r.ts.as_deref(), Some("2026-11-24T12:05:23Z"));
    assert_eq!(r.stamp.as_deref(), Some("2026-11-24 12:05:23"));
    assert_eq!(r.host.as_deref(), Some("mx1"));
    assert_eq!((r.mta, r.program.as_ref()), ("postfix", "smtp"));
    assert_eq!(r.queue_id.as_deref(), Some("80403B82BD"));
    assert_eq!(
        (r.event, r.code, r.class),
        (Some("deferred"), Some(450), Some("4xx"))
    );
    assert_eq!(
        (r.enhanced.as_deref(), r.dsn.as_deref()),
        (Some("4.2.1"), Some("4.2.1"))
    );
    assert_eq!(
        (r.relay.as_deref(), r.relay_ip.as_deref()),
        (Some("mx.sink.test"), Some("192.0.2.7"))
    );
    assert_eq!(r.recipient.as_deref(), Some("u450@sink.test"));
    assert_eq!(r.delay_s, Some(1.5));
    assert_eq!(r.reason.as_deref(), Some("<*>: Mailbox busy"));
}

#[test]
fn a_reject_names_its_client_and_an_exim_delivery_its_relay() {
    let r = record("2026-11-24T12:05:23+01:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from c.example[192.0.2.9]: 450 4.7.1 <x@y.test>: Recipient address rejected: greylisted; from=<a@b.test> to=<x@y.test> proto=ESMTP helo=<c>").unwrap();
    assert_eq!(r.ts.as_deref(), Some("2026-11-24T11:05:23Z"));
    assert_eq!(r.stamp, None);
    assert_eq!(
        (r.event, r.code, r.stage),
        (Some("rejected"), Some(450), Some("RCPT"))
    );
    assert!(r.temporary);
    assert_eq!(
        (r.client.as_deref(), r.client_ip.as_deref()),
        (Some("c.example"), Some("192.0.2.9"))
    );
    let r = record("2026-11-24 12:05:40 1xVpHI-0007o9-2x => ok@sink.test R=r T=remote_smtp S=1404 H=mx.sink.test [192.0.2.5]:2525 C=\"250 2.0.0 Ok\" QT=2s DT=0s").unwrap();
    assert_eq!((r.host, r.mta, r.event), (None, "exim", Some("delivered")));
    assert_eq!(
        (r.relay.as_deref(), r.relay_ip.as_deref()),
        (Some("mx.sink.test"), Some("192.0.2.5"))
    );
    assert_eq!(r.code, Some(250));
    assert!(record("Nov 24 12:05:23 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]").is_none());
    assert!(record("Nov 24 12:05:23 mx1 sshd[1]: 550 nope").is_none());
}

#[test]
fn hostile_text_stays_data() {
    let r = record("Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<=cmd|'/C calc'!A0@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \x1b[2J\"},{\"x\":1 \u{202e} (in reply to RCPT TO command))").unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back["event"], "bounced");
    assert!(
        !json.contains('\x1b') && !json.contains('\u{202e}'),
        "{json}"
    );
    let cells = r.csv_cells();
    assert!(cells[16].starts_with('\''), "{:?}", cells[16]);
}

/// Every record of the corpus and of hostile lines, normalised and raw.
fn corpus_records(raw: bool, each: &mut dyn FnMut(&Record<'_>, Escapes<'_>)) {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let zone = Zone::Named(chrono_tz::Tz::America__New_York);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real/");
    let mut data = Vec::new();
    for file in [
        "postfix-maillog.log",
        "postfix-maillog.rfc3339.log",
        "exim-mainlog.log",
    ] {
        data.extend(std::fs::read(format!("{dir}{file}")).unwrap());
    }
    data.extend_from_slice(b"Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<\"q\\\\\"@b.test>, relay=mx[192.0.2.1]:25, delay=1e3, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \x1b[2J\"},{\"x\":1 \xe2\x80\xae \xe2\x80\xa8 caf\xc3\xa9 \xff\x7f\t (in reply to RCPT TO command))\n");
    let mut scratch = Scratch::default();
    for line in crate::input::lines(&data) {
        let header = split_header(line, &years);
        let body = header.body;
        let parsed = parser.parse_body(header);
        if let Some((r, escapes)) =
            Record::with_scratch(line, &parsed, body, &zone, raw, &mut scratch)
        {
            each(&r, escapes);
        }
    }
}

/// Every text tested in full.
const ANY: Escapes<'static> = Escapes {
    log: LogEscapes::Any,
    clear: Clear::NONE,
    reason: None,
};

#[test]
fn json_is_what_serde_writes() {
    let mut checked = 0;
    for raw in [false, true] {
        corpus_records(raw, &mut |r, escapes| {
            let mut serde = serde_json::to_vec(r).unwrap();
            serde.push(b'\n');
            // With what the record's line told, and testing every text in full.
            for escapes in [escapes, ANY] {
                let mut ours = Vec::new();
                r.write_json(&mut ours, escapes).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&serde)
                );
            }
            checked += 1;
        });
    }
    assert!(checked > 1000, "{checked}");
    // Text that JSON escapes, in every kind of field a log fills.
    let odd = "a\"b\\c\u{1}\n\u{7f}\u{2028}é";
    let r = Record {
        host: Some(odd.into()),
        program: odd.into(),
        relay: Some(odd.into()),
        reason: Some(odd.into()),
        delay_s: Some(1e21),
        size: Some(u64::MAX),
        code: Some(599),
        temporary: true,
        ..Record::default()
    };
    let mut ours = Vec::new();
    r.write_json(&mut ours, ANY).unwrap();
    assert_eq!(
        ours,
        [serde_json::to_vec(&r).unwrap(), b"\n".to_vec()].concat()
    );
    // Quotes only, as in a plain line: escaped by hand.
    let quoted = "\"a\" b=\"c\"\"";
    let r = Record {
        host: Some(quoted.into()),
        reason: Some(format!("{quoted} …").into()),
        ..Record::default()
    };
    assert_eq!(LogEscapes::of(quoted), LogEscapes::Quotes);
    let escapes = Escapes {
        log: LogEscapes::Quotes,
        clear: Clear::NONE,
        reason: Some(LogEscapes::Quotes),
    };
    let mut ours = Vec::new();
    r.write_json(&mut ours, escapes).unwrap();
    assert_eq!(
        ours,
        [serde_json::to_vec(&r).unwrap(), b"\n".to_vec()].concat()
    );
}

#[test]
fn masking_closed_ids_keeps_the_reason() {
    let texts: [&[u8]; 14] = [
        b"Ok: queued as 4F1A2B3C4D)",
        b"Ok: queued as 4F1A2B3C\" QT=1s DT=0s",
        b"Ok: queued as ABCDEF)",
        b"Ok: queued as 13F)",
        b"id=1xVpHI-0007o9-2x) and (x abc1234) y",
        b"queued as abc123))",
        b"(in reply to abc1234) x)",
        b"foo (in reply to RCPT abc1234)",
        b"x DT=12345678)",
        b"450-abc123) y 451 4.3.0 abc1234\"",
        b"<a abc1234) b> [c def5678)] e",
        b"\"abc1234\" \"q=abc12345\" ab-12c) 9abcdef)",
        b"\x1b[2J abc1234) \xff zz99zz9)",
        b"abc1234)",
    ];
    let (mut masked, mut seen) = (Vec::new(), SeenReasons::default());
    for text in texts.iter().chain(&texts) {
        let want = crate::count::normalise::normalise(text);
        if mask_closed_ids(text, &mut masked) {
            assert_eq!(
                crate::count::normalise::normalise(&masked),
                want,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        // What the cache gave before (which is not always `normalise`: an unclosed
        // `[` or `<` hides the rest of the text).
        let fresh = reason_of(text, &mut masked, &mut SeenReasons::default());
        assert_eq!(fresh, cached_reason(text));
        assert_eq!(reason_of(text, &mut masked, &mut seen), fresh);
    }
    assert!(mask_closed_ids(texts[0], &mut masked));
    assert_eq!(masked, b"Ok: queued as *)");
    assert!(!mask_closed_ids(texts[3], &mut masked));
}

#[test]
fn stamp_texts_are_those_of_chrono() {
    // What the texts were before they were cached by minute: chrono's formatting, with
    // the zone's offset looked up once per wall-clock half hour.
    fn reference(
        stamp: Stamp,
        zone: &Zone,
        offsets: &mut Option<((chrono::NaiveDate, u32, bool), i64)>,
    ) -> (Option<String>, Option<String>) {
        let naive = stamp.naive();
        let offset = stamp.offset.map(i64::from).unwrap_or_else(|| {
            let hour = (stamp.date, stamp.secs / 3600, stamp.secs % 3600 >= 1800);
            match *offsets {
                Some((h, offset)) if h == hour => offset,
                _ => {
                    let offset = (naive - zone.to_utc(naive).naive_utc()).num_seconds();
                    *offsets = Some((hour, offset));
                    offset
                }
            }
        });
        let ts = naive
            .checked_sub_signed(chrono::TimeDelta::seconds(offset))
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        let wall = stamp
            .offset
            .is_none()
            .then(|| naive.format("%Y-%m-%d %H:%M:%S").to_string());
        (ts, wall)
    }
    let zones = [
        "UTC",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Europe/Amsterdam",
    ];
    for name in zones {
        let zone = Zone::Named(name.parse().unwrap());
        let mut cache = StampCache::default();
        let mut offsets = None;
        // Across a DST change, midnight and the year's end, in steps of 1 s to 2 h; in
        // 1900 Amsterdam's offset was not whole minutes (+00:19:32).
        for (year, month, day) in [(2026, 3, 8), (2026, 10, 4), (2026, 12, 31), (1900, 1, 1)] {
            let start = chrono::NaiveDate::from_ymd_opt(year, month, day).unwrap();
            let mut at = start.and_hms_opt(0, 0, 0).unwrap();
            let mut step = 1i64;
            for n in 0..3000u32 {
                let offset = [None, None, Some(3600), Some(-19800), Some(1172)][n as usize % 5];
                let stamp = Stamp {
                    date: at.date(),
                    secs: chrono::Timelike::num_seconds_from_midnight(&at),
                    offset,
                };
                let (ts, wall) = cache.texts(Some(stamp), &zone);
                let want = reference(stamp, &zone, &mut offsets);
                assert_eq!(
                    (ts.map(str::to_string), wall.map(str::to_string)),
                    want,
                    "{name} {stamp:?}"
                );
                // Mostly a few seconds (within the minute), now and then up to 2 h.
                step = (step * 7 + 3) % 7200 + 1;
                let gap = if n % 5 == 4 { step } else { i64::from(n % 3) };
                at += chrono::TimeDelta::seconds(gap);
            }
        }
        assert_eq!(cache.texts(None, &zone), (None, None));
    }
}

#[test]
fn delays_are_written_as_serde_writes_them() {
    let ms = (0..300_000u64)
        .chain((0..40).map(|b| 1u64 << b))
        .chain((0..40).flat_map(|b| [(1u64 << b) - 1, (1 << b) + 1, (1 << b) * 999 / 1000]))
        .chain((0..100_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 24));
    let ours = |seconds: Option<f64>| {
        let mut out = Vec::new();
        Json {
            out: &mut out,
            log: LogEscapes::Any,
            clear: Clear::NONE,
        }
        .seconds(b"", seconds)
        .unwrap();
        out
    };
    for ms in ms {
        let seconds = Some(ms as f64 / 1000.0);
        assert_eq!(ours(seconds), serde_json::to_vec(&seconds).unwrap(), "{ms}");
    }
    for odd in [
        None,
        Some(-1.5),
        Some(1e21),
        Some(0.1234),
        Some(f64::NAN),
        Some(1e-9),
    ] {
        assert_eq!(ours(odd), serde_json::to_vec(&odd).unwrap(), "{odd:?}");
    }
}
