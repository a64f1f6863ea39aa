//! Benchmark of typed index reads against the embedded emulator (results in `BENCHMARKS.md`):
//!
//! 1. on one 100k-row partition, the design query (product 1, weeks 2548..=2614) through the
//!    hash index (4 bucket statements) vs one `ALLOW FILTERING` scan of the partition: rows
//!    examined by the server and wall time;
//! 2. with 2 ms latency injected per statement, a 14-statement bucket plan vs one statement;
//! 3. the packed delta-sync query `status = 2 AND updated > x` through the view (clustering
//!    slices) vs an `ALLOW FILTERING` scan of the partition.
//!
//! `cargo run --release -p orm-tests --example bench_index_reads` (ROWS=100000 RUNS=20 by
//! default).

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use orm_macros::Model;
use orm_runtime::Model as _;
use orm_runtime::bucketing::{week_code, week_index};

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

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median wall time of `runs` runs, the row count of the last one, and the server's rows
/// examined per run.
/// See the rare rows in `main`.
const RARE_PRODUCT: i64 = 999;

async fn measure<F, Fut>(db: &orm_tests::TestDb, runs: usize, mut f: F) -> (Duration, usize, u64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    f().await; // warm-up (prepare)
    let emu = db.emulator().expect("emulator");
    let before = emu.stats().rows_examined;
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        rows = f().await;
        times.push(t.elapsed());
    }
    let examined = (emu.stats().rows_examined - before) / runs as u64;
    times.sort();
    (times[runs / 2], rows, examined)
}

