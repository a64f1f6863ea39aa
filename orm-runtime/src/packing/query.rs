//! Packed-index definitions and read-side query plans (spec `shared/specs/index-math.md` §4,
//! `scylla-behaviour.md` §2–§3, design 002).
//!
//! Pure planning, no I/O. Generated code describes each `#[packed_index(...)]` with a
//! `static` [`PackedIndexDef`] and stores [`PackedIndexDef::packed_value`] in the hidden
//! column on every write. The executor turns the predicates of a query into a
//! [`PackedQuery`], asks [`PackedIndexDef::plan`] for a [`PackedQueryPlan`], runs the
//! statements of its [`PackedStrategy`], de-duplicates rows by primary key and, when
//! [`PackedQueryPlan::needs_post_filter`], keeps the rows for which
//! [`PackedQueryPlan::matches`] holds.
//!
//! What ScyllaDB can serve decides the strategy:
//! - a local index `((pk), zz_ixp_...)` serves only `pk = ? AND zz_ixp_... = ?`: equality
//!   lookups; a range needs `ALLOW FILTERING` and then ignores the index
//!   (scylladb/scylladb#5547);
//! - a materialized view `PRIMARY KEY ((pk), zz_ixp_..., <base clustering key>)` serves
//!   `pk = ? AND zz_ixp_... >= ? AND zz_ixp_... <= ?` as a clustering slice.

use std::collections::BTreeSet;
use std::fmt;

use super::{PackError, PackedLayout, PackedRange, count_values, values};
use crate::bucketing::DEFAULT_MAX_STATEMENTS;

/// The default cap on statements per packed query (lookups, slices or filtering scans), the
/// same as the hash indexes' [`DEFAULT_MAX_STATEMENTS`].
pub const DEFAULT_MAX_PACKED_STATEMENTS: usize = DEFAULT_MAX_STATEMENTS;

/// A hard ceiling on the statements of one plan, whatever `max_statements` says: the
/// effective cap is `min(max_statements, MAX_PACKED_STATEMENTS)`; it also bounds the IN
/// combinations of the equality prefix that are expanded, so no input can make the planner
/// materialise a huge plan.
pub const MAX_PACKED_STATEMENTS: usize = 100_000;

/// How a packed index is stored in ScyllaDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackedBacking {
    /// A local secondary index `CREATE INDEX <table>__zz_ixp_..._index_1 ON <table>
    /// ((<pk>), zz_ixp_...)` (the genix default). Serves equality lookups only; ranges become
    /// lookups on each packed value when there are few, else need `ALLOW FILTERING`.
    LocalIndex,
    /// A materialized view `<table>__zz_ixp_..._view` with primary key
    /// `((<pk>), zz_ixp_..., <base clustering columns>)`. Serves ranges as clustering slices;
    /// view updates are asynchronous in ScyllaDB unless created with
    /// `synchronous_updates = true`.
    View,
}

impl fmt::Display for PackedBacking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PackedBacking::LocalIndex => "local index",
            PackedBacking::View => "materialized view",
        })
    }
}

/// The static description of one packed index, built by generated code in `const`/`static`
/// context.
///
/// ```
/// use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
///
/// static STATUS_UPDATED: PackedIndexDef = PackedIndexDef {
///     name: "status_updated",
///     components: &["status", "updated"],
///     layout: match PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]) {
///         Ok(layout) => layout,
///         Err(_) => panic!("invalid packed layout"),
///     },
///     backing: PackedBacking::LocalIndex,
///     max_statements: None,
/// };
/// const _: () = assert!(STATUS_UPDATED.is_hidden_column("zz_ixp_status_updated"));
/// assert_eq!(STATUS_UPDATED.hidden_column(), "zz_ixp_status_updated");
/// assert_eq!(STATUS_UPDATED.cql_type(), "int");
/// assert_eq!(
///     STATUS_UPDATED.local_index_name("sale_order"),
///     "sale_order__zz_ixp_status_updated_index_1"
/// );
/// assert_eq!(STATUS_UPDATED.view_name("sale_order"), "sale_order__zz_ixp_status_updated_view");
/// assert_eq!(STATUS_UPDATED.packed_value(&[2, 370_598_453]), Ok(237_059_845));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackedIndexDef {
    /// The index's name in errors and explain output (generated code passes the component
    /// columns joined by `_`).
    pub name: &'static str,
    /// The component columns, in declared order (one per [`PackedLayout`] component).
    pub components: &'static [&'static str],
    /// The validated layout (slot widths, output type).
    pub layout: PackedLayout,
    /// Local index or materialized view.
    pub backing: PackedBacking,
    /// The cap on statements per query (`None`: [`DEFAULT_MAX_PACKED_STATEMENTS`]); a query
    /// may override it ([`PackedQuery::max_statements`]); never above
    /// [`MAX_PACKED_STATEMENTS`].
    pub max_statements: Option<usize>,
}

/// An invalid [`PackedIndexDef`] (a compile-time error in generated code). `Copy` and free of
/// drop glue, so [`PackedIndexDef::validate`] works in `const` context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PackedDefError {
    /// The component list does not match the layout.
    #[error(
        "packed index `{index}` lists {components} component columns but its layout has \
         {layout}: declare one column per layout component"
    )]
    ComponentCount {
        /// The index name.
        index: &'static str,
        /// The number of component columns.
        components: usize,
        /// The layout's component count.
        layout: usize,
    },
    /// A component column name is empty.
    #[error("packed index `{index}`: component {position} has an empty column name")]
    EmptyComponent {
        /// The index name.
        index: &'static str,
        /// Its position.
        position: usize,
    },
    /// A component column appears twice.
    #[error("packed index `{index}`: component `{column}` is listed twice")]
    DuplicateComponent {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
    },
}

