//! Hash-index (composite bucketing) definitions, write-side hidden values and read-side query
//! plans (spec `shared/specs/index-math.md` §1–§3; design 001 §4–§5).
//!
//! Everything here is pure: no I/O, no driver types. Generated code describes each
//! `#[hash_index(...)]` with a `static` [`HashIndexDef`]; on every write it calls
//! [`HashIndexDef::hidden_values`] and binds one `set<int>` per bucket size. The executor turns
//! the predicates of a query into a [`HashQuery`], asks [`HashIndexDef::plan`] for a
//! [`HashQueryPlan`], runs one `SELECT ... WHERE <pk> = ? AND <hidden column> CONTAINS ?` per
//! [`HashStatement`], de-duplicates rows by primary key and keeps the rows for which
//! [`HashQueryPlan::matches`] holds.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Bound;

use super::{
    Bucket, CoveragePlan, DEFAULT_MAX_STATEMENTS, PlanError, PlanLimits, WeekCodeError, bucket_id,
    composite_hash, plan_coverage, week_code, week_index,
};

/// The most hash tuples one record may expand to (the cartesian product of its collection
/// sources, per bucket size). Beyond it [`HashIndexDef::hidden_values`] fails with
/// [`HashIndexError::TooManyTuples`] rather than writing huge hidden sets.
pub const MAX_HASH_TUPLES: usize = 10_000;

/// A hard ceiling on the statements of one plan, whatever `max_statements` says: the
/// effective cap is `min(max_statements, MAX_HASH_STATEMENTS)` (it also bounds the IN
/// combinations expanded), so no input can make the planner materialise a huge plan.
pub const MAX_HASH_STATEMENTS: usize = 100_000;

/// One source column of a hash index.
///
/// ```
/// use orm_runtime::bucketing::HashSource;
///
/// const PRODUCTS: HashSource = HashSource::collection("detail_products_ids");
/// const WEEK: HashSource = HashSource::scalar("week");
/// assert!(PRODUCTS.collection && !WEEK.collection);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashSource {
    /// The CQL column name.
    pub column: &'static str,
    /// Whether the column is a collection of integers (`set<int>`, `list<bigint>`, ...): each
    /// element is hashed separately. `false` for an integer scalar.
    pub collection: bool,
}

impl HashSource {
    /// An integer scalar source.
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashSource;
    /// assert_eq!(HashSource::scalar("week"), HashSource { column: "week", collection: false });
    /// ```
    #[must_use]
    pub const fn scalar(column: &'static str) -> Self {
        Self {
            column,
            collection: false,
        }
    }

    /// A collection-of-integers source.
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashSource;
    /// assert!(HashSource::collection("ids").collection);
    /// ```
    #[must_use]
    pub const fn collection(column: &'static str) -> Self {
        Self {
            column,
            collection: true,
        }
    }
}

/// The static description of one hash index, built by generated code in `const`/`static`
/// context.
///
/// The hidden columns are `zz_hb_<c1>_<c2>..._b<size>` (`set<int>`, one per size, source
/// columns in declared order including the bucketed one), each with a global index
/// `<table>__zz_hb_..._b<size>_index_0` on `VALUES(col)`. These names are derived from
/// [`sources`](Self::sources), never from [`name`](Self::name).
///
/// ```
/// use orm_runtime::bucketing::{HashIndexDef, HashSource};
///
/// static SALES_BY_PRODUCT_WEEK: HashIndexDef = HashIndexDef {
///     name: "detail_products_ids_week",
///     sources: &[HashSource::collection("detail_products_ids"), HashSource::scalar("week")],
///     bucketed: 1,
///     sizes: &[1, 4, 5],
///     week_code: true,
///     max_waste: None,
///     max_statements: None,
/// };
/// // Checked at compile time:
/// const _: () = assert!(SALES_BY_PRODUCT_WEEK.validate().is_ok());
/// const _: () = assert!(
///     SALES_BY_PRODUCT_WEEK.is_hidden_column(4, "zz_hb_detail_products_ids_week_b4")
/// );
/// assert_eq!(
///     SALES_BY_PRODUCT_WEEK.hidden_column(4),
///     "zz_hb_detail_products_ids_week_b4"
/// );
/// assert_eq!(
///     SALES_BY_PRODUCT_WEEK.index_name("sale_order", 4),
///     "sale_order__zz_hb_detail_products_ids_week_b4_index_0"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashIndexDef {
    /// The index's name in errors and explain output. Generated code passes the source column
    /// names joined by `_` (`detail_products_ids_week`), the stem of the hidden columns.
    pub name: &'static str,
    /// The source columns, in declared order (the order of the hashed tuple).
    pub sources: &'static [HashSource],
    /// Position in [`sources`](Self::sources) of the bucketed (ranged) column; it must be a
    /// scalar.
    pub bucketed: usize,
    /// The distinct bucket sizes, in declared order (the order of
    /// [`hidden_values`](Self::hidden_values) and [`hidden_columns`](Self::hidden_columns)).
    pub sizes: &'static [u32],
    /// The bucketed column holds `YYWW` week codes: buckets are taken over week indexes
    /// ([`week_index`]) and range bounds are week codes.
    pub week_code: bool,
    /// The waste budget of read plans (`None`: floor(mean of the sizes)); a query may override
    /// it ([`HashQuery::max_waste`]).
    pub max_waste: Option<u64>,
    /// The cap on statements per query, buckets × IN combinations (`None`:
    /// [`DEFAULT_MAX_STATEMENTS`]); a query may override it
    /// ([`HashQuery::max_statements`]); never above [`MAX_HASH_STATEMENTS`].
    pub max_statements: Option<usize>,
}

/// An invalid [`HashIndexDef`] (a compile-time error in generated code). `Copy` and free of
/// drop glue, so [`HashIndexDef::validate`] works in `const` context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashDefError {
    /// The index has no source column.
    #[error(
        "hash index `{index}` has no source column: list the columns to hash, e.g. (ids, week)"
    )]
    NoSources {
        /// The index name.
        index: &'static str,
    },
    /// `bucketed` is not a position in `sources`.
    #[error(
        "hash index `{index}`: bucketed column position {bucketed} is out of range (the index \
         has {sources} source columns)"
    )]
    BucketedOutOfRange {
        /// The index name.
        index: &'static str,
        /// The position given.
        bucketed: usize,
        /// The number of sources.
        sources: usize,
    },
    /// The bucketed column is a collection.
    #[error(
        "hash index `{index}`: the bucketed column `{column}` is a collection; bucketing needs an \
         integer scalar column (a week, a day, ...)"
    )]
    BucketedIsCollection {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
    },
    /// A source column name is empty.
    #[error("hash index `{index}`: source column {position} has an empty name")]
    EmptyColumn {
        /// The index name.
        index: &'static str,
        /// Its position.
        position: usize,
    },
    /// A source column appears twice.
    #[error("hash index `{index}`: source column `{column}` is listed twice")]
    DuplicateColumn {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
    },
    /// No bucket size.
    #[error(
        "hash index `{index}` has no bucket size: declare at least one, e.g. bucketing(1, 4, 5)"
    )]
    NoSizes {
        /// The index name.
        index: &'static str,
    },
    /// A bucket size is 0.
    #[error("hash index `{index}`: bucket size 0 is invalid, sizes must be at least 1")]
    ZeroSize {
        /// The index name.
        index: &'static str,
    },
    /// A bucket size appears twice.
    #[error("hash index `{index}`: bucket size {size} is declared twice, sizes must be distinct")]
    DuplicateSize {
        /// The index name.
        index: &'static str,
        /// The repeated size.
        size: u32,
    },
}

