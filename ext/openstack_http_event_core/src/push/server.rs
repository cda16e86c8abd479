//! The receiver's HTTP/1.1 server on the shared runtime: binds when started
//! (so `start` fails at once on a taken port), takes `POST <path>` from
//! admitted senders and hands each whole body to a [`Handler`]. Limits: the
//! request head (`431`), the body (`413`), a sender too slow to send its
//! request within the timeout (`408`, or dropped while the head is still
//! coming), and the connections served at once (beyond them a `503` and
//! the connection closed). [`Server::stop`] closes the port, lets a request
//! in flight get its answer (for at most [`STOP_GRACE`]: an event already
//! delivered must not look refused to its sender, which would send it
//! again), and closes every connection before it returns.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::gate::{Gate, Refusal};
use crate::error::{Error, Result};

/// How the server listens and what it allows.
#[derive(Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The one path events are POSTed to, e.g. `/events`.
    pub path: String,
    pub gate: Gate,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub max_body_bytes: u64,
    pub max_header_bytes: usize,
    /// The longest a sender may take to send one request (TLS handshake,
    /// head and body).
    pub request_timeout: Duration,
    pub max_connections: usize,
}

/// One admitted request: what a [`Handler`] reads.
#[derive(Debug)]
pub struct Request {
    pub headers: HeaderMap,
    /// The request's query string; no handler reads it yet (the gate has
    /// already judged any credential in it)
    #[allow(dead_code)]
    pub query: Option<String>,
    pub body: Bytes,
}

/// What to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// JSON.
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply { status, headers: Vec::new(), body: body.to_string() }
    }

    fn error(status: u16, message: &str) -> Reply {
        Reply::json(status, serde_json::json!({ "error": message }))
    }
}

/// Takes in an admitted request's body; answers once it is safe to.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: Request) -> Pin<Box<dyn Future<Output = Reply> + Send + '_>>;

    /// Told of every request the server answered itself, before a body
    /// reached [`Handler::handle`] (for `stats` and the log).
    fn turned_away(&self, _why: TurnedAway) {}
}

/// Why the server answered a request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnedAway {
    /// `401`: no credentials.
    MissingCredentials,
    /// `401`: credentials that are not the configured ones.
    WrongCredentials,
    /// `413`: past `max_body_bytes`.
    TooLarge,
    /// `408`: the body did not arrive within `request_timeout`.
    TooSlow,
    /// `431`: a request head past `max_header_bytes` that arrived whole
    /// (one hyper did not already refuse while reading it).
    HeadTooLarge,
    /// `503`: `max_connections` were being served.
    TooManyConnections,
}

impl TurnedAway {
    /// What the sender got and why, for the log.
    pub fn describe(self) -> &'static str {
        match self {
            TurnedAway::MissingCredentials => "401, no credentials",
            TurnedAway::WrongCredentials => "401, wrong credentials",
            TurnedAway::TooLarge => "413, body past http.source.max_body_bytes",
            TurnedAway::TooSlow => "408, body not sent within http.source.request_timeout",
            TurnedAway::HeadTooLarge => "431, request head past http.max_header_bytes",
            TurnedAway::TooManyConnections => "503, http.source.max_connections already open",
        }
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

struct Context {
    config: ServerConfig,
    handler: Arc<dyn Handler>,
}

impl Server {
    /// Binds `config.listen` and serves on the current tokio runtime.
    pub fn start(config: ServerConfig, handler: Arc<dyn Handler>) -> Result<Server> {
        let std_listener = std::net::TcpListener::bind(config.listen).map_err(|e| Error::Connection {
            url: format!("listen {}", config.listen),
            message: format!("cannot listen: {e}"),
        })?;
        let addr = std_listener
            .local_addr()
            .map_err(|e| Error::Connection { url: format!("listen {}", config.listen), message: e.to_string() })?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| Error::Connection { url: format!("listen {addr}"), message: e.to_string() })?;
        let listener = TcpListener::from_std(std_listener)
            .map_err(|e| Error::Connection { url: format!("listen {addr}"), message: e.to_string() })?;
        let (shutdown, stopped) = watch::channel(false);
        let context = Arc::new(Context { config, handler });
        let task = tokio::spawn(accept_loop(listener, context, stopped));
        Ok(Server { addr, shutdown, task })
    }