/// Why a packed query could not be planned. Nothing is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackedQueryError {
    /// The index definition is invalid.
    #[error(transparent)]
    InvalidDefinition(#[from] PackedDefError),
    /// A predicate names a column that is not a component.
    #[error(
        "packed index `{index}` has no component `{column}`: its components are {components}; \
         filter other columns separately"
    )]
    UnknownColumn {
        /// The index name.
        index: &'static str,
        /// The column named.
        column: &'static str,
        /// The components, comma-separated.
        components: String,
    },
    /// The query constrains no component.
    #[error(
        "packed index `{index}`: the query has no predicate on its components ({components}); \
         constrain at least the first one"
    )]
    NoPredicate {
        /// The index name.
        index: &'static str,
        /// The components, comma-separated.
        components: String,
    },
    /// The predicates are not an equality prefix followed by at most one range.
    #[error(
        "packed index `{index}`: `{column}` is constrained but `{gap}` before it is {gap_state}; \
         a packed index serves = / IN on its first components then at most one range, in \
         declared order ({components}): add an equality on `{gap}` or filter `{column}` \
         another way"
    )]
    NotAPrefix {
        /// The index name.
        index: &'static str,
        /// The constrained column after the gap.
        column: &'static str,
        /// The earlier component that breaks the prefix.
        gap: &'static str,
        /// `"unconstrained"` or `"ranged"`.
        gap_state: &'static str,
        /// The components, comma-separated.
        components: String,
    },
    /// The predicates cannot match any storable row (empty IN, contradictory bounds, negative
    /// or out-of-range values). The executor may answer with no rows without reading.
    #[error(
        "packed index `{index}`: the predicates match no row ({reason}); the query returns nothing"
    )]
    MatchesNothing {
        /// The index name.
        index: &'static str,
        /// Why.
        reason: String,
    },
    /// More statements than the cap.
    #[error(
        "packed index `{index}`: the query needs {statements} {what}, more than max_statements \
         = {max_statements}: pass fewer IN values, narrow the range, or raise max_statements \
         (per query, or on the index)"
    )]
    TooManyStatements {
        /// The index name.
        index: &'static str,
        /// The statements needed (saturating).
        statements: u128,
        /// What they are (`equality lookups`, `view slices`, ...).
        what: &'static str,
        /// The cap.
        max_statements: usize,
    },
    /// A range on a local index spans too many packed values for equality lookups.
    #[error(
        "packed index `{index}`: the range covers {values} packed values, more than \
         max_statements = {max_statements} equality lookups, and ScyllaDB cannot serve a range \
         from a local index (scylladb/scylladb#5547). Either declare the index with `view` (a \
         materialized view serves ranges as clustering slices), or call `.allow_filtering()` \
         on the query (a filtered read of the partition); narrowing the range also helps"
    )]
    RangeTooWide {
        /// The number of distinct packed values in the ranges (saturating).
        values: u64,
        /// The cap.
        max_statements: usize,
        /// The index name.
        index: &'static str,
    },
    /// The packing math rejected the predicate (not expected for a valid definition).
    #[error("packed index `{index}`: {error}")]
    Pack {
        /// The index name.
        index: &'static str,
        /// The error.
        error: PackError,
    },
}

impl PackedIndexDef {
    /// Checks the definition: one distinct, non-empty column per layout component (the layout
    /// itself is validated by [`PackedLayout::new`]). A `const fn`: generated code asserts it
    /// at compile time.
    ///
    /// # Errors
    ///
    /// The first [`PackedDefError`] found.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedDefError, PackedIndexDef, PackedLayout, PackedOutput};
    /// const LAYOUT: PackedLayout = match PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]) {
    ///     Ok(layout) => layout,
    ///     Err(_) => panic!("invalid layout"),
    /// };
    /// const DEF: PackedIndexDef = PackedIndexDef {
    ///     name: "status_updated",
    ///     components: &["status", "updated"],
    ///     layout: LAYOUT,
    ///     backing: PackedBacking::LocalIndex,
    ///     max_statements: None,
    /// };
    /// const _: () = assert!(DEF.validate().is_ok());
    /// let bad = PackedIndexDef { components: &["status", "status"], ..DEF };
    /// assert!(matches!(bad.validate(), Err(PackedDefError::DuplicateComponent { .. })));
    /// ```
    pub const fn validate(&self) -> Result<(), PackedDefError> {
        let index = self.name;
        if self.components.len() != self.layout.components() {
            return Err(PackedDefError::ComponentCount {
                index,
                components: self.components.len(),
                layout: self.layout.components(),
            });
        }
        let mut i = 0;
        while i < self.components.len() {
            let column = self.components[i];
            if column.is_empty() {
                return Err(PackedDefError::EmptyComponent { index, position: i });
            }
            let mut j = 0;
            while j < i {
                if let Some(end) = eat(column.as_bytes(), 0, self.components[j].as_bytes())
                    && end == column.len()
                {
                    return Err(PackedDefError::DuplicateComponent { index, column });
                }
                j += 1;
            }
            i += 1;
        }
        Ok(())
    }

    /// The hidden column `zz_ixp_<c1>_<c2>...`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert_eq!(def.hidden_column(), "zz_ixp_a_b");
    /// ```
    #[must_use]
    pub fn hidden_column(&self) -> String {
        let mut out = String::from("zz_ixp");
        for c in self.components {
            out.push('_');
            out.push_str(c);
        }
        out
    }

    /// `Some(end)` when `name[pos..end]` is the hidden column.
    const fn eat_hidden_column(&self, name: &[u8], pos: usize) -> Option<usize> {
        let mut pos = match eat(name, pos, b"zz_ixp") {
            Some(p) => p,
            None => return None,
        };
        let mut i = 0;
        while i < self.components.len() {
            pos = match eat(name, pos, b"_") {
                Some(p) => p,
                None => return None,
            };
            pos = match eat(name, pos, self.components[i].as_bytes()) {
                Some(p) => p,
                None => return None,
            };
            i += 1;
        }
        Some(pos)
    }

