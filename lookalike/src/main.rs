//! panko-lookalike: a Panko v2 + Keystone v3/v2.0 look-alike on 127.0.0.1,
//! with switches for faults, for the end-to-end tests, the demo and the
//! benchmark of openstack_http_event_monitor.
//!
//! It prints `LISTENING http://127.0.0.1:PORT` once ready, and stops itself
//! when its stdin closes, after `--lifetime` seconds, or on SIGINT/SIGTERM.

mod app;
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
    settings: app::Settings,
}

fn usage() -> ! {
    eprintln!(
        "usage: panko-lookalike [--port N] [--token-ttl SECS] [--username NAME] [--password PW] [--no-auth]\n\
         \x20                      [--stream EVENTS_PER_SEC] [--lifetime SECS (0 = none)] [--keep-stdin-open-not-required]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut args = Args { port: 0, lifetime: 1800, watch_stdin: true, stream: 0, settings: app::Settings::default() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--port" => args.port = value().parse().unwrap_or_else(|_| usage()),
            "--lifetime" => args.lifetime = value().parse().unwrap_or_else(|_| usage()),
            "--token-ttl" => args.settings.token_ttl = value().parse().unwrap_or_else(|_| usage()),
            "--username" => args.settings.username = value(),
            "--password" => args.settings.password = value(),
            "--stream" => args.stream = value().parse().unwrap_or_else(|_| usage()),
            "--no-auth" => args.settings.require_auth = false,
            "--keep-stdin-open-not-required" => args.watch_stdin = false,
            _ => usage(),
        }
    }
    args
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
    let base = format!("http://127.0.0.1:{}", addr.port());
    let state = Arc::new(app::App::new(base.clone(), args.settings));
    println!("LISTENING {base}");
    use std::io::Write;
    let _ = std::io::stdout().flush();

    if args.stream > 0 {
        tokio::spawn(app::stream(Arc::clone(&state), args.stream));
    }

    let serve = async {
        loop {
            let Ok((socket, _)) = listener.accept().await else { continue };
            let _ = socket.set_nodelay(true);
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let service = service_fn(move |req| app::handle(Arc::clone(&state), req));
                let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(socket), service).await;
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
