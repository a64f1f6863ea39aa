//! Generated metadata and CQL, and the client-side restriction check. No database needed.

mod common;

use common::{AllTypes, SaleOrder, SensorReading};
use orm_runtime::{ColumnKind, Error, IndexScope, IndexTarget, Model, TypeShape, cql};

#[test]
fn sale_order_metadata() {
    let meta = SaleOrder::META;
    assert_eq!(meta.table, "sale_orders");
    assert_eq!(meta.partition_key, ["company_id"]);
    assert_eq!(meta.clustering_key, ["order_id"]);
    let names: Vec<_> = meta.columns.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "company_id",
            "order_id",
            "status",
            "customer",
            "total_cents",
            "tags",
            "note"
        ]
    );
    let total = meta.column("total_cents").unwrap();
    assert_eq!(total.field, "total");
    assert_eq!(total.cql_type, "bigint");
    assert_eq!(
        meta.column("order_id").unwrap().kind,
        ColumnKind::Clustering {
            position: 0,
            desc: true
        }
    );
    assert_eq!(meta.column("tags").unwrap().cql_type, "set<text>");
    assert_eq!(meta.column("tags").unwrap().shape, TypeShape::Set);
    assert!(meta.column("note").unwrap().nullable);
    assert_eq!(meta.indexes.len(), 3);
    assert_eq!(meta.indexes[0].name, "sale_orders_status_idx");
    assert_eq!(meta.indexes[1].name, "sale_orders_customer_local_idx");
    assert_eq!(meta.indexes[1].scope, IndexScope::Local);
    assert_eq!(meta.indexes[2].target, IndexTarget::Values);
    assert!(meta.hidden_columns.is_empty());
}

#[test]
fn sale_order_statements() {
    assert_eq!(
        SaleOrder::SELECT_COLUMNS,
        "company_id, order_id, status, customer, total_cents, tags, note"
    );
    assert_eq!(
        SaleOrder::INSERT_CQL,
        "INSERT INTO sale_orders (company_id, order_id, status, customer, total_cents, tags, note) VALUES (?, ?, ?, ?, ?, ?, ?)"
    );
    assert_eq!(
        SaleOrder::SELECT_BY_PK_CQL,
        "SELECT company_id, order_id, status, customer, total_cents, tags, note FROM sale_orders WHERE company_id = ? AND order_id = ?"
    );
    assert_eq!(
        SaleOrder::DELETE_BY_PK_CQL,
        "DELETE FROM sale_orders WHERE company_id = ? AND order_id = ?"
    );
    assert_eq!(
        SaleOrder::CREATE_TABLE_CQL,
        "CREATE TABLE IF NOT EXISTS sale_orders (company_id int, order_id bigint, status int, customer text, \
         total_cents bigint, tags set<text>, note text, PRIMARY KEY ((company_id), order_id)) \
         WITH CLUSTERING ORDER BY (order_id DESC)"
    );
    let idx: Vec<String> = SaleOrder::META
        .indexes
        .iter()
        .map(|i| cql::create_index(Some("ks"), SaleOrder::META, i))
        .collect();
    assert_eq!(
        idx,
        [
            "CREATE INDEX IF NOT EXISTS sale_orders_status_idx ON ks.sale_orders (status)",
            "CREATE INDEX IF NOT EXISTS sale_orders_customer_local_idx ON ks.sale_orders ((company_id), customer)",
            "CREATE INDEX IF NOT EXISTS sale_orders_tags_idx ON ks.sale_orders (VALUES(tags))",
        ]
    );
    assert_eq!(
        SaleOrder::update(1, 2)
            .set_status(3)
            .set_note(None)
            .into_inner()
            .cql(Some("ks"))
            .unwrap(),
        "UPDATE ks.sale_orders SET status = ?, note = ? WHERE company_id = ? AND order_id = ?"
    );
}