    /// Whether `name` is the hidden column ([`hidden_column`](Self::hidden_column)); a
    /// `const fn` so generated code can assert its literals at compile time.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert!(def.is_hidden_column("zz_ixp_a_b"));
    /// assert!(!def.is_hidden_column("zz_ixp_a_b_c"));
    /// ```
    #[must_use]
    pub const fn is_hidden_column(&self, name: &str) -> bool {
        let bytes = name.as_bytes();
        matches!(self.eat_hidden_column(bytes, 0), Some(end) if end == bytes.len())
    }

    /// `table__<hidden column><suffix>` exactly?
    const fn is_named(&self, table: &str, suffix: &[u8], name: &str) -> bool {
        let bytes = name.as_bytes();
        let pos = match eat(bytes, 0, table.as_bytes()) {
            Some(p) => p,
            None => return false,
        };
        let pos = match eat(bytes, pos, b"__") {
            Some(p) => p,
            None => return false,
        };
        let pos = match self.eat_hidden_column(bytes, pos) {
            Some(p) => p,
            None => return false,
        };
        matches!(eat(bytes, pos, suffix), Some(end) if end == bytes.len())
    }

    /// The CQL type of the hidden column: `int` or `bigint` (from the layout's output). Bind
    /// packed values as `i32` for `int` (every planned value then fits).
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert_eq!(def.cql_type(), "bigint");
    /// ```
    #[must_use]
    pub const fn cql_type(&self) -> &'static str {
        self.layout.output().cql_type()
    }

    /// The local index (backing [`PackedBacking::LocalIndex`]):
    /// `<table>__zz_ixp_<c1>_<c2>..._index_1`, created as
    /// `CREATE INDEX <name> ON <table> ((<pk>), zz_ixp_...)`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert_eq!(def.local_index_name("t"), "t__zz_ixp_a_b_index_1");
    /// assert!(def.is_local_index_name("t", "t__zz_ixp_a_b_index_1"));
    /// ```
    #[must_use]
    pub fn local_index_name(&self, table: &str) -> String {
        format!("{table}__{}_index_1", self.hidden_column())
    }

    /// Whether `name` is [`local_index_name`](Self::local_index_name)`(table)`; a `const fn`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert!(!def.is_local_index_name("t", "t__zz_ixp_a_b_index_0"));
    /// ```
    #[must_use]
    pub const fn is_local_index_name(&self, table: &str, name: &str) -> bool {
        self.is_named(table, b"_index_1", name)
    }

    /// The materialized view (backing [`PackedBacking::View`]): `<table>__zz_ixp_<c1>_<c2>..._view`,
    /// created as `CREATE MATERIALIZED VIEW <name> AS SELECT * FROM <table> WHERE <pk> IS NOT
    /// NULL AND zz_ixp_... IS NOT NULL AND <clustering> IS NOT NULL PRIMARY KEY ((<pk>),
    /// zz_ixp_..., <clustering>)`. Mind ScyllaDB's 48-character limit on table (and view)
    /// names.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert_eq!(def.view_name("t"), "t__zz_ixp_a_b_view");
    /// assert!(def.is_view_name("t", "t__zz_ixp_a_b_view"));
    /// ```
    #[must_use]
    pub fn view_name(&self, table: &str) -> String {
        format!("{table}__{}_view", self.hidden_column())
    }

    /// Whether `name` is [`view_name`](Self::view_name)`(table)`; a `const fn`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int64, &[None, Some(4)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert!(!def.is_view_name("u", "t__zz_ixp_a_b_view"));
    /// ```
    #[must_use]
    pub const fn is_view_name(&self, table: &str, name: &str) -> bool {
        self.is_named(table, b"_view", name)
    }

    /// The write side: the packed value of one record's components (in declared order);
    /// delegates to [`PackedLayout::pack`].
    ///
    /// # Errors
    ///
    /// [`PackError`]: wrong number of values, a negative component, or a packed value beyond
    /// the output type. Nothing should be written then.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackError, PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "a_b", components: &["a", "b"],
    /// #     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert_eq!(def.packed_value(&[2, 370_598_453]), Ok(237_059_845));
    /// assert!(matches!(def.packed_value(&[-1, 0]), Err(PackError::NegativeComponent { .. })));
    /// ```
    pub const fn packed_value(&self, components: &[i64]) -> Result<i64, PackError> {
        self.layout.pack(components)
    }

    /// The update rule (design 002 §2): an update that assigns any component must assign all
    /// of them, since the packed value is computed from the whole row. Returns the components
    /// missing from `assigned` when it holds at least one of them, else an empty list.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput};
    /// # let def = PackedIndexDef { name: "s_u", components: &["status", "updated"],
    /// #     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]).unwrap(),
    /// #     backing: PackedBacking::View, max_statements: None };
    /// assert_eq!(def.missing_sources(&["updated"]), ["status"]);
    /// assert!(def.missing_sources(&["note"]).is_empty());
    /// ```
    #[must_use]
    pub fn missing_sources(&self, assigned: &[&str]) -> Vec<&'static str> {
        if !self.components.iter().any(|c| assigned.contains(c)) {
            return Vec::new();
        }
        self.components
            .iter()
            .copied()
            .filter(|c| !assigned.contains(c))
            .collect()
    }

    fn component_list(&self) -> String {
        self.components.join(", ")
    }

    /// The read side: plans a [`PackedQuery`].
    ///
    /// The predicates must be `=`/`IN` on the first `k` components, then optionally a range on
    /// component `k`, nothing on later ones (several predicates on one component are ANDed).
    ///
    /// - every component `=`/`IN`: [`PackedStrategy::Lookups`], one `zz_ixp = ?` per distinct
    ///   packed value of the IN combinations (both backings);
    /// - a range, or a prefix only, on a [`View`](PackedBacking::View):
    ///   [`PackedStrategy::Slices`], the packed ranges of [`PackedLayout::ranges`] over every
    ///   IN combination, merged;
    /// - the same on a [`LocalIndex`](PackedBacking::LocalIndex): lookups on every packed value
    ///   of the ranges when there are at most `max_statements` ([`count_values`]); else, with
    ///   [`PackedQuery::allow_filtering`], [`PackedStrategy::FilteringScan`] (one filtered
    ///   single-partition read per range); else [`PackedQueryError::RangeTooWide`].
    ///
    /// Completeness: the packed value of every storable row matching the predicates is one of
    /// the lookup values or lies in one of the ranges. When truncation can make a
    /// non-matching row share them, [`PackedQueryPlan::needs_post_filter`] is set and
    /// [`PackedQueryPlan::matches`] re-checks the original predicates.
    ///
    /// # Errors
    ///
    /// [`PackedQueryError`]; never panics.
    ///
    /// ```
    /// use orm_runtime::packing::{
    ///     PackedBacking, PackedIndexDef, PackedLayout, PackedOutput, PackedQuery, PackedRange,
    ///     PackedStrategy,
    /// };
    ///
    /// let def = PackedIndexDef {
    ///     name: "status_updated",
    ///     components: &["status", "updated"],
    ///     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?,
    ///     backing: PackedBacking::View,
    ///     max_statements: None,
    /// };
    /// let plan = def.plan(&PackedQuery::new().eq("status", 2).gt("updated", 370_598_453))?;
    /// // 9-digit values above X trim to 37059845..=99999999, 10-digit ones to 10000000..=99999999.
    /// assert_eq!(
    ///     plan.strategy(),
    ///     &PackedStrategy::Slices { ranges: vec![PackedRange { lo: 210_000_000, hi: 299_999_999 }] }
    /// );
    /// assert!(plan.needs_post_filter());
    /// assert!(!plan.matches(&[2, 370_598_453])); // same packed value, but not > X
    /// assert!(plan.matches(&[2, 370_598_454]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plan(&self, query: &PackedQuery) -> Result<PackedQueryPlan, PackedQueryError> {
        self.validate()?;
        let index = self.name;
        let n = self.components.len();
        let mut constraints: Vec<Constraint> = vec![Constraint::Any; n];
        for (column, predicate) in &query.predicates {
            let Some(pos) = self.components.iter().position(|c| c == column) else {
                return Err(PackedQueryError::UnknownColumn {
                    index,
                    column,
                    components: self.component_list(),
                });
            };
            constraints[pos] = constraints[pos].and(predicate);
        }
        if constraints.iter().all(|c| matches!(c, Constraint::Any)) {
            return Err(PackedQueryError::NoPredicate {
                index,
                components: self.component_list(),
            });
        }
        let nothing = |reason: String| PackedQueryError::MatchesNothing { index, reason };
        for (c, column) in constraints.iter().zip(self.components) {
            match c {
                Constraint::OneOf(values) if values.is_empty() => {
                    return Err(nothing(format!(
                        "an empty IN list or contradictory values on `{column}`"
                    )));
                }
                Constraint::Range(lo, hi) if lo > hi => {
                    return Err(nothing(format!("an empty range on `{column}`")));
                }
                _ => {}
            }
        }
        // The equality prefix, then at most one range, then nothing.
        let k = constraints
            .iter()
            .position(|c| !matches!(c, Constraint::OneOf(_)))
            .unwrap_or(n);
        if k < n {
            let first_free = if matches!(constraints[k], Constraint::Range(..)) {
                k + 1
            } else {
                k
            };
            if let Some(offset) = constraints[first_free..]
                .iter()
                .position(|c| !matches!(c, Constraint::Any))
            {
                return Err(PackedQueryError::NotAPrefix {
                    index,
                    column: self.components[first_free + offset],
                    gap: self.components[k],
                    gap_state: if matches!(constraints[k], Constraint::Range(..)) {
                        "ranged"
                    } else {
                        "unconstrained"
                    },
                    components: self.component_list(),
                });
            }
        }
        let max_statements = query
            .max_statements
            .or(self.max_statements)
            .unwrap_or(DEFAULT_MAX_PACKED_STATEMENTS)
            .min(MAX_PACKED_STATEMENTS);
        // IN lists of the prefix, without negative values (never stored).
        let lists: Vec<Vec<i64>> = constraints[..k]
            .iter()
            .map(|c| match c {
                Constraint::OneOf(values) => values.iter().copied().filter(|v| *v >= 0).collect(),
                _ => Vec::new(),
            })
            .collect();
        let combinations = lists
            .iter()
            .fold(1u128, |acc, l| acc.saturating_mul(l.len() as u128));
        if combinations == 0 {
            return Err(nothing(
                "only negative values, and components are never negative".into(),
            ));
        }
        if combinations > MAX_PACKED_STATEMENTS as u128 {
            return Err(PackedQueryError::TooManyStatements {
                index,
                statements: combinations,
                what: "IN combinations",
                max_statements,
            });
        }
        let pack_error = |error| PackedQueryError::Pack { index, error };
        let mut exact = true;
        let strategy = if k == n {
            let mut lookups = BTreeSet::new();
            let mut result = Ok(());
            for_each_combination(&lists, |combo| {
                if result.is_err() {
                    return;
                }
                let Ok(packed) = self.layout.pack(combo) else {
                    return; // too large for the output: no such row is stored
                };
                lookups.insert(packed);
                let (prefix, last) = combo.split_at(n - 1);
                let v = last[0];
                match self.layout.is_exact(prefix, v..=v) {
                    Ok(e) => exact &= e,
                    Err(e) => result = Err(e),
                }
            });
            result.map_err(pack_error)?;
            if lookups.is_empty() {
                return Err(nothing(
                    "every combination packs beyond the output type, so no such row is stored"
                        .into(),
                ));
            }
            if lookups.len() > max_statements {
                return Err(PackedQueryError::TooManyStatements {
                    index,
                    statements: lookups.len() as u128,
                    what: "equality lookups",
                    max_statements,
                });
            }
            PackedStrategy::Lookups {
                values: lookups.into_iter().collect(),
            }
        } else {
            let (lo, hi) = match constraints[k] {
                Constraint::Range(lo, hi) => (lo, hi),
                _ => (i64::MIN, i64::MAX),
            };
            let mut all: Vec<PackedRange> = Vec::new();
            let mut result = Ok(());
            for_each_combination(&lists, |combo| {
                if result.is_err() {
                    return;
                }
                match self.layout.ranges(combo, lo..=hi) {
                    Ok(ranges) => all.extend(ranges),
                    Err(e) => result = Err(e),
                }
                match self.layout.is_exact(combo, lo..=hi) {
                    Ok(e) => exact &= e,
                    Err(e) => result = Err(e),
                }
            });
            result.map_err(pack_error)?;
            let ranges = merge(all);
            if ranges.is_empty() {
                return Err(nothing(
                    "no storable packed value satisfies the predicates".into(),
                ));
            }
            let too_many = |what| PackedQueryError::TooManyStatements {
                index,
                statements: ranges.len() as u128,
                what,
                max_statements,
            };
            match self.backing {
                PackedBacking::View => {
                    if ranges.len() > max_statements {
                        return Err(too_many("view slices"));
                    }
                    PackedStrategy::Slices { ranges }
                }
                PackedBacking::LocalIndex => {
                    let count = count_values(&ranges);
                    if count <= max_statements as u64 {
                        PackedStrategy::Lookups {
                            values: values(&ranges).collect(),
                        }
                    } else if query.allow_filtering {
                        if ranges.len() > max_statements {
                            return Err(too_many("ALLOW FILTERING range reads"));
                        }
                        PackedStrategy::FilteringScan { ranges }
                    } else {
                        return Err(PackedQueryError::RangeTooWide {
                            values: count,
                            max_statements,
                            index,
                        });
                    }
                }
            }
        };
        let plan = PackedQueryPlan {
            def: *self,
            strategy,
            needs_post_filter: !exact,
            max_statements,
            constraints,
        };
        tracing::debug!(
            index,
            backing = %self.backing,
            strategy = plan.strategy.kind(),
            statements = plan.strategy.statements(),
            post_filter = plan.needs_post_filter,
            "packed index query plan"
        );
        Ok(plan)
    }
}

