//! Reliability under injected faults (emulator only: the faults are the emulator's
//! instruments). A dropped connection, a slow server and a failing write each produce an error
//! that names the statement; nothing partial is returned or applied; the next call works.

use std::time::{Duration, Instant};

use futures::StreamExt;
use orm_macros::Model;
use orm_runtime::Error;
use orm_tests::{TestDb, test_db, test_db_with};
use scylla_emulator::FaultError;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "ledger")]
pub struct Ledger {
    #[partition_key]
    pub account: i32,
    #[clustering_key]
    pub seq: i64,
    pub amount: i64,
    #[index]
    pub kind: i32,
    pub memo: Option<String>,
}

fn entry(account: i32, seq: i64) -> Ledger {
    Ledger {
        account,
        seq,
        amount: seq * 10,
        kind: (seq % 2) as i32,
        memo: Some(format!("memo {seq}")),
    }
}

/// A migrated table with 20 rows in account 1, on the emulator; `None` on a real ScyllaDB
/// (the faults need the emulator).
async fn setup(db: TestDb) -> Option<TestDb> {
    if !db.on_emulator() {
        eprintln!("skipped: fault injection needs the embedded emulator");
        return None;
    }
    db.migrate::<Ledger>().await.expect("migrate");
    let rows: Vec<Ledger> = (0..20).map(|i| entry(1, i)).collect();
    db.insert_many(&rows).await.expect("insert");
    Some(db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_query_is_an_error_and_the_next_call_succeeds() {
    let Some(db) = setup(test_db("fault_drop").await).await else {
        return;
    };
    let emu = db.emulator().unwrap();

    // 1. The server closes the connection instead of answering this statement.
    emu.fail_next(1, ".ledger WHERE", FaultError::DropConnection);
    let err = Ledger::get(&db, 1, 3)
        .await
        .expect_err("a dropped connection must be an error, not a row or None");
    let msg = err.to_string();
    assert!(matches!(err, Error::Execute { .. }), "{err:?}");
    assert!(msg.contains("SELECT") && msg.contains("ledger"), "{msg}");
    // The very next call succeeds: it could not be sent on the dead connection, so the Db
    // waited for the driver to reconnect (`DbBuilder::reconnect_wait`) and sent it then.
    assert_eq!(Ledger::get(&db, 1, 3).await.unwrap(), Some(entry(1, 3)));

    // 2. Every connection is dropped while queries are in flight (the server is slow, so
    //    they are mid-query when it happens).
    // Prepared beforehand, so the only requests in flight are the queries themselves.
    Ledger::find_by_partition(1).all(&db).await.unwrap();
    emu.set_latency(Duration::from_millis(400));
    let in_flight: Vec<_> = (0..4)
        .map(|i| {
            let db = db.db.clone();
            tokio::spawn(async move { Ledger::find_by_partition(1).all(&db).await.map(|r| (i, r)) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    emu.drop_connections();
    for t in in_flight {
        let r = t.await.unwrap();
        assert!(
            r.is_err(),
            "a query whose connection dropped returned {r:?}"
        );
    }
    emu.set_latency(Duration::ZERO);
    // The next call succeeds on a new connection, with complete results.
    let all = Ledger::find_by_partition(1).all(&db).await.unwrap();
    assert_eq!(all, (0..20).map(|i| entry(1, i)).collect::<Vec<_>>());

    // 3. A write after every connection dropped (nothing in flight) succeeds too. (The
    //    client must have seen the close: a request written to a socket the server is closing
    //    at that very moment is lost in flight, an error like case 2.)
    emu.drop_connections();
    tokio::time::sleep(Duration::from_millis(50)).await;
    entry(1, 20).insert(&db).await.unwrap();
    assert_eq!(Ledger::get(&db, 1, 20).await.unwrap(), Some(entry(1, 20)));

    // 4. With the wait disabled, a statement that finds no live connection is an error.
    let impatient =
        orm_tests::test_db_with("fault_drop_nowait", |b| b.reconnect_wait(Duration::ZERO)).await;
    impatient.migrate::<Ledger>().await.unwrap();
    impatient.emulator().unwrap().drop_connections();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let first = Ledger::get(&impatient, 1, 1).await;
    assert!(
        first.is_err(),
        "no connection and no wait: expected an error, got {first:?}"
    );
    impatient.shutdown().await;
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_server_gives_timeout_errors() {
    let timeout = Duration::from_millis(150);
    let Some(db) = setup(test_db_with("fault_slow", |b| b.request_timeout(timeout)).await).await
    else {
        return;
    };
    let emu = db.emulator().unwrap();
    assert_eq!(db.request_timeout(), Some(timeout));
    // Warm the prepared-statement cache of the paths below.
    Ledger::get(&db, 1, 1).await.unwrap();
    Ledger::find_by_partition(1).all(&db).await.unwrap();
    Ledger::find_by_kind(1).all(&db).await.unwrap();

    // A stream whose first page arrived before the server became slow: a later page times
    // out, and the stream yields Error::Timeout (not a silently shortened result).
    let mut stream = Ledger::find_by_partition(1)
        .page_size(5)
        .stream(&db)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    emu.set_latency(Duration::from_millis(600));
    let mut streamed = 0;
    let end = loop {
        match stream.next().await {
            Some(Ok(_)) => streamed += 1,
            Some(Err(e)) => break Some(e),
            None => break None,
        }
    };
    assert!(
        matches!(end, Some(Error::Timeout { after, .. }) if after == timeout),
        "after {streamed} rows: {end:?}"
    );
    assert!(streamed < 20);

    let t0 = Instant::now();

    // A single-row read.
    let err = Ledger::get(&db, 1, 1).await.expect_err("must time out");
    match &err {
        Error::Timeout { cql, after } => {
            assert_eq!(*after, timeout);
            assert!(cql.starts_with("SELECT") && cql.contains("ledger"), "{cql}");
        }
        other => panic!("expected Error::Timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("timed out"), "{err}");
    // A write.
    let err = entry(2, 99).insert(&db).await.expect_err("must time out");
    assert!(
        matches!(&err, Error::Timeout { cql, .. } if cql.starts_with("INSERT")),
        "{err:?}"
    );
    // A streamed/paged read (the first page) and an indexed finder.
    let err = Ledger::find_by_partition(1)
        .all(&db)
        .await
        .expect_err("must time out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let err = Ledger::find_by_kind(1)
        .all(&db)
        .await
        .expect_err("must time out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // An update.
    let err = Ledger::update(1, 2)
        .set_amount(7)
        .execute(&db)
        .await
        .expect_err("must time out");
    assert!(
        matches!(&err, Error::Timeout { cql, .. } if cql.starts_with("UPDATE")),
        "{err:?}"
    );
    // A statement never prepared before: PREPARE itself is bounded too.
    let err = Ledger::find_by_partition(1)
        .filter(|c| c.seq.ge(5))
        .all(&db)
        .await
        .expect_err("must time out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Each failed after the timeout, not after the server's latency.
    assert!(
        t0.elapsed() < Duration::from_millis(6 * 550),
        "took {:?}",
        t0.elapsed()
    );
    assert!(db.stats().timeouts >= 6, "{:?}", db.stats());

    // `build()` also set the timeout on the session's default execution profile: raw driver
    // queries on `db.session()` get it too (the driver's own RequestTimeout error).
    let raw = db
        .session()
        .query_unpaged("SELECT key FROM system.local", ())
        .await
        .expect_err("raw query must time out");
    assert!(
        matches!(
            raw,
            orm_runtime::scylla::errors::ExecutionError::RequestTimeout(d) if d == timeout
        ),
        "{raw:?}"
    );

    // The per-call override: a handle with a longer timeout waits for the slow server.
    let patient = db.with_request_timeout(Duration::from_secs(5));
    assert_eq!(
        Ledger::get(&patient, 1, 1).await.unwrap(),
        Some(entry(1, 1))
    );
    assert_eq!(
        db.request_timeout(),
        Some(timeout),
        "the original handle is unchanged"
    );

    // Back to normal: everything works on the same Db.
    emu.set_latency(Duration::ZERO);
    assert_eq!(Ledger::get(&db, 1, 1).await.unwrap(), Some(entry(1, 1)));
    assert_eq!(
        Ledger::find_by_partition(1).all(&db).await.unwrap().len(),
        20
    );
    db.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_write_errors_name_the_statement_and_apply_nothing() {
    let Some(db) = setup(test_db("fault_write").await).await else {
        return;
    };
    let emu = db.emulator().unwrap();
    let before = Ledger::find_by_partition(1).all(&db).await.unwrap();

    // Insert: ServerError.
    emu.fail_next(
        1,
        "INSERT INTO",
        FaultError::ServerError("disk on fire".into()),
    );
    let err = entry(1, 500).insert(&db).await.expect_err("must fail");
    let msg = err.to_string();
    match &err {
        Error::Execute { cql, .. } => assert!(cql.starts_with("INSERT INTO"), "{cql}"),
        other => panic!("expected Error::Execute, got {other:?}"),
    }
    assert!(
        msg.contains("INSERT INTO") && msg.contains("disk on fire"),
        "{msg}"
    );
    assert_eq!(Ledger::get(&db, 1, 500).await.unwrap(), None);

    // Update: WriteTimeout from the server (not retried: ORM statements are not idempotent).
    emu.fail_next(1, "UPDATE", FaultError::WriteTimeout);
    let err = Ledger::update(1, 4)
        .set_amount(-1)
        .set_memo(None)
        .execute(&db)
        .await
        .expect_err("must fail");
    assert!(
        matches!(&err, Error::Execute { cql, .. } if cql.starts_with("UPDATE")),
        "{err:?}"
    );
    assert_eq!(Ledger::get(&db, 1, 4).await.unwrap(), Some(entry(1, 4)));

    // Delete: ServerError.
    emu.fail_next(1, "DELETE", FaultError::ServerError("no".into()));
    let err = Ledger::delete(&db, 1, 5).await.expect_err("must fail");
    assert!(
        matches!(&err, Error::Execute { cql, .. } if cql.starts_with("DELETE")),
        "{err:?}"
    );
    assert_eq!(Ledger::get(&db, 1, 5).await.unwrap(), Some(entry(1, 5)));

    // insert_many stops at the first error and reports it with the statement.
    emu.fail_next(1, "INSERT INTO", FaultError::Overloaded);
    let rows: Vec<Ledger> = (100..110).map(|i| entry(2, i)).collect();
    let err = db.insert_many(&rows).await.expect_err("must fail");
    assert!(err.to_string().contains("INSERT INTO"), "{err}");

    // A read that fails returns an error, never a partial or empty result.
    emu.fail_next(1, ".ledger WHERE", FaultError::ReadTimeout);
    let err = Ledger::find_by_partition(1)
        .all(&db)
        .await
        .expect_err("must fail");
    assert!(err.to_string().contains("SELECT"), "{err}");

    // Nothing of the failed writes was applied; the table is intact.
    assert_eq!(Ledger::find_by_partition(1).all(&db).await.unwrap(), before);
    db.shutdown().await;
}
