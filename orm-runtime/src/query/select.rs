//! The typed `SELECT` builder.

use std::marker::PhantomData;

use futures::{Stream, StreamExt};
use scylla::response::{PagingState, PagingStateResponse};

use super::plan::{Plan, Restriction, check};
use super::{BoundValue, Predicate};
use crate::cql;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::Model;

/// Most partition keys ScyllaDB accepts from `IN` products in one query.
pub const MAX_PARTITION_KEYS: usize = 100;

/// One page of rows and where to resume.
#[derive(Debug)]
pub struct Page<M> {
    /// The rows of this page.
    pub rows: Vec<M>,
    /// `Some` when more pages remain: pass it to [`Select::page`] to fetch the next one.
    pub next: Option<PagingState>,
}

/// A `SELECT` on model `M`'s table with an explicit column list.
///
/// Build it with `M::select()`, a generated finder (`M::find_by_partition(..)`,
/// `M::find_by_<indexed field>(..)`), then add predicates with [`Select::filter`]. Before
/// anything is sent the restrictions are checked like ScyllaDB does: a query that would need
/// `ALLOW FILTERING` is refused with [`Error::RequiresFiltering`] unless
/// [`Select::allow_filtering`] was called.
pub struct Select<M: Model> {
    predicates: Vec<Predicate<M>>,
    limit: Option<i32>,
    page_size: Option<i32>,
    allow_filtering: bool,
    reversed: bool,
    _marker: PhantomData<fn() -> M>,
}

impl<M: Model> Clone for Select<M> {
    fn clone(&self) -> Self {
        Select {
            predicates: self.predicates.clone(),
            limit: self.limit,
            page_size: self.page_size,
            allow_filtering: self.allow_filtering,
            reversed: self.reversed,
            _marker: PhantomData,
        }
    }
}

impl<M: Model> std::fmt::Debug for Select<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("table", &M::TABLE)
            .field("predicates", &self.predicates)
            .field("limit", &self.limit)
            .field("allow_filtering", &self.allow_filtering)
            .finish()
    }
}

impl<M: Model> Default for Select<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Model> Select<M> {
    /// A select of every row (a full scan unless restricted).
    pub fn new() -> Self {
        Select {
            predicates: Vec::new(),
            limit: None,
            page_size: None,
            allow_filtering: false,
            reversed: false,
            _marker: PhantomData,
        }
    }

    /// Adds a predicate built from the model's typed columns: `.filter(|c| c.status.eq(3))`.
    pub fn filter(mut self, f: impl FnOnce(&M::Columns) -> Predicate<M>) -> Self {
        self.predicates.push(f(M::columns()));
        self
    }

    /// Adds an already built predicate.
    pub fn and(mut self, predicate: Predicate<M>) -> Self {
        self.predicates.push(predicate);
        self
    }

