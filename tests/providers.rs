//! Provider advice in reports: problem groups name their rule in text, JSON and CSV, the
//! by-provider view sums them, and `merge` keeps both.
//!
//! testdata/providers.log holds one line per example of every rule in
//! catalogue/providers.toml (Postfix status lines, Exim `**`/`==` lines, Postfix rejects for
//! the blocklist examples our server sent).

mod common;
use common::*;
use serde_json::Value;
use smtplog::providers::rules;
use std::collections::BTreeMap;

fn log() -> String {
    testdata_arg("providers.log")
}

/// Problem lines per (rule, direction) of a JSON report.
fn lines_per_rule(report: &Value) -> BTreeMap<(String, String), u64> {
    let mut found = BTreeMap::new();
    for p in report["problems"].as_array().unwrap() {
        if let Some(a) = p.get("provider") {
            let key = (
                a["rule"].as_str().unwrap().to_string(),
                a["direction"].as_str().unwrap().to_string(),
            );
            *found.entry(key).or_insert(0) += p["count"].as_u64().unwrap();
        }
    }
    found
}

#[test]
fn every_rule_shows_on_its_own_lines_in_json() {
    let report = report_json(&["--top", "0", &log()]);
    let mut want = BTreeMap::new();
    for rule in rules().all() {
        for example in &rule.examples {
            let direction = if example.sent { "sent" } else { "received" };
            *want
                .entry((rule.id.clone(), direction.to_string()))
                .or_insert(0) += 1;
        }
    }
    assert_eq!(lines_per_rule(&report), want);
    // Every line of the log is a problem that names a rule.
    let lines = std::fs::read_to_string(log()).unwrap().lines().count() as u64;
    let problems: u64 = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_u64().unwrap())
        .sum();
    assert_eq!(problems, lines);
    // The advice is the rule's, for the direction.
    let zen = rules().get(rules().find("spamhaus-zen").unwrap());
    let sent = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"]["rule"] == "spamhaus-zen" && p["provider"]["direction"] == "sent")
        .unwrap();
    assert_eq!(sent["event"], "rejected");
    assert_eq!(
        sent["provider"]["action"],
        zen.action_sent.as_deref().unwrap()
    );
    assert_eq!(sent["provider"]["url"], zen.url.as_str());
    // The by-provider view adds up to the same lines, per provider and per rule.
    let providers = report["providers"].as_array().unwrap();
    let total: u64 = providers.iter().map(|p| p["count"].as_u64().unwrap()).sum();
    assert_eq!(total, lines);
    for p in providers {
        let by_rules: u64 = p["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["count"].as_u64().unwrap())
            .sum();
        let by_events: u64 = p["events"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(
            (by_rules, by_events),
            (p["count"].as_u64().unwrap(), by_rules)
        );
    }
    let gmail = providers
        .iter()
        .find(|p| p["provider"] == "Gmail / Google Workspace")
        .unwrap();
    let gmail_examples: u64 = rules()
        .all()
        .iter()
        .filter(|r| r.provider == "Gmail / Google Workspace")
        .map(|r| r.examples.len() as u64)
        .sum();
    assert_eq!(gmail["count"].as_u64(), Some(gmail_examples));
}

#[test]
fn text_names_the_rule_under_each_problem_and_sums_per_provider() {
    let text = report_text(&["--detail", "0", &log()]);
    let problems = text
        .split("Problems by reply code")
        .nth(1)
        .expect("a problems section");
    assert!(
        problems
            .contains("Microsoft 365 / Outlook.com [ms-banned-ip]: Find and stop the cause first")
            && problems.contains("https://sender.office.com/"),
        "{problems}"
    );
    let by_provider = text
        .split("Problems by provider and blocklist")
        .nth(1)
        .expect("a by-provider section");
    for want in [
        "Yahoo / AOL (mailbox)",
        "Spamhaus (blocklist): bounced 2, rejected 6",
        "yahoo-tss04 (4.7.0, received)",
        "spamhaus-zen (5.7.1, sent)",
        "do: Your server refused a client listed on ZEN",
        "see: https://check.spamhaus.org/",
    ] {
        assert!(
            by_provider.contains(want),
            "missing {want:?} in\n{by_provider}"
        );
    }
    // `--by provider` prints that section alone, every row.
    let alone = report_text(&["--by", "provider", &log()]);
    assert!(
        alone
            .trim_start()
            .starts_with("Problems by provider and blocklist"),
        "{alone}"
    );
    assert!(alone.contains("Mimecast (gateway)") && !alone.contains("Replies by class"));
}

#[test]
fn csv_problem_rows_and_provider_rows() {
    let rows = report_csv(&["--by", "problem", &log()]);
    let banned = rows
        .iter()
        .find(|r| r[8] == "ms-banned-ip")
        .expect("a row for ms-banned-ip");
    assert_eq!(
        (
            banned[0].as_str(),
            banned[3].as_str(),
            banned[9].as_str(),
            banned[10].as_str()
        ),
        (
            "bounced",
            "5.7.606",
            "Microsoft 365 / Outlook.com",
            "received"
        )
    );
    assert_eq!(banned[12], "https://sender.office.com/");
    assert!(rows.iter().all(|r| r.len() == 13 && !r[8].is_empty()));
    let providers = report_csv(&["--by", "provider", &log()]);
    let total: u64 = providers.iter().map(|r| r[4].parse::<u64>().unwrap()).sum();
    assert_eq!(
        total,
        rows.iter()
            .map(|r| r[5].parse::<u64>().unwrap())
            .sum::<u64>()
    );
    let zen_sent = providers
        .iter()
        .find(|r| r[2] == "spamhaus-zen" && r[3] == "sent")
        .unwrap();
    assert_eq!(
        (zen_sent[0].as_str(), zen_sent[1].as_str()),
        ("Spamhaus", "blocklist")
    );
}

#[test]
fn merge_keeps_the_provider_of_each_group() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(log()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let mut reports = Vec::new();
    for (name, part) in [("a", a), ("b", b)] {
        let path = dir.path().join(format!("{name}.log"));
        std::fs::write(&path, part.join("\n") + "\n").unwrap();
        let json = stdout_of([
            "report",
            "--format",
            "json",
            "--top",
            "0",
            "--year",
            "2026",
            path.to_str().unwrap(),
        ]);
        let out = dir.path().join(format!("{name}.json"));
        std::fs::write(&out, json).unwrap();
        reports.push(out);
    }
    let merged = merge_json(&reports);
    let whole = report_json(&["--top", "0", &log()]);
    assert_eq!(lines_per_rule(&merged), lines_per_rule(&whole));
    assert_eq!(merged["providers"], whole["providers"]);
    assert_eq!(merged["problems"], whole["problems"]);
    // A report naming a rule this build does not know is refused, not guessed at.
    let bad = std::fs::read_to_string(&reports[0])
        .unwrap()
        .replacen(
            "\"rule\": \"gmail-rate-limit\"",
            "\"rule\": \"no-such-rule\"",
            1,
        )
        .replacen(
            "\"rule\":\"gmail-rate-limit\"",
            "\"rule\":\"no-such-rule\"",
            1,
        );
    assert!(bad.contains("no-such-rule"));
    let bad_path = dir.path().join("bad.json");
    std::fs::write(&bad_path, bad).unwrap();
    smtplog()
        .args(["merge", bad_path.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown provider rule"));
}

#[test]
fn our_rejects_of_provider_clients_are_not_provider_advice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(
        &path,
        "Nov 24 12:05:23 mx1 postfix/smtpd[2]: NOQUEUE: reject: RCPT from mail-ed1-f54.google.com[209.85.208.54]: 550 5.1.1 <c@d.test>: Recipient address rejected: User unknown in local recipient table; from=<a@gmail.test> to=<c@d.test> proto=ESMTP helo=<mail-ed1-f54.google.com>\n\
         Nov 24 12:05:24 mx1 postfix/smtpd[2]: NOQUEUE: reject: RCPT from mail-ed1-f55.google.com[209.85.208.55]: 554 5.7.1 Service unavailable; Client host [209.85.208.55] blocked using bl.spamcop.net; from=<a@gmail.test> to=<c@d.test> proto=ESMTP helo=<x>\n",
    )
    .unwrap();
    let report = report_json(&[path.to_str().unwrap()]);
    let found = lines_per_rule(&report);
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        [(("spamcop".to_string(), "sent".to_string()), 1)]
    );
}

#[test]
fn the_real_corpus_gets_gmail_advice_where_the_sink_spoke_gmail() {
    // The reply sink imitates Gmail's texts (`- gsmtp`): those deferrals and bounces, and
    // nothing else, get Gmail's rules.
    for name in ["real/postfix-maillog.log", "real/exim-mainlog.log"] {
        let path = testdata(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let gsmtp_422 = text
            .lines()
            .filter(|l| l.contains("gsmtp") && l.contains("4.2.2") && !l.contains(" <= "))
            .count() as u64;
        let gsmtp_511 = text
            .lines()
            .filter(|l| l.contains("gsmtp") && l.contains("5.1.1") && !l.contains(" <= "))
            .count() as u64;
        let report = report_json(&[path.to_str().unwrap()]);
        let found = lines_per_rule(&report);
        let want: BTreeMap<(String, String), u64> = [
            (
                ("gmail-over-quota".to_string(), "received".to_string()),
                gsmtp_422,
            ),
            (
                ("gmail-no-such-user".to_string(), "received".to_string()),
                gsmtp_511,
            ),
        ]
        .into_iter()
        .collect();
        assert!(gsmtp_422 > 0 && gsmtp_511 > 0, "{name}");
        assert_eq!(found, want, "{name}");
    }
}
