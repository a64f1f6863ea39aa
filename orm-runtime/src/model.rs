//! The [`Model`] trait implemented by `#[derive(Model)]`, and the static metadata it exposes.
//!
//! Everything here is produced at compile time by the derive: a model's table name, its
//! columns with their CQL types, its keys, its indexes, and the hidden virtual columns, views
//! and definitions of its hash and packed indexes. The runtime plans and migrates from this metadata only; identifiers
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

/// How a hidden column's value is computed (see [`HiddenColumnMeta`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenKind {
    /// One bucket size of a composite bucketing hash index: a `set<int>` of
    /// [`composite_hash`](crate::bucketing::composite_hash)es.
    BucketHash {
        /// Position of the index in [`TableMeta::hash_indexes`].
        index: usize,
        /// The bucket size this column stores.
        size: u32,
    },
    /// The packed value of a packed integer index (`int` or `bigint`).
    Packed {
        /// Position of the index in [`TableMeta::packed_indexes`].
        index: usize,
    },
}

/// A hidden virtual column: computed from source columns on every write, never a struct field.
/// Declared by `#[hash_index]` (one `set<int>` column per bucket size) and `#[packed_index]`
/// (one `int`/`bigint` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HiddenColumnMeta {
    /// Column name (prefixed `zz_`, a prefix reserved for hidden columns): exactly the names of
    /// `shared/specs/index-math.md` (column names have no length limit).
    pub name: &'static str,
    /// Canonical CQL type.
    pub cql_type: &'static str,
    /// Shape of the type.
    pub shape: TypeShape,
    /// The model columns the value is computed from, in declared order.
    pub sources: &'static [&'static str],
    /// The index created on the hidden column; `None` when the column is served by a
    /// materialized view instead (`#[packed_index(view)]`, see [`TableMeta::views`]).
    pub index: Option<IndexMeta>,
    /// How the value is computed.
    pub kind: HiddenKind,
}

/// A materialized view of the table (created by migration). Declared by
/// `#[packed_index(view)]`.
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
    /// Hidden virtual columns, in declaration order of their indexes (hash indexes first,
    /// one column per bucket size, then packed indexes).
    pub hidden_columns: &'static [HiddenColumnMeta],
    /// Materialized views (the backing of `#[packed_index(view)]`).
    pub views: &'static [ViewMeta],
    /// Composite bucketing hash indexes (`#[hash_index(...)]`).
    pub hash_indexes: &'static [crate::bucketing::HashIndexDef],
    /// Packed integer indexes (`#[packed_index(...)]`).
    pub packed_indexes: &'static [crate::packing::PackedIndexDef],
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
            .chain(self.hidden_columns.iter().filter_map(|h| h.index.as_ref()))
            .filter(move |i| i.column == column)
    }

    /// Every index of the table: plain indexes, then those on hidden columns.
    pub fn all_indexes(&self) -> impl Iterator<Item = &'static IndexMeta> {
        self.indexes
            .iter()
            .chain(self.hidden_columns.iter().filter_map(|h| h.index.as_ref()))
    }

    /// The materialized view whose first clustering column is `column` (the view backing a
    /// `#[packed_index(view)]` on hidden column `column`).
    pub fn view_on(&self, column: &str) -> Option<&'static ViewMeta> {
        self.views
            .iter()
            .find(|v| v.clustering_key.first() == Some(&column))
    }

    /// The hidden columns computed (also) from `column`.
    pub fn hidden_columns_of<'a>(
        &'a self,
        column: &'a str,
    ) -> impl Iterator<Item = &'static HiddenColumnMeta> + 'a {
        self.hidden_columns
            .iter()
            .filter(move |h| h.sources.contains(&column))
    }
}

