//! Typed reads through `#[hash_index(bucketing(...))]` (`<Model>::query()`): the design
//! documents' query uses the spec's 4-statement plan, results equal a brute-force filter over
//! every inserted row (fixed, randomized, IN on a scalar source, forged hash collisions), no
//! statement carries ALLOW FILTERING, and one failing bucket statement fails the whole read.

use std::collections::BTreeSet;

use orm_macros::Model;
use orm_runtime::Error;
use orm_runtime::bucketing::{Bucket, week_code, week_index};
use orm_tests::{TestDb, eventually, test_db};
use scylla_emulator::FaultError;

/// The design documents' `sale_order`: products × week, buckets of 1, 4 and 5 weeks.
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
    pub status: i32,
}

/// A scalar (IN-able) source, a set source and a raw bucketed column.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Shipment {
    #[partition_key]
    pub tenant: i32,
    #[clustering_key]
    pub id: i64,
    #[hash_index]
    pub region: i32,
    #[hash_index]
    pub tags: BTreeSet<i32>,
    #[hash_index(bucketing(1, 7, 30))]
    pub day: i64,
}

/// SplitMix64: a seeded generator, so every run checks the same cases.
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

fn week_indexes() -> (i64, i64) {
    // Three years of valid week codes: 2024-W01 ..= 2026-W53 (2026 has 53 ISO weeks).
    (week_index(2401).unwrap(), week_index(2653).unwrap())
}

fn random_orders(rng: &mut Rng, n: usize, first_id: i64) -> Vec<SaleOrder> {
    let (lo, hi) = week_indexes();
    (0..n)
        .map(|i| {
            let products = (0..rng.range(0, 4)).map(|_| rng.range(1, 12)).collect();
            SaleOrder {
                empresa_id: if rng.range(0, 9) == 0 { 2 } else { 1 },
                id: first_id + i as i64,
                detail_products_ids: products,
                week: week_code(rng.range(lo, hi)).unwrap(),
                status: rng.range(0, 3) as i32,
            }
        })
        .collect()
}

fn brute_force(rows: &[SaleOrder], empresa: i32, product: i64, from: i32, to: i32) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|o| {
            o.empresa_id == empresa
                && o.detail_products_ids.contains(&product)
                && from <= o.week
                && o.week <= to
        })
        .map(|o| o.id)
        .collect();
    ids.sort_unstable();
    ids
}

fn ids<M: orm_runtime::Model>(rows: &[M], id: impl Fn(&M) -> i64) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.iter().map(id).collect();
    ids.sort_unstable();
    ids
}

