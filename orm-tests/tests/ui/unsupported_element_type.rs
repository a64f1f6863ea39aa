use orm_macros::Model;

struct Money(i64);

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    amounts: Vec<Money>,
}

fn main() {}
