//! Keyspaces, tables and their columns.

use std::collections::BTreeMap;

use crate::types::ColType;

/// What part of the primary key a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    PartitionKey,
    Clustering,
    Static,
    Regular,
}

impl ColumnKind {
    /// The `kind` column of `system_schema.columns`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::PartitionKey => "partition_key",
            ColumnKind::Clustering => "clustering",
            ColumnKind::Static => "static",
            ColumnKind::Regular => "regular",
        }
    }
}

/// A column of a table.
#[derive(Debug, Clone)]
pub struct ColumnDef {
    /// Stable id used by the storage (never reused after a DROP).
    pub id: u32,
    pub name: String,
    pub ty: ColType,
    pub kind: ColumnKind,
    /// Position within the partition key or clustering key; -1 otherwise.
    pub position: i32,
    /// `DESC` clustering order.
    pub desc: bool,
}

/// A secondary index definition (`system_schema.indexes`; see `crate::index::IndexSpec`).
#[derive(Debug, Clone)]
pub struct IndexDef {
    pub name: String,
    /// `KEYS`, `COMPOSITES`, `CUSTOM`.
    pub kind: String,
    pub options: BTreeMap<String, String>,
}

/// A table's schema.
#[derive(Debug, Clone)]
pub struct TableDef {
    pub keyspace: String,
    pub name: String,
    pub id: uuid::Uuid,
    /// All columns, in declaration order.
    pub columns: Vec<ColumnDef>,
    /// Indexes into `columns`: partition key in order.
    pub partition_key: Vec<usize>,
    /// Indexes into `columns`: clustering key in order.
    pub clustering: Vec<usize>,
    pub next_column_id: u32,
    /// `WITH` properties as given (rendered values).
    pub properties: BTreeMap<String, String>,
    /// Secondary indexes, in creation order.
    pub indexes: Vec<IndexDef>,
    /// Dropped columns: name → drop timestamp (micros).
    pub dropped: BTreeMap<String, (ColType, i64)>,
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<(usize, &ColumnDef)> {
        self.columns
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == name)
    }

    pub fn pk_cols(&self) -> impl Iterator<Item = &ColumnDef> {
        self.partition_key.iter().map(|i| &self.columns[*i])
    }

    pub fn ck_cols(&self) -> impl Iterator<Item = &ColumnDef> {
        self.clustering.iter().map(|i| &self.columns[*i])
    }

    pub fn has_statics(&self) -> bool {
        self.columns.iter().any(|c| c.kind == ColumnKind::Static)
    }

    /// Column indexes in `SELECT *` order: partition key, clustering, static then regular
    /// columns sorted by name.
    pub fn select_star_order(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.partition_key.clone();
        out.extend(self.clustering.iter().copied());
        for kind in [ColumnKind::Static, ColumnKind::Regular] {
            let mut v: Vec<usize> = (0..self.columns.len())
                .filter(|i| self.columns[*i].kind == kind)
                .collect();
            v.sort_by(|a, b| self.columns[*a].name.cmp(&self.columns[*b].name));
            out.extend(v);
        }
        out
    }

    /// Recomputes the pk/ck index vectors after the column list changed.
    pub fn reindex(&mut self) {
        let mut pk: Vec<(i32, usize)> = Vec::new();
        let mut ck: Vec<(i32, usize)> = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            match c.kind {
                ColumnKind::PartitionKey => pk.push((c.position, i)),
                ColumnKind::Clustering => ck.push((c.position, i)),
                _ => {}
            }
        }
        pk.sort();
        ck.sort();
        self.partition_key = pk.into_iter().map(|x| x.1).collect();
        self.clustering = ck.into_iter().map(|x| x.1).collect();
    }
}

/// A keyspace.
#[derive(Debug, Clone)]
pub struct KeyspaceDef {
    pub name: String,
    pub replication: BTreeMap<String, String>,
    pub durable_writes: bool,
    /// `tablets = {...}` options as given.
    pub tablets: BTreeMap<String, String>,
}
