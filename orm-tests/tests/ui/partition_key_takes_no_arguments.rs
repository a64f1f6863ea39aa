use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key(position = 1)]
    company: i32,
}

fn main() {}
