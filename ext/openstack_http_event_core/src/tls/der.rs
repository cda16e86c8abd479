//! A reader of the few DER elements the verifier needs from a certificate
//! (see [`super::fields`]): tag, length, contents.

use super::ParseError;

pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const BOOLEAN: u8 = 0x01;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;

/// The context-specific constructed tag `[n]`.
pub const fn explicit(n: u8) -> u8 {
    0xa0 | n
}

/// One element of `input`: its tag, its contents and what follows it.
pub fn element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), ParseError> {
    let (&tag, rest) = input.split_first().ok_or(ParseError::Der("truncated"))?;
    let (&first, rest) = rest.split_first().ok_or(ParseError::Der("truncated"))?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err(ParseError::Der("length"));
        }
        let (bytes, rest) = rest.split_at(count);
        (bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b)), rest)
    };
    if rest.len() < length {
        return Err(ParseError::Der("truncated"));
    }
    let (contents, rest) = rest.split_at(length);
    Ok((tag, contents, rest))
}

/// The element of `input` that must have `tag` (named `what` in errors):
/// its contents and what follows it.
pub fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(&'a [u8], &'a [u8]), ParseError> {
    match element(input)? {
        (found, contents, rest) if found == tag => Ok((contents, rest)),
        _ => Err(ParseError::Der(what)),
    }
}

/// `input`'s element with `tag` if it starts with one: its contents and
/// what follows it; else `None` and `input`.
pub fn optional(input: &[u8], tag: u8) -> Result<(Option<&[u8]>, &[u8]), ParseError> {
    if input.first() == Some(&tag) {
        let (_, contents, rest) = element(input)?;
        Ok((Some(contents), rest))
    } else {
        Ok((None, input))
    }
}
