use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    status: i32,
    #[packed_index(int32)]
    updated: i64,
}

fn main() {}
