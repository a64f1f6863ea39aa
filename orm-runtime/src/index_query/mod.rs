//! Typed reads through `#[hash_index(bucketing(...))]` and `#[packed_index(...)]`: the runtime
//! behind the generated `<Model>::query()` builders.
//!
//! Generated methods push predicates (values converted to `i64`) into an [`IndexQuery`]; it
//! chooses the index declaration that serves them, plans with the pure planners
//! ([`HashIndexDef::plan`], [`PackedIndexDef::plan`]), runs the statements concurrently under a
//! bound, de-duplicates the rows by primary key and filters them exactly in memory on every
//! original predicate (removing out-of-range bucket parts, truncated packed digits and hash
//! collisions).
//!
//! - Hash index: one `SELECT <cols> FROM <table> WHERE <pk> = ? AND <hidden> CONTAINS ?` per
//!   bucket (× IN combination); never `ALLOW FILTERING`.
//! - Packed index: equality lookups `<packed> = ?` (local index or view), clustering slices
//!   `<packed> >= ? AND <packed> <= ?` on the view, or — only after `.allow_filtering()` —
//!   one single-partition `ALLOW FILTERING` scan on the base table.
//!
//! Values are always bound, never formatted into CQL. The first failing statement fails the
//! whole read with [`Error::IndexRead`], naming the statement and its bound index values.
//!
//! ```
//! use orm_macros::Model;
//! use orm_runtime::Db;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[model(table = "sale_order")]
//! struct SaleOrder {
//!     #[partition_key]
//!     empresa_id: i32,
//!     #[clustering_key]
//!     id: i64,
//!     #[hash_index]
//!     detail_products_ids: Vec<i64>,
//!     #[hash_index(bucketing(1, 4, 5), week_code)]
//!     week: i32,
//!     #[packed_index]
//!     status: i32,
//!     #[packed_index(int32, decimal_size = 8)]
//!     updated: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = scylla_emulator::Emulator::builder().start().await?;
//! # let db = Db::builder(emulator.addr().to_string()).keyspace("shop").build().await?;
//! db.migrate::<SaleOrder>().await?;
//! let order = |id, products: &[i64], week, status, updated| SaleOrder {
//!     empresa_id: 1, id, detail_products_ids: products.to_vec(), week, status, updated,
//! };
//! db.insert_many(&[
//!     order(1, &[1, 2], 2548, 2, 370_598_453),
//!     order(2, &[1], 2601, 2, 370_598_459), // differs from order 1 only in the truncated digit
//!     order(3, &[2], 2610, 1, 370_598_460),
//!     order(4, &[1], 2615, 2, 380_000_000), // one week past the range
//! ])
//! .await?;
//!
//! // Product 1 in weeks 2548..=2614: 4 CONTAINS statements (buckets b4 729, b5 584-586).
//! let q = SaleOrder::query().empresa_id(1).detail_products_ids_contains(1).week_between(2548, 2614);
//! assert_eq!(q.explain()?.statements.len(), 4);
//! let mut ids: Vec<i64> = q.all(&db).await?.iter().map(|o| o.id).collect();
//! ids.sort();
//! assert_eq!(ids, [1, 2]);
//!
//! // Status 2 updated after 370598453: one lookup per packed value through the local index,
//! // then the truncated digit is re-checked in memory.
//! let q = SaleOrder::query().empresa_id(1).status(2).updated_between(370_598_454, 370_598_459);
//! let rows = q.all(&db).await?;
//! assert_eq!(rows.iter().map(|o| o.id).collect::<Vec<_>>(), [2]);
//! println!("{}", q.explain()?);
//! # Ok(())
//! # }
//! ```

mod explain;
mod run;

use std::fmt;
use std::marker::PhantomData;

pub use explain::{Explain, ExplainStatement};

use crate::bucketing::{HashIndexDef, HashIndexError, HashQuery, HashQueryPlan};
use crate::cql;
use crate::error::{Error, Result};
use crate::model::{HiddenKind, Model};
use crate::packing::{
    PackedBacking, PackedIndexDef, PackedOutput, PackedQuery, PackedQueryError, PackedQueryPlan,
    PackedStrategy,
};
use crate::query::BoundValue;

/// The default bound on the statements of one index read in flight at once
/// ([`IndexQuery::concurrency`]).
pub const DEFAULT_CONCURRENCY: usize = 32;

