//! `<dir>/ack`: the position up to which records were acknowledged, one
//! line `openstack_http_event_monitor spool ack v1 <segment> <offset>`,
//! replaced atomically (see [`durable::replace`]).

use std::io;
use std::path::Path;

use super::durable;
use crate::spool::Position;

pub(crate) const FILE: &str = "ack";
const PREFIX: &str = "openstack_http_event_monitor spool ack v1 ";

/// The acknowledged position; `Ok(None)` when there is no ack file yet,
/// `Ok(Some(Err(why)))` when it cannot be understood.
pub(crate) fn read(dir: &Path) -> io::Result<Option<Result<Position, String>>> {
    let text = match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(parse(&text)))
}

fn parse(text: &[u8]) -> Result<Position, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not UTF-8".to_string())?;
    let rest = text.trim_end().strip_prefix(PREFIX).ok_or_else(|| "unknown format".to_string())?;
    let mut fields = rest.split(' ');
    let (Some(segment), Some(offset), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err("expected a segment and an offset".into());
    };
    let segment = segment.parse().map_err(|_| format!("bad segment {segment:?}"))?;
    let offset = offset.parse().map_err(|_| format!("bad offset {offset:?}"))?;
    Ok(Position { segment, offset })
}

/// Replaces the ack file with `pos`, durably.
pub(crate) fn write(dir: &Path, pos: Position) -> io::Result<()> {
    durable::replace(dir, FILE, format!("{PREFIX}{} {}\n", pos.segment, pos.offset).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read(dir.path()).expect("read").is_none());
        let pos = Position { segment: 12, offset: 3456 };
        write(dir.path(), pos).expect("write");
        assert_eq!(read(dir.path()).expect("read"), Some(Ok(pos)));
        assert!(!dir.path().join("ack.tmp").exists());
        assert!(parse(b"openstack_http_event_monitor spool ack v1 12").is_err());
        assert!(parse(b"openstack_http_event_monitor spool ack v1 12 x").is_err());
        assert!(parse(b"something else 1 2").is_err());
    }
}
