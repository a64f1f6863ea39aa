use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[packed_index]
    statuses: Vec<i32>,
    #[packed_index(decimal_size = 8)]
    updated: i64,
}

fn main() {}
