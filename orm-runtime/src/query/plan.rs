//! Client-side mirror of ScyllaDB's SELECT restriction rules (`shared/specs/scylla-behaviour.md`
//! §1, §2 and §5): a query ScyllaDB would only run with `ALLOW FILTERING` is refused before it
//! is sent, with the reason and what would serve it, unless the caller asked for filtering.

use crate::error::{Error, Result};
use crate::model::{ColumnKind, IndexMeta, IndexScope, IndexTarget, TableMeta, TypeShape};

/// A relation operator of a `WHERE` clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=`
    Eq,
    /// `IN`
    In,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `CONTAINS` (collection element / map value)
    Contains,
    /// `CONTAINS KEY` (map key)
    ContainsKey,
}

impl Op {
    /// The CQL spelling.
    pub const fn cql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::In => "IN",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "CONTAINS",
            Op::ContainsKey => "CONTAINS KEY",
        }
    }

    /// `<`, `<=`, `>` or `>=`.
    pub const fn is_range(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }

    const fn is_lower(self) -> bool {
        matches!(self, Op::Gt | Op::Ge)
    }
}

/// A column restriction without its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Restriction {
    /// Column name.
    pub column: &'static str,
    /// Operator.
    pub op: Op,
}

/// The outcome of [`check`]: how ScyllaDB will serve the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The secondary index ScyllaDB will use, if any.
    pub index: Option<&'static IndexMeta>,
    /// The whole partition key is restricted (by `=` or `IN`).
    pub partition_restricted: bool,
    /// The query needs `ALLOW FILTERING` (only possible when the caller allowed it).
    pub needs_filtering: bool,
    /// Why filtering is needed (when it is).
    pub filtering_reason: Option<String>,
    /// `ALLOW FILTERING` is appended to the statement (the caller asked for it).
    pub allow_filtering: bool,
}

struct Refusal {
    reason: String,
    hint: String,
}

fn refuse(reason: impl Into<String>, hint: impl Into<String>) -> Refusal {
    Refusal {
        reason: reason.into(),
        hint: hint.into(),
    }
}

/// Checks restrictions on `meta`'s table the way ScyllaDB does.
///
/// Errors with [`Error::InvalidQuery`] for a query ScyllaDB rejects in any case, and with
/// [`Error::RequiresFiltering`] for one it would only run with `ALLOW FILTERING` unless
/// `allow_filtering` is set.
pub fn check(
    meta: &'static TableMeta,
    restrictions: &[Restriction],
    allow_filtering: bool,
) -> Result<Plan> {
    let table = meta.table;
    let invalid = |reason: String| Error::InvalidQuery { table, reason };

    // Shape checks: unknown columns, operators that do not apply, repeated restrictions.
    for (i, r) in restrictions.iter().enumerate() {
        let Some(col) = meta.column(r.column) else {
            if meta.hidden_columns.iter().any(|h| h.name == r.column) {
                continue;
            }
            return Err(invalid(format!("unknown column `{}`", r.column)));
        };
        match (col.shape, r.op) {
            (TypeShape::Scalar, Op::Contains | Op::ContainsKey) => {
                return Err(invalid(format!(
                    "`{}` is not a collection: {} does not apply",
                    r.column,
                    r.op.cql()
                )));
            }
            (TypeShape::List | TypeShape::Set, Op::ContainsKey) => {
                return Err(invalid(format!(
                    "`{}` is not a map: CONTAINS KEY does not apply",
                    r.column
                )));
            }
            (s, op) if s.is_collection() && !matches!(op, Op::Contains | Op::ContainsKey) => {
                return Err(invalid(format!(
                    "`{}` is a collection: only CONTAINS{} can restrict it",
                    r.column,
                    if s == TypeShape::Map {
                        " / CONTAINS KEY"
                    } else {
                        ""
                    }
                )));
            }
            _ => {}
        }
        for other in &restrictions[..i] {
            if other.column != r.column {
                continue;
            }
            let both_bounds =
                r.op.is_range() && other.op.is_range() && r.op.is_lower() != other.op.is_lower();
            let both_contains = matches!(r.op, Op::Contains | Op::ContainsKey)
                && matches!(other.op, Op::Contains | Op::ContainsKey);
            if !both_bounds && !both_contains {
                return Err(invalid(format!(
                    "`{}` is restricted more than once (`{} ?` and `{} ?`)",
                    r.column,
                    other.op.cql(),
                    r.op.cql()
                )));
            }
        }
    }

    let outcome = classify(meta, restrictions);
    match outcome {
        Ok(mut plan) => {
            plan.allow_filtering = allow_filtering;
            Ok(plan)
        }
        Err((partition_restricted, refusal)) => {
            if allow_filtering {
                Ok(Plan {
                    index: None,
                    partition_restricted,
                    needs_filtering: true,
                    filtering_reason: Some(refusal.reason),
                    allow_filtering: true,
                })
            } else {
                Err(Error::RequiresFiltering {
                    table,
                    reason: refusal.reason,
                    hint: format!(
                        "{} (or call `.allow_filtering()` to accept a filtered scan)",
                        refusal.hint
                    ),
                })
            }
        }
    }
}

