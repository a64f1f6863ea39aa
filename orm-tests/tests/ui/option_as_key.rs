use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: Option<i32>,
    total: i64,
}

fn main() {}
