//! The command line: exit codes, error messages, bad input, output options.

mod common;
use common::*;
use predicates::prelude::*;
use std::io::Write;

fn postfix() -> String {
    testdata("real/postfix-maillog.log")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn help_teaches_with_examples() {
    smtplog()
        .args(["report", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:").and(predicate::str::contains("journalctl")));
}

#[test]
fn usage_errors_exit_2() {
    smtplog().assert().code(2);
    smtplog().args(["report"]).assert().code(2);
    smtplog()
        .args(["report", "--format", "yaml", "x"])
        .assert()
        .code(2);
    smtplog()
        .args(["report", "-", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only once"));
}

#[test]
fn a_missing_file_is_named_and_the_others_still_count() {
    let out = smtplog()
        .args([
            "report",
            "--format",
            "json",
            "--year",
            "2026",
            "/nonexistent/mail.log",
            &postfix(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/mail.log: no such file"),
        "{stderr}"
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["replies"], 553);
}

#[test]
fn nothing_readable_exits_2() {
    smtplog()
        .args(["report", "/nonexistent/a", "/nonexistent/b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no input could be read"));
}

#[test]
fn a_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    smtplog()
        .args(["report", dir.path().to_str().unwrap(), &postfix()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is a directory"));
}

#[test]
fn truncated_gzip_keeps_what_was_read_and_says_so() {
    let plain = std::fs::read(testdata("real/postfix-maillog.log")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    let gz = enc.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("mail.log.2.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = smtplog()
        .args(["report", "--format", "json", cut.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("mail.log.2.gz"));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let total = r["lines"]["total"].as_u64().unwrap();
    assert!(total > 0 && total < 3899, "{total}");
}

#[test]
fn binary_junk_and_long_lines_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.log");
    let mut data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    data.extend(b"\nNov 24 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 \xff\x00\x1b[2J; from=<a@b>\r\n");
    data.extend(std::iter::repeat_n(b'A', 3 << 20));
    data.extend(b"\nno newline at the end");
    std::fs::write(&junk, &data).unwrap();
    let out = smtplog()
        .args(["report", "--format", "json", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["replies"], 1);
    assert_eq!(r["lines"]["overlong"], 1);
    let l = &r["lines"];
    assert_eq!(
        l["total"].as_u64(),
        Some(
            l["mail"].as_u64().unwrap()
                + l["other"].as_u64().unwrap()
                + l["unrecognised"].as_u64().unwrap()
        )
    );
}

#[test]
fn unrecognised_lines_are_listed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("odd.log");
    std::fs::write(
        &log,
        b"Nov 24 12:05:23 mx1 postfix/smtpd[1]: teleported \x1b[31mred\x1b[0m \xff\n",
    )
    .unwrap();
    let out = smtplog()
        .args(["report", "--show-unrecognised", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("teleported \\u{1b}[31mred"), "{text}");
    assert!(text.contains("\\xff"));
    assert!(!text.contains('\x1b'));
}

#[test]
fn csv_by_code_and_day_round_trips() {
    let out = smtplog()
        .args([
            "report",
            "--year",
            "2026",
            "--format",
            "csv",
            "--by",
            "code,day",
            "--advice",
            &postfix(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["code", "day", "count", "title", "advice"]
    );
    let mut total = 0;
    for record in reader.records() {
        let record = record.unwrap();
        assert_eq!(&record[1], "2026-11-24");
        total += record[2].parse::<u64>().unwrap();
        for cell in record.iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
    assert_eq!(total, 553);
}

#[test]
fn output_file_is_written_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    smtplog()
        .args([
            "report",
            "--quiet",
            "--format",
            "json",
            "-o",
            target.to_str().unwrap(),
            &postfix(),
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(r["lines"]["total"], 3899);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[test]
fn top_limits_the_text_tables() {
    let text = |top: &str| {
        let out = smtplog()
            .args([
                "report",
                "--full",
                "--year",
                "2026",
                "--top",
                top,
                &postfix(),
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let section = |text: &str| {
        let start = text.find("Replies by code").unwrap();
        let end = text[start..].find("\n\n").map_or(text.len(), |e| start + e);
        text[start..end].lines().count() - 3 // title, rule, column heads
    };
    assert_eq!(section(&text("3")), 3);
    assert_eq!(section(&text("0")), 21, "0 shows all 21 codes");
}

#[test]
fn an_unwritable_output_is_a_clear_error() {
    smtplog()
        .args([
            "report",
            "--year",
            "2026",
            "-o",
            "/nonexistent/dir/report.txt",
            &postfix(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/dir"));
}

#[test]
fn merge_refuses_what_is_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, b"{\"hello\": 1}").unwrap();
    smtplog()
        .args(["merge", bogus.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bogus.json: not a report written by `smtplog report --format json`",
        ));
    smtplog()
        .args(["merge", "/nonexistent/a.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read /nonexistent/a.json"));
}
