//! The `UPDATE` builder behind the generated `<Struct>Update` types.

use std::marker::PhantomData;

use super::BoundValue;
use crate::bucketing::SourceValue;
use crate::cql;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::hidden::{self, HiddenValue};
use crate::model::Model;

/// How an `UPDATE` assigns a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assignment {
    /// `col = ?`: replaces the value (a whole collection too).
    Set,
    /// `col = col + ?`: appends to a list, adds to a set, puts entries into a map.
    Add,
    /// `col = col - ?`: removes elements from a list or set, or keys from a map.
    Remove,
}

/// An `UPDATE` of chosen columns of one row of model `M`, by primary key.
///
/// Generated code wraps it in a typed builder: `SaleOrder::update(7, 42).set_status(3)`
/// (and `add_<field>` / `remove_<field>` for collections). Like every CQL `UPDATE` it is an
/// upsert: a missing row is created.
///
/// # Hidden index columns
///
/// A hidden column of `#[hash_index]` / `#[packed_index]` is recomputed from ALL its sources.
/// An update that sets (`=`) one non-key source of a hidden column must set all of its non-key
/// sources (key sources come from the update's key): the hidden value is then recomputed and
/// written in the same statement. Otherwise — a missing source, or `add_*` / `remove_*` on a
/// collection source — the update is refused at execute time with
/// [`Error::StaleIndexUpdate`], naming the sources to add, before anything is sent. Typed
/// setters (`set_<field>`) record the source values; [`Update::set`] alone does not, so a
/// source set through the untyped API is refused too.
pub struct Update<M: Model> {
    key: Vec<BoundValue>,
    assignments: Vec<(&'static str, Assignment, BoundValue)>,
    /// Values of index sources: set by typed setters, and key sources given to `update(..)`.
    sources: Vec<(&'static str, SourceValue<'static>)>,
    _marker: PhantomData<fn() -> M>,
}

impl<M: Model> std::fmt::Debug for Update<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cols: Vec<(&str, Assignment)> =
            self.assignments.iter().map(|(c, a, _)| (*c, *a)).collect();
        f.debug_struct("Update")
            .field("table", &M::TABLE)
            .field("assignments", &cols)
            .finish()
    }
}

impl<M: Model> Update<M> {
    /// An update of the row with these primary-key values (partition key then clustering
    /// key, in key order).
    pub fn new(key: Vec<BoundValue>) -> Self {
        Update {
            key,
            assignments: Vec::new(),
            sources: Vec::new(),
            _marker: PhantomData,
        }
    }

    /// Records the value of an index source column (a key column given to `update(..)`, or a
    /// column set by a typed setter), so hidden columns computed from it can be recomputed.
    pub fn source(mut self, column: &'static str, value: SourceValue<'static>) -> Self {
        if let Some(slot) = self.sources.iter_mut().find(|(c, _)| *c == column) {
            slot.1 = value;
        } else {
            self.sources.push((column, value));
        }
        self
    }

    /// `column = ?` on an index source column, with its value for recomputing hidden columns.
    pub fn set_source(
        self,
        column: &'static str,
        value: BoundValue,
        source: SourceValue<'static>,
    ) -> Self {
        self.set(column, value).source(column, source)
    }

    /// Assigns `column` (a regular column of `M`); a second assignment of the same column
    /// replaces the first.
    pub fn assign(
        mut self,
        column: &'static str,
        assignment: Assignment,
        value: BoundValue,
    ) -> Self {
        if let Some(slot) = self.assignments.iter_mut().find(|(c, _, _)| *c == column) {
            *slot = (column, assignment, value);
        } else {
            self.assignments.push((column, assignment, value));
        }
        self
    }

    /// `column = ?`.
    pub fn set(self, column: &'static str, value: BoundValue) -> Self {
        self.assign(column, Assignment::Set, value)
    }

