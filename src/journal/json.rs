//! Reading one `journalctl -o json` entry without copying: the fields that make a syslog
//! line, each a borrowed text, bytes (an array of numbers) or null.

use crate::input::MAX_LINE;
use serde::de;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A field's value: text, bytes (journald writes non-UTF-8 values as arrays of numbers),
/// or null (a value over journald's size limit).
#[derive(Debug, Default)]
pub(super) enum Value<'a> {
    #[default]
    Missing,
    Null,
    Text(Cow<'a, str>),
    Bytes(Vec<u8>),
}

impl Value<'_> {
    pub(super) fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Text(t) => Some(t.as_bytes()),
            Value::Bytes(b) => Some(b),
            Value::Missing | Value::Null => None,
        }
    }
}

pub(super) struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a journal field value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Owned(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'de>, E> {
        Ok(Value::Text(Cow::Owned(v.to_string())))
    }

    /// An array of byte values (a non-UTF-8 value), or of values (a field given more
    /// than once: the first counts, as syslog shows the first).
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let mut bytes = Vec::new();
        let mut first: Option<Value<'de>> = None;
        while let Some(item) = seq.next_element::<Item<'de>>()? {
            match item {
                Item::Byte(b) => bytes.push(b),
                Item::Value(v) => {
                    first.get_or_insert(v);
                }
            }
            if bytes.len() > MAX_LINE {
                // Still read to the end of the array, but keep no more.
                bytes.truncate(MAX_LINE + 1);
            }
        }
        Ok(first.unwrap_or(Value::Bytes(bytes)))
    }
}

impl<'de> de::Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// One element of an array value.
pub(super) enum Item<'a> {
    Byte(u8),
    Value(Value<'a>),
}

impl<'de> de::Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ItemVisitor;
        impl<'de> Visitor<'de> for ItemVisitor {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a byte or a field value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item<'de>, E> {
                u8::try_from(v)
                    .map(Item::Byte)
                    .map_err(|_| E::custom("byte value over 255"))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Item<'de>, E> {
                Ok(Item::Value(Value::Text(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item<'de>, E> {
                Ok(Item::Value(Value::Text(Cow::Owned(v.to_string()))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item<'de>, A::Error> {
                ValueVisitor.visit_seq(seq).map(Item::Value)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Item<'de>, E> {
                Ok(Item::Value(Value::Null))
            }
        }
        d.deserialize_any(ItemVisitor)
    }
}

/// The fields of an entry that make a syslog line; the rest are skipped unread.
#[derive(Default)]
pub(super) struct Entry<'a> {
    pub(super) realtime: Value<'a>,
    pub(super) hostname: Value<'a>,
    pub(super) identifier: Value<'a>,
    pub(super) comm: Value<'a>,
    pub(super) pid: Value<'a>,
    pub(super) syslog_pid: Value<'a>,
    pub(super) message: Value<'a>,
}

impl<'de> de::Deserialize<'de> for Entry<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = Entry<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a journal entry (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry<'de>, A::Error> {
                let mut entry = Entry::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let slot = match key.as_ref() {
                        "__REALTIME_TIMESTAMP" => &mut entry.realtime,
                        "_HOSTNAME" => &mut entry.hostname,
                        "SYSLOG_IDENTIFIER" => &mut entry.identifier,
                        "_COMM" => &mut entry.comm,
                        "_PID" => &mut entry.pid,
                        "SYSLOG_PID" => &mut entry.syslog_pid,
                        "MESSAGE" => &mut entry.message,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = map.next_value()?;
                }
                Ok(entry)
            }
        }
        d.deserialize_map(EntryVisitor)
    }
}
