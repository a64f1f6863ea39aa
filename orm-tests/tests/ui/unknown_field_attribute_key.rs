use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[column(nmae = "total_cents")]
    total: i64,
}

fn main() {}
