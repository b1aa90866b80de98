//! Generate a large, realistic Postfix or Exim log for benchmarks, deterministic by seed.
//!
//! ```sh
//! cargo run --release --example genlog -- --lines 10000000 --mta postfix > bench-data/postfix.log
//! cargo run --release --example genlog -- --lines 10000000 --mta exim > bench-data/exim.log
//! ```
//! The mix follows the real corpus: most lines are connects, queue bookkeeping and
//! deliveries; a tenth carry 4xx/5xx replies, with multi-line replies and rejects among them.

use std::io::{self, BufWriter, Write};

/// xorshift64*: small, fast and deterministic; statistical quality is irrelevant here.
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

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const DEFERRALS: [&str; 5] = [
    "host mx.{d}[192.0.2.{n}] said: 450 4.2.1 <{u}@{d}>: Recipient address rejected: Mailbox temporarily unavailable (in reply to RCPT TO command)",
    "host mx.{d}[192.0.2.{n}] said: 451 4.7.1 <{u}@{d}>: Recipient address rejected: Greylisted, see http://grey.{d}/ (in reply to RCPT TO command)",
    "host mx.{d}[192.0.2.{n}] said: 421-4.7.0 [198.51.100.{n} 15] Unusual rate of mail from your IP 421-4.7.0 address. See 421 4.7.0 https://help.{d}/81126 - gsmtp (in reply to end of DATA command)",
    "connect to mx.{d}[192.0.2.{n}]:25: Connection timed out",
    "host mx.{d}[192.0.2.{n}] said: 452 4.2.2 <{u}@{d}>: Mailbox full, try again later (in reply to RCPT TO command)",
];

const BOUNCES: [&str; 3] = [
    "host mx.{d}[192.0.2.{n}] said: 550 5.1.1 <{u}@{d}>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
    "host mx.{d}[192.0.2.{n}] said: 554 5.7.1 Service unavailable; Client host [198.51.100.{n}] blocked using zen.dnsbl.test (in reply to RCPT TO command)",
    "host mx.{d}[192.0.2.{n}] said: 552 5.3.4 Message size exceeds fixed limit (in reply to end of DATA command)",
];

fn fill(template: &str, user: &str, domain: &str, n: u64) -> String {
    template
        .replace("{u}", user)
        .replace("{d}", domain)
        .replace("{n}", &n.to_string())
}

/// A deferred message waiting for its retry: (id, recipient, domain, host octet).
type Retry = (String, String, String, u64);

/// How many deferred messages wait for their retry at once (about ten minutes of log).
const RETRY_WINDOW: usize = 200;

struct Gen {
    rng: Rng,
    retries: std::collections::VecDeque<Retry>,
    secs: u64,
    year_day: u64,
    out: BufWriter<io::Stdout>,
    lines: u64,
}

impl Gen {
    fn stamp(&mut self) -> (String, String) {
        self.secs += self.rng.below(2);
        if self.secs >= 86_400 {
            self.secs -= 86_400;
            self.year_day += 1;
        }
        let month = ((self.year_day / 28) % 12) as usize;
        let day = self.year_day % 28 + 1;
        let (h, m, s) = (self.secs / 3600, self.secs / 60 % 60, self.secs % 60);
        (
            format!("{} {day:>2} {h:02}:{m:02}:{s:02}", MONTHS[month]),
            format!("2026-{:02}-{day:02} {h:02}:{m:02}:{s:02}", month + 1),
        )
    }

    fn postfix(&mut self, body: &str, daemon: &str) -> io::Result<()> {
        let (classic, _) = self.stamp();
        let pid = 1000 + self.rng.below(30000);
        writeln!(self.out, "{classic} mx1 postfix/{daemon}[{pid}]: {body}")?;
        self.lines += 1;
        Ok(())
    }

    fn exim(&mut self, body: &str) -> io::Result<()> {
        let (_, iso) = self.stamp();
        writeln!(self.out, "{iso} {body}")?;
        self.lines += 1;
        Ok(())
    }

