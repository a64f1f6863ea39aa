//! CRUD through the real driver: against the embedded emulator, or a real ScyllaDB when
//! `SCYLLA_URI` is set.

mod common;

use common::{Reading, SaleOrder, SensorReading, Shipment};
use futures::TryStreamExt;
use orm_runtime::scylla::response::PagingState;
use orm_runtime::{Error, Model};
use orm_tests::{TestDb, eventually, test_db};

async fn setup(name: &str) -> TestDb {
    orm_tests::init_tracing();
    let db = test_db(name).await;
    db.migrate::<Shipment>().await.expect("migrate");
    db
}

async fn setup_indexed(name: &str) -> TestDb {
    orm_tests::init_tracing();
    let db = test_db(name).await;
    db.migrate::<SaleOrder>().await.expect("migrate");
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_get_delete() {
    let db = setup("crud_one").await;
    let order = Shipment::sample(1, 42);
    order.insert(&db).await.unwrap();
    assert_eq!(
        Shipment::get(&db, 1, 42).await.unwrap(),
        Some(order.clone())
    );
    assert_eq!(
        db.get::<Shipment>((1, 42)).await.unwrap(),
        Some(order.clone())
    );
    assert_eq!(Shipment::get(&db, 1, 43).await.unwrap(), None);
    assert_eq!(Shipment::get(&db, 2, 42).await.unwrap(), None);

    // Inserting again is an upsert.
    let mut changed = order.clone();
    changed.note = None;
    changed.total = 1;
    db.insert(&changed).await.unwrap();
    assert_eq!(Shipment::get(&db, 1, 42).await.unwrap(), Some(changed));

    Shipment::delete(&db, 1, 42).await.unwrap();
    assert_eq!(Shipment::get(&db, 1, 42).await.unwrap(), None);
    // Deleting a missing row is fine.
    db.delete::<Shipment>((1, 42)).await.unwrap();
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_many_and_partition_queries() {
    let db = setup("crud_many").await;
    let rows: Vec<Shipment> = (0..40)
        .map(|i| Shipment::sample(1, i))
        .chain((0..5).map(|i| Shipment::sample(2, i)))
        .collect();
    assert_eq!(db.insert_many(&rows).await.unwrap(), 45);

    // Whole partition, newest first (clustering order DESC).
    let p1 = Shipment::find_by_partition(1).all(&db).await.unwrap();
    assert_eq!(p1.len(), 40);
    let ids: Vec<i64> = p1.iter().map(|o| o.id).collect();
    assert_eq!(ids, (0..40).rev().collect::<Vec<_>>());
    assert_eq!(p1[0], rows[39]);

    // Clustering range.
    let range = Shipment::find_by_partition(1)
        .filter(|c| c.id.ge(10))
        .filter(|c| c.id.lt(15))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        range.iter().map(|o| o.id).collect::<Vec<_>>(),
        [14, 13, 12, 11, 10]
    );

    // Clustering prefix (the whole clustering key here), and `one`.
    let one = Shipment::find_by_partition(2)
        .filter(|c| c.id.eq(3))
        .one(&db)
        .await
        .unwrap();
    assert_eq!(one, Some(Shipment::sample(2, 3)));
    let first = Shipment::find_by_partition(1).one(&db).await.unwrap();
    assert_eq!(first.map(|o| o.id), Some(39));

    // IN on the partition key, and LIMIT.
    let both = Shipment::select()
        .filter(|c| c.warehouse.in_([1, 2]))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(both.len(), 45);
    let limited = Shipment::find_by_partition(1)
        .limit(7)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(limited.len(), 7);

    // A full scan is not filtering.
    assert_eq!(Shipment::select().all(&db).await.unwrap().len(), 45);
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_streams() {
    let db = setup("crud_paging").await;
    let rows: Vec<Shipment> = (0..25).map(|i| Shipment::sample(5, i)).collect();
    db.insert_many(&rows).await.unwrap();

    let query = Shipment::find_by_partition(5).page_size(10);
    let mut state = PagingState::start();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = query.page(&db, state).await.unwrap();
        pages += 1;
        assert!(page.rows.len() <= 10);
        seen.extend(page.rows.into_iter().map(|o| o.id));
        match page.next {
            Some(next) => state = next,
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert!(pages >= 3, "expected at least 3 pages, got {pages}");
    assert_eq!(seen, (0..25).rev().collect::<Vec<_>>());

    let streamed: Vec<Shipment> = query
        .stream(&db)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 25);
    assert_eq!(streamed[24], rows[0]);
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_chosen_columns_only() {
    let db = setup("crud_update").await;
    let order = Shipment::sample(3, 8);
    order.insert(&db).await.unwrap();
    Shipment::update(3, 8)
        .set_status(9)
        .set_note(None)
        .execute(&db)
        .await
        .unwrap();
    let got = Shipment::get(&db, 3, 8).await.unwrap().unwrap();
    assert_eq!(got.status, 9);
    assert_eq!(got.note, None);
    assert_eq!(got.total, order.total);
    assert_eq!(got.tags, order.tags);
    assert_eq!(got.customer, order.customer);

    Shipment::update(3, 8)
        .set_note("rush")
        .set_total(5)
        .execute(&db)
        .await
        .unwrap();
    let got = Shipment::get(&db, 3, 8).await.unwrap().unwrap();
    assert_eq!(
        (got.note.as_deref(), got.total, got.status),
        (Some("rush"), 5, 9)
    );

    // Collection updates without reading the row.
    Shipment::update(3, 8)
        .add_tags(
            ["x".to_owned(), "y".to_owned()]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>(),
        )
        .execute(&db)
        .await
        .unwrap();
    Shipment::update(3, 8)
        .remove_tags(
            ["t0".to_owned()]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>(),
        )
        .execute(&db)
        .await
        .unwrap();
    let got = Shipment::get(&db, 3, 8).await.unwrap().unwrap();
    assert_eq!(got.tags.into_iter().collect::<Vec<_>>(), ["x", "y"]);

    let empty = Shipment::update(3, 8).execute(&db).await;
    assert!(
        matches!(empty, Err(Error::InvalidQuery { .. })),
        "{empty:?}"
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finders_on_plain_indexes() {
    let db = setup_indexed("crud_index").await;
    let rows: Vec<SaleOrder> = (0..12)
        .map(|i| SaleOrder::sample(1, i))
        .chain((0..6).map(|i| SaleOrder::sample(2, i)))
        .collect();
    db.insert_many(&rows).await.unwrap();

    // Global index (asynchronous on a real ScyllaDB: poll).
    let mut expected: Vec<(i32, i64)> = rows
        .iter()
        .filter(|o| o.status == 1)
        .map(|o| (o.company_id, o.order_id))
        .collect();
    expected.sort();
    let by_status = eventually(|| async {
        let mut got: Vec<(i32, i64)> = SaleOrder::find_by_status(1)
            .all(&db)
            .await
            .unwrap()
            .iter()
            .map(|o| (o.company_id, o.order_id))
            .collect();
        got.sort();
        (got == expected).then_some(got)
    })
    .await;
    assert_eq!(by_status.len(), 6);

    // Local index: served within the partition.
    let mut local: Vec<i64> = SaleOrder::find_by_customer(1, "customer-1")
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|o| o.order_id)
        .collect();
    local.sort();
    assert_eq!(local, [1, 5, 9]);

    // Global index on the values of a set: CONTAINS.
    let want = rows.iter().filter(|o| o.tags.contains("t1")).count();
    let tagged = eventually(|| async {
        let got = SaleOrder::find_by_tags("t1").all(&db).await.unwrap();
        (got.len() == want).then_some(got)
    })
    .await;
    assert!(tagged.iter().all(|o| o.tags.contains("t1")));

    // Index plus partition key by `=` is served; the index with a range is refused.
    let in_partition = SaleOrder::find_by_status(1)
        .filter(|c| c.company_id.eq(2))
        .all(&db)
        .await
        .unwrap();
    assert!(
        in_partition
            .iter()
            .all(|o| o.company_id == 2 && o.status == 1)
    );
    let range = SaleOrder::select()
        .filter(|c| c.status.ge(1))
        .all(&db)
        .await;
    assert!(
        matches!(range, Err(Error::RequiresFiltering { .. })),
        "{range:?}"
    );

    // Global index on the keys of a map: CONTAINS KEY.
    db.migrate::<SensorReading>().await.unwrap();
    let readings: Vec<SensorReading> = (0..6i64)
        .map(|seq| SensorReading {
            site: "south".into(),
            day: 1,
            sensor: 1,
            seq,
            value: 0.5,
            labels: [(format!("k{}", seq % 3), "v".to_owned())]
                .into_iter()
                .collect(),
        })
        .collect();
    db.insert_many(&readings).await.unwrap();
    let labelled = eventually(|| async {
        let got = SensorReading::find_by_labels("k1").all(&db).await.unwrap();
        (got.len() == 2).then_some(got)
    })
    .await;
    assert!(labelled.iter().all(|r| r.labels.contains_key("k1")));
    if let Some(n) = db.allow_filtering_statements() {
        assert_eq!(n, 0, "no statement may use ALLOW FILTERING");
    }
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtering_query_is_refused_before_sending() {
    let db = setup("crud_refuse").await;
    let rows: Vec<Shipment> = (0..6).map(|i| Shipment::sample(1, i)).collect();
    db.insert_many(&rows).await.unwrap();

    let query = Shipment::find_by_partition(1).filter(|c| c.total.eq(300));
    match query.all(&db).await {
        Err(Error::RequiresFiltering {
            reason,
            hint,
            table,
        }) => {
            assert_eq!(table, "shipment");
            assert!(reason.contains("total_cents"), "{reason}");
            assert!(hint.contains("#[index]"), "{hint}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let range_on_index = Shipment::select().filter(|c| c.status.gt(0)).all(&db).await;
    assert!(
        matches!(range_on_index, Err(Error::RequiresFiltering { .. })),
        "{range_on_index:?}"
    );
    if let Some(n) = db.allow_filtering_statements() {
        assert_eq!(n, 0, "the refusal happens client-side");
    }

    // Explicitly allowed: runs, with ALLOW FILTERING.
    let found = query.allow_filtering().all(&db).await.unwrap();
    assert_eq!(found, [Shipment::sample(1, 3)]);
    if let Some(n) = db.allow_filtering_statements() {
        assert!(n >= 1);
    }
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_keys() {
    orm_tests::init_tracing();
    let db = test_db("crud_composite").await;
    db.migrate::<Reading>().await.unwrap();
    let mut rows = Vec::new();
    for day in [1, 2] {
        for sensor in 0..3i16 {
            for seq in 0..4i64 {
                rows.push(Reading {
                    site: "north".into(),
                    day,
                    sensor,
                    seq,
                    value: f64::from(sensor) + seq as f64 / 10.0,
                });
            }
        }
    }
    db.insert_many(&rows).await.unwrap();
    let got = Reading::get(&db, "north", 2, 1, 3).await.unwrap().unwrap();
    assert_eq!(got, rows[4 * 3 + 4 + 3]);
    let part = Reading::find_by_partition("north", 1)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(part.len(), 12);
    let prefix = Reading::find_by_partition("north", 1)
        .filter(|c| c.sensor.eq(2))
        .filter(|c| c.seq.ge(2))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        prefix.iter().map(|r| (r.sensor, r.seq)).collect::<Vec<_>>(),
        [(2, 2), (2, 3)]
    );
    let multi = Reading::select()
        .filter(|c| c.site.eq("north"))
        .filter(|c| c.day.in_([1, 2]))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(multi.len(), 24);
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_work_with_raw_driver_queries() {
    let db = setup("crud_raw").await;
    let order = Shipment::sample(4, 1);
    // The model is the bound values of the generated INSERT (matched by bind-marker name).
    let insert = format!(
        "INSERT INTO {}.{}",
        db.keyspace(),
        &Shipment::INSERT_CQL["INSERT INTO ".len()..]
    );
    let prepared = db.session().prepare(insert).await.unwrap();
    db.session()
        .execute_unpaged(&prepared, &order)
        .await
        .unwrap();
    // ... and the row type of a raw SELECT.
    let select = format!(
        "SELECT {} FROM {}.shipment WHERE warehouse = ?",
        Shipment::SELECT_COLUMNS,
        db.keyspace()
    );
    let rows = db
        .session()
        .query_unpaged(select, (4,))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let got: Vec<Shipment> = rows
        .rows::<Shipment>()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got.as_slice(), std::slice::from_ref(&order));

    // The model also binds the markers of a statement that uses only some of its columns.
    let by_key = format!(
        "SELECT {} FROM {}.shipment WHERE warehouse = ? AND id = ?",
        Shipment::SELECT_COLUMNS,
        db.keyspace()
    );
    let prepared = db.session().prepare(by_key).await.unwrap();
    let rows = db
        .session()
        .execute_unpaged(&prepared, &order)
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(rows.single_row::<Shipment>().unwrap(), order);
    // A marker the model has no value for is an error, not a panic.
    let limited = format!("{} LIMIT ?", prepared.get_statement());
    let prepared = db.session().prepare(limited).await.unwrap();
    let err = db
        .session()
        .execute_unpaged(&prepared, &order)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");

    // `SELECT *`: hidden `zz_` columns are ignored, other unknown columns are refused.
    let ks = db.keyspace().to_owned();
    db.execute_unpaged(&format!("ALTER TABLE {ks}.shipment ADD zz_hidden int"), ())
        .await
        .unwrap();
    let star = format!("SELECT * FROM {ks}.shipment WHERE warehouse = ?");
    let rows = db
        .session()
        .query_unpaged(star.clone(), (4,))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(
        rows.rows::<Shipment>()
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap(),
        [order]
    );
    db.execute_unpaged(&format!("ALTER TABLE {ks}.shipment ADD surprise int"), ())
        .await
        .unwrap();
    let rows = db
        .session()
        .query_unpaged(star, (4,))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let Err(err) = rows.rows::<Shipment>() else {
        panic!("an unknown column must be refused");
    };
    assert!(err.to_string().contains("surprise"), "{err}");
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_errors_carry_the_failing_statement() {
    let db = setup("crud_errors").await;
    let Some(emulator) = db.emulator() else {
        return;
    };
    emulator.fail_next(
        1,
        "INSERT INTO",
        scylla_emulator::FaultError::Invalid("boom".into()),
    );
    match Shipment::sample(1, 1).insert(&db).await {
        Err(Error::Execute { cql, source }) => {
            assert!(
                cql.starts_with(&format!("INSERT INTO {}.shipment (", db.keyspace())),
                "{cql}"
            );
            assert!(source.to_string().contains("boom"), "{source}");
        }
        other => panic!("expected an execution error, got {other:?}"),
    }
    // The next attempt goes through.
    Shipment::sample(1, 1).insert(&db).await.unwrap();
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_many_is_concurrent_and_bounded() {
    orm_tests::init_tracing();
    let db = orm_tests::test_db_with("crud_bound", |b| b.insert_concurrency(4)).await;
    db.migrate::<Shipment>().await.unwrap();
    let Some(emulator) = db.emulator() else {
        return;
    };
    let rows: Vec<Shipment> = (0..16).map(|i| Shipment::sample(9, i)).collect();
    // Prepare first, so only the 16 EXECUTEs pay the latency.
    db.insert(&rows[0]).await.unwrap();
    let latency = std::time::Duration::from_millis(50);
    emulator.set_latency(latency);
    let started = std::time::Instant::now();
    assert_eq!(db.insert_many(&rows).await.unwrap(), 16);
    let elapsed = started.elapsed();
    emulator.set_latency(std::time::Duration::ZERO);
    // 16 inserts, 4 at a time: at least 4 rounds (200 ms), well under 16 in a row (800 ms).
    assert!(
        elapsed >= latency * 4,
        "{elapsed:?}: more than 4 inserts ran at once"
    );
    assert!(
        elapsed < latency * 15,
        "{elapsed:?}: inserts did not run concurrently"
    );
    assert_eq!(
        Shipment::find_by_partition(9).all(&db).await.unwrap().len(),
        16
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reversed_clustering_order() {
    let db = setup("crud_reversed").await;
    let rows: Vec<Shipment> = (0..5).map(|i| Shipment::sample(6, i)).collect();
    db.insert_many(&rows).await.unwrap();
    let q = Shipment::find_by_partition(6).reversed();
    assert!(
        q.cql(None)
            .unwrap()
            .ends_with("WHERE warehouse = ? ORDER BY id ASC")
    );
    let ids: Vec<i64> = q.all(&db).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    let oldest_two = Shipment::find_by_partition(6)
        .reversed()
        .limit(2)
        .all(&db)
        .await
        .unwrap();
    assert_eq!(oldest_two, rows[..2]);
    let scan = Shipment::select().reversed().all(&db).await;
    assert!(matches!(scan, Err(Error::InvalidQuery { .. })), "{scan:?}");
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_from_a_uri() {
    let db = setup("crud_uri").await;
    let Some(emulator) = db.emulator() else {
        return;
    };
    let uri = format!("scylla://{}/{}", emulator.addr(), db.keyspace());
    let other = orm_runtime::Db::builder(uri).build().await.unwrap();
    assert_eq!(other.keyspace(), db.keyspace());
    Shipment::sample(1, 1).insert(&other).await.unwrap();
    assert_eq!(
        Shipment::get(&db, 1, 1).await.unwrap(),
        Some(Shipment::sample(1, 1))
    );
    let bad = orm_runtime::Db::connect("127.0.0.1:1", "ks").await;
    assert!(matches!(bad, Err(Error::Connect { .. })), "{bad:?}");
    db.shutdown().await;
}
