//! Bad input never panics: proptest over the whole input space of the public math surfaces
//! (the coverage planner, bucket ids, week codes, packed layouts and ranges). Every call
//! returns `Ok` or an error whose message is non-empty and names the offending value.
//!
//! The other suites check that the results are *right*; this one only feeds arbitrary input
//! (extremes, zeros, negatives, empty and oversized slices) and checks the failure contract.

use std::ops::Bound;

use orm_runtime::bucketing::{
    Bucket, PlanError, PlanLimits, bucket_id, checked_bucket_id, composite_hash, iso_weeks_in_year,
    plan_coverage, week_code, week_index,
};
use orm_runtime::packing::{PackedLayout, PackedOutput, count_values, trim, values};
use proptest::prelude::*;

/// i64s biased towards the edges, where overflow bugs live.
fn edgy_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => any::<i64>(),
        2 => -1000i64..1000,
        1 => prop::sample::select(vec![
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::MAX - 1,
            0,
            -1,
            1,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
        ]),
    ]
}

fn edgy_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 0u32..16,
        1 => any::<u32>(),
        1 => prop::sample::select(vec![0, 1, u32::MAX, u32::MAX - 1, 1 << 31]),
    ]
}

fn edgy_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        2 => any::<i32>(),
        2 => -100i32..10_000,
        1 => prop::sample::select(vec![i32::MIN, i32::MAX, 0, -1, 9999, 10_000, 100, 153, 9953]),
    ]
}

fn assert_message(msg: &str, mentions: &[String]) {
    assert!(!msg.trim().is_empty(), "empty error message");
    assert!(
        mentions.iter().any(|m| msg.contains(m.as_str())),
        "error message {msg:?} names none of {mentions:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn planner_never_panics(
        from in edgy_i64(),
        span in prop_oneof![3 => 0i64..600, 1 => edgy_i64()],
        sizes in prop::collection::vec(edgy_u32(), 0..6),
        waste in prop::option::of(prop_oneof![0u64..64, Just(u64::MAX)]),
        cap in prop_oneof![0usize..80, Just(usize::MAX)],
    ) {
        let to = from.wrapping_add(span);
        let mut limits = PlanLimits::new().with_max_statements(cap);
        limits.max_waste = waste;
        match plan_coverage(from, to, &sizes, &limits) {
            Ok(plan) => {
                // A returned plan covers the range within the limits.
                prop_assert!(plan.statements() <= cap);
                prop_assert_eq!(plan.range(), (from, to));
                let covered = plan
                    .buckets()
                    .iter()
                    .any(|b| b.contains(from))
                    && plan.buckets().iter().any(|b| b.contains(to));
                prop_assert!(covered, "{plan:?}");
            }
            Err(e) => {
                let msg = e.to_string();
                let mentions: Vec<String> = match &e {
                    PlanError::InvertedRange { .. }
                    | PlanError::TooManyStatements { .. }
                    | PlanError::RangeTooLarge { .. }
                    | PlanError::PlanTooLarge { .. }
                    | PlanError::Internal { .. } => vec![from.to_string(), to.to_string()],
                    PlanError::NoSizes => vec!["size".into()],
                    PlanError::ZeroSize => vec!["0".into()],
                    PlanError::DuplicateSize { size } => vec![size.to_string()],
                };
                assert_message(&msg, &mentions);
                prop_assert!(!matches!(e, PlanError::Internal { .. }), "{msg}");
            }
        }
    }

    #[test]
    fn bucket_math_never_panics(basis in edgy_i64(), size in edgy_u32(), values in prop::collection::vec(edgy_i64(), 0..8)) {
        let _ = composite_hash(&values);
        match checked_bucket_id(basis, size) {
            Some(id) => {
                prop_assert_eq!(bucket_id(basis, size), id);
                let b = Bucket::containing(basis, size).expect("same domain as checked_bucket_id");
                prop_assert!(b.contains(basis));
                prop_assert!(b.first() <= basis && basis <= b.last());
            }
            None => prop_assert!(size == 0 || Bucket::containing(basis, size).is_none()),
        }
    }

    #[test]
    fn week_codes_never_panic(code in edgy_i32(), index in edgy_i64(), year in edgy_i32()) {
        let _ = iso_weeks_in_year(year);
        match week_index(code) {
            Ok(i) => prop_assert_eq!(week_code(i), Ok(code)),
            Err(e) => assert_message(&e.to_string(), &[code.to_string()]),
        }
        match week_code(index) {
            Ok(c) => prop_assert_eq!(week_index(c), Ok(index)),
            Err(e) => assert_message(&e.to_string(), &[index.to_string()]),
        }
    }

    #[test]
    fn packed_layouts_never_panic(
        int64 in any::<bool>(),
        sizes in prop::collection::vec(prop::option::of(prop_oneof![3 => 0u32..12, 1 => any::<u32>()]), 0..24),
    ) {
        let output = if int64 { PackedOutput::Int64 } else { PackedOutput::Int32 };
        if let Err(e) = PackedLayout::new(output, &sizes) {
            let msg = e.to_string();
            prop_assert!(!msg.trim().is_empty());
        }
    }

    #[test]
    fn pack_and_ranges_never_panic(
        int64 in any::<bool>(),
        trailing in prop::collection::vec(1u32..7, 1..4),
        row in prop::collection::vec(edgy_i64(), 0..6),
        prefix_len in 0usize..6,
        lo in prop_oneof![Just(Bound::Unbounded), edgy_i64().prop_map(Bound::Included), edgy_i64().prop_map(Bound::Excluded)],
        hi in prop_oneof![Just(Bound::Unbounded), edgy_i64().prop_map(Bound::Included), edgy_i64().prop_map(Bound::Excluded)],
        digits in 0u32..40,
    ) {
        let _ = trim(row.first().copied().unwrap_or(0), digits);
        let output = if int64 { PackedOutput::Int64 } else { PackedOutput::Int32 };
        let mut sizes = vec![None];
        sizes.extend(trailing.iter().map(|&n| Some(n)));
        let Ok(layout) = PackedLayout::new(output, &sizes) else {
            return Ok(());
        };
        match layout.pack(&row) {
            Ok(v) => {
                prop_assert!(v >= 0 && v <= output.max_value());
                // The packed value lies in the ranges of its own exact prefix.
                let prefix = &row[..layout.components() - 1];
                let last = row[layout.components() - 1];
                let ranges = layout.ranges(prefix, last..=last).expect("valid prefix");
                prop_assert!(ranges.iter().any(|r| r.contains(v)), "{v} not in {ranges:?}");
            }
            Err(e) => {
                let mut mentions: Vec<String> = row.iter().map(i64::to_string).collect();
                mentions.push(row.len().to_string());
                assert_message(&e.to_string(), &mentions);
            }
        }
        let prefix = &row[..prefix_len.min(row.len())];
        match layout.ranges(prefix, (lo, hi)) {
            Ok(ranges) => {
                for w in ranges.windows(2) {
                    prop_assert!(w[0].hi < w[1].lo, "{ranges:?}");
                }
                let n = count_values(&ranges);
                if n <= 64 {
                    prop_assert_eq!(values(&ranges).count() as u64, n);
                }
                let _ = layout.is_exact(prefix, (lo, hi));
            }
            Err(e) => assert_message(&e.to_string(), &[prefix.len().to_string(), layout.components().to_string()]),
        }
    }
}
