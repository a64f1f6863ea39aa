use orm_macros::Model;
use std::collections::BTreeSet;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[index(local)]
    tags: BTreeSet<String>,
}

fn main() {}
