//! Generic bounded tables: counts keyed by text a log supplies, in memory that stays
//! bounded however many keys there are, with results that never depend on threads or
//! chunks.
//!
//! Apart from counting because they know nothing of mail: [`capped`] keeps every key up to
//! a limit and then only the total, [`sampled`] keeps a reproducible hash sample.

pub mod capped;
pub mod sampled;
