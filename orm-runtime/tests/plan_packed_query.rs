//! Packed-index query plans: the design example, both backings, truncation, digit-count
//! boundaries, IN combinations, errors, and the completeness property (no matching row can be
//! missed).

use orm_runtime::packing::{
    PackedBacking, PackedDefError, PackedIndexDef, PackedLayout, PackedOutput, PackedPredicate,
    PackedQuery, PackedQueryError, PackedQueryPlan, PackedRange, PackedStrategy,
};
use proptest::prelude::*;

const STATUS_UPDATED: PackedLayout = match PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])
{
    Ok(layout) => layout,
    Err(_) => panic!("invalid layout"),
};

/// The design example on a local index (the genix default).
static LOCAL: PackedIndexDef = PackedIndexDef {
    name: "status_updated",
    components: &["status", "updated"],
    layout: STATUS_UPDATED,
    backing: PackedBacking::LocalIndex,
    max_statements: None,
};

/// The same on a materialized view.
static VIEW: PackedIndexDef = PackedIndexDef {
    backing: PackedBacking::View,
    ..LOCAL
};

/// Three components, int64: a (width 9), b (4), c (6).
static THREE: PackedIndexDef = PackedIndexDef {
    name: "a_b_c",
    components: &["a", "b", "c"],
    layout: match PackedLayout::new(PackedOutput::Int64, &[None, Some(4), Some(6)]) {
        Ok(layout) => layout,
        Err(_) => panic!("invalid layout"),
    },
    backing: PackedBacking::View,
    max_statements: None,
};

const _: () = assert!(LOCAL.validate().is_ok());
const _: () = assert!(THREE.validate().is_ok());
const _: () = assert!(LOCAL.is_hidden_column("zz_ixp_status_updated"));
const _: () =
    assert!(LOCAL.is_local_index_name("sale_order", "sale_order__zz_ixp_status_updated_index_1"));
const _: () = assert!(VIEW.is_view_name("sale_order", "sale_order__zz_ixp_status_updated_view"));

const X: i64 = 370_598_453;

fn r(lo: i64, hi: i64) -> PackedRange {
    PackedRange { lo, hi }
}

/// Whether the plan reads `packed`.
fn covers(plan: &PackedQueryPlan, packed: i64) -> bool {
    match plan.strategy() {
        PackedStrategy::Lookups { values } => values.contains(&packed),
        PackedStrategy::Slices { ranges } | PackedStrategy::FilteringScan { ranges } => {
            ranges.iter().any(|r| r.contains(packed))
        }
    }
}

#[test]
fn design_example_and_names() {
    assert_eq!(LOCAL.packed_value(&[2, X]), Ok(237_059_845));
    assert_eq!(LOCAL.hidden_column(), "zz_ixp_status_updated");
    assert_eq!(LOCAL.cql_type(), "int");
    assert_eq!(THREE.cql_type(), "bigint");
    assert_eq!(
        LOCAL.local_index_name("sale_order"),
        "sale_order__zz_ixp_status_updated_index_1"
    );
    assert_eq!(
        VIEW.view_name("sale_order"),
        "sale_order__zz_ixp_status_updated_view"
    );
    assert!(!LOCAL.is_hidden_column("zz_ixp_status"));
    assert!(!LOCAL.is_local_index_name("sale_order", "sale_order__zz_ixp_status_updated_index_0"));
    assert!(!LOCAL.is_view_name("sale_orde", "sale_order__zz_ixp_status_updated_view"));
    assert!(LOCAL.packed_value(&[2]).is_err());
    assert!(LOCAL.packed_value(&[22, 0]).is_err());
}

