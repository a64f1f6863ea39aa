use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[hash_index(name = "by_week")]
    #[hash_index(name = "by_day")]
    products: Vec<i64>,
    #[hash_index(name = "by_week", bucketing(1, 4, 5), week_code)]
    week: i32,
    #[hash_index(name = "by_day")]
    day: i32,
}

fn main() {}
