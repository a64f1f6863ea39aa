use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[packed_index]
    status: i32,
    #[packed_index(decimal_size = 0)]
    updated: i64,
}

fn main() {}
