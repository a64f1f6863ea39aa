//! The error type of the ORM runtime.

use crate::schema::MigrationError;

/// Result alias using the ORM's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Type-erased driver error kept as the source of an [`enum@Error`].
pub type DriverError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the ORM runtime.
///
/// Errors from the driver are wrapped with the CQL statement that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Could not open a session to the cluster.
    #[error("could not connect to {uri}: {source}")]
    Connect {
        /// The URI or node list used.
        uri: String,
        /// The driver's error.
        #[source]
        source: Box<scylla::errors::NewSessionError>,
    },

    /// A URI could not be understood.
    #[error("invalid URI {uri:?}: {reason}")]
    InvalidUri {
        /// The URI.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A keyspace name the ORM does not accept (only `[a-z][a-z0-9_]*`, at most 48 characters).
    #[error("invalid keyspace name {0:?}: expected [a-z][a-z0-9_]* (at most 48 characters)")]
    InvalidKeyspace(String),

    /// Preparing a statement failed.
    #[error("preparing `{cql}` failed: {source}")]
    Prepare {
        /// The statement.
        cql: String,
        /// The driver's error.
        #[source]
        source: Box<scylla::errors::PrepareError>,
    },

    /// Executing a statement failed.
    #[error("executing `{cql}` failed: {source}")]
    Execute {
        /// The statement.
        cql: String,
        /// The driver's error.
        #[source]
        source: Box<scylla::errors::ExecutionError>,
    },

    /// A statement did not complete within its client-side request timeout
    /// (`DbBuilder::request_timeout`, `Db::with_request_timeout`). The statement may or may
    /// not have been applied by the server.
    #[error("`{cql}` timed out: no answer within the request timeout of {after:?}")]
    Timeout {
        /// The statement.
        cql: String,
        /// The timeout that expired.
        after: std::time::Duration,
    },

    /// Reading or decoding the rows of a result failed (including the type check of the model
    /// against the result's columns, and paging errors).
    #[error("reading the rows of `{cql}` failed: {source}")]
    Rows {
        /// The statement.
        cql: String,
        /// The driver's error.
        #[source]
        source: DriverError,
    },

    /// The query would need `ALLOW FILTERING` and the caller did not ask for it.
    ///
    /// Refused client-side, before anything is sent.
    #[error("query on `{table}` refused: {reason}. {hint}")]
    RequiresFiltering {
        /// The table.
        table: &'static str,
        /// Why ScyllaDB would need filtering.
        reason: String,
        /// What would serve the query (a key, an index), or `.allow_filtering()`.
        hint: String,
    },

    /// A query ScyllaDB would reject whatever the options (e.g. `=` on a collection column,
    /// an `UPDATE` setting nothing).
    #[error("invalid query on `{table}`: {reason}")]
    InvalidQuery {
        /// The table.
        table: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// A hidden index value could not be computed from a row: an invalid week code, a
    /// negative packed component, a packed value beyond its output type, ... Detected before
    /// anything is sent: nothing was written.
    #[error("cannot write row {key} of `{table}`: {source}; nothing was written")]
    IndexValue {
        /// The table.
        table: &'static str,
        /// The row's primary key (`Debug`).
        key: String,
        /// Why.
        #[source]
        source: crate::hidden::IndexValueError,
    },

    /// An update would leave a hidden index column stale: it changes some sources of the column
    /// but not all of them, or changes a collection source with `add_*` / `remove_*`. Refused
    /// before anything is sent.
    #[error("update of `{table}` refused: {reason}")]
    StaleIndexUpdate {
        /// The table.
        table: &'static str,
        /// The hidden column that would go stale.
        hidden_column: &'static str,
        /// The sources the update must also set (`=`), in declared order.
        missing: Vec<&'static str>,
        /// A complete explanation, with the fix.
        reason: String,
    },

    /// Migration found an incompatible schema or failed.
    #[error(transparent)]
    Migration(#[from] MigrationError),

    /// One statement of a multi-statement index read (`#[hash_index]` buckets,
    /// `#[packed_index]` lookups or ranges) failed: the whole read fails, no partial result.
    #[error(
        "index read on `{table}` through `{index}` failed at statement {statement} of {statements}: `{cql}` with {bound}: {source}"
    )]
    IndexRead {
        /// The table.
        table: &'static str,
        /// The index read through.
        index: &'static str,
        /// The failing statement's CQL.
        cql: String,
        /// The failing statement's bound index values (hash and bucket, or packed values).
        bound: String,
        /// Position of the failing statement (1-based).
        statement: usize,
        /// How many statements the read had.
        statements: usize,
        /// The statement's error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    pub(crate) fn rows(cql: &str, source: impl Into<DriverError>) -> Self {
        let source = source.into();
        // A page of a stream that exceeded the request timeout is a timeout, like any
        // other statement.
        if let Some(after) = crate::db::page_timeout(&*source) {
            return Error::Timeout {
                cql: cql.to_owned(),
                after,
            };
        }
        Error::Rows {
            cql: cql.to_owned(),
            source,
        }
    }
}
