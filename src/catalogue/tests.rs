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
    for e in cat.replies() {
        let code = e.code;
        for (field, value) in [
            ("title", &e.title),
            ("status", &e.status),
            ("rfc", &e.rfc),
            ("description", &e.description),
            ("when", &e.when),
            ("fix_sender", &e.fix_sender),
            ("fix_admin", &e.fix_admin),
            ("advice", &e.advice),
            ("actor", &e.actor),
        ] {
            assert!(!value.trim().is_empty(), "{code}: empty {field}");
        }
        assert!(!e.commands.is_empty(), "{code}: no commands");
        assert!(ReplyCode::new(code).is_some(), "{code}: not 2xx-5xx");
        assert!(
            ["standard", "extension", "non-standard"].contains(&e.status.as_str()),
            "{code}: status {}",
            e.status
        );
        for related in &e.related {
            assert!(
                cat.has_code(related),
                "{code}: related {related} is not in the catalogue"
            );
        }
    }
    for e in cat.enhanced_entries() {
        let code = &e.code;
        for (field, value) in [
            ("title", &e.title),
            ("status", &e.status),
            ("rfc", &e.rfc),
            ("description", &e.description),
            ("when", &e.when),
            ("fix_sender", &e.fix_sender),
            ("fix_admin", &e.fix_admin),
            ("advice", &e.advice),
            ("actor", &e.actor),
        ] {
            assert!(!value.trim().is_empty(), "{code}: empty {field}");
        }
        assert!(
            !(e.transient.is_empty() && e.permanent.is_empty() && e.success.is_empty()),
            "{code}: no class has a meaning"
        );
        // Class digit matches: basic codes it travels with have a class the entry describes.
        for basic in &e.basic_codes {
            let class = (basic / 100) as u8;
            assert!(matches!(class, 2..=5), "{code}: basic code {basic}");
        }
        for related in &e.related {
            assert!(
                cat.has_code(related),
                "{code}: related {related} is not in the catalogue"
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
