//! Running unattended, as root from cron, on logs strangers write: output files that harm
//! nothing, failures that speak, every compression logrotate can use, quiet broken pipes,
//! any file name, and options that cannot run away.

mod common;
use common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn sample() -> PathBuf {
    testdata("sample-postfix.log")
}

fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    smtplog().args(args).output().unwrap()
}

fn report_args<'a>(extra: &'a [&'a str], inputs: &'a [&'a Path]) -> Vec<&'a std::ffi::OsStr> {
    let mut all: Vec<&std::ffi::OsStr> =
        vec!["report".as_ref(), "--year".as_ref(), "2026".as_ref()];
    all.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    all.extend(inputs.iter().map(|p| p.as_os_str()));
    all
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(out)))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

// ---- -o ----

#[test]
fn output_to_a_device_writes_it_in_place() {
    let out = run(&report_args(&["-o", "/dev/null"], &[&sample()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // As root a rename would have made /dev/null a regular file.
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device());
    assert_eq!(std::fs::metadata("/dev/null").unwrap().len(), 0);
}

#[test]
fn output_through_a_symlink_writes_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("reports/today.txt");
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("latest.txt");
    std::os::unix::fs::symlink("reports/today.txt", &link).unwrap();
    let out = run(&report_args(&["-o", link.to_str().unwrap()], &[&sample()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.contains("Replies"), "{written}");
}

#[test]
fn output_to_a_fifo_feeds_its_reader() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    let out = run(&report_args(
        &["--format", "json", "-o", fifo.to_str().unwrap()],
        &[&sample()],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = reader.join().unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["lines"]["mail"], 3899);
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.txt");
    std::fs::write(&old, "x").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&report_args(&["-o", old.to_str().unwrap()], &[&sample()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mode(&old), 0o644);
    let new = dir.path().join("new.txt");
    let bin = assert_cmd::cargo::cargo_bin("smtplog");
    let status = Command::new("sh")
        .arg("-c")
        .arg("umask 027; exec \"$0\" report --year 2026 -o \"$1\" \"$2\"")
        .arg(&bin)
        .arg(&new)
        .arg(sample())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&new), 0o640);
    // No temporary file is left beside them.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["new.txt", "old.txt"]);
}

#[test]
fn output_errors_name_the_given_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir/report.txt");
    let out = run(&report_args(
        &["-o", missing.to_str().unwrap()],
        &[&sample()],
    ));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no-such-dir/report.txt"), "{err}");
    assert!(!err.contains(".report.txt."), "{err}");
    let out = run(&report_args(
        &["-o", dir.path().to_str().unwrap()],
        &[&sample()],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn dash_output_and_quiet_still_print_the_report() {
    for args in [&["-o", "-"][..], &["--quiet"], &["--quiet", "-o", "-"]] {
        let out = run(&report_args(args, &[&sample()]));
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Replies"), "{args:?}: {text}");
        assert!(!Path::new("-").exists());
    }
}

// ---- failures that speak ----

#[test]
fn a_file_without_mail_lines_is_named_and_a_run_without_any_exits_4() {
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let out = run(&report_args(&[], &[&readme]));
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(err.contains("README.md: no Postfix or Exim line"), "{err}");
    // With a real log beside it, the run is fine; the stray file is still named.
    let out = run(&report_args(&[], &[&readme, &sample()]));
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("README.md: no Postfix or Exim line"));
    // A window that keeps no line.
    let out = run(&report_args(&["--day", "2001-01-01"], &[&sample()]));
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("the time window kept no line"),
        "{}",
        stderr(&out)
    );
    // --quiet keeps warnings: they come with a status that is not 0.
    let out = run(&report_args(&["--quiet"], &[&readme]));
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("README.md"));
}

fn compressed(kind: &str, data: &[u8]) -> Vec<u8> {
    match kind {
        "gz" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "zst" => zstd::encode_all(data, 3).unwrap(),
        _ => unreachable!(),
    }
}

#[test]
fn xz_bzip2_and_zstd_rotations_count_like_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(sample()).unwrap();
    let want = json(&run(&report_args(&["--format", "json"], &[&sample()])));
    for kind in ["gz", "xz", "bz2", "zst"] {
        // The name says nothing: content decides.
        let file = dir.path().join(format!("mail.log.{kind}.1"));
        let mut data = compressed(kind, &plain[..plain.len() / 2]);
        // Two streams/frames one after the other, as `cat a.xz b.xz` makes.
        data.extend(compressed(kind, &plain[plain.len() / 2..]));
        std::fs::write(&file, &data).unwrap();
        let out = run(&report_args(&["--format", "json"], &[&file]));
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", stderr(&out));
        assert_eq!(json(&out)["by_code"], want["by_code"], "{kind}");
        assert_eq!(json(&out)["lines"], want["lines"], "{kind}");
    }
}

#[test]
fn truncated_and_corrupt_compressed_files_keep_what_was_read_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(sample()).unwrap();
    for (kind, name) in [("xz", "xz"), ("bz2", "bzip2"), ("zst", "zstd")] {
        let data = compressed(kind, &plain);
        let cut = dir.path().join(format!("cut.{kind}"));
        std::fs::write(&cut, &data[..data.len() * 2 / 3]).unwrap();
        let out = run(&report_args(&["--format", "json"], &[&cut, &sample()]));
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&format!("cut.{kind}:")), "{err}");
        assert!(err.contains(name), "{kind}: {err}");
        // The other input and the readable part both count.
        let mail = json(&out)["lines"]["mail"].as_u64().unwrap();
        assert!(mail > 3899, "{kind}: {mail}");
        let mut bad = data.clone();
        let middle = bad.len() / 2;
        for b in &mut bad[middle..middle + 64] {
            *b ^= 0x5a;
        }
        let corrupt = dir.path().join(format!("corrupt.{kind}"));
        std::fs::write(&corrupt, &bad).unwrap();
        let out = run(&report_args(&["--format", "json"], &[&corrupt]));
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{kind}: {:?} {}",
            out.status,
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(err.contains(&format!("corrupt.{kind}:")), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Run with standard output a pipe whose reader is already gone.
fn into_closed_pipe(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(assert_cmd::cargo::cargo_bin("smtplog"))
        .args(args)
        .env_remove("LANG")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_broken_pipe_is_quiet_for_every_subcommand_and_format() {
    let log = sample();
    let log = log.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.json");
    stdout_of(
        ["report", "--year", "2026", "--format", "json", "-o"]
            .iter()
            .map(std::ffi::OsStr::new)
            .chain([saved.as_os_str(), std::ffi::OsStr::new(log)]),
    );
    let saved = saved.to_str().unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["report", "--year", "2026", log],
        vec!["report", "--year", "2026", "--format", "json", log],
        vec!["report", "--year", "2026", "--format", "csv", log],
        vec![
            "report", "--year", "2026", "--format", "csv", "--by", "problem", log,
        ],
        vec!["report", "--year", "2026", "--by", "sender", log],
        vec!["merge", saved],
        vec!["merge", "--format", "csv", saved],
        vec!["codes"],
        vec!["codes", "--format", "csv"],
        vec!["codes", "--format", "json"],
        vec!["explain", "550"],
        vec!["explain", "251", "551"],
        vec!["events", "--year", "2026", log],
        vec!["events", "--year", "2026", "--format", "csv", log],
        vec!["events", "--schema"],
        vec!["report", "--year", "2026", "--format", "prom", log],
    ];
    for args in runs {
        let out = into_closed_pipe(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

#[test]
fn file_names_that_are_not_utf8_are_read_and_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"mail\xff\x1b[2J.log");
    let odd = dir.path().join(name);
    std::fs::copy(sample(), &odd).unwrap();
    let out = run(&report_args(&["--format", "json"], &[&odd]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["lines"]["mail"], 3899);
    let missing = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"gone\xfe\xe2\x80\xae.log"));
    let out = run(&report_args(&[], &[&odd, &missing]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("gone\\xfe\\u{202e}.log: no such file"),
        "{err}"
    );
    assert!(
        !err.contains('\u{202e}') && !err.contains('\x1b'),
        "{err:?}"
    );
}

#[test]
fn the_same_file_given_twice_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.log");
    std::os::unix::fs::symlink(sample(), &link).unwrap();
    let hard = dir.path().join("hard.log");
    std::fs::copy(sample(), &hard).unwrap();
    let hard2 = dir.path().join("hard2.log");
    std::fs::hard_link(&hard, &hard2).unwrap();
    let once = json(&run(&report_args(&["--format", "json"], &[&sample()])));
    for inputs in [
        vec![sample(), sample()],
        vec![sample(), link.clone()],
        vec![hard.clone(), hard2.clone()],
    ] {
        let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        let out = run(&report_args(&["--format", "json"], &refs));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(json(&out)["lines"], once["lines"], "{inputs:?}");
        assert_eq!(json(&out)["by_code"], once["by_code"]);
        assert!(
            stderr(&out).contains("is the same file as"),
            "{}",
            stderr(&out)
        );
    }
}

// ---- options ----

#[test]
fn absurd_option_values_are_usage_errors() {
    for args in [
        &["--year", "262142"][..],
        &["--year=-5"],
        &["--chunk-size", "0"],
        &["--chunk-size", "99999999999999"],
    ] {
        let out = smtplog()
            .arg("report")
            .args(args)
            .arg(sample())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains("error: invalid value"), "{args:?}: {err}");
    }
}

