use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[hash_index]
    a: i32,
    #[hash_index]
    b: i32,
    #[hash_index]
    c: Vec<i32>,
    #[hash_index(bucketing(1, 4, 5))]
    week: i32,
}

fn main() {}