fn ops_on<'a>(restrictions: &'a [Restriction], column: &'a str) -> impl Iterator<Item = Op> + 'a {
    restrictions
        .iter()
        .filter(move |r| r.column == column)
        .map(|r| r.op)
}

fn classify(meta: &'static TableMeta, rs: &[Restriction]) -> Result<Plan, (bool, Refusal)> {
    let pk = meta.partition_key;
    let pk_list = pk.join(", ");

    // Partition key.
    let mut pk_restricted = 0;
    let mut pk_all_eq = true;
    for &col in pk {
        let ops: Vec<Op> = ops_on(rs, col).collect();
        if let Some(op) = ops.iter().find(|op| op.is_range()) {
            return Err((
                false,
                refuse(
                    format!(
                        "partition-key column `{col}` is restricted by `{}`: only `=` and `IN` are supported on the partition key",
                        op.cql()
                    ),
                    format!(
                        "restrict every partition-key column ({pk_list}) with `=` or `IN`; ranges are served by clustering columns"
                    ),
                ),
            ));
        }
        if !ops.is_empty() {
            pk_restricted += 1;
            if ops.contains(&Op::In) {
                pk_all_eq = false;
            }
        }
    }
    if pk_restricted > 0 && pk_restricted < pk.len() {
        let missing: Vec<&str> = pk
            .iter()
            .copied()
            .filter(|c| ops_on(rs, c).next().is_none())
            .collect();
        return Err((
            false,
            refuse(
                format!(
                    "the partition key is only partly restricted (`{}` not restricted): ScyllaDB would scan and filter every partition",
                    missing.join("`, `")
                ),
                format!("restrict every partition-key column ({pk_list}) with `=` or `IN`"),
            ),
        ));
    }
    let pk_full = pk_restricted == pk.len();
    let pk_all_eq = pk_full && pk_all_eq;

    // Clustering key: a prefix of `=`/`IN`, optionally ending with a slice.
    let mut unrestricted_before: Option<&str> = None;
    let mut slice_before: Option<&str> = None;
    let mut ck_restricted: Option<&str> = None;
    for &col in meta.clustering_key {
        let ops: Vec<Op> = ops_on(rs, col).collect();
        if ops.is_empty() {
            unrestricted_before.get_or_insert(col);
            continue;
        }
        ck_restricted.get_or_insert(col);
        if let Some(prev) = unrestricted_before {
            return Err((
                pk_full,
                refuse(
                    format!(
                        "clustering column `{col}` cannot be restricted as preceding column `{prev}` is not restricted"
                    ),
                    format!(
                        "restrict `{prev}` too (a clustering prefix), or filter `{col}` in memory"
                    ),
                ),
            ));
        }
        if let Some(prev) = slice_before {
            return Err((
                pk_full,
                refuse(
                    format!(
                        "clustering column `{col}` cannot be restricted (preceding column `{prev}` is restricted by a non-EQ relation)"
                    ),
                    format!("restrict `{prev}` with `=` or `IN`, or filter `{col}` in memory"),
                ),
            ));
        }
        if ops.iter().any(|op| op.is_range()) {
            slice_before = Some(col);
        }
    }
    if let Some(col) = ck_restricted
        && !pk_full
    {
        return Err((
            false,
            refuse(
                format!(
                    "clustering column `{col}` is restricted but the partition key is not: ScyllaDB would scan every partition"
                ),
                format!("restrict the partition key ({pk_list}) with `=` or `IN`"),
            ),
        ));
    }

    // Regular columns: each must be served by an index, and at most one index is used.
    let mut used: Vec<&'static IndexMeta> = Vec::new();
    for r in rs {
        let is_regular = match meta.column(r.column) {
            Some(c) => c.kind == ColumnKind::Regular,
            None => true, // hidden column
        };
        if !is_regular {
            continue;
        }
        let serving = meta.indexes_on(r.column).find(|i| {
            matches!(
                (i.target, r.op),
                (IndexTarget::Value, Op::Eq)
                    | (IndexTarget::Values, Op::Contains)
                    | (IndexTarget::Keys, Op::ContainsKey)
            )
        });
        let field = meta.column(r.column).map_or(r.column, |c| c.field);
        let Some(index) = serving else {
            let any_index = meta.indexes_on(r.column).next().is_some();
            let refusal = if any_index && (r.op.is_range() || r.op == Op::In) {
                refuse(
                    format!(
                        "`{}` has a secondary index, but ScyllaDB indexes serve only `=`: `{} {} ?` would be filtered (scylladb/scylladb#5547)",
                        r.column,
                        r.column,
                        r.op.cql()
                    ),
                    format!(
                        "restrict `{}` with `=`, or make it a clustering column to serve ranges",
                        r.column
                    ),
                )
            } else if any_index {
                refuse(
                    format!("no index on `{}` serves `{}`", r.column, r.op.cql()),
                    match r.op {
                        Op::ContainsKey => format!("declare `#[index(keys)]` on field `{field}`"),
                        _ => format!("declare `#[index]` on field `{field}`"),
                    },
                )
            } else {
                refuse(
                    format!(
                        "`{}` is a regular column with no index: ScyllaDB would read and filter rows",
                        r.column
                    ),
                    match r.op {
                        Op::Eq => format!(
                            "declare `#[index]` (or `#[index(local)]`, used with the whole partition key) on field `{field}`"
                        ),
                        Op::Contains => format!(
                            "declare `#[index]` on field `{field}` (a global index on its values)"
                        ),
                        Op::ContainsKey => format!("declare `#[index(keys)]` on field `{field}`"),
                        _ => format!("make `{}` a clustering column to serve ranges", r.column),
                    },
                )
            };
            return Err((pk_full, refusal));
        };
        if index.scope == IndexScope::Local && !pk_all_eq {
            return Err((
                pk_full,
                refuse(
                    format!(
                        "local index `{}` is used only when the whole partition key ({pk_list}) is restricted by `=`",
                        index.name
                    ),
                    format!(
                        "restrict {pk_list} with `=` (not `IN`), or declare a global `#[index]` on field `{field}`"
                    ),
                ),
            ));
        }
        if index.scope == IndexScope::Global && pk_full && !pk_all_eq {
            return Err((
                pk_full,
                refuse(
                    format!(
                        "the partition key is restricted by `IN` together with index `{}`",
                        index.name
                    ),
                    "query each partition with `=` (one query per key)".to_owned(),
                ),
            ));
        }
        used.push(index);
    }
    if used.len() > 1 && used.iter().all(|u| u.name == used[0].name) {
        let col = used[0].column;
        return Err((
            pk_full,
            refuse(
                format!(
                    "`{col}` is restricted more than once: its index serves one restriction and ScyllaDB filters the others"
                ),
                format!("restrict `{col}` once and check the other values in memory"),
            ),
        ));
    }
    if used.len() > 1 {
        let mut cols: Vec<&str> = used.iter().map(|i| i.column).collect();
        cols.dedup();
        return Err((
            pk_full,
            refuse(
                format!(
                    "two indexed columns are restricted together (`{}`): ScyllaDB reads one index and filters the other",
                    cols.join("`, `")
                ),
                format!("restrict only `{}` and check the others in memory", cols[0]),
            ),
        ));
    }
    if let (Some(index), Some(ck)) = (used.first(), ck_restricted) {
        return Err((
            pk_full,
            refuse(
                format!(
                    "indexed column `{}` and clustering column `{ck}` are restricted together: ScyllaDB would filter the index results",
                    index.column
                ),
                format!(
                    "drop the `{ck}` restriction and check it in memory, or query the partition by clustering key"
                ),
            ),
        ));
    }

    Ok(Plan {
        index: used.first().copied(),
        partition_restricted: pk_full,
        needs_filtering: false,
        filtering_reason: None,
        allow_filtering: false,
    })
}
