//! Typed reads through `#[packed_index(...)]` (`<Model>::query()`), for both backings: the
//! design documents' delta-sync index `{status int32, updated decimal_size = 8}` (status 2 and
//! updated 370598453 store 237059845). Equality, IN, `>`, `>=`, `<`, `<=` and `BETWEEN` return
//! exactly the brute-force rows, including rows that differ only in the truncated digit and
//! ranges that cross a digit-count boundary; a wide range on a local index is refused with
//! the two ways out, and `.allow_filtering()` then reads with one ALLOW FILTERING statement.

use orm_macros::Model;
use orm_runtime::{Error, Model as _};
use orm_tests::{TestDb, eventually, test_db};

/// Local-index backing (the default).
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "order_local")]
pub struct OrderLocal {
    #[partition_key]
    pub empresa_id: i32,
    #[clustering_key]
    pub id: i64,
    #[packed_index]
    pub status: i32,
    #[packed_index(int32, decimal_size = 8)]
    pub updated: i64,
}

/// Materialized-view backing.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "order_view")]
pub struct OrderView {
    #[partition_key]
    pub empresa_id: i32,
    #[clustering_key]
    pub id: i64,
    #[packed_index(view)]
    pub status: i32,
    #[packed_index(int32, decimal_size = 8)]
    pub updated: i64,
}

impl From<&OrderLocal> for OrderView {
    fn from(o: &OrderLocal) -> Self {
        OrderView {
            empresa_id: o.empresa_id,
            id: o.id,
            status: o.status,
            updated: o.updated,
        }
    }
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
    /// A value of a random digit count (1..=9 digits), biased towards the boundaries.
    fn updated(&mut self) -> i64 {
        let digits = self.range(1, 9) as u32;
        let lo = if digits == 1 {
            0
        } else {
            10i64.pow(digits - 1)
        };
        let hi = 10i64.pow(digits) - 1;
        match self.range(0, 3) {
            0 => lo + self.range(0, 15).min(hi - lo),
            1 => hi - self.range(0, 15).min(hi - lo),
            _ => self.range(lo, hi),
        }
    }
}

/// The rows of the design example and its neighbours: values that differ only in the truncated
/// ninth digit, and values on both sides of the 8/9-digit boundary.
fn fixture() -> Vec<OrderLocal> {
    let mut rng = Rng(0x9ac4_0001);
    let fixed = [
        (2, 370_598_453),
        (2, 370_598_450),
        (2, 370_598_459),
        (2, 370_598_460),
        (2, 370_598_449),
        (2, 99_999_999),
        (2, 99_999_990),
        (2, 100_000_000),
        (2, 100_000_009),
        (2, 100_000_010),
        (1, 370_598_453),
        (3, 370_598_453),
        (2, 0),
        (2, 9),
        (2, 10),
        (2, 999_999_999),
    ];
    let mut rows: Vec<OrderLocal> = fixed
        .iter()
        .enumerate()
        .map(|(i, (status, updated))| OrderLocal {
            empresa_id: 1,
            id: i as i64,
            status: *status,
            updated: *updated,
        })
        .collect();
    for i in 0..500 {
        rows.push(OrderLocal {
            empresa_id: if i % 10 == 0 { 2 } else { 1 },
            id: 1000 + i,
            status: rng.range(0, 4) as i32,
            updated: rng.updated(),
        });
    }
    rows
}

#[derive(Debug, Clone, Copy)]
enum Range {
    Gt(i64),
    Ge(i64),
    Lt(i64),
    Le(i64),
    Between(i64, i64),
    None,
}

impl Range {
    fn test(self, v: i64) -> bool {
        match self {
            Range::Gt(a) => v > a,
            Range::Ge(a) => v >= a,
            Range::Lt(a) => v < a,
            Range::Le(a) => v <= a,
            Range::Between(a, b) => a <= v && v <= b,
            Range::None => true,
        }
    }
}

fn brute_force(rows: &[OrderLocal], empresa: i32, statuses: &[i32], range: Range) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|o| {
            o.empresa_id == empresa && statuses.contains(&o.status) && range.test(o.updated)
        })
        .map(|o| o.id)
        .collect();
    ids.sort_unstable();
    ids
}

