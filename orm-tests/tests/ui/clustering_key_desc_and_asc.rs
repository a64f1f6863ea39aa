use orm_macros::Model;

#[derive(Model)]
struct Event {
    #[partition_key]
    device: i32,
    #[clustering_key(desc, asc)]
    at: i64,
}

fn main() {}