#[test]
fn equality_lookups() {
    for def in [&LOCAL, &VIEW] {
        let plan = def
            .plan(&PackedQuery::new().eq("status", 2).eq("updated", X))
            .unwrap();
        assert_eq!(
            plan.strategy(),
            &PackedStrategy::Lookups {
                values: vec![237_059_845]
            }
        );
        assert_eq!(plan.statements(), 1);
        // X has 9 digits, more than decimal_size 8: 370598450..=370598459 share the value.
        assert!(plan.needs_post_filter());
        assert!(plan.matches(&[2, X]));
        assert!(!plan.matches(&[2, X + 1]));
        assert_eq!(def.packed_value(&[2, X + 1]), Ok(237_059_845));
        // A short value is stored exactly: no post-filter.
        let plan = def
            .plan(&PackedQuery::new().eq("status", 2).eq("updated", 1_234_567))
            .unwrap();
        assert!(!plan.needs_post_filter());
        assert_eq!(
            plan.strategy(),
            &PackedStrategy::Lookups {
                values: vec![201_234_567]
            }
        );
    }
    // IN combinations: 2 × 3, two of which pack to the same value.
    let plan = LOCAL
        .plan(
            &PackedQuery::new()
                .in_("status", [1, 2])
                .in_("updated", [5, X, X + 1]),
        )
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Lookups {
            values: vec![100_000_005, 137_059_845, 200_000_005, 237_059_845]
        }
    );
    assert!(plan.needs_post_filter());
    assert!(plan.matches(&[1, X + 1]) && !plan.matches(&[1, X + 2]) && !plan.matches(&[3, 5]));
    // WHERE fragment and explain.
    assert_eq!(
        plan.strategy().where_fragment("zz_ixp_status_updated"),
        "zz_ixp_status_updated = ?"
    );
    let text = plan.to_string();
    for needle in [
        "packed index status_updated (zz_ixp_status_updated int, local index, slot widths [1, 8])",
        "4 equality lookups (zz_ixp_status_updated = ?)",
        "values: 100000005, 137059845, 200000005, 237059845",
        "post-filter: yes",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn greater_than_on_both_backings() {
    let q = PackedQuery::new().eq("status", 2).gt("updated", X);
    // 9-digit values above X trim to 37059845..=99999999; 10+ digit values to 10000000..=99999999.
    let expected = vec![r(210_000_000, 299_999_999)];
    let view = VIEW.plan(&q).unwrap();
    assert_eq!(
        view.strategy(),
        &PackedStrategy::Slices {
            ranges: expected.clone()
        }
    );
    assert!(view.reads_view() && !view.allow_filtering());
    assert_eq!(view.read_from("t"), "t__zz_ixp_status_updated_view");
    assert!(view.needs_post_filter());
    // Rows sharing X's packed value: only those above X match.
    assert!(!view.matches(&[2, X]) && view.matches(&[2, X + 1]));
    assert!(covers(&view, LOCAL.packed_value(&[2, X]).unwrap()));
    assert!(
        view.matches(&[2, 10_000_000_000])
            && covers(&view, LOCAL.packed_value(&[2, 10_000_000_000]).unwrap())
    );
    assert!(!view.matches(&[2, 99_999_999]));
    let text = view.to_string();
    assert!(text.contains("1 clustering slice (zz_ixp_status_updated >= ? AND zz_ixp_status_updated <= ?) on the view"), "{text}");
    assert!(text.contains("ranges: [210000000, 299999999]"), "{text}");

    // The local index cannot serve the range: 90 million values.
    let err = LOCAL.plan(&q).unwrap_err();
    assert_eq!(
        err,
        PackedQueryError::RangeTooWide {
            values: 90_000_000,
            max_statements: 64,
            index: "status_updated"
        }
    );
    let msg = err.to_string();
    for needle in [
        "90000000 packed values",
        "64",
        "`view`",
        ".allow_filtering()",
        "5547",
    ] {
        assert!(msg.contains(needle), "{msg}");
    }
    let scan = LOCAL.plan(&q.clone().allow_filtering()).unwrap();
    assert_eq!(
        scan.strategy(),
        &PackedStrategy::FilteringScan { ranges: expected }
    );
    assert!(scan.allow_filtering() && !scan.reads_view());
    assert_eq!(scan.read_from("t"), "t");
    assert!(scan.needs_post_filter());
    assert!(
        scan.to_string().contains("1 ALLOW FILTERING read"),
        "{scan}"
    );
    // allow_filtering does not change a view plan.
    assert_eq!(
        VIEW.plan(&q.clone().allow_filtering()).unwrap().strategy(),
        view.strategy()
    );
}

#[test]
fn between_on_both_backings() {
    let q = PackedQuery::new()
        .eq("status", 2)
        .between("updated", X, X + 7);
    let view = VIEW.plan(&q).unwrap();
    assert_eq!(
        view.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(237_059_845, 237_059_846)]
        }
    );
    let local = LOCAL.plan(&q).unwrap();
    assert_eq!(
        local.strategy(),
        &PackedStrategy::Lookups {
            values: vec![237_059_845, 237_059_846]
        }
    );
    for plan in [&view, &local] {
        assert!(plan.needs_post_filter());
        for updated in X - 10..X + 20 {
            let expected = (X..=X + 7).contains(&updated);
            assert_eq!(plan.matches(&[2, updated]), expected, "{updated}");
            if expected {
                assert!(covers(plan, LOCAL.packed_value(&[2, updated]).unwrap()));
            }
        }
    }
    // Ge / Lte / Lt forms are inclusive integer bounds.
    let a = VIEW
        .plan(
            &PackedQuery::new()
                .eq("status", 2)
                .ge("updated", X)
                .lt("updated", X + 8),
        )
        .unwrap();
    assert_eq!(a.strategy(), view.strategy());
    let b = VIEW
        .plan(
            &PackedQuery::new()
                .eq("status", 2)
                .gt("updated", X - 1)
                .le("updated", X + 7),
        )
        .unwrap();
    assert_eq!(b.strategy(), view.strategy());
    // Exact when the values stay short.
    let short = VIEW
        .plan(
            &PackedQuery::new()
                .eq("status", 2)
                .between("updated", 10, 20),
        )
        .unwrap();
    assert!(!short.needs_post_filter());
    assert_eq!(
        short.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(200_000_010, 200_000_020)]
        }
    );
    assert!(short.to_string().contains("post-filter: no"));
}

