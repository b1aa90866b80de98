//! The catalogue of SMTP reply codes and enhanced status codes.
//!
//! The entries are data (`catalogue/*.toml`), embedded at build time and parsed once.

use crate::code::{Class, EnhancedCode, ReplyCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Why catalogue data could not be read (only edited data files fail: the embedded data is
/// checked by tests).
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The replies file is not TOML of the catalogue's shape.
    #[error("replies catalogue: {0}")]
    Replies(#[source] toml::de::Error),
    /// The enhanced codes file is not TOML of the catalogue's shape.
    #[error("enhanced catalogue: {0}")]
    Enhanced(#[source] toml::de::Error),
    /// Two entries for one reply code.
    #[error("reply code {0} appears twice")]
    DuplicateReply(u16),
    /// An enhanced entry whose code is not `X.<subject>.<detail>`.
    #[error("bad enhanced code {0:?}")]
    BadEnhanced(String),
    /// Two entries for one enhanced code.
    #[error("enhanced code {0} appears twice")]
    DuplicateEnhanced(String),
}

/// What the user asked about is not a code (`explain hello`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    /// Neither a reply code nor an enhanced status code; the query as looked up (trimmed).
    #[error(
        "{0:?} is not an SMTP reply code (200-599, e.g. 550) or an enhanced status code (e.g. 5.7.1)"
    )]
    NotACode(String),
}

const REPLIES_TOML: &str = include_str!("../catalogue/replies.toml");
const ENHANCED_TOML: &str = include_str!("../catalogue/enhanced.toml");

/// What a reply class means for the sender.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassEntry {
    /// 2, 3, 4 or 5.
    pub digit: u8,
    /// `Permanent Negative Completion`.
    pub name: String,
    /// done / continue / retry later / give up.
    pub sender_action: String,
    /// What the class means for the message.
    pub meaning: String,
}

/// A widespread non-standard use of a code.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Short name, e.g. `Greylisting`.
    pub name: String,
    /// The enhanced code that usually comes with it.
    #[serde(default)]
    pub enhanced: Option<String>,
    /// What it means and what to do.
    pub text: String,
}

/// A basic reply code's entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyEntry {
    /// The code.
    pub code: u16,
    /// Short title.
    pub title: String,
    /// standard / extension / non-standard.
    pub status: String,
    /// Defining document.
    pub rfc: String,
    /// SMTP commands or stages it answers.
    pub commands: Vec<String>,
    /// What it means.
    pub description: String,
    /// When you see it.
    pub when: String,
    /// What the sender can do.
    pub fix_sender: String,
    /// What the replying server's admin can do.
    pub fix_admin: String,
    /// One line of advice for tables.
    pub advice: String,
    /// Who must act.
    pub actor: String,
    /// Related codes.
    pub related: Vec<String>,
    /// Widespread non-standard uses.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// The meaning of an enhanced code's subject digit.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectEntry {
    /// The subject number.
    pub digit: u16,
    /// `Addressing Status`.
    pub name: String,
    /// What the subject covers.
    pub meaning: String,
}

/// An enhanced status code's entry, written with class `X` (`X.1.1`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnhancedEntry {
    /// `X.1.1`.
    pub code: String,
    /// Registry title.
    pub title: String,
    /// standard / non-standard.
    pub status: String,
    /// Registering document.
    pub rfc: String,
    /// Basic codes it usually travels with.
    pub basic_codes: Vec<u16>,
    /// What it means.
    pub description: String,
    /// What the 4.y.z form means (empty: not used transiently).
    pub transient: String,
    /// What the 5.y.z form means (empty: not used permanently).
    pub permanent: String,
    /// What the 2.y.z form means (empty: not used for success).
    pub success: String,
    /// When you see it.
    pub when: String,
    /// What the sender can do.
    pub fix_sender: String,
    /// What the replying server's admin can do.
    pub fix_admin: String,
    /// One line of advice for tables.
    pub advice: String,
    /// Who must act.
    pub actor: String,
    /// Related codes.
    pub related: Vec<String>,
}

impl EnhancedEntry {
    /// Subject and detail numbers parsed from `X.s.d`.
    pub fn key(&self) -> Option<(u16, u16)> {
        let rest = self.code.strip_prefix("X.")?;
        let (s, d) = rest.split_once('.')?;
        Some((s.parse().ok()?, d.parse().ok()?))
    }

    /// The basic codes it travels with, as `550, 553`.
    pub fn basic_codes_text(&self) -> String {
        let codes: Vec<String> = self.basic_codes.iter().map(u16::to_string).collect();
        codes.join(", ")
    }

    /// The classes it is used in, as `4,5`.
    pub fn classes_text(&self) -> String {
        let classes: Vec<&str> = [
            ("2", &self.success),
            ("4", &self.transient),
            ("5", &self.permanent),
        ]
        .into_iter()
        .filter(|(_, note)| !note.is_empty())
        .map(|(class, _)| class)
        .collect();
        classes.join(",")
    }

