//! Typed query building: column handles, predicates, `SELECT` and `UPDATE` builders, and the
//! client-side restriction check that refuses queries ScyllaDB would only run with
//! `ALLOW FILTERING`.
//!
//! ```
//! use orm_macros::Model;
//! use orm_runtime::{Db, Error};
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[model(table = "sale_orders")]
//! struct SaleOrder {
//!     #[partition_key]
//!     company_id: i32,
//!     #[clustering_key(desc)]
//!     order_id: i64,
//!     #[index]
//!     status: i32,
//!     total: i64,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emulator = scylla_emulator::Emulator::builder().start().await?;
//! # let db = Db::builder(emulator.addr().to_string()).keyspace("shop").build().await?;
//! db.migrate::<SaleOrder>().await?;
//! for order_id in 90..110 {
//!     let status = (order_id % 3) as i32;
//!     db.insert(&SaleOrder { company_id: 7, order_id, status, total: order_id * 100 }).await?;
//! }
//!
//! // A clustering range inside one partition: served by the primary key.
//! let recent = SaleOrder::select()
//!     .filter(|c| c.company_id.eq(7))
//!     .filter(|c| c.order_id.ge(100))
//!     .all(&db)
//!     .await?;
//! assert_eq!(recent.len(), 10);
//! assert_eq!(recent[0].order_id, 109); // clustering order DESC
//!
//! // `=` on an indexed column: served by the index.
//! let open = SaleOrder::find_by_status(0).all(&db).await?;
//! assert!(open.iter().all(|o| o.status == 0));
//!
//! // A range on a regular column would need ALLOW FILTERING: refused before it is sent...
//! let big = SaleOrder::select().filter(|c| c.total.gt(10_000));
//! let refused = big.plan().unwrap_err();
//! assert!(matches!(refused, Error::RequiresFiltering { .. }));
//! assert_eq!(
//!     refused.to_string(),
//!     "query on `sale_orders` refused: `total` is a regular column with no index: ScyllaDB would \
//!      read and filter rows. make `total` a clustering column to serve ranges (or call \
//!      `.allow_filtering()` to accept a filtered scan)"
//! );
//! // ...unless asked for explicitly.
//! let big = big.allow_filtering().all(&db).await?;
//! assert_eq!(big.len(), 9);
//! # emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod plan;
mod select;
mod update;

pub use plan::{Op, Plan, Restriction, check};
pub use select::{Page, Select};
pub use update::{Assignment, Update};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use scylla::frame::response::result::ColumnType;
use scylla::serialize::SerializationError;
use scylla::serialize::value::SerializeValue;
use scylla::serialize::writers::{CellWriter, WrittenCellProof};

/// A value to bind, type-erased (cheap to clone).
#[derive(Clone)]
pub struct BoundValue(Arc<dyn SerializeValue + Send + Sync>);

impl BoundValue {
    /// Wraps any serializable value.
    pub fn new<T: SerializeValue + Send + Sync + 'static>(value: T) -> Self {
        BoundValue(Arc::new(value))
    }
}

impl fmt::Debug for BoundValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundValue(..)")
    }
}

impl SerializeValue for BoundValue {
    fn serialize<'b>(
        &self,
        typ: &ColumnType,
        writer: CellWriter<'b>,
    ) -> Result<WrittenCellProof<'b>, SerializationError> {
        self.0.serialize(typ, writer)
    }
}

/// A typed handle on one column of model `M`, whose values have Rust type `T` (`Option`
/// stripped). The derive generates one per field in `<Struct>Columns`.
pub struct Column<M, T> {
    name: &'static str,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}

impl<M, T> fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

impl<M, T> Column<M, T> {
    /// A handle on the column named `name` (used by generated code).
    pub const fn new(name: &'static str) -> Self {
        Column {
            name,
            _marker: PhantomData,
        }
    }

    /// The CQL column name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    fn pred(&self, op: Op, value: BoundValue) -> Predicate<M> {
        Predicate {
            column: self.name,
            op,
            value,
            in_len: None,
            _marker: PhantomData,
        }
    }
}

