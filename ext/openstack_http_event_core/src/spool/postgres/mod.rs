//! The database spool: the push receiver's spool in a PostgreSQL database —
//! ManageIQ's own, shared by every appliance and pod of a region — so that
//! what a receiver accepted survives the pod, the appliance and a failover,
//! and any catcher of the stream can deliver it.
//!
//! # Order without gaps
//!
//! A consumer reads "events after the last sequence number I acknowledged".
//! That is only safe if no event can appear below a number already seen:
//! with a database sequence, a writer may take number 7, a second writer
//! number 8 and commit first, and a reader that saw 8 skips 7 for good.
//! Here a writer takes the stream's row lock (`streams … FOR UPDATE`) before
//! it numbers its events (from the row's `last_seq`) and holds it until its
//! commit, and PostgreSQL makes a commit visible before it lets go of the
//! transaction's locks: the next writer of the stream numbers after it, and
//! a reader that sees a number sees every number below it. Writers of one
//! stream take turns for the length of one insert; writers of other streams
//! do not wait.
//!
//! # Delivery
//!
//! - 2xx only after the commit: `append` returns once the transaction
//!   holding the batch committed.
//! - A `message_id` is unique per stream (`accepted_ids`): a retry through
//!   any receiver is one event, also after the event was delivered (the id
//!   is kept for the de-duplication window).
//! - Each consumer acknowledges for itself; an event is deleted once every
//!   consumer of its stream acknowledged it.

mod schema;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;

use tokio::sync::watch;
use tokio_postgres::{Client, NoTls};

use super::{Appended, Notice, Position, Spool, SpoolError, SpoolFuture, SpoolStats, SpooledRecord};
use crate::util::secret::Secret;

/// Where the spool is and who reads it.
#[derive(Clone)]
pub struct PostgresOptions {
    /// The connection URL (`postgresql://user:password@host:port/db`).
    pub url: Secret,
    /// The schema of the spool's tables.
    pub schema: String,
    /// The stream: what one publisher URL sends.
    pub stream: String,
    /// This reader's name; each consumer gets every event once.
    pub consumer: String,
    /// Payload bytes a stream may hold unacknowledged.
    pub max_spool_bytes: u64,
    /// Accepted `message_id`s remembered per stream after their events are
    /// gone, against a sender's late retry.
    pub dedup_window: u64,
}

impl fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("url", &shown_url(self.url.expose()))
            .field("schema", &self.schema)
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .finish_non_exhaustive()
    }
}

/// The URL without its password (or with none if it cannot be read).
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.set_query(None);
            u.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

/// What this consumer handed out and acknowledged.
#[derive(Debug, Default)]
struct ReadState {
    /// The last sequence number handed out.
    cursor: i64,
    /// The last one acknowledged (stored in `consumers`).
    acked: i64,
}

/// A durable, de-duplicating, acknowledged queue of one stream's records in
/// PostgreSQL, read by one consumer.
pub struct PostgresSpool {
    options: PostgresOptions,
    config: tokio_postgres::Config,
    /// `schema.stream` at `host:port/db`, for messages.
    location: String,
    /// The connection appends go through (a transaction needs it alone);
    /// made again after it broke.
    writer: tokio::sync::Mutex<Option<Client>>,
    /// The connection reads and acknowledgements go through.
    reader: tokio::sync::Mutex<Option<Client>>,
    read: Mutex<ReadState>,
    committed: watch::Sender<u64>,
    /// `LISTEN` for the stream's commits by any receiver.
    listener: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for PostgresSpool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSpool").field("location", &self.location).finish_non_exhaustive()
    }
}

impl PostgresSpool {
    /// Whether the spool can be opened: connects and creates the tables if
    /// missing, without counting this monitor as a consumer (a consumer
    /// holds back the deletion of what it has not acknowledged).
    pub async fn probe(options: &PostgresOptions) -> Result<(), SpoolError> {
        let (config, location) = parsed(options)?;
        let mut client = connect(&config, &location, options.url.expose()).await?;
        schema::prepare(&mut client, &options.schema, &location).await
    }

