use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[packed_index]
    #[packed_index(name = "again", view)]
    status: i32,
    #[packed_index(decimal_size = 8)]
    #[packed_index(name = "again", decimal_size = 6)]
    updated: i64,
}

fn main() {}
