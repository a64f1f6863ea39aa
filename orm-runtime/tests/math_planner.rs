//! The coverage planner against an exhaustive search, and its invariants.

use orm_runtime::bucketing::{
    Bucket, CoveragePlan, MAX_PLAN_UNITS, PlanError, PlanLimits, plan_coverage,
};
use proptest::prelude::*;

/// Every aligned bucket of one of `sizes` that meets `[from, to]`.
fn candidates(from: i64, to: i64, sizes: &[u32]) -> Vec<Bucket> {
    let mut out = Vec::new();
    for &s in sizes {
        for id in from.div_euclid(i64::from(s))..=to.div_euclid(i64::from(s)) {
            out.push(Bucket::new(s, id));
        }
    }
    out
}

/// Exhaustive search: `best[k]` = least waste of any set of exactly `k` candidates whose union
/// covers `[from, to]` (`None` if no such set). Sets in which a bucket adds no unit that the
/// buckets chosen before it (in candidate order) left uncovered are skipped: such a bucket is
/// redundant, and dropping it lowers both statements and waste.
fn exhaustive(from: i64, to: i64, sizes: &[u32]) -> Vec<Option<u64>> {
    let len = (to - from + 1) as usize;
    assert!(len <= 63);
    let cands = candidates(from, to, sizes);
    let masks: Vec<u64> = cands
        .iter()
        .map(|b| {
            (from..=to)
                .enumerate()
                .filter(|&(_, v)| b.contains(v))
                .fold(0u64, |m, (i, _)| m | 1 << i)
        })
        .collect();
    let full = if len == 64 {
        u64::MAX
    } else {
        (1u64 << len) - 1
    };
    let mut best = vec![None; cands.len() + 1];
    #[allow(clippy::too_many_arguments)]
    fn dfs(
        i: usize,
        covered: u64,
        k: usize,
        sum: u64,
        cands: &[Bucket],
        masks: &[u64],
        full: u64,
        len: u64,
        best: &mut [Option<u64>],
    ) {
        if covered == full {
            let waste = sum - len;
            if best[k].is_none_or(|w| waste < w) {
                best[k] = Some(waste);
            }
            return;
        }
        if i == cands.len() {
            return;
        }
        if masks[i] & !covered != 0 {
            dfs(
                i + 1,
                covered | masks[i],
                k + 1,
                sum + u64::from(cands[i].size()),
                cands,
                masks,
                full,
                len,
                best,
            );
        }
        dfs(i + 1, covered, k, sum, cands, masks, full, len, best);
    }
    dfs(0, 0, 0, 0, &cands, &masks, full, len as u64, &mut best);
    best
}

/// Every covering set of exactly `k` candidates with waste `waste`, each as its buckets sorted
/// by last unit, descending (the tie-break order).
fn all_optimal(from: i64, to: i64, sizes: &[u32], k: usize, waste: u64) -> Vec<Vec<(i64, u32)>> {
    let cands = candidates(from, to, sizes);
    let len = (to - from + 1) as u64;
    let mut out = Vec::new();
    let n = cands.len();
    let mut chosen = Vec::new();
    fn rec(
        i: usize,
        n: usize,
        k: usize,
        cands: &[Bucket],
        chosen: &mut Vec<Bucket>,
        out: &mut Vec<Vec<Bucket>>,
    ) {
        if chosen.len() == k {
            out.push(chosen.clone());
            return;
        }
        if i == n || n - i < k - chosen.len() {
            return;
        }
        chosen.push(cands[i]);
        rec(i + 1, n, k, cands, chosen, out);
        chosen.pop();
        rec(i + 1, n, k, cands, chosen, out);
    }
    let mut sets = Vec::new();
    rec(0, n, k, &cands, &mut chosen, &mut sets);
    for set in sets {
        let sum: u64 = set.iter().map(|b| u64::from(b.size())).sum();
        let covers = (from..=to).all(|v| set.iter().any(|b| b.contains(v)));
        if covers && sum >= len && sum - len == waste {
            let mut key: Vec<(i64, u32)> = set.iter().map(|b| (b.last(), b.size())).collect();
            key.sort_by(|a, b| b.cmp(a));
            out.push(key);
        }
    }
    out
}