    /// Connects, creates the tables if missing, registers the consumer and
    /// starts listening for the stream's commits.
    pub async fn open(options: PostgresOptions) -> Result<PostgresSpool, SpoolError> {
        let (config, location) = parsed(&options)?;
        let mut client = connect(&config, &location, options.url.expose()).await?;
        schema::prepare(&mut client, &options.schema, &location).await?;
        let acked: i64 = client
            .query_one(
                &format!(
                    "INSERT INTO {}.consumers (stream, consumer) VALUES ($1, $2)
                     ON CONFLICT (stream, consumer) DO UPDATE SET seen_at = now() RETURNING acked",
                    options.schema
                ),
                &[&options.stream, &options.consumer],
            )
            .await
            .map_err(|e| database(&location, options.url.expose(), e))?
            .get(0);
        let committed = watch::Sender::new(0);
        let listener = tokio::spawn(listen(config.clone(), channel(&options), committed.clone()));
        Ok(PostgresSpool {
            config,
            location,
            writer: tokio::sync::Mutex::new(None),
            reader: tokio::sync::Mutex::new(Some(client)),
            read: Mutex::new(ReadState { cursor: acked, acked }),
            committed,
            listener,
            options,
        })
    }

    fn error(&self, e: tokio_postgres::Error) -> SpoolError {
        database(&self.location, self.options.url.expose(), e)
    }