/// Retries `read` until it returns `expected` (up to ~10 s), then returns its last result: on a
/// real ScyllaDB global-index updates are asynchronous, so a read right after the writes may
/// miss rows. On the emulator the first read is final.
async fn settled<F, Fut>(expected: &[i64], mut read: F) -> Vec<i64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<i64>>,
{
    for _ in 0..50 {
        let got = read().await;
        if got == expected {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    read().await
}

async fn setup(name: &str) -> TestDb {
    orm_tests::init_tracing();
    let db = test_db(name).await;
    db.migrate::<SaleOrder>().await.expect("migrate");
    db
}

/// The design query: company 1, product 1, weeks 2548..=2614.
fn design_query() -> SaleOrderQuery {
    SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2614)
}

#[tokio::test]
async fn design_query_uses_the_spec_plan_and_matches_brute_force() {
    let db = setup("hash_reads_design").await;
    let mut rng = Rng(0x5eed_0001);
    let mut rows = random_orders(&mut rng, 400, 1);
    // Rows at the edges: first and last week of the range, just outside, another product,
    // another company, product 1 listed twice.
    let edge = |id, empresa_id, products: Vec<i64>, week| SaleOrder {
        empresa_id,
        id,
        detail_products_ids: products,
        week,
        status: 0,
    };
    rows.extend([
        edge(10_001, 1, vec![1], 2548),
        edge(10_002, 1, vec![1], 2614),
        edge(10_003, 1, vec![1], 2547),
        edge(10_004, 1, vec![1], 2615),
        edge(10_005, 1, vec![2, 3], 2601),
        edge(10_006, 2, vec![1], 2601),
        edge(10_007, 1, vec![1, 1, 5], 2552),
        edge(10_008, 1, vec![], 2601),
    ]);
    db.insert_many(&rows).await.expect("insert");

    let explain = design_query().explain().expect("explain");
    assert_eq!(explain.kind, "hash");
    assert_eq!(
        explain.buckets,
        [
            Bucket::new(4, 729),
            Bucket::new(5, 584),
            Bucket::new(5, 585),
            Bucket::new(5, 586)
        ]
    );
    assert_eq!(explain.statements.len(), 4, "{explain}");
    assert!(!explain.allow_filtering);
    let text = explain.to_string();
    assert!(
        text.contains("WHERE empresa_id = ? AND zz_hb_detail_products_ids_week_b4 CONTAINS ?"),
        "{text}"
    );
    assert!(text.contains("hash -380567827"), "{text}");

    let before = db.emulator().map(|e| e.stats());
    let expected = brute_force(&rows, 1, 1, 2548, 2614);
    assert!(expected.len() > 10, "the fixture must exercise the query");
    assert!(expected.contains(&10_001) && expected.contains(&10_002));
    let got = eventually(|| async {
        let got = ids(&design_query().all(&db).await.expect("query"), |o| o.id);
        (got == expected).then_some(got)
    })
    .await;
    assert_eq!(got, expected);
    if let (Some(before), Some(e)) = (before, db.emulator()) {
        let after = e.stats();
        assert_eq!(
            after.allow_filtering_statements, before.allow_filtering_statements,
            "no statement may carry ALLOW FILTERING"
        );
        assert!(after.index_entries_read > before.index_entries_read);
    }
    db.shutdown().await;
}

#[tokio::test]
async fn randomized_queries_match_brute_force() {
    let db = setup("hash_reads_random").await;
    let mut rng = Rng(0x5eed_0002);
    let rows = random_orders(&mut rng, 1500, 1);
    db.insert_many(&rows).await.expect("insert");
    let (lo, hi) = week_indexes();
    let before = db.allow_filtering_statements();
    for case in 0..40 {
        let a = rng.range(lo, hi);
        let b = (a + rng.range(0, 60)).min(hi);
        let (from, to) = (week_code(a).unwrap(), week_code(b).unwrap());
        let product = rng.range(1, 12);
        let empresa = if case % 5 == 0 { 2 } else { 1 };
        let q = SaleOrder::query()
            .empresa_id(empresa)
            .detail_products_ids_contains(product)
            .week_between(from, to);
        let expected = brute_force(&rows, empresa, product, from, to);
        let got = settled(&expected, || async {
            ids(&q.all(&db).await.expect("query"), |o| o.id)
        })
        .await;
        assert_eq!(
            got,
            expected,
            "case {case}: empresa {empresa} product {product} weeks {from}..={to}\n{}",
            q.explain().unwrap()
        );
        // The same range with the other bound forms.
        let q2 = SaleOrder::query()
            .empresa_id(empresa)
            .detail_products_ids_contains(product)
            .week_gt(from)
            .week_le(to);
        let mut expected2 = expected.clone();
        expected2.retain(|id| rows.iter().any(|o| o.id == *id && o.week != from));
        let got2 = settled(&expected2, || async {
            ids(&q2.all(&db).await.expect("query"), |o| o.id)
        })
        .await;
        assert_eq!(got2, expected2);
    }
    assert_eq!(db.allow_filtering_statements(), before);
    db.shutdown().await;
}

#[tokio::test]
async fn in_on_a_scalar_source_and_raw_buckets() {
    orm_tests::init_tracing();
    let db = test_db("hash_reads_in").await;
    db.migrate::<Shipment>().await.expect("migrate");
    let mut rng = Rng(0x5eed_0003);
    let rows: Vec<Shipment> = (0..600)
        .map(|i| Shipment {
            tenant: 7,
            id: i,
            region: rng.range(1, 5) as i32,
            tags: (0..rng.range(0, 3))
                .map(|_| rng.range(1, 6) as i32)
                .collect(),
            day: rng.range(0, 400),
        })
        .collect();
    db.insert_many(&rows).await.expect("insert");
    for _ in 0..15 {
        let regions: Vec<i32> = (0..rng.range(1, 3))
            .map(|_| rng.range(1, 5) as i32)
            .collect();
        let tag = rng.range(1, 6) as i32;
        let from = rng.range(0, 400);
        let to = from + rng.range(0, 120);
        let q = Shipment::query()
            .tenant(7)
            .region_in(regions.clone())
            .tags_contains(tag)
            .day_between(from, to);
        let explain = q.explain().expect("explain");
        let distinct: BTreeSet<i32> = regions.iter().copied().collect();
        assert_eq!(
            explain.statements.len(),
            explain.buckets.len() * distinct.len(),
            "{explain}"
        );
        let mut expected: Vec<i64> = rows
            .iter()
            .filter(|s| {
                regions.contains(&s.region) && s.tags.contains(&tag) && from <= s.day && s.day <= to
            })
            .map(|s| s.id)
            .collect();
        expected.sort_unstable();
        let got = settled(&expected, || async {
            ids(&q.all(&db).await.expect("query"), |s| s.id)
        })
        .await;
        assert_eq!(got, expected);
    }
    db.shutdown().await;
}

/// Rows whose hidden sets are forged through the raw driver to contain every hash the design
/// query reads, but whose sources do not match: the exact post-filter must drop them.
#[tokio::test]
async fn forged_hash_collisions_are_filtered_out() {
    let db = setup("hash_reads_collisions").await;
    let genuine = SaleOrder {
        empresa_id: 1,
        id: 1,
        detail_products_ids: vec![1],
        week: 2601,
        status: 0,
    };
    genuine.insert(&db).await.expect("insert");
    let plan = design_query().explain().expect("explain");
    let hashes = |size: u32| -> BTreeSet<i32> {
        plan.statements
            .iter()
            .filter(|s| s.cql.contains(&format!("_b{size} CONTAINS")))
            .map(|s| {
                let h = s.bound.split_whitespace().nth(1).unwrap();
                h.parse().unwrap()
            })
            .collect()
    };
    let (b4, b5) = (hashes(4), hashes(5));
    assert_eq!((b4.len(), b5.len()), (1, 3));
    let cql = format!(
        "INSERT INTO {}.sale_order (empresa_id, id, detail_products_ids, week, status, \
         zz_hb_detail_products_ids_week_b4, zz_hb_detail_products_ids_week_b5) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        db.keyspace()
    );
    // Wrong product, in range; right product, out of range; invalid week code.
    for (id, products, week) in [
        (2i64, vec![9i64], 2601i32),
        (3, vec![1], 2530),
        (4, vec![1], 2599),
    ] {
        db.session()
            .query_unpaged(
                cql.clone(),
                (1i32, id, products, week, 0i32, b4.clone(), b5.clone()),
            )
            .await
            .expect("forged insert");
    }
    let before = db.emulator().map(|e| e.stats().rows_returned);
    // 2599 is not a valid week code (2025 has no week 99): dropped like the others.
    assert!(week_index(2599).is_err());
    let got = eventually(|| async {
        let got = ids(&design_query().all(&db).await.expect("query"), |o| o.id);
        (got == [1]).then_some(got)
    })
    .await;
    assert_eq!(got, [1]);
    if let (Some(before), Some(e)) = (before, db.emulator()) {
        // The forged rows were fetched (by their forged hashes), then dropped.
        assert!(e.stats().rows_returned - before >= 3);
    }
    db.shutdown().await;
}

#[tokio::test]
async fn a_failing_bucket_statement_fails_the_whole_read() {
    let db = setup("hash_reads_failure").await;
    let Some(emu) = db.emulator() else {
        return db.shutdown().await;
    };
    let rows = random_orders(&mut Rng(0x5eed_0004), 200, 1);
    db.insert_many(&rows).await.expect("insert");
    // Warm the prepared statements, then fail the only b4 statement of the plan.
    design_query().all(&db).await.expect("query");
    emu.fail_next(
        1,
        "zz_hb_detail_products_ids_week_b4 CONTAINS",
        FaultError::ServerError("bucket on fire".into()),
    );
    let err = design_query().all(&db).await.expect_err("must fail");
    match &err {
        Error::IndexRead {
            cql,
            bound,
            statements,
            ..
        } => {
            assert!(
                cql.contains("zz_hb_detail_products_ids_week_b4 CONTAINS ?"),
                "{cql}"
            );
            assert!(bound.contains("-380567827"), "{bound}");
            assert_eq!(*statements, 4);
        }
        other => panic!("expected IndexRead, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("b4 CONTAINS ?") && msg.contains("bucket on fire"),
        "{msg}"
    );
    // The fault is consumed: the next read succeeds and is complete.
    let got = ids(&design_query().all(&db).await.expect("query"), |o| o.id);
    assert_eq!(got, brute_force(&rows, 1, 1, 2548, 2614));
    db.shutdown().await;
}

#[tokio::test]
async fn unserved_predicates_are_refused_before_sending() {
    let db = setup("hash_reads_refused").await;
    // No product: the hash index needs every source.
    let err = SaleOrder::query()
        .empresa_id(1)
        .week_between(2548, 2614)
        .explain()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err}");
    assert!(err.to_string().contains("detail_products_ids"), "{err}");
    // No partition key.
    let err = SaleOrder::query()
        .detail_products_ids_contains(1)
        .week_between(2548, 2614)
        .all(&db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("empresa_id"), "{err}");
    // An empty range matches nothing and sends nothing.
    let rows = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2614, 2548)
        .all(&db)
        .await
        .expect("empty");
    assert!(rows.is_empty());
    // A predicate no declaration serves (only reachable through the untyped builder: the
    // generated one has no method for it): the error names the predicate and the declarations.
    let err = orm_runtime::IndexQuery::<SaleOrder>::new()
        .partition("empresa_id", orm_runtime::BoundValue::new(1i32), None)
        .and("status", orm_runtime::IndexPredicate::Eq(1))
        .explain()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("`status = 1`")
            && msg.contains("#[hash_index] `detail_products_ids_week`")
            && msg.contains("range on `week`"),
        "{msg}"
    );
    db.shutdown().await;
}

