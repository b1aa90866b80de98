//! Promises of `--help` and the README that no other test would notice breaking: the exit
//! statuses in both helps, the errors of `--baseline`, `merge`, `events`, windows and
//! `--format prom`, `--color auto` on a terminal, the bases of `--fail-if` shares, and the
//! defaults of `--top` and `--detail`.

mod common;
use common::*;
use serde_json::Value;

/// Exit code, stdout and stderr of `smtplog ARGS`.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = smtplog().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const EXIT_STATUS: &str = "\
Exit status:
  0  every input was read and held Postfix or Exim lines; the report was written
  1  a report was written, but some input could not be read (or only partly)
  2  usage error, nothing could be read, or the report could not be written
  3  a report was written, and a --fail-if threshold was exceeded
  4  a report was written, but no line was a Postfix or Exim line (or the window kept none)";

#[test]
fn both_helps_end_with_the_exit_statuses() {
    for (args, last_example) in [
        (&["--help"][..], "  smtplog merge mx1.json mx2.json\n\n"),
        (
            &["report", "--help"][..],
            "  smtplog report --format csv --by problem --advice /var/log/mail.log > problems.csv\n\n",
        ),
    ] {
        let (code, help, _) = run(args);
        assert_eq!(code, Some(0));
        assert!(
            help.ends_with(&format!("{last_example}{EXIT_STATUS}\n")),
            "{args:?}: {help}"
        );
    }
    // The README's table has the same five.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme.split("## Exit status").nth(1).unwrap();
    for code in 0..=4 {
        assert!(
            table.contains(&format!("\n| {code} | ")),
            "README: exit {code}"
        );
    }
}

#[test]
fn a_baseline_that_cannot_be_read_is_named() {
    let log = testdata_arg("sample-postfix.log");
    for format in ["text", "html"] {
        let (code, stdout, stderr) = run(&[
            "report",
            "--year",
            "2026",
            "--format",
            format,
            "--baseline",
            "/nonexistent/yesterday.json",
            &log,
        ]);
        assert_eq!(code, Some(2), "{format}");
        assert_eq!(stdout, "", "{format}");
        assert!(
            stderr.starts_with(
                "smtplog: error: cannot read the baseline /nonexistent/yesterday.json: "
            ),
            "{format}: {stderr}"
        );
    }
    // Not a report: the same for HTML as for text (tests/brief.rs checks text).
    let (code, _, stderr) = run(&[
        "report",
        "--year",
        "2026",
        "--format",
        "html",
        "--baseline",
        &log,
        &log,
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("is not a JSON report of smtplog (--format json)"),
        "{stderr}"
    );
}

#[test]
fn merge_of_nothing_mergeable_exits_2_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = save_json(dir.path(), "bogus.json", &serde_json::json!({"hello": 1}));
    let (code, stdout, stderr) = run(&["merge", bogus.to_str().unwrap(), "/nonexistent/a.json"]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout, "");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(lines[0].contains("bogus.json"), "{stderr}");
    assert!(
        lines[1].contains("cannot read /nonexistent/a.json"),
        "{stderr}"
    );
    assert_eq!(lines[2], "smtplog: error: no report could be merged");
}

/// `events` needs logs unless `--schema` is given (clap says so, before `run_events`).
#[test]
fn events_without_logs_asks_for_them() {
    let (code, stdout, stderr) = run(&["events"]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with(
            "smtplog: error: the following required arguments were not provided:\n  <LOG>..."
        ),
        "{stderr}"
    );
    let (code, schema, _) = run(&["events", "--schema"]);
    assert_eq!(code, Some(0));
    assert!(schema.starts_with('{'), "{schema}");
}

