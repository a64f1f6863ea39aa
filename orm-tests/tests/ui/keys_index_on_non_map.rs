use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[index(keys)]
    tags: Vec<String>,
}

fn main() {}
