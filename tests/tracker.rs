//! What the message tracker decides from several lines of one message: Exim host errors
//! repeated by address lines, content-filter copies, the `--year` rule and forgotten ids,
//! each exact for any chunk size and thread count (testdata/tracker, our own lines).

mod common;
use common::*;
use serde_json::{json, Value};

const EXIM: &str = "tracker/exim-mx-fallback.log";
const POSTFIX: &str = "tracker/postfix-amavis.log";

/// The JSON report of `file`, checked to be the same for every chunking and thread count.
fn chunk_proof(file: &str) -> Value {
    let base = report_json(&[file]);
    for threads in ["1", "3"] {
        for chunk in ["1", "61", "300", "1048576"] {
            assert_eq!(
                report_json(&["--threads", threads, "--chunk-size", chunk, file]),
                base,
                "threads {threads} chunk {chunk}"
            );
        }
    }
    base
}

#[test]
fn exim_host_errors_count_once_per_reply() {
    let r = chunk_proof(&testdata_arg(EXIM));
    // 421: mx1 refused message 1 (mx2 took it) and message 2 twice; no address line
    // repeats them. 451: mx2's greylisting, on the two address lines that repeat it (the
    // flagless line is not counted again). 452: message 3's first attempt (its address line
    // says only "Connection timed out") and its second, repeated by the address line.
    // 550: the old-layout bounce and the sender-verify answer.
    assert_eq!(
        table(&r, "by_code"),
        rows(&[("250", 3), ("421", 3), ("451", 2), ("452", 2), ("550", 2)])
    );
    assert_eq!(
        r["by_event"],
        json!({"delivered": 3, "deferred": 4, "bounced": 1, "expired": 0, "rejected": 2,
            "reject_warning": 0, "held": 0, "discarded": 0, "filtered": 0})
    );
    // The sync error and the dropped call: rejections with no code.
    assert_eq!(r["no_code"]["by_event"]["rejected"], 2);
    assert_eq!(r["connections"]["exim connection failures"], 1);
    // The 421s are problems without an event, once each.
    let problems = r["problems"].as_array().unwrap();
    let count = |code: u64| -> u64 {
        problems
            .iter()
            .filter(|p| p["code"] == code && p["event"].is_null())
            .map(|p| p["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!((count(421), count(451), count(452)), (3, 0, 1));
}

#[test]
fn a_filters_copy_is_not_received_again() {
    let r = chunk_proof(&testdata_arg(POSTFIX));
    // Two messages from clients (one handed back before its copy's lines, one after) and
    // one from pickup; the copies re-injected from 127.0.0.1 are not arrivals.
    assert_eq!(r["received"], 3);
    assert_eq!(r["bytes_received"], 1200 + 3000 + 500);
    assert_eq!(r["by_event"]["filtered"], 2);
    assert_eq!(r["by_event"]["delivered"], 3);
    let hours: Vec<(u64, u64)> = r["received_by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["hour"].as_u64().unwrap(), h["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(hours, vec![(10, 1), (11, 1), (12, 1)]);
    let keys = |table: &str| -> Vec<(String, u64)> {
        r["parties"][table]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["key"].as_str().unwrap().to_string(),
                    row["messages"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let mut senders = keys("senders");
    senders.sort();
    assert_eq!(
        senders,
        vec![
            ("sam@ext.test".to_string(), 1),
            ("tia@ext.test".to_string(), 1),
            ("win@gw.test".to_string(), 1)
        ]
    );
    assert!(
        keys("sending_hosts")
            .iter()
            .all(|(k, _)| !k.contains("127.0.0.1")),
        "{:?}",
        keys("sending_hosts")
    );
    // Postfix's 450 greylisting reject asked the client to come back.
    assert_eq!(r["rejected_temporary"], 1);
}

/// A log of `lines` lines: message A arrives, `gap` lines of other ids that never finish,
/// then A is delivered and removed.
fn gappy_log(gap: usize) -> Vec<u8> {
    let mut log = Vec::new();
    log.extend_from_slice(
        b"Nov  3 10:00:00 gw postfix/smtpd[1]: 1234567890A: client=a.test[192.0.2.1]\n",
    );
    log.extend_from_slice(b"Nov  3 10:00:00 gw postfix/qmgr[2]: 1234567890A: from=<a@a.test>, size=100, nrcpt=1 (queue active)\n");
    for i in 0..gap {
        log.extend_from_slice(
            format!(
                "Nov  3 10:00:01 gw postfix/smtpd[1]: {:X}: client=b.test[192.0.2.2]\n",
                0x1000_0000u64 + i as u64
            )
            .as_bytes(),
        );
    }
    log.extend_from_slice(b"Nov  3 10:00:02 gw postfix/smtp[3]: 1234567890A: to=<c@c.test>, relay=c.test[192.0.2.3]:25, delay=2, delays=0/0/1/1, dsn=2.0.0, status=sent (250 ok)\n");
    log.extend_from_slice(b"Nov  3 10:00:02 gw postfix/qmgr[2]: 1234567890A: removed\n");
    log
}

#[test]
fn ids_silent_too_many_lines_are_forgotten_and_totals_marked() {
    let dir = tempfile::tempdir().unwrap();
    let max = smtplog::count::MAX_SILENT_LINES as usize;
    for (gap, messages, accuracy) in [
        (1000, 1001, "exact"),
        (max + 1, max as u64 + 3, "estimated"),
    ] {
        let file = dir.path().join(format!("gap{gap}.log"));
        std::fs::write(&file, gappy_log(gap)).unwrap();
        let file = file.to_string_lossy().into_owned();
        let base = report_json(&[&file]);
        // `messages` counts A twice once it was forgotten; nothing else can tell.
        assert_eq!(
            (
                base["messages"].as_u64(),
                base["messages_accuracy"].as_str()
            ),
            (Some(messages), Some(accuracy)),
            "gap {gap}"
        );
        for chunk in ["4096", "65536"] {
            assert_eq!(
                report_json(&["--threads", "2", "--chunk-size", chunk, &file]),
                base,
                "gap {gap} chunk {chunk}"
            );
        }
        if accuracy == "estimated" {
            let text = report_text(&[&file]);
            assert!(text.contains(&format!("Messages: ~{messages}")), "{text}");
            // The brief report and the HTML cards mark them too.
            let brief = String::from_utf8(stdout_of(["report", "--year", "2026", &file])).unwrap();
            assert!(
                brief.contains(&format!("~{messages} distinct messages")),
                "{brief}"
            );
            let page = String::from_utf8(stdout_of([
                "report", "--year", "2026", "--format", "html", &file,
            ]))
            .unwrap();
            assert!(page.contains("<span class=\"value\">~"), "{page}");
        }
    }
}

#[test]
fn year_is_the_first_lines_and_rolls_over() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("newyear.log");
    std::fs::write(
        &file,
        "Dec 30 23:59:00 gw postfix/smtpd[1]: connect from a.test[192.0.2.1]\n\
         Dec 31 12:00:00 gw postfix/smtpd[1]: connect from a.test[192.0.2.1]\n\
         Jan  2 00:00:01 gw postfix/smtpd[1]: connect from a.test[192.0.2.1]\n\
         Feb 29 00:00:01 gw postfix/smtpd[1]: connect from a.test[192.0.2.1]\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();
    let r: Value = serde_json::from_slice(&stdout_of([
        "report", "--format", "json", "--year", "2025", &file,
    ]))
    .unwrap();
    let days: Vec<&str> = r["by_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2025-12-30", "2025-12-31", "2026-01-02"]);
    // 2026 has no Feb 29: a bad stamp, counted and reported, not a 2024 date.
    assert_eq!(
        (
            r["lines"]["bad_stamps"].as_u64(),
            r["lines"]["mail"].as_u64()
        ),
        (Some(1), Some(4))
    );
    let text = String::from_utf8(stdout_of(["report", "--year", "2025", &file])).unwrap();
    assert!(
        text.contains("1 lines have a date that does not exist"),
        "{text}"
    );
}

#[test]
fn unknown_domain_delays_are_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nodelay.log");
    std::fs::write(
        &file,
        "2026-11-03 10:00:00 1wAbCd-000101-Aa <= a@here.test U=a P=local S=10\n\
         2026-11-03 10:00:01 1wAbCd-000101-Aa => b@far.test R=dnslookup T=remote_smtp H=mx.far.test [198.51.100.2] C=\"250 OK\"\n\
         2026-11-03 10:00:01 1wAbCd-000101-Aa => |/usr/bin/procmail R=userforward T=address_pipe\n\
         2026-11-03 10:00:01 1wAbCd-000101-Aa Completed\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();
    let r = report_json(&[&file]);
    let domains = r["parties"]["recipient_domains"]["rows"]
        .as_array()
        .unwrap();
    // The pipe is a local delivery, not a domain; far.test has no delay data.
    assert_eq!(domains.len(), 1, "{domains:?}");
    assert_eq!(domains[0]["domain"], "far.test");
    assert!(domains[0]["max_delay_ms"].is_null());
    let text = report_text(&["--by", "recipient-domain", &file]);
    let row = text.lines().find(|l| l.ends_with("far.test")).unwrap();
    assert!(!row.contains("0 ms"), "{text}");
}

/// Host errors taken back after the enhanced-code limit collapsed their codes: the take-back
/// finds the reply under the key it is counted under now, for any chunking.
#[test]
fn host_errors_taken_back_after_codes_collapse() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("many-codes.log");
    let mut data = String::new();
    let n = 1300;
    for i in 0..n {
        let id = format!("1w{:04}-{:06}-Aa", i % 10000, i);
        let code = format!("4.{}.{}", 100 + i / 500, i % 500);
        data.push_str(&format!(
            "2026-11-03 10:00:00 {id} H=mx.far.test [198.51.100.9]: SMTP error from remote mail server after RCPT TO:<u{i}@far.test>: 451 {code} odd\n\
             2026-11-03 10:00:00 {id} == u{i}@far.test R=dnslookup T=remote_smtp defer (-44) H=mx.far.test [198.51.100.9]: SMTP error from remote mail server after RCPT TO:<u{i}@far.test>: 451 {code} odd\n"
        ));
    }
    std::fs::write(&log, data).unwrap();
    let r = chunk_proof(log.to_str().unwrap());
    // One reply per address line: every flagless repeat was taken back.
    assert_eq!(table(&r, "by_code"), rows(&[("451", n)]));
    assert_eq!(r["replies"], n);
    let collapsed: u64 = r["by_enhanced"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["count"].as_u64().unwrap())
        .sum();
    assert_eq!(collapsed, n);
    assert!(
        r["by_enhanced"].to_string().contains("4.*.*"),
        "{}",
        r["by_enhanced"]
    );
}
