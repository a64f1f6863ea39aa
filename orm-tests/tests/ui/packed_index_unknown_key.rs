use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[packed_index(int16)]
    status: i32,
    #[packed_index(decimal_size = 8, local)]
    updated: i64,
}

fn main() {}
