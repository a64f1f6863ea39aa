//! Shared helpers for the integration tests and the main example.
//!
//! [`test_db`] connects to `SCYLLA_URI` when it is set (a real ScyllaDB), else starts the
//! embedded emulator, and returns a [`Db`] on a fresh keyspace unique to the caller.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use orm_runtime::{Db, DbBuilder};

/// A database for one test: the [`Db`] and, when running on the emulator, its handle.
pub struct TestDb {
    /// The ORM handle, on a keyspace unique to this test.
    pub db: Db,
    emulator: Option<scylla_emulator::EmulatorHandle>,
}

impl std::ops::Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    /// Whether the test runs against the embedded emulator (not a real ScyllaDB).
    pub fn on_emulator(&self) -> bool {
        self.emulator.is_some()
    }

    /// How many statements the emulator ran with `ALLOW FILTERING` (`None` on a real
    /// ScyllaDB).
    pub fn allow_filtering_statements(&self) -> Option<u64> {
        self.emulator
            .as_ref()
            .map(|e| e.stats().allow_filtering_statements)
    }

    /// The emulator, when the test runs on it (for stats, latency and fault injection).
    pub fn emulator(&self) -> Option<&scylla_emulator::EmulatorHandle> {
        self.emulator.as_ref()
    }

    /// Ends the test: stops the emulator, or drops the test's keyspace on a real ScyllaDB.
    pub async fn shutdown(self) {
        match self.emulator {
            Some(e) => e.shutdown().await,
            None => {
                let cql = format!("DROP KEYSPACE IF EXISTS {}", self.db.keyspace());
                if let Err(e) = self.db.execute_unpaged(&cql, ()).await {
                    tracing::warn!(%e, "could not drop the test keyspace");
                }
            }
        }
    }
}

/// Retries `check` until it returns `Some` (up to ~10 s): on a real ScyllaDB, global
/// secondary indexes are updated asynchronously, so a read right after a write may miss rows.
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("condition not met within 10 s");
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A keyspace name unique to this process and call: `orm_<test>_<pid>_<n>_<nanos>`.
pub fn unique_keyspace(test: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag: String = test
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .flat_map(char::to_lowercase)
        .take(16)
        .collect();
    format!("orm_{tag}_{}_{n}_{nanos}", std::process::id())
}

/// Connects to `SCYLLA_URI` when set, else starts the embedded emulator; returns a [`Db`] on
/// a fresh keyspace (not yet created: `db.migrate::<M>()` creates it).
pub async fn test_db(test: &str) -> TestDb {
    test_db_with(test, |b| b).await
}

/// [`test_db`] with extra builder options (replication, insert concurrency, ...).
pub async fn test_db_with(test: &str, configure: impl FnOnce(DbBuilder) -> DbBuilder) -> TestDb {
    let keyspace = unique_keyspace(test);
    if let Ok(uri) = std::env::var("SCYLLA_URI") {
        let db = configure(Db::builder(uri).keyspace(keyspace))
            .build()
            .await
            .expect("connect to SCYLLA_URI");
        return TestDb { db, emulator: None };
    }
    let emulator = scylla_emulator::Emulator::builder()
        .start()
        .await
        .expect("start the emulator");
    // `build()` (not `build_with_session`) so every builder option (credentials, request
    // timeout, `configure_session`) applies exactly as for a user.
    let db = configure(Db::builder(emulator.addr().to_string()).keyspace(keyspace))
        .build()
        .await
        .expect("connect to the emulator");
    TestDb {
        db,
        emulator: Some(emulator),
    }
}

/// Installs a `tracing` subscriber honouring `RUST_LOG` (idempotent).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
