//! Spec §5–§7 rules and rejections through the real driver, asserting code and message.

mod common;

use common::*;
use scylla::errors::DbError;

async fn setup() -> (
    scylla_emulator::EmulatorHandle,
    scylla::client::session::Session,
) {
    let (h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (p1 int, p2 int, c1 int, c2 int, v int, s set<int>, m map<int, text>, l list<bigint>, PRIMARY KEY ((p1, p2), c1, c2))",
    )
    .await;
    ddl(
        &s,
        "CREATE TABLE kv (pk int PRIMARY KEY, v int, s set<int>)",
    )
    .await;
    let ins = s
        .prepare("INSERT INTO t (p1, p2, c1, c2, v, s) VALUES (?, ?, ?, ?, ?, ?)")
        .await
        .unwrap();
    for p in 0..3 {
        for c in 0..3 {
            s.execute_unpaged(&ins, (p, p, c, c, p * 10 + c, vec![c]))
                .await
                .unwrap();
        }
    }
    (h, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_key_rules() {
    let (_h, s) = setup().await;
    // No restriction: full scan allowed.
    let all: Vec<(i32, i32, i32, i32)> = rows(&s, "SELECT p1, p2, c1, c2 FROM t", ()).await;
    assert_eq!(all.len(), 9);
    let only_eq = "Only EQ and IN relation are supported on the partition key (unless you use the token() function or ALLOW FILTERING)";
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 > ? AND p2 = ?",
        DbError::Invalid,
        only_eq,
    )
    .await;
    // With ALLOW FILTERING a slice on the partition key is filtered.
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 > ? AND p2 > ? ALLOW FILTERING",
        (0, 1),
    )
    .await;
    assert_eq!(r.len(), 3);
    // Partly restricted composite key.
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM t WHERE p1 = ? ALLOW FILTERING", (1,)).await;
    assert_eq!(r.len(), 3);
    // IN products over 100.
    let list: Vec<String> = (0..11).map(|i| i.to_string()).collect();
    let q = format!(
        "SELECT * FROM t WHERE p1 IN ({}) AND p2 IN ({})",
        list.join(","),
        list.join(",")
    );
    expect_query_err(
        &s,
        &q,
        DbError::Invalid,
        "partition key cartesian product size 121 is greater than maximum 100",
    )
    .await;
    let p = s
        .prepare("SELECT v FROM t WHERE p1 IN ? AND p2 IN ?")
        .await
        .unwrap();
    let big: Vec<i32> = (0..11).collect();
    let e = s.execute_unpaged(&p, (&big, &big)).await.unwrap_err();
    assert_eq!(
        db_error_of_execution(&e).unwrap(),
        (
            DbError::Invalid,
            "partition key cartesian product size 121 is greater than maximum 100".into()
        )
    );
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 IN ? AND p2 IN ?",
        (vec![0, 1, 2], vec![1, 2]),
    )
    .await;
    assert_eq!(r.len(), 6);
    // token() ranges.
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM t WHERE token(p1, p2) >= ?", (i64::MIN,)).await;
    assert_eq!(r.len(), 9);
}

