//! Numbered schema migrations, embedded in the binary. The schema version is
//! SQLite's `user_version`; each migration runs in its own transaction with
//! the version bump, so a crash leaves the database at one version or the next.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Migration `n` (1-based) takes the schema from version `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_refresh.sql"),
    include_str!("migrations/0003_forget_keys_in_validators.sql"),
    include_str!("migrations/0004_product_levels.sql"),
    include_str!("migrations/0005_world_agreements.sql"),
];

/// The schema version this binary writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The schema version, refusing one newer than this binary knows.
pub fn check_version(connection: &Connection, path: &Path) -> Result<i64, StoreError> {
    let current: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|source| StoreError::Sqlite {
            action: "read the schema version of",
            path: path.to_path_buf(),
            source,
        })?;
    if current > LATEST {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: current,
            supported: LATEST,
        });
    }
    Ok(current)
}

pub fn run(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let error = |action| {
        let path = path.to_path_buf();
        move |source| StoreError::Sqlite {
            action,
            path,
            source,
        }
    };
    let current = check_version(connection, path)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error("migrate"))?;
        tx.execute_batch(sql).map_err(error("migrate"))?;
        tx.pragma_update(None, "user_version", version)
            .map_err(error("migrate"))?;
        tx.commit().map_err(error("migrate"))?;
        tracing::info!(version, "migrated database schema");
    }
    Ok(())
}
