//! Runtime of the ScyllaDB ORM.
//!
//! - [`bucketing`]: the composite bucket hash, bucket ids, YYWW week codes and the exact
//!   coverage planner behind `#[hash_index(bucketing(...))]`.
//! - [`packing`]: packed integer layouts behind `#[packed_index(...)]`.
//!
//! Everything in these two modules is part of the stored-data contract
//! (`shared/specs/index-math.md`): values written into hidden columns never change between
//! releases.
#![deny(missing_docs)]

pub mod bucketing;
pub mod packing;