/// One predicate on an index source column (values converted to `i64`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexPredicate {
    /// `col = v`.
    Eq(i64),
    /// `col IN (vs)`.
    In(Vec<i64>),
    /// `col CONTAINS v` (collection sources of a hash index).
    Contains(i64),
    /// `col > v`.
    Gt(i64),
    /// `col >= v`.
    Ge(i64),
    /// `col < v`.
    Lt(i64),
    /// `col <= v`.
    Le(i64),
    /// `col BETWEEN a AND b` (inclusive).
    Between(i64, i64),
}

impl fmt::Display for IndexPredicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexPredicate::Eq(v) => write!(f, "= {v}"),
            IndexPredicate::In(vs) => write!(f, "IN {vs:?}"),
            IndexPredicate::Contains(v) => write!(f, "CONTAINS {v}"),
            IndexPredicate::Gt(v) => write!(f, "> {v}"),
            IndexPredicate::Ge(v) => write!(f, ">= {v}"),
            IndexPredicate::Lt(v) => write!(f, "< {v}"),
            IndexPredicate::Le(v) => write!(f, "<= {v}"),
            IndexPredicate::Between(a, b) => write!(f, "BETWEEN {a} AND {b}"),
        }
    }
}

/// A read of model `M` through one of its hash or packed indexes (what the generated
/// `<Model>Query` wraps). Restrict the whole partition key with
/// [`partition`](Self::partition), add [`IndexPredicate`]s with [`and`](Self::and), then
/// [`explain`](Self::explain) or [`all`](Self::all).
pub struct IndexQuery<M> {
    partition: Vec<(&'static str, BoundValue, Option<i64>)>,
    predicates: Vec<(&'static str, IndexPredicate)>,
    allow_filtering: bool,
    max_statements: Option<usize>,
    concurrency: usize,
    _model: PhantomData<fn() -> M>,
}

impl<M> Clone for IndexQuery<M> {
    fn clone(&self) -> Self {
        IndexQuery {
            partition: self.partition.clone(),
            predicates: self.predicates.clone(),
            allow_filtering: self.allow_filtering,
            max_statements: self.max_statements,
            concurrency: self.concurrency,
            _model: PhantomData,
        }
    }
}

impl<M> fmt::Debug for IndexQuery<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IndexQuery")
            .field(
                "partition",
                &self
                    .partition
                    .iter()
                    .map(|(c, _, _)| *c)
                    .collect::<Vec<_>>(),
            )
            .field("predicates", &self.predicates)
            .field("allow_filtering", &self.allow_filtering)
            .field("max_statements", &self.max_statements)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

impl<M> Default for IndexQuery<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// The chosen index and its plan.
#[derive(Debug, Clone)]
pub(crate) enum Chosen {
    Hash {
        def: &'static HashIndexDef,
        plan: Box<HashQueryPlan>,
    },
    Packed {
        position: usize,
        def: &'static PackedIndexDef,
        plan: Box<PackedQueryPlan>,
    },
    /// The predicates contradict each other (an empty range, no valid week code): no
    /// statement is needed.
    Nothing { index: &'static str, reason: String },
}

impl Chosen {
    fn index(&self) -> &'static str {
        match self {
            Chosen::Hash { def, .. } => def.name,
            Chosen::Packed { def, .. } => def.name,
            Chosen::Nothing { index, .. } => index,
        }
    }
}

/// One statement of a planned read.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) cql: String,
    pub(crate) values: Vec<BoundValue>,
    /// The bound index values, for errors and explain.
    pub(crate) bound: String,
}

/// A planned read.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) chosen: Chosen,
    pub(crate) statements: Vec<Statement>,
}

impl<M> IndexQuery<M> {
    /// An empty query.
    pub fn new() -> Self {
        IndexQuery {
            partition: Vec::new(),
            predicates: Vec::new(),
            allow_filtering: false,
            max_statements: None,
            concurrency: DEFAULT_CONCURRENCY,
            _model: PhantomData,
        }
    }

    /// `column = value` on a partition-key column; `as_source` is the value as an index
    /// source (`Some` when the column is also a source of a hash or packed index).
    pub fn partition(
        mut self,
        column: &'static str,
        value: BoundValue,
        as_source: Option<i64>,
    ) -> Self {
        self.partition.retain(|(c, _, _)| *c != column);
        self.partition.push((column, value, as_source));
        self
    }

    /// Adds a predicate on an index source column (predicates are ANDed).
    pub fn and(mut self, column: &'static str, predicate: IndexPredicate) -> Self {
        self.predicates.push((column, predicate));
        self
    }

    /// Allows a packed-index range that a local index cannot serve with few lookups to be
    /// read with one single-partition `ALLOW FILTERING` statement. Hash-index reads never use
    /// `ALLOW FILTERING`.
    pub fn allow_filtering(mut self) -> Self {
        self.allow_filtering = true;
        self
    }

