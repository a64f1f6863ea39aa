//! [`Db`]: the driver session, the keyspace, a prepared-statement cache and the CRUD entry
//! points.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use scylla::client::pager::QueryPager;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::response::query_result::QueryResult;
use scylla::response::{PagingState, PagingStateResponse};
use scylla::serialize::row::SerializeRow;
use scylla::statement::prepared::PreparedStatement;
use tracing::Instrument;

use crate::cql;
use crate::error::{Error, Result};
use crate::model::Model;
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

/// Builds a [`Db`] from a URI or an existing session.
#[derive(Debug, Clone)]
pub struct DbBuilder {
    uri: String,
    keyspace: Option<String>,
    replication: Replication,
    tablets: Option<bool>,
    insert_concurrency: usize,
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
        }
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
        let session = SessionBuilder::new()
            .known_nodes(&nodes)
            .build()
            .await
            .map_err(|source| Error::Connect {
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
            }),
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
}

/// The ORM's handle on the cluster: the driver session, the keyspace every statement is
/// qualified with, and a cache of prepared statements keyed by statement text.
///
/// Cheap to clone (shared state).
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
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

    /// Prepares `cql`, or returns the cached statement.
    pub async fn prepare(&self, cql: &str) -> Result<PreparedStatement> {
        if let Some(p) = self
            .inner
            .prepared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(cql)
        {
            return Ok(p.clone());
        }
        let prepared = self
            .inner
            .session
            .prepare(cql)
            .instrument(tracing::debug_span!("orm.prepare", cql))
            .await
            .map_err(|source| Error::Prepare {
                cql: cql.to_owned(),
                source: Box::new(source),
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
        tracing::debug!(target: "orm_runtime::statement", cql, "execute");
        self.inner
            .session
            .execute_unpaged(&prepared, values)
            .instrument(tracing::debug_span!("orm.execute", cql))
            .await
            .map_err(|source| Error::Execute {
                cql: cql.to_owned(),
                source: Box::new(source),
            })
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
        self.inner
            .session
            .execute_single_page(&prepared, values, paging_state)
            .instrument(tracing::debug_span!("orm.execute_page", cql))
            .await
            .map_err(|source| Error::Execute {
                cql: cql.to_owned(),
                source: Box::new(source),
            })
    }

    /// Prepares (cached) and executes `cql` as a pager fetching pages lazily.
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
        self.inner
            .session
            .execute_iter(prepared, values)
            .instrument(tracing::debug_span!("orm.execute_iter", cql))
            .await
            .map_err(|e| Error::rows(cql, e))
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

    /// Inserts (upserts) one row.
    pub async fn insert<M: Model>(&self, row: &M) -> Result<()> {
        let cql = cql::insert(Some(self.keyspace()), M::META);
        self.execute_unpaged(&cql, row).await?;
        Ok(())
    }

    /// Inserts many rows, at most [`Db::insert_concurrency`] at once. Returns how many were
    /// written; stops at the first error.
    pub async fn insert_many<'a, M: Model>(
        &self,
        rows: impl IntoIterator<Item = &'a M>,
    ) -> Result<usize> {
        let rows: Vec<&'a M> = rows.into_iter().collect();
        let cql = cql::insert(Some(self.keyspace()), M::META);
        let prepared = self.prepare(&cql).await?;
        let inserts = Inserts {
            rows: rows.into_iter(),
            session: &self.inner.session,
            prepared: &prepared,
            cql: &cql,
        };
        let mut done =
            futures::stream::iter(inserts).buffer_unordered(self.inner.insert_concurrency);
        let mut n = 0;
        let span = tracing::debug_span!("orm.insert_many", cql);
        while let Some(result) = done.next().instrument(span.clone()).await {
            result?;
            n += 1;
        }
        Ok(n)
    }

    /// The row with this primary key, if any.
    pub async fn get<M: Model>(&self, key: M::PrimaryKey) -> Result<Option<M>> {
        let cql = cql::select_by_pk(Some(self.keyspace()), M::META);
        let result = self.execute_unpaged(&cql, key).await?;
        let rows = result
            .into_rows_result()
            .map_err(|e| Error::rows(&cql, e))?;
        rows.maybe_first_row::<M>()
            .map_err(|e| Error::rows(&cql, e))
    }

    /// Deletes the row with this primary key (no error when absent).
    pub async fn delete<M: Model>(&self, key: M::PrimaryKey) -> Result<()> {
        let cql = cql::delete_by_pk(Some(self.keyspace()), M::META);
        self.execute_unpaged(&cql, key).await?;
        Ok(())
    }
}

/// The inserts of [`Db::insert_many`], created lazily. A named iterator rather than a
/// closure: a closure returning a future here makes the caller's future lose `Send`.
struct Inserts<'a, M> {
    rows: std::vec::IntoIter<&'a M>,
    session: &'a Session,
    prepared: &'a PreparedStatement,
    cql: &'a str,
}

impl<'a, M: Model> Iterator for Inserts<'a, M> {
    type Item = futures::future::BoxFuture<'a, Result<()>>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.rows.next()?;
        Some(Box::pin(insert_prepared(
            self.session,
            self.prepared,
            self.cql,
            row,
        )))
    }
}

/// One insert of [`Db::insert_many`].
async fn insert_prepared<M: Model>(
    session: &Session,
    prepared: &PreparedStatement,
    cql: &str,
    row: &M,
) -> Result<()> {
    session
        .execute_unpaged(prepared, row)
        .await
        .map(|_| ())
        .map_err(|source| Error::Execute {
            cql: cql.to_owned(),
            source: Box::new(source),
        })
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
