//! Time the HTML printer alone on a saved JSON report (`smtplog report --format json`),
//! beside the JSON printer, both into a sink: what `--format html` adds to a run.
//!
//! ```sh
//! cargo run --release --example render_html -- report.json
//! ```

use smtplog::report::{html, json};
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: render_html REPORT.json");
    let report = json::read(&std::fs::read_to_string(path).unwrap()).unwrap();
    let options = html::HtmlOptions {
        top: 20,
        detail: 15,
        show_unrecognised: false,
        baseline: None,
    };
    let runs = 20;
    let time = |f: &dyn Fn(&mut dyn std::io::Write)| {
        let start = Instant::now();
        for _ in 0..runs {
            f(&mut std::io::sink());
        }
        start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    };
    let html_ms = time(&|out| html::write(&report, &options, out).unwrap());
    let json_ms = time(&|out| json::write(&report, out).unwrap());
    let mut page = Vec::new();
    html::write(&report, &options, &mut page).unwrap();
    println!(
        "html {html_ms:.2} ms ({} bytes), json {json_ms:.2} ms, per run of {runs}",
        page.len()
    );
}
