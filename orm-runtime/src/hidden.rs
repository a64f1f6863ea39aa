//! The write side of the index features: the values of hidden columns, computed from a row's
//! source columns before anything is sent.
//!
//! - a composite bucketing hash index (`#[hash_index(...)]`) stores, per bucket size, the
//!   de-duplicated `set<int>` of [`composite_hash`](crate::bucketing::composite_hash)es of the
//!   row's source tuples ([`HashIndexDef::hidden_values`]);
//! - a packed index (`#[packed_index(...)]`) stores [`PackedLayout::pack`] of its components.
//!
//! [`Db::insert`](crate::Db::insert) and [`Db::insert_many`](crate::Db::insert_many) compute
//! every hidden value first: an invalid week code, a negative packed component or a packed value
//! beyond its type is an [`Error::IndexValue`] and nothing is written. A typed update that sets
//! the sources of a hidden column recomputes it in the same statement
//! ([`Update`](crate::query::Update)).
//!
//! What the declarations create (checked at compile time; the names are in the model's
//! `META`):
//!
//! ```
//! use orm_macros::Model;
//! use orm_runtime::Model as _;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[model(table = "sale_order")]
//! pub struct SaleOrder {
//!     #[partition_key]
//!     pub empresa_id: i32,
//!     #[clustering_key]
//!     pub id: i64,
//!     // products × week, in buckets of 1, 4 and 5 weeks (YYWW week codes)
//!     #[hash_index]
//!     pub detail_products_ids: Vec<i64>,
//!     #[hash_index(bucketing(1, 4, 5), week_code)]
//!     pub week: i32,
//!     // status and updated packed into one int: status × 10^8 + the first 8 digits of updated
//!     #[packed_index]
//!     pub status: i32,
//!     #[packed_index(int32, decimal_size = 8)]
//!     pub updated: i64,
//! }
//!
//! let hidden: Vec<(&str, &str)> = SaleOrder::META
//!     .hidden_columns
//!     .iter()
//!     .map(|h| (h.name, h.index.as_ref().unwrap().name))
//!     .collect();
//! assert_eq!(
//!     hidden,
//!     [
//!         ("zz_hb_detail_products_ids_week_b1", "sale_order__zz_hb_detail_products_ids_w_60fd6f21"),
//!         ("zz_hb_detail_products_ids_week_b4", "sale_order__zz_hb_detail_products_ids_w_2cc95ab2"),
//!         ("zz_hb_detail_products_ids_week_b5", "sale_order__zz_hb_detail_products_ids_w_73fa0215"),
//!         ("zz_ixp_status_updated", "sale_order__zz_ixp_status_updated_index_1"),
//!     ]
//! );
//! ```

use std::collections::BTreeSet;
use std::fmt;

use scylla::frame::response::result::ColumnType;
use scylla::serialize::SerializationError;
use scylla::serialize::value::SerializeValue;
use scylla::serialize::writers::{CellWriter, WrittenCellProof};

use crate::bucketing::{HashIndexDef, HashIndexError, SourceValue};
use crate::error::{Error, Result};
use crate::model::{HiddenKind, TableMeta};
use crate::packing::{PackError, PackedLayout, PackedOutput};

/// The value bound to one hidden column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiddenValue {
    /// The hashes of one bucket size (`set<int>`; an empty set is stored as null).
    Hashes(BTreeSet<i32>),
    /// A packed value of an int32 layout (`int`).
    Int(i32),
    /// A packed value of an int64 layout (`bigint`).
    BigInt(i64),
}

impl SerializeValue for HiddenValue {
    fn serialize<'b>(
        &self,
        typ: &ColumnType,
        writer: CellWriter<'b>,
    ) -> Result<WrittenCellProof<'b>, SerializationError> {
        match self {
            HiddenValue::Hashes(set) => set.serialize(typ, writer),
            HiddenValue::Int(v) => v.serialize(typ, writer),
            HiddenValue::BigInt(v) => v.serialize(typ, writer),
        }
    }
}

/// Why a hidden value could not be computed from a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IndexValueError {
    /// The hash index rejected the row (an invalid week code, too many tuples, ...).
    #[error(transparent)]
    Hash(#[from] HashIndexError),
    /// The packed index rejected the row (a negative component, a value beyond the output
    /// type).
    #[error("packed index `{index}`: {error}")]
    Packed {
        /// The packed index's name.
        index: &'static str,
        /// Why.
        error: PackError,
    },
    /// A source value of the wrong shape (generated code never passes one).
    #[error("index source column `{column}` must be {expected}")]
    SourceShape {
        /// The column.
        column: &'static str,
        /// What was expected.
        expected: &'static str,
    },
}

