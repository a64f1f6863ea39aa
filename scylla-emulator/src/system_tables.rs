//! The `system` and `system_schema` keyspaces: real (read-only) tables whose contents are
//! regenerated from the schema after every DDL.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use crate::engine::{Db, Keyspace, Table};
use crate::schema::{ColumnDef, ColumnKind, KeyspaceDef, TableDef};
use crate::storage::{AtomCell, CKey, Marker, PKey, TableData};
use crate::types::{ColType, Value};

/// The fixed host id of the emulated node.
pub const HOST_ID: &str = "5b7a64b2-5e0d-4a3c-9a51-2f1f6f0c0e01";

fn t() -> ColType {
    ColType::Text
}
fn frozen(c: ColType) -> ColType {
    ColType::Frozen(Box::new(c))
}
fn map_tt() -> ColType {
    frozen(ColType::Map(Box::new(t()), Box::new(t())))
}
fn list_t() -> ColType {
    frozen(ColType::List(Box::new(t())))
}

enum K {
    P,
    C,
    R,
}

fn table(ks: &str, name: &str, cols: Vec<(&str, ColType, K)>) -> TableDef {
    let mut pk = 0;
    let mut ck = 0;
    let columns: Vec<ColumnDef> = cols
        .into_iter()
        .enumerate()
        .map(|(i, (n, ty, k))| {
            let (kind, position) = match k {
                K::P => {
                    pk += 1;
                    (ColumnKind::PartitionKey, pk - 1)
                }
                K::C => {
                    ck += 1;
                    (ColumnKind::Clustering, ck - 1)
                }
                K::R => (ColumnKind::Regular, -1),
            };
            ColumnDef {
                id: i as u32,
                name: n.to_string(),
                ty,
                kind,
                position,
                desc: false,
            }
        })
        .collect();
    let n = columns.len() as u32;
    let mut d = TableDef {
        keyspace: ks.to_string(),
        name: name.to_string(),
        id: uuid::Uuid::from_bytes(md5::compute(format!("{ks}.{name}")).0),
        columns,
        partition_key: vec![],
        clustering: vec![],
        next_column_id: n,
        properties: BTreeMap::new(),
        indexes: vec![],
        dropped: BTreeMap::new(),
    };
    d.reindex();
    d
}

fn table_option_cols() -> Vec<(&'static str, ColType, K)> {
    vec![
        ("bloom_filter_fp_chance", ColType::Double, K::R),
        ("caching", map_tt(), K::R),
        ("comment", t(), K::R),
        ("compaction", map_tt(), K::R),
        ("compression", map_tt(), K::R),
        ("crc_check_chance", ColType::Double, K::R),
        ("dclocal_read_repair_chance", ColType::Double, K::R),
        ("default_time_to_live", ColType::Int, K::R),
        (
            "extensions",
            frozen(ColType::Map(Box::new(t()), Box::new(ColType::Blob))),
            K::R,
        ),
        ("gc_grace_seconds", ColType::Int, K::R),
        ("id", ColType::Uuid, K::R),
        ("max_index_interval", ColType::Int, K::R),
        ("memtable_flush_period_in_ms", ColType::Int, K::R),
        ("min_index_interval", ColType::Int, K::R),
        ("read_repair_chance", ColType::Double, K::R),
        ("speculative_retry", t(), K::R),
    ]
}