/// What the spec says the planner returns: `Ok((statements, waste, budget used, raised))` or
/// `Err(statements needed)`.
fn expected(
    best: &[Option<u64>],
    budget: u64,
    cap: usize,
) -> Result<(usize, u64, u64, bool), usize> {
    let within_cap = |k: &usize| *k <= cap;
    if let Some(k) = (0..best.len())
        .filter(within_cap)
        .find(|&k| best[k].is_some_and(|w| w <= budget))
    {
        return Ok((k, best[k].unwrap(), budget, false));
    }
    // Raise: the smallest budget whose fewest-statement plan fits the cap.
    let raised = (0..best.len())
        .filter(within_cap)
        .filter_map(|k| best[k])
        .min();
    match raised {
        Some(b) => {
            let k = (0..best.len())
                .find(|&k| best[k].is_some_and(|w| w <= b))
                .unwrap();
            Ok((k, best[k].unwrap(), b, true))
        }
        None => Err((0..best.len()).find(|&k| best[k].is_some()).unwrap()),
    }
}

/// Checks the structural invariants of a plan.
fn check_plan(plan: &CoveragePlan, from: i64, to: i64, sizes: &[u32], limits: &PlanLimits) {
    let len = (i128::from(to) - i128::from(from) + 1) as u128;
    let buckets = plan.buckets();
    assert!(!buckets.is_empty());
    assert!(plan.statements() <= limits.max_statements, "cap");
    assert!(plan.waste() <= plan.budget(), "budget");
    if !plan.budget_raised() {
        let requested = limits.max_waste.unwrap_or_else(|| {
            sizes.iter().map(|&s| u64::from(s)).sum::<u64>() / sizes.len() as u64
        });
        assert_eq!(plan.budget(), requested);
    }
    let sum: u128 = buckets.iter().map(|b| u128::from(b.size())).sum();
    assert_eq!(sum - len, u128::from(plan.waste()), "waste = sizes - len");
    // Sorted, within sizes, each meets the range, and the union covers it without gaps.
    let mut next = i128::from(from);
    for pair in buckets.windows(2) {
        assert!(pair[0].first() <= pair[1].first());
        assert_ne!(pair[0], pair[1]);
    }
    for b in buckets {
        assert!(sizes.contains(&b.size()));
        let first = i128::from(b.id()) * i128::from(b.size());
        let last = first + i128::from(b.size()) - 1;
        assert!(
            last >= i128::from(from) && first <= i128::from(to),
            "bucket meets the range"
        );
        assert!(first <= next, "no gap before {b:?}");
        next = next.max(last + 1);
    }
    assert!(next > i128::from(to), "covers to");
}

