//! The main example: the design documents' `sale_order`, migrated into the embedded emulator
//! (or a real ScyllaDB with `SCYLLA_URI`), a few thousand orders, and the two queries ScyllaDB
//! alone cannot serve without `ALLOW FILTERING`:
//!
//! - company 1, product 1, weeks 2548..=2614, through `#[hash_index(bucketing(1, 4, 5))]`;
//! - the delta sync `status = 2 AND updated BETWEEN ...`, through `#[packed_index(view)]`;
//!
//! each shown with its plan (`explain()`), its result, and — on the emulator — the rows the
//! server examined next to an `ALLOW FILTERING` scan returning the same rows.
//!
//! Run it with `cargo run -p orm-tests --example sale_orders` (`ORDERS=n` to change the count).

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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    orm_tests::init_tracing();
    let n: i64 = std::env::var("ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let db = orm_tests::test_db("sale_orders_example").await;
    db.migrate::<SaleOrder>().await?;
    let mut rng = Rng(0x5a1e_0001);
    let (lo, hi) = (week_index(2401)?, week_index(2653)?);
    let orders: Vec<SaleOrder> = (0..n)
        .map(|id| SaleOrder {
            empresa_id: 1,
            id,
            detail_products_ids: (0..rng.range(1, 4)).map(|_| rng.range(1, 50)).collect(),
            week: week_code(rng.range(lo, hi)).expect("valid week"),
            status: rng.range(0, 4) as i32,
            updated: rng.range(100_000_000, 999_999_999),
        })
        .collect();
    db.insert_many(&orders).await?;
    println!(
        "{n} orders of company 1 inserted (hidden hash sets and packed value computed on write)\n"
    );
    let examined = || db.emulator().map(|e| e.stats().rows_examined);
    let ks = db.keyspace().to_owned();

    // 1. Products × week range.
    let q = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2614);
    println!("{}", q.explain()?);
    let before = examined();
    let rows = q.all(&db).await?;
    let after = examined();
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
    let scanned = scan(&db, &cql, values).await?;
    let after_scan = examined();
    println!("-> {} orders", rows.len());
    if let (Some(b), Some(a), Some(s)) = (before, after, after_scan) {
        println!(
            "   rows examined: {} through the hash index, {} for the same {scanned} rows with ALLOW FILTERING\n",
            a - b,
            s - a
        );
    }

    // 2. Delta sync: status 2 changed after a point (9-digit `updated` values).
    let since = 990_000_000;
    let q = SaleOrder::query()
        .empresa_id(1)
        .status(2)
        .updated_between(since + 1, 999_999_999);
    println!("{}", q.explain()?);
    let before = examined();
    let rows = q.all(&db).await?;
    let after = examined();
    let cql = format!(
        "SELECT {} FROM {ks}.sale_order WHERE empresa_id = ? AND status = ? AND updated > ? ALLOW FILTERING",
        SaleOrder::SELECT_COLUMNS
    );
    let values = vec![
        orm_runtime::BoundValue::new(1i32),
        orm_runtime::BoundValue::new(2i32),
        orm_runtime::BoundValue::new(since),
    ];
    let scanned = scan(&db, &cql, values).await?;
    let after_scan = examined();
    println!("-> {} orders", rows.len());
    if let (Some(b), Some(a), Some(s)) = (before, after, after_scan) {
        println!(
            "   rows examined: {} through the view, {} for the same {scanned} rows with ALLOW FILTERING",
            a - b,
            s - a
        );
    }
    // Exit without stopping the emulator first (the driver would log the lost connection).
    Ok(())
}
