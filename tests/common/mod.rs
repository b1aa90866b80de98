//! Helpers for tests that drive the `smtplog` binary.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Path of a file under `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Path of a file under `testdata/`, as a command-line argument.
pub fn testdata_arg(name: &str) -> String {
    testdata(name).to_string_lossy().into_owned()
}

/// Write `report` as `dir/name` (for `merge` or `--baseline`) and return its path.
pub fn save_json(dir: &Path, name: &str, report: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(report).unwrap()).unwrap();
    path
}

/// The binary, with colour and locale fixed.
pub fn smtplog() -> Command {
    let mut cmd = Command::cargo_bin("smtplog").unwrap();
    cmd.env("NO_COLOR", "1").env_remove("LANG");
    cmd
}

/// Run `smtplog ARGS` and return its standard output; asserts exit code 0.
pub fn stdout_of<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = smtplog().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run `smtplog report --full --year 2026 ARGS` (text unless ARGS say otherwise: every
/// section, as these tests check them) and return what it printed; asserts exit code 0.
pub fn report_text(args: &[&str]) -> String {
    let mut all = vec!["report", "--full", "--year", "2026"];
    all.extend_from_slice(args);
    String::from_utf8(stdout_of(all)).unwrap()
}

/// Run `smtplog report --format json ARGS` and parse its output; asserts exit code 0.
pub fn report_json(args: &[&str]) -> Value {
    let mut all = vec!["report", "--format", "json", "--year", "2026"];
    all.extend_from_slice(args);
    serde_json::from_slice(&stdout_of(all)).unwrap()
}

/// Run `smtplog merge --format json ARGS` and parse its output; asserts exit code 0.
pub fn merge_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Value {
    let mut all: Vec<&std::ffi::OsStr> = ["merge", "--format", "json"]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
    all.extend(args.iter().map(AsRef::as_ref));
    serde_json::from_slice(&stdout_of(all)).unwrap()
}

/// The rows (header left out) of `smtplog report --year 2026 --format csv ARGS`.
pub fn report_csv(args: &[&str]) -> Vec<Vec<String>> {
    let mut all = vec!["report", "--year", "2026", "--format", "csv"];
    all.extend_from_slice(args);
    ::csv::Reader::from_reader(&stdout_of(all)[..])
        .into_records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// `{code: count}` of a JSON table with `code` and `count`.
pub fn table(value: &Value, key: &str) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = value[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"]
                    .as_str()
                    .or(r["dsn"].as_str())
                    .unwrap()
                    .to_string(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Turn `[("550", 3)]`-style literals into owned rows, sorted.
pub fn rows(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = expected.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    rows.sort();
    rows
}
