use orm_macros::Model;

#[derive(Model)]
struct Nothing;

fn main() {}
