//! The push publisher: POSTs the streamed events to a receiver the way
//! Ceilometer's `http` publisher (ceilometer/publisher/http.py) does.
//!
//! With `batch` (the default) one POST holds a JSON array of the events
//! published together (here: those streamed within a second, at most 100,
//! as the notification agent batches); without it, one POST per event, a
//! JSON object. `Content-Type: application/json`, HTTP Basic from the URL's
//! userinfo, the `timeout` to connect and to answer; `max_retries` further
//! attempts only when connecting fails; any 4xx/5xx is logged and the batch
//! dropped. Outcomes are counted in a [`PushCounts`].

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use crate::push_counts::PushCounts;
use crate::push_target::PushTarget;

/// Events published together at most (the notification agent's batch_size).
const BATCH_SIZE: usize = 100;
/// How long a batch gathers events after its first.
const BATCH_WINDOW: Duration = Duration::from_secs(1);
/// The start of an answer's body shown in a log line.
const SHOWN_BODY: usize = 200;

/// Why a POST got no answer.
#[derive(Debug)]
pub enum PostError {
    /// No connection, after every retry.
    Connect(String),
    /// No answer within the timeout.
    Timeout,
    /// The connection broke before the answer was complete.
    Broken(String),
    /// The request could not be built.
    Request(String),
}

impl fmt::Display for PostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PostError::Connect(why) => write!(f, "cannot connect: {why}"),
            PostError::Timeout => write!(f, "no answer within the timeout"),
            PostError::Broken(why) => write!(f, "connection lost: {why}"),
            PostError::Request(why) => write!(f, "bad request: {why}"),
        }
    }
}

impl std::error::Error for PostError {}

pub struct Publisher {
    target: PushTarget,
    counts: Arc<Mutex<PushCounts>>,
    /// A kept-alive connection, as the `requests` session pools one.
    connection: Option<SendRequest<Full<Bytes>>>,
    /// How often each logged reason occurred, so a repeated one is logged
    /// at growing intervals (1st, 10th, 100th, …) rather than every time.
    reasons: HashMap<String, u64>,
}

impl Publisher {
    pub fn new(target: PushTarget, counts: Arc<Mutex<PushCounts>>) -> Self {
        Publisher { target, counts, connection: None, reasons: HashMap::new() }
    }

