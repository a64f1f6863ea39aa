use orm_macros::Model;

#[derive(Model)]
struct Invoice {
    #[partition_key]
    company: i32,
    status: i32,
}

fn main() {
    let _q = Invoice::select().filter(|c| c.company.eq("seven"));
}
