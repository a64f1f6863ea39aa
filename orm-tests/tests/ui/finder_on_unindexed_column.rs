use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    #[index]
    status: i32,
    note: String,
}

fn main() {
    let _served = Invoice::find_by_status(3);
    let _refused = Invoice::find_by_note("late");
}
