//! The [`Model`] trait implemented by `#[derive(Model)]`, and the static metadata it exposes.
//!
//! Everything here is produced at compile time by the derive: a model's table name, its
//! columns with their CQL types, its keys, its indexes and (once the index features land) its
//! hidden virtual columns. The runtime plans and migrates from this metadata only; identifiers
//! in CQL always come from it, never from user input.

use scylla::deserialize::row::DeserializeRow;
use scylla::serialize::row::SerializeRow;

/// The role of a column in the table's primary key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Part of the partition key (`position` counts from 0, in declaration order).
    PartitionKey {
        /// Position inside the partition key.
        position: usize,
    },
    /// A clustering column (`position` counts from 0, in declaration order).
    Clustering {
        /// Position inside the clustering key.
        position: usize,
        /// Declared `#[clustering_key(desc)]`: stored in descending order.
        desc: bool,
    },
    /// A regular (non-key) column.
    Regular,
}

impl ColumnKind {
    /// Whether the column is part of the primary key.
    pub const fn is_key(&self) -> bool {
        !matches!(self, ColumnKind::Regular)
    }

    /// The `kind` ScyllaDB reports in `system_schema.columns` for such a column.
    pub const fn schema_kind(&self) -> &'static str {
        match self {
            ColumnKind::PartitionKey { .. } => "partition_key",
            ColumnKind::Clustering { .. } => "clustering",
            ColumnKind::Regular => "regular",
        }
    }

    /// The `position` ScyllaDB reports in `system_schema.columns` (-1 for regular columns).
    pub const fn schema_position(&self) -> i32 {
        match self {
            ColumnKind::PartitionKey { position } | ColumnKind::Clustering { position, .. } => {
                *position as i32
            }
            ColumnKind::Regular => -1,
        }
    }
}

/// The shape of a column's CQL type, as far as query planning cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeShape {
    /// A scalar (native) type: `int`, `text`, `uuid`, ...
    Scalar,
    /// `list<T>`.
    List,
    /// `set<T>`.
    Set,
    /// `map<K, V>`.
    Map,
}

impl TypeShape {
    /// Whether this is a (non-frozen) collection.
    pub const fn is_collection(&self) -> bool {
        !matches!(self, TypeShape::Scalar)
    }
}

/// One column of a model's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnMeta {
    /// The CQL column name (the field name, or `#[column(name = "...")]`).
    pub name: &'static str,
    /// The Rust field the column maps to.
    pub field: &'static str,
    /// The canonical CQL type, as `system_schema.columns.type` spells it (`map<int, text>`).
    pub cql_type: &'static str,
    /// Key role.
    pub kind: ColumnKind,
    /// Scalar or collection.
    pub shape: TypeShape,
    /// Declared as `Option<T>`.
    pub nullable: bool,
}

/// Local (partition-scoped) or global secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexScope {
    /// `CREATE INDEX name ON t (col)`: serves `col = ?` across partitions.
    Global,
    /// `CREATE INDEX name ON t ((pk...), col)`: serves `col = ?` only with the whole partition
    /// key restricted by `=`.
    Local,
}

/// What an index indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexTarget {
    /// The scalar value of the column: serves `col = ?`.
    Value,
    /// `VALUES(col)` of a list, set or map: serves `col CONTAINS ?`.
    Values,
    /// `KEYS(col)` of a map: serves `col CONTAINS KEY ?`.
    Keys,
}

/// A secondary index of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMeta {
    /// The index name. Plain indexes are named `<table>_<column>_idx` (global; ScyllaDB's own
    /// default name) and `<table>_<column>_local_idx` (local).
    pub name: &'static str,
    /// The indexed column.
    pub column: &'static str,
    /// Local or global.
    pub scope: IndexScope,
    /// What is indexed.
    pub target: IndexTarget,
}

/// A hidden virtual column: computed from source columns on every write, never a struct field.
/// Filled by the index features (`#[hash_index]`, `#[packed_index]`); empty for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenColumnMeta {
    /// Column name (prefixed `zz_`, a prefix reserved for hidden columns).
    pub name: &'static str,
    /// Canonical CQL type.
    pub cql_type: &'static str,
    /// Shape of the type.
    pub shape: TypeShape,
    /// The model columns the value is computed from.
    pub sources: &'static [&'static str],
    /// The index created on the hidden column.
    pub index: IndexMeta,
}