/// Computes the hidden columns of `meta` whose sources are all in `sources` (column name →
/// value), in the order of [`TableMeta::hidden_columns`]: returns `(position in
/// hidden_columns, value)` pairs. `key` names the row in errors and debug events.
///
/// # Errors
///
/// [`Error::IndexValue`] when a value cannot be computed; nothing should be written then.
pub fn compute(
    meta: &'static TableMeta,
    sources: &[(&'static str, SourceValue<'_>)],
    key: &dyn fmt::Debug,
) -> Result<Vec<(usize, HiddenValue)>> {
    let fail = |source: IndexValueError| Error::IndexValue {
        table: meta.table,
        key: format!("{key:?}"),
        source,
    };
    let lookup = |column: &str| sources.iter().find(|(c, _)| *c == column).map(|(_, v)| v);
    let mut out = Vec::new();
    for (i, def) in meta.hash_indexes.iter().enumerate() {
        let Some(values) = def
            .sources
            .iter()
            .map(|s| lookup(s.column).cloned())
            .collect::<Option<Vec<SourceValue<'_>>>>()
        else {
            continue;
        };
        let hashes = def.hidden_values(&values).map_err(|e| fail(e.into()))?;
        debug_hash_event(meta, def, &values, &hashes, key);
        for (pos, hidden) in meta.hidden_columns.iter().enumerate() {
            if let HiddenKind::BucketHash { index, size } = hidden.kind
                && index == i
                && let Some((_, set)) = hashes.iter().find(|(s, _)| *s == size)
            {
                out.push((pos, HiddenValue::Hashes(set.clone())));
            }
        }
    }
    for (i, packed) in meta.packed_indexes.iter().enumerate() {
        let mut values = Vec::with_capacity(packed.components.len());
        for column in packed.components {
            match lookup(column) {
                Some(SourceValue::Scalar(v)) => values.push(*v),
                Some(_) => {
                    return Err(fail(IndexValueError::SourceShape {
                        column,
                        expected: "an integer scalar",
                    }));
                }
                None => break,
            }
        }
        if values.len() != packed.components.len() {
            continue;
        }
        let value = pack(&packed.layout, &values).map_err(|error| {
            fail(IndexValueError::Packed {
                index: packed.name,
                error,
            })
        })?;
        tracing::debug!(
            table = meta.table,
            key = ?key,
            index = packed.name,
            components = ?values,
            packed = ?value,
            "packed index value"
        );
        for (pos, hidden) in meta.hidden_columns.iter().enumerate() {
            if hidden.kind == (HiddenKind::Packed { index: i }) {
                out.push((pos, value.clone()));
            }
        }
    }
    out.sort_by_key(|(pos, _)| *pos);
    Ok(out)
}

/// Every hidden value of a row, in the order of [`TableMeta::hidden_columns`].
///
/// # Errors
///
/// [`Error::IndexValue`] (nothing should be written), or [`Error::InvalidQuery`] if a source is
/// missing (generated code always passes them all).
pub fn compute_all(
    meta: &'static TableMeta,
    sources: &[(&'static str, SourceValue<'_>)],
    key: &dyn fmt::Debug,
) -> Result<Vec<HiddenValue>> {
    let values = compute(meta, sources, key)?;
    if values.len() != meta.hidden_columns.len() {
        return Err(Error::InvalidQuery {
            table: meta.table,
            reason: format!(
                "{} of {} hidden columns could be computed: an index source value is missing",
                values.len(),
                meta.hidden_columns.len()
            ),
        });
    }
    Ok(values.into_iter().map(|(_, v)| v).collect())
}

fn pack(layout: &PackedLayout, values: &[i64]) -> Result<HiddenValue, PackError> {
    let packed = layout.pack(values)?;
    Ok(match layout.output() {
        // pack() checked the value against the output type's maximum, and it is >= 0.
        PackedOutput::Int32 => HiddenValue::Int(packed as i32),
        PackedOutput::Int64 => HiddenValue::BigInt(packed),
    })
}

