//! Writes a synthetic store at Comtrade scale for the benchmarks (issue 5):
//! one reporter (KOR), every partner economy of the built-in dataset up to
//! `--partners`, `--codes` HS6 codes and `--years` years of exports, in the
//! real schema: the database is created and seeded by tradepact's own
//! `Store::open` and `apply_seed`, the rows go into `product_flows` and
//! `partner_flows` as a Comtrade refresh would store them (origin
//! `comtrade`), and the product summary is rebuilt by the store's own code.
//!
//!     cargo run --release --example large_store -- --db bench.db
//!         [--partners 230] [--codes 5000] [--years 5]
//!
//! Values are pseudo-random (fixed seed), so two runs write the same store.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use rusqlite::{Connection, TransactionBehavior, params};
use tradepact::store::{Store, rebuild_product_levels};

const REPORTER: &str = "KOR";
const ORIGIN: &str = "comtrade";
const LAST_YEAR: i32 = 2024;

struct Options {
    db: PathBuf,
    partners: usize,
    codes: usize,
    years: i32,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        db: PathBuf::new(),
        partners: 230,
        codes: 5000,
        years: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => options.db = value.into(),
            "--partners" => options.partners = value.parse()?,
            "--codes" => options.codes = value.parse()?,
            "--years" => options.years = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if options.db.as_os_str().is_empty() {
        bail!("usage: large_store --db PATH [--partners N] [--codes N] [--years N]");
    }
    Ok(options)
}

/// A small deterministic generator (xorshift64*), so the store is the same
/// on every machine without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A trade value in US dollars, heavy-tailed like real product lines.
    fn value(&mut self) -> f64 {
        let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (1_000.0 * (1.0 / (1.0 - unit * 0.999)).powi(2)).round()
    }
}

/// `count` distinct HS6 codes spread over the 96 HS chapters.
fn hs6_codes(count: usize) -> Vec<String> {
    let chapters: Vec<u32> = (1..=97).filter(|&c| c != 77).collect();
    let mut codes: Vec<String> = (0..count)
        .map(|i| {
            let chapter = chapters[i % chapters.len()];
            let within = i / chapters.len();
            format!(
                "{chapter:02}{:02}{:02}",
                1 + within / 9,
                10 * (1 + within % 9)
            )
        })
        .collect();
    codes.sort();
    codes
}

/// Partners the benchmarks ask about come first, so even a small store has them.
const FIRST_PARTNERS: &[&str] = &["CHN", "USA", "VNM", "JPN", "KHM"];

/// `count` single economies (not groups) other than the reporter.
fn partners(connection: &Connection, count: usize) -> anyhow::Result<Vec<String>> {
    let mut statement = connection
        .prepare("SELECT code FROM economies WHERE members = '' AND code != ?1 ORDER BY code")?;
    let all = statement
        .query_map(params![REPORTER], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let mut chosen: Vec<String> = FIRST_PARTNERS
        .iter()
        .map(|code| (*code).to_owned())
        .filter(|code| all.contains(code))
        .collect();
    let rest: Vec<String> = all
        .into_iter()
        .filter(|code| !chosen.contains(code))
        .collect();
    chosen.extend(rest);
    chosen.truncate(count);
    Ok(chosen)
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let store = Store::open(&options.db).await?;
        store
            .apply_seed(Arc::new(tradepact::seed::builtin()?))
            .await?;
        anyhow::Ok(())
    })?;

    let mut connection = Connection::open(&options.db)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    let partners = partners(&connection, options.partners)?;
    let codes = hs6_codes(options.codes);
    let years: Vec<i32> = (LAST_YEAR - options.years + 1..=LAST_YEAR).collect();
    let mut rng = Rng(0x7261_6465_7061_6374);

    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for table in ["product_flows", "partner_flows", "sources"] {
        tx.execute(&format!("DELETE FROM {table} WHERE origin = ?1"), [ORIGIN])?;
    }
    let mut rows = 0u64;
    {
        let mut source = tx.prepare(
            "INSERT INTO sources (key, title, publisher, url, published, retrieved_at, license, redistributable, origin)
             VALUES (?1, ?2, 'UN Comtrade (synthetic benchmark data)', 'http://127.0.0.1/synthetic', NULL, NULL,
                     'synthetic: for benchmarks only', 0, ?3)",
        )?;
        let mut product = tx.prepare(
            "INSERT INTO product_flows (reporter, partner, year, flow, hs_code, description, value_usd, source, origin)
             VALUES (?1, ?2, ?3, 'export', ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut partner_total = tx.prepare(
            "INSERT INTO partner_flows (reporter, partner, year, flow, value_usd, source, origin)
             VALUES (?1, ?2, ?3, 'export', ?4, ?5, ?6)",
        )?;
        for &year in &years {
            let key = format!("synthetic-comtrade-kor-{year}");
            source.execute(params![
                key,
                format!("Synthetic KOR exports {year}, HS6"),
                ORIGIN
            ])?;
        }
        for partner in &partners {
            for &year in &years {
                let key = format!("synthetic-comtrade-kor-{year}");
                let mut total = 0.0;
                for code in &codes {
                    let value = rng.value();
                    total += value;
                    product.execute(params![
                        REPORTER,
                        partner,
                        year,
                        code,
                        format!("Commodity {code}"),
                        value,
                        key,
                        ORIGIN
                    ])?;
                    rows += 1;
                }
                partner_total.execute(params![REPORTER, partner, year, total, key, ORIGIN])?;
            }
        }
    }
    rebuild_product_levels(&tx, ORIGIN)?;
    tx.commit()?;
    connection.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    let size = std::fs::metadata(&options.db)?.len();
    println!(
        "large store: {rows} product rows ({} partners × {} HS6 codes × {} years), {} MiB, written in {:.1} s",
        partners.len(),
        codes.len(),
        years.len(),
        size >> 20,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
