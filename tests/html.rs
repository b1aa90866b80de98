//! `--format html` (issue 16): one self-contained page, safe with hostile log text.
//!
//! Two checks need outside tools and run when a variable names them (`.ci/run` sets both,
//! and fails when it cannot install them; set but not working, the test fails):
//! `SMTPLOG_TEST_CHROMIUM` (path to Debian's `chromium`) loads the page in headless
//! Chromium, checks the DOM after load and takes a screenshot; `SMTPLOG_TEST_HTML5LIB=1`
//! runs Python's html5lib in strict mode over each page.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const POSTFIX: &str = "real/postfix-maillog.log";
const EXIM: &str = "real/exim-mainlog.log";

fn corpus() -> [String; 2] {
    [POSTFIX, EXIM].map(testdata_arg)
}

fn html_of(args: &[&str]) -> String {
    let mut all = vec![
        "report", "--year", "2026", "--tz", "UTC", "--format", "html",
    ];
    all.extend_from_slice(args);
    String::from_utf8(stdout_of(all)).unwrap()
}

fn corpus_html() -> String {
    let [p, e] = corpus();
    html_of(&[&p, &e])
}

/// The `<tr>` whose id is `id`, up to its end.
fn row<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<tr id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id}"));
    let len = page[start..].find("</tr>").unwrap();
    &page[start..start + len]
}

/// The cards, rows and sections a reader checks first, as one text to compare.
fn key_rows(page: &str) -> Vec<String> {
    let mut rows: Vec<String> = ["code-550", "code-250", "event-bounced", "event-deferred"]
        .iter()
        .map(|id| row(page, id).to_string())
        .collect();
    for card in ["fig-bounced", "fig-received", "fig-replies"] {
        let start = page.find(&format!("id=\"{card}\"")).unwrap();
        rows.push(page[start..start + page[start..].find("</div>").unwrap()].to_string());
    }
    rows
}

const HOSTILE: &[&str] = &[
    "Nov 24 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <script>alert(1)</script> denied; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<e>",
    "Nov 24 12:05:24 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 5.1.1 \"><img src=x onerror=alert(2)> unknown; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<e>",
    "Nov 24 12:05:25 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 \u{1b}[31mred\u{1b}[0m \u{202e}txt.exe here; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<e>",
    "Nov 24 12:05:27 mx1 postfix/smtp[3]: 4ABC123: to=<u@</td></tr></table><h1>x.test>, relay=mx.x.test[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=5.0.0, status=bounced (host mx.x.test[192.0.2.9] said: 550 5.0.0 <b>bold</b> & \"quotes\" (in reply to RCPT TO command))",
    "Nov 24 12:05:28 mx1 postfix/smtpd[4]: warning: <script>alert(4)</script> hostname does not resolve",
    "Nov 24 12:05:29 mx1 postfix/smtpd[5]: <script>alert(1)</script> \"><img src=x onerror=alert(5)> \u{1b}[31mred \u{202e}txt.exe",
];

fn hostile_html(dir: &Path) -> String {
    // A file name is shown too: as hostile as the lines.
    let log = dir.join("x\"><img src=x onerror=alert(9)>\u{1b}[2J\u{202e}.log");
    std::fs::write(&log, HOSTILE.join("\n") + "\n").unwrap();
    html_of(&["--show-unrecognised", log.to_str().unwrap()])
}

/// The start tags of a page: name and attributes (values unquoted, entities left as
/// they are). Log text cannot add one: its `<` is always written `&lt;`.
fn tags(page: &str) -> Vec<(String, Vec<(String, String)>)> {
    let b = page.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = page[i..].find('<') {
        i += at + 1;
        if b.get(i).is_some_and(|c| *c == b'/' || *c == b'!') {
            continue;
        }
        let name_end = i + page[i..].find([' ', '>', '/']).unwrap();
        let name = page[i..name_end].to_ascii_lowercase();
        let mut attrs = Vec::new();
        i = name_end;
        loop {
            while b[i] == b' ' || b[i] == b'/' {
                i += 1;
            }
            if b[i] == b'>' {
                break;
            }
            let attr_end = i + page[i..].find(['=', ' ', '>']).unwrap();
            let attr = page[i..attr_end].to_ascii_lowercase();
            i = attr_end;
            let mut value = String::new();
            if b[i] == b'=' {
                i += 1;
                if b[i] == b'"' || b[i] == b'\'' {
                    let close = i + 1 + page[i + 1..].find(b[i] as char).unwrap();
                    value = page[i + 1..close].to_string();
                    i = close + 1;
                } else {
                    let v_end = i + page[i..].find([' ', '>']).unwrap();
                    value = page[i..v_end].to_string();
                    i = v_end;
                }
            }
            attrs.push((attr, value));
        }
        // The stylesheet and titles hold no `<`, so skipping to the next one is safe.
        out.push((name, attrs));
    }
    out
}

