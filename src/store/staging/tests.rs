use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::domain::{
    Batch, DataChange, PageLine, ProductFlow, RunRecord, RunState, Source, Trigger,
};
use crate::store::BatchSwap;
use crate::test_support::{code, source};

/// A page of export lines: (partner, code, value).
fn page(year: i32, source: &Arc<Source>, lines: &[(&str, &str, f64)]) -> ProductPage {
    let mut partners: Vec<EconomyCode> = Vec::new();
    let mut out = Vec::new();
    for &(partner, hs, value) in lines {
        let index = partners
            .iter()
            .position(|p| p.as_str() == partner)
            .unwrap_or_else(|| {
                partners.push(code(partner));
                partners.len() - 1
            });
        out.push(PageLine {
            partner: u16::try_from(index).expect("few"),
            flow: TradeFlow::Export,
            hs_code: HsCode::parse(hs).expect("HS code"),
            description: 0,
            value_usd: value,
        });
    }
    ProductPage {
        reporter: code("KOR"),
        year,
        source: Arc::clone(source),
        partners,
        descriptions: vec!["a product".into()],
        lines: out,
    }
}

async fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("t.db")).await.expect("opens");
    (dir, store)
}

/// Stages `pages` for "comtrade" and swaps them in as one run.
async fn run(
    store: &Store,
    pages: Vec<ProductPage>,
    sources: Vec<Arc<Source>>,
) -> Result<(RunRecord, Vec<DataChange>), String> {
    let run_id = store
        .start_run("comtrade", Trigger::Manual, "2026-01-01T00:00:00Z".into())
        .await
        .expect("run starts");
    let staging = store
        .stage_products("comtrade", CancellationToken::new())
        .await
        .expect("staging starts");
    for page in pages {
        if staging.sink().send(page).await.is_err() {
            break;
        }
    }
    let staged = staging.finish().await.map_err(|e| e.to_string())?;
    let swap = BatchSwap {
        run_id,
        source: "comtrade".into(),
        batch: Arc::new(Batch {
            sources,
            ..Batch::default()
        }),
        status_changes: Vec::new(),
        validators: Vec::new(),
        products: Some(staged),
    };
    store
        .apply_batch(
            swap,
            CancellationToken::new(),
            "2026-01-01T00:01:00Z".into(),
        )
        .await
        .map_err(|e| e.to_string())
}

fn rows(path: &Path) -> Vec<(String, String, i32, String, f64, String)> {
    let connection = Connection::open(path).expect("opens");
    let mut statement = connection
        .prepare(
            "SELECT partner, hs_code, year, origin, value_usd, source FROM product_flows
             ORDER BY origin, partner, hs_code, year",
        )
        .expect("prepares");
    statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads")
}

/// Whether a staging table (`product_flows_next_*`) is left in the file.
fn has_staging_table(path: &Path) -> bool {
    tables(path)
        .iter()
        .any(|n| n.starts_with("product_flows_next"))
}

/// Comtrade staging started with one line sent to it.
async fn staging_one_line(store: &Store) -> ProductStaging {
    let staging = store
        .stage_products("comtrade", CancellationToken::new())
        .await
        .expect("staging starts");
    let s = source("comtrade-1");
    staging
        .sink()
        .send(page(2022, &s, &[("KHM", "870321", 3.0)]))
        .await
        .expect("sent");
    staging
}

fn tables(path: &Path) -> Vec<String> {
    let connection = Connection::open(path).expect("opens");
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name")
        .expect("prepares");
    statement
        .query_map([], |row| row.get(0))
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads")
}

/// Another origin's product line, stored the ordinary (batch) way.
async fn store_other_origin(store: &Store) {
    let other = source("other-source");
    let run_id = store
        .start_run("other", Trigger::Manual, "2026-01-01T00:00:00Z".into())
        .await
        .expect("run starts");
    let batch = Batch {
        sources: vec![Arc::clone(&other)],
        product_flows: vec![ProductFlow {
            reporter: code("KOR"),
            partner: code("KHM"),
            year: 2022,
            flow: TradeFlow::Export,
            hs_code: "870321".into(),
            description: "cars".into(),
            value_usd: 9.0,
            source: other,
            origin: "other".into(),
        }],
        ..Batch::default()
    };
    let swap = BatchSwap {
        run_id,
        source: "other".into(),
        batch: Arc::new(batch),
        status_changes: Vec::new(),
        validators: Vec::new(),
        products: None,
    };
    store
        .apply_batch(
            swap,
            CancellationToken::new(),
            "2026-01-01T00:00:30Z".into(),
        )
        .await
        .expect("other origin stored");
}

