//! `#[packed_index(...)]`: schema (hidden `int`/`bigint` column, local index or materialized
//! view), insert and update of the packed value, refusals, and migration onto an existing
//! table. Packed values are read back with the raw driver and compared with values computed
//! here from the spec (`shared/specs/index-math.md` §4), independently of the runtime.

use orm_macros::Model;
use orm_runtime::packing::{PackedBacking, PackedOutput};
use orm_runtime::schema::names::schema_object_name;
use orm_runtime::{Error, IndexScope, IndexTarget, Model as _};
use orm_tests::{TestDb, eventually, test_db};

/// The design documents' delta-sync index: `{Status.Int32(), Updated.DecimalSize(8)}`.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "sale_order")]
pub struct SaleOrder {
    #[partition_key]
    pub empresa_id: i32,
    #[clustering_key]
    pub id: i64,
    #[packed_index]
    pub status: i32,
    #[packed_index(int32, decimal_size = 8)]
    pub updated: i64,
    pub note: Option<String>,
}

/// An int64 packed index of three components backed by a materialized view, and a second
/// (named, local) packed index sharing a component.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Ticket {
    #[partition_key]
    pub tenant: i32,
    #[clustering_key]
    pub id: i64,
    #[packed_index(view)]
    #[packed_index(name = "by_prio")]
    pub state: i16,
    #[packed_index(decimal_size = 2)]
    #[packed_index(name = "by_prio", decimal_size = 3)]
    pub priority: i8,
    #[packed_index(decimal_size = 13)]
    pub changed: i64,
}

const COL: &str = "zz_ixp_status_updated";

/// Spec §4, written out again: trim to n leading digits, then Σ component × 10^shift.
fn trim(v: i64, n: u32) -> i64 {
    let digits = v.to_string().len() as u32;
    if digits > n {
        v / 10i64.pow(digits - n)
    } else {
        v
    }
}

fn order(empresa_id: i32, id: i64, status: i32, updated: i64) -> SaleOrder {
    SaleOrder {
        empresa_id,
        id,
        status,
        updated,
        note: None,
    }
}

async fn packed(db: &TestDb, empresa_id: i32, id: i64) -> Option<Option<i32>> {
    let cql = format!(
        "SELECT {COL} FROM {}.sale_order WHERE empresa_id = ? AND id = ?",
        db.keyspace()
    );
    let rows = db
        .session()
        .query_unpaged(cql, (empresa_id, id))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    rows.maybe_first_row::<(Option<i32>,)>()
        .unwrap()
        .map(|(v,)| v)
}

async fn setup(name: &str) -> TestDb {
    orm_tests::init_tracing();
    let db = test_db(name).await;
    db.migrate::<SaleOrder>().await.expect("migrate");
    db
}

