use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[clustering_key]
    #[index]
    id: i64,
}

fn main() {}
