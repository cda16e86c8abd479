//! `:source => {:type => :push, …}`: where the receiver listens, who may
//! send, where accepted events are spooled and what it takes. Read once at
//! `new`; every error names its key (`http.source.listen`, …).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::decode::Formats;
use super::gate::Gate;
use super::server_tls::TlsFiles;
use crate::error::{Error, Result};
use crate::format::mapping::Mapping;
use crate::source::json::JsonSource;
use crate::spool::{PostgresOptions, SpoolOptions};
use crate::util::options::{type_name, Options};
use crate::util::secret::Secret;

pub const DEFAULT_LISTEN: &str = "0.0.0.0:8780";
pub const DEFAULT_PATH: &str = "/events";
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;
pub const DEFAULT_MAX_SPOOL_BYTES: u64 = 1024 * 1024 * 1024;
pub const DEFAULT_MAX_CONNECTIONS: u64 = 256;
/// Seconds a sender has to send one request.
pub const DEFAULT_REQUEST_TIMEOUT: f64 = 30.0;

const KEYS: &[&str] = &[
    "type",
    "listen",
    "path",
    "spool",
    "consumer",
    "spool_dir",
    "state_dir",
    "users",
    "token_param",
    "token",
    "tls_cert",
    "tls_key",
    "client_ca",
    "max_body_bytes",
    "max_spool_bytes",
    "max_connections",
    "request_timeout",
    "formats",
    "allow_anonymous",
    "fields",
    "traits",
    "event_type_prefix",
];

/// Where pushed events are spooled (`http.source.spool`).
#[derive(Debug, Clone)]
pub enum SpoolChoice {
    /// A directory on this machine (`spool_dir`, else the default).
    File,
    /// A PostgreSQL database (`{:type => :postgresql, :url => …}`); its
    /// consumer and byte cap come from the push options.
    Postgres(PostgresOptions),
}

/// The schema of the database spool's tables, unless `spool.schema` says.
pub const DEFAULT_SCHEMA: &str = "openstack_http_event_monitor";
/// The reader's name, unless `http.source.consumer` says.
pub const DEFAULT_CONSUMER: &str = "default";

/// The receiver, as configured.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Whether this monitor receives (`listen` not `false`): one that does
    /// not only reads the database spool, as a consumer.
    pub receive: bool,
    pub spool: SpoolChoice,
    /// This monitor's name as a reader of the spool.
    pub consumer: String,
    pub listen: SocketAddr,
    pub path: String,
    /// `None`: the default under `state_dir`, per port.
    pub spool_dir: Option<PathBuf>,
    /// Where the default spool directory is made (`None`:
    /// `$XDG_STATE_HOME`, else `~/.local/state`); ManageIQ's Rails app
    /// gives its `data/` folder.
    pub state_dir: Option<PathBuf>,
    pub gate: Gate,
    pub tls: Option<TlsFiles>,
    pub max_body_bytes: u64,
    pub max_spool_bytes: u64,
    pub max_connections: usize,
    pub request_timeout: Duration,
    pub formats: Formats,
    pub allow_anonymous: bool,
}