fn sizes_strategy(max_size: u32, max_count: usize) -> impl Strategy<Value = Vec<u32>> {
    proptest::sample::subsequence((1..=max_size).collect::<Vec<_>>(), 1..=max_count).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn planner_equals_exhaustive_search(
        from in -40i64..40,
        len in 1i64..=12,
        sizes in sizes_strategy(6, 3),
        budget in proptest::option::of(0u64..8),
        cap in 1usize..=8,
    ) {
        let to = from + len - 1;
        let limits = PlanLimits { max_waste: budget, max_statements: cap };
        let best = exhaustive(from, to, &sizes);
        let requested = budget.unwrap_or(sizes.iter().map(|&s| u64::from(s)).sum::<u64>() / sizes.len() as u64);
        match (plan_coverage(from, to, &sizes, &limits), expected(&best, requested, cap)) {
            (Ok(plan), Ok((statements, waste, used, raised))) => {
                check_plan(&plan, from, to, &sizes, &limits);
                prop_assert_eq!(
                    (plan.statements(), plan.waste(), plan.budget(), plan.budget_raised()),
                    (statements, waste, used, raised)
                );
                // Ties: the greatest plan comparing (last unit, size) from the right.
                if statements <= 6 {
                    let best_key = all_optimal(from, to, &sizes, statements, waste).into_iter().max();
                    let mut key: Vec<(i64, u32)> = plan.buckets().iter().map(|b| (b.last(), b.size())).collect();
                    key.sort_by(|a, b| b.cmp(a));
                    prop_assert_eq!(Some(key), best_key);
                }
            }
            (Err(PlanError::TooManyStatements { needed, cap: c, .. }), Err(needed_brute)) => {
                prop_assert_eq!(needed, needed_brute as u128);
                prop_assert_eq!(c, cap);
            }
            (got, want) => prop_assert!(false, "planner {:?} vs exhaustive {:?}", got, want),
        }
    }

    #[test]
    fn plans_cover_and_respect_limits(
        from in prop_oneof![-10_000i64..10_000, Just(i64::MIN), Just(i64::MAX - 3000), any::<i64>()],
        len in 1i64..=3000,
        sizes in sizes_strategy(64, 5),
        budget in proptest::option::of(0u64..100),
        cap in prop_oneof![Just(64usize), 1usize..200],
    ) {
        let to = from.saturating_add(len - 1);
        let limits = PlanLimits { max_waste: budget, max_statements: cap };
        match plan_coverage(from, to, &sizes, &limits) {
            Ok(plan) => {
                check_plan(&plan, from, to, &sizes, &limits);
                if plan.budget_raised() {
                    // The raised budget is the smallest that fits: one less must raise to it.
                    let lower = limits.with_max_waste(plan.budget() - 1);
                    let again = plan_coverage(from, to, &sizes, &lower).unwrap();
                    prop_assert!(again.budget_raised());
                    prop_assert_eq!(again.budget(), plan.budget());
                    prop_assert_eq!(again.buckets(), plan.buckets());
                    // And requesting it directly gives the same plan without a raise.
                    let exact = plan_coverage(from, to, &sizes, &limits.with_max_waste(plan.budget())).unwrap();
                    prop_assert!(!exact.budget_raised());
                    prop_assert_eq!(exact.buckets(), plan.buckets());
                }
            }
            Err(PlanError::TooManyStatements { needed, cap: c, .. }) => {
                prop_assert!(needed > c as u128);
                prop_assert_eq!(c, cap);
                // With the needed cap and an unlimited budget there is a plan of that size.
                if let Ok(n) = usize::try_from(needed) {
                    let plan = plan_coverage(from, to, &sizes, &PlanLimits { max_waste: Some(u64::MAX), max_statements: n }).unwrap();
                    prop_assert_eq!(plan.statements(), n);
                }
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn larger_budget_never_needs_more_statements(
        from in -1000i64..1000,
        len in 1i64..=200,
        sizes in sizes_strategy(20, 4),
        budget in 0u64..30,
    ) {
        let to = from + len - 1;
        let limits = PlanLimits::new().with_max_statements(usize::MAX);
        let a = plan_coverage(from, to, &sizes, &limits.with_max_waste(budget)).unwrap();
        let b = plan_coverage(from, to, &sizes, &limits.with_max_waste(budget + 1)).unwrap();
        prop_assert!(b.statements() <= a.statements());
        if b.statements() == a.statements() {
            prop_assert!(b.waste() <= a.waste());
        }
    }
}

#[test]
fn budget_rises_when_the_cap_binds() {
    // [5, 24] with sizes 1, 10: within budget 0 the plan is 5 + 1 + 5 = 11 statements.
    let limits = PlanLimits::new().with_max_waste(0);
    let plan = plan_coverage(5, 24, &[1, 10], &limits).unwrap();
    assert_eq!(
        (plan.statements(), plan.waste(), plan.budget_raised()),
        (11, 0, false)
    );
    // A cap of 3 forces the three size-10 buckets, waste 10: the budget rises to 10.
    let plan = plan_coverage(5, 24, &[1, 10], &limits.with_max_statements(3)).unwrap();
    assert_eq!(
        plan.buckets(),
        &[Bucket::new(10, 0), Bucket::new(10, 1), Bucket::new(10, 2)]
    );
    assert_eq!(
        (plan.waste(), plan.budget(), plan.budget_raised()),
        (10, 10, true)
    );
    // A cap of 7: 10-bucket 0 (waste 5) + bucket 1 + five 1-buckets = 7 statements, waste 5.
    let plan = plan_coverage(5, 24, &[1, 10], &limits.with_max_statements(7)).unwrap();
    assert_eq!((plan.statements(), plan.waste(), plan.budget()), (7, 5, 5));
    // A cap of 2 cannot be met with any budget.
    let err = plan_coverage(5, 24, &[1, 10], &limits.with_max_statements(2)).unwrap_err();
    assert_eq!(
        err,
        PlanError::TooManyStatements {
            from: 5,
            to: 24,
            needed: 3,
            cap: 2
        }
    );
    let msg = err.to_string();
    assert!(
        msg.contains("needs at least 3 statements") && msg.contains("cap is 2"),
        "{msg}"
    );
}

#[test]
fn ties_prefer_later_larger_buckets() {
    // [0, 5] with sizes 2 and 3 and budget 0: {2,2,2} = 3 statements vs {3,3} = 2 statements.
    let plan = plan_coverage(0, 5, &[2, 3], &PlanLimits::new().with_max_waste(0)).unwrap();
    assert_eq!(plan.buckets(), &[Bucket::new(3, 0), Bucket::new(3, 1)]);
    // [1, 4] with sizes 1, 2, 4 and budget 1: 2 statements, e.g. {4:0 (waste 1), 1:4} or
    // {1:1, 4:1 (waste... )}; ties go to the plan whose last bucket ends latest, then is larger.
    let a = plan_coverage(1, 4, &[1, 2, 4], &PlanLimits::new().with_max_waste(3)).unwrap();
    let b = plan_coverage(1, 4, &[4, 2, 1], &PlanLimits::new().with_max_waste(3)).unwrap();
    assert_eq!(a, b, "size order does not matter");
}

#[test]
fn invalid_inputs_are_errors() {
    let d = PlanLimits::default();
    assert_eq!(
        plan_coverage(5, 4, &[1], &d),
        Err(PlanError::InvertedRange { from: 5, to: 4 })
    );
    assert_eq!(
        plan_coverage(i64::MAX, i64::MIN, &[1], &d),
        Err(PlanError::InvertedRange {
            from: i64::MAX,
            to: i64::MIN
        })
    );
    assert_eq!(plan_coverage(0, 4, &[], &d), Err(PlanError::NoSizes));
    assert_eq!(plan_coverage(0, 4, &[4, 0], &d), Err(PlanError::ZeroSize));
    assert_eq!(
        plan_coverage(0, 4, &[4, 1, 4], &d),
        Err(PlanError::DuplicateSize { size: 4 })
    );
    for err in [
        PlanError::NoSizes,
        PlanError::ZeroSize,
        PlanError::DuplicateSize { size: 4 },
    ] {
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn extremes_never_panic() {
    let d = PlanLimits::default();
    let unlimited = PlanLimits {
        max_waste: Some(u64::MAX),
        max_statements: usize::MAX,
    };
    let size_sets: [&[u32]; 4] = [&[1], &[u32::MAX], &[1, u32::MAX], &[3, 7, u32::MAX - 1]];
    let ranges = [
        (i64::MIN, i64::MAX),
        (i64::MIN, i64::MIN),
        (i64::MAX, i64::MAX),
        (i64::MIN, i64::MIN + 100),
        (i64::MAX - 100, i64::MAX),
        (-1, 0),
        (0, MAX_PLAN_UNITS as i64),
        (0, MAX_PLAN_UNITS as i64 - 1),
    ];
    for sizes in size_sets {
        for (from, to) in ranges {
            for limits in [d, unlimited, PlanLimits::new().with_max_statements(0)] {
                match plan_coverage(from, to, sizes, &limits) {
                    Ok(plan) => check_plan(&plan, from, to, sizes, &limits),
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
            }
        }
    }
    // A full-domain range with one huge bucket size: needs 2^64 / (2^32 - 1) + ... statements.
    let err = plan_coverage(i64::MIN, i64::MAX, &[1], &d).unwrap_err();
    assert!(matches!(err, PlanError::TooManyStatements { needed, .. } if needed == 1u128 << 64));
    let err = plan_coverage(0, MAX_PLAN_UNITS as i64, &[1], &unlimited).unwrap_err();
    assert!(matches!(err, PlanError::RangeTooLarge { .. }), "{err}");
    // A huge budget and cap over a long range hits the state limit, not memory.
    let err = plan_coverage(0, 999_999, &[1, 2, 3], &unlimited).unwrap_err();
    assert!(matches!(err, PlanError::PlanTooLarge { .. }), "{err}");
}
