//! The exact coverage planner (spec §3); see [`plan_coverage`] for the problem, the algorithm
//! and the tie-break rule.

use std::cmp::Ordering;

/// The default statement cap of [`PlanLimits`].
pub const DEFAULT_MAX_STATEMENTS: usize = 64;

/// The longest range (`to - from + 1` basis units) the planner plans. Longer ranges are rejected
/// with [`PlanError::RangeTooLarge`] (unless they need more statements than the cap, which is
/// reported first as [`PlanError::TooManyStatements`]). About 20 000 years of weeks.
pub const MAX_PLAN_UNITS: u64 = 1 << 20;

/// The largest dynamic-programme table (`(range length + 1) × width` cells, where the width is
/// the smaller of `budget + 1` and `cap + 1`; a budget raise always needs `cap + 1`) the
/// planner builds; beyond it planning fails with [`PlanError::PlanTooLarge`]. At most 64 MiB of
/// memory; typical plans touch a few kilobytes.
pub const MAX_PLAN_STATES: u64 = 1 << 23;

/// Limits of one plan: the waste budget and the statement cap.
///
/// `Default` is the spec default: budget = floor(mean of the sizes), cap = 64 statements.
///
/// ```
/// use orm_runtime::bucketing::PlanLimits;
///
/// let limits = PlanLimits::new().with_max_waste(3).with_max_statements(16);
/// assert_eq!(limits.max_waste, Some(3));
/// assert_eq!(limits.max_statements, 16);
/// assert_eq!(PlanLimits::default(), PlanLimits::new());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlanLimits {
    /// The waste budget (units read outside the range or twice). `None`: floor(mean of the
    /// bucket sizes), as genix. If the fewest-statement plan within the budget exceeds the cap,
    /// the planner raises the budget to the smallest value whose plan fits.
    pub max_waste: Option<u64>,
    /// The statement cap (default [`DEFAULT_MAX_STATEMENTS`]).
    pub max_statements: usize,
}

impl PlanLimits {
    /// The spec defaults: budget floor(mean of the sizes), cap [`DEFAULT_MAX_STATEMENTS`].
    #[must_use]
    pub const fn new() -> Self {
        Self {
            max_waste: None,
            max_statements: DEFAULT_MAX_STATEMENTS,
        }
    }

    /// Sets an explicit waste budget.
    #[must_use]
    pub const fn with_max_waste(mut self, max_waste: u64) -> Self {
        self.max_waste = Some(max_waste);
        self
    }

    /// Goes back to the default waste budget, floor(mean of the sizes).
    #[must_use]
    pub const fn with_default_waste(mut self) -> Self {
        self.max_waste = None;
        self
    }

    /// Sets the statement cap.
    #[must_use]
    pub const fn with_max_statements(mut self, max_statements: usize) -> Self {
        self.max_statements = max_statements;
        self
    }
}

impl Default for PlanLimits {
    fn default() -> Self {
        Self::new()
    }
}

/// Why no coverage plan was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `from > to`.
    #[error("cannot plan the range [{from}, {to}]: from is greater than to; pass from <= to")]
    InvertedRange {
        /// Start of the range.
        from: i64,
        /// End of the range.
        to: i64,
    },
    /// No bucket sizes were given.
    #[error("cannot plan without bucket sizes: declare at least one size, e.g. bucketing(1, 4, 5)")]
    NoSizes,
    /// A bucket size is zero.
    #[error("bucket size 0 is invalid: bucket sizes must be at least 1")]
    ZeroSize,
    /// A bucket size appears twice.
    #[error("bucket size {size} is declared twice: bucket sizes must be distinct")]
    DuplicateSize {
        /// The repeated size.
        size: u32,
    },
    /// Even with unlimited waste the range needs more statements than the cap.
    #[error(
        "covering [{from}, {to}] needs at least {needed} statements even with unlimited waste, \
         but the statement cap is {cap}: narrow the range, raise the cap, or add a larger bucket \
         size"
    )]
    TooManyStatements {
        /// Start of the range.
        from: i64,
        /// End of the range.
        to: i64,
        /// The fewest statements of any plan (a lower bound, ceil(length / largest size), when
        /// the range is longer than [`MAX_PLAN_UNITS`]).
        needed: u128,
        /// The statement cap.
        cap: usize,
    },
    /// The range is longer than [`MAX_PLAN_UNITS`].
    #[error(
        "the range [{from}, {to}] spans {len} units, more than the planner's limit of {max}: \
         narrow the range or query without the bucket index"
    )]
    RangeTooLarge {
        /// Start of the range.
        from: i64,
        /// End of the range.
        to: i64,
        /// `to - from + 1`.
        len: u128,
        /// [`MAX_PLAN_UNITS`].
        max: u64,
    },
    /// The planner failed its own consistency check (a bug): no plan is returned rather than
    /// one that could miss rows.
    #[error(
        "internal error while planning [{from}, {to}]: the plan failed its consistency check; \
         please report it with the range and bucket sizes (query without the bucket index \
         meanwhile)"
    )]
    Internal {
        /// Start of the range.
        from: i64,
        /// End of the range.
        to: i64,
    },
    /// The planning table would exceed [`MAX_PLAN_STATES`].
    #[error(
        "planning [{from}, {to}] would need {states} states (range length × (min(budget, cap) + \
         1)), more than the limit of {max}: narrow the range, or lower the waste budget or the \
         statement cap"
    )]
    PlanTooLarge {
        /// Start of the range.
        from: i64,
        /// End of the range.
        to: i64,
        /// The number of table cells needed.
        states: u128,
        /// [`MAX_PLAN_STATES`].
        max: u64,
    },
}