#[tokio::test]
async fn staged_lines_replace_the_origins_lines_and_keep_the_others() {
    let (dir, store) = open_temp().await;
    let path = dir.path().join("t.db");
    store_other_origin(&store).await;
    // An index someone added to product_flows must survive the swap.
    store
        .write("index", |c| {
            c.execute_batch("CREATE INDEX product_flows_by_code ON product_flows (hs_code)")
        })
        .await
        .expect("indexes");
    let s1 = source("comtrade-1");
    let s2 = source("comtrade-2");
    let first = page(
        2022,
        &s1,
        &[
            ("VNM", "870321", 5.0),
            ("KHM", "870321", 3.0),
            ("KHM", "220210", 1.0),
        ],
    );
    let second = page(2022, &s2, &[("USA", "870321", 7.0)]);
    let (record, changes) = run(&store, vec![first, second], vec![s1, s2])
        .await
        .expect("the run swaps");
    assert_eq!(record.state, RunState::Succeeded);
    assert_eq!(record.rows, 4);
    assert_eq!(record.changes, 3, "one NEW change per group");
    assert!(changes.iter().all(|c| c.kind == ChangeKind::NewFigure));
    let khm = changes
        .iter()
        .find(|c| c.subject.starts_with("product_flows KOR→KHM export HS6"))
        .expect("KHM's group");
    assert_eq!(khm.new_value.as_deref(), Some("4"));
    assert_eq!(khm.old_value, None);
    assert!(
        khm.subject
            .contains("(2 new, 0 revised, 0 removed of 2 lines)"),
        "{}",
        khm.subject
    );

    let stored = rows(&path);
    assert_eq!(stored.len(), 5);
    assert!(stored.contains(&(
        "KHM".into(),
        "870321".into(),
        2022,
        "other".into(),
        9.0,
        "other-source".into()
    )));
    assert!(stored.contains(&(
        "USA".into(),
        "870321".into(),
        2022,
        "comtrade".into(),
        7.0,
        "comtrade-2".into()
    )));
    let checkpoint_pages: i64 = store
        .write("read", |c| {
            c.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))
        })
        .await
        .expect("reads");
    assert_eq!(
        checkpoint_pages, 1000,
        "checkpoints as usual once staging is over"
    );
    let names = tables(&path);
    assert!(
        names.contains(&"product_flows_by_code".to_owned()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("product_flows_next")),
        "{names:?}"
    );

    let connection = rusqlite::Connection::open(&path).expect("opens");
    let total: i64 = connection
        .query_row("SELECT count(*) FROM product_flows", [], |row| row.get(0))
        .expect("counts");
    assert_eq!(total, 5);
    let mut statement = connection
        .prepare(
            "SELECT origin, hs_code, value_usd, source FROM product_flows
             WHERE reporter = 'KOR' AND partner = 'KHM' AND year = 2022 AND flow = 'export'",
        )
        .expect("prepares");
    let khm_lines: Vec<(String, String, f64, String)> = statement
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("reads")
        .collect::<Result<_, _>>()
        .expect("rows");
    let khm_lines: Vec<(&str, &str, f64, &str)> = khm_lines
        .iter()
        .map(|(o, h, v, s)| (o.as_str(), h.as_str(), *v, s.as_str()))
        .collect();
    assert_eq!(khm_lines.len(), 3);
    assert!(khm_lines.contains(&("comtrade", "220210", 1.0, "comtrade-1")));
    // The summary the read path uses was rebuilt in the same swap.
    let summarised: i64 = connection
        .query_row(
            "SELECT sum(lines) FROM product_levels WHERE origin = 'comtrade'",
            [],
            |row| row.get(0),
        )
        .expect("sums");
    assert_eq!(summarised, 4, "every staged comtrade line, summarised");
    assert!(khm_lines.contains(&("other", "870321", 9.0, "other-source")));
}

#[tokio::test]
async fn a_second_run_records_revisions_per_line_and_changes_per_group() {
    let (dir, store) = open_temp().await;
    let path = dir.path().join("t.db");
    let s = source("comtrade-1");
    let first = page(
        2022,
        &s,
        &[
            ("KHM", "870321", 3.0),
            ("KHM", "220210", 1.0),
            ("VNM", "870321", 5.0),
            ("USA", "870321", 7.0),
        ],
    );
    run(&store, vec![first], vec![Arc::clone(&s)])
        .await
        .expect("first run");
    // KHM: one line revised, one gone, one new. VNM: unchanged. USA: gone.
    let second = page(
        2022,
        &s,
        &[
            ("KHM", "870321", 4.0),
            ("KHM", "610910", 2.0),
            ("VNM", "870321", 5.0),
        ],
    );
    let (record, changes) = run(&store, vec![second], vec![s])
        .await
        .expect("second run");
    assert_eq!(record.rows, 3);
    let summary: Vec<(ChangeKind, String, Option<String>, Option<String>)> = changes
        .iter()
        .map(|c| {
            (
                c.kind,
                c.subject.clone(),
                c.old_value.clone(),
                c.new_value.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                ChangeKind::RevisedFigure,
                "product_flows KOR→KHM export HS6 (1 new, 1 revised, 1 removed of 2 lines)".into(),
                Some("4".into()),
                Some("6".into())
            ),
            (
                ChangeKind::RemovedFigure,
                "product_flows KOR→USA export HS6 (0 new, 0 revised, 1 removed of 0 lines)".into(),
                Some("7".into()),
                None
            ),
        ]
    );
    let connection = Connection::open(&path).expect("opens");
    let history: Vec<(String, i32, f64, f64)> = connection
        .prepare("SELECT subject, year, old_value, new_value FROM figure_history")
        .expect("prepares")
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads");
    assert_eq!(
        history,
        [(
            "product_flow KOR→KHM export HS870321".into(),
            2022,
            3.0,
            4.0
        )]
    );
    assert_eq!(rows(&path).len(), 3);
}

