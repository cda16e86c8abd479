//! Text a service sent, cut to a length fit for a log line or an error
//! message (an id, a reason, a body): what the operator reads stays short
//! whatever the service sends.

/// `text` cut after `chars` characters, saying how long it was.
pub fn clip_at(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_owned(),
    }
}
