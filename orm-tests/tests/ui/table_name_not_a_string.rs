use orm_macros::Model;

#[derive(Model)]
#[model(table = 123)]
struct Invoice {
    #[partition_key]
    company: i32,
}

fn main() {}
