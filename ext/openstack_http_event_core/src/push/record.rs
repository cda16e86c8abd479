//! An accepted event as the spool stores it: a compact binary form that
//! keeps everything the binding turns into Ruby objects (trait order,
//! repeats, integers beyond i64, NaN) and reads back without a JSON parse.
//! Strings are a little-endian `u32` length and UTF-8 bytes; values a tag
//! byte and their contents. The spool checks each record's CRC, so a
//! decoding error means a record written by another version.

use crate::model::event::Event;
use crate::model::json::Value;
use crate::util::timestamp;

/// The first byte of every record: the format's version.
const VERSION: u8 = 1;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const BIG_INT: u8 = 4;
const FLOAT: u8 = 5;
const STR: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

/// How deep a decoded value may nest (encoded values were parsed under
/// `:max_nesting`, which cannot exceed this).
const MAX_DEPTH: usize = 10_000;

/// Writes `event`.
pub fn encode(event: &Event) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + event.traits.len() * 32);
    out.push(VERSION);
    string(&event.message_id, &mut out);
    string(&event.event_type, &mut out);
    string(&event.generated, &mut out);
    length(event.traits.len(), &mut out);
    for (name, value) in &event.traits {
        string(name, &mut out);
        self::value(value, &mut out);
    }
    out
}

/// Reads an event [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Event, String> {
    let mut r = Reader { bytes, pos: 0 };
    match r.byte()? {
        VERSION => {}
        other => return Err(format!("record version {other} is not {VERSION}")),
    }
    let message_id = r.string()?;
    let event_type = r.string()?;
    let generated = r.string()?;
    let at = timestamp::parse(&generated).ok_or_else(|| format!("stored timestamp {generated:?} does not read"))?;
    let n = r.length()?;
    let mut traits = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let name = r.string()?;
        traits.push((name.into(), r.value(0)?));
    }
    if r.pos != bytes.len() {
        return Err(format!("{} bytes after the record", bytes.len() - r.pos));
    }
    Ok(Event { message_id, event_type, generated, at, traits })
}

fn length(n: usize, out: &mut Vec<u8>) {
    // a body is capped far below 4 GiB; saturate rather than wrap
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn string(s: &str, out: &mut Vec<u8>) {
    length(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

/// Iteratively, as values may nest deep.
fn value(v: &Value, out: &mut Vec<u8>) {
    enum Step<'v> {
        Value(&'v Value),
        Key(&'v str),
    }
    let mut stack = vec![Step::Value(v)];
    while let Some(step) = stack.pop() {
        let v = match step {
            Step::Key(k) => {
                string(k, out);
                continue;
            }
            Step::Value(v) => v,
        };
        match v {
            Value::Null => out.push(NULL),
            Value::Bool(false) => out.push(FALSE),
            Value::Bool(true) => out.push(TRUE),
            Value::Int(n) => {
                out.push(INT);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Value::BigInt(s) => {
                out.push(BIG_INT);
                string(s, out);
            }
            Value::Float(f) => {
                out.push(FLOAT);
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                out.push(STR);
                string(s, out);
            }
            Value::Array(items) => {
                out.push(ARRAY);
                length(items.len(), out);
                stack.extend(items.iter().rev().map(Step::Value));
            }
            Value::Object(members) => {
                out.push(OBJECT);
                length(members.len(), out);
                for (k, v) in members.iter().rev() {
                    stack.push(Step::Value(v));
                    stack.push(Step::Key(k));
                }
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or("record ends early")?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn eight(&mut self) -> Result<[u8; 8], String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(b)
    }

    fn length(&mut self) -> Result<usize, String> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b) as usize)
    }

    fn string(&mut self) -> Result<String, String> {
        let n = self.length()?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a stored string is not UTF-8".to_owned())
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("a stored value nests too deep".into());
        }
        Ok(match self.byte()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => Value::Int(i64::from_le_bytes(self.eight()?)),
            BIG_INT => Value::BigInt(self.string()?),
            FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(self.eight()?))),
            STR => Value::Str(self.string()?),
            ARRAY => {
                let n = self.length()?;
                let mut items = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            OBJECT => {
                let n = self.length()?;
                let mut members = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    let k = self.string()?;
                    members.push((k, self.value(depth + 1)?));
                }
                Value::Object(members)
            }
            tag => return Err(format!("unknown value tag {tag}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json;

    #[test]
    fn round_trips_every_kind_of_value_in_order() {
        let traits = json::parse(
            br#"{"b": 1, "a": [null, true, false, -7, 123456789012345678901234567890, 1.5, NaN, "s\u00e9"],
                 "a": {"nested": {"deep": [[]]}}, "z": ""}"#,
            100,
        )
        .unwrap();
        let Value::Object(traits) = traits else { panic!() };
        let event = Event {
            message_id: "m-1".into(),
            event_type: "compute.instance.create.end".into(),
            generated: "2026-11-26T10:00:00.123456".into(),
            at: timestamp::parse("2026-11-26T10:00:00.123456").unwrap(),
            traits: crate::model::trait_name::named(traits),
        };
        let bytes = encode(&event);
        let back = decode(&bytes).unwrap();
        assert_eq!((back.message_id.as_str(), back.generated.as_str(), back.at), ("m-1", &*event.generated, event.at));
        // NaN != NaN: compare the encodings instead
        assert_eq!(encode(&back), bytes);
        assert_eq!(back.traits.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["b", "a", "a", "z"]);
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let event = Event {
            message_id: "m".into(),
            event_type: "t".into(),
            generated: "2026-11-26T10:00:00".into(),
            at: timestamp::parse("2026-11-26T10:00:00").unwrap(),
            traits: vec![("k".into(), Value::Array(vec![Value::Int(1); 3]))],
        };
        let bytes = encode(&event);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(decode(&extra).unwrap_err().contains("after the record"));
        let mut version = bytes;
        version[0] = 9;
        assert!(decode(&version).unwrap_err().contains("version 9"));
    }
}
