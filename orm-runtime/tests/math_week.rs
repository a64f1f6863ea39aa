//! Week codes against an independent brute-force ISO calendar over 2000..=2099.

use std::collections::BTreeMap;

use orm_runtime::bucketing::{WeekCodeError, iso_weeks_in_year, week_code, week_index};

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn month_days(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Walks the calendar one day at a time from 1970-01-01 (a Thursday) and records, for every
/// Monday whose ISO week falls in 2000..=2099, its (ISO year, ISO week) → unix day. The ISO
/// year of a week is the calendar year of its Thursday; weeks are numbered from 1 in order.
fn brute_force_weeks() -> BTreeMap<(i32, u32), i64> {
    let mut out = BTreeMap::new();
    let (mut year, mut month, mut day) = (1970i32, 1u32, 1u32);
    let mut unix_day = 0i64;
    let mut weekday = 3u32; // Monday = 0, 1970-01-01 is a Thursday
    // Days of all Mondays, with the calendar year of the Thursday three days later.
    let mut mondays: Vec<i64> = Vec::new();
    let mut thursday_years: BTreeMap<i64, i32> = BTreeMap::new();
    while year <= 2101 {
        if weekday == 0 {
            mondays.push(unix_day);
        }
        if weekday == 3 {
            thursday_years.insert(unix_day, year);
        }
        unix_day += 1;
        weekday = (weekday + 1) % 7;
        day += 1;
        if day > month_days(year, month) {
            day = 1;
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
        }
    }
    let mut current_year = 0;
    let mut week = 0;
    for monday in mondays {
        let Some(&iso_year) = thursday_years.get(&(monday + 3)) else {
            continue;
        };
        if iso_year != current_year {
            current_year = iso_year;
            week = 0;
        }
        week += 1;
        if (2000..=2099).contains(&iso_year) {
            out.insert((iso_year, week), monday);
        }
    }
    out
}

#[test]
fn all_codes_match_brute_force() {
    let weeks = brute_force_weeks();
    let mut per_year: BTreeMap<i32, u32> = BTreeMap::new();
    for (&(year, week), &monday) in &weeks {
        let code = (year - 2000) * 100 + week as i32;
        assert_eq!(week_index(code), Ok(monday.div_euclid(7)), "code {code}");
        assert_eq!(week_code(monday.div_euclid(7)), Ok(code), "index of {code}");
        *per_year.entry(year).or_default() += 1;
    }
    assert_eq!(per_year.len(), 100);
    for (&year, &count) in &per_year {
        assert_eq!(iso_weeks_in_year(year), count, "{year}");
        assert!(count == 52 || count == 53);
        let yy = year - 2000;
        assert_eq!(
            week_index(yy * 100),
            Err(WeekCodeError::WeekZero { code: yy * 100 })
        );
        for ww in count + 1..=99 {
            let code = yy * 100 + ww as i32;
            assert!(
                matches!(week_index(code), Err(WeekCodeError::WeekOutOfRange { .. })),
                "{code} must be rejected"
            );
        }
    }
    assert_eq!(iso_weeks_in_year(2025), 52);
    assert_eq!(iso_weeks_in_year(2026), 53);
}

#[test]
fn indexes_are_consecutive() {
    let weeks = brute_force_weeks();
    let indexes: Vec<i64> = weeks.values().map(|d| d.div_euclid(7)).collect();
    for pair in indexes.windows(2) {
        assert_eq!(pair[1], pair[0] + 1);
    }
    let (first, last) = (indexes[0], indexes[indexes.len() - 1]);
    assert!(week_code(first - 1).is_err());
    assert!(week_code(last + 1).is_err());
}

#[test]
fn invalid_codes_never_panic_and_explain() {
    for code in [i32::MIN, -1, 10_000, 12_345, i32::MAX] {
        let err = week_index(code).unwrap_err();
        assert!(err.to_string().contains(&code.to_string()), "{err}");
    }
    for index in [i64::MIN, -1, 0, 1, i64::MAX] {
        let err = week_code(index).unwrap_err();
        assert!(err.to_string().contains(&index.to_string()), "{err}");
    }
}
