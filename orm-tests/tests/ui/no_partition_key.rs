use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[clustering_key]
    id: i64,
    total: i64,
}

fn main() {}
