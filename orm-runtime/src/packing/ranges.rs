//! Range predicates in packed space.

use std::ops::{Bound, RangeBounds};

use super::layout::{PackError, PackedLayout, digit_count, pow10};

/// An inclusive range of packed values, `lo <= hi`, both within `0..=output max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackedRange {
    /// Smallest packed value (inclusive).
    pub lo: i64,
    /// Largest packed value (inclusive).
    pub hi: i64,
}

impl PackedRange {
    /// Whether `packed` lies in the range.
    #[must_use]
    pub const fn contains(&self, packed: i64) -> bool {
        self.lo <= packed && packed <= self.hi
    }

    /// The number of packed values in the range (0 if `lo > hi`).
    #[must_use]
    pub const fn len(&self) -> u64 {
        if self.hi < self.lo {
            0
        } else {
            (self.hi as i128 - self.lo as i128 + 1) as u64
        }
    }

    /// Whether the range holds no value (`lo > hi`; never returned by
    /// [`PackedLayout::ranges`]).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.hi < self.lo
    }
}

/// The number of distinct packed values in `ranges` (ranges as returned by
/// [`PackedLayout::ranges`]: sorted, disjoint). Saturates at `u64::MAX` for overlapping inputs.
///
/// ```
/// use orm_runtime::packing::{count_values, PackedRange};
///
/// assert_eq!(count_values(&[PackedRange { lo: 5, hi: 9 }, PackedRange { lo: 20, hi: 20 }]), 6);
/// ```
#[must_use]
pub fn count_values(ranges: &[PackedRange]) -> u64 {
    ranges
        .iter()
        .fold(0u64, |acc, r| acc.saturating_add(r.len()))
}

/// Every packed value of `ranges`, in order: the read path turns a small range list (see
/// [`count_values`]) into equality lookups.
///
/// ```
/// use orm_runtime::packing::{values, PackedRange};
///
/// let v: Vec<i64> = values(&[PackedRange { lo: 5, hi: 7 }, PackedRange { lo: 20, hi: 20 }]).collect();
/// assert_eq!(v, [5, 6, 7, 20]);
/// ```
pub fn values(ranges: &[PackedRange]) -> impl Iterator<Item = i64> + '_ {
    ranges.iter().flat_map(|r| r.lo..=r.hi)
}

