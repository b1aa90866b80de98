//! Fuzz the line parser: any bytes, alone and after each real header shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtplog::parse::{LineKind, Parser};
use smtplog::stamp::YearRule;

const PREFIXES: [&[u8]; 6] = [
    b"",
    b"Nov 24 12:05:23 mx1 postfix/smtp[1]: 5BFB6B82BD: ",
    b"Nov 24 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from ",
    b"2026-11-24T12:05:23.1+01:00 mx1 postfix/cleanup[2]: ABCDEF1234: reject: header ",
    b"2026-11-24 12:05:40 1xVpHI-0007o9-2x ",
    b"2026-11-24 12:05:40 H=",
];

fuzz_target!(|data: &[u8]| {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    for prefix in PREFIXES {
        let line = [prefix, data].concat();
        let parsed = parser.parse(&line, &years);
        // A code is always a real one, and a reply line is a mail line.
        if let Some(code) = parsed.code {
            assert!((200..=599).contains(&code.value()));
            assert!(matches!(parsed.kind, LineKind::Mail(_)));
        }
    }
});