impl PushOptions {
    /// Reads `http.source` (a Hash whose `type` is `push`).
    pub fn from_options(value: &Value) -> Result<PushOptions> {
        let o = Options::new("http.source", value, KEYS)?;
        let receive = o.get("listen") != Some(&Value::Bool(false));
        let listen = if receive { listen(&o)? } else { default_listen() };
        let path = o.string("path")?.unwrap_or_else(|| DEFAULT_PATH.to_owned());
        if !path.starts_with('/') || path.contains(['?', '#', ' ']) {
            return Err(Error::config(o.key("path"), format!("{path:?} must be a URL path starting with \"/\"")));
        }
        let users = users(&o)?;
        let token = match o.string("token")? {
            None => {
                if o.get("token_param").is_some() {
                    return Err(Error::config(o.key("token_param"), "is only used with http.source.token"));
                }
                None
            }
            Some(token) => {
                let param = o.string("token_param")?.unwrap_or_else(|| "token".to_owned());
                Some((param, Secret::new(token)))
            }
        };
        let tls = match (o.string("tls_cert")?, o.string("tls_key")?) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key, client_ca: o.string("client_ca")? }),
            (None, None) => {
                if o.get("client_ca").is_some() {
                    return Err(Error::config(o.key("client_ca"), "needs http.source.tls_cert and tls_key (HTTPS)"));
                }
                None
            }
            (Some(_), None) => return Err(Error::config(o.key("tls_key"), "is required with tls_cert")),
            (None, Some(_)) => return Err(Error::config(o.key("tls_cert"), "is required with tls_key")),
        };
        let client_certificates = tls.as_ref().is_some_and(|t| t.client_ca.is_some());
        let gate = Gate { users, token, client_certificates };
        let allow_anonymous = o.bool("allow_anonymous", false)?;
        if receive && gate.is_open() && !allow_anonymous && !listen.ip().is_loopback() {
            return Err(Error::config(
                o.key("allow_anonymous"),
                format!(
                    "the receiver listens on {listen}, beyond this host, and would take events from anyone: give \
                     http.source.users, http.source.token or http.source.client_ca (pushed events can trigger \
                     automation), or set allow_anonymous: true"
                ),
            ));
        }
        let consumer = o.string("consumer")?.unwrap_or_else(|| DEFAULT_CONSUMER.to_owned());
        if consumer.is_empty() || consumer.len() > 200 {
            return Err(Error::config(o.key("consumer"), "must be a name of 1 to 200 characters"));
        }
        let spool = spool(&o, listen, &path)?;
        if !receive {
            match &spool {
                SpoolChoice::File => return Err(Error::config(
                    o.key("listen"),
                    "false (a consumer only) needs the PostgreSQL spool: a file spool is read by its receiver alone",
                )),
                SpoolChoice::Postgres(_) if o.get("spool").and_then(|s| s.get("stream")).is_none() => {
                    return Err(Error::config(
                        format!("{}.stream", o.key("spool")),
                        "is required with listen: false (the receiver's stream; by default it is named after the \
                         receiver's port and path)",
                    ))
                }
                SpoolChoice::Postgres(_) => {}
            }
        }
        if matches!(spool, SpoolChoice::Postgres(_)) && o.get("spool_dir").is_some() {
            return Err(Error::config(o.key("spool_dir"), "is for the file spool, not the PostgreSQL one"));
        }
        Ok(PushOptions {
            receive,
            spool,
            consumer,
            listen,
            path,
            spool_dir: o.string("spool_dir")?.map(PathBuf::from),
            state_dir: o.string("state_dir")?.map(PathBuf::from),
            gate,
            tls,
            max_body_bytes: o.count("max_body_bytes", DEFAULT_MAX_BODY_BYTES, 1024, 1 << 32)?,
            max_spool_bytes: o.count("max_spool_bytes", DEFAULT_MAX_SPOOL_BYTES, 1 << 20, 1 << 50)?,
            max_connections: o.count("max_connections", DEFAULT_MAX_CONNECTIONS, 1, 100_000)? as usize,
            request_timeout: o.seconds("request_timeout", DEFAULT_REQUEST_TIMEOUT, false)?,
            formats: formats(&o)?,
            allow_anonymous,
        })
    }
}

/// `http.source.spool`: absent or `:file`, or a Hash whose `type` is `file`
/// or `postgresql` (`url`, `schema`, `stream`; the stream defaults to the
/// port and path a publisher's URL names).
fn spool(o: &Options<'_>, listen: SocketAddr, path: &str) -> Result<SpoolChoice> {
    let value = match o.get("spool") {
        None | Some(Value::Null) => return Ok(SpoolChoice::File),
        Some(Value::String(s)) if s == "file" => return Ok(SpoolChoice::File),
        Some(Value::String(s)) if s == "postgresql" => {
            return Err(Error::config(o.key("spool"), "postgresql needs its url: {:type => :postgresql, :url => …}"))
        }
        Some(value @ Value::Object(_)) => value,
        Some(other) => {
            return Err(Error::config(
                o.key("spool"),
                format!("must be :file or a Hash with :type (file or postgresql), got {}", type_name(other)),
            ))
        }
    };
    let key = o.key("spool");
    let s = Options::new(&key, value, &["type", "url", "schema", "stream"])?;
    match s.required_string("type")?.as_str() {
        "file" => {
            s.only(&["type"], "the file spool")?;
            Ok(SpoolChoice::File)
        }
        "postgresql" | "postgres" => {
            let url = s.required_string("url")?;
            if !(url.starts_with("postgresql://") || url.starts_with("postgres://")) {
                return Err(Error::config(s.key("url"), "must be a postgresql:// URL"));
            }
            let stream = s.string("stream")?.unwrap_or_else(|| format!("{}{path}", listen.port()));
            if stream.is_empty() || stream.len() > 200 {
                return Err(Error::config(s.key("stream"), "must be a name of 1 to 200 characters"));
            }
            Ok(SpoolChoice::Postgres(PostgresOptions {
                url: Secret::new(url),
                schema: s.string("schema")?.unwrap_or_else(|| DEFAULT_SCHEMA.to_owned()),
                stream,
                consumer: DEFAULT_CONSUMER.to_owned(),
                max_spool_bytes: 0,
                dedup_window: SpoolOptions::default().dedup_window as u64,
            }))
        }
        other => Err(Error::config(s.key("type"), format!("{other:?} is not a spool type (file, postgresql)"))),
    }
}

