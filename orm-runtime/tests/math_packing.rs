//! Packed layouts: validation, order, range predicates and exactness.

use orm_runtime::packing::{
    LayoutError, PackError, PackedLayout, PackedOutput, PackedRange, count_values, trim, values,
};
use proptest::prelude::*;

fn digits(v: i64) -> u32 {
    v.unsigned_abs().checked_ilog10().unwrap_or(0) + 1
}

/// A random valid layout: output type and trailing decimal sizes.
fn layout_strategy() -> impl Strategy<Value = PackedLayout> {
    (prop::bool::ANY, 1usize..=4)
        .prop_flat_map(|(int32, trailing)| {
            let max = if int32 { 8u32 } else { 18 };
            (Just(int32), prop::collection::vec(1u32..=max, trailing))
                .prop_filter("fits the budget", move |(_, sizes)| {
                    sizes.iter().sum::<u32>() <= max
                })
        })
        .prop_map(|(int32, sizes)| {
            let output = if int32 {
                PackedOutput::Int32
            } else {
                PackedOutput::Int64
            };
            let mut decl = vec![None];
            decl.extend(sizes.into_iter().map(Some));
            PackedLayout::new(output, &decl).expect("valid layout")
        })
}

/// A component value: mostly near digit-count boundaries of the slot, sometimes anything.
fn component(width: u32) -> impl Strategy<Value = i64> {
    let w = width.min(17);
    prop_oneof![
        0i64..1000,
        (0u32..=(w + 2).min(18), -3i64..=3).prop_map(|(d, off)| (10i64.pow(d) + off).max(0)),
        0i64..10i64.pow(w + 1),
        0i64..=i64::MAX,
    ]
}

/// A row whose first component fits its slot, so that packing succeeds.
fn row_for(layout: PackedLayout) -> impl Strategy<Value = Vec<i64>> {
    let widths = layout.slot_widths().to_vec();
    let first_max = 10i64.pow(widths[0]) - 1;
    let first = prop_oneof![0i64..=first_max.min(3), 0i64..=first_max];
    let rest: Vec<_> = widths[1..].iter().map(|&w| component(w)).collect();
    (first, rest).prop_map(|(f, rest)| {
        let mut row = vec![f];
        row.extend(rest);
        row
    })
}

fn matches_predicate(row: &[i64], prefix: &[i64], lo: i64, hi: i64) -> bool {
    row.iter().zip(prefix).all(|(a, b)| a == b) && (lo..=hi).contains(&row[prefix.len()])
}

