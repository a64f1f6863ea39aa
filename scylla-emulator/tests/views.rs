//! Materialized views through the real driver: spec §3 (creation rules with their exact errors,
//! `system_schema.views`, range reads on the view's clustering key, read-only views) and view
//! maintenance on every write path, checked against the base table.

mod common;

use std::collections::BTreeSet;

use common::*;
use scylla::client::session::Session;
use scylla::errors::DbError;

const MV: &str = "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t \
                  WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id)";

async fn setup() -> (scylla_emulator::EmulatorHandle, Session) {
    let (h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE t (pk int, id int, packed int, other text, s set<int>, PRIMARY KEY ((pk), id))").await;
    (h, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn view_serves_ranges_without_filtering() {
    let (h, s) = setup().await;
    let ins = s
        .prepare("INSERT INTO t (pk, id, packed, other) VALUES (?, ?, ?, ?)")
        .await
        .unwrap();
    for pk in 0..3 {
        for id in 0..20 {
            s.execute_unpaged(&ins, (pk, id, (id * 7) % 20, format!("o{id}")))
                .await
                .unwrap();
        }
    }
    // Created on a populated table: existing rows are in the view.
    ddl(&s, MV).await;
    ddl(
        &s,
        "INSERT INTO t (pk, id, other) VALUES (1, 100, 'no packed')",
    )
    .await;
    h.reset_stats();
    let r: Vec<(i32, i32, String)> = rows(
        &s,
        "SELECT packed, id, other FROM mv WHERE pk = ? AND packed >= ? AND packed <= ?",
        (1, 5, 9),
    )
    .await;
    let mut want: Vec<(i32, i32, String)> = (0..20)
        .filter(|id| (5..=9).contains(&((id * 7) % 20)))
        .map(|id| ((id * 7) % 20, id, format!("o{id}")))
        .collect();
    want.sort();
    assert_eq!(r, want);
    let st = h.stats();
    assert_eq!(st.allow_filtering_statements, 0);
    assert_eq!(
        st.rows_examined,
        want.len() as u64,
        "a clustering slice, not a scan"
    );
    // Ordinary rules apply to the view's own key.
    // A clustering slice without the partition key runs (with ScyllaDB's default
    // `strict_allow_filtering: warn`, a warning).
    let r: Vec<(i32,)> = rows(&s, "SELECT id FROM mv WHERE packed > ?", (18,)).await;
    assert_eq!(r.len(), 3);
    expect_prepare_err(
        &s,
        "SELECT * FROM mv WHERE pk = ? AND other = ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT id FROM mv WHERE pk = ? AND packed = ? AND id = ?",
        (2, 14, 2),
    )
    .await;
    assert_eq!(r, vec![(2,)]);
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT id FROM mv WHERE pk = ? ORDER BY packed DESC LIMIT 1",
        (0,),
    )
    .await;
    assert_eq!(r.len(), 1);
    let all: Vec<(i32, i32, i32)> = rows(&s, "SELECT pk, packed, id FROM mv", ()).await;
    assert_eq!(all.len(), 60);

    // system_schema.views lists it; system_schema.tables does not; columns are listed under the view.
    let v: Vec<(String, String, bool, String)> = rows(
        &s,
        "SELECT view_name, base_table_name, include_all_columns, where_clause FROM system_schema.views WHERE keyspace_name = ?",
        ("ks",),
    )
    .await;
    assert_eq!(
        v,
        vec![(
            "mv".into(),
            "t".into(),
            true,
            "pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL".into()
        )]
    );
    let tables: Vec<(String,)> = rows(
        &s,
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?",
        ("ks",),
    )
    .await;
    assert_eq!(tables, vec![("t".into(),)]);
    let cols: Vec<(String, String, i32)> = rows(
        &s,
        "SELECT column_name, kind, position FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
        ("ks", "mv"),
    )
    .await;
    let cols: BTreeSet<(String, String, i32)> = cols.into_iter().collect();
    assert!(cols.contains(&("pk".into(), "partition_key".into(), 0)));
    assert!(cols.contains(&("packed".into(), "clustering".into(), 0)));
    assert!(cols.contains(&("id".into(), "clustering".into(), 1)));
    assert!(cols.contains(&("other".into(), "regular".into(), -1)));
    // The driver's metadata sees the view.
    s.refresh_metadata().await.unwrap();
    let state = s.get_cluster_state();
    let ks = state.get_keyspace("ks").unwrap();
    assert!(ks.views.contains_key("mv"));
    assert!(ks.tables.contains_key("t"));
    assert!(!ks.tables.contains_key("mv"));
}

#[tokio::test(flavor = "multi_thread")]
async fn view_creation_rules() {
    let (_h, s) = setup().await;
    ddl(&s, "ALTER TABLE t ADD st int static").await;
    let cases = [
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL AND other IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, other, id)",
            "Cannot include more than one non-primary key column 'other' in materialized view primary key",
        ),
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT * FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id)",
            "Primary key column 'packed' is required to be filtered by 'IS NOT NULL'",
        ),
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT pk, packed FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL PRIMARY KEY ((pk), packed)",
            "Cannot create Materialized View v1 without primary key columns from base t (id)",
        ),
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT pk, id, packed FROM t WHERE pk IS NOT NULL AND s IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), s, id)",
            "Cannot use MultiCell column 's' in PRIMARY KEY of materialized view",
        ),
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT pk, id FROM t WHERE pk IS NOT NULL AND st IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), st, id)",
            "Cannot use Static column 'st' in PRIMARY KEY of materialized view",
        ),
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT * FROM t WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)",
            "Unable to include static column 'st' which would be included by Materialized View SELECT * statement",
        ),
        (
            "CREATE MATERIALIZED VIEW v1 AS SELECT pk, id, packed FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)",
            "The IS NOT NULL restriction is allowed only columns which are part of the view's primary key, found columns: packed. The flag strict_is_not_null_in_views can be used to turn this error into a warning, or to silence it. (true - error, warn - warning, false - silent)",
        ),
    ];
    for (q, msg) in cases {
        expect_query_err(&s, q, DbError::Invalid, msg).await;
    }
    expect_query_err(
        &s,
        "CREATE MATERIALIZED VIEW v1 AS SELECT * FROM nope WHERE pk IS NOT NULL PRIMARY KEY (pk)",
        DbError::Invalid,
        "unconfigured table nope",
    )
    .await;
    ddl(
        &s,
        "CREATE TABLE base2 (pk int, id int, packed int, PRIMARY KEY ((pk), id))",
    )
    .await;
    ddl(
        &s,
        "CREATE MATERIALIZED VIEW mv2 AS SELECT * FROM base2 WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL \
         PRIMARY KEY ((pk), packed, id) WITH synchronous_updates = true",
    )
    .await;
    // Already exists, IF NOT EXISTS.
    let e = s
        .query_unpaged(
            "CREATE MATERIALIZED VIEW mv2 AS SELECT * FROM base2 WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)",
            (),
        )
        .await
        .unwrap_err();
    let (kind, msg) = db_error_of_execution(&e).unwrap();
    assert!(matches!(kind, DbError::AlreadyExists { .. }), "{kind:?}");
    assert_eq!(
        msg,
        "Cannot add already existing table \"mv2\" to keyspace \"ks\""
    );
    ddl(&s, "CREATE MATERIALIZED VIEW IF NOT EXISTS mv2 AS SELECT * FROM base2 WHERE pk IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id)").await;
    // Views are read-only and cannot be indexed or be the base of a view.
    for q in [
        "INSERT INTO mv2 (pk, packed, id) VALUES (1, 1, 1)",
        "UPDATE mv2 SET packed = 1 WHERE pk = 1 AND id = 1",
        "DELETE FROM mv2 WHERE pk = 1",
    ] {
        expect_prepare_err(
            &s,
            q,
            DbError::Invalid,
            "Cannot directly modify a materialized view",
        )
        .await;
    }
    expect_query_err(
        &s,
        "CREATE INDEX ON mv2 (packed)",
        DbError::Invalid,
        "Secondary indexes are not supported on materialized views",
    )
    .await;
    expect_query_err(
        &s,
        "CREATE MATERIALIZED VIEW mv3 AS SELECT * FROM mv2 WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), id, packed)",
        DbError::Invalid,
        "Materialized views cannot be created against other materialized views",
    )
    .await;
    // Dropping: the base is protected while a view depends on it; columns a view needs too.
    expect_query_err(
        &s,
        "DROP TABLE base2",
        DbError::Invalid,
        "Cannot drop table when materialized views still depend on it (ks.{mv2})",
    )
    .await;
    expect_query_err(
        &s,
        "ALTER TABLE base2 DROP packed",
        DbError::Invalid,
        "Cannot drop column packed from base table ks.base2: materialized view mv2 needs this column",
    )
    .await;
    expect_query_err(
        &s,
        "DROP TABLE mv2",
        DbError::Invalid,
        "Cannot use DROP TABLE on Materialized View",
    )
    .await;
    expect_query_err(
        &s,
        "DROP MATERIALIZED VIEW base2",
        DbError::Invalid,
        "Cannot use DROP MATERIALIZED VIEW on Table",
    )
    .await;
    ddl(&s, "DROP MATERIALIZED VIEW mv2").await;
    ddl(&s, "DROP MATERIALIZED VIEW IF EXISTS mv2").await;
    expect_query_err(
        &s,
        "DROP MATERIALIZED VIEW mv2",
        DbError::ConfigError,
        "Cannot drop non existing materialized view 'mv2' in keyspace 'ks'.",
    )
    .await;
    ddl(&s, "DROP TABLE base2").await;
    let v: Vec<(String,)> = rows(
        &s,
        "SELECT view_name FROM system_schema.views WHERE keyspace_name = ?",
        ("ks",),
    )
    .await;
    assert!(v.is_empty());
}

