//! Session opening (§8), system tables, schema agreement, auth, raw protocol robustness,
//! instruments (counters, latency, faults, dropped connections).

mod common;

use std::time::{Duration, Instant};

use common::*;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::DbError;
use scylla_emulator::{Emulator, FaultError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread")]
async fn session_opens_and_crud_works() {
    let (h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (pk int, ck int, v text, PRIMARY KEY (pk, ck))",
    )
    .await;
    s.await_schema_agreement().await.unwrap();
    let ins = s
        .prepare("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?)")
        .await
        .unwrap();
    for i in 0..5 {
        s.execute_unpaged(&ins, (1, i, format!("v{i}")))
            .await
            .unwrap();
    }
    let r: Vec<(i32, String)> = rows(&s, "SELECT ck, v FROM t WHERE pk = ?", (1,)).await;
    assert_eq!(r.len(), 5);
    assert_eq!(r[2], (2, "v2".to_string()));
    let st = s.get_cluster_state();
    let ks = st.get_keyspace("ks").expect("keyspace metadata");
    let t = ks.tables.get("t").expect("table metadata");
    assert_eq!(t.partition_key, vec!["pk".to_string()]);
    assert_eq!(t.clustering_key, vec!["ck".to_string()]);
    assert!(t.columns.contains_key("v"));
    // ALTER is visible in the metadata after agreement and refresh.
    ddl(&s, "ALTER TABLE t ADD extra map<int, text>").await;
    s.refresh_metadata().await.unwrap();
    let st = s.get_cluster_state();
    assert!(
        st.get_keyspace("ks").unwrap().tables["t"]
            .columns
            .contains_key("extra")
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn system_tables_answer_as_scylla() {
    let (h, s) = start().await;
    let r: Vec<(uuid::Uuid, std::net::IpAddr, String, String, Vec<String>, String)> = rows(
        &s,
        "SELECT host_id, rpc_address, data_center, rack, tokens, cluster_name FROM system.local WHERE key='local'",
        (),
    )
    .await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].1, h.addr().ip());
    assert_eq!((r[0].2.as_str(), r[0].3.as_str()), ("datacenter1", "rack1"));
    assert!(!r[0].4.is_empty());
    let peers: Vec<(uuid::Uuid,)> = rows(&s, "SELECT host_id FROM system.peers", ()).await;
    assert!(peers.is_empty());
    // schema_version changes after DDL.
    let v1: Vec<(uuid::Uuid,)> = rows(
        &s,
        "SELECT schema_version FROM system.local WHERE key='local'",
        (),
    )
    .await;
    ddl(&s, "CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").await;
    let v2: Vec<(uuid::Uuid,)> = rows(
        &s,
        "SELECT schema_version FROM system.local WHERE key='local'",
        (),
    )
    .await;
    assert_ne!(v1, v2);
    let ks: Vec<(String, std::collections::HashMap<String, String>, bool)> = rows(
        &s,
        "SELECT keyspace_name, replication, durable_writes FROM system_schema.keyspaces where keyspace_name in ?",
        (vec!["k2"],),
    )
    .await;
    assert_eq!(ks.len(), 1);
    assert_eq!(
        ks[0].1["class"],
        "org.apache.cassandra.locator.SimpleStrategy"
    );
    // Optional ScyllaDB tables are absent (Invalid), as the driver tolerates.
    expect_prepare_err(
        &s,
        "SELECT keyspace_name, table_name, partitioner FROM system_schema.scylla_tables",
        DbError::Invalid,
        "unconfigured table scylla_tables",
    )
    .await;
    expect_query_err(
        &s,
        "SELECT * FROM system.peers_v2",
        DbError::Invalid,
        "unconfigured table peers_v2",
    )
    .await;
    // Every table cqlsh reads answers.
    for t in [
        "functions",
        "aggregates",
        "indexes",
        "triggers",
        "views",
        "types",
        "tables",
        "columns",
        "dropped_columns",
    ] {
        s.query_unpaged(format!("SELECT * FROM system_schema.{t}"), ())
            .await
            .unwrap_or_else(|e| panic!("{t}: {e}"));
    }
    s.query_unpaged("SELECT * FROM system.local", ())
        .await
        .unwrap();
    s.query_unpaged("SELECT * FROM system.peers", ())
        .await
        .unwrap();
    // System keyspaces are read-only.
    expect_query_err(
        &s,
        "DROP KEYSPACE system",
        DbError::Unauthorized,
        "system keyspace is not user-modifiable.",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn password_authentication() {
    let h = Emulator::builder()
        .credentials("cassandra", "secret")
        .start()
        .await
        .unwrap();
    let ok = SessionBuilder::new()
        .known_node(h.addr().to_string())
        .user("cassandra", "secret")
        .build()
        .await;
    assert!(ok.is_ok(), "{:?}", ok.err());
    let bad = SessionBuilder::new()
        .known_node(h.addr().to_string())
        .user("cassandra", "wrong")
        .build()
        .await;
    let e = format!("{:?}", bad.err().expect("bad credentials must fail"));
    assert!(e.contains("Username and/or password are incorrect"), "{e}");
    let none = SessionBuilder::new()
        .known_node(h.addr().to_string())
        .build()
        .await;
    assert!(none.is_err());
}

fn frame(stream: i16, opcode: u8, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0x04, 0];
    f.extend_from_slice(&stream.to_be_bytes());
    f.push(opcode);
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(body);
    f
}

async fn read_frame(c: &mut TcpStream) -> (u8, i16, Vec<u8>) {
    let mut h = [0u8; 9];
    c.read_exact(&mut h).await.unwrap();
    let len = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) as usize;
    let mut b = vec![0u8; len];
    c.read_exact(&mut b).await.unwrap();
    (h[4], i16::from_be_bytes([h[2], h[3]]), b)
}

fn startup_body() -> Vec<u8> {
    let mut b = 1u16.to_be_bytes().to_vec();
    for s in ["CQL_VERSION", "3.0.0"] {
        b.extend_from_slice(&(s.len() as u16).to_be_bytes());
        b.extend_from_slice(s.as_bytes());
    }
    b
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_frames_get_errors_and_server_keeps_serving() {
    let (h, s) = start_ks().await;
    let mut c = TcpStream::connect(h.addr()).await.unwrap();
    c.write_all(&frame(1, 0x01, &startup_body())).await.unwrap();
    assert_eq!(read_frame(&mut c).await.0, 0x02);
    // Unknown opcode.
    c.write_all(&frame(2, 0x42, &[])).await.unwrap();
    let (op, stream, body) = read_frame(&mut c).await;
    assert_eq!((op, stream), (0x00, 2));
    assert_eq!(i32::from_be_bytes(body[0..4].try_into().unwrap()), 0x000A);
    // Truncated QUERY body.
    c.write_all(&frame(3, 0x07, &[0, 0, 0, 50, b'S']))
        .await
        .unwrap();
    let (op, _, body) = read_frame(&mut c).await;
    assert_eq!(op, 0x00);
    assert_eq!(i32::from_be_bytes(body[0..4].try_into().unwrap()), 0x000A);
    // EXECUTE of an unknown id: Unprepared with the id.
    let mut b = vec![0, 4, 1, 2, 3, 4];
    b.extend_from_slice(&[0, 1, 0]);
    c.write_all(&frame(4, 0x0A, &b)).await.unwrap();
    let (op, _, body) = read_frame(&mut c).await;
    assert_eq!(op, 0x00);
    assert_eq!(i32::from_be_bytes(body[0..4].try_into().unwrap()), 0x2500);
    assert!(body.ends_with(&[0, 4, 1, 2, 3, 4]));
    // Bad cell value for an int column.
    let mut q = Vec::new();
    let text = "SELECT * FROM system.local WHERE key = ?";
    q.extend_from_slice(&(text.len() as i32).to_be_bytes());
    q.extend_from_slice(text.as_bytes());
    q.extend_from_slice(&[0, 1, 0x01, 0, 1, 0, 0, 0, 1, 0xff]);
    c.write_all(&frame(5, 0x07, &q)).await.unwrap();
    let (op, _, body) = read_frame(&mut c).await;
    assert_eq!(op, 0x00);
    assert_eq!(i32::from_be_bytes(body[0..4].try_into().unwrap()), 0x2200);
    // An oversized frame: error, then the connection closes.
    let mut big = vec![0x04, 0, 0, 6, 0x07];
    big.extend_from_slice(&(300u32 * 1024 * 1024).to_be_bytes());
    c.write_all(&big).await.unwrap();
    let (op, _, body) = read_frame(&mut c).await;
    assert_eq!(op, 0x00);
    assert_eq!(i32::from_be_bytes(body[0..4].try_into().unwrap()), 0x000A);
    // Unsupported protocol version.
    let mut c2 = TcpStream::connect(h.addr()).await.unwrap();
    let mut f = frame(0, 0x05, &[]);
    f[0] = 0x05;
    c2.write_all(&f).await.unwrap();
    let (op, _, _) = read_frame(&mut c2).await;
    assert_eq!(op, 0x00);
    // Garbage then close.
    let mut c3 = TcpStream::connect(h.addr()).await.unwrap();
    c3.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    drop(c3);
    // The session still works.
    ddl(&s, "CREATE TABLE still (pk int PRIMARY KEY)").await;
    s.query_unpaged("INSERT INTO still (pk) VALUES (1)", ())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn counters_latency_and_faults() {
    let (h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE t (pk int, ck int, v int, PRIMARY KEY (pk, ck))",
    )
    .await;
    h.reset_stats();
    let ins = s
        .prepare("INSERT INTO t (pk, ck, v) VALUES (?, ?, ?)")
        .await
        .unwrap();
    for i in 0..4 {
        s.execute_unpaged(&ins, (1, i, i)).await.unwrap();
    }
    s.query_unpaged("UPDATE t SET v = 1 WHERE pk = 1 AND ck = 1", ())
        .await
        .unwrap();
    s.query_unpaged("DELETE FROM t WHERE pk = 1 AND ck = 3", ())
        .await
        .unwrap();
    let _: Vec<(i32,)> = rows(&s, "SELECT v FROM t WHERE pk = ?", (1,)).await;
    let st = h.stats();
    assert_eq!(
        (st.inserts, st.updates, st.deletes, st.selects),
        (4, 1, 1, 1)
    );
    assert_eq!((st.rows_examined, st.rows_returned), (3, 3));
    assert_eq!(st.index_entries_read, 0);

    // Injected latency is per request: concurrent requests overlap.
    let sel = s.prepare("SELECT v FROM t WHERE pk = ?").await.unwrap();
    h.set_latency(Duration::from_millis(50));
    let t0 = Instant::now();
    let futs: Vec<_> = (0..14).map(|_| s.execute_unpaged(&sel, (1,))).collect();
    for r in futures::future::join_all(futs).await {
        r.unwrap();
    }
    let el = t0.elapsed();
    assert!(
        el >= Duration::from_millis(50) && el < Duration::from_millis(400),
        "{el:?}"
    );
    h.set_latency(Duration::ZERO);

    // Faults: the next 2 matching statements fail with the chosen error.
    h.fail_next(2, "FROM t WHERE", FaultError::ServerError("boom".into()));
    for _ in 0..2 {
        let e = s.execute_unpaged(&sel, (1,)).await.unwrap_err();
        assert_eq!(
            db_error_of_execution(&e).unwrap(),
            (DbError::ServerError, "boom".into())
        );
    }
    s.execute_unpaged(&sel, (1,)).await.unwrap();
    h.fail_next(1, "INSERT INTO t", FaultError::Invalid("nope".into()));
    let e = s.execute_unpaged(&ins, (2, 2, 2)).await.unwrap_err();
    assert_eq!(
        db_error_of_execution(&e).unwrap(),
        (DbError::Invalid, "nope".into())
    );
    h.fail_next(1, "SELECT v FROM t", FaultError::Overloaded);
    let mut sel_np = sel.clone();
    sel_np.set_retry_policy(Some(std::sync::Arc::new(
        scylla::policies::retry::FallthroughRetryPolicy::new(),
    )));
    let e = s.execute_unpaged(&sel_np, (1,)).await.unwrap_err();
    assert_eq!(db_error_of_execution(&e).unwrap().0, DbError::Overloaded);

    // Dropped connections: the driver reconnects.
    h.drop_connections();
    let mut ok = false;
    for _ in 0..100 {
        if s.execute_unpaged(&sel, (1,)).await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "session did not recover after drop_connections");
}

#[tokio::test(flavor = "multi_thread")]
async fn prepared_statements_survive_schema_changes() {
    let (_h, s) = start_ks().await;
    ddl(&s, "CREATE TABLE t (pk int PRIMARY KEY, a int)").await;
    s.query_unpaged("INSERT INTO t (pk, a) VALUES (1, 1)", ())
        .await
        .unwrap();
    let p = s.prepare("SELECT * FROM t WHERE pk = ?").await.unwrap();
    let r = s
        .execute_unpaged(&p, (1,))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(r.column_specs().len(), 2);
    ddl(&s, "ALTER TABLE t ADD b text").await;
    // The old id is gone: the driver gets Unprepared, re-prepares, and sees the new column.
    let r = s
        .execute_unpaged(&p, (1,))
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    assert_eq!(r.column_specs().len(), 3);
    let row: (i32, i32, Option<String>) = r.single_row().unwrap();
    assert_eq!(row, (1, 1, None));
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_allow_filtering_and_no_schema_metadata() {
    let h = Emulator::builder()
        .strict_allow_filtering(true)
        .start()
        .await
        .unwrap();
    let s = SessionBuilder::new()
        .known_node(h.addr().to_string())
        .fetch_schema_metadata(false)
        .build()
        .await
        .unwrap();
    ddl(&s, "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}").await;
    ddl(
        &s,
        "CREATE TABLE ks.t (pk int, ck int, PRIMARY KEY (pk, ck))",
    )
    .await;
    expect_prepare_err(
        &s,
        "SELECT * FROM ks.t WHERE ck = ?",
        DbError::Invalid,
        FILTERING,
    )
    .await;
    s.prepare("SELECT * FROM ks.t WHERE ck = ? ALLOW FILTERING")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn driver_metadata_has_every_type() {
    let (_h, s) = start_ks().await;
    ddl(
        &s,
        "CREATE TABLE ty (a int, b bigint, c text, d frozen<set<int>>, e list<bigint>, f map<int, text>, g frozen<tuple<int, text>>, h timeuuid, i duration, j decimal, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC)",
    )
    .await;
    s.refresh_metadata().await.unwrap();
    let st = s.get_cluster_state();
    let t = &st.get_keyspace("ks").unwrap().tables["ty"];
    assert_eq!(t.partition_key, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(t.clustering_key, vec!["c".to_string()]);
    for (c, frag) in [
        ("d", "Set"),
        ("e", "List"),
        ("f", "Map"),
        ("g", "Tuple"),
        ("h", "Timeuuid"),
        ("i", "Duration"),
        ("j", "Decimal"),
    ] {
        let ty = format!("{:?}", t.columns[c].typ);
        assert!(ty.contains(frag), "{c}: {ty}");
    }
    // [ttl] is an int and [timestamp] a bigint.
    let p = s
        .prepare("UPDATE ty USING TTL ? AND TIMESTAMP ? SET e = ? WHERE a = ? AND b = ? AND c = ?")
        .await
        .unwrap();
    let specs: Vec<(String, String)> = p
        .get_variable_col_specs()
        .iter()
        .map(|c| (c.name().to_string(), format!("{:?}", c.typ())))
        .collect();
    assert_eq!(specs[0].0, "[ttl]");
    assert!(
        specs[0].1.contains("Int") && !specs[0].1.contains("BigInt"),
        "{:?}",
        specs[0]
    );
    assert_eq!(specs[1].0, "[timestamp]");
    assert!(specs[1].1.contains("BigInt"));
    assert_eq!(p.get_variable_pk_indexes().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn random_garbage_never_kills_the_server() {
    let (h, s) = start_ks().await;
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..60 {
        let mut c = TcpStream::connect(h.addr()).await.unwrap();
        c.write_all(&frame(0, 0x01, &startup_body())).await.unwrap();
        let _ = read_frame(&mut c).await;
        let opcode = [0x05u8, 0x07, 0x09, 0x0A, 0x0B, 0x0D, 0x0F, 0x01][round % 8];
        let len = (next() % 64) as usize;
        let body: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        c.write_all(&frame(7, opcode, &body)).await.unwrap();
        let mut hdr = [0u8; 9];
        let r = tokio::time::timeout(Duration::from_secs(2), c.read_exact(&mut hdr)).await;
        assert!(
            r.is_ok(),
            "no answer to opcode {opcode:#x} with {len} random bytes"
        );
    }
    ddl(&s, "CREATE TABLE alive (pk int PRIMARY KEY)").await;
}

static SHARED: std::sync::OnceLock<scylla_emulator::EmulatorHandle> = std::sync::OnceLock::new();

/// One background emulator shared by tests with different tokio runtimes.
#[test]
fn background_emulator_is_shared_across_runtimes() {
    let h = SHARED.get_or_init(|| Emulator::builder().start_background().unwrap());
    for i in 0..2 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let s = SessionBuilder::new().known_node(h.addr().to_string()).build().await.unwrap();
            ddl(&s, &format!("CREATE KEYSPACE IF NOT EXISTS bg{i} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}")).await;
        });
    }
    assert!(h.stats().ddl >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_sessions_and_streams_concurrently() {
    let (h, s0) = start_ks().await;
    ddl(
        &s0,
        "CREATE TABLE c (pk int, ck int, v int, PRIMARY KEY (pk, ck))",
    )
    .await;
    let mut tasks = Vec::new();
    for w in 0..4 {
        let addr = h.addr().to_string();
        tasks.push(tokio::spawn(async move {
            let s = SessionBuilder::new()
                .known_node(addr)
                .use_keyspace("ks", false)
                .build()
                .await
                .unwrap();
            let ins = s
                .prepare("INSERT INTO c (pk, ck, v) VALUES (?, ?, ?)")
                .await
                .unwrap();
            let sel = s
                .prepare("SELECT COUNT(*) FROM c WHERE pk = ?")
                .await
                .unwrap();
            let futs: Vec<_> = (0..200)
                .map(|i| s.execute_unpaged(&ins, (w, i, i)))
                .collect();
            for r in futures::future::join_all(futs).await {
                r.unwrap();
            }
            let n: (i64,) = s
                .execute_unpaged(&sel, (w,))
                .await
                .unwrap()
                .into_rows_result()
                .unwrap()
                .single_row()
                .unwrap();
            assert_eq!(n.0, 200);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let n: Vec<(i64,)> = rows(&s0, "SELECT COUNT(*) FROM c", ()).await;
    assert_eq!(n, vec![(800,)]);
}