impl<M, T: SerializeValue + Send + Sync + 'static> Column<M, T> {
    /// `col = ?`
    pub fn eq(&self, value: impl IntoValue<T>) -> Predicate<M> {
        self.pred(Op::Eq, BoundValue::new(value.into_value()))
    }
    /// `col IN ?` (partition-key and clustering columns).
    pub fn in_(&self, values: impl IntoIterator<Item = T>) -> Predicate<M> {
        let values: Vec<T> = values.into_iter().collect();
        let len = values.len();
        let mut p = self.pred(Op::In, BoundValue::new(values));
        p.in_len = Some(len);
        p
    }
    /// `col < ?`
    pub fn lt(&self, value: impl IntoValue<T>) -> Predicate<M> {
        self.pred(Op::Lt, BoundValue::new(value.into_value()))
    }
    /// `col <= ?`
    pub fn le(&self, value: impl IntoValue<T>) -> Predicate<M> {
        self.pred(Op::Le, BoundValue::new(value.into_value()))
    }
    /// `col > ?`
    pub fn gt(&self, value: impl IntoValue<T>) -> Predicate<M> {
        self.pred(Op::Gt, BoundValue::new(value.into_value()))
    }
    /// `col >= ?`
    pub fn ge(&self, value: impl IntoValue<T>) -> Predicate<M> {
        self.pred(Op::Ge, BoundValue::new(value.into_value()))
    }
}

macro_rules! contains_for {
    ($($coll:ident < $e:ident $(, $s:ident)? >),*) => {$(
        impl<M, $e: SerializeValue + Send + Sync + 'static $(, $s)?> Column<M, $coll<$e $(, $s)?>> {
            /// `col CONTAINS ?`
            pub fn contains(&self, element: impl IntoValue<$e>) -> Predicate<M> {
                self.pred(Op::Contains, BoundValue::new(element.into_value()))
            }
        }
    )*};
}
contains_for!(Vec<E>, BTreeSet<E>, HashSet<E, S>);

impl<M, K, V> Column<M, BTreeMap<K, V>>
where
    K: SerializeValue + Send + Sync + 'static,
    V: SerializeValue + Send + Sync + 'static,
{
    /// `col CONTAINS KEY ?`
    pub fn contains_key(&self, key: impl IntoValue<K>) -> Predicate<M> {
        self.pred(Op::ContainsKey, BoundValue::new(key.into_value()))
    }
    /// `col CONTAINS ?` (a map value)
    pub fn contains(&self, value: impl IntoValue<V>) -> Predicate<M> {
        self.pred(Op::Contains, BoundValue::new(value.into_value()))
    }
}

impl<M, K, V, S> Column<M, HashMap<K, V, S>>
where
    K: SerializeValue + Send + Sync + 'static,
    V: SerializeValue + Send + Sync + 'static,
{
    /// `col CONTAINS KEY ?`
    pub fn contains_key(&self, key: impl IntoValue<K>) -> Predicate<M> {
        self.pred(Op::ContainsKey, BoundValue::new(key.into_value()))
    }
    /// `col CONTAINS ?` (a map value)
    pub fn contains(&self, value: impl IntoValue<V>) -> Predicate<M> {
        self.pred(Op::Contains, BoundValue::new(value.into_value()))
    }
}

/// One restriction of a `WHERE` clause on model `M`, with its bound value.
pub struct Predicate<M> {
    column: &'static str,
    op: Op,
    value: BoundValue,
    in_len: Option<usize>,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Predicate<M> {
    fn clone(&self) -> Self {
        Predicate {
            column: self.column,
            op: self.op,
            value: self.value.clone(),
            in_len: self.in_len,
            _marker: PhantomData,
        }
    }
}

impl<M> fmt::Debug for Predicate<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ?", self.column, self.op.cql())
    }
}

impl<M> Predicate<M> {
    /// The restricted column.
    pub fn column(&self) -> &'static str {
        self.column
    }
    /// The operator.
    pub fn op(&self) -> Op {
        self.op
    }
    /// The bound value.
    pub fn value(&self) -> &BoundValue {
        &self.value
    }
    /// How many values an `IN` predicate carries.
    pub fn in_len(&self) -> Option<usize> {
        self.in_len
    }
    /// The restriction without its value.
    pub fn restriction(&self) -> Restriction {
        Restriction {
            column: self.column,
            op: self.op,
        }
    }
}

/// Conversion into a column's value type, used by typed predicates, finders and setters.
///
/// Unlike `Into`, it has few impls, so integer literals infer the column's type
/// (`c.sensor.eq(1)` on an `i16` column): every `T` converts into `T` and into `Option<T>`,
/// and `&str` into `String` / `Option<String>`.
pub trait IntoValue<T> {
    /// Converts.
    fn into_value(self) -> T;
}

impl<T> IntoValue<T> for T {
    fn into_value(self) -> T {
        self
    }
}

impl<T> IntoValue<Option<T>> for T {
    fn into_value(self) -> Option<T> {
        Some(self)
    }
}

impl IntoValue<String> for &str {
    fn into_value(self) -> String {
        self.to_owned()
    }
}

impl IntoValue<Option<String>> for &str {
    fn into_value(self) -> Option<String> {
        Some(self.to_owned())
    }
}
