//! Helpers for tests that drive the `smtplog` binary.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

/// Path of a file under `testdata/`.
pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// The binary, with colour and locale fixed.
pub fn smtplog() -> Command {
    let mut cmd = Command::cargo_bin("smtplog").unwrap();
    cmd.env("NO_COLOR", "1").env_remove("LANG");
    cmd
}

/// Run `smtplog report --format json ARGS` and parse its output; asserts exit code 0.
pub fn report_json(args: &[&str]) -> Value {
    let out = smtplog()
        .args(["report", "--format", "json", "--year", "2026"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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
