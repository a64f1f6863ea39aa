//! In-memory storage: partitions ordered by Murmur3 token, rows by clustering order, cells with
//! write timestamps and TTLs, row/partition/range tombstones applied eagerly.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use crate::types::{ColType, Value};

/// A partition's position in the ring: token, then the serialized key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PKey {
    pub token: i64,
    pub key: Vec<u8>,
}

/// Serializes partition-key values the way Cassandra does (single component: the value's
/// bytes; composite: `len(u16) bytes 0x00` per component).
pub fn serialize_pk(vals: &[Value]) -> Vec<u8> {
    if vals.len() == 1 {
        return vals[0].to_bytes();
    }
    let mut out = Vec::new();
    for v in vals {
        let b = v.to_bytes();
        out.extend_from_slice(&(b.len() as u16).to_be_bytes());
        out.extend_from_slice(&b);
        out.push(0);
    }
    out
}

impl PKey {
    pub fn of(vals: &[Value]) -> PKey {
        let key = serialize_pk(vals);
        PKey {
            token: crate::murmur3::token(&key),
            key,
        }
    }
}

/// A clustering key with its per-column `DESC` flags (bit i set = column i descending).
#[derive(Debug, Clone)]
pub struct CKey {
    pub vals: Vec<Value>,
    pub desc: u64,
}

impl CKey {
    /// Compares a key with a (possibly shorter) prefix in clustering order; `Equal` when the
    /// prefix matches.
    pub fn cmp_prefix(&self, prefix: &[Value]) -> Ordering {
        for (i, p) in prefix.iter().enumerate() {
            let Some(v) = self.vals.get(i) else {
                return Ordering::Less;
            };
            let mut o = v.cmp(p);
            if self.desc & (1 << i) != 0 {
                o = o.reverse();
            }
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl Ord for CKey {
    fn cmp(&self, other: &Self) -> Ordering {
        for (i, (a, b)) in self.vals.iter().zip(other.vals.iter()).enumerate() {
            let mut o = a.cmp(b);
            if self.desc & (1 << i) != 0 {
                o = o.reverse();
            }
            if o != Ordering::Equal {
                return o;
            }
        }
        self.vals.len().cmp(&other.vals.len())
    }
}
impl PartialOrd for CKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for CKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for CKey {}

/// Current time in seconds (for TTL expiry).
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// One atomic cell (or a collection element).
#[derive(Debug, Clone)]
pub struct AtomCell {
    pub ts: i64,
    /// `None` is a tombstone.
    pub value: Option<Value>,
    /// Expiry (seconds since the epoch) for TTL'd cells.
    pub expiry: Option<i64>,
    pub ttl: i32,
}

impl AtomCell {
    pub fn is_live(&self, now: i64) -> bool {
        self.value.is_some() && self.expiry.is_none_or(|e| e > now)
    }
    /// Last-write-wins: does `new` replace `self`?
    fn loses_to(&self, new: &AtomCell) -> bool {
        match new.ts.cmp(&self.ts) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => match (&self.value, &new.value) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => b >= a,
            },
        }
    }
}

/// A stored cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Atom(AtomCell),
    /// A non-frozen collection: elements keyed by set element / map key / list position key.
    Coll {
        tombstone: Option<i64>,
        elems: BTreeMap<Value, AtomCell>,
    },
}

impl Cell {
    fn is_live(&self, now: i64) -> bool {
        match self {
            Cell::Atom(a) => a.is_live(now),
            Cell::Coll { elems, .. } => elems.values().any(|e| e.is_live(now)),
        }
    }

    fn purge(&mut self, ts: i64) -> bool {
        match self {
            Cell::Atom(a) => a.ts > ts,
            Cell::Coll { tombstone, elems } => {
                elems.retain(|_, e| e.ts > ts);
                if tombstone.is_some_and(|t| t <= ts) {
                    *tombstone = None;
                }
                !elems.is_empty() || tombstone.is_some()
            }
        }
    }