    fn postfix_message(&mut self, m: u64) -> io::Result<()> {
        let qid = format!("{:010X}", m.wrapping_mul(2_654_435_761) & 0xFF_FFFF_FFFF);
        let user = format!("user{}", self.rng.below(5000));
        let domain = format!("dest{}.test", self.rng.below(300));
        let n = 1 + self.rng.below(250);
        let client = format!("client{}.example.test[198.51.100.{n}]", self.rng.below(900));
        if self.rng.below(100) < 6 {
            self.postfix(&format!("connect from {client}"), "smtpd")?;
            let reject = fill("NOQUEUE: reject: RCPT from {c}: 554 5.7.1 <{u}@{d}>: Relay access denied; from=<spam@bad.test> to=<{u}@{d}> proto=ESMTP helo=<bad.test>", &user, &domain, n).replace("{c}", &client);
            self.postfix(&reject, "smtpd")?;
            return self.postfix(
                &format!("disconnect from {client} ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"),
                "smtpd",
            );
        }
        self.postfix(&format!("connect from {client}"), "smtpd")?;
        self.postfix(&format!("{qid}: client={client}"), "smtpd")?;
        self.postfix(
            &format!("{qid}: message-id=<{m}.{n}@example.test>"),
            "cleanup",
        )?;
        let size = 1000 + self.rng.below(90_000);
        let sender = self.rng.below(800);
        self.postfix(
            &format!(
                "{qid}: from=<sender{sender}@example.test>, size={size}, nrcpt=1 (queue active)"
            ),
            "qmgr",
        )?;
        self.postfix(
            &format!("disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"),
            "smtpd",
        )?;
        let roll = self.rng.below(100);
        let prefix = format!("{qid}: to=<{user}@{domain}>, relay=mx.{domain}[192.0.2.{n}]:25, delay=0.4, delays=0.1/0.01/0.1/0.2, dsn=");
        if roll < 85 {
            let remote_id = self.rng.next() & 0xFFFF_FFFF;
            self.postfix(
                &format!("{prefix}2.0.0, status=sent (250 2.0.0 Ok: queued as {remote_id:X})"),
                "smtp",
            )?;
            return self.postfix(&format!("{qid}: removed"), "qmgr");
        }
        if roll < 95 {
            let t = DEFERRALS[self.rng.below(DEFERRALS.len() as u64) as usize];
            let text = fill(t, &user, &domain, n);
            let dsn = if t.starts_with("connect") {
                "4.4.1".to_string()
            } else {
                text[text.find("said: ").unwrap() + 10..]
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_string()
            };
            self.retries
                .push_back((qid.clone(), user.clone(), domain.clone(), n));
            self.postfix(&format!("{prefix}{dsn}, status=deferred ({text})"), "smtp")?;
            return self.retry_postfix();
        }
        let text = fill(
            BOUNCES[self.rng.below(BOUNCES.len() as u64) as usize],
            &user,
            &domain,
            n,
        );
        let dsn = text[text.find("said: ").unwrap() + 10..]
            .split(' ')
            .next()
            .unwrap()
            .to_string();
        self.postfix(&format!("{prefix}{dsn}, status=bounced ({text})"), "smtp")?;
        let bounce_id = self.rng.next() & 0xFF_FFFF_FFFF;
        self.postfix(
            &format!("{qid}: sender non-delivery notification: {bounce_id:X}"),
            "bounce",
        )?;
        self.postfix(&format!("{qid}: removed"), "qmgr")
    }

    /// Deferred messages are retried later and delivered, as a real queue does.
    fn retry_postfix(&mut self) -> io::Result<()> {
        if self.retries.len() <= RETRY_WINDOW {
            return Ok(());
        }
        let (qid, user, domain, n) = self.retries.pop_front().expect("non-empty");
        self.postfix(&format!("{qid}: to=<{user}@{domain}>, relay=mx.{domain}[192.0.2.{n}]:25, delay=905, delays=900/0.01/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {n:X}F)"), "smtp")?;
        self.postfix(&format!("{qid}: removed"), "qmgr")
    }

