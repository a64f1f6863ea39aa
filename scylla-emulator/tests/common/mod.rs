//! Shared helpers for the driver-level tests.
#![allow(dead_code)]

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::{DbError, ExecutionError, PrepareError, RequestAttemptError};
use scylla_emulator::{Emulator, EmulatorHandle};

pub async fn start() -> (EmulatorHandle, Session) {
    let h = Emulator::builder().start().await.expect("start emulator");
    let s = SessionBuilder::new()
        .known_node(h.addr().to_string())
        .build()
        .await
        .expect("session");
    (h, s)
}

/// Starts an emulator, opens a session and creates keyspace `ks` (USE'd).
pub async fn start_ks() -> (EmulatorHandle, Session) {
    let (h, s) = start().await;
    s.query_unpaged(
        "CREATE KEYSPACE ks WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1} AND tablets = {'enabled': false}",
        (),
    )
    .await
    .expect("create keyspace");
    s.use_keyspace("ks", false).await.expect("use ks");
    (h, s)
}

pub async fn ddl(s: &Session, q: &str) {
    s.query_unpaged(q, ())
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
}

/// The (DbError, message) of a failed request, whichever path it took.
pub fn db_error_of_execution(e: &ExecutionError) -> Option<(DbError, String)> {
    match e {
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(d, m)) => {
            Some((d.clone(), m.clone()))
        }
        ExecutionError::PrepareError(p) => db_error_of_prepare(p),
        _ => None,
    }
}

pub fn db_error_of_prepare(e: &PrepareError) -> Option<(DbError, String)> {
    match e {
        PrepareError::AllAttemptsFailed { first_attempt } => match first_attempt {
            RequestAttemptError::DbError(d, m) => Some((d.clone(), m.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// Prepares `q` and expects PREPARE to fail with `kind` and exactly `msg`.
pub async fn expect_prepare_err(s: &Session, q: &str, kind: DbError, msg: &str) {
    match s.prepare(q).await {
        Ok(_) => panic!("PREPARE {q} succeeded, expected error {msg}"),
        Err(e) => {
            let got =
                db_error_of_prepare(&e).unwrap_or_else(|| panic!("{q}: unexpected error {e:?}"));
            assert_eq!(got, (kind, msg.to_string()), "statement: {q}");
        }
    }
}

/// Runs `q` unprepared (no values) and expects the error.
pub async fn expect_query_err(s: &Session, q: &str, kind: DbError, msg: &str) {
    match s.query_unpaged(q, ()).await {
        Ok(_) => panic!("{q} succeeded, expected error {msg}"),
        Err(e) => {
            let got =
                db_error_of_execution(&e).unwrap_or_else(|| panic!("{q}: unexpected error {e:?}"));
            assert_eq!(got, (kind, msg.to_string()), "statement: {q}");
        }
    }
}

/// Rows of an unpaged prepared SELECT.
pub async fn rows<T>(
    s: &Session,
    q: &str,
    values: impl scylla::serialize::row::SerializeRow,
) -> Vec<T>
where
    T: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
{
    let p = s.prepare(q).await.unwrap_or_else(|e| panic!("{q}: {e}"));
    let r = s
        .execute_unpaged(&p, values)
        .await
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    let r = r.into_rows_result().unwrap();
    r.rows::<T>()
        .unwrap()
        .collect::<Result<Vec<T>, _>>()
        .unwrap()
}

pub const FILTERING: &str = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING";