/// A writer collecting formatted `tracing` output.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Design 001 §8: the read path logs the detected pattern, the selected buckets, the
/// statements (count and CQL) and the rows fetched before / after de-duplication and after
/// the exact filter.
#[tokio::test(flavor = "current_thread")]
async fn read_path_debug_events() {
    let db = setup("hash_reads_tracing").await;
    let rows = random_orders(&mut Rng(0x5eed_0005), 100, 1);
    db.insert_many(&rows).await.expect("insert");
    // Wait for the indexes (asynchronous on a real ScyllaDB) before capturing.
    let expected = brute_force(&rows, 1, 1, 2548, 2614);
    settled(&expected, || async {
        ids(&design_query().all(&db).await.expect("query"), |o| o.id)
    })
    .await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let got = {
        let _guard = tracing::subscriber::set_default(subscriber);
        design_query().all(&db).await.expect("query")
    };
    assert_eq!(ids(&got, |o| o.id), expected);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for needle in [
        "index query: detected pattern",
        "detail_products_ids CONTAINS 1 AND week BETWEEN 2548 AND 2614",
        "index query: selected buckets",
        "Bucket { size: 4, id: 729 }",
        "index query: generated statements",
        "statements=4",
        "zz_hb_detail_products_ids_week_b4 CONTAINS ?",
        "index query: rows",
        "after_dedupe=",
        "after_filter=",
    ] {
        assert!(log.contains(needle), "missing `{needle}` in:\n{log}");
    }
    db.shutdown().await;
}