    fn retry_exim(&mut self) -> io::Result<()> {
        if self.retries.len() <= RETRY_WINDOW {
            return Ok(());
        }
        let (id, user, domain, n) = self.retries.pop_front().expect("non-empty");
        self.exim(&format!("{id} => {user}@{domain} R=dnslookup T=remote_smtp H=mx.{domain} [192.0.2.{n}]:25 C=\"250 2.0.0 Ok: queued as {n:X}F\" QT=15m5s DT=0s"))?;
        self.exim(&format!("{id} Completed"))
    }

    fn exim_message(&mut self, m: u64) -> io::Result<()> {
        const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut id = String::new();
        let mut v = m.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for i in 0..14 {
            if i == 6 || i == 12 {
                id.push('-');
            }
            id.push(B62[(v % 62) as usize] as char);
            v /= 62;
        }
        let user = format!("user{}", self.rng.below(5000));
        let domain = format!("dest{}.test", self.rng.below(300));
        let n = 1 + self.rng.below(250);
        if self.rng.below(100) < 6 {
            return self.exim(&format!("H=(bad.test) [198.51.100.{n}]:4{n} F=<spam@bad.test> rejected RCPT <{user}@{domain}>: relay not permitted"));
        }
        self.exim(&format!(
            "SMTP connection from [198.51.100.{n}]:5{n} (TCP/IP connection count = 1)"
        ))?;
        let (sender, size) = (self.rng.below(800), 1000 + self.rng.below(90_000));
        self.exim(&format!("{id} <= sender{sender}@example.test H=(c.example.test) [198.51.100.{n}]:5{n} P=esmtp S={size} id={m}@example.test T=\"hello {m}\" for {user}@{domain}"))?;
        let roll = self.rng.below(100);
        let base = format!("{id} {{flag}} {user}@{domain} R=dnslookup T=remote_smtp");
        if roll < 85 {
            let remote_id = self.rng.next() & 0xFFFF_FFFF;
            self.exim(&format!("{} H=mx.{domain} [192.0.2.{n}]:25 C=\"250 2.0.0 Ok: queued as {remote_id:X}\" QT=1s DT=0s", base.replace("{flag}", "=>")))?;
        } else if roll < 95 {
            self.exim(&format!("{} defer (-44) H=mx.{domain} [192.0.2.{n}]:25 DT=0s: SMTP error from remote mail server after RCPT TO:<{user}@{domain}>: 451 4.7.1 <{user}@{domain}>: Recipient address rejected: Greylisted", base.replace("{flag}", "==")))?;
            self.retries
                .push_back((id.clone(), user.clone(), domain.clone(), n));
            return self.retry_exim();
        } else {
            self.exim(&format!("{} H=mx.{domain} [192.0.2.{n}]:25: SMTP error from remote mail server after RCPT TO:<{user}@{domain}>: 550-5.1.1 The account does not exist.\\n550 5.1.1 See https://help.{domain}/", base.replace("{flag}", "**")))?;
        }
        self.exim(&format!("{id} Completed"))
    }
}

fn main() -> io::Result<()> {
    let mut lines: u64 = 1_000_000;
    let mut seed: u64 = 42;
    let mut exim = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().expect("a value after the option");
        match arg.as_str() {
            "--lines" => lines = value().parse().expect("--lines N"),
            "--seed" => seed = value().parse().expect("--seed N"),
            "--mta" => exim = value() == "exim",
            other => panic!("unknown argument {other}; use --lines N --seed N --mta postfix|exim"),
        }
    }
    let mut gen = Gen {
        rng: Rng(seed.max(1)),
        retries: Default::default(),
        secs: 0,
        year_day: 0,
        out: BufWriter::with_capacity(1 << 20, io::stdout()),
        lines: 0,
    };
    let mut m = 0;
    while gen.lines < lines {
        m += 1;
        if exim {
            gen.exim_message(m)?;
        } else {
            gen.postfix_message(m)?;
        }
    }
    gen.out.flush()
}