#[tokio::test(flavor = "multi_thread")]
async fn clustering_rules() {
    let (_h, s) = setup().await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? AND c2 = ?",
        DbError::Invalid,
        "PRIMARY KEY column \"c2\" cannot be restricted as preceding column \"c1\" is not restricted",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? AND c1 > ? AND c2 = ?",
        DbError::Invalid,
        "Clustering column \"c2\" cannot be restricted (preceding column \"c1\" is restricted by a non-EQ relation)",
    )
    .await;
    // Both are accepted with ALLOW FILTERING.
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c2 = ? ALLOW FILTERING",
        (1, 1, 2),
    )
    .await;
    assert_eq!(r, vec![(12,)]);
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c1 > ? AND c2 = ? ALLOW FILTERING",
        (1, 1, 0, 2),
    )
    .await;
    assert_eq!(r, vec![(12,)]);
    // A clustering restriction without the partition key runs (strict_allow_filtering: warn).
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM t WHERE c1 = ?", (1,)).await;
    assert_eq!(r.len(), 3);
    // Slices and IN on clustering columns.
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c1 >= ? AND c1 < ?",
        (2, 2, 1, 3),
    )
    .await;
    assert_eq!(r, vec![(21,), (22,)]);
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c1 IN ?",
        (2, 2, vec![2, 0]),
    )
    .await;
    assert_eq!(r, vec![(20,), (22,)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn regular_column_and_order_rules() {
    let (h, s) = setup().await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? AND c1 = ? AND c2 = ? AND v = ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE v = ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE s CONTAINS ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM kv WHERE pk = ? AND v > ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    h.reset_stats();
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM t WHERE v > ? ALLOW FILTERING", (15,)).await;
    assert_eq!(r.len(), 3);
    let st = h.stats();
    assert_eq!(st.allow_filtering_statements, 1);
    assert_eq!(st.rows_examined, 9);
    assert_eq!(st.rows_returned, 3);
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE s CONTAINS ? ALLOW FILTERING",
        (2,),
    )
    .await;
    assert_eq!(r.len(), 3);
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE v CONTAINS ?",
        DbError::Invalid,
        "Cannot use CONTAINS on non-collection column v",
    )
    .await;
    // ORDER BY.
    expect_prepare_err(
        &s,
        "SELECT * FROM t ORDER BY c1 DESC",
        DbError::Invalid,
        "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.",
    )
    .await;
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 = ? AND p2 = ? ORDER BY c1 DESC",
        (1, 1),
    )
    .await;
    assert_eq!(r, vec![(12,), (11,), (10,)]);
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? ORDER BY v DESC",
        DbError::Invalid,
        "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got v",
    )
    .await;
    // Unknown names.
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE x = ?",
        DbError::Invalid,
        "Unrecognized name x",
    )
    .await;
    expect_prepare_err(
        &s,
        "INSERT INTO t (p1, p2, c1, c2, x) VALUES (?, ?, ?, ?, ?)",
        DbError::Invalid,
        "Unknown identifier x",
    )
    .await;
    expect_prepare_err(
        &s,
        "UPDATE t SET x = ? WHERE p1 = ? AND p2 = ? AND c1 = ? AND c2 = ?",
        DbError::Invalid,
        "Unknown identifier x",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM nope",
        DbError::Invalid,
        "unconfigured table nope",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn modification_rules() {
    let (_h, s) = setup().await;
    expect_prepare_err(
        &s,
        "INSERT INTO t (p1, p2, c1, v) VALUES (?, ?, ?, ?)",
        DbError::Invalid,
        "Missing mandatory PRIMARY KEY part c2",
    )
    .await;
    expect_prepare_err(
        &s,
        "INSERT INTO t (p1, c1, c2, v) VALUES (?, ?, ?, ?)",
        DbError::Invalid,
        "Missing mandatory PRIMARY KEY part p2",
    )
    .await;
    expect_prepare_err(
        &s,
        "UPDATE t SET v = ? WHERE p1 = ? AND p2 = ? AND c1 = ?",
        DbError::Invalid,
        "Missing mandatory PRIMARY KEY part c2",
    )
    .await;
    expect_prepare_err(
        &s,
        "UPDATE t SET v = ? WHERE p1 = ? AND p2 = ? AND c1 = ? AND c2 = ? AND v = ?",
        DbError::Invalid,
        "Invalid where clause contains non PRIMARY KEY columns: v",
    )
    .await;
    expect_prepare_err(
        &s,
        "UPDATE t SET c1 = ? WHERE p1 = ? AND p2 = ? AND c1 = ? AND c2 = ?",
        DbError::Invalid,
        "PRIMARY KEY part c1 found in SET part",
    )
    .await;
    expect_prepare_err(
        &s,
        "DELETE v FROM t WHERE p1 = ? AND p2 = ? AND c1 > ?",
        DbError::Invalid,
        "Range deletions are not supported for specific columns",
    )
    .await;
    expect_prepare_err(
        &s,
        "DELETE v FROM t WHERE p1 = ? AND p2 = ?",
        DbError::Invalid,
        "Primary key column 'c1' must be specified in order to modify column 'v'",
    )
    .await;
    expect_prepare_err(
        &s,
        "UPDATE t SET v = ? WHERE p1 = ? AND p2 = ? AND c1 > ? AND c2 = ?",
        DbError::Invalid,
        "Invalid operator in where clause c1 > ?",
    )
    .await;
    ddl(&s, "CREATE TABLE cnt (pk int PRIMARY KEY, n counter)").await;
    expect_prepare_err(
        &s,
        "INSERT INTO cnt (pk, n) VALUES (?, ?)",
        DbError::Invalid,
        "INSERT statements are not allowed on counter tables, use UPDATE instead",
    )
    .await;
    expect_prepare_err(
        &s,
        "UPDATE cnt SET n = n + 1 WHERE pk = ? IF EXISTS",
        DbError::Invalid,
        "Conditional updates are not supported on counter tables",
    )
    .await;
    // Row, range and partition deletes.
    let del = s
        .prepare("DELETE FROM t WHERE p1 = ? AND p2 = ? AND c1 >= ?")
        .await
        .unwrap();
    s.execute_unpaged(&del, (1, 1, 1)).await.unwrap();
    let r: Vec<(i32,)> = rows(&s, "SELECT c1 FROM t WHERE p1 = ? AND p2 = ?", (1, 1)).await;
    assert_eq!(r, vec![(0,)]);
    // A write older than the range tombstone stays deleted; a newer one is visible.
    let ins = s
        .prepare("INSERT INTO t (p1, p2, c1, c2, v) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?")
        .await
        .unwrap();
    s.execute_unpaged(&ins, (1, 1, 2, 2, 5, 1i64))
        .await
        .unwrap();
    let r: Vec<(i32,)> = rows(&s, "SELECT c1 FROM t WHERE p1 = ? AND p2 = ?", (1, 1)).await;
    assert_eq!(r, vec![(0,)]);
    s.query_unpaged("DELETE FROM t WHERE p1 = 2 AND p2 = 2", ())
        .await
        .unwrap();
    let r: Vec<(i32,)> = rows(&s, "SELECT c1 FROM t WHERE p1 = ? AND p2 = ?", (2, 2)).await;
    assert!(r.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn canonical_type_names() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE types (a int PRIMARY KEY, b bigint, c smallint, d tinyint, e text, f boolean, g double, h float, i blob, j uuid, k timestamp, l set<int>, m list<bigint>, n map<int, text>, o frozen<set<int>>, p varchar)",
    )
    .await;
    let r: Vec<(String, String)> = rows(
        &s,
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
        ("ks", "types"),
    )
    .await;
    let m: std::collections::HashMap<String, String> = r.into_iter().collect();
    let expect = [
        ("a", "int"),
        ("b", "bigint"),
        ("c", "smallint"),
        ("d", "tinyint"),
        ("e", "text"),
        ("f", "boolean"),
        ("g", "double"),
        ("h", "float"),
        ("i", "blob"),
        ("j", "uuid"),
        ("k", "timestamp"),
        ("l", "set<int>"),
        ("m", "list<bigint>"),
        ("n", "map<int, text>"),
        ("o", "frozen<set<int>>"),
        ("p", "text"),
    ];
    for (c, t) in expect {
        assert_eq!(m.get(c).map(String::as_str), Some(t), "column {c}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bind_marker_names_and_pk_indexes() {
    let (_h, s) = setup().await;
    let names = |p: &scylla::statement::prepared::PreparedStatement| -> Vec<String> {
        p.get_variable_col_specs()
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    };
    let p = s
        .prepare("SELECT * FROM t WHERE p1 = ? AND p2 IN ? AND s CONTAINS ? AND m CONTAINS KEY ? LIMIT ? ALLOW FILTERING")
        .await
        .unwrap();
    assert_eq!(
        names(&p),
        vec!["p1", "IN(p2)", "value(s)", "key(m)", "[limit]"]
    );
    let ty = format!(
        "{:?}",
        p.get_variable_col_specs().iter().nth(1).unwrap().typ()
    );
    assert!(ty.contains("List") && ty.contains("Int"), "{ty}");
    assert!(p.get_variable_pk_indexes().is_empty());
    let p = s
        .prepare("SELECT * FROM t WHERE token(p1, p2) > ?")
        .await
        .unwrap();
    assert_eq!(names(&p), vec!["partition key token"]);
    assert!(
        format!(
            "{:?}",
            p.get_variable_col_specs().iter().next().unwrap().typ()
        )
        .contains("BigInt")
    );
    let p = s
        .prepare(
            "INSERT INTO t (c1, p2, c2, p1, v) VALUES (?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?",
        )
        .await
        .unwrap();
    assert_eq!(
        names(&p),
        vec!["c1", "p2", "c2", "p1", "v", "[ttl]", "[timestamp]"]
    );
    let idx: Vec<(u16, u16)> = p
        .get_variable_pk_indexes()
        .iter()
        .map(|i| (i.index, i.sequence))
        .collect();
    let mut idx_sorted = idx.clone();
    idx_sorted.sort();
    assert_eq!(idx_sorted, vec![(1, 1), (3, 0)]);
    let p = s
        .prepare("SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c1 = ?")
        .await
        .unwrap();
    assert_eq!(p.get_variable_pk_indexes().len(), 2);
    assert!(p.is_token_aware());
    // Statement ids are the MD5 of keyspace + text, deterministic across prepares.
    let p2 = s
        .prepare("SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c1 = ?")
        .await
        .unwrap();
    assert_eq!(p.get_id(), p2.get_id());
}

#[tokio::test(flavor = "multi_thread")]
async fn ddl_errors() {
    let (_h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE a (pk int PRIMARY KEY, v int)").await;
    match s
        .query_unpaged("CREATE TABLE a (pk int PRIMARY KEY, v int)", ())
        .await
    {
        Err(e) => {
            let (d, m) = db_error_of_execution(&e).unwrap();
            assert_eq!(
                d,
                DbError::AlreadyExists {
                    keyspace: "ks".into(),
                    table: "a".into()
                }
            );
            assert_eq!(
                m,
                "Cannot add already existing table \"a\" to keyspace \"ks\""
            );
        }
        Ok(_) => panic!("expected AlreadyExists"),
    }
    ddl(
        &s,
        "CREATE TABLE IF NOT EXISTS a (pk int PRIMARY KEY, v int)",
    )
    .await;
    match s
        .query_unpaged("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}", ())
        .await
    {
        Err(e) => {
            let (d, m) = db_error_of_execution(&e).unwrap();
            assert_eq!(d, DbError::AlreadyExists { keyspace: "ks".into(), table: "".into() });
            assert_eq!(m, "Cannot add existing keyspace \"ks\"");
        }
        Ok(_) => panic!("expected AlreadyExists"),
    }
    expect_query_err(
        &s,
        "DROP TABLE nope",
        DbError::ConfigError,
        "Cannot drop non existing table 'nope' in keyspace 'ks'.",
    )
    .await;
    ddl(&s, "DROP TABLE IF EXISTS nope").await;
    expect_query_err(
        &s,
        "DROP KEYSPACE nope",
        DbError::ConfigError,
        "Cannot drop non existing keyspace 'nope'.",
    )
    .await;
    expect_query_err(
        &s,
        "SELECT * FROM nope.t",
        DbError::Invalid,
        "Keyspace nope does not exist",
    )
    .await;
    // Secondary indexes are part 2 (tests/indexes.rs); one rejection here.
    expect_query_err(
        &s,
        "CREATE INDEX ON a (pk)",
        DbError::Invalid,
        "Cannot create secondary index on partition key column pk",
    )
    .await;
    expect_query_err(
        &s,
        "ALTER TABLE a DROP pk",
        DbError::Invalid,
        "Cannot drop PRIMARY KEY part pk",
    )
    .await;
    ddl(&s, "ALTER TABLE a ADD w text").await;
    expect_query_err(
        &s,
        "ALTER TABLE a ADD w text",
        DbError::Invalid,
        "Invalid column name w because it conflicts with an existing column",
    )
    .await;
    ddl(&s, "ALTER TABLE a DROP v").await;
    ddl(&s, "TRUNCATE a").await;
    ddl(&s, "DROP TABLE a").await;
    let syn = s.query_unpaged("SELEKT * FROM a", ()).await.unwrap_err();
    assert_eq!(db_error_of_execution(&syn).unwrap().0, DbError::SyntaxError);
}

#[tokio::test(flavor = "multi_thread")]
async fn order_by_distinct_and_warning_rules() {
    let (_h, s) = setup().await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? ORDER BY c2 DESC, c1 DESC",
        DbError::Invalid,
        "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? ORDER BY c1 DESC, c2 ASC",
        DbError::Invalid,
        "Unsupported order by relation - only reversing all columns is supported, but column c2 has opposite ordering",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? ORDER BY c2 DESC",
        DbError::Invalid,
        "Unsupported order by relation - column c1 doesn't have an ordering or EQ relation.",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p1 = ? AND p2 = ? ORDER BY x DESC",
        DbError::Invalid,
        "Order by on unknown column x",
    )
    .await;
    // ORDER BY column with an EQ on the preceding column is fine.
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM t WHERE p1 = ? AND p2 = ? AND c1 = ? ORDER BY c2 DESC",
        (1, 1, 1),
    )
    .await;
    assert_eq!(r, vec![(11,)]);
    // ORDER BY with IN on the partition key merges the partitions in clustering order.
    let r: Vec<(i32, i32)> = rows(
        &s,
        "SELECT c1, v FROM t WHERE p1 IN (0, 1) AND p2 IN (0, 1) ORDER BY c1 DESC LIMIT 4",
        (),
    )
    .await;
    assert_eq!(r, vec![(2, 2), (2, 12), (1, 1), (1, 11)]);
    // DISTINCT rules.
    expect_prepare_err(
        &s,
        "SELECT DISTINCT p1, p2 FROM t PER PARTITION LIMIT 1",
        DbError::Invalid,
        "PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT DISTINCT p1, p2 FROM t WHERE c1 = 1",
        DbError::Invalid,
        "SELECT DISTINCT with WHERE clause only supports restriction by partition key.",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT DISTINCT p1, v FROM t",
        DbError::Invalid,
        "SELECT DISTINCT queries must only request partition key columns and/or static columns (not v)",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT DISTINCT p1 FROM t",
        DbError::Invalid,
        "SELECT DISTINCT queries must request all the partition key columns (missing p2)",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT COUNT(*) FROM t PER PARTITION LIMIT 1",
        DbError::Invalid,
        "PER PARTITION LIMIT is not allowed with aggregate queries.",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM t LIMIT 0",
        DbError::Invalid,
        "LIMIT must be strictly positive",
    )
    .await;
    // A clustering restriction without the partition key carries ScyllaDB's warning.
    let p = s.prepare("SELECT v FROM t WHERE c1 = ?").await.unwrap();
    let res = s.execute_unpaged(&p, (1,)).await.unwrap();
    let w: Vec<&str> = res.warnings().collect();
    assert_eq!(
        w,
        vec!["This query should use ALLOW FILTERING and will be rejected in future versions."]
    );
    let res = s
        .execute_unpaged(
            &s.prepare("SELECT v FROM t WHERE p1 = 1 AND p2 = 1 AND c1 = ?")
                .await
                .unwrap(),
            (1,),
        )
        .await
        .unwrap();
    assert_eq!(res.warnings().count(), 0);
}

/// Odd but parseable statements: each either succeeds or fails with a client error, never a
/// ServerError (which is what a caught engine panic turns into).
#[tokio::test(flavor = "multi_thread")]
async fn odd_statements_never_cause_server_errors() {
    let (_h, s) = setup().await;
    ddl(&s, "CREATE TABLE o (pk text, ck int, d date, tm time, ts timestamp, dc decimal, vi varint, l list<int>, m map<text, int>, st int STATIC, PRIMARY KEY (pk, ck))").await;
    let stmts = [
        "INSERT INTO o (pk, ck) VALUES ('', 1)",
        "INSERT INTO o (pk, ck, d) VALUES ('a', 1, '99999999999999-01-01')",
        "INSERT INTO o (pk, ck, tm) VALUES ('a', 1, '99999999999:00:00')",
        "INSERT INTO o (pk, ck, ts) VALUES ('a', 1, '2024-13-01')",
        "INSERT INTO o (pk, ck, dc) VALUES ('a', 1, 1e-2147483648)",
        "INSERT INTO o (pk, ck, vi) VALUES ('a', 1, 123456789012345678901234567890)",
        "INSERT INTO o (pk, ck, d, tm, ts, dc) VALUES ('a', 2, '2024-01-01', '01:02:03.5', '2024-01-01T10:00:00Z', 3.25)",
        "UPDATE o SET l[5] = 1 WHERE pk = 'a' AND ck = 1",
        "UPDATE o SET l[-1] = 1 WHERE pk = 'a' AND ck = 1",
        "DELETE l[3] FROM o WHERE pk = 'a' AND ck = 1",
        "UPDATE o SET m = m - {'x'}, l = l - [1] WHERE pk = 'zz' AND ck = 9",
        "UPDATE o SET st = 1 WHERE pk = 'a'",
        "UPDATE o SET st = 1 WHERE pk = 'a' AND ck = 1",
        "DELETE FROM o WHERE pk = 'a' AND ck = 1 AND ck > 0",
        "DELETE FROM o WHERE pk = 'a' AND ck > 5 AND ck < 1",
        "DELETE st FROM o WHERE pk = 'a'",
        "DELETE FROM o WHERE pk IN ('a', 'b') AND ck IN (1, 2)",
        "SELECT * FROM o WHERE pk = 'a' AND ck > 5 AND ck < 1",
        "SELECT * FROM o WHERE pk = 'a' AND ck = 1 AND ck = 2",
        "SELECT * FROM o WHERE pk = 'a' AND ck > 1 AND ck > 2",
        "SELECT * FROM o WHERE pk IN () ",
        "SELECT * FROM o WHERE token(pk) > 9223372036854775807",
        "SELECT * FROM o WHERE token(pk) < -9223372036854775808",
        "SELECT * FROM o WHERE token(pk) > 5 AND token(pk) < 1",
        "SELECT * FROM o WHERE token(ck) > 5",
        "SELECT * FROM o WHERE m['x'] = 1 ALLOW FILTERING",
        "SELECT * FROM o WHERE m CONTAINS KEY 'x' AND l CONTAINS 1 ALLOW FILTERING",
        "SELECT writetime(l) FROM o",
        "SELECT ttl(pk) FROM o",
        "SELECT sum(pk) FROM o",
        "SELECT min(d), max(ts), count(dc) FROM o",
        "SELECT DISTINCT pk, st FROM o",
        "SELECT pk, st FROM o WHERE pk = 'a'",
        "SELECT * FROM o LIMIT 2147483647",
        "SELECT * FROM o PER PARTITION LIMIT 1 LIMIT 1",
        "SELECT * FROM o WHERE pk = 'a' ORDER BY ck DESC LIMIT 1",
        "SELECT * FROM o GROUP BY pk, ck",
        "SELECT count(*) FROM o GROUP BY pk",
        "SELECT * FROM o WHERE (ck) > (1)",
        "SELECT * FROM o WHERE (ck) IN ((1), (2)) AND pk = 'a'",
        "ALTER TABLE o DROP st",
        "ALTER TABLE o ADD st2 int static",
        "ALTER TABLE o RENAME ck TO ck2",
        "ALTER TABLE o RENAME l TO l2",
        "ALTER TABLE o WITH default_time_to_live = -1",
        "ALTER TABLE o WITH comment = 'x'",
        "BEGIN BATCH APPLY BATCH",
        "BEGIN COUNTER BATCH UPDATE o SET st2 = 1 WHERE pk = 'a'; APPLY BATCH",
        "TRUNCATE o",
        "DROP TABLE o",
    ];
    for q in stmts {
        if let Err(e) = s.query_unpaged(q, ()).await {
            let got = db_error_of_execution(&e);
            assert!(
                !matches!(got, Some((DbError::ServerError, _)) | None),
                "{q}: {e:?}"
            );
        }
    }
}
