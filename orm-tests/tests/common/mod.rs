//! Models shared by the integration tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use orm_macros::Model;
use orm_runtime::scylla::value::{
    CqlDate, CqlDecimal, CqlDuration, CqlTime, CqlTimestamp, CqlTimeuuid, CqlVarint,
};
use uuid::Uuid;

/// The running example: orders of a company, newest first.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "sale_orders")]
pub struct SaleOrder {
    #[partition_key]
    pub company_id: i32,
    #[clustering_key(desc)]
    pub order_id: i64,
    #[index]
    pub status: i32,
    #[index(local)]
    pub customer: String,
    #[column(name = "total_cents")]
    pub total: i64,
    #[index]
    pub tags: BTreeSet<String>,
    pub note: Option<String>,
}

impl SaleOrder {
    pub fn sample(company_id: i32, order_id: i64) -> Self {
        SaleOrder {
            company_id,
            order_id,
            status: (order_id % 3) as i32,
            customer: format!("customer-{}", order_id % 4),
            total: order_id * 100,
            tags: [format!("t{}", order_id % 2)].into_iter().collect(),
            note: (order_id % 2 == 0).then(|| format!("note {order_id}")),
        }
    }
}

/// A composite partition key and two clustering columns.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct SensorReading {
    #[partition_key]
    pub site: String,
    #[partition_key]
    pub day: i32,
    #[clustering_key]
    pub sensor: i16,
    #[clustering_key]
    pub seq: i64,
    pub value: f64,
    #[index(keys)]
    pub labels: BTreeMap<String, String>,
}

/// Every mapped type.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct AllTypes {
    #[partition_key]
    pub id: Uuid,
    pub c_tiny: i8,
    pub c_small: i16,
    pub c_int: i32,
    pub c_big: i64,
    pub c_float: f32,
    pub c_double: f64,
    pub c_flag: bool,
    pub c_text: String,
    pub c_bytes: Vec<u8>,
    pub c_timeuuid: CqlTimeuuid,
    pub c_ts: CqlTimestamp,
    pub c_date: CqlDate,
    pub c_time: CqlTime,
    pub c_varint: CqlVarint,
    pub c_decimal: CqlDecimal,
    pub c_inet: IpAddr,
    pub c_duration: CqlDuration,
    pub c_list: Vec<i64>,
    pub c_set: BTreeSet<i32>,
    pub c_hset: HashSet<String>,
    pub c_map: BTreeMap<i32, String>,
    pub c_hmap: HashMap<String, i64>,
    pub c_nested: Vec<Vec<i32>>,
    pub c_maybe: Option<i32>,
    pub c_maybe_list: Option<Vec<String>>,
}

/// `SaleOrder` without indexes: the CRUD paths that need no secondary index.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Shipment {
    #[partition_key]
    pub warehouse: i32,
    #[clustering_key(desc)]
    pub id: i64,
    pub status: i32,
    pub customer: String,
    #[column(name = "total_cents")]
    pub total: i64,
    pub tags: BTreeSet<String>,
    pub note: Option<String>,
}

impl Shipment {
    pub fn sample(warehouse: i32, id: i64) -> Self {
        Shipment {
            warehouse,
            id,
            status: (id % 3) as i32,
            customer: format!("customer-{}", id % 4),
            total: id * 100,
            tags: [format!("t{}", id % 2)].into_iter().collect(),
            note: (id % 2 == 0).then(|| format!("note {id}")),
        }
    }
}

/// Composite partition key, two clustering columns, no index.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Reading {
    #[partition_key]
    pub site: String,
    #[partition_key]
    pub day: i32,
    #[clustering_key]
    pub sensor: i16,
    #[clustering_key]
    pub seq: i64,
    pub value: f64,
}