/// A partition-key column that is also a hash source: `site(v)` restricts the partition and
/// is hashed into every statement.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Visit {
    #[partition_key]
    #[hash_index]
    pub site: i32,
    #[clustering_key]
    pub seq: i64,
    #[hash_index]
    pub tags: BTreeSet<i32>,
    #[hash_index(bucketing(1, 7))]
    pub day: i64,
}

#[tokio::test]
async fn partition_key_as_a_hash_source() {
    orm_tests::init_tracing();
    let db = test_db("hash_reads_pk_source").await;
    db.migrate::<Visit>().await.expect("migrate");
    let mut rng = Rng(0x5eed_0006);
    let rows: Vec<Visit> = (0..400)
        .map(|i| Visit {
            site: rng.range(1, 3) as i32,
            seq: i,
            tags: (0..rng.range(1, 3))
                .map(|_| rng.range(1, 4) as i32)
                .collect(),
            day: rng.range(0, 100),
        })
        .collect();
    db.insert_many(&rows).await.expect("insert");
    for _ in 0..10 {
        let (site, tag) = (rng.range(1, 3) as i32, rng.range(1, 4) as i32);
        let from = rng.range(0, 100);
        let to = from + rng.range(0, 40);
        let q = Visit::query()
            .site(site)
            .tags_contains(tag)
            .day_between(from, to);
        let mut expected: Vec<i64> = rows
            .iter()
            .filter(|v| v.site == site && v.tags.contains(&tag) && from <= v.day && v.day <= to)
            .map(|v| v.seq)
            .collect();
        expected.sort_unstable();
        let got = settled(&expected, || async {
            ids(&q.all(&db).await.expect("query"), |v| v.seq)
        })
        .await;
        assert_eq!(got, expected);
    }
    db.shutdown().await;
}

/// The statements of one read run concurrently, at most `.concurrency(n)` at once.
#[tokio::test]
async fn statements_run_concurrently_under_the_bound() {
    let db = setup("hash_reads_concurrency").await;
    let Some(emu) = db.emulator() else {
        return db.shutdown().await;
    };
    let rows = random_orders(&mut Rng(0x5eed_0007), 300, 1);
    db.insert_many(&rows).await.expect("insert");
    // 2548..=2707 needs 14 statements.
    let q = SaleOrder::query()
        .empresa_id(1)
        .detail_products_ids_contains(1)
        .week_between(2548, 2707);
    assert_eq!(q.explain().unwrap().statements.len(), 14);
    let expected = brute_force(&rows, 1, 1, 2548, 2707);
    assert_eq!(ids(&q.all(&db).await.unwrap(), |o| o.id), expected); // prepares
    emu.set_latency(std::time::Duration::from_millis(20));
    for (bound, lo, hi) in [(3, 2, 3), (32, 8, 14)] {
        db.reset_peak_in_flight();
        let got = q.clone().concurrency(bound).all(&db).await.unwrap();
        let peak = db.stats().peak_in_flight;
        assert!(
            (lo..=hi).contains(&peak),
            "concurrency {bound}: peak {peak} in flight"
        );
        assert_eq!(ids(&got, |o| o.id), expected);
    }
    emu.set_latency(std::time::Duration::ZERO);
    db.shutdown().await;
}