/// `Some(position after part)` if `name[pos..]` starts with `part`.
const fn eat(name: &[u8], pos: usize, part: &[u8]) -> Option<usize> {
    if pos > name.len() || name.len() - pos < part.len() {
        return None;
    }
    let mut i = 0;
    while i < part.len() {
        if name[pos + i] != part[i] {
            return None;
        }
        i += 1;
    }
    Some(pos + part.len())
}

/// Sorts ranges and merges overlapping or adjacent ones.
fn merge(mut ranges: Vec<PackedRange>) -> Vec<PackedRange> {
    ranges.sort_unstable();
    let mut out: Vec<PackedRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if i128::from(r.lo) <= i128::from(last.hi) + 1 => {
                last.hi = last.hi.max(r.hi);
            }
            _ => out.push(r),
        }
    }
    out
}

/// Calls `f` with every tuple of the cartesian product of `lists` (first list slowest).
fn for_each_combination(lists: &[Vec<i64>], mut f: impl FnMut(&[i64])) {
    if lists.iter().any(Vec::is_empty) {
        return;
    }
    let mut odometer = vec![0usize; lists.len()];
    let mut tuple: Vec<i64> = lists.iter().map(|l| l[0]).collect();
    loop {
        for (slot, (list, &i)) in tuple.iter_mut().zip(lists.iter().zip(&odometer)) {
            *slot = list[i];
        }
        f(&tuple);
        let mut k = lists.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            odometer[k] += 1;
            if odometer[k] < lists[k].len() {
                break;
            }
            odometer[k] = 0;
        }
    }
}

