//! INSERT, UPDATE, DELETE and BATCH.

use std::ops::Bound;
use std::sync::Arc;

use super::eval::{Binds, ColSpec, Ev};
use super::{Db, Engine, QueryResult, RowsResult, resolve_ks};
use crate::cql::ast::{
    Assignment, Condition, InValues, Operator, Relation, RelationLhs, Statement, Term, Using,
};
use crate::error::{CqlError, Result};
use crate::index::store::Touched;
use crate::schema::{ColumnKind, TableDef};
use crate::storage::{AtomCell, CKey, Cell, Marker, PKey, RangeTombstone, Row, now_secs};
use crate::types::{ColType, Value};

const MAX_TTL: i64 = 630_720_000;

/// What to do to one column.
#[derive(Debug, Clone)]
enum Op {
    Set(usize, Option<Value>),
    SetElem(usize, Value, Option<Value>),
    Append(usize, Value),
    Prepend(usize, Value),
    Remove(usize, Value),
    DeleteCol(usize),
    DeleteElem(usize, Value),
}

#[derive(Debug, Clone)]
enum CkTarget {
    /// No clustering key involved (table without clustering, static-only write, partition delete).
    Partition,
    Keys(Vec<Vec<Value>>),
    Range {
        prefix: Vec<Value>,
        lower: Bound<Value>,
        upper: Bound<Value>,
    },
}

#[derive(Debug, Clone)]
enum Cond {
    None,
    IfNotExists,
    IfExists,
    Ifs(Vec<(usize, Operator, Option<Value>)>),
}

/// A validated modification.
#[derive(Debug, Clone)]
pub struct ModPlan {
    def: Arc<TableDef>,
    keys: Vec<Vec<Value>>,
    ck: CkTarget,
    ops: Vec<Op>,
    /// INSERT writes a row marker.
    marker: bool,
    /// DELETE of whole rows / partitions.
    delete_rows: bool,
    ttl: Option<i32>,
    timestamp: Option<i64>,
    cond: Cond,
    /// A DELETE (for the wording of some errors).
    is_delete: bool,
}

const PLACEHOLDER: Value = Value::Boolean(false);

fn key_value(binds: &mut Binds, term: &Term, ty: &ColType, name: &str) -> Result<Value> {
    match binds.eval(term, ty, name)? {
        Ev::Val(Some(v)) => Ok(v),
        Ev::Unset if binds.preparing() => Ok(PLACEHOLDER),
        Ev::Unset => Err(CqlError::invalid(format!(
            "Invalid unset value for column {name}"
        ))),
        Ev::Val(None) => Err(CqlError::invalid(format!(
            "Invalid null value in condition for column {name}"
        ))),
    }
}

fn using(
    binds: &mut Binds,
    u: &Using,
    batch: Option<&Using>,
    def: &TableDef,
) -> Result<(Option<i32>, Option<i64>)> {
    let mut ttl = None;
    let mut ts = None;
    for u in [batch, Some(u)].into_iter().flatten() {
        if let Some(t) = &u.ttl {
            match binds.eval(t, &ColType::Int, "[ttl]")? {
                Ev::Val(Some(Value::Int(n))) => {
                    if n < 0 {
                        return Err(CqlError::invalid(format!(
                            "A TTL must be greater or equal to 0, but was {n}"
                        )));
                    }
                    if n as i64 > MAX_TTL {
                        return Err(CqlError::invalid(format!(
                            "ttl is too large. requested ({n}) maximum ({MAX_TTL})"
                        )));
                    }
                    ttl = Some(n);
                }
                Ev::Val(None) => return Err(CqlError::invalid("Invalid null value of TTL")),
                _ => {}
            }
        }
        if let Some(t) = &u.timestamp {
            match binds.eval(t, &ColType::Bigint, "[timestamp]")? {
                Ev::Val(Some(Value::Bigint(n))) => ts = Some(n),
                Ev::Val(None) => return Err(CqlError::invalid("Invalid null value of timestamp")),
                _ => {}
            }
        }
    }
    if ttl.is_none() {
        if let Some(d) = def
            .properties
            .get("default_time_to_live")
            .and_then(|v| v.parse::<i32>().ok())
        {
            if d > 0 {
                ttl = Some(d);
            }
        }
    }
    Ok((ttl, ts))
}

fn check_writable(db: &Db, ks: &str, table: &str) -> Result<()> {
    if db.table(ks, table).is_ok_and(|t| t.is_view()) {
        return Err(crate::view::write_to_view_error());
    }
    if db.keyspaces.get(ks).is_some_and(|k| k.system) {
        return Err(CqlError::new(
            crate::error::code::UNAUTHORIZED,
            format!("{ks} keyspace is not user-modifiable."),
        ));
    }
    Ok(())
}

struct KeyRestr {
    lists: Vec<Option<Vec<Value>>>,
    slice: Option<(usize, Bound<Value>, Bound<Value>)>,
}