#[test]
fn collection_updates() {
    let tags: std::collections::BTreeSet<String> = ["a".to_owned()].into_iter().collect();
    assert_eq!(
        SaleOrder::update(1, 2)
            .add_tags(tags.clone())
            .set_status(1)
            .into_inner()
            .cql(None)
            .unwrap(),
        "UPDATE sale_orders SET tags = tags + ?, status = ? WHERE company_id = ? AND order_id = ?"
    );
    assert_eq!(
        SensorReading::update("a", 1, 2, 3)
            .remove_labels(["k".to_owned()])
            .into_inner()
            .cql(None)
            .unwrap(),
        "UPDATE sensor_reading SET labels = labels - ? WHERE site = ? AND day = ? AND sensor = ? AND seq = ?"
    );
    let bad = SaleOrder::update(1, 2)
        .into_inner()
        .assign(
            "status",
            orm_runtime::query::Assignment::Add,
            orm_runtime::BoundValue::new(1),
        )
        .cql(None);
    assert!(matches!(bad, Err(Error::InvalidQuery { .. })), "{bad:?}");
}

fn generated_matches_runtime<M: Model>() {
    assert_eq!(M::INSERT_CQL, cql::insert(None, M::META));
    assert_eq!(M::SELECT_BY_PK_CQL, cql::select_by_pk(None, M::META));
    assert_eq!(M::DELETE_BY_PK_CQL, cql::delete_by_pk(None, M::META));
    assert_eq!(M::CREATE_TABLE_CQL, cql::create_table(None, M::META));
    assert_eq!(M::SELECT_COLUMNS, cql::select_columns(M::META));
}

#[test]
fn generated_statements_match_the_runtime_builders() {
    generated_matches_runtime::<SaleOrder>();
    generated_matches_runtime::<SensorReading>();
    generated_matches_runtime::<AllTypes>();
}

#[test]
fn composite_keys_and_default_table_name() {
    let meta = SensorReading::META;
    assert_eq!(meta.table, "sensor_reading");
    assert_eq!(meta.partition_key, ["site", "day"]);
    assert_eq!(meta.clustering_key, ["sensor", "seq"]);
    assert_eq!(
        SensorReading::CREATE_TABLE_CQL,
        "CREATE TABLE IF NOT EXISTS sensor_reading (site text, day int, sensor smallint, seq bigint, value double, \
         labels map<text, text>, PRIMARY KEY ((site, day), sensor, seq))"
    );
    assert_eq!(meta.indexes[0].target, IndexTarget::Keys);
    assert_eq!(
        cql::create_index(None, meta, &meta.indexes[0]),
        "CREATE INDEX IF NOT EXISTS sensor_reading_labels_idx ON sensor_reading (KEYS(labels))"
    );
    let key: <SensorReading as Model>::PrimaryKey = ("a".to_owned(), 1, 2, 3);
    assert_eq!(key.0, "a");
}

#[test]
fn every_type_maps_to_its_cql_type() {
    let types: Vec<(&str, &str)> = AllTypes::META
        .columns
        .iter()
        .map(|c| (c.name, c.cql_type))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "uuid"),
            ("c_tiny", "tinyint"),
            ("c_small", "smallint"),
            ("c_int", "int"),
            ("c_big", "bigint"),
            ("c_float", "float"),
            ("c_double", "double"),
            ("c_flag", "boolean"),
            ("c_text", "text"),
            ("c_bytes", "blob"),
            ("c_timeuuid", "timeuuid"),
            ("c_ts", "timestamp"),
            ("c_date", "date"),
            ("c_time", "time"),
            ("c_varint", "varint"),
            ("c_decimal", "decimal"),
            ("c_inet", "inet"),
            ("c_duration", "duration"),
            ("c_list", "list<bigint>"),
            ("c_set", "set<int>"),
            ("c_hset", "set<text>"),
            ("c_map", "map<int, text>"),
            ("c_hmap", "map<text, bigint>"),
            ("c_nested", "list<frozen<list<int>>>"),
            ("c_maybe", "int"),
            ("c_maybe_list", "list<text>"),
        ]
    );
}

fn refused(r: orm_runtime::Result<String>) -> (String, String) {
    match r {
        Err(Error::RequiresFiltering { reason, hint, .. }) => (reason, hint),
        other => panic!("expected a RequiresFiltering refusal, got {other:?}"),
    }
}

