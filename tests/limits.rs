//! Tables keyed by what a log says stay bounded: enhanced codes outside the catalogue,
//! days and daemon names are listed up to a limit, then counted under one key, marked in
//! JSON and text, the same for any thread count and chunk size.

mod common;
use common::*;
use serde_json::Value;
use smtplog::limits::{MAX_DAYS, MAX_OTHER_CODES, MAX_OTHER_DAEMONS};

/// A bounce with reply `550 CODE` and `dsn=CODE`, stamped `stamp`.
fn bounce(stamp: &str, code: &str) -> String {
    format!(
        "{stamp} mx1 postfix/smtp[2]: 80403B82BD: to=<a@b.test>, relay=mx[192.0.2.1]:25, delay=1, \
         delays=0/0/0/1, dsn={code}, status=bounced (host mx[192.0.2.1] said: 550 {code} no \
         (in reply to RCPT TO command))\n"
    )
}

/// Codes outside the catalogue: 5.100.0, 5.100.1, ...
fn odd_codes(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("5.{}.{}", 100 + i / 1000, i % 1000))
        .collect()
}

fn write_log(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The JSON report of a log, checked to be the same with 1 and 2 threads and tiny chunks.
fn stable_json(log: &str) -> Value {
    let one = report_json(&["-j", "1", log]);
    for args in [
        ["-j", "2", "--chunk-size", "1000"],
        ["-j", "2", "--chunk-size", "333"],
    ] {
        let mut all = args.to_vec();
        all.push(log);
        assert_eq!(report_json(&all), one, "{args:?}");
    }
    one
}

#[test]
fn enhanced_codes_outside_the_catalogue_collapse_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let stamp = "Nov 24 12:05:23";
    let mut text: String = odd_codes(MAX_OTHER_CODES)
        .iter()
        .map(|c| bounce(stamp, c))
        .collect();
    text.push_str(&bounce(stamp, "5.1.1"));
    let at_limit = write_log(&dir, "at.log", &text);
    let r = stable_json(&at_limit);
    assert_eq!(r["limits"]["enhanced_codes"], false);
    assert_eq!(
        r["by_enhanced"].as_array().unwrap().len(),
        MAX_OTHER_CODES + 1
    );

    // One more code outside the catalogue: all of them are one row, the catalogue's stay.
    text.push_str(&bounce(stamp, "5.999.999"));
    text.push_str(&bounce(stamp, "5.1.1"));
    let over = write_log(&dir, "over.log", &text);
    let r = stable_json(&over);
    assert_eq!(r["limits"]["enhanced_codes"], true);
    let odd = MAX_OTHER_CODES as u64 + 1;
    assert_eq!(
        table(&r, "by_enhanced"),
        rows(&[("5.*.*", odd), ("5.1.1", 2)])
    );
    assert_eq!(table(&r, "by_dsn"), rows(&[("5.*.*", odd), ("5.1.1", 2)]));
    assert_eq!(r["replies"], odd + 2);
    let problems = r["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    let other = problems.iter().find(|p| p["enhanced"] == "5.*.*").unwrap();
    assert_eq!(other["count"], odd);
    assert_eq!(other["examples"].as_array().unwrap().len(), 0);
    let shown = report_text(&[&over]);
    assert!(shown.contains("Limit: enhanced codes outside the catalogue are counted as 2.*.*, 4.*.* and 5.*.* (more than 1000 of them)"));
    assert!(shown.contains("5.*.*"), "{shown}");
    // The collapsed report merges back to itself, and collapses a report that did not.
    let saved = write_log(&dir, "over.json", &serde_json::to_string(&r).unwrap());
    let merged = merge_json(&[&saved]);
    assert_eq!(merged["by_enhanced"], r["by_enhanced"]);
    assert_eq!(merged["limits"], r["limits"]);
    let small = write_log(&dir, "small.log", &bounce(stamp, "5.100.0"));
    let small = write_log(
        &dir,
        "small.json",
        &serde_json::to_string(&report_json(&[&small])).unwrap(),
    );
    let merged = merge_json(&[&saved, &small]);
    assert_eq!(
        table(&merged, "by_enhanced"),
        rows(&[("5.*.*", odd + 1), ("5.1.1", 2)])
    );
    assert_eq!(merged["limits"]["enhanced_codes"], true);
}

/// A bounce at 10:00 UTC on each of `n` days from 2000-01-01.
fn days(n: usize) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    (0..n)
        .map(|i| {
            let day = start + chrono::Days::new(i as u64);
            bounce(&format!("{day}T10:00:00+00:00"), "5.1.1")
        })
        .collect()
}