/// Why hidden values or a read plan could not be produced. Nothing is written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashIndexError {
    /// The index definition is invalid.
    #[error(transparent)]
    InvalidDefinition(#[from] HashDefError),
    /// The number of source values differs from the index's sources.
    #[error(
        "hash index `{index}` has {expected} source columns but {got} values were given: pass \
         one value per source column, in declared order"
    )]
    SourceCount {
        /// The index name.
        index: &'static str,
        /// The number of sources.
        expected: usize,
        /// The number of values given.
        got: usize,
    },
    /// A scalar was given for a collection source or the reverse.
    #[error(
        "hash index `{index}`: source column `{column}` is {expected}, but {got} value was \
         given"
    )]
    SourceKind {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
        /// `"a collection"` or `"a scalar"`.
        expected: &'static str,
        /// `"a collection"` or `"a scalar"`.
        got: &'static str,
    },
    /// A week code (a value or a query bound) is invalid.
    #[error("hash index `{index}`: invalid week code {value} in column `{column}`: {error}")]
    InvalidWeekCode {
        /// The index name.
        index: &'static str,
        /// The bucketed column.
        column: &'static str,
        /// The rejected value.
        value: i64,
        /// Why it is invalid.
        error: WeekCodeError,
    },
    /// A record expands to too many hash tuples.
    #[error(
        "hash index `{index}`: the record expands to {tuples} hash tuples (the product of its \
         collection sizes), more than the limit of {max}: store fewer elements in the \
         collection columns, or index fewer collections together"
    )]
    TooManyTuples {
        /// The index name.
        index: &'static str,
        /// The number of tuples (saturating).
        tuples: u128,
        /// [`MAX_HASH_TUPLES`].
        max: usize,
    },
    /// A predicate names a column that is not a source of the index.
    #[error(
        "hash index `{index}` has no source column `{column}`: its sources are {sources}; \
         filter other columns separately"
    )]
    UnknownColumn {
        /// The index name.
        index: &'static str,
        /// The column named.
        column: &'static str,
        /// The source columns, comma-separated.
        sources: String,
    },
    /// A predicate kind the index cannot serve on that column.
    #[error("hash index `{index}`: `{predicate}` on `{column}` is not supported: {expected}")]
    WrongPredicate {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
        /// The predicate given (`eq`, `in`, `contains`, `range`).
        predicate: &'static str,
        /// What to use instead.
        expected: &'static str,
    },
    /// A non-bucketed source has no predicate, so no hash can be computed.
    #[error(
        "hash index `{index}` needs a predicate on every source column, but `{column}` has none: \
         add {expected}"
    )]
    MissingPredicate {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
        /// What to add.
        expected: &'static str,
    },
    /// The range on the bucketed column is open on one side.
    #[error(
        "hash index `{index}`: the range on `{column}` has no {missing} bound; a bucketed range \
         must be bounded on both sides: use between(from, to), or combine >= / > with <= / <"
    )]
    MissingBound {
        /// The index name.
        index: &'static str,
        /// The bucketed column.
        column: &'static str,
        /// `"lower"` or `"upper"`.
        missing: &'static str,
    },
    /// The predicates cannot match any row (empty IN list, contradictory equalities, empty
    /// range). The executor may answer such a query with no rows without reading.
    #[error(
        "hash index `{index}`: the predicates on `{column}` match no row ({reason}); the query \
         returns nothing"
    )]
    MatchesNothing {
        /// The index name.
        index: &'static str,
        /// The column.
        column: &'static str,
        /// Why.
        reason: String,
    },
    /// The plan needs more statements than the cap.
    #[error(
        "hash index `{index}`: the query needs {needed} statements ({buckets} buckets × \
         {combinations} IN combinations), more than max_statements = {max_statements}: narrow \
         the range, pass fewer IN values, or raise max_statements (per query, or on the index)"
    )]
    TooManyStatements {
        /// The index name.
        index: &'static str,
        /// The fewest statements of any plan (saturating).
        needed: u128,
        /// The fewest buckets covering the range.
        buckets: u128,
        /// The number of IN combinations.
        combinations: u128,
        /// The cap.
        max_statements: usize,
    },
    /// The coverage planner rejected the range (see [`PlanError`]).
    #[error("hash index `{index}`: {error}")]
    Plan {
        /// The index name.
        index: &'static str,
        /// The planner's error.
        error: PlanError,
    },
}

/// The value of one source column of a record or of a fetched row.
///
/// ```
/// use orm_runtime::bucketing::SourceValue;
///
/// let ids: Vec<i32> = vec![1, 2];
/// let products = SourceValue::collection(ids.iter().copied());
/// let week = SourceValue::from(2548);
/// assert_eq!(products, SourceValue::Collection(vec![1, 2].into()));
/// assert_eq!(week, SourceValue::Scalar(2548));
/// let borrowed = [3i64, 4];
/// assert_eq!(SourceValue::from(&borrowed[..]), SourceValue::Collection(vec![3, 4].into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceValue<'a> {
    /// An integer scalar.
    Scalar(i64),
    /// The elements of a collection (a set or a list; order and repeats do not matter).
    Collection(Cow<'a, [i64]>),
    /// An absent value (`None` of an optional column): contributes no hash, matches no
    /// predicate.
    Null,
}

impl SourceValue<'_> {
    /// An owned collection from any integers convertible to `i64`.
    ///
    /// ```
    /// # use orm_runtime::bucketing::SourceValue;
    /// let v = SourceValue::collection([7u32, 8]);
    /// assert_eq!(v, SourceValue::Collection(vec![7, 8].into()));
    /// ```
    pub fn collection<T: Into<i64>>(elements: impl IntoIterator<Item = T>) -> SourceValue<'static> {
        SourceValue::Collection(Cow::Owned(
            elements.into_iter().map(Into::into).collect::<Vec<i64>>(),
        ))
    }

    fn kind(&self) -> &'static str {
        match self {
            SourceValue::Scalar(_) => "a scalar",
            SourceValue::Collection(_) => "a collection",
            SourceValue::Null => "a null",
        }
    }
}

impl From<i64> for SourceValue<'_> {
    fn from(value: i64) -> Self {
        SourceValue::Scalar(value)
    }
}

impl From<i32> for SourceValue<'_> {
    fn from(value: i32) -> Self {
        SourceValue::Scalar(value.into())
    }
}

impl<'a> From<&'a [i64]> for SourceValue<'a> {
    fn from(elements: &'a [i64]) -> Self {
        SourceValue::Collection(Cow::Borrowed(elements))
    }
}

impl From<Vec<i64>> for SourceValue<'_> {
    fn from(elements: Vec<i64>) -> Self {
        SourceValue::Collection(Cow::Owned(elements))
    }
}

impl<'a, T: Into<SourceValue<'a>>> From<Option<T>> for SourceValue<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(SourceValue::Null, Into::into)
    }
}

/// The hidden values of one record: one `(size, hashes)` per bucket size, in the order of
/// [`HashIndexDef::sizes`].
pub type HiddenValues = Vec<(u32, BTreeSet<i32>)>;

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