/// Reads the WHERE clause of UPDATE/DELETE: `=`/`IN` on key columns (and, for DELETE, a slice
/// on the last restricted clustering column).
fn where_keys(
    def: &TableDef,
    binds: &mut Binds,
    rels: &[Relation],
    allow_slice: bool,
) -> Result<(KeyRestr, KeyRestr)> {
    let mut pk = KeyRestr {
        lists: vec![None; def.partition_key.len()],
        slice: None,
    };
    let mut ck = KeyRestr {
        lists: vec![None; def.clustering.len()],
        slice: None,
    };
    let mut lower: Option<(usize, Bound<Value>)> = None;
    let mut upper: Option<(usize, Bound<Value>)> = None;
    for rel in rels {
        let (name, values): (&String, Result<Vec<Value>, String>) = match rel {
            Relation::Compare {
                lhs: RelationLhs::Column(n),
                op,
                rhs,
            } => {
                let c = key_column(def, n)?;
                let ty = c.ty.clone();
                match op {
                    Operator::Eq => (n, Ok(vec![key_value(binds, rhs, &ty, n)?])),
                    Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => {
                        let v = key_value(binds, rhs, &ty, n)?;
                        if c.kind == ColumnKind::Clustering && allow_slice {
                            let pos = c.position as usize;
                            let b = if matches!(op, Operator::Lte | Operator::Gte) {
                                Bound::Included(v)
                            } else {
                                Bound::Excluded(v)
                            };
                            if matches!(op, Operator::Gt | Operator::Gte) {
                                lower = Some((pos, b));
                            } else {
                                upper = Some((pos, b));
                            }
                            continue;
                        }
                        (n, Err(relation_text(n, *op, rhs)))
                    }
                    other => (n, Err(relation_text(n, *other, rhs))),
                }
            }
            Relation::In {
                lhs: RelationLhs::Column(n),
                values,
            } => {
                let c = key_column(def, n)?;
                let ty = c.ty.clone();
                let vals = match values {
                    InValues::List(ts) => {
                        let mut v = Vec::new();
                        for t in ts {
                            v.push(key_value(binds, t, &ty, n)?);
                        }
                        v
                    }
                    InValues::Bind(i) => {
                        let lt = ColType::List(Box::new(ty.clone()));
                        match binds.eval(&Term::Bind(*i), &lt, &format!("IN({n})"))? {
                            Ev::Val(Some(Value::List(v))) => v,
                            Ev::Unset if binds.preparing() => vec![PLACEHOLDER],
                            _ => {
                                return Err(CqlError::invalid(format!(
                                    "Invalid null value for IN restriction on column {n}"
                                )));
                            }
                        }
                    }
                };
                (n, Ok(vals))
            }
            _ => {
                return Err(CqlError::unsupported(
                    "this kind of relation in a modification statement",
                ));
            }
        };
        let (_, c) = def.column(name).unwrap();
        match values {
            Ok(v) => {
                let target = if c.kind == ColumnKind::PartitionKey {
                    &mut pk
                } else {
                    &mut ck
                };
                let slot = &mut target.lists[c.position as usize];
                if slot.is_some() {
                    return Err(CqlError::invalid(format!(
                        "{name} cannot be restricted by more than one relation if it includes an Equal"
                    )));
                }
                *slot = Some(v);
            }
            Err(text) => {
                if c.kind == ColumnKind::PartitionKey {
                    return Err(CqlError::invalid(
                        "Only EQ and IN relation are supported on the partition key (unless you use the token() function or ALLOW FILTERING)",
                    ));
                }
                let _ = name;
                return Err(CqlError::invalid(format!(
                    "Invalid operator in where clause {text}"
                )));
            }
        }
    }
    if lower.is_some() || upper.is_some() {
        let pos = lower
            .as_ref()
            .map(|x| x.0)
            .or(upper.as_ref().map(|x| x.0))
            .unwrap();
        if lower.as_ref().is_some_and(|l| l.0 != pos) || upper.as_ref().is_some_and(|u| u.0 != pos)
        {
            return Err(CqlError::invalid(
                "Range deletions must restrict a single clustering column",
            ));
        }
        ck.slice = Some((
            pos,
            lower.map(|l| l.1).unwrap_or(Bound::Unbounded),
            upper.map(|u| u.1).unwrap_or(Bound::Unbounded),
        ));
    }
    Ok((pk, ck))
}

/// Renders `col op term` roughly as ScyllaDB prints an expression.
pub(crate) fn relation_text(col: &str, op: Operator, rhs: &Term) -> String {
    let sym = match op {
        Operator::Eq => "=",
        Operator::Neq => "!=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Contains => "CONTAINS",
        Operator::ContainsKey => "CONTAINS KEY",
        Operator::Like => "LIKE",
    };
    fn term(t: &Term) -> String {
        use crate::cql::ast::Literal;
        match t {
            Term::Bind(_) => "?".into(),
            Term::Literal(Literal::String(s)) => format!("'{s}'"),
            Term::Literal(Literal::Integer(s) | Literal::Float(s) | Literal::Uuid(s)) => s.clone(),
            Term::Literal(Literal::Bool(b)) => b.to_string(),
            Term::Literal(Literal::Null) => "null".into(),
            _ => "...".into(),
        }
    }
    format!("{col} {sym} {}", term(rhs))
}

fn product(lists: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = vec![vec![]];
    for l in lists {
        let mut next = Vec::new();
        for p in &out {
            for v in l {
                let mut q = p.clone();
                q.push(v.clone());
                next.push(q);
            }
        }
        out = next;
    }
    out
}

fn pk_values(def: &TableDef, pk: &KeyRestr) -> Result<Vec<Vec<Value>>> {
    let mut lists = Vec::new();
    for (i, c) in def.pk_cols().enumerate() {
        match &pk.lists[i] {
            Some(v) => lists.push(v.clone()),
            None => {
                return Err(CqlError::invalid(format!(
                    "Missing mandatory PRIMARY KEY part {}",
                    c.name
                )));
            }
        }
    }
    let keys = product(&lists);
    if keys.len() > 100 {
        return Err(CqlError::invalid(format!(
            "partition key cartesian product size {} is greater than maximum 100",
            keys.len()
        )));
    }
    Ok(keys)
}

fn full_ck(def: &TableDef, ck: &KeyRestr) -> Result<CkTarget> {
    if def.clustering.is_empty() {
        return Ok(CkTarget::Partition);
    }
    let mut lists = Vec::new();
    for (i, c) in def.ck_cols().enumerate() {
        match &ck.lists[i] {
            Some(v) => lists.push(v.clone()),
            None => {
                return Err(CqlError::invalid(format!(
                    "Missing mandatory PRIMARY KEY part {}",
                    c.name
                )));
            }
        }
    }
    if ck.slice.is_some() {
        return Err(CqlError::invalid(
            "Range deletions are not supported for specific columns",
        ));
    }
    Ok(CkTarget::Keys(product(&lists)))
}

