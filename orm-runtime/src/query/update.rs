//! The `UPDATE` builder behind the generated `<Struct>Update` types.

use std::marker::PhantomData;

use super::BoundValue;
use crate::cql;
use crate::db::Db;
use crate::error::{Error, Result};
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
pub struct Update<M: Model> {
    key: Vec<BoundValue>,
    assignments: Vec<(&'static str, Assignment, BoundValue)>,
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
            _marker: PhantomData,
        }
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

    /// The statement text, qualified with `keyspace` when given.
    pub fn cql(&self, keyspace: Option<&str>) -> Result<String> {
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
        // A hidden column is recomputed from all its sources on every write.
        for hidden in M::META.hidden_columns {
            let assigned: Vec<Assignment> = hidden
                .sources
                .iter()
                .filter_map(|s| {
                    self.assignments
                        .iter()
                        .find(|(c, _, _)| c == s)
                        .map(|(_, a, _)| *a)
                })
                .collect();
            if !assigned.is_empty()
                && (assigned.len() < hidden.sources.len()
                    || assigned.iter().any(|a| *a != Assignment::Set))
            {
                return Err(invalid(format!(
                    "hidden column `{}` is computed from `{}`: set (`=`) all of them together",
                    hidden.name,
                    hidden.sources.join("`, `")
                )));
            }
        }
        if self.key.len() != M::META.partition_key.len() + M::META.clustering_key.len() {
            return Err(invalid(
                "the update does not give every primary-key column".to_owned(),
            ));
        }
        let sets: Vec<String> = self
            .assignments
            .iter()
            .map(|(c, a, _)| match a {
                Assignment::Set => format!("{c} = ?"),
                Assignment::Add => format!("{c} = {c} + ?"),
                Assignment::Remove => format!("{c} = {c} - ?"),
            })
            .collect();
        Ok(cql::update_assignments(keyspace, M::META, &sets))
    }

    /// Runs the update.
    pub async fn execute(&self, db: &Db) -> Result<()> {
        let cql = self.cql(Some(db.keyspace()))?;
        let values: Vec<BoundValue> = self
            .assignments
            .iter()
            .map(|(_, _, v)| v.clone())
            .chain(self.key.iter().cloned())
            .collect();
        db.execute_unpaged(&cql, values).await?;
        Ok(())
    }
}
