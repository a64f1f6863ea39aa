//! The ORM against hand-written raw-driver code doing the same work, side by side in one run.
//!
//! Three operations, each done by the ORM and by raw `scylla` driver code with the same
//! statement text (asserted at start-up), the same concurrency, the same page size and the
//! same deserialization into the same struct (the derive implements the driver's
//! `SerializeRow` and `DeserializeRow`, so the raw code binds and reads the model type):
//!
//! - insert 10k rows: `Db::insert_many` (64 in flight) vs a prepared `INSERT` driven by
//!   `buffer_unordered(64)`;
//! - fetch the 10k rows of one partition: `find_by_partition(..).page_size(1000).all()` vs
//!   `execute_iter` + `rows_stream::<T>()` with page size 1000;
//! - 10k gets by primary key: `Model::get` vs a prepared `SELECT ... WHERE p = ? AND c = ?`,
//!   both with 64 in flight.
//!
//! Rounds alternate the order (ORM first, then raw first, ...); the bench prints every round,
//! then the median per side and the ratio ORM / raw of the medians.
//!
//! Run: `cargo bench -p orm-tests --bench orm_vs_raw` (embedded emulator; set `SCYLLA_URI` for
//! a real ScyllaDB; `ORM_BENCH_ROUNDS` overrides the number of measured rounds, default 9).

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use orm_macros::Model;
use orm_runtime::scylla::client::session::Session;
use orm_runtime::scylla::statement::prepared::PreparedStatement;
use orm_runtime::{Db, Model as _};

const ROWS: i64 = 10_000;
const CONCURRENCY: usize = 64;
const PAGE_SIZE: i32 = 1_000;
/// The partition read by the fetch and get benchmarks (loaded once, before the rounds).
const READ_PARTITION: i32 = 1;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "bench_rows")]
struct BenchRow {
    #[partition_key]
    p: i32,
    #[clustering_key]
    c: i64,
    name: String,
    qty: i64,
    note: Option<String>,
}

fn row(p: i32, c: i64) -> BenchRow {
    BenchRow {
        p,
        c,
        name: format!("item-{c}"),
        qty: c * 3,
        note: (c % 2 == 0).then(|| format!("note {c}")),
    }
}

/// The raw side: the same session (same connections), statements prepared once up front.
struct Raw {
    session: std::sync::Arc<Session>,
    insert: PreparedStatement,
    partition: PreparedStatement,
    get: PreparedStatement,
}

impl Raw {
    async fn new(db: &Db) -> Raw {
        let ks = db.keyspace();
        let insert_cql =
            format!("INSERT INTO {ks}.bench_rows (p, c, name, qty, note) VALUES (?, ?, ?, ?, ?)");
        let partition_cql =
            format!("SELECT p, c, name, qty, note FROM {ks}.bench_rows WHERE p = ?");
        let get_cql =
            format!("SELECT p, c, name, qty, note FROM {ks}.bench_rows WHERE p = ? AND c = ?");
        // Same statements as the ORM.
        assert_eq!(
            insert_cql,
            orm_runtime::cql::insert(Some(ks), BenchRow::META)
        );
        assert_eq!(
            partition_cql,
            BenchRow::find_by_partition(READ_PARTITION)
                .cql(Some(ks))
                .unwrap()
        );
        assert_eq!(
            get_cql,
            orm_runtime::cql::select_by_pk(Some(ks), BenchRow::META)
        );
        let session = db.session().clone();
        let insert = session.prepare(insert_cql).await.unwrap();
        let mut partition = session.prepare(partition_cql).await.unwrap();
        partition.set_page_size(PAGE_SIZE);
        let get = session.prepare(get_cql).await.unwrap();
        Raw {
            session,
            insert,
            partition,
            get,
        }
    }

    async fn insert_many(&self, rows: &[BenchRow]) -> usize {
        let mut done = futures::stream::iter(rows.iter().map(|r| {
            let session = &self.session;
            let insert = &self.insert;
            async move { session.execute_unpaged(insert, r).await.map(|_| ()) }
        }))
        .buffer_unordered(CONCURRENCY);
        let mut n = 0;
        while let Some(r) = done.next().await {
            r.unwrap();
            n += 1;
        }
        n
    }

    async fn fetch_partition(&self, p: i32) -> Vec<BenchRow> {
        self.session
            .execute_iter(self.partition.clone(), (p,))
            .await
            .unwrap()
            .rows_stream::<BenchRow>()
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    }

    async fn gets(&self, p: i32) -> usize {
        let mut done = futures::stream::iter((0..ROWS).map(|c| {
            let session = &self.session;
            let get = &self.get;
            async move {
                session
                    .execute_unpaged(get, (p, c))
                    .await
                    .unwrap()
                    .into_rows_result()
                    .unwrap()
                    .maybe_first_row::<BenchRow>()
                    .unwrap()
            }
        }))
        .buffer_unordered(CONCURRENCY);
        let mut n = 0;
        while let Some(r) = done.next().await {
            n += usize::from(r.is_some());
        }
        n
    }
}

async fn orm_insert_many(db: &Db, rows: &[BenchRow]) -> usize {
    db.insert_many(rows).await.unwrap()
}

async fn orm_fetch_partition(db: &Db, p: i32) -> Vec<BenchRow> {
    BenchRow::find_by_partition(p)
        .page_size(PAGE_SIZE)
        .all(db)
        .await
        .unwrap()
}

