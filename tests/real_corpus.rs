//! Exact counts on the logs written by real Postfix 3.7 and Exim 4.96 (testdata/real).
//!
//! Each figure was checked by hand against the log (grep), the reply sink's transcript and
//! pflogsumm/eximstats output; README.md says where and why ours differ.

mod common;
use common::*;
use serde_json::json;

const POSTFIX: &str = "real/postfix-maillog.log";
const POSTFIX_RFC3339: &str = "real/postfix-maillog.rfc3339.log";
const EXIM: &str = "real/exim-mainlog.log";

#[test]
fn postfix_counts() {
    let r = report_json(&[&testdata_arg(POSTFIX)]);
    assert_eq!(
        r["lines"],
        json!({"total": 3899, "mail": 3899, "other": 0, "unrecognised": 0, "overlong": 0, "malformed": 0, "outside_window": 0,
            "debug": 306, "bad_stamps": 0})
    );
    // pflogsumm: 216 received; 402 queue ids (216 received + 186 bounces and notices made by Postfix).
    assert_eq!(
        (
            r["messages"].as_u64(),
            r["received"].as_u64(),
            r["replies"].as_u64()
        ),
        (Some(402), Some(216), Some(553))
    );
    assert_eq!(
        table(&r, "by_code"),
        rows(&[
            ("250", 130),
            ("451", 109),
            ("452", 81),
            ("421", 59),
            ("550", 36),
            ("554", 33),
            ("450", 27),
            ("521", 16),
            ("454", 15),
            ("504", 8),
            ("553", 7),
            ("530", 6),
            ("552", 6),
            ("551", 4),
            ("501", 3),
            ("503", 3),
            ("500", 2),
            ("535", 2),
            ("541", 2),
            ("555", 2),
            ("556", 2),
        ])
    );
    assert_eq!(
        table(&r, "by_enhanced"),
        rows(&[
            ("2.0.0", 130),
            ("4.3.0", 77),
            ("5.7.1", 40),
            ("4.2.2", 39),
            ("4.3.2", 30),
            ("4.7.0", 29),
            ("4.3.1", 28),
            ("4.2.1", 23),
            ("4.7.1", 23),
            ("5.1.1", 21),
            ("5.3.2", 16),
            ("4.1.8", 14),
            ("4.4.2", 14),
            ("4.5.3", 14),
            ("5.5.2", 11),
            ("5.7.0", 6),
            ("5.1.3", 5),
            ("5.1.6", 4),
            ("5.5.1", 4),
            ("5.1.8", 3),
            ("5.2.2", 3),
            ("5.3.4", 3),
            ("5.1.10", 2),
            ("5.2.1", 2),
            ("5.4.1", 2),
            ("5.5.4", 2),
            ("5.7.8", 2),
            ("5.5.0", 1),
        ])
    );
    // The status= counts of the corpus README, and pflogsumm's rejected/held/discarded/reject warnings.
    assert_eq!(
        r["by_event"],
        json!({"delivered": 281, "deferred": 380, "bounced": 80, "expired": 52,
        "rejected": 35, "reject_warning": 1, "held": 2, "discarded": 2, "filtered": 0})
    );
    // The 4xx rejects (smtpd 450/451/452/454 and postscreen 450) asked the client to retry.
    assert_eq!(r["rejected_temporary"], 7);
    assert_eq!(
        r["by_class"],
        json!({"2xx": 130, "3xx": 0, "4xx": 291, "5xx": 132})
    );
    assert_eq!(r["no_code"]["total"], 279);
    assert_eq!(
        r["no_code"]["by_event"],
        json!({"bounced": 6, "deferred": 64, "delivered": 151, "expired": 52, "held": 2, "discarded": 2, "rejected": 2})
    );
    assert_eq!(r["by_day"].as_array().unwrap().len(), 1);
    assert_eq!(r["by_day"][0]["day"], "2026-11-24");
    assert_eq!(r["by_day"][0]["lines"], 3899);
}