    /// Publishes the Panko-shaped events received until the channel
    /// closes, then returns.
    pub async fn run(mut self, mut events: mpsc::Receiver<Value>) {
        while let Some(first) = events.recv().await {
            let mut batch = vec![first];
            if self.target.batch {
                let deadline = Instant::now() + BATCH_WINDOW;
                while batch.len() < BATCH_SIZE {
                    match tokio::time::timeout_at(deadline, events.recv()).await {
                        Ok(Some(event)) => batch.push(event),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            self.publish(&batch).await;
        }
    }

    /// One publish call: a POST of the batch (an array), or with `batch`
    /// off, of its one event (an object).
    async fn publish(&mut self, batch: &[Value]) {
        let events: Vec<Value> = batch.iter().map(crate::ceilometer::from_panko).collect();
        let ids: Vec<String> = events.iter().map(|e| e["message_id"].as_str().unwrap_or_default().to_owned()).collect();
        let body = match (self.target.batch, events.as_slice()) {
            (false, [one]) => one.to_string(),
            _ => Value::Array(events).to_string(),
        };
        let n = ids.len() as u64;
        match self.post(Bytes::from(body)).await {
            Ok((status, _)) if (200..300).contains(&status) => {
                let mut counts = self.lock();
                counts.accepted += n;
                counts.posts += 1;
                counts.accepted_ids.extend(ids);
            }
            Ok((status, answer)) => {
                {
                    let mut counts = self.lock();
                    counts.dropped += n;
                    counts.posts += 1;
                }
                let shown = String::from_utf8_lossy(&answer[..answer.len().min(SHOWN_BODY)]).into_owned();
                self.log(format!("status {status}"), &format!("answered {status}, dropped {n} events: {shown}"));
            }
            Err(e) => {
                self.lock().failed += n;
                let reason = match &e {
                    PostError::Connect(_) => "connect",
                    PostError::Timeout => "timeout",
                    PostError::Broken(_) => "broken",
                    PostError::Request(_) => "request",
                };
                self.log(reason.to_owned(), &format!("{e}; {n} events lost"));
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PushCounts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Logs to stderr, a repeated reason at growing intervals. Never the
    /// URL's userinfo or query: only [`PushTarget::shown`].
    fn log(&mut self, reason: String, message: &str) {
        let seen = self.reasons.entry(reason).or_insert(0);
        *seen += 1;
        let n = *seen;
        let mut power = 1;
        while power < n {
            power *= 10;
        }
        if power == n {
            let times = if n > 1 { format!(" ({n} times so far)") } else { String::new() };
            eprintln!("panko-lookalike: push to {}: {message}{times}", self.target.shown);
        }
    }

    /// POSTs `body`: connects (again) when needed, retrying a failed
    /// connect `max_retries` times; a kept-alive connection found closed is
    /// replaced without counting as a retry. Returns the status and body.
    async fn post(&mut self, body: Bytes) -> Result<(u16, Bytes), PostError> {
        let mut retries = 0;
        loop {
            let (mut sender, reused) = match self.connection.take() {
                Some(sender) if !sender.is_closed() => (sender, true),
                _ => match self.connect().await {
                    Ok(sender) => (sender, false),
                    Err(_) if retries < self.target.max_retries => {
                        retries += 1;
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            if reused && sender.ready().await.is_err() {
                continue;
            }
            let request = self.request(body.clone())?;
            match timeout(self.target.timeout, sender.send_request(request)).await {
                Err(_) => return Err(PostError::Timeout),
                // the server closed a kept-alive connection: a new one
                Ok(Err(_)) if reused => continue,
                Ok(Err(e)) => return Err(PostError::Broken(e.to_string())),
                Ok(Ok(response)) => {
                    let status = response.status().as_u16();
                    let answer = match timeout(self.target.timeout, response.into_body().collect()).await {
                        Err(_) => return Err(PostError::Timeout),
                        Ok(Err(e)) => return Err(PostError::Broken(e.to_string())),
                        Ok(Ok(collected)) => collected.to_bytes(),
                    };
                    self.connection = Some(sender);
                    return Ok((status, answer));
                }
            }
        }
    }

    fn request(&self, body: Bytes) -> Result<Request<Full<Bytes>>, PostError> {
        let mut builder = Request::post(self.target.path_and_query.as_str())
            .header(hyper::header::HOST, self.target.host_header.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "panko-lookalike (ceilometer http publisher)")
            .header(hyper::header::ACCEPT, "*/*");
        if let Some(authorization) = &self.target.authorization {
            builder = builder.header(hyper::header::AUTHORIZATION, authorization.as_str());
        }
        // the error names the part that is wrong, never a header's value
        builder.body(Full::new(body)).map_err(|e| PostError::Request(e.to_string()))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, PostError> {
        let address = (self.target.host.as_str(), self.target.port);
        let stream = match timeout(self.target.timeout, TcpStream::connect(address)).await {
            Err(_) => return Err(PostError::Connect("timed out".into())),
            Ok(Err(e)) => return Err(PostError::Connect(e.to_string())),
            Ok(Ok(stream)) => stream,
        };
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            http1::handshake(TokioIo::new(stream)).await.map_err(|e| PostError::Connect(e.to_string()))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn event(id: &str) -> Value {
        json!({"message_id": id, "event_type": "compute.instance.create.end", "generated": "2026-12-01T10:00:00.000001",
               "traits": [{"name": "memory_mb", "type": "integer", "value": "512"}], "raw": {}})
    }

    /// A receiver answering every request with `status`; hands each
    /// request's head and body out.
    async fn receiver(status: u16) -> (u16, mpsc::UnboundedReceiver<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        let mut chunk = [0u8; 4096];
                        let Ok(n) = socket.read(&mut chunk).await else { return };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        let Some(end) = text.find("\r\n\r\n") else { continue };
                        let head = text[..end].to_owned();
                        let length: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                            })
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        if buf.len() < end + 4 + length {
                            continue;
                        }
                        let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
                        buf.drain(..end + 4 + length);
                        let _ = tx.send((head, body));
                        let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\n{{}}");
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (port, rx)
    }

    async fn publish_all(url: &str, ids: &[&str]) -> PushCounts {
        let counts = Arc::new(Mutex::new(PushCounts::default()));
        let publisher = Publisher::new(PushTarget::parse(url).unwrap(), Arc::clone(&counts));
        let (tx, rx) = mpsc::channel(16);
        for id in ids {
            tx.send(event(id)).await.unwrap();
        }
        drop(tx);
        publisher.run(rx).await;
        let counts = counts.lock().unwrap().clone();
        counts
    }

    #[tokio::test]
    async fn one_post_per_event_without_batch_with_basic_auth_and_json() {
        let (port, mut got) = receiver(200).await;
        let url = format!("http://ceilometer:pw@127.0.0.1:{port}/events?batch=False&timeout=5");
        let counts = publish_all(&url, &["a", "b", "c"]).await;
        assert_eq!((counts.accepted, counts.dropped, counts.failed, counts.posts), (3, 0, 0, 3));
        assert_eq!(counts.accepted_ids, vec!["a", "b", "c"]);
        for id in ["a", "b", "c"] {
            let (head, body) = got.recv().await.unwrap();
            assert!(head.starts_with("POST /events?batch=False&timeout=5 HTTP/1.1"), "{head}");
            let lower = head.to_ascii_lowercase();
            assert!(lower.contains("content-type: application/json"), "{head}");
            // ceilometer:pw
            assert!(lower.contains("authorization: basic y2vpbg9tzxrlcjpwdw=="), "{head}");
            let posted: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(posted["message_id"], id);
            assert_eq!(posted["traits"], json!([["memory_mb", 2, 512]]));
        }
    }

    #[tokio::test]
    async fn a_batch_is_one_array_and_an_error_status_drops_it() {
        let (port, mut got) = receiver(200).await;
        let counts = publish_all(&format!("http://127.0.0.1:{port}/events?batch=True"), &["a", "b"]).await;
        assert_eq!((counts.accepted, counts.posts), (2, 1));
        let (head, body) = got.recv().await.unwrap();
        assert!(!head.to_ascii_lowercase().contains("authorization"));
        let ids: Vec<Value> =
            serde_json::from_str::<Vec<Value>>(&body).unwrap().iter().map(|e| e["message_id"].clone()).collect();
        assert_eq!(ids, vec![json!("a"), json!("b")]);

        let (port, _got) = receiver(401).await;
        let counts = publish_all(&format!("http://u:wrong@127.0.0.1:{port}/events"), &["x", "y"]).await;
        assert_eq!((counts.accepted, counts.dropped, counts.failed, counts.posts), (0, 2, 0, 1));
        assert!(counts.accepted_ids.is_empty());
    }

    #[tokio::test]
    async fn a_receiver_that_never_answers_fails_the_batch_after_the_timeout_without_a_retry() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, mut connections) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                // held open, never answered
                let _ = tx.send(socket);
            }
        });
        let counts = publish_all(&format!("http://127.0.0.1:{port}/events?batch=True&timeout=1"), &["a", "b"]).await;
        assert_eq!((counts.accepted, counts.dropped, counts.failed, counts.posts), (0, 0, 2, 0));
        assert!(connections.recv().await.is_some());
        assert!(connections.try_recv().is_err(), "a timeout is not retried");
    }

    #[tokio::test]
    async fn nobody_listening_fails_the_events_after_the_retries() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let counts = publish_all(&format!("http://127.0.0.1:{port}/events?batch=False"), &["a", "b"]).await;
        assert_eq!((counts.accepted, counts.dropped, counts.failed, counts.posts), (0, 0, 2, 0));
    }
}