#[test]
fn served_queries_build_their_cql() {
    let q = SaleOrder::find_by_partition(7)
        .filter(|c| c.order_id.ge(10))
        .filter(|c| c.order_id.lt(20));
    assert_eq!(
        q.cql(Some("ks")).unwrap(),
        "SELECT company_id, order_id, status, customer, total_cents, tags, note FROM ks.sale_orders \
         WHERE company_id = ? AND order_id >= ? AND order_id < ?"
    );
    let q = SaleOrder::find_by_status(2).limit(10);
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("FROM sale_orders WHERE status = ? LIMIT ?")
    );
    assert_eq!(
        q.plan().unwrap().index.unwrap().name,
        "sale_orders_status_idx"
    );
    let q = SaleOrder::find_by_customer(7, "bob");
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("WHERE company_id = ? AND customer = ?")
    );
    let q = SaleOrder::find_by_tags("t1");
    assert!(q.cql(None).unwrap().ends_with("WHERE tags CONTAINS ?"));
    let q = SaleOrder::select()
        .filter(|c| c.company_id.in_([1, 2]))
        .filter(|c| c.order_id.eq(3));
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("WHERE company_id IN ? AND order_id = ?")
    );
    let q = SensorReading::find_by_labels("room");
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("WHERE labels CONTAINS KEY ?")
    );
    let q = SensorReading::find_by_partition("a", 1)
        .filter(|c| c.sensor.eq(1))
        .filter(|c| c.seq.gt(5));
    assert!(q.plan().is_ok());
    // A full scan is allowed.
    assert!(SaleOrder::select().plan().is_ok());
}

#[test]
fn filtering_queries_are_refused_with_a_reason_and_a_hint() {
    let (reason, hint) = refused(
        SaleOrder::find_by_partition(1)
            .filter(|c| c.total.eq(5))
            .cql(None),
    );
    assert!(
        reason.contains("`total_cents` is a regular column with no index"),
        "{reason}"
    );
    assert!(
        hint.contains("#[index]") && hint.contains("field `total`"),
        "{hint}"
    );
    assert!(hint.contains(".allow_filtering()"), "{hint}");

    let (reason, _) = refused(SaleOrder::select().filter(|c| c.status.gt(1)).cql(None));
    assert!(reason.contains("indexes serve only `=`"), "{reason}");

    let (reason, hint) = refused(SaleOrder::select().filter(|c| c.customer.eq("x")).cql(None));
    assert!(reason.contains("local index"), "{reason}");
    assert!(hint.contains("company_id"), "{hint}");

    let (reason, _) = refused(
        SaleOrder::select()
            .filter(|c| c.status.eq(1))
            .filter(|c| c.tags.contains("a"))
            .cql(None),
    );
    assert!(reason.contains("two indexed columns"), "{reason}");

    let (reason, _) = refused(
        SaleOrder::select()
            .filter(|c| c.tags.contains("a"))
            .filter(|c| c.tags.contains("b"))
            .cql(None),
    );
    assert!(
        reason.contains("`tags` is restricted more than once"),
        "{reason}"
    );

    let (reason, _) = refused(SaleOrder::select().filter(|c| c.company_id.gt(1)).cql(None));
    assert!(reason.contains("only `=` and `IN`"), "{reason}");

    let (reason, _) = refused(SaleOrder::select().filter(|c| c.order_id.eq(1)).cql(None));
    assert!(reason.contains("partition key is not"), "{reason}");

    let (reason, _) = refused(SensorReading::select().filter(|c| c.site.eq("a")).cql(None));
    assert!(reason.contains("partly restricted"), "{reason}");

    let (reason, _) = refused(
        SensorReading::find_by_partition("a", 1)
            .filter(|c| c.seq.eq(1))
            .cql(None),
    );
    assert!(
        reason.contains("preceding column `sensor` is not restricted"),
        "{reason}"
    );

    let (reason, _) = refused(
        SensorReading::find_by_partition("a", 1)
            .filter(|c| c.sensor.gt(1))
            .filter(|c| c.seq.eq(1))
            .cql(None),
    );
    assert!(reason.contains("non-EQ relation"), "{reason}");

    let (reason, _) = refused(
        SaleOrder::find_by_partition(1)
            .filter(|c| c.order_id.eq(1))
            .filter(|c| c.status.eq(2))
            .cql(None),
    );
    assert!(reason.contains("clustering column `order_id`"), "{reason}");

    let (reason, _) = refused(
        SaleOrder::select()
            .filter(|c| c.company_id.in_([1, 2]))
            .filter(|c| c.status.eq(2))
            .cql(None),
    );
    assert!(reason.contains("`IN`"), "{reason}");

    let (reason, _) = refused(
        SensorReading::select()
            .filter(|c| c.labels.contains("v"))
            .cql(None),
    );
    assert!(
        reason.contains("no index on `labels` serves `CONTAINS`"),
        "{reason}"
    );
}

