use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    #[clustering_key]
    company: i32,
}

fn main() {}
