use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    discounts: Vec<Option<i32>>,
}

fn main() {}
