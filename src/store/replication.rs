//! What replication needs from the database: a generation that every write
//! of served data bumps, and the writer's heartbeat. Both live in `meta`, so
//! they travel to read replicas inside the same transactions as the data.
//!
//! A reader compares the generation it loaded with the one its copy holds
//! to know whether a change Litestream applied needs a reload (a heartbeat
//! alone does not), and measures its lag from the heartbeat it holds.

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::{Store, StoreError};

const GENERATION_KEY: &str = "data_generation";
const HEARTBEAT_KEY: &str = "heartbeat_at";

/// What a replica's copy says about the writer's data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicationState {
    /// Bumped by every transaction that changes served data.
    pub generation: i64,
    /// When the writer last recorded a heartbeat (RFC 3339), if ever.
    pub heartbeat_at: Option<String>,
}

/// Marks the data changed, inside the transaction that changes it.
pub(super) fn bump_generation(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        [GENERATION_KEY],
    )?;
    Ok(())
}

fn read_state(connection: &Connection) -> rusqlite::Result<ReplicationState> {
    let value = |key: &str| -> rusqlite::Result<Option<String>> {
        connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
    };
    Ok(ReplicationState {
        generation: value(GENERATION_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        heartbeat_at: value(HEARTBEAT_KEY)?,
    })
}

impl Store {
    /// Records the writer's heartbeat: a tiny transaction that Litestream
    /// ships like any other, so readers see the writer alive.
    pub async fn heartbeat(&self, now: String) -> Result<(), StoreError> {
        self.write("record a heartbeat in", move |connection| {
            let tx =
                connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [HEARTBEAT_KEY, now.as_str()],
            )?;
            tx.commit()
        })
        .await
    }

    /// On a writer: SQLite never checkpoints the write-ahead log by itself,
    /// neither after commits nor when the connection closes. Litestream
    /// checkpoints it, after it has shipped the frames; a checkpoint while
    /// Litestream is not running (a restart of it, or of this process)
    /// could fold frames it never saw into the database and restart the log.
    pub async fn leave_checkpoints_to_litestream(&self) -> Result<(), StoreError> {
        self.write("hand checkpoints to Litestream in", |connection| {
            connection.pragma_update(None, "wal_autocheckpoint", 0)?;
            connection.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            )?;
            Ok(())
        })
        .await
    }

    /// The generation and heartbeat the database holds.
    pub async fn replication_state(&self) -> Result<ReplicationState, StoreError> {
        self.read("read the replication state of", |connection| {
            read_state(connection)
        })
        .await
    }
}
