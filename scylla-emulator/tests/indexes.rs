//! Secondary indexes through the real driver: spec §1, §2 and §5 (DDL acceptance and rejection,
//! `system_schema.indexes`, query acceptance, index choice proven by the counters, paging over
//! index lookups, maintenance on every write path, and a randomized maintenance check).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use scylla::client::session::Session;
use scylla::errors::DbError;

const TABLE: &str = "CREATE TABLE t (p int, c int, v int, w int, u int, s set<int>, l list<int>, m map<int, text>, \
                     f frozen<set<int>>, st int static, PRIMARY KEY (p, c))";

async fn index_rows(s: &Session, table: &str) -> Vec<(String, String, BTreeMap<String, String>)> {
    let r: Vec<(String, String, BTreeMap<String, String>)> = rows(
        s,
        "SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = 'ks' AND table_name = ?",
        (table,),
    )
    .await;
    r
}

fn target(rows: &[(String, String, BTreeMap<String, String>)], name: &str) -> Option<String> {
    rows.iter().find(|r| r.0 == name).map(|r| {
        assert_eq!(r.1, "COMPOSITES");
        r.2["target"].clone()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn create_and_drop_index_ddl() {
    let (_h, s) = start_ks().await;
    ddl(&s, TABLE).await;
    ddl(&s, "CREATE INDEX ON t (v)").await;
    ddl(&s, "CREATE INDEX ON t (VALUES(s))").await;
    ddl(&s, "CREATE INDEX ON t (l)").await;
    ddl(&s, "CREATE INDEX ON t (KEYS(m))").await;
    ddl(&s, "CREATE INDEX ON t (ENTRIES(m))").await;
    ddl(&s, "CREATE INDEX mv_idx ON t (VALUES(m))").await;
    ddl(&s, "CREATE INDEX ON t (FULL(f))").await;
    ddl(&s, "CREATE INDEX ON t ((p), w)").await;
    ddl(&s, "CREATE INDEX IF NOT EXISTS st_idx ON t (st)").await;
    let ix = index_rows(&s, "t").await;
    assert_eq!(ix.len(), 9);
    assert_eq!(target(&ix, "t_v_idx").as_deref(), Some("v"));
    assert_eq!(target(&ix, "t_s_idx").as_deref(), Some("keys(s)"));
    assert_eq!(target(&ix, "t_l_idx").as_deref(), Some("values(l)"));
    assert_eq!(target(&ix, "t_m_idx").as_deref(), Some("keys(m)"));
    assert_eq!(target(&ix, "t_m_idx_1").as_deref(), Some("entries(m)"));
    assert_eq!(target(&ix, "mv_idx").as_deref(), Some("values(m)"));
    assert_eq!(target(&ix, "t_f_idx").as_deref(), Some("f"));
    assert_eq!(
        target(&ix, "t_w_idx").as_deref(),
        Some("{\"pk\":[\"p\"],\"ck\":[\"w\"]}")
    );
    assert_eq!(target(&ix, "st_idx").as_deref(), Some("st"));

    // Duplicates: a bare set column means VALUES(s).
    expect_query_err(
        &s,
        "CREATE INDEX ON t (s)",
        DbError::Invalid,
        "Index t_s_idx_1 is a duplicate of existing index t_s_idx",
    )
    .await;
    expect_query_err(
        &s,
        "CREATE INDEX other ON t (v)",
        DbError::Invalid,
        "Index other is a duplicate of existing index t_v_idx",
    )
    .await;
    ddl(&s, "CREATE INDEX IF NOT EXISTS ON t (s)").await;
    ddl(&s, "CREATE INDEX IF NOT EXISTS t_v_idx ON t (v)").await;
    expect_query_err(
        &s,
        "CREATE INDEX t_v_idx ON t (u)",
        DbError::Invalid,
        "Index already exists",
    )
    .await;
    assert_eq!(index_rows(&s, "t").await.len(), 9);

    // Rejections of spec §1.
    let cases = [
        (
            "CREATE INDEX ON t (KEYS(s))",
            "Cannot create secondary index on keys of column s with non-map type",
        ),
        (
            "CREATE INDEX ON t (ENTRIES(s))",
            "Cannot create secondary index on entries of column s with non-map type",
        ),
        (
            "CREATE INDEX ON t ((p), VALUES(s))",
            "Local secondary index on collection column s is not implemented yet.",
        ),
        (
            "CREATE INDEX ON t ((p), l)",
            "Local secondary index on collection column l is not implemented yet.",
        ),
        (
            "CREATE INDEX ON t (FULL(s))",
            "full() indexes can only be created on frozen collections",
        ),
        (
            "CREATE INDEX ON t (f)",
            "Cannot create index on value of frozen collection column f",
        ),
        (
            "CREATE INDEX ON t (VALUES(f))",
            "Cannot create index on values() of frozen collection column f",
        ),
        (
            "CREATE INDEX ON t (VALUES(u))",
            "Cannot create index on values() of column u; only non-frozen collections support values() indexes",
        ),
        (
            "CREATE INDEX ON t (p)",
            "Cannot create secondary index on partition key column p",
        ),
        (
            "CREATE INDEX ON t (nope)",
            "No column definition found for column nope",
        ),
        (
            "CREATE INDEX ON t ((c), u)",
            "Local index definition must contain full partition key only. Redundant column: c",
        ),
        (
            "CREATE INDEX ON t ((p), st)",
            "Local indexes containing static columns are not supported.",
        ),
    ];
    for (q, msg) in cases {
        expect_query_err(&s, q, DbError::Invalid, msg).await;
    }
    expect_query_err(
        &s,
        "CREATE INDEX ON nope (v)",
        DbError::Invalid,
        "unconfigured table nope",
    )
    .await;

    // DROP INDEX.
    ddl(&s, "DROP INDEX t_l_idx").await;
    ddl(&s, "DROP INDEX IF EXISTS t_l_idx").await;
    expect_query_err(
        &s,
        "DROP INDEX t_l_idx",
        DbError::Invalid,
        "Index 't_l_idx' could not be found in any of the tables of keyspace 'ks'",
    )
    .await;
    ddl(&s, "DROP INDEX ks.mv_idx").await;
    assert_eq!(index_rows(&s, "t").await.len(), 7);
    // An indexed column cannot be dropped; others can.
    expect_query_err(
        &s,
        "ALTER TABLE t DROP v",
        DbError::Invalid,
        "Cannot drop column v from base table ks.t: materialized view t_v_idx_index needs this column",
    )
    .await;
    ddl(&s, "ALTER TABLE t DROP u").await;
    // Dropping the table drops its indexes; the name is free again.
    ddl(&s, "DROP TABLE t").await;
    assert!(index_rows(&s, "t").await.is_empty());
    ddl(&s, "CREATE TABLE t (p int PRIMARY KEY, v int)").await;
    ddl(&s, "CREATE INDEX ON t (v)").await;
    assert_eq!(
        target(&index_rows(&s, "t").await, "t_v_idx").as_deref(),
        Some("v")
    );
}

async fn populated() -> (scylla_emulator::EmulatorHandle, Session) {
    let (h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE t (p int, c int, v int, w int, u int, s set<int>, m map<int, text>, PRIMARY KEY (p, c))").await;
    ddl(&s, "CREATE INDEX ON t (v)").await;
    ddl(&s, "CREATE INDEX ON t (w)").await;
    ddl(&s, "CREATE INDEX ON t (VALUES(s))").await;
    ddl(&s, "CREATE INDEX ON t (KEYS(m))").await;
    ddl(&s, "CREATE INDEX ON t (ENTRIES(m))").await;
    ddl(&s, "CREATE INDEX ON t ((p), u)").await;
    let ins = s
        .prepare("INSERT INTO t (p, c, v, w, u, s, m) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .await
        .unwrap();
    for p in 0..10 {
        for c in 0..10 {
            let set: BTreeSet<i32> = [c, 100 + p].into_iter().collect();
            let map: BTreeMap<i32, String> = [(c, format!("x{}", p % 2))].into_iter().collect();
            s.execute_unpaged(&ins, (p, c, c % 3, p, c % 2, set, map))
                .await
                .unwrap();
        }
    }
    (h, s)
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_served_by_indexes() {
    let (h, s) = populated().await;
    // = on a global index, served: examined rows are the matches only.
    h.reset_stats();
    let r: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE v = ?", (1,)).await;
    assert_eq!(r.len(), 30);
    let st = h.stats();
    assert_eq!(st.index_entries_read, 30);
    assert_eq!(st.rows_examined, 30);
    assert_eq!(st.allow_filtering_statements, 0);
    // The same rows by a filtered scan examine the whole table.
    h.reset_stats();
    let r2: Vec<(i32, i32)> = rows(
        &s,
        "SELECT p, c FROM t WHERE v >= ? AND v <= ? ALLOW FILTERING",
        (1, 1),
    )
    .await;
    assert_eq!(r2.len(), 30);
    let st = h.stats();
    assert_eq!((st.index_entries_read, st.rows_examined), (0, 100));
    // Index results come in token order, like ScyllaDB's index view.
    let r3: Vec<(i32, i32)> = rows(
        &s,
        "SELECT p, c FROM t WHERE token(p) >= ? AND v = ? ALLOW FILTERING",
        (i64::MIN, 1),
    )
    .await;
    assert_eq!(r, r3);

    // Aggregates and LIMIT over an index lookup.
    let n: Vec<(i64,)> = rows(&s, "SELECT COUNT(*) FROM t WHERE v = ?", (1,)).await;
    assert_eq!(n, vec![(30,)]);
    let r4: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE v = ? LIMIT 4", (1,)).await;
    assert_eq!(r4, r[..4].to_vec());

    // pk = ? AND indexed column: served.
    h.reset_stats();
    let r: Vec<(i32,)> = rows(&s, "SELECT c FROM t WHERE p = ? AND v = ?", (4, 2)).await;
    assert_eq!(r, vec![(2,), (5,), (8,)]);
    assert_eq!(h.stats().rows_examined, 3);

    // CONTAINS on VALUES(s), with and without the partition key.
    h.reset_stats();
    let r: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE s CONTAINS ?", (105,)).await;
    assert_eq!(r.len(), 10);
    assert!(r.iter().all(|(p, _)| *p == 5));
    assert_eq!(h.stats().index_entries_read, 10);
    let r: Vec<(i32, i32)> = rows(
        &s,
        "SELECT p, c FROM t WHERE p = ? AND s CONTAINS ?",
        (3, 7),
    )
    .await;
    assert_eq!(r, vec![(3, 7)]);
    // Maps: CONTAINS KEY by KEYS(m), m[k] = v by ENTRIES(m).
    let r: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE m CONTAINS KEY ?", (4,)).await;
    assert_eq!(r.len(), 10);
    let r: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE m[?] = ?", (4, "x1")).await;
    assert_eq!(r.len(), 5);

    // Local index: full partition key by =.
    h.reset_stats();
    let r: Vec<(i32,)> = rows(&s, "SELECT c FROM t WHERE p = ? AND u = ?", (6, 1)).await;
    assert_eq!(r, vec![(1,), (3,), (5,), (7,), (9,)]);
    let st = h.stats();
    assert_eq!((st.index_entries_read, st.rows_examined), (5, 5));
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_needing_allow_filtering() {
    let (h, s) = populated().await;
    for q in [
        "SELECT * FROM t WHERE v > ?",
        "SELECT * FROM t WHERE v >= ? AND v <= ?",
        "SELECT * FROM t WHERE v IN (1, 2)",
        "SELECT * FROM t WHERE p IN (1, 2) AND v = ?",
        "SELECT * FROM t WHERE p IN (1, 2) AND s CONTAINS ?",
        "SELECT * FROM t WHERE v = ? AND w = ?",
        "SELECT * FROM t WHERE v = ? AND c = ?",
        "SELECT * FROM t WHERE m CONTAINS ?",
        // Local index rules (spec §2).
        "SELECT * FROM t WHERE p = ? AND u > ?",
        "SELECT * FROM t WHERE p = ? AND u >= ? AND u <= ?",
        "SELECT * FROM t WHERE p = ? AND u IN (0, 1)",
        "SELECT * FROM t WHERE u = ?",
    ] {
        expect_prepare_err(&s, q, DbError::Invalid, FILTERING).await;
    }
    // With ALLOW FILTERING: ranges are filtered, not served by the index.
    h.reset_stats();
    let r: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE v > ? ALLOW FILTERING", (1,)).await;
    assert_eq!(r.len(), 30);
    let st = h.stats();
    assert_eq!((st.index_entries_read, st.rows_examined), (0, 100));
    // Local index range: single-partition read, filtered, no index entries.
    h.reset_stats();
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT c FROM t WHERE p = ? AND u >= ? AND u <= ? ALLOW FILTERING",
        (2, 1, 1),
    )
    .await;
    assert_eq!(r.len(), 5);
    let st = h.stats();
    assert_eq!((st.index_entries_read, st.rows_examined), (0, 10));
    // pk IN + index: partitions filtered, index not used.
    h.reset_stats();
    let r: Vec<(i32, i32)> = rows(
        &s,
        "SELECT p, c FROM t WHERE p IN (1, 2) AND v = ? ALLOW FILTERING",
        (0,),
    )
    .await;
    assert_eq!(r.len(), 8);
    assert_eq!(h.stats().index_entries_read, 0);
    // Two indexed columns: one index is read (the first created, v), the other filtered.
    h.reset_stats();
    let r: Vec<(i32, i32)> = rows(
        &s,
        "SELECT p, c FROM t WHERE v = ? AND w = ? ALLOW FILTERING",
        (0, 3),
    )
    .await;
    assert_eq!(r, vec![(3, 0), (3, 3), (3, 6), (3, 9)]);
    let st = h.stats();
    assert_eq!((st.index_entries_read, st.rows_examined), (40, 40));
    // Indexed column plus clustering column.
    let r: Vec<(i32, i32)> = rows(
        &s,
        "SELECT p, c FROM t WHERE v = ? AND c = ? ALLOW FILTERING",
        (0, 3),
    )
    .await;
    assert_eq!(r.len(), 10);
    // ORDER BY with an index.
    expect_prepare_err(
        &s,
        "SELECT * FROM t WHERE p = ? AND v = ? ORDER BY c DESC",
        DbError::Invalid,
        "ORDER BY with 2ndary indexes is not supported.",
    )
    .await;
    // CONTAINS on an unindexed collection column.
    ddl(&s, "CREATE TABLE plain (p int PRIMARY KEY, s set<int>)").await;
    expect_prepare_err(
        &s,
        "SELECT * FROM plain WHERE s CONTAINS ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
}

/// Pages through a prepared statement with single-page requests.
async fn paged(s: &Session, q: &str, values: (i32,), page: i32) -> (Vec<(i32, i32)>, usize) {
    let mut p = s.prepare(q).await.unwrap();
    p.set_page_size(page);
    let mut state = scylla::response::PagingState::start();
    let mut pages = 0;
    let mut out = Vec::new();
    loop {
        let (res, next) = s.execute_single_page(&p, values, state).await.unwrap();
        pages += 1;
        for row in res
            .into_rows_result()
            .unwrap()
            .rows::<(i32, i32)>()
            .unwrap()
        {
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
async fn paging_over_index_lookups() {
    let (_h, s) = populated().await;
    for (q, v) in [
        ("SELECT p, c FROM t WHERE v = ?", 1),
        ("SELECT p, c FROM t WHERE s CONTAINS ?", 3),
        ("SELECT p, c FROM t WHERE w = ? ALLOW FILTERING", 4),
    ] {
        let all: Vec<(i32, i32)> = rows(&s, q, (v,)).await;
        assert!(!all.is_empty());
        for page in [1, 3, 7, 100] {
            let (got, pages) = paged(&s, q, (v,), page).await;
            assert_eq!(got, all, "{q} page {page}");
            assert!(
                pages >= all.len().div_ceil(page as usize),
                "{q} page {page}: {pages} pages"
            );
        }
    }
    // Local index, paged.
    let all: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM t WHERE p = ? AND u = 0", (5,)).await;
    let (got, _) = paged(&s, "SELECT p, c FROM t WHERE p = ? AND u = 0", (5,), 2).await;
    assert_eq!(got, all);
    assert_eq!(all.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn maintenance_on_every_write_path() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (p int, c int, v int, s set<int>, PRIMARY KEY (p, c))",
    )
    .await;
    ddl(&s, "CREATE INDEX ON t (v)").await;
    ddl(&s, "CREATE INDEX ON t (s)").await;
    let by_v = |v: i32| {
        let s = &s;
        async move { rows::<(i32, i32)>(s, "SELECT p, c FROM t WHERE v = ?", (v,)).await }
    };
    let by_s = |e: i32| {
        let s = &s;
        async move { rows::<(i32, i32)>(s, "SELECT p, c FROM t WHERE s CONTAINS ?", (e,)).await }
    };
    ddl(&s, "INSERT INTO t (p, c, v, s) VALUES (1, 1, 10, {1, 2})").await;
    ddl(&s, "INSERT INTO t (p, c, v, s) VALUES (1, 2, 10, {2, 3})").await;
    assert_eq!(by_v(10).await, vec![(1, 1), (1, 2)]);
    // Overwrite.
    ddl(&s, "UPDATE t SET v = 11 WHERE p = 1 AND c = 1").await;
    assert_eq!(by_v(10).await, vec![(1, 2)]);
    assert_eq!(by_v(11).await, vec![(1, 1)]);
    // Element removal and addition.
    ddl(&s, "UPDATE t SET s = s - {2} WHERE p = 1 AND c = 1").await;
    assert_eq!(by_s(2).await, vec![(1, 2)]);
    ddl(&s, "UPDATE t SET s = s + {9} WHERE p = 1 AND c = 2").await;
    assert_eq!(by_s(9).await, vec![(1, 2)]);
    // Whole-collection overwrite.
    ddl(&s, "UPDATE t SET s = {5} WHERE p = 1 AND c = 2").await;
    assert!(by_s(9).await.is_empty());
    assert!(by_s(3).await.is_empty());
    assert_eq!(by_s(5).await, vec![(1, 2)]);
    // Column delete.
    ddl(&s, "DELETE v FROM t WHERE p = 1 AND c = 1").await;
    assert!(by_v(11).await.is_empty());
    // Row delete, range delete, partition delete.
    ddl(&s, "INSERT INTO t (p, c, v) VALUES (2, 1, 20)").await;
    ddl(&s, "INSERT INTO t (p, c, v) VALUES (2, 2, 20)").await;
    ddl(&s, "INSERT INTO t (p, c, v) VALUES (2, 3, 20)").await;
    ddl(&s, "DELETE FROM t WHERE p = 2 AND c = 1").await;
    assert_eq!(by_v(20).await, vec![(2, 2), (2, 3)]);
    ddl(&s, "DELETE FROM t WHERE p = 2 AND c >= 3").await;
    assert_eq!(by_v(20).await, vec![(2, 2)]);
    ddl(&s, "DELETE FROM t WHERE p = 2").await;
    assert!(by_v(20).await.is_empty());
    // A write shadowed by the deletion does not resurrect the entry.
    ddl(
        &s,
        "INSERT INTO t (p, c, v) VALUES (2, 2, 20) USING TIMESTAMP 1",
    )
    .await;
    assert!(by_v(20).await.is_empty());
    // BATCH.
    ddl(
        &s,
        "BEGIN BATCH INSERT INTO t (p, c, v) VALUES (3, 1, 30); UPDATE t SET v = 30 WHERE p = 3 AND c = 2; \
         DELETE v FROM t WHERE p = 1 AND c = 2; APPLY BATCH",
    )
    .await;
    assert_eq!(by_v(30).await, vec![(3, 1), (3, 2)]);
    assert!(by_v(10).await.is_empty());
    // Conditional update.
    ddl(&s, "UPDATE t SET v = 31 WHERE p = 3 AND c = 1 IF v = 30").await;
    assert_eq!(by_v(30).await, vec![(3, 2)]);
    // TTL expiry: checked lazily at read time.
    ddl(&s, "INSERT INTO t (p, c, v) VALUES (4, 1, 40) USING TTL 1").await;
    assert_eq!(by_v(40).await, vec![(4, 1)]);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(by_v(40).await.is_empty());
    // TRUNCATE empties the index.
    ddl(&s, "TRUNCATE t").await;
    assert!(by_v(30).await.is_empty());
    // Index created on a populated table sees existing rows.
    ddl(&s, "INSERT INTO t (p, c, v, s) VALUES (7, 7, 70, {70})").await;
    ddl(&s, "CREATE TABLE u (p int PRIMARY KEY, v int)").await;
    ddl(&s, "INSERT INTO u (p, v) VALUES (1, 5)").await;
    ddl(&s, "CREATE INDEX ON u (v)").await;
    let r: Vec<(i32,)> = rows(&s, "SELECT p FROM u WHERE v = ?", (5,)).await;
    assert_eq!(r, vec![(1,)]);
}

/// xorshift64*: a tiny deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> i32 {
        (self.next() % n) as i32
    }
}

#[derive(Clone, Debug, Default)]
struct Shadow {
    v: Option<i32>,
    u: Option<i32>,
    s: BTreeSet<i32>,
    marker: bool,
}
impl Shadow {
    fn live(&self) -> bool {
        self.marker || self.v.is_some() || self.u.is_some() || !self.s.is_empty()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn randomized_maintenance_matches_brute_force() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE r (p int, c int, v int, u int, s set<int>, PRIMARY KEY (p, c))",
    )
    .await;
    ddl(&s, "CREATE INDEX ON r (v)").await;
    ddl(&s, "CREATE INDEX ON r (VALUES(s))").await;
    ddl(&s, "CREATE INDEX ON r ((p), u)").await;
    // A view keyed by the indexed column is maintained alongside (spec §3).
    ddl(
        &s,
        "CREATE MATERIALIZED VIEW rv AS SELECT p, c, v FROM r WHERE p IS NOT NULL AND v IS NOT NULL AND c IS NOT NULL PRIMARY KEY ((p), v, c)",
    )
    .await;
    let ins = s
        .prepare("INSERT INTO r (p, c, v, u) VALUES (?, ?, ?, ?)")
        .await
        .unwrap();
    let set_v = s
        .prepare("UPDATE r SET v = ? WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let set_u = s
        .prepare("UPDATE r SET u = ? WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let add = s
        .prepare("UPDATE r SET s = s + ? WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let rem = s
        .prepare("UPDATE r SET s = s - ? WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let replace = s
        .prepare("UPDATE r SET s = ? WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let del_v = s
        .prepare("DELETE v FROM r WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let del_row = s
        .prepare("DELETE FROM r WHERE p = ? AND c = ?")
        .await
        .unwrap();
    let del_range = s
        .prepare("DELETE FROM r WHERE p = ? AND c >= ? AND c <= ?")
        .await
        .unwrap();
    let del_part = s.prepare("DELETE FROM r WHERE p = ?").await.unwrap();
    let mut model: BTreeMap<(i32, i32), Shadow> = BTreeMap::new();
    let mut hits = 0usize;
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let q_v = s.prepare("SELECT p, c FROM r WHERE v = ?").await.unwrap();
    let q_s = s
        .prepare("SELECT p, c FROM r WHERE s CONTAINS ?")
        .await
        .unwrap();
    let q_u = s
        .prepare("SELECT c FROM r WHERE p = ? AND u = ?")
        .await
        .unwrap();
    let q_range = s
        .prepare("SELECT p, c FROM r WHERE v >= ? AND v <= ? ALLOW FILTERING")
        .await
        .unwrap();
    let q_view = s.prepare("SELECT p, v, c FROM rv").await.unwrap();
    let fetch = |r: scylla::response::query_result::QueryResult| -> BTreeSet<(i32, i32)> {
        r.into_rows_result()
            .unwrap()
            .rows::<(i32, i32)>()
            .unwrap()
            .map(|x| x.unwrap())
            .collect()
    };
    for round in 0..40 {
        for _ in 0..25 {
            let (p, c) = (rng.below(6), rng.below(6));
            let x = rng.below(5);
            match rng.below(10) {
                0 | 1 => {
                    s.execute_unpaged(&ins, (p, c, x, x % 3)).await.unwrap();
                    let e = model.entry((p, c)).or_default();
                    e.marker = true;
                    e.v = Some(x);
                    e.u = Some(x % 3);
                }
                2 => {
                    s.execute_unpaged(&set_v, (x, p, c)).await.unwrap();
                    model.entry((p, c)).or_default().v = Some(x);
                }
                3 => {
                    s.execute_unpaged(&set_u, (x, p, c)).await.unwrap();
                    model.entry((p, c)).or_default().u = Some(x);
                }
                4 => {
                    let add_set: BTreeSet<i32> = [x, x + 1].into();
                    s.execute_unpaged(&add, (&add_set, p, c)).await.unwrap();
                    model.entry((p, c)).or_default().s.extend(add_set);
                }
                5 => {
                    let rm: BTreeSet<i32> = [x].into();
                    s.execute_unpaged(&rem, (&rm, p, c)).await.unwrap();
                    if let Some(e) = model.get_mut(&(p, c)) {
                        e.s.remove(&x);
                    }
                }
                6 => {
                    let new: BTreeSet<i32> = [x, 10].into();
                    s.execute_unpaged(&replace, (&new, p, c)).await.unwrap();
                    model.entry((p, c)).or_default().s = new;
                }
                7 => {
                    s.execute_unpaged(&del_v, (p, c)).await.unwrap();
                    if let Some(e) = model.get_mut(&(p, c)) {
                        e.v = None;
                    }
                }
                8 => {
                    if rng.below(2) == 0 {
                        s.execute_unpaged(&del_row, (p, c)).await.unwrap();
                        model.remove(&(p, c));
                    } else {
                        let hi = c + rng.below(3);
                        s.execute_unpaged(&del_range, (p, c, hi)).await.unwrap();
                        model.retain(|(mp, mc), _| !(*mp == p && *mc >= c && *mc <= hi));
                    }
                }
                _ => {
                    if rng.below(3) == 0 {
                        s.execute_unpaged(&del_part, (p,)).await.unwrap();
                        model.retain(|(mp, _), _| *mp != p);
                    } else {
                        s.execute_unpaged(&set_v, (x, p, c)).await.unwrap();
                        model.entry((p, c)).or_default().v = Some(x);
                    }
                }
            }
        }
        model.retain(|_, e| e.live());
        // The view against the model.
        let want: BTreeSet<(i32, i32, i32)> = model
            .iter()
            .filter_map(|((p, c), e)| e.v.map(|v| (*p, v, *c)))
            .collect();
        let got: BTreeSet<(i32, i32, i32)> = s
            .execute_unpaged(&q_view, ())
            .await
            .unwrap()
            .into_rows_result()
            .unwrap()
            .rows::<(i32, i32, i32)>()
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(got, want, "round {round}: view");
        // A filtered range (not served by the index).
        let want: BTreeSet<(i32, i32)> = model
            .iter()
            .filter(|(_, e)| e.v.is_some_and(|v| (1..=3).contains(&v)))
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(
            fetch(s.execute_unpaged(&q_range, (1, 3)).await.unwrap()),
            want,
            "round {round}: range"
        );
        // Paging through an index lookup gives the unpaged result.
        let x = round % 5;
        let unpaged: Vec<(i32, i32)> = rows(&s, "SELECT p, c FROM r WHERE v = ?", (x,)).await;
        let (paged_rows, _) = paged(&s, "SELECT p, c FROM r WHERE v = ?", (x,), 2).await;
        assert_eq!(paged_rows, unpaged, "round {round}: paged v = {x}");
        // Every indexed query against brute force over the shadow model.
        for x in 0..6 {
            let want: BTreeSet<(i32, i32)> = model
                .iter()
                .filter(|(_, e)| e.v == Some(x))
                .map(|(k, _)| *k)
                .collect();
            hits += want.len();
            assert_eq!(
                fetch(s.execute_unpaged(&q_v, (x,)).await.unwrap()),
                want,
                "round {round}: v = {x}"
            );
            let want: BTreeSet<(i32, i32)> = model
                .iter()
                .filter(|(_, e)| e.s.contains(&x))
                .map(|(k, _)| *k)
                .collect();
            assert_eq!(
                fetch(s.execute_unpaged(&q_s, (x,)).await.unwrap()),
                want,
                "round {round}: s CONTAINS {x}"
            );
            for p in 0..6 {
                let want: BTreeSet<i32> = model
                    .iter()
                    .filter(|((mp, _), e)| *mp == p && e.u == Some(x))
                    .map(|((_, c), _)| *c)
                    .collect();
                let got: BTreeSet<i32> = s
                    .execute_unpaged(&q_u, (p, x))
                    .await
                    .unwrap()
                    .into_rows_result()
                    .unwrap()
                    .rows::<(i32,)>()
                    .unwrap()
                    .map(|r| r.unwrap().0)
                    .collect();
                assert_eq!(got, want, "round {round}: p = {p} AND u = {x}");
            }
        }
    }
    assert!(
        hits > 500,
        "the random workload must exercise the index ({hits} hits)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_and_static_column_indexes() {
    let (h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE k (a int, b int, c1 int, c2 int, st int static, v int, PRIMARY KEY ((a, b), c1, c2))").await;
    ddl(&s, "CREATE INDEX ON k (c2)").await;
    ddl(&s, "CREATE INDEX ON k (a)").await;
    ddl(&s, "CREATE INDEX ON k (st)").await;
    let ins = s
        .prepare("INSERT INTO k (a, b, c1, c2, v) VALUES (?, ?, ?, ?, ?)")
        .await
        .unwrap();
    for a in 0..3 {
        for b in 0..2 {
            for c in 0..4 {
                s.execute_unpaged(&ins, (a, b, c, c % 2, a * 100 + b * 10 + c))
                    .await
                    .unwrap();
            }
            s.query_unpaged(
                format!("UPDATE k SET st = {} WHERE a = {a} AND b = {b}", a + b),
                (),
            )
            .await
            .unwrap();
        }
    }
    // A clustering column skipping c1, served by its index.
    h.reset_stats();
    let r: Vec<(i32,)> = rows(
        &s,
        "SELECT v FROM k WHERE a = ? AND b = ? AND c2 = ?",
        (1, 1, 1),
    )
    .await;
    assert_eq!(r, vec![(111,), (113,)]);
    assert_eq!(h.stats().index_entries_read, 2);
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM k WHERE c2 = ?", (0,)).await;
    assert_eq!(r.len(), 12);
    // One component of a composite partition key, served by its index.
    let r: Vec<(i32,)> = rows(&s, "SELECT v FROM k WHERE a = ?", (2,)).await;
    assert_eq!(r.len(), 8);
    expect_prepare_err(
        &s,
        "SELECT v FROM k WHERE a = ? AND v = ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    // A static column: every row of the matching partitions.
    let r: Vec<(i32, i32)> = rows(&s, "SELECT a, b FROM k WHERE st = ?", (2,)).await;
    let parts: BTreeSet<(i32, i32)> = r.iter().copied().collect();
    assert_eq!(parts, [(1, 1), (2, 0)].into_iter().collect());
    assert_eq!(r.len(), 8);
    // pk IN with an index that would be used: ScyllaDB's dedicated message.
    expect_prepare_err(
        &s,
        "SELECT v FROM k WHERE a IN (1, 2) AND b = 1 AND c2 = ?",
        DbError::Invalid,
        "Index cannot be used if the partition key is restricted with IN clause. This query would require filtering instead.",
    )
    .await;
}
