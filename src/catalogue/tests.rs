//! The catalogue's own checks: unique codes, complete fields, coverage, related codes exist.

use super::*;

/// Every code issue #3 asks for.
const REQUIRED_REPLIES: [u16; 37] = [
    211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550,
    551, 552, 553, 554, 555, 235, 334, 432, 454, 530, 534, 535, 538, 521, 556, 523, 540, 541,
];

fn required_enhanced() -> Vec<String> {
    let mut codes = vec!["X.0.0".to_string()];
    for (subject, last) in [(1, 10), (2, 4), (3, 6), (4, 7), (5, 6), (6, 10), (7, 30)] {
        for detail in 0..=last {
            codes.push(format!("X.{subject}.{detail}"));
        }
    }
    codes
}

#[test]
fn embedded_catalogue_parses() {
    Catalogue::parse(REPLIES_TOML, ENHANCED_TOML).unwrap();
}

#[test]
fn covers_every_required_code() {
    let cat = catalogue();
    for code in REQUIRED_REPLIES {
        assert!(
            cat.reply(ReplyCode::new(code).unwrap()).is_some(),
            "missing reply {code}"
        );
    }
    for code in required_enhanced() {
        assert!(cat.has_code(&code), "missing enhanced {code}");
    }
    assert_eq!(cat.classes().len(), 4);
    for subject in 0..=7 {
        assert!(cat.subject(subject).is_some(), "missing subject {subject}");
    }
}

#[test]
fn every_entry_is_complete_and_consistent() {
    let cat = catalogue();
    // Both kinds of entry, through the export that flattens them to the same fields.
    for row in crate::explain::export_rows() {
        let code = &row.code;
        for (field, value) in [
            ("title", row.title),
            ("status", row.status),
            ("rfc", row.rfc),
            ("description", row.description),
            ("when", row.when),
            ("fix_sender", row.fix_sender),
            ("fix_admin", row.fix_admin),
            ("advice", row.advice),
            ("actor", row.actor),
            ("answers", row.answers.as_str()),
            ("class", row.class.as_str()),
        ] {
            assert!(!value.trim().is_empty(), "{code}: empty {field}");
        }
        assert!(
            ["standard", "extension", "non-standard"].contains(&row.status),
            "{code}: status {}",
            row.status
        );
    }
    for e in cat.replies() {
        assert!(ReplyCode::new(e.code).is_some(), "{}: not 2xx-5xx", e.code);
        for related in &e.related {
            assert!(
                cat.has_code(related),
                "{}: related {related} is not in the catalogue",
                e.code
            );
        }
    }
    for e in cat.enhanced_entries() {
        // The basic codes it travels with are real reply codes.
        for basic in &e.basic_codes {
            assert!(
                ReplyCode::new(*basic).is_some(),
                "{}: basic code {basic}",
                e.code
            );
        }
        for related in &e.related {
            assert!(
                cat.has_code(related),
                "{}: related {related} is not in the catalogue",
                e.code
            );
        }
    }
}

#[test]
fn lookups() {
    let cat = catalogue();
    assert!(
        matches!(cat.find("551"), Ok(Entry::Reply(_, Some(e))) if e.title.contains("Not Local"))
    );
    assert!(matches!(cat.find("5.7.1"), Ok(Entry::Enhanced(c, Some(_))) if c.class() == 5));
    assert!(matches!(cat.find("X.7.1"), Ok(Entry::Enhanced(_, Some(_)))));
    assert!(matches!(cat.find("599"), Ok(Entry::Reply(_, None))));
    assert!(matches!(cat.find("5.9.99"), Ok(Entry::Enhanced(_, None))));
    assert!(cat.find("hello").is_err());
    assert!(cat.find("850").is_err());
}

#[test]
fn class_meanings() {
    let cat = catalogue();
    let actions: Vec<&str> = Class::ALL
        .iter()
        .map(|c| cat.class(*c).unwrap().sender_action.as_str())
        .collect();
    assert_eq!(actions, ["done", "continue", "retry later", "give up"]);
}

#[test]
fn errors_keep_their_words_and_sources() {
    use std::error::Error as _;
    let err = catalogue().find(" hello ").unwrap_err();
    assert_eq!(err, FindError::NotACode("hello".to_string()));
    assert_eq!(
        err.to_string(),
        "\"hello\" is not an SMTP reply code (200-599, e.g. 550) or an enhanced status code (e.g. 5.7.1)"
    );
    let err = Catalogue::parse("reply = 1", ENHANCED_TOML).unwrap_err();
    assert!(matches!(err, CatalogueError::Replies(_)), "{err:?}");
    assert!(err.to_string().starts_with("replies catalogue: "), "{err}");
    assert!(err.source().is_some());
    let twice = format!("{REPLIES_TOML}\n{}", reply_block(REPLIES_TOML, 550));
    let err = Catalogue::parse(&twice, ENHANCED_TOML).unwrap_err();
    assert_eq!(err.to_string(), "reply code 550 appears twice");
}

/// One `[[reply]]` table of the replies file, by code.
fn reply_block(toml: &str, code: u16) -> String {
    let start = toml
        .find(&format!("[[reply]]\ncode = {code}\n"))
        .expect("the code has an entry");
    let len = toml[start + 1..]
        .find("\n[[")
        .map_or(toml.len() - start, |e| e + 1);
    toml[start..start + len].to_string()
}