fn conditions(
    def: &TableDef,
    binds: &mut Binds,
    conds: &[Condition],
) -> Result<Vec<(usize, Operator, Option<Value>)>> {
    let mut out = Vec::new();
    for c in conds {
        let (i, col) = def
            .column(&c.column)
            .ok_or_else(|| CqlError::invalid(format!("Unknown identifier {}", c.column)))?;
        if matches!(col.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
            return Err(CqlError::invalid(format!(
                "PRIMARY KEY column '{}' cannot have IF conditions",
                c.column
            )));
        }
        let ty = col.ty.clone();
        let v = match binds.eval(&c.value, &ty, &c.column)? {
            Ev::Val(v) => v,
            Ev::Unset => None,
        };
        if !matches!(
            c.op,
            Operator::Eq
                | Operator::Neq
                | Operator::Lt
                | Operator::Lte
                | Operator::Gt
                | Operator::Gte
        ) {
            return Err(CqlError::unsupported("this IF condition operator"));
        }
        out.push((i, c.op, v));
    }
    Ok(out)
}

/// Validates a modification statement and resolves its values.
pub fn plan(
    _engine: &Engine,
    db: &Db,
    s: &Statement,
    current: Option<&str>,
    binds: &mut Binds,
    batch: Option<&Using>,
) -> Result<ModPlan> {
    match s {
        Statement::Insert(ins) => {
            let ks = resolve_ks(&ins.table.keyspace, current)?;
            let def = db.table(ks, &ins.table.name)?.def.clone();
            check_writable(db, ks, &def.name)?;
            binds.set_table(ks, &def.name);
            if ins.columns.len() != ins.values.len() {
                return Err(CqlError::invalid("Unmatched column names/values"));
            }
            let mut pk: Vec<Option<Value>> = vec![None; def.partition_key.len()];
            let mut ck: Vec<Option<Value>> = vec![None; def.clustering.len()];
            let mut ops = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (n, t) in ins.columns.iter().zip(ins.values.iter()) {
                let (i, c) = def
                    .column(n)
                    .ok_or_else(|| CqlError::invalid(format!("Unknown identifier {n}")))?;
                if !seen.insert(n.clone()) {
                    return Err(CqlError::invalid(format!(
                        "Multiple definitions found for column {n}"
                    )));
                }
                let ty = c.ty.clone();
                match c.kind {
                    ColumnKind::PartitionKey | ColumnKind::Clustering => {
                        let v = match binds.eval(t, &ty, n)? {
                            Ev::Val(Some(v)) => v,
                            Ev::Unset if binds.preparing() => PLACEHOLDER,
                            Ev::Unset => {
                                return Err(CqlError::invalid(format!(
                                    "Invalid unset value for column {n}"
                                )));
                            }
                            Ev::Val(None) => {
                                return Err(CqlError::invalid(format!(
                                    "Invalid null value in condition for column {n}"
                                )));
                            }
                        };
                        if c.kind == ColumnKind::PartitionKey {
                            pk[c.position as usize] = Some(v);
                        } else {
                            ck[c.position as usize] = Some(v);
                        }
                    }
                    _ => match binds.eval(t, &ty, n)? {
                        Ev::Val(v) => ops.push(Op::Set(i, v)),
                        Ev::Unset => {}
                    },
                }
            }
            let mut key = Vec::new();
            for (i, c) in def.pk_cols().enumerate() {
                key.push(pk[i].clone().ok_or_else(|| {
                    CqlError::invalid(format!("Missing mandatory PRIMARY KEY part {}", c.name))
                })?);
            }
            let mut ckv = Vec::new();
            for (i, c) in def.ck_cols().enumerate() {
                ckv.push(ck[i].clone().ok_or_else(|| {
                    CqlError::invalid(format!("Missing mandatory PRIMARY KEY part {}", c.name))
                })?);
            }
            let (ttl, timestamp) = using(binds, &ins.using, batch, &def)?;
            let ck = if def.clustering.is_empty() {
                CkTarget::Partition
            } else {
                CkTarget::Keys(vec![ckv])
            };
            ModPlan {
                def,
                keys: vec![key],
                ck,
                ops,
                marker: true,
                delete_rows: false,
                ttl,
                timestamp,
                cond: if ins.if_not_exists {
                    Cond::IfNotExists
                } else {
                    Cond::None
                },
                is_delete: false,
            }
            .validated()
        }
        Statement::Update(u) => {
            let ks = resolve_ks(&u.table.keyspace, current)?;
            let def = db.table(ks, &u.table.name)?.def.clone();
            check_writable(db, ks, &def.name)?;
            binds.set_table(ks, &def.name);
            let (ttl, timestamp) = using(binds, &u.using, batch, &def)?;
            let mut ops = Vec::new();
            let mut only_static = true;
            for a in &u.assignments {
                let column = match a {
                    Assignment::Set { column, .. }
                    | Assignment::SetElement { column, .. }
                    | Assignment::Append { column, .. }
                    | Assignment::Prepend { column, .. }
                    | Assignment::Remove { column, .. } => column,
                };
                let (i, c) = def
                    .column(column)
                    .ok_or_else(|| CqlError::invalid(format!("Unknown identifier {column}")))?;
                if matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                    return Err(CqlError::invalid(format!(
                        "PRIMARY KEY part {column} found in SET part"
                    )));
                }
                if c.kind != ColumnKind::Static {
                    only_static = false;
                }
                let ty = c.ty.clone();
                if let Some(op) = assignment(binds, a, i, &ty, column)? {
                    ops.push(op);
                }
            }
            let (pk, ck) = where_keys(&def, binds, &u.where_clause, false)?;
            let keys = pk_values(&def, &pk)?;
            let ck_restricted = ck.lists.iter().any(|l| l.is_some());
            let ck = if only_static && !ck_restricted && !def.clustering.is_empty() {
                CkTarget::Partition
            } else {
                full_ck(&def, &ck)?
            };
            let cond = if u.if_exists {
                Cond::IfExists
            } else if !u.conditions.is_empty() {
                Cond::Ifs(conditions(&def, binds, &u.conditions)?)
            } else {
                Cond::None
            };
            ModPlan {
                def,
                keys,
                ck,
                ops,
                marker: false,
                delete_rows: false,
                ttl,
                timestamp,
                cond,
                is_delete: false,
            }
            .validated()
        }
        Statement::Delete(d) => {
            let ks = resolve_ks(&d.table.keyspace, current)?;
            let def = db.table(ks, &d.table.name)?.def.clone();
            check_writable(db, ks, &def.name)?;
            binds.set_table(ks, &def.name);
            if d.using.ttl.is_some() {
                return Err(CqlError::invalid(
                    "TTL attribute is not allowed for deletes",
                ));
            }
            let (_, timestamp) = using(binds, &d.using, batch, &def)?;
            let mut ops = Vec::new();
            let mut only_static = !d.targets.is_empty();
            for t in &d.targets {
                let (i, c) = def
                    .column(&t.column)
                    .ok_or_else(|| CqlError::invalid(format!("Unknown identifier {}", t.column)))?;
                if matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                    return Err(CqlError::invalid(format!(
                        "Invalid identifier {} for deletion (should not be a PRIMARY KEY part)",
                        t.column
                    )));
                }
                if c.kind != ColumnKind::Static {
                    only_static = false;
                }
                match &t.element {
                    None => ops.push(Op::DeleteCol(i)),
                    Some(k) => {
                        let kt = match c.ty.clone() {
                            ColType::Map(kt, _) => *kt,
                            ColType::List(_) => ColType::Int,
                            ColType::Set(e) => *e,
                            _ => {
                                return Err(CqlError::invalid(format!(
                                    "Invalid deletion operation for non collection column {}",
                                    t.column
                                )));
                            }
                        };
                        let marker = if matches!(c.ty, ColType::List(_)) {
                            format!("idx({})", t.column)
                        } else {
                            format!("key({})", t.column)
                        };
                        match binds.eval(k, &kt, &marker)? {
                            Ev::Val(Some(v)) => ops.push(Op::DeleteElem(i, v)),
                            Ev::Unset => {}
                            Ev::Val(None) => {
                                return Err(CqlError::invalid(format!(
                                    "Invalid null value for {} element",
                                    t.column
                                )));
                            }
                        }
                    }
                }
            }
            let (pk, ckr) = where_keys(&def, binds, &d.where_clause, true)?;
            let keys = pk_values(&def, &pk)?;
            let n_restricted = ckr.lists.iter().take_while(|l| l.is_some()).count();
            if ckr.lists.iter().skip(n_restricted).any(|l| l.is_some()) {
                let missing = def.ck_cols().nth(n_restricted).unwrap();
                return Err(CqlError::invalid(format!(
                    "Missing mandatory PRIMARY KEY part {}",
                    missing.name
                )));
            }
            let full = n_restricted == def.clustering.len() && ckr.slice.is_none();
            let ck = if def.clustering.is_empty() {
                CkTarget::Partition
            } else if full {
                CkTarget::Keys(product(
                    &ckr.lists
                        .iter()
                        .map(|l| l.clone().unwrap())
                        .collect::<Vec<_>>(),
                ))
            } else {
                if !d.targets.is_empty()
                    && !(only_static && n_restricted == 0 && ckr.slice.is_none())
                {
                    if ckr.slice.is_none() {
                        let missing = def
                            .ck_cols()
                            .nth(n_restricted)
                            .map(|c| c.name.clone())
                            .unwrap_or_default();
                        let target = d
                            .targets
                            .iter()
                            .find(|t| {
                                def.column(&t.column)
                                    .is_some_and(|(_, c)| c.kind != ColumnKind::Static)
                            })
                            .map(|t| t.column.clone())
                            .unwrap_or_default();
                        return Err(CqlError::invalid(format!(
                            "Primary key column '{missing}' must be specified in order to modify column '{target}'"
                        )));
                    }
                    return Err(CqlError::invalid(
                        "Range deletions are not supported for specific columns",
                    ));
                }
                if let Some((pos, _, _)) = &ckr.slice {
                    if *pos != n_restricted {
                        return Err(match def.ck_cols().nth(n_restricted) {
                            Some(c) if *pos > n_restricted => CqlError::invalid(format!(
                                "Missing mandatory PRIMARY KEY part {}",
                                c.name
                            )),
                            _ => CqlError::invalid(format!(
                                "{} cannot be restricted by more than one relation if it includes an Equal",
                                def.ck_cols()
                                    .nth(*pos)
                                    .map(|c| c.name.as_str())
                                    .unwrap_or("?")
                            )),
                        });
                    }
                }
                let prefixes = product(
                    &ckr.lists
                        .iter()
                        .take(n_restricted)
                        .map(|l| l.clone().unwrap())
                        .collect::<Vec<_>>(),
                );
                if n_restricted == 0 && ckr.slice.is_none() {
                    CkTarget::Partition
                } else {
                    if prefixes.len() != 1 {
                        return Err(CqlError::unsupported(
                            "IN on clustering columns in range deletions",
                        ));
                    }
                    let (lower, upper) = match ckr.slice.clone() {
                        Some((_, l, u)) => (l, u),
                        None => (Bound::Unbounded, Bound::Unbounded),
                    };
                    CkTarget::Range {
                        prefix: prefixes.into_iter().next().unwrap(),
                        lower,
                        upper,
                    }
                }
            };
            let cond = if d.if_exists {
                Cond::IfExists
            } else if !d.conditions.is_empty() {
                Cond::Ifs(conditions(&def, binds, &d.conditions)?)
            } else {
                Cond::None
            };
            let delete_rows = d.targets.is_empty();
            ModPlan {
                def,
                keys,
                ck,
                ops,
                marker: false,
                delete_rows,
                ttl: None,
                timestamp,
                cond,
                is_delete: true,
            }
            .validated()
        }
        _ => Err(CqlError::invalid(
            "Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.",
        )),
    }
}

