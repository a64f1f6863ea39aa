use orm_macros::Model;

#[derive(Model)]
enum Invoice {
    Open { company: i32 },
    Closed { company: i32 },
}

fn main() {}
