//! `smtplog events`: records for every reply and event line, in order, with counts that
//! add up to the report's.
//!
//! The DuckDB test runs when `SMTPLOG_TEST_DUCKDB=1`, which `.ci/run` sets after
//! `pip install duckdb`.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn events(args: &[&str], log: &Path) -> Vec<Value> {
    let mut all = vec!["events", "--year", "2026", "--tz", "UTC"];
    all.extend_from_slice(args);
    let out = smtplog().args(&all).arg(log).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn report(log: &Path) -> Value {
    let out = smtplog()
        .args([
            "report", "--year", "2026", "--tz", "UTC", "--format", "json", "--top", "0",
        ])
        .arg(log)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Counts of records by a field, as strings.
fn count_by(records: &[Value], field: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for r in records.iter().filter(|r| !r[field].is_null()) {
        let key = match &r[field] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn check_against_report(log: &Path) {
    let want = report(log);
    for threads in ["1", "4"] {
        let mut records = events(&["--threads", threads, "--chunk-size", "65536"], log);
        // Every Exim host error of the corpus is repeated by an address line, which the
        // report counts instead.
        records.retain(|r| r["host_error"] == false);
        let by_code: BTreeMap<String, u64> = want["by_code"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap().to_string(),
                    r["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(count_by(&records, "code"), by_code, "{threads} threads");
        let mut by_event: BTreeMap<String, u64> = want["by_event"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        by_event.retain(|_, n| *n > 0);
        assert_eq!(count_by(&records, "event"), by_event, "{threads} threads");
        let days: BTreeMap<String, u64> = records.iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r["ts"].as_str().unwrap()[..10].to_string())
                .or_default() += 1;
            m
        });
        let report_days: Vec<String> = want["by_day"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["day"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(days.keys().cloned().collect::<Vec<_>>(), report_days);
        // Order is the input's: stamps never go back within the corpus.
        let stamps: Vec<&str> = records.iter().map(|r| r["ts"].as_str().unwrap()).collect();
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    }
}

#[test]
fn counts_equal_the_report_for_both_mtas_and_any_threads() {
    check_against_report(&testdata("real/postfix-maillog.log"));
    check_against_report(&testdata("real/exim-mainlog.log"));
}

#[test]
fn records_follow_the_schema() {
    let schema: Value = serde_json::from_slice(&stdout_of(["events", "--schema"])).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, smtplog::events::COLUMNS);
    for record in events(&[], &testdata("real/postfix-maillog.log"))
        .iter()
        .chain(&events(&[], &testdata("real/exim-mainlog.log")))
    {
        let object = record.as_object().unwrap();
        assert_eq!(object.len(), properties.len());
        for (key, value) in object {
            let types = &properties[key]["type"];
            let kind = match value {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                _ => "other",
            };
            let allowed: Vec<&str> = match types {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
                _ => vec![],
            };
            assert!(
                allowed.contains(&kind) || (kind == "integer" && allowed.contains(&"number")),
                "{key}: {value} is not {types}"
            );
        }
    }
}

#[test]
fn csv_has_the_same_rows() {
    let log = testdata("real/exim-mainlog.log");
    let json = events(&[], &log);
    let out = stdout_of([
        "events".as_ref(),
        "--year".as_ref(),
        "2026".as_ref(),
        "--tz".as_ref(),
        "UTC".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
        log.as_os_str(),
    ]);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, smtplog::events::COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), json.len());
    for (row, record) in rows.iter().zip(&json) {
        assert_eq!(
            &row[7],
            record["code"]
                .as_u64()
                .map(|c| c.to_string())
                .unwrap_or_default()
        );
        assert_eq!(&row[5], record["queue_id"].as_str().unwrap_or_default());
    }
}

#[test]
fn hostile_text_stays_data_in_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.log");
    let mut line = "Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<=HYPERLINK(\"x\")@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \x1b[2J\"}{\"x\":1 \u{202e}\\u{1b} ".as_bytes().to_vec();
    line.extend(b"\xff (in reply to RCPT TO command))\n");
    std::fs::write(&log, line).unwrap();
    let out = smtplog()
        .args(["events", "--year", "2026", "--raw"])
        .arg(&log)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let record: Value = serde_json::from_str(lines[0]).unwrap();
    let reason = record["reason"].as_str().unwrap();
    assert!(reason.contains("\\u{1b}[2J\"}"), "{reason}");
    assert!(!reason.contains('\x1b') && !reason.contains('\u{202e}'));
    let out = smtplog()
        .args(["events", "--year", "2026", "--format", "csv"])
        .arg(&log)
        .output()
        .unwrap();
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let row = reader.records().next().unwrap().unwrap();
    assert!(row[16].starts_with("'="), "{:?}", &row[16]);
}

#[test]
fn events_load_into_duckdb_and_give_the_report_counts() {
    if std::env::var_os("SMTPLOG_TEST_DUCKDB").is_none_or(|v| v != "1") {
        eprintln!("SMTPLOG_TEST_DUCKDB is not 1: DuckDB load not run");
        return;
    }
    let log = testdata("real/postfix-maillog.log");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    let out = smtplog()
        .args(["events", "--year", "2026", "--tz", "UTC", "-o"])
        .arg(&file)
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = r#"
import duckdb, json, sys
con = duckdb.connect()
con.execute("CREATE TABLE e AS SELECT * FROM read_json(?, format='newline_delimited', columns=" + sys.argv[2] + ")", [sys.argv[1]])
print(json.dumps({
  "code": dict(con.execute("SELECT CAST(code AS VARCHAR), count(*) FROM e WHERE code IS NOT NULL GROUP BY code").fetchall()),
  "event": dict(con.execute("SELECT event, count(*) FROM e WHERE event IS NOT NULL GROUP BY event").fetchall()),
  "day": dict(con.execute("SELECT CAST(CAST(ts AS DATE) AS VARCHAR), count(*) FROM e GROUP BY 1").fetchall()),
}))
"#;
    let columns = "{'ts':'TIMESTAMP','stamp':'VARCHAR','host':'VARCHAR','mta':'VARCHAR','program':'VARCHAR','queue_id':'VARCHAR','event':'VARCHAR','code':'SMALLINT','class':'VARCHAR','enhanced':'VARCHAR','dsn':'VARCHAR','relay':'VARCHAR','relay_ip':'VARCHAR','client':'VARCHAR','client_ip':'VARCHAR','sender':'VARCHAR','recipient':'VARCHAR','delay_s':'DOUBLE','size':'BIGINT','stage':'VARCHAR','temporary':'BOOLEAN','host_error':'BOOLEAN','reason':'VARCHAR'}";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .arg(columns)
        .output()
        .expect("SMTPLOG_TEST_DUCKDB=1 but python3 cannot be run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = report(&log);
    for row in want["by_code"].as_array().unwrap() {
        assert_eq!(
            got["code"][row["code"].as_str().unwrap()],
            row["count"],
            "{row}"
        );
    }
    for (event, n) in want["by_event"].as_object().unwrap() {
        if n.as_u64() != Some(0) {
            assert_eq!(&got["event"][event], n, "{event}");
        }
    }
    for day in want["by_day"].as_array().unwrap() {
        assert!(got["day"][day["day"].as_str().unwrap()].as_u64().unwrap() > 0);
    }
}

#[test]
fn output_is_the_same_for_any_threads_and_chunk_size() {
    // Records are made chunk by chunk on worker threads and written in input order.
    for log in [
        testdata("real/postfix-maillog.log"),
        testdata("real/exim-mainlog.log"),
    ] {
        for format in ["ndjson", "csv"] {
            let run = |extra: &[&str]| {
                let mut args = vec![
                    "events", "--year", "2026", "--tz", "UTC", "--format", format,
                ];
                args.extend_from_slice(extra);
                let out = smtplog().args(&args).arg(&log).output().unwrap();
                assert!(out.status.success());
                out.stdout
            };
            let one = run(&["-j", "1"]);
            assert!(one.len() > 10_000);
            for extra in [
                &["-j", "4", "--chunk-size", "1000"][..],
                &["-j", "4", "--chunk-size", "1"],
                &["-j", "2", "--chunk-size", "65536"],
            ] {
                assert!(run(extra) == one, "{log:?} {format} {extra:?}");
            }
        }
    }
}