/// The elements the printer writes; anything else came from somewhere else.
const ELEMENTS: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "main",
    "nav",
    "footer",
    "section",
    "h1",
    "h2",
    "h3",
    "h4",
    "p",
    "ul",
    "li",
    "span",
    "div",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "strong",
    "small",
    "br",
    "code",
    "a",
    "details",
    "summary",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "article",
    "svg",
    "g",
    "line",
    "text",
    "polyline",
    "circle",
    "rect",
];

/// No element, handler or link that the printer does not write.
fn assert_only_our_markup(page: &str) {
    for (name, attrs) in tags(page) {
        assert!(ELEMENTS.contains(&name.as_str()), "<{name}> in the page");
        for (attr, value) in attrs {
            assert!(!attr.starts_with("on"), "<{name} {attr}=...>");
            assert!(
                attr != "src" && attr != "srcset" && attr != "style",
                "<{name} {attr}>"
            );
            if attr == "href" {
                assert!(
                    value.starts_with('#') || value.starts_with("https://"),
                    "<{name} href={value}>"
                );
            }
        }
    }
}

/// What must hold of any page we write, whatever its input.
fn assert_self_contained(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"));
    assert!(page.trim_end().ends_with("</html>"));
    let csp = tags(page)
        .into_iter()
        .find(|(name, attrs)| {
            name == "meta"
                && attrs
                    .iter()
                    .any(|(a, v)| a == "http-equiv" && v == "Content-Security-Policy")
        })
        .expect("no Content-Security-Policy");
    let policy = &csp.1.iter().find(|(a, _)| a == "content").unwrap().1;
    assert!(
        policy.starts_with("default-src &#39;none&#39;;")
            || policy.starts_with("default-src 'none';"),
        "{policy}"
    );
    assert!(!policy.contains("script-src"), "{policy}");
    assert_only_our_markup(page);
    // The stylesheet loads nothing either.
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    assert!(!style.contains("url(") && !style.contains("@import"));
    // As many ends as starts: no log text closed a table, row or section early.
    for tag in ["table", "tr", "td", "section", "svg", "details"] {
        assert_eq!(
            page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count(),
            page.matches(&format!("</{tag}>")).count(),
            "<{tag}> elements do not balance"
        );
    }
}

#[test]
fn corpus_report_holds_the_counts() {
    let page = corpus_html();
    assert_self_contained(&page);
    // The same counts as the text and JSON reports (tests/real_corpus.rs).
    let code_550 = row(&page, "code-550");
    assert!(code_550.contains("<td class=\"n\">70</td>"), "{code_550}");
    assert!(code_550.contains("Mailbox Unavailable"), "{code_550}");
    assert!(code_550.contains("<details><summary>Catalogue entry</summary>"));
    assert!(row(&page, "event-bounced").contains("<td class=\"n\">164</td>"));
    assert!(row(&page, "event-deferred").contains("<td class=\"n\">931</td>"));
    assert!(page.contains("<span class=\"value\">1,010</span><span class=\"label\">replies</span>"));
    // Bytes for people, the exact figure in a title.
    assert!(
        page.contains("title=\"1,3"),
        "bytes keep their exact value in a title"
    );
    // Charts: per hour, the class mix and the top codes, each with a title for screen
    // readers and its data in a table; one day only, so no per-day chart.
    for chart in ["chart-hours", "chart-classes", "chart-codes"] {
        assert!(
            page.contains(&format!("role=\"img\" aria-labelledby=\"{chart}-title\"")),
            "{chart}"
        );
    }
    assert!(!page.contains("chart-days"));
    // A table of contents links the sections the page holds, and no other.
    assert!(
        page.contains("<nav aria-label=\"Sections\"><ul><li><a href=\"#attention\">Needs attention</a></li><li><a href=\"#charts\">Charts</a></li>")
    );
    assert!(page.contains("<a href=\"#problems\">Problems</a>"));
    assert!(!page.contains("<a href=\"#unrecognised\">"));
    assert!(page.contains("<title>550 Mailbox Unavailable: 70</title>"));
    assert!(page.contains("<th scope=\"col\""));
    assert!(page.contains("<th scope=\"row\">550</th>"));
    for section in [
        "classes",
        "codes",
        "events",
        "problems",
        "hours",
        "delays",
        "parties",
        "diagnostics",
    ] {
        assert!(
            page.contains(&format!("<section id=\"{section}\"")),
            "{section}"
        );
    }
    assert!(page.contains("@media print") && page.contains("prefers-color-scheme: dark"));
    assert!(page.contains("<meta name=\"viewport\""));
    assert!(page.len() < 500_000, "{} bytes", page.len());
    // Every row of every table is still well under the limit.
    let [p, e] = corpus();
    let all = html_of(&["--top", "0", "--detail", "0", &p, &e]);
    assert!(all.len() < 500_000, "{} bytes", all.len());
    assert_self_contained(&all);
}