/// One bucket of a plan: read it with `<hidden column for size> CONTAINS hash(.., id, ..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bucket {
    // Field order gives `Ord` by (size, id).
    size: u32,
    id: i64,
}

impl Bucket {
    /// The bucket of `size` with id `id`.
    ///
    /// ```
    /// use orm_runtime::bucketing::Bucket;
    ///
    /// let b = Bucket::new(5, 584);
    /// assert_eq!((b.first(), b.last()), (2920, 2924));
    /// ```
    #[must_use]
    pub const fn new(size: u32, id: i64) -> Self {
        Self { size, id }
    }

    /// The bucket of `size` containing `basis` (`None` for size 0).
    ///
    /// ```
    /// use orm_runtime::bucketing::Bucket;
    ///
    /// assert_eq!(Bucket::containing(2916, 4), Some(Bucket::new(4, 729)));
    /// ```
    #[must_use]
    pub const fn containing(basis: i64, size: u32) -> Option<Self> {
        match super::checked_bucket_id(basis, size) {
            Some(id) => Some(Self { size, id }),
            None => None,
        }
    }

    /// The bucket size (the `b<size>` hidden column it is read from).
    #[must_use]
    pub const fn size(&self) -> u32 {
        self.size
    }

    /// The bucket id: the value that replaces the bucketed column in the
    /// [`composite_hash`](crate::bucketing::composite_hash) tuple.
    ///
    /// ```
    /// use orm_runtime::bucketing::{composite_hash, Bucket};
    ///
    /// // product 1, week index 2916, size-4 bucket 729
    /// let bucket = Bucket::containing(2916, 4).unwrap();
    /// assert_eq!(composite_hash(&[1, bucket.id()]), -380_567_827);
    /// ```
    #[must_use]
    pub const fn id(&self) -> i64 {
        self.id
    }

    /// The first basis value covered, `id * size`, clamped to `i64::MIN` (no basis value lies
    /// below it).
    #[must_use]
    pub const fn first(&self) -> i64 {
        clamp_i64(self.id as i128 * self.size as i128)
    }

    /// The last basis value covered, `id * size + size - 1`, clamped to `i64::MAX`.
    #[must_use]
    pub const fn last(&self) -> i64 {
        clamp_i64(self.id as i128 * self.size as i128 + self.size as i128 - 1)
    }

    /// Whether the bucket covers `basis`.
    #[must_use]
    pub const fn contains(&self, basis: i64) -> bool {
        self.first() <= basis && basis <= self.last()
    }
}

const fn clamp_i64(v: i128) -> i64 {
    if v < i64::MIN as i128 {
        i64::MIN
    } else if v > i64::MAX as i128 {
        i64::MAX
    } else {
        v as i64
    }
}

/// The result of [`plan_coverage`]: the buckets to read, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveragePlan {
    from: i64,
    to: i64,
    buckets: Vec<Bucket>,
    waste: u64,
    budget: u64,
    budget_raised: bool,
}

impl CoveragePlan {
    /// The buckets, sorted by the first value they cover (left to right); consecutive buckets
    /// may overlap.
    #[must_use]
    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
    }

    /// The number of statements (one per bucket).
    #[must_use]
    pub fn statements(&self) -> usize {
        self.buckets.len()
    }

    /// The waste: `Σ bucket sizes - (to - from + 1)`.
    #[must_use]
    pub fn waste(&self) -> u64 {
        self.waste
    }

    /// The waste budget the plan was made under: the requested (or default) budget, or the
    /// raised one when the cap forced a raise ([`CoveragePlan::budget_raised`]).
    #[must_use]
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Whether the statement cap forced the budget above the requested one.
    #[must_use]
    pub fn budget_raised(&self) -> bool {
        self.budget_raised
    }

    /// The planned range `(from, to)`.
    #[must_use]
    pub fn range(&self) -> (i64, i64) {
        (self.from, self.to)
    }
}

