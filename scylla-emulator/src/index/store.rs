//! Index data and its maintenance.
//!
//! An index maps each term (a value, a collection element, a map key or entry) to the rows that
//! hold it. Maintenance is a pure function of a row's *current live* value: after any write the
//! affected rows are re-read from storage, their terms recomputed and diffed against the terms
//! recorded for them (the reverse map), so an overwritten value, a removed set element, a deleted
//! column/row/range/partition never stays reachable. Entries of values that expire by TTL are
//! removed lazily: readers re-check every row they fetch through an index.
//!
//! - Global index: term → positions in ring order (token, partition key, clustering key), which is
//!   the order ScyllaDB's index view returns (its clustering key is `(idx_token, pk, ck)`).
//! - Local index: partition → term → clustering keys (ScyllaDB's local index view is keyed
//!   `((pk), indexed value, ck)`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use super::{IndexSpec, TargetType, terms};
use crate::schema::{ColumnKind, TableDef};
use crate::storage::{CKey, PKey, Partition, Row};
use crate::types::Value;

/// A row's position: partition then clustering key. `ck: None` stands for the partition as a
/// whole (indexes on partition-key components and on static columns).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowPos {
    pub pk: PKey,
    pub ck: Option<CKey>,
}

/// Which rows of a partition a write touched.
#[derive(Debug, Clone)]
pub enum Touched {
    /// These rows only.
    Rows(Vec<CKey>),
    /// Possibly every row (partition deletion, range deletion, static column write).
    Partition,
}

/// The data of one index.
#[derive(Debug, Clone, Default)]
pub struct IndexData {
    /// Global index: term → positions in ring order.
    pub global: BTreeMap<Value, BTreeSet<RowPos>>,
    /// Local index: partition → term → clustering keys.
    pub local: BTreeMap<PKey, BTreeMap<Value, BTreeSet<Option<CKey>>>>,
    /// Position → the terms it is currently indexed under.
    pub reverse: BTreeMap<RowPos, Vec<Value>>,
    pub is_local: bool,
}

impl IndexData {
    pub fn new(is_local: bool) -> IndexData {
        IndexData {
            is_local,
            ..Default::default()
        }
    }

    /// Number of (term, row) entries.
    pub fn len(&self) -> usize {
        self.reverse.values().map(|t| t.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.reverse.is_empty()
    }

    /// Records that `pos` is now found under exactly `new_terms` (sorted, deduplicated).
    pub fn set_terms(&mut self, pos: &RowPos, new_terms: Vec<Value>) {
        let old = self.reverse.remove(pos).unwrap_or_default();
        for t in &old {
            if new_terms.binary_search(t).is_err() {
                self.remove_entry(t, pos);
            }
        }
        for t in &new_terms {
            if old.binary_search(t).is_err() {
                self.add_entry(t, pos);
            }
        }
        if !new_terms.is_empty() {
            self.reverse.insert(pos.clone(), new_terms);
        }
    }

    fn add_entry(&mut self, t: &Value, pos: &RowPos) {
        if self.is_local {
            self.local
                .entry(pos.pk.clone())
                .or_default()
                .entry(t.clone())
                .or_default()
                .insert(pos.ck.clone());
        } else {
            self.global
                .entry(t.clone())
                .or_default()
                .insert(pos.clone());
        }
    }

    fn remove_entry(&mut self, t: &Value, pos: &RowPos) {
        if self.is_local {
            if let Some(m) = self.local.get_mut(&pos.pk) {
                if let Some(s) = m.get_mut(t) {
                    s.remove(&pos.ck);
                    if s.is_empty() {
                        m.remove(t);
                    }
                }
                if m.is_empty() {
                    self.local.remove(&pos.pk);
                }
            }
        } else if let Some(s) = self.global.get_mut(t) {
            s.remove(pos);
            if s.is_empty() {
                self.global.remove(t);
            }
        }
    }

    /// Positions of one partition currently in the index.
    pub fn positions_of(&self, pk: &PKey) -> Vec<RowPos> {
        let lo = RowPos {
            pk: pk.clone(),
            ck: None,
        };
        self.reverse
            .range(lo..)
            .take_while(|(p, _)| p.pk == *pk)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Global lookup: positions under `term` in ring order, strictly after `after` when given,
    /// restricted to partition `only` when given.
    pub fn lookup_global<'a>(
        &'a self,
        term: &Value,
        after: Option<&RowPos>,
        only: Option<&'a PKey>,
    ) -> Box<dyn Iterator<Item = &'a RowPos> + 'a> {
        let lo = match (after, only) {
            (Some(a), _) => Bound::Excluded(a.clone()),
            (None, Some(pk)) => Bound::Included(RowPos {
                pk: pk.clone(),
                ck: None,
            }),
            (None, None) => Bound::Unbounded,
        };
        self.lookup_global_from(term, lo, only)
    }

    /// Global lookup from an explicit lower bound.
    pub fn lookup_global_from<'a>(
        &'a self,
        term: &Value,
        lo: Bound<RowPos>,
        only: Option<&'a PKey>,
    ) -> Box<dyn Iterator<Item = &'a RowPos> + 'a> {
        let Some(set) = self.global.get(term) else {
            return Box::new(std::iter::empty());
        };
        let it = set.range((lo, Bound::Unbounded));
        match only {
            Some(pk) => Box::new(
                it.skip_while(move |p| p.pk < *pk)
                    .take_while(move |p| p.pk == *pk),
            ),
            None => Box::new(it),
        }
    }

