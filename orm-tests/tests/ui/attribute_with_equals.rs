use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key = "yes"]
    company: i32,
}

fn main() {}