    /// The columns assigned so far.
    pub fn columns(&self) -> Vec<&'static str> {
        self.assignments.iter().map(|(c, _, _)| *c).collect()
    }

    /// The statement text, qualified with `keyspace` when given (with the assignments of the
    /// hidden columns the update recomputes).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuery`], [`Error::StaleIndexUpdate`], [`Error::IndexValue`].
    pub fn cql(&self, keyspace: Option<&str>) -> Result<String> {
        self.statement(keyspace).map(|(cql, _)| cql)
    }

    /// The hidden columns to recompute: checks that every hidden column touched by the update
    /// gets all its sources, then computes their values (before anything is sent).
    fn hidden_assignments(&self) -> Result<Vec<(&'static str, HiddenValue)>> {
        let meta = M::META;
        let is_key = |c: &str| meta.column(c).is_some_and(|col| col.kind.is_key());
        let mut needed = false;
        for hidden in meta.hidden_columns {
            let assigned: Vec<(&'static str, Assignment)> = hidden
                .sources
                .iter()
                .filter_map(|s| {
                    self.assignments
                        .iter()
                        .find(|(c, _, _)| c == s)
                        .map(|(c, a, _)| (*c, *a))
                })
                .collect();
            if assigned.is_empty() {
                continue;
            }
            needed = true;
            let stale = |missing: Vec<&'static str>, reason: String| Error::StaleIndexUpdate {
                table: meta.table,
                hidden_column: hidden.name,
                missing,
                reason,
            };
            let others = |c: &str| -> Vec<&'static str> {
                hidden
                    .sources
                    .iter()
                    .copied()
                    .filter(|s| *s != c && !is_key(s))
                    .collect()
            };
            if let Some((c, a)) = assigned.iter().find(|(_, a)| *a != Assignment::Set) {
                let op = if *a == Assignment::Add {
                    "add"
                } else {
                    "remove"
                };
                let rest = others(c);
                let with = if rest.is_empty() {
                    String::new()
                } else {
                    format!(" together with `{}`", rest.join("`, `"))
                };
                return Err(stale(
                    Vec::new(),
                    format!(
                        "`{op}_{c}` cannot keep hidden index column `{}` up to date (it is computed from                          `{}`): set the whole collection with `set_{c}(..)`{with}",
                        hidden.name,
                        hidden.sources.join("`, `"),
                    ),
                ));
            }
            let missing: Vec<&'static str> = hidden
                .sources
                .iter()
                .copied()
                .filter(|s| !is_key(s) && !assigned.iter().any(|(c, _)| c == s))
                .collect();
            if !missing.is_empty() {
                let set: Vec<&str> = assigned.iter().map(|(c, _)| *c).collect();
                let setters: Vec<String> = missing.iter().map(|m| format!("set_{m}(..)")).collect();
                return Err(stale(
                    missing.clone(),
                    format!(
                        "hidden index column `{}` is computed from `{}`: the update sets `{}` but not `{}`;                          set all of them together ({}) so the hidden column is recomputed",
                        hidden.name,
                        hidden.sources.join("`, `"),
                        set.join("`, `"),
                        missing.join("`, `"),
                        setters.join(", "),
                    ),
                ));
            }
            let untyped: Vec<&'static str> = hidden
                .sources
                .iter()
                .copied()
                .filter(|s| !self.sources.iter().any(|(c, _)| c == s))
                .collect();
            if !untyped.is_empty() {
                return Err(stale(
                    untyped.clone(),
                    format!(
                        "hidden index column `{}` cannot be recomputed: no typed value for `{}`                          (set index sources with the generated `set_<field>` setters, not `Update::set`)",
                        hidden.name,
                        untyped.join("`, `"),
                    ),
                ));
            }
        }
        if !needed {
            return Ok(Vec::new());
        }
        let key = KeyColumns(&self.sources, meta.partition_key, meta.clustering_key);
        let values = hidden::compute(meta, &self.sources, &key)?;
        Ok(values
            .into_iter()
            .filter(|(pos, _)| {
                let h = &meta.hidden_columns[*pos];
                h.sources
                    .iter()
                    .any(|s| self.assignments.iter().any(|(c, _, _)| c == s))
            })
            .map(|(pos, v)| (meta.hidden_columns[pos].name, v))
            .collect())
    }

    /// The statement text and its bound values.
    fn statement(&self, keyspace: Option<&str>) -> Result<(String, Vec<BoundValue>)> {
        let invalid = |reason: String| Error::InvalidQuery {
            table: M::TABLE,
            reason,
        };
        if self.assignments.is_empty() {
            return Err(invalid("the update sets no column".to_owned()));
        }
        for (c, assignment, _) in &self.assignments {
            match M::META.column(c) {
                Some(col) if col.kind.is_key() => {
                    return Err(invalid(format!(
                        "primary-key column `{c}` cannot be updated"
                    )));
                }
                Some(col) if *assignment != Assignment::Set && !col.shape.is_collection() => {
                    return Err(invalid(format!(
                        "`{c}` is not a collection: only `=` can assign it"
                    )));
                }
                Some(_) => {}
                None => return Err(invalid(format!("unknown column `{c}`"))),
            }
        }
        if self.key.len() != M::META.partition_key.len() + M::META.clustering_key.len() {
            return Err(invalid(
                "the update does not give every primary-key column".to_owned(),
            ));
        }
        let hidden = self.hidden_assignments()?;
        let sets: Vec<String> = self
            .assignments
            .iter()
            .map(|(c, a, _)| match a {
                Assignment::Set => format!("{c} = ?"),
                Assignment::Add => format!("{c} = {c} + ?"),
                Assignment::Remove => format!("{c} = {c} - ?"),
            })
            .chain(hidden.iter().map(|(c, _)| format!("{c} = ?")))
            .collect();
        let values: Vec<BoundValue> = self
            .assignments
            .iter()
            .map(|(_, _, v)| v.clone())
            .chain(hidden.into_iter().map(|(_, v)| BoundValue::new(v)))
            .chain(self.key.iter().cloned())
            .collect();
        Ok((cql::update_assignments(keyspace, M::META, &sets), values))
    }

    /// Runs the update.
    pub async fn execute(&self, db: &Db) -> Result<()> {
        let (cql, values) = self.statement(Some(db.keyspace()))?;
        db.execute_unpaged(&cql, values).await?;
        Ok(())
    }
}

/// The key columns of an update among its recorded sources (for errors and debug events).
struct KeyColumns<'a>(
    &'a [(&'static str, SourceValue<'static>)],
    &'static [&'static str],
    &'static [&'static str],
);

impl std::fmt::Debug for KeyColumns<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut t = f.debug_tuple("update");
        for k in self.1.iter().chain(self.2) {
            if let Some((_, v)) = self.0.iter().find(|(c, _)| c == k) {
                t.field(v);
            }
        }
        t.finish()
    }
}