fn defs() -> Vec<TableDef> {
    let tokens = ColType::Set(Box::new(t()));
    let mut tables_cols = vec![("keyspace_name", t(), K::P), ("table_name", t(), K::C)];
    tables_cols.extend(table_option_cols());
    tables_cols.push(("cdc", ColType::Map(Box::new(t()), Box::new(t())), K::R));
    tables_cols.push(("flags", frozen(ColType::Set(Box::new(t()))), K::R));
    let mut views_cols = vec![
        ("keyspace_name", t(), K::P),
        ("view_name", t(), K::C),
        ("base_table_id", ColType::Uuid, K::R),
        ("base_table_name", t(), K::R),
        ("include_all_columns", ColType::Boolean, K::R),
        ("where_clause", t(), K::R),
    ];
    views_cols.extend(table_option_cols());
    vec![
        table(
            "system",
            "local",
            vec![
                ("key", t(), K::P),
                ("bootstrapped", t(), K::R),
                ("broadcast_address", ColType::Inet, K::R),
                ("cluster_name", t(), K::R),
                ("cql_version", t(), K::R),
                ("data_center", t(), K::R),
                ("gossip_generation", ColType::Int, K::R),
                ("host_id", ColType::Uuid, K::R),
                ("listen_address", ColType::Inet, K::R),
                ("native_protocol_version", t(), K::R),
                ("partitioner", t(), K::R),
                ("rack", t(), K::R),
                ("release_version", t(), K::R),
                ("rpc_address", ColType::Inet, K::R),
                ("schema_version", ColType::Uuid, K::R),
                ("supported_features", t(), K::R),
                ("tokens", tokens.clone(), K::R),
                (
                    "truncated_at",
                    ColType::Map(Box::new(ColType::Uuid), Box::new(ColType::Blob)),
                    K::R,
                ),
            ],
        ),
        table(
            "system",
            "peers",
            vec![
                ("peer", ColType::Inet, K::P),
                ("data_center", t(), K::R),
                ("host_id", ColType::Uuid, K::R),
                ("preferred_ip", ColType::Inet, K::R),
                ("rack", t(), K::R),
                ("release_version", t(), K::R),
                ("rpc_address", ColType::Inet, K::R),
                ("schema_version", ColType::Uuid, K::R),
                ("supported_features", t(), K::R),
                ("tokens", tokens, K::R),
            ],
        ),
        table(
            "system_schema",
            "keyspaces",
            vec![
                ("keyspace_name", t(), K::P),
                ("durable_writes", ColType::Boolean, K::R),
                ("replication", map_tt(), K::R),
            ],
        ),
        table("system_schema", "tables", tables_cols),
        table(
            "system_schema",
            "columns",
            vec![
                ("keyspace_name", t(), K::P),
                ("table_name", t(), K::C),
                ("column_name", t(), K::C),
                ("clustering_order", t(), K::R),
                ("column_name_bytes", ColType::Blob, K::R),
                ("kind", t(), K::R),
                ("position", ColType::Int, K::R),
                ("type", t(), K::R),
            ],
        ),
        table(
            "system_schema",
            "dropped_columns",
            vec![
                ("keyspace_name", t(), K::P),
                ("table_name", t(), K::C),
                ("column_name", t(), K::C),
                ("dropped_time", ColType::Timestamp, K::R),
                ("type", t(), K::R),
            ],
        ),
        table("system_schema", "views", views_cols),
        table(
            "system_schema",
            "indexes",
            vec![
                ("keyspace_name", t(), K::P),
                ("table_name", t(), K::C),
                ("index_name", t(), K::C),
                ("kind", t(), K::R),
                ("options", map_tt(), K::R),
            ],
        ),
        table(
            "system_schema",
            "types",
            vec![
                ("keyspace_name", t(), K::P),
                ("type_name", t(), K::C),
                ("field_names", list_t(), K::R),
                ("field_types", list_t(), K::R),
            ],
        ),
        table(
            "system_schema",
            "functions",
            vec![
                ("keyspace_name", t(), K::P),
                ("function_name", t(), K::C),
                ("argument_types", list_t(), K::C),
                ("argument_names", list_t(), K::R),
                ("body", t(), K::R),
                ("called_on_null_input", ColType::Boolean, K::R),
                ("language", t(), K::R),
                ("return_type", t(), K::R),
            ],
        ),
        table(
            "system_schema",
            "aggregates",
            vec![
                ("keyspace_name", t(), K::P),
                ("aggregate_name", t(), K::C),
                ("argument_types", list_t(), K::C),
                ("final_func", t(), K::R),
                ("initcond", t(), K::R),
                ("return_type", t(), K::R),
                ("state_func", t(), K::R),
                ("state_type", t(), K::R),
            ],
        ),
        table(
            "system_schema",
            "triggers",
            vec![
                ("keyspace_name", t(), K::P),
                ("table_name", t(), K::C),
                ("trigger_name", t(), K::C),
                ("options", map_tt(), K::R),
            ],
        ),
    ]
}

/// Creates the system keyspaces (empty tables).
pub fn create_system_keyspaces(db: &mut Db) {
    for ks in ["system", "system_schema"] {
        let mut replication = BTreeMap::new();
        replication.insert(
            "class".to_string(),
            "org.apache.cassandra.locator.LocalStrategy".to_string(),
        );
        db.keyspaces.insert(
            ks.to_string(),
            Keyspace {
                def: KeyspaceDef {
                    name: ks.to_string(),
                    replication,
                    durable_writes: true,
                    tablets: BTreeMap::new(),
                },
                tables: BTreeMap::new(),
                system: true,
            },
        );
    }
    for d in defs() {
        let ks = d.keyspace.clone();
        db.keyspaces
            .get_mut(&ks)
            .unwrap()
            .tables
            .insert(d.name.clone(), Table::new(Arc::new(d)));
    }
}

fn s(x: &str) -> Option<Value> {
    Some(Value::Text(x.to_string()))
}

fn smap(m: &[(&str, &str)]) -> Option<Value> {
    Some(Value::Map(
        m.iter()
            .map(|(k, v)| (Value::Text(k.to_string()), Value::Text(v.to_string())))
            .collect(),
    ))
}