    /// Local lookup: clustering keys of partition `pk` under `term`, in clustering order,
    /// strictly after `after` when given.
    pub fn lookup_local<'a>(
        &'a self,
        pk: &PKey,
        term: &Value,
        after: Option<&Option<CKey>>,
    ) -> Box<dyn Iterator<Item = &'a Option<CKey>> + 'a> {
        let Some(set) = self.local.get(pk).and_then(|m| m.get(term)) else {
            return Box::new(std::iter::empty());
        };
        match after {
            Some(a) => Box::new(set.range((Bound::Excluded(a.clone()), Bound::Unbounded))),
            None => Box::new(set.iter()),
        }
    }

    /// Drops everything (TRUNCATE).
    pub fn clear(&mut self) {
        self.global.clear();
        self.local.clear();
        self.reverse.clear();
    }
}

/// The live value of column `col` (an index into `def.columns`) for a row.
pub fn live_value(
    def: &TableDef,
    col: usize,
    part: &Partition,
    ck: Option<&CKey>,
    row: Option<&Row>,
    now: i64,
) -> Option<Value> {
    let c = &def.columns[col];
    match c.kind {
        ColumnKind::PartitionKey => part.key.get(c.position as usize).cloned(),
        ColumnKind::Clustering => ck.and_then(|k| k.vals.get(c.position as usize).cloned()),
        ColumnKind::Static => part
            .static_row
            .cells
            .get(&c.id)
            .and_then(|x| x.value(&c.ty, now)),
        ColumnKind::Regular => row
            .and_then(|r| r.cells.get(&c.id))
            .and_then(|x| x.value(&c.ty, now)),
    }
}

/// Whether the index keys rows (`true`) or whole partitions (`false`: partition-key component
/// and static column indexes).
pub fn per_row(def: &TableDef, spec: &IndexSpec) -> bool {
    def.column(&spec.column)
        .is_some_and(|(_, c)| matches!(c.kind, ColumnKind::Clustering | ColumnKind::Regular))
}

/// The terms a row (or partition, `ck: None`) is indexed under now.
pub fn row_terms(
    def: &TableDef,
    spec: &IndexSpec,
    part: &Partition,
    ck: Option<&CKey>,
    now: i64,
) -> Vec<Value> {
    let Some((col, cd)) = def.column(&spec.column) else {
        return vec![];
    };
    match ck {
        Some(k) => {
            let Some(row) = part.rows.get(k) else {
                return vec![];
            };
            if !row.is_live(now) {
                return vec![];
            }
            terms(
                spec.target,
                &cd.ty,
                live_value(def, col, part, Some(k), Some(row), now).as_ref(),
            )
        }
        None => {
            if !part.is_live(now) {
                return vec![];
            }
            terms(
                spec.target,
                &cd.ty,
                live_value(def, col, part, None, None, now).as_ref(),
            )
        }
    }
}

