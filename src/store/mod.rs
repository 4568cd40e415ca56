//! SQLite: the only module that runs SQL. Opens the database (pragmas, then
//! numbered migrations), writes the built-in dataset in one `BEGIN IMMEDIATE`
//! transaction, and reads the whole dataset back in one read transaction.
//!
//! Every rusqlite call runs off the async workers. Staging a large
//! refresh's product lines (`staging.rs`), most of that refresh's work, runs
//! on a background thread in the kernel's idle class (`crate::background`),
//! so it takes only CPU time that calls leave. Everything else runs on the
//! blocking pool at normal priority, the refresh swap (`swap.rs`) and the
//! reload after it included: the swap holds the writer and SQLite's write
//! lock from `BEGIN IMMEDIATE` to `COMMIT`, every other write and shutdown
//! wait for them, and an idle-class thread holding them would get no CPU
//! while calls keep the CPUs busy. One writer connection, behind a mutex,
//! serialises writes; reads take a pooled read-only connection, which WAL
//! lets run alongside it, so nothing a call reads waits for a refresh's
//! swap.

mod changes;
mod load;
mod migrations;
mod products;
mod replication;
mod rows;
mod runs;
mod staging;
mod stats;
mod swap;
mod write;

pub use products::rebuild_levels as rebuild_product_levels;
pub use replication::ReplicationState;
pub use runs::{SourceState, UrlValidators};
pub use staging::{GroupChange, ProductSink, ProductStaging, StagedProducts, StagingError};
pub use stats::StoreStats;
pub use swap::BatchSwap;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::domain::Dataset;
use crate::seed::Seed;

pub use crate::domain::BUILTIN_ORIGIN;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // The SQLite error is in the message and not repeated as a `source`:
    // its own Display already carries what its chain would say again.
    #[error("cannot {action} database {path}: {source}")]
    Sqlite {
        action: &'static str,
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "database {path} is read-only for this process; give it write access (the service writes the dataset and run history)"
    )]
    ReadOnly { path: PathBuf },
    #[error(
        "database {path} has schema version {found}, newer than this binary supports ({supported}); refusing to touch it"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "database {path} has schema version {found}, older than this binary reads ({supported}); upgrade the writer first"
    )]
    OlderSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("database {path} holds a row tradepact cannot read: {problem}")]
    Corrupt { path: PathBuf, problem: String },
    #[error("database {path} is a read replica's copy: only Litestream writes it")]
    ReadReplica { path: PathBuf },
    /// A read replica's copy that is not there: Litestream is restoring it
    /// afresh (at first start, or after a copy it could not resume). It
    /// writes `<db>.tmp` and renames it into place, so a read either finds
    /// the whole file or none: none is worth retrying.
    #[error("the read replica's copy {path} is being restored")]
    CopyRestoring { path: PathBuf },
    #[error("the write was cancelled by shutdown and rolled back")]
    Cancelled,
    #[error("a database task stopped unexpectedly: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Background(#[from] crate::background::BackgroundError),
}

/// What applying the built-in dataset did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The database already held this exact dataset.
    Unchanged { version: String },
    /// The dataset was written (first start, or the file changed).
    Applied { version: String },
}

/// Handle to one SQLite database file.
#[derive(Clone)]
pub struct Store {
    path: Arc<PathBuf>,
    /// `None` on a read replica, whose file only Litestream writes.
    writer: Option<Arc<Mutex<Connection>>>,
    readers: Arc<ReaderPool>,
    /// False when the file was too big to page-check before start.
    pages_checked: bool,
}

/// Databases up to this size are page-checked (`PRAGMA quick_check`) before
/// anything is served; bigger ones after start, in the background, since the
/// check reads every page (seconds for a Comtrade-scale store) and start-up
/// must stay well under a second.
const CHECK_BEFORE_START_MAX_BYTES: u64 = 256 << 20;