async fn scan(db: &orm_runtime::Db, cql: &str, values: Vec<orm_runtime::BoundValue>) -> usize {
    let pager = db
        .execute_iter(cql, values, Some(5000))
        .await
        .expect("scan");
    let rows: Vec<SaleOrder> = pager
        .rows_stream::<SaleOrder>()
        .expect("rows")
        .try_collect()
        .await
        .expect("rows");
    rows.len()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() {
    let n = env("ROWS", 100_000);
    let runs = env("RUNS", 20).max(1);
    let db = orm_tests::test_db("bench_index_reads").await;
    assert!(
        db.on_emulator(),
        "the benchmark reads the emulator's counters"
    );
    // The table first, the rows, then `migrate` adds the indexes and the view over the loaded
    // data (building them once is cheaper than maintaining them on each of the 100k writes).
    db.create_keyspace().await.expect("keyspace");
    let create = orm_runtime::cql::create_table(Some(db.keyspace()), SaleOrder::META);
    db.execute_unpaged(&create, ()).await.expect("create table");
    let mut rng = Rng(0xbe9c_0001);
    let (lo, hi) = (week_index(2401).unwrap(), week_index(2653).unwrap());
    let rows: Vec<SaleOrder> = (0..n as i64)
        .map(|id| SaleOrder {
            empresa_id: 1,
            id,
            detail_products_ids: (0..rng.range(1, 4)).map(|_| rng.range(1, 50)).collect(),
            week: week_code(rng.range(lo, hi)).unwrap(),
            status: rng.range(0, 4) as i32,
            updated: rng.range(100_000_000, 999_999_999),
        })
        .collect();
    // A rare product (one order every 8 weeks from 2548 on) for comparing plans by their
    // statement count alone: a wide plan over it returns about as few rows as a narrow one.
    let rare: Vec<SaleOrder> = (0..20i64)
        .map(|k| SaleOrder {
            empresa_id: 1,
            id: n as i64 + k,
            detail_products_ids: vec![RARE_PRODUCT],
            week: week_code(week_index(2548).unwrap() + 8 * k).unwrap(),
            status: 1,
            updated: 100_000_000,
        })
        .collect();
    let mut rows = rows;
    rows.extend(rare);
    let t = Instant::now();
    db.insert_many(&rows).await.expect("insert");
    let loaded = t.elapsed();
    let t = Instant::now();
    db.migrate::<SaleOrder>().await.expect("migrate");
    println!(
        "loaded {n} rows into one partition in {:.1} s, built the indexes and view in {:.1} s",
        loaded.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    let ks = db.keyspace().to_owned();

    // 1. The design query vs an ALLOW FILTERING scan of the partition.
    let q = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2614);
    let plan = q.explain().unwrap();
    let (t_idx, r_idx, e_idx) =
        measure(&db, runs, || async { q.all(&db).await.unwrap().len() }).await;
    let scan_cql = format!(
        "SELECT {} FROM {ks}.sale_order WHERE empresa_id = ? AND detail_products_ids CONTAINS ? \
         AND week >= ? AND week <= ? ALLOW FILTERING",
        SaleOrder::SELECT_COLUMNS
    );
    let vals = || {
        vec![
            orm_runtime::BoundValue::new(1i32),
            orm_runtime::BoundValue::new(1i64),
            orm_runtime::BoundValue::new(2548i32),
            orm_runtime::BoundValue::new(2614i32),
        ]
    };
    let (t_scan, r_scan, e_scan) = measure(&db, runs, || scan(&db, &scan_cql, vals())).await;
    assert_eq!(r_idx, r_scan, "both reads return the same rows");
    println!(
        "design query ({} statements): hash index {} ({r_idx} rows, {e_idx} rows examined) | \
         ALLOW FILTERING scan {} ({r_scan} rows, {e_scan} rows examined)",
        plan.statements.len(),
        ms(t_idx),
        ms(t_scan)
    );

    // 2. 2 ms latency: a 14-statement plan vs one statement.
    let mut wide = None;
    for weeks in 40..200 {
        let to = week_code(week_index(2548).unwrap() + weeks).unwrap();
        let q = SaleOrder::query()
            .empresa_id(1)
            .detail_products_ids_contains(1)
            .week_between(2548, to);
        if q.explain().unwrap().statements.len() == 14 {
            wide = Some((q, to));
            break;
        }
    }
    let (q14, to) = wide.expect("a 14-statement range");
    let emu = db.emulator().unwrap();
    // Without latency first: the difference is what the injected 2 ms cost each plan.
    let (t14_0, _, _) = measure(&db, runs, || async { q14.all(&db).await.unwrap().len() }).await;
    let q1_0 = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2548);
    let (t1_0, _, _) = measure(&db, runs, || async { q1_0.all(&db).await.unwrap().len() }).await;
    emu.set_latency(Duration::from_millis(2));
    let (t14, r14, _) = measure(&db, runs, || async { q14.all(&db).await.unwrap().len() }).await;
    let q1 = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2548);
    let (t1, r1, _) = measure(&db, runs, || async { q1.all(&db).await.unwrap().len() }).await;
    let rare14 = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(RARE_PRODUCT)
        .week_between(2548, to);
    assert_eq!(rare14.explain().unwrap().statements.len(), 14);
    let rare1 = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(RARE_PRODUCT)
        .week_between(2548, 2548);
    let (tr14, rr14, _) =
        measure(&db, runs, || async { rare14.all(&db).await.unwrap().len() }).await;
    let (tr1, rr1, _) = measure(&db, runs, || async { rare1.all(&db).await.unwrap().len() }).await;
    let (t14_seq, _, _) = measure(&db, runs.min(5), || async {
        q14.clone().concurrency(1).all(&db).await.unwrap().len()
    })
    .await;
    emu.set_latency(Duration::ZERO);
    println!(
        "2 ms latency: 14-statement plan (weeks 2548..={to}) {} ({r14} rows) | sequential (concurrency 1) {} | \
         1-statement plan {} ({r1} rows)",
        ms(t14),
        ms(t14_seq),
        ms(t1)
    );
    println!(
        "   rare product, 2 ms latency: 14-statement plan {} ({rr14} rows) vs 1-statement plan {} ({rr1} rows): {:.2}x",
        ms(tr14),
        ms(tr1),
        tr14.as_secs_f64() / tr1.as_secs_f64()
    );
    println!(
        "   latency cost (2 ms vs 0 ms): 14-statement plan +{} ({} without latency), 1-statement plan +{} ({} without latency)",
        ms(t14.saturating_sub(t14_0)),
        ms(t14_0),
        ms(t1.saturating_sub(t1_0)),
        ms(t1_0)
    );

    // 3. Packed delta sync through the view vs ALLOW FILTERING: `updated > since` (no upper
    // bound: values of 10+ digits truncate onto the whole 8-digit space, so the slice spans
    // every 9-digit status-2 value too) and `updated BETWEEN since AND 999999999` (the
    // application knows its timestamps have 9 digits: a tight slice).
    let since = 990_000_000i64;
    let scan_cql = format!(
        "SELECT {} FROM {ks}.sale_order WHERE empresa_id = ? AND status = ? AND updated > ? ALLOW FILTERING",
        SaleOrder::SELECT_COLUMNS
    );
    let vals = || {
        vec![
            orm_runtime::BoundValue::new(1i32),
            orm_runtime::BoundValue::new(2i32),
            orm_runtime::BoundValue::new(since),
        ]
    };
    let (t_scan, r_scan, e_scan) = measure(&db, runs, || scan(&db, &scan_cql, vals())).await;
    println!(
        "delta sync status = 2 AND updated > {since}: ALLOW FILTERING scan {} ({r_scan} rows, {e_scan} rows examined)",
        ms(t_scan)
    );
    let queries = [
        (
            "updated > since",
            SaleOrder::query().empresa_id(1).status(2).updated_gt(since),
        ),
        (
            "updated BETWEEN since+1 AND 999999999",
            SaleOrder::query()
                .empresa_id(1)
                .status(2)
                .updated_between(since + 1, 999_999_999),
        ),
    ];
    for (what, q) in queries {
        let plan = q.explain().unwrap();
        let (t_view, r_view, e_view) =
            measure(&db, runs, || async { q.all(&db).await.unwrap().len() }).await;
        assert_eq!(r_view, r_scan, "both reads return the same rows");
        println!(
            "  view, {what} ({} {}): {} ({r_view} rows, {e_view} rows examined)",
            plan.statements.len(),
            plan.strategy.unwrap_or("-"),
            ms(t_view)
        );
    }
    db.shutdown().await;
}
