//! [`Db`]: the driver session, the keyspace, a prepared-statement cache and the CRUD entry
//! points.
//!
//! # Connection options
//!
//! [`DbBuilder`] covers what the ORM needs; anything else the driver's [`SessionBuilder`]
//! offers passes through [`DbBuilder::configure_session`]:
//!
//! - **Password authentication**: [`DbBuilder::credentials`] (the driver's
//!   `SessionBuilder::user`). Wrong credentials fail [`DbBuilder::build`] with
//!   [`Error::Connect`], whose source is the driver's error (`Username and/or password are
//!   incorrect` from the server).
//! - **TLS** needs one of the driver's TLS features, which the ORM does not enable. Add the
//!   driver to your own `Cargo.toml` with the feature (Cargo unifies it with the ORM's copy):
//!   `scylla = { version = "1.9", features = ["openssl-010"] }` (or `"rustls-023"`), build the
//!   TLS context, and pass it through (not compiled as a doc test: it needs the `openssl`
//!   crate and the driver's TLS feature):
//!
//!   ```ignore
//!   let ctx = openssl::ssl::SslContextBuilder::new(openssl::ssl::SslMethod::tls())?.build();
//!   let db = Db::builder("scylla://db.example:9142/shop")
//!       .credentials("app", password)
//!       .configure_session(move |b| b.tls_context(Some(ctx.clone())))
//!       .build()
//!       .await?;
//!   ```
//!
//! # Timeouts and back-pressure
//!
//! - [`DbBuilder::request_timeout`] bounds every statement the [`Db`] runs (set on each
//!   statement, and as the session's default execution profile when the `Db` opens the
//!   session); [`Db::with_request_timeout`] overrides it for the calls made through the
//!   returned handle. A statement that exceeds it fails with [`Error::Timeout`].
//! - [`DbBuilder::max_in_flight`] bounds how many statements (PREPARE included) the `Db` has
//!   in flight at once, across all its clones and tasks; [`Db::stats`] reports the peak.
//!
//! # Lost connections
//!
//! A statement whose connection drops while it is in flight fails ([`Error::Execute`] with
//! the driver's broken-connection error): it may have been applied, so it is never retried.
//! A statement that could not be sent at all because its connection was already gone waits
//! for the driver to reconnect (up to [`DbBuilder::reconnect_wait`]) and is sent then, so the
//! call after a dropped connection succeeds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::pager::QueryPager;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::{
    BrokenConnectionErrorKind, ExecutionError, NextPageError, NextRowError, PagerExecutionError,
    PrepareError, RequestAttemptError, RequestError,
};
use scylla::response::query_result::QueryResult;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use tokio::sync::{Semaphore, SemaphorePermit};
use tracing::Instrument;

use crate::__private::WithHidden;
use crate::cql;
use crate::error::{Error, Result};
use crate::model::{Model, TableMeta};
use crate::schema::{self, MigrationReport};

/// Keyspace replication used by [`Db::create_keyspace`] and migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replication {
    /// `{'class': 'NetworkTopologyStrategy', 'replication_factor': n}` (the default, with 1).
    NetworkTopology {
        /// Replication factor in every datacenter.
        replication_factor: u32,
    },
    /// `{'class': 'SimpleStrategy', 'replication_factor': n}`.
    Simple {
        /// Replication factor.
        replication_factor: u32,
    },
}

impl Default for Replication {
    fn default() -> Self {
        Replication::NetworkTopology {
            replication_factor: 1,
        }
    }
}

impl Replication {
    fn cql(&self) -> String {
        match self {
            Replication::NetworkTopology { replication_factor } => {
                format!(
                    "{{'class': 'NetworkTopologyStrategy', 'replication_factor': {replication_factor}}}"
                )
            }
            Replication::Simple { replication_factor } => {
                format!("{{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}")
            }
        }
    }
}

/// A caller's adjustment of the driver's [`SessionBuilder`] (see
/// [`DbBuilder::configure_session`]).
type SessionConfig = Arc<dyn Fn(SessionBuilder) -> SessionBuilder + Send + Sync>;

/// Default of [`DbBuilder::max_in_flight`].
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// Default of [`DbBuilder::reconnect_wait`].
pub const DEFAULT_RECONNECT_WAIT: Duration = Duration::from_secs(2);

/// Builds a [`Db`] from a URI or an existing session.
#[derive(Clone)]
pub struct DbBuilder {
    uri: String,
    keyspace: Option<String>,
    replication: Replication,
    tablets: Option<bool>,
    insert_concurrency: usize,
    credentials: Option<(String, String)>,
    session_config: Vec<SessionConfig>,
    request_timeout: Option<Duration>,
    max_in_flight: usize,
    reconnect_wait: Duration,
}

