use orm_macros::Model;

// Three independent mistakes: all three are reported in one compilation.
#[derive(Model)]
#[model(table = "Orders")]
struct Invoice {
    #[partition_key]
    company: Option<i32>,
    total: u32,
    #[index(local)]
    tags: Vec<String>,
}

fn main() {}
