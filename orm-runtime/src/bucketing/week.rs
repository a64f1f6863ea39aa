//! YYWW week codes and week indexes (spec §2).
//!
//! A week code `YYWW` names ISO week `WW` of year `2000 + YY`. Its week index is the number of
//! whole weeks between 1970-01-01 and the Monday of that week (floor division of the Monday's
//! unix day by 7), so consecutive ISO weeks have consecutive indexes, also across years. The
//! calendar math is done here (proleptic Gregorian calendar, no dependency).

/// The smallest year a week code can name (`YY = 00`).
const FIRST_YEAR: i32 = 2000;
/// The largest year a week code can name (`YY = 99`).
const LAST_YEAR: i32 = 2099;

/// Why a week code or a week index was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeekCodeError {
    /// The code is negative.
    #[error(
        "week code {code} is negative: a week code is YYWW with YY in 00..=99 (year 2000 + YY) \
         and WW an ISO week number from 01"
    )]
    Negative {
        /// The rejected code.
        code: i32,
    },
    /// The code has more than four digits, so its year is beyond 2099.
    #[error(
        "week code {code} has more than four digits: a week code is YYWW with YY in 00..=99, \
         i.e. years 2000..=2099"
    )]
    YearOutOfRange {
        /// The rejected code.
        code: i32,
    },
    /// The week part `WW` is `00`.
    #[error("week code {code} has week 00: ISO weeks are numbered from 01")]
    WeekZero {
        /// The rejected code.
        code: i32,
    },
    /// The week part `WW` is larger than the number of ISO weeks of that year.
    #[error(
        "week code {code} names week {week} of {year}, but {year} has only {weeks_in_year} ISO \
         weeks: use week {weeks_in_year} or week 01 of the next year"
    )]
    WeekOutOfRange {
        /// The rejected code.
        code: i32,
        /// Its week part.
        week: u32,
        /// Its year (2000 + YY).
        year: i32,
        /// The number of ISO weeks of that year (52 or 53).
        weeks_in_year: u32,
    },
    /// The week index lies outside the weeks a YYWW code can name.
    #[error(
        "week index {index} has no YYWW week code: week codes name the week indexes \
         {min}..={max} (ISO weeks of 2000 to 2099)"
    )]
    IndexOutOfRange {
        /// The rejected index.
        index: i64,
        /// The index of week code 0001.
        min: i64,
        /// The index of the last week of 2099.
        max: i64,
    },
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
const fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = if month <= 2 {
        year as i64 - 1
    } else {
        year as i64
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = month as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian year containing a unix day (H. Hinnant's `civil_from_days`, year
/// only).
const fn year_of_day(day: i64) -> i64 {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // March = 0
    let year = yoe + era * 400;
    if mp >= 10 { year + 1 } else { year }
}

/// Day of the week of a unix day, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
const fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// Unix day of the Monday of ISO week 1 of `year` (the week that contains 4 January).
const fn week1_monday(year: i32) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - weekday(jan4)
}

/// The number of ISO weeks (52 or 53) of an ISO week-numbering year.
///
/// ```
/// use orm_runtime::bucketing::iso_weeks_in_year;
///
/// assert_eq!(iso_weeks_in_year(2025), 52);
/// assert_eq!(iso_weeks_in_year(2026), 53);
/// ```
#[must_use]
pub const fn iso_weeks_in_year(year: i32) -> u32 {
    // `year + 1` cannot overflow for the years this crate passes; saturate for the others.
    let next = year.saturating_add(1);
    ((week1_monday(next) - week1_monday(year)) / 7) as u32
}

/// The week index of the first week code (`0001`, ISO week 1 of 2000).
const MIN_INDEX: i64 = week1_monday(FIRST_YEAR).div_euclid(7);
/// The week index of the last week of 2099.
const MAX_INDEX: i64 = week1_monday(LAST_YEAR + 1).div_euclid(7) - 1;

/// Converts a `YYWW` week code into its week index (whole weeks since 1970-01-01).
///
/// Year = 2000 + YY; the Monday of ISO week 1 of that year (the week containing 4 January)
/// plus `(WW - 1) * 7` days, counted in days since 1970-01-01 and floor-divided by 7.
/// Consecutive ISO weeks have consecutive indexes, so a range of week codes becomes a range of
/// indexes the [coverage planner](crate::bucketing::plan_coverage) can bucket.
///
/// # Errors
///
/// [`WeekCodeError`] for a negative code, a code above `9999`, week `00`, or a week beyond the
/// number of ISO weeks of that year (2025 has 52, 2026 has 53). Nothing is mapped silently.
///
/// ```
/// use orm_runtime::bucketing::{week_index, WeekCodeError};
///
/// assert_eq!(week_index(2548), Ok(2916)); // Monday 2025-11-24
/// assert_eq!(week_index(2653), Ok(2973)); // 2026 has 53 ISO weeks
/// assert!(matches!(week_index(2553), Err(WeekCodeError::WeekOutOfRange { .. })));
/// ```
pub const fn week_index(code: i32) -> Result<i64, WeekCodeError> {
    if code < 0 {
        return Err(WeekCodeError::Negative { code });
    }
    if code > 9999 {
        return Err(WeekCodeError::YearOutOfRange { code });
    }
    let year = FIRST_YEAR + code / 100;
    let week = (code % 100) as u32;
    if week == 0 {
        return Err(WeekCodeError::WeekZero { code });
    }
    let weeks_in_year = iso_weeks_in_year(year);
    if week > weeks_in_year {
        return Err(WeekCodeError::WeekOutOfRange {
            code,
            week,
            year,
            weeks_in_year,
        });
    }
    let monday = week1_monday(year) + (week as i64 - 1) * 7;
    Ok(monday.div_euclid(7))
}

/// Converts a week index back into its `YYWW` week code: the inverse of [`week_index`].
///
/// # Errors
///
/// [`WeekCodeError::IndexOutOfRange`] when the index is not a week of the years 2000 to 2099.
///
/// ```
/// use orm_runtime::bucketing::{week_code, week_index};
///
/// assert_eq!(week_code(2921), Ok(2601)); // Monday 2025-12-29 starts ISO week 1 of 2026
/// assert_eq!(week_code(week_index(2614).unwrap()), Ok(2614));
/// assert!(week_code(0).is_err());
/// ```
pub const fn week_code(index: i64) -> Result<i32, WeekCodeError> {
    if index < MIN_INDEX || index > MAX_INDEX {
        return Err(WeekCodeError::IndexOutOfRange {
            index,
            min: MIN_INDEX,
            max: MAX_INDEX,
        });
    }
    // Unix day 4 (1970-01-05) was a Monday, so the Monday of week index i is 7 i + 4.
    let monday = index * 7 + 4;
    // The ISO year of a week is the year of its Thursday.
    let year = year_of_day(monday + 3) as i32;
    let week = (monday - week1_monday(year)) / 7 + 1;
    Ok((year - FIRST_YEAR) * 100 + week as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2025, 11, 24), 20416);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
        assert_eq!(year_of_day(20416), 2025);
        assert_eq!(year_of_day(-1), 1969);
        assert_eq!(weekday(20416), 0);
    }

    #[test]
    fn spec_week_table() {
        for (code, monday, index) in [
            (2548, 20416, 2916),
            (2552, 20444, 2920),
            (2601, 20451, 2921),
            (2614, 20542, 2934),
            (2653, 20815, 2973),
        ] {
            assert_eq!(week_index(code), Ok(index), "{code}");
            assert_eq!(
                week1_monday(2000 + code / 100) + (code as i64 % 100 - 1) * 7,
                monday
            );
            assert_eq!(week_code(index), Ok(code));
        }
        assert_eq!(
            week_index(2553),
            Err(WeekCodeError::WeekOutOfRange {
                code: 2553,
                week: 53,
                year: 2025,
                weeks_in_year: 52
            })
        );
    }

    #[test]
    fn bounds() {
        assert_eq!(week_code(MIN_INDEX), Ok(1));
        assert_eq!(week_index(1), Ok(MIN_INDEX));
        assert!(week_code(MIN_INDEX - 1).is_err());
        assert!(week_code(MAX_INDEX + 1).is_err());
        assert!(week_code(i64::MIN).is_err());
        assert!(week_code(i64::MAX).is_err());
        let last = week_code(MAX_INDEX).unwrap();
        assert_eq!(last / 100, 99);
        assert_eq!(week_index(last), Ok(MAX_INDEX));
        assert_eq!(week_index(-1), Err(WeekCodeError::Negative { code: -1 }));
        assert_eq!(
            week_index(i32::MIN),
            Err(WeekCodeError::Negative { code: i32::MIN })
        );
        assert_eq!(
            week_index(10_001),
            Err(WeekCodeError::YearOutOfRange { code: 10_001 })
        );
        assert_eq!(
            week_index(i32::MAX),
            Err(WeekCodeError::YearOutOfRange { code: i32::MAX })
        );
        assert_eq!(
            week_index(2600),
            Err(WeekCodeError::WeekZero { code: 2600 })
        );
        assert!(week_index(2599).is_err());
    }
}
