//! Statement text for the generated constants. Mirrors `orm_runtime::cql` with no keyspace;
//! the runtime's tests compare both.

use crate::model::{Model, Role};

pub fn select_columns(m: &Model) -> String {
    m.fields
        .iter()
        .map(|f| f.column.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn key_where(m: &Model) -> String {
    m.primary_key()
        .map(|f| format!("{} = ?", f.column))
        .collect::<Vec<_>>()
        .join(" AND ")
}

pub fn insert(m: &Model) -> String {
    let names: Vec<&str> = m
        .fields
        .iter()
        .map(|f| f.column.as_str())
        .chain(m.hidden.iter().map(|h| h.name.as_str()))
        .collect();
    let marks = vec!["?"; names.len()].join(", ");
    format!(
        "INSERT INTO {} ({}) VALUES ({marks})",
        m.table,
        names.join(", ")
    )
}

pub fn select_by_pk(m: &Model) -> String {
    format!(
        "SELECT {} FROM {} WHERE {}",
        select_columns(m),
        m.table,
        key_where(m)
    )
}

pub fn delete_by_pk(m: &Model) -> String {
    format!("DELETE FROM {} WHERE {}", m.table, key_where(m))
}

pub fn create_table(m: &Model) -> String {
    let mut defs: Vec<String> = m
        .fields
        .iter()
        .map(|f| format!("{} {}", f.column, f.mapped.kind.cql()))
        .collect();
    defs.extend(
        m.hidden
            .iter()
            .map(|h| format!("{} {}", h.name, h.cql_type)),
    );
    let mut pk = format!(
        "({})",
        m.partition_key()
            .map(|f| f.column.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for ck in m.clustering_key() {
        pk.push_str(", ");
        pk.push_str(&ck.column);
    }
    defs.push(format!("PRIMARY KEY ({pk})"));
    let mut cql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        m.table,
        defs.join(", ")
    );
    if m.clustering_key()
        .any(|f| f.role == Role::Clustering { desc: true })
    {
        let order: Vec<String> = m
            .clustering_key()
            .map(|f| {
                format!(
                    "{} {}",
                    f.column,
                    if f.role == (Role::Clustering { desc: true }) {
                        "DESC"
                    } else {
                        "ASC"
                    }
                )
            })
            .collect();
        cql.push_str(&format!(" WITH CLUSTERING ORDER BY ({})", order.join(", ")));
    }
    cql
}
