//! `smtplog explain`, `smtplog codes` and `smtplog merge`, driven through the binary.

mod common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn explain_one_code_and_an_enhanced_code() {
    smtplog()
        .args(["explain", "551"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("551  User Not Local")
                .and(predicate::str::contains("How to fix it (sender):")),
        );
    smtplog()
        .args(["explain", "5.7.1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("5.7.1").and(predicate::str::contains("5.x.x:")));
    smtplog()
        .args(["explain", "599"])
        .assert()
        .success()
        .stdout(predicate::str::contains("not in the catalogue"));
    smtplog()
        .args(["explain", "banana"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an SMTP reply code"));
}

#[test]
fn compare_in_four_languages() {
    for (lang, heading) in [
        ("en", "Key differences"),
        ("zh", "主要区别"),
        ("fr", "Différences principales"),
        ("tr", "Temel farklar"),
    ] {
        smtplog()
            .args(["explain", "251", "551", "--lang", lang])
            .assert()
            .success()
            .stdout(
                predicate::str::contains(heading)
                    .and(predicate::str::contains("2xx"))
                    .and(predicate::str::contains("5xx")),
            );
    }
    // The default comes from LANG.
    smtplog()
        .env("LANG", "fr_FR.UTF-8")
        .args(["explain", "450", "550"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Quand utiliser lequel"));
}

#[test]
fn codes_export_every_required_code() {
    let out = smtplog()
        .args(["codes", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let codes: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect();
    for code in [
        "211", "251", "252", "354", "455", "523", "556", "535", "X.0.0", "X.1.10", "X.3.6",
        "X.5.6", "X.6.10", "X.7.26", "X.7.30",
    ] {
        assert!(codes.iter().any(|c| c == code), "missing {code}");
    }
    let out = smtplog()
        .args(["codes", "--format", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), codes.len());
}

#[test]
fn merge_of_two_halves_equals_the_whole() {
    let log = std::fs::read(testdata("real/postfix-maillog.log")).unwrap();
    let cut = log[..log.len() / 2]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap()
        + 1;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    std::fs::write(&a, &log[..cut]).unwrap();
    std::fs::write(&b, &log[cut..]).unwrap();
    let mut parts = Vec::new();
    for half in [&a, &b] {
        let json = dir.path().join(format!(
            "{}.json",
            half.file_name().unwrap().to_string_lossy()
        ));
        smtplog()
            .args([
                "report",
                "--year",
                "2026",
                "-f",
                "json",
                "-o",
                json.to_str().unwrap(),
                half.to_str().unwrap(),
            ])
            .assert()
            .success();
        parts.push(json);
    }
    let mut merged = merge_json(&parts);
    let mut whole = report_json(&[testdata("real/postfix-maillog.log").to_str().unwrap()]);
    // Reports from different logs are independent: a message whose lines are in both halves
    // counts in each, and its size is known only in the half with its size line. Every
    // other figure adds up exactly.
    assert!(merged["messages"].as_u64() >= whole["messages"].as_u64());
    assert!(merged["deferred_messages"].as_u64() >= whole["deferred_messages"].as_u64());
    for per_message in [
        "messages",
        "deferred_messages",
        "bytes_received",
        "bytes_delivered",
    ] {
        merged[per_message] = 0.into();
        whole[per_message] = 0.into();
    }
    // Sender and recipient tables depend on messages too (a size in one half, a delivery in
    // the other); tests/merge.rs checks that reports of separate logs add up to them exactly.
    merged["parties"] = Value::Null;
    whole["parties"] = Value::Null;
    assert_eq!(merged, whole);
}