/// Plans the buckets that cover `[from, to]` (spec §3): fewest statements, then least waste,
/// subject to `waste <= budget` and `statements <= cap`; exact, not greedy.
///
/// `sizes` are the index's distinct bucket sizes in any order. The budget is
/// `limits.max_waste` or floor(mean of the sizes); if the fewest-statement plan within it needs
/// more than `limits.max_statements`, the budget rises to the smallest value whose plan fits
/// (see [`CoveragePlan::budget_raised`]).
///
/// # Ties
///
/// When several plans have the same statements and waste, the planner returns the one that is
/// greatest when the buckets are compared from the right (the bucket containing `to`) to the
/// left, each by (last unit covered, then size), larger first. In words: the last bucket ends as
/// late as possible and is as large as possible, then the same for the bucket before it, and so
/// on. The choice is deterministic and does not depend on the order of `sizes` nor on which
/// internal table is used.
///
/// # Algorithm
///
/// A plan without a redundant bucket is a *chain*: sorted by position, every bucket contains the
/// first unit its predecessors leave uncovered. So a dynamic programme over positions
/// `p = first uncovered unit - from` is exact: from `p` the only choices are the (one per size)
/// aligned buckets containing `from + p`; taking the bucket `[b, e]` moves to `e + 1 - from` and
/// adds `(from + p - b) + max(0, e - to)` waste (units read twice or outside the range).
///
/// Two equivalent tables are used, whichever is narrower:
/// - *by waste*: `cell[p][w]` = fewest statements reaching `p` with waste exactly `w`
///   (`w <= budget`), the usual case (the default budget is small);
/// - *by statements*: `cell[p][k]` = least waste reaching `p` with exactly `k` statements
///   (`k <= cap`); it also answers the budget raise (the smallest budget whose fewest-statement
///   plan fits the cap is the least waste of any plan within the cap).
///
/// Rows are pushed forward; one push is an element-wise saturating `min` of a fixed window of
/// 8 to 64 lanes (a few vector instructions). The waste table is pruned without losing any
/// optimal plan:
/// - rows that cannot finish within a statement bound (statements so far + a lower bound on
///   the rest > bound) are not expanded; the bound starts at ceil(length / largest size) and
///   widens (+1, +3, then the cap) until a plan is found, so the result stays exact;
/// - every optimal plan tiles with the largest size `L` between its first and last boundary
///   aligned to `L` (anything else covering that stretch needs strictly more statements), so
///   chains that leave such a boundary with a smaller bucket are never allowed to land on
///   one again, which also gives them a much stronger lower bound.
///
/// The work is at most `O(len × width × |sizes|)`, bounded by [`MAX_PLAN_UNITS`] and
/// [`MAX_PLAN_STATES`]; a 10-year weekly range plans in a few microseconds (see
/// `BENCHMARKS.md`).
///
/// # Errors
///
/// [`PlanError`] for `from > to`, no sizes, a zero or repeated size, a range that cannot fit
/// the cap with any budget (the error names the statements needed and the cap), and ranges
/// beyond [`MAX_PLAN_UNITS`] / [`MAX_PLAN_STATES`]. Nothing panics, `i64` extremes included.
///
/// ```
/// use orm_runtime::bucketing::{plan_coverage, Bucket, PlanLimits};
///
/// // Weeks 2548..=2614 as week indexes, sizes 1, 4, 5, default budget floor(10 / 3) = 3.
/// let plan = plan_coverage(2916, 2934, &[1, 4, 5], &PlanLimits::default())?;
/// assert_eq!(
///     plan.buckets(),
///     &[Bucket::new(4, 729), Bucket::new(5, 584), Bucket::new(5, 585), Bucket::new(5, 586)]
/// );
/// assert_eq!((plan.statements(), plan.waste(), plan.budget()), (4, 0, 3));
/// # Ok::<(), orm_runtime::bucketing::PlanError>(())
/// ```
pub fn plan_coverage(
    from: i64,
    to: i64,
    sizes: &[u32],
    limits: &PlanLimits,
) -> Result<CoveragePlan, PlanError> {
    if from > to {
        return Err(PlanError::InvertedRange { from, to });
    }
    if sizes.is_empty() {
        return Err(PlanError::NoSizes);
    }
    let mut sorted: Vec<u32> = sizes.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    if sorted.last() == Some(&0) {
        return Err(PlanError::ZeroSize);
    }
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(PlanError::DuplicateSize { size: w[0] });
    }
    let requested_budget = match limits.max_waste {
        Some(b) => b,
        None => sorted.iter().map(|&s| u64::from(s)).sum::<u64>() / sorted.len() as u64,
    };
    let cap = limits.max_statements;
    let largest = u128::from(sorted[0]);
    let len_u = (i128::from(to) - i128::from(from) + 1) as u128; // in 1..=2^64
    let lower_bound = len_u.div_ceil(largest);
    if lower_bound > cap as u128 {
        let needed = if len_u <= u128::from(MAX_PLAN_UNITS) {
            let problem = Problem::new(from, len_u as usize, &sorted);
            u128::from(problem.min_statements())
        } else {
            lower_bound
        };
        return Err(PlanError::TooManyStatements {
            from,
            to,
            needed,
            cap,
        });
    }
    if len_u > u128::from(MAX_PLAN_UNITS) {
        return Err(PlanError::RangeTooLarge {
            from,
            to,
            len: len_u,
            max: MAX_PLAN_UNITS,
        });
    }
    let len = len_u as usize;
    let problem = Problem::new(from, len, &sorted);
    // A chain never has more buckets than units, and a plan within the cap never wastes more
    // than cap × largest - len (which is >= 0 here since lower_bound <= cap).
    let cap_eff = cap.min(len);
    let max_useful_waste = u64::try_from(cap_eff as u128 * largest - len_u).unwrap_or(u64::MAX);
    let budget_eff = requested_budget.min(max_useful_waste);

    let by_waste_width = budget_eff as u128 + 1;
    let by_statements_width = cap_eff as u128 + 1;
    let outcome = if by_waste_width <= by_statements_width {
        check_states(from, to, len, by_waste_width)?;
        problem.solve_by_waste(budget_eff as usize, cap_eff)
    } else {
        check_states(from, to, len, by_statements_width)?;
        problem.solve_by_statements(cap_eff, Some(budget_eff), max_useful_waste)
    };
    let (buckets, waste, budget, budget_raised) = match outcome {
        Some((buckets, waste)) => (buckets, waste, requested_budget, false),
        None => {
            // The cap binds: the smallest budget that fits is the least waste of any plan
            // within the cap.
            check_states(from, to, len, by_statements_width)?;
            match problem.solve_by_statements(cap_eff, None, max_useful_waste) {
                Some((buckets, waste)) => (buckets, waste, waste, true),
                None => {
                    return Err(PlanError::TooManyStatements {
                        from,
                        to,
                        needed: u128::from(problem.min_statements()),
                        cap,
                    });
                }
            }
        }
    };
    check_plan(from, to, &buckets, waste, cap)?;
    Ok(CoveragePlan {
        from,
        to,
        buckets,
        waste,
        budget,
        budget_raised,
    })
}

