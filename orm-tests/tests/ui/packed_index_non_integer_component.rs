use orm_macros::Model;

#[derive(Model)]
struct Sale {
    #[partition_key]
    company: i32,
    #[packed_index]
    status: String,
    #[packed_index(decimal_size = 8)]
    updated: f64,
}

fn main() {}
