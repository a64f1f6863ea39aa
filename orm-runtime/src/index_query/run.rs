//! Execution of a planned index read: concurrent statements under a bound, all-or-nothing,
//! de-duplication by primary key, exact in-memory post-filter.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt, stream};

use super::{Chosen, Planned, Statement};
use crate::Db;
use crate::bucketing::SourceValue;
use crate::error::{Error, Result};
use crate::model::Model;

/// Runs one statement to completion (every page).
async fn fetch<M: Model>(db: &Db, statement: &Statement) -> Result<Vec<M>> {
    let cql = &statement.cql;
    let pager = db.execute_iter(cql, statement.values.clone(), None).await?;
    let rows = pager.rows_stream::<M>().map_err(|e| Error::rows(cql, e))?;
    rows.map_err(|e| Error::rows(cql, e)).try_collect().await
}

pub(super) async fn execute<M: Model>(
    db: &Db,
    pattern: &str,
    planned: Planned,
    concurrency: usize,
) -> Result<Vec<M>> {
    let meta = M::META;
    let Planned { chosen, statements } = planned;
    let index = chosen.index();
    if let Chosen::Nothing { reason, .. } = &chosen {
        tracing::debug!(table = meta.table, index, pattern, reason = %reason, "index query matches nothing: no statement sent");
        return Ok(Vec::new());
    }
    if let Chosen::Hash { plan, .. } = &chosen {
        tracing::debug!(
            table = meta.table,
            index,
            buckets = ?plan.coverage().buckets(),
            waste = plan.coverage().waste(),
            "index query: selected buckets"
        );
    }
    let total = statements.len();
    tracing::debug!(
        table = meta.table,
        index,
        statements = total,
        cql = ?statements.iter().map(|s| (&s.cql, &s.bound)).collect::<Vec<_>>(),
        "index query: generated statements"
    );
    let batches: Vec<Vec<M>> =
        stream::iter(statements.iter().enumerate().map(|(i, s)| async move {
            fetch::<M>(db, s).await.map_err(|source| Error::IndexRead {
                table: meta.table,
                index,
                cql: s.cql.clone(),
                bound: s.bound.clone(),
                statement: i + 1,
                statements: total,
                source: Box::new(source),
            })
        }))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;

    let fetched: usize = batches.iter().map(Vec::len).sum();
    let mut seen = HashSet::new();
    let unique: Vec<M> = batches
        .into_iter()
        .flatten()
        .filter(|row| seen.insert(format!("{:?}", row.primary_key())))
        .collect();
    let deduped = unique.len();
    let rows: Vec<M> = unique
        .into_iter()
        .filter(|row| matches_row(&chosen, row))
        .collect();
    tracing::debug!(
        table = meta.table,
        index,
        fetched,
        after_dedupe = deduped,
        after_filter = rows.len(),
        "index query: rows"
    );
    Ok(rows)
}

/// The exact check of the original predicates on a fetched row.
fn matches_row<M: Model>(chosen: &Chosen, row: &M) -> bool {
    let sources = row.__index_sources();
    let lookup = |column: &str| sources.iter().find(|(c, _)| *c == column).map(|(_, v)| v);
    match chosen {
        Chosen::Nothing { .. } => false,
        Chosen::Hash { def, plan } => {
            let Some(values) = def
                .sources
                .iter()
                .map(|s| lookup(s.column).cloned())
                .collect::<Option<Vec<SourceValue<'_>>>>()
            else {
                return false;
            };
            plan.matches(&values)
        }
        Chosen::Packed { def, plan, .. } => {
            let Some(values) = def
                .components
                .iter()
                .map(|c| match lookup(c) {
                    Some(SourceValue::Scalar(v)) => Some(*v),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>()
            else {
                return false;
            };
            plan.matches(&values)
        }
    }
}
