//! Every test vector of `shared/specs/index-math.md`.

use orm_runtime::bucketing::{
    Bucket, PlanLimits, WeekCodeError, bucket_id, composite_hash, plan_coverage, week_code,
    week_index,
};
use orm_runtime::packing::{PackedLayout, PackedOutput, trim};

#[test]
fn composite_hash_table() {
    let table: [(&[i64], i32); 7] = [
        (&[1, 2], -997_867_446),
        (&[7], 1_695_235_878),
        (&[1, 2916], -1_523_402_221),
        (&[1, 729], -380_567_827),
        (&[-5, 3], 182_825_544),
        (&[2_147_483_647, 32_767], 1_138_552_859),
        (&[10, 20, 30], 68_478_927),
    ];
    for (input, hash) in table {
        assert_eq!(composite_hash(input), hash, "hash of {input:?}");
    }
}

#[test]
fn bucket_ids_floor_divide() {
    assert_eq!(bucket_id(2916, 4), 729);
    assert_eq!(bucket_id(2934, 5), 586);
    assert_eq!(bucket_id(-1, 5), -1);
    assert_eq!(bucket_id(-5, 5), -1);
    assert_eq!(bucket_id(-6, 5), -2);
    let b = Bucket::containing(-6, 5).unwrap();
    assert_eq!((b.first(), b.last()), (-10, -6));
}

#[test]
fn week_table() {
    // (code, Monday as unix day, week index)
    for (code, unix_day, index) in [
        (2548, 20416i64, 2916i64),
        (2552, 20444, 2920),
        (2601, 20451, 2921),
        (2614, 20542, 2934),
        (2653, 20815, 2973),
    ] {
        assert_eq!(week_index(code), Ok(index), "week_index({code})");
        assert_eq!(unix_day.div_euclid(7), index);
        assert_eq!(week_code(index), Ok(code), "week_code({index})");
    }
    let err = week_index(2553).unwrap_err();
    assert_eq!(
        err,
        WeekCodeError::WeekOutOfRange {
            code: 2553,
            week: 53,
            year: 2025,
            weeks_in_year: 52
        }
    );
    let msg = err.to_string();
    assert!(msg.contains("2553") && msg.contains("52"), "{msg}");
}

#[test]
fn planner_table() {
    let limits = PlanLimits::new().with_max_waste(3);

    let plan = plan_coverage(2521, 2530, &[1, 4, 6], &limits).unwrap();
    assert_eq!(plan.buckets(), &[Bucket::new(6, 420), Bucket::new(6, 421)]);
    assert_eq!((plan.statements(), plan.waste(), plan.budget()), (2, 2, 3));

    let (from, to) = (week_index(2548).unwrap(), week_index(2614).unwrap());
    assert_eq!((from, to), (2916, 2934));
    let plan = plan_coverage(from, to, &[1, 4, 5], &limits).unwrap();
    assert_eq!(
        plan.buckets(),
        &[
            Bucket::new(4, 729),
            Bucket::new(5, 584),
            Bucket::new(5, 585),
            Bucket::new(5, 586)
        ]
    );
    assert_eq!((plan.statements(), plan.waste()), (4, 0));

    let plan = plan_coverage(2548, 2614, &[1, 4, 5], &limits).unwrap();
    let mut expected: Vec<Bucket> = (637..=639).map(|id| Bucket::new(4, id)).collect();
    expected.extend((512..=522).map(|id| Bucket::new(5, id)));
    assert_eq!(plan.buckets(), expected.as_slice());
    assert_eq!((plan.statements(), plan.waste()), (14, 0));

    // The spec's budget 3 is the default floor(mean) for these sizes: same plans by default.
    for (from, to, sizes) in [
        (2521, 2530, [1u32, 4, 6]),
        (2916, 2934, [1, 4, 5]),
        (2548, 2614, [1, 4, 5]),
    ] {
        let default = plan_coverage(from, to, &sizes, &PlanLimits::default()).unwrap();
        let explicit = plan_coverage(from, to, &sizes, &limits).unwrap();
        assert_eq!(default, explicit);
        assert_eq!(default.budget(), 3);
    }
}

#[test]
fn packing_example() {
    let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)]).unwrap();
    assert_eq!(layout.slot_widths(), &[1, 8]);
    assert_eq!(layout.pack(&[2, 370_598_453]), Ok(237_059_845));
    assert_eq!(trim(370_598_453, 8), 37_059_845);
    assert_eq!(trim(99, 2), 99);
    assert_eq!(trim(100, 2), 10);
}