impl std::fmt::Debug for DbBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbBuilder")
            .field("uri", &self.uri)
            .field("keyspace", &self.keyspace)
            .field("replication", &self.replication)
            .field("tablets", &self.tablets)
            .field("insert_concurrency", &self.insert_concurrency)
            // Never the password.
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("session_config", &self.session_config.len())
            .field("request_timeout", &self.request_timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("reconnect_wait", &self.reconnect_wait)
            .finish()
    }
}

/// Splits `scylla://host1:9042,host2/keyspace` (scheme and keyspace optional) into nodes
/// and an optional keyspace. A host without a port gets 9042.
pub fn parse_uri(uri: &str) -> Result<(Vec<String>, Option<String>)> {
    let bad = |reason: &str| Error::InvalidUri {
        uri: uri.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = match uri.split_once("://") {
        Some((scheme, rest)) if scheme == "scylla" || scheme == "cql" || scheme == "tcp" => rest,
        Some(_) => return Err(bad("the scheme must be scylla://, cql:// or tcp://")),
        None => uri,
    };
    let (hosts, keyspace) = match rest.split_once('/') {
        Some((h, ks)) if !ks.is_empty() => (h, Some(ks.to_owned())),
        Some((h, _)) => (h, None),
        None => (rest, None),
    };
    let nodes: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| {
            let has_port = match h.rsplit_once(':') {
                Some((host, port)) => {
                    !host.is_empty() && port.parse::<u16>().is_ok() && !host.ends_with(':')
                }
                None => false,
            };
            if has_port || h.starts_with('[') && h.contains("]:") {
                h.to_owned()
            } else {
                format!("{h}:9042")
            }
        })
        .collect();
    if nodes.is_empty() {
        return Err(bad("no host"));
    }
    Ok((nodes, keyspace))
}

impl DbBuilder {
    /// Starts from a URI: `scylla://host:port[,host:port...][/keyspace]`, or `host:port`.
    pub fn new(uri: impl Into<String>) -> Self {
        DbBuilder {
            uri: uri.into(),
            keyspace: None,
            replication: Replication::default(),
            tablets: Some(false),
            insert_concurrency: 64,
            credentials: None,
            session_config: Vec::new(),
            request_timeout: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            reconnect_wait: DEFAULT_RECONNECT_WAIT,
        }
    }

    /// How long a statement waits for the driver to reconnect when it could not be sent
    /// because its connection was already gone (default [`DEFAULT_RECONNECT_WAIT`];
    /// `Duration::ZERO` disables the wait). Only requests the driver reports as never sent are
    /// retried (no connection in the pool, or the connection's channel closed before the
    /// request was queued): a request lost *in flight* (the connection dropped after it was
    /// written) is an error, never retried, since it may have been applied.
    pub fn reconnect_wait(mut self, wait: Duration) -> Self {
        self.reconnect_wait = wait;
        self
    }

    /// Password authentication (ScyllaDB's `PasswordAuthenticator`): the driver's
    /// `SessionBuilder::user`. Used by [`DbBuilder::build`]; ignored by
    /// [`DbBuilder::build_with_session`] (the session is already authenticated).
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// Adjusts the driver's [`SessionBuilder`] before [`DbBuilder::build`] connects: TLS
    /// (`b.tls_context(..)`, needs a driver TLS feature, see the [module docs](self)),
    /// compression, pool size, policies, execution profiles... Runs after the builder's own
    /// settings (nodes, credentials, request timeout), so it can override them. Several calls
    /// apply in order. Ignored by [`DbBuilder::build_with_session`].
    pub fn configure_session(
        mut self,
        f: impl Fn(SessionBuilder) -> SessionBuilder + Send + Sync + 'static,
    ) -> Self {
        self.session_config.push(Arc::new(f));
        self
    }

    /// Client-side timeout of every statement the [`Db`] runs (default: none set by the ORM,
    /// so the driver's default execution profile applies, 30 s). A statement exceeding it
    /// fails with [`Error::Timeout`]. It is set on each statement the `Db` executes (so it
    /// also holds with [`DbBuilder::build_with_session`]) and, with [`DbBuilder::build`], on
    /// the session's default execution profile (so raw queries on [`Db::session`] get it too).
    /// PREPARE, which the driver does not time out, is bounded by it as well. The wait for an
    /// in-flight slot ([`DbBuilder::max_in_flight`]) is not counted.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// The most statements (PREPARE included) the [`Db`] runs at once, across all its clones
    /// and tasks (default [`DEFAULT_MAX_IN_FLIGHT`], at least 1). Further statements wait for
    /// a slot. A streamed query ([`Db::execute_iter`]) holds a slot while its first page is
    /// fetched; its later pages are fetched by the driver outside the bound.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// The keyspace every statement is qualified with (overrides the URI's).
    pub fn keyspace(mut self, keyspace: impl Into<String>) -> Self {
        self.keyspace = Some(keyspace.into());
        self
    }

