//! gzip for `/json/` answers (the `gzip` setting, when the request accepts
//! it) and the `gzip_bomb` fault: a few KiB that decode to many MiB.

use std::io::Write;

use hyper::HeaderMap;

/// `bytes`, gzip-compressed.
pub fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // writing to a Vec cannot fail
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// A gzip body that decodes to `size` bytes: `[` and spaces.
pub fn bomb(size: usize) -> Vec<u8> {
    let mut plain = vec![b' '; size.max(1)];
    plain[0] = b'[';
    compress(&plain)
}

/// Whether the request's `Accept-Encoding` names gzip.
pub fn accepted(headers: &HeaderMap) -> bool {
    headers
        .get_all("accept-encoding")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip")))
}