/// One predicate of a [`PackedQuery`] on a component column. Integer bounds: `Gt(v)` is
/// `>= v + 1`, `Lt(v)` is `<= v - 1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PackedPredicate {
    /// `col = v`.
    Eq(i64),
    /// `col IN (vs)`.
    In(Vec<i64>),
    /// `col > v`.
    Gt(i64),
    /// `col >= v`.
    Gte(i64),
    /// `col < v`.
    Lt(i64),
    /// `col <= v`.
    Lte(i64),
    /// `col BETWEEN a AND b` (inclusive).
    Between(i64, i64),
}

/// The merged predicates of one component.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Constraint {
    /// No predicate.
    Any,
    /// One of these values (sorted, distinct; may be empty: matches nothing).
    OneOf(Vec<i64>),
    /// `lo <= v <= hi` (may be empty: `lo > hi`).
    Range(i64, i64),
}

impl Constraint {
    /// `self AND predicate`.
    fn and(&self, predicate: &PackedPredicate) -> Constraint {
        let range = match *predicate {
            PackedPredicate::Eq(v) => return self.and_values(&[v]),
            PackedPredicate::In(ref vs) => return self.and_values(vs),
            PackedPredicate::Gt(v) => match v.checked_add(1) {
                Some(lo) => (lo, i64::MAX),
                None => (i64::MAX, i64::MIN), // empty
            },
            PackedPredicate::Gte(v) => (v, i64::MAX),
            PackedPredicate::Lt(v) => match v.checked_sub(1) {
                Some(hi) => (i64::MIN, hi),
                None => (i64::MAX, i64::MIN),
            },
            PackedPredicate::Lte(v) => (i64::MIN, v),
            PackedPredicate::Between(a, b) => (a, b),
        };
        match self {
            Constraint::Any => Constraint::Range(range.0, range.1),
            Constraint::Range(lo, hi) => Constraint::Range((*lo).max(range.0), (*hi).min(range.1)),
            Constraint::OneOf(values) => Constraint::OneOf(
                values
                    .iter()
                    .copied()
                    .filter(|v| range.0 <= *v && *v <= range.1)
                    .collect(),
            ),
        }
    }