/// `Some(position after the digits)` if `name[pos..]` starts with the decimal digits of `v`.
const fn eat_u32(name: &[u8], pos: usize, v: u32) -> Option<usize> {
    let mut buf = [0u8; 10];
    let mut len = 0;
    let mut rest = v;
    loop {
        buf[9 - len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let (_, digits) = buf.split_at(10 - len);
    eat(name, pos, digits)
}

impl HashIndexDef {
    /// Checks the definition: at least one source, distinct non-empty column names, `bucketed`
    /// a scalar source, at least one size, sizes distinct and non-zero. A `const fn`: generated
    /// code asserts it at compile time.
    ///
    /// # Errors
    ///
    /// The first [`HashDefError`] found.
    ///
    /// ```
    /// use orm_runtime::bucketing::{HashDefError, HashIndexDef, HashSource};
    ///
    /// const BAD: HashIndexDef = HashIndexDef {
    ///     name: "ids_week",
    ///     sources: &[HashSource::collection("ids"), HashSource::scalar("week")],
    ///     bucketed: 0,
    ///     sizes: &[1, 4],
    ///     week_code: false,
    ///     max_waste: None,
    ///     max_statements: None,
    /// };
    /// assert!(matches!(BAD.validate(), Err(HashDefError::BucketedIsCollection { .. })));
    /// ```
    pub const fn validate(&self) -> Result<(), HashDefError> {
        let index = self.name;
        if self.sources.is_empty() {
            return Err(HashDefError::NoSources { index });
        }
        if self.bucketed >= self.sources.len() {
            return Err(HashDefError::BucketedOutOfRange {
                index,
                bucketed: self.bucketed,
                sources: self.sources.len(),
            });
        }
        let mut i = 0;
        while i < self.sources.len() {
            let column = self.sources[i].column;
            if column.is_empty() {
                return Err(HashDefError::EmptyColumn { index, position: i });
            }
            let mut j = 0;
            while j < i {
                let other = self.sources[j].column.as_bytes();
                if let Some(end) = eat(column.as_bytes(), 0, other)
                    && end == column.len()
                {
                    return Err(HashDefError::DuplicateColumn { index, column });
                }
                j += 1;
            }
            i += 1;
        }
        if self.sources[self.bucketed].collection {
            return Err(HashDefError::BucketedIsCollection {
                index,
                column: self.sources[self.bucketed].column,
            });
        }
        if self.sizes.is_empty() {
            return Err(HashDefError::NoSizes { index });
        }
        let mut i = 0;
        while i < self.sizes.len() {
            if self.sizes[i] == 0 {
                return Err(HashDefError::ZeroSize { index });
            }
            let mut j = 0;
            while j < i {
                if self.sizes[j] == self.sizes[i] {
                    return Err(HashDefError::DuplicateSize {
                        index,
                        size: self.sizes[i],
                    });
                }
                j += 1;
            }
            i += 1;
        }
        Ok(())
    }

    /// The bucketed source column's name (`""` if `bucketed` is out of range, which
    /// [`validate`](Self::validate) rejects).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// assert_eq!(DEF.bucketed_column(), "week");
    /// ```
    #[must_use]
    pub const fn bucketed_column(&self) -> &'static str {
        if self.bucketed < self.sources.len() {
            self.sources[self.bucketed].column
        } else {
            ""
        }
    }

    /// The position of a source column by name.
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// assert_eq!(DEF.source_position("week"), Some(1));
    /// assert_eq!(DEF.source_position("other"), None);
    /// ```
    #[must_use]
    pub fn source_position(&self, column: &str) -> Option<usize> {
        self.sources.iter().position(|s| s.column == column)
    }

    /// The hidden-column stem `zz_hb_<c1>_<c2>...` (no size suffix).
    fn stem(&self) -> String {
        let mut out = String::from("zz_hb");
        for s in self.sources {
            out.push('_');
            out.push_str(s.column);
        }
        out
    }

    /// The hidden `set<int>` column for a bucket size: `zz_hb_<c1>_<c2>..._b<size>`.
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// assert_eq!(DEF.hidden_column(4), "zz_hb_ids_week_b4");
    /// ```
    #[must_use]
    pub fn hidden_column(&self, size: u32) -> String {
        format!("{}_b{size}", self.stem())
    }

    /// Every hidden column, in the order of [`sizes`](Self::sizes).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// assert_eq!(DEF.hidden_columns(), ["zz_hb_ids_week_b1", "zz_hb_ids_week_b4"]);
    /// ```
    #[must_use]
    pub fn hidden_columns(&self) -> Vec<String> {
        self.sizes.iter().map(|&s| self.hidden_column(s)).collect()
    }

    /// The global index on `VALUES(<hidden column>)` for a size:
    /// `<table>__zz_hb_..._b<size>_index_0`.
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// assert_eq!(DEF.index_name("sales", 1), "sales__zz_hb_ids_week_b1_index_0");
    /// ```
    #[must_use]
    pub fn index_name(&self, table: &str, size: u32) -> String {
        format!("{table}__{}_index_0", self.hidden_column(size))
    }

    /// `Some(end)` when `name[pos..end]` is the hidden column of `size`.
    const fn eat_hidden_column(&self, name: &[u8], pos: usize, size: u32) -> Option<usize> {
        let mut pos = match eat(name, pos, b"zz_hb") {
            Some(p) => p,
            None => return None,
        };
        let mut i = 0;
        while i < self.sources.len() {
            pos = match eat(name, pos, b"_") {
                Some(p) => p,
                None => return None,
            };
            pos = match eat(name, pos, self.sources[i].column.as_bytes()) {
                Some(p) => p,
                None => return None,
            };
            i += 1;
        }
        pos = match eat(name, pos, b"_b") {
            Some(p) => p,
            None => return None,
        };
        eat_u32(name, pos, size)
    }

    /// Whether `name` is the hidden column of `size` ([`hidden_column`](Self::hidden_column)).
    /// A `const fn`: generated code asserts at compile time that the names it emits as
    /// literals follow the rule.
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// const _: () = assert!(DEF.is_hidden_column(4, "zz_hb_ids_week_b4"));
    /// assert!(!DEF.is_hidden_column(4, "zz_hb_ids_week_b40"));
    /// assert!(!DEF.is_hidden_column(1, "zz_hb_week_ids_b1"));
    /// ```
    #[must_use]
    pub const fn is_hidden_column(&self, size: u32, name: &str) -> bool {
        let bytes = name.as_bytes();
        matches!(self.eat_hidden_column(bytes, 0, size), Some(end) if end == bytes.len())
    }

    /// Whether `name` is the index of `size`'s hidden column on `table`
    /// ([`index_name`](Self::index_name)); a `const fn` like
    /// [`is_hidden_column`](Self::is_hidden_column).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// const _: () = assert!(DEF.is_index_name("sales", 1, "sales__zz_hb_ids_week_b1_index_0"));
    /// assert!(!DEF.is_index_name("sales", 1, "sales_zz_hb_ids_week_b1_index_0"));
    /// ```
    #[must_use]
    pub const fn is_index_name(&self, table: &str, size: u32, name: &str) -> bool {
        let bytes = name.as_bytes();
        let pos = match eat(bytes, 0, table.as_bytes()) {
            Some(p) => p,
            None => return false,
        };
        let pos = match eat(bytes, pos, b"__") {
            Some(p) => p,
            None => return false,
        };
        let pos = match self.eat_hidden_column(bytes, pos, size) {
            Some(p) => p,
            None => return false,
        };
        matches!(eat(bytes, pos, b"_index_0"), Some(end) if end == bytes.len())
    }

    /// The update rule (design 001 §4.1): an update that assigns any source column must assign
    /// all of them, since the hidden values are computed from the whole tuple. Returns the
    /// source columns missing from `assigned` when it holds at least one of them, else an
    /// empty list (the index is untouched, or fully recomputable).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashSource};
    /// # const DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// assert_eq!(DEF.missing_sources(&["week", "note"]), ["ids"]);
    /// assert!(DEF.missing_sources(&["note"]).is_empty());
    /// assert!(DEF.missing_sources(&["ids", "week"]).is_empty());
    /// ```
    #[must_use]
    pub fn missing_sources(&self, assigned: &[&str]) -> Vec<&'static str> {
        let touched = self.sources.iter().any(|s| assigned.contains(&s.column));
        if !touched {
            return Vec::new();
        }
        self.sources
            .iter()
            .map(|s| s.column)
            .filter(|c| !assigned.contains(c))
            .collect()
    }

    /// The statement cap in effect for a query override, at most [`MAX_HASH_STATEMENTS`].
    fn cap(&self, query_cap: Option<usize>) -> usize {
        query_cap
            .or(self.max_statements)
            .unwrap_or(DEFAULT_MAX_STATEMENTS)
            .min(MAX_HASH_STATEMENTS)
    }

    /// Checks a record's or a row's source values against the definition.
    fn check_sources(&self, sources: &[SourceValue<'_>]) -> Result<(), HashIndexError> {
        if sources.len() != self.sources.len() {
            return Err(HashIndexError::SourceCount {
                index: self.name,
                expected: self.sources.len(),
                got: sources.len(),
            });
        }
        for (def, value) in self.sources.iter().zip(sources) {
            let ok = match value {
                SourceValue::Scalar(_) => !def.collection,
                SourceValue::Collection(_) => def.collection,
                SourceValue::Null => true,
            };
            if !ok {
                return Err(HashIndexError::SourceKind {
                    index: self.name,
                    column: def.column,
                    expected: if def.collection {
                        "a collection"
                    } else {
                        "a scalar"
                    },
                    got: value.kind(),
                });
            }
        }
        Ok(())
    }

    /// The bucketing basis of a bucketed value: the value, or its week index.
    fn basis(&self, value: i64) -> Result<i64, HashIndexError> {
        if !self.week_code {
            return Ok(value);
        }
        let code = i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX });
        week_index(code).map_err(|error| HashIndexError::InvalidWeekCode {
            index: self.name,
            column: self.bucketed_column(),
            value,
            error,
        })
    }

    /// The write side: the hashes to store in each hidden column for one record.
    ///
    /// `sources` holds one value per source column, in declared order. The bucketed value is
    /// replaced by its bucket id for each size (its week index first when
    /// [`week_code`](Self::week_code)); collections expand to the cartesian product of their
    /// distinct elements; each tuple is hashed with [`composite_hash`]; hashes are
    /// de-duplicated per size. The result has one `(size, hashes)` per size, in the order of
    /// [`sizes`](Self::sizes) (and of [`hidden_columns`](Self::hidden_columns)).
    ///
    /// An empty collection or a [`SourceValue::Null`] yields empty sets: the record can match
    /// no query of this index. Bind an empty set (ScyllaDB stores an empty set as null, and
    /// writing it also clears previous hashes on update).
    ///
    /// # Errors
    ///
    /// [`HashIndexError`] for an invalid definition, a wrong number or kind of values, an
    /// invalid week code, or more than [`MAX_HASH_TUPLES`] tuples. Nothing should be written
    /// then.
    ///
    /// ```
    /// use orm_runtime::bucketing::{composite_hash, HashIndexDef, HashSource, SourceValue};
    ///
    /// static DEF: HashIndexDef = HashIndexDef {
    ///     name: "detail_products_ids_week",
    ///     sources: &[HashSource::collection("detail_products_ids"), HashSource::scalar("week")],
    ///     bucketed: 1,
    ///     sizes: &[1, 4, 5],
    ///     week_code: true,
    ///     max_waste: None,
    ///     max_statements: None,
    /// };
    /// // products {1, 2}, week 2548 (week index 2916)
    /// let hidden = DEF.hidden_values(&[SourceValue::collection([1, 2]), SourceValue::from(2548)])?;
    /// assert_eq!(hidden.len(), 3);
    /// let (size, b4) = &hidden[1];
    /// assert_eq!(*size, 4);
    /// assert!(b4.contains(&composite_hash(&[1, 729])) && b4.contains(&composite_hash(&[2, 729])));
    /// assert_eq!(b4.len(), 2);
    /// // an empty collection: empty sets (stored as null)
    /// let none = DEF.hidden_values(&[SourceValue::collection(Vec::<i64>::new()), 2548.into()])?;
    /// assert!(none.iter().all(|(_, set)| set.is_empty()));
    /// # Ok::<(), orm_runtime::bucketing::HashIndexError>(())
    /// ```
    pub fn hidden_values(
        &self,
        sources: &[SourceValue<'_>],
    ) -> Result<HiddenValues, HashIndexError> {
        self.validate()?;
        self.check_sources(sources)?;
        let empty = || self.sizes.iter().map(|&s| (s, BTreeSet::new())).collect();
        let basis = match sources[self.bucketed] {
            SourceValue::Scalar(v) => self.basis(v)?,
            // check_sources rejected a collection here; a null matches nothing.
            _ => return Ok(empty()),
        };
        let mut lists: Vec<Vec<i64>> = Vec::with_capacity(sources.len());
        for (i, value) in sources.iter().enumerate() {
            lists.push(match value {
                _ if i == self.bucketed => vec![0], // replaced by the bucket id below
                SourceValue::Scalar(v) => vec![*v],
                SourceValue::Collection(elements) => elements
                    .iter()
                    .copied()
                    .collect::<BTreeSet<i64>>()
                    .into_iter()
                    .collect(),
                SourceValue::Null => Vec::new(),
            });
        }
        let tuples = lists
            .iter()
            .fold(1u128, |acc, l| acc.saturating_mul(l.len() as u128));
        if tuples == 0 {
            return Ok(empty());
        }
        if tuples > MAX_HASH_TUPLES as u128 {
            return Err(HashIndexError::TooManyTuples {
                index: self.name,
                tuples,
                max: MAX_HASH_TUPLES,
            });
        }
        let mut out: HiddenValues = Vec::with_capacity(self.sizes.len());
        for &size in self.sizes {
            let mut hashes = BTreeSet::new();
            let id = bucket_id(basis, size);
            for_each_combination(&lists, |tuple| {
                tuple[self.bucketed] = id;
                hashes.insert(composite_hash(tuple));
            });
            out.push((size, hashes));
        }
        tracing::trace!(
            index = self.name,
            basis,
            tuples = tuples as u64,
            hashes = ?out.iter().map(|(s, h)| (*s, h.len())).collect::<Vec<_>>(),
            "hash index hidden values"
        );
        Ok(out)
    }

    /// The read side: plans a query (see [`HashQuery`]) as one `CONTAINS` statement per
    /// bucket × IN combination.
    ///
    /// Every non-bucketed source needs a predicate (`eq`/`in_` on scalars, `contains` on
    /// collections; several are ANDed); the bucketed source needs a range bounded on both
    /// sides (raw values, or week codes when [`week_code`](Self::week_code)). The coverage of
    /// the range is [`plan_coverage`] under the query's limits, else the index's, else the
    /// defaults; the total statements (buckets × IN combinations) must not exceed the cap.
    ///
    /// Completeness: every row matching the predicates stores, in the hidden column of some
    /// planned bucket, the hash of some planned statement, so reading every statement and
    /// keeping the rows for which [`HashQueryPlan::matches`] holds returns exactly the
    /// matching rows.
    ///
    /// # Errors
    ///
    /// [`HashIndexError`]: unknown columns, unsupported predicates, missing predicates or
    /// bounds, invalid week codes, [`MatchesNothing`](HashIndexError::MatchesNothing) (the
    /// executor may return no rows), [`TooManyStatements`](HashIndexError::TooManyStatements)
    /// and the planner's own errors. Never panics.
    ///
    /// ```
    /// use orm_runtime::bucketing::{composite_hash, HashIndexDef, HashQuery, HashSource};
    ///
    /// static DEF: HashIndexDef = HashIndexDef {
    ///     name: "detail_products_ids_week",
    ///     sources: &[HashSource::collection("detail_products_ids"), HashSource::scalar("week")],
    ///     bucketed: 1,
    ///     sizes: &[1, 4, 5],
    ///     week_code: true,
    ///     max_waste: None,
    ///     max_statements: None,
    /// };
    /// let query = HashQuery::new().contains("detail_products_ids", 1).between("week", 2548, 2614);
    /// let plan = DEF.plan(&query)?;
    /// assert_eq!(plan.statements().len(), 4);
    /// let first = &plan.statements()[0];
    /// assert_eq!(first.hidden_column, "zz_hb_detail_products_ids_week_b4");
    /// assert_eq!(first.hash, -380_567_827); // composite_hash(&[1, 729])
    /// assert_eq!(first.where_fragment(), "zz_hb_detail_products_ids_week_b4 CONTAINS ?");
    /// # Ok::<(), orm_runtime::bucketing::HashIndexError>(())
    /// ```
    pub fn plan(&self, query: &HashQuery) -> Result<HashQueryPlan, HashIndexError> {
        self.validate()?;
        let index = self.name;
        let n = self.sources.len();
        let mut scalar_sets: Vec<Option<Vec<i64>>> = vec![None; n];
        let mut contains: Vec<Vec<i64>> = vec![Vec::new(); n];
        let mut lowers: Vec<Bound<i64>> = Vec::new();
        let mut uppers: Vec<Bound<i64>> = Vec::new();
        for (column, predicate) in &query.predicates {
            let Some(pos) = self.source_position(column) else {
                return Err(HashIndexError::UnknownColumn {
                    index,
                    column,
                    sources: self
                        .sources
                        .iter()
                        .map(|s| s.column)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let column = self.sources[pos].column;
            let wrong = |expected| HashIndexError::WrongPredicate {
                index,
                column,
                predicate: predicate.name(),
                expected,
            };
            if pos == self.bucketed {
                match predicate {
                    HashPredicate::Eq(v) => {
                        lowers.push(Bound::Included(*v));
                        uppers.push(Bound::Included(*v));
                    }
                    HashPredicate::Range { lower, upper } => {
                        lowers.push(*lower);
                        uppers.push(*upper);
                    }
                    _ => {
                        return Err(wrong(
                            "the bucketed column takes a range: between(from, to), >= / > with \
                             <= / <, or eq",
                        ));
                    }
                }
            } else if self.sources[pos].collection {
                match predicate {
                    HashPredicate::Contains(v) => {
                        if !contains[pos].contains(v) {
                            contains[pos].push(*v);
                        }
                    }
                    _ => return Err(wrong("a collection source takes contains(value)")),
                }
            } else {
                let values: Vec<i64> = match predicate {
                    HashPredicate::Eq(v) => vec![*v],
                    HashPredicate::In(vs) => vs.clone(),
                    _ => return Err(wrong("a scalar source takes eq(value) or in(values)")),
                };
                // Distinct, in the order given (the statement order); ANDed lists intersect.
                let mut seen = BTreeSet::new();
                let distinct: Vec<i64> = values.into_iter().filter(|v| seen.insert(*v)).collect();
                scalar_sets[pos] = Some(match scalar_sets[pos].take() {
                    None => distinct,
                    Some(previous) => previous.into_iter().filter(|v| seen.contains(v)).collect(),
                });
            }
        }
        // Every non-bucketed source constrained; build the per-source lists.
        let mut lists: Vec<Vec<i64>> = Vec::with_capacity(n);
        let mut checks: Vec<Check> = Vec::with_capacity(n);
        for (pos, source) in self.sources.iter().enumerate() {
            let column = source.column;
            if pos == self.bucketed {
                lists.push(vec![0]);
                checks.push(Check::Range { from: 0, to: 0 }); // filled below
            } else if source.collection {
                let Some(&first) = contains[pos].first() else {
                    return Err(HashIndexError::MissingPredicate {
                        index,
                        column,
                        expected: "contains(value)",
                    });
                };
                lists.push(vec![first]);
                checks.push(Check::ContainsAll(contains[pos].clone()));
            } else {
                let Some(values) = scalar_sets[pos].take() else {
                    return Err(HashIndexError::MissingPredicate {
                        index,
                        column,
                        expected: "eq(value) or in(values)",
                    });
                };
                if values.is_empty() {
                    return Err(HashIndexError::MatchesNothing {
                        index,
                        column,
                        reason: "an empty IN list, or equalities that contradict each other".into(),
                    });
                }
                let mut sorted = values.clone();
                sorted.sort_unstable();
                checks.push(Check::OneOf(sorted));
                lists.push(values);
            }
        }
        let bucketed = self.bucketed_column();
        let (from, to) = self.basis_range(&lowers, &uppers)?;
        // The raw (or week-code) bounds for the post-filter.
        let (raw_from, raw_to) = if self.week_code {
            let code = |basis: i64| {
                week_code(basis).map_err(|e| HashIndexError::MatchesNothing {
                    index,
                    column: bucketed,
                    reason: e.to_string(),
                })
            };
            (i64::from(code(from)?), i64::from(code(to)?))
        } else {
            (from, to)
        };
        checks[self.bucketed] = Check::Range {
            from: raw_from,
            to: raw_to,
        };
        let combinations = lists
            .iter()
            .fold(1u128, |acc, l| acc.saturating_mul(l.len() as u128));
        let max_statements = self.cap(query.max_statements);
        let mut limits = PlanLimits::new();
        limits.max_waste = query.max_waste.or(self.max_waste);
        let too_many = |buckets: u128| HashIndexError::TooManyStatements {
            index,
            needed: buckets.saturating_mul(combinations),
            buckets,
            combinations,
            max_statements,
        };
        let bucket_cap = usize::try_from(combinations)
            .map(|c| (max_statements / c.max(1)).max(1))
            .unwrap_or(1);
        let coverage = match plan_coverage(
            from,
            to,
            self.sizes,
            &limits.with_max_statements(bucket_cap),
        ) {
            Ok(coverage) => coverage,
            Err(PlanError::TooManyStatements { needed, .. }) => return Err(too_many(needed)),
            Err(error) => return Err(HashIndexError::Plan { index, error }),
        };
        let buckets = coverage.statements() as u128;
        let total = buckets.saturating_mul(combinations);
        if total > max_statements as u128 {
            return Err(too_many(buckets));
        }
        let columns: Vec<(u32, String)> = self
            .sizes
            .iter()
            .map(|&s| (s, self.hidden_column(s)))
            .collect();
        let mut statements = Vec::with_capacity(total as usize);
        for_each_combination(&lists, |tuple| {
            for bucket in coverage.buckets() {
                tuple[self.bucketed] = bucket.id();
                let hidden_column = columns
                    .iter()
                    .find(|(s, _)| *s == bucket.size())
                    .map(|(_, c)| c.clone())
                    .unwrap_or_else(|| self.hidden_column(bucket.size()));
                statements.push(HashStatement {
                    hidden_column,
                    bucket: *bucket,
                    hash: composite_hash(tuple),
                    source_values: tuple.to_vec(),
                });
            }
        });
        let plan = HashQueryPlan {
            def: *self,
            coverage,
            statements,
            combinations: combinations as usize,
            max_statements,
            raw_range: (raw_from, raw_to),
            checks,
        };
        tracing::debug!(
            index,
            from,
            to,
            buckets = plan.coverage.statements(),
            combinations = plan.combinations,
            statements = plan.statements.len(),
            waste = plan.coverage.waste(),
            budget = plan.coverage.budget(),
            "hash index query plan"
        );
        Ok(plan)
    }

    /// The inclusive basis range `[from, to]` of the bucketed column's bounds (ANDed).
    fn basis_range(
        &self,
        lowers: &[Bound<i64>],
        uppers: &[Bound<i64>],
    ) -> Result<(i64, i64), HashIndexError> {
        let index = self.name;
        let column = self.bucketed_column();
        let nothing = |reason: String| HashIndexError::MatchesNothing {
            index,
            column,
            reason,
        };
        let mut from: Option<i64> = None;
        for bound in lowers {
            let (value, excluded) = match *bound {
                Bound::Included(v) => (v, false),
                Bound::Excluded(v) => (v, true),
                Bound::Unbounded => continue,
            };
            let basis = self.basis(value)?;
            let basis = if excluded {
                basis
                    .checked_add(1)
                    .ok_or_else(|| nothing(format!("> {value} leaves no value")))?
            } else {
                basis
            };
            from = Some(from.map_or(basis, |f| f.max(basis)));
        }
        let mut to: Option<i64> = None;
        for bound in uppers {
            let (value, excluded) = match *bound {
                Bound::Included(v) => (v, false),
                Bound::Excluded(v) => (v, true),
                Bound::Unbounded => continue,
            };
            let basis = self.basis(value)?;
            let basis = if excluded {
                basis
                    .checked_sub(1)
                    .ok_or_else(|| nothing(format!("< {value} leaves no value")))?
            } else {
                basis
            };
            to = Some(to.map_or(basis, |t| t.min(basis)));
        }
        let missing = |missing| HashIndexError::MissingBound {
            index,
            column,
            missing,
        };
        let from = from.ok_or_else(|| missing("lower"))?;
        let to = to.ok_or_else(|| missing("upper"))?;
        if from > to {
            let unit = if self.week_code { "week index " } else { "" };
            return Err(nothing(format!(
                "the range is empty: {unit}{from} > {unit}{to}"
            )));
        }
        Ok((from, to))
    }
}

/// Calls `f` with every tuple of the cartesian product of `lists` (the first list varies
/// slowest). Nothing is called when a list is empty.
fn for_each_combination(lists: &[Vec<i64>], mut f: impl FnMut(&mut [i64])) {
    if lists.iter().any(Vec::is_empty) {
        return;
    }
    let mut odometer = vec![0usize; lists.len()];
    let mut tuple: Vec<i64> = lists.iter().map(|l| l[0]).collect();
    loop {
        for (slot, (list, &i)) in tuple.iter_mut().zip(lists.iter().zip(&odometer)) {
            *slot = list[i];
        }
        f(&mut tuple);
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

/// One predicate of a [`HashQuery`] on a source column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HashPredicate {
    /// `col = v` on a scalar source (on the bucketed source: the range `[v, v]`).
    Eq(i64),
    /// `col IN (vs)` on a scalar, non-bucketed source.
    In(Vec<i64>),
    /// `col CONTAINS v` on a collection source.
    Contains(i64),
    /// A range on the bucketed source (raw values, or week codes). Predicates are ANDed, so a
    /// lower and an upper bound may come from two predicates.
    Range {
        /// The lower bound.
        lower: Bound<i64>,
        /// The upper bound.
        upper: Bound<i64>,
    },
}

impl HashPredicate {
    fn name(&self) -> &'static str {
        match self {
            HashPredicate::Eq(_) => "eq",
            HashPredicate::In(_) => "in",
            HashPredicate::Contains(_) => "contains",
            HashPredicate::Range { .. } => "range",
        }
    }
}

/// A query on the source columns of one hash index: a conjunction of [`HashPredicate`]s, plus
/// optional per-query limits. The partition-key restriction is not part of it: the executor
/// binds it in every statement.
///
/// ```
/// use orm_runtime::bucketing::{HashPredicate, HashQuery};
/// use std::ops::Bound;
///
/// let q = HashQuery::new()
///     .contains("detail_products_ids", 1)
///     .ge("week", 2548)
///     .le("week", 2614)
///     .max_statements(16);
/// assert_eq!(q.predicates().len(), 3);
/// assert_eq!(
///     q.predicates()[1],
///     ("week", HashPredicate::Range { lower: Bound::Included(2548), upper: Bound::Unbounded })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HashQuery {
    predicates: Vec<(&'static str, HashPredicate)>,
    max_waste: Option<u64>,
    max_statements: Option<usize>,
}

impl HashQuery {
    /// An empty query.
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashQuery;
    /// assert!(HashQuery::new().predicates().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds any predicate on `column` (ANDed with the others).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// let q = HashQuery::new().and("region", HashPredicate::In(vec![1, 2]));
    /// assert_eq!(q, HashQuery::new().in_("region", [1, 2]));
    /// ```
    #[must_use]
    pub fn and(mut self, column: &'static str, predicate: HashPredicate) -> Self {
        self.predicates.push((column, predicate));
        self
    }

    /// `column = value` (scalar sources; on the bucketed one, the range `[value, value]`).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// assert_eq!(HashQuery::new().eq("region", 3).predicates()[0].1, HashPredicate::Eq(3));
    /// ```
    #[must_use]
    pub fn eq(self, column: &'static str, value: i64) -> Self {
        self.and(column, HashPredicate::Eq(value))
    }

    /// `column IN (values)` (scalar, non-bucketed sources; one statement set per value).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// let q = HashQuery::new().in_("region", [1, 2]);
    /// assert_eq!(q.predicates()[0].1, HashPredicate::In(vec![1, 2]));
    /// ```
    #[must_use]
    pub fn in_(self, column: &'static str, values: impl IntoIterator<Item = i64>) -> Self {
        self.and(column, HashPredicate::In(values.into_iter().collect()))
    }

    /// `column CONTAINS value` (collection sources).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// assert_eq!(HashQuery::new().contains("ids", 1).predicates()[0].1, HashPredicate::Contains(1));
    /// ```
    #[must_use]
    pub fn contains(self, column: &'static str, value: i64) -> Self {
        self.and(column, HashPredicate::Contains(value))
    }

    /// `column BETWEEN from AND to`, inclusive (the bucketed source).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// # use std::ops::Bound;
    /// let q = HashQuery::new().between("week", 2548, 2614);
    /// assert_eq!(
    ///     q.predicates()[0].1,
    ///     HashPredicate::Range { lower: Bound::Included(2548), upper: Bound::Included(2614) }
    /// );
    /// ```
    #[must_use]
    pub fn between(self, column: &'static str, from: i64, to: i64) -> Self {
        self.and(
            column,
            HashPredicate::Range {
                lower: Bound::Included(from),
                upper: Bound::Included(to),
            },
        )
    }

    /// `column >= value` (the bucketed source; needs an upper bound too).
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashQuery;
    /// # use orm_runtime::bucketing::HashPredicate;
    /// # use std::ops::Bound;
    /// let q = HashQuery::new().ge("week", 2548);
    /// assert!(matches!(q.predicates()[0].1, HashPredicate::Range { lower: Bound::Included(2548), .. }));
    /// ```
    #[must_use]
    pub fn ge(self, column: &'static str, value: i64) -> Self {
        self.range(column, Bound::Included(value), Bound::Unbounded)
    }

    /// `column > value` (the bucketed source; needs an upper bound too).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// # use std::ops::Bound;
    /// let q = HashQuery::new().gt("week", 2547);
    /// assert!(matches!(q.predicates()[0].1, HashPredicate::Range { lower: Bound::Excluded(2547), .. }));
    /// ```
    #[must_use]
    pub fn gt(self, column: &'static str, value: i64) -> Self {
        self.range(column, Bound::Excluded(value), Bound::Unbounded)
    }

    /// `column <= value` (the bucketed source; needs a lower bound too).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// # use std::ops::Bound;
    /// let q = HashQuery::new().le("week", 2614);
    /// assert!(matches!(q.predicates()[0].1, HashPredicate::Range { upper: Bound::Included(2614), .. }));
    /// ```
    #[must_use]
    pub fn le(self, column: &'static str, value: i64) -> Self {
        self.range(column, Bound::Unbounded, Bound::Included(value))
    }

    /// `column < value` (the bucketed source; needs a lower bound too).
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashPredicate, HashQuery};
    /// # use std::ops::Bound;
    /// let q = HashQuery::new().lt("week", 2615);
    /// assert!(matches!(q.predicates()[0].1, HashPredicate::Range { upper: Bound::Excluded(2615), .. }));
    /// ```
    #[must_use]
    pub fn lt(self, column: &'static str, value: i64) -> Self {
        self.range(column, Bound::Unbounded, Bound::Excluded(value))
    }

    /// A range with explicit bounds (the bucketed source).
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashQuery;
    /// # use std::ops::Bound;
    /// let q = HashQuery::new().range("week", Bound::Included(2548), Bound::Excluded(2615));
    /// assert_eq!(q.predicates().len(), 1);
    /// ```
    #[must_use]
    pub fn range(self, column: &'static str, lower: Bound<i64>, upper: Bound<i64>) -> Self {
        self.and(column, HashPredicate::Range { lower, upper })
    }

    /// Overrides the index's waste budget for this query.
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashQuery;
    /// let q = HashQuery::new().max_waste(0);
    /// # let _ = q;
    /// ```
    #[must_use]
    pub fn max_waste(mut self, max_waste: u64) -> Self {
        self.max_waste = Some(max_waste);
        self
    }

    /// Overrides the index's statement cap for this query.
    ///
    /// ```
    /// # use orm_runtime::bucketing::HashQuery;
    /// let q = HashQuery::new().max_statements(128);
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
    /// # use orm_runtime::bucketing::HashQuery;
    /// assert_eq!(HashQuery::new().eq("a", 1).predicates()[0].0, "a");
    /// ```
    #[must_use]
    pub fn predicates(&self) -> &[(&'static str, HashPredicate)] {
        &self.predicates
    }
}

/// One read of a [`HashQueryPlan`]:
/// `SELECT <cols> FROM <ks>.<table> WHERE <pk> = ? AND <hidden_column> CONTAINS ?`, binding
/// the partition key then [`hash`](Self::hash).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashStatement {
    /// The hidden `set<int>` column of the bucket's size.
    pub hidden_column: String,
    /// The bucket read.
    pub bucket: Bucket,
    /// The value to bind: `composite_hash(source_values)`.
    pub hash: i32,
    /// The tuple hashed: the source values in declared order, the bucketed one replaced by the
    /// bucket id.
    pub source_values: Vec<i64>,
}

impl HashStatement {
    /// The WHERE fragment on the hidden column, `<hidden_column> CONTAINS ?` (for explain).
    ///
    /// ```
    /// use orm_runtime::bucketing::{Bucket, HashStatement};
    ///
    /// let s = HashStatement {
    ///     hidden_column: "zz_hb_ids_week_b4".into(),
    ///     bucket: Bucket::new(4, 729),
    ///     hash: -380_567_827,
    ///     source_values: vec![1, 729],
    /// };
    /// assert_eq!(s.where_fragment(), "zz_hb_ids_week_b4 CONTAINS ?");
    /// ```
    #[must_use]
    pub fn where_fragment(&self) -> String {
        format!("{} CONTAINS ?", self.hidden_column)
    }
}

/// The exact re-check of one source column's predicates.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    /// A scalar in the list (sorted, distinct).
    OneOf(Vec<i64>),
    /// A collection containing every value.
    ContainsAll(Vec<i64>),
    /// The bucketed scalar in `[from, to]` (raw values, or week codes).
    Range { from: i64, to: i64 },
}

/// The read plan of a [`HashQuery`] (from [`HashIndexDef::plan`]): the statements to run and
/// the exact post-filter. Its `Display` is the explain output.
///
/// ```
/// use orm_runtime::bucketing::{HashIndexDef, HashQuery, HashSource, SourceValue};
///
/// static DEF: HashIndexDef = HashIndexDef {
///     name: "ids_week",
///     sources: &[HashSource::collection("ids"), HashSource::scalar("week")],
///     bucketed: 1,
///     sizes: &[1, 4, 5],
///     week_code: true,
///     max_waste: None,
///     max_statements: None,
/// };
/// let plan = DEF.plan(&HashQuery::new().contains("ids", 1).between("week", 2548, 2614))?;
/// assert_eq!((plan.coverage().statements(), plan.combinations()), (4, 1));
/// assert!(plan.matches(&[SourceValue::collection([3, 1]), 2601.into()]));
/// assert!(!plan.matches(&[SourceValue::collection([3]), 2601.into()]));
/// assert!(!plan.matches(&[SourceValue::collection([1]), 2615.into()]));
/// assert!(plan.to_string().contains("4 statements"));
/// # Ok::<(), orm_runtime::bucketing::HashIndexError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashQueryPlan {
    def: HashIndexDef,
    coverage: CoveragePlan,
    statements: Vec<HashStatement>,
    combinations: usize,
    max_statements: usize,
    raw_range: (i64, i64),
    checks: Vec<Check>,
}

