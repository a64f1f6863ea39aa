use orm_macros::Model;

#[derive(Model)]
#[index]
struct Invoice {
    #[partition_key]
    company: i32,
    #[model(table = "x")]
    status: i32,
}

fn main() {}
