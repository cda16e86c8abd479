//! panko-lookalike: a Panko v2 + Keystone v3/v2.0 look-alike on 127.0.0.1,
//! with switches for faults, for the end-to-end tests, the demo and the
//! benchmark of openstack_http_event_monitor.
//!
//! It prints `LISTENING http://127.0.0.1:PORT` once ready, and stops itself
//! after `--lifetime` seconds, on SIGINT/SIGTERM, or (`--follow-stdin`, as
//! the specs run it) when its stdin closes. `--help` lists its credentials
//! and control endpoints.

mod app;
mod auth;
mod ceilometer;
mod domain;
mod generic;
mod github;
mod gzip;
mod publisher;
mod push_counts;
mod push_target;
mod replay;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

struct Args {
    port: u16,
    lifetime: u64,
    watch_stdin: bool,
    stream: u32,
    tls: Option<(String, String)>,
    /// Require client certificates signed by this CA.
    client_ca: Option<String>,
    /// Serve this VCR cassette instead of the simulated services.
    cassette: Option<String>,
    /// POST the streamed events to this Ceilometer `http` publisher URL.
    push_to: Option<push_target::PushTarget>,
    /// Stop streaming (and pushing) after this many events.
    push_count: Option<u64>,
    settings: app::Settings,
}

const HELP: &str = "\
usage: panko-lookalike [--port N] [--token-ttl SECS] [--username NAME] [--password PW] [--no-auth]
                       [--stream EVENTS_PER_SEC] [--lifetime SECS (0 = none)] [--follow-stdin]
                       [--tls-cert CHAIN.pem --tls-key KEY.pem [--tls-client-ca CA.pem]] [--cassette FILE.yml|FILE.json]
                       [--stream N --push-to URL [--push-count N]]

A Panko v2 events API and a Keystone (v3 and v2.0) on 127.0.0.1, for trying and testing
openstack_http_event_monitor. Prints `LISTENING http://127.0.0.1:PORT` once ready.

  --port N          the port (default: one the OS picks)
  --lifetime SECS   stop after SECS seconds (default 1800; 0: never); SIGINT/SIGTERM stop it too
  --follow-stdin    also stop when stdin closes (how the specs run it); without it, it runs on
                    in the background (`panko-lookalike --lifetime 0 &`)
  --stream N        make N realistic events a second (Nova, Cinder, Neutron, Keystone)
  --no-auth         serve /v2/events without a token
  --cassette FILE   answer from a recorded VCR cassette instead

Credentials: Keystone user `admin`, password `secret` (--username, --password), domain id
`default` (name `Default`), projects admin, demo, services; tokens carry the admin role.
Keystone: POST /v3/auth/tokens, GET /v3/auth/projects, POST /v2.0/tokens, GET /v2.0/tenants;
the catalog lists `event` (this Panko) at the service's URL. Other auth modes for /v2/events
(POST /_control/config {\"auth\": MODE}): token (X-Auth-Token lookalike-static-token), bearer
(the same token), basic (events / lookalike-basic-password), header (X-Api-Key: lookalike-api-key),
oauth2 (POST /oauth/token, client manageiq / lookalike-client-secret), none.

Control endpoints (JSON):
  POST /_control/events     add events (a JSON array of Panko events)
  POST /_control/generate   {count, start, step_ms, prefix, event_type}: make a backlog
  POST /_control/faults     [{path: events|keystone|oauth|any, count, status, delay_ms, retry_after,
                              body, reset, truncate, endless, pad_bytes, head_bytes, echo, gzip_bomb}]:
                            the next matching requests fail that way, in order
  POST /_control/config     auth mode and credentials, token_ttl, catalog, projects, admin,
                            dialect (panko|ceilometer), ignore_marker, reject_marker, max_limit
  POST /_control/revoke     revoke every token;  POST /_control/reset  forget events and faults
  GET  /_control/requests   the requests seen (DELETE clears);  GET /_control/tokens, /stats,
                            /projects, /pushed (the push publisher's counts)
  POST /_control/raw_events a generic JSON API's records (GET /json/...)

  --push-to URL  also POST the streamed events to URL as Ceilometer's http publisher does, e.g.
                 http://user:pass@127.0.0.1:8780/events?batch=True&timeout=5 (batch: one JSON array per
                 batch, else one POST per event; HTTP Basic from the userinfo; timeout in seconds;
                 max_retries on connect errors). The URL may come from PANKO_LOOKALIKE_PUSH_TO instead,
                 off the command line. GET /_control/pushed counts accepted, dropped, failed, posts.
  --push-count N stop streaming after N events (default: never)
";

fn usage() -> ! {
    eprint!("{HELP}");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args {
        port: 0,
        lifetime: 1800,
        watch_stdin: false,
        stream: 0,
        tls: None,
        client_ca: None,
        cassette: None,
        push_to: None,
        push_count: None,
        settings: app::Settings::default(),
    };
    let mut push_to = None;
    let mut cert = None;
    let mut key = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0)
            }
            "--follow-stdin" => args.watch_stdin = true,
            "--port" => args.port = value().parse().unwrap_or_else(|_| usage()),
            "--lifetime" => args.lifetime = value().parse().unwrap_or_else(|_| usage()),
            "--token-ttl" => args.settings.token_ttl = value().parse().unwrap_or_else(|_| usage()),
            "--username" => args.settings.username = value(),
            "--password" => args.settings.password = value(),
            "--stream" => args.stream = value().parse().unwrap_or_else(|_| usage()),
            "--no-auth" => args.settings.require_auth = false,
            "--tls-cert" => cert = Some(value()),
            "--tls-key" => key = Some(value()),
            "--tls-client-ca" => args.client_ca = Some(value()),
            "--cassette" => args.cassette = Some(value()),
            "--push-to" => push_to = Some(value()),
            "--push-count" => args.push_count = Some(value().parse().unwrap_or_else(|_| usage())),
            // the old default's opt-out, now the default
            "--keep-stdin-open-not-required" => args.watch_stdin = false,
            _ => usage(),
        }
    }
    match (cert, key) {
        (Some(c), Some(k)) => args.tls = Some((c, k)),
        (None, None) => {}
        _ => usage(),
    }
    // the URL may carry a password: the environment keeps it off `ps`
    let push_to = push_to.or_else(|| std::env::var("PANKO_LOOKALIKE_PUSH_TO").ok().filter(|u| !u.is_empty()));
    if let Some(url) = push_to {
        match push_target::PushTarget::parse(&url) {
            Ok(target) => args.push_to = Some(target),
            Err(e) => {
                eprintln!("panko-lookalike: --push-to: {e}");
                std::process::exit(2);
            }
        }
        if args.stream == 0 {
            eprintln!("panko-lookalike: --push-to needs --stream EVENTS_PER_SEC");
            std::process::exit(2);
        }
    } else if args.push_count.is_some() {
        eprintln!("panko-lookalike: --push-count needs --push-to");
        std::process::exit(2);
    }
    args
}