macro_rules! build {
    ($model:ty, $empresa:expr, $statuses:expr, $range:expr) => {{
        let statuses: &[i32] = $statuses;
        let q = <$model>::query().empresa_id($empresa);
        let q = if statuses.len() == 1 {
            q.status(statuses[0])
        } else {
            q.status_in(statuses.to_vec())
        };
        match $range {
            Range::Gt(a) => q.updated_gt(a),
            Range::Ge(a) => q.updated_ge(a),
            Range::Lt(a) => q.updated_lt(a),
            Range::Le(a) => q.updated_le(a),
            Range::Between(a, b) => q.updated_between(a, b),
            Range::None => q,
        }
    }};
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

async fn setup(name: &str) -> (TestDb, Vec<OrderLocal>) {
    orm_tests::init_tracing();
    let db = test_db(name).await;
    db.migrate::<OrderLocal>().await.expect("migrate");
    db.migrate::<OrderView>().await.expect("migrate");
    let rows = fixture();
    db.insert_many(&rows).await.expect("insert");
    let views: Vec<OrderView> = rows.iter().map(OrderView::from).collect();
    db.insert_many(&views).await.expect("insert");
    (db, rows)
}

/// Reads through the view (eventually: view updates are asynchronous on a real ScyllaDB).
async fn view_ids(db: &TestDb, q: OrderViewQuery, expected: &[i64]) -> Vec<i64> {
    eventually(|| async {
        let got = sorted(
            q.all(db)
                .await
                .expect("view query")
                .iter()
                .map(|o| o.id)
                .collect(),
        );
        (got == expected).then_some(got)
    })
    .await
}

async fn local_ids(db: &TestDb, q: OrderLocalQuery) -> orm_runtime::Result<Vec<i64>> {
    Ok(sorted(q.all(db).await?.iter().map(|o| o.id).collect()))
}

#[tokio::test]
async fn design_example_on_both_backings() {
    let (db, rows) = setup("packed_reads_design").await;
    let af_before = db.allow_filtering_statements();

    // Equality on every component: one lookup of 237059845, post-filtered (370598450..459
    // share the packed value).
    let explain = OrderLocal::query()
        .empresa_id(1)
        .status(2)
        .updated(370_598_453)
        .explain()
        .unwrap();
    assert_eq!(explain.strategy, Some("lookups"));
    assert_eq!(explain.statements.len(), 1);
    assert!(explain.post_filter);
    assert_eq!(
        explain.statements[0].bound,
        "zz_ixp_status_updated = 237059845"
    );
    let expected = brute_force(&rows, 1, &[2], Range::Between(370_598_453, 370_598_453));
    assert_eq!(expected.len(), 1);
    let q = build!(
        OrderLocal,
        1,
        &[2],
        Range::Between(370_598_453, 370_598_453)
    );
    assert_eq!(local_ids(&db, q).await.unwrap(), expected);
    let q = OrderView::query()
        .empresa_id(1)
        .status(2)
        .updated(370_598_453);
    assert_eq!(view_ids(&db, q, &expected).await, expected);

    // `updated > 370598453` through the view: clustering slices, no ALLOW FILTERING.
    let range = Range::Gt(370_598_453);
    let expected = brute_force(&rows, 1, &[2], range);
    assert!(expected.len() >= 3);
    let q = build!(OrderView, 1, &[2], range);
    let explain = q.explain().unwrap();
    assert_eq!(explain.strategy, Some("slices"), "{explain}");
    assert!(!explain.allow_filtering);
    assert!(
        explain.statements[0]
            .cql
            .contains("FROM order_view__zz_ixp_status_updated_view")
    );
    assert_eq!(view_ids(&db, q, &expected).await, expected);

    // BETWEEN across the 8/9-digit boundary, through the view.
    let range = Range::Between(99_999_990, 100_000_009);
    let expected = brute_force(&rows, 1, &[2], range);
    assert!(expected.len() >= 4);
    let q = build!(OrderView, 1, &[2], range);
    assert!(
        q.explain().unwrap().statements.len() >= 2,
        "split by digit count"
    );
    assert_eq!(view_ids(&db, q, &expected).await, expected);
    assert_eq!(db.allow_filtering_statements(), af_before);

    // The same BETWEEN through the local index: few packed values, so equality lookups.
    let q = build!(OrderLocal, 1, &[2], range);
    let explain = q.explain().unwrap();
    assert_eq!(explain.strategy, Some("lookups"), "{explain}");
    assert_eq!(local_ids(&db, q).await.unwrap(), expected);
    // A narrow BETWEEN inside one truncated value: post-filtered on the truncated digit.
    let range = Range::Between(370_598_451, 370_598_459);
    let expected = brute_force(&rows, 1, &[2], range);
    assert_eq!(expected.len(), 2);
    assert_eq!(
        local_ids(&db, build!(OrderLocal, 1, &[2], range))
            .await
            .unwrap(),
        expected
    );
    assert_eq!(db.allow_filtering_statements(), af_before);

    // `updated > 370598453` through the local index: too wide for lookups, refused...
    let range = Range::Gt(370_598_453);
    let err = local_ids(&db, build!(OrderLocal, 1, &[2], range))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RequiresFiltering { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("view") && msg.contains(".allow_filtering()"),
        "{msg}"
    );
    // ... and served by one single-partition ALLOW FILTERING read when asked.
    let q = build!(OrderLocal, 1, &[2], range).allow_filtering();
    let explain = q.explain().unwrap();
    assert_eq!(explain.strategy, Some("allow filtering scan"));
    assert_eq!(explain.statements.len(), 1);
    assert_eq!(
        local_ids(&db, q).await.unwrap(),
        brute_force(&rows, 1, &[2], range)
    );
    if let Some(af) = af_before {
        assert_eq!(db.allow_filtering_statements(), Some(af + 1));
    }
    let _ = OrderLocal::META;
    db.shutdown().await;
}

#[tokio::test]
async fn randomized_queries_match_brute_force_on_both_backings() {
    let (db, rows) = setup("packed_reads_random").await;
    let mut rng = Rng(0x9ac4_0002);
    let mut filtered = 0;
    for case in 0..60 {
        let empresa = if case % 6 == 0 { 2 } else { 1 };
        let statuses: Vec<i32> = (0..rng.range(1, 2))
            .map(|_| rng.range(0, 4) as i32)
            .collect();
        let a = rng.updated();
        let range = match rng.range(0, 6) {
            0 => Range::Gt(a),
            1 => Range::Ge(a),
            2 => Range::Lt(a),
            3 => Range::Le(a),
            4 => Range::Between(a, a + rng.range(0, 30)),
            5 => {
                let width = 10i64.pow(rng.range(1, 9) as u32);
                Range::Between(a, a + rng.range(0, width))
            }
            _ => Range::None,
        };
        let expected = brute_force(&rows, empresa, &statuses, range);
        let ctx = format!("case {case}: empresa {empresa} status {statuses:?} {range:?}");

        let q = build!(OrderView, empresa, &statuses, range);
        let explain = q.explain().unwrap();
        assert!(!explain.allow_filtering, "{ctx}\n{explain}");
        assert_eq!(view_ids(&db, q, &expected).await, expected, "{ctx}");

        let q = build!(OrderLocal, empresa, &statuses, range);
        match local_ids(&db, q.clone()).await {
            Ok(got) => assert_eq!(got, expected, "{ctx}"),
            Err(Error::RequiresFiltering { .. }) => {
                filtered += 1;
                let got = local_ids(&db, q.allow_filtering()).await.expect(&ctx);
                assert_eq!(got, expected, "{ctx} (allow_filtering)");
            }
            Err(e) => panic!("{ctx}: {e}"),
        }
    }
    assert!(
        filtered > 0 && filtered < 60,
        "both local strategies exercised: {filtered}"
    );
    db.shutdown().await;
}

#[tokio::test]
async fn unserved_predicates_are_refused() {
    orm_tests::init_tracing();
    // A range on `updated` without the status prefix.
    let err = OrderView::query()
        .empresa_id(1)
        .updated_gt(5)
        .explain()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidQuery { .. }), "{err}");
    assert!(err.to_string().contains("status"), "{err}");
}

