//! Golden cases: `testdata/golden/<case>/` holds `cmd` (arguments, one per line), `env`
//! (optional `NAME=value` lines) and `expected.txt` (stdout). `SMTPLOG_BLESS=1` rewrites
//! the expected files from the current binary.

mod common;

use common::smtplog;
use std::path::Path;

fn run_case(dir: &Path) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let args: Vec<String> = read("cmd").lines().map(String::from).collect();
    let mut cmd = smtplog();
    cmd.current_dir(root).args(&args);
    for name in [
        "NO_COLOR",
        "LANG",
        "LC_ALL",
        "LC_MESSAGES",
        "COLUMNS",
        "TERM",
    ] {
        cmd.env_remove(name);
    }
    for line in read("env").lines().filter(|l| !l.trim().is_empty()) {
        let (name, value) = line.split_once('=').expect("env lines are NAME=value");
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("SMTPLOG_BLESS").is_some() {
        std::fs::write(&expected_path, &got).unwrap();
        return Ok(());
    }
    let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if got == want {
        return Ok(());
    }
    // The first line that differs, framed, then the whole output.
    let (line, (g, w)) = got
        .lines()
        .zip(want.lines())
        .enumerate()
        .find(|(_, (g, w))| g != w)
        .unwrap_or((
            got.lines().count().min(want.lines().count()),
            ("<end>", "<end>"),
        ));
    Err(format!(
        "{}: line {}\n  got:  {g:?}\n  want: {w:?}\n--- got ---\n{got}",
        dir.display(),
        line + 1
    ))
}

#[test]
fn golden_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cmd").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "{cases:?}");
    let failures: Vec<String> = cases.iter().filter_map(|c| run_case(c).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
