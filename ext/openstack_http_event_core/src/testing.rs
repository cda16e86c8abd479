//! Pieces the unit tests of several modules share (compiled for tests only).

use std::io::Read;
use std::net::TcpStream;

/// Reads a request's head (up to the blank line) from a test server's
/// connection; what a test server needs before it answers.
pub fn read_request_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    request
}
