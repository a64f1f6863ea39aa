use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[hash_index(week_code, max_waste = 2)]
    products: Vec<i64>,
    #[hash_index(bucketing(1, 4, 5), max_statements = 0)]
    week: i32,
}

fn main() {}
