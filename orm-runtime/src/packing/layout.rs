//! Packed layouts, `trim` and `pack` (spec §4).

use std::fmt;

/// The most components a layout can have: the int64 budget of 19 digits with one digit per
/// component.
pub const MAX_COMPONENTS: usize = 19;

/// `10^k` for `k` in `0..=19`.
const POW10: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut k = 1;
    while k < 20 {
        table[k] = table[k - 1] * 10;
        k += 1;
    }
    table
};

/// `10^k` as `i128` (`k <= 19`; larger `k` saturate to `10^19`, never reached by valid layouts).
pub(crate) const fn pow10(k: u32) -> i128 {
    let k = if k > 19 { 19 } else { k };
    POW10[k as usize] as i128
}

/// Number of decimal digits of a magnitude (`0` has one digit).
pub(crate) const fn digit_count(mut magnitude: u64) -> u32 {
    let mut digits = 1;
    while magnitude >= 10 {
        magnitude /= 10;
        digits += 1;
    }
    digits
}

/// The column type of a packed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PackedOutput {
    /// CQL `int`: a budget of 9 digits, trailing sizes summing to at most 8.
    Int32,
    /// CQL `bigint`: a budget of 19 digits, trailing sizes summing to at most 18.
    Int64,
}

impl PackedOutput {
    /// The digit budget shared by the slots: 9 (int32) or 19 (int64).
    #[must_use]
    pub const fn digit_budget(self) -> u32 {
        match self {
            PackedOutput::Int32 => 9,
            PackedOutput::Int64 => 19,
        }
    }

    /// The largest sum of trailing `decimal_size`s: 8 (int32) or 18 (int64), leaving the first
    /// component at least one digit.
    #[must_use]
    pub const fn max_trailing_digits(self) -> u32 {
        self.digit_budget() - 1
    }

    /// The largest packed value: `i32::MAX` or `i64::MAX`.
    #[must_use]
    pub const fn max_value(self) -> i64 {
        match self {
            PackedOutput::Int32 => i32::MAX as i64,
            PackedOutput::Int64 => i64::MAX,
        }
    }

    /// The CQL type of the packed column: `int` or `bigint`.
    #[must_use]
    pub const fn cql_type(self) -> &'static str {
        match self {
            PackedOutput::Int32 => "int",
            PackedOutput::Int64 => "bigint",
        }
    }
}

impl fmt::Display for PackedOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PackedOutput::Int32 => "int32",
            PackedOutput::Int64 => "int64",
        })
    }
}

/// An invalid packed layout declaration (a compile-time error in generated code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// Fewer than two components.
    #[error(
        "a packed index needs at least 2 components, got {count}: use a plain index for one column"
    )]
    TooFewComponents {
        /// The number of components declared.
        count: usize,
    },
    /// The first component declares a decimal size.
    #[error(
        "the first component of a packed index must not declare decimal_size (got {size}): its \
         slot is the digit budget minus the other components' sizes"
    )]
    FirstHasDecimalSize {
        /// The size declared on the first component.
        size: u32,
    },
    /// A later component has no decimal size.
    #[error(
        "component {index} of a packed index has no decimal_size: every component after the \
         first must declare decimal_size = n"
    )]
    MissingDecimalSize {
        /// Zero-based index of the component.
        index: usize,
    },
    /// A later component has decimal size 0.
    #[error("component {index} of a packed index has decimal_size = 0: sizes must be at least 1")]
    ZeroDecimalSize {
        /// Zero-based index of the component.
        index: usize,
    },
    /// The trailing sizes exceed the output's budget.
    #[error(
        "the decimal sizes of a packed {output} index sum to {sum} digits, more than the {max} \
         allowed (the first component keeps at least 1 of {budget}): shrink a decimal_size{hint}"
    )]
    TooManyDigits {
        /// The output type.
        output: PackedOutput,
        /// The sum of the trailing decimal sizes (saturating).
        sum: u32,
        /// The maximum sum (8 or 18).
        max: u32,
        /// The digit budget (9 or 19).
        budget: u32,
        /// A suggestion.
        hint: &'static str,
    },
}