    /// Replication of the keyspace when the ORM creates it.
    pub fn replication(mut self, replication: Replication) -> Self {
        self.replication = replication;
        self
    }

    /// `AND tablets = {'enabled': ...}` when creating the keyspace; `None` omits the clause
    /// (for ScyllaDB before 6.0). Default: `Some(false)`, because secondary indexes and views
    /// are restricted on tablet keyspaces (`scylla-behaviour.md` §4).
    pub fn tablets(mut self, tablets: Option<bool>) -> Self {
        self.tablets = tablets;
        self
    }

    /// How many inserts [`Db::insert_many`] runs at once (default 64, at least 1).
    pub fn insert_concurrency(mut self, n: usize) -> Self {
        self.insert_concurrency = n.max(1);
        self
    }

    fn resolve_keyspace(&self, from_uri: Option<String>) -> Result<String> {
        let ks = self
            .keyspace
            .clone()
            .or(from_uri)
            .ok_or_else(|| Error::InvalidUri {
                uri: self.uri.clone(),
                reason: "no keyspace: give one in the URI path or with .keyspace()".to_owned(),
            })?;
        if !cql::is_valid_identifier(&ks) {
            return Err(Error::InvalidKeyspace(ks));
        }
        Ok(ks)
    }

    /// Connects to the URI's nodes.
    pub async fn build(self) -> Result<Db> {
        let (nodes, ks) = parse_uri(&self.uri)?;
        let keyspace = self.resolve_keyspace(ks)?;
        let mut builder = SessionBuilder::new().known_nodes(&nodes);
        if let Some((user, password)) = &self.credentials {
            builder = builder.user(user.as_str(), password.as_str());
        }
        if let Some(timeout) = self.request_timeout {
            let profile = ExecutionProfile::builder()
                .request_timeout(Some(timeout))
                .build();
            builder = builder.default_execution_profile_handle(profile.into_handle());
        }
        for configure in &self.session_config {
            builder = configure(builder);
        }
        let session = builder.build().await.map_err(|source| Error::Connect {
            uri: self.uri.clone(),
            source: Box::new(source),
        })?;
        Ok(self.finish(Arc::new(session), keyspace))
    }

    /// Uses an existing session instead of connecting (the URI is ignored, except for its
    /// keyspace).
    pub fn build_with_session(self, session: impl Into<Arc<Session>>) -> Result<Db> {
        let ks = parse_uri(&self.uri).ok().and_then(|(_, ks)| ks);
        let keyspace = self.resolve_keyspace(ks)?;
        Ok(self.finish(session.into(), keyspace))
    }

    fn finish(self, session: Arc<Session>, keyspace: String) -> Db {
        Db {
            inner: Arc::new(Inner {
                session,
                keyspace,
                replication: self.replication,
                tablets: self.tablets,
                insert_concurrency: self.insert_concurrency,
                prepared: Mutex::new(HashMap::new()),
                model_statements: Mutex::new(HashMap::new()),
                max_in_flight: self.max_in_flight,
                reconnect_wait: self.reconnect_wait,
                slots: Semaphore::new(self.max_in_flight),
                in_flight: AtomicUsize::new(0),
                peak_in_flight: AtomicUsize::new(0),
                statements: AtomicU64::new(0),
                timeouts: AtomicU64::new(0),
            }),
            request_timeout: self.request_timeout,
        }
    }
}

struct Inner {
    session: Arc<Session>,
    keyspace: String,
    replication: Replication,
    tablets: Option<bool>,
    insert_concurrency: usize,
    prepared: Mutex<HashMap<String, PreparedStatement>>,
    /// The statements `insert`, `get` and `delete` build from a model's metadata, with their
    /// prepared statement (no request timeout applied), keyed by the address of the model's
    /// `TableMeta` and the kind: those calls neither format nor hash their CQL each time.
    model_statements: Mutex<HashMap<(usize, ModelStatement), ModelStatementEntry>>,
    max_in_flight: usize,
    reconnect_wait: Duration,
    slots: Semaphore,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    statements: AtomicU64,
    timeouts: AtomicU64,
}

/// The statements [`Db`] builds from a model's metadata alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ModelStatement {
    Insert,
    SelectByPk,
    DeleteByPk,
}

