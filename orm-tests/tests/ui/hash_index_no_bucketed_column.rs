use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[hash_index]
    products: Vec<i64>,
    #[hash_index]
    week: i32,
}

fn main() {}