impl Store {
    /// Opens (creating if absent) the database at `path` and brings its schema
    /// up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let (mut writer, pages_checked) = open_writer(&path)?;
            migrations::run(&mut writer, &path)?;
            Self::drop_stale_staging(&writer).map_err(|source| StoreError::Sqlite {
                action: "clean up",
                path: path.clone(),
                source,
            })?;
            Ok(Self {
                path: Arc::new(path),
                writer: Some(Arc::new(Mutex::new(writer))),
                readers: Arc::default(),
                pages_checked,
            })
        })
        .await?
    }

    /// A read replica's copy at `path`, which `litestream restore -f`
    /// creates and keeps writing: nothing is opened now (the file may not
    /// exist yet), nothing is ever written, and no connection is kept
    /// between reads. Litestream applies each change under SQLite's
    /// exclusive lock, which it can only take while no connection holds the
    /// file, and a restore may put a new file in its place.
    pub fn replica(path: &Path) -> Self {
        Self {
            path: Arc::new(path.to_path_buf()),
            writer: None,
            readers: Arc::new(ReaderPool {
                idle: std::sync::Mutex::default(),
                keep: 0,
            }),
            pages_checked: true,
        }
    }

    /// True for a read replica's copy.
    pub fn is_replica(&self) -> bool {
        self.writer.is_none()
    }

    /// The schema version of a replica's copy, refused when this binary
    /// cannot read it (a writer of a newer release).
    pub async fn check_replica_schema(&self) -> Result<(), StoreError> {
        let path = self.path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let connection = open_reader(&path)?;
            match migrations::check_version(&connection, &path)? {
                version if version == migrations::LATEST => Ok(()),
                found => Err(StoreError::OlderSchema {
                    path,
                    found,
                    supported: migrations::LATEST,
                }),
            }
        })
        .await?
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the database was too big to page-check at open; run
    /// [`Store::check_pages`] once serving.
    pub fn pages_unchecked(&self) -> bool {
        !self.pages_checked
    }

    /// `PRAGMA quick_check` on a read connection, alongside everything else
    /// (WAL); abandoned when `stop` is cancelled.
    pub async fn check_pages(
        &self,
        stop: tokio_util::sync::CancellationToken,
    ) -> Result<(), StoreError> {
        let path = self.path.to_path_buf();
        let reader = tokio::task::spawn_blocking(move || open_reader(&path)).await??;
        let interrupt = reader.get_interrupt_handle();
        let interrupter = tokio::spawn(async move {
            stop.cancelled().await;
            interrupt.interrupt();
        });
        let path = self.path.to_path_buf();
        let checked = tokio::task::spawn_blocking(move || check_pages(&reader, &path)).await;
        interrupter.abort();
        checked?
    }

    /// Writes `seed` unless the database already holds exactly it.
    /// True when the database already holds the built-in dataset whose
    /// digest is `sha256`: a restart then need not parse the dataset at all.
    pub async fn holds_seed(&self, sha256: String) -> Result<bool, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let writer = store.lock_writer()?;
            write::builtin_sha256(&writer)
                .map(|held| held.as_deref() == Some(sha256.as_str()))
                .map_err(|source| store.sqlite("read the built-in dataset's digest from", source))
        })
        .await?
    }

    pub async fn apply_seed(&self, seed: Arc<Seed>) -> Result<SeedOutcome, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = store.lock_writer()?;
            write::apply_seed(&mut writer, &seed)
                .map_err(|source| store.sqlite("write the built-in dataset to", source))
        })
        .await?
    }

    /// Reads the whole dataset in one read transaction, on the blocking pool:
    /// at start, and again after every refresh that committed. That reload
    /// stays at normal priority: its run, the run's TriggerRefresh and
    /// shutdown all wait for it, and it is bounded work (product lines stay
    /// in SQLite).
    pub async fn load(&self) -> Result<Dataset, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut reader = open_reader(&store.path)?;
            load::dataset(&mut reader, &store.path)
        })
        .await?
    }

    /// Folds the write-ahead log into the database file and truncates it, so a
    /// stopped service leaves one self-contained file behind.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let writer = store.lock_writer()?;
            writer
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|source| store.sqlite("checkpoint", source))
        })
        .await?
    }

    /// The writer connection (blocking: call from the blocking pool);
    /// refused on a read replica.
    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        let writer = self
            .writer
            .as_ref()
            .ok_or_else(|| StoreError::ReadReplica {
                path: self.path.to_path_buf(),
            })?;
        Ok(writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    fn sqlite(&self, action: &'static str, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            action,
            path: self.path.to_path_buf(),
            source,
        }
    }
}