#[test]
fn digit_count_boundary() {
    // 99_999_990..=99_999_999 have 8 digits (stored exactly); 100_000_000..=100_000_010 have 9
    // and trim to 10_000_000..=10_000_001.
    let q = PackedQuery::new()
        .eq("status", 2)
        .between("updated", 99_999_990, 100_000_010);
    let view = VIEW.plan(&q).unwrap();
    assert_eq!(
        view.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(210_000_000, 210_000_001), r(299_999_990, 299_999_999)]
        }
    );
    let local = LOCAL.plan(&q).unwrap();
    let PackedStrategy::Lookups { values } = local.strategy() else {
        panic!("expected lookups, got {local}");
    };
    assert_eq!(values.len(), 12);
    for plan in [&view, &local] {
        assert!(plan.needs_post_filter());
        for updated in 99_999_980..=100_000_030 {
            let expected = (99_999_990..=100_000_010).contains(&updated);
            assert_eq!(plan.matches(&[2, updated]), expected);
            if expected {
                assert!(
                    covers(plan, LOCAL.packed_value(&[2, updated]).unwrap()),
                    "{updated}"
                );
            }
        }
        // 100_000_011 shares 100_000_010's packed value but is filtered out.
        assert!(covers(plan, LOCAL.packed_value(&[2, 100_000_011]).unwrap()));
        assert!(!plan.matches(&[2, 100_000_011]));
    }
}