#[test]
fn days_collapse_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let r = stable_json(&write_log(&dir, "at.log", &days(MAX_DAYS)));
    assert_eq!(r["limits"]["days"], false);
    assert_eq!(r["by_day"].as_array().unwrap().len(), MAX_DAYS);

    let over = write_log(&dir, "over.log", &days(MAX_DAYS + 1));
    let r = stable_json(&over);
    assert_eq!(r["limits"]["days"], true);
    let by_day = r["by_day"].as_array().unwrap();
    assert_eq!(by_day.len(), 1);
    assert_eq!(by_day[0]["day"], "all days");
    assert_eq!(by_day[0]["lines"], MAX_DAYS as u64 + 1);
    assert_eq!(by_day[0]["replies"], MAX_DAYS as u64 + 1);
    assert!(r["facts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["day"] == "all days"));
    let shown = report_text(&[&over]);
    assert!(
        shown.contains(
            "Limit: every day is counted as \"all days\" (more than 3660 different days)"
        ),
        "{shown}"
    );
    let saved = write_log(&dir, "over.json", &serde_json::to_string(&r).unwrap());
    assert_eq!(merge_json(&[&saved])["by_day"], r["by_day"]);
}

#[test]
fn daemon_names_collapse_past_the_limit_and_postfix_daemons_stay() {
    let dir = tempfile::tempdir().unwrap();
    let warning = |daemon: &str| {
        format!("Nov 24 12:05:23 mx1 postfix/{daemon}[1]: warning: something is odd\n")
    };
    let mut text: String = (0..MAX_OTHER_DAEMONS)
        .map(|i| warning(&format!("p{i}")))
        .collect();
    text.push_str(&warning("smtpd"));
    let r = stable_json(&write_log(&dir, "at.log", &text));
    assert_eq!(r["limits"]["daemons"], false);
    assert_eq!(
        r["diagnostics"].as_array().unwrap().len(),
        MAX_OTHER_DAEMONS + 1
    );

    text.push_str(&warning("one-more"));
    let over = write_log(&dir, "over.log", &text);
    let r = stable_json(&over);
    assert_eq!(r["limits"]["daemons"], true);
    let mut programs: Vec<(String, u64)> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["program"].as_str().unwrap().to_string(),
                d["count"].as_u64().unwrap(),
            )
        })
        .collect();
    programs.sort();
    assert_eq!(
        programs,
        rows(&[
            ("(other daemons)", MAX_OTHER_DAEMONS as u64 + 1),
            ("smtpd", 1)
        ])
    );
    let shown = report_text(&[&over]);
    assert!(
        shown.contains("Limit: daemon names besides Postfix's own are counted as (other daemons) (more than 100 of them)"),
        "{shown}"
    );
}

#[test]
fn max_distinct_zero_keeps_every_key_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..300)
        .map(|i| {
            format!(
                "Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<user{i}@b.test>, \
                 relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n"
            )
        })
        .collect();
    let log = write_log(&dir, "many.log", &text);
    let r = report_json(&["--max-distinct", "0", &log]);
    let recipients = &r["parties"]["recipients"];
    assert_eq!(recipients["distinct"], 300);
    assert_eq!(recipients["accuracy"], "exact");
    assert_eq!(recipients["complete"], true);
}

