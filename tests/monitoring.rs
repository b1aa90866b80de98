//! Monitoring: Prometheus textfile metrics and `--fail-if` thresholds.
//!
//! `promtool check metrics` runs when `SMTPLOG_PROMTOOL` names the promtool binary, which
//! `.ci/run` sets after extracting it from Debian's prometheus package.

mod common;
use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn prom(args: &[&str]) -> String {
    let mut all = vec![
        "report", "--year", "2026", "--tz", "UTC", "--format", "prom",
    ];
    all.extend_from_slice(args);
    String::from_utf8(stdout_of(all)).unwrap()
}

/// Every sample belongs to a family announced with HELP and TYPE, gauges have no `_total`,
/// and label values come from the bounded sets.
fn check_structure(text: &str) {
    let mut typed = std::collections::BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            typed.insert(name.to_string(), kind.to_string());
            assert!(
                !name.ends_with("_total"),
                "{name}: a gauge of a window has no _total"
            );
            assert!(name.starts_with("smtplog_"), "{name}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| typed.get(*f).is_some_and(|k| k == "summary"))
            })
            .unwrap_or(name);
        assert!(typed.contains_key(family), "no TYPE for {name}");
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        if let Some(labels) = line
            .split_once('{')
            .map(|(_, l)| l.split_once('}').unwrap().0)
        {
            for pair in labels.split("\",") {
                let (key, value) = pair.split_once("=\"").unwrap();
                let value = value.trim_end_matches('"');
                let ok = match key {
                    "mta" => ["postfix", "exim"].contains(&value),
                    "class" => ["2xx", "3xx", "4xx", "5xx"].contains(&value),
                    "code" => {
                        value == "none"
                            || value.parse::<u16>().is_ok_and(|c| (200..600).contains(&c))
                    }
                    "enhanced" => {
                        value == "other"
                            || value == "none"
                            || smtplog::catalogue::catalogue()
                                .enhanced(value.parse().unwrap())
                                .is_some()
                    }
                    "event" => value == "none" || smtplog::parse::Event::from_name(value).is_some(),
                    "kind" => {
                        ["mail", "other", "unrecognised", "overlong", "malformed"].contains(&value)
                    }
                    "quantile" => ["0.5", "0.9", "0.99", "1"].contains(&value),
                    _ => false,
                };
                assert!(ok, "unbounded label {key}={value:?} in {line}");
            }
        }
    }
}

fn promtool(text: &str) {
    let Some(tool) = std::env::var_os("SMTPLOG_PROMTOOL") else {
        eprintln!("SMTPLOG_PROMTOOL is not set: promtool check not run");
        return;
    };
    let mut child = Command::new(&tool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("SMTPLOG_PROMTOOL is set but promtool cannot be run");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

#[test]
fn metrics_of_both_mtas_pass_promtool_and_stay_bounded() {
    for log in ["real/postfix-maillog.log", "real/exim-mainlog.log"] {
        let text = prom(&[testdata(log).to_str().unwrap()]);
        check_structure(&text);
        promtool(&text);
        assert!(text.contains("smtplog_replies{mta="), "{text}");
        assert!(text.contains("smtplog_report_timestamp_seconds "));
    }
    let text = prom(&[
        "--day",
        "2026-11-24",
        testdata("real/postfix-maillog.log").to_str().unwrap(),
    ]);
    assert!(
        text.contains("smtplog_window_start_timestamp_seconds 1795478400\n"),
        "{text}"
    );
    assert!(text.contains("smtplog_window_end_timestamp_seconds 1795564800\n"));
    assert!(text.contains("smtplog_lines{kind=\"mail\"} 3899\n"));
}

#[test]
fn hostile_codes_and_texts_never_become_labels() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("hostile.log");
    let mut data = String::new();
    for i in 0..300 {
        data.push_str(&format!(
            "Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82B{i:03}: to=<a{i}@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.{}.{}, status=bounced (host mx[192.0.2.1] said: 550 5.{}.{} \"evil\\\"}} label{i} (in reply to RCPT TO command))\n",
            i % 100, i, i % 100, i
        ));
    }
    std::fs::write(&log, data).unwrap();
    let text = prom(&[log.to_str().unwrap()]);
    check_structure(&text);
    promtool(&text);
    assert!(!text.contains("evil") && !text.contains("a1@b.test"));
    // 300 different codes: the few the catalogue knows keep their label, the rest are one.
    let series = text
        .lines()
        .filter(|l| l.starts_with("smtplog_enhanced_replies{"))
        .count();
    assert!(series <= 12, "{series} series: {text}");
    assert!(
        text.contains("smtplog_enhanced_replies{enhanced=\"other\"} "),
        "{text}"
    );
}

#[test]
fn prom_goes_to_a_file_atomically_and_refuses_by() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smtplog.prom");
    let log = testdata("real/postfix-maillog.log");
    stdout_of([
        "report".as_ref(),
        "--year".as_ref(),
        "2026".as_ref(),
        "--format".as_ref(),
        "prom".as_ref(),
        "-o".as_ref(),
        file.as_os_str(),
        log.as_os_str(),
    ]);
    check_structure(&std::fs::read_to_string(&file).unwrap());
    let out = smtplog()
        .args(["report", "--format", "prom", "--by", "code"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn with_thresholds(args: &[&str]) -> (Option<i32>, String, String) {
    let out = smtplog()
        .args(["report", "--year", "2026"])
        .args(args)
        .arg(testdata("real/postfix-maillog.log"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn thresholds_exceeded_exit_3_and_say_which() {
    // The corpus: 80 bounced of 793 delivery outcomes (281 + 380 + 80 + 52), 10.1%.
    let (code, stdout, stderr) = with_thresholds(&[
        "--fail-if",
        "bounced>5%",
        "--fail-if",
        "deferred>=200",
        "--fail-if",
        "code:421>1000",
        "--quiet",
    ]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stdout.contains("Replies"), "the report is still written");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("smtplog: bounced 10.1% > 5%"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("smtplog: deferred 380 >= 200"),
        "{stderr}"
    );
}

#[test]
fn thresholds_not_exceeded_exit_0() {
    let (code, _, stderr) = with_thresholds(&[
        "--fail-if",
        "bounced>50%",
        "--fail-if",
        "unrecognised>0",
        "--fail-if",
        "enhanced:5.7.26>0",
        "--fail-if",
        "5xx>99%",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn a_bad_threshold_is_a_usage_error_that_shows_the_forms() {
    let (code, _, stderr) = with_thresholds(&["--fail-if", "bounces>5%"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("code:421>100"), "{stderr}");
}

#[test]
fn merge_checks_thresholds_and_writes_metrics_too() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.json");
    stdout_of([
        "report".as_ref(),
        "--year".as_ref(),
        "2026".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        saved.as_os_str(),
        testdata("real/postfix-maillog.log").as_os_str(),
    ]);
    let out = smtplog()
        .args(["merge", "--fail-if", "bounced>5%"])
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bounced 10.1% > 5%"));
    let out = smtplog()
        .args(["merge", "--format", "prom"])
        .arg(&saved)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    check_structure(&text);
    promtool(&text);
}
