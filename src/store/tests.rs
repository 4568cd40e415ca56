use std::sync::Arc;

use super::*;
use crate::domain::Trigger;
use crate::seed;

const SMALL: &str = include_str!("../seed/small_fixture.toml");

async fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("t.db")).await.expect("opens");
    (dir, store)
}

fn small() -> Arc<seed::Seed> {
    Arc::new(seed::parse(SMALL).expect("fixture parses"))
}

#[tokio::test]
async fn a_seed_round_trips_through_sqlite() {
    let (_dir, store) = open_temp().await;
    let seed = small();
    assert_eq!(
        store.apply_seed(seed.clone()).await.expect("applies"),
        SeedOutcome::Applied {
            version: "test-1".into()
        }
    );
    let loaded = store.load().await.expect("loads");
    assert_eq!(loaded.version, "test-1");
    assert_eq!(loaded.agreements, seed.dataset.agreements);
    assert_eq!(loaded.trade, seed.dataset.trade);
    assert_eq!(loaded.economies, seed.dataset.economies);
    assert_eq!(loaded.indicator_series, seed.dataset.indicator_series);
}

#[tokio::test]
async fn the_same_seed_is_applied_once() {
    let (_dir, store) = open_temp().await;
    store.apply_seed(small()).await.expect("first");
    assert_eq!(
        store.apply_seed(small()).await.expect("second"),
        SeedOutcome::Unchanged {
            version: "test-1".into()
        }
    );
}

#[tokio::test]
async fn a_changed_seed_replaces_the_old_rows() {
    let (_dir, store) = open_temp().await;
    store.apply_seed(small()).await.expect("first");
    let changed = SMALL
        .replace("version = \"test-1\"", "version = \"test-2\"")
        .replace("total_musd = 1033", "total_musd = 1034");
    let changed = Arc::new(seed::parse(&changed).expect("parses"));
    assert_eq!(
        store.apply_seed(changed).await.expect("re-applies"),
        SeedOutcome::Applied {
            version: "test-2".into()
        }
    );
    let loaded = store.load().await.expect("loads");
    assert_eq!(loaded.trade.len(), 1, "old rows are gone, not duplicated");
    assert_eq!(loaded.trade[0].total_usd, Some(1_034_000_000.0));
    assert_eq!(loaded.agreements["kor-khm"].events.len(), 2);
}

#[tokio::test]
async fn a_new_edition_with_more_events_keeps_a_refreshs_events_of_the_same_agreement() {
    let (dir, store) = open_temp().await;
    store.apply_seed(small()).await.expect("first");
    // A refresh attached an event after the built-in ones (positions 0, 1).
    let connection = rusqlite::Connection::open(dir.path().join("t.db")).expect("opens");
    connection
        .execute(
            "INSERT INTO agreement_events (agreement_id, position, kind, start, origin)
             VALUES ('kor-khm', 2, 'signed', '2021-10-26', 'wto')",
            [],
        )
        .expect("a refresh's event");
    drop(connection);
    // The next edition has a third built-in event of its own.
    let changed = SMALL.replace("version = \"test-1\"", "version = \"test-2\"").replace(
        "[[trade]]",
        "[[agreements.events]]\nkind = \"concluded\"\nstart = \"2021-02-03\"\nsources = [\"herald\"]\n\n[[trade]]",
    );
    let changed = Arc::new(seed::parse(&changed).expect("parses"));
    store.apply_seed(changed).await.expect("re-applies");
    let events = &store.load().await.expect("loads").agreements["kor-khm"].events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["launched", "round", "concluded", "signed"]);
}

#[tokio::test]
async fn reopening_keeps_the_data() {
    let (dir, store) = open_temp().await;
    store.apply_seed(small()).await.expect("applies");
    drop(store);
    let reopened = Store::open(&dir.path().join("t.db"))
        .await
        .expect("reopens");
    assert_eq!(reopened.load().await.expect("loads").agreements.len(), 1);
}

#[tokio::test]
async fn a_database_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("future.db");
    {
        let connection = Connection::open(&path).expect("creates");
        connection
            .pragma_update(None, "user_version", migrations::LATEST + 1)
            .expect("sets version");
    }
    let before = std::fs::read(&path).expect("reads");
    match Store::open(&path).await {
        Err(StoreError::NewerSchema { found, .. }) => assert_eq!(found, migrations::LATEST + 1),
        Err(other) => panic!("expected NewerSchema, got {other}"),
        Ok(_) => panic!("expected NewerSchema, got a store"),
    }
    assert_eq!(
        std::fs::read(&path).expect("reads"),
        before,
        "refused without a write"
    );
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_an_error_not_a_rebuild() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, vec![0x42; 8192]).expect("writes");
    assert!(Store::open(&path).await.is_err());
    assert_eq!(
        std::fs::read(&path).expect("reads"),
        vec![0x42; 8192],
        "left untouched"
    );
}

