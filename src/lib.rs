//! smtplog: count and explain the SMTP replies in Postfix and Exim logs.
//!
//! The pipeline is `input` (bytes, in line-aligned chunks) → `parse` (one line's facts)
//! → `count` (mergeable counts) → `report` (plain data, one module per format). The
//! `catalogue` explains every code.
//!
//! ```
//! use smtplog::parse::Parser;
//! use smtplog::stamp::YearRule;
//!
//! let parser = Parser::new();
//! let line = b"Nov 24 12:05:23 mx1 postfix/smtp[29970]: 80403B82BD: to=<a@b.test>, \
//!     relay=mx[192.0.2.1]:25, delay=0.02, delays=0/0/0/0.01, dsn=4.2.1, status=deferred \
//!     (host mx[192.0.2.1] said: 450 4.2.1 Mailbox busy (in reply to RCPT TO command))";
//! let parsed = parser.parse(line, &YearRule::fixed(2026));
//! assert_eq!(parsed.code.map(|c| c.value()), Some(450));
//! assert_eq!(parsed.enhanced.map(|e| e.to_string()).as_deref(), Some("4.2.1"));
//! ```
#![deny(missing_docs)]

pub mod catalogue;
pub mod code;
pub mod count;
pub mod diagnose;
pub mod events;
pub mod explain;
pub mod input;
pub mod journal;
pub mod limits;
mod model;
pub mod output;
pub mod parse;
pub mod providers;
pub mod report;
pub mod sanitize;
pub mod saved;
pub mod scan;
pub mod sources;
pub mod stamp;
pub mod tables;
pub mod thresholds;
pub mod window;
