use orm_macros::Model;

#[derive(Model)]
struct Invoice(i32, i64);

fn main() {}
