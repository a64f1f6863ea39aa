// `<Model>::query()` has methods only for what the index declarations support: no method for
// a column that is no index source, no IN on a bucketed column, no range on a collection.
use orm_macros::Model;

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "sale_order")]
pub struct SaleOrder {
    #[partition_key]
    pub empresa_id: i32,
    #[clustering_key]
    pub id: i64,
    #[hash_index]
    pub detail_products_ids: Vec<i64>,
    #[hash_index(bucketing(1, 4, 5), week_code)]
    pub week: i32,
    pub note: Option<String>,
}

fn main() {
    let _ = SaleOrder::query().empresa_id(1).note("x".to_owned());
    let _ = SaleOrder::query().empresa_id(1).week_in([2548]);
    let _ = SaleOrder::query().empresa_id(1).detail_products_ids_between(1, 2);
}