#[test]
fn usage_errors_say_what_is_wrong() {
    let log = testdata_arg("sample-postfix.log");
    for (args, says) in [
        (
            &["report", "--since", "2027-01-02", "--until", "2027-01-01", &log][..],
            "smtplog: error: --since must be before --until (the window is [since, until))\n",
        ),
        (
            &["report", "--format", "prom", "--by", "code", &log][..],
            "smtplog: error: --by does not apply to --format prom (its labels are fixed and bounded)\n",
        ),
        (
            &["report", "--by", "sender,code", &log][..],
            "smtplog: error: --by sender is a table of its own and cannot be combined with other dimensions\n",
        ),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr, says, "{args:?}");
    }
}

/// Whether util-linux `script` (a pseudo-terminal for the binary) is there.
fn have_script() -> bool {
    std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok()
}

/// What `smtplog ARGS` prints on a pseudo-terminal, with the environment `env` (`NAME=value`
/// words) and `NO_COLOR` unset unless `env` sets it.
fn on_a_terminal(env: &str, args: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let typescript = dir.path().join("typescript");
    let bin = env!("CARGO_BIN_EXE_smtplog");
    let status = std::process::Command::new("script")
        .arg("-qec")
        .arg(format!(
            "env -u NO_COLOR TERM=xterm COLUMNS=80 {env} {bin} {args}"
        ))
        .arg(&typescript)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{env} {args}");
    String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned()
}

#[test]
fn colour_auto_is_on_a_terminal_only_and_never_with_no_color_or_dumb() {
    if !have_script() {
        eprintln!("skipped: no util-linux script");
        return;
    }
    const RED_5XX: &str = "\x1b[31m5xx\x1b[0m";
    let log = testdata_arg("sample-postfix.log");
    let args = format!("report --year 2026 --quiet {log}");
    let shown = on_a_terminal("", &args);
    assert!(shown.contains(RED_5XX), "auto colours a terminal: {shown}");
    // An empty NO_COLOR is as if unset (no-color.org).
    assert!(on_a_terminal("NO_COLOR=", &args).contains(RED_5XX));
    for env in ["NO_COLOR=1", "TERM=dumb"] {
        let shown = on_a_terminal(env, &args);
        assert!(shown.contains("5xx"), "{env}: {shown}");
        assert!(!shown.contains('\x1b'), "{env}: {shown}");
    }
    // -o FILE is not the terminal, even when stdout is one.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    on_a_terminal(
        "",
        &format!("report --year 2026 --quiet -o {} {log}", file.display()),
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("5xx") && !written.contains('\x1b'),
        "{written}"
    );
}

/// The lines `--fail-if EXPR` prints for the corpus, and its exit status.
fn exceeded(exprs: &[&str]) -> (Option<i32>, Vec<String>) {
    let log = testdata_arg("real/postfix-maillog.log");
    let mut args = vec!["report", "--year", "2026", "--format", "json"];
    for e in exprs {
        args.extend(["--fail-if", e]);
    }
    args.push(&log);
    let (code, _, stderr) = run(&args);
    (code, stderr.lines().map(String::from).collect())
}

#[test]
fn fail_if_shares_have_the_documented_bases() {
    let r = report_json(&[&testdata_arg("real/postfix-maillog.log")]);
    let n = |v: &Value| v.as_u64().unwrap();
    let e = &r["by_event"];
    let outcomes = n(&e["delivered"]) + n(&e["deferred"]) + n(&e["bounced"]) + n(&e["expired"]);
    let offered = n(&r["received"]) + n(&e["rejected"]);
    let replies = n(&r["replies"]);
    let lines = n(&r["lines"]["total"]);
    // `>= 0%` always holds, so each prints its count and base.
    let (code, said) = exceeded(&[
        "deferred>=0%",
        "rejected>=0%",
        "held>=0%",
        "5xx>=0%",
        "code:550>=0%",
        "mail>=0%",
    ]);
    assert_eq!(code, Some(3));
    let bases: Vec<&str> = said
        .iter()
        .map(|l| l.rsplit(" of ").next().unwrap().trim_end_matches(')'))
        .collect();
    let expected: Vec<String> = [outcomes, offered, offered, replies, replies, lines]
        .iter()
        .map(u64::to_string)
        .collect();
    assert_eq!(bases, expected, "{said:?}");
    assert!(said[0].starts_with(&format!(
        "smtplog: deferred {:.1}% >= 0% ({} of {outcomes})",
        n(&e["deferred"]) as f64 * 100.0 / outcomes as f64,
        n(&e["deferred"])
    )));
}