/// Why a value could not be packed (nothing is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// The number of values differs from the layout's components.
    #[error(
        "the packed layout has {expected} components but {got} values were given: pass one \
         value per component, in declaration order"
    )]
    WrongComponentCount {
        /// The layout's component count.
        expected: usize,
        /// The number of values given.
        got: usize,
    },
    /// A component is negative.
    #[error(
        "component {index} of a packed index is negative ({value}): packed indexes only hold \
         values >= 0; the row is not written"
    )]
    NegativeComponent {
        /// Zero-based index of the component.
        index: usize,
        /// The negative value.
        value: i64,
    },
    /// The packed value exceeds the output type.
    #[error(
        "the packed value {value} exceeds the {output} maximum {max}: the first component is too \
         large for its slot (use an int64 layout or smaller values); the row is not written"
    )]
    OutOfRange {
        /// The packed value that does not fit.
        value: i128,
        /// The output type.
        output: PackedOutput,
        /// Its maximum.
        max: i64,
    },
    /// A range predicate constrains more components than the layout has.
    #[error(
        "a packed range predicate fixes {prefix} components by equality, but the layout has only \
         {components}: at most {components} - 1 can be fixed, the next one is ranged"
    )]
    PrefixTooLong {
        /// The number of equality components given.
        prefix: usize,
        /// The layout's component count.
        components: usize,
    },
}

/// Keeps the `digits` most significant decimal digits of `value`.
///
/// If `value` has more than `digits` digits it is divided by `10^(digits(value) - digits)`
/// (integer division), else it is kept. Examples: `trim(370598453, 8) == 37059845`,
/// `trim(42, 8) == 42`.
///
/// Edge cases (never panics): a negative value is trimmed by magnitude and keeps its sign
/// (`trim(-370598453, 8) == -37059845`; packing itself rejects negative components), `0` has one
/// digit, and `digits == 0` keeps no digit: the result is `0`.
///
/// `trim` is monotone only among values with the same number of digits: `trim(99, 2) == 99`
/// but `trim(100, 2) == 10`.
///
/// ```
/// use orm_runtime::packing::trim;
///
/// assert_eq!(trim(370_598_453, 8), 37_059_845);
/// assert_eq!(trim(100, 2), 10);
/// assert_eq!(trim(i64::MIN, 1), -9);
/// assert_eq!(trim(5, 0), 0);
/// ```
#[must_use]
pub const fn trim(value: i64, digits: u32) -> i64 {
    if digits == 0 {
        return 0;
    }
    let magnitude = value.unsigned_abs();
    let have = digit_count(magnitude);
    if have <= digits {
        return value;
    }
    // have <= 20 and digits >= 1, so the exponent is at most 19.
    let kept = (magnitude / POW10[(have - digits) as usize]) as i64;
    if value < 0 { -kept } else { kept }
}

/// A validated packed integer layout: the slot width of every component.
///
/// Build it with [`PackedLayout::new`] (a `const fn`, so generated code can validate at compile
/// time), then [`pack`](PackedLayout::pack) rows and turn predicates into
/// [`ranges`](PackedLayout::ranges).
///
/// ```
/// use orm_runtime::packing::{PackedLayout, PackedOutput};
///
/// // #[packed_index(status, updated(decimal_size = 8), int32)]
/// const LAYOUT: PackedLayout = match PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]) {
///     Ok(layout) => layout,
///     Err(_) => panic!("invalid packed layout"),
/// };
/// assert_eq!(LAYOUT.pack(&[2, 370_598_453]), Ok(237_059_845));
/// assert_eq!(LAYOUT.slot_widths(), &[1, 8]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackedLayout {
    output: PackedOutput,
    len: usize,
    /// Slot widths; `widths[0]` is the first component's (budget minus the rest).
    widths: [u32; MAX_COMPONENTS],
    /// `shifts[i]` = sum of the widths right of component `i`.
    shifts: [u32; MAX_COMPONENTS],
}

