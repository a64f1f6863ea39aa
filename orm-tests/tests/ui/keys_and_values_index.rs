use std::collections::BTreeMap;

use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[index(keys, values)]
    lines: BTreeMap<String, i64>,
}

fn main() {}
