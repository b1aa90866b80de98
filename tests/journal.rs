//! journald input: `journalctl -o json` and `-o export` give the same report as the same
//! entries in a classic syslog file, from a file or from stdin, compressed or not.

mod common;
use common::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// Microseconds since the epoch of an RFC 3339 stamp.
fn micros(stamp: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .unwrap()
        .timestamp_micros()
}

/// One journal entry per syslog line `STAMP HOST IDENT[PID]: MESSAGE`, as journald would
/// store it: (fields in order, with MESSAGE as bytes).
fn entries(log: &[u8]) -> Vec<Vec<(String, Vec<u8>)>> {
    let mut all = Vec::new();
    for (i, line) in log
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let text = String::from_utf8_lossy(line);
        let mut words = text.splitn(3, ' ');
        let (stamp, host, rest) = (
            words.next().unwrap(),
            words.next().unwrap(),
            words.next().unwrap(),
        );
        let colon = rest.find(": ").unwrap();
        let tag = &rest[..colon];
        // The message keeps the line's own bytes, invalid UTF-8 included.
        let head = stamp.len() + host.len() + colon + 4;
        let message = line[head..].to_vec();
        let (ident, pid) = match tag.split_once('[') {
            Some((ident, pid)) => (ident, Some(pid.trim_end_matches(']'))),
            None => (tag, None),
        };
        let mut fields = vec![
            (
                "__CURSOR".to_string(),
                format!("s=abc;i={i:x}").into_bytes(),
            ),
            (
                "__REALTIME_TIMESTAMP".to_string(),
                micros(stamp).to_string().into_bytes(),
            ),
            ("__MONOTONIC_TIMESTAMP".to_string(), b"123".to_vec()),
            ("_HOSTNAME".to_string(), host.as_bytes().to_vec()),
            ("PRIORITY".to_string(), b"6".to_vec()),
            ("SYSLOG_FACILITY".to_string(), b"2".to_vec()),
            ("SYSLOG_IDENTIFIER".to_string(), ident.as_bytes().to_vec()),
        ];
        if let Some(pid) = pid {
            fields.push(("SYSLOG_PID".to_string(), pid.as_bytes().to_vec()));
            fields.push(("_PID".to_string(), pid.as_bytes().to_vec()));
        }
        fields.push(("MESSAGE".to_string(), message));
        fields.push(("_TRANSPORT".to_string(), b"syslog".to_vec()));
        all.push(fields);
    }
    all
}

/// `journalctl -o json`: strings, or arrays of bytes for values that are not UTF-8.
fn to_json(log: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries(log) {
        let mut object = serde_json::Map::new();
        for (name, value) in entry {
            let value = match String::from_utf8(value) {
                Ok(text) => Value::String(text),
                Err(e) => json!(e.into_bytes()),
            };
            object.insert(name, value);
        }
        serde_json::to_writer(&mut out, &object).unwrap();
        out.push(b'\n');
    }
    out
}

/// `journalctl -o export`: `NAME=value`, or binary fields (length-prefixed) for values with
/// newlines or invalid UTF-8; every third message is written binary anyway.
fn to_export(log: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, entry) in entries(log).into_iter().enumerate() {
        for (name, value) in entry {
            let binary = std::str::from_utf8(&value).is_err()
                || value.contains(&b'\n')
                || (name == "MESSAGE" && i % 3 == 0);
            out.extend(name.as_bytes());
            if binary {
                out.push(b'\n');
                out.extend((value.len() as u64).to_le_bytes());
            } else {
                out.push(b'=');
            }
            out.extend(&value);
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out
}

/// The JSON report of one input (a path, or `-` with `stdin`); asserts success.
fn report_of(input: &std::ffi::OsStr, stdin: Option<&[u8]>) -> Value {
    let mut cmd = smtplog();
    cmd.args(["report", "--tz", "UTC", "--format", "json"])
        .arg(input);
    if let Some(data) = stdin {
        cmd.write_stdin(data.to_vec());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn report(path: &Path) -> Value {
    report_of(path.as_os_str(), None)
}

fn report_stdin(data: &[u8]) -> Value {
    report_of("-".as_ref(), Some(data))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn journal_json_and_export_count_like_the_syslog_file() {
    let classic = testdata("real/postfix-maillog.rfc3339.log");
    let log = std::fs::read(&classic).unwrap();
    let want = report(&classic);
    assert_eq!(want["lines"]["mail"], 3899);
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in [
        ("journal.json", to_json(&log)),
        ("journal.export", to_export(&log)),
        ("journal.json.gz", gzip(&to_json(&log))),
        ("journal.export.gz", gzip(&to_export(&log))),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, &data).unwrap();
        assert_eq!(report(&file), want, "{name}");
        assert_eq!(report_stdin(&data), want, "{name} on stdin");
    }
}

#[test]
fn small_chunks_and_one_thread_change_nothing() {
    let log = std::fs::read(testdata("real/postfix-maillog.rfc3339.log")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("journal.json");
    std::fs::write(&file, to_json(&log)).unwrap();
    let want = report(&file);
    for args in [["--chunk-size", "997"], ["--threads", "1"]] {
        let out = smtplog()
            .args(["report", "--tz", "UTC", "--format", "json"])
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got, want, "{args:?}");
    }
}

#[test]
fn bad_null_and_binary_entries_are_counted() {
    let good = r#"{"__REALTIME_TIMESTAMP":"1764000000000000","_HOSTNAME":"mx1","SYSLOG_IDENTIFIER":"postfix/smtpd","_PID":"1","MESSAGE":"NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <c@d.test>: Relay access denied; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<e>"}"#;
    let binary = r#"{"__REALTIME_TIMESTAMP":"1764000000000000","SYSLOG_IDENTIFIER":"postfix/smtpd","MESSAGE":[116,101,108,101,255]}"#;
    let data = format!(
        "{good}\n{{\"__REALTIME_TIMESTAMP\":\"1\",\"MESSAGE\":null}}\n{{broken\n{binary}\n\n{good}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("j.json");
    std::fs::write(&file, data).unwrap();
    let r = report(&file);
    let l = &r["lines"];
    assert_eq!(l["total"], 5);
    assert_eq!(
        (l["overlong"].as_u64(), l["malformed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(l["unrecognised"], 1);
    let code_554 = r["by_code"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["code"] == "554")
        .map(|row| row["count"].clone());
    assert_eq!(code_554, Some(json!(2)));
    let text = String::from_utf8(stdout_of([
        "report".as_ref(),
        "--tz".as_ref(),
        "UTC".as_ref(),
        file.as_os_str(),
    ]))
    .unwrap();
    assert!(
        text.contains("1 journal entries were not well-formed"),
        "{text}"
    );
}
