//! Tests of the brief report: the width it fits, whole-word colour, and wrapping in display
//! columns.

use super::*;

#[test]
fn width_is_the_terminal_then_columns_then_80_and_at_least_the_minimum() {
    assert_eq!(width(Some(132), Some("100")), 132);
    assert_eq!(width(None, Some(" 100 ")), 100);
    assert_eq!(width(None, Some("wide")), 80);
    assert_eq!(width(None, None), 80);
    assert_eq!(width(Some(0), None), 80);
    assert_eq!(width(None, Some("20")), MIN_WIDTH);
}

#[test]
fn colour_goes_on_whole_words_only() {
    let mut sink = Vec::new();
    let page = Page {
        out: &mut sink,
        width: 80,
        color: true,
    };
    let head = page.paint_words(" 1. 1550 bounced 550 5.1.1: ", &["bounced", "550", "5.1.1"]);
    assert_eq!(
        head,
        " 1. 1550 \x1b[31mbounced\x1b[0m \x1b[31m550\x1b[0m \x1b[31m5.1.1\x1b[0m: "
    );
}

#[test]
fn paragraphs_wrap_with_a_hanging_indent_in_display_columns() {
    let mut out = Vec::new();
    let mut page = Page {
        out: &mut out,
        width: 20,
        color: false,
    };
    page.para(
        "fix: ",
        "  ",
        "one two three four five six-seven-eight",
        &[],
    )
    .unwrap();
    page.para("", "  ", "邮箱已满邮箱已满邮箱已满", &[])
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "fix: one two\n  three four five\n  six-seven-eight\n邮箱已满邮箱已满邮\n  箱已满\n"
    );
    assert!(text.lines().all(|l| l.width() <= 20));
}
