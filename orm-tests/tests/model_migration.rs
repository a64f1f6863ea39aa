//! Migration from empty and from an older schema, idempotence, and the refusal of
//! incompatible changes.

mod common;

use common::{SaleOrder, SensorReading};
use orm_runtime::schema::{MigrationError, SchemaDifference};
use orm_runtime::{Error, Model};
use orm_tests::{eventually, test_db};

mod v1 {
    use orm_macros::Model;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "customers")]
    pub struct Customer {
        #[partition_key]
        pub id: i32,
        pub name: String,
    }
}

mod v2 {
    use orm_macros::Model;

    /// v1 plus two nullable columns.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "customers")]
    pub struct Customer {
        #[partition_key]
        pub id: i32,
        pub name: String,
        pub email: Option<String>,
        pub city: Option<String>,
    }
}

mod v2_indexed {
    use orm_macros::Model;

    /// v2 with an index on `city`.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "customers")]
    pub struct Customer {
        #[partition_key]
        pub id: i32,
        pub name: String,
        pub email: Option<String>,
        #[index]
        pub city: Option<String>,
    }
}

mod v1_desc {
    use orm_macros::Model;

    /// A table whose clustering order the next version flips.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "events")]
    pub struct Event {
        #[partition_key]
        pub stream: i32,
        #[clustering_key(desc)]
        pub seq: i64,
    }
}

mod v2_asc {
    use orm_macros::Model;

    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "events")]
    pub struct Event {
        #[partition_key]
        pub stream: i32,
        #[clustering_key]
        pub seq: i64,
    }
}

mod v3 {
    use orm_macros::Model;

