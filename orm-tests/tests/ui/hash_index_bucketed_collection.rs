use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[hash_index]
    customer: i64,
    #[hash_index(bucketing(1, 4, 5))]
    weeks: Vec<i32>,
}

fn main() {}