    /// Overrides the index's cap on statements per read.
    pub fn max_statements(mut self, n: usize) -> Self {
        self.max_statements = Some(n);
        self
    }

    /// Bounds the statements of this read in flight at once (default
    /// [`DEFAULT_CONCURRENCY`]; at least 1). The `Db`'s own `max_in_flight` still applies.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The predicates, in the order given.
    pub fn predicates(&self) -> &[(&'static str, IndexPredicate)] {
        &self.predicates
    }
}

impl<M: Model> IndexQuery<M> {
    /// The plan: the index chosen, its buckets or strategy, waste, and every statement's CQL
    /// (unqualified) with its bound index values. Nothing is sent.
    ///
    /// # Errors
    ///
    /// As [`all`](Self::all), before anything is sent.
    pub fn explain(&self) -> Result<Explain> {
        let planned = self.planned(None)?;
        Ok(Explain::new(M::META.table, &self.describe(), &planned))
    }

    /// Every matching row (in no particular order).
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidQuery`]: the partition key is not fully restricted, no declared index
    ///   serves the predicates (the message names the predicates and the declarations), or
    ///   the planner refused the predicates (too many statements, ...);
    /// - [`Error::RequiresFiltering`]: a packed range too wide for lookups through a local
    ///   index (declare `#[packed_index(view)]`, or call
    ///   [`allow_filtering`](Self::allow_filtering));
    /// - [`Error::IndexRead`]: a statement failed; nothing is returned.
    pub async fn all(&self, db: &crate::Db) -> Result<Vec<M>> {
        let planned = self.planned(Some(db.keyspace()))?;
        run::execute::<M>(db, &self.describe(), planned, self.concurrency).await
    }

    fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .partition
            .iter()
            .map(|(c, _, _)| format!("{c} = ?"))
            .collect();
        parts.extend(self.predicates.iter().map(|(c, p)| format!("{c} {p}")));
        parts.join(" AND ")
    }

    pub(crate) fn planned(&self, keyspace: Option<&str>) -> Result<Planned> {
        let meta = M::META;
        let missing: Vec<&str> = meta
            .partition_key
            .iter()
            .copied()
            .filter(|k| !self.partition.iter().any(|(c, _, _)| c == k))
            .collect();
        if let Some((column, _, _)) = self
            .partition
            .iter()
            .find(|(c, _, _)| !meta.partition_key.contains(c))
        {
            return Err(Error::InvalidQuery {
                table: meta.table,
                reason: format!("`{column}` is not a partition-key column"),
            });
        }
        if !missing.is_empty() {
            return Err(Error::InvalidQuery {
                table: meta.table,
                reason: format!(
                    "an index read needs the whole partition key restricted by `=`; missing: `{}`",
                    missing.join("`, `")
                ),
            });
        }
        let chosen = self.choose()?;
        tracing::debug!(
            table = meta.table,
            pattern = %self.describe(),
            index = chosen.index(),
            kind = match &chosen {
                Chosen::Hash { .. } => "hash",
                Chosen::Packed { .. } => "packed",
                Chosen::Nothing { .. } => "matches nothing",
            },
            "index query: detected pattern"
        );
        let statements = self.statements(&chosen, keyspace)?;
        Ok(Planned { chosen, statements })
    }

    /// Partition values bound first in every statement, in partition-key order.
    fn partition_values(&self) -> Vec<BoundValue> {
        M::META
            .partition_key
            .iter()
            .filter_map(|k| {
                self.partition
                    .iter()
                    .find(|(c, _, _)| c == k)
                    .map(|(_, v, _)| v.clone())
            })
            .collect()
    }

