//! The HTTP client: timeouts, TLS, redirects that never carry the token to
//! another host, caps on the response head and body, and the mapping of
//! transport failures to typed errors.
//! `Retry-After` may be an HTTP-date, read as [`http_date`] reads one.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::redirect;
use reqwest::{Client, Method, Response, StatusCode};
use url::Url;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::http::cassette::{Interaction, Recorder};
use crate::tls::{client_config, ClientIdentity, TlsSettings, TrustedCertificates};
use crate::util::clock::http_date;
use crate::util::scrub::redact;

pub struct Http {
    client: Client,
    pid: u32,
    settings: Settings,
    /// Writes every exchange to a cassette (`http.record`).
    recorder: Option<Arc<Recorder>>,
}

#[derive(Clone)]
struct Settings {
    tls: Tls,
    proxy: Option<Url>,
    caps: Caps,
}

/// What the rustls configuration is built from, anew in a forked child.
#[derive(Clone)]
struct Tls {
    settings: TlsSettings,
    /// The option the trusted certificates come from: `http.ca_file` or
    /// `http.ca_pem`.
    trusted_from: &'static str,
}

/// What each request needs to know to stop waiting or reading.
#[derive(Clone, Copy)]
struct Caps {
    open_timeout: Duration,
    read_timeout: Duration,
    max_response_bytes: u64,
    max_header_bytes: u64,
}

/// A response read to its end.
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Http {
    pub fn new(config: &Config) -> Result<Self> {
        let trusted = match (&config.tls.ca_file, &config.tls.ca_pem) {
            (Some(path), _) => {
                let pem = std::fs::read(path)
                    .map_err(|e| Error::config("http.ca_file", format!("cannot read {}: {e}", path.display())))?;
                TrustedCertificates::from_pem(&pem)
                    .map_err(|e| Error::config("http.ca_file", format!("{} {e}", path.display())))?
            }
            (None, Some(pem)) => match TrustedCertificates::from_pem(pem.as_bytes()) {
                Ok(certs) if !certs.is_empty() => certs,
                Ok(_) => return Err(Error::config("http.ca_pem", "holds no PEM certificate")),
                Err(e) => return Err(Error::config("http.ca_pem", e.to_string())),
            },
            (None, None) => TrustedCertificates::default(),
        };
        let identity = match &config.tls.client_identity {
            None => None,
            Some((cert, key)) => {
                let read = |key_name: &str, path: &std::path::Path| {
                    std::fs::read(path)
                        .map_err(|e| Error::config(key_name, format!("cannot read {}: {e}", path.display())))
                };
                let identity =
                    ClientIdentity::from_pem(&read("http.client_cert", cert)?, &read("http.client_key", key)?)
                        .map_err(|e| {
                            Error::config("http.client_cert", format!("{} with {} {e}", cert.display(), key.display()))
                        })?;
                Some(identity)
            }
        };
        let settings = Settings {
            tls: Tls {
                settings: TlsSettings { verify: config.tls.verify, trusted, identity },
                trusted_from: if config.tls.ca_file.is_some() { "http.ca_file" } else { "http.ca_pem" },
            },
            proxy: config.proxy.clone(),
            caps: Caps {
                open_timeout: config.open_timeout,
                read_timeout: config.read_timeout,
                max_response_bytes: config.limits.max_response_bytes,
                max_header_bytes: config.limits.max_header_bytes,
            },
        };
        Ok(Http { client: build(&settings)?, pid: std::process::id(), settings, recorder: None })
    }

    /// Records every exchange from now on to `recorder`.
    pub fn record(&mut self, recorder: Arc<Recorder>) {
        self.recorder = Some(recorder);
    }

    /// The client, built anew in a forked child: the inherited one's pooled
    /// connections belong to the parent's runtime.
    fn client(&mut self) -> Result<&Client> {
        let pid = std::process::id();
        if pid != self.pid {
            let inherited = std::mem::replace(&mut self.client, build(&self.settings)?);
            std::mem::forget(inherited);
            self.pid = pid;
        }
        Ok(&self.client)
    }

    /// A GET, as a future that owns what it needs, so it can also run as a
    /// task of its own (prefetching the next page).
    ///
    /// `headers` are the credentials ([`crate::auth::Credentials`]) and any
    /// the source adds.
    pub fn get(
        &mut self,
        url: Url,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<impl std::future::Future<Output = Result<Reply>> + Send + 'static> {
        self.send(Method::GET, url, headers, None)
    }

    /// Any request, as a future like [`Http::get`]'s: `method` to `url`
    /// with `headers` (credentials, then the source's; `Accept:
    /// application/json` unless they set one) and `body`, under the same
    /// caps, recorder and error mapping.
    pub fn send(
        &mut self,
        method: Method,
        url: Url,
        headers: &[(HeaderName, HeaderValue)],
        body: Option<Vec<u8>>,
    ) -> Result<impl std::future::Future<Output = Result<Reply>> + Send + 'static> {
        let mut request = self.client()?.request(method, url.clone());
        if !headers.iter().any(|(name, _)| name == reqwest::header::ACCEPT) {
            request = request.header("Accept", "application/json");
        }
        for (name, value) in headers {
            request = request.header(name.clone(), value.clone());
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        self.finish(url, request)
    }

    /// A POST of `body` with `headers` (which set its Content-Type).
    pub async fn post(&mut self, url: Url, headers: &[(HeaderName, HeaderValue)], body: Vec<u8>) -> Result<Reply> {
        let mut request = self.client()?.post(url.clone()).header("Accept", "application/json");
        for (name, value) in headers {
            request = request.header(name.clone(), value.clone());
        }
        self.finish(url, request.body(body))?.await
    }

    pub async fn post_json(&mut self, url: Url, body: Vec<u8>) -> Result<Reply> {
        let request = self
            .client()?
            .post(url.clone())
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body);
        self.finish(url, request)?.await
    }

    /// The request as a future that owns what it needs: the client, the
    /// caps and the recorder.
    fn finish(
        &mut self,
        url: Url,
        request: reqwest::RequestBuilder,
    ) -> Result<impl std::future::Future<Output = Result<Reply>> + Send + 'static> {
        let client = self.client()?.clone();
        let caps = self.settings.caps;
        let recorder = self.recorder.clone();
        Ok(async move {
            let request = request.build().map_err(|e| transport_error(&redact(&url), e, &caps))?;
            let Some(recorder) = recorder else { return finish(url, client, request, caps).await };
            let method = request.method().as_str().to_owned();
            let uri = request.url().to_string();
            let request_headers = request.headers().clone();
            let request_body = request.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec).unwrap_or_default();
            let reply = finish(url, client, request, caps).await?;
            recorder.record(&Interaction {
                method: &method,
                uri: &uri,
                request_headers: &request_headers,
                request_body: &request_body,
                status: reply.status,
                response_headers: &reply.headers,
                response_body: &reply.body,
            });
            Ok(reply)
        })
    }
}

