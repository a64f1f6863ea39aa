//! The main example: the design documents' `sale_order`, migrated into the embedded emulator
//! (or a real ScyllaDB with `SCYLLA_URI`), tens of thousands of orders of several companies over
//! two and a half years, and the two queries ScyllaDB
//! alone cannot serve without `ALLOW FILTERING`:
//!
//! - company 1, product 1, weeks 2548..=2614, through `#[hash_index(bucketing(1, 4, 5))]`;
//! - the delta sync `status = 2 AND updated BETWEEN ...`, through `#[packed_index(view)]`;
//!
//! each shown with its plan (`explain()`), its result and wall time, and — on the emulator — the
//! statements sent and rows the server examined, next to an `ALLOW FILTERING` scan returning the
//! same rows.
//!
//! Run it with `cargo run -p orm-tests --example sale_orders` (`ORDERS=n` to change the count,
//! `COMPANIES=n` the number of companies; defaults 40,000 and 4).

use std::io::Write as _;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use orm_macros::Model;
use orm_runtime::Model as _;
use orm_runtime::bucketing::{week_code, week_index};

/// Products × week in buckets of 1, 4 and 5 weeks; status and updated packed into one `int`
/// (status × 10^8 + the first 8 digits of updated), served by a materialized view.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "sale_order")]
pub struct SaleOrder {
    #[partition_key]
    pub empresa_id: i32,
    #[clustering_key]
    pub id: i64,
    #[hash_index]
    pub detail_products_ids: Vec<i64>,
    #[hash_index(bucketing(1, 4, 5), week_code)]
    pub week: i32,
    #[packed_index(view)]
    pub status: i32,
    #[packed_index(int32, decimal_size = 8)]
    pub updated: i64,
}

/// SplitMix64, so every run shows the same data.
struct Rng(u64);
impl Rng {
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        lo + ((z ^ (z >> 31)) % ((hi - lo + 1) as u64)) as i64
    }
}

/// Runs a raw `ALLOW FILTERING` statement and counts its rows.
async fn scan(
    db: &orm_runtime::Db,
    cql: &str,
    values: Vec<orm_runtime::BoundValue>,
) -> orm_runtime::Result<usize> {
    let rows: Vec<SaleOrder> = db
        .execute_iter(cql, values, Some(5000))
        .await?
        .rows_stream::<SaleOrder>()
        .expect("typed rows")
        .try_collect()
        .await
        .expect("rows");
    Ok(rows.len())
}

/// What one way of answering a query cost.
struct Cost {
    rows: usize,
    elapsed: Duration,
    statements: Option<u64>,
    examined: Option<u64>,
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>6} rows in {:>8.2} ms",
            self.rows,
            self.elapsed.as_secs_f64() * 1e3
        )?;
        if let (Some(s), Some(e)) = (self.statements, self.examined) {
            write!(
                f,
                ", {s:>3} statement(s), {e:>7} rows examined by the server"
            )?;
        }
        Ok(())
    }
}

/// Runs `f` and measures it (statements and rows examined come from the emulator's counters).
async fn cost<F, Fut>(db: &orm_tests::TestDb, f: F) -> orm_runtime::Result<Cost>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = orm_runtime::Result<usize>>,
{
    let before = db.emulator().map(|e| e.stats());
    let t = Instant::now();
    let rows = f().await?;
    let elapsed = t.elapsed();
    let after = db.emulator().map(|e| e.stats());
    let (statements, examined) = match (before, after) {
        (Some(b), Some(a)) => (
            Some(a.statements - b.statements),
            Some(a.rows_examined - b.rows_examined),
        ),
        _ => (None, None),
    };
    Ok(Cost {
        rows,
        elapsed,
        statements,
        examined,
    })
}

fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    orm_tests::init_tracing();
    let n = env_or("ORDERS", 40_000).max(1);
    let companies = env_or("COMPANIES", 4).clamp(1, 1000) as i32;
    let db = orm_tests::test_db("sale_orders_example").await;
    println!(
        "Connected to {}; migrating `sale_order` (table, hidden columns, 3 global indexes, 1 view).",
        if db.on_emulator() {
            "the embedded ScyllaDB emulator"
        } else {
            "ScyllaDB at SCYLLA_URI"
        }
    );
    db.migrate::<SaleOrder>().await?;
    let mut rng = Rng(0x5a1e_0001);
    let (lo, hi) = (week_index(2401)?, week_index(2653)?);
    let orders: Vec<SaleOrder> = (0..n)
        .map(|id| SaleOrder {
            empresa_id: 1 + (id % companies as i64) as i32,
            id,
            detail_products_ids: (0..rng.range(1, 4)).map(|_| rng.range(1, 50)).collect(),
            week: week_code(rng.range(lo, hi)).expect("valid week"),
            status: rng.range(0, 4) as i32,
            updated: rng.range(100_000_000, 999_999_999),
        })
        .collect();

    // Load in chunks, with a progress bar.
    let t = Instant::now();
    let chunk = 1_000.min(orders.len());
    for (i, part) in orders.chunks(chunk).enumerate() {
        db.insert_many(part).await?;
        let done = (i * chunk + part.len()) as f64 / orders.len() as f64;
        let width = 40;
        let filled = (done * width as f64).round() as usize;
        print!(
            "\rloading [{}{}] {:>3.0}%  {} orders",
            "#".repeat(filled),
            " ".repeat(width - filled),
            done * 100.0,
            i * chunk + part.len()
        );
        std::io::stdout().flush()?;
    }
    println!(
        "\n{n} orders of {companies} companies loaded in {:.1} s (hidden hash sets and packed value computed on every write)\n",
        t.elapsed().as_secs_f64()
    );
    let ks = db.keyspace().to_owned();

    // 1. Products × week range.
    println!("== 1. company 1, product 1, weeks 2548..=2614 (the design documents' query)\n");
    let q = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2614);
    println!("{}", q.explain()?);
    let orm = cost(&db, || async { Ok(q.all(&db).await?.len()) }).await?;
    let cql = format!(
        "SELECT {} FROM {ks}.sale_order WHERE empresa_id = ? AND detail_products_ids CONTAINS ? \
         AND week >= ? AND week <= ? ALLOW FILTERING",
        SaleOrder::SELECT_COLUMNS
    );
    let values = vec![
        orm_runtime::BoundValue::new(1i32),
        orm_runtime::BoundValue::new(1i64),
        orm_runtime::BoundValue::new(2548i32),
        orm_runtime::BoundValue::new(2614i32),
    ];
    let naive = cost(&db, || scan(&db, &cql, values)).await?;
    println!("  through the hash index:   {orm}");
    println!("  naive ALLOW FILTERING:    {naive}\n");
    assert_eq!(orm.rows, naive.rows, "both ways return the same orders");

    // 2. Delta sync: status 2 changed after a point (9-digit `updated` values).
    println!("== 2. delta sync: company 1, status 2, updated after 990000000\n");
    let since = 990_000_000;
    let q = SaleOrder::query()
        .empresa_id(1)
        .status(2)
        .updated_between(since + 1, 999_999_999);
    println!("{}", q.explain()?);
    let orm = cost(&db, || async { Ok(q.all(&db).await?.len()) }).await?;
    let cql = format!(
        "SELECT {} FROM {ks}.sale_order WHERE empresa_id = ? AND status = ? AND updated > ? ALLOW FILTERING",
        SaleOrder::SELECT_COLUMNS
    );
    let values = vec![
        orm_runtime::BoundValue::new(1i32),
        orm_runtime::BoundValue::new(2i32),
        orm_runtime::BoundValue::new(since),
    ];
    let naive = cost(&db, || scan(&db, &cql, values)).await?;
    println!("  through the packed view:  {orm}");
    println!("  naive ALLOW FILTERING:    {naive}");
    assert_eq!(orm.rows, naive.rows, "both ways return the same orders");
    // Exit without stopping the emulator first (the driver would log the lost connection).
    Ok(())
}