#[tokio::test]
async fn a_duplicate_line_fails_the_run_and_changes_nothing() {
    let (dir, store) = open_temp().await;
    let path = dir.path().join("t.db");
    let s = source("comtrade-1");
    run(
        &store,
        vec![page(2022, &s, &[("KHM", "870321", 3.0)])],
        vec![Arc::clone(&s)],
    )
    .await
    .expect("first run");
    let before = rows(&path);
    let twice = page(2022, &s, &[("KHM", "870321", 3.0), ("KHM", "870321", 4.0)]);
    let error = run(&store, vec![twice], vec![s])
        .await
        .expect_err("refused");
    assert!(error.contains("appears twice"), "{error}");
    assert_eq!(rows(&path), before);
    assert!(!has_staging_table(&path));
}

#[tokio::test]
async fn a_group_in_two_answers_is_refused() {
    let (_dir, store) = open_temp().await;
    let s = source("comtrade-1");
    let one = page(2022, &s, &[("KHM", "870321", 3.0)]);
    let two = page(2022, &s, &[("KHM", "220210", 3.0)]);
    let error = run(&store, vec![one, two], vec![s])
        .await
        .expect_err("refused");
    assert!(error.contains("came in two answers"), "{error}");
}

#[tokio::test]
async fn abandoned_staging_leaves_no_table_and_no_data() {
    let (dir, store) = open_temp().await;
    let path = dir.path().join("t.db");
    let staging = staging_one_line(&store).await;
    assert!(staging.abandon().await.is_none());
    assert!(rows(&path).is_empty());
    assert!(!has_staging_table(&path));
}

#[tokio::test]
async fn staged_lines_dropped_without_a_swap_drop_their_table() {
    let (dir, store) = open_temp().await;
    let path = dir.path().join("t.db");
    let staging = staging_one_line(&store).await;
    let staged = staging.finish().await.expect("finished");
    assert_eq!(staged.rows, 1);
    drop(staged);
    for _ in 0..100 {
        if !has_staging_table(&path) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the staging table outlived its staged lines");
}

#[tokio::test]
async fn cancelled_staging_stops_between_transactions() {
    let (_dir, store) = open_temp().await;
    let cancel = CancellationToken::new();
    let staging = store
        .stage_products("comtrade", cancel.clone())
        .await
        .expect("staging starts");
    cancel.cancel();
    let s = source("comtrade-1");
    let _ = staging
        .sink()
        .send(page(2022, &s, &[("KHM", "870321", 3.0)]))
        .await;
    assert!(matches!(
        staging.finish().await,
        Err(StagingError::Cancelled)
    ));
}

#[tokio::test]
async fn a_staging_table_left_by_a_crash_is_dropped_at_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.db");
    drop(Store::open(&path).await.expect("opens"));
    Connection::open(&path)
        .expect("opens")
        .execute_batch("CREATE TABLE product_flows_next_comtrade (x INTEGER)")
        .expect("a crashed run's table");
    let _store = Store::open(&path).await.expect("reopens");
    assert!(!has_staging_table(&path));
}

#[tokio::test]
async fn a_reader_inside_a_transaction_keeps_its_snapshot_across_the_swap() {
    let (dir, store) = open_temp().await;
    let path = dir.path().join("t.db");
    let s = source("comtrade-1");
    run(
        &store,
        vec![page(2022, &s, &[("KHM", "870321", 3.0)])],
        vec![Arc::clone(&s)],
    )
    .await
    .expect("first run");
    let reader = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("a reader");
    reader.execute_batch("BEGIN").expect("read transaction");
    let count = |c: &Connection| -> i64 {
        c.query_row("SELECT count(*) FROM product_flows", [], |row| row.get(0))
            .expect("counts")
    };
    assert_eq!(count(&reader), 1);
    let second = page(
        2022,
        &s,
        &[
            ("KHM", "870321", 3.0),
            ("VNM", "870321", 1.0),
            ("USA", "870321", 2.0),
        ],
    );
    run(&store, vec![second], vec![s])
        .await
        .expect("the swap does not wait for the reader");
    assert_eq!(
        count(&reader),
        1,
        "the open transaction still sees the old table"
    );
    reader.execute_batch("COMMIT").expect("ends");
    assert_eq!(count(&reader), 3, "a new one sees the new table");
}