    /// The address bound (the port the OS picked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the port and every connection; returns when they are closed.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// How long a stopping server waits for the requests in flight to be
/// answered before it closes their connections.
pub const STOP_GRACE: Duration = Duration::from_secs(1);

async fn accept_loop(listener: TcpListener, context: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => {
                    let _ = socket.set_nodelay(true);
                    if connections.len() >= context.config.max_connections {
                        context.handler.turned_away(TurnedAway::TooManyConnections);
                        tokio::spawn(turn_away(socket));
                    } else {
                        connections.spawn(serve_connection(socket, Arc::clone(&context), stopped.clone()));
                    }
                }
                // out of file descriptors, or a connection reset before it
                // was accepted: wait a little rather than spin
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    drop(listener);
    // each connection finishes the exchange it is in, then closes
    let _ = tokio::time::timeout(STOP_GRACE, async { while connections.join_next().await.is_some() {} }).await;
    connections.shutdown().await;
}

/// A connection beyond the limit: a 503 and the door closed.
async fn turn_away(mut socket: TcpStream) {
    let answer = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n\
                   Content-Length: 36\r\nConnection: close\r\n\r\n{\"error\": \"too many connections\"}\n";
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.write_all(answer)).await;
}

async fn serve_connection(socket: TcpStream, context: Arc<Context>, stopped: watch::Receiver<bool>) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(context.config.request_timeout)
        .max_buf_size(context.config.max_header_bytes.max(8192));
    let service_context = Arc::clone(&context);
    let service = service_fn(move |request| {
        let context = Arc::clone(&service_context);
        async move { Ok::<_, Infallible>(context.serve(request).await) }
    });
    match &context.config.tls {
        None => {
            until_stopped(builder.serve_connection(TokioIo::new(socket), service), stopped).await;
        }
        Some(acceptor) => {
            // a sender whose handshake fails or stalls just goes away
            let handshake = tokio::time::timeout(context.config.request_timeout, acceptor.accept(socket)).await;
            if let Ok(Ok(tls)) = handshake {
                until_stopped(builder.serve_connection(TokioIo::new(tls), service), stopped).await;
            }
        }
    }
}

/// Serves `connection` until it ends; once the server stops, it answers the
/// request in flight (if any) and closes.
async fn until_stopped<I, S>(connection: http1::Connection<I, S>, mut stopped: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S: hyper::service::HttpService<hyper::body::Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut connection = std::pin::pin!(connection);
    if *stopped.borrow() {
        connection.as_mut().graceful_shutdown();
        let _ = connection.await;
        return;
    }
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stopped.changed() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

impl Context {
    async fn serve(&self, request: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
        let reply = self.answer(request).await;
        let mut response = hyper::Response::new(Full::new(Bytes::from(reply.body)));
        *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        for (name, value) in reply.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }

    async fn answer(&self, request: hyper::Request<hyper::body::Incoming>) -> Reply {
        let config = &self.config;
        if head_size(&request) > config.max_header_bytes {
            self.handler.turned_away(TurnedAway::HeadTooLarge);
            return Reply::error(431, "the request head is too large");
        }
        if request.uri().path() != config.path {
            return Reply::error(404, &format!("events are POSTed to {}", config.path));
        }
        if request.method() != Method::POST {
            let mut reply = Reply::error(405, "events are POSTed");
            reply.headers.push(("allow", "POST".into()));
            return reply;
        }
        let authorization = request.headers().get(hyper::header::AUTHORIZATION).map(HeaderValue::as_bytes);
        if let Err(refusal) = config.gate.admit(authorization, request.uri().query()) {
            let (why, message) = match refusal {
                Refusal::Missing => (TurnedAway::MissingCredentials, "credentials required"),
                Refusal::Wrong => (TurnedAway::WrongCredentials, "credentials refused"),
            };
            self.handler.turned_away(why);
            let mut reply = Reply::error(401, message);
            reply.headers.push(("www-authenticate", "Basic realm=\"openstack_http_event_monitor\"".into()));
            return reply;
        }
        let declared = request
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > config.max_body_bytes) {
            return self.too_large();
        }
        let (parts, body) = request.into_parts();
        let limit = usize::try_from(config.max_body_bytes).unwrap_or(usize::MAX);
        let body = match tokio::time::timeout(config.request_timeout, Limited::new(body, limit).collect()).await {
            Err(_) => {
                self.handler.turned_away(TurnedAway::TooSlow);
                let mut reply = Reply::error(408, "the request took too long to arrive");
                reply.headers.push(("connection", "close".into()));
                return reply;
            }
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return self.too_large(),
            Ok(Err(e)) => return Reply::error(400, &format!("the body could not be read: {e}")),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        let query = parts.uri.query().map(str::to_owned);
        self.handler.handle(Request { headers: parts.headers, query, body }).await
    }

    fn too_large(&self) -> Reply {
        self.handler.turned_away(TurnedAway::TooLarge);
        let mut reply = Reply::error(
            413,
            &format!("the body is larger than {} bytes (http.source.max_body_bytes)", self.config.max_body_bytes),
        );
        reply.headers.push(("connection", "close".into()));
        reply
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;

/// The size of a request head as sent (request line and header lines),
/// near enough to hold it to `max_header_bytes`.
fn head_size<B>(request: &hyper::Request<B>) -> usize {
    let target = request.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let line = request.method().as_str().len() + target + 12;
    request.headers().iter().fold(line, |sum, (name, value)| sum + name.as_str().len() + value.len() + 4)
}