/// Sends the request and reads the answer within the caps: a head over
/// `max_header_bytes` or a body over `max_response_bytes` ends the request
/// with [`Error::TooLarge`]. The body is read chunk by chunk and never held
/// beyond the cap.
async fn finish(url: Url, client: Client, request: reqwest::Request, s: Caps) -> Result<Reply> {
    let shown = redact(&url);
    let fail = |e| transport_error(&shown, e, &s);
    let mut response: Response = client.execute(request).await.map_err(fail)?;
    let status = response.status();
    let head = head_size(&response);
    if head > s.max_header_bytes {
        return Err(head_too_large(&shown, s.max_header_bytes, &format!("the head has {head} bytes")));
    }
    let cap = s.max_response_bytes;
    let too_long = |what: String| Error::TooLarge {
        url: shown.clone(),
        option: "http.max_response_bytes",
        limit: cap,
        message: format!("{what}; the request was abandoned (raise http.max_response_bytes, or lower http.page_size)"),
    };
    // a gzip body is decoded as it is read: its Content-Length (the
    // compressed size) is not known here, and the cap counts decoded bytes
    if let Some(length) = response.content_length().filter(|n| *n > cap) {
        return Err(too_long(format!("Content-Length is {length} bytes")));
    }
    // pre-sized from Content-Length, never beyond the cap
    let expected = response.content_length().unwrap_or(0).min(cap);
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(fail)? {
        if body.len() as u64 + chunk.len() as u64 > cap {
            return Err(too_long(format!("the body grew past {cap} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply { status, headers, body })
}

/// The response head's size as sent: status line, and `name: value\r\n`
/// per header.
fn head_size(response: &Response) -> u64 {
    let fields: usize = response.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    ("HTTP/1.1 200 OK\r\n\r\n".len() + fields) as u64
}

fn head_too_large(url: &str, cap: u64, what: &str) -> Error {
    Error::TooLarge {
        url: url.to_owned(),
        option: "http.max_header_bytes",
        limit: cap,
        message: format!("{what}; the request was abandoned (raise http.max_header_bytes)"),
    }
}

/// The rustls configuration; its errors name the option they come from.
fn tls_config(tls: &Tls) -> Result<tokio_rustls::rustls::ClientConfig> {
    client_config(&tls.settings).map_err(|e| {
        let option = match e {
            crate::tls::TlsError::CaCertificate { .. } => tls.trusted_from,
            crate::tls::TlsError::Identity(_) => "http.client_cert",
            _ => "http",
        };
        Error::config(option, format!("cannot build the TLS configuration: {e}"))
    })
}

fn build(s: &Settings) -> Result<Client> {
    let mut builder = Client::builder()
        .connect_timeout(s.caps.open_timeout)
        .read_timeout(s.caps.read_timeout)
        .timeout(s.caps.open_timeout + s.caps.read_timeout)
        .user_agent(concat!("openstack_http_event_monitor/", env!("CARGO_PKG_VERSION")))
        .redirect(redirect::Policy::custom(same_host_only))
        .use_preconfigured_tls(tls_config(&s.tls)?);
    if let Some(proxy) = &s.proxy {
        let proxy = reqwest::Proxy::all(proxy.clone())
            .map_err(|e| Error::config("http.proxy", format!("{}: {e}", redact(proxy))))?;
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(|e| Error::config("http", format!("cannot build the HTTP client: {e}")))
}

/// Follows at most 5 redirects, and only on the same host and port: the
/// credentials (`X-Auth-Token`, `Authorization`, a custom header) must not
/// reach anyone else.
fn same_host_only(attempt: redirect::Attempt) -> redirect::Action {
    let Some(first) = attempt.previous().first() else { return attempt.stop() };
    let same = first.host_str() == attempt.url().host_str()
        && first.port_or_known_default() == attempt.url().port_or_known_default();
    if attempt.previous().len() > 5 || !same {
        attempt.stop()
    } else {
        attempt.follow()
    }
}

/// How TLS failed, in a request's error.
enum TlsFailure {
    /// The peer does not speak TLS.
    NotTls,
    /// Anything else: a certificate refused, an alert, the handshake cut.
    Other,
}

/// The typed error for a failed request, sorted by the types in its source
/// chain (hyper's and rustls's errors), never by their text: the text is
/// only the message.
fn transport_error(url: &str, error: reqwest::Error, s: &Caps) -> Error {
    use tokio_rustls::rustls;
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut head_too_big = false;
    let mut tls: Option<TlsFailure> = None;
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        detail.push_str(": ");
        match crate::tls::Rejection::carried_by(inner) {
            // rustls shows its `Other` refusals by their Debug form
            Some(rejection) => detail.push_str(&format!("invalid peer certificate: {rejection}")),
            None => detail.push_str(&inner.to_string()),
        }
        // hyper's own ceiling on a head (its ~400 KiB read buffer, or 100
        // fields): "message head is too large" (`is_parse_too_large` needs
        // hyper's server feature, which the push receiver turns on)
        head_too_big |= inner.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse_too_large);
        tls = tls.or_else(|| match crate::tls::rustls_error(inner) {
            // the first bytes are not a TLS record's: what a plain HTTP (or
            // any other non-TLS) answer starts with is not a content type
            Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) => Some(TlsFailure::NotTls),
            Some(_) => Some(TlsFailure::Other),
            // tokio-rustls's "tls handshake eof": the server closed the
            // connection before the handshake ended. Its only type is the
            // kind; while connecting nothing but the TLS handshake reads
            // (the TCP connector does not, the proxy tunnel fails with
            // hyper-util's TunnelError), so the kind alone says it
            None if error.is_connect() && io_error_of_kind(inner, std::io::ErrorKind::UnexpectedEof) => {
                Some(TlsFailure::Other)
            }
            None => None,
        });
        source = inner.source();
    }
    if head_too_big {
        return head_too_large(url, s.max_header_bytes, "the head is too large for the HTTP parser");
    }
    if error.is_timeout() {
        let after = if error.is_connect() { s.open_timeout } else { s.read_timeout };
        return Error::Timeout { url: url.to_owned(), after };
    }
    match tls {
        Some(TlsFailure::NotTls) if url.starts_with("https:") => Error::Ssl {
            url: url.to_owned(),
            message: format!("the port speaks plain HTTP, not TLS: use an http:// URL ({detail})"),
        },
        Some(_) => Error::Ssl { url: url.to_owned(), message: detail },
        None => Error::Connection { url: url.to_owned(), message: detail },
    }
}

/// Whether `error` is an I/O error of `kind`, or wraps one in I/O errors
/// (hyper-rustls wraps tokio-rustls's in one of its own).
fn io_error_of_kind(error: &(dyn std::error::Error + 'static), kind: std::io::ErrorKind) -> bool {
    let mut error = Some(error);
    while let Some(io) = error.and_then(|e| e.downcast_ref::<std::io::Error>()) {
        if io.kind() == kind {
            return true;
        }
        error = io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static));
    }
    false
}

/// `Retry-After` in seconds or as an HTTP-date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let wait = http_date(value)? - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The message of an error body: Panko's `{"error_message": …}` (sometimes a
/// JSON string inside), Keystone's `{"error": {"message"}}`, else the start
/// of the text.
pub fn error_message(body: &[u8]) -> String {
    let message = message_of(body);
    // a service's text goes into logs, errors and stats[:last_error]: keep
    // it to a readable size
    match message.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}… ({} bytes)", &message[..end], message.len()),
        None => message,
    }
}