/// A cheap safety net (`O(statements)`): the buckets are sorted, cover `[from, to]` without a
/// gap, fit the cap and waste exactly `waste`. A plan that misses rows must never be returned.
fn check_plan(
    from: i64,
    to: i64,
    buckets: &[Bucket],
    waste: u64,
    cap: usize,
) -> Result<(), PlanError> {
    let mut next = i128::from(from);
    let mut sum: u128 = 0;
    for b in buckets {
        let first = i128::from(b.id()) * i128::from(b.size());
        let last = first + i128::from(b.size()) - 1;
        if first > next || last < next {
            break;
        }
        next = last + 1;
        sum += u128::from(b.size());
    }
    let len = (i128::from(to) - i128::from(from) + 1) as u128;
    let ok = !buckets.is_empty()
        && buckets.len() <= cap
        && next > i128::from(to)
        && sum.checked_sub(len) == Some(u128::from(waste));
    if ok {
        Ok(())
    } else {
        Err(PlanError::Internal { from, to })
    }
}

fn check_states(from: i64, to: i64, len: usize, width: u128) -> Result<(), PlanError> {
    let states = (len as u128 + 1) * width;
    if states > u128::from(MAX_PLAN_STATES) {
        Err(PlanError::PlanTooLarge {
            from,
            to,
            states,
            max: MAX_PLAN_STATES,
        })
    } else {
        Ok(())
    }
}

/// A table cell: an unsigned count saturating at `INF` (unreachable or beyond any limit).
trait Cell: Copy + Ord + Send + Sync + 'static {
    const INF: Self;
    const ZERO: Self;
    /// `self + add`, saturating at `INF`.
    fn plus(self, add: Self) -> Self;
    fn from_u64_sat(v: u64) -> Self;
    fn to_u64(self) -> u64;
}

macro_rules! impl_cell {
    ($t:ty) => {
        impl Cell for $t {
            const INF: Self = <$t>::MAX;
            const ZERO: Self = 0;
            #[inline(always)]
            fn plus(self, add: Self) -> Self {
                self.saturating_add(add)
            }
            #[inline(always)]
            fn from_u64_sat(v: u64) -> Self {
                <$t>::try_from(v).unwrap_or(<$t>::MAX)
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                u64::from(self)
            }
        }
    };
}
impl_cell!(u8);
impl_cell!(u16);
impl_cell!(u32);
impl_cell!(u64);

/// A filled table: row `p` holds `width` meaningful cells at `p * stride`.
struct Table<T> {
    /// Rows in the order they were first written, `stride` cells each.
    cells: Vec<T>,
    /// Per row index (`p * modes + m`): its slot in `cells`, or `u32::MAX` if never written
    /// (all `INF`).
    slots: Vec<u32>,
    stride: usize,
    width: usize,
    /// 1, or 2 on the waste axis: row `p` of mode `m` has index `p * modes + m`.
    modes: usize,
}

impl<T: Cell> Table<T> {
    /// Row `p` of `mode`, meaningful lanes only (`INF` for a row never written).
    fn row(&self, p: usize, mode: usize) -> Vec<T> {
        (0..self.width).map(|col| self.get(p, mode, col)).collect()
    }

    fn get(&self, p: usize, mode: usize, col: usize) -> T {
        if col >= self.width || mode >= self.modes {
            return T::INF;
        }
        match self.slots.get(p * self.modes + mode) {
            Some(&slot) if slot != u32::MAX => self
                .cells
                .get(slot as usize * self.stride + col)
                .copied()
                .unwrap_or(T::INF),
            _ => T::INF,
        }
    }
}

/// Chain modes of the waste table (see [`Problem::fill_impl`]).
const FREE: usize = 0;
/// Left an aligned boundary of the largest size with a smaller bucket: never lands on one again.
const TAIL: usize = 1;

/// Which quantity indexes the table columns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Axis {
    /// Column = waste used, value = statements.
    Waste,
    /// Column = statements used, value = waste.
    Statements,
}

impl Axis {
    /// (column shift, value increment) of taking a bucket with `extra` waste.
    #[inline(always)]
    fn step(self, extra: u64) -> (u64, u64) {
        match self {
            Axis::Waste => (extra, 1),
            Axis::Statements => (1, extra),
        }
    }
}

/// Division by a bucket size, by multiplication for dividends below 2^32 (Lemire, Kaser and
/// Kurz, "Faster remainder by direct computation", 2019).
#[derive(Clone, Copy)]
struct Divisor {
    d: u64,
    /// `ceil(2^64 / d)` for `d >= 2`.
    m: u64,
}

impl Divisor {
    fn new(d: u32) -> Self {
        let d = u64::from(d.max(1));
        Self {
            d,
            m: if d > 1 { u64::MAX / d + 1 } else { 0 },
        }
    }

    #[inline(always)]
    fn rem(self, a: u64) -> u64 {
        if self.d == 1 {
            0
        } else if a < 1 << 32 {
            ((u128::from(self.m.wrapping_mul(a)) * u128::from(self.d)) >> 64) as u64
        } else {
            a % self.d
        }
    }

    #[inline(always)]
    fn div(self, a: u64) -> u64 {
        if self.d == 1 {
            a
        } else if a < 1 << 32 {
            ((u128::from(self.m) * u128::from(a)) >> 64) as u64
        } else {
            a / self.d
        }
    }
}

/// The positions and sizes of one planning problem (sizes sorted descending). Positions are
/// relative to `from`: position `p` is basis value `from + p`.
struct Problem<'a> {
    len: usize,
    sizes: &'a [u32],
    divisors: Vec<Divisor>,
    /// `from mod size`, per size: the offset of `from` inside its bucket.
    offsets0: Vec<u64>,
    /// `floor(from / size)`, per size: the id of the bucket containing `from`.
    ids0: Vec<i64>,
}