/// Brings the index up to date for partition `pk` after a write that touched `touched`.
/// `part` is the partition as stored now (`None` if it no longer exists).
pub fn refresh_partition(
    def: &TableDef,
    spec: &IndexSpec,
    data: &mut IndexData,
    pk: &PKey,
    part: Option<&Partition>,
    touched: &Touched,
    now: i64,
) {
    if !per_row(def, spec) {
        let pos = RowPos {
            pk: pk.clone(),
            ck: None,
        };
        let t = part
            .map(|p| row_terms(def, spec, p, None, now))
            .unwrap_or_default();
        data.set_terms(&pos, t);
        return;
    }
    let mut positions: BTreeSet<Option<CKey>> = BTreeSet::new();
    match touched {
        Touched::Rows(cks) => positions.extend(cks.iter().cloned().map(Some)),
        Touched::Partition => {
            positions.extend(data.positions_of(pk).into_iter().map(|p| p.ck));
            if let Some(p) = part {
                positions.extend(p.rows.keys().cloned().map(Some));
            }
        }
    }
    for ck in positions {
        let t = match (part, &ck) {
            (Some(p), Some(k)) => row_terms(def, spec, p, Some(k), now),
            _ => vec![],
        };
        data.set_terms(&RowPos { pk: pk.clone(), ck }, t);
    }
}

/// Builds an index over existing data (CREATE INDEX on a populated table).
pub fn build<'a>(
    def: &TableDef,
    spec: &IndexSpec,
    partitions: impl Iterator<Item = (&'a PKey, &'a Partition)>,
    now: i64,
) -> IndexData {
    let mut data = IndexData::new(spec.local);
    for (pk, part) in partitions {
        refresh_partition(
            def,
            spec,
            &mut data,
            pk,
            Some(part),
            &Touched::Partition,
            now,
        );
    }
    data
}

