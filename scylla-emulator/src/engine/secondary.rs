//! Glue between the engine and the secondary-index / materialized-view modules
//! (`crate::index`, `crate::view`): maintenance after writes.

use super::Db;
use crate::index::IndexSpec;
use crate::index::store::{Touched, refresh_partition};
use crate::storage::{PKey, now_secs};

/// Brings every index of `ks.table` and every view built on it up to date for partition `pk`
/// after a write that touched `touched`. Called once per written partition, on every write path
/// (INSERT, UPDATE, DELETE, BATCH, conditional writes).
pub fn maintain(db: &mut Db, ks: &str, table: &str, pk: &PKey, touched: &Touched) {
    let now = now_secs();
    let Some(k) = db.keyspaces.get_mut(ks) else {
        return;
    };
    let Some(t) = k.tables.get_mut(table) else {
        return;
    };
    if !t.indexes.is_empty() {
        let mut data = std::mem::take(&mut t.indexes);
        let part = t.data.partitions.get(pk);
        for spec in IndexSpec::of_table(&t.def) {
            if let Some(d) = data.get_mut(&spec.name) {
                refresh_partition(&t.def, &spec, d, pk, part, touched, now);
            }
        }
        t.indexes = data;
    }
    let views: Vec<String> = k
        .tables
        .iter()
        .filter(|(_, v)| v.view.as_ref().is_some_and(|s| s.spec.base == table))
        .map(|(n, _)| n.clone())
        .collect();
    for name in views {
        let Some(mut vt) = k.tables.remove(&name) else {
            continue;
        };
        if let (Some(base), Some(st)) = (k.tables.get(table), vt.view.as_mut()) {
            let cks = match touched {
                Touched::Rows(cks) => Some(cks.as_slice()),
                Touched::Partition => None,
            };
            crate::view::refresh(
                &mut vt.data,
                &mut st.reverse,
                &st.spec,
                &base.def,
                pk,
                base.data.partitions.get(pk),
                cks,
                now,
            );
        }
        k.tables.insert(name, vt);
    }
}
