//! `#[hash_index(bucketing(...))]`: schema (hidden `set<int>` columns, global indexes on their
//! values, the 48-character name rule), insert and update of the hidden hashes, refusals, and
//! migration onto an existing table. Hidden values are read back with the raw driver and
//! compared with values computed here from the spec (`shared/specs/index-math.md` §1–§2),
//! independently of the runtime.

use std::collections::BTreeSet;

use orm_macros::Model;
use orm_runtime::bucketing::{HashSource, week_index};
use orm_runtime::schema::names::schema_object_name;
use orm_runtime::{Error, IndexScope, IndexTarget, Model as _};
use orm_tests::{TestDb, eventually, test_db};

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
    pub note: Option<String>,
}

/// Two hash indexes (named groups), a set source, three sources, a key column source and a
/// raw (not week-code) bucketed column.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Visit {
    #[partition_key]
    #[hash_index(name = "by_site_tag_day")]
    pub site: i32,
    #[clustering_key]
    pub seq: i64,
    #[hash_index(name = "by_site_tag_day")]
    #[hash_index(name = "by_tag_day")]
    pub tags: std::collections::BTreeSet<i32>,
    #[hash_index(
        name = "by_site_tag_day",
        bucketing(1, 7),
        max_waste = 3,
        max_statements = 16
    )]
    #[hash_index(name = "by_tag_day", bucketing(10))]
    pub day: i64,
}

const B1: &str = "zz_hb_detail_products_ids_week_b1";
const B4: &str = "zz_hb_detail_products_ids_week_b4";
const B5: &str = "zz_hb_detail_products_ids_week_b5";