impl PackedLayout {
    /// Validates a layout (spec §4): one entry per component, `None` for the first and
    /// `Some(decimal_size)` for every later one.
    ///
    /// # Errors
    ///
    /// [`LayoutError`] for fewer than two components, a decimal size on the first, a missing or
    /// zero one on a later component, or trailing sizes summing to more than 8 (int32) or 18
    /// (int64).
    ///
    /// ```
    /// use orm_runtime::packing::{LayoutError, PackedLayout, PackedOutput};
    ///
    /// assert!(PackedLayout::new(PackedOutput::Int64, &[None, Some(10), Some(8)]).is_ok());
    /// assert!(matches!(
    ///     PackedLayout::new(PackedOutput::Int32, &[None, Some(9)]),
    ///     Err(LayoutError::TooManyDigits { sum: 9, max: 8, .. })
    /// ));
    /// assert_eq!(
    ///     PackedLayout::new(PackedOutput::Int32, &[Some(1), Some(8)]),
    ///     Err(LayoutError::FirstHasDecimalSize { size: 1 })
    /// );
    /// ```
    pub const fn new(
        output: PackedOutput,
        decimal_sizes: &[Option<u32>],
    ) -> Result<PackedLayout, LayoutError> {
        let count = decimal_sizes.len();
        if count < 2 {
            return Err(LayoutError::TooFewComponents { count });
        }
        if let Some(size) = decimal_sizes[0] {
            return Err(LayoutError::FirstHasDecimalSize { size });
        }
        let max = output.max_trailing_digits();
        let mut sum: u32 = 0;
        let mut i = 1;
        while i < count {
            match decimal_sizes[i] {
                None => return Err(LayoutError::MissingDecimalSize { index: i }),
                Some(0) => return Err(LayoutError::ZeroDecimalSize { index: i }),
                Some(n) => sum = sum.saturating_add(n),
            }
            i += 1;
        }
        if sum > max {
            let hint = match output {
                PackedOutput::Int32 if sum <= PackedOutput::Int64.max_trailing_digits() => {
                    " or use an int64 layout"
                }
                _ => "",
            };
            return Err(LayoutError::TooManyDigits {
                output,
                sum,
                max,
                budget: output.digit_budget(),
                hint,
            });
        }
        // sum <= 18 and every trailing size >= 1, so count <= 19 = MAX_COMPONENTS.
        let mut widths = [0u32; MAX_COMPONENTS];
        let mut shifts = [0u32; MAX_COMPONENTS];
        widths[0] = output.digit_budget() - sum;
        let mut i = 1;
        while i < count {
            if let Some(n) = decimal_sizes[i] {
                widths[i] = n;
            }
            i += 1;
        }
        let mut right = 0;
        let mut i = count;
        while i > 0 {
            i -= 1;
            shifts[i] = right;
            right += widths[i];
        }
        Ok(PackedLayout {
            output,
            len: count,
            widths,
            shifts,
        })
    }

    /// The output type.
    #[must_use]
    pub const fn output(&self) -> PackedOutput {
        self.output
    }

    /// The number of components.
    #[must_use]
    pub const fn components(&self) -> usize {
        self.len
    }

    /// The slot width of every component (the first's is the budget minus the others).
    #[must_use]
    pub fn slot_widths(&self) -> &[u32] {
        &self.widths[..self.len]
    }

    /// Component `index`'s stored value: the first is kept, later ones are [`trim`]med to
    /// their decimal size.
    pub(crate) const fn stored(&self, index: usize, value: i64) -> i64 {
        if index == 0 {
            value
        } else {
            trim(value, self.widths[index])
        }
    }