/// A table mapping generated by `#[derive(Model)]`.
///
/// Implementors also implement the driver's [`SerializeRow`] (bind values matched by column
/// name) and [`DeserializeRow`] (result columns matched by name; hidden `zz_` columns ignored),
/// so a model also works with raw driver queries.
///
/// The model example of the README (keep the two in step):
///
/// ```
/// use std::collections::BTreeSet;
///
/// use orm_macros::Model;
/// use orm_runtime::Db;
///
/// #[derive(Model, Debug, Clone, PartialEq)]
/// #[model(table = "sale_orders")]
/// pub struct SaleOrder {
///     #[partition_key]
///     pub company_id: i32,
///     #[clustering_key(desc)]
///     pub order_id: i64,
///     #[index]
///     pub status: i32,
///     #[index(local)]
///     pub customer: String,
///     #[column(name = "total_cents")]
///     pub total: i64,
///     #[index]
///     pub tags: BTreeSet<String>,
///     pub note: Option<String>,
/// }
///
/// async fn tour(db: &Db) -> orm_runtime::Result<()> {
///     db.migrate::<SaleOrder>().await?; // keyspace, table, 3 indexes (idempotent)
///
///     let order = SaleOrder {
///         company_id: 7,
///         order_id: 1001,
///         status: 1,
///         customer: "alice".into(),
///         total: 12_50,
///         tags: BTreeSet::from(["rush".to_owned()]),
///         note: None,
///     };
///     order.insert(db).await?;
///     assert_eq!(SaleOrder::get(db, 7, 1001).await?, Some(order.clone()));
///
///     // Served by the primary key, the global index, the local index, the set index.
///     let newest = SaleOrder::find_by_partition(7).limit(10).all(db).await?;
///     let open = SaleOrder::find_by_status(1).all(db).await?;
///     let alices = SaleOrder::find_by_customer(7, "alice").all(db).await?;
///     let rush = SaleOrder::find_by_tags("rush").all(db).await?;
///     assert!([newest, open, alices, rush].iter().all(|rows| rows == &[order.clone()]));
///
///     // Only the named columns are written; no read first.
///     SaleOrder::update(7, 1001)
///         .set_status(2)
///         .add_tags(BTreeSet::from(["paid".to_owned()]))
///         .execute(db)
///         .await?;
///     SaleOrder::delete(db, 7, 1001).await?;
///     Ok(())
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = scylla_emulator::Emulator::builder().start().await?;
/// # let db = Db::builder(emulator.addr().to_string()).keyspace("shop").build().await?;
/// # tour(&db).await?;
/// # emulator.shutdown().await;
/// # Ok(())
/// # }
/// ```
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

    /// The values of this row's index source columns (every source of a `#[hash_index]` or
    /// `#[packed_index]`), by column name. Empty for a model without such indexes.
    #[doc(hidden)]
    fn __index_sources(&self) -> Vec<(&'static str, crate::bucketing::SourceValue<'static>)> {
        Vec::new()
    }

    /// Serializes the row with precomputed hidden values (in the order of
    /// [`TableMeta::hidden_columns`]). Generated; used by [`crate::Db::insert`].
    #[doc(hidden)]
    fn __serialize_with_hidden(
        &self,
        hidden: &[crate::hidden::HiddenValue],
        ctx: &scylla::serialize::row::RowSerializationContext<'_>,
        writer: &mut scylla::serialize::writers::RowWriter<'_>,
    ) -> Result<(), scylla::serialize::SerializationError>;

    /// Every hidden value of this row, in the order of [`TableMeta::hidden_columns`].
    ///
    /// # Errors
    ///
    /// [`crate::Error::IndexValue`]: an invalid week code, a negative packed component, a
    /// packed value beyond its type. Such a row must not be written.
    fn hidden_values(&self) -> crate::Result<Vec<crate::hidden::HiddenValue>> {
        if Self::META.hidden_columns.is_empty() {
            return Ok(Vec::new());
        }
        crate::hidden::compute_all(Self::META, &self.__index_sources(), &self.primary_key())
    }
}