async fn orm_gets(db: &Db, p: i32) -> usize {
    let mut done = futures::stream::iter((0..ROWS).map(|c| BenchRow::get(db, p, c)))
        .buffer_unordered(CONCURRENCY);
    let mut n = 0;
    while let Some(r) = done.next().await {
        n += usize::from(r.unwrap().is_some());
    }
    n
}

#[derive(Default)]
struct Samples {
    orm: Vec<Duration>,
    raw: Vec<Duration>,
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("ORM_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let db = orm_tests::test_db("orm_vs_raw").await;
    db.migrate::<BenchRow>().await.unwrap();
    let raw = Raw::new(&db).await;
    let target = if db.on_emulator() {
        "embedded emulator"
    } else {
        "SCYLLA_URI"
    };
    println!(
        "orm_vs_raw: {ROWS} rows per operation, concurrency {CONCURRENCY}, page size {PAGE_SIZE}, {rounds} rounds (+1 warm-up), against the {target}"
    );

    // The partition the reads use.
    let read_rows: Vec<BenchRow> = (0..ROWS).map(|c| row(READ_PARTITION, c)).collect();
    assert_eq!(db.insert_many(&read_rows).await.unwrap(), ROWS as usize);

    // Profiling aid: `ORM_BENCH_PROFILE=orm` (or `raw`) runs only that side's gets, for
    // `perf record` (not part of the comparison).
    if let Ok(side) = std::env::var("ORM_BENCH_PROFILE") {
        let start = Instant::now();
        for _ in 0..rounds {
            let n = if side == "orm" {
                orm_gets(&db, READ_PARTITION).await
            } else {
                raw.gets(READ_PARTITION).await
            };
            assert_eq!(n, ROWS as usize);
        }
        println!(
            "{side}: {rounds} × {ROWS} gets in {:.1} ms",
            ms(start.elapsed())
        );
        db.shutdown().await;
        return;
    }

    let mut insert = Samples::default();
    let mut fetch = Samples::default();
    let mut get = Samples::default();
    // Round 0 is a warm-up (prepared caches, connection buffers, allocator), not recorded.
    for round in 0..=rounds {
        let orm_first = round % 2 == 0;
        // Fresh partitions for the inserts of each side and round: no side overwrites rows.
        let orm_part = 1_000 + 2 * round as i32;
        let raw_part = orm_part + 1;
        let orm_rows: Vec<BenchRow> = (0..ROWS).map(|c| row(orm_part, c)).collect();
        let raw_rows: Vec<BenchRow> = (0..ROWS).map(|c| row(raw_part, c)).collect();

        let mut t = [[Duration::ZERO; 2]; 3];
        for side in 0..2 {
            let is_orm = (side == 0) == orm_first;
            let i = usize::from(!is_orm);
            let start = Instant::now();
            let n = if is_orm {
                orm_insert_many(&db, &orm_rows).await
            } else {
                raw.insert_many(&raw_rows).await
            };
            t[0][i] = start.elapsed();
            assert_eq!(n, ROWS as usize);
        }
        for side in 0..2 {
            let is_orm = (side == 0) == orm_first;
            let i = usize::from(!is_orm);
            let start = Instant::now();
            let rows = if is_orm {
                orm_fetch_partition(&db, READ_PARTITION).await
            } else {
                raw.fetch_partition(READ_PARTITION).await
            };
            t[1][i] = start.elapsed();
            assert_eq!(rows.len(), ROWS as usize);
            assert_eq!(rows[17], read_rows[17]);
        }
        for side in 0..2 {
            let is_orm = (side == 0) == orm_first;
            let i = usize::from(!is_orm);
            let start = Instant::now();
            let n = if is_orm {
                orm_gets(&db, READ_PARTITION).await
            } else {
                raw.gets(READ_PARTITION).await
            };
            t[2][i] = start.elapsed();
            assert_eq!(n, ROWS as usize);
        }
        println!(
            "round {round}{}: insert orm {:.1} ms raw {:.1} ms | partition orm {:.1} ms raw {:.1} ms | get orm {:.1} ms raw {:.1} ms",
            if round == 0 { " (warm-up)" } else { "" },
            ms(t[0][0]),
            ms(t[0][1]),
            ms(t[1][0]),
            ms(t[1][1]),
            ms(t[2][0]),
            ms(t[2][1]),
        );
        if round > 0 {
            for (s, ts) in [&mut insert, &mut fetch, &mut get].into_iter().zip(t) {
                s.orm.push(ts[0]);
                s.raw.push(ts[1]);
            }
        }
    }

    println!();
    println!(
        "| operation | ORM (median) | raw driver (median) | ORM / raw (medians) | ORM / raw (median of per-round ratios) | rounds ORM slower |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (name, s) in [
        ("insert 10k rows (`insert_many`)", &insert),
        ("fetch 10k rows of one partition", &fetch),
        ("10k gets by primary key", &get),
    ] {
        let (o, r) = (median(&s.orm), median(&s.raw));
        let mut ratios: Vec<f64> = s
            .orm
            .iter()
            .zip(&s.raw)
            .map(|(o, r)| o.as_secs_f64() / r.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let n = ratios.len();
        let mid = if n % 2 == 1 {
            ratios[n / 2]
        } else {
            (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0
        };
        let slower = ratios.iter().filter(|x| **x > 1.0).count();
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.3} | {mid:.3} | {slower} of {n} |",
            ms(o),
            ms(r),
            o.as_secs_f64() / r.as_secs_f64()
        );
    }
    db.shutdown().await;
}