fn check_ranges_shape(ranges: &[PackedRange], max: i64) {
    for r in ranges {
        assert!(0 <= r.lo && r.lo <= r.hi && r.hi <= max, "{r:?}");
    }
    for pair in ranges.windows(2) {
        assert!(
            i128::from(pair[0].hi) + 1 < i128::from(pair[1].lo),
            "merged: {pair:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn packing_preserves_order_within_a_digit_count(
        (layout, row, index, other) in layout_strategy()
            .prop_flat_map(|l| (Just(l), row_for(l), 0..l.components()))
            .prop_flat_map(|(l, row, i)| {
                let w = l.slot_widths()[i];
                (Just(l), Just(row), Just(i), component(w))
            })
    ) {
        let mut a = row.clone();
        let mut b = row.clone();
        a[index] = row[index].min(other);
        b[index] = row[index].max(other);
        prop_assume!(index == 0 || digits(a[index]) == digits(b[index]));
        if let (Ok(pa), Ok(pb)) = (layout.pack(&a), layout.pack(&b)) {
            prop_assert!(pa <= pb, "{a:?} -> {pa}, {b:?} -> {pb}");
            if index == 0 && a[0] < b[0] {
                prop_assert!(pa < pb);
            }
        }
    }

    #[test]
    fn every_matching_row_is_inside_the_ranges(
        (layout, row, prefix_len) in layout_strategy()
            .prop_flat_map(|l| (Just(l), row_for(l), 0..l.components())),
        below in prop_oneof![Just(0i64), 0i64..20, 0i64..=i64::MAX],
        above in prop_oneof![Just(0i64), 0i64..20, 0i64..1000, 0i64..=i64::MAX],
        open_low in prop::bool::weighted(0.1),
        open_high in prop::bool::weighted(0.1),
        others in prop::collection::vec(0i64..=i64::MAX, 8),
    ) {
        let Ok(packed) = layout.pack(&row) else { return Ok(()) };
        let prefix = &row[..prefix_len];
        let v = row[prefix_len];
        let lo = if open_low { i64::MIN } else { v.saturating_sub(below) };
        let hi = if open_high { i64::MAX } else { v.saturating_add(above) };
        let ranges = layout.ranges(prefix, lo..=hi).unwrap();
        check_ranges_shape(&ranges, layout.output().max_value());
        prop_assert!(ranges.iter().any(|r| r.contains(packed)), "{row:?} -> {packed} not in {ranges:?}");
        // Exactness is sound: rows inside the ranges match when is_exact says so. Try rows
        // differing from the matching one in one component.
        if layout.is_exact(prefix, lo..=hi).unwrap() {
            for (i, &o) in others.iter().enumerate() {
                let mut other = row.clone();
                let c = i % row.len();
                other[c] = if i % 2 == 0 { o } else { trim(o, 3).max(0) };
                if let Ok(p) = layout.pack(&other)
                    && ranges.iter().any(|r| r.contains(p))
                {
                    prop_assert!(matches_predicate(&other, prefix, lo, hi),
                        "exact claimed but {other:?} ({p}) matches the ranges {ranges:?}");
                }
            }
        }
        // Small range lists enumerate to distinct values, in order.
        if count_values(&ranges) <= 64 {
            let all: Vec<i64> = values(&ranges).collect();
            prop_assert_eq!(all.len() as u64, count_values(&ranges));
            prop_assert!(all.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(all.contains(&packed));
        }
    }

    #[test]
    fn pack_never_panics(
        layout in layout_strategy(),
        row in prop::collection::vec(any::<i64>(), 0..6),
    ) {
        match layout.pack(&row) {
            Ok(p) => {
                prop_assert!(p >= 0 && p <= layout.output().max_value());
                prop_assert_eq!(row.len(), layout.components());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let n = row.len().min(layout.components());
        let _ = layout.ranges(&row[..n.saturating_sub(1)], ..);
        let _ = layout.ranges(&row, i64::MIN..=i64::MAX);
        let _ = layout.is_exact(&row, ..=-1);
    }

    #[test]
    fn trim_keeps_leading_digits(v in any::<i64>(), n in 0u32..25) {
        let t = trim(v, n);
        if n == 0 {
            prop_assert_eq!(t, 0);
        } else if digits(v) <= n {
            prop_assert_eq!(t, v);
        } else {
            prop_assert_eq!(digits(t), n);
            prop_assert!(v.unsigned_abs().to_string().starts_with(&t.unsigned_abs().to_string()));
            prop_assert_eq!(t.signum(), v.signum());
        }
    }
}

#[test]
fn layout_validation() {
    use PackedOutput::*;
    assert_eq!(
        PackedLayout::new(Int32, &[None]),
        Err(LayoutError::TooFewComponents { count: 1 })
    );
    assert_eq!(
        PackedLayout::new(Int32, &[]),
        Err(LayoutError::TooFewComponents { count: 0 })
    );
    assert_eq!(
        PackedLayout::new(Int64, &[Some(3), Some(8)]),
        Err(LayoutError::FirstHasDecimalSize { size: 3 })
    );
    assert_eq!(
        PackedLayout::new(Int64, &[None, Some(3), None]),
        Err(LayoutError::MissingDecimalSize { index: 2 })
    );
    assert_eq!(
        PackedLayout::new(Int64, &[None, Some(0)]),
        Err(LayoutError::ZeroDecimalSize { index: 1 })
    );
    assert!(matches!(
        PackedLayout::new(Int32, &[None, Some(4), Some(5)]),
        Err(LayoutError::TooManyDigits { sum: 9, max: 8, .. })
    ));
    assert!(matches!(
        PackedLayout::new(Int64, &[None, Some(u32::MAX), Some(u32::MAX)]),
        Err(LayoutError::TooManyDigits {
            sum: u32::MAX,
            max: 18,
            ..
        })
    ));
    let many = [Some(1); 30];
    let mut decl = vec![None];
    decl.extend_from_slice(&many);
    assert!(matches!(
        PackedLayout::new(Int64, &decl),
        Err(LayoutError::TooManyDigits { .. })
    ));
    decl.truncate(19);
    let layout = PackedLayout::new(Int64, &decl).unwrap();
    assert_eq!(layout.slot_widths(), &[1; 19]);
    assert_eq!(
        PackedLayout::new(Int32, &[None, Some(8)])
            .unwrap()
            .slot_widths(),
        &[1, 8]
    );
    assert_eq!(
        PackedLayout::new(Int64, &[None, Some(10), Some(8)])
            .unwrap()
            .slot_widths(),
        &[1, 10, 8]
    );
    assert_eq!(
        PackedLayout::new(Int64, &[None, Some(8)])
            .unwrap()
            .slot_widths(),
        &[11, 8]
    );
    for e in [
        LayoutError::TooFewComponents { count: 1 },
        LayoutError::MissingDecimalSize { index: 2 },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn pack_errors() {
    let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]).unwrap();
    assert_eq!(
        layout.pack(&[2]),
        Err(PackError::WrongComponentCount {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        layout.pack(&[2, 3, 4]),
        Err(PackError::WrongComponentCount {
            expected: 2,
            got: 3
        })
    );
    assert_eq!(
        layout.pack(&[-1, 3]),
        Err(PackError::NegativeComponent {
            index: 0,
            value: -1
        })
    );
    assert_eq!(
        layout.pack(&[1, i64::MIN]),
        Err(PackError::NegativeComponent {
            index: 1,
            value: i64::MIN
        })
    );
    assert_eq!(layout.pack(&[21, 47_483_647]), Ok(2_147_483_647));
    assert!(matches!(
        layout.pack(&[21, 47_483_648]),
        Err(PackError::OutOfRange { .. })
    ));
    assert!(matches!(
        layout.pack(&[i64::MAX, i64::MAX]),
        Err(PackError::OutOfRange { .. })
    ));
    let wide = PackedLayout::new(PackedOutput::Int64, &[None, Some(18)]).unwrap();
    assert!(matches!(
        wide.pack(&[9, i64::MAX]),
        Err(PackError::OutOfRange { .. })
    ));
    assert_eq!(wide.pack(&[9, 223_372_036_854_775_807]), Ok(i64::MAX));
    assert!(matches!(
        wide.pack(&[10, 0]),
        Err(PackError::OutOfRange { .. })
    ));
    assert_eq!(wide.pack(&[0, i64::MAX]), Ok(922_337_203_685_477_580));
}

#[test]
fn ranges_split_by_digit_count() {
    let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(2)]).unwrap();
    // 95..=99 keep two digits, 100..=120 trim to 10..=12.
    assert_eq!(
        layout.ranges(&[3], 95..=120).unwrap(),
        [
            PackedRange { lo: 310, hi: 312 },
            PackedRange { lo: 395, hi: 399 }
        ]
    );
    // Adjacent parts merge: 5..=9 and 10..=99.
    assert_eq!(
        layout.ranges(&[3], 5..=99).unwrap(),
        [PackedRange { lo: 305, hi: 399 }]
    );
    // Open above: everything from 5 up in status 3.
    assert_eq!(
        layout.ranges(&[3], 5..).unwrap(),
        [PackedRange { lo: 305, hi: 399 }]
    );
    // No prefix: a range on the first component covers whole slots.
    assert_eq!(
        layout.ranges(&[], 2..=3).unwrap(),
        [PackedRange { lo: 200, hi: 399 }]
    );
    // The first component is clipped to the int32 maximum.
    assert_eq!(
        layout.ranges(&[], 21_474_836..).unwrap(),
        [PackedRange {
            lo: 2_147_483_600,
            hi: 2_147_483_647
        }]
    );
    // Nothing storable matches: empty.
    assert_eq!(layout.ranges(&[-1], ..).unwrap(), []);
    assert_eq!(layout.ranges(&[21_474_837], ..).unwrap(), []);
    assert_eq!(
        layout
            .ranges(&[3], std::ops::RangeInclusive::new(10, 9))
            .unwrap(),
        []
    );
    assert_eq!(layout.ranges(&[3], ..0).unwrap(), []);
    assert_eq!(
        layout
            .ranges(
                &[3],
                (
                    std::ops::Bound::Excluded(i64::MAX),
                    std::ops::Bound::Unbounded
                )
            )
            .unwrap(),
        []
    );
    assert_eq!(
        layout.ranges(&[3, 4], ..),
        Err(PackError::PrefixTooLong {
            prefix: 2,
            components: 2
        })
    );
    // The genix example: status = 2 AND updated > 370598453 (n = 8).
    let genix = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]).unwrap();
    let r = genix
        .ranges(
            &[2],
            (
                std::ops::Bound::Excluded(370_598_453),
                std::ops::Bound::Unbounded,
            ),
        )
        .unwrap();
    assert_eq!(
        r,
        [PackedRange {
            lo: 210_000_000,
            hi: 299_999_999
        }]
    );
    assert!(!genix.is_exact(&[2], 370_598_454..).unwrap());
    assert_eq!(
        count_values(&[PackedRange {
            lo: 0,
            hi: i64::MAX
        }]),
        1 << 63
    );
}

#[test]
fn exactness() {
    let layout = PackedLayout::new(PackedOutput::Int64, &[None, Some(3), Some(2)]).unwrap();
    assert!(layout.is_exact(&[], 5..=7).unwrap());
    assert!(layout.is_exact(&[5], ..).unwrap());
    assert!(layout.is_exact(&[5], 0..=99).unwrap()); // fewer than 3 digits: never trimmed
    assert!(!layout.is_exact(&[5], 0..=100).unwrap()); // 100 also matches 1000..=1009
    assert!(layout.is_exact(&[5], 100..).unwrap()); // everything from 100 up
    assert!(!layout.is_exact(&[5], 101..).unwrap()); // 1000 trims to 100 < 101
    assert!(layout.is_exact(&[5, 99], ..).unwrap());
    assert!(!layout.is_exact(&[5, 100], ..).unwrap());
    assert!(layout.is_exact(&[5, 99], 0..=9).unwrap());
    assert!(!layout.is_exact(&[5, 99], 0..=10).unwrap());
    assert!(layout.is_exact(&[-5], 0..=10).unwrap()); // nothing is read
    assert!(layout.is_exact(&[5, 99, 3], ..).is_err());
}

#[test]
fn ranges_and_exactness_exhaustive_on_a_small_domain() {
    let layout = PackedLayout::new(PackedOutput::Int64, &[None, Some(2), Some(1)]).unwrap();
    let firsts = [0i64, 1, 2];
    let seconds = [
        0i64, 1, 5, 9, 10, 11, 12, 99, 100, 101, 105, 120, 999, 1000, 1005, 1200, 12345,
    ];
    let thirds = [0i64, 1, 9, 10, 11, 99, 100];
    let mut rows = Vec::new();
    for &a in &firsts {
        for &b in &seconds {
            for &c in &thirds {
                let row = vec![a, b, c];
                let packed = layout.pack(&row).unwrap();
                rows.push((row, packed));
            }
        }
    }
    let bounds = [
        i64::MIN,
        0,
        1,
        5,
        9,
        10,
        11,
        12,
        99,
        100,
        101,
        120,
        999,
        1000,
        1200,
        i64::MAX,
    ];
    let mut prefixes: Vec<Vec<i64>> = vec![vec![]];
    prefixes.extend(firsts.iter().map(|&a| vec![a]));
    for &a in &firsts {
        prefixes.extend(seconds.iter().map(|&b| vec![a, b]));
    }
    let mut exact_count = 0;
    for prefix in &prefixes {
        for (i, &lo) in bounds.iter().enumerate() {
            for &hi in &bounds[i..] {
                let ranges = layout.ranges(prefix, lo..=hi).unwrap();
                let exact = layout.is_exact(prefix, lo..=hi).unwrap();
                exact_count += usize::from(exact);
                for (row, packed) in &rows {
                    let inside = ranges.iter().any(|r| r.contains(*packed));
                    let matches = matches_predicate(row, prefix, lo, hi);
                    assert!(
                        !matches || inside,
                        "{row:?} matches {prefix:?} [{lo}, {hi}] but is outside {ranges:?}"
                    );
                    assert!(
                        !exact || !inside || matches,
                        "{row:?} inside {ranges:?} but does not match {prefix:?} [{lo}, {hi}] (claimed exact)"
                    );
                }
            }
        }
    }
    assert!(exact_count > 100, "exactness is not vacuous: {exact_count}");
}