#[test]
fn days_get_a_chart_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("days.log");
    let line = |day: u32| {
        format!("Nov {day} 12:05:23 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 Relay access denied; from=<a@b.test> to=<c@d.test> proto=ESMTP helo=<e>\n")
    };
    std::fs::write(&log, line(23) + &line(24) + &line(24)).unwrap();
    let page = html_of(&[log.to_str().unwrap()]);
    assert!(page.contains("aria-labelledby=\"chart-days-title\""));
    assert!(page.contains("<title>2026-11-24 rejected: 2</title>"));
    assert!(row(&page, "day-2026-11-23").contains("<td class=\"n\">1</td>"));
    assert!(page.contains("<span class=\"span\">2026-11-23 to 2026-11-24</span>"));
    html5lib_check(&page, "days");
}

#[test]
fn merge_writes_the_same_counts_as_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let [p, e] = corpus();
    let mut jsons = Vec::new();
    for (name, log) in [("a.json", &p), ("b.json", &e)] {
        let path = dir.path().join(name);
        let json = stdout_of([
            "report", "--year", "2026", "--tz", "UTC", "--format", "json", log,
        ]);
        std::fs::write(&path, json).unwrap();
        jsons.push(path);
    }
    let out = dir.path().join("merged.html");
    smtplog()
        .arg("merge")
        .args(&jsons)
        .args(["--format", "html", "-o"])
        .arg(&out)
        .assert()
        .success();
    let merged = std::fs::read_to_string(&out).unwrap();
    assert_self_contained(&merged);
    assert_eq!(key_rows(&merged), key_rows(&corpus_html()));
    html5lib_check(&merged, "merged");
}

#[test]
fn report_writes_html_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.html");
    let [p, _] = corpus();
    smtplog()
        .args([
            "report", "--year", "2026", "--quiet", "--format", "html", "-o",
        ])
        .arg(&out)
        .arg(&p)
        .assert()
        .success()
        .stdout("");
    assert_self_contained(&std::fs::read_to_string(&out).unwrap());
}

#[test]
fn by_is_refused_with_html() {
    let [p, _] = corpus();
    smtplog()
        .args(["report", "--format", "html", "--by", "code", &p])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--by does not apply to --format html",
        ));
}

#[test]
fn an_empty_log_is_still_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("empty.log");
    std::fs::write(&log, "").unwrap();
    let out = smtplog()
        .args(["report", "--format", "html"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let page = String::from_utf8(out.stdout).unwrap();
    assert_self_contained(&page);
    assert!(page.contains("<dt>Lines</dt><dd>0 read: 0 Postfix/Exim"));
    html5lib_check(&page, "empty");
}

#[test]
fn hostile_log_text_is_shown_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_html(dir.path());
    assert_self_contained(&page);
    // Visible as text, escaped for HTML; escapes and bidi overrides shown as escapes.
    for shown in [
        "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(5)&gt; \\u{1b}[31mred \\u{202e}txt.exe",
        "u@&lt;/td",
        "&lt;*&gt;alert(*)&lt;*&gt; hostname does not resolve",
        "&quot;&gt;&lt;*&gt; unknown",
        "x&quot;&gt;&lt;img src=x onerror=alert(9)&gt;\\u{1b}[2J\\u{202e}.log</code>: 6 lines",
    ] {
        assert!(page.contains(shown), "{shown} not shown");
    }
    assert!(!page.contains('\u{1b}') && !page.contains('\u{202e}'));
    // Log text in attributes too (the examples' title).
    assert!(page.contains("title=\"u@&lt;/td\""));
    html5lib_check(&page, "hostile");
}

