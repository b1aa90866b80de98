//! Hostile and broken input, driven through the binary: no panic, no lost count, no
//! escape sequence or formula reaching the reader.

mod common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::io::Write;

const REJECT: &[u8] = b"Nov 24 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 Relay access denied; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<e>";

fn json_of(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = smtplog()
        .args(["report", "--format", "json", "--year", "2026"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), value, stderr)
}

fn assert_lines_add_up(r: &Value) {
    let l = &r["lines"];
    let sum = l["mail"].as_u64().unwrap()
        + l["other"].as_u64().unwrap()
        + l["unrecognised"].as_u64().unwrap();
    assert_eq!(l["total"].as_u64().unwrap(), sum, "{l}");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.log");
    std::fs::write(&f, b"").unwrap();
    let (code, r, stderr) = json_of(&[f.to_str().unwrap()]);
    // Still a report, but an empty input is not "all good" for a cron job.
    assert_eq!(code, Some(4));
    assert_eq!(r["lines"]["total"], 0);
    assert_eq!(r["replies"], 0);
    assert!(stderr.contains("empty.log: empty"), "{stderr}");
}

#[test]
fn line_ends_lf_crlf_and_lone_cr_count_the_same() {
    let dir = tempfile::tempdir().unwrap();
    for (name, sep) in [("lf", &b"\n"[..]), ("crlf", b"\r\n"), ("cr", b"\r")] {
        let f = dir.path().join(name);
        let mut data = Vec::new();
        for _ in 0..3 {
            data.extend_from_slice(REJECT);
            data.extend_from_slice(sep);
        }
        std::fs::write(&f, &data).unwrap();
        let (code, r, _) = json_of(&["--chunk-size", "7", f.to_str().unwrap()]);
        assert_eq!(code, Some(0));
        assert_eq!(
            (r["lines"]["total"].as_u64(), r["replies"].as_u64()),
            (Some(3), Some(3)),
            "{name}"
        );
    }
}

#[test]
fn nul_bytes_invalid_utf8_and_random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("junk.log");
    let mut data = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..300_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push(x as u8);
    }
    data.extend(b"\n\x00\x00\x00\n");
    data.extend(REJECT);
    data.extend(b"\n\xff\xfe\xc3\x28 postfix/smtpd[1]: \x00reject\n");
    std::fs::write(&f, &data).unwrap();
    let (code, r, _) = json_of(&[f.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(r["replies"], 1);
    assert_lines_add_up(&r);
}

#[test]
fn a_100_mb_line_is_counted_as_overlong_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("long.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
    file.write_all(REJECT).unwrap();
    file.write_all(b"\n").unwrap();
    let block = vec![b'x'; 1 << 20];
    for _ in 0..100 {
        file.write_all(&block).unwrap();
    }
    file.write_all(b"\n").unwrap();
    file.write_all(REJECT).unwrap();
    drop(file);
    let (code, r, _) = json_of(&[f.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(r["lines"]["overlong"], 1);
    assert_eq!(r["replies"], 2);
    assert_lines_add_up(&r);
}

#[test]
fn corrupt_gzip_is_named_and_other_inputs_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("mail.log.3.gz");
    std::fs::write(
        &bad,
        b"\x1f\x8b\x08\x00garbage that is not deflate data at all",
    )
    .unwrap();
    let good = dir.path().join("mail.log");
    std::fs::write(&good, [REJECT, b"\n"].concat()).unwrap();
    let (code, r, stderr) = json_of(&[bad.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("mail.log.3.gz"), "{stderr}");
    assert_eq!(r["replies"], 1);
}

#[test]
fn a_fifo_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            for _ in 0..1000 {
                w.write_all(REJECT).unwrap();
                w.write_all(b"\n").unwrap();
            }
        })
    };
    let (code, r, stderr) = json_of(&[fifo.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(r["replies"], 1000);
}

// An unreadable file: tests/unattended.rs, which drops to an unprivileged user when root.

#[test]
fn json_stays_valid_and_text_stays_inert_with_hostile_lines() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("evil.log");
    let evil = b"Nov 24 12:05:23 mx1 postfix/smtpd[1]: \x1b]0;owned\x07\x1b[2J\xff\xfe\x00 =cmd|' /C calc'!A0\n";
    std::fs::write(&f, evil).unwrap();
    let (code, r, _) = json_of(&[f.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let example = r["unrecognised_examples"][0].as_str().unwrap();
    assert!(!example.chars().any(char::is_control), "{example:?}");
    assert!(example.contains("\\xff"));
    let out = smtplog()
        .args(["report", "--show-unrecognised", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out
        .stdout
        .iter()
        .any(|b| *b == 0x1b || *b == 0x07 || *b == 0));
}

#[test]
fn stdin_works_and_is_read_once() {
    smtplog()
        .args(["report", "--format", "json", "-"])
        .write_stdin([REJECT, b"\n", REJECT].concat())
        .assert()
        .success()
        .stdout(predicate::str::contains("\"replies\": 2"));
}

#[test]
fn a_file_that_grows_while_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("growing.log");
    let line = [REJECT, b"\n"].concat();
    std::fs::write(&f, line.repeat(20_000)).unwrap();
    let writer = {
        let f = f.clone();
        let line = line.clone();
        std::thread::spawn(move || {
            let mut w = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
            for _ in 0..200 {
                w.write_all(&line.repeat(100)).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    let (code, r, _) = json_of(&["--chunk-size", "4096", f.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!(code, Some(0));
    // Every line read is whole and counted: nothing half-written shows up as junk.
    let total = r["lines"]["total"].as_u64().unwrap();
    assert!((20_000..=40_000).contains(&total), "{total}");
    assert_eq!(
        r["replies"].as_u64(),
        Some(total - r["lines"]["other"].as_u64().unwrap())
    );
    assert!(r["lines"]["other"].as_u64().unwrap() <= 1);
}
