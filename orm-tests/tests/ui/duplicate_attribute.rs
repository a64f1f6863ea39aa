use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[index]
    #[index(local)]
    status: i32,
}

fn main() {}