/// Strict HTML5 parsing, when html5lib is there (`SMTPLOG_TEST_HTML5LIB=1`).
fn html5lib_check(page: &str, name: &str) {
    if std::env::var_os("SMTPLOG_TEST_HTML5LIB").is_none() {
        eprintln!("SMTPLOG_TEST_HTML5LIB is not set: html5lib check of {name} not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.html"));
    std::fs::write(&file, page).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, html5lib\n\
             p = html5lib.HTMLParser(strict=True)\n\
             try:\n    p.parse(open(sys.argv[1], 'rb').read())\n\
             except Exception as e:\n    print('parse error:', e, p.errors[:5]); sys.exit(1)\n\
             print('ok')",
        )
        .arg(&file)
        .output()
        .expect("SMTPLOG_TEST_HTML5LIB is set but python3 cannot be run");
    assert!(
        out.status.success(),
        "html5lib on {name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pages_are_valid_html5() {
    let [p, e] = corpus();
    html5lib_check(&corpus_html(), "corpus");
    html5lib_check(
        &html_of(&["--top", "0", "--detail", "0", &p, &e]),
        "corpus-all",
    );
}

/// Headless Chromium as `.ci/run` runs it as root: no sandbox, no network, a fresh profile.
fn chromium(args: &[&str], page: &Path) -> Option<std::process::Output> {
    let bin = std::env::var_os("SMTPLOG_TEST_CHROMIUM")?;
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("SMTPLOG_TEST_CHROMIUM is set but cannot be run");
    assert!(
        out.status.success(),
        "chromium failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out)
}

/// The DOM after load, as Chromium serialises it.
fn dom(page: &Path) -> Option<String> {
    let out = chromium(&["--dump-dom"], page)?;
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(dom.contains("</html>"), "no DOM dumped: {dom:.200}");
    Some(dom)
}

/// A screenshot, checked to show something: many pixels unlike the background, in
/// several colours (the charts'). Returns the background's brightness (0-255).
fn screenshot(page: &Path, png: &Path, size: &str, extra: &[&str]) -> Option<u8> {
    let mut args = vec![
        format!("--screenshot={}", png.display()),
        format!("--window-size={size}"),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    chromium(&args.iter().map(String::as_str).collect::<Vec<_>>(), page)?;
    let decoder = png::Decoder::new(std::fs::File::open(png).expect("no screenshot written"));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[0];
    let other = pixels.iter().filter(|p| **p != background).count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    assert!(
        other * 20 > pixels.len(),
        "screenshot nearly blank: {other} of {} pixels drawn",
        pixels.len()
    );
    assert!(colours.len() > 50, "only {} colours", colours.len());
    Some(background[..3].iter().copied().max().unwrap())
}

#[test]
fn chromium_shows_the_corpus_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("corpus.html");
    let page = corpus_html();
    std::fs::write(&file, &page).unwrap();
    let Some(dom) = dom(&file) else {
        eprintln!("SMTPLOG_TEST_CHROMIUM is not set: browser test not run");
        return;
    };
    // The counts survive the browser's parsing, in the rows and cards a reader looks at.
    let code_550 = row(&dom, "code-550");
    assert!(code_550.contains("<td class=\"n\">70</td>"), "{code_550}");
    assert!(row(&dom, "event-bounced").contains("<td class=\"n\">164</td>"));
    assert_eq!(key_rows(&dom), key_rows(&page));
    // The browser built the same tables and charts as were written.
    for tag in ["<table", "<tr", "<svg", "<circle", "<section", "<details"] {
        assert_eq!(dom.matches(tag).count(), page.matches(tag).count(), "{tag}");
    }
    let kept = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-corpus.png");
    let light = screenshot(&file, &kept, "1280,2400", &[]).unwrap();
    assert!(light > 200, "light background {light}");
    // On a phone's width.
    let phone = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-corpus-phone.png");
    screenshot(&file, &phone, "390,1600", &[]).unwrap();
    // In dark mode (prefers-color-scheme: dark), the page turns dark.
    let night = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-corpus-dark.png");
    let dark = screenshot(
        &file,
        &night,
        "1280,2400",
        &[
            "--force-dark-mode",
            "--blink-settings=preferredColorScheme=0",
        ],
    )
    .unwrap();
    assert!(dark < 60, "dark background {dark}");
    eprintln!(
        "screenshots: {} {} {}",
        kept.display(),
        phone.display(),
        night.display()
    );
}

#[test]
fn chromium_runs_nothing_from_a_hostile_log() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_html(dir.path());
    let file = dir.path().join("hostile.html");
    std::fs::write(&file, &page).unwrap();
    let Some(dom) = dom(&file) else {
        eprintln!("SMTPLOG_TEST_CHROMIUM is not set: browser test not run");
        return;
    };
    // No element came from the log: none of its tags, no handler; the layout's elements
    // are exactly those written.
    assert_only_our_markup(&dom);
    assert!(!dom.contains("<h1>x") && !dom.contains("<b>bold"));
    for tag in ["<table", "<tr", "<td", "<th", "<section", "<li", "<code"] {
        assert_eq!(dom.matches(tag).count(), page.matches(tag).count(), "{tag}");
    }
    // The text is there to read.
    assert!(dom.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt; \"&gt;&lt;img src=x onerror=alert(5)&gt; \\u{1b}[31mred \\u{202e}txt.exe"
    ));
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-hostile.png");
    screenshot(&file, &shot, "1280,1600", &[]).unwrap();
}