/// A cached [`ModelStatement`]: its CQL (for errors) and its prepared statement.
type ModelStatementEntry = (Arc<str>, PreparedStatement);

/// Counters of a [`Db`] (shared by its clones), from [`Db::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DbStats {
    /// The configured bound on in-flight statements ([`DbBuilder::max_in_flight`]).
    pub max_in_flight: usize,
    /// Statements in flight now.
    pub in_flight: usize,
    /// The most statements ever in flight at once (since [`Db::reset_peak_in_flight`]);
    /// never above `max_in_flight`.
    pub peak_in_flight: usize,
    /// Requests sent (PREPARE and statements; a cached prepared statement is not re-sent).
    pub statements: u64,
    /// Requests that failed with [`Error::Timeout`].
    pub timeouts: u64,
}

/// An in-flight slot: a semaphore permit plus the counters behind [`Db::stats`].
struct Slot<'a> {
    inner: &'a Inner,
    _permit: SemaphorePermit<'a>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        // Runs before the permit is released, so `in_flight` never exceeds the bound.
        self.inner.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The client-side timeout inside a driver error, if that is what it is.
fn request_timeout_of(e: &ExecutionError) -> Option<Duration> {
    match e {
        ExecutionError::RequestTimeout(d) => Some(*d),
        _ => None,
    }
}

/// Whether the driver reports that a failed request never left the client: no connection in
/// the pool, or the connection's request channel already closed. In scylla 1.9 a
/// `ChannelError` means the request was never handed to the connection's writer (requests the
/// writer took are answered with the real I/O error when the connection breaks).
fn attempt_not_sent(e: &RequestAttemptError) -> bool {
    match e {
        RequestAttemptError::BrokenConnectionError(b) => matches!(
            b.downcast_ref::<BrokenConnectionErrorKind>(),
            Some(BrokenConnectionErrorKind::ChannelError)
        ),
        _ => false,
    }
}

fn execution_not_sent(e: &ExecutionError) -> bool {
    match e {
        ExecutionError::ConnectionPoolError(_) => true,
        ExecutionError::LastAttemptError(a) => attempt_not_sent(a),
        _ => false,
    }
}

fn prepare_not_sent(e: &PrepareError) -> bool {
    match e {
        PrepareError::ConnectionPoolError(_) => true,
        PrepareError::AllAttemptsFailed { first_attempt } => attempt_not_sent(first_attempt),
        _ => false,
    }
}

fn pager_not_sent(e: &PagerExecutionError) -> bool {
    match e {
        PagerExecutionError::PrepareError(p) => prepare_not_sent(p),
        PagerExecutionError::NextPageError(NextPageError::RequestFailure(r)) => match r {
            RequestError::ConnectionPoolError(_) => true,
            RequestError::LastAttemptError(a) => attempt_not_sent(a),
            _ => false,
        },
        _ => false,
    }
}

/// A failed PREPARE: the driver's error, or the ORM's timeout.
enum PrepareFailure {
    Driver(PrepareError),
    Timeout(Duration),
}

/// The client-side timeout behind a failed page of a stream, if that is what it is.
pub(crate) fn page_timeout(e: &(dyn std::error::Error + 'static)) -> Option<Duration> {
    let page = match e.downcast_ref::<NextRowError>() {
        Some(NextRowError::NextPageError(p)) => p,
        _ => e.downcast_ref::<NextPageError>()?,
    };
    match page {
        NextPageError::RequestFailure(RequestError::RequestTimeout(d)) => Some(*d),
        _ => None,
    }
}

fn pager_timeout_of(e: &PagerExecutionError) -> Option<Duration> {
    match e {
        PagerExecutionError::NextPageError(NextPageError::RequestFailure(
            RequestError::RequestTimeout(d),
        )) => Some(*d),
        _ => None,
    }
}

/// The ORM's handle on the cluster: the driver session, the keyspace every statement is
/// qualified with, and a cache of prepared statements keyed by statement text.
///
/// Cheap to clone (shared state).
///
/// ```
/// use std::time::Duration;
///
/// use orm_macros::Model;
/// use orm_runtime::Db;
///
/// #[derive(Model, Debug, Clone, PartialEq)]
/// struct Reading {
///     #[partition_key]
///     sensor: i32,
///     #[clustering_key]
///     seq: i64,
///     value: f64,
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = scylla_emulator::Emulator::builder().start().await?;
/// # let uri = emulator.addr().to_string();
/// // `uri`: `host:port`, or `scylla://host1,host2:9042/keyspace`.
/// let db = Db::builder(uri)
///     .keyspace("telemetry")
///     .request_timeout(Duration::from_secs(5))
///     .build()
///     .await?;
/// db.migrate::<Reading>().await?; // keyspace, table, indexes: idempotent
///
/// let rows: Vec<Reading> = (0..3).map(|seq| Reading { sensor: 1, seq, value: 0.5 }).collect();
/// assert_eq!(db.insert_many(&rows).await?, 3);
/// assert_eq!(db.get::<Reading>((1, 2)).await?, Some(rows[2].clone()));
/// db.delete::<Reading>((1, 2)).await?;
/// assert_eq!(db.get::<Reading>((1, 2)).await?, None);
/// assert!(db.stats().peak_in_flight >= 1);
/// # emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
    /// Per-handle: [`Db::with_request_timeout`] changes it without touching the clones.
    request_timeout: Option<Duration>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("keyspace", &self.inner.keyspace)
            .finish_non_exhaustive()
    }
}

