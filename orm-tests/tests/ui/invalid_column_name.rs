use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[column(name = "Total-Cents")]
    total: i64,
}

fn main() {}
