//! Fuzz the whole reader: gzip or plain bytes, any chunk size, through to the report.
//! Invariants: no panic; every line in exactly one of mail/other/unrecognised; the same
//! counts whatever the chunk size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtplog::input::{decode, ChunkReader};
use smtplog::parse::Parser;
use smtplog::report::Report;
use smtplog::scan::{count, Window};
use smtplog::stamp::YearRule;
use smtplog::count::Summary;
use std::io::Cursor;

fn summarise(data: &[u8], chunk_size: usize) -> Option<Report> {
    let reader = decode(Box::new(Cursor::new(data.to_vec()))).ok()?;
    let mut chunks = ChunkReader::new(reader, chunk_size);
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let mut total = Summary::new();
    // A decoding error ends the input, as it does for the binary.
    while let Ok(Some(chunk)) = chunks.next_chunk() {
        total.append(count(&parser, &chunk, &years, &Window::default(), [0; 5]));
    }
    total.finish();
    let l = total.lines;
    assert_eq!(l.total, l.mail + l.other + l.unrecognised);
    Some(Report::new(&total))
}

fuzz_target!(|input: (u16, &[u8])| {
    let (chunk, data) = input;
    let small = summarise(data, usize::from(chunk % 257) + 1);
    let large = summarise(data, 1 << 20);
    if let (Some(small), Some(large)) = (small, large) {
        assert_eq!(small, large);
    }
});