fn assignment(
    binds: &mut Binds,
    a: &Assignment,
    i: usize,
    ty: &ColType,
    name: &str,
) -> Result<Option<Op>> {
    let val = |binds: &mut Binds, t: &Term, ty: &ColType| -> Result<Option<Option<Value>>> {
        Ok(match binds.eval(t, ty, name)? {
            Ev::Val(v) => Some(v),
            Ev::Unset => None,
        })
    };
    Ok(match a {
        Assignment::Set { value, .. } => val(binds, value, ty)?.map(|v| Op::Set(i, v)),
        Assignment::SetElement { key, value, .. } => match ty {
            ColType::Map(kt, vt) => {
                let k = match binds.eval(key, kt, &format!("key({name})"))? {
                    Ev::Val(Some(k)) => k,
                    Ev::Unset => return Ok(None),
                    Ev::Val(None) => {
                        return Err(CqlError::invalid("Invalid null value for map key"));
                    }
                };
                match binds.eval(value, vt, &format!("value({name})"))? {
                    Ev::Val(v) => Some(Op::SetElem(i, k, v)),
                    Ev::Unset => None,
                }
            }
            ColType::List(et) => {
                let k = match binds.eval(key, &ColType::Int, &format!("idx({name})"))? {
                    Ev::Val(Some(k)) => k,
                    Ev::Unset => return Ok(None),
                    Ev::Val(None) => {
                        return Err(CqlError::invalid("Invalid null value for list index"));
                    }
                };
                match binds.eval(value, et, &format!("value({name})"))? {
                    Ev::Val(v) => Some(Op::SetElem(i, k, v)),
                    Ev::Unset => None,
                }
            }
            _ => {
                return Err(CqlError::invalid(format!(
                    "Invalid operation ({name}[?] = ?) for non list/map column {name}"
                )));
            }
        },
        Assignment::Append { value, .. } => {
            if *ty == ColType::Counter {
                return Ok(val(binds, value, &ColType::Counter)?
                    .flatten()
                    .map(|v| Op::Append(i, v)));
            }
            if !ty.is_multicell() {
                return Err(CqlError::invalid(format!(
                    "Invalid operation ({name} = {name} + ?) for non counter column {name}"
                )));
            }
            val(binds, value, ty)?.map(|v| match v {
                Some(v) => Op::Append(i, v),
                None => Op::Append(i, empty_of(ty)),
            })
        }
        Assignment::Prepend { value, .. } => {
            if !matches!(ty, ColType::List(_)) {
                return Err(CqlError::invalid(format!(
                    "Invalid operation ({name} = ? + {name}) for non list column {name}"
                )));
            }
            val(binds, value, ty)?.map(|v| Op::Prepend(i, v.unwrap_or(Value::List(vec![]))))
        }
        Assignment::Remove { value, .. } => {
            if *ty == ColType::Counter {
                return Ok(val(binds, value, &ColType::Counter)?
                    .flatten()
                    .map(|v| match v {
                        Value::Bigint(n) => Op::Append(i, Value::Bigint(n.wrapping_neg())),
                        o => Op::Append(i, o),
                    }));
            }
            let rt = match ty {
                ColType::Map(kt, _) => ColType::Set(kt.clone()),
                ColType::Set(_) | ColType::List(_) => ty.clone(),
                _ => {
                    return Err(CqlError::invalid(format!(
                        "Invalid operation ({name} = {name} - ?) for non counter column {name}"
                    )));
                }
            };
            val(binds, value, &rt)?.map(|v| Op::Remove(i, v.unwrap_or(Value::Set(vec![]))))
        }
    })
}

