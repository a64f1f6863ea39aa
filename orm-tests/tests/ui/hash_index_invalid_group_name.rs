use orm_macros::Model;

#[derive(Model)]
struct SaleOrder {
    #[partition_key]
    company: i32,
    #[clustering_key]
    id: i64,
    #[hash_index(name = "By Week")]
    products: Vec<i64>,
    #[hash_index(bucketing(1, 4), name = "By Week")]
    week: i32,
}

fn main() {}