/// Does the target type index a collection's elements (so one row can sit under many terms)?
pub fn is_multi_term(t: TargetType) -> bool {
    matches!(
        t,
        TargetType::Keys | TargetType::CollectionValues | TargetType::Entries
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::table;
    use crate::schema::ColumnKind::*;
    use crate::storage::{AtomCell, Marker};
    use crate::types::ColType;

    fn def() -> TableDef {
        table(&[
            ("p", ColType::Int, PartitionKey, 0),
            ("c", ColType::Int, Clustering, 0),
            ("v", ColType::Int, Regular, -1),
            ("s", ColType::Set(Box::new(ColType::Int)), Regular, -1),
        ])
    }

    fn atom(v: i32, ts: i64) -> AtomCell {
        AtomCell {
            ts,
            value: Some(Value::Int(v)),
            expiry: None,
            ttl: 0,
        }
    }

    fn ck(c: i32) -> CKey {
        CKey {
            vals: vec![Value::Int(c)],
            desc: 0,
        }
    }

    #[test]
    fn global_overwrite_and_delete() {
        let d = def();
        let spec = IndexSpec {
            name: "i".into(),
            column: "v".into(),
            target: TargetType::RegularValues,
            local: false,
        };
        let mut data = IndexData::new(false);
        let pk = PKey::of(&[Value::Int(1)]);
        let mut part = Partition {
            key: vec![Value::Int(1)],
            ..Default::default()
        };
        let r = part.rows.entry(ck(1)).or_default();
        r.write_marker(
            Marker {
                ts: 1,
                expiry: None,
                ttl: 0,
            },
            None,
        );
        r.write_atom(2, atom(10, 1), None);
        refresh_partition(
            &d,
            &spec,
            &mut data,
            &pk,
            Some(&part),
            &Touched::Rows(vec![ck(1)]),
            0,
        );
        assert_eq!(data.lookup_global(&Value::Int(10), None, None).count(), 1);
        // Overwrite.
        part.rows
            .get_mut(&ck(1))
            .unwrap()
            .write_atom(2, atom(11, 2), None);
        refresh_partition(
            &d,
            &spec,
            &mut data,
            &pk,
            Some(&part),
            &Touched::Rows(vec![ck(1)]),
            0,
        );
        assert_eq!(data.lookup_global(&Value::Int(10), None, None).count(), 0);
        assert_eq!(data.lookup_global(&Value::Int(11), None, None).count(), 1);
        // Column delete.
        part.rows.get_mut(&ck(1)).unwrap().write_atom(
            2,
            AtomCell {
                ts: 3,
                value: None,
                expiry: None,
                ttl: 0,
            },
            None,
        );
        refresh_partition(
            &d,
            &spec,
            &mut data,
            &pk,
            Some(&part),
            &Touched::Rows(vec![ck(1)]),
            0,
        );
        assert!(data.is_empty());
        // Row back, then partition deleted.
        part.rows
            .get_mut(&ck(1))
            .unwrap()
            .write_atom(2, atom(12, 4), None);
        refresh_partition(
            &d,
            &spec,
            &mut data,
            &pk,
            Some(&part),
            &Touched::Partition,
            0,
        );
        assert_eq!(data.len(), 1);
        refresh_partition(&d, &spec, &mut data, &pk, None, &Touched::Partition, 0);
        assert!(data.is_empty());
        assert!(data.global.is_empty());
    }

    #[test]
    fn set_elements_and_order() {
        let d = def();
        let spec = IndexSpec {
            name: "i".into(),
            column: "s".into(),
            target: TargetType::Keys,
            local: false,
        };
        let mut data = IndexData::new(false);
        let mut keys = Vec::new();
        for p in 0..20 {
            let pk = PKey::of(&[Value::Int(p)]);
            let mut part = Partition {
                key: vec![Value::Int(p)],
                ..Default::default()
            };
            let r = part.rows.entry(ck(0)).or_default();
            for e in [1, 2, p] {
                r.write_elem(
                    3,
                    Value::Int(e),
                    AtomCell {
                        ts: 1,
                        value: Some(Value::Boolean(true)),
                        expiry: None,
                        ttl: 0,
                    },
                    None,
                );
            }
            refresh_partition(
                &d,
                &spec,
                &mut data,
                &pk,
                Some(&part),
                &Touched::Rows(vec![ck(0)]),
                0,
            );
            // Remove element 2 from odd partitions.
            if p % 2 == 1 {
                part.rows.get_mut(&ck(0)).unwrap().write_elem(
                    3,
                    Value::Int(2),
                    AtomCell {
                        ts: 2,
                        value: None,
                        expiry: None,
                        ttl: 0,
                    },
                    None,
                );
                refresh_partition(
                    &d,
                    &spec,
                    &mut data,
                    &pk,
                    Some(&part),
                    &Touched::Rows(vec![ck(0)]),
                    0,
                );
            }
            keys.push(pk);
        }
        keys.sort();
        let found: Vec<PKey> = data
            .lookup_global(&Value::Int(1), None, None)
            .map(|p| p.pk.clone())
            .collect();
        assert_eq!(found, keys, "ring order");
        assert_eq!(data.lookup_global(&Value::Int(2), None, None).count(), 10);
        // Resume after the 5th entry.
        let fifth = data
            .lookup_global(&Value::Int(1), None, None)
            .nth(4)
            .unwrap()
            .clone();
        assert_eq!(
            data.lookup_global(&Value::Int(1), Some(&fifth), None)
                .count(),
            15
        );
        // Restricted to one partition.
        assert_eq!(
            data.lookup_global(&Value::Int(1), None, Some(&keys[3]))
                .count(),
            1
        );
    }

    #[test]
    fn local_index() {
        let d = def();
        let spec = IndexSpec {
            name: "i".into(),
            column: "v".into(),
            target: TargetType::RegularValues,
            local: true,
        };
        let pk = PKey::of(&[Value::Int(7)]);
        let mut part = Partition {
            key: vec![Value::Int(7)],
            ..Default::default()
        };
        for c in 0..5 {
            part.rows
                .entry(ck(c))
                .or_default()
                .write_atom(2, atom(c % 2, 1), None);
        }
        let data = build(&d, &spec, std::iter::once((&pk, &part)), 0);
        let hits: Vec<_> = data
            .lookup_local(&pk, &Value::Int(0), None)
            .cloned()
            .collect();
        assert_eq!(hits, vec![Some(ck(0)), Some(ck(2)), Some(ck(4))]);
        assert_eq!(
            data.lookup_local(&pk, &Value::Int(0), Some(&Some(ck(0))))
                .count(),
            2
        );
    }
}