#[test]
fn too_many_threads_are_capped_with_a_note() {
    let out = run(&report_args(&["--threads", "10000"], &[&sample()]));
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("--threads 10000 is more than 4 per core"),
        "{err}"
    );
    let out = run(&report_args(
        &["--threads", "10000", "--quiet"],
        &[&sample()],
    ));
    assert_eq!(stderr(&out), "");
}

/// Run as an unprivileged user when we are root (root ignores permissions and process limits).
fn unprivileged(mut cmd: Command) -> Command {
    if unsafe_is_root() {
        let mut wrapped = Command::new("setpriv");
        wrapped
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        cmd = wrapped;
    }
    cmd
}

fn unsafe_is_root() -> bool {
    // `id -u` rather than libc: the test suite has no libc dependency.
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// A directory and sample log that the unprivileged user can read.
fn shared_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let log = dir.path().join("mail.log");
    std::fs::copy(sample(), &log).unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    (dir, log)
}

#[test]
fn a_process_limit_falls_back_to_one_thread() {
    let (_dir, log) = shared_copy();
    let bin = assert_cmd::cargo::cargo_bin("smtplog");
    let mut cmd = Command::new("prlimit");
    // One process for the user: no thread can be started, not even a reader thread.
    cmd.args(["--nproc=1:1", "--"])
        .arg(&bin)
        .args([
            "report",
            "--year",
            "2026",
            "--format",
            "json",
            "--threads",
            "2",
        ])
        .arg(&log);
    let out = unprivileged(cmd).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("counting on one thread"), "{err}");
    assert_eq!(json(&out)["lines"]["mail"], 3899);
}

