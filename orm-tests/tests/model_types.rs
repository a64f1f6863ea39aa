//! Round-trips of every mapped type through the driver.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::AllTypes;
use orm_runtime::scylla::value::{
    CqlDate, CqlDecimal, CqlDuration, CqlTime, CqlTimestamp, CqlTimeuuid, CqlVarint,
};
use orm_tests::test_db;
use uuid::Uuid;

fn full(id: Uuid) -> AllTypes {
    AllTypes {
        id,
        c_tiny: -8,
        c_small: -1600,
        c_int: 2_000_000_000,
        c_big: -9_000_000_000_000,
        c_float: 1.5,
        c_double: -2.25e100,
        c_flag: true,
        c_text: "héllo, wörld ✓".into(),
        c_bytes: vec![0, 1, 2, 255],
        c_timeuuid: CqlTimeuuid::from(
            Uuid::parse_str("8e14e760-7fa8-11eb-bc66-000000000001").unwrap(),
        ),
        c_ts: CqlTimestamp(1_700_000_000_123),
        c_date: CqlDate((1u32 << 31) + 19_000),
        c_time: CqlTime(12 * 3_600_000_000_000 + 345),
        c_varint: CqlVarint::from_signed_bytes_be(vec![
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        ]),
        c_decimal: CqlDecimal::from_signed_be_bytes_and_exponent(vec![0x30, 0x39], 2),
        c_inet: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        c_duration: CqlDuration {
            months: 1,
            days: -2,
            nanoseconds: 3_000_000_007,
        },
        c_list: vec![3, 1, 3, -7],
        c_set: [5, -1, 9].into_iter().collect(),
        c_hset: ["a".to_owned(), "b".to_owned()].into_iter().collect(),
        c_map: [(1, "one".to_owned()), (-2, "minus two".to_owned())]
            .into_iter()
            .collect(),
        c_hmap: [("x".to_owned(), 10), ("y".to_owned(), -20)]
            .into_iter()
            .collect(),
        c_nested: vec![vec![1, 2], vec![], vec![3]],
        c_maybe: Some(-1),
        c_maybe_list: Some(vec!["z".into()]),
    }
}

fn empty(id: Uuid) -> AllTypes {
    AllTypes {
        id,
        c_tiny: i8::MIN,
        c_small: i16::MAX,
        c_int: i32::MIN,
        c_big: i64::MAX,
        c_float: f32::MIN_POSITIVE,
        c_double: 0.0,
        c_flag: false,
        c_text: String::new(),
        c_bytes: Vec::new(),
        c_timeuuid: CqlTimeuuid::from(
            Uuid::parse_str("00000000-0000-1000-8000-000000000000").unwrap(),
        ),
        c_ts: CqlTimestamp(-1),
        c_date: CqlDate(0),
        c_time: CqlTime(0),
        c_varint: CqlVarint::from_signed_bytes_be(vec![0xff]),
        c_decimal: CqlDecimal::from_signed_be_bytes_and_exponent(vec![0x00], 0),
        c_inet: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
        c_duration: CqlDuration {
            months: 0,
            days: 0,
            nanoseconds: 0,
        },
        c_list: Vec::new(),
        c_set: BTreeSet::new(),
        c_hset: HashSet::new(),
        c_map: BTreeMap::new(),
        c_hmap: HashMap::new(),
        c_nested: Vec::new(),
        c_maybe: None,
        c_maybe_list: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mapped_type_round_trips() {
    orm_tests::init_tracing();
    let db = test_db("types").await;
    db.migrate::<AllTypes>().await.unwrap();
    let a = full(Uuid::new_v4());
    let b = empty(Uuid::new_v4());
    db.insert_many([&a, &b]).await.unwrap();
    assert_eq!(AllTypes::get(&db, a.id).await.unwrap(), Some(a.clone()));
    // Empty collections are stored as null and read back empty; `None` stays `None`.
    assert_eq!(AllTypes::get(&db, b.id).await.unwrap(), Some(b.clone()));

    // Updates of nullable and collection columns.
    AllTypes::update(b.id)
        .set_c_maybe(5)
        .set_c_maybe_list(Some(vec!["q".to_owned()]))
        .set_c_map(BTreeMap::from([(9, "nine".to_owned())]))
        .execute(&db)
        .await
        .unwrap();
    let got = AllTypes::get(&db, b.id).await.unwrap().unwrap();
    assert_eq!(got.c_maybe, Some(5));
    assert_eq!(got.c_maybe_list, Some(vec!["q".to_owned()]));
    assert_eq!(got.c_map, BTreeMap::from([(9, "nine".to_owned())]));
    AllTypes::update(a.id)
        .set_c_maybe(None)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        AllTypes::get(&db, a.id).await.unwrap().unwrap().c_maybe,
        None
    );
    db.shutdown().await;
}