/// `"0.0.0.0:8780"`, `"[::]:8780"`, `":8780"` (every address) or a bare
/// port number.
fn default_listen() -> SocketAddr {
    SocketAddr::new(IpAddr::from([0, 0, 0, 0]), 8780)
}

fn listen(o: &Options<'_>) -> Result<SocketAddr> {
    let text = match o.get("listen") {
        None => DEFAULT_LISTEN.to_owned(),
        Some(Value::Number(n)) => format!(":{n}"),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(other) => {
            return Err(Error::config(o.key("listen"), format!("must be \"address:port\", got {}", type_name(other))))
        }
    };
    let parsed = match text.strip_prefix(':') {
        Some(port) => port.parse::<u16>().ok().map(|p| SocketAddr::new(IpAddr::from([0, 0, 0, 0]), p)),
        None => text.parse::<SocketAddr>().ok(),
    };
    parsed.ok_or_else(|| {
        Error::config(o.key("listen"), format!("{text:?} is not \"address:port\" (e.g. \"0.0.0.0:8780\", \":8780\")"))
    })
}

fn users(o: &Options<'_>) -> Result<Vec<(String, Secret)>> {
    let Some(value) = o.get("users") else { return Ok(Vec::new()) };
    let Value::Object(map) = value else {
        return Err(Error::config(
            o.key("users"),
            format!("must be a Hash of user => password, got {}", type_name(value)),
        ));
    };
    let mut users = Vec::with_capacity(map.len());
    for (name, password) in map {
        let key = format!("{}.{name}", o.key("users"));
        if name.is_empty() || name.contains(':') {
            return Err(Error::config(key, "a user name must be non-empty and hold no \":\""));
        }
        match password {
            Value::String(p) if !p.is_empty() => users.push((name.clone(), Secret::new(p.clone()))),
            // the value is a secret: its type is named, never its content
            other => {
                return Err(Error::config(
                    key,
                    format!("the password must be a non-empty String, got {}", type_name(other)),
                ))
            }
        }
    }
    Ok(users)
}

/// The keys of the generic JSON source's mapping that `:json` takes.
const MAPPING_KEYS: [&str; 3] = ["fields", "traits", "event_type_prefix"];

fn formats(o: &Options<'_>) -> Result<Formats> {
    let mut formats = Formats::default();
    let mapped = MAPPING_KEYS.iter().any(|k| o.get(k).is_some());
    let names: Vec<String> = match o.get("formats") {
        None => vec!["ceilometer".into(), "cloudevents".into()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::config(o.key("formats"), format!("must list names, got {}", type_name(other)))),
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(Error::config(o.key("formats"), format!("must be an Array of names, got {}", type_name(other))))
        }
    };
    if names.is_empty() {
        return Err(Error::config(o.key("formats"), "must name at least one format (:ceilometer, :cloudevents)"));
    }
    for name in names {
        match name.as_str() {
            "ceilometer" => formats.ceilometer = true,
            "cloudevents" => formats.cloudevents = true,
            "json" => formats.json = Some(mapping(o)?),
            other => {
                return Err(Error::config(
                    o.key("formats"),
                    format!("unknown format {other:?} (known: :ceilometer, :cloudevents, :json)"),
                ))
            }
        }
    }
    if mapped && formats.json.is_none() {
        return Err(Error::config(
            o.key("fields"),
            "maps plain JSON records: it applies only with :json in http.source.formats",
        ));
    }
    Ok(formats)
}

