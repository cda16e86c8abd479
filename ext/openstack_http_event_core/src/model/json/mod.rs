//! A lenient JSON reader for service bodies: reads what Ruby's
//! `JSON.parse(s, allow_nan: true)` reads, and can find the end of any value
//! without reading it, so that one bad value costs one row, not a page.
//!
//! Compared with the JSON grammar (RFC 8259) it accepts:
//! - `NaN`, `Infinity` and `-Infinity`, as f64 NaN and ±infinity;
//! - numbers beyond f64's range (`1e999`), as ±infinity (like Ruby);
//! - integers beyond i64, kept exactly as their decimal text
//!   ([`Value::BigInt`]) so that the binding can make a Ruby Integer;
//! - a lone surrogate escape (`\ud800` without a low surrogate after it, or
//!   a lone `\udc00`), as U+FFFD;
//! - invalid UTF-8 inside strings, as U+FFFD.
//!
//! Anything else outside the grammar is an [`Error`] with its byte offset:
//! raw control characters in strings, unknown escapes, leading zeros, `tru`.
//!
//! Nesting is counted the way Ruby's `max_nesting` counts it for a value
//! parsed on its own: a scalar has depth 0, `[]` and `{}` depth 1,
//! `[[1]]` depth 2; a value deeper than `max_nesting` is an error. Values are
//! built with an explicit stack, never by recursion, and
//! [`Reader::skip_value`] skips a value of any depth with a counter.
//!
//! Hand-written, not serde_json: serde_json refuses `NaN`, `Infinity` and
//! lone surrogates (Ruby and so some services' bodies have them), rounds
//! integers past 64 bits unless built with `arbitrary_precision` (which
//! slows every number), and stops at the first error, where a page must
//! lose one row to a bad value, not the whole page. It was also measured
//! faster than serde_json on Panko pages (its values are built for the
//! binding directly, with no second conversion).

use std::borrow::Cow;
use std::fmt;

/// A decoded JSON value. Object members keep their order and repeats, as
/// the text has them (Ruby's Hash keeps the first position and the last
/// value of a repeated key).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer outside i64, as its decimal text (`-` and digits).
    BigInt(String),
    /// A number with a fraction or an exponent, `NaN`, `Infinity`,
    /// `-Infinity`; ±infinity also for a number beyond f64's range.
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Why reading stopped, and the byte offset where it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ends inside a value.
    Eof,
    /// A value nests deeper than this limit.
    TooDeep(usize),
    /// Something else than the grammar allows; says what was expected.
    Syntax(&'static str),
}

impl Error {
    pub fn is_eof(&self) -> bool {
        self.kind == ErrorKind::Eof
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Eof => write!(f, "input ends at byte {}", self.at),
            ErrorKind::TooDeep(max) => write!(f, "nested deeper than {max} at byte {}", self.at),
            ErrorKind::Syntax(what) => write!(f, "{what} at byte {}", self.at),
        }
    }
}

impl std::error::Error for Error {}

/// Reads a whole document: one value and nothing but whitespace after it.
pub fn parse(bytes: &[u8], max_nesting: usize) -> Result<Value, Error> {
    let mut reader = Reader::new(bytes);
    let value = reader.read_value(max_nesting)?;
    reader.skip_whitespace();
    if reader.at_end() {
        Ok(value)
    } else {
        Err(reader.syntax("unexpected data after the value"))
    }
}

/// A position in a body. Every `read_*`, `skip_value` and `eat` skips the
/// whitespace before its token; on an error the position is unspecified
/// (use [`Reader::set_position`] to go back).
pub struct Reader<'a> {
    bytes: &'a [u8],
    /// The input as text when all of it is UTF-8 (checked once, so strings
    /// borrowed from it need no check of their own).
    text: Option<&'a str>,
    pos: usize,
}

