//! Coverage planner benchmarks: weekly ranges of 19 weeks, 1 year and 10 years with bucket
//! sizes (1, 4, 5) and (1, 2, 4, 8, 16, 52).
//!
//! Run: `cargo bench -p orm-runtime --bench planner -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use orm_runtime::bucketing::{PlanLimits, plan_coverage};

/// Week index of week code 2548 (Monday 2025-11-24).
const FROM: i64 = 2916;

fn cases() -> Vec<(String, i64, i64, &'static [u32], PlanLimits)> {
    let small: &'static [u32] = &[1, 4, 5];
    let binary: &'static [u32] = &[1, 2, 4, 8, 16, 52];
    let mut out = Vec::new();
    for (label, weeks) in [("19w", 19), ("1y", 52), ("10y", 520)] {
        for (sizes_label, sizes) in [("1,4,5", small), ("1,2,4,8,16,52", binary)] {
            let to = FROM + weeks - 1;
            out.push((
                format!("{label}/({sizes_label})"),
                FROM,
                to,
                sizes,
                PlanLimits::default(),
            ));
            if weeks == 520 && sizes.len() == 3 {
                // 104 statements are needed: the default cap of 64 rejects it (measured above as
                // the error path); also measure the plan itself under a cap of 128.
                out.push((
                    format!("{label}/({sizes_label})/cap128"),
                    FROM,
                    to,
                    sizes,
                    PlanLimits::default().with_max_statements(128),
                ));
            }
        }
    }
    out
}

fn bench_planner(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan_coverage");
    for (name, from, to, sizes, limits) in cases() {
        match plan_coverage(from, to, sizes, &limits) {
            Ok(plan) => println!(
                "{name}: statements {}, waste {}, budget {}",
                plan.statements(),
                plan.waste(),
                plan.budget()
            ),
            Err(e) => println!("{name}: error: {e}"),
        }
        group.bench_function(name, |b| {
            b.iter(|| plan_coverage(black_box(from), black_box(to), black_box(sizes), &limits))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_planner);
criterion_main!(benches);