/// Inclusive `[lo, hi]` of a bound pair restricted to non-negative values; `None` when empty.
fn normalise(range: &impl RangeBounds<i64>) -> Option<(i64, i64)> {
    let lo = match range.start_bound() {
        Bound::Included(&v) => v,
        Bound::Excluded(&v) => v.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let hi = match range.end_bound() {
        Bound::Included(&v) => v,
        Bound::Excluded(&v) => v.checked_sub(1)?,
        Bound::Unbounded => i64::MAX,
    };
    let lo = lo.max(0);
    (lo <= hi).then_some((lo, hi))
}

impl PackedLayout {
    fn check_prefix(&self, prefix: &[i64]) -> Result<(), PackError> {
        if prefix.len() >= self.components() {
            Err(PackError::PrefixTooLong {
                prefix: prefix.len(),
                components: self.components(),
            })
        } else {
            Ok(())
        }
    }

    /// Packed-space ranges for the predicate "components `0..prefix.len()` equal `prefix`,
    /// component `prefix.len()` within `range`, later components anything".
    ///
    /// `range` is any `RangeBounds<i64>`: `a..=b` for BETWEEN, `(Bound::Excluded(a),
    /// Bound::Unbounded)` for `> a`, `..` for no constraint. Components are never negative, so
    /// negative bounds are clamped to 0; a negative prefix value matches no row.
    ///
    /// The result is sorted, disjoint, with overlapping and adjacent ranges merged, and contains
    /// the packed value of every row matching the predicate. Ranged values are split by digit
    /// count (where [`trim`](super::trim) is monotone), so ranges crossing a digit-count boundary
    /// stay correct. When truncation is involved the ranges are a superset: re-check the
    /// predicate in memory unless [`is_exact`](Self::is_exact) says otherwise. An empty result
    /// means no storable row matches.
    ///
    /// # Errors
    ///
    /// [`PackError::PrefixTooLong`] when `prefix` fixes every component.
    ///
    /// ```
    /// use orm_runtime::packing::{PackedLayout, PackedOutput, PackedRange};
    ///
    /// let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(2)])?;
    /// // status = 3 AND v BETWEEN 95 AND 120: 95..=99 keep 2 digits, 100..=120 trim to 10..=12.
    /// assert_eq!(
    ///     layout.ranges(&[3], 95..=120)?,
    ///     [PackedRange { lo: 310, hi: 312 }, PackedRange { lo: 395, hi: 399 }]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ranges(
        &self,
        prefix: &[i64],
        range: impl RangeBounds<i64>,
    ) -> Result<Vec<PackedRange>, PackError> {
        self.check_prefix(prefix)?;
        let Some((lo, hi)) = normalise(&range) else {
            return Ok(Vec::new());
        };
        let mut base: i128 = 0;
        for (i, &v) in prefix.iter().enumerate() {
            if v < 0 {
                return Ok(Vec::new());
            }
            base += i128::from(self.stored(i, v)) * self.unit(i);
        }
        let r = prefix.len();
        let unit = self.unit(r);
        let max = i128::from(self.output().max_value());
        // Stored-value intervals of the ranged component.
        let mut stored: Vec<(i128, i128)> = Vec::new();
        if r == 0 {
            stored.push((i128::from(lo), i128::from(hi)));
        } else {
            let width = self.slot_widths()[r];
            let d_lo = digit_count(lo as u64);
            let d_hi = digit_count(hi as u64);
            for d in d_lo..=d_hi {
                let first = if d == 1 { 0 } else { pow10(d - 1) };
                let last = pow10(d) - 1;
                let a = first.max(i128::from(lo));
                let b = last.min(i128::from(hi));
                if a > b {
                    continue;
                }
                if d <= width {
                    stored.push((a, b));
                } else {
                    let div = pow10(d - width);
                    stored.push((a / div, b / div));
                }
            }
        }
        let mut out: Vec<PackedRange> = Vec::with_capacity(stored.len());
        let mut spans: Vec<(i128, i128)> = stored
            .into_iter()
            .map(|(a, b)| (base + a * unit, base + b * unit + unit - 1))
            .filter_map(|(a, b)| {
                let (a, b) = (a.max(0), b.min(max));
                (a <= b).then_some((a, b))
            })
            .collect();
        spans.sort_unstable();
        let mut current: Option<(i128, i128)> = None;
        for (a, b) in spans {
            current = match current {
                Some((ca, cb)) if a <= cb + 1 => Some((ca, cb.max(b))),
                Some((ca, cb)) => {
                    out.push(PackedRange {
                        lo: ca as i64,
                        hi: cb as i64,
                    });
                    Some((a, b))
                }
                None => Some((a, b)),
            };
        }
        if let Some((ca, cb)) = current {
            // Clamped to [0, max <= i64::MAX] above, so the casts are lossless.
            out.push(PackedRange {
                lo: ca as i64,
                hi: cb as i64,
            });
        }
        Ok(out)
    }

    /// Whether [`ranges`](Self::ranges) answers the same predicate exactly, i.e. every stored
    /// row whose packed value lies in the ranges matches the predicate, so no in-memory
    /// post-filter is needed.
    ///
    /// Exact when no truncation can blur the predicate: the first component is never trimmed;
    /// an equality on a later component is exact only for values with fewer digits than its
    /// decimal size (a value of exactly `n` digits also matches longer values sharing those
    /// digits); a range on a later component is exact when all its values have fewer than `n`
    /// digits, or when it is unbounded above and starts at or below `10^(n-1)`. `false` may be
    /// conservative; post-filtering is always correct.
    ///
    /// # Errors
    ///
    /// [`PackError::PrefixTooLong`] as for [`ranges`](Self::ranges).
    ///
    /// ```
    /// use orm_runtime::packing::{PackedLayout, PackedOutput};
    ///
    /// let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?;
    /// assert!(layout.is_exact(&[], 1..=3)?); // status BETWEEN 1 AND 3
    /// assert!(layout.is_exact(&[2], ..)?); // status = 2
    /// assert!(!layout.is_exact(&[2], 370_598_453..)?); // updated is truncated: post-filter
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_exact(
        &self,
        prefix: &[i64],
        range: impl RangeBounds<i64>,
    ) -> Result<bool, PackError> {
        self.check_prefix(prefix)?;
        let Some((lo, hi)) = normalise(&range) else {
            return Ok(true); // nothing is read
        };
        if prefix.iter().any(|&v| v < 0) {
            return Ok(true); // nothing is read
        }
        let widths = self.slot_widths();
        for (i, &v) in prefix.iter().enumerate().skip(1) {
            if i128::from(v) >= pow10(widths[i] - 1) {
                return Ok(false);
            }
        }
        let r = prefix.len();
        if r == 0 {
            return Ok(true);
        }
        let threshold = pow10(widths[r] - 1);
        Ok(i128::from(hi) < threshold || (hi == i64::MAX && i128::from(lo) <= threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packing::PackedOutput;

    #[test]
    fn bounds_normalise() {
        assert_eq!(normalise(&(..)), Some((0, i64::MAX)));
        assert_eq!(normalise(&(-5..=3)), Some((0, 3)));
        assert_eq!(normalise(&(..0)), None);
        assert_eq!(normalise(&(3..3)), None);
        assert_eq!(
            normalise(&(Bound::Excluded(i64::MAX), Bound::Unbounded)),
            None
        );
        assert_eq!(normalise(&(..i64::MIN)), None);
    }

    #[test]
    fn digit_boundary_split() {
        let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(2)]).unwrap();
        // 9..=10 straddles one and two digits; 99..=100 straddles two and three (100 -> 10).
        assert_eq!(
            layout.ranges(&[1], 99..=100).unwrap(),
            [
                PackedRange { lo: 110, hi: 110 },
                PackedRange { lo: 199, hi: 199 }
            ]
        );
        assert_eq!(
            layout.ranges(&[1], 9..=10).unwrap(),
            [PackedRange { lo: 109, hi: 110 }]
        );
        let r = PackedRange { lo: 3, hi: 2 };
        assert!(r.is_empty());
        assert_eq!(r.len(), 0);
    }
}