#[test]
fn every_migration_applies_to_an_empty_database() {
    let mut connection = Connection::open_in_memory().expect("opens");
    migrations::run(&mut connection, Path::new(":memory:")).expect("migrates");
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("reads");
    assert_eq!(version, migrations::LATEST);
}

#[tokio::test]
async fn a_small_database_is_page_checked_at_open_and_can_be_checked_again() {
    let (_dir, store) = open_temp().await;
    assert!(
        !store.pages_unchecked(),
        "checked before anything is served"
    );
    store.apply_seed(small()).await.expect("applies");
    store
        .check_pages(tokio_util::sync::CancellationToken::new())
        .await
        .expect("a healthy file passes");
}

#[tokio::test]
async fn run_history_and_changes_are_read_while_the_writer_is_busy() {
    let (_dir, store) = open_temp().await;
    let id = store
        .start_run("worldbank", Trigger::Manual, "2026-01-01T00:00:00Z".into())
        .await
        .expect("records a run");
    // A refresh's swap holds the writer connection for seconds at Comtrade
    // scale; hold it here, on another thread, for longer than the reads may take.
    let writer = Arc::clone(store.writer.as_ref().expect("a writable store"));
    let (held, holding) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let _guard = writer.lock().expect("writer lock");
        held.send(()).expect("signal");
        let _ = released.recv_timeout(std::time::Duration::from_secs(30));
    });
    holding.recv().expect("writer held");

    let reads = async {
        let runs = store.runs(None, None, 10).await.expect("runs");
        let states = store.source_states().await.expect("source states");
        let changes = store.changes_after(0, None, 10).await.expect("changes");
        let latest = store.latest_change_seq().await.expect("latest change");
        (runs, states, changes, latest)
    };
    let (runs, states, changes, latest) =
        tokio::time::timeout(std::time::Duration::from_secs(10), reads)
            .await
            .expect("reads answer without waiting for the writer");
    release.send(()).expect("release");
    holder.join().expect("holder thread");

    assert_eq!(runs.iter().map(|run| run.id).collect::<Vec<_>>(), [id]);
    assert_eq!(
        states["worldbank"].last_run.as_ref().map(|run| run.id),
        Some(id)
    );
    assert!(changes.is_empty());
    assert_eq!(latest, 0);
}

#[tokio::test]
async fn every_seed_bumps_the_generation_and_a_heartbeat_does_not() {
    let (_dir, store) = open_temp().await;
    assert_eq!(
        store.replication_state().await.expect("reads").generation,
        0
    );
    store.apply_seed(small()).await.expect("applies");
    let state = store.replication_state().await.expect("reads");
    assert_eq!(state.generation, 1);
    assert_eq!(state.heartbeat_at, None);
    store
        .heartbeat("2026-12-05T04:00:00.123Z".into())
        .await
        .expect("beats");
    let state = store.replication_state().await.expect("reads");
    assert_eq!(state.generation, 1, "a heartbeat changes no data");
    assert_eq!(
        state.heartbeat_at.as_deref(),
        Some("2026-12-05T04:00:00.123Z")
    );
}

#[tokio::test]
async fn a_replica_copy_is_read_and_never_written() {
    let (dir, store) = open_temp().await;
    store.apply_seed(small()).await.expect("applies");
    store.checkpoint().await.expect("checkpoints");
    let replica = Store::replica(&dir.path().join("t.db"));
    assert!(replica.is_replica() && !store.is_replica());
    replica
        .check_replica_schema()
        .await
        .expect("the schema is current");
    let held = replica.load().await.expect("loads");
    assert_eq!(held.agreements.len(), small().dataset.agreements.len());
    let refused = replica.apply_seed(small()).await;
    assert!(
        matches!(refused, Err(StoreError::ReadReplica { .. })),
        "{refused:?}"
    );
    assert!(matches!(
        replica.heartbeat("2026-12-05T04:00:00Z".into()).await,
        Err(StoreError::ReadReplica { .. })
    ));
}

#[tokio::test]
async fn a_replica_copy_not_there_is_being_restored_and_a_writer_file_not_there_is_not() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let copy = dir.path().join("copy.db");
    let replica = Store::replica(&copy);
    let read = replica.latest_change_seq().await;
    assert!(
        matches!(&read, Err(StoreError::CopyRestoring { path }) if *path == copy),
        "{read:?}"
    );
    let (dir, store) = open_temp().await;
    std::fs::remove_file(dir.path().join("t.db")).expect("removed");
    let read = store.latest_change_seq().await;
    assert!(
        !matches!(read, Err(StoreError::CopyRestoring { .. })),
        "only a replica's copy is restored: {read:?}"
    );
}
