use orm_macros::Model;
use orm_runtime::__private::scylla::value::CqlDuration;

#[derive(Model)]
struct Lease {
    #[partition_key]
    id: i64,
    spans: Vec<CqlDuration>,
}

fn main() {}
