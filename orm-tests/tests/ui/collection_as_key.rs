use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[clustering_key]
    items: Vec<i64>,
}

fn main() {}
