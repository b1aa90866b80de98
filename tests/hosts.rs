//! Many hosts and instances in one input: `--by host`, `--by instance`, `--host NAME`, and
//! queue ids that are unique per host only.

mod common;
use common::*;
use serde_json::Value;

const TWO: &str = "hosts/two-servers.log";
const INSTANCES: &str = "hosts/instances.log";

/// `(name, lines, mail, delivered, deferred, bounced, rejected)` of a JSON host table.
fn sources(report: &Value, key: &str) -> Vec<(String, u64, u64, u64, u64, u64, u64)> {
    report[key]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |f: &str| r[f].as_u64().unwrap();
            (
                r["name"].as_str().unwrap().to_string(),
                n("lines"),
                n("mail"),
                n("delivered"),
                n("deferred"),
                n("bounced"),
                n("rejected"),
            )
        })
        .collect()
}

fn row(name: &str, counts: [u64; 6]) -> (String, u64, u64, u64, u64, u64, u64) {
    let [a, b, c, d, e, f] = counts;
    (name.to_string(), a, b, c, d, e, f)
}

#[test]
fn two_servers_with_the_same_queue_id_are_two_messages() {
    let report = report_json(&[&testdata_arg(TWO)]);
    assert_eq!(report["messages"], 2);
    assert_eq!(report["received"], 2);
    // Each server's size is its own message's: 1000 + 2000 received, mx1's 1000 delivered
    // (mx2's bounced). Keyed by id alone, mx2's size line would overwrite mx1's.
    assert_eq!(report["bytes_received"], 3000);
    assert_eq!(report["bytes_delivered"], 1000);
    assert_eq!(report["messages_accuracy"], "exact");
    let senders = &report["parties"]["senders"]["rows"];
    let names: Vec<&str> = senders
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"alice@a.example") && names.contains(&"bob@b.example"));
}

#[test]
fn by_host_in_json_text_and_csv() {
    let report = report_json(&[&testdata_arg(TWO)]);
    assert_eq!(
        sources(&report, "hosts"),
        vec![
            row("mx2", [7, 6, 0, 0, 1, 1]),
            row("mx1", [5, 5, 1, 0, 0, 0])
        ]
    );
    let text = report_text(&["--by", "host", &testdata_arg(TWO)]);
    assert!(text.starts_with("By host\n-------\n"), "{text}");
    assert!(text.contains("LINES"), "{text}");
    let mx2 = text.lines().find(|l| l.ends_with("  mx2")).unwrap();
    let cells: Vec<&str> = mx2.split_whitespace().collect();
    assert_eq!(cells, ["7", "6", "0", "0", "1", "0", "1", "mx2"]);
    let csv = report_csv(&["--by", "host", &testdata_arg(TWO)]);
    assert_eq!(
        csv,
        vec![
            vec!["mx2", "7", "6", "0", "0", "1", "0", "1"],
            vec!["mx1", "5", "5", "1", "0", "0", "0", "0"],
        ]
    );
    let header = stdout_of([
        "report",
        "--format",
        "csv",
        "--by",
        "host",
        &testdata_arg(TWO),
    ]);
    assert!(String::from_utf8(header)
        .unwrap()
        .starts_with("host,lines,mail,delivered,deferred,bounced,expired,rejected\n"));
}

#[test]
fn by_instance_names_syslog_names_and_marks_exim_main_log_lines() {
    let report = report_json(&[&testdata_arg(INSTANCES)]);
    // The Exim main-log lines have no syslog header: no host, no instance, shown as `-`.
    assert_eq!(
        sources(&report, "instances"),
        vec![
            row("postfix", [5, 5, 0, 0, 0, 0]),
            row("-", [3, 3, 1, 0, 0, 0]),
            row("postfix-out", [2, 2, 1, 1, 0, 0]),
            row("postfix-smo", [1, 1, 0, 0, 0, 0]),
        ]
    );
    assert_eq!(
        sources(&report, "hosts"),
        vec![row("mx1", [8, 8, 1, 1, 0, 0]), row("-", [3, 3, 1, 0, 0, 0])]
    );
    let text = report_text(&["--by", "instance", &testdata_arg(INSTANCES)]);
    assert!(text.starts_with("By instance\n"), "{text}");
    assert!(text.lines().any(|l| l.ends_with("  postfix-out")), "{text}");
    assert!(text.lines().any(|l| l.ends_with("  -")), "{text}");
    let csv = report_csv(&["--by", "instance", &testdata_arg(INSTANCES)]);
    assert_eq!(csv[1], vec!["-", "3", "3", "1", "0", "0", "0", "0"]);
    assert_eq!(csv.len(), 4);
}