type ViewRow = (i32, i32, i32, Option<String>);

async fn view_rows(s: &Session) -> Vec<ViewRow> {
    rows(s, "SELECT pk, packed, id, other FROM mv", ()).await
}

/// The view as it should be: every live base row with a non-null `packed`.
async fn expected(s: &Session) -> Vec<ViewRow> {
    let base: Vec<(i32, i32, Option<i32>, Option<String>)> =
        rows(s, "SELECT pk, id, packed, other FROM t", ()).await;
    let mut v: Vec<ViewRow> = base
        .into_iter()
        .filter_map(|(pk, id, p, o)| p.map(|p| (pk, p, id, o)))
        .collect();
    // View order: token(pk), then packed, id.
    let order: Vec<i32> = {
        let mut seen = Vec::new();
        for (pk, ..) in &v {
            if !seen.contains(pk) {
                seen.push(*pk);
            }
        }
        seen
    };
    v.sort_by_key(|(pk, p, id, _)| (order.iter().position(|x| x == pk), *p, *id));
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn view_maintenance_on_every_write_path() {
    let (_h, s) = setup().await;
    ddl(&s, MV).await;
    let check = |step: &'static str| {
        let s = &s;
        async move {
            assert_eq!(view_rows(s).await, expected(s).await, "after {step}");
        }
    };
    ddl(
        &s,
        "INSERT INTO t (pk, id, packed, other) VALUES (1, 1, 10, 'a')",
    )
    .await;
    ddl(
        &s,
        "INSERT INTO t (pk, id, packed, other) VALUES (1, 2, 20, 'b')",
    )
    .await;
    ddl(&s, "INSERT INTO t (pk, id, other) VALUES (1, 3, 'c')").await;
    check("inserts").await;
    assert_eq!(view_rows(&s).await.len(), 2);
    ddl(&s, "UPDATE t SET packed = 5 WHERE pk = 1 AND id = 2").await;
    check("key change").await;
    ddl(&s, "UPDATE t SET other = 'z' WHERE pk = 1 AND id = 2").await;
    check("non-key update").await;
    ddl(&s, "UPDATE t SET packed = 30 WHERE pk = 1 AND id = 3").await;
    check("key set").await;
    ddl(&s, "DELETE packed FROM t WHERE pk = 1 AND id = 1").await;
    check("key deleted").await;
    ddl(&s, "UPDATE t SET packed = 40 WHERE pk = 2 AND id = 1").await;
    check("row created by UPDATE").await;
    ddl(&s, "DELETE FROM t WHERE pk = 1 AND id = 2").await;
    check("row delete").await;
    ddl(&s, "INSERT INTO t (pk, id, packed) VALUES (3, 1, 1)").await;
    ddl(&s, "INSERT INTO t (pk, id, packed) VALUES (3, 2, 2)").await;
    ddl(&s, "INSERT INTO t (pk, id, packed) VALUES (3, 3, 3)").await;
    ddl(&s, "DELETE FROM t WHERE pk = 3 AND id >= 2").await;
    check("range delete").await;
    ddl(&s, "DELETE FROM t WHERE pk = 2").await;
    check("partition delete").await;
    ddl(
        &s,
        "BEGIN BATCH INSERT INTO t (pk, id, packed) VALUES (4, 1, 7); UPDATE t SET packed = 8 WHERE pk = 4 AND id = 2; \
         DELETE FROM t WHERE pk = 3; APPLY BATCH",
    )
    .await;
    check("batch").await;
    ddl(
        &s,
        "UPDATE t SET packed = 9 WHERE pk = 4 AND id = 1 IF packed = 7",
    )
    .await;
    check("conditional").await;
    ddl(&s, "TRUNCATE t").await;
    assert!(view_rows(&s).await.is_empty());
    // A range read on the view after maintenance.
    for id in 0..10 {
        s.query_unpaged(
            format!(
                "INSERT INTO t (pk, id, packed) VALUES (9, {id}, {})",
                100 - id
            ),
            (),
        )
        .await
        .unwrap();
    }
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT id FROM mv WHERE pk = ? AND packed >= ? AND packed < ?",
        (9, 95, 98),
    )
    .await;
    assert_eq!(r, vec![(5,), (4,), (3,)]);
    // A column added to the base appears in a SELECT * view.
    ddl(&s, "ALTER TABLE t ADD extra text").await;
    ddl(&s, "UPDATE t SET extra = 'e' WHERE pk = 9 AND id = 4").await;
    let r: Vec<(i32, Option<String>)> = rows(
        &s,
        "SELECT id, extra FROM mv WHERE pk = ? AND packed = ?",
        (9, 96),
    )
    .await;
    assert_eq!(r, vec![(4, Some("e".to_string()))]);
}