#[test]
fn both_postfix_timestamp_styles_give_identical_reports() {
    assert_eq!(
        report_json(&[&testdata_arg(POSTFIX)]),
        report_json(&[&testdata_arg(POSTFIX_RFC3339)])
    );
}

#[test]
fn exim_counts() {
    let r = report_json(&[&testdata_arg(EXIM)]);
    assert_eq!(r["lines"]["total"], 2517);
    assert_eq!(r["lines"]["unrecognised"], 0);
    // eximstats: 397 received (<=); 281 => deliveries; 551 == lines; 134 ** lines.
    assert_eq!(
        (
            r["messages"].as_u64(),
            r["received"].as_u64(),
            r["replies"].as_u64()
        ),
        (Some(402), Some(397), Some(457))
    );
    assert_eq!(
        r["by_event"],
        json!({"delivered": 281, "deferred": 551, "bounced": 84, "expired": 50,
        "rejected": 43, "reject_warning": 0, "held": 0, "discarded": 0, "filtered": 0})
    );
    // The synchronization error (a client talking before the greeting) is the 43rd reject.
    assert_eq!(r["no_code"]["by_event"]["rejected"], 23);
    // `H=127.0.0.1 [127.0.0.1]:2999 Connection refused` and the like: hosts not reached.
    assert_eq!(r["connections"]["exim connection failures"], 6);
    // Every flagless host error with a code is repeated by an address line: counted there.
    // Sending hosts by name, else address (the HELO is the client's claim): 127.0.0.20
    // sent under two HELO names, which eximstats lists apart.
    assert_eq!(r["parties"]["sending_hosts"]["distinct"], 4);
    assert_eq!(r["rejected_temporary"], 12);
    assert_eq!(
        table(&r, "by_code"),
        rows(&[
            ("250", 133),
            ("451", 95),
            ("452", 64),
            ("421", 43),
            ("550", 34),
            ("450", 16),
            ("554", 15),
            ("454", 11),
            ("553", 8),
            ("535", 7),
            ("530", 6),
            ("552", 5),
            ("551", 4),
            ("500", 2),
            ("501", 2),
            ("503", 2),
            ("504", 2),
            ("521", 2),
            ("541", 2),
            ("555", 2),
            ("556", 2),
        ])
    );
    assert_eq!(
        r["by_class"],
        json!({"2xx": 133, "3xx": 0, "4xx": 229, "5xx": 95})
    );
}

#[test]
fn file_order_threads_and_chunk_sizes_do_not_change_results() {
    let (p, e) = (testdata_arg(POSTFIX), testdata_arg(EXIM));
    let base = report_json(&[&p, &e]);
    assert_eq!(base["messages"], 804);
    assert_eq!(report_json(&[&e, &p]), base);
    for threads in ["1", "2", "5"] {
        for chunk in ["1", "97", "4096", "1048576"] {
            assert_eq!(
                report_json(&["--threads", threads, "--chunk-size", chunk, &p, &e]),
                base,
                "threads {threads} chunk {chunk}"
            );
        }
    }
}

#[test]
fn stdin_and_gzip_give_the_same_counts() {
    use std::io::Write;
    let plain = std::fs::read(testdata(POSTFIX)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("mail.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&plain).unwrap();
    enc.finish().unwrap();
    let base = report_json(&[&testdata_arg(POSTFIX)]);
    assert_eq!(report_json(&[gz.to_str().unwrap()]), base);
    let out = smtplog()
        .args(["report", "--format", "json", "--year", "2026", "-"])
        .write_stdin(plain)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        base
    );
}

#[test]
fn text_report_explains_codes() {
    let text = report_text(&[&testdata_arg(POSTFIX)]);
    for needle in [
        "Replies by code",
        "Mailbox Unavailable",
        "Events without a reply code",
        "2026-11-24",
        "Messages: 402",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}