#[test]
fn allow_filtering_is_explicit() {
    let q = SaleOrder::find_by_partition(1)
        .filter(|c| c.total.eq(5))
        .allow_filtering();
    let plan = q.plan().unwrap();
    assert!(plan.needs_filtering && plan.allow_filtering);
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("WHERE company_id = ? AND total_cents = ? ALLOW FILTERING")
    );
}

#[test]
fn invalid_queries_are_errors_whatever_the_options() {
    let r = SaleOrder::select()
        .filter(|c| c.status.eq(1))
        .filter(|c| c.status.eq(2))
        .allow_filtering()
        .cql(None);
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
    let r = SensorReading::select()
        .filter(|c| c.site.in_((0..20).map(|i| i.to_string())))
        .filter(|c| c.day.in_(0..6))
        .cql(None);
    assert!(
        matches!(&r, Err(Error::InvalidQuery { reason, .. }) if reason.contains("120 partition keys")),
        "{r:?}"
    );
    let r = SensorReading::select()
        .filter(|c| c.site.in_((0..20).map(|i| i.to_string())))
        .filter(|c| c.day.in_(0..5))
        .cql(None);
    assert!(r.is_ok(), "{r:?}");
    let r = SaleOrder::select().limit(0).cql(None);
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
    let r = SaleOrder::update(1, 2).into_inner().cql(None);
    assert!(matches!(r, Err(Error::InvalidQuery { .. })), "{r:?}");
}

/// Field names that collide with generated parameter or local names still compile.
#[derive(orm_macros::Model, Debug, Clone, PartialEq)]
#[model(table = "awkward_names")]
pub struct AwkwardNames {
    #[partition_key]
    pub db: i32,
    #[partition_key]
    pub columns: i32,
    #[clustering_key]
    pub value: i64,
    #[index(local)]
    pub spec: String,
    #[index]
    pub writer: Option<i32>,
    pub row: Vec<u8>,
    pub seen: bool,
}

#[test]
fn awkward_field_names() {
    let q = AwkwardNames::find_by_spec(1, 2, "x");
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("WHERE db = ? AND columns = ? AND spec = ?"),
        "{:?}",
        q.cql(None)
    );
    assert!(AwkwardNames::find_by_writer(3).plan().is_ok());
    let _update = AwkwardNames::update(1, 2, 3)
        .set_row(vec![1])
        .set_seen(true)
        .set_writer(None);
}

/// Every future of the API is `Send` (usable from `tokio::spawn`).
#[allow(dead_code)]
fn futures_are_send(db: &orm_runtime::Db, order: &SaleOrder) {
    fn send<T: Send>(_: T) {}
    send(SaleOrder::get(db, 1, 2));
    send(SaleOrder::delete(db, 1, 2));
    send(order.insert(db));
    send(db.insert_many([order]));
    send(db.migrate::<SaleOrder>());
    let q = SaleOrder::find_by_partition(1);
    send(q.all(db));
    send(q.one(db));
    send(q.stream(db));
    send(q.page(db, orm_runtime::scylla::response::PagingState::start()));
    let u = SaleOrder::update(1, 2).set_status(1);
    send(u.execute(db));
}

#[allow(dead_code)]
async fn awkward_names_get_and_delete_compile(db: &orm_runtime::Db) {
    let _ = AwkwardNames::get(db, 1, 2, 3).await;
    let _ = AwkwardNames::delete(db, 1, 2, 3).await;
}
