//! Composite bucketing math behind `#[hash_index(bucketing(...))]` (spec
//! `shared/specs/index-math.md` §1–§3).
//!
//! - [`composite_hash`]: the FNV-1a 32 hash stored in the `zz_hb_..._b<size>` `set<int>`
//!   columns;
//! - [`bucket_id`] / [`checked_bucket_id`]: floor division of a basis value by a bucket size;
//! - [`week_index`] / [`week_code`]: `YYWW` week codes ↔ consecutive week indexes;
//! - [`plan_coverage`]: the exact coverage planner choosing which buckets to read for a range.
//! - [`HashIndexDef`]: a whole hash index: hidden column names, the write side
//!   ([`HashIndexDef::hidden_values`]) and the read side ([`HashIndexDef::plan`] of a
//!   [`HashQuery`] into a [`HashQueryPlan`] with its exact post-filter).
//!
//! Writing: for every size `s`, store `composite_hash(tuple with the bucketed column replaced by
//! bucket_id(basis, s))`. Reading `[from, to]`: one `CONTAINS` statement per planned
//! [`Bucket`], then an exact in-memory filter.
//!
//! ```
//! use orm_runtime::bucketing::{composite_hash, plan_coverage, week_index, PlanLimits};
//!
//! // product 1, weeks 2548..=2614, buckets of 1, 4 and 5 weeks
//! let (from, to) = (week_index(2548)?, week_index(2614)?);
//! let plan = plan_coverage(from, to, &[1, 4, 5], &PlanLimits::default())?;
//! let hashes: Vec<(u32, i32)> =
//!     plan.buckets().iter().map(|b| (b.size(), composite_hash(&[1, b.id()]))).collect();
//! assert_eq!(hashes[0], (4, -380_567_827)); // hash(1, 729) in zz_hb_..._b4
//! assert_eq!(hashes.len(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod hash;
mod planner;
mod query;
mod week;

pub use hash::{bucket_id, checked_bucket_id, composite_hash};
pub use planner::{
    Bucket, CoveragePlan, DEFAULT_MAX_STATEMENTS, MAX_PLAN_STATES, MAX_PLAN_UNITS, PlanError,
    PlanLimits, plan_coverage,
};
pub use query::{
    HashDefError, HashIndexDef, HashIndexError, HashPredicate, HashQuery, HashQueryPlan,
    HashSource, HashStatement, HiddenValues, MAX_HASH_STATEMENTS, MAX_HASH_TUPLES, SourceValue,
};
pub use week::{WeekCodeError, iso_weeks_in_year, week_code, week_index};
