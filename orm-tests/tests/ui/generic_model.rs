use orm_macros::Model;

#[derive(Model)]
struct Invoice<T> {
    #[partition_key]
    company: i32,
    payload: T,
}

fn main() {}