#[test]
fn too_many_combinations_of_day_hour_and_code_collapse_the_days() {
    use smtplog::limits::MAX_FACTS;
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    // Reply codes 200-599, 24 hours, then the next day: every line a different fact, with
    // only 21 days.
    let line = |i: usize| {
        let day = start + chrono::Days::new((i / 9600) as u64);
        format!(
            "{day}T{:02}:00:00+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from \
             x.test[192.0.2.1]: {} 5.7.1 <a@b.test>: no; from=<c@d.test> to=<a@b.test> \
             proto=ESMTP helo=<x.test>\n",
            i / 400 % 24,
            200 + i % 400
        )
    };
    // (src/count/collapse.rs tests the boundary itself: a JSON of 200000 facts is slow to check.)
    let text: String = (0..=MAX_FACTS).map(line).collect();
    let over = write_log(&dir, "over.log", &text);
    let r = stable_json(&over);
    assert_eq!(r["limits"]["facts_level"], 2);
    assert_eq!(r["limits"]["days"], true);
    let facts = r["facts"].as_array().unwrap();
    assert!(facts
        .iter()
        .all(|f| f["day"] == "all days" && f["hour"].is_u64()));
    // 400 codes in 24 hours; the totals are whole.
    assert_eq!(facts.len(), 24 * 400);
    assert_eq!(r["replies"], MAX_FACTS as u64 + 1);
    assert_eq!(r["by_event"]["rejected"], MAX_FACTS as u64 + 1);
    assert_eq!(r["by_day"].as_array().unwrap().len(), 1);
    let shown = report_text(&[&over]);
    assert!(
        shown.contains("days, or more than 200000 combinations of day, hour and codes)"),
        "{shown}"
    );
    let saved = write_log(&dir, "over.json", &serde_json::to_string(&r).unwrap());
    assert_eq!(merge_json(&[&saved])["limits"], r["limits"]);
}

#[test]
fn the_fact_level_does_not_depend_on_chunks_when_codes_collapse_first() {
    use smtplog::count::Summary;
    use smtplog::parse::Parser;
    use smtplog::report::Report;
    use smtplog::scan::{count_chunk, Window};
    use smtplog::stamp::YearRule;
    // A different code outside the catalogue and hour on most lines: the codes collapse
    // early, and only the facts as they would be without that pass the fact limit.
    let n = smtplog::limits::MAX_FACTS + 5000;
    let text: String = (0..n)
        .map(|i| {
            let stamp = format!("Nov 24 {:02}:00:00", i % 24);
            bounce(
                &stamp,
                &format!("5.{}.{}", 100 + i / 24 / 1000, i / 24 % 1000),
            )
        })
        .collect();
    let count = |data: &[u8]| {
        count_chunk(
            &Parser::new(),
            data,
            &YearRule::fixed(2026),
            &Window::default(),
        )
    };
    let report = |mut s: Summary| {
        s.finish();
        Report::new(&s)
    };
    let mut whole = Summary::new();
    whole.append(count(text.as_bytes()));
    let whole = report(whole);
    assert_eq!(whole.limits.facts_level, 1);
    assert!(whole.limits.enhanced_codes);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut parts = Summary::new();
    for chunk in lines.chunks(400) {
        parts.append(count(chunk.concat().as_bytes()));
    }
    assert_eq!(report(parts), whole);
}

#[test]
fn hours_say_over_how_many_days_they_sum() {
    let dir = tempfile::tempdir().unwrap();
    let brief = |log: &str| String::from_utf8(stdout_of(["report", "--tz", "UTC", log])).unwrap();
    let html = |log: &str| {
        String::from_utf8(stdout_of([
            "report", "--tz", "UTC", "--format", "html", log,
        ]))
        .unwrap()
    };

    let two = write_log(&dir, "two.log", &days(2));
    assert!(report_text(&["--tz", "UTC", &two])
        .contains("Per-hour traffic (daily average over 2 days)"));
    let shown = brief(&two);
    assert!(shown.contains("summed over 2 days."), "{shown}");
    assert!(shown.contains("\nBy day\n"), "{shown}");
    let page = html(&two);
    assert!(page.contains("Totals over 2 days, and the daily average."));
    assert!(page.contains("Traffic per hour of the day, summed over 2 days (data: "));

    // Past the limit every day is one row: the hours are totals of days not counted.
    let over = write_log(&dir, "over.log", &days(MAX_DAYS + 1));
    assert!(report_text(&["--tz", "UTC", &over]).contains(&format!(
        "Per-hour traffic (totals of more than {MAX_DAYS} days)"
    )));
    let shown = brief(&over);
    assert!(shown.contains("summed over all days."), "{shown}");
    assert!(!shown.contains("\nBy day\n"), "{shown}");
    let page = html(&over);
    assert!(!page.contains("Totals over"));
    assert!(page.contains("Traffic per hour of the day (data: "));
}
