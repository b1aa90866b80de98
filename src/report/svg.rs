//! Small inline SVG charts for the HTML report: lines over hours or days, horizontal bars,
//! and a stacked share bar. Colours come from CSS classes (`s0`..`s4`, `c2`..`c5`) that
//! the report's stylesheet defines for light, dark and print, so the SVG has no style of
//! its own. Every mark carries a `<title>` (a tooltip, and what screen readers say), and
//! each chart's data is also in a table of the report.

use maud::{html, Markup};

/// One line of a line chart.
pub struct Series<'a> {
    /// Legend name (`delivered`).
    pub name: &'a str,
    /// CSS class giving its colour (`s1`).
    pub class: &'a str,
    /// One value per label.
    pub values: Vec<u64>,
}

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// The smallest "nice" number (1, 2 or 5 times a power of ten) at or above `max`.
fn nice_max(max: u64) -> u64 {
    if max <= 4 {
        return 4;
    }
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step.saturating_mul(m).saturating_mul(4) >= max {
                return step.saturating_mul(m).saturating_mul(4);
            }
        }
        if step > u64::MAX / 100 {
            return max;
        }
        step *= 10;
    }
}

/// A coordinate with at most one decimal, so the file stays small.
fn c(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Lines over `labels` (hours, days), with a y axis from 0, gridlines and a legend.
/// `title` names the chart for screen readers; `describe(label, series, value)` is each
/// point's tooltip.
pub fn lines(id: &str, title: &str, labels: &[String], series: &[Series<'_>]) -> Markup {
    let n = labels.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let top = nice_max(max);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    // At most about 12 labels on the x axis.
    let every = n.div_ceil(12).max(1);
    let title_id = format!("{id}-title");
    html! {
        svg.chart viewBox={"0 0 " (W) " " (H)} role="img" aria-labelledby=(title_id)
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            @for k in 0..=4u64 {
                @let v = top / 4 * k;
                line.grid x1=(c(LEFT)) x2=(c(W - RIGHT)) y1=(c(y(v))) y2=(c(y(v))) {}
                text.axis x=(c(LEFT - 6.0)) y=(c(y(v) + 4.0)) text-anchor="end" { (super::html::num(v)) }
            }
            @for (i, label) in labels.iter().enumerate() {
                @if i % every == 0 || i + 1 == n {
                    text.axis x=(c(x(i))) y=(c(H - 8.0)) text-anchor="middle" { (label) }
                }
            }
            @for s in series {
                @let points = s.values.iter().enumerate()
                    .map(|(i, v)| format!("{},{}", c(x(i)), c(y(*v))))
                    .collect::<Vec<_>>().join(" ");
                g class=(s.class) {
                    polyline.line points=(points) {}
                    @for (i, v) in s.values.iter().enumerate() {
                        circle.dot cx=(c(x(i))) cy=(c(y(*v))) r="2.5" {
                            title { (labels.get(i).map_or("", String::as_str)) " " (s.name) ": " (super::html::num(*v)) }
                        }
                    }
                }
            }
        }
        (legend(series.iter().map(|s| (s.name, s.class))))
    }
}

/// A legend: a swatch and a name per series.
pub fn legend<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Markup {
    html! {
        ul.legend {
            @for (name, class) in items {
                li { span class={"sw " (class)} {} (name) }
            }
        }
    }
}

/// One bar of [`bars`].
pub struct Bar<'a> {
    /// Label left of the bar (`550`).
    pub label: &'a str,
    /// Tooltip text after the value (`Mailbox Unavailable`).
    pub note: &'a str,
    /// CSS class giving its colour.
    pub class: &'a str,
    /// Length.
    pub value: u64,
}

/// Horizontal bars, longest first as given, with the value at the end of each.
pub fn bars(id: &str, title: &str, rows: &[Bar<'_>]) -> Markup {
    let row_h = 22.0;
    let h = row_h * rows.len().max(1) as f64 + 8.0;
    let label_w = 64.0;
    let value_w = 72.0;
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let bar_w = |v: u64| (W - label_w - value_w) * v as f64 / max as f64;
    let title_id = format!("{id}-title");
    html! {
        svg.chart viewBox={"0 0 " (W) " " (c(h))} role="img" aria-labelledby=(title_id)
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            @for (i, r) in rows.iter().enumerate() {
                @let top = 4.0 + row_h * i as f64;
                g class=(r.class) {
                    text.axis x=(c(label_w - 8.0)) y=(c(top + 15.0)) text-anchor="end" { (r.label) }
                    rect.bar x=(c(label_w)) y=(c(top + 3.0)) width=(c(bar_w(r.value).max(1.0))) height="16" {
                        title { (r.label) " " (r.note) ": " (super::html::num(r.value)) }
                    }
                    text.axis x=(c(label_w + bar_w(r.value) + 6.0)) y=(c(top + 15.0)) { (super::html::num(r.value)) }
                }
            }
        }
    }
}

/// One bar split into shares (the reply-class mix), with a legend.
pub fn shares(id: &str, title: &str, parts: &[(&str, &str, u64)]) -> Markup {
    let total: u64 = parts.iter().map(|p| p.2).sum();
    let title_id = format!("{id}-title");
    let mut offset = 0.0;
    let mut rects = Vec::new();
    for (name, class, n) in parts {
        if *n == 0 || total == 0 {
            continue;
        }
        let w = W * *n as f64 / total as f64;
        rects.push((offset, w, *name, *class, *n));
        offset += w;
    }
    html! {
        svg.chart viewBox={"0 0 " (W) " 36"} role="img" aria-labelledby=(title_id)
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            @for (x, w, name, class, n) in &rects {
                rect class=(class) x=(c(*x)) y="4" width=(c(*w)) height="28" {
                    title { (name) ": " (super::html::num(*n)) " (" (super::percent(*n, total)) "%)" }
                }
            }
        }
        (legend(parts.iter().map(|p| (p.0, p.1))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0), 4);
        assert_eq!(nice_max(5), 8);
        assert_eq!(nice_max(37), 40);
        assert_eq!(nice_max(41), 80);
        assert_eq!(nice_max(931), 2000);
        assert!(nice_max(u64::MAX) >= u64::MAX / 2);
    }

    #[test]
    fn every_point_has_a_title() {
        let labels: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
        let svg = lines(
            "h",
            "Per hour",
            &labels,
            &[Series {
                name: "delivered",
                class: "s1",
                values: (0..24).collect(),
            }],
        )
        .into_string();
        assert_eq!(svg.matches("<circle").count(), 24);
        assert_eq!(svg.matches("<title>").count(), 24);
        assert!(svg.contains("<title id=\"h-title\">Per hour</title>"));
        assert!(svg.contains("23 delivered: 23"));
    }

    #[test]
    fn empty_inputs_do_not_divide_by_zero() {
        let svg = bars("b", "none", &[]).into_string();
        assert!(!svg.contains("NaN"));
        let svg = shares("s", "none", &[("2xx", "c2", 0)]).into_string();
        assert!(!svg.contains("NaN"));
        assert!(!svg.contains("<rect"));
    }
}