    /// The live value of the cell, if any.
    pub fn value(&self, ty: &ColType, now: i64) -> Option<Value> {
        match self {
            Cell::Atom(a) => {
                if a.is_live(now) {
                    a.value.clone()
                } else {
                    None
                }
            }
            Cell::Coll { elems, .. } => {
                let live = elems.iter().filter(|(_, e)| e.is_live(now));
                let v = match ty {
                    ColType::Set(_) => Value::Set(live.map(|(k, _)| k.clone()).collect()),
                    ColType::Map(..) => Value::Map(
                        live.map(|(k, e)| (k.clone(), e.value.clone().unwrap()))
                            .collect(),
                    ),
                    _ => Value::List(live.map(|(_, e)| e.value.clone().unwrap()).collect()),
                };
                match &v {
                    Value::Set(x) | Value::List(x) if x.is_empty() => None,
                    Value::Map(x) if x.is_empty() => None,
                    _ => Some(v),
                }
            }
        }
    }
}

/// Row marker (written by INSERT).
#[derive(Debug, Clone)]
pub struct Marker {
    pub ts: i64,
    pub expiry: Option<i64>,
    pub ttl: i32,
}

/// A row (or a partition's static row).
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub marker: Option<Marker>,
    pub deleted_at: Option<i64>,
    pub cells: BTreeMap<u32, Cell>,
}

impl Row {
    pub fn is_live(&self, now: i64) -> bool {
        self.marker
            .as_ref()
            .is_some_and(|m| m.expiry.is_none_or(|e| e > now))
            || self.cells.values().any(|c| c.is_live(now))
    }

    pub fn has_live_cells(&self, now: i64) -> bool {
        self.cells.values().any(|c| c.is_live(now))
    }

    /// Removes everything written at or before `ts`.
    pub fn purge(&mut self, ts: i64) {
        if self.marker.as_ref().is_some_and(|m| m.ts <= ts) {
            self.marker = None;
        }
        self.cells.retain(|_, c| c.purge(ts));
    }

    pub fn is_empty(&self) -> bool {
        self.marker.is_none() && self.cells.is_empty() && self.deleted_at.is_none()
    }

    pub fn write_marker(&mut self, m: Marker, shadow: Option<i64>) {
        if shadow.is_some_and(|s| m.ts <= s) {
            return;
        }
        match &self.marker {
            Some(old) if old.ts > m.ts => {}
            _ => self.marker = Some(m),
        }
    }

    pub fn write_atom(&mut self, col: u32, c: AtomCell, shadow: Option<i64>) {
        if shadow.is_some_and(|s| c.ts <= s) {
            return;
        }
        match self.cells.get_mut(&col) {
            Some(Cell::Atom(old)) => {
                if old.loses_to(&c) {
                    *old = c;
                }
            }
            _ => {
                self.cells.insert(col, Cell::Atom(c));
            }
        }
    }

    /// Deletes a whole collection at `ts` (elements written at or before `ts` disappear).
    pub fn write_coll_tombstone(&mut self, col: u32, ts: i64, shadow: Option<i64>) {
        if shadow.is_some_and(|s| ts <= s) {
            return;
        }
        let e = self.cells.entry(col).or_insert_with(|| Cell::Coll {
            tombstone: None,
            elems: BTreeMap::new(),
        });
        if let Cell::Atom(_) = e {
            *e = Cell::Coll {
                tombstone: None,
                elems: BTreeMap::new(),
            };
        }
        if let Cell::Coll { tombstone, elems } = e {
            if tombstone.is_none_or(|t| t < ts) {
                *tombstone = Some(ts);
            }
            elems.retain(|_, el| el.ts > ts);
        }
    }

    pub fn write_elem(&mut self, col: u32, key: Value, c: AtomCell, shadow: Option<i64>) {
        if shadow.is_some_and(|s| c.ts <= s) {
            return;
        }
        let e = self.cells.entry(col).or_insert_with(|| Cell::Coll {
            tombstone: None,
            elems: BTreeMap::new(),
        });
        if let Cell::Atom(_) = e {
            *e = Cell::Coll {
                tombstone: None,
                elems: BTreeMap::new(),
            };
        }
        if let Cell::Coll { tombstone, elems } = e {
            if tombstone.is_some_and(|t| c.ts <= t) {
                return;
            }
            match elems.get_mut(&key) {
                Some(old) => {
                    if old.loses_to(&c) {
                        *old = c;
                    }
                }
                None => {
                    elems.insert(key, c);
                }
            }
        }
    }
}

