use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    order: i64,
}

fn main() {}