    /// The connection in `slot`, made again when missing or broken.
    async fn client<'a>(
        &self,
        slot: &'a tokio::sync::Mutex<Option<Client>>,
    ) -> Result<tokio::sync::MutexGuard<'a, Option<Client>>, SpoolError> {
        let mut guard = slot.lock().await;
        if guard.as_ref().is_none_or(Client::is_closed) {
            *guard = Some(connect(&self.config, &self.location, self.options.url.expose()).await?);
        }
        Ok(guard)
    }

    async fn append_now(&self, records: Vec<(String, Vec<u8>)>) -> Result<Appended, SpoolError> {
        let schema = &self.options.schema;
        let stream = &self.options.stream;
        // the first of each message_id in the batch
        let mut seen = HashSet::new();
        let total = records.len();
        let records: Vec<(String, Vec<u8>)> = records.into_iter().filter(|(id, _)| seen.insert(id.clone())).collect();
        let mut guard = self.client(&self.writer).await?;
        let Some(client) = guard.as_mut() else { unreachable!("client() fills the slot") };
        let result = async {
            let tx = client.transaction().await?;
            tx.execute(&format!("INSERT INTO {schema}.streams (stream) VALUES ($1) ON CONFLICT DO NOTHING"), &[stream])
                .await?;
            // the stream's lock, held until the commit: see the module's doc
            let row = tx
                .query_one(&format!("SELECT last_seq, bytes FROM {schema}.streams WHERE stream = $1 FOR UPDATE"), &[
                    stream,
                ])
                .await?;
            let (last_seq, bytes): (i64, i64) = (row.get(0), row.get(1));
            let ids: Vec<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
            let fresh: HashSet<String> = tx
                .query(
                    &format!(
                        "INSERT INTO {schema}.accepted_ids (stream, message_id) SELECT $1, m FROM unnest($2::text[]) AS m
                         ON CONFLICT (stream, message_id) DO NOTHING RETURNING message_id"
                    ),
                    &[stream, &ids],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let fresh: Vec<&(String, Vec<u8>)> = records.iter().filter(|(id, _)| fresh.contains(id)).collect();
            let needed: u64 = fresh.iter().map(|(_, p)| p.len() as u64).sum();
            let used = u64::try_from(bytes).unwrap_or(0);
            if needed > 0 && used + needed > self.options.max_spool_bytes {
                // the transaction rolls back: nothing of the append is kept
                return Ok(Err(SpoolError::Full {
                    spool: self.location.clone(),
                    used,
                    needed,
                    max: self.options.max_spool_bytes,
                }));
            }
            if !fresh.is_empty() {
                let seqs: Vec<i64> = (1..=fresh.len() as i64).map(|i| last_seq + i).collect();
                let ids: Vec<&str> = fresh.iter().map(|(id, _)| id.as_str()).collect();
                let payloads: Vec<&[u8]> = fresh.iter().map(|(_, p)| p.as_slice()).collect();
                tx.execute(
                    &format!(
                        "INSERT INTO {schema}.events (stream, seq, message_id, payload)
                         SELECT $1, s, m, p FROM unnest($2::bigint[], $3::text[], $4::bytea[]) AS t(s, m, p)"
                    ),
                    &[stream, &seqs, &ids, &payloads],
                )
                .await?;
                tx.execute(
                    &format!("UPDATE {schema}.streams SET last_seq = $2, bytes = bytes + $3 WHERE stream = $1"),
                    &[stream, &(last_seq + fresh.len() as i64), &(needed as i64)],
                )
                .await?;
                tx.execute("SELECT pg_notify($1, '')", &[&channel(&self.options)]).await?;
            }
            tx.commit().await?;
            Ok(Ok(Appended { accepted: fresh.len(), duplicates: total - fresh.len() }))
        }
        .await;
        match result {
            Ok(appended) => {
                if appended.as_ref().is_ok_and(|a| a.accepted > 0) {
                    self.committed.send_modify(|n| *n += 1);
                }
                appended
            }
            Err(e) => Err(self.error(e)),
        }
    }

    async fn next_batch_now(&self, max: usize) -> Result<Vec<SpooledRecord>, SpoolError> {
        let after = self.read.lock().unwrap_or_else(|p| p.into_inner()).cursor;
        let guard = self.client(&self.reader).await?;
        let Some(client) = guard.as_ref() else { unreachable!("client() fills the slot") };
        let rows = client
            .query(
                &format!(
                    "SELECT seq, message_id, payload FROM {}.events WHERE stream = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    self.options.schema
                ),
                &[&self.options.stream, &after, &(max as i64)],
            )
            .await
            .map_err(|e| self.error(e))?;
        let records: Vec<SpooledRecord> = rows
            .iter()
            .map(|r| SpooledRecord {
                position: Position { segment: 0, offset: r.get::<_, i64>(0) as u64 },
                message_id: r.get(1),
                payload: r.get(2),
            })
            .collect();
        if let Some(last) = records.last() {
            let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
            // a requeue meanwhile starts again from what was acknowledged
            if read.cursor == after {
                read.cursor = last.position.offset as i64;
            }
        }
        Ok(records)
    }

    async fn acknowledge_now(&self, upto: Position) -> Result<(), SpoolError> {
        let upto = upto.offset as i64;
        let schema = &self.options.schema;
        let stream = &self.options.stream;
        let retention = schema::CONSUMER_RETENTION;
        let guard = self.client(&self.reader).await?;
        let Some(client) = guard.as_ref() else { unreachable!("client() fills the slot") };
        client
            .execute(
                &format!(
                    "UPDATE {schema}.consumers SET acked = GREATEST(acked, $3), seen_at = now()
                     WHERE stream = $1 AND consumer = $2"
                ),
                &[stream, &self.options.consumer, &upto],
            )
            .await
            .map_err(|e| self.error(e))?;
        {
            let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
            read.acked = read.acked.max(upto);
            read.cursor = read.cursor.max(read.acked);
        }
        // what every consumer of the stream acknowledged goes, its ids stay
        // for the de-duplication window
        client
            .execute(
                &format!(
                    "WITH gone AS (
                         DELETE FROM {schema}.events WHERE stream = $1
                         AND seq <= (SELECT min(acked) FROM {schema}.consumers WHERE stream = $1
                                     AND seen_at > now() - interval '{retention}')
                         RETURNING octet_length(payload) AS n)
                     UPDATE {schema}.streams SET bytes = bytes - (SELECT coalesce(sum(n), 0) FROM gone)
                     WHERE stream = $1"
                ),
                &[stream],
            )
            .await
            .map_err(|e| self.error(e))?;
        client
            .execute(
                &format!(
                    "DELETE FROM {schema}.accepted_ids WHERE stream = $1 AND id <=
                     (SELECT id FROM {schema}.accepted_ids WHERE stream = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)"
                ),
                &[stream, &(self.options.dedup_window as i64)],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }
}

