use orm_macros::Model;

#[derive(Model)]
#[model(tabel = "orders")]
struct Invoice {
    #[partition_key]
    company: i32,
}

fn main() {}
