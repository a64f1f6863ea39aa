//! Hash-index (composite bucketing) query plans: the spec example, the write side, IN
//! combinations, errors, and the completeness property (no matching row can be missed).

use std::collections::BTreeSet;

use orm_runtime::bucketing::{
    Bucket, HashDefError, HashIndexDef, HashIndexError, HashQuery, HashSource, MAX_HASH_STATEMENTS,
    MAX_HASH_TUPLES, PlanError, SourceValue, WeekCodeError, composite_hash, week_code, week_index,
};
use proptest::prelude::*;

/// The design example: `{DetailProductsIDs, Week.CompositeBucketing(1, 4, 5)}`, week codes.
static SALES: HashIndexDef = HashIndexDef {
    name: "detail_products_ids_week",
    sources: &[
        HashSource::collection("detail_products_ids"),
        HashSource::scalar("week"),
    ],
    bucketed: 1,
    sizes: &[1, 4, 5],
    week_code: true,
    max_waste: None,
    max_statements: None,
};

/// The same index over raw week values.
static SALES_RAW: HashIndexDef = HashIndexDef {
    week_code: false,
    ..SALES
};

/// A scalar IN source before the collection, and the bucketed column in the middle.
static REGIONAL: HashIndexDef = HashIndexDef {
    name: "region_week_products",
    sources: &[
        HashSource::scalar("region"),
        HashSource::scalar("week"),
        HashSource::collection("products"),
    ],
    bucketed: 1,
    sizes: &[1, 4, 5],
    week_code: true,
    max_waste: None,
    max_statements: None,
};

const _: () = assert!(SALES.validate().is_ok());
const _: () = assert!(REGIONAL.validate().is_ok());
const _: () = assert!(SALES.is_hidden_column(5, "zz_hb_detail_products_ids_week_b5"));
const _: () = assert!(SALES.is_index_name(
    "sale_order",
    1,
    "sale_order__zz_hb_detail_products_ids_week_b1_index_0"
));

fn spec_query() -> HashQuery {
    HashQuery::new()
        .contains("detail_products_ids", 1)
        .between("week", 2548, 2614)
}

fn row(products: &[i64], week: i64) -> Vec<SourceValue<'static>> {
    vec![
        SourceValue::from(products.to_vec()),
        SourceValue::Scalar(week),
    ]
}

