//! The problems section: deferrals, bounces and rejects grouped by code and reason.

mod common;
use common::*;
use serde_json::Value;

fn problems(file: &str) -> Vec<Value> {
    let r = report_json(&[testdata(file).to_str().unwrap()]);
    r["problems"].as_array().unwrap().clone()
}

fn find<'a>(rows: &'a [Value], event: &str, code: Option<u64>, reason: &str) -> &'a Value {
    rows.iter()
        .find(|p| p["event"] == event && p["code"].as_u64() == code && p["reason"] == reason)
        .unwrap_or_else(|| panic!("no {event} {code:?} {reason:?}"))
}

#[test]
fn postfix_problems_are_grouped_by_code_and_normalised_reason() {
    let rows = problems("real/postfix-maillog.log");
    // 14 bounces of one problem with 14 different recipients: one row.
    let unknown = find(
        &rows,
        "bounced",
        Some(550),
        "<*>: Recipient address rejected: User unknown in virtual mailbox table",
    );
    assert_eq!(
        (unknown["count"].as_u64(), unknown["enhanced"].as_str()),
        (Some(14), Some("5.1.1"))
    );
    assert_eq!(unknown["examples"].as_array().unwrap().len(), 3);
    assert!(unknown["advice"]
        .as_str()
        .unwrap()
        .contains("Unknown recipient"));
    // A multi-line reply is one reason.
    let gmail = find(&rows, "bounced", Some(550), "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to <url> * - gsmtp");
    assert_eq!(gmail["count"], 3);
    // Rejects name the client; events without a code keep their dsn.
    let relay = find(&rows, "rejected", Some(554), "<*>: Relay access denied");
    assert_eq!(
        relay["examples"][0],
        "outside-client.example.test[127.0.0.20]"
    );
    let refused = find(
        &rows,
        "deferred",
        None,
        "connect to *[*]:*: Connection refused",
    );
    assert_eq!(
        (refused["count"].as_u64(), refused["enhanced"].as_str()),
        (Some(24), Some("4.4.1"))
    );
    // Sorted by count.
    let counts: Vec<u64> = rows.iter().map(|p| p["count"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    // Every problem line is in exactly one row.
    let total: u64 = counts.iter().sum();
    let r = report_json(&[testdata("real/postfix-maillog.log").to_str().unwrap()]);
    let e = &r["by_event"];
    let events: u64 = [
        "deferred",
        "bounced",
        "expired",
        "rejected",
        "reject_warning",
    ]
    .iter()
    .map(|k| e[k].as_u64().unwrap())
    .sum();
    assert_eq!(total, events);
}

#[test]
fn exim_problems() {
    let rows = problems("real/exim-mainlog.log");
    let greylisted = find(
        &rows,
        "rejected",
        Some(451),
        "Sender rate * / * exceeds limit",
    );
    assert_eq!(greylisted["enhanced"], "4.7.1");
    let lookup = find(
        &rows,
        "deferred",
        Some(451),
        "<*>: Temporary lookup failure",
    );
    assert!(lookup["count"].as_u64().unwrap() >= 40);
    let expired = find(&rows, "expired", None, "retry timeout exceeded");
    assert_eq!(expired["count"], 50);
    let content = find(
        &rows,
        "rejected",
        Some(550),
        "Message content rejected: spam subject",
    );
    assert_eq!(content["stage"], "DATA");
    let helo = find(
        &rows,
        "rejected",
        Some(550),
        "HELO name is on a local blocklist",
    );
    assert_eq!(helo["stage"], "EHLO");
}

#[test]
fn text_problems_first_and_detail() {
    let text = report_text(&[
        "--problems-first",
        "--detail",
        "3",
        testdata("real/postfix-maillog.log").to_str().unwrap(),
    ]);
    let problems_at = text.find("Problems by reply code").unwrap();
    assert!(problems_at < text.find("Replies by class").unwrap());
    assert!(text.contains("more; --detail 0 shows all"));
    assert!(text.contains("fix: "));
    assert!(text.contains("e.g. "));
}