fn insert(data: &mut TableData, def: &TableDef, vals: Vec<(&str, Option<Value>)>) {
    let get = |n: &str| {
        vals.iter()
            .find(|(k, _)| *k == n)
            .and_then(|(_, v)| v.clone())
    };
    let pk: Vec<Value> = def
        .pk_cols()
        .map(|c| get(&c.name).unwrap_or(Value::Text(String::new())))
        .collect();
    let ck: Vec<Value> = def
        .ck_cols()
        .map(|c| get(&c.name).unwrap_or(Value::Text(String::new())))
        .collect();
    let pkey = PKey::of(&pk);
    let part = data.partition_mut(&pkey, &pk);
    let row = part.rows.entry(CKey { vals: ck, desc: 0 }).or_default();
    row.marker = Some(Marker {
        ts: 1,
        expiry: None,
        ttl: 0,
    });
    for c in &def.columns {
        if matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
            continue;
        }
        let Some(v) = get(&c.name) else { continue };
        if c.ty.is_multicell() {
            let items: Vec<(Value, Value)> = match v {
                Value::Set(items) => items
                    .into_iter()
                    .map(|x| (x, Value::Boolean(true)))
                    .collect(),
                Value::Map(items) => items,
                _ => vec![],
            };
            for (k, x) in items {
                row.write_elem(
                    c.id,
                    k,
                    AtomCell {
                        ts: 1,
                        value: Some(x),
                        expiry: None,
                        ttl: 0,
                    },
                    None,
                );
            }
        } else {
            row.write_atom(
                c.id,
                AtomCell {
                    ts: 1,
                    value: Some(v),
                    expiry: None,
                    ttl: 0,
                },
                None,
            );
        }
    }
}