impl Db {
    /// A builder from a URI (see [`DbBuilder::new`]).
    pub fn builder(uri: impl Into<String>) -> DbBuilder {
        DbBuilder::new(uri)
    }

    /// Connects with default options to `uri`, using `keyspace`.
    pub async fn connect(uri: &str, keyspace: &str) -> Result<Db> {
        DbBuilder::new(uri).keyspace(keyspace).build().await
    }

    /// Wraps an existing driver session, using `keyspace`.
    pub fn from_session(session: impl Into<Arc<Session>>, keyspace: &str) -> Result<Db> {
        DbBuilder::new("")
            .keyspace(keyspace)
            .build_with_session(session)
    }

    /// The driver session (for raw driver queries; models implement `SerializeRow` and
    /// `DeserializeRow`).
    pub fn session(&self) -> &Arc<Session> {
        &self.inner.session
    }

    /// The keyspace.
    pub fn keyspace(&self) -> &str {
        &self.inner.keyspace
    }

    /// How many inserts [`Db::insert_many`] runs at once.
    pub fn insert_concurrency(&self) -> usize {
        self.inner.insert_concurrency
    }

    /// The request timeout of statements run through this handle (see
    /// [`DbBuilder::request_timeout`]); `None`: the session's execution profile decides.
    pub fn request_timeout(&self) -> Option<Duration> {
        self.request_timeout
    }

    /// A handle on the same session, cache and in-flight bound whose statements use
    /// `timeout` instead of the configured request timeout: the per-call override, e.g.
    /// `Order::find_by_status(1).all(&db.with_request_timeout(Duration::from_millis(200)))`.
    pub fn with_request_timeout(&self, timeout: Duration) -> Db {
        Db {
            inner: self.inner.clone(),
            request_timeout: Some(timeout),
        }
    }

    /// Counters: the in-flight bound, statements in flight now and at peak, requests sent,
    /// timeouts.
    pub fn stats(&self) -> DbStats {
        DbStats {
            max_in_flight: self.inner.max_in_flight,
            in_flight: self.inner.in_flight.load(Ordering::Acquire),
            peak_in_flight: self.inner.peak_in_flight.load(Ordering::Acquire),
            statements: self.inner.statements.load(Ordering::Relaxed),
            timeouts: self.inner.timeouts.load(Ordering::Relaxed),
        }
    }

    /// Resets [`DbStats::peak_in_flight`] to the current in-flight count.
    pub fn reset_peak_in_flight(&self) {
        let now = self.inner.in_flight.load(Ordering::Acquire);
        self.inner.peak_in_flight.store(now, Ordering::Release);
    }

