//! The client-side restriction check agrees with the server: every query the ORM refuses is
//! one the server rejects without `ALLOW FILTERING`, and every query it lets through is one
//! the server runs as is. The emulator implements ScyllaDB's rules
//! (`shared/specs/scylla-behaviour.md` §1, §2, §5); with `SCYLLA_URI` this checks ScyllaDB.

mod common;

use common::{SaleOrder, SensorReading};
use orm_runtime::{BoundValue, Error, Model, Select};
use orm_tests::{TestDb, test_db};

/// Sends the query's restrictions as is (no client-side check, no `ALLOW FILTERING`) and
/// compares the server's verdict with the ORM's plan.
async fn server_agrees<M: Model>(db: &TestDb, label: &str, q: Select<M>) {
    let plan = q.clone().allow_filtering().plan().unwrap();
    let refused_by_orm = matches!(q.plan(), Err(Error::RequiresFiltering { .. }));
    assert_eq!(refused_by_orm, plan.needs_filtering, "{label}");
    let wheres: Vec<String> = q
        .predicates()
        .iter()
        .map(|p| format!("{} {} ?", p.column(), p.op().cql()))
        .collect();
    let cql = format!(
        "SELECT {} FROM {}.{} WHERE {}",
        M::SELECT_COLUMNS,
        db.keyspace(),
        M::TABLE,
        wheres.join(" AND ")
    );
    let values: Vec<BoundValue> = q.predicates().iter().map(|p| p.value().clone()).collect();
    let server = db.execute_unpaged(&cql, values).await;
    let filtering_error = |e: &Error| {
        let msg = e.to_string();
        // The generic message, or the specific ones ScyllaDB gives for key restrictions
        // (all of which ALLOW FILTERING lifts).
        msg.contains("ALLOW FILTERING")
            || msg.contains("cannot be restricted")
            || msg.contains("Only EQ and IN relation are supported on the partition key")
    };
    match (&server, refused_by_orm) {
        (Ok(_), false) => {}
        (Err(e), true) if filtering_error(e) => {
            // And it is only a filtering matter: with `.allow_filtering()` it runs.
            q.allow_filtering()
                .all(&db.db)
                .await
                .unwrap_or_else(|e| panic!("{label}: with ALLOW FILTERING: {e}"));
        }
        _ => panic!(
            "{label}: the ORM {} `{cql}` but the server answered {server:?}",
            if refused_by_orm { "refuses" } else { "accepts" }
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_match_the_server() {
    orm_tests::init_tracing();
    let db = test_db("restrictions").await;
    db.migrate::<SaleOrder>().await.unwrap();
    db.migrate::<SensorReading>().await.unwrap();

    // Served.
    server_agrees(&db, "partition", SaleOrder::find_by_partition(1)).await;
    server_agrees(
        &db,
        "partition IN",
        SaleOrder::select().filter(|c| c.company_id.in_([1, 2])),
    )
    .await;
    server_agrees(
        &db,
        "clustering range",
        SaleOrder::find_by_partition(1).filter(|c| c.order_id.gt(3)),
    )
    .await;
    server_agrees(
        &db,
        "full key",
        SaleOrder::find_by_partition(1).filter(|c| c.order_id.eq(3)),
    )
    .await;
    server_agrees(&db, "global index", SaleOrder::find_by_status(2)).await;
    server_agrees(
        &db,
        "global index in a partition",
        SaleOrder::find_by_status(2).filter(|c| c.company_id.eq(1)),
    )
    .await;
    server_agrees(&db, "local index", SaleOrder::find_by_customer(1, "c")).await;
    server_agrees(&db, "set values index", SaleOrder::find_by_tags("t")).await;
    server_agrees(&db, "map keys index", SensorReading::find_by_labels("k")).await;
    server_agrees(
        &db,
        "clustering prefix then slice",
        SensorReading::find_by_partition("a", 1)
            .filter(|c| c.sensor.eq(1))
            .filter(|c| c.seq.lt(9)),
    )
    .await;

    // Refused.
    server_agrees(
        &db,
        "unindexed regular",
        SaleOrder::find_by_partition(1).filter(|c| c.total.eq(5)),
    )
    .await;
    server_agrees(
        &db,
        "range on an index",
        SaleOrder::select().filter(|c| c.status.gt(1)),
    )
    .await;
    server_agrees(
        &db,
        "local index without the partition key",
        SaleOrder::select().filter(|c| c.customer.eq("c")),
    )
    .await;
    server_agrees(
        &db,
        "two indexes",
        SaleOrder::find_by_status(1).filter(|c| c.tags.contains("t")),
    )
    .await;
    server_agrees(
        &db,
        "partition range",
        SaleOrder::select().filter(|c| c.company_id.gt(1)),
    )
    .await;
    server_agrees(
        &db,
        "partial partition key",
        SensorReading::select().filter(|c| c.site.eq("a")),
    )
    .await;
    server_agrees(
        &db,
        "skipped clustering column",
        SensorReading::find_by_partition("a", 1).filter(|c| c.seq.eq(1)),
    )
    .await;
    server_agrees(
        &db,
        "restriction after a slice",
        SensorReading::find_by_partition("a", 1)
            .filter(|c| c.sensor.gt(1))
            .filter(|c| c.seq.eq(1)),
    )
    .await;
    server_agrees(
        &db,
        "unindexed map values",
        SensorReading::select().filter(|c| c.labels.contains("v")),
    )
    .await;
    // Not compared: an index plus a clustering restriction. `scylla-behaviour.md` §5 says
    // ScyllaDB needs ALLOW FILTERING for it (the ORM refuses it, see `model_meta`); the
    // emulator currently serves it.
    server_agrees(
        &db,
        "partition IN with an index",
        SaleOrder::find_by_tags("t").filter(|c| c.company_id.in_([1, 2])),
    )
    .await;
    db.shutdown().await;
}
