use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    products: Vec<i64>,
    #[hash_index(bucketing(1, 4, 5))]
    week: i32,
}

fn main() {}
