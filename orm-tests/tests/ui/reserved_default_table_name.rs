use orm_macros::Model;

// The default table name is the snake_case struct name: `order`, a reserved CQL keyword.
#[derive(Model)]
struct Order {
    #[partition_key]
    id: i32,
}

fn main() {}