#[test]
fn metadata() {
    assert_eq!(trim(370_598_453, 8), 37_059_845);
    let meta = SaleOrder::META;
    assert_eq!(meta.hidden_columns.len(), 1);
    let h = &meta.hidden_columns[0];
    assert_eq!((h.name, h.cql_type), (COL, "int"));
    assert_eq!(h.sources, ["status", "updated"]);
    let index = h.index.unwrap();
    assert_eq!(index.name, "sale_order__zz_ixp_status_updated_index_1");
    assert_eq!(index.scope, IndexScope::Local);
    assert_eq!(index.target, IndexTarget::Value);
    let def = &meta.packed_indexes[0];
    assert_eq!(def.name, "status_updated");
    assert_eq!(def.components, ["status", "updated"]);
    assert_eq!(def.layout.output(), PackedOutput::Int32);
    assert_eq!(def.layout.slot_widths(), [1, 8]);
    assert_eq!(def.backing, PackedBacking::LocalIndex);
    assert!(meta.views.is_empty());

    let meta = Ticket::META;
    let names: Vec<(&str, &str)> = meta
        .hidden_columns
        .iter()
        .map(|h| (h.name, h.cql_type))
        .collect();
    assert_eq!(
        names,
        [
            ("zz_ixp_state_priority_changed", "bigint"),
            ("zz_ixp_state_priority", "bigint")
        ]
    );
    assert!(meta.hidden_columns[0].index.is_none());
    let view = meta.views[0];
    assert_eq!(view.name, "ticket__zz_ixp_state_priority_changed_view");
    assert_eq!(view.partition_key, ["tenant"]);
    assert_eq!(view.clustering_key, ["zz_ixp_state_priority_changed", "id"]);
    assert_eq!(
        meta.view_on("zz_ixp_state_priority_changed"),
        Some(&meta.views[0])
    );
    assert_eq!(meta.packed_indexes[0].backing, PackedBacking::View);
    assert_eq!(meta.packed_indexes[0].layout.slot_widths(), [4, 2, 13]);
    assert_eq!(meta.packed_indexes[1].name, "by_prio");
    assert_eq!(
        meta.hidden_columns[1].index.unwrap().name,
        "ticket__zz_ixp_state_priority_index_1"
    );
    assert_eq!(
        schema_object_name("ticket__zz_ixp_state_priority_changed_view"),
        view.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_writes_the_packed_value_and_the_local_index_serves_it() {
    let db = setup("packed_insert").await;
    order(1, 1, 2, 370_598_453).insert(&db).await.unwrap();
    order(1, 2, 2, 370_598_459).insert(&db).await.unwrap(); // same trimmed value
    order(1, 3, 1, 42).insert(&db).await.unwrap();
    order(2, 1, 2, 370_598_453).insert(&db).await.unwrap();
    assert_eq!(packed(&db, 1, 1).await, Some(Some(237_059_845)));
    assert_eq!(packed(&db, 1, 2).await, Some(Some(237_059_845)));
    assert_eq!(
        packed(&db, 1, 3).await,
        Some(Some((100_000_000 + trim(42, 8)) as i32))
    );

    // system_schema: the hidden column and the local index.
    let cql = "SELECT type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? AND column_name = ?";
    let rows = db
        .session()
        .query_unpaged(cql, (db.keyspace(), "sale_order", COL))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(rows.first_row::<(String,)>().unwrap().0, "int");
    let cql = "SELECT index_name, options FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?";
    let rows = db
        .session()
        .query_unpaged(cql, (db.keyspace(), "sale_order"))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let indexes: Vec<(String, std::collections::BTreeMap<String, String>)> =
        rows.rows().unwrap().map(Result::unwrap).collect();
    assert_eq!(indexes.len(), 1, "{indexes:?}");
    assert_eq!(indexes[0].0, "sale_order__zz_ixp_status_updated_index_1");
    let target = &indexes[0].1["target"];
    assert!(
        target.contains("empresa_id") && target.contains(COL),
        "{target}"
    );

    // `WHERE empresa_id = ? AND zz_ixp_... = ?`: served by the local index.
    let before = db.emulator().map(|e| e.stats());
    let cql = format!(
        "SELECT id FROM {}.sale_order WHERE empresa_id = ? AND {COL} = ?",
        db.keyspace()
    );
    let ids: Vec<i64> = eventually(|| {
        let (cql, session) = (cql.clone(), db.session().clone());
        async move {
            let rows = session
                .query_unpaged(cql, (1i32, 237_059_845i32))
                .await
                .unwrap()
                .into_rows_result()
                .unwrap();
            let ids: Vec<i64> = rows
                .rows::<(i64,)>()
                .unwrap()
                .map(|r| r.unwrap().0)
                .collect();
            (ids.len() == 2).then_some(ids)
        }
    })
    .await;
    assert_eq!(ids, [1, 2]);
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
    assert!(db.migrate::<SaleOrder>().await.unwrap().is_noop());
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_components_write_nothing() {
    let db = setup("packed_invalid").await;
    // A negative component.
    let err = order(1, 1, 2, -5).insert(&db).await.unwrap_err();
    assert!(matches!(err, Error::IndexValue { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("negative") && msg.contains("nothing was written"),
        "{msg}"
    );
    // A packed value beyond int32: status 22 → 22 × 10^8 > i32::MAX.
    let err = order(1, 2, 22, 1).insert(&db).await.unwrap_err();
    assert!(
        err.to_string().contains("exceeds the int32 maximum"),
        "{err}"
    );
    let err = db
        .insert_many(&[order(1, 3, 1, 1), order(1, 4, -1, 1)])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IndexValue { .. }), "{err:?}");
    assert!(
        SaleOrder::find_by_partition(1)
            .all(&db)
            .await
            .unwrap()
            .is_empty()
    );
    // Nor through an update.
    let err = SaleOrder::update(1, 5)
        .set_status(-1)
        .set_updated(1)
        .execute(&db)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::IndexValue { .. }), "{err:?}");
    assert_eq!(SaleOrder::get(&db, 1, 5).await.unwrap(), None);
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_keep_the_packed_value_consistent() {
    let db = setup("packed_update").await;
    order(1, 1, 2, 370_598_453).insert(&db).await.unwrap();
    SaleOrder::update(1, 1)
        .set_note(Some("n".to_owned()))
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(packed(&db, 1, 1).await, Some(Some(237_059_845)));
    SaleOrder::update(1, 1)
        .set_updated(123_456_789_012)
        .set_status(3)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        packed(&db, 1, 1).await,
        Some(Some((3 * 100_000_000 + trim(123_456_789_012, 8)) as i32))
    );
    let err = SaleOrder::update(1, 1)
        .set_status(1)
        .execute(&db)
        .await
        .unwrap_err();
    match &err {
        Error::StaleIndexUpdate {
            hidden_column,
            missing,
            ..
        } => {
            assert_eq!(*hidden_column, COL);
            assert_eq!(missing, &["updated"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("set_updated(..)"), "{err}");
    assert_eq!(
        SaleOrder::get(&db, 1, 1).await.unwrap().unwrap().status,
        3,
        "nothing written"
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_backing_serves_ranges() {
    orm_tests::init_tracing();
    let db = test_db("packed_view").await;
    let report = db.migrate::<Ticket>().await.unwrap();
    assert_eq!(
        report.created_views,
        ["ticket__zz_ixp_state_priority_changed_view"]
    );
    assert_eq!(
        report.created_indexes,
        ["ticket__zz_ixp_state_priority_index_1"]
    );
    assert!(db.migrate::<Ticket>().await.unwrap().is_noop());
    let cql = "SELECT view_name, base_table_name FROM system_schema.views WHERE keyspace_name = ?";
    let rows = db
        .session()
        .query_unpaged(cql, (db.keyspace(),))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let views: Vec<(String, String)> = rows.rows().unwrap().map(Result::unwrap).collect();
    assert_eq!(
        views,
        [(
            "ticket__zz_ixp_state_priority_changed_view".to_owned(),
            "ticket".to_owned()
        )]
    );

    // state (slot 4) · priority (2) · changed (13 of 1700000000123 → 13 digits kept).
    let t = |id, state, priority, changed| Ticket {
        tenant: 1,
        id,
        state,
        priority,
        changed,
    };
    db.insert_many(&[
        t(1, 2, 5, 1_700_000_000_123),
        t(2, 2, 7, 1_700_000_000_999),
        t(3, 3, 5, 1),
    ])
    .await
    .unwrap();
    let expect = |state: i64, priority: i64, changed: i64| {
        state * 10i64.pow(15) + trim(priority, 2) * 10i64.pow(13) + trim(changed, 13)
    };
    let cql = format!(
        "SELECT zz_ixp_state_priority_changed, zz_ixp_state_priority FROM {}.ticket WHERE tenant = 1 AND id = 1",
        db.keyspace()
    );
    let rows = db
        .session()
        .query_unpaged(cql, ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(
        rows.first_row::<(i64, i64)>().unwrap(),
        (expect(2, 5, 1_700_000_000_123), 2 * 1000 + 5)
    );

    // A range on the view's clustering column: no ALLOW FILTERING.
    let before = db.allow_filtering_statements();
    let cql = format!(
        "SELECT id FROM {}.ticket__zz_ixp_state_priority_changed_view WHERE tenant = ? AND \
         zz_ixp_state_priority_changed >= ? AND zz_ixp_state_priority_changed <= ?",
        db.keyspace()
    );
    let ids: Vec<i64> = eventually(|| {
        let (cql, session) = (cql.clone(), db.session().clone());
        async move {
            let rows = session
                .query_unpaged(
                    cql,
                    (1i32, expect(2, 0, 0), expect(2, 99, 9_999_999_999_999)),
                )
                .await
                .unwrap()
                .into_rows_result()
                .unwrap();
            let ids: Vec<i64> = rows
                .rows::<(i64,)>()
                .unwrap()
                .map(|r| r.unwrap().0)
                .collect();
            (ids.len() == 2).then_some(ids)
        }
    })
    .await;
    assert_eq!(ids, [1, 2]);
    assert_eq!(db.allow_filtering_statements(), before);

    // Updates recompute both packed columns from the same sources.
    Ticket::update(1, 3)
        .set_state(4)
        .set_priority(1)
        .set_changed(10)
        .execute(&db)
        .await
        .unwrap();
    let err = Ticket::update(1, 3)
        .set_state(4)
        .set_priority(1)
        .execute(&db)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::StaleIndexUpdate { missing, .. } if missing == &["changed"]),
        "{err:?}"
    );
    db.shutdown().await;
}

mod v1 {
    use orm_macros::Model;

    /// `sale_order` before the packed index.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "sale_order")]
    pub struct SaleOrder {
        #[partition_key]
        pub empresa_id: i32,
        #[clustering_key]
        pub id: i64,
        pub status: i32,
        pub updated: i64,
        pub note: Option<String>,
    }

    /// `ticket` before its packed indexes.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "ticket")]
    pub struct Ticket {
        #[partition_key]
        pub tenant: i32,
        #[clustering_key]
        pub id: i64,
        pub state: i16,
        pub priority: i8,
        pub changed: i64,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_adds_the_packed_column_and_index_to_an_existing_table() {
    orm_tests::init_tracing();
    let db = test_db("packed_migrate").await;
    db.migrate::<v1::SaleOrder>().await.unwrap();
    v1::SaleOrder {
        empresa_id: 1,
        id: 1,
        status: 2,
        updated: 5,
        note: None,
    }
    .insert(&db)
    .await
    .unwrap();
    let report = db.migrate::<SaleOrder>().await.unwrap();
    assert_eq!(report.added_columns, [COL]);
    assert_eq!(
        report.created_indexes,
        ["sale_order__zz_ixp_status_updated_index_1"]
    );
    assert!(db.migrate::<SaleOrder>().await.unwrap().is_noop());
    assert_eq!(packed(&db, 1, 1).await, Some(None), "no backfill");
    order(1, 1, 2, 5).insert(&db).await.unwrap();
    assert_eq!(packed(&db, 1, 1).await, Some(Some(200_000_005)));

    // A view added to an existing table too.
    db.migrate::<v1::Ticket>().await.unwrap();
    let report = db.migrate::<Ticket>().await.unwrap();
    assert!(!report.created_table);
    assert_eq!(
        report.added_columns,
        ["zz_ixp_state_priority_changed", "zz_ixp_state_priority"]
    );
    assert_eq!(
        report.created_views,
        ["ticket__zz_ixp_state_priority_changed_view"]
    );
    assert_eq!(
        report.created_indexes,
        ["ticket__zz_ixp_state_priority_index_1"]
    );
    assert!(db.migrate::<Ticket>().await.unwrap().is_noop());
    db.shutdown().await;
}
