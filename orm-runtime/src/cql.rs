//! CQL statement text built from a model's static metadata.
//!
//! Identifiers come only from compile-time-checked metadata and the validated keyspace name;
//! values are always bind markers. `#[derive(Model)]` generates the same statements (with no
//! keyspace) as associated constants; a unit test keeps both in lock-step.

use crate::model::{IndexMeta, IndexScope, IndexTarget, TableMeta, ViewMeta};

/// `ks.table`, or `table` when no keyspace is given.
pub fn qualified(keyspace: Option<&str>, name: &str) -> String {
    match keyspace {
        Some(ks) => format!("{ks}.{name}"),
        None => name.to_owned(),
    }
}

/// The explicit select list: every model column in declaration order.
pub fn select_columns(meta: &TableMeta) -> String {
    meta.columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_where(meta: &TableMeta) -> String {
    meta.partition_key
        .iter()
        .chain(meta.clustering_key.iter())
        .map(|c| format!("{c} = ?"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `INSERT INTO t (a, b) VALUES (?, ?)`; hidden columns follow the model columns.
pub fn insert(keyspace: Option<&str>, meta: &TableMeta) -> String {
    let names: Vec<&str> = meta
        .columns
        .iter()
        .map(|c| c.name)
        .chain(meta.hidden_columns.iter().map(|h| h.name))
        .collect();
    let marks = vec!["?"; names.len()].join(", ");
    format!(
        "INSERT INTO {} ({}) VALUES ({marks})",
        qualified(keyspace, meta.table),
        names.join(", ")
    )
}

/// `SELECT <columns> FROM t WHERE <primary key> = ?`.
pub fn select_by_pk(keyspace: Option<&str>, meta: &TableMeta) -> String {
    format!(
        "SELECT {} FROM {} WHERE {}",
        select_columns(meta),
        qualified(keyspace, meta.table),
        key_where(meta)
    )
}

/// `DELETE FROM t WHERE <primary key> = ?`.
pub fn delete_by_pk(keyspace: Option<&str>, meta: &TableMeta) -> String {
    format!(
        "DELETE FROM {} WHERE {}",
        qualified(keyspace, meta.table),
        key_where(meta)
    )
}

/// `UPDATE t SET a = ?, b = ? WHERE <primary key> = ?`.
pub fn update(keyspace: Option<&str>, meta: &TableMeta, set: &[&str]) -> String {
    let sets: Vec<String> = set.iter().map(|c| format!("{c} = ?")).collect();
    update_assignments(keyspace, meta, &sets)
}

/// `UPDATE t SET <assignments> WHERE <primary key> = ?` (assignments already spelled:
/// `a = ?`, `s = s + ?`).
pub fn update_assignments(
    keyspace: Option<&str>,
    meta: &TableMeta,
    assignments: &[String],
) -> String {
    format!(
        "UPDATE {} SET {} WHERE {}",
        qualified(keyspace, meta.table),
        assignments.join(", "),
        key_where(meta)
    )
}

/// `CREATE TABLE IF NOT EXISTS t (a int, ..., PRIMARY KEY ((pk...), ck...))`, with
/// `WITH CLUSTERING ORDER BY (...)` when a clustering column is descending.
pub fn create_table(keyspace: Option<&str>, meta: &TableMeta) -> String {
    use crate::model::ColumnKind;
    let mut defs: Vec<String> = meta
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.cql_type))
        .collect();
    defs.extend(
        meta.hidden_columns
            .iter()
            .map(|h| format!("{} {}", h.name, h.cql_type)),
    );
    let mut pk = format!("({})", meta.partition_key.join(", "));
    for ck in meta.clustering_key {
        pk.push_str(", ");
        pk.push_str(ck);
    }
    defs.push(format!("PRIMARY KEY ({pk})"));
    let mut cql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        qualified(keyspace, meta.table),
        defs.join(", ")
    );
    let any_desc = meta
        .columns
        .iter()
        .any(|c| matches!(c.kind, ColumnKind::Clustering { desc: true, .. }));
    if any_desc {
        let order: Vec<String> = meta
            .clustering_key
            .iter()
            .map(|ck| {
                let desc = meta
                    .column(ck)
                    .is_some_and(|c| matches!(c.kind, ColumnKind::Clustering { desc: true, .. }));
                format!("{ck} {}", if desc { "DESC" } else { "ASC" })
            })
            .collect();
        cql.push_str(&format!(" WITH CLUSTERING ORDER BY ({})", order.join(", ")));
    }
    cql
}

/// `CREATE INDEX IF NOT EXISTS name ON t (col)` (or `((pk...), col)` for a local index,
/// `(VALUES(col))` / `(KEYS(col))` for collections).
pub fn create_index(keyspace: Option<&str>, meta: &TableMeta, index: &IndexMeta) -> String {
    let target = match index.target {
        IndexTarget::Value => index.column.to_owned(),
        IndexTarget::Values => format!("VALUES({})", index.column),
        IndexTarget::Keys => format!("KEYS({})", index.column),
    };
    let on = match index.scope {
        IndexScope::Global => target,
        IndexScope::Local => format!("({}), {target}", meta.partition_key.join(", ")),
    };
    format!(
        "CREATE INDEX IF NOT EXISTS {} ON {} ({on})",
        index.name,
        qualified(keyspace, meta.table)
    )
}

/// `CREATE MATERIALIZED VIEW IF NOT EXISTS ...` selecting every column, with `IS NOT NULL` on
/// each view key column.
pub fn create_view(keyspace: Option<&str>, meta: &TableMeta, view: &ViewMeta) -> String {
    let keys: Vec<&str> = view
        .partition_key
        .iter()
        .chain(view.clustering_key)
        .copied()
        .collect();
    let not_null = keys
        .iter()
        .map(|k| format!("{k} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let mut pk = format!("({})", view.partition_key.join(", "));
    for ck in view.clustering_key {
        pk.push_str(", ");
        pk.push_str(ck);
    }
    format!(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {} AS SELECT * FROM {} WHERE {not_null} PRIMARY KEY ({pk})",
        qualified(keyspace, view.name),
        qualified(keyspace, meta.table)
    )
}

/// `ALTER TABLE t ADD col type`.
pub fn add_column(keyspace: Option<&str>, meta: &TableMeta, name: &str, cql_type: &str) -> String {
    format!(
        "ALTER TABLE {} ADD {name} {cql_type}",
        qualified(keyspace, meta.table)
    )
}

/// Whether `name` is a valid unquoted, lowercase CQL identifier (what the ORM accepts for
/// keyspaces, tables and columns: `[a-z][a-z0-9_]*`, at most 48 characters).
pub fn is_valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 48
}

/// Normalises a CQL type name for comparison (lowercase, no spaces).
pub fn normalize_type(t: &str) -> String {
    t.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}