/// FNV-1a 32 over (8 bytes LE + 0x00) per value: spec §1, written out again here.
fn spec_hash(values: &[i64]) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for v in values {
        for b in v.to_le_bytes().into_iter().chain([0u8]) {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h as i32
}

/// The expected hidden set of one bucket size for products × week index.
fn expected(products: &[i64], week_index: i64, size: i64) -> BTreeSet<i32> {
    products
        .iter()
        .map(|p| spec_hash(&[*p, week_index.div_euclid(size)]))
        .collect()
}

fn order(empresa_id: i32, id: i64, products: Vec<i64>, week: i32) -> SaleOrder {
    SaleOrder {
        empresa_id,
        id,
        detail_products_ids: products,
        week,
        status: 1,
        note: None,
    }
}

type Hidden = (
    Option<BTreeSet<i32>>,
    Option<BTreeSet<i32>>,
    Option<BTreeSet<i32>>,
);

/// The three hidden columns of one row, read with the raw driver (`None`: null).
async fn hidden(db: &TestDb, empresa_id: i32, id: i64) -> Option<Hidden> {
    let cql = format!(
        "SELECT {B1}, {B4}, {B5} FROM {}.sale_order WHERE empresa_id = ? AND id = ?",
        db.keyspace()
    );
    let rows = db
        .session()
        .query_unpaged(cql, (empresa_id, id))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    rows.maybe_first_row::<Hidden>().unwrap()
}

async fn setup(name: &str) -> TestDb {
    orm_tests::init_tracing();
    let db = test_db(name).await;
    db.migrate::<SaleOrder>().await.expect("migrate");
    db
}

#[test]
fn spec_vectors_of_the_test_math() {
    assert_eq!(spec_hash(&[1, 729]), -380_567_827);
    assert_eq!(spec_hash(&[1, 2916]), -1_523_402_221);
    assert_eq!(spec_hash(&[10, 20, 30]), 68_478_927);
    assert_eq!(week_index(2548), Ok(2916));
}

#[test]
fn metadata() {
    let meta = SaleOrder::META;
    let names: Vec<&str> = meta.hidden_columns.iter().map(|h| h.name).collect();
    assert_eq!(names, [B1, B4, B5]);
    for (h, size) in meta.hidden_columns.iter().zip([1, 4, 5]) {
        assert_eq!(h.cql_type, "set<int>");
        assert_eq!(h.sources, ["detail_products_ids", "week"]);
        let index = h.index.expect("global index");
        assert_eq!(index.scope, IndexScope::Global);
        assert_eq!(index.target, IndexTarget::Values);
        // The spec name is 53 characters: shortened by the documented rule.
        let spec = format!("sale_order__{}_index_0", h.name);
        assert_eq!(spec.len(), 53);
        assert_eq!(index.name, schema_object_name(&spec));
        assert_eq!(index.name.len(), 48);
        assert!(
            index
                .name
                .starts_with("sale_order__zz_hb_detail_products_ids_w_")
        );
        assert_eq!(
            h.kind,
            orm_runtime::HiddenKind::BucketHash { index: 0, size }
        );
    }
    let def = &meta.hash_indexes[0];
    assert_eq!(def.name, "detail_products_ids_week");
    assert_eq!(
        def.sources,
        [
            HashSource::collection("detail_products_ids"),
            HashSource::scalar("week")
        ]
    );
    assert_eq!(
        (def.bucketed, def.sizes, def.week_code),
        (1, &[1u32, 4, 5][..], true)
    );
    assert_eq!(
        SaleOrder::INSERT_CQL,
        format!(
            "INSERT INTO sale_order (empresa_id, id, detail_products_ids, week, status, note, {B1}, {B4}, {B5}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
    );
    // Hidden columns are never selected.
    assert!(!SaleOrder::SELECT_COLUMNS.contains("zz_"));

    // Named groups, three sources, a key source.
    let meta = Visit::META;
    let names: Vec<&str> = meta.hidden_columns.iter().map(|h| h.name).collect();
    assert_eq!(
        names,
        [
            "zz_hb_site_tags_day_b1",
            "zz_hb_site_tags_day_b7",
            "zz_hb_tags_day_b10"
        ]
    );
    assert_eq!(meta.hash_indexes[0].name, "by_site_tag_day");
    assert_eq!(meta.hash_indexes[0].max_waste, Some(3));
    assert_eq!(meta.hash_indexes[0].max_statements, Some(16));
    assert_eq!(meta.hash_indexes[1].name, "by_tag_day");
    assert_eq!(meta.hash_indexes[1].bucketed, 1);
    assert!(!meta.hash_indexes[1].week_code);
    assert_eq!(
        meta.hidden_columns[2].index.unwrap().name,
        "visit__zz_hb_tags_day_b10_index_0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_has_hidden_columns_and_indexes() {
    let db = setup("hash_schema").await;
    let cql = "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?";
    let rows = db
        .session()
        .query_unpaged(cql, (db.keyspace(), "sale_order"))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let columns: Vec<(String, String)> = rows
        .rows::<(String, String)>()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for name in [B1, B4, B5] {
        assert!(
            columns.contains(&(name.to_owned(), "set<int>".to_owned())),
            "{name} in {columns:?}"
        );
    }
    let cql = "SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?";
    let rows = db
        .session()
        .query_unpaged(cql, (db.keyspace(), "sale_order"))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let indexes: Vec<(String, String, std::collections::BTreeMap<String, String>)> =
        rows.rows().unwrap().map(Result::unwrap).collect();
    assert_eq!(indexes.len(), 3, "{indexes:?}");
    // system_schema lists indexes by name.
    for hidden in SaleOrder::META.hidden_columns {
        let index = hidden.index.unwrap();
        let (name, _, options) = indexes
            .iter()
            .find(|(n, _, _)| n == index.name)
            .unwrap_or_else(|| panic!("{} in {indexes:?}", index.name));
        assert!(name.len() <= 48);
        let target = options
            .get("target")
            .map(String::as_str)
            .unwrap_or_default();
        assert!(target.contains(hidden.name), "{target}");
    }
    // Idempotent.
    assert!(db.migrate::<SaleOrder>().await.unwrap().is_noop());
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_writes_the_spec_hashes_and_the_index_serves_contains() {
    let db = setup("hash_insert").await;
    let products = vec![1, 2, 2, 7];
    order(1, 10, products.clone(), 2548)
        .insert(&db)
        .await
        .unwrap();
    // Another partition and another week.
    order(2, 10, vec![1], 2548).insert(&db).await.unwrap();
    order(1, 11, vec![1], 2614).insert(&db).await.unwrap();

    let (b1, b4, b5) = hidden(&db, 1, 10).await.expect("row");
    let wi = 2916; // week 2548
    assert_eq!(b1.unwrap(), expected(&[1, 2, 7], wi, 1));
    let b4 = b4.unwrap();
    assert_eq!(b4, expected(&[1, 2, 7], wi, 4));
    assert!(b4.contains(&-380_567_827), "composite_hash([1, 729])");
    assert_eq!(b4.len(), 3, "de-duplicated");
    assert_eq!(b5.unwrap(), expected(&[1, 2, 7], wi, 5));
    assert!(
        expected(&[1], wi, 1).contains(&-1_523_402_221),
        "composite_hash([1, 2916])"
    );
    // The model reads back without its hidden columns.
    assert_eq!(
        SaleOrder::get(&db, 1, 10).await.unwrap(),
        Some(order(1, 10, products, 2548))
    );

    // `WHERE empresa_id = ? AND zz_..._b4 CONTAINS ?` is served by the global index.
    let before = db.emulator().map(|e| e.stats());
    let cql = format!(
        "SELECT id FROM {}.sale_order WHERE empresa_id = ? AND {B4} CONTAINS ?",
        db.keyspace()
    );
    let ids: Vec<i64> = eventually(|| {
        let cql = cql.clone();
        let session = db.session().clone();
        async move {
            let rows = session
                .query_unpaged(cql, (1i32, spec_hash(&[1, 729])))
                .await
                .unwrap()
                .into_rows_result()
                .unwrap();
            let ids: Vec<i64> = rows
                .rows::<(i64,)>()
                .unwrap()
                .map(|r| r.unwrap().0)
                .collect();
            (!ids.is_empty()).then_some(ids)
        }
    })
    .await;
    assert_eq!(ids, [10]);
    if let (Some(before), Some(e)) = (before, db.emulator()) {
        let after = e.stats();
        assert!(
            after.index_entries_read > before.index_entries_read,
            "{after:?}"
        );
        assert_eq!(
            after.allow_filtering_statements,
            before.allow_filtering_statements
        );
    }
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_collection_stores_null_and_other_models_write_too() {
    orm_tests::init_tracing();
    let db = setup("hash_empty").await;
    order(1, 1, vec![], 2601).insert(&db).await.unwrap();
    assert_eq!(hidden(&db, 1, 1).await, Some((None, None, None)));

    db.migrate::<Visit>().await.unwrap();
    let v = Visit {
        site: 3,
        seq: 1,
        tags: [5, 6].into(),
        day: 20,
    };
    db.insert_many([&v]).await.unwrap();
    let cql = format!(
        "SELECT zz_hb_site_tags_day_b7, zz_hb_tags_day_b10 FROM {}.visit WHERE site = 3 AND seq = 1",
        db.keyspace()
    );
    let rows = db
        .session()
        .query_unpaged(cql, ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let (b7, b10) = rows.first_row::<(BTreeSet<i32>, BTreeSet<i32>)>().unwrap();
    assert_eq!(b7, [spec_hash(&[3, 5, 2]), spec_hash(&[3, 6, 2])].into());
    assert_eq!(b10, [spec_hash(&[5, 2]), spec_hash(&[6, 2])].into());
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_week_code_writes_nothing() {
    let db = setup("hash_invalid").await;
    let err = order(1, 1, vec![1], 2553).insert(&db).await.unwrap_err();
    assert!(matches!(err, Error::IndexValue { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("2553") && msg.contains("52 ISO weeks"),
        "{msg}"
    );
    assert!(msg.contains("nothing was written"), "{msg}");
    assert_eq!(SaleOrder::get(&db, 1, 1).await.unwrap(), None);

    // insert_many computes every row first: one invalid row, nothing written.
    let rows = [order(1, 2, vec![1], 2548), order(1, 3, vec![1], 2500)];
    let err = db.insert_many(&rows).await.unwrap_err();
    assert!(matches!(err, Error::IndexValue { .. }), "{err:?}");
    assert!(
        SaleOrder::find_by_partition(1)
            .all(&db)
            .await
            .unwrap()
            .is_empty()
    );
    // An update with an invalid week code writes nothing either.
    order(1, 4, vec![1], 2548).insert(&db).await.unwrap();
    let err = SaleOrder::update(1, 4)
        .set_detail_products_ids(vec![9])
        .set_week(2553)
        .execute(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IndexValue { .. }), "{err:?}");
    assert_eq!(
        SaleOrder::get(&db, 1, 4).await.unwrap(),
        Some(order(1, 4, vec![1], 2548))
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_keep_hidden_columns_consistent() {
    let db = setup("hash_update").await;
    order(1, 1, vec![1, 2], 2548).insert(&db).await.unwrap();
    let original = hidden(&db, 1, 1).await.unwrap();

    // A column that is no source: hidden columns untouched.
    SaleOrder::update(1, 1)
        .set_status(5)
        .set_note(Some("x".to_owned()))
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(hidden(&db, 1, 1).await.unwrap(), original);

    // All sources together: recomputed in the same statement.
    SaleOrder::update(1, 1)
        .set_detail_products_ids(vec![3])
        .set_week(2614)
        .execute(&db)
        .await
        .unwrap();
    let wi = week_index(2614).unwrap();
    let (b1, b4, b5) = hidden(&db, 1, 1).await.unwrap();
    assert_eq!(b1.unwrap(), expected(&[3], wi, 1));
    assert_eq!(b4.unwrap(), expected(&[3], wi, 4));
    assert_eq!(b5.unwrap(), expected(&[3], wi, 5));
    // An update is an upsert: a new row gets its hidden columns too.
    SaleOrder::update(1, 2)
        .set_week(2548)
        .set_detail_products_ids(vec![1])
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        hidden(&db, 1, 2).await.unwrap().1.unwrap(),
        expected(&[1], 2916, 4)
    );
    // Setting the collection to empty clears the hashes.
    SaleOrder::update(1, 2)
        .set_week(2548)
        .set_detail_products_ids(vec![])
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(hidden(&db, 1, 2).await.unwrap(), (None, None, None));

    let current = SaleOrder::get(&db, 1, 1).await.unwrap().unwrap();
    // Only one source: refused, naming the missing one; nothing written.
    let err = SaleOrder::update(1, 1)
        .set_week(2601)
        .execute(&db)
        .await
        .unwrap_err();
    match &err {
        Error::StaleIndexUpdate {
            hidden_column,
            missing,
            ..
        } => {
            assert_eq!(*hidden_column, B1);
            assert_eq!(missing, &["detail_products_ids"]);
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("sets `week` but not `detail_products_ids`")
            && msg.contains("set_detail_products_ids(..)"),
        "{msg}"
    );
    let err = SaleOrder::update(1, 1)
        .set_detail_products_ids(vec![4])
        .set_status(1)
        .execute(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::StaleIndexUpdate { missing, .. } if missing == &["week"]),
        "{err:?}"
    );
    // add_ / remove_ on the collection source cannot recompute: refused.
    for err in [
        SaleOrder::update(1, 1)
            .add_detail_products_ids(vec![8])
            .execute(&db)
            .await
            .unwrap_err(),
        SaleOrder::update(1, 1)
            .remove_detail_products_ids(vec![3])
            .set_week(2601)
            .execute(&db)
            .await
            .unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(matches!(err, Error::StaleIndexUpdate { .. }), "{err:?}");
        assert!(
            msg.contains(
                "set the whole collection with `set_detail_products_ids(..)` together with `week`"
            ),
            "{msg}"
        );
    }
    // The untyped builder cannot recompute either.
    let err = SaleOrder::update(1, 1)
        .into_inner()
        .set("week", orm_runtime::BoundValue::new(2601i32))
        .set(
            "detail_products_ids",
            orm_runtime::BoundValue::new(vec![1i64]),
        )
        .execute(&db)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no typed value"), "{err}");
    assert_eq!(SaleOrder::get(&db, 1, 1).await.unwrap().unwrap(), current);
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_column_sources_come_from_the_update_key() {
    orm_tests::init_tracing();
    let db = test_db("hash_keysrc").await;
    db.migrate::<Visit>().await.unwrap();
    // `site` (partition key) is a source of by_site_tag_day: setting tags and day suffices.
    Visit::update(4, 1)
        .set_tags(BTreeSet::from([9]))
        .set_day(70)
        .execute(&db)
        .await
        .unwrap();
    let cql = format!(
        "SELECT zz_hb_site_tags_day_b7 FROM {}.visit WHERE site = 4 AND seq = 1",
        db.keyspace()
    );
    let rows = db
        .session()
        .query_unpaged(cql, ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let (b7,) = rows.first_row::<(BTreeSet<i32>,)>().unwrap();
    assert_eq!(b7, [spec_hash(&[4, 9, 10])].into());
    // Setting `day` alone touches both indexes: refused for the first one missing `tags`.
    let err = Visit::update(4, 1)
        .set_day(1)
        .execute(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::StaleIndexUpdate { missing, .. } if missing == &["tags"]),
        "{err:?}"
    );
    db.shutdown().await;
}

mod v1 {
    use orm_macros::Model;

    /// `sale_order` before the hash index.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "sale_order")]
    pub struct SaleOrder {
        #[partition_key]
        pub empresa_id: i32,
        #[clustering_key]
        pub id: i64,
        pub detail_products_ids: Vec<i64>,
        pub week: i32,
        pub status: i32,
        pub note: Option<String>,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_adds_hidden_columns_and_indexes_to_an_existing_table() {
    orm_tests::init_tracing();
    let db = test_db("hash_migrate").await;
    db.migrate::<v1::SaleOrder>().await.unwrap();
    let old = v1::SaleOrder {
        empresa_id: 1,
        id: 1,
        detail_products_ids: vec![1],
        week: 2548,
        status: 0,
        note: None,
    };
    old.insert(&db).await.unwrap();

    let report = db.migrate::<SaleOrder>().await.unwrap();
    assert!(!report.created_table);
    assert_eq!(report.added_columns, [B1, B4, B5]);
    let index_names: Vec<&str> = SaleOrder::META
        .hidden_columns
        .iter()
        .map(|h| h.index.unwrap().name)
        .collect();
    assert_eq!(report.created_indexes, index_names);
    assert!(db.migrate::<SaleOrder>().await.unwrap().is_noop());

    // Old rows have no hashes until rewritten (no backfill, as genix); new writes have them.
    assert_eq!(hidden(&db, 1, 1).await, Some((None, None, None)));
    order(1, 2, vec![1], 2548).insert(&db).await.unwrap();
    assert_eq!(
        hidden(&db, 1, 2).await.unwrap().1.unwrap(),
        expected(&[1], 2916, 4)
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_driver_inserts_of_a_model_compute_hidden_values_too() {
    let db = setup("hash_raw").await;
    let cql = SaleOrder::INSERT_CQL.replacen(
        "INSERT INTO sale_order",
        &format!("INSERT INTO {}.sale_order", db.keyspace()),
        1,
    );
    let prepared = db.session().prepare(cql).await.unwrap();
    db.session()
        .execute_unpaged(&prepared, &order(1, 1, vec![1], 2548))
        .await
        .unwrap();
    assert_eq!(
        hidden(&db, 1, 1).await.unwrap().1.unwrap(),
        expected(&[1], 2916, 4)
    );
    // An invalid row fails to serialize: nothing is sent.
    let err = db
        .session()
        .execute_unpaged(&prepared, &order(1, 2, vec![1], 2553))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("2553"), "{err}");
    assert_eq!(SaleOrder::get(&db, 1, 2).await.unwrap(), None);
    db.shutdown().await;
}