    /// Incompatible: `name` changes type, and a clustering column appears.
    #[derive(Model, Debug, Clone, PartialEq)]
    #[model(table = "customers")]
    pub struct Customer {
        #[partition_key]
        pub id: i32,
        #[clustering_key]
        pub region: i32,
        pub name: i64,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_from_empty_is_idempotent() {
    orm_tests::init_tracing();
    let db = test_db("mig_empty").await;
    let report = db.migrate::<v2::Customer>().await.unwrap();
    assert!(report.created_keyspace);
    assert!(report.created_table);
    assert!(report.created_indexes.is_empty());
    let again = db.migrate::<v2::Customer>().await.unwrap();
    assert!(again.is_noop(), "{again:?}");

    let c = v2::Customer {
        id: 1,
        name: "Ada".into(),
        email: None,
        city: Some("Paris".into()),
    };
    c.insert(&db).await.unwrap();
    assert_eq!(v2::Customer::get(&db, 1).await.unwrap(), Some(c));
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_creates_missing_indexes() {
    orm_tests::init_tracing();
    // From empty: every kind of plain index (global, local, on set values, on map keys).
    let db = test_db("mig_index").await;
    let report = db.migrate::<SaleOrder>().await.unwrap();
    assert!(report.created_table);
    assert_eq!(
        report.created_indexes,
        [
            "sale_orders_status_idx",
            "sale_orders_customer_local_idx",
            "sale_orders_tags_idx"
        ]
    );
    let report = db.migrate::<SensorReading>().await.unwrap();
    assert_eq!(report.created_indexes, ["sensor_reading_labels_idx"]);
    // Idempotent: the indexes are read back from system_schema.indexes.
    assert!(db.migrate::<SaleOrder>().await.unwrap().is_noop());
    assert!(db.migrate::<SensorReading>().await.unwrap().is_noop());
    db.shutdown().await;

    // From an older schema: the new columns and the index are added to the existing table.
    let db = test_db("mig_index_old").await;
    db.migrate::<v1::Customer>().await.unwrap();
    v1::Customer {
        id: 7,
        name: "Grace".into(),
    }
    .insert(&db)
    .await
    .unwrap();
    let report = db.migrate::<v2_indexed::Customer>().await.unwrap();
    assert_eq!(report.added_columns, ["email", "city"]);
    assert_eq!(report.created_indexes, ["customers_city_idx"]);
    assert!(
        db.migrate::<v2_indexed::Customer>()
            .await
            .unwrap()
            .is_noop()
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_added_by_migration_serves_finders() {
    orm_tests::init_tracing();
    let db = test_db("mig_index_query").await;
    db.migrate::<v1::Customer>().await.unwrap();
    v1::Customer {
        id: 7,
        name: "Grace".into(),
    }
    .insert(&db)
    .await
    .unwrap();
    db.migrate::<v2_indexed::Customer>().await.unwrap();
    let c = v2_indexed::Customer {
        id: 1,
        name: "Ada".into(),
        email: None,
        city: Some("Paris".into()),
    };
    c.insert(&db).await.unwrap();
    v2_indexed::Customer::update(7)
        .set_city("Oslo")
        .execute(&db)
        .await
        .unwrap();
    let found = eventually(|| async {
        let got = v2_indexed::Customer::find_by_city("Paris")
            .all(&db)
            .await
            .unwrap();
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(found, [c]);
    eventually(|| async {
        let got = v2_indexed::Customer::find_by_city("Oslo")
            .all(&db)
            .await
            .unwrap();
        (got.len() == 1).then_some(())
    })
    .await;
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_from_an_older_schema_adds_columns() {
    orm_tests::init_tracing();
    let db = test_db("mig_older").await;
    assert!(db.migrate::<v1::Customer>().await.unwrap().created_table);
    let old = v1::Customer {
        id: 7,
        name: "Grace".into(),
    };
    old.insert(&db).await.unwrap();

    let report = db.migrate::<v2::Customer>().await.unwrap();
    assert!(!report.created_keyspace);
    assert!(!report.created_table);
    assert_eq!(report.added_columns, ["email", "city"]);
    assert!(report.created_indexes.is_empty());
    assert!(db.migrate::<v2::Customer>().await.unwrap().is_noop());

    // Old rows read back through the new model; new columns are null.
    let got = v2::Customer::get(&db, 7).await.unwrap().unwrap();
    assert_eq!(
        got,
        v2::Customer {
            id: 7,
            name: "Grace".into(),
            email: None,
            city: None
        }
    );
    v2::Customer::update(7)
        .set_city("Oslo")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        v2::Customer::get(&db, 7)
            .await
            .unwrap()
            .unwrap()
            .city
            .as_deref(),
        Some("Oslo")
    );

    // The old model still reads the table (extra columns are not selected).
    assert_eq!(v1::Customer::get(&db, 7).await.unwrap(), Some(old));
    // Migrating the old model again changes nothing (columns it lacks are left alone).
    assert!(db.migrate::<v1::Customer>().await.unwrap().is_noop());
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incompatible_changes_are_refused_with_what_differs() {
    orm_tests::init_tracing();
    let db = test_db("mig_incompat").await;
    db.migrate::<v1::Customer>().await.unwrap();
    let err = db.migrate::<v3::Customer>().await.unwrap_err();
    let Error::Migration(MigrationError::Incompatible {
        table, differences, ..
    }) = &err
    else {
        panic!("expected an incompatibility, got {err:?}");
    };
    assert_eq!(table, v3::Customer::TABLE);
    assert!(differences.contains(&SchemaDifference::TypeChanged {
        column: "name".into(),
        database: "text".into(),
        model: "bigint".into()
    }));
    assert!(differences.contains(&SchemaDifference::MissingKeyColumn {
        column: "region".into(),
        model: "clustering column #0".into()
    }));
    let msg = err.to_string();
    assert!(
        msg.contains("column `name` has type text in the database but bigint in the model"),
        "{msg}"
    );
    // Nothing was changed: the old model still works.
    v1::Customer {
        id: 1,
        name: "x".into(),
    }
    .insert(&db)
    .await
    .unwrap();
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clustering_order_change_is_refused() {
    orm_tests::init_tracing();
    let db = test_db("mig_order").await;
    db.migrate::<v1_desc::Event>().await.unwrap();
    assert!(db.migrate::<v1_desc::Event>().await.unwrap().is_noop());
    let err = db.migrate::<v2_asc::Event>().await.unwrap_err();
    let Error::Migration(MigrationError::Incompatible { differences, .. }) = &err else {
        panic!("expected an incompatibility, got {err:?}");
    };
    assert_eq!(
        differences,
        &[SchemaDifference::ClusteringOrderChanged {
            column: "seq".into(),
            database: "DESC".into(),
            model: "ASC".into()
        }]
    );
    db.shutdown().await;
}
