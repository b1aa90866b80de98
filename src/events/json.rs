//! The hand-written JSON of a record: byte for byte what `serde_json` writes for the derived
//! `Serialize`, without serde's walk of the struct.

use super::fields::{Clear, Escapes, LogEscapes};
use super::Record;
use std::io;

impl Record<'_> {
    /// Append the record as one line of JSON, byte for byte as `serde_json` writes the
    /// derived `Serialize` (tested): serde's walk of the struct, escaping every key and
    /// value a byte at a time, was most of the cost of a record.
    pub(super) fn write_json(&self, out: &mut Vec<u8>, escapes: Escapes<'_>) -> io::Result<()> {
        let mut json = Json {
            out,
            log: escapes.log,
            clear: escapes.clear,
        };
        json.made(b"{\"ts\":", self.ts.as_deref());
        json.made(b",\"stamp\":", self.stamp.as_deref());
        json.text(b",\"host\":", self.host.as_deref())?;
        json.made(b",\"mta\":", Some(self.mta));
        json.text(b",\"program\":", Some(&self.program))?;
        json.text(b",\"queue_id\":", self.queue_id.as_deref())?;
        json.made(b",\"event\":", self.event);
        json.number(b",\"code\":", self.code);
        json.made(b",\"class\":", self.class);
        json.made(b",\"enhanced\":", self.enhanced.as_deref());
        json.made(b",\"dsn\":", self.dsn.as_deref());
        json.text(b",\"relay\":", self.relay.as_deref())?;
        json.text(b",\"relay_ip\":", self.relay_ip.as_deref())?;
        json.text(b",\"client\":", self.client.as_deref())?;
        json.text(b",\"client_ip\":", self.client_ip.as_deref())?;
        json.text(b",\"sender\":", self.sender.as_deref())?;
        json.text(b",\"recipient\":", self.recipient.as_deref())?;
        json.seconds(b",\"delay_s\":", self.delay_s)?;
        json.number(b",\"size\":", self.size);
        json.made(b",\"stage\":", self.stage);
        json.boolean(b",\"temporary\":", self.temporary);
        json.boolean(b",\"host_error\":", self.host_error);
        match escapes.reason {
            Some(reason) => json.text_as(b",\"reason\":", self.reason.as_deref(), reason)?,
            None => json.text(b",\"reason\":", self.reason.as_deref())?,
        }
        out.extend_from_slice(b"}\n");
        Ok(())
    }
}

/// Fields of a JSON object written into a buffer, each key a literal with its `{` or `,`
/// (inlined, so its copy is a few moves, not a call).
pub(super) struct Json<'o> {
    pub(super) out: &'o mut Vec<u8>,
    /// What the log texts may hold.
    pub(super) log: LogEscapes,
    /// Where they hold no quote.
    pub(super) clear: Clear<'o>,
}

impl Json<'_> {
    /// A text that needs no escape (one smtplog made: a stamp, a code, a name).
    #[inline(always)]
    fn made(&mut self, key: &'static [u8], text: Option<&str>) {
        self.out.extend_from_slice(key);
        match text {
            Some(text) => {
                debug_assert!(!needs_json_escape(text.as_bytes()), "{text}");
                self.out.push(b'"');
                self.out.extend_from_slice(text.as_bytes());
                self.out.push(b'"');
            }
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// A text escaped by serde_json.
    #[inline(always)]
    fn escaped(&mut self, key: &'static [u8], text: Option<&str>) -> io::Result<()> {
        self.out.extend_from_slice(key);
        Ok(serde_json::to_writer(&mut *self.out, &text)?)
    }

    /// Text from the log: escaped for the terminal already, so it seldom holds what JSON
    /// escapes, and if its line was plain, only a quote.
    #[inline(always)]
    fn text(&mut self, key: &'static [u8], text: Option<&str>) -> io::Result<()> {
        let escapes = match text {
            Some(text) if self.log == LogEscapes::Quotes && self.clear.holds(text) => {
                LogEscapes::None
            }
            _ => self.log,
        };
        self.text_as(key, text, escapes)
    }

    /// A text that may hold `escapes`.
    #[inline(always)]
    fn text_as(
        &mut self,
        key: &'static [u8],
        text: Option<&str>,
        escapes: LogEscapes,
    ) -> io::Result<()> {
        match (text, escapes) {
            (Some(text), LogEscapes::Quotes) if memchr::memchr(b'"', text.as_bytes()).is_some() => {
                // serde_json writes `\"` for a quote and every other byte of such text as
                // it is; Exim's `C="..."` replies put quotes in most reasons.
                self.out.extend_from_slice(key);
                self.out.push(b'"');
                let mut from = 0;
                for quote in memchr::memchr_iter(b'"', text.as_bytes()) {
                    self.out.extend_from_slice(&text.as_bytes()[from..quote]);
                    self.out.extend_from_slice(b"\\\"");
                    from = quote + 1;
                }
                self.out.extend_from_slice(&text.as_bytes()[from..]);
                self.out.push(b'"');
                Ok(())
            }
            (Some(text), LogEscapes::Any) if needs_json_escape(text.as_bytes()) => {
                self.escaped(key, Some(text))
            }
            (text, _) => {
                self.made(key, text);
                Ok(())
            }
        }
    }

    /// A number or null.
    #[inline(always)]
    fn number(&mut self, key: &'static [u8], value: Option<impl itoa::Integer>) {
        self.out.extend_from_slice(key);
        match value {
            Some(n) => self
                .out
                .extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// A boolean.
    #[inline(always)]
    fn boolean(&mut self, key: &'static [u8], value: bool) {
        self.out.extend_from_slice(key);
        self.out
            .extend_from_slice(if value { &b"true"[..] } else { &b"false"[..] });
    }

    /// Seconds, or null, as serde_json writes them.
    #[inline(always)]
    pub(super) fn seconds(&mut self, key: &'static [u8], seconds: Option<f64>) -> io::Result<()> {
        self.out.extend_from_slice(key);
        // Delays are whole milliseconds (`ms / 1000`). Below 2^40 ms, doubles are far closer
        // together than 1 ms, so the shortest text that reads back as the delay is the
        // decimal digits of its milliseconds (tested): most records have a delay, and this
        // spares the float formatter.
        let ms = seconds
            .map(|s| (s * 1000.0).round())
            .filter(|&ms| (0.0..(1u64 << 40) as f64).contains(&ms) && Some(ms / 1000.0) == seconds);
        match ms.map(|ms| ms as u64) {
            Some(ms) => {
                let mut digits = itoa::Buffer::new();
                self.out
                    .extend_from_slice(digits.format(ms / 1000).as_bytes());
                self.out.push(b'.');
                let fraction = ms % 1000;
                let (mut fraction, mut width) = (fraction, 3);
                while fraction % 10 == 0 && width > 1 {
                    fraction /= 10;
                    width -= 1;
                }
                let text = digits.format(fraction).as_bytes();
                // Leading zeros of the fraction (`0.05`), then its digits.
                for _ in text.len()..width {
                    self.out.push(b'0');
                }
                self.out.extend_from_slice(text);
                Ok(())
            }
            None => Ok(serde_json::to_writer(&mut *self.out, &seconds)?),
        }
    }
}

/// Whether JSON needs an escape in the text: a quote, a backslash or a control character.
/// Without early exit in a block, so that the test compiles to vector compares.
pub(super) fn needs_json_escape(text: &[u8]) -> bool {
    let odd = |block: &[u8]| {
        block.iter().fold(false, |odd, &b| {
            odd | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    };
    let mut blocks = text.chunks_exact(16);
    blocks.any(odd) || odd(blocks.remainder())
}
