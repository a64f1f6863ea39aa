use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[index(values)]
    total: i64,
}

fn main() {}