fn empty_of(ty: &ColType) -> Value {
    match ty {
        ColType::Map(..) => Value::Map(vec![]),
        ColType::Set(_) => Value::Set(vec![]),
        _ => Value::List(vec![]),
    }
}

/// Applies one statement.
pub fn apply(engine: &Engine, db: &mut Db, p: ModPlan, ts: Option<i64>) -> Result<QueryResult> {
    let ts = p
        .timestamp
        .or(ts)
        .unwrap_or_else(|| engine.next_timestamp());
    match &p.cond {
        Cond::None => {
            write(engine, db, &p, ts)?;
            Ok(QueryResult::Void)
        }
        _ => conditional(engine, db, &p, ts),
    }
}

/// Applies a batch at one timestamp.
pub fn apply_batch(
    engine: &Engine,
    db: &mut Db,
    plans: Vec<ModPlan>,
    ts: i64,
) -> Result<QueryResult> {
    if plans.iter().any(|p| !matches!(p.cond, Cond::None)) {
        // A conditional batch: one partition, every condition checked before anything is written.
        let first = (&plans[0].def.keyspace, &plans[0].def.name, &plans[0].keys);
        for p in &plans {
            if (&p.def.keyspace, &p.def.name, &p.keys) != first || p.keys.len() != 1 {
                return Err(CqlError::invalid(
                    "Batch with conditions cannot span multiple partitions",
                ));
            }
        }
        for p in &plans {
            if matches!(p.cond, Cond::None) {
                continue;
            }
            let (applied, columns, row) = check_condition(db, p)?;
            if !applied {
                return Ok(QueryResult::Rows(RowsResult {
                    columns,
                    rows: vec![row],
                    paging_state: None,
                    no_metadata: false,
                    warnings: vec![],
                }));
            }
        }
        for p in &plans {
            let mut q = p.clone();
            q.cond = Cond::None;
            write(engine, db, &q, p.timestamp.unwrap_or(ts))?;
        }
        let def = &plans[0].def;
        return Ok(QueryResult::Rows(RowsResult {
            columns: vec![ColSpec {
                keyspace: def.keyspace.clone(),
                table: def.name.clone(),
                name: "[applied]".into(),
                ty: ColType::Boolean,
            }],
            rows: vec![vec![Some(Value::Boolean(true))]],
            paging_state: None,
            no_metadata: false,
            warnings: vec![],
        }));
    }
    for p in &plans {
        write(engine, db, p, p.timestamp.unwrap_or(ts))?;
    }
    Ok(QueryResult::Void)
}