    fn and_values(&self, given: &[i64]) -> Constraint {
        let mut distinct: Vec<i64> = given.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        match self {
            Constraint::Any => Constraint::OneOf(distinct),
            Constraint::OneOf(values) => Constraint::OneOf(
                values
                    .iter()
                    .copied()
                    .filter(|v| distinct.binary_search(v).is_ok())
                    .collect(),
            ),
            Constraint::Range(lo, hi) => Constraint::OneOf(
                distinct
                    .into_iter()
                    .filter(|v| lo <= v && v <= hi)
                    .collect(),
            ),
        }
    }

    fn matches(&self, v: i64) -> bool {
        match self {
            Constraint::Any => true,
            Constraint::OneOf(values) => values.binary_search(&v).is_ok(),
            Constraint::Range(lo, hi) => *lo <= v && v <= *hi,
        }
    }
}

/// A query on the components of one packed index: a conjunction of [`PackedPredicate`]s, an
/// `allow_filtering` flag and an optional statement cap. The partition-key restriction is not
/// part of it: the executor binds it in every statement.
///
/// ```
/// use orm_runtime::packing::{PackedPredicate, PackedQuery};
///
/// let q = PackedQuery::new().in_("status", [1, 2]).between("updated", 10, 20).allow_filtering();
/// assert_eq!(q.predicates()[1], ("updated", PackedPredicate::Between(10, 20)));
/// assert!(q.is_allow_filtering());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PackedQuery {
    predicates: Vec<(&'static str, PackedPredicate)>,
    allow_filtering: bool,
    max_statements: Option<usize>,
}

impl PackedQuery {
    /// An empty query.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedQuery;
    /// assert!(PackedQuery::new().predicates().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds any predicate on `column` (ANDed with the others).
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().and("s", PackedPredicate::Eq(1)), PackedQuery::new().eq("s", 1));
    /// ```
    #[must_use]
    pub fn and(mut self, column: &'static str, predicate: PackedPredicate) -> Self {
        self.predicates.push((column, predicate));
        self
    }

    /// `column = value`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().eq("s", 2).predicates()[0].1, PackedPredicate::Eq(2));
    /// ```
    #[must_use]
    pub fn eq(self, column: &'static str, value: i64) -> Self {
        self.and(column, PackedPredicate::Eq(value))
    }

    /// `column IN (values)`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().in_("s", [1, 2]).predicates()[0].1, PackedPredicate::In(vec![1, 2]));
    /// ```
    #[must_use]
    pub fn in_(self, column: &'static str, values: impl IntoIterator<Item = i64>) -> Self {
        self.and(column, PackedPredicate::In(values.into_iter().collect()))
    }

    /// `column > value`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().gt("u", 5).predicates()[0].1, PackedPredicate::Gt(5));
    /// ```
    #[must_use]
    pub fn gt(self, column: &'static str, value: i64) -> Self {
        self.and(column, PackedPredicate::Gt(value))
    }

    /// `column >= value`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().ge("u", 5).predicates()[0].1, PackedPredicate::Gte(5));
    /// ```
    #[must_use]
    pub fn ge(self, column: &'static str, value: i64) -> Self {
        self.and(column, PackedPredicate::Gte(value))
    }

    /// `column < value`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().lt("u", 5).predicates()[0].1, PackedPredicate::Lt(5));
    /// ```
    #[must_use]
    pub fn lt(self, column: &'static str, value: i64) -> Self {
        self.and(column, PackedPredicate::Lt(value))
    }

    /// `column <= value`.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().le("u", 5).predicates()[0].1, PackedPredicate::Lte(5));
    /// ```
    #[must_use]
    pub fn le(self, column: &'static str, value: i64) -> Self {
        self.and(column, PackedPredicate::Lte(value))
    }

    /// `column BETWEEN from AND to` (inclusive).
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedPredicate, PackedQuery};
    /// assert_eq!(PackedQuery::new().between("u", 1, 9).predicates()[0].1, PackedPredicate::Between(1, 9));
    /// ```
    #[must_use]
    pub fn between(self, column: &'static str, from: i64, to: i64) -> Self {
        self.and(column, PackedPredicate::Between(from, to))
    }

    /// Allows a range on a local index to fall back to `ALLOW FILTERING` reads of the
    /// partition ([`PackedStrategy::FilteringScan`]) when it spans too many packed values for
    /// lookups.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedQuery;
    /// assert!(PackedQuery::new().allow_filtering().is_allow_filtering());
    /// ```
    #[must_use]
    pub fn allow_filtering(mut self) -> Self {
        self.allow_filtering = true;
        self
    }

    /// Whether [`allow_filtering`](Self::allow_filtering) was called.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedQuery;
    /// assert!(!PackedQuery::new().is_allow_filtering());
    /// ```
    #[must_use]
    pub fn is_allow_filtering(&self) -> bool {
        self.allow_filtering
    }

    /// Overrides the index's statement cap for this query.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedQuery;
    /// let q = PackedQuery::new().max_statements(256);
    /// # let _ = q;
    /// ```
    #[must_use]
    pub fn max_statements(mut self, max_statements: usize) -> Self {
        self.max_statements = Some(max_statements);
        self
    }

    /// The predicates, in the order given.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedQuery;
    /// assert_eq!(PackedQuery::new().eq("s", 1).predicates().len(), 1);
    /// ```
    #[must_use]
    pub fn predicates(&self) -> &[(&'static str, PackedPredicate)] {
        &self.predicates
    }
}

