use std::sync::Mutex;

use tokio::io::AsyncReadExt;

use super::*;
use crate::util::secret::Secret;

/// Keeps every body it is handed (answers 200 with its length) and every
/// reason a request was turned away.
#[derive(Default)]
struct Keep(Mutex<Vec<(Option<String>, Bytes)>>, Mutex<Vec<TurnedAway>>);

impl Handler for Keep {
    fn handle(&self, request: Request) -> Pin<Box<dyn Future<Output = Reply> + Send + '_>> {
        Box::pin(async move {
            let n = request.body.len();
            self.0.lock().unwrap().push((request.query, request.body));
            Reply::json(200, serde_json::json!({ "bytes": n }))
        })
    }

    fn turned_away(&self, why: TurnedAway) {
        self.1.lock().unwrap().push(why);
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        path: "/events".into(),
        gate: Gate::default(),
        tls: None,
        max_body_bytes: 1000,
        max_header_bytes: 8192,
        request_timeout: Duration::from_millis(500),
        max_connections: 16,
    }
}

fn start(config: ServerConfig) -> (Server, Arc<Keep>, String) {
    let keep = Arc::new(Keep::default());
    let server = Server::start(config, Arc::clone(&keep) as Arc<dyn Handler>).unwrap();
    let base = format!("http://{}", server.local_addr());
    (server, keep, base)
}

/// Sends raw bytes and reads the answer until the server closes or 2 s pass.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takes_posts_on_its_path_only() {
    let (server, keep, base) = start(config());
    let client = reqwest::Client::new();
    let ok = client.post(format!("{base}/events?batch=True")).body("[1]").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), r#"{"bytes":3}"#);
    assert_eq!(client.get(format!("{base}/events")).send().await.unwrap().status(), 405);
    assert_eq!(client.post(format!("{base}/other")).body("x").send().await.unwrap().status(), 404);
    assert_eq!(*keep.0.lock().unwrap(), vec![(Some("batch=True".to_owned()), Bytes::from_static(b"[1]"))]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admits_basic_users_and_the_token_and_nobody_else() {
    let gate = Gate {
        users: vec![("ceilometer".into(), Secret::new("pw"))],
        token: Some(("token".into(), Secret::new("t0k"))),
        client_certificates: false,
    };
    let (server, keep, base) = start(ServerConfig { gate, ..config() });
    let client = reqwest::Client::new();
    let url = format!("{base}/events");
    let anonymous = client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(client.post(&url).basic_auth("ceilometer", Some("no")).body("{}").send().await.unwrap().status(), 401);
    assert_eq!(client.post(format!("{url}?token=bad")).body("{}").send().await.unwrap().status(), 401);
    assert_eq!(client.post(&url).basic_auth("ceilometer", Some("pw")).body("{}").send().await.unwrap().status(), 200);
    assert_eq!(client.post(format!("{url}?token=t0k")).body("{}").send().await.unwrap().status(), 200);
    assert_eq!(keep.0.lock().unwrap().len(), 2, "refused bodies are never handed on");
    use TurnedAway::{MissingCredentials, WrongCredentials};
    assert_eq!(*keep.1.lock().unwrap(), vec![MissingCredentials, WrongCredentials, WrongCredentials]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_cap_are_413_whether_declared_or_streamed() {
    let (server, keep, base) = start(config());
    let client = reqwest::Client::new();
    let declared = client.post(format!("{base}/events")).body(vec![b' '; 1001]).send().await.unwrap();
    assert_eq!(declared.status(), 413);
    assert!(declared.text().await.unwrap().contains("http.source.max_body_bytes"));
    let chunk = format!("258\r\n{}\r\n", " ".repeat(600));
    let chunked =
        format!("POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{chunk}{chunk}0\r\n\r\n");
    let streamed = raw(server.local_addr(), chunked.as_bytes()).await;
    assert!(streamed.starts_with("HTTP/1.1 413"), "{streamed}");
    assert_eq!(client.post(format!("{base}/events")).body(vec![b' '; 1000]).send().await.unwrap().status(), 200);
    assert_eq!(keep.0.lock().unwrap().len(), 1);
    assert_eq!(*keep.1.lock().unwrap(), vec![TurnedAway::TooLarge; 2]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sender_gets_408_and_a_huge_head_431() {
    let (server, keep, _) = start(config());
    let addr = server.local_addr();
    let slow = raw(addr, b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\"").await;
    assert!(slow.starts_with("HTTP/1.1 408"), "{slow}");
    let big =
        format!("POST /events HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\n{{}}", "a".repeat(20_000));
    let answer = raw(addr, big.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(keep.0.lock().unwrap().is_empty());
    assert_eq!(*keep.1.lock().unwrap(), vec![TurnedAway::TooSlow], "hyper answers the 431 itself");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_turned_away() {
    let (server, keep, _) =
        start(ServerConfig { max_connections: 2, request_timeout: Duration::from_secs(5), ..config() });
    let addr = server.local_addr();
    let _idle1 = TcpStream::connect(addr).await.unwrap();
    let _idle2 = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let third = raw(addr, b"").await;
    assert!(third.starts_with("HTTP/1.1 503"), "{third}");
    assert_eq!(*keep.1.lock().unwrap(), vec![TurnedAway::TooManyConnections]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_frees_the_port_and_closes_open_connections() {
    let (server, _, _) = start(config());
    let addr = server.local_addr();
    let mut open = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.stop().await;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(1), open.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the open connection was closed: {read:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "nothing listens any more");
    let again = std::net::TcpListener::bind(addr);
    assert!(again.is_ok(), "the port is free again at once: {again:?}");
    let taken = Server::start(ServerConfig { listen: addr, ..config() }, Arc::new(Keep::default()));
    assert!(taken.is_err_and(|e| e.to_string().contains(&addr.to_string())));
}

/// Answers after a pause, telling when it has the request.
struct Slow(tokio::sync::Notify);

impl Handler for Slow {
    fn handle(&self, _request: Request) -> Pin<Box<dyn Future<Output = Reply> + Send + '_>> {
        Box::pin(async move {
            self.0.notify_one();
            tokio::time::sleep(Duration::from_millis(200)).await;
            Reply::json(200, serde_json::json!({"accepted": 1}))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_lets_the_request_in_flight_get_its_answer() {
    // the events of an accepted batch may be delivered while its 200 is on
    // the way: cut there, the sender would take them for refused and resend
    let slow = Arc::new(Slow(tokio::sync::Notify::new()));
    let server = Server::start(config(), Arc::clone(&slow) as Arc<dyn Handler>).unwrap();
    let addr = server.local_addr();
    let request = tokio::spawn(raw(
        addr,
        b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n[1]",
    ));
    slow.0.notified().await;
    server.stop().await;
    let answer = request.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "nothing listens any more");
}