fn ckey(def: &TableDef, vals: &[Value]) -> CKey {
    let desc = def
        .ck_cols()
        .enumerate()
        .fold(0u64, |m, (i, c)| if c.desc { m | (1 << i) } else { m });
    CKey {
        vals: vals.to_vec(),
        desc,
    }
}

fn write(engine: &Engine, db: &mut Db, p: &ModPlan, ts: i64) -> Result<()> {
    let mut touched: Vec<(PKey, Touched)> = Vec::new();
    let r = write_rows(engine, db, p, ts, &mut touched);
    // Indexes and views follow every partition written, even when a later one failed.
    for (pk, t) in &touched {
        super::secondary::maintain(db, &p.def.keyspace, &p.def.name, pk, t);
    }
    r
}

/// Which rows of a partition a plan writes (for index and view maintenance).
fn touched_of(def: &TableDef, p: &ModPlan) -> Touched {
    match &p.ck {
        CkTarget::Keys(ks) => {
            let static_op = p.ops.iter().any(|op| {
                let i = match op {
                    Op::Set(i, _)
                    | Op::SetElem(i, _, _)
                    | Op::Append(i, _)
                    | Op::Prepend(i, _)
                    | Op::Remove(i, _)
                    | Op::DeleteCol(i)
                    | Op::DeleteElem(i, _) => *i,
                };
                def.columns[i].kind == ColumnKind::Static
            });
            if static_op {
                Touched::Partition
            } else {
                Touched::Rows(ks.iter().map(|k| ckey(def, k)).collect())
            }
        }
        _ => Touched::Partition,
    }
}

/// The storage key of the live list element at position `idx` (`l[idx] = v`, `DELETE l[idx]`),
/// or ScyllaDB's out-of-bound error.
fn live_list_key(row: &Row, col: u32, idx: i32, now: i64) -> Result<Value> {
    let live: Vec<&Value> = match row.cells.get(&col) {
        Some(Cell::Coll { elems, .. }) => elems
            .iter()
            .filter(|(_, e)| e.is_live(now))
            .map(|(k, _)| k)
            .collect(),
        _ => vec![],
    };
    usize::try_from(idx)
        .ok()
        .and_then(|i| live.get(i))
        .map(|k| (*k).clone())
        .ok_or_else(|| {
            CqlError::invalid(format!(
                "List index {idx} out of bound, list has size {}",
                live.len()
            ))
        })
}

/// A primary-key column named in a modification's WHERE clause, or ScyllaDB's error for an
/// unknown or non-key column.
fn key_column<'a>(def: &'a TableDef, name: &str) -> Result<&'a crate::schema::ColumnDef> {
    let (_, c) = def
        .column(name)
        .ok_or_else(|| CqlError::invalid(format!("Unrecognized name {name}")))?;
    if !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
        return Err(CqlError::invalid(format!(
            "Invalid where clause contains non PRIMARY KEY columns: {name}"
        )));
    }
    Ok(c)
}

