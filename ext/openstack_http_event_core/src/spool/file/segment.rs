//! Segment files: how records are framed, found again and checked.
//!
//! A segment is `<dir>/<16-digit sequence>.seg`, records appended one after
//! the other, nothing else. A record's frame (integers little-endian):
//!
//! ```text
//! 0   magic   4 bytes  E7 'S' 'P' 01   (the last byte is the format version)
//! 4   length  u32      length of the body
//! 8   crc     u32      CRC-32 (IEEE) of the 4 length bytes then the body
//! 12  body    length   id_length u16, message_id (UTF-8), payload
//! ```
//!
//! A frame is good when its magic, length, CRC and message_id are. At a bad
//! frame the file is searched forward for the next good one (magic then a
//! matching CRC): found, the bytes between are skipped; not found, the
//! segment ends at the bad frame and is cut there. Files are read with
//! positional reads in chunks, never whole.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The frame's first bytes; the last one is the format version.
pub(crate) const MAGIC: [u8; 4] = [0xE7, b'S', b'P', 1];
/// Magic, length and CRC.
pub(crate) const HEADER: u64 = 12;
/// The longest body any frame may declare, whatever the options: a longer
/// length field is corruption.
pub(crate) const MAX_BODY: u64 = 64 << 20;
/// The longest message_id stored.
pub(crate) const MAX_ID: usize = 1024;
/// How much is read at once when checking or searching.
const CHUNK: usize = 64 << 10;

/// `<dir>/<16-digit sequence>.seg`.
pub(crate) fn path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:016}.seg"))
}

/// The sequence a file name stands for, if it is a segment's.
pub(crate) fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The sequences of the segments in `dir`, in order.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<u64>> {
    let mut seqs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(seq) = entry.file_name().to_str().and_then(parse_name) {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    Ok(seqs)
}

/// The bytes a record takes on disk.
pub(crate) fn frame_len(id: &str, payload: &[u8]) -> u64 {
    HEADER + 2 + id.len() as u64 + payload.len() as u64
}

/// Appends the frame of a record to `out`. The caller has checked the sizes
/// (`id` at most [`MAX_ID`], body at most [`MAX_BODY`]).
pub(crate) fn encode(id: &str, payload: &[u8], out: &mut Vec<u8>) {
    let body_len = (2 + id.len() + payload.len()) as u32;
    let id_len = id.len() as u16;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&body_len.to_le_bytes());
    crc.update(&id_len.to_le_bytes());
    crc.update(id.as_bytes());
    crc.update(payload);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    out.extend_from_slice(&id_len.to_le_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(payload);
}

/// What lies at an offset.
#[derive(Debug)]
pub(crate) enum Frame {
    /// A good record ending at `end`; `payload` only when asked for.
    Good { end: u64, id: String, payload: Option<Vec<u8>> },
    /// No good record starts here (bad magic, length, CRC or id, or the
    /// frame runs past `limit`).
    Invalid,
}

/// Reads the frame at `offset`, not past `limit`. Without `load` the body is
/// checked in chunks and the payload dropped.
pub(crate) fn frame_at(file: &File, offset: u64, limit: u64, load: bool) -> io::Result<Frame> {
    if offset.saturating_add(HEADER) > limit {
        return Ok(Frame::Invalid);
    }
    let mut header = [0u8; HEADER as usize];
    file.read_exact_at(&mut header, offset)?;
    if header[0..4] != MAGIC {
        return Ok(Frame::Invalid);
    }
    let len_bytes = [header[4], header[5], header[6], header[7]];
    let body_len = u64::from(u32::from_le_bytes(len_bytes));
    let stored_crc = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    let start = offset + HEADER;
    if !(2..=MAX_BODY).contains(&body_len) || start + body_len > limit {
        return Ok(Frame::Invalid);
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&len_bytes);
    // the whole body when loading, else its first bytes (id length and id)
    let mut head = Vec::new();
    if load {
        head = vec![0u8; body_len as usize];
        file.read_exact_at(&mut head, start)?;
        crc.update(&head);
    } else {
        let mut chunk = vec![0u8; CHUNK.min(body_len as usize)];
        let mut at = 0u64;
        while at < body_len {
            let n = (body_len - at).min(chunk.len() as u64) as usize;
            file.read_exact_at(&mut chunk[..n], start + at)?;
            crc.update(&chunk[..n]);
            let want = (2 + MAX_ID).saturating_sub(head.len()).min(n);
            head.extend_from_slice(&chunk[..want]);
            at += n as u64;
        }
    }
    if crc.finalize() != stored_crc {
        return Ok(Frame::Invalid);
    }
    let id_len = usize::from(u16::from_le_bytes([head[0], head[1]]));
    if id_len > MAX_ID || 2 + id_len as u64 > body_len {
        return Ok(Frame::Invalid);
    }
    let Ok(id) = std::str::from_utf8(&head[2..2 + id_len]) else {
        return Ok(Frame::Invalid);
    };
    let id = id.to_string();
    let payload = load.then(|| head.split_off(2 + id_len));
    Ok(Frame::Good { end: start + body_len, id, payload })
}

/// The offset of the first good frame after `from` and before `limit`.
pub(crate) fn resync(file: &File, from: u64, limit: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; CHUNK];
    let mut at = from;
    while at + HEADER <= limit {
        let n = (limit - at).min(CHUNK as u64) as usize;
        file.read_exact_at(&mut buf[..n], at)?;
        for i in 0..n.saturating_sub(MAGIC.len() - 1) {
            if buf[i..i + MAGIC.len()] == MAGIC {
                if let Frame::Good { .. } = frame_at(file, at + i as u64, limit, false)? {
                    return Ok(Some(at + i as u64));
                }
            }
        }
        if at + n as u64 >= limit {
            break;
        }
        // the last bytes may hold the start of a magic cut by the chunk
        at += (n - (MAGIC.len() - 1)) as u64;
    }
    Ok(None)
}