/// Whether some statement's (column, hash) is stored by the row.
fn found(
    plan: &orm_runtime::bucketing::HashQueryPlan,
    def: &HashIndexDef,
    row: &[SourceValue<'_>],
) -> bool {
    let hidden = def.hidden_values(row).expect("row is writable");
    plan.statements().iter().any(|s| {
        hidden
            .iter()
            .any(|(size, hashes)| *size == s.bucket.size() && hashes.contains(&s.hash))
            && s.hidden_column == def.hidden_column(s.bucket.size())
    })
}

#[test]
fn names() {
    assert_eq!(
        SALES.hidden_columns(),
        [
            "zz_hb_detail_products_ids_week_b1",
            "zz_hb_detail_products_ids_week_b4",
            "zz_hb_detail_products_ids_week_b5"
        ]
    );
    assert_eq!(
        SALES.index_name("sale_order", 4),
        "sale_order__zz_hb_detail_products_ids_week_b4_index_0"
    );
    for size in [1, 4, 5, 10, 4_000_000_000] {
        assert!(SALES.is_hidden_column(size, &SALES.hidden_column(size)));
        assert!(SALES.is_index_name("t", size, &SALES.index_name("t", size)));
        assert!(!SALES.is_hidden_column(size + 1, &SALES.hidden_column(size)));
    }
    assert!(!SALES.is_hidden_column(4, "zz_hb_detail_products_ids_week_b4_"));
    assert!(!SALES.is_index_name("t", 4, "t__zz_hb_detail_products_ids_week_b4_index_1"));
    assert_eq!(SALES.bucketed_column(), "week");
}

#[test]
fn spec_example_week_codes() {
    let plan = SALES.plan(&spec_query()).unwrap();
    let buckets: Vec<Bucket> = plan.statements().iter().map(|s| s.bucket).collect();
    assert_eq!(
        buckets,
        [
            Bucket::new(4, 729),
            Bucket::new(5, 584),
            Bucket::new(5, 585),
            Bucket::new(5, 586)
        ]
    );
    assert_eq!(plan.statements().len(), 4);
    assert_eq!(plan.coverage().range(), (2916, 2934));
    assert_eq!((plan.coverage().waste(), plan.coverage().budget()), (0, 3));
    assert_eq!(plan.combinations(), 1);
    assert_eq!(plan.max_statements(), 64);
    assert_eq!(plan.range(), (2548, 2614));
    for s in plan.statements() {
        assert_eq!(s.source_values, [1, s.bucket.id()]);
        assert_eq!(s.hash, composite_hash(&[1, s.bucket.id()]));
        assert_eq!(
            s.hidden_column,
            format!("zz_hb_detail_products_ids_week_b{}", s.bucket.size())
        );
        assert_eq!(
            s.where_fragment(),
            format!("{} CONTAINS ?", s.hidden_column)
        );
    }
    assert_eq!(plan.statements()[0].hash, -380_567_827);
    assert_eq!(
        plan.statements()[0].where_fragment(),
        "zz_hb_detail_products_ids_week_b4 CONTAINS ?"
    );
    // Every week of the range, with product 1 among others, is found and matches.
    for index in 2916..=2934 {
        let code = i64::from(week_code(index).unwrap());
        let r = row(&[7, 1, 3], code);
        assert!(found(&plan, &SALES, &r), "week {code}");
        assert!(plan.matches(&r));
    }
    // Outside the range or without product 1: no match.
    assert!(!plan.matches(&row(&[1], 2547)));
    assert!(!plan.matches(&row(&[1], 2615)));
    assert!(!plan.matches(&row(&[2, 3], 2601)));
    assert!(!plan.matches(&row(&[], 2601)));
}

#[test]
fn spec_example_raw_values() {
    let plan = SALES_RAW.plan(&spec_query()).unwrap();
    assert_eq!(plan.statements().len(), 14);
    let mut expected: Vec<Bucket> = (637..=639).map(|id| Bucket::new(4, id)).collect();
    expected.extend((512..=522).map(|id| Bucket::new(5, id)));
    let buckets: Vec<Bucket> = plan.statements().iter().map(|s| s.bucket).collect();
    assert_eq!(buckets, expected);
    assert_eq!(plan.coverage().waste(), 0);
    // Raw 2553 is just a number here.
    assert!(plan.matches(&row(&[1], 2553)));
    assert!(found(&plan, &SALES_RAW, &row(&[1], 2553)));
}

#[test]
fn write_side_known_row() {
    // products [1, 2, 2] (a list with a repeat), week 2548 = week index 2916
    let hidden = SALES
        .hidden_values(&[SourceValue::collection([1, 2, 2]), SourceValue::from(2548)])
        .unwrap();
    let set = |ids: &[[i64; 2]]| {
        ids.iter()
            .map(|t| composite_hash(t))
            .collect::<BTreeSet<i32>>()
    };
    assert_eq!(
        hidden,
        [
            (1, set(&[[1, 2916], [2, 2916]])),
            (4, set(&[[1, 729], [2, 729]])),
            (5, set(&[[1, 583], [2, 583]])),
        ]
    );
    assert!(hidden[1].1.contains(&-380_567_827));
    assert!(hidden[0].1.contains(&-1_523_402_221)); // [1, 2916]
    // Raw values: bucket ids of 2548.
    let raw = SALES_RAW
        .hidden_values(&[SourceValue::collection([1]), SourceValue::from(2548)])
        .unwrap();
    assert_eq!(
        raw,
        [
            (1, set(&[[1, 2548]])),
            (4, set(&[[1, 637]])),
            (5, set(&[[1, 509]])),
        ]
    );
    // Empty collection and null: empty sets.
    for empty in [
        SourceValue::collection(Vec::<i64>::new()),
        SourceValue::Null,
    ] {
        let hidden = SALES
            .hidden_values(&[empty, SourceValue::from(2548)])
            .unwrap();
        assert_eq!(hidden.len(), 3);
        assert!(hidden.iter().all(|(_, s)| s.is_empty()));
    }
    let hidden = SALES
        .hidden_values(&[SourceValue::collection([1]), SourceValue::Null])
        .unwrap();
    assert!(hidden.iter().all(|(_, s)| s.is_empty()));
    // Borrowed slices and Option conversions.
    let ids = [1i64, 2];
    let a = SALES
        .hidden_values(&[
            SourceValue::from(&ids[..]),
            SourceValue::from(Some(2548i64)),
        ])
        .unwrap();
    let b = SALES
        .hidden_values(&[SourceValue::from(ids.to_vec()), SourceValue::from(2548i32)])
        .unwrap();
    assert_eq!(a, b);
    // The tuple order is the declared order: [region, bucket, product].
    let hidden = REGIONAL
        .hidden_values(&[2.into(), 2548.into(), SourceValue::collection([9])])
        .unwrap();
    assert_eq!(
        hidden[1],
        (4, BTreeSet::from([composite_hash(&[2, 729, 9])]))
    );
}

#[test]
fn write_side_errors() {
    assert_eq!(
        SALES.hidden_values(&[SourceValue::collection([1])]),
        Err(HashIndexError::SourceCount {
            index: "detail_products_ids_week",
            expected: 2,
            got: 1
        })
    );
    assert!(matches!(
        SALES.hidden_values(&[1.into(), 2548.into()]),
        Err(HashIndexError::SourceKind {
            column: "detail_products_ids",
            expected: "a collection",
            ..
        })
    ));
    assert!(matches!(
        SALES.hidden_values(&[
            SourceValue::collection([1]),
            SourceValue::collection([2548])
        ]),
        Err(HashIndexError::SourceKind { column: "week", .. })
    ));
    let err = SALES
        .hidden_values(&[SourceValue::collection([1]), 2553.into()])
        .unwrap_err();
    assert!(matches!(
        err,
        HashIndexError::InvalidWeekCode {
            value: 2553,
            error: WeekCodeError::WeekOutOfRange { .. },
            ..
        }
    ));
    assert!(err.to_string().contains("2553"), "{err}");
    for bad in [i64::MAX, i64::MIN, -1, 0, 2600, 10_001] {
        assert!(matches!(
            SALES.hidden_values(&[SourceValue::collection([1]), bad.into()]),
            Err(HashIndexError::InvalidWeekCode { .. })
        ));
    }
    // Two large collections: the product is bounded.
    static TWO: HashIndexDef = HashIndexDef {
        name: "a_b_w",
        sources: &[
            HashSource::collection("a"),
            HashSource::collection("b"),
            HashSource::scalar("w"),
        ],
        bucketed: 2,
        sizes: &[1],
        week_code: false,
        max_waste: None,
        max_statements: None,
    };
    let err = TWO
        .hidden_values(&[
            SourceValue::collection(0..200i64),
            SourceValue::collection(0..100i64),
            5.into(),
        ])
        .unwrap_err();
    assert_eq!(
        err,
        HashIndexError::TooManyTuples {
            index: "a_b_w",
            tuples: 20_000,
            max: MAX_HASH_TUPLES
        }
    );
    let ok = TWO
        .hidden_values(&[
            SourceValue::collection(0..100i64),
            SourceValue::collection(0..100i64),
            5.into(),
        ])
        .unwrap();
    assert_eq!(ok[0].1.len(), 10_000);
}

#[test]
fn invalid_definitions() {
    let base = SALES;
    let cases = [
        (
            HashIndexDef {
                sources: &[],
                ..base
            },
            "NoSources",
        ),
        (
            HashIndexDef {
                bucketed: 2,
                ..base
            },
            "BucketedOutOfRange",
        ),
        (
            HashIndexDef {
                bucketed: 0,
                ..base
            },
            "BucketedIsCollection",
        ),
        (HashIndexDef { sizes: &[], ..base }, "NoSizes"),
        (
            HashIndexDef {
                sizes: &[1, 0],
                ..base
            },
            "ZeroSize",
        ),
        (
            HashIndexDef {
                sizes: &[4, 1, 4],
                ..base
            },
            "DuplicateSize",
        ),
        (
            HashIndexDef {
                sources: const { &[HashSource::scalar("w"), HashSource::scalar("w")] },
                ..base
            },
            "DuplicateColumn",
        ),
        (
            HashIndexDef {
                sources: const { &[HashSource::scalar(""), HashSource::scalar("w")] },
                ..base
            },
            "EmptyColumn",
        ),
    ];
    for (def, name) in cases {
        let err = def.validate().unwrap_err();
        assert!(format!("{err:?}").starts_with(name), "{err:?}");
        // Both sides refuse to work with it, without panicking.
        assert_eq!(
            def.hidden_values(&row(&[1], 2548)),
            Err(HashIndexError::InvalidDefinition(err))
        );
        assert_eq!(
            def.plan(&spec_query()).unwrap_err(),
            HashIndexError::InvalidDefinition(err)
        );
    }
    assert!(matches!(
        HashIndexDef {
            sizes: &[4, 1, 4],
            ..base
        }
        .validate(),
        Err(HashDefError::DuplicateSize { size: 4, .. })
    ));
}

#[test]
fn bounds_forms() {
    // >= and <= in two predicates equal between.
    let a = SALES.plan(&spec_query()).unwrap();
    let b = SALES
        .plan(
            &HashQuery::new()
                .ge("week", 2548)
                .contains("detail_products_ids", 1)
                .le("week", 2614),
        )
        .unwrap();
    assert_eq!(a.statements(), b.statements());
    // Exclusive bounds on week codes step by week, across the year boundary.
    let p = SALES
        .plan(
            &HashQuery::new()
                .contains("detail_products_ids", 1)
                .gt("week", 2552)
                .lt("week", 2602),
        )
        .unwrap();
    assert_eq!(p.range(), (2601, 2601));
    assert_eq!(p.coverage().range(), (2921, 2921));
    assert!(p.matches(&row(&[1], 2601)));
    assert!(!p.matches(&row(&[1], 2552)) && !p.matches(&row(&[1], 2602)));
    // eq on the bucketed column is a one-unit range; ANDed bounds intersect.
    let p = SALES
        .plan(
            &HashQuery::new()
                .contains("detail_products_ids", 1)
                .between("week", 2501, 2652)
                .eq("week", 2610),
        )
        .unwrap();
    assert_eq!(p.range(), (2610, 2610));
    assert_eq!(p.statements().len(), 1);
    // Per-query limits override the index's.
    let p = SALES
        .plan(&spec_query().max_waste(0).max_statements(4))
        .unwrap();
    assert_eq!((p.statements().len(), p.max_statements()), (4, 4));
    static CAPPED: HashIndexDef = HashIndexDef {
        max_statements: Some(3),
        ..SALES
    };
    assert!(matches!(
        CAPPED.plan(&spec_query()),
        Err(HashIndexError::TooManyStatements {
            needed: 4,
            max_statements: 3,
            ..
        })
    ));
    assert_eq!(
        CAPPED
            .plan(&spec_query().max_statements(10))
            .unwrap()
            .statements()
            .len(),
        4
    );
    // A zero waste budget on the index, a budget of 4 on the query.
    static TIGHT: HashIndexDef = HashIndexDef {
        max_waste: Some(0),
        ..SALES
    };
    let q = HashQuery::new()
        .contains("detail_products_ids", 1)
        .between("week", 2549, 2614);
    assert_eq!(TIGHT.plan(&q).unwrap().coverage().waste(), 0);
    assert!(
        TIGHT
            .plan(&q.clone().max_waste(4))
            .unwrap()
            .statements()
            .len()
            <= TIGHT.plan(&q).unwrap().statements().len()
    );
}

#[test]
fn in_combinations() {
    let q = HashQuery::new()
        .in_("region", [1, 2, 3, 2])
        .contains("products", 9)
        .between("week", 2548, 2614);
    let plan = REGIONAL.plan(&q).unwrap();
    assert_eq!(plan.combinations(), 3);
    assert_eq!(plan.statements().len(), 12);
    for (i, s) in plan.statements().iter().enumerate() {
        let region = [1, 2, 3][i / 4];
        assert_eq!(s.source_values, [region, s.bucket.id(), 9]);
        assert_eq!(s.hash, composite_hash(&[region, s.bucket.id(), 9]));
        assert!(s.hidden_column.starts_with("zz_hb_region_week_products_b"));
    }
    let row = |region: i64, week: i64, products: &[i64]| {
        vec![
            SourceValue::Scalar(region),
            SourceValue::Scalar(week),
            SourceValue::from(products.to_vec()),
        ]
    };
    assert!(plan.matches(&row(3, 2600 + 1, &[9, 4])));
    assert!(!plan.matches(&row(4, 2601, &[9])));
    for region in 1..=3 {
        assert!(found(&plan, &REGIONAL, &row(region, 2610, &[9])));
    }
    // eq and in on the same column intersect; several contains must all hold.
    let plan = REGIONAL
        .plan(&q.clone().eq("region", 2).contains("products", 4))
        .unwrap();
    assert_eq!(plan.combinations(), 1);
    assert_eq!(plan.statements().len(), 4);
    assert!(plan.matches(&row(2, 2601, &[4, 9])));
    assert!(!plan.matches(&row(2, 2601, &[9])));
    assert!(found(&plan, &REGIONAL, &row(2, 2601, &[4, 9])));
    // 20 IN values × 4 buckets = 80 > 64.
    let wide = HashQuery::new()
        .in_("region", 0..20)
        .contains("products", 9)
        .between("week", 2548, 2614);
    let err = REGIONAL.plan(&wide).unwrap_err();
    assert_eq!(
        err,
        HashIndexError::TooManyStatements {
            index: "region_week_products",
            needed: 80,
            buckets: 4,
            combinations: 20,
            max_statements: 64
        }
    );
    let msg = err.to_string();
    for needle in [
        "80 statements",
        "4 buckets",
        "20 IN combinations",
        "64",
        "narrow the range",
        "fewer IN values",
        "raise max_statements",
    ] {
        assert!(msg.contains(needle), "{msg}");
    }
    assert_eq!(
        REGIONAL
            .plan(&wide.clone().max_statements(80))
            .unwrap()
            .statements()
            .len(),
        80
    );
    // More IN values than the cap at all.
    let err = REGIONAL
        .plan(&wide.clone().in_("region", 0..100).max_statements(10))
        .unwrap_err();
    assert!(
        matches!(
            err,
            HashIndexError::TooManyStatements {
                combinations: 20,
                ..
            }
        ),
        "{err:?}"
    );
    let err = REGIONAL
        .plan(
            &HashQuery::new()
                .in_("region", 0..100)
                .contains("products", 9)
                .between("week", 2548, 2614)
                .max_statements(10),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            HashIndexError::TooManyStatements {
                combinations: 100,
                max_statements: 10,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn huge_in_lists_fail_fast() {
    let start = std::time::Instant::now();
    let q = HashQuery::new()
        .in_("region", 0..200_000)
        .in_("region", (0..200_000).rev())
        .contains("products", 9)
        .between("week", 2548, 2614);
    assert!(matches!(
        REGIONAL.plan(&q),
        Err(HashIndexError::TooManyStatements {
            combinations: 200_000,
            ..
        })
    ));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn read_side_errors() {
    let e = |q: HashQuery| SALES.plan(&q).unwrap_err();
    let products = || HashQuery::new().contains("detail_products_ids", 1);
    let err = e(products().ge("week", 2548));
    assert!(matches!(
        err,
        HashIndexError::MissingBound {
            missing: "upper",
            ..
        }
    ));
    assert!(err.to_string().contains("between(from, to)"), "{err}");
    assert!(matches!(
        e(products().le("week", 2548)),
        HashIndexError::MissingBound {
            missing: "lower",
            ..
        }
    ));
    assert!(matches!(e(products()), HashIndexError::MissingBound { .. }));
    assert!(matches!(
        e(HashQuery::new().between("week", 2548, 2614)),
        HashIndexError::MissingPredicate {
            column: "detail_products_ids",
            ..
        }
    ));
    assert!(matches!(
        e(products()
            .between("week", 2548, 2614)
            .eq("detail_products_ids", 1)),
        HashIndexError::WrongPredicate {
            column: "detail_products_ids",
            predicate: "eq",
            ..
        }
    ));
    assert!(matches!(
        e(products().in_("week", [2548])),
        HashIndexError::WrongPredicate {
            column: "week",
            predicate: "in",
            ..
        }
    ));
    assert!(matches!(
        e(products().contains("week", 2548)),
        HashIndexError::WrongPredicate { column: "week", .. }
    ));
    let err = e(spec_query().eq("customer", 3));
    assert!(matches!(
        err,
        HashIndexError::UnknownColumn {
            column: "customer",
            ..
        }
    ));
    assert!(
        err.to_string().contains("detail_products_ids, week"),
        "{err}"
    );
    assert!(matches!(
        e(products().between("week", 2548, 2553)),
        HashIndexError::InvalidWeekCode { value: 2553, .. }
    ));
    assert!(matches!(
        e(products().between("week", 2614, 2548)),
        HashIndexError::MatchesNothing { .. }
    ));
    assert!(matches!(
        e(products().gt("week", 2601).lt("week", 2602)),
        HashIndexError::MatchesNothing { .. }
    ));
    assert!(matches!(
        REGIONAL.plan(
            &HashQuery::new()
                .in_("region", [])
                .contains("products", 1)
                .between("week", 2548, 2614)
        ),
        Err(HashIndexError::MatchesNothing {
            column: "region",
            ..
        })
    ));
    assert!(matches!(
        REGIONAL.plan(
            &HashQuery::new()
                .eq("region", 1)
                .eq("region", 2)
                .contains("products", 1)
                .between("week", 2548, 2614)
        ),
        Err(HashIndexError::MatchesNothing {
            column: "region",
            ..
        })
    ));
    // Raw extremes never overflow.
    let raw = |q: HashQuery| SALES_RAW.plan(&q);
    assert!(matches!(
        raw(products().gt("week", i64::MAX).le("week", i64::MAX)),
        Err(HashIndexError::MatchesNothing { .. })
    ));
    assert!(matches!(
        raw(products().ge("week", i64::MIN).lt("week", i64::MIN)),
        Err(HashIndexError::MatchesNothing { .. })
    ));
    assert!(matches!(
        raw(products().between("week", i64::MIN, i64::MAX)),
        Err(HashIndexError::TooManyStatements { .. })
    ));
    static COARSE: HashIndexDef = HashIndexDef {
        sizes: &[1, 1000],
        ..SALES_RAW
    };
    assert!(matches!(
        COARSE.plan(
            &products()
                .between("week", 0, 10_000_000)
                .max_statements(usize::MAX)
        ),
        Err(HashIndexError::Plan {
            error: PlanError::RangeTooLarge { .. },
            ..
        })
    ));
    // The effective cap never exceeds MAX_HASH_STATEMENTS.
    assert!(matches!(
        raw(products()
            .between("week", 0, 10_000_000)
            .max_statements(usize::MAX)),
        Err(HashIndexError::TooManyStatements {
            max_statements: MAX_HASH_STATEMENTS,
            ..
        })
    ));
    let p = raw(products().between("week", i64::MAX - 3, i64::MAX)).unwrap();
    assert!(p.matches(&row(&[1], i64::MAX)));
    assert!(found(&p, &SALES_RAW, &row(&[1], i64::MAX)));
}

#[test]
fn explain_display() {
    let text = SALES.plan(&spec_query()).unwrap().to_string();
    for needle in [
        "hash index detail_products_ids_week",
        "week 2548..=2614 = week indexes 2916..=2934 (19 weeks)",
        "4 statements = 4 buckets × 1 IN combinations (max_statements 64)",
        "waste 0 (budget 3)",
        "bucket b4 #729: covers 2916..=2919 (weeks 2548..=2551)",
        "bucket b5 #584: covers 2920..=2924 (weeks 2552..=2604)",
        "zz_hb_detail_products_ids_week_b4 CONTAINS ? = -380567827  -- hash(1, 729)",
        "post-filter",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let raw = SALES_RAW.plan(&spec_query()).unwrap().to_string();
    assert!(raw.contains("week 2548..=2614 (67 units)"), "{raw}");
    assert!(raw.contains("14 statements"), "{raw}");
}

/// The week indexes of 2024-W01 ..= 2026-W53 (three years of valid codes).
fn three_years() -> (i64, i64) {
    (week_index(2401).unwrap(), week_index(2653).unwrap())
}

fn week_code_strategy() -> impl Strategy<Value = i64> {
    let (lo, hi) = three_years();
    (lo..=hi).prop_map(|i| i64::from(week_code(i).unwrap()))
}

#[derive(Debug, Clone)]
enum Lower {
    Ge(i64),
    Gt(i64),
}

#[derive(Debug, Clone)]
enum Upper {
    Le(i64),
    Lt(i64),
}

fn brute(
    row: &(i64, i64, Vec<i64>),
    regions: &[i64],
    contains: &[i64],
    lower: &Lower,
    upper: &Upper,
) -> bool {
    let (region, week, products) = row;
    let valid = week_index(i32::try_from(*week).unwrap_or(-1)).is_ok();
    regions.contains(region)
        && contains.iter().all(|c| products.contains(c))
        && valid
        && match lower {
            Lower::Ge(v) => week >= v,
            Lower::Gt(v) => week > v,
        }
        && match upper {
            Upper::Le(v) => week <= v,
            Upper::Lt(v) => week < v,
        }
}

fn regional_query(regions: &[i64], contains: &[i64], lower: &Lower, upper: &Upper) -> HashQuery {
    let mut q = HashQuery::new().in_("region", regions.iter().copied());
    for &c in contains {
        q = q.contains("products", c);
    }
    q = match *lower {
        Lower::Ge(v) => q.ge("week", v),
        Lower::Gt(v) => q.gt("week", v),
    };
    q = match *upper {
        Upper::Le(v) => q.le("week", v),
        Upper::Lt(v) => q.lt("week", v),
    };
    q.max_statements(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// THE property: a row matching the predicates stores the hash of some planned statement
    /// in that statement's column (no row can be missed), and `matches` is the brute-force
    /// predicate.
    #[test]
    fn week_code_plans_are_complete(
        rows in prop::collection::vec(
            (0i64..4, week_code_strategy(), prop::collection::vec(0i64..6, 0..4)),
            1..8,
        ),
        regions in prop::collection::vec(0i64..4, 1..4),
        contains in prop::collection::vec(0i64..6, 1..3),
        lower in prop_oneof![week_code_strategy().prop_map(Lower::Ge), week_code_strategy().prop_map(Lower::Gt)],
        upper in prop_oneof![week_code_strategy().prop_map(Upper::Le), week_code_strategy().prop_map(Upper::Lt)],
        pick in any::<prop::sample::Index>(),
    ) {
        // Make about half of the rows match the range and the products.
        let mut rows = rows;
        let pivot = pick.index(rows.len());
        let index = |code: i64| week_index(code as i32).unwrap();
        let lo = match lower {
            Lower::Ge(v) => index(v),
            Lower::Gt(v) => index(v) + 1,
        };
        let hi = match upper {
            Upper::Le(v) => index(v),
            Upper::Lt(v) => index(v) - 1,
        };
        if lo <= hi {
            let at = lo + (pick.index(1000) as i64) % (hi - lo + 1);
            rows[pivot].1 = i64::from(week_code(at).unwrap());
            rows[pivot].2.extend(contains.iter().copied());
            rows[pivot].0 = regions[pick.index(regions.len())];
        }
        let query = regional_query(&regions, &contains, &lower, &upper);
        match REGIONAL.plan(&query) {
            Ok(plan) => {
                prop_assert!(plan.statements().len() <= 10_000);
                for r in &rows {
                    let sources = [
                        SourceValue::Scalar(r.0),
                        SourceValue::Scalar(r.1),
                        SourceValue::from(r.2.clone()),
                    ];
                    let expected = brute(r, &regions, &contains, &lower, &upper);
                    prop_assert_eq!(plan.matches(&sources), expected, "{:?}", r);
                    if expected {
                        prop_assert!(found(&plan, &REGIONAL, &sources), "missed {:?}", r);
                    }
                }
            }
            Err(HashIndexError::MatchesNothing { .. }) => {
                for r in &rows {
                    prop_assert!(!brute(r, &regions, &contains, &lower, &upper), "{:?}", r);
                }
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    /// The same over raw values (negative ones included) with random bucket sizes.
    #[test]
    fn raw_plans_are_complete(
        sizes in prop::sample::subsequence(vec![1u32, 2, 3, 4, 5, 7, 8, 13], 1..4),
        product in 0i64..3,
        from in -60i64..60,
        len in 0i64..80,
        rows in prop::collection::vec((-80i64..150, prop::collection::vec(0i64..3, 0..3)), 1..10),
        max_waste in prop::option::of(0u64..6),
    ) {
        let sizes: &'static [u32] = Box::leak(sizes.into_boxed_slice());
        let def = HashIndexDef {
            name: "p_v",
            sources: const { &[HashSource::collection("p"), HashSource::scalar("v")] },
            bucketed: 1,
            sizes,
            week_code: false,
            max_waste,
            max_statements: Some(1_000),
        };
        let to = from + len;
        let plan = def
            .plan(&HashQuery::new().contains("p", product).between("v", from, to))
            .unwrap();
        prop_assert!(plan.statements().len() <= 1_000);
        for (v, products) in &rows {
            let sources = [SourceValue::from(products.clone()), SourceValue::Scalar(*v)];
            let expected = products.contains(&product) && from <= *v && *v <= to;
            prop_assert_eq!(plan.matches(&sources), expected);
            if expected {
                prop_assert!(found(&plan, &def, &sources));
            }
        }
    }

    /// No input panics: arbitrary values and predicates on both sides.
    #[test]
    fn never_panics(
        values in prop::collection::vec(any::<i64>(), 0..4),
        week in any::<i64>(),
        region in any::<i64>(),
        a in any::<i64>(),
        b in any::<i64>(),
        ops in prop::collection::vec((0usize..3, 0u8..9, any::<i64>()), 0..6),
        cap in prop::option::of(0usize..200),
        waste in prop::option::of(any::<u64>()),
    ) {
        for def in [&SALES, &SALES_RAW, &REGIONAL] {
            let _ = def.hidden_values(&[SourceValue::Scalar(region), SourceValue::Scalar(week), SourceValue::from(values.clone())]);
            let _ = def.hidden_values(&[SourceValue::from(values.clone()), SourceValue::Scalar(week)]);
            let mut q = HashQuery::new();
            for &(source, op, v) in &ops {
                let column = def.sources[source.min(def.sources.len() - 1)].column;
                q = match op {
                    0 => q.eq(column, v),
                    1 => q.in_(column, [v, a]),
                    2 => q.contains(column, v),
                    3 => q.ge(column, v),
                    4 => q.gt(column, v),
                    5 => q.le(column, v),
                    6 => q.lt(column, v),
                    7 => q.between(column, a, b),
                    _ => q.in_(column, []),
                };
            }
            if let Some(cap) = cap {
                q = q.max_statements(cap);
            }
            if let Some(waste) = waste {
                q = q.max_waste(waste % 64);
            }
            if let Ok(plan) = def.plan(&q) {
                prop_assert!(plan.statements().len() <= plan.max_statements());
                let _ = plan.to_string();
                let _ = plan.matches(&[SourceValue::Scalar(region), SourceValue::Scalar(week), SourceValue::from(values.clone())]);
            }
        }
    }
}

#[test]
fn bucketed_column_alone() {
    static WEEK_ONLY: HashIndexDef = HashIndexDef {
        name: "week",
        sources: &[HashSource::scalar("week")],
        bucketed: 0,
        sizes: &[1, 4, 5],
        week_code: true,
        max_waste: None,
        max_statements: None,
    };
    let plan = WEEK_ONLY
        .plan(&HashQuery::new().between("week", 2548, 2614))
        .unwrap();
    assert_eq!(plan.statements().len(), 4);
    assert_eq!(plan.statements()[0].source_values, [729]);
    assert_eq!(plan.statements()[0].hash, composite_hash(&[729]));
    assert_eq!(plan.statements()[0].hidden_column, "zz_hb_week_b4");
    let r = [SourceValue::Scalar(2601)];
    assert!(plan.matches(&r));
    assert!(found(&plan, &WEEK_ONLY, &r));
}