    fn statements(&self, chosen: &Chosen, keyspace: Option<&str>) -> Result<Vec<Statement>> {
        let meta = M::META;
        let pk_where: Vec<String> = meta
            .partition_key
            .iter()
            .map(|k| format!("{k} = ?"))
            .collect();
        let pk_where = pk_where.join(" AND ");
        let pk_values = self.partition_values();
        match chosen {
            Chosen::Nothing { .. } => Ok(Vec::new()),
            Chosen::Hash { plan, .. } => {
                let from = cql::qualified(keyspace, meta.table);
                Ok(plan
                    .statements()
                    .iter()
                    .map(|s| {
                        let mut values = pk_values.clone();
                        values.push(BoundValue::new(s.hash));
                        Statement {
                            cql: format!(
                                "SELECT {} FROM {from} WHERE {pk_where} AND {} CONTAINS ?",
                                M::SELECT_COLUMNS,
                                s.hidden_column
                            ),
                            values,
                            bound: format!(
                                "hash {} (bucket size {} id {}, tuple {:?})",
                                s.hash,
                                s.bucket.size(),
                                s.bucket.id(),
                                s.source_values
                            ),
                        }
                    })
                    .collect())
            }
            Chosen::Packed {
                position,
                def,
                plan,
            } => {
                let hidden = meta
                    .hidden_columns
                    .iter()
                    .find(|h| h.kind == HiddenKind::Packed { index: *position })
                    .ok_or_else(|| Error::InvalidQuery {
                        table: meta.table,
                        reason: format!("packed index `{}` has no hidden column", def.name),
                    })?;
                let column = hidden.name;
                let strategy = plan.strategy();
                let source = match (def.backing, strategy) {
                    (PackedBacking::View, _) => match meta.view_on(column) {
                        Some(v) => v.name,
                        None => {
                            return Err(Error::InvalidQuery {
                                table: meta.table,
                                reason: format!(
                                    "packed index `{}` is view-backed but the model has no view on `{column}`",
                                    def.name
                                ),
                            });
                        }
                    },
                    _ => meta.table,
                };
                let from = cql::qualified(keyspace, source);
                let int32 = def.layout.output() == PackedOutput::Int32;
                let bind = |v: i64| -> Result<BoundValue> {
                    if int32 {
                        i32::try_from(v)
                            .map(BoundValue::new)
                            .map_err(|_| Error::InvalidQuery {
                                table: meta.table,
                                reason: format!(
                                    "packed value {v} of `{}` exceeds the int32 maximum",
                                    def.name
                                ),
                            })
                    } else {
                        Ok(BoundValue::new(v))
                    }
                };
                let filtering = if strategy.allow_filtering() {
                    " ALLOW FILTERING"
                } else {
                    ""
                };
                let cql = format!(
                    "SELECT {} FROM {from} WHERE {pk_where} AND {}{filtering}",
                    M::SELECT_COLUMNS,
                    strategy.where_fragment(column)
                );
                let mut out = Vec::with_capacity(strategy.statements());
                match strategy {
                    PackedStrategy::Lookups { values } => {
                        for v in values {
                            let mut bound = pk_values.clone();
                            bound.push(bind(*v)?);
                            out.push(Statement {
                                cql: cql.clone(),
                                values: bound,
                                bound: format!("{column} = {v}"),
                            });
                        }
                    }
                    PackedStrategy::Slices { ranges }
                    | PackedStrategy::FilteringScan { ranges } => {
                        for r in ranges {
                            let mut bound = pk_values.clone();
                            bound.push(bind(r.lo)?);
                            bound.push(bind(r.hi)?);
                            out.push(Statement {
                                cql: cql.clone(),
                                values: bound,
                                bound: format!("{column} in [{}, {}]", r.lo, r.hi),
                            });
                        }
                    }
                }
                Ok(out)
            }
        }
    }

    /// The partition-key values that are also sources of an index.
    fn partition_sources(&self, sources: &[&str]) -> Vec<(&'static str, i64)> {
        self.partition
            .iter()
            .filter_map(|(c, _, v)| match v {
                Some(v) if sources.contains(c) => Some((*c, *v)),
                _ => None,
            })
            .collect()
    }