/// How a scan of a segment ended.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Where the good records end: the file is cut here when shorter than
    /// its length.
    pub end: u64,
    /// Skipped ranges inside the segment, `(start, end)`.
    pub skipped: Vec<(u64, u64)>,
}

/// Checks every frame of `file` from `start` to `len`, calling `each` with
/// the message_id of every good record in order.
pub(crate) fn scan(file: &File, start: u64, len: u64, mut each: impl FnMut(&str)) -> io::Result<Scan> {
    let mut scan = Scan { end: start, skipped: Vec::new() };
    let mut at = start;
    while at < len {
        match frame_at(file, at, len, false)? {
            Frame::Good { end, id, .. } => {
                each(&id);
                at = end;
                scan.end = end;
            }
            Frame::Invalid => match resync(file, at + 1, len)? {
                Some(next) => {
                    scan.skipped.push((at, next));
                    at = next;
                }
                None => break,
            },
        }
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.seg");
        std::fs::write(&path, bytes).expect("write");
        (dir, File::open(&path).expect("open"))
    }

    #[test]
    fn names_are_sixteen_digits() {
        assert_eq!(parse_name("0000000000000042.seg"), Some(42));
        assert_eq!(parse_name("42.seg"), None);
        assert_eq!(parse_name("000000000000004x.seg"), None);
        assert_eq!(parse_name("0000000000000042.seg.tmp"), None);
        assert!(path(Path::new("/d"), 7).ends_with("0000000000000007.seg"));
    }

    #[test]
    fn a_frame_reads_back_loaded_or_checked() {
        let mut bytes = Vec::new();
        encode("id-1", b"{\"a\":1}", &mut bytes);
        assert_eq!(bytes.len() as u64, frame_len("id-1", b"{\"a\":1}"));
        let (_d, f) = file_with(&bytes);
        let len = bytes.len() as u64;
        match frame_at(&f, 0, len, true).expect("read") {
            Frame::Good { end, id, payload } => {
                assert_eq!((end, id.as_str(), payload.as_deref()), (len, "id-1", Some(&b"{\"a\":1}"[..])));
            }
            Frame::Invalid => panic!("invalid"),
        }
        assert!(matches!(frame_at(&f, 0, len, false).expect("read"), Frame::Good { payload: None, .. }));
        assert!(matches!(frame_at(&f, 0, len - 1, true).expect("read"), Frame::Invalid));
    }

    #[test]
    fn resync_finds_the_next_good_frame_across_chunks() {
        let mut bytes = vec![0xE7u8; CHUNK + 5];
        bytes.extend_from_slice(&MAGIC);
        let good = bytes.len() as u64;
        encode("b", &[7u8; 100], &mut bytes);
        let (_d, f) = file_with(&bytes);
        assert_eq!(resync(&f, 0, bytes.len() as u64).expect("resync"), Some(good));
        assert_eq!(resync(&f, good + 1, bytes.len() as u64).expect("resync"), None);
    }
}
