//! Saved reports read back, for `smtplog merge`: a JSON report (written by
//! `report --format json`) is checked ([`merge`]) and turned into counts again ([`load`]), so
//! that reports add up through the counting layer. Apart from `report/`, which only builds
//! views and never writes into the counting types.

pub(crate) mod load;
pub mod merge;