    /// The text for one class (2, 4 or 5).
    pub fn class_note(&self, class: u8) -> &str {
        match class {
            2 => &self.success,
            4 => &self.transient,
            _ => &self.permanent,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepliesFile {
    class: Vec<ClassEntry>,
    reply: Vec<ReplyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnhancedFile {
    subject: Vec<SubjectEntry>,
    enhanced: Vec<EnhancedEntry>,
}

/// The whole catalogue.
#[derive(Debug)]
pub struct Catalogue {
    classes: Vec<ClassEntry>,
    replies: BTreeMap<u16, ReplyEntry>,
    subjects: BTreeMap<u16, SubjectEntry>,
    enhanced: BTreeMap<(u16, u16), EnhancedEntry>,
}

/// What a code the user asked about is.
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    /// A basic reply code, with its entry if the catalogue has one.
    Reply(ReplyCode, Option<&'a ReplyEntry>),
    /// An enhanced code, with its entry if the catalogue has one.
    Enhanced(EnhancedCode, Option<&'a EnhancedEntry>),
}

impl Catalogue {
    /// Parse catalogue data. The embedded data is checked by tests, so this only fails on edited files.
    pub fn parse(replies: &str, enhanced: &str) -> Result<Catalogue, CatalogueError> {
        let replies: RepliesFile = toml::from_str(replies).map_err(CatalogueError::Replies)?;
        let enhanced: EnhancedFile = toml::from_str(enhanced).map_err(CatalogueError::Enhanced)?;
        let mut catalogue = Catalogue {
            classes: replies.class,
            replies: BTreeMap::new(),
            subjects: BTreeMap::new(),
            enhanced: BTreeMap::new(),
        };
        for entry in replies.reply {
            let code = entry.code;
            if catalogue.replies.insert(code, entry).is_some() {
                return Err(CatalogueError::DuplicateReply(code));
            }
        }
        for subject in enhanced.subject {
            catalogue.subjects.insert(subject.digit, subject);
        }
        for entry in enhanced.enhanced {
            let key = entry
                .key()
                .ok_or_else(|| CatalogueError::BadEnhanced(entry.code.clone()))?;
            let code = entry.code.clone();
            if catalogue.enhanced.insert(key, entry).is_some() {
                return Err(CatalogueError::DuplicateEnhanced(code));
            }
        }
        Ok(catalogue)
    }

    /// The entry for a class.
    pub fn class(&self, class: Class) -> Option<&ClassEntry> {
        self.classes.iter().find(|c| c.digit == class.digit())
    }

    /// All class entries.
    pub fn classes(&self) -> &[ClassEntry] {
        &self.classes
    }

    /// The entry for a basic code.
    pub fn reply(&self, code: ReplyCode) -> Option<&ReplyEntry> {
        self.replies.get(&code.value())
    }

    /// The entry for an enhanced code (any class).
    pub fn enhanced(&self, code: EnhancedCode) -> Option<&EnhancedEntry> {
        self.enhanced.get(&(code.subject(), code.detail()))
    }

    /// The entry for an enhanced code's subject.
    pub fn subject(&self, subject: u16) -> Option<&SubjectEntry> {
        self.subjects.get(&subject)
    }

    /// All basic code entries, by code.
    pub fn replies(&self) -> impl Iterator<Item = &ReplyEntry> {
        self.replies.values()
    }

    /// All enhanced code entries, by subject and detail.
    pub fn enhanced_entries(&self) -> impl Iterator<Item = &EnhancedEntry> {
        self.enhanced.values()
    }

    /// Look up what the user typed: `551`, `5.7.1`, `X.7.1`.
    pub fn find(&self, query: &str) -> Result<Entry<'_>, FindError> {
        let query = query.trim();
        if let Ok(code) = query.parse::<ReplyCode>() {
            return Ok(Entry::Reply(code, self.reply(code)));
        }
        let concrete = query
            .strip_prefix(['X', 'x'])
            .map(|rest| format!("5{rest}"))
            .unwrap_or_else(|| query.to_string());
        if let Ok(code) = concrete.parse::<EnhancedCode>() {
            return Ok(Entry::Enhanced(code, self.enhanced(code)));
        }
        Err(FindError::NotACode(query.to_string()))
    }

    /// Does a code named in a `related` list exist?
    pub fn has_code(&self, code: &str) -> bool {
        match self.find(code) {
            Ok(Entry::Reply(_, entry)) => entry.is_some(),
            Ok(Entry::Enhanced(_, entry)) => entry.is_some(),
            Err(_) => false,
        }
    }
}

/// The embedded catalogue, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        Catalogue::parse(REPLIES_TOML, ENHANCED_TOML)
            .expect("the embedded catalogue is checked by tests")
    })
}

#[cfg(test)]
mod tests;
