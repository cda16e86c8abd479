//! A certificate's validity period (`notBefore`, `notAfter`).

use tokio_rustls::rustls::pki_types::UnixTime;

use super::der::{element, GENERALIZED_TIME, UTC_TIME};
use super::{CertificateFields, ParseError};

/// The period a certificate is valid in, in seconds since the Unix epoch
/// (inclusive at both ends, as RFC 5280 says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: u64,
    pub not_after: u64,
}

/// Where a certificate's time is, relative to its validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Before,
    Within,
    After,
}

impl Validity {
    /// The validity of the X.509 certificate `der`.
    pub fn of(der: &[u8]) -> Result<Self, ParseError> {
        let validity = CertificateFields::of(der)?.validity;
        let (tag, not_before, rest) = element(validity)?;
        let not_before = time(tag, not_before)?;
        let (tag, not_after, rest) = element(rest)?;
        let not_after = time(tag, not_after)?;
        if !rest.is_empty() {
            return Err(ParseError::Der("validity"));
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

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`), as DER requires them, in seconds since the epoch.
fn time(tag: u8, contents: &[u8]) -> Result<u64, ParseError> {
    let bad = || ParseError::Time(String::from_utf8_lossy(contents).into_owned());
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
    u64::try_from(at.and_utc().timestamp()).map_err(|_| ParseError::BeforeEpoch)
}
