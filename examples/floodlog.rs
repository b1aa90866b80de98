//! Generate hostile logs that try to make smtplog's memory grow, deterministic by seed
//! (`scripts/flood.sh` runs the binary on each and prints its peak memory).
//!
//! ```sh
//! cargo run --release --example floodlog -- --kind codes --lines 1000000 > flood-codes.log
//! ```
//! Kinds: `codes` (a different enhanced code per line, `550 5.123.456`, 1-3 digits each),
//! `days` (a different day per line, RFC 3339 stamps), `daemons` (a different daemon name
//! per line, `postfix/p123456[1]: warning: ...`), `ids` (a different queue id per line, never
//! removed), `mixed` (those four in turn), and `facts` (a different combination of reply
//! code, hour and day per line, each within its own limit).

use std::io::{self, BufWriter, Write};

/// xorshift64*: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Codes,
    Days,
    Daemons,
    Ids,
    Mixed,
    Facts,
}

/// A classic syslog stamp, one second per line from midnight (wrapping after a day).
fn stamp(i: u64) -> String {
    let s = i % 86_400;
    format!("Nov 24 {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn line(out: &mut impl Write, kind: Kind, i: u64, rng: &mut Rng) -> io::Result<()> {
    match kind {
        Kind::Codes => {
            // Subject and detail of 1-3 digits: 5.0.0 to 5.999.999.
            let (s, d) = (rng.below(1000), rng.below(1000));
            let class = [4, 5][rng.below(2) as usize];
            writeln!(
                out,
                "{} mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x.test[192.0.2.1]: {class}50 {class}.{s}.{d} <a@b.test>: Recipient address rejected; from=<c@d.test> to=<a@b.test> proto=ESMTP helo=<x.test>",
                stamp(i)
            )
        }
        Kind::Days => {
            // A different day per line, from year 1000 on (1M lines reach year 3737).
            let day = chrono::NaiveDate::from_ymd_opt(1000, 1, 1).unwrap() + chrono::Days::new(i);
            writeln!(
                out,
                "{day}T10:00:00+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x.test[192.0.2.1]: 554 5.7.1 <a@b.test>: Relay access denied; from=<c@d.test> to=<a@b.test> proto=ESMTP helo=<x.test>"
            )
        }
        Kind::Daemons => writeln!(
            out,
            "{} mx1 postfix/p{i}[1]: warning: hostname x.test does not resolve to address 192.0.2.1",
            stamp(i)
        ),
        Kind::Ids => writeln!(
            out,
            "{} mx1 postfix/smtpd[1]: {:012X}: client=x.test[192.0.2.1]",
            stamp(i),
            i.wrapping_mul(2_654_435_761) & 0xFFFF_FFFF_FFFF
        ),
        Kind::Facts => {
            // 400 reply codes x 24 hours, then the next day.
            let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
                + chrono::Days::new(i / 9600 % 3000);
            writeln!(
                out,
                "{day}T{:02}:00:00+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x.test[192.0.2.1]: {} 5.7.1 <a@b.test>: Relay access denied; from=<c@d.test> to=<a@b.test> proto=ESMTP helo=<x.test>",
                i / 400 % 24,
                200 + i % 400
            )
        }
        Kind::Mixed => {
            let kind = [Kind::Codes, Kind::Days, Kind::Daemons, Kind::Ids][(i % 4) as usize];
            line(out, kind, i, rng)
        }
    }
}

fn main() -> io::Result<()> {
    let mut lines: u64 = 1_000_000;
    let mut seed: u64 = 42;
    let mut kind = Kind::Mixed;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--lines" => lines = value().parse().expect("--lines N"),
            "--seed" => seed = value().parse().expect("--seed N"),
            "--kind" => {
                kind = match value().as_str() {
                    "codes" => Kind::Codes,
                    "days" => Kind::Days,
                    "daemons" => Kind::Daemons,
                    "ids" => Kind::Ids,
                    "mixed" => Kind::Mixed,
                    "facts" => Kind::Facts,
                    other => panic!("unknown kind {other}"),
                }
            }
            other => panic!(
                "unknown argument {other}; use --lines N --seed N --kind codes|days|daemons|ids|mixed|facts"
            ),
        }
    }
    let mut rng = Rng(seed.max(1));
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout());
    for i in 0..lines {
        line(&mut out, kind, i, &mut rng)?;
    }
    out.flush()
}
