use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[clustering_key]
    id: i64,
    status: i32,
}

fn main() {
    let _ok = Invoice::update(1, 2).set_status(3);
    let _refused = Invoice::update(1, 2).set_id(3);
}
