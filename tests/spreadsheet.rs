//! End to end in a real spreadsheet: our CSV opens in LibreOffice with every value intact,
//! and text that looks like a formula stays text.
//!
//! Gated by `SMTPLOG_TEST_LIBREOFFICE=1`, which `.ci/run` sets after installing
//! `libreoffice-calc-nogui`; when the variable is set, a missing LibreOffice fails the test.
//! Without it the tests say on stderr that they were not run.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// Whether to run: the variable is set, and then LibreOffice must be there.
fn libreoffice() -> bool {
    if std::env::var_os("SMTPLOG_TEST_LIBREOFFICE").is_none_or(|v| v != "1") {
        eprintln!("SMTPLOG_TEST_LIBREOFFICE is not 1: spreadsheet round trip not run");
        return false;
    }
    let found = Command::new("libreoffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "SMTPLOG_TEST_LIBREOFFICE=1 but libreoffice cannot be run"
    );
    true
}

/// Open `csv` in LibreOffice and save it again as CSV; returns what LibreOffice wrote.
fn through_libreoffice(dir: &Path, name: &str, csv: &[u8]) -> String {
    let input = dir.join(format!("{name}.csv"));
    std::fs::write(&input, csv).unwrap();
    let out_dir = dir.join("out");
    let status = Command::new("libreoffice")
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
        ])
        .arg(&out_dir)
        .arg(&input)
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::read_to_string(out_dir.join(format!("{name}.csv"))).unwrap()
}

#[test]
fn report_csv_round_trips_through_libreoffice() {
    if !libreoffice() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = smtplog()
        .args([
            "report",
            "--year",
            "2026",
            "--format",
            "csv",
            "--by",
            "code,enhanced,event",
            "--advice",
        ])
        .arg(testdata("real/postfix-maillog.log"))
        .output()
        .unwrap();
    let ours = String::from_utf8(out.stdout).unwrap();
    let theirs = through_libreoffice(dir.path(), "codes", ours.as_bytes());
    let parse = |text: &str| -> Vec<Vec<String>> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    };
    // Same rows, same cells: codes stay codes (2.0.0 is not a date), counts stay counts.
    assert_eq!(parse(&theirs), parse(&ours));
}

#[test]
fn formula_like_text_stays_text_in_libreoffice() {
    if !libreoffice() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let evil = [
        "=1+1",
        "+2+3",
        "-4+5",
        "@SUM(1,2)",
        "=HYPERLINK(\"http://x.test\",\"click\")",
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["cell"]).unwrap();
    for text in evil {
        writer
            .write_record([smtplog::sanitize::csv_cell(text).as_ref()])
            .unwrap();
    }
    let csv = writer.into_inner().unwrap();
    let theirs = through_libreoffice(dir.path(), "evil", &csv);
    let cells: Vec<String> = csv::Reader::from_reader(theirs.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    // Each cell is still its text (behind the apostrophe that keeps it text), not a value.
    let want: Vec<String> = evil.iter().map(|t| format!("'{t}")).collect();
    assert_eq!(cells, want);
}