fn write_rows(
    engine: &Engine,
    db: &mut Db,
    p: &ModPlan,
    ts: i64,
    touched: &mut Vec<(PKey, Touched)>,
) -> Result<()> {
    let def = p.def.clone();
    let now = now_secs();
    let expiry = p.ttl.filter(|t| *t > 0).map(|t| now + t as i64);
    let ttl = p.ttl.unwrap_or(0);
    // Validate list operations before writing.
    for key in &p.keys {
        let k = crate::storage::serialize_pk(key);
        if k.is_empty() {
            return Err(CqlError::invalid("Key may not be empty"));
        }
        if k.len() > 65535 {
            return Err(CqlError::invalid(format!(
                "Key length of {} is longer than maximum of 65535",
                k.len()
            )));
        }
    }
    let table = db.table_mut(&def.keyspace, &def.name)?;
    let touched_rows = touched_of(&def, p);
    for key in &p.keys {
        let pkey = PKey::of(key);
        touched.push((pkey.clone(), touched_rows.clone()));
        let part = table.data.partition_mut(&pkey, key);
        let cks: Vec<Option<CKey>> = match &p.ck {
            CkTarget::Partition => vec![None],
            CkTarget::Keys(ks) => ks.iter().map(|k| Some(ckey(&def, k))).collect(),
            CkTarget::Range {
                prefix,
                lower,
                upper,
            } => {
                if p.delete_rows {
                    part.delete_range(RangeTombstone {
                        prefix: prefix.clone(),
                        lower: lower.clone(),
                        upper: upper.clone(),
                        ts,
                    });
                }
                vec![]
            }
        };
        // Rows this write may have left empty: only the written clustering keys, so that a write
        // costs O(log rows) and not O(rows) in a large partition.
        let written: Option<Vec<CKey>> = match &p.ck {
            CkTarget::Keys(_) => Some(cks.iter().flatten().cloned().collect()),
            _ => None,
        };
        for ck in cks {
            if p.delete_rows {
                match &ck {
                    None => part.delete_partition(ts),
                    Some(k) => part.delete_row(k.clone(), ts),
                }
                continue;
            }
            let shadow = part.shadow(ck.as_ref());
            let static_shadow = part.shadow(None);
            if p.marker {
                if let Some(k) = &ck {
                    part.rows
                        .entry(k.clone())
                        .or_default()
                        .write_marker(Marker { ts, expiry, ttl }, shadow);
                } else {
                    // A table without clustering columns: the marker lives on the single row.
                    part.rows
                        .entry(CKey {
                            vals: vec![],
                            desc: 0,
                        })
                        .or_default()
                        .write_marker(Marker { ts, expiry, ttl }, shadow);
                }
            }
            for op in &p.ops {
                let col = match op {
                    Op::Set(i, _)
                    | Op::SetElem(i, _, _)
                    | Op::Append(i, _)
                    | Op::Prepend(i, _)
                    | Op::Remove(i, _)
                    | Op::DeleteCol(i)
                    | Op::DeleteElem(i, _) => &def.columns[*i],
                };
                let is_static = col.kind == ColumnKind::Static;
                let sh = if is_static { static_shadow } else { shadow };
                let row = if is_static {
                    &mut part.static_row
                } else {
                    let k = ck.clone().unwrap_or(CKey {
                        vals: vec![],
                        desc: 0,
                    });
                    part.rows.entry(k).or_default()
                };
                let atom = |v: Option<Value>| AtomCell {
                    ts,
                    expiry: if v.is_some() { expiry } else { None },
                    ttl: if v.is_some() { ttl } else { 0 },
                    value: v,
                };
                let unit = || Value::Boolean(true);
                match op {
                    Op::Set(_, _) | Op::DeleteCol(_) if col.ty.is_multicell() => {
                        row.write_coll_tombstone(col.id, ts - 1, sh);
                        if let Op::Set(_, Some(v)) = op {
                            match v {
                                Value::Set(items) => {
                                    for it in items {
                                        row.write_elem(col.id, it.clone(), atom(Some(unit())), sh);
                                    }
                                }
                                Value::Map(items) => {
                                    for (k, x) in items {
                                        row.write_elem(
                                            col.id,
                                            k.clone(),
                                            atom(Some(x.clone())),
                                            sh,
                                        );
                                    }
                                }
                                Value::List(items) => {
                                    for it in items {
                                        let key = engine.list_key(false);
                                        row.write_elem(col.id, key, atom(Some(it.clone())), sh);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    Op::Set(_, v) => {
                        row.write_atom(col.id, atom(v.clone()), sh);
                    }
                    Op::DeleteCol(_) => row.write_atom(col.id, atom(None), sh),
                    Op::SetElem(_, k, v) => match &col.ty {
                        ColType::Map(..) => row.write_elem(col.id, k.clone(), atom(v.clone()), sh),
                        _ => {
                            let Value::Int(idx) = k else { continue };
                            let key = live_list_key(row, col.id, *idx, now)?;
                            row.write_elem(col.id, key, atom(v.clone()), sh);
                        }
                    },
                    Op::Append(_, v) => match (&col.ty, v) {
                        (ColType::Counter, Value::Bigint(n)) => {
                            let cur = match row.cells.get(&col.id) {
                                Some(Cell::Atom(a)) if a.is_live(now) => match &a.value {
                                    Some(Value::Bigint(c)) => *c,
                                    _ => 0,
                                },
                                _ => 0,
                            };
                            row.write_atom(
                                col.id,
                                atom(Some(Value::Bigint(cur.wrapping_add(*n)))),
                                sh,
                            );
                        }
                        (_, Value::Set(items)) => {
                            for it in items {
                                row.write_elem(col.id, it.clone(), atom(Some(unit())), sh);
                            }
                        }
                        (_, Value::Map(items)) => {
                            for (k, x) in items {
                                row.write_elem(col.id, k.clone(), atom(Some(x.clone())), sh);
                            }
                        }
                        (_, Value::List(items)) => {
                            for it in items {
                                let key = engine.list_key(false);
                                row.write_elem(col.id, key, atom(Some(it.clone())), sh);
                            }
                        }
                        _ => {}
                    },
                    Op::Prepend(_, v) => {
                        if let Value::List(items) = v {
                            for it in items.iter().rev() {
                                let key = engine.list_key(true);
                                row.write_elem(col.id, key, atom(Some(it.clone())), sh);
                            }
                        }
                    }
                    Op::Remove(_, v) => match (&col.ty, v) {
                        (ColType::List(_), Value::List(items)) => {
                            let keys: Vec<Value> = match row.cells.get(&col.id) {
                                Some(Cell::Coll { elems, .. }) => elems
                                    .iter()
                                    .filter(|(_, e)| {
                                        e.is_live(now)
                                            && e.value.as_ref().is_some_and(|x| items.contains(x))
                                    })
                                    .map(|(k, _)| k.clone())
                                    .collect(),
                                _ => vec![],
                            };
                            for k in keys {
                                row.write_elem(col.id, k, atom(None), sh);
                            }
                        }
                        (_, Value::Set(items)) => {
                            for it in items {
                                row.write_elem(col.id, it.clone(), atom(None), sh);
                            }
                        }
                        _ => {}
                    },
                    Op::DeleteElem(_, k) => match &col.ty {
                        ColType::Map(..) | ColType::Set(_) => {
                            row.write_elem(col.id, k.clone(), atom(None), sh)
                        }
                        ColType::List(_) => {
                            let Value::Int(idx) = k else { continue };
                            let key = live_list_key(row, col.id, *idx, now)?;
                            row.write_elem(col.id, key, atom(None), sh);
                        }
                        _ => {}
                    },
                }
            }
        }
        let part_empty = {
            let part = table.data.partitions.get_mut(&pkey).unwrap();
            match &written {
                Some(keys) => {
                    for k in keys {
                        if part.rows.get(k).is_some_and(|r| r.is_empty()) {
                            part.rows.remove(k);
                        }
                    }
                }
                None => part.rows.retain(|_, r| !r.is_empty()),
            }
            part.rows.is_empty()
                && part.static_row.is_empty()
                && part.deleted_at.is_none()
                && part.range_tombstones.is_empty()
        };
        if part_empty {
            table.data.partitions.remove(&pkey);
        }
    }
    Ok(())
}

fn conditional(engine: &Engine, db: &mut Db, p: &ModPlan, ts: i64) -> Result<QueryResult> {
    let (applied, columns, row_vals) = check_condition(db, p)?;
    if applied {
        let mut q = p.clone();
        q.cond = Cond::None;
        write(engine, db, &q, ts)?;
    }
    Ok(QueryResult::Rows(RowsResult {
        columns,
        rows: vec![row_vals],
        paging_state: None,
        no_metadata: false,
        warnings: vec![],
    }))
}

/// The result columns of a conditional statement (ScyllaDB's `build_cas_result_set_metadata`):
/// `[applied]`, then every column (IF [NOT] EXISTS) or the condition columns, in schema order.
pub(crate) fn cas_columns(p: &ModPlan) -> Vec<ColSpec> {
    let def = &p.def;
    let spec = |name: &str, ty: ColType| ColSpec {
        keyspace: def.keyspace.clone(),
        table: def.name.clone(),
        name: name.to_string(),
        ty,
    };
    let mut out = vec![spec("[applied]", ColType::Boolean)];
    let cols: Vec<usize> = match &p.cond {
        Cond::None => return vec![],
        Cond::IfExists | Cond::IfNotExists => def.select_star_order(),
        Cond::Ifs(conds) => def
            .select_star_order()
            .into_iter()
            .filter(|i| conds.iter().any(|c| c.0 == *i))
            .collect(),
    };
    for i in cols {
        out.push(spec(&def.columns[i].name, def.columns[i].ty.clone()));
    }
    out
}

impl ModPlan {
    /// ScyllaDB's statement-level checks (`modification_statement::validate` and
    /// `validate_where_clause_for_conditions`).
    fn validated(self) -> Result<ModPlan> {
        let is_counter = self.def.columns.iter().any(|c| c.ty == ColType::Counter);
        let what = if self.is_delete {
            "deletions"
        } else {
            "updates"
        };
        if is_counter && self.marker {
            return Err(CqlError::invalid(
                "INSERT statements are not allowed on counter tables, use UPDATE instead",
            ));
        }
        if !matches!(self.cond, Cond::None) {
            if is_counter {
                return Err(CqlError::invalid(
                    "Conditional updates are not supported on counter tables",
                ));
            }
            if self.timestamp.is_some() {
                return Err(CqlError::invalid(
                    "Cannot provide custom timestamp for conditional updates",
                ));
            }
            if self.keys.len() > 1 {
                return Err(CqlError::invalid(format!(
                    "IN on the partition key is not supported with conditional {what}"
                )));
            }
            if matches!(&self.ck, CkTarget::Keys(k) if k.len() > 1) {
                return Err(CqlError::invalid(format!(
                    "IN on the clustering key columns is not supported with conditional {what}"
                )));
            }
        }
        if is_counter && !self.is_delete {
            if self.timestamp.is_some() {
                return Err(CqlError::invalid(
                    "Cannot provide custom timestamp for counter updates",
                ));
            }
            if self.ttl.is_some_and(|t| t > 0)
                && self.def.properties.get("default_time_to_live").is_none()
            {
                return Err(CqlError::invalid(
                    "Cannot provide custom TTL for counter updates",
                ));
            }
        }
        Ok(self)
    }

    /// PREPARED result metadata: the CAS columns of a conditional statement, else none.
    pub fn result_columns(&self) -> Vec<ColSpec> {
        cas_columns(self)
    }
}

/// Evaluates a statement's IF condition: (applied, `[applied]` result columns, result row).
fn check_condition(db: &Db, p: &ModPlan) -> Result<(bool, Vec<ColSpec>, Vec<Option<Value>>)> {
    let def = p.def.clone();
    if p.keys.len() != 1 {
        return Err(CqlError::invalid(
            "IN on the partition key is not supported with conditional updates",
        ));
    }
    let ck = match &p.ck {
        CkTarget::Keys(k) if k.len() == 1 => Some(ckey(&def, &k[0])),
        CkTarget::Keys(_) => {
            return Err(CqlError::invalid(
                "IN on the clustering key columns is not supported with conditional updates",
            ));
        }
        CkTarget::Partition => None,
        CkTarget::Range { .. } => {
            return Err(CqlError::invalid(
                "DELETE statements must restrict all PRIMARY KEY columns with equality relations in order to delete non static columns",
            ));
        }
    };
    let now = now_secs();
    let pkey = PKey::of(&p.keys[0]);
    let table = db.table(&def.keyspace, &def.name)?;
    let part = table.data.partitions.get(&pkey);
    let row_key = ck.clone().or_else(|| {
        if def.clustering.is_empty() {
            Some(CKey {
                vals: vec![],
                desc: 0,
            })
        } else {
            None
        }
    });
    let row = part
        .and_then(|pt| row_key.as_ref().and_then(|k| pt.rows.get(k)))
        .filter(|r| r.is_live(now));
    let exists = match &row_key {
        Some(_) => row.is_some(),
        None => part.is_some_and(|pt| pt.static_row.has_live_cells(now)),
    };
    let current = |i: usize| -> Option<Value> {
        part.and_then(|pt| super::select::col_value(&def, i, pt, ck.as_ref(), row, now))
    };
    let applied = match &p.cond {
        Cond::IfNotExists => !exists,
        Cond::IfExists => exists,
        Cond::Ifs(conds) => conds.iter().all(|(i, op, v)| {
            let cur = if exists { current(*i) } else { None };
            match (op, &cur, v) {
                (Operator::Eq, a, b) => a == b,
                (Operator::Neq, a, b) => a != b,
                (_, Some(a), Some(b)) => match op {
                    Operator::Lt => a < b,
                    Operator::Lte => a <= b,
                    Operator::Gt => a > b,
                    Operator::Gte => a >= b,
                    _ => false,
                },
                _ => false,
            }
        }),
        Cond::None => true,
    };
    // As ScyllaDB: the result set always carries the previous values of the CAS columns
    // (nulls when the row did not exist), whether or not the statement applied.
    let columns = cas_columns(p);
    let mut row_vals = vec![Some(Value::Boolean(applied))];
    for c in &columns[1..] {
        let i = def.column(&c.name).map(|(i, _)| i);
        row_vals.push(if exists { i.and_then(current) } else { None });
    }
    Ok((applied, columns, row_vals))
}
