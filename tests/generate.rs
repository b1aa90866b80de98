//! `smtplog generate`: the man page and completion scripts come from the clap definitions.
//!
//! The groff render check is gated by `SMTPLOG_TEST_GROFF=1`, which `.ci/run` sets after
//! installing groff; the structure checks and the bash checks always run (bash is on every
//! machine that runs the tests).

mod common;
use common::*;
use std::process::Command;

fn generated(args: &[&str]) -> String {
    let mut all = vec!["generate"];
    all.extend_from_slice(args);
    String::from_utf8(stdout_of(all)).unwrap()
}

#[test]
fn the_man_page_has_every_command_option_and_section() {
    let page = generated(&["man"]);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80]
    );
    assert!(page.contains(".TH smtplog 1"), "{}", &page[..200]);
    for section in [
        "NAME",
        "SYNOPSIS",
        "COMMANDS",
        "EXIT STATUS",
        "COUNTING RULES",
        "FILES",
        "ENVIRONMENT",
        "EXAMPLES",
    ] {
        let heading = format!(".SH {section}");
        let quoted = format!(".SH \"{section}\"");
        assert!(
            page.contains(&heading) || page.contains(&quoted),
            "{section} missing"
        );
    }
    for command in ["report", "explain", "codes", "merge", "generate"] {
        assert!(page.contains(&format!("smtplog {command}")), "{command}");
    }
    // Options as roff writes them: \-\-output.
    for option in [
        "output",
        "quiet",
        "since",
        "day",
        "tz",
        "year",
        "threads",
        "max\\-distinct",
    ] {
        assert!(page.contains(&format!("\\-\\-{option}")), "--{option}");
    }
    for text in ["NO_COLOR", "COLUMNS", "LC_ALL", "0666", "cron.d"] {
        assert!(page.contains(text), "{text}");
    }
    // Every request is a known man(7) macro or roff request.
    for line in page.lines().filter(|l| l.starts_with('.')) {
        let name = line[1..].split_whitespace().next().unwrap_or("");
        assert!(
            [
                "TH", "SH", "SS", "TP", "PP", "IP", "RS", "RE", "B", "I", "br", "ie", "el", "nh",
                "ad", "fi", "nf", "sp", "in", "ti", "\\\"", "\\}", "ds", "if", "\\\\\"",
            ]
            .contains(&name)
                || name.starts_with("\\\""),
            "unknown request {line:?}"
        );
    }
}

#[test]
fn the_man_page_renders_without_warnings() {
    if std::env::var_os("SMTPLOG_TEST_GROFF").is_none_or(|v| v != "1") {
        eprintln!("SMTPLOG_TEST_GROFF is not 1: groff render not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smtplog.1");
    std::fs::write(&file, generated(&["man"])).unwrap();
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .arg(&file)
        .output()
        .expect("SMTPLOG_TEST_GROFF=1 but groff cannot be run");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("EXIT STATUS"), "{text}");
}

#[test]
fn every_shell_gets_a_completion_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = generated(&["completions", shell]);
        assert!(script.contains("report"), "{shell}");
        assert!(script.contains("max-distinct"), "{shell}");
    }
    let out = smtplog()
        .args(["generate", "completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bash_completion_loads_and_completes_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("smtplog.bash");
    std::fs::write(&script, generated(&["completions", "bash"])).unwrap();
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success());
    let complete = |words: &str| -> String {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source \"$0\"; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 _smtplog smtplog \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                 echo \"${{COMPREPLY[@]}}\""
            ))
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("smtplog rep").trim(), "report");
    assert!(complete("smtplog report --max-d").contains("--max-distinct"));
    assert!(complete("smtplog report --format ''").contains("json"));
}

#[test]
fn version_says_what_kind_of_build_it_is() {
    let text = String::from_utf8(stdout_of(["--version"])).unwrap();
    let kind = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    assert_eq!(
        text.trim(),
        format!("smtplog {} ({kind} build)", env!("CARGO_PKG_VERSION"))
    );
}
