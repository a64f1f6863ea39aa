use orm_macros::Model;

#[derive(Model)]
struct SaleOrder {
    #[partition_key]
    company: i32,
    #[clustering_key]
    id: i64,
    #[hash_index]
    products: Vec<i64>,
    #[hash_index(bucketing(1, 4294967296))]
    week: i32,
}

fn main() {}