impl<'a> Problem<'a> {
    fn new(from: i64, len: usize, sizes: &'a [u32]) -> Self {
        let from = i128::from(from);
        Self {
            len,
            sizes,
            divisors: sizes.iter().map(|&s| Divisor::new(s)).collect(),
            offsets0: sizes
                .iter()
                .map(|&s| from.rem_euclid(i128::from(s.max(1))) as u64)
                .collect(),
            ids0: sizes
                .iter()
                .map(|&s| from.div_euclid(i128::from(s.max(1))) as i64)
                .collect(),
        }
    }

    /// `ceil((len - p) / largest)`: a lower bound on the statements still needed from `p`.
    #[inline(always)]
    fn lower_bound(&self, p: usize) -> u64 {
        let rest = (self.len - p) as u64;
        self.divisors[0].div(rest + self.divisors[0].d - 1)
    }

    /// A lower bound on the statements still needed from `p` by a chain in `TAIL` mode: its
    /// buckets of the largest size `L` land on an anchor unless they end the plan, so all but
    /// the last cover at most the second largest size `L2`: `1 + ceil((len - p - L) / L2)`.
    #[inline(always)]
    fn tail_lower_bound(&self, p: usize) -> u64 {
        let rest = (self.len - p) as u64;
        match self.divisors.get(1) {
            Some(second) if rest > self.divisors[0].d => {
                1 + second.div(rest - self.divisors[0].d + second.d - 1)
            }
            _ => 1,
        }
    }

    /// From first-uncovered position `p`, whose offset inside its size-`s` bucket is `r`:
    /// (next position, waste of the bucket).
    #[inline(always)]
    fn transition(&self, p: usize, s: u32, r: u64) -> (usize, u64) {
        let n = self.len as u64;
        let p = p as u64;
        // Bucket [p - r, p - r + s - 1] in positions; it ends at or past the range end when
        // p - r + s >= n.
        let end_next = p + u64::from(s) - r;
        if end_next >= n {
            (self.len, r + (end_next - n))
        } else {
            (end_next as usize, r)
        }
    }

    /// The fewest statements of any plan, with unlimited waste.
    fn min_statements(&self) -> u64 {
        let mut best = vec![u64::MAX; self.len + 1];
        best[0] = 0;
        let mut offsets = self.offsets0.clone();
        for p in 0..self.len {
            let here = best[p];
            for (j, &s) in self.sizes.iter().enumerate() {
                let r = offsets[j];
                if here != u64::MAX {
                    let (np, _) = self.transition(p, s, r);
                    best[np] = best[np].min(here + 1);
                }
                offsets[j] = if r + 1 == u64::from(s) { 0 } else { r + 1 };
            }
        }
        best[self.len]
    }

    /// Table by waste (`width = budget + 1`), then the best plan with at most `cap` statements.
    fn solve_by_waste(&self, budget: usize, cap: usize) -> Option<(Vec<Bucket>, u64)> {
        if cap < usize::from(u8::MAX) {
            self.solve_by_waste_with::<u8>(budget, cap)
        } else if cap < usize::from(u16::MAX) {
            self.solve_by_waste_with::<u16>(budget, cap)
        } else {
            self.solve_by_waste_with::<u32>(budget, cap)
        }
    }

    fn solve_by_waste_with<T: Cell>(
        &self,
        budget: usize,
        cap: usize,
    ) -> Option<(Vec<Bucket>, u64)> {
        let width = budget + 1;
        // Try small statement bounds first (pruned tables are much cheaper); the first bound
        // that admits a plan yields the exact optimum, since the optimum is within it.
        let least = self.lower_bound(0);
        let cap = cap as u64;
        for slack in [0, 1, 3, u64::MAX] {
            let bound = least.saturating_add(slack).min(cap);
            let table = self.fill::<T>(Axis::Waste, width, u64::MAX, bound);
            let (free, tail) = (table.row(self.len, FREE), table.row(self.len, TAIL));
            let (free, tail) = (free.as_slice(), tail.as_slice());
            let mut best: Option<(T, usize)> = None;
            for (w, (&a, &b)) in free.iter().zip(tail).enumerate() {
                let k = a.min(b);
                if k != T::INF && k.to_u64() <= bound && best.is_none_or(|(bk, _)| k < bk) {
                    best = Some((k, w));
                }
            }
            if let Some((k, w)) = best {
                let buckets = self.reconstruct(Axis::Waste, &table, w, k);
                return Some((buckets, w as u64));
            }
            if bound >= cap {
                break;
            }
        }
        None
    }

    /// Table by statements (`width = cap + 1`, wastes above `max_waste` saturate), then the
    /// fewest statements whose least waste is within `budget`; with no budget, the least waste
    /// of all (its fewest statements).
    fn solve_by_statements(
        &self,
        cap: usize,
        budget: Option<u64>,
        max_waste: u64,
    ) -> Option<(Vec<Bucket>, u64)> {
        if max_waste < u64::from(u8::MAX) {
            self.solve_by_statements_with::<u8>(cap, budget, max_waste)
        } else if max_waste < u64::from(u16::MAX) {
            self.solve_by_statements_with::<u16>(cap, budget, max_waste)
        } else if max_waste < u64::from(u32::MAX) {
            self.solve_by_statements_with::<u32>(cap, budget, max_waste)
        } else {
            self.solve_by_statements_with::<u64>(cap, budget, max_waste)
        }
    }

