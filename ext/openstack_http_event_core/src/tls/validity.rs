//! A certificate's validity period (`notBefore`, `notAfter`), read from its
//! DER: webpki checks it only while building a chain, which a certificate
//! trusted as itself (see [`super::CaFileVerifier`]) never gets.

use tokio_rustls::rustls::pki_types::UnixTime;

/// The period a certificate is valid in, in seconds since the Unix epoch
/// (inclusive at both ends, as RFC 5280 says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: u64,
    pub not_after: u64,
}

/// A certificate whose validity cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    #[error("bad DER: {0}")]
    Der(&'static str),
    #[error("bad time {0:?}")]
    Time(String),
    #[error("a time before 1970")]
    BeforeEpoch,
}

/// Where a certificate's time is, relative to its validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    Within,
    After,
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const VERSION: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

impl Validity {
    /// The validity of the X.509 certificate `der`.
    pub fn of(der: &[u8]) -> Result<Self, ValidityError> {
        let (certificate, _) = expect(der, SEQUENCE, "certificate")?;
        let (tbs, _) = expect(certificate, SEQUENCE, "tbsCertificate")?;
        let mut rest = tbs;
        if rest.first() == Some(&VERSION) {
            rest = element(rest)?.2;
        }
        let (_, rest) = expect(rest, INTEGER, "serialNumber")?;
        let (_, rest) = expect(rest, SEQUENCE, "signature")?;
        let (_, rest) = expect(rest, SEQUENCE, "issuer")?;
        let (validity, _) = expect(rest, SEQUENCE, "validity")?;
        let (tag, not_before, rest) = element(validity)?;
        let not_before = time(tag, not_before)?;
        let (tag, not_after, rest) = element(rest)?;
        let not_after = time(tag, not_after)?;
        if !rest.is_empty() {
            return Err(ValidityError::Der("validity"));
        }
        Ok(Validity { not_before, not_after })
    }

    /// Where `now` is relative to the period.
    pub fn at(&self, now: UnixTime) -> When {
        let now = now.as_secs();
        if now < self.not_before {
            When::Before
        } else if now > self.not_after {
            When::After
        } else {
            When::Within
        }
    }
}

/// One DER element of `input`: its tag, its contents and what follows it.
fn element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), ValidityError> {
    let truncated = ValidityError::Der("truncated");
    let (&tag, rest) = input.split_first().ok_or(truncated.clone())?;
    let (&first, rest) = rest.split_first().ok_or(truncated.clone())?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return Err(ValidityError::Der("length"));
        }
        let (bytes, rest) = rest.split_at(count);
        (bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b)), rest)
    };
    if rest.len() < length {
        return Err(truncated);
    }
    let (contents, rest) = rest.split_at(length);
    Ok((tag, contents, rest))
}

/// The element of `input` that must have `tag` (named `what` in errors):
/// its contents and what follows it.
fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(&'a [u8], &'a [u8]), ValidityError> {
    match element(input) {
        Ok((found, contents, rest)) if found == tag => Ok((contents, rest)),
        Ok(_) => Err(ValidityError::Der(what)),
        Err(e) => Err(e),
    }
}

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`), as DER requires them, in seconds since the epoch.
fn time(tag: u8, contents: &[u8]) -> Result<u64, ValidityError> {
    let bad = || ValidityError::Time(String::from_utf8_lossy(contents).into_owned());
    let text = std::str::from_utf8(contents).map_err(|_| bad())?;
    let digits = text.strip_suffix('Z').ok_or_else(bad)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| digits.get(range).and_then(|s| s.parse::<u32>().ok()).ok_or_else(bad);
    let (year, rest) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy = number(0..2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        (GENERALIZED_TIME, 14) => (number(0..4)?, 4),
        _ => return Err(bad()),
    };
    let year = i32::try_from(year).map_err(|_| bad())?;
    let (month, day) = (number(rest..rest + 2)?, number(rest + 2..rest + 4)?);
    let (hour, minute, second) =
        (number(rest + 4..rest + 6)?, number(rest + 6..rest + 8)?, number(rest + 8..rest + 10)?);
    let at = chrono::NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(hour, minute, second))
        .ok_or_else(bad)?;
    u64::try_from(at.and_utc().timestamp()).map_err(|_| ValidityError::BeforeEpoch)
}
