//! The default text report (issue 15): what is wrong and what to do, in 80 columns; its
//! baseline comparison, colour, and the papercuts fixed with it. The exact text is pinned
//! by tests/golden.rs; these tests pin the properties that must hold on any log.

mod common;

use common::*;
use unicode_width::UnicodeWidthStr;

fn corpus() -> String {
    testdata_arg("sample-postfix.log")
}

/// `smtplog ARGS` with COLUMNS set and the colour and locale variables cleared.
fn run_at(columns: &str, args: &[&str]) -> std::process::Output {
    smtplog()
        .env("COLUMNS", columns)
        .env_remove("NO_COLOR")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .args(args)
        .output()
        .unwrap()
}

fn text_at(columns: &str, args: &[&str]) -> String {
    let out = run_at(columns, args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn widest(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn corpus_report_is_short_fits_80_columns_and_starts_with_what_is_wrong() {
    let log = corpus();
    let text = text_at("80", &["report", "--year", "2026", &log]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() <= 120, "{} lines", lines.len());
    assert!(widest(&text) <= 80, "{text}");
    let attention = lines.iter().position(|l| *l == "Needs attention").unwrap();
    assert!(attention < 25, "attention starts at line {}", attention + 1);
    assert!(lines[0].contains(&log), "{}", lines[0]);
    assert!(
        lines[1].contains("2026-11-24 12:05:21 to 2026-11-24 12:08:53"),
        "{}",
        lines[1]
    );
    // The first item is a whole paragraph: what, to whom, what it means, the fix.
    let item: Vec<&str> = lines[attention..]
        .iter()
        .skip_while(|l| !l.starts_with(" 1. "))
        .take_while(|l| !l.starts_with(" 2. "))
        .copied()
        .collect();
    let item = item.join("\n");
    for part in [" 1. ", "to: ", "fix: "] {
        assert!(item.contains(part), "{part:?} in {item}");
    }
    // Key figures follow, with the shares.
    assert!(text.contains("  bounced          80  10.1%"), "{text}");
}

#[test]
fn width_follows_columns_and_never_goes_below_40() {
    let log = corpus();
    let wide = text_at("120", &["report", "--year", "2026", &log]);
    assert!(widest(&wide) <= 120 && widest(&wide) > 80, "{wide}");
    let narrow = text_at("20", &["report", "--year", "2026", &log]);
    assert!(widest(&narrow) <= 60, "{narrow}");
    // A path is never split at its hyphens.
    assert!(
        narrow.contains(&log) || narrow.contains("sample-postfix.log"),
        "{narrow}"
    );
    let default = smtplog()
        .env_remove("COLUMNS")
        .args(["report", "--year", "2026", &log])
        .output()
        .unwrap();
    assert!(widest(&String::from_utf8(default.stdout).unwrap()) <= 80);
}

#[test]
fn a_log_without_problems_says_so() {
    let log = testdata("golden/no-problems/mail.log");
    let text = text_at("80", &["report", "--year", "2026", log.to_str().unwrap()]);
    assert!(
        text.contains("Needs attention\n---------------\nNo delivery problems.\n"),
        "{text}"
    );
}

#[test]
fn hostile_reasons_are_escaped_and_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("x.log");
    let long = "word ".repeat(40);
    std::fs::write(
        &log,
        format!("Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<a@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 {long}\u{202e}evil \u{1b}(in reply to RCPT TO command))\n"),
    )
    .unwrap();
    let text = text_at(
        "60",
        &["report", "--color", "always", log.to_str().unwrap()],
    );
    assert!(!text.contains('\u{202e}'), "{text}");
    assert!(text.contains("\\u{"), "{text}");
    assert!(text.contains("word word"), "{text}");
    // Only our own colour codes reach the terminal; without them each line fits.
    let plain = text
        .replace("\x1b[31m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[1m", "")
        .replace("\x1b[0m", "");
    assert!(!plain.contains('\x1b'));
    assert!(widest(&plain) <= 60, "{plain}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let log = corpus();
    let plain = text_at("80", &["report", "--year", "2026", &log]);
    assert!(!plain.contains('\x1b'), "auto is off in a pipe");
    let always = text_at(
        "80",
        &["report", "--year", "2026", "--color", "always", &log],
    );
    assert!(always.contains("\x1b[31m5xx\x1b[0m"), "5xx red");
    assert!(always.contains("\x1b[33m4xx\x1b[0m"), "4xx yellow");
    let never = smtplog()
        .env("NO_COLOR", "1")
        .args(["report", "--year", "2026", "--color", "never", &log])
        .output()
        .unwrap();
    assert!(!String::from_utf8(never.stdout).unwrap().contains('\x1b'));
    // The full report and the other formats never colour.
    let json = text_at(
        "80",
        &[
            "report", "--year", "2026", "--color", "always", "-f", "json", &log,
        ],
    );
    assert!(!json.contains('\x1b'));
}

#[test]
fn full_keeps_every_section() {
    let log = corpus();
    let full = text_at("80", &["report", "--full", "--year", "2026", &log]);
    for section in [
        "Enhanced status codes of replies",
        "Postfix dsn= of delivery status lines",
        "Problems by reply code, enhanced code and reason",
        "Top senders by messages",
    ] {
        assert!(full.contains(section), "{section}");
    }
    let brief = text_at("80", &["report", "--year", "2026", &log]);
    assert!(!brief.contains("Postfix dsn="));
}

#[test]
fn baseline_shows_the_change_and_what_moved_most() {
    let dir = tempfile::tempdir().unwrap();
    let all = std::fs::read_to_string(testdata("sample-postfix.log")).unwrap();
    let early: String = all.lines().take(400).map(|l| format!("{l}\n")).collect();
    let yesterday_log = dir.path().join("yesterday.log");
    std::fs::write(&yesterday_log, early).unwrap();
    let yesterday = dir.path().join("yesterday.json");
    let out = smtplog()
        .args(["report", "--year", "2026", "-f", "json", "-o"])
        .arg(&yesterday)
        .arg(&yesterday_log)
        .output()
        .unwrap();
    assert!(out.status.success());
    let log = corpus();
    let today = dir.path().join("today.txt");
    let out = smtplog()
        .env("COLUMNS", "80")
        .args(["report", "--year", "2026", "--baseline"])
        .arg(&yesterday)
        .arg("-o")
        .arg(&today)
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&today).unwrap();
    assert!(
        text.contains("Compared with: a report of 2026-11-24 12:05:21 to"),
        "{text}"
    );
    assert!(
        text.contains("  bounced          0 ->      80  10.1%"),
        "{text}"
    );
    assert!(
        text.contains(
            "  Moved most since the baseline:\n  - deferred 451 4.3.0 3 -> 77 (to sink.test)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  - expired 0 -> 52 (to partner.example.test), new today\n"),
        "{text}"
    );
    assert!(widest(&text) <= 80);
    // A baseline that is not a JSON report is a clear error.
    let out = smtplog()
        .args(["report", "--year", "2026", "--baseline"])
        .arg(&yesterday_log)
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("smtplog: error: the baseline"), "{err}");
}

#[test]
fn first_and_last_stamps_survive_json_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let all = std::fs::read_to_string(testdata("sample-postfix.log")).unwrap();
    let lines: Vec<&str> = all.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    let mut saved = Vec::new();
    for (name, part) in [("a", a), ("b", b)] {
        let log = dir.path().join(format!("{name}.log"));
        std::fs::write(&log, part.join("\n") + "\n").unwrap();
        let json = dir.path().join(format!("{name}.json"));
        std::fs::write(
            &json,
            stdout_of([
                "report",
                "-f",
                "json",
                "--year",
                "2026",
                log.to_str().unwrap(),
            ]),
        )
        .unwrap();
        saved.push(json);
    }
    let whole = report_json(&[&corpus()]);
    assert_eq!(whole["first_seen"], "2026-11-24 12:05:21");
    assert_eq!(whole["last_seen"], "2026-11-24 12:08:53");
    // Any thread count and chunk size.
    let chunked = report_json(&["-j", "2", "--chunk-size", "4096", &corpus()]);
    assert_eq!(
        (&chunked["first_seen"], &chunked["last_seen"]),
        (&whole["first_seen"], &whole["last_seen"])
    );
    let merged = merge_json(&[&saved[1], &saved[0]]);
    assert_eq!(
        (&merged["first_seen"], &merged["last_seen"]),
        (&whole["first_seen"], &whole["last_seen"])
    );
}