#[test]
fn prefix_and_first_component_ranges() {
    // status = 2 alone: the whole status slot, exact.
    let q = PackedQuery::new().eq("status", 2);
    let view = VIEW.plan(&q).unwrap();
    assert_eq!(
        view.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(200_000_000, 299_999_999)]
        }
    );
    assert!(!view.needs_post_filter());
    assert!(matches!(
        LOCAL.plan(&q),
        Err(PackedQueryError::RangeTooWide {
            values: 100_000_000,
            ..
        })
    ));
    assert!(matches!(
        LOCAL.plan(&q.clone().allow_filtering()).unwrap().strategy(),
        PackedStrategy::FilteringScan { .. }
    ));
    // status IN (1, 3): two slices.
    let plan = VIEW
        .plan(&PackedQuery::new().in_("status", [3, 1]))
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(100_000_000, 199_999_999), r(300_000_000, 399_999_999)]
        }
    );
    // status IN (1, 2): adjacent slices merge.
    let plan = VIEW
        .plan(&PackedQuery::new().in_("status", [1, 2]))
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(100_000_000, 299_999_999)]
        }
    );
    // A range on the first component.
    let plan = VIEW
        .plan(&PackedQuery::new().between("status", 1, 3))
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(100_000_000, 399_999_999)]
        }
    );
    assert!(!plan.needs_post_filter());
    assert!(plan.matches(&[3, 7]) && !plan.matches(&[4, 7]));
    // status > 20 on int32: only 21 fits (21 × 10^8 + ... <= i32::MAX).
    let plan = VIEW.plan(&PackedQuery::new().gt("status", 20)).unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(2_100_000_000, i64::from(i32::MAX))]
        }
    );
    // IN on the prefix with a range: one range per combination.
    let plan = VIEW
        .plan(
            &PackedQuery::new()
                .in_("status", [1, 2, 3])
                .between("updated", 10, 20),
        )
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![
                r(100_000_010, 100_000_020),
                r(200_000_010, 200_000_020),
                r(300_000_010, 300_000_020)
            ]
        }
    );
    let plan = LOCAL
        .plan(
            &PackedQuery::new()
                .in_("status", [1, 2, 3])
                .between("updated", 10, 20),
        )
        .unwrap();
    assert_eq!(plan.statements(), 33);
}

#[test]
#[allow(clippy::inconsistent_digit_grouping)] // grouped by slot: a, b (4), c (6)
fn three_components() {
    let plan = THREE
        .plan(
            &PackedQuery::new()
                .eq("a", 7)
                .in_("b", [12, 34])
                .between("c", 100, 199),
        )
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![
                r(7_0012_000100, 7_0012_000199),
                r(7_0034_000100, 7_0034_000199)
            ]
        }
    );
    assert!(!plan.needs_post_filter());
    // b = 12345 has 5 digits > 4: trimmed, post-filter.
    let plan = THREE
        .plan(&PackedQuery::new().eq("a", 7).eq("b", 12_345))
        .unwrap();
    assert_eq!(
        plan.strategy(),
        &PackedStrategy::Slices {
            ranges: vec![r(7_1234_000000, 7_1234_999999)]
        }
    );
    assert!(plan.needs_post_filter());
    assert!(plan.matches(&[7, 12_345, 5]) && !plan.matches(&[7, 12_346, 5]));
    // Not a prefix: c constrained after a range on b, or b skipped.
    let err = THREE
        .plan(&PackedQuery::new().eq("a", 7).gt("b", 1).eq("c", 3))
        .unwrap_err();
    assert!(
        matches!(
            err,
            PackedQueryError::NotAPrefix {
                column: "c",
                gap: "b",
                gap_state: "ranged",
                ..
            }
        ),
        "{err:?}"
    );
    let err = THREE
        .plan(&PackedQuery::new().eq("a", 7).eq("c", 3))
        .unwrap_err();
    assert!(matches!(
        err,
        PackedQueryError::NotAPrefix {
            column: "c",
            gap: "b",
            gap_state: "unconstrained",
            ..
        }
    ));
    assert!(err.to_string().contains("(a, b, c)"), "{err}");
    let err = LOCAL
        .plan(&PackedQuery::new().gt("updated", 5))
        .unwrap_err();
    assert!(matches!(
        err,
        PackedQueryError::NotAPrefix {
            column: "updated",
            gap: "status",
            ..
        }
    ));
}

