//! Packed integer index math behind `#[packed_index(...)]` (spec `shared/specs/index-math.md`
//! §4).
//!
//! Several non-negative integer columns are packed into one sortable `int`/`bigint` column:
//! the first component keeps its value, every later one is [`trim`]med to its `decimal_size`,
//! and `packed = Σ component_i × 10^(slot widths right of i)`.
//!
//! - [`PackedLayout`]: validated slot widths ([`PackedLayout::new`] is a `const fn`),
//!   [`PackedLayout::pack`] for the write path;
//! - [`PackedLayout::ranges`] / [`PackedLayout::is_exact`]: the read path, predicates on the
//!   source columns as packed-space [`PackedRange`]s plus whether a post-filter is needed;
//! - [`count_values`] / [`values`]: turning a small range list into equality lookups.
//! - [`PackedIndexDef`]: a whole packed index: hidden column, index and view names, the write
//!   side ([`PackedIndexDef::packed_value`]) and the read side ([`PackedIndexDef::plan`] of a
//!   [`PackedQuery`] into a [`PackedQueryPlan`]: lookups, view slices or an `ALLOW FILTERING`
//!   scan, plus the exact post-filter).
//!
//! ```
//! use orm_runtime::packing::{PackedLayout, PackedOutput, PackedRange};
//!
//! let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?;
//! let packed = layout.pack(&[2, 370_598_453])?;
//! assert_eq!(packed, 237_059_845);
//! // status = 2 AND updated >= 370598453
//! let ranges = layout.ranges(&[2], 370_598_453..)?;
//! assert!(ranges.iter().any(|r| r.contains(packed)));
//! assert!(!layout.is_exact(&[2], 370_598_453..)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod layout;
mod query;
mod ranges;

pub use layout::{LayoutError, MAX_COMPONENTS, PackError, PackedLayout, PackedOutput, trim};
pub use query::{
    DEFAULT_MAX_PACKED_STATEMENTS, MAX_PACKED_STATEMENTS, PackedBacking, PackedDefError,
    PackedIndexDef, PackedPredicate, PackedQuery, PackedQueryError, PackedQueryPlan,
    PackedStrategy,
};
pub use ranges::{PackedRange, count_values, values};
