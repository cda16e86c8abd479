//! Where and how the push publisher posts: a Ceilometer `http` publisher
//! URL (`http://user:pass@host:port/path?batch=True&timeout=5`), read as
//! ceilometer/publisher/http.py reads it.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The publisher URL, parsed.
#[derive(Clone)]
pub struct PushTarget {
    pub host: String,
    pub port: u16,
    /// The request target sent: the URL's path and query, as `requests`
    /// posts to the whole URL.
    pub path_and_query: String,
    /// `host[:port]` for the Host header.
    pub host_header: String,
    /// `Basic …` from the URL's userinfo, if any.
    pub authorization: Option<String>,
    /// `batch` (default true): one POST holds a JSON array of the events
    /// published together; false: one POST per event, each a JSON object.
    pub batch: bool,
    /// `timeout` in whole seconds (default 5): to connect, and to answer.
    pub timeout: Duration,
    /// `max_retries` (default 2): further attempts when connecting fails.
    pub max_retries: u32,
    /// `scheme://host:port/path`: for logs, without userinfo or query
    /// (a query may carry a token).
    pub shown: String,
}

/// Why a publisher URL cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL at all.
    Invalid(String),
    /// A scheme other than `http` (the look-alike's publisher speaks no TLS).
    Scheme(String),
    /// No host, as Ceilometer refuses too.
    NoHost,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Invalid(why) => write!(f, "not a URL: {why}"),
            TargetError::Scheme(s) => write!(f, "scheme {s:?} is not supported (only http)"),
            TargetError::NoHost => write!(f, "the URL has no host"),
        }
    }
}

impl std::error::Error for TargetError {}

impl PushTarget {
    /// Reads a publisher URL. The error never holds the URL (its userinfo
    /// is a secret).
    pub fn parse(text: &str) -> Result<PushTarget, TargetError> {
        let url = url::Url::parse(text).map_err(|e| TargetError::Invalid(e.to_string()))?;
        if url.scheme() != "http" {
            return Err(TargetError::Scheme(url.scheme().to_owned()));
        }
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or(TargetError::NoHost)?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        let host_header = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let mut path_and_query = url.path().to_owned();
        if let Some(q) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        // as `requests` does: userinfo, percent-decoded, becomes HTTP Basic
        let authorization = if url.username().is_empty() && url.password().is_none() {
            None
        } else {
            let credentials =
                [percent_decode(url.username()), b":".to_vec(), percent_decode(url.password().unwrap_or_default())]
                    .concat();
            Some(format!("Basic {}", STANDARD.encode(credentials)))
        };
        // parse_qs, and the last value of a name wins (`_get_param`)
        let param = |name: &str| url.query_pairs().filter(|(k, _)| k == name).map(|(_, v)| v.into_owned()).last();
        // oslo's bool_from_string: anything but these is false
        let batch = param("batch")
            .map(|v| ["1", "t", "true", "on", "y", "yes"].contains(&v.trim().to_ascii_lowercase().as_str()))
            .unwrap_or(true);
        let timeout = param("timeout").and_then(|v| v.parse::<u64>().ok()).filter(|t| *t > 0).unwrap_or(5);
        let max_retries = param("max_retries").and_then(|v| v.parse::<u32>().ok()).unwrap_or(2);
        let shown = format!("http://{host_header}{}", url.path());
        Ok(PushTarget {
            host,
            port,
            path_and_query,
            host_header,
            authorization,
            batch,
            timeout: Duration::from_secs(timeout),
            max_retries,
            shown,
        })
    }
}

/// `%XX` sequences as bytes; anything else (a stray `%`) as is.
fn percent_decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_publisher_url_as_ceilometer_does() {
        let t = PushTarget::parse("http://ceilometer:p%40ss@127.0.0.1:8780/events?batch=False&timeout=3").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.host_header.as_str()), ("127.0.0.1", 8780, "127.0.0.1:8780"));
        assert_eq!(t.path_and_query, "/events?batch=False&timeout=3");
        assert_eq!(t.authorization.as_deref(), Some("Basic Y2VpbG9tZXRlcjpwQHNz"));
        assert!(!t.batch);
        assert_eq!((t.timeout, t.max_retries), (Duration::from_secs(3), 2));
        assert_eq!(t.shown, "http://127.0.0.1:8780/events");
    }

    #[test]
    fn defaults_batch_timeout_retries_and_takes_the_last_value() {
        let t = PushTarget::parse("http://h/e").unwrap();
        assert!(t.batch && t.authorization.is_none());
        assert_eq!((t.port, t.timeout, t.max_retries), (80, Duration::from_secs(5), 2));
        let t = PushTarget::parse("http://h:1/e?batch=yes&batch=no&timeout=x&max_retries=0").unwrap();
        assert!(!t.batch);
        assert_eq!((t.timeout, t.max_retries), (Duration::from_secs(5), 0));
        assert!(PushTarget::parse("http://h/e?batch=True").unwrap().batch);
    }

    #[test]
    fn refuses_what_it_cannot_post_to_without_echoing_secrets() {
        assert_eq!(PushTarget::parse("https://u:pw@h/e").err(), Some(TargetError::Scheme("https".into())));
        let err = PushTarget::parse("http://u:secret-pw@:80/e").err().unwrap();
        assert!(!err.to_string().contains("secret-pw"));
        assert!(matches!(PushTarget::parse("nope"), Err(TargetError::Invalid(_))));
    }

    #[test]
    fn percent_decoding_leaves_stray_percent_signs() {
        assert_eq!(percent_decode("a%20b%zz%4"), b"a b%zz%4");
    }
}