/// Opens the database for writing. Everything that could refuse the file
/// (read-only, damaged, from a newer version) is checked before anything is
/// written to it: refusing must leave the file exactly as it was.
/// Also says whether the pages were checked (see [`CHECK_BEFORE_START_MAX_BYTES`]).
fn open_writer(path: &Path) -> Result<(Connection, bool), StoreError> {
    let error = |action| {
        let path = path.to_path_buf();
        move |source| StoreError::Sqlite {
            action,
            path,
            source,
        }
    };
    let connection = Connection::open(path).map_err(error("open"))?;
    // busy_timeout first, so switching to WAL waits out a concurrent opener.
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(error("configure"))?;
    if connection
        .is_readonly(rusqlite::MAIN_DB)
        .map_err(error("open"))?
    {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    migrations::check_version(&connection, path)?;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let pages_checked = size <= CHECK_BEFORE_START_MAX_BYTES;
    if pages_checked {
        check_pages(&connection, path)?;
    }
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(error("configure"))?;
    Ok((connection, pages_checked))
}

/// `PRAGMA quick_check`: every page well formed. A damaged file is refused
/// rather than served, or written over, by a service that cannot repair it.
fn check_pages(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    let verdict: String = connection
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|source| StoreError::Sqlite {
            action: "check",
            path: path.to_path_buf(),
            source,
        })?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            problem: format!("PRAGMA quick_check says: {verdict}"),
        });
    }
    Ok(())
}

/// Read-only connections kept for the reads that run SQL per call (product
/// questions, run history, data changes), so a call does not pay for opening
/// one.
struct ReaderPool {
    idle: std::sync::Mutex<Vec<Connection>>,
    /// Idle connections kept at most.
    keep: usize,
}

impl Default for ReaderPool {
    fn default() -> Self {
        Self {
            idle: std::sync::Mutex::default(),
            keep: MAX_IDLE_READERS,
        }
    }
}

/// At most this many idle connections are kept; more run at once only under
/// a burst, and are closed after it.
const MAX_IDLE_READERS: usize = 8;

impl Store {
    fn take_reader(&self) -> Result<Connection, StoreError> {
        let pooled = self
            .readers
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match pooled {
            Some(connection) => Ok(connection),
            None => open_reader(&self.path).map_err(|error| self.restoring_or(error)),
        }
    }

    /// On a read replica, a copy that cannot be opened because it is not
    /// there is [`StoreError::CopyRestoring`]; anything else stays as it is.
    fn restoring_or(&self, error: StoreError) -> StoreError {
        if self.is_replica() && !self.path.exists() {
            StoreError::CopyRestoring {
                path: self.path.to_path_buf(),
            }
        } else {
            error
        }
    }

    /// Runs `work` in a read transaction on a pooled read-only connection,
    /// which goes back to the pool whatever the outcome. Blocking: call it
    /// from the blocking pool.
    fn in_read_transaction<T, E: From<StoreError>>(
        &self,
        action: &'static str,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut connection = self.take_reader()?;
        let result = (|| {
            let tx = connection
                .transaction()
                .map_err(|e| self.sqlite(action, e))?;
            let answer = work(&tx)?;
            tx.finish().map_err(|e| self.sqlite(action, e))?;
            Ok(answer)
        })();
        self.return_reader(connection);
        result
    }

    fn return_reader(&self, connection: Connection) {
        let mut idle = self
            .readers
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < self.readers.keep {
            idle.push(connection);
        }
    }

    /// Runs `work` in a read transaction on a pooled read-only connection,
    /// on the blocking pool. It sees the last commit and never waits for the
    /// writer, which a refresh's swap holds for seconds at Comtrade scale:
    /// ListRefreshRuns and ListDataChanges answer during one.
    pub(super) async fn read<T: Send + 'static>(
        &self,
        action: &'static str,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            store.in_read_transaction(action, |tx| {
                work(tx).map_err(|source| store.sqlite(action, source))
            })
        })
        .await?
    }

    /// Runs `work` on the writer connection on the blocking pool.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        action: &'static str,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = store.lock_writer()?;
            work(&mut connection).map_err(|source| store.sqlite(action, source))
        })
        .await?
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let error = |action| {
        let path = path.to_path_buf();
        move |source| StoreError::Sqlite {
            action,
            path,
            source,
        }
    };
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(error("open"))?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(error("configure"))?;
    Ok(connection)
}

#[cfg(test)]
mod tests;