/// A clustering range deletion: rows whose key lies within `start..end` (prefix bounds).
#[derive(Debug, Clone)]
pub struct RangeTombstone {
    /// Equality prefix shared by both bounds.
    pub prefix: Vec<Value>,
    /// Optional bounds on the next clustering column, in value order.
    pub lower: Bound<Value>,
    pub upper: Bound<Value>,
    pub ts: i64,
}

impl RangeTombstone {
    pub fn covers(&self, ck: &CKey) -> bool {
        if ck.vals.len() < self.prefix.len() {
            return false;
        }
        if ck.vals[..self.prefix.len()] != self.prefix[..] {
            return false;
        }
        let Some(v) = ck.vals.get(self.prefix.len()) else {
            return true;
        };
        let lo = match &self.lower {
            Bound::Unbounded => true,
            Bound::Included(b) => v >= b,
            Bound::Excluded(b) => v > b,
        };
        let hi = match &self.upper {
            Bound::Unbounded => true,
            Bound::Included(b) => v <= b,
            Bound::Excluded(b) => v < b,
        };
        lo && hi
    }
}

/// A partition.
#[derive(Debug, Clone, Default)]
pub struct Partition {
    /// The partition-key values.
    pub key: Vec<Value>,
    pub deleted_at: Option<i64>,
    pub static_row: Row,
    pub rows: BTreeMap<CKey, Row>,
    pub range_tombstones: Vec<RangeTombstone>,
}

impl Partition {
    /// The newest deletion that shadows writes to `ck` (or the static row for `None`).
    pub fn shadow(&self, ck: Option<&CKey>) -> Option<i64> {
        let mut s = self.deleted_at;
        if let Some(ck) = ck {
            if let Some(r) = self.rows.get(ck) {
                s = s.max(r.deleted_at);
            }
            for rt in &self.range_tombstones {
                if rt.covers(ck) {
                    s = s.max(Some(rt.ts));
                }
            }
        }
        s
    }

    pub fn delete_partition(&mut self, ts: i64) {
        if self.deleted_at.is_none_or(|d| d < ts) {
            self.deleted_at = Some(ts);
        }
        self.static_row.purge(ts);
        for r in self.rows.values_mut() {
            r.purge(ts);
        }
        self.rows.retain(|_, r| !r.is_empty());
    }

    pub fn delete_row(&mut self, ck: CKey, ts: i64) {
        let r = self.rows.entry(ck).or_default();
        if r.deleted_at.is_none_or(|d| d < ts) {
            r.deleted_at = Some(ts);
        }
        r.purge(ts);
    }

    pub fn delete_range(&mut self, rt: RangeTombstone) {
        for (k, r) in self.rows.iter_mut() {
            if rt.covers(k) {
                r.purge(rt.ts);
            }
        }
        self.rows
            .retain(|_, r| !(r.marker.is_none() && r.cells.is_empty() && r.deleted_at.is_none()));
        self.range_tombstones.push(rt);
    }

    /// Has any live data (rows or static cells).
    pub fn is_live(&self, now: i64) -> bool {
        self.static_row.has_live_cells(now) || self.rows.values().any(|r| r.is_live(now))
    }
}

/// A table's data.
#[derive(Debug, Clone, Default)]
pub struct TableData {
    pub partitions: BTreeMap<PKey, Partition>,
}

impl TableData {
    pub fn partition_mut(&mut self, key: &PKey, vals: &[Value]) -> &mut Partition {
        self.partitions
            .entry(key.clone())
            .or_insert_with(|| Partition {
                key: vals.to_vec(),
                ..Default::default()
            })
    }
}
