//! `smtplog merge` takes reports anyone may have edited: it refuses what it cannot trust,
//! naming the file, merges the rest, and adds complete tables up exactly.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;

/// The JSON report of one testdata log.
fn report_of(name: &str) -> Value {
    report_json(&[&testdata_arg(name)])
}

/// Exit code, stdout as JSON (or Null) and stderr of `smtplog merge --format json PATHS`.
fn merge(paths: &[&Path]) -> (Option<i32>, Value, String) {
    let out = smtplog()
        .args(["merge", "--format", "json"])
        .args(paths)
        .output()
        .unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reports_of_separate_logs_merge_to_the_report_over_both() {
    let dir = tempfile::tempdir().unwrap();
    let a = save_json(dir.path(), "a.json", &report_of("real/postfix-maillog.log"));
    let b = save_json(dir.path(), "b.json", &report_of("postscreen/mail.log"));
    let merged = merge_json(&[&a, &b]);
    let whole = report_json(&[
        testdata("real/postfix-maillog.log").to_str().unwrap(),
        testdata("postscreen/mail.log").to_str().unwrap(),
    ]);
    // Every table, the senders and recipients included: JSON keeps them complete.
    assert_eq!(merged["parties"]["senders"]["distinct"], 194);
    assert_eq!(merged["parties"]["senders"]["accuracy"], "exact");
    assert_eq!(merged, whole);
}

#[test]
fn an_overflowing_sum_is_an_error_naming_the_file_and_the_others_still_merge() {
    let dir = tempfile::tempdir().unwrap();
    let good = report_of("real/postfix-maillog.log");
    let mut huge = good.clone();
    // Consistent on its own (total = mail + other + unrecognised), too large with another.
    let total = huge["lines"]["total"].as_u64().unwrap();
    let other = huge["lines"]["other"].as_u64().unwrap();
    huge["lines"]["other"] = json!(other + (u64::MAX - total));
    huge["lines"]["total"] = json!(u64::MAX);
    let good_path = save_json(dir.path(), "good.json", &good);
    let huge_path = save_json(dir.path(), "huge.json", &huge);
    let (code, merged, stderr) = merge(&[&good_path, &huge_path]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("huge.json"), "{stderr}");
    assert!(stderr.contains("lines.total is too large"), "{stderr}");
    assert!(!stderr.contains("good.json"), "{stderr}");
    // The good report alone, not a wrapped sum.
    assert_eq!(merged, merge(&[&good_path]).1);
    assert_eq!(merged["lines"], good["lines"]);
    // A count within one report that overflows when summed.
    let mut facts = good.clone();
    facts["facts"][0]["count"] = json!(u64::MAX);
    facts["facts"][1]["count"] = json!(2);
    let path = save_json(dir.path(), "facts.json", &facts);
    let (code, _, stderr) = merge(&[&path]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("facts.json") && stderr.contains("facts is too large"),
        "{stderr}"
    );
}

/// A change to a saved report.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn unknown_versions_bad_ranges_and_totals_that_disagree_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = report_of("real/postfix-maillog.log");
    let edits: Vec<(&str, Edit, &str)> = vec![
        (
            "version",
            Box::new(|r| r["schema_version"] = json!(2)),
            "schema_version 2 is not one this smtplog reads",
        ),
        (
            "hour",
            Box::new(|r| r["facts"][0]["hour"] = json!(99)),
            "bad hour: 99",
        ),
        (
            "received hour",
            Box::new(|r| r["received_by_hour"][0]["hour"] = json!(24)),
            "bad hour: 24",
        ),
        (
            "day",
            Box::new(|r| r["facts"][0]["day"] = json!("2026-02-30")),
            "bad day",
        ),
        (
            "code",
            Box::new(|r| r["facts"][0]["code"] = json!(700)),
            "bad reply code: 700",
        ),
        (
            "class",
            Box::new(|r| r["by_code"][0]["class"] = json!("4xx")),
            "by_code row 1 is",
        ),
        (
            "replies",
            Box::new(|r| r["replies"] = json!(r["replies"].as_u64().unwrap() + 1)),
            "replies is",
        ),
        (
            "by_event",
            Box::new(|r| r["by_event"]["bounced"] = json!(0)),
            "by_event is",
        ),
        (
            "lines",
            Box::new(|r| r["lines"]["mail"] = json!(r["lines"]["mail"].as_u64().unwrap() + 1)),
            "lines.total is",
        ),
        (
            "complete",
            Box::new(|r| r["parties"]["senders"]["distinct"] = json!(300)),
            "senders.distinct is 300",
        ),
    ];
    let good_path = save_json(dir.path(), "good.json", &good);
    for (name, edit, message) in edits {
        let mut bad = good.clone();
        edit(&mut bad);
        let bad_path = save_json(dir.path(), &format!("{name}.json"), &bad);
        let (code, _, stderr) = merge(&[&bad_path]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("cannot merge {}: ", bad_path.display())),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(message), "{name}: {stderr}");
        // With a good report beside it: the good one is merged, exit 1.
        let (code, merged, _) = merge(&[&good_path, &bad_path]);
        assert_eq!(code, Some(1), "{name}");
        assert_eq!(merged["lines"], good["lines"], "{name}");
    }
}

#[test]
fn a_lower_bound_is_never_below_what_an_input_proves() {
    let dir = tempfile::tempdir().unwrap();
    let full = report_of("real/postfix-maillog.log");
    // Two tables that list only their first rows: one of 194 senders, one that says 195.
    let cut = |distinct: u64| {
        let mut r = full.clone();
        let senders = &mut r["parties"]["senders"];
        senders["rows"].as_array_mut().unwrap().truncate(20);
        senders["complete"] = json!(false);
        senders["distinct"] = json!(distinct);
        r
    };
    let a = save_json(dir.path(), "a.json", &cut(194));
    let b = save_json(dir.path(), "b.json", &cut(195));
    let merged = merge_json(&[&a, &b]);
    assert_eq!(merged["parties"]["senders"]["accuracy"], "at_least");
    assert_eq!(merged["parties"]["senders"]["distinct"], 195);
    let text = String::from_utf8(stdout_of([
        "merge".as_ref(),
        "--full".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
    ]))
    .unwrap();
    assert!(text.contains("senders              at least 195"), "{text}");
}

#[test]
fn merge_keeps_as_many_keys_exactly_as_max_distinct_says() {
    let dir = tempfile::tempdir().unwrap();
    let a = save_json(dir.path(), "a.json", &report_of("real/postfix-maillog.log"));
    let sampled = merge_json(&["--max-distinct".as_ref(), "20".as_ref(), a.as_os_str()]);
    assert_eq!(sampled["parties"]["senders"]["accuracy"], "estimated");
    let all = merge_json(&["--max-distinct".as_ref(), "0".as_ref(), a.as_os_str()]);
    assert_eq!(all["parties"]["senders"]["accuracy"], "exact");
    assert_eq!(all["parties"]["senders"]["distinct"], 194);
}