impl HashQueryPlan {
    /// The index planned for.
    #[must_use]
    pub fn index(&self) -> &HashIndexDef {
        &self.def
    }

    /// The coverage of the bucketed range (buckets, waste, budget), over week indexes when
    /// the index uses week codes.
    #[must_use]
    pub fn coverage(&self) -> &CoveragePlan {
        &self.coverage
    }

    /// The statements: for each IN combination (the first source's values varying slowest),
    /// one per bucket of [`coverage`](Self::coverage), in bucket order. Run them concurrently
    /// and de-duplicate rows by primary key.
    #[must_use]
    pub fn statements(&self) -> &[HashStatement] {
        &self.statements
    }

    /// The number of IN combinations (the product of the IN list lengths; 1 without IN).
    #[must_use]
    pub fn combinations(&self) -> usize {
        self.combinations
    }

    /// The statement cap the plan was made under.
    #[must_use]
    pub fn max_statements(&self) -> usize {
        self.max_statements
    }

    /// The inclusive bounds of the bucketed column, in its own units (raw values, or week
    /// codes when the index uses week codes).
    #[must_use]
    pub fn range(&self) -> (i64, i64) {
        self.raw_range
    }

    /// The exact post-filter: whether a fetched row satisfies every predicate of the query.
    ///
    /// `row_sources` holds the row's source values in declared order (as for
    /// [`HashIndexDef::hidden_values`]). Scalars must be one of their `eq`/`in` values,
    /// collections must contain every `contains` value, and the bucketed value must lie in the
    /// range. For week codes the codes are compared directly, after checking that the row's
    /// code is valid: among valid `YYWW` codes the numeric order is the chronological order,
    /// so this equals comparing week indexes. The check also removes rows that were only read
    /// because of an out-of-range part of a bucket or a 32-bit hash collision. A null value,
    /// a wrong kind or a wrong number of values never matches.
    ///
    /// ```
    /// # use orm_runtime::bucketing::{HashIndexDef, HashQuery, HashSource, SourceValue};
    /// # static DEF: HashIndexDef = HashIndexDef { name: "ids_week",
    /// #     sources: &[HashSource::collection("ids"), HashSource::scalar("week")], bucketed: 1,
    /// #     sizes: &[1, 4], week_code: true, max_waste: None, max_statements: None };
    /// let plan = DEF.plan(&HashQuery::new().contains("ids", 1).between("week", 2548, 2614))?;
    /// assert!(plan.matches(&[SourceValue::collection([1]), 2552.into()]));
    /// assert!(!plan.matches(&[SourceValue::collection([1]), 2553.into()])); // invalid code
    /// assert!(!plan.matches(&[SourceValue::Null, 2552.into()]));
    /// # Ok::<(), orm_runtime::bucketing::HashIndexError>(())
    /// ```
    #[must_use]
    pub fn matches(&self, row_sources: &[SourceValue<'_>]) -> bool {
        if row_sources.len() != self.checks.len() {
            return false;
        }
        self.checks
            .iter()
            .zip(row_sources)
            .all(|(check, value)| match (check, value) {
                (Check::OneOf(sorted), SourceValue::Scalar(v)) => sorted.binary_search(v).is_ok(),
                (Check::ContainsAll(required), SourceValue::Collection(elements)) => {
                    required.iter().all(|r| elements.contains(r))
                }
                (Check::Range { from, to }, SourceValue::Scalar(v)) => {
                    (!self.def.week_code || self.def.basis(*v).is_ok()) && *from <= *v && *v <= *to
                }
                _ => false,
            })
    }
}

/// The most buckets and statements listed by the explain output.
const EXPLAIN_LINES: usize = 64;

impl fmt::Display for HashQueryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let def = &self.def;
        let column = def.bucketed_column();
        let (from, to) = self.coverage.range();
        let (raw_from, raw_to) = self.raw_range;
        writeln!(
            f,
            "hash index {} (bucket sizes {:?}{})",
            def.name,
            def.sizes,
            if def.week_code {
                ", YYWW week codes"
            } else {
                ""
            }
        )?;
        if def.week_code {
            writeln!(
                f,
                "  range: {column} {raw_from}..={raw_to} = week indexes {from}..={to} ({} weeks)",
                i128::from(to) - i128::from(from) + 1
            )?;
        } else {
            writeln!(
                f,
                "  range: {column} {from}..={to} ({} units)",
                i128::from(to) - i128::from(from) + 1
            )?;
        }
        writeln!(
            f,
            "  {} statements = {} buckets × {} IN combinations (max_statements {})",
            self.statements.len(),
            self.coverage.statements(),
            self.combinations,
            self.max_statements
        )?;
        writeln!(
            f,
            "  waste {} (budget {}{})",
            self.coverage.waste(),
            self.coverage.budget(),
            if self.coverage.budget_raised() {
                ", raised to fit max_statements"
            } else {
                ""
            }
        )?;
        for bucket in self.coverage.buckets().iter().take(EXPLAIN_LINES) {
            write!(
                f,
                "  bucket b{} #{}: covers {}..={}",
                bucket.size(),
                bucket.id(),
                bucket.first(),
                bucket.last()
            )?;
            if def.week_code {
                match (week_code(bucket.first()), week_code(bucket.last())) {
                    (Ok(a), Ok(b)) => write!(f, " (weeks {a}..={b})")?,
                    _ => write!(f, " (weeks outside 2000..=2099)")?,
                }
            }
            writeln!(f)?;
        }
        if self.coverage.buckets().len() > EXPLAIN_LINES {
            writeln!(
                f,
                "  ... {} more buckets",
                self.coverage.buckets().len() - EXPLAIN_LINES
            )?;
        }
        for s in self.statements.iter().take(EXPLAIN_LINES) {
            let tuple: Vec<String> = s.source_values.iter().map(i64::to_string).collect();
            writeln!(
                f,
                "  {} = {}  -- hash({})",
                s.where_fragment(),
                s.hash,
                tuple.join(", ")
            )?;
        }
        if self.statements.len() > EXPLAIN_LINES {
            writeln!(
                f,
                "  ... {} more statements",
                self.statements.len() - EXPLAIN_LINES
            )?;
        }
        write!(
            f,
            "  post-filter: exact re-check of every predicate (range, membership, IN values)"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DEF: HashIndexDef = HashIndexDef {
        name: "p_w",
        sources: &[HashSource::collection("p"), HashSource::scalar("w")],
        bucketed: 1,
        sizes: &[1, 4, 5],
        week_code: false,
        max_waste: None,
        max_statements: None,
    };

    #[test]
    fn combinations_odometer() {
        let mut seen = Vec::new();
        for_each_combination(&[vec![1, 2], vec![0], vec![3, 4, 5]], |t| {
            seen.push(t.to_vec())
        });
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[0], [1, 0, 3]);
        assert_eq!(seen[5], [2, 0, 5]);
        let mut count = 0;
        for_each_combination(&[vec![1], vec![]], |_| count += 1);
        assert_eq!(count, 0);
        for_each_combination(&[], |t| {
            assert!(t.is_empty());
            count += 1
        });
        assert_eq!(count, 1);
    }

    #[test]
    fn name_matchers() {
        assert_eq!(eat(b"abc", 0, b"ab"), Some(2));
        assert_eq!(eat(b"abc", 4, b""), None);
        assert_eq!(eat_u32(b"x4294967295", 1, u32::MAX), Some(11));
        assert_eq!(eat_u32(b"0", 0, 0), Some(1));
        assert!(DEF.is_hidden_column(5, "zz_hb_p_w_b5"));
        assert!(!DEF.is_hidden_column(5, "zz_hb_p_w_b"));
        assert!(!DEF.is_hidden_column(5, ""));
    }

    #[test]
    fn raw_spec_example() {
        let plan = DEF
            .plan(&HashQuery::new().contains("p", 1).between("w", 2548, 2614))
            .unwrap();
        assert_eq!(plan.statements().len(), 14);
    }
}