    /// Picks the first declared index (hash indexes first) whose sources cover every
    /// predicate column and whose planner accepts the predicates.
    fn choose(&self) -> Result<Chosen> {
        let meta = M::META;
        let columns: Vec<&str> = self.predicates.iter().map(|(c, _)| *c).collect();
        let mut first_error: Option<Error> = None;
        let mut candidates = 0usize;

        for def in meta.hash_indexes {
            let sources: Vec<&str> = def.sources.iter().map(|s| s.column).collect();
            if columns.is_empty() || !columns.iter().all(|c| sources.contains(c)) {
                continue;
            }
            candidates += 1;
            let mut q = HashQuery::new();
            for (c, v) in self.partition_sources(&sources) {
                q = q.eq(c, v);
            }
            for (c, p) in &self.predicates {
                q = match p {
                    IndexPredicate::Eq(v) => q.eq(c, *v),
                    IndexPredicate::In(vs) => q.in_(c, vs.iter().copied()),
                    IndexPredicate::Contains(v) => q.contains(c, *v),
                    IndexPredicate::Gt(v) => q.gt(c, *v),
                    IndexPredicate::Ge(v) => q.ge(c, *v),
                    IndexPredicate::Lt(v) => q.lt(c, *v),
                    IndexPredicate::Le(v) => q.le(c, *v),
                    IndexPredicate::Between(a, b) => q.between(c, *a, *b),
                };
            }
            if let Some(n) = self.max_statements {
                q = q.max_statements(n);
            }
            match def.plan(&q) {
                Ok(plan) => {
                    return Ok(Chosen::Hash {
                        def,
                        plan: Box::new(plan),
                    });
                }
                Err(e @ HashIndexError::MatchesNothing { .. }) => {
                    return Ok(Chosen::Nothing {
                        index: def.name,
                        reason: e.to_string(),
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(Error::InvalidQuery {
                        table: meta.table,
                        reason: format!("hash index `{}`: {e}", def.name),
                    });
                }
            }
        }

        for (position, def) in meta.packed_indexes.iter().enumerate() {
            let components: Vec<&str> = def.components.to_vec();
            if columns.is_empty()
                || !columns.iter().all(|c| components.contains(c))
                || self
                    .predicates
                    .iter()
                    .any(|(_, p)| matches!(p, IndexPredicate::Contains(_)))
            {
                continue;
            }
            candidates += 1;
            let mut q = PackedQuery::new();
            for (c, v) in self.partition_sources(&components) {
                q = q.eq(c, v);
            }
            for (c, p) in &self.predicates {
                q = match p {
                    IndexPredicate::Eq(v) => q.eq(c, *v),
                    IndexPredicate::In(vs) => q.in_(c, vs.iter().copied()),
                    IndexPredicate::Contains(_) => unreachable!("filtered above"),
                    IndexPredicate::Gt(v) => q.gt(c, *v),
                    IndexPredicate::Ge(v) => q.ge(c, *v),
                    IndexPredicate::Lt(v) => q.lt(c, *v),
                    IndexPredicate::Le(v) => q.le(c, *v),
                    IndexPredicate::Between(a, b) => q.between(c, *a, *b),
                };
            }
            if self.allow_filtering {
                q = q.allow_filtering();
            }
            if let Some(n) = self.max_statements {
                q = q.max_statements(n);
            }
            match def.plan(&q) {
                Ok(plan) => {
                    tracing::debug!(
                        table = meta.table,
                        index = def.name,
                        strategy = ?plan.strategy(),
                        post_filter = plan.needs_post_filter(),
                        "packed index strategy"
                    );
                    return Ok(Chosen::Packed {
                        position,
                        def,
                        plan: Box::new(plan),
                    });
                }
                Err(e @ PackedQueryError::MatchesNothing { .. }) => {
                    return Ok(Chosen::Nothing {
                        index: def.name,
                        reason: e.to_string(),
                    });
                }
                Err(e @ PackedQueryError::RangeTooWide { .. }) => {
                    first_error.get_or_insert(Error::RequiresFiltering {
                        table: meta.table,
                        reason: e.to_string(),
                        hint: format!(
                            "declare `#[packed_index(view)]` on `{}` for clustering slices, or call \
                             `.allow_filtering()` for one single-partition ALLOW FILTERING read",
                            def.components.join("`, `")
                        ),
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(Error::InvalidQuery {
                        table: meta.table,
                        reason: format!("packed index `{}`: {e}", def.name),
                    });
                }
            }
        }

        if let Some(e) = first_error {
            return Err(e);
        }
        debug_assert_eq!(candidates, 0);
        Err(Error::InvalidQuery {
            table: meta.table,
            reason: self.no_index_reason(),
        })
    }

    fn no_index_reason(&self) -> String {
        let meta = M::META;
        let mut declared: Vec<String> = meta
            .hash_indexes
            .iter()
            .map(|d| {
                format!(
                    "#[hash_index] `{}` (sources `{}`, range on `{}`)",
                    d.name,
                    d.sources
                        .iter()
                        .map(|s| s.column)
                        .collect::<Vec<_>>()
                        .join("`, `"),
                    d.bucketed_column()
                )
            })
            .collect();
        declared.extend(meta.packed_indexes.iter().map(|d| {
            format!(
                "#[packed_index] `{}` (components `{}`)",
                d.name,
                d.components.join("`, `")
            )
        }));
        let preds = if self.predicates.is_empty() {
            "no index predicate".to_owned()
        } else {
            self.predicates
                .iter()
                .map(|(c, p)| format!("`{c} {p}`"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        if declared.is_empty() {
            format!("no hash or packed index is declared, so nothing serves {preds}")
        } else {
            format!(
                "no declared index serves {preds}: every predicate column must be a source of one \
                 index; declared: {}",
                declared.join("; ")
            )
        }
    }
}
