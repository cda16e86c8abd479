//! The HTTP client against real TLS servers on 127.0.0.1, with the
//! certificates of `tests/fixtures/tls` (see its README).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use url::Url;

use super::{roots, CaFileVerifier, ExtendedKeyUsage, TrustedCertificates, Validity, When};
use crate::config::Config;
use crate::error::Error;
use crate::http::{Http, Reply};

/// A fixture's path.
fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn der(name: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(&pem(name)).unwrap()
}

/// Serves HTTPS on 127.0.0.1 with `name`.pem and `name`.key, requiring a
/// client certificate issued by `client_ca` when given. Each request is
/// answered `[]`, with the ALPN protocol agreed and whether the client
/// presented a certificate in `X-Alpn` and `X-Client-Cert`. Returns the
/// port.
fn serve(name: &str, client_ca: Option<&str>) -> u16 {
    let certs = CertificateDer::pem_slice_iter(&pem(&format!("{name}.pem"))).collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_slice(&pem(&format!("{name}.key"))).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der(ca)).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let config = config.clone();
            std::thread::spawn(move || answer(config, stream));
        }
    });
    port
}

/// One connection of [`serve`]: a failed handshake just ends it.
fn answer(config: Arc<rustls::ServerConfig>, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(connection) = rustls::ServerConnection::new(config) else { return };
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tls.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let alpn = tls.conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
    let client_cert = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Alpn: {alpn}\r\nX-Client-Cert: {client_cert}\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n[]"
    );
    let _ = tls.write_all(head.as_bytes());
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// A GET of `https://{host}:{port}/` with the HTTP options `options`.
fn get(host: &str, port: u16, options: serde_json::Value) -> crate::error::Result<Reply> {
    let url = Url::parse(&format!("https://{host}:{port}/")).unwrap();
    let mut options = options;
    options["url"] = serde_json::Value::String(url.to_string());
    let config = Config::from_value(&options).unwrap();
    let mut http = Http::new(&config)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async { http.get(url, &[]).unwrap().await })
}

fn header(reply: &Reply, name: &str) -> String {
    reply.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// The message of an [`Error::Ssl`]; any other error fails the test.
fn ssl_message(result: crate::error::Result<Reply>) -> String {
    match result {
        Err(Error::Ssl { message, .. }) => message,
        Err(other) => panic!("not an SSL error: {other:?}"),
        Ok(reply) => panic!("accepted: HTTP {}", reply.status),
    }
}

#[test]
fn a_self_signed_ca_certificate_is_trusted_as_its_own_ca_file() {
    let port = serve("self-signed", None);
    let reply = get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("self-signed.pem")})).unwrap();
    assert_eq!((reply.status.as_u16(), reply.body.as_slice()), (200, b"[]".as_slice()));
    assert_eq!(header(&reply, "x-alpn"), "http/1.1");
    // by its DNS name too
    let reply = get("localhost", port, serde_json::json!({"ca_file": fixture("self-signed.pem")})).unwrap();
    assert_eq!(reply.status.as_u16(), 200);
}

#[test]
fn a_self_signed_ca_certificate_is_trusted_from_ca_pem_among_others() {
    let port = serve("self-signed", None);
    // a bundle: another CA first, the server's own certificate last
    let bundle = [pem("ca.pem"), pem("other-self-signed.pem"), pem("self-signed.pem")].concat();
    let ca_pem = String::from_utf8(bundle).unwrap();
    let reply = get("127.0.0.1", port, serde_json::json!({"ca_pem": ca_pem})).unwrap();
    assert_eq!(reply.status.as_u16(), 200);
}

#[test]
fn a_self_signed_ca_certificate_is_refused_without_the_ca_file() {
    let port = serve("self-signed", None);
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({})));
    assert!(message.contains("presents a CA certificate") && message.contains("http.ca_file"), "{message}");
}

#[test]
fn a_self_signed_ca_certificate_is_refused_when_the_ca_file_holds_another() {
    let port = serve("self-signed", None);
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("other-self-signed.pem")})));
    assert!(message.contains("presents a CA certificate"), "{message}");
    // the same name and subject, another key: a CA file of a real CA does not help either
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("ca.pem")})));
    assert!(message.contains("presents a CA certificate"), "{message}");
}

#[test]
fn a_self_signed_certificate_of_the_ca_file_must_name_the_server() {
    let port = serve("other-name", None);
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("other-name.pem")})));
    assert!(message.contains("not valid for name") && message.contains("other.example"), "{message}");
}

#[test]
fn a_self_signed_certificate_of_the_ca_file_must_allow_server_authentication() {
    let port = serve("client-only", None);
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("client-only.pem")})));
    assert!(message.contains("lacks serverAuth"), "{message}");
}

#[test]
fn the_extended_key_usage_is_read_from_the_certificate() {
    let allows = |name| ExtendedKeyUsage::of(der(name).as_ref()).unwrap().allows_server_auth();
    // none at all, serverAuth, clientAuth only
    assert_eq!(
        (allows("self-signed.pem"), allows("leaf.pem"), allows("client-only.pem"), allows("client.pem")),
        (true, true, false, false)
    );
}