    /// `LIMIT n` (bound, not formatted into the statement).
    pub fn limit(mut self, n: i32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Page size for [`Select::stream`], [`Select::all`] and [`Select::page`] (driver default
    /// otherwise).
    pub fn page_size(mut self, n: i32) -> Self {
        self.page_size = Some(n);
        self
    }

    /// Accept a query ScyllaDB can only run by filtering: appends `ALLOW FILTERING`.
    pub fn allow_filtering(mut self) -> Self {
        self.allow_filtering = true;
        self
    }

    /// Rows in the reverse of the table's clustering order (`ORDER BY` every clustering
    /// column, each flipped). ScyllaDB accepts it only with the whole partition key restricted
    /// by `=` or `IN` and no secondary index: anything else is an [`Error::InvalidQuery`].
    pub fn reversed(mut self) -> Self {
        self.reversed = true;
        self
    }

    /// The predicates so far.
    pub fn predicates(&self) -> &[Predicate<M>] {
        &self.predicates
    }

    /// Checks the restrictions without executing anything.
    pub fn plan(&self) -> Result<Plan> {
        let rs: Vec<Restriction> = self.predicates.iter().map(Predicate::restriction).collect();
        let plan = check(M::META, &rs, self.allow_filtering)?;
        if let Some(n) = self.limit
            && n <= 0
        {
            return Err(Error::InvalidQuery {
                table: M::TABLE,
                reason: format!("LIMIT must be strictly positive, got {n}"),
            });
        }
        // ScyllaDB rejects more than 100 partition keys from the product of `IN` lists.
        let keys: usize = M::META
            .partition_key
            .iter()
            .map(|pk| {
                self.predicates
                    .iter()
                    .filter(|p| p.column() == *pk)
                    .filter_map(Predicate::in_len)
                    .product::<usize>()
            })
            .product();
        if keys > MAX_PARTITION_KEYS {
            return Err(Error::InvalidQuery {
                table: M::TABLE,
                reason: format!(
                    "the `IN` lists select {keys} partition keys; ScyllaDB accepts at most {MAX_PARTITION_KEYS}: split the query"
                ),
            });
        }
        if self.reversed {
            let reason = if M::META.clustering_key.is_empty() {
                Some("the table has no clustering column to order by")
            } else if !plan.partition_restricted {
                Some(
                    "ORDER BY is only supported when the partition key is restricted by `=` or `IN`",
                )
            } else if plan.index.is_some() {
                Some("ORDER BY is not supported with secondary indexes")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::InvalidQuery {
                    table: M::TABLE,
                    reason: reason.to_owned(),
                });
            }
        }
        Ok(plan)
    }

    fn order_by(&self) -> Option<String> {
        if !self.reversed {
            return None;
        }
        let cols: Vec<String> = M::META
            .clustering_key
            .iter()
            .map(|ck| {
                let desc = M::META.column(ck).is_some_and(|c| {
                    matches!(
                        c.kind,
                        crate::model::ColumnKind::Clustering { desc: true, .. }
                    )
                });
                format!("{ck} {}", if desc { "ASC" } else { "DESC" })
            })
            .collect();
        Some(cols.join(", "))
    }

    /// The statement text (checked first), qualified with `keyspace` when given.
    pub fn cql(&self, keyspace: Option<&str>) -> Result<String> {
        self.plan()?;
        let mut cql = format!(
            "SELECT {} FROM {}",
            M::SELECT_COLUMNS,
            cql::qualified(keyspace, M::TABLE)
        );
        if !self.predicates.is_empty() {
            let wheres: Vec<String> = self
                .predicates
                .iter()
                .map(|p| format!("{} {} ?", p.column(), p.op().cql()))
                .collect();
            cql.push_str(" WHERE ");
            cql.push_str(&wheres.join(" AND "));
        }
        if let Some(order) = self.order_by() {
            cql.push_str(" ORDER BY ");
            cql.push_str(&order);
        }
        if self.limit.is_some() {
            cql.push_str(" LIMIT ?");
        }
        if self.allow_filtering {
            cql.push_str(" ALLOW FILTERING");
        }
        Ok(cql)
    }

    fn values(&self) -> Vec<BoundValue> {
        let mut values: Vec<BoundValue> =
            self.predicates.iter().map(|p| p.value().clone()).collect();
        if let Some(limit) = self.limit {
            values.push(BoundValue::new(limit));
        }
        values
    }

    /// Every matching row (fetched page by page).
    pub async fn all(&self, db: &Db) -> Result<Vec<M>> {
        let stream = self.stream(db).await?;
        futures::pin_mut!(stream);
        let mut rows = Vec::new();
        while let Some(row) = stream.next().await {
            rows.push(row?);
        }
        Ok(rows)
    }

    /// The first matching row, if any.
    pub async fn one(&self, db: &Db) -> Result<Option<M>> {
        let q = self.clone().limit(1);
        let cql = q.cql(Some(db.keyspace()))?;
        let result = db.execute_unpaged(&cql, q.values()).await?;
        let rows = result
            .into_rows_result()
            .map_err(|e| Error::rows(&cql, e))?;
        rows.maybe_first_row::<M>()
            .map_err(|e| Error::rows(&cql, e))
    }

    /// A `Stream` of the matching rows, fetched lazily page by page: for large partitions.
    pub async fn stream(
        &self,
        db: &Db,
    ) -> Result<impl Stream<Item = Result<M>> + Send + Unpin + 'static> {
        let cql = self.cql(Some(db.keyspace()))?;
        let pager = db.execute_iter(&cql, self.values(), self.page_size).await?;
        let rows = pager.rows_stream::<M>().map_err(|e| Error::rows(&cql, e))?;
        Ok(rows.map(move |r| r.map_err(|e| Error::rows(&cql, e))))
    }

    /// One page of rows starting at `paging_state` ([`PagingState::start`] for the first).
    pub async fn page(&self, db: &Db, paging_state: PagingState) -> Result<Page<M>> {
        let cql = self.cql(Some(db.keyspace()))?;
        let (result, response) = db
            .execute_single_page(&cql, self.values(), self.page_size, paging_state)
            .await?;
        let rows = result
            .into_rows_result()
            .map_err(|e| Error::rows(&cql, e))?;
        let rows = rows
            .rows::<M>()
            .map_err(|e| Error::rows(&cql, e))?
            .collect::<Result<Vec<M>, _>>()
            .map_err(|e| Error::rows(&cql, e))?;
        let next = match response {
            PagingStateResponse::HasMorePages { state } => Some(state),
            PagingStateResponse::NoMorePages => None,
        };
        Ok(Page { rows, next })
    }
}
