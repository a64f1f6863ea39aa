use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    total: i64,
    #[column(name = "total")]
    total_cents: i64,
}

fn main() {}