#[test]
fn explain_compares_three_or_more_codes_and_wraps() {
    let text = text_at("80", &["explain", "550", "551", "552", "4.2.2"]);
    assert!(
        text.starts_with("Comparison: 550 Mailbox Unavailable / 551 "),
        "{text}"
    );
    for code in [
        "550  Mailbox",
        "551  User Not Local",
        "552  Exceeded",
        "4.2.2  Mailbox full",
    ] {
        assert!(text.contains(code), "{code}");
    }
    let pairs = text
        .lines()
        .filter(|l| l.starts_with("  - ") && l.contains(" / "))
        .count();
    assert_eq!(pairs, 6, "every pair once: {text}");
    assert!(
        text.contains("  - 552 / 4.2.2: 4.2.2 when the problem may clear by itself"),
        "{text}"
    );
    assert!(widest(&text) <= 80, "{text}");
    // Width from COLUMNS, as the report.
    assert!(widest(&text_at("60", &["explain", "550", "551", "552"])) <= 60);
}

#[test]
fn explain_language_follows_posix_locale_order_and_translates_labels() {
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = smtplog();
        for name in ["LC_ALL", "LC_MESSAGES", "LANG", "COLUMNS"] {
            cmd.env_remove(name);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        String::from_utf8(
            cmd.args(["explain", "550", "551", "452"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
    };
    let fr = run(&[("LC_ALL", "fr_FR.UTF-8"), ("LANG", "tr_TR.UTF-8")]);
    assert!(fr.starts_with("Comparaison"), "{fr}");
    assert!(
        fr.contains("Échec permanent"),
        "class names translated: {fr}"
    );
    assert!(fr.contains("standard (RFC"), "{fr}");
    let tr = run(&[("LC_MESSAGES", "tr_TR.UTF-8"), ("LANG", "fr_FR.UTF-8")]);
    assert!(tr.starts_with("Karşılaştırma"), "{tr}");
    assert!(tr.contains("gönderen"), "actors translated: {tr}");
    let zh = run(&[("LANG", "zh_CN.UTF-8")]);
    assert!(zh.contains("永久否定完成"), "{zh}");
    // Chinese is two columns a character: measured in display columns, it still fits.
    assert!(widest(&zh) <= 80, "{zh}");
}

#[test]
fn by_prints_only_its_breakdown_with_what_it_counts() {
    let log = corpus();
    let text = text_at("80", &["report", "--year", "2026", "--by", "mta", &log]);
    assert!(
        text.starts_with("By mta: lines with a reply code or an event\n"),
        "{text}"
    );
    assert!(!text.contains("Needs attention"), "{text}");
    let codes = text_at(
        "80",
        &["report", "--year", "2026", "--by", "code,day", &log],
    );
    assert!(codes.starts_with("By code, day: reply lines"), "{codes}");
    assert!(codes.contains("  250  2026-11-24"), "{codes}");
    assert!(!codes.contains("Needs attention"));
}

#[test]
fn advice_outside_csv_is_refused() {
    let out = run_at("80", &["report", "--year", "2026", "--advice", &corpus()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("smtplog: error: --advice"), "{err}");
}

#[test]
fn filter_ports_take_a_comma_list_and_show_their_default_so() {
    let help = text_at("200", &["report", "--help"]);
    assert!(
        help.contains("[default: 10024,10025,10026,10030,10032]"),
        "{help}"
    );
    let log = corpus();
    text_at(
        "80",
        &[
            "report",
            "--year",
            "2026",
            "--filter-ports",
            "10024,10025",
            &log,
        ],
    );
}

#[test]
fn every_error_has_one_style() {
    for args in [
        &["report", "--bogus"][..],
        &["explain"][..],
        &["report", "/no/such/file"][..],
    ] {
        let out = run_at("80", args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("smtplog: error: "), "{args:?}: {err}");
    }
}

#[test]
fn help_examples_belong_to_their_command() {
    let report = text_at("200", &["report", "--help"]);
    assert!(!report.contains("smtplog explain 251 551"), "{report}");
    assert!(
        report.contains("smtplog report --baseline yesterday.json"),
        "{report}"
    );
    let codes = text_at("200", &["codes", "--help"]);
    assert!(codes.contains("Examples:\n  smtplog codes"), "{codes}");
    let explain = text_at("200", &["explain", "--help"]);
    assert!(
        explain.contains("smtplog explain 450 451 550 5.7.1"),
        "{explain}"
    );
}

#[test]
fn the_header_names_the_window_and_what_it_left_out() {
    let log = corpus();
    let text = text_at(
        "80",
        &[
            "report",
            "--year",
            "2026",
            "--tz",
            "UTC",
            "--since",
            "2026-11-24T12:06:00Z",
            "--until",
            "2026-11-24T12:07:00Z",
            &log,
        ],
    );
    assert!(
        text.contains("Window: 2026-11-24 12:06:00 +00:00 to 2026-11-24 12:07:00 +00:00"),
        "{text}"
    );
    assert!(
        text.contains("lines were outside the time window"),
        "{text}"
    );
    let first = text.lines().nth(1).unwrap();
    assert!(first.starts_with("Time seen: 2026-11-24 12:06:"), "{first}");
}

#[test]
fn wide_characters_count_two_columns() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cjk.log");
    let reason = "邮箱已满请稍后再试".repeat(6);
    std::fs::write(
        &log,
        format!("Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<a@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.2.2, status=bounced (host mx[192.0.2.1] said: 552 5.2.2 {reason} (in reply to RCPT TO command))\n"),
    )
    .unwrap();
    let text = text_at("80", &["report", "--year", "2026", log.to_str().unwrap()]);
    assert!(text.contains("邮箱已满"), "{text}");
    assert!(widest(&text) <= 80, "{text}");
}

/// The progress bar, drawn on a pseudo-terminal by util-linux `script`: its rate is measured
/// over the run (the first frame once showed `5.54 TiB/s`) and its ETA counts down (it
/// stayed at `0s`). Skipped where `script` is missing, or when the run is too fast for a bar.
#[test]
fn progress_bar_rate_and_eta_are_measured_over_the_run() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no util-linux script");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let corpus = std::fs::read(testdata("sample-postfix.log")).unwrap();
    let big = dir.path().join("big.log");
    std::fs::write(&big, corpus.repeat(40)).unwrap();
    let typescript = dir.path().join("typescript");
    let bin = env!("CARGO_BIN_EXE_smtplog");
    let status = std::process::Command::new("script")
        .arg("-qec")
        .arg(format!(
            "{bin} report --year 2026 -j 1 {} > /dev/null",
            big.display()
        ))
        .arg(&typescript)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let drawn = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
    let frames: Vec<&str> = drawn
        .split(['\r', '\n'])
        .filter(|f| f.contains("/s eta "))
        .collect();
    if frames.is_empty() {
        eprintln!("skipped: the run ended before the bar appeared");
        return;
    }
    for frame in &frames {
        assert!(
            !frame.contains("TiB/s") && !frame.contains("GiB/s"),
            "{frame}"
        );
    }
    let etas: Vec<&str> = frames
        .iter()
        .filter_map(|f| f.rsplit("eta ").next())
        .map(str::trim)
        .collect();
    assert!(etas.iter().any(|e| *e != "0s"), "{etas:?}");
}

#[test]
fn detail_sets_the_rows_of_domains_hosts_and_warnings() {
    let log = testdata("real/postfix-maillog.log");
    let log = log.to_str().unwrap();
    let more = |detail: &str| -> Vec<String> {
        text_at(
            "80",
            &["report", "--color", "never", "--detail", detail, log],
        )
        .lines()
        .filter(|l| l.ends_with("more; --detail 0 shows all)"))
        .map(str::to_string)
        .collect()
    };
    // 12 recipient domains, 3 sending hosts, 10 kinds of warning.
    assert_eq!(
        more("1"),
        [
            "  (11 more; --detail 0 shows all)",
            "  (2 more; --detail 0 shows all)",
            "  (9 more; --detail 0 shows all)"
        ]
    );
    let default = text_at("80", &["report", "--color", "never", log]);
    assert_eq!(
        more("3"),
        [
            "  (9 more; --detail 0 shows all)",
            "  (7 more; --detail 0 shows all)"
        ]
    );
    assert!(default.contains("  (9 more; --detail 0 shows all)\n\nSending hosts"));
    assert!(more("0").is_empty());
    assert!(more("50").is_empty());
}