/// `:json`'s mapping, read as the generic JSON source reads its own (the
/// same keys, the same errors).
fn mapping(o: &Options<'_>) -> Result<Mapping> {
    if o.get("fields").is_none() {
        return Err(Error::config(o.key("fields"), "is required with :json in http.source.formats"));
    }
    let mut source = serde_json::Map::new();
    source.insert("type".into(), Value::from("json"));
    source.insert("records".into(), Value::from(""));
    for key in MAPPING_KEYS {
        if let Some(v) = o.get(key) {
            source.insert(key.into(), v.clone());
        }
    }
    Ok(JsonSource::from_options(&Value::Object(source))?.mapping().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(options: Value) -> String {
        PushOptions::from_options(&options).unwrap_err().to_string()
    }

    #[test]
    fn defaults_on_loopback_without_credentials() {
        let o = PushOptions::from_options(&json!({"type": "push", "listen": "127.0.0.1:0"})).unwrap();
        assert_eq!((o.path.as_str(), o.max_body_bytes, o.max_connections), ("/events", 16 << 20, 256));
        assert!(o.gate.is_open() && o.formats.ceilometer && o.formats.cloudevents && o.tls.is_none());
        assert_eq!(o.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn listen_forms() {
        let at = |v: Value| PushOptions::from_options(&json!({"listen": v, "allow_anonymous": true})).unwrap().listen;
        assert_eq!(at(json!(":8780")).to_string(), "0.0.0.0:8780");
        assert_eq!(at(json!(9000)).to_string(), "0.0.0.0:9000");
        assert_eq!(at(json!("[::1]:8780")).to_string(), "[::1]:8780");
        assert!(error(json!({"listen": "somewhere"})).contains("http.source.listen: \"somewhere\" is not"));
    }

    #[test]
    fn beyond_loopback_a_credential_or_allow_anonymous_is_required() {
        let e = error(json!({"listen": "0.0.0.0:8780"}));
        assert!(e.contains("http.source.allow_anonymous") && e.contains("0.0.0.0:8780"), "{e}");
        let with_user = json!({"users": {"ceilometer": "pw"}});
        assert_eq!(PushOptions::from_options(&with_user).unwrap().gate.users.len(), 1);
        let with_token = PushOptions::from_options(&json!({"token": "t"})).unwrap();
        assert_eq!(with_token.gate.token.map(|(p, _)| p).as_deref(), Some("token"));
        assert!(PushOptions::from_options(&json!({"allow_anonymous": true})).unwrap().gate.is_open());
    }

    #[test]
    fn bad_options_name_their_key_and_never_a_secret() {
        let e = error(json!({"users": {"ceilometer": 12345}}));
        assert!(e.contains("http.source.users.ceilometer") && !e.contains("12345"), "{e}");
        assert!(error(json!({"users": {"a:b": "pw"}})).contains("http.source.users.a:b"));
        assert!(error(json!({"tls_cert": "c.pem", "token": "t"})).contains("http.source.tls_key: is required"));
        assert!(error(json!({"client_ca": "ca.pem", "token": "t"})).contains("http.source.client_ca"));
        assert!(error(json!({"token_param": "x", "allow_anonymous": true})).contains("http.source.token_param"));
        assert!(error(json!({"formats": ["xml"], "token": "t"})).contains("unknown format \"xml\""));
        assert!(error(json!({"formats": ["json"], "token": "t"})).contains("http.source.fields: is required"));
        assert!(error(json!({"fields": {"event_type": "/k"}, "token": "t"})).contains("only with :json"));
        let e = error(json!({"formats": ["json"], "fields": {"event_type": "k"}, "token": "t"}));
        assert!(e.contains("http.source.fields.event_type") && e.contains("JSON Pointer"), "{e}");
        let mapped = PushOptions::from_options(&json!({"formats": ["ceilometer", "json"], "token": "t",
            "fields": {"event_type": "/kind", "timestamp": "/when"}, "event_type_prefix": "raw."}))
        .unwrap();
        assert!(mapped.formats.ceilometer && mapped.formats.json.is_some());
        assert!(error(json!({"formats": [], "token": "t"})).contains("at least one"));
        assert!(error(json!({"path": "events", "token": "t"})).contains("http.source.path"));
        assert!(error(json!({"max_body_bytes": 10, "token": "t"})).contains("http.source.max_body_bytes"));
        assert!(error(json!({"bogus": 1})).contains("http.source.bogus: unknown option"));
    }
}