/// A materialized view of the table (created by migration). No feature declares one yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewMeta {
    /// View name.
    pub name: &'static str,
    /// Partition-key columns of the view.
    pub partition_key: &'static [&'static str],
    /// Clustering columns of the view (must include every base key column not in the
    /// partition key).
    pub clustering_key: &'static [&'static str],
}

/// Static description of a model's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableMeta {
    /// Table name (`#[model(table = "...")]`, default: snake_case of the struct name).
    pub table: &'static str,
    /// Every mapped column, in declaration order (hidden columns excluded).
    pub columns: &'static [ColumnMeta],
    /// Partition-key column names, in order.
    pub partition_key: &'static [&'static str],
    /// Clustering column names, in order.
    pub clustering_key: &'static [&'static str],
    /// Plain secondary indexes.
    pub indexes: &'static [IndexMeta],
    /// Hidden virtual columns (empty until the index features).
    pub hidden_columns: &'static [HiddenColumnMeta],
    /// Materialized views (empty for now).
    pub views: &'static [ViewMeta],
}

impl TableMeta {
    /// Looks a column up by CQL name (hidden columns excluded).
    pub fn column(&self, name: &str) -> Option<&'static ColumnMeta> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The indexes defined on a column (plain and hidden).
    pub fn indexes_on<'a>(
        &'a self,
        column: &'a str,
    ) -> impl Iterator<Item = &'static IndexMeta> + 'a {
        self.indexes
            .iter()
            .chain(self.hidden_columns.iter().map(|h| &h.index))
            .filter(move |i| i.column == column)
    }

    /// Every index of the table: plain indexes, then those on hidden columns.
    pub fn all_indexes(&self) -> impl Iterator<Item = &'static IndexMeta> {
        self.indexes
            .iter()
            .chain(self.hidden_columns.iter().map(|h| &h.index))
    }
}

/// A table mapping generated by `#[derive(Model)]`.
///
/// Implementors also implement the driver's [`SerializeRow`] (bind values matched by column
/// name) and [`DeserializeRow`] (result columns matched by name; hidden `zz_` columns ignored),
/// so a model also works with raw driver queries.
pub trait Model:
    SerializeRow
    + for<'frame, 'metadata> DeserializeRow<'frame, 'metadata>
    + Send
    + Sync
    + Sized
    + 'static
{
    /// The primary-key values as a tuple, partition key first, in key order.
    type PrimaryKey: SerializeRow + Send + Sync + Clone + std::fmt::Debug + 'static;
    /// The partition-key values as a tuple, in key order.
    type PartitionKey: SerializeRow + Send + Sync + Clone + std::fmt::Debug + 'static;
    /// The generated struct of typed column handles (`<Struct>Columns`).
    type Columns: 'static;

    /// Static table metadata.
    const META: &'static TableMeta;
    /// Table name.
    const TABLE: &'static str;
    /// Explicit select list: every column, comma separated, in declaration order.
    const SELECT_COLUMNS: &'static str;
    /// `INSERT INTO <table> (...) VALUES (?, ...)` (unqualified: [`crate::Db`] qualifies it
    /// with its keyspace).
    const INSERT_CQL: &'static str;
    /// `SELECT <columns> FROM <table> WHERE <primary key> = ?`.
    const SELECT_BY_PK_CQL: &'static str;
    /// `DELETE FROM <table> WHERE <primary key> = ?`.
    const DELETE_BY_PK_CQL: &'static str;
    /// `CREATE TABLE IF NOT EXISTS <table> (...)`.
    const CREATE_TABLE_CQL: &'static str;

    /// The primary key of this row.
    fn primary_key(&self) -> Self::PrimaryKey;
    /// The partition key of this row.
    fn partition_key(&self) -> Self::PartitionKey;
    /// The typed column handles used to build predicates.
    fn columns() -> &'static Self::Columns;
}
