use std::path::Path;

use super::*;

#[test]
fn the_sidecar_sits_next_to_the_copy() {
    assert_eq!(
        txid_sidecar(Path::new("/data/tradepact.db")),
        PathBuf::from("/data/tradepact.db-txid")
    );
}

#[test]
fn the_replica_url_is_shown_without_its_query() {
    let replication = Replication::new(Role::Reader, Some("s3://bucket/db?endpoint=minio:9000"));
    assert_eq!(replication.replica(), Some("s3://bucket/db"));
}

#[test]
fn only_a_reader_has_a_lag_and_only_once_it_holds_a_heartbeat() {
    let writer = Replication::new(Role::Writer, Some("file:///r"));
    writer.update(|p| p.heartbeat_at = Some(SystemTime::now()));
    assert_eq!(writer.lag(), None);
    let reader = Replication::new(Role::Reader, Some("file:///r"));
    assert_eq!(reader.lag(), None);
    reader.update(|p| p.heartbeat_at = Some(SystemTime::now() - Duration::from_secs(7)));
    let lag = reader.lag().expect("a lag");
    assert!(
        lag >= Duration::from_secs(7) && lag < Duration::from_secs(60),
        "{lag:?}"
    );
}

#[test]
fn a_copy_without_its_sidecar_is_removed_and_one_with_it_is_kept() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("copy.db");
    std::fs::write(&db, b"half").expect("written");
    std::fs::write(dir.path().join("copy.db.tmp"), b"half").expect("written");
    prepare_copy(&db);
    assert!(!db.exists());
    assert!(!dir.path().join("copy.db.tmp").exists());

    std::fs::write(&db, b"whole").expect("written");
    std::fs::write(txid_sidecar(&db), b"0000000000000003\n").expect("written");
    prepare_copy(&db);
    assert!(db.exists() && txid_sidecar(&db).exists());
}