    /// `10^(sum of the slot widths right of component index)`.
    pub(crate) const fn unit(&self, index: usize) -> i128 {
        pow10(self.shifts[index])
    }

    /// Packs one row: `Σ stored(component_i) × 10^(widths right of i)`.
    ///
    /// # Errors
    ///
    /// [`PackError`] for a wrong number of values, a negative value, or a packed value beyond
    /// the output type (possible only when the first component outgrows its slot). Never
    /// panics.
    ///
    /// ```
    /// use orm_runtime::packing::{PackError, PackedLayout, PackedOutput};
    ///
    /// let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?;
    /// assert_eq!(layout.pack(&[2, 370_598_453]), Ok(237_059_845));
    /// assert!(matches!(layout.pack(&[2, -1]), Err(PackError::NegativeComponent { .. })));
    /// assert!(matches!(layout.pack(&[22, 0]), Err(PackError::OutOfRange { .. })));
    /// # Ok::<(), orm_runtime::packing::LayoutError>(())
    /// ```
    pub const fn pack(&self, values: &[i64]) -> Result<i64, PackError> {
        if values.len() != self.len {
            return Err(PackError::WrongComponentCount {
                expected: self.len,
                got: values.len(),
            });
        }
        let mut packed: i128 = 0;
        let mut i = 0;
        while i < self.len {
            let value = values[i];
            if value < 0 {
                return Err(PackError::NegativeComponent { index: i, value });
            }
            // stored <= i64::MAX < 2^63 and unit <= 10^18 < 2^60: each term < 2^123, and the
            // terms after the first sum to less than 10^18, so this cannot overflow i128.
            packed += self.stored(i, value) as i128 * self.unit(i);
            i += 1;
        }
        let max = self.output.max_value();
        if packed > max as i128 {
            return Err(PackError::OutOfRange {
                value: packed,
                output: self.output,
                max,
            });
        }
        Ok(packed as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_powers() {
        assert_eq!(digit_count(0), 1);
        assert_eq!(digit_count(9), 1);
        assert_eq!(digit_count(10), 2);
        assert_eq!(digit_count(u64::MAX), 20);
        assert_eq!(pow10(0), 1);
        assert_eq!(pow10(19), 10_000_000_000_000_000_000);
        assert_eq!(pow10(40), pow10(19));
    }

    #[test]
    fn spec_example() {
        let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]).unwrap();
        assert_eq!(layout.unit(0), 100_000_000);
        assert_eq!(layout.unit(1), 1);
        assert_eq!(layout.stored(1, 370_598_453), 37_059_845);
        assert_eq!(layout.pack(&[2, 370_598_453]), Ok(237_059_845));
        assert_eq!(trim(370_598_453, 8), 37_059_845);
    }

    #[test]
    fn trim_edges() {
        assert_eq!(trim(0, 1), 0);
        assert_eq!(trim(0, 0), 0);
        assert_eq!(trim(i64::MAX, 19), i64::MAX);
        assert_eq!(trim(i64::MAX, 18), 922_337_203_685_477_580);
        assert_eq!(trim(i64::MIN, 19), i64::MIN);
        assert_eq!(trim(-99, 1), -9);
        assert_eq!(trim(12_345, u32::MAX), 12_345);
    }

    #[test]
    fn shifts_follow_widths() {
        let layout =
            PackedLayout::new(PackedOutput::Int64, &[None, Some(3), Some(2), Some(4)]).unwrap();
        assert_eq!(layout.slot_widths(), &[10, 3, 2, 4]);
        assert_eq!(layout.unit(0), 1_000_000_000);
        assert_eq!(layout.unit(1), 1_000_000);
        assert_eq!(layout.unit(2), 10_000);
        assert_eq!(layout.unit(3), 1);
        assert_eq!(layout.pack(&[7, 123, 45, 6789]), Ok(7_123_456_789));
    }
}
