//! The database spool's tables, created by the gem itself (no ManageIQ
//! migration) in a schema of their own, and the version row that lets an
//! older gem refuse a newer layout instead of misreading it.
//!
//! - `meta`: `schema_version`;
//! - `streams`: one row per stream — the last sequence number given and
//!   the payload bytes waiting; locking it (`FOR UPDATE`) is what orders the
//!   stream's writers (see [`super`]);
//! - `accepted_ids`: the `message_id`s a stream accepted, unique per stream
//!   (a sender's retry through any receiver is one event), kept for the
//!   de-duplication window after their events are gone;
//! - `events`: the events not yet acknowledged by every consumer;
//! - `consumers`: each consumer's acknowledged sequence number and when it
//!   was last seen (one not seen for [`CONSUMER_RETENTION`] no longer holds
//!   events back).

use tokio_postgres::Client;

use crate::spool::SpoolError;

/// The layout this build creates and reads.
pub(super) const VERSION: i64 = 1;

/// How long a consumer not seen (no start, no acknowledgement) keeps the
/// events it has not acknowledged from being deleted.
pub(super) const CONSUMER_RETENTION: &str = "7 days";

/// Creates what is missing and checks the version; concurrent callers
/// (several receivers starting at once) take turns.
pub(super) async fn prepare(client: &mut Client, schema: &str, spool: &str) -> Result<(), SpoolError> {
    let failed = |e: tokio_postgres::Error| SpoolError::Database {
        spool: spool.to_owned(),
        message: format!("cannot create the spool's tables in schema {schema}: {e}"),
    };
    let tx = client.transaction().await.map_err(failed)?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('openstack_http_event_monitor schema'))", &[])
        .await
        .map_err(failed)?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.meta (key text PRIMARY KEY, value bigint NOT NULL);
         INSERT INTO {schema}.meta VALUES ('schema_version', {VERSION}) ON CONFLICT DO NOTHING;
         CREATE TABLE IF NOT EXISTS {schema}.streams (
             stream text PRIMARY KEY,
             last_seq bigint NOT NULL DEFAULT 0,
             bytes bigint NOT NULL DEFAULT 0);
         CREATE TABLE IF NOT EXISTS {schema}.accepted_ids (
             id bigserial PRIMARY KEY,
             stream text NOT NULL,
             message_id text NOT NULL,
             UNIQUE (stream, message_id));
         CREATE INDEX IF NOT EXISTS accepted_ids_stream_id ON {schema}.accepted_ids (stream, id);
         CREATE TABLE IF NOT EXISTS {schema}.events (
             stream text NOT NULL,
             seq bigint NOT NULL,
             message_id text NOT NULL,
             payload bytea NOT NULL,
             accepted_at timestamptz NOT NULL DEFAULT now(),
             PRIMARY KEY (stream, seq));
         CREATE TABLE IF NOT EXISTS {schema}.consumers (
             stream text NOT NULL,
             consumer text NOT NULL,
             acked bigint NOT NULL DEFAULT 0,
             seen_at timestamptz NOT NULL DEFAULT now(),
             PRIMARY KEY (stream, consumer));"
    ))
    .await
    .map_err(failed)?;
    let found: i64 = tx
        .query_one(&format!("SELECT value FROM {schema}.meta WHERE key = 'schema_version'"), &[])
        .await
        .map_err(failed)?
        .get(0);
    if found > VERSION {
        return Err(SpoolError::Schema { spool: spool.to_owned(), found, known: VERSION });
    }
    tx.commit().await.map_err(failed)
}

/// Whether `name` may name the schema as it is, unquoted: lower-case
/// letters, digits and `_`, not starting with a digit, at most 63 bytes.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(valid_name("openstack_http_event_monitor"));
        for bad in ["", "1x", "Public", "a-b", "a;drop", "x\"y", &"a".repeat(64)] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