    /// Waits for an in-flight slot (see [`DbBuilder::max_in_flight`]).
    async fn slot(&self) -> Slot<'_> {
        // Fast path without the `Acquire` future (no waiter node, no cooperative-budget
        // yield) while slots are free; wait in line only when the bound is reached.
        let permit = match self.inner.slots.try_acquire() {
            Ok(p) => p,
            Err(_) => match self.inner.slots.acquire().await {
                Ok(p) => p,
                // The semaphore is owned by `Inner` and never closed.
                Err(_) => unreachable!("the in-flight semaphore is never closed"),
            },
        };
        let now = self.inner.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        // A load first: the read-modify-write (a contended cache line) only on a new peak.
        if now > self.inner.peak_in_flight.load(Ordering::Acquire) {
            self.inner.peak_in_flight.fetch_max(now, Ordering::AcqRel);
        }
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
        Slot {
            inner: &self.inner,
            _permit: permit,
        }
    }

    /// Runs one request in an in-flight slot; while it fails without having been sent (see
    /// [`DbBuilder::reconnect_wait`]), waits for the driver to reconnect and sends it again.
    async fn run<T, E, Fut>(
        &self,
        cql: &str,
        not_sent: impl Fn(&E) -> bool,
        mut request: impl FnMut() -> Fut,
    ) -> std::result::Result<T, E>
    where
        Fut: std::future::Future<Output = std::result::Result<T, E>>,
    {
        let deadline = tokio::time::Instant::now() + self.inner.reconnect_wait;
        let mut pause = Duration::from_millis(5);
        loop {
            let result = {
                let _slot = self.slot().await;
                request().await
            };
            match result {
                Err(e) if not_sent(&e) && tokio::time::Instant::now() + pause <= deadline => {
                    tracing::debug!(
                        cql,
                        "not sent: no live connection; waiting for reconnection"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// A cached statement with this handle's request timeout applied.
    fn with_timeout(&self, mut prepared: PreparedStatement) -> PreparedStatement {
        if let Some(t) = self.request_timeout {
            prepared.set_request_timeout(Some(t));
        }
        prepared
    }

    fn timeout_error(&self, cql: &str, after: Duration) -> Error {
        self.inner.timeouts.fetch_add(1, Ordering::Relaxed);
        Error::Timeout {
            cql: cql.to_owned(),
            after,
        }
    }

    fn execution_error(&self, cql: &str, source: ExecutionError) -> Error {
        match request_timeout_of(&source) {
            Some(after) => self.timeout_error(cql, after),
            None => Error::Execute {
                cql: cql.to_owned(),
                source: Box::new(source),
            },
        }
    }

    /// Prepares `cql`, or returns the cached statement (with this handle's request timeout).
    pub async fn prepare(&self, cql: &str) -> Result<PreparedStatement> {
        Ok(self.with_timeout(self.prepare_cached(cql).await?))
    }

    /// The statement `M`'s metadata alone determines (`INSERT`, `SELECT`/`DELETE` by primary
    /// key): its CQL and its prepared statement with this handle's request timeout, built and
    /// prepared once per `Db` (shared by its clones).
    async fn model_statement(
        &self,
        meta: &'static TableMeta,
        kind: ModelStatement,
    ) -> Result<(Arc<str>, PreparedStatement)> {
        // Two `TableMeta`s at one address are the same table: the key never mixes tables (a
        // meta duplicated at several addresses only costs extra entries).
        let key = (std::ptr::from_ref(meta) as usize, kind);
        let cached = self
            .inner
            .model_statements
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .map(|(cql, p)| (Arc::clone(cql), p.clone()));
        if let Some((cql, prepared)) = cached {
            return Ok((cql, self.with_timeout(prepared)));
        }
        let ks = Some(self.keyspace());
        let cql: Arc<str> = match kind {
            ModelStatement::Insert => cql::insert(ks, meta),
            ModelStatement::SelectByPk => cql::select_by_pk(ks, meta),
            ModelStatement::DeleteByPk => cql::delete_by_pk(ks, meta),
        }
        .into();
        let prepared = self.prepare_cached(&cql).await?;
        self.inner
            .model_statements
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, (Arc::clone(&cql), prepared.clone()));
        Ok((cql, self.with_timeout(prepared)))
    }

    /// Prepares `cql`, or returns the cached statement, without this handle's request timeout.
    async fn prepare_cached(&self, cql: &str) -> Result<PreparedStatement> {
        if let Some(p) = self
            .inner
            .prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(cql)
        {
            return Ok(p.clone());
        }
        let request = || async {
            let prepare = self
                .inner
                .session
                .prepare(cql)
                .instrument(tracing::debug_span!("orm.prepare", cql));
            // The driver does not time out PREPARE: bound it here.
            match self.request_timeout {
                Some(t) => match tokio::time::timeout(t, prepare).await {
                    Ok(r) => r.map_err(PrepareFailure::Driver),
                    Err(_) => Err(PrepareFailure::Timeout(t)),
                },
                None => prepare.await.map_err(PrepareFailure::Driver),
            }
        };
        let not_sent =
            |e: &PrepareFailure| matches!(e, PrepareFailure::Driver(p) if prepare_not_sent(p));
        let prepared = self
            .run(cql, not_sent, request)
            .await
            .map_err(|e| match e {
                PrepareFailure::Timeout(t) => self.timeout_error(cql, t),
                PrepareFailure::Driver(source) => Error::Prepare {
                    cql: cql.to_owned(),
                    source: Box::new(source),
                },
            })?;
        self.inner
            .prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(cql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    /// Prepares (cached) and executes `cql` with `values`, unpaged.
    pub async fn execute_unpaged(
        &self,
        cql: &str,
        values: impl SerializeRow,
    ) -> Result<QueryResult> {
        let prepared = self.prepare(cql).await?;
        self.execute_prepared_unpaged(cql, &prepared, values).await
    }

    /// Executes an already prepared `cql`, unpaged.
    async fn execute_prepared_unpaged(
        &self,
        cql: &str,
        prepared: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<QueryResult> {
        tracing::debug!(target: "orm_runtime::statement", cql, "execute");
        let request = || {
            self.inner
                .session
                .execute_unpaged(prepared, &values)
                .instrument(tracing::debug_span!("orm.execute", cql))
        };
        self.run(cql, execution_not_sent, request)
            .await
            .map_err(|source| self.execution_error(cql, source))
    }

    /// Prepares (cached) and executes `cql` for one page.
    pub async fn execute_single_page(
        &self,
        cql: &str,
        values: impl SerializeRow,
        page_size: Option<i32>,
        paging_state: PagingState,
    ) -> Result<(QueryResult, PagingStateResponse)> {
        let mut prepared = self.prepare(cql).await?;
        if let Some(n) = page_size {
            prepared.set_page_size(n);
        }
        tracing::debug!(target: "orm_runtime::statement", cql, "execute single page");
        let request = || {
            self.inner
                .session
                .execute_single_page(&prepared, &values, paging_state.clone())
                .instrument(tracing::debug_span!("orm.execute_page", cql))
        };
        self.run(cql, execution_not_sent, request)
            .await
            .map_err(|source| self.execution_error(cql, source))
    }

    /// Prepares (cached) and executes `cql` as a pager fetching pages lazily. Holds an
    /// in-flight slot while the first page is fetched.
    pub async fn execute_iter(
        &self,
        cql: &str,
        values: impl SerializeRow,
        page_size: Option<i32>,
    ) -> Result<QueryPager> {
        let mut prepared = self.prepare(cql).await?;
        if let Some(n) = page_size {
            prepared.set_page_size(n);
        }
        tracing::debug!(target: "orm_runtime::statement", cql, "execute iter");
        let request = || {
            self.inner
                .session
                .execute_iter(prepared.clone(), &values)
                .instrument(tracing::debug_span!("orm.execute_iter", cql))
        };
        self.run(cql, pager_not_sent, request)
            .await
            .map_err(|e| match pager_timeout_of(&e) {
                Some(after) => self.timeout_error(cql, after),
                None => Error::rows(cql, e),
            })
    }

    /// `CREATE KEYSPACE IF NOT EXISTS` with the configured replication and tablets option.
    pub async fn create_keyspace(&self) -> Result<()> {
        let mut cql = format!(
            "CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {}",
            self.keyspace(),
            self.inner.replication.cql()
        );
        if let Some(enabled) = self.inner.tablets {
            cql.push_str(&format!(" AND tablets = {{'enabled': {enabled}}}"));
        }
        self.execute_unpaged(&cql, ()).await?;
        Ok(())
    }

    /// Migrates `M`'s table: creates the keyspace, the table, its indexes and views when
    /// missing; on an existing table adds missing columns and indexes (read from
    /// `system_schema`), and refuses incompatible changes. Idempotent.
    pub async fn migrate<M: Model>(&self) -> Result<MigrationReport> {
        schema::migrate(self, M::META).await
    }

    /// Inserts (upserts) one row, with its hidden index columns.
    ///
    /// The hidden values are computed first: an invalid row (an invalid week code, a negative
    /// packed component, ...) is an [`Error::IndexValue`] and nothing is written.
    pub async fn insert<M: Model>(&self, row: &M) -> Result<()> {
        let hidden = row.hidden_values()?;
        let (cql, prepared) = self
            .model_statement(M::META, ModelStatement::Insert)
            .await?;
        self.execute_prepared_unpaged(&cql, &prepared, WithHidden { row, hidden })
            .await?;
        Ok(())
    }

    /// Inserts many rows, at most [`Db::insert_concurrency`] at once. Returns how many were
    /// written; stops at the first error.
    ///
    /// The hidden values of every row are computed before the first insert is sent: if one row
    /// is invalid ([`Error::IndexValue`]), nothing is written.
    pub async fn insert_many<'a, M: Model>(
        &self,
        rows: impl IntoIterator<Item = &'a M>,
    ) -> Result<usize> {
        let rows: Vec<WithHidden<'a, M>> = rows
            .into_iter()
            .map(|row| row.hidden_values().map(|hidden| WithHidden { row, hidden }))
            .collect::<Result<_>>()?;
        let (cql, prepared) = self
            .model_statement(M::META, ModelStatement::Insert)
            .await?;
        let inserts = Inserts {
            rows: rows.into_iter(),
            db: self,
            prepared: &prepared,
            cql: &cql,
        };
        let mut done =
            futures::stream::iter(inserts).buffer_unordered(self.inner.insert_concurrency);
        let mut n = 0;
        let span = tracing::debug_span!("orm.insert_many", cql = &*cql);
        while let Some(result) = done.next().instrument(span.clone()).await {
            result?;
            n += 1;
        }
        Ok(n)
    }

    /// The row with this primary key, if any.
    pub async fn get<M: Model>(&self, key: M::PrimaryKey) -> Result<Option<M>> {
        let (cql, prepared) = self
            .model_statement(M::META, ModelStatement::SelectByPk)
            .await?;
        let result = self.execute_prepared_unpaged(&cql, &prepared, key).await?;
        let rows = result
            .into_rows_result()
            .map_err(|e| Error::rows(&cql, e))?;
        rows.maybe_first_row::<M>()
            .map_err(|e| Error::rows(&cql, e))
    }

    /// Deletes the row with this primary key (no error when absent).
    pub async fn delete<M: Model>(&self, key: M::PrimaryKey) -> Result<()> {
        let (cql, prepared) = self
            .model_statement(M::META, ModelStatement::DeleteByPk)
            .await?;
        self.execute_prepared_unpaged(&cql, &prepared, key).await?;
        Ok(())
    }
}

/// The inserts of [`Db::insert_many`], created lazily. A named iterator rather than a
/// closure: a closure returning a future here makes the caller's future lose `Send`.
struct Inserts<'a, M> {
    rows: std::vec::IntoIter<WithHidden<'a, M>>,
    db: &'a Db,
    prepared: &'a PreparedStatement,
    cql: &'a str,
}

impl<'a, M: Model> Iterator for Inserts<'a, M> {
    type Item = futures::future::BoxFuture<'a, Result<()>>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        Some(Box::pin(insert_prepared(
            self.db,
            self.prepared,
            self.cql,
            row,
        )))
    }
}