#[test]
fn header_says_what_was_read_and_when() {
    let [p, e] = corpus();
    let page = html_of(&["--day", "2026-11-24", &p, &e]);
    assert!(page.contains("real/postfix-maillog.log</code>: 3,899 lines"));
    assert!(page.contains("real/exim-mainlog.log</code>: 2,517 lines"));
    assert!(
        page.contains("<dt>Lines stamped</dt><dd>2026-11-24 12:05:21 to 2026-11-24 12:08:53</dd>")
    );
    assert!(page.contains("<dt>Window</dt><dd>from 2026-11-24 00:00:00 +00:00 until before 2026-11-25 00:00:00 +00:00</dd>"));
    assert!(page.contains("6,416 read: 6,416 Postfix/Exim, 0 other, 0 unrecognised; 306 debug"));
}

#[test]
fn needs_attention_cards_come_first_with_their_fix() {
    let page = corpus_html();
    let attention = page
        .find("<section id=\"attention\"")
        .expect("no attention section");
    assert!(attention < page.find("aria-label=\"Key figures\"").unwrap());
    assert!(attention < page.find("<section id=\"charts\"").unwrap());
    // The view's ranking: lost mail first, then the deferrals that hurt most.
    let card = |i: usize| {
        let start = page.find(&format!("id=\"attention-{i}\"")).unwrap();
        &page[start..start + page[start..].find("</article>").unwrap()]
    };
    assert!(
        card(1).contains("<span class=\"count\">52</span> expired"),
        "{}",
        card(1)
    );
    let bounce = (1..=8)
        .map(card)
        .find(|c| c.contains("bounced <code>550 5.1.1</code>"))
        .expect("no card for the 550 5.1.1 bounces");
    assert!(bounce.contains("<span class=\"count\">30</span>"));
    assert!(bounce.contains("<strong>Fix: </strong>Unknown recipient: fix the typo"));
    assert!(bounce.contains("Domains: sink.test"));
    assert!(!page.contains("id=\"attention-9\""));
}

#[test]
fn baseline_shows_what_moved() {
    let dir = tempfile::tempdir().unwrap();
    let [p, e] = corpus();
    let base = dir.path().join("base.json");
    std::fs::write(
        &base,
        stdout_of([
            "report", "--year", "2026", "--tz", "UTC", "--format", "json", &p,
        ]),
    )
    .unwrap();
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let was = before["by_event"]["bounced"].as_u64().unwrap();
    let page = html_of(&["--baseline", base.to_str().unwrap(), &p, &e]);
    assert_self_contained(&page);
    let card = &page[page.find("id=\"fig-bounced\"").unwrap()..];
    let card = &card[..card.find("</div>").unwrap()];
    assert!(
        card.contains(&format!(
            "title=\"baseline: {was}\">+{} since the baseline",
            164 - was
        )),
        "{card}"
    );
    let changes = &page[page
        .find("<section id=\"changes\"")
        .expect("no changes section")..];
    let changes = &changes[..changes.find("</section>").unwrap()];
    // Exim's problems are new against a Postfix-only baseline.
    assert!(
        changes.contains("<span class=\"badge\">new</span>"),
        "{changes}"
    );
    assert!(page.contains("<a href=\"#changes\">Changes</a>"));
    // Without a baseline, neither.
    let plain = corpus_html();
    assert!(!plain.contains("since the baseline") && !plain.contains("id=\"changes\""));
    html5lib_check(&page, "baseline");
}