fn table_options(def: &TableDef) -> Vec<(&'static str, Option<Value>)> {
    let prop = |k: &str| def.properties.get(k).cloned();
    vec![
        ("bloom_filter_fp_chance", Some(Value::Double(0.01))),
        (
            "caching",
            smap(&[("keys", "ALL"), ("rows_per_partition", "ALL")]),
        ),
        ("comment", s(&prop("comment").unwrap_or_default())),
        (
            "compaction",
            smap(&[(
                "class",
                "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
            )]),
        ),
        (
            "compression",
            smap(&[(
                "sstable_compression",
                "org.apache.cassandra.io.compress.LZ4Compressor",
            )]),
        ),
        ("crc_check_chance", Some(Value::Double(1.0))),
        ("dclocal_read_repair_chance", Some(Value::Double(0.0))),
        (
            "default_time_to_live",
            Some(Value::Int(
                prop("default_time_to_live")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
        ),
        ("extensions", Some(Value::Map(vec![]))),
        (
            "gc_grace_seconds",
            Some(Value::Int(
                prop("gc_grace_seconds")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(864000),
            )),
        ),
        ("id", Some(Value::Uuid(*def.id.as_bytes()))),
        ("max_index_interval", Some(Value::Int(2048))),
        ("memtable_flush_period_in_ms", Some(Value::Int(0))),
        ("min_index_interval", Some(Value::Int(128))),
        ("read_repair_chance", Some(Value::Double(0.0))),
        ("speculative_retry", s("99.0PERCENTILE")),
    ]
}

/// Regenerates every system table from the schema.
pub fn refresh(db: &mut Db, rpc: IpAddr) {
    // Snapshot the schema first.
    type Snapshot = (Arc<TableDef>, Option<Arc<crate::view::ViewSpec>>);
    let keyspaces: Vec<(KeyspaceDef, Vec<Snapshot>)> = db
        .keyspaces
        .values()
        .map(|k| {
            (
                k.def.clone(),
                k.tables
                    .values()
                    .map(|t| (t.def.clone(), t.view.as_ref().map(|v| v.spec.clone())))
                    .collect(),
            )
        })
        .collect();
    let version = db.schema_version;
    let host_id = uuid::Uuid::parse_str(HOST_ID).unwrap();
    let mut out: BTreeMap<(&str, &str), TableData> = BTreeMap::new();
    let sys = |db: &Db, ks: &str, t: &str| db.keyspaces[ks].tables[t].def.clone();

    let local = sys(db, "system", "local");
    let mut data = TableData::default();
    insert(
        &mut data,
        &local,
        vec![
            ("key", s("local")),
            ("bootstrapped", s("COMPLETED")),
            ("broadcast_address", Some(Value::Inet(rpc))),
            ("cluster_name", s("scylla-emulator")),
            ("cql_version", s("3.3.1")),
            ("data_center", s("datacenter1")),
            ("gossip_generation", Some(Value::Int(1))),
            ("host_id", Some(Value::Uuid(*host_id.as_bytes()))),
            ("listen_address", Some(Value::Inet(rpc))),
            ("native_protocol_version", s("4")),
            (
                "partitioner",
                s("org.apache.cassandra.dht.Murmur3Partitioner"),
            ),
            ("rack", s("rack1")),
            ("release_version", s("3.0.8")),
            ("rpc_address", Some(Value::Inet(rpc))),
            ("schema_version", Some(Value::Uuid(*version.as_bytes()))),
            ("supported_features", s("")),
            ("tokens", Some(Value::Set(vec![Value::Text("0".into())]))),
        ],
    );
    out.insert(("system", "local"), data);

    let mut ksd = TableData::default();
    let mut tabd = TableData::default();
    let mut cold = TableData::default();
    let mut dropd = TableData::default();
    let mut idxd = TableData::default();
    let mut viewd = TableData::default();
    let i_def = sys(db, "system_schema", "indexes");
    let v_def = sys(db, "system_schema", "views");
    let ks_def = sys(db, "system_schema", "keyspaces");
    let t_def = sys(db, "system_schema", "tables");
    let c_def = sys(db, "system_schema", "columns");
    let d_def = sys(db, "system_schema", "dropped_columns");
    for (k, tables) in &keyspaces {
        let repl: Vec<(&str, &str)> = k
            .replication
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insert(
            &mut ksd,
            &ks_def,
            vec![
                ("keyspace_name", s(&k.name)),
                ("durable_writes", Some(Value::Boolean(k.durable_writes))),
                ("replication", smap(&repl)),
            ],
        );
        for (td, view) in tables {
            if let Some(v) = view {
                // A materialized view: system_schema.views, not system_schema.tables.
                let mut vals = vec![
                    ("keyspace_name", s(&k.name)),
                    ("view_name", s(&td.name)),
                    ("base_table_id", Some(Value::Uuid(*v.base_id.as_bytes()))),
                    ("base_table_name", s(&v.base)),
                    (
                        "include_all_columns",
                        Some(Value::Boolean(v.include_all_columns)),
                    ),
                    ("where_clause", s(&v.where_clause)),
                ];
                vals.extend(table_options(td));
                insert(&mut viewd, &v_def, vals);
            } else {
                let mut vals = vec![("keyspace_name", s(&k.name)), ("table_name", s(&td.name))];
                vals.extend(table_options(td));
                vals.push((
                    "flags",
                    Some(Value::Set(vec![Value::Text("compound".into())])),
                ));
                insert(&mut tabd, &t_def, vals);
            }
            for c in &td.columns {
                insert(
                    &mut cold,
                    &c_def,
                    vec![
                        ("keyspace_name", s(&k.name)),
                        ("table_name", s(&td.name)),
                        ("column_name", s(&c.name)),
                        (
                            "clustering_order",
                            s(if c.kind != ColumnKind::Clustering {
                                "none"
                            } else if c.desc {
                                "desc"
                            } else {
                                "asc"
                            }),
                        ),
                        (
                            "column_name_bytes",
                            Some(Value::Blob(c.name.as_bytes().to_vec())),
                        ),
                        ("kind", s(c.kind.name())),
                        ("position", Some(Value::Int(c.position))),
                        ("type", s(&c.ty.cql_name())),
                    ],
                );
            }
            for ix in &td.indexes {
                let opts: Vec<(&str, &str)> = ix
                    .options
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                insert(
                    &mut idxd,
                    &i_def,
                    vec![
                        ("keyspace_name", s(&k.name)),
                        ("table_name", s(&td.name)),
                        ("index_name", s(&ix.name)),
                        ("kind", s(&ix.kind)),
                        ("options", smap(&opts)),
                    ],
                );
            }
            for (name, (ty, ts)) in &td.dropped {
                insert(
                    &mut dropd,
                    &d_def,
                    vec![
                        ("keyspace_name", s(&k.name)),
                        ("table_name", s(&td.name)),
                        ("column_name", s(name)),
                        ("dropped_time", Some(Value::Timestamp(ts / 1000))),
                        ("type", s(&ty.cql_name())),
                    ],
                );
            }
        }
    }
    out.insert(("system_schema", "keyspaces"), ksd);
    out.insert(("system_schema", "tables"), tabd);
    out.insert(("system_schema", "columns"), cold);
    out.insert(("system_schema", "dropped_columns"), dropd);
    out.insert(("system_schema", "indexes"), idxd);
    out.insert(("system_schema", "views"), viewd);
    for ((ks, t), data) in out {
        if let Some(tb) = db.keyspaces.get_mut(ks).and_then(|k| k.tables.get_mut(t)) {
            tb.data = data;
        }
    }
}
