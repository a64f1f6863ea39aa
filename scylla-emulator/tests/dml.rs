//! Data types, collections, TTL, LWT, batches and paging through the real driver.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use futures::TryStreamExt;
use scylla::statement::batch::{Batch, BatchType};
use scylla::value::CqlTimestamp;

#[tokio::test(flavor = "multi_thread")]
async fn every_native_type_round_trips() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE ty (id uuid PRIMARY KEY, a ascii, b bigint, bl blob, bo boolean, d double, f float, i int, si smallint, ti tinyint, tx text, ts timestamp, tu timeuuid, ip inet, vi varint, dt date, tm time)",
    )
    .await;
    let id = uuid::Uuid::new_v4();
    let tu = uuid::Uuid::parse_str("8e14e760-7fa8-11eb-bc66-000000000001").unwrap();
    let ins = s
        .prepare("INSERT INTO ty (id, a, b, bl, bo, d, f, i, si, ti, tx, ts, tu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .await
        .unwrap();
    s.execute_unpaged(
        &ins,
        (
            id,
            "ascii",
            -5i64,
            vec![1u8, 2, 3],
            true,
            1.5f64,
            2.5f32,
            42i32,
            7i16,
            -3i8,
            "héllo",
            CqlTimestamp(1_700_000_000_000),
            scylla::value::CqlTimeuuid::from(tu),
        ),
    )
    .await
    .unwrap();
    s.query_unpaged(
        format!("UPDATE ty SET ip = '10.0.0.1', vi = 12345678901234567890, dt = '2024-02-29', tm = '12:34:56.789' WHERE id = {id}"),
        (),
    )
    .await
    .unwrap();
    type Row = (
        String,
        i64,
        Vec<u8>,
        bool,
        f64,
        f32,
        i32,
        i16,
        i8,
        String,
        CqlTimestamp,
        scylla::value::CqlTimeuuid,
    );
    let r: Vec<Row> = rows(
        &s,
        "SELECT a, b, bl, bo, d, f, i, si, ti, tx, ts, tu FROM ty WHERE id = ?",
        (id,),
    )
    .await;
    assert_eq!(r.len(), 1);
    let r = &r[0];
    assert_eq!(r.0, "ascii");
    assert_eq!(r.1, -5);
    assert_eq!(r.2, vec![1, 2, 3]);
    assert!(r.3);
    assert_eq!((r.4, r.5, r.6, r.7, r.8), (1.5, 2.5, 42, 7, -3));
    assert_eq!(r.9, "héllo");
    assert_eq!(r.10, CqlTimestamp(1_700_000_000_000));
    assert_eq!(uuid::Uuid::from(r.11), tu);
    let r: Vec<(
        std::net::IpAddr,
        scylla::value::CqlVarint,
        scylla::value::CqlDate,
        scylla::value::CqlTime,
    )> = rows(&s, "SELECT ip, vi, dt, tm FROM ty WHERE id = ?", (id,)).await;
    assert_eq!(r[0].0, "10.0.0.1".parse::<std::net::IpAddr>().unwrap());
    assert_eq!(
        r[0].3,
        scylla::value::CqlTime(((12 * 60 + 34) * 60 + 56) * 1_000_000_000 + 789_000_000)
    );
    // Null handling: an INSERT of only the key creates a row with nulls.
    let id2 = uuid::Uuid::new_v4();
    s.query_unpaged(format!("INSERT INTO ty (id) VALUES ({id2})"), ())
        .await
        .unwrap();
    let r: Vec<(Option<i32>,)> = rows(&s, "SELECT i FROM ty WHERE id = ?", (id2,)).await;
    assert_eq!(r, vec![(None,)]);
    // An UPDATE that sets nothing but nulls does not create a row.
    let id3 = uuid::Uuid::new_v4();
    s.query_unpaged(format!("UPDATE ty SET i = null WHERE id = {id3}"), ())
        .await
        .unwrap();
    let r: Vec<(Option<i32>,)> = rows(&s, "SELECT i FROM ty WHERE id = ?", (id3,)).await;
    assert!(r.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn collection_operations() {
    let (_h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE c (pk int PRIMARY KEY, s set<int>, l list<text>, m map<int, text>, f frozen<list<int>>)").await;
    let q = |q: &'static str| q;
    s.query_unpaged(
        q("INSERT INTO c (pk, s, l, m, f) VALUES (1, {3, 1}, ['a', 'b'], {1: 'x'}, [9, 8])"),
        (),
    )
    .await
    .unwrap();
    for stmt in [
        "UPDATE c SET s = s + {2, 5} WHERE pk = 1",
        "UPDATE c SET s = s - {3} WHERE pk = 1",
        "UPDATE c SET l = l + ['c'] WHERE pk = 1",
        "UPDATE c SET l = ['z'] + l WHERE pk = 1",
        "UPDATE c SET l[1] = 'A' WHERE pk = 1",
        "UPDATE c SET m = m + {2: 'y', 3: 'w'} WHERE pk = 1",
        "UPDATE c SET m[1] = 'X' WHERE pk = 1",
        "UPDATE c SET m = m - {3} WHERE pk = 1",
        "DELETE m[2] FROM c WHERE pk = 1",
        "UPDATE c SET l = l - ['b'] WHERE pk = 1",
    ] {
        s.query_unpaged(stmt, ())
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    let r: Vec<(BTreeSet<i32>, Vec<String>, BTreeMap<i32, String>, Vec<i32>)> =
        rows(&s, "SELECT s, l, m, f FROM c WHERE pk = ?", (1,)).await;
    assert_eq!(r[0].0, BTreeSet::from([1, 2, 5]));
    assert_eq!(r[0].1, vec!["z".to_string(), "A".into(), "c".into()]);
    assert_eq!(r[0].2, BTreeMap::from([(1, "X".to_string())]));
    assert_eq!(r[0].3, vec![9, 8]);
    // Whole-collection assignment with a bind marker replaces the collection.
    let p = s.prepare("UPDATE c SET s = ? WHERE pk = ?").await.unwrap();
    s.execute_unpaged(&p, (BTreeSet::from([7]), 1))
        .await
        .unwrap();
    let r: Vec<(BTreeSet<i32>,)> = rows(&s, "SELECT s FROM c WHERE pk = ?", (1,)).await;
    assert_eq!(r[0].0, BTreeSet::from([7]));
    // An empty collection is null.
    s.execute_unpaged(&p, (BTreeSet::<i32>::new(), 1))
        .await
        .unwrap();
    let r: Vec<(Option<BTreeSet<i32>>,)> = rows(&s, "SELECT s FROM c WHERE pk = ?", (1,)).await;
    assert_eq!(r[0].0, None);
    // Out-of-range list index.
    expect_query_err(
        &s,
        "UPDATE c SET l[10] = 'q' WHERE pk = 1",
        scylla::errors::DbError::Invalid,
        "List index 10 out of bound, list has size 3",
    )
    .await;
    // Collection filtering.
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT pk FROM c WHERE m CONTAINS KEY ? ALLOW FILTERING",
        (1,),
    )
    .await;
    assert_eq!(r, vec![(1,)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn ttl_timestamp_and_lwt() {
    let (_h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE t (pk int PRIMARY KEY, v int)").await;
    s.query_unpaged("INSERT INTO t (pk, v) VALUES (1, 1) USING TTL 1", ())
        .await
        .unwrap();
    s.query_unpaged(
        "INSERT INTO t (pk, v) VALUES (2, 2) USING TTL 1000 AND TIMESTAMP 1000",
        (),
    )
    .await
    .unwrap();
    let r: Vec<(Option<i32>, Option<i64>)> =
        rows(&s, "SELECT ttl(v), writetime(v) FROM t WHERE pk = ?", (2,)).await;
    assert!(r[0].0.unwrap() > 990);
    assert_eq!(r[0].1, Some(1000));
    // An older write loses.
    s.query_unpaged("UPDATE t USING TIMESTAMP 999 SET v = 5 WHERE pk = 2", ())
        .await
        .unwrap();
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM t WHERE pk = ?", (2,)).await;
    assert_eq!(r, vec![(2,)]);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r: Vec<(i32,)> = rows(&s, "SELECT pk FROM t", ()).await;
    assert_eq!(r, vec![(2,)]);
    // Lightweight transactions return [applied].
    let p = s
        .prepare("INSERT INTO t (pk, v) VALUES (?, ?) IF NOT EXISTS")
        .await
        .unwrap();
    let r = s
        .execute_unpaged(&p, (3, 3))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(
        r.column_specs().get_by_index(0).unwrap().name(),
        "[applied]"
    );
    // As ScyllaDB: the CAS columns (all columns for IF NOT EXISTS) are in the PREPARED result
    // metadata and in every result, holding the previous values (null: no previous row).
    let guard = p.get_current_result_set_col_specs();
    let names: Vec<String> = guard.get().iter().map(|c| c.name().to_string()).collect();
    assert_eq!(names, vec!["[applied]", "pk", "v"]);
    let row: (bool, Option<i32>, Option<i32>) = r.single_row().unwrap();
    assert_eq!(row, (true, None, None));
    let r = s
        .execute_unpaged(&p, (3, 4))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let (applied, pk, v): (bool, Option<i32>, Option<i32>) = r.single_row().unwrap();
    assert_eq!((applied, pk, v), (false, Some(3), Some(3)));
    let r = s
        .query_unpaged("UPDATE t SET v = 9 WHERE pk = 42 IF EXISTS", ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let row: (bool, Option<i32>, Option<i32>) = r.single_row().unwrap();
    assert_eq!(row, (false, None, None));
    let r = s
        .query_unpaged("UPDATE t SET v = 9 WHERE pk = 3 IF v = 3", ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let row: (bool, Option<i32>) = r.single_row().unwrap();
    assert_eq!(row, (true, Some(3)));
    use scylla::errors::DbError::Invalid;
    for (q, m) in [
        (
            "UPDATE t USING TIMESTAMP 5 SET v = 1 WHERE pk = 3 IF EXISTS",
            "Cannot provide custom timestamp for conditional updates",
        ),
        (
            "UPDATE t SET v = 1 WHERE pk IN (3, 4) IF EXISTS",
            "IN on the partition key is not supported with conditional updates",
        ),
        (
            "DELETE FROM t WHERE pk IN (3, 4) IF EXISTS",
            "IN on the partition key is not supported with conditional deletions",
        ),
    ] {
        expect_query_err(&s, q, Invalid, m).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batches() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (pk int, ck int, v int, PRIMARY KEY (pk, ck))",
    )
    .await;
    let ins = s
        .prepare("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?)")
        .await
        .unwrap();
    let upd = s
        .prepare("UPDATE t SET v = ? WHERE pk = ? AND ck = ?")
        .await
        .unwrap();
    for kind in [BatchType::Logged, BatchType::Unlogged] {
        let mut b = Batch::new(kind);
        b.append_statement(ins.clone());
        b.append_statement(ins.clone());
        b.append_statement(upd.clone());
        b.append_statement("DELETE FROM t WHERE pk = 9 AND ck = 9");
        s.batch(&b, ((1, 1, 1), (1, 2, 2), (20, 1, 2), ()))
            .await
            .unwrap();
    }
    let r: Vec<(i32, i32)> = rows(&s, "SELECT ck, v FROM t WHERE pk = ?", (1,)).await;
    assert_eq!(r, vec![(1, 1), (2, 20)]);
    s.query_unpaged(
        "BEGIN UNLOGGED BATCH INSERT INTO t (pk, ck, v) VALUES (5, 1, 1); UPDATE t SET v = 2 WHERE pk = 5 AND ck = 2; APPLY BATCH",
        (),
    )
    .await
    .unwrap();
    let r: Vec<(i32, i32)> = rows(&s, "SELECT ck, v FROM t WHERE pk = ?", (5,)).await;
    assert_eq!(r, vec![(1, 1), (2, 2)]);
    // Conditional batch: one partition, all-or-nothing.
    let q = "BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (5, 3, 3) IF NOT EXISTS; UPDATE t SET v = 9 WHERE pk = 5 AND ck = 1; APPLY BATCH";
    let r = s
        .query_unpaged(q, ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let (applied,): (bool,) = r.first_row().unwrap();
    assert!(applied);
    let r = s
        .query_unpaged(q, ())
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    let (applied,) = r
        .first_row::<(bool, Option<i32>, Option<i32>, Option<i32>)>()
        .map(|(a, ..)| (a,))
        .unwrap();
    assert!(!applied);
    expect_query_err(
        &s,
        "BEGIN BATCH INSERT INTO t (pk, ck, v) VALUES (6, 3, 3) IF NOT EXISTS; UPDATE t SET v = 9 WHERE pk = 5 AND ck = 1; APPLY BATCH",
        scylla::errors::DbError::Invalid,
        "Batch with conditions cannot span multiple partitions",
    )
    .await;
}

/// Pages through `q` (no bind values) with single-page requests, counting pages.
async fn collect_paged(
    s: &scylla::client::session::Session,
    q: &str,
    page: i32,
) -> (Vec<(i32, i32)>, usize) {
    let mut p = s.prepare(q).await.unwrap();
    p.set_page_size(page);
    let mut state = scylla::response::PagingState::start();
    let mut pages = 0;
    let mut out = Vec::new();
    loop {
        let (res, next) = s.execute_single_page(&p, (), state).await.unwrap();
        pages += 1;
        let r = res.into_rows_result().unwrap();
        for row in r.rows::<(i32, i32)>().unwrap() {
            out.push(row.unwrap());
        }
        match next.into_paging_control_flow() {
            std::ops::ControlFlow::Break(()) => break,
            std::ops::ControlFlow::Continue(st) => state = st,
        }
    }
    (out, pages)
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_of_every_read_kind() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (pk int, ck int, v int, PRIMARY KEY (pk, ck))",
    )
    .await;
    let ins = s
        .prepare("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?)")
        .await
        .unwrap();
    for pk in 0..5 {
        for ck in 0..4 {
            s.execute_unpaged(&ins, (pk, ck, pk * 10 + ck))
                .await
                .unwrap();
        }
    }
    // Full scan, page size 3: same order as unpaged.
    let unpaged: Vec<(i32, i32)> = rows(&s, "SELECT pk, ck FROM t", ()).await;
    assert_eq!(unpaged.len(), 20);
    let (paged, pages) = collect_paged(&s, "SELECT pk, ck FROM t", 3).await;
    assert_eq!(paged, unpaged);
    assert_eq!(pages, 7);
    // The pager API (execute_iter) across IN, filtered, LIMIT, PER PARTITION LIMIT reads.
    for (q, expected) in [
        ("SELECT pk, ck FROM t WHERE pk IN (1, 3, 4)", 12usize),
        ("SELECT pk, ck FROM t WHERE v > 15 ALLOW FILTERING", 12),
        ("SELECT pk, ck FROM t LIMIT 7", 7),
        ("SELECT pk, ck FROM t PER PARTITION LIMIT 2", 10),
        ("SELECT pk, ck FROM t WHERE pk = 2 ORDER BY ck DESC", 4),
        (
            "SELECT pk, ck FROM t WHERE pk IN (0, 2) AND ck > 0 PER PARTITION LIMIT 2 LIMIT 3",
            3,
        ),
    ] {
        let mut p = s.prepare(q).await.unwrap();
        p.set_page_size(2);
        let got: Vec<(i32, i32)> = s
            .execute_iter(p, ())
            .await
            .unwrap()
            .rows_stream::<(i32, i32)>()
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.len(), expected, "{q}");
        let all: Vec<(i32, i32)> = rows(&s, q, ()).await;
        assert_eq!(got, all, "{q}");
    }
    // COUNT(*) aggregates over all pages and returns one row.
    let mut p = s
        .prepare("SELECT COUNT(*) FROM t WHERE v > 15 ALLOW FILTERING")
        .await
        .unwrap();
    p.set_page_size(2);
    let got: Vec<(i64,)> = s
        .execute_iter(p, ())
        .await
        .unwrap()
        .rows_stream::<(i64,)>()
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(got, vec![(12,)]);
    // DISTINCT partition keys.
    let got: Vec<(i32,)> = rows(&s, "SELECT DISTINCT pk FROM t", ()).await;
    assert_eq!(got.len(), 5);
    // LIMIT applies to the aggregate's single row, not to the rows counted.
    let got: Vec<(i64,)> = rows(&s, "SELECT COUNT(*) FROM t LIMIT 1", ()).await;
    assert_eq!(got, vec![(20,)]);
    // GROUP BY partition key (and clustering prefix).
    let mut got: Vec<(i32, i64, i32)> = rows(
        &s,
        "SELECT pk, COUNT(*), max(v) FROM t WHERE ck > 0 GROUP BY pk ALLOW FILTERING",
        (),
    )
    .await;
    got.sort();
    assert_eq!(
        got,
        (0..5).map(|pk| (pk, 3i64, pk * 10 + 3)).collect::<Vec<_>>()
    );
    let got: Vec<(i32, i64)> = rows(
        &s,
        "SELECT ck, COUNT(*) FROM t WHERE pk = 1 GROUP BY ck",
        (),
    )
    .await;
    assert_eq!(got.len(), 4);
    let got: Vec<(i32, i32, i64)> = rows(
        &s,
        "SELECT avg(v), sum(v), count(v) FROM t WHERE pk = 1",
        (),
    )
    .await;
    assert_eq!(got, vec![(11, 46, 4)]);
    let got: Vec<(i32, i64)> = rows(&s, "SELECT sum(v), COUNT(*) FROM t WHERE pk = 99", ()).await;
    assert_eq!(got, vec![(0, 0)]);
    expect_query_err(
        &s,
        "SELECT COUNT(*) FROM t GROUP BY v",
        scylla::errors::DbError::Invalid,
        "Group by non-primary-key column v",
    )
    .await;
    expect_query_err(
        &s,
        "SELECT COUNT(*) FROM t GROUP BY ck",
        scylla::errors::DbError::Invalid,
        "Group by column ck is out of order",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn statics_distinct_desc_order_and_tokens() {
    let (_h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE st (pk int, ck int, s text STATIC, v int, PRIMARY KEY (pk, ck)) WITH CLUSTERING ORDER BY (ck DESC)").await;
    s.query_unpaged("INSERT INTO st (pk, ck, s, v) VALUES (1, 1, 'a', 10)", ())
        .await
        .unwrap();
    s.query_unpaged("INSERT INTO st (pk, ck, v) VALUES (1, 2, 20)", ())
        .await
        .unwrap();
    s.query_unpaged("UPDATE st SET s = 'only-static' WHERE pk = 2", ())
        .await
        .unwrap();
    // DESC clustering order; the static value is shared by the partition's rows.
    let r: Vec<(i32, Option<i32>, Option<String>)> =
        rows(&s, "SELECT ck, v, s FROM st WHERE pk = ?", (1,)).await;
    assert_eq!(
        r,
        vec![
            (2, Some(20), Some("a".into())),
            (1, Some(10), Some("a".into()))
        ]
    );
    let r: Vec<(i32,)> = rows(&s, "SELECT ck FROM st WHERE pk = ? ORDER BY ck ASC", (1,)).await;
    assert_eq!(r, vec![(1,), (2,)]);
    let r: Vec<(i32,)> = rows(&s, "SELECT ck FROM st WHERE pk = ? AND ck < ?", (1, 2)).await;
    assert_eq!(r, vec![(1,)]);
    // A partition with only static cells shows up as one row with null clustering columns.
    let r: Vec<(Option<i32>, Option<String>)> =
        rows(&s, "SELECT ck, s FROM st WHERE pk = ?", (2,)).await;
    assert_eq!(r, vec![(None, Some("only-static".into()))]);
    let mut d: Vec<(i32, Option<String>)> = rows(&s, "SELECT DISTINCT pk, s FROM st", ()).await;
    d.sort();
    assert_eq!(
        d,
        vec![(1, Some("a".into())), (2, Some("only-static".into()))]
    );
    // Tokens agree with the driver's own Murmur3 computation (single and composite keys).
    ddl(
        &s,
        "CREATE TABLE ck2 (a int, b text, v int, PRIMARY KEY ((a, b)))",
    )
    .await;
    let ins = s
        .prepare("INSERT INTO ck2 (a, b, v) VALUES (?, ?, ?)")
        .await
        .unwrap();
    for i in 0..20 {
        s.execute_unpaged(&ins, (i, format!("k{i}"), i))
            .await
            .unwrap();
    }
    let sel = s
        .prepare("SELECT token(a, b) FROM ck2 WHERE a = ? AND b = ?")
        .await
        .unwrap();
    for i in 0..20 {
        let b = format!("k{i}");
        let t = sel.calculate_token(&(i, &b)).unwrap().unwrap().value();
        let r: Vec<(i64,)> = rows(
            &s,
            "SELECT token(a, b) FROM ck2 WHERE a = ? AND b = ?",
            (i, &b),
        )
        .await;
        assert_eq!(r, vec![(t,)]);
    }
    // Scans come back in token order.
    let toks: Vec<(i64,)> = rows(&s, "SELECT token(a, b) FROM ck2", ()).await;
    let mut sorted = toks.clone();
    sorted.sort();
    assert_eq!(toks, sorted);
    assert_eq!(toks.len(), 20);
    // writetime / ttl on a plain column; list element delete by index.
    ddl(
        &s,
        "CREATE TABLE li (pk int PRIMARY KEY, l list<int>, tu frozen<tuple<int, text>>)",
    )
    .await;
    s.query_unpaged(
        "INSERT INTO li (pk, l, tu) VALUES (1, [1, 2, 3], (7, 'x')) USING TIMESTAMP 42",
        (),
    )
    .await
    .unwrap();
    s.query_unpaged("DELETE l[1] FROM li WHERE pk = 1", ())
        .await
        .unwrap();
    let r: Vec<(Vec<i32>, (i32, String), i64)> =
        rows(&s, "SELECT l, tu, writetime(tu) FROM li WHERE pk = ?", (1,)).await;
    assert_eq!(r, vec![(vec![1, 3], (7, "x".to_string()), 42)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_and_dropped_connection_fault() {
    let (h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE c (pk int PRIMARY KEY, n counter)").await;
    let p = s
        .prepare("UPDATE c SET n = n + ? WHERE pk = ?")
        .await
        .unwrap();
    for _ in 0..3 {
        s.execute_unpaged(&p, (scylla::value::Counter(2), 1))
            .await
            .unwrap();
    }
    s.query_unpaged("UPDATE c SET n = n - 1 WHERE pk = 1", ())
        .await
        .unwrap();
    let r: Vec<(scylla::value::Counter,)> = rows(&s, "SELECT n FROM c WHERE pk = ?", (1,)).await;
    assert_eq!(r[0].0, scylla::value::Counter(5));
    // DropConnection: the request gets no answer and its connection is closed.
    h.fail_next(
        1,
        "FROM c WHERE",
        scylla_emulator::FaultError::DropConnection,
    );
    let sel = s.prepare("SELECT n FROM c WHERE pk = ?").await.unwrap();
    assert!(s.execute_unpaged(&sel, (1,)).await.is_err());
    let mut ok = false;
    for _ in 0..100 {
        if s.execute_unpaged(&sel, (1,)).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn clustering_slices_on_asc_and_desc_columns() {
    let (h, s) = start_ks().await;
    for (t, order) in [("asc_t", "ASC"), ("desc_t", "DESC")] {
        ddl(&s, &format!("CREATE TABLE {t} (pk int, a int, b int, v int, PRIMARY KEY (pk, a, b)) WITH CLUSTERING ORDER BY (a {order}, b {order})")).await;
        let ins = s
            .prepare(format!("INSERT INTO {t} (pk, a, b, v) VALUES (?, ?, ?, ?)"))
            .await
            .unwrap();
        for a in 0..20 {
            for b in 0..3 {
                s.execute_unpaged(&ins, (1, a, b, a * 10 + b))
                    .await
                    .unwrap();
            }
        }
        let mut expect: Vec<(i32, i32)> =
            (5..=8).flat_map(|a| (0..3).map(move |b| (a, b))).collect();
        if order == "DESC" {
            expect.reverse();
        }
        h.reset_stats();
        let r: Vec<(i32, i32)> = rows(
            &s,
            &format!("SELECT a, b FROM {t} WHERE pk = ? AND a >= ? AND a <= ?"),
            (1, 5, 8),
        )
        .await;
        assert_eq!(r, expect, "{t}");
        assert_eq!(
            h.stats().rows_examined,
            12,
            "{t}: the slice is a range read"
        );
        let r: Vec<(i32, i32)> = rows(
            &s,
            &format!("SELECT a, b FROM {t} WHERE pk = ? AND a > ? AND a < ?"),
            (1, 4, 9),
        )
        .await;
        assert_eq!(r, expect, "{t}");
        let r: Vec<(i32,)> = rows(
            &s,
            &format!("SELECT b FROM {t} WHERE pk = ? AND a = ? AND b > ?"),
            (1, 7, 0),
        )
        .await;
        let mut e = vec![(1,), (2,)];
        if order == "DESC" {
            e.reverse();
        }
        assert_eq!(r, e, "{t}");
        let r: Vec<(i32, i32)> = rows(
            &s,
            &format!("SELECT a, b FROM {t} WHERE pk = ? AND a < ? ORDER BY a ASC, b ASC"),
            (1, 2),
        )
        .await;
        assert_eq!(
            r,
            vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)],
            "{t}"
        );
        // Multi-column slice.
        let r: Vec<(i32, i32)> = rows(&s, &format!("SELECT a, b FROM {t} WHERE pk = ? AND (a, b) > (?, ?) AND a < ? ORDER BY a ASC, b ASC ALLOW FILTERING"), (1, 18, 1, 19)).await;
        assert_eq!(r, vec![(18, 2)], "{t}");
    }
}
