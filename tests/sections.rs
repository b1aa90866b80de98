//! The pflogsumm/eximstats-style sections: forwarded, per-hour traffic, delays,
//! warnings by daemon, connection counts. Figures checked against pflogsumm and grep.

mod common;
use common::*;
use serde_json::{json, Value};

fn postfix() -> Value {
    report_json(&[testdata("real/postfix-maillog.log").to_str().unwrap()])
}

#[test]
fn forwarded_is_part_of_delivered_as_in_pflogsumm() {
    // pflogsumm: 277 delivered + 4 forwarded.
    let r = postfix();
    assert_eq!(
        (r["by_event"]["delivered"].as_u64(), r["forwarded"].as_u64()),
        (Some(281), Some(4))
    );
}

#[test]
fn warnings_by_daemon_match_pflogsumm() {
    let r = postfix();
    let mut totals = std::collections::BTreeMap::new();
    for d in r["diagnostics"].as_array().unwrap() {
        if d["severity"] == "info" {
            continue; // master daemon messages: their own test
        }
        assert_eq!(d["severity"], "warning");
        *totals
            .entry(d["program"].as_str().unwrap().to_string())
            .or_insert(0) += d["count"].as_u64().unwrap();
    }
    // pflogsumm's "Warnings": bounce 312, cleanup 1, local 2, smtpd 3.
    let want: std::collections::BTreeMap<String, u64> =
        [("bounce", 312), ("cleanup", 1), ("local", 2), ("smtpd", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    assert_eq!(totals, want);
}

/// pflogsumm's "Master daemon messages" section, as (count, text) rows.
fn pflogsumm_master_messages() -> Vec<(u64, String)> {
    let saved = std::fs::read_to_string(testdata("real/postfix-maillog.pflogsumm.txt")).unwrap();
    let section = saved
        .split("Master daemon messages\n----------------------\n")
        .nth(1)
        .expect("pflogsumm's output has the section");
    section
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let (count, text) = l.trim().split_once("   ").unwrap();
            (count.parse().unwrap(), text.trim().to_string())
        })
        .collect()
}