/// The longest service error message passed on, in characters.
const MESSAGE_CHARS: usize = 1000;

fn message_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        let found = value
            .get("error_message")
            .or_else(|| value.get("error").and_then(|e| e.get("message")))
            .or_else(|| value.get("message"));
        if let Some(found) = found {
            let text = match found {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let Ok(inner) = serde_json::from_str::<serde_json::Value>(&text) {
                if let Some(s) = inner.get("faultstring").and_then(|v| v.as_str()) {
                    return s.to_owned();
                }
            }
            return text;
        }
    }
    let trimmed: String = text.trim().chars().take(200).collect();
    if trimmed.is_empty() {
        "(empty body)".into()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_from_panko_and_keystone() {
        assert_eq!(error_message(br#"{"error_message": "Invalid marker"}"#), "Invalid marker");
        assert_eq!(
            error_message(br#"{"error_message": "{\"faultstring\": \"Invalid input\", \"debuginfo\": null}"}"#),
            "Invalid input"
        );
        assert_eq!(error_message(br#"{"error": {"code": 401, "message": "Unauthorized"}}"#), "Unauthorized");
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn long_error_messages_are_cut() {
        let body = format!(r#"{{"error_message": "{}"}}"#, "x".repeat(5000));
        let message = error_message(body.as_bytes());
        assert!(message.starts_with(&"x".repeat(1000)) && message.ends_with("… (5000 bytes)"), "{message}");
        assert_eq!(error_message(br#"{"message": "short"}"#), "short");
    }

    #[test]
    fn retry_after_in_both_forms() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    /// RFC 9110 §5.6.7's three forms of one instant, and RFC 2822 with a
    /// numeric zone.
    fn forms(at: chrono::DateTime<chrono::Utc>) -> [String; 4] {
        [
            at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            at.format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
            at.format("%a %b %e %H:%M:%S %Y").to_string(),
            at.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        ]
    }

    #[test]
    fn http_dates_in_every_form() {
        let expected = chrono::DateTime::parse_from_rfc3339("1994-11-06T08:49:37Z").unwrap();
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 6 Nov 1994 10:49:37 +0200",
            " 6 Nov 1994 08:49:37 GMT ",
        ] {
            assert_eq!(http_date(text), Some(expected.into()), "{text:?}");
        }
        assert_eq!(
            forms(expected.into())[..3],
            ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"]
        );
        for bad in ["", "soon", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun Nov 6 08:49:37"] {
            assert_eq!(http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn retry_after_as_a_date_in_every_form() {
        let mut h = reqwest::header::HeaderMap::new();
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        for text in forms(later) {
            h.insert("retry-after", text.parse().unwrap());
            let wait = retry_after(&h).unwrap_or_else(|| panic!("{text:?}"));
            assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600), "{text:?}: {wait:?}");
        }
        // a date past: no wait
        for text in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            h.insert("retry-after", text.parse().unwrap());
            assert_eq!(retry_after(&h), Some(Duration::ZERO), "{text:?}");
        }
        // neither seconds nor a date: none
        for bad in ["soon", "-5", "1.5", ""] {
            h.insert("retry-after", bad.parse().unwrap());
            assert_eq!(retry_after(&h), None, "{bad:?}");
        }
    }

    /// A real HTTP server on 127.0.0.1 that answers one request with
    /// `body`, gzip-encoded, its Content-Length the compressed size.
    fn serve_gzip(body: Vec<u8>) -> Url {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&body).unwrap();
        let gzip = encoder.finish().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/events", listener.local_addr().unwrap())).unwrap();
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else { return };
            let request = crate::testing::read_request_head(&mut stream);
            let asked_gzip = String::from_utf8_lossy(&request).to_ascii_lowercase().contains("accept-encoding: gzip");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nX-Asked-Gzip: \
                 {asked_gzip}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                gzip.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&gzip);
        });
        url
    }

    fn fetch(url: Url, max_response_bytes: u64) -> Result<Reply> {
        let config =
            Config::from_value(&serde_json::json!({"url": url.as_str(), "max_response_bytes": max_response_bytes}))
                .unwrap();
        let mut http = Http::new(&config).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async { http.get(url, &[]).unwrap().await })
    }

    #[test]
    fn gzip_bodies_are_asked_for_and_decoded() {
        let body = format!("[{}]", r#"{"message_id":"a"},"#.repeat(100).trim_end_matches(','));
        let reply = fetch(serve_gzip(body.clone().into_bytes()), 64 * 1024).unwrap();
        assert_eq!(reply.headers.get("x-asked-gzip").unwrap(), "true");
        assert_eq!(String::from_utf8(reply.body).unwrap(), body);
    }

    #[test]
    fn a_gzip_bomb_is_held_to_max_response_bytes_decoded() {
        // 1 KiB compressed, 16 MiB decoded
        let error = fetch(serve_gzip(vec![b' '; 16 << 20]), 64 * 1024).err().unwrap();
        let Error::TooLarge { option, limit, message, .. } = &error else { panic!("{error}") };
        assert_eq!((*option, *limit), ("http.max_response_bytes", 64 * 1024));
        assert!(message.contains("grew past 65536 bytes"), "{message}");
    }

    /// A real HTTP server on 127.0.0.1 that answers one request with `head`
    /// (and no body).
    fn serve_head(head: Vec<u8>) -> Url {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/events", listener.local_addr().unwrap())).unwrap();
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else { return };
            crate::testing::read_request_head(&mut stream);
            let _ = stream.write_all(&head);
        });
        url
    }

    #[test]
    fn a_head_too_large_for_the_http_parser_names_max_header_bytes() {
        let one_long = format!("HTTP/1.1 200 OK\r\nX-Pad: {}\r\nContent-Length: 0\r\n\r\n", "a".repeat(600 << 10));
        let many: String = (0..120).map(|i| format!("X-Field-{i}: x\r\n")).collect();
        let many = format!("HTTP/1.1 200 OK\r\n{many}Content-Length: 0\r\n\r\n");
        for head in [one_long, many] {
            let url = serve_head(head.into_bytes());
            let config =
                Config::from_value(&serde_json::json!({"url": url.as_str(), "max_header_bytes": 2_000_000})).unwrap();
            let mut http = Http::new(&config).unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let error = runtime.block_on(async { http.get(url, &[]).unwrap().await }).err().unwrap();
            let Error::TooLarge { option, limit, message, .. } = &error else { panic!("{error}") };
            assert_eq!((*option, *limit), ("http.max_header_bytes", 2_000_000));
            assert!(message.contains("too large for the HTTP parser"), "{message}");
        }
    }

    #[test]
    fn a_refused_connection_is_a_connection_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        for scheme in ["http", "https"] {
            let error = fetch(Url::parse(&format!("{scheme}://127.0.0.1:{port}/")).unwrap(), 1024).err().unwrap();
            assert!(matches!(error, Error::Connection { .. }), "{error:?}");
        }
    }

    #[test]
    fn redact_drops_query() {
        let u = Url::parse("http://h:1/v2/events?q.value=x&marker=m").unwrap();
        assert_eq!(redact(&u), "http://h:1/v2/events");
    }
}