/// An array or object being built by [`Reader::read_value`].
enum Frame {
    Array(Vec<Value>),
    /// The members so far and the key of the one being read.
    Object(Vec<(String, Value)>, String),
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, text: std::str::from_utf8(bytes).ok(), pos: 0 }
    }

    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline]
    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    #[inline]
    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// The next byte, without skipping whitespace or consuming it.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The input from the position on.
    #[inline]
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    #[inline]
    pub fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace and consumes `byte` if it comes next.
    #[inline]
    pub fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips whitespace and consumes the next byte, if any.
    #[inline]
    pub fn next_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    /// Skips whitespace and consumes `byte`, else fails with `what`.
    #[inline]
    pub fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), Error> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.syntax_or_eof(what))
        }
    }

    pub fn syntax(&self, what: &'static str) -> Error {
        Error { kind: ErrorKind::Syntax(what), at: self.pos }
    }

    /// `Eof` at the end of the input, else a syntax error.
    pub fn syntax_or_eof(&self, what: &'static str) -> Error {
        if self.at_end() {
            self.eof()
        } else {
            self.syntax(what)
        }
    }

    fn eof(&self) -> Error {
        Error { kind: ErrorKind::Eof, at: self.bytes.len() }
    }

    /// Consumes `null` if it is the next token.
    pub fn eat_null(&mut self) -> bool {
        self.skip_whitespace();
        if self.rest().starts_with(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    /// Reads a string, borrowed from the input when it has no escape and is
    /// valid UTF-8.
    #[inline(always)]
    pub fn read_string(&mut self) -> Result<Cow<'a, str>, Error> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.syntax_or_eof("expected a string"));
        }
        let bytes = self.bytes;
        let start = self.pos + 1;
        let i = start + special_at(&bytes[start..]).ok_or_else(|| self.eof())?;
        if bytes[i] == b'"' {
            self.pos = i + 1;
            // both ends are next to a quote, so on char boundaries
            return Ok(match self.text.and_then(|text| text.get(start..i)) {
                Some(text) => Cow::Borrowed(text),
                None => utf8(&bytes[start..i]),
            });
        }
        self.read_escaped(start, i)
    }

    /// The rest of [`read_string`](Self::read_string) for a string that
    /// starts at `start` and has an escape or a control character at `i`.
    #[cold]
    #[inline(never)]
    fn read_escaped(&mut self, start: usize, mut i: usize) -> Result<Cow<'a, str>, Error> {
        let bytes = self.bytes;
        let mut buf = Vec::with_capacity(i - start + 16);
        buf.extend_from_slice(&bytes[start..i]);
        loop {
            match bytes[i] {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(
                        String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                    ));
                }
                b'\\' => i = self.unescape(i, &mut buf)?,
                _ => {
                    self.pos = i;
                    return Err(self.syntax("control character in a string"));
                }
            }
            let run = special_at(&bytes[i..]).ok_or_else(|| self.eof())?;
            buf.extend_from_slice(&bytes[i..i + run]);
            i += run;
        }
    }

    /// Reads an object's field name to match against known ASCII names: its raw
    /// bytes when it has no escape (unchecked: bytes that are not UTF-8
    /// match no known name), else decoded as [`read_string`](Self::read_string) does.
    #[inline(always)]
    pub fn read_name(&mut self) -> Result<Cow<'a, [u8]>, Error> {
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return Err(self.syntax_or_eof("expected a string"));
        }
        let bytes = self.bytes;
        let start = self.pos + 1;
        let end = start + special_at(&bytes[start..]).ok_or_else(|| self.eof())?;
        if bytes[end] == b'"' {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&bytes[start..end]));
        }
        self.read_string().map(|s| Cow::Owned(s.into_owned().into_bytes()))
    }

    /// Decodes the escape at `i` (a backslash) into `buf`; returns the
    /// offset after it.
    fn unescape(&mut self, i: usize, buf: &mut Vec<u8>) -> Result<usize, Error> {
        let Some(&code) = self.bytes.get(i + 1) else { return Err(self.eof()) };
        let simple = match code {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let high = self.hex4(i + 2)?;
                let (c, next) = match high {
                    0xD800..=0xDBFF => match self.low_surrogate(i + 6) {
                        Some(low) => (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00), i + 12),
                        None => (0xFFFD, i + 6),
                    },
                    0xDC00..=0xDFFF => (0xFFFD, i + 6),
                    _ => (high, i + 6),
                };
                let c = char::from_u32(c).unwrap_or('\u{fffd}');
                buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(next);
            }
            _ => {
                self.pos = i;
                return Err(self.syntax("invalid escape in a string"));
            }
        };
        buf.push(simple);
        Ok(i + 2)
    }

    /// The four hex digits at `at`.
    fn hex4(&mut self, at: usize) -> Result<u32, Error> {
        let Some(digits) = self.bytes.get(at..at + 4) else {
            self.pos = at;
            return Err(self.syntax_or_eof_within(at, "invalid \\u escape"));
        };
        let mut n = 0;
        for &d in digits {
            let Some(v) = (d as char).to_digit(16) else {
                self.pos = at;
                return Err(self.syntax("invalid \\u escape"));
            };
            n = n * 16 + v;
        }
        Ok(n)
    }

    /// An escape that runs past the end is `Eof` unless a byte in it already
    /// cannot belong to one.
    fn syntax_or_eof_within(&self, at: usize, what: &'static str) -> Error {
        if self.bytes[at.min(self.bytes.len())..].iter().all(u8::is_ascii_hexdigit) {
            self.eof()
        } else {
            Error { kind: ErrorKind::Syntax(what), at }
        }
    }

    /// A `\uDC00`–`\uDFFF` escape at `at`, if there is one.
    fn low_surrogate(&self, at: usize) -> Option<u32> {
        let escape = self.bytes.get(at..at + 6)?;
        if escape[0] != b'\\' || escape[1] != b'u' {
            return None;
        }
        let text = std::str::from_utf8(&escape[2..]).ok()?;
        let low = u32::from_str_radix(text, 16).ok()?;
        (0xDC00..=0xDFFF).contains(&low).then_some(low)
    }

    /// Reads a value of at most `max_nesting` levels.
    pub fn read_value(&mut self, max_nesting: usize) -> Result<Value, Error> {
        // a lone string (most trait values): no stack to set up
        self.skip_whitespace();
        if self.peek() == Some(b'"') {
            return self.read_string().map(|s| Value::Str(s.into_owned()));
        }
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_whitespace();
            let mut value = match self.peek() {
                None => return Err(self.eof()),
                Some(open @ (b'[' | b'{')) => {
                    if stack.len() >= max_nesting {
                        return Err(Error { kind: ErrorKind::TooDeep(max_nesting), at: self.pos });
                    }
                    self.pos += 1;
                    if open == b'[' {
                        if self.eat(b']') {
                            Value::Array(Vec::new())
                        } else {
                            stack.push(Frame::Array(Vec::new()));
                            continue 'value;
                        }
                    } else if self.eat(b'}') {
                        Value::Object(Vec::new())
                    } else {
                        let key = self.read_key()?;
                        stack.push(Frame::Object(Vec::new(), key));
                        continue 'value;
                    }
                }
                Some(b'"') => Value::Str(self.read_string()?.into_owned()),
                Some(_) => self.read_scalar()?,
            };
            // hand the value to the containers it completes
            loop {
                let Some(frame) = stack.pop() else { return Ok(value) };
                match frame {
                    Frame::Array(mut items) => {
                        items.push(value);
                        match self.next_token() {
                            Some(b',') => {
                                stack.push(Frame::Array(items));
                                continue 'value;
                            }
                            Some(b']') => value = Value::Array(items),
                            other => return Err(self.unexpected(other, "expected ',' or ']' in an array")),
                        }
                    }
                    Frame::Object(mut members, key) => {
                        members.push((key, value));
                        match self.next_token() {
                            Some(b',') => {
                                let key = self.read_key()?;
                                stack.push(Frame::Object(members, key));
                                continue 'value;
                            }
                            Some(b'}') => value = Value::Object(members),
                            other => return Err(self.unexpected(other, "expected ',' or '}' in an object")),
                        }
                    }
                }
            }
        }
    }

    /// The error for `token`, which [`Reader::next_token`] just consumed
    /// (`None`: the input ended).
    pub fn unexpected(&mut self, token: Option<u8>, what: &'static str) -> Error {
        match token {
            None => self.eof(),
            Some(_) => {
                self.pos -= 1;
                self.syntax(what)
            }
        }
    }

    /// An object key and its colon.
    fn read_key(&mut self) -> Result<String, Error> {
        let key = self.read_string()?.into_owned();
        self.expect(b':', "expected ':' after a key")?;
        Ok(key)
    }

    /// A literal or a number (whitespace already skipped).
    fn read_scalar(&mut self) -> Result<Value, Error> {
        let rest = self.rest();
        for (word, value) in [
            (&b"null"[..], Value::Null),
            (b"true", Value::Bool(true)),
            (b"false", Value::Bool(false)),
            (b"NaN", Value::Float(f64::NAN)),
            (b"Infinity", Value::Float(f64::INFINITY)),
            (b"-Infinity", Value::Float(f64::NEG_INFINITY)),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
            if word.starts_with(rest) && !rest.is_empty() {
                return Err(self.eof());
            }
        }
        self.read_number()
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn read_number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        // accumulate towards the sign so that i64::MIN fits
        let mut int: Option<i64> = Some(0);
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    let d = i64::from(d - b'0');
                    int = int.and_then(|n| n.checked_mul(10)).and_then(|n| {
                        if negative {
                            n.checked_sub(d)
                        } else {
                            n.checked_add(d)
                        }
                    });
                    self.pos += 1;
                }
            }
            _ => return Err(self.syntax_or_eof("expected a value")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
            float = true;
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| self.syntax("invalid number"))?;
        if float {
            // Rust's parse rounds correctly and gives ±inf beyond f64's range
            return text.parse::<f64>().map(Value::Float).map_err(|_| self.syntax("invalid number"));
        }
        Ok(match int {
            Some(n) => Value::Int(n),
            None => Value::BigInt(text.to_owned()),
        })
    }

    /// One or more decimal digits.
    fn digits(&mut self) -> Result<(), Error> {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == start {
            Err(self.syntax_or_eof("expected a digit"))
        } else {
            Ok(())
        }
    }

    /// Moves past the next value without building or checking it: strings
    /// are followed through their escapes, brackets are counted (`[` and `{`
    /// alike, so `[}` passes), anything else runs to the next delimiter. Any
    /// depth is skipped in constant space. Fails only when no value starts
    /// here or the input ends inside one.
    pub fn skip_value(&mut self) -> Result<(), Error> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.eof()),
            Some(b'"') => {
                self.pos += 1;
                self.skip_string_body()
            }
            Some(b'[' | b'{') => {
                self.pos += 1;
                self.skip_to_close(1)
            }
            Some(b']' | b'}' | b',' | b':') => Err(self.syntax("expected a value")),
            Some(_) => {
                let rest = self.rest();
                let len = rest
                    .iter()
                    .position(|&b| {
                        matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"')
                    })
                    .unwrap_or(rest.len());
                self.pos += len;
                Ok(())
            }
        }
    }

    /// [`skip_value`](Self::skip_value), with the string a value mostly is
    /// skipped here.
    #[inline(always)]
    pub fn skip_string_or_value(&mut self) -> Result<(), Error> {
        self.skip_whitespace();
        if self.peek() == Some(b'"') {
            self.pos += 1;
            self.skip_string_body()
        } else {
            self.skip_value()
        }
    }

    /// Moves past the closing brackets of `depth` open arrays or objects.
    pub fn skip_to_close(&mut self, mut depth: usize) -> Result<(), Error> {
        while depth > 0 {
            let rest = self.rest();
            let Some(i) = rest.iter().position(|&b| matches!(b, b'"' | b'[' | b']' | b'{' | b'}')) else {
                return Err(self.eof());
            };
            self.pos += i + 1;
            match rest[i] {
                b'"' => self.skip_string_body()?,
                b'[' | b'{' => depth += 1,
                _ => depth -= 1,
            }
        }
        Ok(())
    }

    /// Moves past the closing quote of a string whose opening quote is
    /// behind.
    #[inline(always)]
    fn skip_string_body(&mut self) -> Result<(), Error> {
        loop {
            let rest = self.rest();
            let Some(i) = special_at(rest) else {
                return Err(self.eof());
            };
            match rest[i] {
                b'"' => {
                    self.pos += i + 1;
                    return Ok(());
                }
                b'\\' => {
                    if i + 1 >= rest.len() {
                        return Err(self.eof());
                    }
                    self.pos += i + 2;
                }
                // a control character: not checked here
                _ => self.pos += i + 1,
            }
        }
    }
}

/// The offset of the first `"`, `\` or control character.
/// Where the first `"`, `\\` or control character is. Eight bytes at a
/// time: the lowest byte a test flags is always a real match (a borrow only
/// spreads upwards), so the first match found is exact.
#[inline(always)]
fn special_at(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let found = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|p| at + p)
}

fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    }
}

#[cfg(test)]
mod tests;