/// One insert of [`Db::insert_many`].
async fn insert_prepared<M: Model>(
    db: &Db,
    prepared: &PreparedStatement,
    cql: &str,
    row: WithHidden<'_, M>,
) -> Result<()> {
    let request = || db.inner.session.execute_unpaged(prepared, &row);
    db.run(cql, execution_not_sent, request)
        .await
        .map(|_| ())
        .map_err(|source| db.execution_error(cql, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(
            parse_uri("127.0.0.1:9042").unwrap(),
            (vec!["127.0.0.1:9042".to_owned()], None)
        );
        assert_eq!(
            parse_uri("scylla://localhost/shop").unwrap(),
            (vec!["localhost:9042".to_owned()], Some("shop".to_owned()))
        );
        assert_eq!(
            parse_uri("scylla://a:19042,b/").unwrap(),
            (vec!["a:19042".to_owned(), "b:9042".to_owned()], None)
        );
        assert!(matches!(
            parse_uri("http://x"),
            Err(Error::InvalidUri { .. })
        ));
        assert!(matches!(
            parse_uri("scylla:///ks"),
            Err(Error::InvalidUri { .. })
        ));
    }

    #[test]
    fn builder_options() {
        let b = DbBuilder::new("h:1")
            .credentials("app", "hunter2")
            .max_in_flight(0)
            .request_timeout(Duration::from_millis(5))
            .reconnect_wait(Duration::ZERO)
            .configure_session(|b| b.tcp_nodelay(true));
        assert_eq!(b.max_in_flight, 1);
        assert_eq!(b.request_timeout, Some(Duration::from_millis(5)));
        assert_eq!(b.reconnect_wait, Duration::ZERO);
        assert_eq!(b.session_config.len(), 1);
        let shown = format!("{b:?}");
        assert!(
            shown.contains("app") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(DbBuilder::new("h:1").max_in_flight, DEFAULT_MAX_IN_FLIGHT);
    }

    #[test]
    fn replication_and_keyspace_checks() {
        assert_eq!(
            Replication::default().cql(),
            "{'class': 'NetworkTopologyStrategy', 'replication_factor': 1}"
        );
        assert_eq!(
            Replication::Simple {
                replication_factor: 3
            }
            .cql(),
            "{'class': 'SimpleStrategy', 'replication_factor': 3}"
        );
        let b = DbBuilder::new("h:1");
        assert!(matches!(
            b.resolve_keyspace(Some("Bad-Name".into())),
            Err(Error::InvalidKeyspace(_))
        ));
        assert!(matches!(
            b.resolve_keyspace(None),
            Err(Error::InvalidUri { .. })
        ));
        assert_eq!(
            b.clone()
                .keyspace("ks")
                .resolve_keyspace(Some("other".into()))
                .unwrap(),
            "ks"
        );
    }
}
