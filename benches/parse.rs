//! Parser and pipeline benchmarks: per-line cost for each shape, each stage of the pipeline
//! on its own (header, each MTA's body parser, record, append), chunk throughput, and
//! `events` records per chunk.
//!
//! `cargo bench --bench parse`. Whole-binary figures on a large generated log are in
//! README.md (Performance), made with `examples/genlog.rs`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use smtplog::count::Summary;
use smtplog::events::{EventFormat, EventOptions};
use smtplog::journal::{Converter, LogFormat};
use smtplog::parse::{split_header, Parser};
use smtplog::scan::{count_chunk, count_chunk_as, Window};
use smtplog::stamp::YearRule;

const SHAPES: [(&str, &str); 8] = [
    ("postfix_sent", "Nov 24 12:05:23 mx1 postfix/smtp[29969]: 5BFB6B82BD: to=<ok+p1@sink.test>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays=0.01/0.01/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as S00001)"),
    ("postfix_deferred_said", "Nov 24 12:05:23 mx1 postfix/smtp[29970]: 80403B82BD: to=<u450@sink.test>, relay=127.0.0.1[127.0.0.1]:2525, conn_use=11, delay=0.02, delays=0/0/0/0.01, dsn=4.2.1, status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.2.1 <u450@sink.test>: Recipient address rejected: Mailbox temporarily unavailable (in reply to RCPT TO command))"),
    ("postfix_reject", "Nov 24 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 <nosuchuser@postfix.test>: Recipient address rejected: User unknown in local recipient table; from=<m@ex.test> to=<nosuchuser@postfix.test> proto=ESMTP helo=<c.test>"),
    ("postfix_connect", "Nov 24 12:05:23 mx1 postfix/smtpd[29964]: connect from localhost[127.0.0.1]"),
    ("postfix_qmgr", "2026-11-24T12:05:23.377725+00:00 mx1 postfix/qmgr[29899]: 5BFB6B82BD: from=<mailer+p1@partner.example.test>, size=1388, nrcpt=1 (queue active)"),
    ("exim_arrival", "2026-11-24 12:05:40 1xVpHI-0007o9-2x <= mailer@partner.example.test H=(client.corpus.test) [127.0.0.1]:32829 P=esmtp S=1377 id=1@driver.test T=\"ok 1\" for ok@sink.test"),
    ("exim_delivery", "2026-11-24 12:05:40 1xVpHI-0007o9-2x => ok+e1@sink.test F=<m@p.test> P=<m@p.test> R=sink_route T=remote_smtp S=1404 H=127.0.0.1 [127.0.0.1]:2525 C=\"250 2.0.0 Ok: queued as S0006A\" QT=0s DT=0s"),
    ("exim_defer", "2026-11-24 12:05:40 1xVpHq-0001tX-Na == u451@sink.test R=sink_route T=remote_smtp defer (-44) H=127.0.0.1 [127.0.0.1]:2525 DT=0s: SMTP error from remote mail server after RCPT TO:<u451@sink.test>: 451 4.3.0 <u451@sink.test>: Temporary lookup failure"),
];

fn per_line(c: &mut Criterion) {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let mut group = c.benchmark_group("parse_line");
    for (name, line) in SHAPES {
        group.throughput(Throughput::Bytes(line.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(name),
            line.as_bytes(),
            |b, line| b.iter(|| black_box(parser.parse(black_box(line), &years))),
        );
    }
    group.finish();
}

fn chunk(c: &mut Criterion) {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real/");
    let mut group = c.benchmark_group("count_chunk");
    for file in ["postfix-maillog.log", "exim-mainlog.log"] {
        let data = std::fs::read(format!("{corpus}{file}")).unwrap();
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(file), &data, |b, data| {
            b.iter(|| black_box(count_chunk(&parser, data, &years, &Window::default())))
        });
    }
    group.finish();
}

/// The corpus as `journalctl -o json` writes it: each line an object with the fields journald
/// adds (cursor, boot and machine ids, transport, ...), about 3x the bytes of the syslog line.
fn journal_json(syslog: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in syslog
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let text = String::from_utf8_lossy(line);
        let mut words = text.splitn(3, ' ');
        let (_, host, rest) = (
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
        );
        let (tag, message) = rest.split_once(": ").unwrap_or((rest, ""));
        let (ident, pid) = tag.split_once('[').unwrap_or((tag, "1]"));
        let entry = serde_json::json!({
            "__CURSOR": format!("s=0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e;i={i:x};b=1f2e3d4c5b6a79880f1e2d3c4b5a6978;m=2a3b4c5d;t=6000000000000;x=9f8e7d6c5b4a3928"),
            "__REALTIME_TIMESTAMP": (1_764_000_000_000_000u64 + i as u64 * 1000).to_string(),
            "__MONOTONIC_TIMESTAMP": "712345678",
            "_BOOT_ID": "1f2e3d4c5b6a79880f1e2d3c4b5a6978",
            "_MACHINE_ID": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "_HOSTNAME": host,
            "PRIORITY": "6",
            "SYSLOG_FACILITY": "2",
            "SYSLOG_IDENTIFIER": ident,
            "SYSLOG_PID": pid.trim_end_matches(']'),
            "_PID": pid.trim_end_matches(']'),
            "_UID": "101",
            "_GID": "104",
            "_COMM": "smtpd",
            "_TRANSPORT": "syslog",
            "_SYSTEMD_UNIT": "postfix@-.service",
            "_SYSTEMD_CGROUP": "/system.slice/system-postfix.slice/postfix@-.service",
            "MESSAGE": message,
        });
        serde_json::to_writer(&mut out, &entry).unwrap();
        out.push(b'\n');
    }
    out
}