#[test]
fn an_unreadable_file_is_named_and_the_others_still_count() {
    let (dir, log) = shared_copy();
    let locked = dir.path().join("locked.log");
    std::fs::copy(sample(), &locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("smtplog");
    let mut cmd = Command::new(&bin);
    cmd.args(["report", "--year", "2026", "--format", "json"])
        .arg(&locked)
        .arg(&log);
    let out = unprivileged(cmd).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("locked.log: permission denied"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json(&out)["lines"]["mail"], 3899);
    let mut cmd = Command::new(&bin);
    cmd.args(["report", "--year", "2026"]).arg(&locked);
    let out = unprivileged(cmd).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// ---- terminal safety ----

#[test]
fn bidi_and_invisible_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bidi.log");
    let bounce = "Nov 24 12:05:23 mx1 postfix/smtp[2]: 80403B82BD: to=<a@b.test>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx[192.0.2.1] said: 550 5.1.1 \u{202e}resu nwonknu\u{200b} \u{2028}gone (in reply to RCPT TO command))\n";
    let odd =
        "Nov 24 12:05:24 mx1 postfix/smtpd[3]: teleported \u{2066}x\u{2069} \\u{1b}[2J \x1b[2J\n";
    std::fs::write(&log, format!("{bounce}{odd}")).unwrap();
    let out = run(&report_args(&["--show-unrecognised"], &[&log]));
    let text = String::from_utf8(out.stdout).unwrap();
    for bad in ['\u{202e}', '\u{200b}', '\u{2028}', '\u{2066}', '\x1b'] {
        assert!(!text.contains(bad), "{bad:?} in {text}");
    }
    assert!(text.contains("teleported \\u{2066}x\\u{2069}"), "{text}");
    // The log's literal `\u{1b}` and its real ESC are told apart.
    assert!(text.contains("\\\\u{1b}[2J \\u{1b}[2J"), "{text}");
}
