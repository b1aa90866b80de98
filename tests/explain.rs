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

#[test]
fn explain_a_pasted_log_line() {
    let line = "Nov 24 12:05:23 mx1 postfix/smtp[29970]: 80403B82BD: to=<a@gmail.test>, relay=gmail-smtp-in.l.google.com[142.250.1.26]:25, delay=0.5, delays=0/0/0.2/0.3, dsn=5.7.26, status=bounced (host gmail-smtp-in.l.google.com[142.250.1.26] said: 550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550 5.7.26 https://support.google.com/mail/answer/81126#authentication a1si1qkb.4 - gsmtp (in reply to end of DATA command))";
    // Wide, so that each field is one line to look for; 80 columns wraps them.
    let wide = smtplog()
        .env("COLUMNS", "300")
        .args(["explain", "--line", line])
        .output()
        .unwrap();
    let out = String::from_utf8(wide.stdout).unwrap();
    let narrow = String::from_utf8(stdout_of(["explain", "--line", line])).unwrap();
    assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
    assert!(narrow.contains("Normalised:      This mail has been blocked because the sender is\n                   unauthenticated."), "{narrow}");
    for want in [
        "MTA:             postfix",
        "Event:           bounced",
        "Reply code:      550",
        "Enhanced code:   5.7.26",
        "Relay/peer:      gmail-smtp-in.l.google.com",
        "Concerns:        a@gmail.test",
        "(received)",
        "Normalised:      This mail has been blocked because the sender is unauthenticated.",
        "Rule:            gmail-unauthenticated",
        "https://support.google.com/mail/answer/81126#authentication",
        "5.7.26  ",
        "550  Mailbox Unavailable",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // Our own reject of a client named *.google.com is not Gmail's advice; the blocklist is.
    let reject = "Nov 24 12:05:23 mx1 postfix/smtpd[2]: NOQUEUE: reject: RCPT from mail-ed1-f54.google.com[209.85.208.54]: 554 5.7.1 Service unavailable; Client host [209.85.208.54] blocked using zen.spamhaus.org; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<x>";
    let out = String::from_utf8(stdout_of(["explain", "--line", reject])).unwrap();
    assert!(
        out.contains("Rule:            spamhaus-zen")
            && out.contains("(sent)")
            && out.contains("Your server refused a client listed on ZEN")
            && !out.contains("gmail"),
        "{out}"
    );
    let exim = "2026-11-24 12:05:23 1xVpHI-0007o9-2x == a@yahoo.test R=dnslookup T=remote_smtp defer (-44) H=mta5.am0.yahoodns.net [67.195.204.72]: SMTP error from remote mail server after MAIL FROM:<b@c.test>: 421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes";
    let out = String::from_utf8(stdout_of(["explain", "--line", exim])).unwrap();
    assert!(
        out.contains("MTA:             exim")
            && out.contains("Relay/peer:      mta5.am0.yahoodns.net")
            && out.contains("Rule:            yahoo-tss04"),
        "{out}"
    );
    smtplog()
        .args(["explain", "--line", "just some words"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a Postfix or Exim log line"));
    smtplog()
        .args(["explain", "--line", "x", "551"])
        .assert()
        .code(2);
    smtplog()
        .args(["explain", "--relay", "mx.test", "551"])
        .assert()
        .code(2);
}

#[test]
fn explain_a_bare_reply_text() {
    let out = String::from_utf8(stdout_of([
        "explain",
        "--text",
        "550-5.7.26 Unauthenticated email from example.test is not accepted due to domain's DMARC policy. 550 5.7.26 - gsmtp",
    ]))
    .unwrap();
    assert!(
        out.contains("Reply code:      550")
            && out.contains("Enhanced code:   5.7.26")
            && out.contains("Rule:            gmail-dmarc-policy")
            && out.contains("Also matched:    gmail-unauthenticated"),
        "{out}"
    );
    // Rules known only by host need --relay.
    let plain = ["explain", "--text", "550 5.7.1 Relay access denied"];
    let out = String::from_utf8(stdout_of(plain)).unwrap();
    assert!(
        out.contains("No provider or blocklist rule matches"),
        "{out}"
    );
    let out = String::from_utf8(stdout_of(
        plain
            .iter()
            .copied()
            .chain(["--relay", "aspmx.l.google.com"]),
    ))
    .unwrap();
    assert!(out.contains("Rule:            gmail-other"), "{out}");
    // A blocklist reply could be either side's: both pieces of advice.
    let out = String::from_utf8(stdout_of([
        "explain",
        "--text",
        "554 5.7.1 blocked using b.barracudacentral.org",
    ]))
    .unwrap();
    assert!(
        out.contains("If you got it:") && out.contains("If you sent it:"),
        "{out}"
    );
}

#[test]
fn explain_line_and_text_escape_hostile_input() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let line = OsStr::from_bytes(
        b"Nov 24 12:05:23 mx1 postfix/smtp[1]: 8040: to=<\x1b[2J@x.test>, relay=h\x1b]0;t\x07.test[192.0.2.1]:25, dsn=5.7.1, status=bounced (host h.test[192.0.2.1] said: 554 5.7.1 \xe2\x80\xae\xff listed at zen.spamhaus.org\r)",
    );
    for args in [
        vec![OsStr::new("explain"), OsStr::new("--line"), line],
        vec![OsStr::new("explain"), OsStr::new("--text"), line],
    ] {
        let out = smtplog().args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("escaped output is UTF-8");
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert!(text.contains("spamhaus-zen"), "{text}");
    }
    let long = "550 5.7.1 ".to_string() + &"zen.spamhaus.org ".repeat(4_000);
    smtplog()
        .args(["explain", "--text", &long])
        .assert()
        .success();
}