/// `filtered` (hand-offs to a content filter) is a share of the delivery outcomes and the
/// hand-offs together.
#[test]
fn fail_if_filtered_share_counts_the_hand_offs_in_its_base() {
    let log = testdata_arg("tracker/postfix-amavis.log");
    let r = report_json(&[&log]);
    let e = &r["by_event"];
    let base: u64 = ["delivered", "deferred", "bounced", "expired", "filtered"]
        .iter()
        .map(|k| e[*k].as_u64().unwrap())
        .sum();
    let (code, _, stderr) = run(&[
        "report",
        "--year",
        "2026",
        "--fail-if",
        "filtered>=0%",
        &log,
    ]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.ends_with(&format!(" ({} of {base})\n", e["filtered"])),
        "{stderr}"
    );
}

#[test]
fn fail_if_below_forms_and_a_share_of_nothing() {
    let (code, said) = exceeded(&["received<1000000", "replies<=0", "bounced<=100%"]);
    assert_eq!(code, Some(3));
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].starts_with("smtplog: received "), "{said:?}");
    assert!(said[0].ends_with(" < 1000000"), "{said:?}");
    assert!(said[1].starts_with("smtplog: bounced "), "{said:?}");
    // A share of an empty base is 0%: a log of mail lines without a reply.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("quiet.log");
    std::fs::write(
        &log,
        "Nov 24 09:10:23 mx1 postfix/smtpd[1]: connect from localhost[127.0.0.1]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&[
        "report",
        "--year",
        "2026",
        "--fail-if",
        "5xx<=0%",
        "--fail-if",
        "5xx>0%",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stderr, "smtplog: 5xx 0.0% <= 0% (0 of 0)\n");
}

/// Which status wins when several hold, as `run_report` orders them: an input that could
/// not be read (1), then no mail line (4), then a threshold (3); the threshold's line is
/// printed whatever the status.
#[test]
fn exit_status_when_several_hold() {
    let log = testdata_arg("real/postfix-maillog.log");
    let (code, _, stderr) = run(&[
        "report",
        "--year",
        "2026",
        "--fail-if",
        "bounced>5%",
        "/nonexistent/mail.log",
        &log,
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("smtplog: bounced 10.1% > 5%"), "{stderr}");
    let (code, _, stderr) = run(&[
        "report",
        "--year",
        "2026",
        "--day",
        "2001-01-01",
        "--fail-if",
        "replies<1",
        &log,
    ]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("smtplog: replies 0 < 1"), "{stderr}");
}

/// The defaults `--help` gives: `--top` 10 and `--detail` 3, 20 and 15 with `--full`; the
/// HTML page takes 20 and 15 too.
#[test]
fn top_and_detail_defaults_are_the_documented_ones() {
    let log = testdata_arg("real/postfix-maillog.log");
    let with = |args: &[&str]| {
        let mut all = vec!["report", "--year", "2026", "--tz", "UTC"];
        all.extend_from_slice(args);
        all.push(&log);
        let (code, stdout, stderr) = run(&all);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        stdout
    };
    let brief = with(&[]);
    assert_eq!(brief, with(&["--top", "10", "--detail", "3"]));
    assert_ne!(brief, with(&["--top", "1", "--detail", "1"]));
    let full = with(&["--full"]);
    assert_eq!(full, with(&["--full", "--top", "20", "--detail", "15"]));
    assert_ne!(full, with(&["--full", "--top", "10", "--detail", "3"]));
    let html = with(&["--format", "html"]);
    assert_eq!(
        html,
        with(&["--format", "html", "--top", "20", "--detail", "15"])
    );
    assert_ne!(
        html,
        with(&["--format", "html", "--top", "10", "--detail", "3"])
    );
}
