//! The main example (interim version).
//!
//! Today it shows the planning half of composite bucketing for the design documents' query —
//! company 1, product 1, weeks 2548..2614 with buckets (1, 4, 5) — and the packing of the
//! delta-sync index. The full example (a `sale_order` model migrated into the embedded emulator,
//! tens of thousands of orders, the queries next to an ALLOW FILTERING scan) replaces this once the
//! hash-index and packed-index features land; see the status table in the README.
//!
//! Run it with `cargo run -p orm-tests --example sale_orders`.

use orm_runtime::bucketing::{PlanLimits, composite_hash, plan_coverage, week_index};
use orm_runtime::packing::{PackedLayout, PackedOutput};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (from_code, to_code) = (2548, 2614);
    let sizes = [1, 4, 5];
    let product = 1_i64;

    println!(
        "Query: empresa_id = 1 AND detail_products_ids CONTAINS {product} AND week BETWEEN {from_code} AND {to_code}"
    );
    println!("Bucket sizes: {sizes:?} (week codes YYWW, bucketed by ISO week index)\n");

    let (from, to) = (week_index(from_code)?, week_index(to_code)?);
    println!(
        "Week codes {from_code}..{to_code} are week indexes {from}..{to} ({} weeks).",
        to - from + 1
    );

    let plan = plan_coverage(from, to, &sizes, &PlanLimits::default())?;
    println!(
        "Plan: {} statements, waste {} (budget {}):",
        plan.statements(),
        plan.waste(),
        plan.budget()
    );
    for bucket in plan.buckets() {
        let hash = composite_hash(&[product, bucket.id()]);
        println!(
            "  SELECT ... WHERE empresa_id = ? AND zz_hb_detail_products_ids_week_b{} CONTAINS ?   -- bucket {} covers weeks {}..{}, binds hash {hash}",
            bucket.size(),
            bucket.id(),
            bucket.first(),
            bucket.last(),
        );
    }

    let naive = plan_coverage(from, to, &[1], &PlanLimits::default())?;
    println!(
        "Size-1 buckets alone would need {} statements for the same range.\n",
        naive.statements()
    );

    let layout = PackedLayout::new(PackedOutput::Int32, &[None, Some(8)])?;
    let (status, updated) = (2, 370_598_453);
    println!(
        "Packed index (status, updated) as int32 with decimal_size = 8: status {status}, updated {updated} -> {}",
        layout.pack(&[status, updated])?
    );
    Ok(())
}
