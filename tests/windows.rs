//! Time windows, rotated and compressed sets, New Year, breakdowns: `testdata/rotation`.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Copy the rotation set to a temporary directory, with modification times in early
/// January 2027, so that December lines get 2026 whenever the test runs.
fn rotation() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    // 2027-01-03T12:00:00Z
    let january = SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_977_600);
    let mut paths = Vec::new();
    for name in ["mail.log.2.gz", "mail.log.1", "mail.log", "whole.log"] {
        let target = dir.path().join(name);
        std::fs::copy(testdata("rotation").join(name), &target).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_modified(january)
            .unwrap();
        paths.push(target);
    }
    (dir, paths)
}

fn run(args: &[&str], files: &[&Path]) -> Value {
    let mut cmd = smtplog();
    cmd.args([
        "report",
        "--format",
        "json",
        "--tz",
        "UTC",
        "--now",
        "2027-01-02T09:00:00Z",
    ])
    .args(args);
    for f in files {
        cmd.arg(f);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn days(r: &Value) -> Vec<(String, u64)> {
    r["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap().to_string(),
                d["lines"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn year_inference_crosses_new_year() {
    let (_dir, p) = rotation();
    let r = run(&[], &[&p[3]]);
    let got: Vec<String> = days(&r).into_iter().map(|(d, _)| d).collect();
    assert_eq!(
        got,
        [
            "2026-12-30",
            "2026-12-31",
            "2027-01-01",
            "2027-01-02",
            "2027-01-03"
        ]
    );
}

#[test]
fn a_rotated_set_in_any_order_equals_the_whole_log() {
    let (_dir, p) = rotation();
    let whole = run(&[], &[&p[3]]);
    assert_eq!(whole["messages"], 12);
    assert_eq!(run(&[], &[&p[0], &p[1], &p[2]]), whole);
    assert_eq!(run(&[], &[&p[2], &p[0], &p[1]]), whole);
    assert_eq!(run(&[], &[&p[1], &p[2], &p[0]]), whole);
}

#[test]
fn day_yesterday_over_a_rotated_set_gives_that_day_exactly() {
    let (_dir, p) = rotation();
    // "now" is 2027-01-02 09:00 UTC, so yesterday is 2027-01-01.
    let r = run(&["--day", "yesterday"], &[&p[2], &p[1], &p[0]]);
    assert_eq!(days(&r), [("2027-01-01".to_string(), 13)]);
    assert_eq!(
        r["by_event"],
        json!({"delivered": 2, "deferred": 1, "bounced": 1, "expired": 0, "rejected": 1, "reject_warning": 0, "held": 0, "discarded": 0, "filtered": 0})
    );
    assert_eq!(
        r["by_class"],
        json!({"2xx": 2, "3xx": 0, "4xx": 1, "5xx": 2})
    );
    assert_eq!(r["lines"]["outside_window"], 39);
    assert_eq!(
        run(&["--day", "2027-01-01"], &[&p[3]])["by_day"],
        r["by_day"]
    );
}

#[test]
fn since_until_are_half_open() {
    let (_dir, p) = rotation();
    // [Dec 31 23:59:59, Jan 1 00:00:01): the deferral counts, the delivery at 00:00:01 does not.
    let r = run(
        &[
            "--since",
            "2026-12-31T23:59:59Z",
            "--until",
            "2027-01-01T00:00:01Z",
        ],
        &[&p[3]],
    );
    assert_eq!(r["lines"]["total"], 1);
    assert_eq!(r["by_event"]["deferred"], 1);
    let r = run(
        &[
            "--since",
            "2026-12-31T23:59:59Z",
            "--until",
            "2027-01-01T00:00:02Z",
        ],
        &[&p[3]],
    );
    assert_eq!(r["lines"]["total"], 3);
    // Relative and date forms; a time zone moves the day boundary.
    let r = run(&["--since", "-24h"], &[&p[3]]);
    assert_eq!(
        days(&r).iter().map(|d| d.0.as_str()).collect::<Vec<_>>(),
        ["2027-01-01", "2027-01-02", "2027-01-03"]
    );
    let berlin = {
        let mut cmd = smtplog();
        cmd.args([
            "report",
            "-f",
            "json",
            "--tz",
            "Europe/Berlin",
            "--day",
            "2027-01-01",
        ])
        .arg(&p[3]);
        serde_json::from_slice::<Value>(&cmd.output().unwrap().stdout).unwrap()
    };
    assert_eq!(berlin["lines"]["total"], 13);
}

#[test]
fn bad_windows_are_usage_errors() {
    let (_dir, p) = rotation();
    smtplog()
        .args(["report", "--since", "last tuesday"])
        .arg(&p[3])
        .assert()
        .code(2);
    smtplog()
        .args(["report", "--tz", "Mars/Olympus"])
        .arg(&p[3])
        .assert()
        .code(2);
    smtplog()
        .args(["report", "--since", "2027-01-02", "--until", "2027-01-01"])
        .arg(&p[3])
        .assert()
        .code(2);
    smtplog()
        .args(["report", "--day", "today", "--since", "-1d"])
        .arg(&p[3])
        .assert()
        .code(2);
}

#[test]
fn breakdowns_in_every_format() {
    let (_dir, p) = rotation();
    let r = run(&["--by", "event,code,enhanced"], &[&p[3]]);
    assert_eq!(r["breakdown"]["by"], json!(["event", "code", "enhanced"]));
    let rows = r["breakdown"]["rows"].as_array().unwrap();
    assert!(
        rows.contains(&json!({"keys": ["bounced", "550", "5.1.1"], "count": 4})),
        "{rows:?}"
    );
    assert!(
        rows.contains(&json!({"keys": ["rejected", "554", "5.7.1"], "count": 4})),
        "{rows:?}"
    );
    let out = smtplog()
        .args(["report", "-f", "csv", "--by", "hour,class"])
        .arg(&p[3])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("hour,class,count\n"), "{csv}");
    assert!(csv.contains("\n23,4xx,4\n"), "{csv}");
    let out = smtplog()
        .args(["report", "--by", "mta,event"])
        .arg(&p[3])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("By mta, event"));
}