/// One failing lookup of a multi-lookup packed read fails the whole read, naming it.
#[tokio::test]
async fn a_failing_lookup_fails_the_whole_read() {
    let (db, rows) = setup("packed_reads_failure").await;
    let Some(emu) = db.emulator() else {
        return db.shutdown().await;
    };
    let q = OrderLocal::query()
        .empresa_id(1)
        .status_in([1, 2, 3])
        .updated(370_598_453);
    assert_eq!(q.explain().unwrap().statements.len(), 3);
    let expected = brute_force(
        &rows,
        1,
        &[1, 2, 3],
        Range::Between(370_598_453, 370_598_453),
    );
    assert_eq!(local_ids(&db, q.clone()).await.unwrap(), expected);
    emu.fail_next(
        1,
        ".order_local WHERE empresa_id = ? AND zz_ixp_status_updated = ?",
        scylla_emulator::FaultError::ReadTimeout,
    );
    let err = local_ids(&db, q.clone()).await.unwrap_err();
    match &err {
        Error::IndexRead {
            cql,
            bound,
            statements,
            ..
        } => {
            assert!(cql.contains("zz_ixp_status_updated = ?"), "{cql}");
            assert!(bound.starts_with("zz_ixp_status_updated = "), "{bound}");
            assert_eq!(*statements, 3);
        }
        other => panic!("expected IndexRead, got {other:?}"),
    }
    assert_eq!(local_ids(&db, q).await.unwrap(), expected);
    db.shutdown().await;
}