#[test]
fn huge_in_lists_fail_fast() {
    let start = std::time::Instant::now();
    let q = PackedQuery::new()
        .in_("status", 0..200_000)
        .in_("status", (0..200_000).rev())
        .eq("updated", 1);
    assert!(matches!(
        VIEW.plan(&q),
        Err(PackedQueryError::TooManyStatements {
            statements: 200_000,
            ..
        })
    ));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn errors() {
    let e = |q: PackedQuery| VIEW.plan(&q).unwrap_err();
    let err = e(PackedQuery::new().eq("status", 2).eq("customer", 1));
    assert!(matches!(
        err,
        PackedQueryError::UnknownColumn {
            column: "customer",
            ..
        }
    ));
    assert!(err.to_string().contains("status, updated"), "{err}");
    assert!(matches!(
        e(PackedQuery::new()),
        PackedQueryError::NoPredicate { .. }
    ));
    for q in [
        PackedQuery::new().in_("status", []),
        PackedQuery::new().eq("status", 1).eq("status", 2),
        PackedQuery::new().eq("status", -1),
        PackedQuery::new().eq("status", 2).between("updated", 5, 4),
        PackedQuery::new().eq("status", 2).gt("updated", i64::MAX),
        PackedQuery::new().eq("status", 2).lt("updated", i64::MIN),
        PackedQuery::new().eq("status", 2).lt("updated", 0),
        PackedQuery::new().eq("status", 30).eq("updated", 1), // packs beyond int32
        PackedQuery::new().eq("status", 30),
        PackedQuery::new().between("status", 1, 3).eq("status", 5),
    ] {
        let err = e(q.clone());
        assert!(
            matches!(err, PackedQueryError::MatchesNothing { .. }),
            "{q:?}: {err:?}"
        );
        assert!(err.to_string().contains("returns nothing"));
    }
    // Too many IN values for the cap.
    let err = e(PackedQuery::new()
        .in_("status", 0..10)
        .in_("updated", 0..10));
    assert_eq!(
        err,
        PackedQueryError::TooManyStatements {
            index: "status_updated",
            statements: 100,
            what: "equality lookups",
            max_statements: 64
        }
    );
    assert!(err.to_string().contains("raise max_statements"));
    assert_eq!(
        VIEW.plan(
            &PackedQuery::new()
                .in_("status", 0..10)
                .in_("updated", 0..10)
                .max_statements(100)
        )
        .unwrap()
        .statements(),
        100
    );
    static CAPPED: PackedIndexDef = PackedIndexDef {
        max_statements: Some(2),
        ..VIEW
    };
    assert!(matches!(
        CAPPED.plan(&PackedQuery::new().in_("status", [1, 3, 5])),
        Err(PackedQueryError::TooManyStatements {
            statements: 3,
            what: "view slices",
            ..
        })
    ));
    static CAPPED_LOCAL: PackedIndexDef = PackedIndexDef {
        max_statements: Some(2),
        ..LOCAL
    };
    assert!(matches!(
        CAPPED_LOCAL.plan(
            &PackedQuery::new()
                .in_("status", [1, 3, 5])
                .allow_filtering()
        ),
        Err(PackedQueryError::TooManyStatements { statements: 3, .. })
    ));
    // A huge IN product is refused before being expanded.
    let err = e(PackedQuery::new()
        .in_("status", 0..1000)
        .in_("updated", 0..1000)
        .max_statements(usize::MAX));
    assert!(
        matches!(
            err,
            PackedQueryError::TooManyStatements {
                statements: 1_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    // Definition mismatch.
    static BAD: PackedIndexDef = PackedIndexDef {
        components: &["status"],
        ..LOCAL
    };
    assert!(matches!(
        BAD.plan(&PackedQuery::new().eq("status", 1)),
        Err(PackedQueryError::InvalidDefinition(
            PackedDefError::ComponentCount {
                components: 1,
                layout: 2,
                ..
            }
        ))
    ));
    static TWICE: PackedIndexDef = PackedIndexDef {
        components: &["status", "status"],
        ..LOCAL
    };
    assert!(matches!(
        TWICE.plan(&PackedQuery::new().eq("status", 1)),
        Err(PackedQueryError::InvalidDefinition(
            PackedDefError::DuplicateComponent {
                column: "status",
                ..
            }
        ))
    ));
    static EMPTY: PackedIndexDef = PackedIndexDef {
        components: &["status", ""],
        ..LOCAL
    };
    assert!(matches!(
        EMPTY.validate(),
        Err(PackedDefError::EmptyComponent { position: 1, .. })
    ));
}

fn layout_strategy() -> impl Strategy<Value = PackedLayout> {
    (prop::bool::ANY, 1usize..=3)
        .prop_flat_map(|(int32, trailing)| {
            let max = if int32 { 8u32 } else { 18 };
            (
                Just(int32),
                prop::collection::vec(1u32..=max.min(9), trailing),
            )
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

/// A component value near the digit-count boundaries of its slot, or anything.
fn component(width: u32) -> impl Strategy<Value = i64> {
    let w = width.min(17);
    prop_oneof![
        0i64..30,
        (0u32..=(w + 2).min(18), -3i64..=3).prop_map(|(d, off)| (10i64.pow(d) + off).max(0)),
        0i64..10i64.pow(w + 1),
        0i64..=i64::MAX,
    ]
}

const COLUMNS: [&str; 4] = ["c0", "c1", "c2", "c3"];

fn brute(row: &[i64], predicates: &[(usize, PackedPredicate)]) -> bool {
    predicates.iter().all(|(i, p)| {
        let v = row[*i];
        match p {
            PackedPredicate::Eq(x) => v == *x,
            PackedPredicate::In(xs) => xs.contains(&v),
            PackedPredicate::Gt(x) => v > *x,
            PackedPredicate::Gte(x) => v >= *x,
            PackedPredicate::Lt(x) => v < *x,
            PackedPredicate::Lte(x) => v <= *x,
            PackedPredicate::Between(a, b) => *a <= v && v <= *b,
        }
    })
}

/// A predicate around `v` (often true for it).
fn predicate_near(v: i64) -> impl Strategy<Value = (PackedPredicate, PackedPredicate)> {
    let near = prop_oneof![
        Just(v),
        (v.saturating_sub(20)..=v.saturating_add(20)),
        any::<i64>().prop_map(|x| x & i64::MAX)
    ];
    let range = (near.clone(), 0u8..5, 0i64..1_000_000).prop_map(|(x, op, span)| match op {
        0 => PackedPredicate::Gt(x.saturating_sub(1)),
        1 => PackedPredicate::Gte(x),
        2 => PackedPredicate::Lt(x.saturating_add(1)),
        3 => PackedPredicate::Lte(x),
        _ => PackedPredicate::Between(x.saturating_sub(span / 2), x.saturating_add(span / 2)),
    });
    let equality = prop_oneof![
        near.clone().prop_map(PackedPredicate::Eq),
        prop::collection::vec(near, 1..4).prop_map(PackedPredicate::In),
    ];
    (equality, range)
}

#[derive(Debug, Clone)]
struct Case {
    layout: PackedLayout,
    view: bool,
    allow_filtering: bool,
    cap: usize,
    rows: Vec<Vec<i64>>,
    predicates: Vec<(usize, PackedPredicate)>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    layout_strategy().prop_flat_map(|layout| {
        let widths = layout.slot_widths().to_vec();
        let n = widths.len();
        let first_max = 10i64.pow(widths[0].min(18)) - 1;
        let row = {
            let first = prop_oneof![0i64..=first_max.min(3), 0i64..=first_max];
            let rest: Vec<_> = widths[1..].iter().map(|&w| component(w)).collect();
            (first, rest).prop_map(|(f, rest)| {
                let mut row = vec![f];
                row.extend(rest);
                row
            })
        };
        (
            Just(layout),
            prop::collection::vec(row, 1..8),
            0usize..=n,
            prop::bool::ANY,
            prop::bool::ANY,
            prop::bool::ANY,
            prop_oneof![Just(64usize), 1usize..300],
        )
            .prop_flat_map(
                move |(layout, rows, k, ranged, view, allow_filtering, cap)| {
                    // Predicates around the first row: equalities on 0..k, a range on k.
                    let pivot = rows[0].clone();
                    let eqs: Vec<_> = (0..k)
                        .map(|i| predicate_near(pivot[i]).prop_map(|(e, _)| e))
                        .collect();
                    let range = if k < n && ranged {
                        predicate_near(pivot[k]).prop_map(|(_, r)| Some(r)).boxed()
                    } else {
                        Just(None).boxed()
                    };
                    (eqs, range).prop_map(move |(eqs, range)| {
                        let mut predicates: Vec<(usize, PackedPredicate)> =
                            eqs.into_iter().enumerate().collect();
                        if let Some(r) = range {
                            predicates.push((k, r));
                        }
                        Case {
                            layout,
                            view,
                            allow_filtering,
                            cap,
                            rows: rows.clone(),
                            predicates,
                        }
                    })
                },
            )
    })
}

/// Inclusive bounds of a predicate (`None` when empty).
fn bounds(p: &PackedPredicate) -> Option<(i64, i64)> {
    let (lo, hi) = match *p {
        PackedPredicate::Eq(x) => (x, x),
        PackedPredicate::In(ref xs) => (*xs.iter().min()?, *xs.iter().max()?),
        PackedPredicate::Gt(x) => (x.checked_add(1)?, i64::MAX),
        PackedPredicate::Gte(x) => (x, i64::MAX),
        PackedPredicate::Lt(x) => (i64::MIN, x.checked_sub(1)?),
        PackedPredicate::Lte(x) => (i64::MIN, x),
        PackedPredicate::Between(a, b) => (a, b),
    };
    (lo <= hi).then_some((lo, hi))
}

/// Rows built from the predicates, aimed at the edges: every IN value of the prefix, the range
/// bounds and every digit-count boundary inside the range, later components 0, the pivot's
/// or huge.
fn probes(case: &Case) -> Vec<Vec<i64>> {
    let n = case.layout.components();
    let pivot = &case.rows[0];
    let mut choices: Vec<Vec<i64>> = (0..n).map(|i| vec![pivot[i], 0, i64::MAX]).collect();
    for (i, p) in &case.predicates {
        choices[*i] = match p {
            PackedPredicate::Eq(x) => vec![*x],
            PackedPredicate::In(xs) => xs.clone(),
            _ => {
                let Some((lo, hi)) = bounds(p) else {
                    return Vec::new();
                };
                let (lo, hi) = (lo.max(0), hi);
                let mut vs = vec![
                    lo,
                    hi,
                    lo.saturating_add(1),
                    hi.saturating_sub(1),
                    pivot[*i],
                ];
                for d in 0..19u32 {
                    let p10 = 10i64.pow(d);
                    vs.extend([p10 - 1, p10, p10.saturating_add(1)]);
                }
                vs.retain(|v| lo <= *v && *v <= hi);
                vs
            }
        };
    }
    // The cartesian product, capped.
    let mut out: Vec<Vec<i64>> = vec![Vec::new()];
    for c in &choices {
        out = out
            .iter()
            .flat_map(|prefix| {
                c.iter().map(move |v| {
                    let mut row = prefix.clone();
                    row.push(*v);
                    row
                })
            })
            .take(2_000)
            .collect();
    }
    out
}

fn def_for(case: &Case) -> PackedIndexDef {
    PackedIndexDef {
        name: "prop",
        components: &COLUMNS[..case.layout.components()],
        layout: case.layout,
        backing: if case.view {
            PackedBacking::View
        } else {
            PackedBacking::LocalIndex
        },
        max_statements: Some(case.cap),
    }
}

fn query_for(case: &Case) -> PackedQuery {
    let mut q = PackedQuery::new();
    for (i, p) in &case.predicates {
        q = q.and(COLUMNS[*i], p.clone());
    }
    if case.allow_filtering {
        q = q.allow_filtering();
    }
    q
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// THE property: every storable row matching the predicates has its packed value among the
    /// plan's lookups or inside its ranges; `matches` equals brute force; without
    /// `needs_post_filter` every row read matches; strategies respect the backing and the cap.
    #[test]
    fn packed_plans_are_complete(case in case_strategy()) {
        let def = def_for(&case);
        let query = query_for(&case);
        match def.plan(&query) {
            Ok(plan) => {
                prop_assert!(plan.statements() >= 1 && plan.statements() <= case.cap);
                match plan.strategy() {
                    PackedStrategy::Slices { .. } => prop_assert!(case.view),
                    PackedStrategy::FilteringScan { .. } => prop_assert!(!case.view && case.allow_filtering),
                    PackedStrategy::Lookups { values } => {
                        prop_assert!(values.windows(2).all(|w| w[0] < w[1]));
                    }
                }
                if let PackedStrategy::Slices { ranges } | PackedStrategy::FilteringScan { ranges } = plan.strategy() {
                    prop_assert!(ranges.windows(2).all(|w| w[0].hi + 1 < w[1].lo));
                }
                prop_assert_eq!(plan.reads_view(), case.view);
                prop_assert_eq!(plan.allow_filtering(), !case.view && case.allow_filtering && matches!(plan.strategy(), PackedStrategy::FilteringScan { .. }));
                let _ = plan.to_string();
                for row in case.rows.iter().chain(&probes(&case)) {
                    let expected = brute(row, &case.predicates);
                    prop_assert_eq!(plan.matches(row), expected, "{:?}", row);
                    let Ok(packed) = def.packed_value(row) else { continue };
                    if expected {
                        prop_assert!(covers(&plan, packed), "missed {:?} (packed {})\n{}", row, packed, plan);
                    } else if covers(&plan, packed) {
                        prop_assert!(plan.needs_post_filter(), "{:?} read without post-filter\n{}", row, plan);
                    }
                }
            }
            Err(PackedQueryError::MatchesNothing { .. }) => {
                for row in case.rows.iter().chain(&probes(&case)) {
                    prop_assert!(
                        def.packed_value(row).is_err() || !brute(row, &case.predicates),
                        "{:?}", row
                    );
                }
            }
            Err(PackedQueryError::RangeTooWide { max_statements, .. }) => {
                prop_assert!(!case.view && !case.allow_filtering);
                prop_assert_eq!(max_statements, case.cap);
            }
            Err(PackedQueryError::TooManyStatements { statements, max_statements, .. }) => {
                prop_assert!(statements > max_statements as u128);
            }
            Err(PackedQueryError::NoPredicate { .. }) => prop_assert!(case.predicates.is_empty()),
            Err(e) => prop_assert!(false, "unexpected error: {e}"),
        }
    }

    /// No input panics.
    #[test]
    fn never_panics(
        layout in layout_strategy(),
        ops in prop::collection::vec((0usize..4, 0u8..8, any::<i64>(), any::<i64>()), 0..5),
        view in prop::bool::ANY,
        allow_filtering in prop::bool::ANY,
        cap in prop::option::of(0usize..100),
        row in prop::collection::vec(any::<i64>(), 0..5),
    ) {
        let def = PackedIndexDef {
            name: "any",
            components: &COLUMNS[..layout.components()],
            layout,
            backing: if view { PackedBacking::View } else { PackedBacking::LocalIndex },
            max_statements: cap,
        };
        let mut q = PackedQuery::new();
        for &(c, op, a, b) in &ops {
            let column = COLUMNS[c];
            q = q.and(column, match op {
                0 => PackedPredicate::Eq(a),
                1 => PackedPredicate::In(vec![a, b]),
                2 => PackedPredicate::Gt(a),
                3 => PackedPredicate::Gte(a),
                4 => PackedPredicate::Lt(a),
                5 => PackedPredicate::Lte(a),
                6 => PackedPredicate::Between(a, b),
                _ => PackedPredicate::In(vec![]),
            });
        }
        if allow_filtering {
            q = q.allow_filtering();
        }
        let _ = def.packed_value(&row);
        if let Ok(plan) = def.plan(&q) {
            let _ = plan.matches(&row);
            let _ = plan.to_string();
        }
    }
}