impl Drop for PostgresSpool {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl Spool for PostgresSpool {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn append(&self, records: Vec<(String, Vec<u8>)>) -> SpoolFuture<'_, Appended> {
        Box::pin(self.append_now(records))
    }

    fn next_batch(&self, max: usize) -> SpoolFuture<'_, Vec<SpooledRecord>> {
        Box::pin(self.next_batch_now(max))
    }

    fn acknowledge(&self, upto: Position) -> SpoolFuture<'_, ()> {
        Box::pin(self.acknowledge_now(upto))
    }

    fn requeue_unacknowledged(&self) {
        let mut read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        read.cursor = read.acked;
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    fn take_notices(&self) -> Vec<Notice> {
        Vec::new()
    }

    fn stats(&self) -> SpoolStats {
        SpoolStats::default()
    }
}

/// The connection settings of `options`, and the spool's location.
fn parsed(options: &PostgresOptions) -> Result<(tokio_postgres::Config, String), SpoolError> {
    if !schema::valid_name(&options.schema) {
        return Err(SpoolError::Option {
            key: "spool.schema",
            message: format!("{:?} is not a plain PostgreSQL name (lower-case letters, digits and _)", options.schema),
        });
    }
    let config: tokio_postgres::Config = options.url.expose().parse().map_err(|e| SpoolError::Option {
        key: "spool.url",
        message: format!("{} is not a PostgreSQL connection URL: {e}", shown_url(options.url.expose())),
    })?;
    let location = location(&config, options);
    Ok((config, location))
}

/// `schema.stream` at `host:port/db`: no user, no password.
fn location(config: &tokio_postgres::Config, options: &PostgresOptions) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("");
    format!("{}.{} at postgresql://{host}:{port}/{db}", options.schema, options.stream)
}

/// The notification channel of the stream: a plain name whatever the
/// stream is called.
fn channel(options: &PostgresOptions) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{}\0{}", options.schema, options.stream).as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("ohem_{hex}")
}

/// A database error as a spool error; the password never in it.
fn database(location: &str, password_in: &str, e: tokio_postgres::Error) -> SpoolError {
    let mut message = e.to_string();
    if let Some(source) = std::error::Error::source(&e) {
        if !message.contains(&source.to_string()) {
            message = format!("{message}: {source}");
        }
    }
    if let Ok(url) = url::Url::parse(password_in) {
        if let Some(password) = url.password().filter(|p| !p.is_empty()) {
            message = message.replace(password, crate::util::scrub::REDACTED);
        }
    }
    SpoolError::Database { spool: location.to_owned(), message }
}

async fn connect(config: &tokio_postgres::Config, location: &str, url: &str) -> Result<Client, SpoolError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|e| database(location, url, e))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Bumps `committed` at each commit any receiver makes on the stream (and
/// once a second, in case a notification was missed while reconnecting).
async fn listen(config: tokio_postgres::Config, channel: String, committed: watch::Sender<u64>) {
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let listening = async {
                client.batch_execute(&format!("LISTEN {channel}")).await?;
                std::future::pending::<()>().await;
                Ok::<(), tokio_postgres::Error>(())
            };
            let messages = async {
                while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    match message {
                        Ok(tokio_postgres::AsyncMessage::Notification(_)) => committed.send_modify(|n| *n += 1),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            };
            let tick = async {
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    committed.send_modify(|n| *n += 1);
                }
            };
            tokio::select! {
                _ = listening => {}
                _ = messages => {}
                _ = tick => {}
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