    fn solve_by_statements_with<T: Cell>(
        &self,
        cap: usize,
        budget: Option<u64>,
        max_waste: u64,
    ) -> Option<(Vec<Bucket>, u64)> {
        let width = cap + 1;
        let table = self.fill::<T>(Axis::Statements, width, max_waste, u64::MAX);
        let last = table.row(self.len, FREE);
        let chosen = match budget {
            Some(b) => last
                .iter()
                .enumerate()
                .find(|&(_, &w)| w != T::INF && w.to_u64() <= b),
            None => last
                .iter()
                .enumerate()
                .filter(|&(_, &w)| w != T::INF)
                .min_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0))),
        };
        let (k, &w) = chosen?;
        let buckets = self.reconstruct(Axis::Statements, &table, k, w);
        Some((buckets, w.to_u64()))
    }

    /// Fills the table (push form, rows in increasing position).
    ///
    /// `max_value`: pushes adding more than it are skipped (statements axis: wastes beyond any
    /// plan within the cap). `bound` (waste axis only): an upper bound on the statements of the
    /// wanted plan; rows whose fewest statements plus ceil(remaining units / largest size) exceed
    /// it are not expanded. Every state of every plan within the bound is still expanded, with its exact
    /// value, so results and tie-breaks among plans within the bound are unchanged.
    fn fill<T: Cell>(&self, axis: Axis, width: usize, max_value: u64, bound: u64) -> Table<T> {
        // Narrow tables use a fixed window of W lanes in rows of 2 W cells: pushes become
        // fixed-size vector operations. Lanes >= width are scratch: they only ever feed lanes
        // >= width, which are never read.
        let rows = (self.len + 1) as u64;
        if width <= 16 && rows * 64 <= MAX_PLAN_STATES {
            self.fill_impl::<T, 16>(axis, width, max_value, bound)
        } else if width <= 32 && rows * 128 <= MAX_PLAN_STATES {
            self.fill_impl::<T, 32>(axis, width, max_value, bound)
        } else if width <= 64 && rows * 256 <= MAX_PLAN_STATES {
            self.fill_impl::<T, 64>(axis, width, max_value, bound)
        } else {
            self.fill_impl::<T, 0>(axis, width, max_value, bound)
        }
    }

    /// Whether position `p` (`0 <= p < len`) is an aligned boundary of the largest size.
    #[inline(always)]
    fn is_aligned_to_largest(&self, p: usize) -> bool {
        self.divisors[0].rem(self.offsets0[0] + p as u64) == 0
    }

    /// Whether a chain in `from_mode` at an anchor or not (`p_anchor`) may take size index `j`
    /// into `to_mode` at a position that is an anchor or not (`q_anchor`; the end is not one).
    /// Waste table only; see [`Problem::fill_impl`].
    fn allowed(p_anchor: bool, from_mode: usize, j: usize, q_anchor: bool, to_mode: usize) -> bool {
        match (from_mode, to_mode) {
            (FREE, FREE) => j == 0 || !p_anchor,
            (FREE, TAIL) => j != 0 && p_anchor && !q_anchor,
            (TAIL, TAIL) => !q_anchor,
            _ => false,
        }
    }

    /// `W > 0`: fixed windows of `W >= width` lanes, rows of `2 W` cells. `W == 0`: rows of
    /// `width` cells, slice pushes.
    ///
    /// On the waste axis, chains are restricted without losing any optimal plan. Call an
    /// *anchor* a chain boundary (a first uncovered unit) aligned to the largest size `L`. Between
    /// two anchors `P < Q`, buckets covering `Q - P` units with waste `w` number at least
    /// `(Q - P + w) / L`, so unless they are exactly the `(Q - P) / L` size-`L` buckets there are
    /// strictly more statements: every optimal plan tiles with size `L` from its first anchor to
    /// its last. So each row has two modes: `FREE` (no anchor yet, or at an anchor reached by
    /// `L`-tiling, or by the head) and `TAIL` (left an anchor with a smaller bucket: may not
    /// land on an anchor again). An anchor in `FREE` mode continues with size `L` (staying
    /// `FREE`) or a smaller bucket (becoming `TAIL`). This prunes the many near-optimal detours
    /// of long ranges; the set of optimal plans, and so the tie-break, is unchanged.
    fn fill_impl<T: Cell, const W: usize>(
        &self,
        axis: Axis,
        width: usize,
        max_value: u64,
        bound: u64,
    ) -> Table<T> {
        let stride = if W == 0 { width } else { 2 * W };
        let modes = if axis == Axis::Waste { 2 } else { 1 };
        let rows = (self.len + 1) * modes;
        // Rows are allocated (as INF) when first written, so the work and memory follow the
        // rows actually reached, not the length of the range.
        let mut slots = vec![u32::MAX; rows];
        let mut cells: Vec<T> = Vec::with_capacity(stride * 64);
        cells.resize(stride, T::INF);
        cells[0] = T::ZERO;
        slots[0] = 0;
        // Lanes >= width masked to INF when taking a row's minimum.
        let mut mask = [T::INF; W];
        for lane in mask.iter_mut().take(width) {
            *lane = T::ZERO;
        }
        // Rows that received a push (only those can be live), as a bitset.
        let mut reached = vec![0u64; rows.div_ceil(64)];
        reached[0] = 1;
        // Per size: the last position whose offset was computed, and that offset.
        let mut last_p = vec![0usize; self.sizes.len()];
        let mut last_r = self.offsets0.clone();
        let mut word = 0;
        while word < reached.len() {
            let bits = reached[word];
            if bits == 0 {
                word += 1;
                continue;
            }
            let bit = bits.trailing_zeros() as usize;
            reached[word] &= !(1u64 << bit);
            let index = word * 64 + bit;
            // modes is 1 or 2: shift and mask, not a division.
            let (p, mode) = (index >> (modes - 1), index & (modes - 1));
            if p >= self.len {
                break;
            }
            let at = slots[index] as usize * stride;
            // The row's values, copied out (the pushes below may grow `cells`).
            let mut src_window = [T::INF; W];
            let best = if W == 0 {
                cells[at..at + width]
                    .iter()
                    .copied()
                    .min()
                    .unwrap_or(T::INF)
            } else {
                let mut best = T::INF;
                if let Some(row) = cells[at..].first_chunk::<W>() {
                    src_window = *row;
                    for i in 0..W {
                        let v = if row[i] > mask[i] { row[i] } else { mask[i] };
                        best = if v < best { v } else { best };
                    }
                }
                best
            };
            if best == T::INF {
                continue;
            }
            if axis == Axis::Waste {
                let need = if mode == TAIL {
                    self.tail_lower_bound(p)
                } else {
                    self.lower_bound(p)
                };
                if best.to_u64().saturating_add(need) > bound {
                    continue;
                }
            }
            let anchor = modes == 2 && mode == FREE && self.is_aligned_to_largest(p);
            for (j, &s) in self.sizes.iter().enumerate() {
                // Offset of position p inside its size-s bucket, from the last one computed
                // (branch-free: a multiplication-based remainder).
                let r = self.divisors[j].rem(last_r[j] + (p - last_p[j]) as u64);
                last_p[j] = p;
                last_r[j] = r;
                let (np, extra) = self.transition(p, s, r);
                let (shift, add) = axis.step(extra);
                if shift >= width as u64 || add > max_value {
                    continue;
                }
                let target_mode = if modes == 1 {
                    0
                } else {
                    let to_mode = if mode == TAIL || (anchor && j != 0) {
                        TAIL
                    } else {
                        FREE
                    };
                    if to_mode == TAIL && np < self.len && self.is_aligned_to_largest(np) {
                        continue;
                    }
                    // Do not even reach rows that could not finish within the bound.
                    if np < self.len {
                        let need = if to_mode == TAIL {
                            self.tail_lower_bound(np)
                        } else {
                            self.lower_bound(np)
                        };
                        if best.to_u64().saturating_add(add + need) > bound {
                            continue;
                        }
                    }
                    to_mode
                };
                let shift = shift as usize;
                let add = T::from_u64_sat(add);
                let target = np * modes + target_mode;
                let to = match slots[target] {
                    u32::MAX => {
                        let slot = cells.len() / stride;
                        slots[target] = slot as u32;
                        cells.resize(cells.len() + stride, T::INF);
                        slot * stride
                    }
                    slot => slot as usize * stride,
                };
                if W == 0 {
                    // Distinct rows: split between them.
                    if at < to {
                        let (head, tail) = cells.split_at_mut(to);
                        relax(&mut tail[shift..width], &head[at..at + width - shift], add);
                    } else {
                        let (head, tail) = cells.split_at_mut(at);
                        relax(
                            &mut head[to + shift..to + width],
                            &tail[..width - shift],
                            add,
                        );
                    }
                } else if let Some(dst) = cells[to + shift..].first_chunk_mut::<W>() {
                    relax_fixed(dst, &src_window, add);
                }
                reached[target / 64] |= 1u64 << (target % 64);
            }
        }
        Table {
            cells,
            slots,
            stride,
            width,
            modes,
        }
    }

    /// Walks back from the last row, column `col` holding `value`, choosing predecessors in
    /// tie-break order (see [`plan_coverage`]). Returns the buckets left to right.
    ///
    /// It tracks the set of modes a chain at the current row may be in, so the choice at each
    /// step is the greatest over every chain of the table.
    fn reconstruct<T: Cell>(
        &self,
        axis: Axis,
        table: &Table<T>,
        col: usize,
        value: T,
    ) -> Vec<Bucket> {
        let n = self.len as i64;
        let mut out = Vec::new();
        let mut q = self.len;
        let mut col = col;
        let mut value = value.to_u64();
        let mut modes: [bool; 2] = [false; 2];
        for (m, slot) in modes.iter_mut().enumerate().take(table.modes) {
            *slot = table.get(q, m, col).to_u64() == value;
        }
        // Candidate buckets (start position, size index) whose push lands on the last row.
        let mut last_candidates: Vec<(i64, usize)> = Vec::with_capacity(self.sizes.len());
        while q > 0 {
            let q_anchor = table.modes == 2 && q < self.len && self.is_aligned_to_largest(q);
            // The first feasible predecessor through the size-`j` bucket starting at `start`.
            let try_bucket = |start: i64, j: usize| {
                let s = i64::from(self.sizes[j]);
                let overhang = (start + s - n).max(0) as u64;
                let lo = start.max(0);
                // Positions p in [lo, q - 1], latest first; the bucket's waste grows with p, so
                // start at the last p whose waste fits the column (waste axis) or the value
                // (statements axis).
                let room = match axis {
                    Axis::Waste => col as u64,
                    Axis::Statements => value,
                };
                let room = room.checked_sub(overhang)?;
                let mut p =
                    (q as i64 - 1).min(start.saturating_add(room.min(i64::MAX as u64) as i64));
                while p >= lo {
                    let extra = (p - start) as u64 + overhang;
                    let (shift, add) = axis.step(extra);
                    if shift > col as u64 || add > value {
                        // Too much waste here; an earlier p overlaps less.
                        p -= 1;
                        continue;
                    }
                    let (pc, pv) = (col - shift as usize, value - add);
                    let mut next_modes = [false; 2];
                    let p_anchor = table.modes == 2 && self.is_aligned_to_largest(p as usize);
                    for (m_p, next) in next_modes.iter_mut().enumerate().take(table.modes) {
                        let cell = table.get(p as usize, m_p, pc);
                        if cell == T::INF || cell.to_u64() != pv {
                            continue;
                        }
                        *next = table.modes == 1
                            || (0..2).any(|m_q| {
                                modes[m_q] && Self::allowed(p_anchor, m_p, j, q_anchor, m_q)
                            });
                    }
                    if next_modes.iter().any(|&m| m) {
                        return Some((p as usize, pc, pv, start, j, next_modes));
                    }
                    p -= 1;
                }
                None
            };
            let step = if q == self.len {
                // Buckets containing the last unit: end descending, then size descending.
                last_candidates.clear();
                for (j, d) in self.divisors.iter().enumerate() {
                    let r = d.rem(self.offsets0[j] + (self.len as u64 - 1)) as i64;
                    last_candidates.push((n - 1 - r, j));
                }
                last_candidates.sort_by(|a, b| {
                    let ea = a.0 + i64::from(self.sizes[a.1]);
                    let eb = b.0 + i64::from(self.sizes[b.1]);
                    match eb.cmp(&ea) {
                        Ordering::Equal => self.sizes[b.1].cmp(&self.sizes[a.1]),
                        o => o,
                    }
                });
                last_candidates
                    .iter()
                    .find_map(|&(start, j)| try_bucket(start, j))
            } else {
                // Buckets ending at q - 1, larger first.
                (0..self.sizes.len()).find_map(|j| {
                    let aligned = if j == 0 {
                        q_anchor || self.is_aligned_to_largest(q)
                    } else {
                        self.divisors[j].rem(self.offsets0[j] + q as u64) == 0
                    };
                    if aligned {
                        try_bucket(q as i64 - i64::from(self.sizes[j]), j)
                    } else {
                        None
                    }
                })
            };
            let Some((p, pc, pv, start, j, next_modes)) = step else {
                // Unreachable for a consistent table; stop rather than loop or panic. The
                // caller's check of the plan turns this into `PlanError::Internal`.
                break;
            };
            // start >= -(from mod s): the bucket index from the one containing `from`.
            let k = self.divisors[j].div((start + self.offsets0[j] as i64) as u64) as i64;
            out.push(Bucket::new(self.sizes[j], self.ids0[j] + k));
            q = p;
            col = pc;
            value = pv;
            modes = next_modes;
        }
        out.reverse();
        out
    }
}