/// How a [`PackedQueryPlan`] reads. Every statement also binds the partition key first.
///
/// ```
/// use orm_runtime::packing::{PackedRange, PackedStrategy};
///
/// let s = PackedStrategy::FilteringScan { ranges: vec![PackedRange { lo: 1, hi: 9 }] };
/// assert_eq!(s.statements(), 1);
/// assert!(s.allow_filtering());
/// assert_eq!(s.where_fragment("zz_ixp_a_b"), "zz_ixp_a_b >= ? AND zz_ixp_a_b <= ?");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PackedStrategy {
    /// One `WHERE <pk> = ? AND zz_ixp_... = ?` per value, on the base table (local index) or
    /// on the view (a clustering equality), run concurrently.
    Lookups {
        /// The packed values, ascending and distinct.
        values: Vec<i64>,
    },
    /// One clustering slice `WHERE <pk> = ? AND zz_ixp_... >= ? AND zz_ixp_... <= ?` on the
    /// materialized view per range; no `ALLOW FILTERING`.
    Slices {
        /// Inclusive, sorted, disjoint ranges.
        ranges: Vec<PackedRange>,
    },
    /// One `WHERE <pk> = ? AND zz_ixp_... >= ? AND zz_ixp_... <= ? ALLOW FILTERING` per range
    /// on the base table: a single-partition read, filtered by ScyllaDB (the local index is
    /// not used).
    FilteringScan {
        /// Inclusive, sorted, disjoint ranges.
        ranges: Vec<PackedRange>,
    },
}

impl PackedStrategy {
    /// The number of statements.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedStrategy;
    /// assert_eq!(PackedStrategy::Lookups { values: vec![1, 2] }.statements(), 2);
    /// ```
    #[must_use]
    pub fn statements(&self) -> usize {
        match self {
            PackedStrategy::Lookups { values } => values.len(),
            PackedStrategy::Slices { ranges } | PackedStrategy::FilteringScan { ranges } => {
                ranges.len()
            }
        }
    }

    /// Whether the statements need `ALLOW FILTERING`.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedStrategy;
    /// assert!(!PackedStrategy::Lookups { values: vec![1] }.allow_filtering());
    /// ```
    #[must_use]
    pub fn allow_filtering(&self) -> bool {
        matches!(self, PackedStrategy::FilteringScan { .. })
    }

    /// The WHERE fragment on the hidden column (after the partition key):
    /// `<col> = ?` for lookups, `<col> >= ? AND <col> <= ?` for ranges.
    ///
    /// ```
    /// # use orm_runtime::packing::PackedStrategy;
    /// assert_eq!(PackedStrategy::Lookups { values: vec![7] }.where_fragment("zz_ixp_a_b"), "zz_ixp_a_b = ?");
    /// ```
    #[must_use]
    pub fn where_fragment(&self, column: &str) -> String {
        match self {
            PackedStrategy::Lookups { .. } => format!("{column} = ?"),
            _ => format!("{column} >= ? AND {column} <= ?"),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            PackedStrategy::Lookups { .. } => "lookups",
            PackedStrategy::Slices { .. } => "view slices",
            PackedStrategy::FilteringScan { .. } => "ALLOW FILTERING scan",
        }
    }
}

/// The read plan of a [`PackedQuery`] (from [`PackedIndexDef::plan`]). Its `Display` is the
/// explain output.
///
/// ```
/// use orm_runtime::packing::{
///     PackedBacking, PackedIndexDef, PackedLayout, PackedOutput, PackedQuery, PackedStrategy,
/// };
///
/// let def = PackedIndexDef {
///     name: "status_updated",
///     components: &["status", "updated"],
///     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?,
///     backing: PackedBacking::LocalIndex,
///     max_statements: None,
/// };
/// let plan = def.plan(&PackedQuery::new().eq("status", 2).eq("updated", 370_598_453))?;
/// assert_eq!(plan.strategy(), &PackedStrategy::Lookups { values: vec![237_059_845] });
/// assert!(plan.needs_post_filter()); // 370598459 packs to the same value
/// assert!(plan.matches(&[2, 370_598_453]) && !plan.matches(&[2, 370_598_459]));
/// assert!(plan.to_string().contains("1 equality lookup"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedQueryPlan {
    def: PackedIndexDef,
    strategy: PackedStrategy,
    needs_post_filter: bool,
    max_statements: usize,
    constraints: Vec<Constraint>,
}

impl PackedQueryPlan {
    /// The index planned for.
    #[must_use]
    pub fn index(&self) -> &PackedIndexDef {
        &self.def
    }

    /// How to read.
    #[must_use]
    pub fn strategy(&self) -> &PackedStrategy {
        &self.strategy
    }

    /// The number of statements.
    #[must_use]
    pub fn statements(&self) -> usize {
        self.strategy.statements()
    }

    /// The statement cap the plan was made under.
    #[must_use]
    pub fn max_statements(&self) -> usize {
        self.max_statements
    }