/// Design 001 §8: record key, week (the bucketed value), product ids count (collection
/// sizes), generated hashes per bucket size.
fn debug_hash_event(
    meta: &TableMeta,
    def: &HashIndexDef,
    values: &[SourceValue<'_>],
    hashes: &[(u32, BTreeSet<i32>)],
    key: &dyn fmt::Debug,
) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let bucketed = values.get(def.bucketed);
    let counts: Vec<(&str, usize)> = def
        .sources
        .iter()
        .zip(values)
        .filter_map(|(s, v)| match v {
            SourceValue::Collection(c) => Some((s.column, c.len())),
            _ => None,
        })
        .collect();
    tracing::debug!(
        table = meta.table,
        key = ?key,
        index = def.name,
        bucketed_column = def.bucketed_column(),
        bucketed_value = ?bucketed,
        collection_sizes = ?counts,
        hashes_per_size = ?hashes,
        "hash index hidden values"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucketing::{HashSource, composite_hash};
    use crate::model::{HiddenColumnMeta, IndexMeta, IndexScope, IndexTarget, TypeShape};
    use crate::packing::{PackedBacking, PackedIndexDef};

    const HASH: HashIndexDef = HashIndexDef {
        name: "ids_week",
        sources: &[HashSource::collection("ids"), HashSource::scalar("week")],
        bucketed: 1,
        sizes: &[1, 4],
        week_code: true,
        max_waste: None,
        max_statements: None,
    };
    const LAYOUT: PackedLayout = match PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]) {
        Ok(l) => l,
        Err(_) => panic!("layout"),
    };
    const fn idx(name: &'static str, column: &'static str, local: bool) -> IndexMeta {
        IndexMeta {
            name,
            column,
            scope: if local {
                IndexScope::Local
            } else {
                IndexScope::Global
            },
            target: if local {
                IndexTarget::Value
            } else {
                IndexTarget::Values
            },
        }
    }
    static META: TableMeta = TableMeta {
        table: "t",
        columns: &[],
        partition_key: &["pk"],
        clustering_key: &[],
        indexes: &[],
        hidden_columns: &[
            HiddenColumnMeta {
                name: "zz_hb_ids_week_b1",
                cql_type: "set<int>",
                shape: TypeShape::Set,
                sources: &["ids", "week"],
                index: Some(idx(
                    "t__zz_hb_ids_week_b1_index_0",
                    "zz_hb_ids_week_b1",
                    false,
                )),
                kind: HiddenKind::BucketHash { index: 0, size: 1 },
            },
            HiddenColumnMeta {
                name: "zz_hb_ids_week_b4",
                cql_type: "set<int>",
                shape: TypeShape::Set,
                sources: &["ids", "week"],
                index: Some(idx(
                    "t__zz_hb_ids_week_b4_index_0",
                    "zz_hb_ids_week_b4",
                    false,
                )),
                kind: HiddenKind::BucketHash { index: 0, size: 4 },
            },
            HiddenColumnMeta {
                name: "zz_ixp_status_updated",
                cql_type: "int",
                shape: TypeShape::Scalar,
                sources: &["status", "updated"],
                index: Some(idx(
                    "t__zz_ixp_status_updated_index_1",
                    "zz_ixp_status_updated",
                    true,
                )),
                kind: HiddenKind::Packed { index: 0 },
            },
        ],
        views: &[],
        hash_indexes: &[HASH],
        packed_indexes: &[PackedIndexDef {
            name: "status_updated",
            components: &["status", "updated"],
            layout: LAYOUT,
            backing: PackedBacking::LocalIndex,
            max_statements: None,
        }],
    };

    fn row(
        ids: &[i64],
        week: i64,
        status: i64,
        updated: i64,
    ) -> Vec<(&'static str, SourceValue<'static>)> {
        vec![
            ("ids", SourceValue::collection(ids.iter().copied())),
            ("week", SourceValue::Scalar(week)),
            ("status", SourceValue::Scalar(status)),
            ("updated", SourceValue::Scalar(updated)),
        ]
    }

    #[test]
    fn spec_values() {
        let v = compute_all(&META, &row(&[1, 1, 2], 2548, 2, 370_598_453), &(1, 2)).unwrap();
        assert_eq!(v.len(), 3);
        let b1: BTreeSet<i32> = [composite_hash(&[1, 2916]), composite_hash(&[2, 2916])].into();
        let b4: BTreeSet<i32> = [composite_hash(&[1, 729]), composite_hash(&[2, 729])].into();
        assert_eq!(v[0], HiddenValue::Hashes(b1));
        assert_eq!(v[1], HiddenValue::Hashes(b4));
        assert!(matches!(&v[1], HiddenValue::Hashes(s) if s.contains(&-380_567_827)));
        assert_eq!(v[2], HiddenValue::Int(237_059_845));
        // An empty collection: empty sets.
        let v = compute_all(&META, &row(&[], 2548, 2, 1), &1).unwrap();
        assert_eq!(v[0], HiddenValue::Hashes(BTreeSet::new()));
    }

    #[test]
    fn errors_name_the_row() {
        let err = compute_all(&META, &row(&[1], 2553, 2, 1), &(7, 9)).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::IndexValue { .. }));
        assert!(msg.contains("(7, 9)") && msg.contains("2553"), "{msg}");
        assert!(msg.contains("nothing was written"), "{msg}");
        let err = compute_all(&META, &row(&[1], 2548, 2, -1), &1).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::IndexValue {
                    source: IndexValueError::Packed {
                        error: PackError::NegativeComponent { .. },
                        ..
                    },
                    ..
                }
            ),
            "{err}"
        );
        let err = compute_all(&META, &row(&[1], 2548, 22, 1), &1).unwrap_err();
        assert!(
            err.to_string().contains("exceeds the int32 maximum"),
            "{err}"
        );
    }

    #[test]
    fn partial_sources_compute_only_complete_indexes() {
        let sources = vec![
            ("status", SourceValue::Scalar(2)),
            ("updated", SourceValue::Scalar(370_598_453)),
        ];
        let v = compute(&META, &sources, &1).unwrap();
        assert_eq!(v, [(2, HiddenValue::Int(237_059_845))]);
        assert!(compute_all(&META, &sources, &1).is_err());
    }
}
