use orm_macros::Model;

#[derive(Model)]
#[model(table = "a")]
#[model(table = "b")]
struct Invoice {
    #[partition_key]
    company: i32,
}

fn main() {}