/// `dst[i] = min(dst[i], src[i] + add)` on fixed windows: a few vector instructions.
#[inline(always)]
fn relax_fixed<T: Cell, const W: usize>(dst: &mut [T; W], src: &[T; W], add: T) {
    let s: [T; W] = *src;
    let mut d: [T; W] = *dst;
    for i in 0..W {
        d[i] = d[i].min(s[i].plus(add));
    }
    *dst = d;
}

/// `dst[i] = min(dst[i], src[i] + add)`: the vectorisable inner loop.
#[inline(always)]
fn relax<T: Cell>(dst: &mut [T], src: &[T], add: T) {
    for (d, &s) in dst.iter_mut().zip(src) {
        let v = s.plus(add);
        if v < *d {
            *d = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(from: i64, to: i64, sizes: &[u32], budget: u64) -> CoveragePlan {
        plan_coverage(from, to, sizes, &PlanLimits::new().with_max_waste(budget)).unwrap()
    }

    #[test]
    fn spec_rows() {
        let p = plan(2521, 2530, &[1, 4, 6], 3);
        assert_eq!(p.buckets(), &[Bucket::new(6, 420), Bucket::new(6, 421)]);
        assert_eq!((p.statements(), p.waste()), (2, 2));

        let p = plan(2916, 2934, &[1, 4, 5], 3);
        assert_eq!(
            p.buckets(),
            &[
                Bucket::new(4, 729),
                Bucket::new(5, 584),
                Bucket::new(5, 585),
                Bucket::new(5, 586)
            ]
        );
        assert_eq!((p.statements(), p.waste()), (4, 0));

        let p = plan(2548, 2614, &[1, 4, 5], 3);
        let mut expected: Vec<Bucket> = (637..=639).map(|id| Bucket::new(4, id)).collect();
        expected.extend((512..=522).map(|id| Bucket::new(5, id)));
        assert_eq!(p.buckets(), expected.as_slice());
        assert_eq!((p.statements(), p.waste()), (14, 0));
    }

    #[test]
    fn both_tables_agree() {
        // The waste table (pruned, anchored modes) against the plain statements table.
        let size_sets: [&[u32]; 6] = [
            &[7, 3, 1],
            &[5, 4, 1],
            &[6, 4],
            &[5, 3],
            &[16, 8, 4, 2, 1],
            &[9, 2],
        ];
        for sizes in size_sets {
            for from in -11..11i64 {
                for len in 1..36usize {
                    let problem = Problem::new(from, len, sizes);
                    for budget in 0..6u64 {
                        for cap in [3usize, 64] {
                            let cap = cap.min(len);
                            let a = problem.solve_by_waste(budget as usize, cap);
                            let b = problem.solve_by_statements(cap, Some(budget), 10_000);
                            assert_eq!(
                                a, b,
                                "{sizes:?} from {from} len {len} budget {budget} cap {cap}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bucket_bounds_clamp() {
        let b = Bucket::containing(i64::MAX, 5).unwrap();
        assert_eq!(b.last(), i64::MAX);
        assert!(b.contains(i64::MAX));
        let b = Bucket::containing(i64::MIN, 5).unwrap();
        assert_eq!(b.first(), i64::MIN);
        assert_eq!(Bucket::containing(1, 0), None);
    }
}
