use orm_macros::Model;
use orm_runtime::__private::scylla::value::CqlDuration;

#[derive(Model)]
struct Lease {
    #[partition_key]
    span: CqlDuration,
    #[clustering_key]
    id: i64,
    #[index]
    grace: CqlDuration,
}

fn main() {}
