use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[packed_index(decimal_size = 1)]
    status: i32,
    #[packed_index(int32, decimal_size = 8)]
    updated: i64,
}

fn main() {}