#[test]
fn master_daemon_messages_match_pflogsumm() {
    let want = pflogsumm_master_messages();
    assert_eq!(want.len(), 2, "{want:?}");
    let r = postfix();
    let mut got: Vec<(u64, String)> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "info")
        .map(|d| {
            assert_eq!(d["program"], "master");
            (
                d["count"].as_u64().unwrap(),
                d["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want = want;
    want.sort();
    assert_eq!(got, want);

    let text = report_text(&[testdata("real/postfix-maillog.log").to_str().unwrap()]);
    let section = text
        .split("Master daemon messages\n----------------------\n")
        .nth(1)
        .expect("text has the section");
    assert!(
        section.starts_with(
            "        1  daemon started -- version 3.7.11, configuration /etc/postfix\n        1  terminating on signal 15\n"
        ),
        "{section}"
    );
    // Not warnings: the warnings section does not list them.
    let warnings = text.split("Warnings, errors").nth(1).unwrap();
    let warnings = warnings.split("Master daemon messages").next().unwrap();
    assert!(!warnings.contains("daemon started"), "{warnings}");
}

#[test]
fn per_hour_and_per_day_traffic() {
    let r = postfix();
    let hours = r["by_hour"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(
        hours[12],
        json!({"hour": 12, "received": 216, "delivered": 281, "deferred": 380, "bounced": 80, "rejected": 35})
    );
    assert_eq!(r["by_day"][0]["received"], 216);
}

#[test]
fn delays_and_connections() {
    let r = postfix();
    let d = &r["delays"];
    assert_eq!(d["count"], 281);
    let (p50, p90, p99, max) = (
        d["p50_ms"].as_u64().unwrap(),
        d["p90_ms"].as_u64().unwrap(),
        d["p99_ms"].as_u64().unwrap(),
        d["max_ms"].as_u64().unwrap(),
    );
    assert!(p50 <= p90 && p90 <= p99 && p99 <= max, "{d}");
    // The longest delay= of a status=sent line is 102 s; bucket bounds never exceed it.
    assert_eq!(max, 102_000);
    assert_eq!(r["connections"], json!({"smtpd connections": 247}));
    let e = report_json(&[testdata("real/exim-mainlog.log").to_str().unwrap()]);
    // Six flagless `H=... Connection refused`/`timed out` lines: hosts that were not reached.
    assert_eq!(
        e["connections"],
        json!({"exim SMTP connections": 248, "exim connection failures": 6})
    );
    assert_eq!(e["delays"]["count"], 279);
}

#[test]
fn text_shows_the_sections() {
    let text = report_text(&[testdata("real/postfix-maillog.log").to_str().unwrap()]);
    for needle in [
        "(4 forwarded)",
        "Per-hour traffic",
        "12:00-13:00",
        "Delivery delays",
        "Connections",
        "Warnings, errors, fatal errors and panics",
        "bounce",
    ] {
        assert!(text.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn per_message_totals_match_pflogsumm_and_eximstats() {
    // pflogsumm: 56 deferred (380 deferrals), 284581 bytes received, "700k" delivered (706.5 KiB).
    let r = postfix();
    assert_eq!(
        (
            r["deferred_messages"].as_u64(),
            r["by_event"]["deferred"].as_u64()
        ),
        (Some(56), Some(380))
    );
    assert_eq!(
        (r["bytes_received"].as_u64(), r["bytes_delivered"].as_u64()),
        (Some(284_581), Some(723_426))
    );
    // eximstats: received 771KB, delivered 617KB, 63 messages delayed.
    let e = report_json(&[testdata("real/exim-mainlog.log").to_str().unwrap()]);
    assert_eq!(e["deferred_messages"], 63);
    assert_eq!((e["bytes_received"].as_u64().unwrap() + 512) / 1024, 771);
    assert_eq!((e["bytes_delivered"].as_u64().unwrap() + 512) / 1024, 617);
}

#[test]
fn content_filter_hand_offs_are_not_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("amavis.log");
    std::fs::write(
        &log,
        "Nov 24 10:00:00 mx postfix/smtpd[1]: 1A2B3C4D5E: client=ext.example[192.0.2.9]\n\
         Nov 24 10:00:01 mx postfix/qmgr[2]: 1A2B3C4D5E: from=<a@ext.example>, size=2000, nrcpt=1 (queue active)\n\
         Nov 24 10:00:02 mx postfix/smtp[3]: 1A2B3C4D5E: to=<u@here.example>, relay=127.0.0.1[127.0.0.1]:10024, delay=2, delays=0.1/0/0/1.9, dsn=2.0.0, status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as 6F7E8D9C0B)\n\
         Nov 24 10:00:02 mx postfix/qmgr[2]: 1A2B3C4D5E: removed\n\
         Nov 24 10:00:02 mx postfix/smtpd[4]: 6F7E8D9C0B: client=localhost[127.0.0.1]\n\
         Nov 24 10:00:02 mx postfix/qmgr[2]: 6F7E8D9C0B: from=<a@ext.example>, size=2400, nrcpt=1 (queue active)\n\
         Nov 24 10:00:03 mx postfix/local[5]: 6F7E8D9C0B: to=<u@here.example>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)\n\
         Nov 24 10:00:03 mx postfix/qmgr[2]: 6F7E8D9C0B: removed\n",
    )
    .unwrap();
    let r = report_json(&[log.to_str().unwrap()]);
    assert_eq!(
        (
            r["by_event"]["delivered"].as_u64(),
            r["by_event"]["filtered"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(r["bytes_delivered"], 2400);
    // Telling smtplog that the filter listens elsewhere makes the hand-off a delivery.
    let r = report_json(&["--filter-ports", "1", log.to_str().unwrap()]);
    assert_eq!(
        (
            r["by_event"]["delivered"].as_u64(),
            r["by_event"]["filtered"].as_u64()
        ),
        (Some(2), Some(0))
    );
}

fn distinct(r: &Value, table: &str) -> (u64, String) {
    let t = &r["parties"][table];
    (
        t["distinct"].as_u64().unwrap(),
        t["accuracy"].as_str().unwrap().to_string(),
    )
}

fn sum(r: &Value, table: &str, field: &str) -> u64 {
    r["parties"][table]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[field].as_u64().unwrap())
        .sum()
}

#[test]
fn senders_and_recipients_match_pflogsumm() {
    let r = report_json(&[
        "--top",
        "0",
        testdata("real/postfix-maillog.log").to_str().unwrap(),
    ]);
    // pflogsumm: 194 senders, 5 sending hosts/domains, 183 recipients, 3 recipient
    // hosts/domains, 277 delivered (forwards excluded), "700k" bytes delivered.
    let exact = |n: u64| (n, "exact".to_string());
    assert_eq!(distinct(&r, "senders"), exact(194));
    assert_eq!(distinct(&r, "sender_domains"), exact(5));
    assert_eq!(distinct(&r, "recipients"), exact(183));
    assert_eq!(distinct(&r, "recipient_domains"), exact(3));
    assert_eq!(sum(&r, "recipients", "messages"), 277);
    let delivered_bytes = sum(&r, "recipients", "bytes");
    assert_eq!(delivered_bytes / 1024, 700);
    assert_eq!(sum(&r, "recipient_domains", "bytes"), delivered_bytes);
    // Every received message is credited once: to its sender and to its sending host.
    assert_eq!(
        sum(&r, "senders", "bytes"),
        r["bytes_received"].as_u64().unwrap()
    );
    assert_eq!(
        sum(&r, "sending_hosts", "messages"),
        sum(&r, "senders", "messages")
    );
    let domains = &r["parties"]["recipient_domains"]["rows"];
    let sink = domains
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == "sink.test")
        .unwrap();
    assert_eq!(
        (sink["delivered"].as_u64(), sink["bounced"].as_u64()),
        (Some(62), Some(68))
    );
    assert_eq!(r["parties"]["senders"]["complete"], true);
}

#[test]
fn sending_hosts_match_eximstats() {
    let r = report_json(&[
        "--top",
        "0",
        testdata("real/exim-mainlog.log").to_str().unwrap(),
    ]);
    // eximstats: Received from 5 hosts; (client.corpus.test) 202 messages, local 192. It keys
    // a host by its HELO when there is no name; we key it by its address (the HELO is the
    // client's claim), so the two HELOs of 127.0.0.20 are one host: 4.
    assert_eq!(distinct(&r, "sending_hosts"), (4, "exact".to_string()));
    let hosts: Vec<(String, u64)> = r["parties"]["sending_hosts"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["key"].as_str().unwrap().to_string(),
                h["messages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(hosts[0], ("[127.0.0.1]".to_string(), 202));
    assert_eq!(hosts[1], ("local".to_string(), 192));
    // eximstats: 281 deliveries, 617KB delivered, 771KB received (KiB, rounded).
    let kib = |n: u64| (n as f64 / 1024.0).round() as u64;
    assert_eq!(sum(&r, "recipients", "messages"), 281);
    assert_eq!(kib(sum(&r, "recipients", "bytes")), 617);
    assert_eq!(kib(sum(&r, "senders", "bytes")), 771);
}

#[test]
fn party_tables_do_not_depend_on_chunks_or_threads() {
    let log = testdata("real/postfix-maillog.log");
    let log = log.to_str().unwrap();
    let base = report_json(&["--top", "0", log]);
    for extra in [
        ["--chunk-size", "200"],
        ["--chunk-size", "4096"],
        ["-j", "1"],
        ["--max-distinct", "1000000"],
    ] {
        let r = report_json(&["--top", "0", extra[0], extra[1], log]);
        assert_eq!(r["parties"], base["parties"], "{extra:?}");
    }
    // A tiny limit samples, the same way for every chunk size.
    let small = report_json(&["--top", "0", "--max-distinct", "20", log]);
    assert_eq!(small["parties"]["senders"]["accuracy"], "estimated");
    let tiny_chunks = report_json(&[
        "--top",
        "0",
        "--max-distinct",
        "20",
        "--chunk-size",
        "300",
        log,
    ]);
    assert_eq!(small["parties"], tiny_chunks["parties"]);
}

#[test]
fn party_tables_in_csv_text_and_merge() {
    let log = testdata("real/postfix-maillog.log");
    let log = log.to_str().unwrap();
    let csv = report_text(&["--format", "csv", "--by", "recipient-domain", log]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("recipient-domain,delivered,bytes,deferred,bounced,avg_delay_s,max_delay_s")
    );
    assert!(lines.next().unwrap().starts_with("sink.test,62,"));
    // A table of its own cannot be mixed with the dimensions of the facts.
    smtplog()
        .args(["report", "--format", "csv", "--by", "sender,code", log])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--by sender is a table of its own and cannot be combined",
        ));
    let text = report_text(&["--top", "3", log]);
    for section in [
        "Senders and recipients",
        "Recipient domains",
        "Sender domains",
        "Sending hosts",
        "Top senders by messages",
        "Top recipients by size",
    ] {
        assert!(text.contains(section), "missing {section}");
    }
    assert!(text.contains("(3 of 194; --top 0 shows all)"));
    // merge adds complete tables exactly; tables that lack rows give lower bounds.
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.json");
    let top = dir.path().join("top.json");
    smtplog()
        .args(["report", "--format", "json", "--top", "5", "-o"])
        .arg(&full)
        .arg(log)
        .assert()
        .success();
    let mut cut: Value = serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap();
    let senders = &mut cut["parties"]["senders"];
    senders["rows"].as_array_mut().unwrap().truncate(5);
    senders["complete"] = Value::Bool(false);
    std::fs::write(&top, serde_json::to_vec(&cut).unwrap()).unwrap();
    let merged = |a: &std::path::Path, b: &std::path::Path| -> Value {
        merge_json(&[
            std::path::Path::new("--top"),
            std::path::Path::new("0"),
            a,
            b,
        ])
    };
    let twice = merged(&full, &full);
    assert_eq!(distinct(&twice, "senders"), (194, "exact".to_string()));
    assert_eq!(sum(&twice, "recipients", "messages"), 2 * 277);
    let partial = merged(&full, &top);
    assert_eq!(partial["parties"]["senders"]["accuracy"], "at_least");
}

#[test]
fn sampled_tables_list_no_top_rows_and_json_keeps_every_row() {
    let log = testdata("real/postfix-maillog.log");
    let log = log.to_str().unwrap();
    let text = report_text(&["--max-distinct", "20", log]);
    assert!(text.contains("(tables over --max-distinct keep a reproducible sample"));
    let senders = text.split("Top senders by messages").nth(1).unwrap();
    assert!(senders.trim_start_matches(['\n', '-']).starts_with("  (~"));
    assert!(senders.contains("more than --max-distinct; raise it to list them"));
    // The recipient-domain table too (3 domains over a limit of 1).
    let text = report_text(&["--max-distinct", "1", log]);
    let domains = text.split("Recipient domains\n").nth(1).unwrap();
    let domains = domains.split("\n\n").next().unwrap();
    assert!(domains.contains("more than --max-distinct"), "{domains}");
    assert!(!domains.contains("DOMAIN"), "{domains}");
    // --top is a display choice: JSON keeps every row, complete, so that merge adds up.
    let r = report_json(&["--top", "2", log]);
    let t = &r["parties"]["senders"];
    assert_eq!(t["complete"], true);
    assert_eq!(t["rows"].as_array().unwrap().len(), 194);
    assert_eq!(r["parties"], report_json(&["--top", "0", log])["parties"]);
}

#[test]
fn postscreen_blocklists_and_master_messages() {
    let log = testdata("postscreen/mail.log");
    let log = log.to_str().unwrap();
    let r = report_json(&[log]);
    assert_eq!(
        r["connections"],
        json!({
            "postscreen connections": 6,
            "postscreen PASS NEW": 1,
            "postscreen PASS OLD": 1,
            "postscreen PREGREET": 1,
            "postscreen HANGUP": 1,
            "postscreen DNSBL listed": 4,
            "smtpd connections": 2,
        })
    );
    assert_eq!(
        r["blocklists"],
        json!({
            "ranks": [
                {"rank": 2, "count": 1},
                {"rank": 3, "count": 2},
                {"rank": 7, "count": 1},
            ],
            "listings": [
                {"list": "zen.dnsbl.test", "reply": "127.0.0.4", "count": 3},
                {"list": "bl.other.test", "reply": "127.0.0.2", "count": 2},
                {"list": "zen.dnsbl.test", "reply": "127.0.0.2", "count": 1},
            ],
        })
    );
    assert_eq!(r["by_event"]["rejected"], 3);
    let diagnostics: Vec<(String, String, u64)> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["severity"].as_str().unwrap().to_string(),
                d["program"].as_str().unwrap().to_string(),
                d["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let count = |severity: &str, program: &str| -> u64 {
        diagnostics
            .iter()
            .filter(|(s, p, _)| s == severity && p == program)
            .map(|(_, _, n)| n)
            .sum()
    };
    assert_eq!(count("info", "master"), 3);
    assert_eq!(count("warning", "master"), 1);
    assert_eq!(count("warning", "anvil"), 1);

    // The same for any chunk size and thread count.
    for extra in [["--chunk-size", "300"], ["-j", "1"]] {
        let again = report_json(&[extra[0], extra[1], log]);
        assert_eq!(again["blocklists"], r["blocklists"], "{extra:?}");
        assert_eq!(again["diagnostics"], r["diagnostics"], "{extra:?}");
    }

    // Text: the ranks, the lists and master's messages, each in its section.
    let text = report_text(&[log]);
    let section = text.split("DNS blocklists\n").nth(1).expect("{text}");
    assert!(
        section.contains("  DNSBL RANK   CLIENTS\n           2         1\n           3         2\n           7         1\n"),
        "{section}"
    );
    assert!(
        section.contains("          3  127.0.0.4        zen.dnsbl.test\n"),
        "{section}"
    );
    let master = text
        .split("Master daemon messages\n")
        .nth(1)
        .expect("{text}");
    assert!(
        master.contains("        1  reload -- version 3.7.11"),
        "{master}"
    );

    // merge of two copies doubles every count.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("a.json");
    std::fs::write(&saved, r.to_string()).unwrap();
    let merged = merge_json(&[&saved, &saved]);
    assert_eq!(
        merged["blocklists"]["ranks"][1],
        json!({"rank": 3, "count": 4})
    );
    assert_eq!(
        merged["blocklists"]["listings"][0],
        json!({"list": "zen.dnsbl.test", "reply": "127.0.0.4", "count": 6})
    );
    assert_eq!(merged["connections"]["postscreen DNSBL listed"], 8);
}

#[test]
fn section_tables_in_csv() {
    let log = testdata("real/postfix-maillog.log");
    let log = log.to_str().unwrap();
    let csv_of = |by: &str, log: &str| report_csv(&["--by", by, log]);
    // Every problem row, with the counts the JSON report has.
    let r = report_json(&[log]);
    let problems = csv_of("problem", log);
    assert_eq!(problems.len(), r["problems"].as_array().unwrap().len());
    let total: u64 = problems
        .iter()
        .map(|row| row[5].parse::<u64>().unwrap())
        .sum();
    let want: u64 = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, want);
    let user_unknown = problems
        .iter()
        .find(|row| row[4].contains("User unknown in virtual mailbox table"))
        .expect("a user-unknown row");
    assert_eq!(user_unknown[2..4], ["550".to_string(), "5.1.1".to_string()]);
    assert!(
        !user_unknown[7].is_empty(),
        "advice column: {user_unknown:?}"
    );

    // Warnings and master messages: pflogsumm's totals.
    let diagnostics = csv_of("diagnostic", log);
    let sum = |severity: &str| -> u64 {
        diagnostics
            .iter()
            .filter(|row| row[2] == severity)
            .map(|row| row[4].parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!((sum("warning"), sum("info")), (318, 2));

    // Blocklists.
    let postscreen = testdata("postscreen/mail.log");
    let postscreen = postscreen.to_str().unwrap();
    assert_eq!(
        csv_of("dnsbl-rank", postscreen),
        [["2", "1"], ["3", "2"], ["7", "1"]]
    );
    assert_eq!(
        csv_of("blocklist", postscreen)[0],
        ["zen.dnsbl.test", "127.0.0.4", "3"]
    );
}

#[test]
fn problem_csv_cells_never_start_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("evil.log");
    std::fs::write(
        &log,
        "Nov 24 12:00:00 mx postfix/smtp[1]: 4A5B6C7D8E: to=<=HYPERLINK(\"x\")@evil.test>, relay=mx.evil.test[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx.evil.test[192.0.2.9] said: 550 =cmd|' /C calc'!A0 (in reply to RCPT TO command))\n",
    )
    .unwrap();
    let rows = report_csv(&["--by", "problem", log.to_str().unwrap()]);
    assert_eq!(rows.len(), 1);
    for cell in &rows[0] {
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "{cell:?} in {:?}",
            rows[0]
        );
    }
    assert!(rows[0][4].starts_with("'="), "{:?}", rows[0]);
}

#[test]
fn section_tables_in_text_print_that_section_alone() {
    let log = testdata("real/postfix-maillog.log");
    let log = log.to_str().unwrap();
    for (by, title) in [
        (
            "problem",
            "Problems by reply code, enhanced code and reason",
        ),
        ("diagnostic", "Warnings, errors, fatal errors and panics"),
    ] {
        let text = report_text(&["--by", by, log]);
        assert!(text.starts_with(&format!("\n{title}\n")), "{by}: {text}");
        assert!(!text.contains("Replies by class"), "{by}");
        assert!(
            !text.contains("more; --detail 0 shows all"),
            "{by}: every row"
        );
    }
    let postscreen = testdata("postscreen/mail.log");
    let text = report_text(&["--by", "blocklist", postscreen.to_str().unwrap()]);
    assert!(text.starts_with("\nDNS blocklists\n"), "{text}");
}