#[test]
fn by_host_is_a_table_of_its_own() {
    let out = smtplog()
        .args(["report", "--by", "host,code", &testdata_arg(TWO)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("table of its own"));
}

#[test]
fn host_keeps_one_hosts_lines_and_counts_the_rest_as_outside() {
    let both = report_json(&[&testdata_arg(TWO)]);
    let mx1 = report_json(&["--host", "mx1", &testdata_arg(TWO)]);
    assert_eq!(mx1["lines"]["total"], 5);
    assert_eq!(mx1["lines"]["outside_window"], 7);
    assert_eq!(mx1["messages"], 1);
    assert_eq!(mx1["bytes_received"], 1000);
    assert_eq!(mx1["by_event"]["delivered"], 1);
    assert_eq!(mx1["by_event"]["bounced"], 0);
    assert_eq!(sources(&mx1, "hosts"), vec![row("mx1", [5, 5, 1, 0, 0, 0])]);
    let mx2 = report_json(&["--host", "mx2", &testdata_arg(TWO)]);
    assert_eq!(mx2["lines"]["total"], 7);
    assert_eq!(mx2["lines"]["outside_window"], 5);
    assert_eq!(
        mx1["replies"].as_u64().unwrap() + mx2["replies"].as_u64().unwrap(),
        both["replies"].as_u64().unwrap()
    );
    // Lines without a host field (Exim's own main log) are no host's.
    let exim = report_json(&["--host", "mx1", &testdata_arg(INSTANCES)]);
    assert_eq!(exim["lines"]["total"], 8);
    assert_eq!(exim["lines"]["outside_window"], 3);
    // A host that is not there keeps nothing: exit status 4, as for an empty window.
    let none = smtplog()
        .args([
            "report",
            "--year",
            "2026",
            "--host",
            "mx9",
            &testdata_arg(TWO),
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&none.stderr)
        .contains("the time window and --host kept no line (12 lines were outside it)"));
}

#[test]
fn host_filter_applies_to_events_too() {
    let out = stdout_of([
        "events",
        "--year",
        "2026",
        "--host",
        "mx2",
        &testdata_arg(TWO),
    ]);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.is_empty());
    assert!(!text.contains("alice@a.example"), "{text}");
}

#[test]
fn counts_do_not_depend_on_threads_or_chunks() {
    let dir = tempfile::tempdir().unwrap();
    // Hosts interleaved line by line, and a run of each, many times over: chunks of every
    // size cut through messages of both hosts.
    let two = std::fs::read(testdata(TWO)).unwrap();
    let inst = std::fs::read(testdata(INSTANCES)).unwrap();
    let mut log = Vec::new();
    for _ in 0..40 {
        log.extend_from_slice(&two);
        log.extend_from_slice(&inst);
    }
    let file = dir.path().join("mixed.log");
    std::fs::write(&file, &log).unwrap();
    let file = file.to_str().unwrap();
    let whole = report_json(&["-j", "1", file]);
    assert_eq!(
        sources(&whole, "hosts")[0],
        row("mx1", [520, 520, 80, 40, 0, 0])
    );
    for threads in ["1", "2", "4"] {
        for chunk in ["1", "700", "4096", "65536"] {
            let other = report_json(&["-j", threads, "--chunk-size", chunk, file]);
            assert_eq!(other, whole, "-j {threads} --chunk-size {chunk}");
        }
    }
}