fn journal(c: &mut Criterion) {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let syslog = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/real/postfix-maillog.rfc3339.log"
    ))
    .unwrap();
    let data = journal_json(&syslog);
    let window = Window::default();
    let mut group = c.benchmark_group("journal_json");
    group.throughput(Throughput::Bytes(data.len() as u64));
    // The conversion alone, then conversion and counting: MB/s of JSON per core.
    group.bench_function("to_line", |b| {
        let mut converter = Converter::new(window.zone);
        b.iter(|| {
            for entry in data.split(|b| *b == b'\n') {
                black_box(converter.json(entry));
            }
        })
    });
    group.bench_function("count_chunk", |b| {
        b.iter(|| {
            black_box(count_chunk_as(
                &parser,
                &data,
                &years,
                &window,
                LogFormat::JournalJson,
            ))
        })
    });
    group.finish();
}

/// The corpus lines of one MTA, the stages of the pipeline on their own, per byte of log:
/// header (stamp and tag), body (the MTA's parser), record (counting a parsed line) and
/// append (joining the summaries of two halves, as the parts of chunks are joined).
fn stages(c: &mut Criterion) {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real/");
    for (mta, file) in [
        ("postfix", "postfix-maillog.log"),
        ("exim", "exim-mainlog.log"),
    ] {
        let data = std::fs::read(format!("{corpus}{file}")).unwrap();
        let lines: Vec<&[u8]> = data
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let mut group = c.benchmark_group(format!("stage_{mta}"));
        group.throughput(Throughput::Bytes(data.len() as u64));
        group.bench_function("header", |b| {
            b.iter(|| {
                for line in &lines {
                    black_box(split_header(black_box(line), &years));
                }
            })
        });
        group.bench_function("body", |b| {
            let headers: Vec<_> = lines.iter().map(|l| split_header(l, &years)).collect();
            b.iter(|| {
                for header in &headers {
                    black_box(parser.parse_body(black_box(*header)));
                }
            })
        });
        group.bench_function("record", |b| {
            let parsed: Vec<_> = lines
                .iter()
                .map(|l| (parser.parse(l, &years), *l))
                .collect();
            b.iter(|| {
                let mut summary = Summary::new();
                for (line, raw) in &parsed {
                    summary.record(line, raw);
                }
                black_box(summary)
            })
        });
        group.bench_function("append", |b| {
            let cut = data.len() / 2;
            let cut = cut
                + data[cut..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
            let window = Window::default();
            let (first, second) = (
                count_chunk(&parser, &data[..cut], &years, &window),
                count_chunk(&parser, &data[cut..], &years, &window),
            );
            b.iter(|| {
                let mut whole = first.clone();
                whole.append(second.clone());
                black_box(whole)
            })
        });
        group.finish();
    }
}

/// `events` on the corpus of each MTA: records made and written as NDJSON and CSV, per
/// byte of log (whole-binary figures: scripts/bench.sh, "events: N MB/s per core").
fn events(c: &mut Criterion) {
    let parser = Parser::new();
    let years = YearRule::fixed(2026);
    let window = Window::default();
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/real/");
    let mut group = c.benchmark_group("events_chunk");
    for file in ["postfix-maillog.log", "exim-mainlog.log"] {
        let data = std::fs::read(format!("{corpus}{file}")).unwrap();
        group.throughput(Throughput::Bytes(data.len() as u64));
        for (name, format) in [("ndjson", EventFormat::Ndjson), ("csv", EventFormat::Csv)] {
            let options = EventOptions { format, raw: false };
            let mut out = Vec::with_capacity(data.len() * 2);
            group.bench_with_input(BenchmarkId::new(name, file), &data, |b, data| {
                b.iter(|| {
                    out.clear();
                    smtplog::events::write_chunk(
                        &parser,
                        data,
                        &years,
                        &window,
                        LogFormat::Lines,
                        options,
                        &mut out,
                    )
                    .unwrap();
                    black_box(out.len())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, per_line, stages, chunk, journal, events);
criterion_main!(benches);