/// A PEM file's error: `path`, then the I/O error as it is, or the missing
/// end line or the bad start line as text (pem::Error shows their bytes as
/// numbers).
fn pem_error(path: &str, error: rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    match error {
        Error::Io(e) => format!("{path}: {e}"),
        Error::MissingSectionEnd { end_marker } => {
            format!("{path}: section end \"-----END {}-----\" missing", String::from_utf8_lossy(&end_marker))
        }
        Error::IllegalSectionStart { line } => {
            format!("{path}: illegal section start: {:?}", String::from_utf8_lossy(&line))
        }
        other => format!("{path}: {other}"),
    }
}

/// A TLS acceptor from PEM files: the certificate chain and its key.
fn tls_acceptor(cert: &str, key: &str, client_ca: Option<&str>) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::{Error, PemObject};
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_error(cert, e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| match e {
        Error::NoItemsFound => format!("{key}: no private key"),
        e => pem_error(key, e),
    })?;
    use tokio_rustls::rustls;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for ca in CertificateDer::pem_file_iter(path).map_err(|e| pem_error(path, e))? {
                roots.add(ca.map_err(|e| pem_error(path, e))?).map_err(|e| format!("{path}: {e}"))?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(std::sync::Arc::new(roots), provider)
                    .build()
                    .map_err(|e| e.to_string())?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config = builder.with_single_cert(certs, key).map_err(|e| e.to_string())?;
    Ok(tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = parse_args();
    let listener = match TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("panko-lookalike: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    let addr = listener.local_addr().expect("bound socket has an address");
    let acceptor = match &args.tls {
        None => None,
        Some((cert, key)) => match tls_acceptor(cert, key, args.client_ca.as_deref()) {
            Ok(a) => Some(a),
            Err(e) => {
                eprintln!("panko-lookalike: TLS: {e}");
                std::process::exit(1);
            }
        },
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://127.0.0.1:{}", addr.port());
    let cassette = match &args.cassette {
        None => None,
        Some(path) => match replay::Cassette::load(path, &base) {
            Ok(c) => {
                eprintln!("panko-lookalike: replaying {} interactions from {path}", c.len());
                Some(c)
            }
            Err(e) => {
                eprintln!("panko-lookalike: cassette {e}");
                std::process::exit(1);
            }
        },
    };
    let state = Arc::new(app::App::new(base.clone(), args.settings, cassette));
    println!("LISTENING {base}");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    if args.stream > 0 {
        let tap = args.push_to.map(|target| {
            let (tx, rx) = tokio::sync::mpsc::channel(1024);
            let publisher = publisher::Publisher::new(target, state.push_counts());
            tokio::spawn(publisher.run(rx));
            tx
        });
        tokio::spawn(app::stream(Arc::clone(&state), args.stream, tap, args.push_count));
    }

    let serve = async {
        loop {
            let Ok((socket, _)) = listener.accept().await else { continue };
            let _ = socket.set_nodelay(true);
            let state = Arc::clone(&state);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| app::handle(Arc::clone(&state), req));
                let builder = http1::Builder::new();
                match acceptor {
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(socket), service).await;
                    }
                    Some(acceptor) => {
                        // a client that refuses the certificate just goes away
                        if let Ok(tls) = acceptor.accept(socket).await {
                            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                        }
                    }
                }
            });
        }
    };
    let stdin_closed = async {
        if !args.watch_stdin {
            return std::future::pending().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 256];
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let lifetime = async {
        if args.lifetime == 0 {
            return std::future::pending().await;
        }
        tokio::time::sleep(Duration::from_secs(args.lifetime)).await
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = serve => {}
        _ = stdin_closed => {}
        _ = lifetime => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    std::process::exit(0);
}