#[test]
fn many_hosts_are_capped_the_same_way_for_any_threads_and_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let max = smtplog::sources::MAX_SOURCES;
    let mut log = String::new();
    for i in 0..=max {
        log += &format!("Nov 24 10:00:00 h{i} postfix/smtpd[1]: connect from a[192.0.2.1]\n");
    }
    let file = dir.path().join("many.log");
    std::fs::write(&file, &log).unwrap();
    let file = file.to_str().unwrap();
    let whole = report_json(&["-j", "1", file]);
    assert_eq!(whole["hosts"]["rows"].as_array().unwrap().len(), 0);
    assert_eq!(whole["hosts"]["capped"]["lines"], max as u64 + 1);
    // One instance only: that table is exact.
    assert_eq!(sources(&whole, "instances")[0].1, max as u64 + 1);
    for (threads, chunk) in [("2", "4096"), ("4", "100000")] {
        assert_eq!(
            report_json(&["-j", threads, "--chunk-size", chunk, file]),
            whole
        );
    }
    let text = report_text(&["--by", "host", file]);
    assert!(text.contains("only their total"), "{text}");
    // Exactly at the limit: listed.
    let at_limit: String = log.lines().take(max).map(|l| format!("{l}\n")).collect();
    let file = dir.path().join("limit.log");
    std::fs::write(&file, at_limit).unwrap();
    let report = report_json(&[file.to_str().unwrap()]);
    assert_eq!(report["hosts"]["rows"].as_array().unwrap().len(), max);
    assert!(report["hosts"].get("capped").is_none());
}

#[test]
fn merged_host_reports_equal_the_report_over_both() {
    let dir = tempfile::tempdir().unwrap();
    let mx1 = report_json(&["--host", "mx1", &testdata_arg(TWO)]);
    let mx2 = report_json(&["--host", "mx2", &testdata_arg(TWO)]);
    let a = save_json(dir.path(), "mx1.json", &mx1);
    let b = save_json(dir.path(), "mx2.json", &mx2);
    let merged = merge_json(&[&a, &b]);
    let whole = report_json(&[&testdata_arg(TWO)]);
    assert_eq!(merged["hosts"], whole["hosts"]);
    assert_eq!(merged["instances"], whole["instances"]);
    assert_eq!(merged["messages"], whole["messages"]);
    assert_eq!(merged["bytes_received"], whole["bytes_received"]);
    assert_eq!(merged["by_code"], whole["by_code"]);
    // A report of both merged with one of the instances log: tables add up by name.
    let c = save_json(
        dir.path(),
        "inst.json",
        &report_json(&[&testdata_arg(INSTANCES)]),
    );
    let w = save_json(dir.path(), "two.json", &whole);
    let sum = merge_json(&[&w, &c]);
    assert_eq!(
        sources(&sum, "hosts"),
        vec![
            row("mx1", [13, 13, 2, 1, 0, 0]),
            row("mx2", [7, 6, 0, 0, 1, 1]),
            row("-", [3, 3, 1, 0, 0, 0]),
        ]
    );
    let csv = stdout_of([
        "merge",
        "--format",
        "csv",
        "--by",
        "host",
        w.to_str().unwrap(),
        c.to_str().unwrap(),
    ]);
    assert!(String::from_utf8(csv)
        .unwrap()
        .contains("\nmx1,13,13,2,1,0,0,0\n"));
}

#[test]
fn journald_hostname_is_the_host() {
    // `_HOSTNAME` becomes the host field of the syslog line the entry stands for.
    let entry = r#"{"__REALTIME_TIMESTAMP":"1795521923000000","_HOSTNAME":"jmx","SYSLOG_IDENTIFIER":"postfix-out/smtp","_PID":"7","MESSAGE":"2B3C4D5E6F: to=<w@dest.example>, relay=mx.dest.example[198.51.100.1]:25, delay=3, delays=0/0/1/2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77)"}"#;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("j.json");
    std::fs::write(&file, format!("{entry}\n")).unwrap();
    let report = report_json(&[file.to_str().unwrap()]);
    assert_eq!(
        sources(&report, "hosts"),
        vec![row("jmx", [1, 1, 1, 0, 0, 0])]
    );
    assert_eq!(
        sources(&report, "instances"),
        vec![row("postfix-out", [1, 1, 1, 0, 0, 0])]
    );
    let kept = report_json(&["--host", "jmx", file.to_str().unwrap()]);
    assert_eq!(kept["lines"]["total"], 1);
}