    /// Whether the statements read the materialized view (backing
    /// [`PackedBacking::View`]: slices and lookups alike), else the base table (through the
    /// local index, or filtered with `ALLOW FILTERING`).
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput, PackedQuery};
    /// # let def = PackedIndexDef { name: "s_u", components: &["s", "u"],
    /// #     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?,
    /// #     backing: PackedBacking::View, max_statements: None };
    /// let plan = def.plan(&PackedQuery::new().eq("s", 1).eq("u", 5))?;
    /// assert!(plan.reads_view()); // an equality lookup, on the view
    /// assert_eq!(plan.read_from("sales"), "sales__zz_ixp_s_u_view");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn reads_view(&self) -> bool {
        self.def.backing == PackedBacking::View
    }

    /// The table or view the statements read: `table` itself, or
    /// [`PackedIndexDef::view_name`] for a view-backed index.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput, PackedQuery};
    /// # let def = PackedIndexDef { name: "s_u", components: &["s", "u"],
    /// #     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?,
    /// #     backing: PackedBacking::LocalIndex, max_statements: None };
    /// let plan = def.plan(&PackedQuery::new().eq("s", 1).eq("u", 5))?;
    /// assert_eq!(plan.read_from("sales"), "sales");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn read_from(&self, table: &str) -> String {
        if self.reads_view() {
            self.def.view_name(table)
        } else {
            table.to_owned()
        }
    }

    /// Whether the statements need `ALLOW FILTERING` ([`PackedStrategy::FilteringScan`]).
    #[must_use]
    pub fn allow_filtering(&self) -> bool {
        self.strategy.allow_filtering()
    }

    /// Whether rows read may not match (truncated components): filter them with
    /// [`matches`](Self::matches). When `false` every row read matches; applying `matches`
    /// anyway is harmless.
    #[must_use]
    pub fn needs_post_filter(&self) -> bool {
        self.needs_post_filter
    }

    /// The exact check of the original predicates on a row's component values (in declared
    /// order). A wrong number of values never matches.
    ///
    /// ```
    /// # use orm_runtime::packing::{PackedBacking, PackedIndexDef, PackedLayout, PackedOutput, PackedQuery};
    /// # let def = PackedIndexDef { name: "s_u", components: &["s", "u"],
    /// #     layout: PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?,
    /// #     backing: PackedBacking::View, max_statements: None };
    /// let plan = def.plan(&PackedQuery::new().in_("s", [1, 2]).between("u", 5, 9))?;
    /// assert!(plan.matches(&[2, 9]));
    /// assert!(!plan.matches(&[3, 9]) && !plan.matches(&[2, 10]) && !plan.matches(&[2]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn matches(&self, row_components: &[i64]) -> bool {
        row_components.len() == self.constraints.len()
            && self
                .constraints
                .iter()
                .zip(row_components)
                .all(|(c, &v)| c.matches(v))
    }
}

impl fmt::Display for PackedQueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let def = &self.def;
        let column = def.hidden_column();
        writeln!(
            f,
            "packed index {} ({} {}, {}, slot widths {:?})",
            def.name,
            column,
            def.cql_type(),
            def.backing,
            def.layout.slot_widths()
        )?;
        let n = self.strategy.statements();
        let plural = if n == 1 { "" } else { "s" };
        match &self.strategy {
            PackedStrategy::Lookups { values } => {
                writeln!(
                    f,
                    "  strategy: {n} equality lookup{plural} ({}) on the {} (max_statements {})",
                    self.strategy.where_fragment(&column),
                    if def.backing == PackedBacking::View {
                        "view"
                    } else {
                        "base table, local index"
                    },
                    self.max_statements
                )?;
                let shown: Vec<String> = values.iter().take(16).map(i64::to_string).collect();
                let more = if values.len() > 16 { ", ..." } else { "" };
                writeln!(f, "  values: {}{more}", shown.join(", "))?;
            }
            PackedStrategy::Slices { ranges } | PackedStrategy::FilteringScan { ranges } => {
                let (what, suffix) = if self.strategy.allow_filtering() {
                    ("ALLOW FILTERING read", " ALLOW FILTERING on the base table")
                } else {
                    ("clustering slice", " on the view")
                };
                writeln!(
                    f,
                    "  strategy: {n} {what}{plural} ({}){suffix} (max_statements {}), {} packed \
                     values",
                    self.strategy.where_fragment(&column),
                    self.max_statements,
                    count_values(ranges)
                )?;
                let shown: Vec<String> = ranges
                    .iter()
                    .take(16)
                    .map(|r| format!("[{}, {}]", r.lo, r.hi))
                    .collect();
                let more = if ranges.len() > 16 { ", ..." } else { "" };
                writeln!(f, "  ranges: {}{more}", shown.join(", "))?;
            }
        }
        write!(
            f,
            "  post-filter: {}",
            if self.needs_post_filter {
                "yes (truncated components: re-check the original predicates)"
            } else {
                "no (the packed predicate is exact)"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_ranges() {
        let r = |lo, hi| PackedRange { lo, hi };
        assert_eq!(
            merge(vec![r(5, 9), r(1, 3), r(4, 4), r(20, 30), r(25, 26)]),
            [r(1, 9), r(20, 30)]
        );
        assert_eq!(
            merge(vec![r(i64::MAX, i64::MAX), r(0, i64::MAX - 1)]),
            [r(0, i64::MAX)]
        );
    }

    #[test]
    fn constraint_merge() {
        let c = Constraint::Any.and(&PackedPredicate::Gt(i64::MAX));
        assert!(matches!(c, Constraint::Range(lo, hi) if lo > hi));
        let c = Constraint::Any
            .and(&PackedPredicate::In(vec![1, 2, 3, 2]))
            .and(&PackedPredicate::Gte(2));
        assert_eq!(c, Constraint::OneOf(vec![2, 3]));
        let c = Constraint::Any
            .and(&PackedPredicate::Between(1, 10))
            .and(&PackedPredicate::Eq(11));
        assert_eq!(c, Constraint::OneOf(vec![]));
    }
}