#[test]
fn a_chain_from_the_ca_file_is_trusted_and_refused_without_it() {
    let port = serve("leaf", None);
    let reply = get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("ca.pem")})).unwrap();
    assert_eq!((reply.status.as_u16(), header(&reply, "x-alpn")), (200, "http/1.1".to_owned()));
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({})));
    assert!(message.contains("UnknownIssuer"), "{message}");
    // the leaf itself in the CA file: trusted as curl trusts it
    let reply = get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("leaf.pem")})).unwrap();
    assert_eq!(reply.status.as_u16(), 200);
}

#[test]
fn verify_ssl_false_accepts_any_certificate() {
    for name in ["self-signed", "other-name", "leaf"] {
        let port = serve(name, None);
        let reply = get("127.0.0.1", port, serde_json::json!({"verify_ssl": false})).unwrap();
        assert_eq!((reply.status.as_u16(), reply.body.as_slice()), (200, b"[]".as_slice()), "{name}");
    }
}

#[test]
fn the_client_certificate_is_presented() {
    let port = serve("leaf", Some("ca.pem"));
    let identity = serde_json::json!({
        "ca_file": fixture("ca.pem"), "client_cert": fixture("client.pem"), "client_key": fixture("client.key")
    });
    let reply = get("127.0.0.1", port, identity).unwrap();
    assert_eq!((reply.status.as_u16(), header(&reply, "x-client-cert")), (200, "true".to_owned()));
    // without it the server ends the handshake
    let error = get("127.0.0.1", port, serde_json::json!({"ca_file": fixture("ca.pem")})).err().unwrap();
    assert!(matches!(error, Error::Ssl { .. } | Error::Connection { .. }), "{error:?}");
}

#[test]
fn a_client_key_that_is_not_pem_names_the_option() {
    let options = serde_json::json!({
        "url": "https://127.0.0.1:1/", "client_cert": fixture("client.pem"), "client_key": fixture("README.md")
    });
    let error = Http::new(&Config::from_value(&options).unwrap()).err().unwrap();
    let Error::Config { key, message } = &error else { panic!("{error:?}") };
    assert_eq!(key, "http.client_cert");
    assert!(message.contains("no PEM private key"), "{message}");
}

#[test]
fn a_truncated_ca_pem_says_which_end_is_missing() {
    let ca = String::from_utf8(pem("ca.pem")).unwrap();
    let options = serde_json::json!({"url": "https://127.0.0.1:1/", "ca_pem": &ca[..ca.len() / 2]});
    let error = Http::new(&Config::from_value(&options).unwrap()).err().unwrap();
    let Error::Config { key, message } = &error else { panic!("{error:?}") };
    assert_eq!(key, "http.ca_pem");
    assert_eq!(message, "is not a PEM bundle: section end \"-----END CERTIFICATE-----\" missing");
}

/// A server on 127.0.0.1 that reads what the client sends first (a TLS
/// ClientHello), answers `answer` (any bytes, none at all) and closes.
fn plain_server(answer: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            let _ = stream.read(&mut [0u8; 4096]);
            let _ = stream.write_all(answer);
        }
    });
    port
}

#[test]
fn an_https_url_on_a_plain_http_port_says_so() {
    let port = plain_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({})));
    assert!(message.contains("speaks plain HTTP"), "{message}");
}

#[test]
fn a_server_closing_during_the_handshake_is_an_ssl_error() {
    // the ClientHello, then a close without a word
    let port = plain_server(b"");
    let message = ssl_message(get("127.0.0.1", port, serde_json::json!({})));
    assert!(message.contains("tls handshake eof"), "{message}");
}

#[test]
fn the_validity_is_read_from_the_certificate() {
    // 2026-12-02T04:51:47Z (UTCTime) to 2126-11-08T04:51:47Z (GeneralizedTime)
    let validity = Validity::of(der("self-signed.pem").as_ref()).unwrap();
    assert_eq!(validity, Validity { not_before: 1_796_187_107, not_after: 4_949_787_107 });
    let at = |secs| validity.at(UnixTime::since_unix_epoch(Duration::from_secs(secs)));
    assert_eq!(
        (at(1_796_187_106), at(1_796_187_107), at(4_949_787_107), at(4_949_787_108)),
        (When::Before, When::Within, When::Within, When::After)
    );
    assert!(Validity::of(b"\x30\x03\x02\x01").is_err());
    assert!(Validity::of(&der("self-signed.pem")[..100]).is_err());
}

#[test]
fn a_certificate_of_the_ca_file_is_refused_outside_its_validity() {
    let trusted = TrustedCertificates::from_pem(&pem("self-signed.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots(&trusted).unwrap()), provider)
            .build()
            .unwrap();
    let verifier = CaFileVerifier::new(webpki, trusted);
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let verify = |secs| {
        verifier.verify_server_cert(
            &der("self-signed.pem"),
            &[],
            &name,
            &[],
            UnixTime::since_unix_epoch(Duration::from_secs(secs)),
        )
    };
    assert!(verify(1_796_187_107 + 86_400).is_ok());
    let expired = verify(4_949_787_108).err().unwrap();
    assert!(expired.to_string().contains("certificate expired"), "{expired}");
    let early = verify(1_796_187_106).err().unwrap();
    assert!(early.to_string().contains("not valid yet"), "{early}");
    let other = ServerName::try_from("other.example").unwrap();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(1_796_187_107 + 86_400));
    assert!(verifier.verify_server_cert(&der("self-signed.pem"), &[], &other, &[], now).is_err());
}
