//! SELECT: restriction validation (spec §5), access-path choice, execution and paging.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use super::eval::{Binds, ColSpec, Ev};
use super::{Db, Engine, QueryOptions, RowsResult, resolve_ks};
use crate::cql::ast::{InValues, Operator, Order, Relation, RelationLhs, Select, Selector, Term};
use crate::error::{CqlError, Result};
use crate::schema::{ColumnKind, TableDef};
use crate::storage::{CKey, Cell, PKey, Partition, Row, now_secs};
use crate::types::{ColType, Value};

/// A predicate on one row.
#[derive(Debug, Clone)]
pub enum Pred {
    Cmp {
        col: usize,
        op: Operator,
        val: Value,
    },
    In {
        col: usize,
        vals: Vec<Value>,
    },
    Contains {
        col: usize,
        val: Value,
    },
    ContainsKey {
        col: usize,
        val: Value,
    },
    MapEntry {
        col: usize,
        key: Value,
        val: Value,
    },
    Tuple {
        cols: Vec<usize>,
        op: Operator,
        val: Vec<Value>,
    },
    TupleIn {
        cols: Vec<usize>,
        vals: Vec<Vec<Value>>,
    },
    Token {
        op: Operator,
        val: i64,
    },
    /// `c LIKE 'pattern'` (`%` any run, `_` one character).
    Like {
        col: usize,
        pattern: String,
    },
}

/// How partitions are reached.
#[derive(Debug, Clone)]
pub enum PkAccess {
    /// Every partition in token order.
    Scan,
    /// These partition keys (cartesian product of `=`/`IN`).
    Keys(Vec<Vec<Value>>),
    /// A token range.
    TokenRange(Bound<i64>, Bound<i64>),
    /// Through a secondary index (every restriction is then re-checked as a filter).
    Index(IndexAccess),
}

/// A read through a secondary index.
#[derive(Debug, Clone)]
pub struct IndexAccess {
    /// Index name (key of `Table::indexes`).
    pub name: String,
    /// The term looked up (the value, collection element, map key or `(key, value)` entry).
    pub term: Value,
    pub local: bool,
    /// The partition-key values when every component is restricted by `=` (required for a
    /// local index; narrows a global lookup to one partition).
    pub pk: Option<Vec<Value>>,
}

#[derive(Debug, Clone)]
enum Output {
    Col(usize),
    WriteTime(usize),
    Ttl(usize),
    Token,
    CountStar,
    Count(usize),
    Min(usize),
    Max(usize),
    Sum(usize),
    Avg(usize),
}

/// A validated SELECT.
#[derive(Debug, Clone)]
pub struct SelectPlan {
    pub def: Arc<TableDef>,
    pub result_columns: Vec<ColSpec>,
    outputs: Vec<Output>,
    aggregate: bool,
    /// GROUP BY columns (the result has one row per group).
    group_by: Vec<usize>,
    distinct: bool,
    pub access: PkAccess,
    /// Clustering restrictions served by the primary key (no filtering).
    ck_served: Vec<Pred>,
    /// A single clustering equality prefix usable for a range seek.
    ck_prefix: Option<Vec<Value>>,
    /// A slice on the column after `ck_prefix`: (position, lower, upper, column is DESC).
    ck_slice: Option<(usize, Option<Value>, Option<Value>, bool)>,
    /// Restrictions applied by filtering.
    pub filters: Vec<Pred>,
    has_ck_restriction: bool,
    limit: Option<u64>,
    per_partition_limit: Option<u64>,
    reversed: bool,
    /// ORDER BY over several partitions (IN): rows are merged and sorted, not paged.
    sort_merged: bool,
    /// Warnings sent with the result.
    pub warnings: Vec<String>,
}

fn err_unrecognized(n: &str) -> CqlError {
    CqlError::invalid(format!("Unrecognized name {n}"))
}

/// Values of one column's restrictions.
#[derive(Default, Debug)]
struct ColRestr {
    eq: Option<Value>,
    ins: Option<Vec<Value>>,
    lower: Option<(Value, bool)>,
    upper: Option<(Value, bool)>,
    other: Vec<Pred>,
    count: usize,
}

impl ColRestr {
    fn is_slice(&self) -> bool {
        self.lower.is_some() || self.upper.is_some()
    }
    fn has_other(&self) -> bool {
        !self.other.is_empty()
    }
    fn preds(&self, col: usize) -> Vec<Pred> {
        let mut v = Vec::new();
        if let Some(e) = &self.eq {
            v.push(Pred::Cmp {
                col,
                op: Operator::Eq,
                val: e.clone(),
            });
        }
        if let Some(i) = &self.ins {
            v.push(Pred::In {
                col,
                vals: i.clone(),
            });
        }
        if let Some((l, inc)) = &self.lower {
            v.push(Pred::Cmp {
                col,
                op: if *inc { Operator::Gte } else { Operator::Gt },
                val: l.clone(),
            });
        }
        if let Some((u, inc)) = &self.upper {
            v.push(Pred::Cmp {
                col,
                op: if *inc { Operator::Lte } else { Operator::Lt },
                val: u.clone(),
            });
        }
        v.extend(self.other.iter().cloned());
        v
    }
}

const PLACEHOLDER: Value = Value::Boolean(false);

fn required(binds: &mut Binds, term: &Term, ty: &ColType, name: &str, col: &str) -> Result<Value> {
    match binds.eval(term, ty, name)? {
        Ev::Val(Some(v)) => Ok(v),
        Ev::Unset if binds.preparing() => Ok(PLACEHOLDER),
        Ev::Unset => Err(CqlError::invalid(format!(
            "Invalid unset value for column {col}"
        ))),
        Ev::Val(None) => Err(CqlError::invalid(format!(
            "Invalid null value in condition for column {col}"
        ))),
    }
}

fn in_values(binds: &mut Binds, values: &InValues, ty: &ColType, col: &str) -> Result<Vec<Value>> {
    match values {
        InValues::List(terms) => {
            let mut out = Vec::new();
            for t in terms {
                out.push(required(binds, t, ty, col, col)?);
            }
            out.sort();
            out.dedup();
            Ok(out)
        }
        InValues::Bind(i) => {
            let lt = ColType::List(Box::new(ty.clone()));
            match binds.eval(&Term::Bind(*i), &lt, &format!("IN({col})"))? {
                Ev::Val(Some(Value::List(mut v))) => {
                    v.sort();
                    v.dedup();
                    Ok(v)
                }
                Ev::Unset if binds.preparing() => Ok(vec![PLACEHOLDER]),
                Ev::Unset => Err(CqlError::invalid(format!(
                    "Invalid unset value for column {col}"
                ))),
                _ => Err(CqlError::invalid(format!(
                    "Invalid null value for IN restriction on column {col}"
                ))),
            }
        }
    }
}

/// Parses `LIMIT` / `PER PARTITION LIMIT`.
fn limit_value(
    binds: &mut Binds,
    t: &Option<Term>,
    marker: &str,
    what: &str,
) -> Result<Option<u64>> {
    let Some(t) = t else { return Ok(None) };
    match binds.eval(t, &ColType::Int, marker)? {
        Ev::Val(Some(Value::Int(n))) => {
            if n <= 0 {
                return Err(CqlError::invalid(format!(
                    "{what} must be strictly positive"
                )));
            }
            Ok(Some(n as u64))
        }
        Ev::Unset => Ok(None),
        _ => Err(CqlError::invalid(format!(
            "Invalid null value of {}",
            what.to_lowercase()
        ))),
    }
}

fn cartesian(lists: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = vec![vec![]];
    for l in lists {
        let mut next = Vec::new();
        for prefix in &out {
            for v in l {
                let mut p = prefix.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

/// Validates a SELECT and chooses its access path.
pub fn plan(
    _engine: &Engine,
    db: &Db,
    s: &Select,
    current: Option<&str>,
    binds: &mut Binds,
) -> Result<SelectPlan> {
    let ks = resolve_ks(&s.from.keyspace, current)?;
    let table = db.table(ks, &s.from.name)?;
    let def = table.def.clone();
    binds.set_table(ks, &def.name);
    if s.json {
        return Err(CqlError::unsupported("SELECT JSON"));
    }

    // --- selection ---
    let mut outputs = Vec::new();
    let mut result_columns = Vec::new();
    let spec = |name: String, ty: ColType| ColSpec {
        keyspace: ks.to_string(),
        table: def.name.clone(),
        name,
        ty,
    };
    let lookup = |n: &str| {
        def.column(n)
            .map(|(i, _)| i)
            .ok_or_else(|| CqlError::invalid(format!("Undefined name {n} in selection clause")))
    };
    match &s.items {
        None => {
            for i in def.select_star_order() {
                outputs.push(Output::Col(i));
                result_columns.push(spec(def.columns[i].name.clone(), def.columns[i].ty.clone()));
            }
        }
        Some(items) => {
            for it in items {
                let (out, name, ty) = match &it.selector {
                    Selector::Column(n) => {
                        let i = lookup(n)?;
                        (Output::Col(i), n.clone(), def.columns[i].ty.clone())
                    }
                    Selector::CountStar => {
                        (Output::CountStar, "count".to_string(), ColType::Bigint)
                    }
                    Selector::Function { name: f, args } => {
                        let col_arg = |args: &Vec<Selector>| -> Result<usize> {
                            match args.as_slice() {
                                [Selector::Column(c)] => lookup(c),
                                _ => Err(CqlError::invalid(format!(
                                    "Invalid arguments for function {f}"
                                ))),
                            }
                        };
                        match f.as_str() {
                            "writetime" | "ttl" => {
                                let i = col_arg(args)?;
                                let c = &def.columns[i];
                                if matches!(
                                    c.kind,
                                    ColumnKind::PartitionKey | ColumnKind::Clustering
                                ) {
                                    return Err(CqlError::invalid(format!(
                                        "Cannot use selection function {f} on PRIMARY KEY part {}",
                                        c.name
                                    )));
                                }
                                if c.ty.is_multicell() {
                                    return Err(CqlError::invalid(format!(
                                        "Cannot use selection function {f} on non-frozen collection {}",
                                        c.name
                                    )));
                                }
                                if f == "writetime" {
                                    (
                                        Output::WriteTime(i),
                                        format!("writetime({})", c.name),
                                        ColType::Bigint,
                                    )
                                } else {
                                    (Output::Ttl(i), format!("ttl({})", c.name), ColType::Int)
                                }
                            }
                            "token" => {
                                let names: Vec<String> =
                                    def.pk_cols().map(|c| c.name.clone()).collect();
                                let given: Vec<String> = args
                                    .iter()
                                    .map(|a| match a {
                                        Selector::Column(c) => Ok(c.clone()),
                                        _ => Err(CqlError::invalid(
                                            "Invalid arguments for function token",
                                        )),
                                    })
                                    .collect::<Result<_>>()?;
                                if given != names {
                                    return Err(CqlError::invalid(format!(
                                        "Invalid arguments for function token: expected ({})",
                                        names.join(", ")
                                    )));
                                }
                                (
                                    Output::Token,
                                    format!("system.token({})", names.join(", ")),
                                    ColType::Bigint,
                                )
                            }
                            "count" => {
                                let i = col_arg(args)?;
                                (
                                    Output::Count(i),
                                    format!("system.count({})", def.columns[i].name),
                                    ColType::Bigint,
                                )
                            }
                            "min" | "max" | "sum" | "avg" => {
                                let i = col_arg(args)?;
                                let c = &def.columns[i];
                                let o = match f.as_str() {
                                    "min" => Output::Min(i),
                                    "max" => Output::Max(i),
                                    _ => {
                                        if !matches!(
                                            c.ty,
                                            ColType::Int
                                                | ColType::Bigint
                                                | ColType::Smallint
                                                | ColType::Tinyint
                                                | ColType::Double
                                                | ColType::Float
                                                | ColType::Counter
                                        ) {
                                            return Err(CqlError::unsupported(format!(
                                                "{f}() over {}",
                                                c.ty.cql_name()
                                            )));
                                        }
                                        if f == "avg" {
                                            Output::Avg(i)
                                        } else {
                                            Output::Sum(i)
                                        }
                                    }
                                };
                                (o, format!("system.{f}({})", c.name), c.ty.clone())
                            }
                            other => {
                                return Err(CqlError::invalid(format!(
                                    "Unknown function '{other}'"
                                )));
                            }
                        }
                    }
                    Selector::Literal(_) => return Err(CqlError::unsupported("literal selectors")),
                };
                outputs.push(out);
                result_columns.push(spec(it.alias.clone().unwrap_or(name), ty));
            }
        }
    }
    let aggregate = outputs.iter().any(|o| {
        matches!(
            o,
            Output::CountStar
                | Output::Count(_)
                | Output::Min(_)
                | Output::Max(_)
                | Output::Sum(_)
                | Output::Avg(_)
        )
    });
    if s.distinct {
        for o in &outputs {
            match o {
                Output::Col(i) => {
                    let c = &def.columns[*i];
                    if !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Static) {
                        return Err(CqlError::invalid(format!(
                            "SELECT DISTINCT queries must only request partition key columns and/or static columns (not {})",
                            c.name
                        )));
                    }
                }
                Output::CountStar | Output::Token => {}
                _ => return Err(CqlError::unsupported("this selector with SELECT DISTINCT")),
            }
        }
        if s.items.is_some() && !aggregate {
            for c in def.pk_cols() {
                if !outputs
                    .iter()
                    .any(|o| matches!(o, Output::Col(i) if def.columns[*i].name == c.name))
                {
                    return Err(CqlError::invalid(format!(
                        "SELECT DISTINCT queries must request all the partition key columns (missing {})",
                        c.name
                    )));
                }
            }
        }
    }

    // --- restrictions ---
    let mut restr: BTreeMap<usize, ColRestr> = BTreeMap::new();
    let mut token_lower: Option<(i64, bool)> = None;
    let mut token_upper: Option<(i64, bool)> = None;
    let mut token_eq = false;
    let mut tuple_preds: Vec<(usize, Pred)> = Vec::new();
    for rel in &s.where_clause {
        match rel {
            Relation::Compare {
                lhs: RelationLhs::Column(n),
                op,
                rhs,
            } => {
                let (i, c) = def.column(n).ok_or_else(|| err_unrecognized(n))?;
                let r = restr.entry(i).or_default();
                r.count += 1;
                match op {
                    Operator::Eq => {
                        let v = required(binds, rhs, &c.ty, n, n)?;
                        if r.eq.is_some() || r.ins.is_some() {
                            return Err(CqlError::invalid(format!(
                                "{n} cannot be restricted by more than one relation if it includes an Equal"
                            )));
                        }
                        r.eq = Some(v);
                    }
                    Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte => {
                        if c.ty.is_multicell() {
                            return Err(CqlError::invalid(format!(
                                "Slice restrictions are not supported on collections (column {n})"
                            )));
                        }
                        let v = required(binds, rhs, &c.ty, n, n)?;
                        let inc = matches!(op, Operator::Lte | Operator::Gte);
                        if matches!(op, Operator::Gt | Operator::Gte) {
                            if r.lower.is_some() {
                                return Err(CqlError::invalid(format!(
                                    "More than one restriction was found for the start bound on {n}"
                                )));
                            }
                            r.lower = Some((v, inc));
                        } else {
                            if r.upper.is_some() {
                                return Err(CqlError::invalid(format!(
                                    "More than one restriction was found for the end bound on {n}"
                                )));
                            }
                            r.upper = Some((v, inc));
                        }
                    }
                    Operator::Contains => {
                        let et = match c.ty.unfrozen() {
                            ColType::List(e) | ColType::Set(e) => (**e).clone(),
                            ColType::Map(_, v) => (**v).clone(),
                            _ => {
                                return Err(CqlError::invalid(format!(
                                    "Cannot use CONTAINS on non-collection column {n}"
                                )));
                            }
                        };
                        let v = required(binds, rhs, &et, &format!("value({n})"), n)?;
                        r.other.push(Pred::Contains { col: i, val: v });
                    }
                    Operator::ContainsKey => {
                        let ColType::Map(kt, _) = c.ty.unfrozen() else {
                            return Err(CqlError::invalid(format!(
                                "Cannot use CONTAINS KEY on non-map column {n}"
                            )));
                        };
                        let kt = (**kt).clone();
                        let v = required(binds, rhs, &kt, &format!("key({n})"), n)?;
                        r.other.push(Pred::ContainsKey { col: i, val: v });
                    }
                    Operator::Neq => {
                        return Err(CqlError::invalid(format!(
                            "Unsupported \"!=\" relation: {}",
                            super::modify::relation_text(n, Operator::Neq, rhs)
                        )));
                    }
                    Operator::Like => {
                        if !matches!(c.ty, ColType::Text | ColType::Ascii) {
                            return Err(CqlError::invalid(format!(
                                "LIKE is allowed only on string types, which {n} is not"
                            )));
                        }
                        let v = required(binds, rhs, &c.ty, n, n)?;
                        let pattern = match v {
                            Value::Text(t) => t,
                            _ => String::new(),
                        };
                        r.other.push(Pred::Like { col: i, pattern });
                    }
                }
            }
            Relation::In {
                lhs: RelationLhs::Column(n),
                values,
            } => {
                let (i, c) = def.column(n).ok_or_else(|| err_unrecognized(n))?;
                let ty = c.ty.clone();
                let vals = in_values(binds, values, &ty, n)?;
                let r = restr.entry(i).or_default();
                r.count += 1;
                if r.eq.is_some() || r.ins.is_some() {
                    return Err(CqlError::invalid(format!(
                        "{n} cannot be restricted by more than one relation if it includes a IN"
                    )));
                }
                r.ins = Some(vals);
            }
            Relation::Compare {
                lhs: RelationLhs::Token(cols),
                op,
                rhs,
            } => {
                let names: Vec<String> = def.pk_cols().map(|c| c.name.clone()).collect();
                for c in cols {
                    if def.column(c).is_none() {
                        return Err(err_unrecognized(c));
                    }
                }
                if *cols != names {
                    return Err(CqlError::invalid(format!(
                        "The token function arguments must be in the partition key order: {}",
                        names.join(", ")
                    )));
                }
                let v = match required(
                    binds,
                    rhs,
                    &ColType::Bigint,
                    "partition key token",
                    "partition key token",
                )? {
                    Value::Bigint(v) => v,
                    _ => 0,
                };
                match op {
                    Operator::Gt => token_lower = Some((v, false)),
                    Operator::Gte => token_lower = Some((v, true)),
                    Operator::Lt => token_upper = Some((v, false)),
                    Operator::Lte => token_upper = Some((v, true)),
                    Operator::Eq => {
                        token_lower = Some((v, true));
                        token_upper = Some((v, true));
                        token_eq = true;
                    }
                    _ => return Err(CqlError::invalid("Unsupported operator on token()")),
                }
            }
            Relation::Compare {
                lhs: RelationLhs::MapElement { column, key },
                op,
                rhs,
            } => {
                let (i, c) = def.column(column).ok_or_else(|| err_unrecognized(column))?;
                let ColType::Map(kt, vt) = c.ty.unfrozen() else {
                    return Err(CqlError::invalid(format!("Column {column} is not a map")));
                };
                if *op != Operator::Eq {
                    return Err(CqlError::unsupported("non-EQ relations on map elements"));
                }
                let (kt, vt) = ((**kt).clone(), (**vt).clone());
                let k = required(binds, key, &kt, &format!("key({column})"), column)?;
                let v = required(binds, rhs, &vt, &format!("value({column})"), column)?;
                let r = restr.entry(i).or_default();
                r.count += 1;
                r.other.push(Pred::MapEntry {
                    col: i,
                    key: k,
                    val: v,
                });
            }
            Relation::Compare {
                lhs: RelationLhs::Tuple(cols),
                op,
                rhs,
            } => {
                let (idxs, tys) = tuple_cols(&def, cols)?;
                let tt = ColType::Tuple(tys.clone());
                let vals = match rhs {
                    Term::Tuple(items) if items.len() == cols.len() => {
                        let mut out = Vec::new();
                        for ((t, ty), n) in items.iter().zip(tys.iter()).zip(cols.iter()) {
                            out.push(required(binds, t, ty, n, n)?);
                        }
                        out
                    }
                    _ => match required(
                        binds,
                        rhs,
                        &tt,
                        &format!("({})", cols.join(",")),
                        &cols.join(","),
                    )? {
                        Value::Tuple(items) => items
                            .into_iter()
                            .map(|x| x.unwrap_or(PLACEHOLDER))
                            .collect(),
                        _ => vec![PLACEHOLDER; cols.len()],
                    },
                };
                if !matches!(
                    op,
                    Operator::Eq | Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte
                ) {
                    return Err(CqlError::unsupported(
                        "this operator on a multi-column relation",
                    ));
                }
                tuple_preds.push((
                    idxs[0],
                    Pred::Tuple {
                        cols: idxs,
                        op: *op,
                        val: vals,
                    },
                ));
            }
            Relation::In {
                lhs: RelationLhs::Tuple(cols),
                values,
            } => {
                let (idxs, tys) = tuple_cols(&def, cols)?;
                let tt = ColType::Tuple(tys.clone());
                let mut out = Vec::new();
                let tuples: Vec<Value> = match values {
                    InValues::List(ts) => {
                        let mut v = Vec::new();
                        for t in ts {
                            v.push(required(binds, t, &tt, &cols.join(","), &cols.join(","))?);
                        }
                        v
                    }
                    InValues::Bind(i) => {
                        let lt = ColType::List(Box::new(tt.clone()));
                        match binds.eval(
                            &Term::Bind(*i),
                            &lt,
                            &format!("in(({}))", cols.join(",")),
                        )? {
                            Ev::Val(Some(Value::List(v))) => v,
                            _ => vec![],
                        }
                    }
                };
                for t in tuples {
                    if let Value::Tuple(items) = t {
                        out.push(
                            items
                                .into_iter()
                                .map(|x| x.unwrap_or(PLACEHOLDER))
                                .collect(),
                        );
                    }
                }
                tuple_preds.push((
                    idxs[0],
                    Pred::TupleIn {
                        cols: idxs,
                        vals: out,
                    },
                ));
            }
            Relation::In { lhs, .. } => {
                let _ = lhs;
                return Err(CqlError::unsupported("IN on this kind of expression"));
            }
            Relation::IsNotNull(c) => {
                return Err(CqlError::invalid(format!(
                    "Unsupported restriction: {c} IS NOT NULL"
                )));
            }
        }
    }

    // --- secondary indexes (spec §1, §2, §5): ScyllaDB's acceptance rules and index choice ---
    let mut index_access: Option<IndexAccess> = None;
    let has_token = token_lower.is_some() || token_upper.is_some();
    let specs = crate::index::IndexSpec::of_table(&def);
    if !specs.is_empty() {
        let shape = index_shape(
            &def,
            &restr,
            !tuple_preds.is_empty(),
            has_token,
            s.allow_filtering,
        );
        if let crate::index::plan::Decision::UseIndex { index, col, op } =
            crate::index::plan::decide(&def, &specs, &shape)?
        {
            let spec = &specs[index];
            index_access = Some(IndexAccess {
                name: spec.name.clone(),
                term: index_term(&restr[&col], op).unwrap_or(PLACEHOLDER),
                local: spec.local,
                pk: def
                    .partition_key
                    .iter()
                    .map(|i| restr.get(i).and_then(|r| r.eq.clone()))
                    .collect(),
            });
        }
    }
    // With an index the base-table rules below only gather filters: the index planner has
    // already accepted the query.
    let af = s.allow_filtering || index_access.is_some();
    let mut filters: Vec<Pred> = Vec::new();
    let mut needs_filtering = false;

    // --- partition key ---
    let pk_idx = def.partition_key.clone();
    let restricted_pk: Vec<&usize> = pk_idx.iter().filter(|i| restr.contains_key(i)).collect();
    let pk_non_eq = pk_idx
        .iter()
        .any(|i| restr.get(i).is_some_and(|r| r.is_slice() || r.has_other()));
    let mut access = PkAccess::Scan;
    if pk_non_eq {
        if !af {
            return Err(CqlError::invalid(
                "Only EQ and IN relation are supported on the partition key (unless you use the token() function or ALLOW FILTERING)",
            ));
        }
        for i in &pk_idx {
            if let Some(r) = restr.get(i) {
                filters.extend(r.preds(*i));
            }
        }
    } else if !restricted_pk.is_empty() && restricted_pk.len() == pk_idx.len() && !has_token {
        let lists: Vec<Vec<Value>> = pk_idx
            .iter()
            .map(|i| {
                let r = &restr[i];
                match (&r.eq, &r.ins) {
                    (Some(e), _) => vec![e.clone()],
                    (_, Some(v)) => v.clone(),
                    _ => vec![],
                }
            })
            .collect();
        let size: usize = lists.iter().map(|l| l.len()).product();
        if size > 100 {
            return Err(CqlError::invalid(format!(
                "partition key cartesian product size {size} is greater than maximum 100"
            )));
        }
        access = PkAccess::Keys(cartesian(&lists));
    } else if !restricted_pk.is_empty() {
        needs_filtering = true;
        if !af {
            // reported after ORDER BY validation, as ScyllaDB does
        }
        for i in &pk_idx {
            if let Some(r) = restr.get(i) {
                filters.extend(r.preds(*i));
            }
        }
    }
    if has_token && !matches!(access, PkAccess::Keys(_)) {
        let lo = match token_lower {
            None => Bound::Unbounded,
            Some((v, true)) => Bound::Included(v),
            Some((v, false)) => Bound::Excluded(v),
        };
        let hi = match token_upper {
            None => Bound::Unbounded,
            Some((v, true)) => Bound::Included(v),
            Some((v, false)) => Bound::Excluded(v),
        };
        let _ = token_eq;
        access = PkAccess::TokenRange(lo, hi);
    }

    // --- clustering ---
    let mut ck_served: Vec<Pred> = Vec::new();
    let mut prefix_lists: Vec<Vec<Value>> = Vec::new();
    let mut gap: Option<String> = None;
    let mut after_slice: Option<String> = None;
    let mut has_ck_restriction = false;
    let mut ck_slice: Option<(usize, Option<Value>, Option<Value>, bool)> = None;
    for (pos, i) in def.clustering.iter().enumerate() {
        let name = def.columns[*i].name.clone();
        let tuple_here: Vec<Pred> = tuple_preds
            .iter()
            .filter(|(c, _)| c == i)
            .map(|(_, p)| p.clone())
            .collect();
        let r = restr.get(i);
        if r.is_none() && tuple_here.is_empty() {
            if gap.is_none() && after_slice.is_none() {
                gap = Some(name);
            }
            continue;
        }
        has_ck_restriction = true;
        if !tuple_here.is_empty() {
            if pos != prefix_lists.len() || gap.is_some() || after_slice.is_some() {
                needs_filtering = true;
                filters.extend(tuple_here);
            } else {
                ck_served.extend(tuple_here);
                after_slice = Some(name.clone());
            }
            if r.is_none() {
                continue;
            }
        }
        let r = r.unwrap();
        if let Some(prev) = &gap {
            if !af {
                return Err(CqlError::invalid(format!(
                    "PRIMARY KEY column \"{name}\" cannot be restricted as preceding column \"{prev}\" is not restricted"
                )));
            }
            filters.extend(r.preds(*i));
            continue;
        }
        if let Some(prev) = &after_slice {
            if !af {
                return Err(CqlError::invalid(format!(
                    "Clustering column \"{name}\" cannot be restricted (preceding column \"{prev}\" is restricted by a non-EQ relation)"
                )));
            }
            filters.extend(r.preds(*i));
            continue;
        }
        if r.has_other() {
            needs_filtering = true;
            filters.extend(r.preds(*i));
            after_slice = Some(name);
            continue;
        }
        ck_served.extend(r.preds(*i));
        if r.is_slice() {
            if pos == prefix_lists.len() {
                ck_slice = Some((
                    pos,
                    r.lower.as_ref().map(|x| x.0.clone()),
                    r.upper.as_ref().map(|x| x.0.clone()),
                    def.columns[*i].desc,
                ));
            }
            after_slice = Some(name);
        } else if let Some(e) = &r.eq {
            prefix_lists.push(vec![e.clone()]);
        } else if let Some(v) = &r.ins {
            prefix_lists.push(v.clone());
        }
    }
    let ck_size: usize = prefix_lists.iter().map(|l| l.len()).product();
    if ck_size > 100 {
        return Err(CqlError::invalid(format!(
            "clustering key cartesian product size {ck_size} is greater than maximum 100"
        )));
    }
    let ck_prefix: Option<Vec<Value>> =
        if ck_size == 1 && (!prefix_lists.is_empty() || ck_slice.is_some()) {
            Some(prefix_lists.iter().map(|l| l[0].clone()).collect())
        } else {
            None
        };
    if ck_prefix.is_none() {
        ck_slice = None;
    }

    // --- regular and static columns: without a usable index they need ALLOW FILTERING ---
    for (i, r) in &restr {
        let c = &def.columns[*i];
        if matches!(c.kind, ColumnKind::Regular | ColumnKind::Static) {
            needs_filtering = true;
            filters.extend(r.preds(*i));
        }
    }

    // --- GROUP BY (ScyllaDB's prepare_group_by) ---
    let mut group_by: Vec<usize> = Vec::new();
    if !s.group_by.is_empty() {
        let key_order: Vec<usize> = def
            .partition_key
            .iter()
            .chain(def.clustering.iter())
            .copied()
            .collect();
        let mut expected = 0usize;
        for name in &s.group_by {
            let Some((ci, c)) = def.column(name) else {
                return Err(CqlError::invalid(format!("Group by unknown column {name}")));
            };
            if !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Clustering) {
                return Err(CqlError::invalid(format!(
                    "Group by non-primary-key column {name}"
                )));
            }
            loop {
                if expected >= key_order.len() {
                    return Err(CqlError::invalid(format!(
                        "Group by column {name} is out of order"
                    )));
                }
                if key_order[expected] == ci {
                    break;
                }
                // A column restricted by EQ may be skipped.
                if restr
                    .get(&key_order[expected])
                    .is_some_and(|r| r.eq.is_some())
                {
                    expected += 1;
                    continue;
                }
                return Err(CqlError::invalid(format!(
                    "Group by column {name} is out of order"
                )));
            }
            expected += 1;
            group_by.push(ci);
        }
    }

    // --- ORDER BY (ScyllaDB's verify_ordering_is_allowed / prepare_orderings / verify_ordering_is_valid) ---
    let mut reversed = false;
    let mut sort_merged = false;
    if !s.order_by.is_empty() {
        if index_access.is_some() {
            return Err(CqlError::invalid(
                "ORDER BY with 2ndary indexes is not supported.",
            ));
        }
        if !matches!(access, PkAccess::Keys(_)) {
            return Err(CqlError::invalid(
                "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.",
            ));
        }
        let mut ords: Vec<(&crate::schema::ColumnDef, Order)> = Vec::new();
        for (name, order) in &s.order_by {
            let Some((_, c)) = def.column(name) else {
                if s.items
                    .as_ref()
                    .is_some_and(|it| it.iter().any(|i| i.alias.as_deref() == Some(name.as_str())))
                {
                    return Err(CqlError::invalid(format!(
                        "Aliases are not allowed in order by clause ('{name}')"
                    )));
                }
                return Err(CqlError::invalid(format!(
                    "Order by on unknown column {name}"
                )));
            };
            if c.kind != ColumnKind::Clustering {
                return Err(CqlError::invalid(format!(
                    "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {name}"
                )));
            }
            ords.push((c, *order));
        }
        for w in ords.windows(2) {
            if w[0].0.position >= w[1].0.position {
                return Err(CqlError::invalid(
                    "Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY",
                ));
            }
        }
        let rev_of = |c: &crate::schema::ColumnDef, o: Order| (o == Order::Desc) != c.desc;
        reversed = rev_of(ords[0].0, ords[0].1);
        let max = ords.last().unwrap().0.position;
        let mut it = ords.iter().peekable();
        for pos in 0..=max {
            match it.peek() {
                Some((c, o)) if c.position == pos => {
                    if rev_of(c, *o) != reversed {
                        return Err(CqlError::invalid(format!(
                            "Unsupported order by relation - only reversing all columns is supported, but column {} has opposite ordering",
                            c.name
                        )));
                    }
                    it.next();
                }
                _ => {
                    let ci = def.clustering[pos as usize];
                    if restr.get(&ci).is_none_or(|r| r.eq.is_none()) {
                        return Err(CqlError::invalid(format!(
                            "Unsupported order by relation - column {} doesn't have an ordering or EQ relation.",
                            def.columns[ci].name
                        )));
                    }
                }
            }
        }
        sort_merged = matches!(&access, PkAccess::Keys(k) if k.len() > 1);
    }
    if needs_filtering && !af {
        return Err(CqlError::filtering());
    }
    let mut warnings = Vec::new();
    if !af && !matches!(access, PkAccess::Keys(_)) && has_ck_restriction {
        if _engine
            .strict_allow_filtering
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            return Err(CqlError::filtering());
        }
        warnings.push(
            "This query should use ALLOW FILTERING and will be rejected in future versions."
                .to_string(),
        );
    }
    if s.distinct {
        if s.per_partition_limit.is_some() {
            return Err(CqlError::invalid(
                "PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries",
            ));
        }
        let non_pk = restr
            .keys()
            .any(|i| def.columns[*i].kind != ColumnKind::PartitionKey);
        if non_pk || !tuple_preds.is_empty() {
            return Err(CqlError::invalid(
                "SELECT DISTINCT with WHERE clause only supports restriction by partition key.",
            ));
        }
    }
    if aggregate && s.per_partition_limit.is_some() && group_by.is_empty() {
        return Err(CqlError::invalid(
            "PER PARTITION LIMIT is not allowed with aggregate queries.",
        ));
    }

    let per_partition_limit = limit_value(
        binds,
        &s.per_partition_limit,
        "[limit]",
        "PER PARTITION LIMIT",
    )?;
    let limit = limit_value(binds, &s.limit, "[limit]", "LIMIT")?;

    let aggregate = aggregate || !group_by.is_empty();
    let mut ck_prefix = ck_prefix;
    if let Some(ia) = index_access {
        // Every restriction is re-checked on the rows fetched through the index (this also
        // drops entries whose value has since expired).
        filters = restr.iter().flat_map(|(i, r)| r.preds(*i)).collect();
        filters.extend(tuple_preds.iter().map(|(_, p)| p.clone()));
        if let Some((v, inc)) = token_lower {
            filters.push(Pred::Token {
                op: if inc { Operator::Gte } else { Operator::Gt },
                val: v,
            });
        }
        if let Some((v, inc)) = token_upper {
            filters.push(Pred::Token {
                op: if inc { Operator::Lte } else { Operator::Lt },
                val: v,
            });
        }
        access = PkAccess::Index(ia);
        ck_served = Vec::new();
        ck_prefix = None;
        ck_slice = None;
        has_ck_restriction = true;
    }
    Ok(SelectPlan {
        def,
        result_columns,
        outputs,
        aggregate,
        group_by,
        distinct: s.distinct,
        access,
        ck_served,
        ck_prefix,
        ck_slice,
        filters,
        has_ck_restriction,
        limit,
        per_partition_limit,
        reversed,
        sort_merged,
        warnings,
    })
}

/// The WHERE clause as the index planner sees it.
fn index_shape(
    def: &TableDef,
    restr: &BTreeMap<usize, ColRestr>,
    multi_column: bool,
    token: bool,
    allow_filtering: bool,
) -> crate::index::plan::Shape {
    use crate::index::ROp;
    let mut shape = crate::index::plan::Shape {
        token,
        ck_multi_column: multi_column,
        allow_filtering,
        ..Default::default()
    };
    for (i, r) in restr {
        let mut ops = Vec::new();
        if r.eq.is_some() {
            ops.push(ROp::Eq);
        }
        if r.ins.is_some() {
            ops.push(ROp::In);
        }
        if r.is_slice() {
            ops.push(ROp::Slice);
        }
        for p in &r.other {
            ops.push(match p {
                Pred::Contains { .. } => ROp::Contains,
                Pred::ContainsKey { .. } => ROp::ContainsKey,
                Pred::MapEntry { .. } => ROp::MapEntry,
                _ => ROp::Other,
            });
        }
        let cr = crate::index::plan::ColRestr { col: *i, ops };
        match def.columns[*i].kind {
            ColumnKind::PartitionKey => shape.pk.push(cr),
            ColumnKind::Clustering => shape.ck.push(cr),
            _ => shape.regular.push(cr),
        }
    }
    shape
}

/// The index term of the restriction the index serves.
fn index_term(r: &ColRestr, op: crate::index::ROp) -> Option<Value> {
    use crate::index::ROp;
    match op {
        ROp::Eq => r.eq.clone(),
        ROp::Contains => r.other.iter().find_map(|p| match p {
            Pred::Contains { val, .. } => Some(val.clone()),
            _ => None,
        }),
        ROp::ContainsKey => r.other.iter().find_map(|p| match p {
            Pred::ContainsKey { val, .. } => Some(val.clone()),
            _ => None,
        }),
        ROp::MapEntry => r.other.iter().find_map(|p| match p {
            Pred::MapEntry { key, val, .. } => {
                Some(crate::index::lookup_term(ROp::MapEntry, Some(key), val))
            }
            _ => None,
        }),
        _ => None,
    }
}

fn tuple_cols(def: &TableDef, cols: &[String]) -> Result<(Vec<usize>, Vec<ColType>)> {
    let mut idxs: Vec<usize> = Vec::new();
    let mut tys = Vec::new();
    for (k, n) in cols.iter().enumerate() {
        let (i, c) = def.column(n).ok_or_else(|| err_unrecognized(n))?;
        if c.kind != ColumnKind::Clustering {
            return Err(CqlError::invalid(format!(
                "Multi-column relations can only be applied to clustering columns but was applied to: {n}"
            )));
        }
        if k > 0 && c.position != def.columns[idxs[k - 1]].position + 1 {
            return Err(CqlError::invalid(format!(
                "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: ({})",
                cols.join(", ")
            )));
        }
        idxs.push(i);
        tys.push(c.ty.clone());
    }
    Ok((idxs, tys))
}

/// The value of column `i` in a row of partition `p`.
pub fn col_value(
    def: &TableDef,
    i: usize,
    p: &Partition,
    ck: Option<&CKey>,
    row: Option<&Row>,
    now: i64,
) -> Option<Value> {
    let c = &def.columns[i];
    match c.kind {
        ColumnKind::PartitionKey => p.key.get(c.position as usize).cloned(),
        ColumnKind::Clustering => ck.and_then(|k| k.vals.get(c.position as usize).cloned()),
        ColumnKind::Static => p
            .static_row
            .cells
            .get(&c.id)
            .and_then(|cell| cell.value(&c.ty, now)),
        ColumnKind::Regular => row
            .and_then(|r| r.cells.get(&c.id))
            .and_then(|cell| cell.value(&c.ty, now)),
    }
}

fn cmp_op(o: std::cmp::Ordering, op: Operator) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Operator::Eq => o == Equal,
        Operator::Neq => o != Equal,
        Operator::Lt => o == Less,
        Operator::Lte => o != Greater,
        Operator::Gt => o == Greater,
        Operator::Gte => o != Less,
        _ => false,
    }
}

/// Does the row satisfy the predicate?
pub fn eval_pred(
    pred: &Pred,
    def: &TableDef,
    p: &Partition,
    pk: &PKey,
    ck: Option<&CKey>,
    row: Option<&Row>,
    now: i64,
) -> bool {
    let get = |i: usize| col_value(def, i, p, ck, row, now);
    match pred {
        Pred::Cmp { col, op, val } => get(*col).is_some_and(|v| cmp_op(v.cmp(val), *op)),
        Pred::In { col, vals } => get(*col).is_some_and(|v| vals.contains(&v)),
        Pred::Contains { col, val } => match get(*col) {
            Some(Value::List(v)) | Some(Value::Set(v)) => v.contains(val),
            Some(Value::Map(m)) => m.iter().any(|(_, x)| x == val),
            _ => false,
        },
        Pred::ContainsKey { col, val } => match get(*col) {
            Some(Value::Map(m)) => m.iter().any(|(k, _)| k == val),
            _ => false,
        },
        Pred::MapEntry { col, key, val } => match get(*col) {
            Some(Value::Map(m)) => m.iter().any(|(k, v)| k == key && v == val),
            _ => false,
        },
        Pred::Tuple { cols, op, val } => {
            let Some(vals) = cols.iter().map(|c| get(*c)).collect::<Option<Vec<_>>>() else {
                return false;
            };
            cmp_op(vals.cmp(val), *op)
        }
        Pred::TupleIn { cols, vals } => {
            let Some(v) = cols.iter().map(|c| get(*c)).collect::<Option<Vec<_>>>() else {
                return false;
            };
            vals.contains(&v)
        }
        Pred::Token { op, val } => cmp_op(pk.token.cmp(val), *op),
        Pred::Like { col, pattern } => match get(*col) {
            Some(Value::Text(t)) => like(&t, pattern),
            _ => false,
        },
    }
}

/// SQL LIKE matching: `%` matches any run of characters, `_` exactly one.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // dp[j]: does pattern[..j] match text[..i]?
    let mut dp = vec![false; p.len() + 1];
    dp[0] = true;
    for j in 1..=p.len() {
        dp[j] = dp[j - 1] && p[j - 1] == '%';
    }
    for tc in &t {
        let mut next = vec![false; p.len() + 1];
        for j in 1..=p.len() {
            next[j] = match p[j - 1] {
                '%' => next[j - 1] || dp[j],
                '_' => dp[j - 1],
                c => dp[j - 1] && c == *tc,
            };
        }
        dp = next;
    }
    dp[p.len()]
}

/// Where the previous page stopped.
#[derive(Debug, Clone)]
struct PagingState {
    pk: PKey,
    ck: Option<Vec<Value>>,
    total: u64,
    in_partition: u64,
}

fn encode_state(st: &PagingState) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend_from_slice(&st.pk.token.to_be_bytes());
    out.extend_from_slice(&(st.pk.key.len() as u32).to_be_bytes());
    out.extend_from_slice(&st.pk.key);
    match &st.ck {
        None => out.push(0),
        Some(vals) => {
            out.push(1);
            out.extend_from_slice(&(vals.len() as u16).to_be_bytes());
            for v in vals {
                crate::types::write_cell(&mut out, Some(v));
            }
        }
    }
    out.extend_from_slice(&st.total.to_be_bytes());
    out.extend_from_slice(&st.in_partition.to_be_bytes());
    out
}

fn decode_state(def: &TableDef, b: &[u8]) -> Result<PagingState> {
    let bad = || CqlError::protocol("Invalid value for the paging state");
    let mut s = b;
    let mut take = |n: usize| -> Result<&[u8]> {
        if s.len() < n {
            return Err(bad());
        }
        let (h, t) = s.split_at(n);
        s = t;
        Ok(h)
    };
    if take(1)?[0] != 1 {
        return Err(bad());
    }
    let token = i64::from_be_bytes(take(8)?.try_into().unwrap());
    let klen = u32::from_be_bytes(take(4)?.try_into().unwrap()) as usize;
    let key = take(klen)?.to_vec();
    let ck = if take(1)?[0] == 1 {
        let n = u16::from_be_bytes(take(2)?.try_into().unwrap()) as usize;
        let mut vals = Vec::new();
        for k in 0..n {
            let len = i32::from_be_bytes(take(4)?.try_into().unwrap());
            if len < 0 {
                return Err(bad());
            }
            let cell = take(len as usize)?;
            let ty = def.ck_cols().nth(k).map(|c| c.ty.clone()).ok_or_else(bad)?;
            vals.push(
                Value::decode(&ty, cell)
                    .map_err(|_| bad())?
                    .ok_or_else(bad)?,
            );
        }
        Some(vals)
    } else {
        None
    };
    let total = u64::from_be_bytes(take(8)?.try_into().unwrap());
    let in_partition = u64::from_be_bytes(take(8)?.try_into().unwrap());
    Ok(PagingState {
        pk: PKey { token, key },
        ck,
        total,
        in_partition,
    })
}

fn desc_mask(def: &TableDef) -> u64 {
    def.ck_cols()
        .enumerate()
        .fold(0u64, |m, (i, c)| if c.desc { m | (1 << i) } else { m })
}

struct Agg {
    /// Non-null values seen per output (for avg).
    counts: Vec<i64>,
    count: i64,
    vals: Vec<Option<Value>>,
    first: Option<Vec<Option<Value>>>,
}

/// Runs a planned SELECT.
pub fn execute(
    engine: &Engine,
    db: &Db,
    plan: &SelectPlan,
    opts: &QueryOptions,
    count_stats: bool,
) -> Result<RowsResult> {
    let def = &plan.def;
    let table = db.table(&def.keyspace, &def.name)?;
    let now = now_secs();
    let page_size = if plan.aggregate || plan.sort_merged {
        None
    } else {
        opts.page_size.filter(|p| *p > 0).map(|p| p as usize)
    };
    let mut sort_keys: Vec<Option<CKey>> = Vec::new();
    let resume = match &opts.paging_state {
        Some(b) if !b.is_empty() && !plan.aggregate => Some(decode_state(def, b)?),
        _ => None,
    };
    let mask = desc_mask(def);
    let mut rows: Vec<Vec<Option<Value>>> = Vec::new();
    let mut examined: u64 = 0;
    let mut total: u64 = resume.as_ref().map_or(0, |r| r.total);
    let mut last: Option<PagingState> = None;
    let mut has_more = false;
    let mut group_key: Option<Vec<Option<Value>>> = None;
    let mut agg = Agg {
        counts: vec![0; plan.outputs.len()],
        count: 0,
        vals: vec![None; plan.outputs.len()],
        first: None,
    };

    // Through an index: the rows it lists, grouped by partition in ring order (`None`: the
    // whole partition, for partition-level indexes).
    let mut index_groups: BTreeMap<PKey, Option<Vec<CKey>>> = BTreeMap::new();
    let mut index_entries: u64 = 0;
    if let PkAccess::Index(ia) = &plan.access {
        if let Some(data) = table.indexes.get(&ia.name) {
            let only = ia.pk.as_ref().map(|v| PKey::of(v));
            let lo = match &resume {
                Some(r) => Bound::Included(crate::index::store::RowPos {
                    pk: r.pk.clone(),
                    ck: None,
                }),
                None => Bound::Unbounded,
            };
            let positions: Vec<crate::index::store::RowPos> = if ia.local {
                match &only {
                    Some(pk) if resume.as_ref().is_none_or(|r| r.pk <= *pk) => data
                        .lookup_local(pk, &ia.term, None)
                        .map(|ck| crate::index::store::RowPos {
                            pk: pk.clone(),
                            ck: ck.clone(),
                        })
                        .collect(),
                    _ => Vec::new(),
                }
            } else {
                data.lookup_global_from(&ia.term, lo, only.as_ref())
                    .cloned()
                    .collect()
            };
            for pos in positions {
                let e = index_groups
                    .entry(pos.pk)
                    .or_insert_with(|| Some(Vec::new()));
                match (e, pos.ck) {
                    (Some(list), Some(ck)) => list.push(ck),
                    (e, _) => *e = None,
                }
            }
        }
    }

    // Partitions to visit, in ring order.
    let parts: Box<dyn Iterator<Item = (&PKey, &Partition)>> = match &plan.access {
        PkAccess::Index(_) => Box::new(
            index_groups
                .keys()
                .filter_map(|k| table.data.partitions.get_key_value(k)),
        ),
        PkAccess::Scan => match &resume {
            Some(r) => Box::new(table.data.partitions.range(r.pk.clone()..)),
            None => Box::new(table.data.partitions.iter()),
        },
        PkAccess::Keys(keys) => {
            let mut pks: Vec<PKey> = keys.iter().map(|k| PKey::of(k)).collect();
            pks.sort();
            pks.dedup();
            if let Some(r) = &resume {
                pks.retain(|k| *k >= r.pk);
            }
            Box::new(
                pks.into_iter()
                    .filter_map(|k| table.data.partitions.get_key_value(&k)),
            )
        }
        PkAccess::TokenRange(lo, hi) => {
            let lo_key = match lo {
                Bound::Unbounded => Bound::Unbounded,
                Bound::Included(t) => Bound::Included(PKey {
                    token: *t,
                    key: vec![],
                }),
                Bound::Excluded(t) => {
                    if *t == i64::MAX {
                        Bound::Excluded(PKey {
                            token: i64::MAX,
                            key: vec![0xff; 1 << 16],
                        })
                    } else {
                        Bound::Included(PKey {
                            token: t + 1,
                            key: vec![],
                        })
                    }
                }
            };
            let hi_key = match hi {
                Bound::Unbounded => Bound::Unbounded,
                Bound::Included(t) => {
                    if *t == i64::MAX {
                        Bound::Unbounded
                    } else {
                        Bound::Excluded(PKey {
                            token: t + 1,
                            key: vec![],
                        })
                    }
                }
                Bound::Excluded(t) => Bound::Excluded(PKey {
                    token: *t,
                    key: vec![],
                }),
            };
            let lo_key = match (&resume, lo_key) {
                (Some(r), Bound::Unbounded) => Bound::Included(r.pk.clone()),
                (Some(r), Bound::Included(k)) if r.pk > k => Bound::Included(r.pk.clone()),
                (Some(r), Bound::Excluded(k)) if r.pk > k => Bound::Included(r.pk.clone()),
                (_, b) => b,
            };
            let empty = match (&lo_key, &hi_key) {
                (
                    Bound::Included(a) | Bound::Excluded(a),
                    Bound::Included(b) | Bound::Excluded(b),
                ) => a >= b,
                _ => false,
            };
            if empty {
                Box::new(std::iter::empty())
            } else {
                Box::new(table.data.partitions.range((lo_key, hi_key)))
            }
        }
    };

    'outer: for (pk, part) in parts {
        let mut in_part: u64 = 0;
        let mut after_ck: Option<CKey> = None;
        if let Some(r) = &resume {
            if *pk < r.pk {
                continue;
            }
            if *pk == r.pk {
                match &r.ck {
                    None => continue,
                    Some(ck) => {
                        after_ck = Some(CKey {
                            vals: ck.clone(),
                            desc: mask,
                        });
                        in_part = r.in_partition;
                    }
                }
            }
        }
        if !part.is_live(now) {
            continue;
        }
        if plan.per_partition_limit.is_some_and(|l| in_part >= l) {
            continue;
        }
        // Candidate rows of this partition, in output order.
        let mut cands: Vec<(Option<&CKey>, Option<&Row>)> = Vec::new();
        let listed = index_groups.get(pk).and_then(|g| g.as_ref());
        if matches!(plan.access, PkAccess::Index(_)) {
            index_entries += listed.map_or(1, |l| {
                l.iter()
                    .filter(|k| after_ck.as_ref().is_none_or(|a| *k > a))
                    .count() as u64
            });
        }
        if let Some(list) = listed {
            cands = list
                .iter()
                .filter_map(|k| part.rows.get_key_value(k))
                .map(|(k, r)| (Some(k), Some(r)))
                .collect();
        } else if plan.distinct {
            cands.push((None, None));
        } else {
            let iter: Box<dyn Iterator<Item = (&CKey, &Row)>> = match &plan.ck_prefix {
                Some(prefix) => {
                    let mut start = prefix.clone();
                    let mut stop: Option<(usize, Value, bool)> = None;
                    if let Some((pos, lo, hi, desc)) = &plan.ck_slice {
                        let (first, last) = if *desc { (hi, lo) } else { (lo, hi) };
                        if let Some(f) = first {
                            start.push(f.clone());
                        }
                        if let Some(l) = last {
                            stop = Some((*pos, l.clone(), *desc));
                        }
                    }
                    let lo = CKey {
                        vals: start,
                        desc: mask,
                    };
                    Box::new(part.rows.range(lo..).take_while(move |(k, _)| {
                        if !k.cmp_prefix(prefix).is_eq() {
                            return false;
                        }
                        match &stop {
                            Some((pos, bound, desc)) => match k.vals.get(*pos) {
                                Some(v) => {
                                    if *desc {
                                        v >= bound
                                    } else {
                                        v <= bound
                                    }
                                }
                                None => true,
                            },
                            None => true,
                        }
                    }))
                }
                None => Box::new(part.rows.iter()),
            };
            let mut v: Vec<(Option<&CKey>, Option<&Row>)> =
                iter.map(|(k, r)| (Some(k), Some(r))).collect();
            if plan.reversed {
                v.reverse();
            }
            let any_live_row = part.rows.values().any(|r| r.is_live(now));
            if !any_live_row && part.static_row.has_live_cells(now) && !plan.has_ck_restriction {
                v.push((None, None));
            }
            cands = v;
        }
        for (ck, row) in cands {
            if let (Some(after), Some(k)) = (&after_ck, ck) {
                let o = k.cmp(after);
                let past = if plan.reversed { o.is_lt() } else { o.is_gt() };
                if !past {
                    continue;
                }
            }
            if let Some(r) = row {
                if !r.is_live(now) {
                    continue;
                }
            }
            if ck.is_some()
                && !plan
                    .ck_served
                    .iter()
                    .all(|p| eval_pred(p, def, part, pk, ck, row, now))
            {
                continue;
            }
            examined += 1;
            if !plan
                .filters
                .iter()
                .all(|p| eval_pred(p, def, part, pk, ck, row, now))
            {
                continue;
            }
            // This row is returned.
            if !plan.sort_merged && !plan.aggregate && plan.limit.is_some_and(|l| total >= l) {
                break 'outer;
            }
            if page_size.is_some_and(|ps| rows.len() >= ps) {
                has_more = true;
                break 'outer;
            }
            let vals: Vec<Option<Value>> = plan
                .outputs
                .iter()
                .map(|o| output_value(o, def, part, pk, ck, row, now))
                .collect();
            if plan.aggregate {
                if !plan.group_by.is_empty() {
                    let key: Vec<Option<Value>> = plan
                        .group_by
                        .iter()
                        .map(|c| col_value(def, *c, part, ck, row, now))
                        .collect();
                    if group_key.as_ref().is_some_and(|k| *k != key) {
                        rows.push(finish_aggregate(&agg, &plan.outputs, def));
                        agg = Agg {
                            counts: vec![0; plan.outputs.len()],
                            count: 0,
                            vals: vec![None; plan.outputs.len()],
                            first: None,
                        };
                    }
                    group_key = Some(key);
                }
                aggregate(&mut agg, &plan.outputs, &vals);
            } else {
                if plan.sort_merged {
                    sort_keys.push(ck.cloned());
                }
                rows.push(vals);
            }
            total += 1;
            in_part += 1;
            last = Some(PagingState {
                pk: pk.clone(),
                ck: ck.map(|k| k.vals.clone()),
                total,
                in_partition: in_part,
            });
            if plan.distinct {
                break;
            }
            if plan.per_partition_limit.is_some_and(|l| in_part >= l) {
                if let Some(l) = last.as_mut() {
                    l.ck = None;
                }
                break;
            }
        }
    }
    if plan.aggregate && (plan.group_by.is_empty() || agg.count > 0) {
        rows.push(finish_aggregate(&agg, &plan.outputs, def));
    }
    if plan.aggregate {
        if let Some(l) = plan.limit {
            rows.truncate(l as usize);
        }
    }
    if plan.sort_merged {
        let mut idx: Vec<usize> = (0..rows.len()).collect();
        idx.sort_by(|a, b| {
            let o = sort_keys[*a].cmp(&sort_keys[*b]);
            if plan.reversed { o.reverse() } else { o }
        });
        let mut taken: Vec<Option<Vec<Option<Value>>>> = rows.into_iter().map(Some).collect();
        rows = idx.into_iter().map(|i| taken[i].take().unwrap()).collect();
        if let Some(l) = plan.limit {
            rows.truncate(l as usize);
        }
    }
    if count_stats {
        engine.instruments.add_rows(examined, rows.len() as u64);
        if index_entries > 0 {
            engine.instruments.add_index_entries(index_entries);
        }
    }
    let paging_state = if has_more {
        last.as_ref().map(encode_state)
    } else {
        None
    };
    Ok(RowsResult {
        columns: plan.result_columns.clone(),
        rows,
        paging_state,
        no_metadata: false,
        warnings: plan.warnings.clone(),
    })
}

fn zero_of(t: &ColType) -> Option<Value> {
    Some(match t {
        ColType::Int => Value::Int(0),
        ColType::Bigint | ColType::Counter => Value::Bigint(0),
        ColType::Smallint => Value::Smallint(0),
        ColType::Tinyint => Value::Tinyint(0),
        ColType::Double => Value::Double(0.0),
        ColType::Float => Value::Float(0.0),
        _ => return None,
    })
}

fn finish_aggregate(agg: &Agg, outputs: &[Output], def: &TableDef) -> Vec<Option<Value>> {
    outputs
        .iter()
        .enumerate()
        .map(|(i, o)| match o {
            Output::CountStar => Some(Value::Bigint(agg.count)),
            Output::Count(_) => agg.vals[i].clone().or(Some(Value::Bigint(0))),
            Output::Min(_) | Output::Max(_) => agg.vals[i].clone(),
            Output::Sum(c) => agg.vals[i].clone().or_else(|| zero_of(&def.columns[*c].ty)),
            Output::Avg(_) => {
                let n = agg.counts[i];
                agg.vals[i].as_ref().map(|v| match v {
                    Value::Int(s) => Value::Int(if n > 0 { (*s as i64 / n) as i32 } else { 0 }),
                    Value::Bigint(s) => Value::Bigint(if n > 0 { s / n } else { 0 }),
                    Value::Smallint(s) => {
                        Value::Smallint(if n > 0 { (*s as i64 / n) as i16 } else { 0 })
                    }
                    Value::Tinyint(s) => {
                        Value::Tinyint(if n > 0 { (*s as i64 / n) as i8 } else { 0 })
                    }
                    Value::Double(s) => Value::Double(if n > 0 { s / n as f64 } else { 0.0 }),
                    Value::Float(s) => Value::Float(if n > 0 { s / n as f32 } else { 0.0 }),
                    o => o.clone(),
                })
            }
            _ => agg.first.as_ref().and_then(|f| f[i].clone()),
        })
        .collect()
}

fn aggregate(agg: &mut Agg, outputs: &[Output], vals: &[Option<Value>]) {
    agg.count += 1;
    if agg.first.is_none() {
        agg.first = Some(vals.to_vec());
    }
    for (i, o) in outputs.iter().enumerate() {
        let v = &vals[i];
        match o {
            Output::Count(_) => {
                let c = match &agg.vals[i] {
                    Some(Value::Bigint(c)) => *c,
                    _ => 0,
                };
                agg.vals[i] = Some(Value::Bigint(c + v.is_some() as i64));
            }
            Output::Min(_) => {
                if let Some(v) = v {
                    if agg.vals[i].as_ref().is_none_or(|m| v < m) {
                        agg.vals[i] = Some(v.clone());
                    }
                }
            }
            Output::Max(_) => {
                if let Some(v) = v {
                    if agg.vals[i].as_ref().is_none_or(|m| v > m) {
                        agg.vals[i] = Some(v.clone());
                    }
                }
            }
            Output::Sum(_) | Output::Avg(_) => {
                if let Some(v) = v {
                    agg.counts[i] += 1;
                    agg.vals[i] = Some(match (&agg.vals[i], v) {
                        (None, v) => v.clone(),
                        (Some(Value::Int(a)), Value::Int(b)) => Value::Int(a.wrapping_add(*b)),
                        (Some(Value::Bigint(a)), Value::Bigint(b)) => {
                            Value::Bigint(a.wrapping_add(*b))
                        }
                        (Some(Value::Smallint(a)), Value::Smallint(b)) => {
                            Value::Smallint(a.wrapping_add(*b))
                        }
                        (Some(Value::Tinyint(a)), Value::Tinyint(b)) => {
                            Value::Tinyint(a.wrapping_add(*b))
                        }
                        (Some(Value::Double(a)), Value::Double(b)) => Value::Double(a + b),
                        (Some(Value::Float(a)), Value::Float(b)) => Value::Float(a + b),
                        (Some(a), _) => a.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

fn output_value(
    o: &Output,
    def: &TableDef,
    p: &Partition,
    pk: &PKey,
    ck: Option<&CKey>,
    row: Option<&Row>,
    now: i64,
) -> Option<Value> {
    let cell_of = |i: usize| -> Option<&Cell> {
        let c = &def.columns[i];
        match c.kind {
            ColumnKind::Static => p.static_row.cells.get(&c.id),
            ColumnKind::Regular => row.and_then(|r| r.cells.get(&c.id)),
            _ => None,
        }
    };
    match o {
        Output::Col(i)
        | Output::Count(i)
        | Output::Min(i)
        | Output::Max(i)
        | Output::Sum(i)
        | Output::Avg(i) => col_value(def, *i, p, ck, row, now),
        Output::WriteTime(i) => match cell_of(*i) {
            Some(Cell::Atom(a)) if a.is_live(now) => Some(Value::Bigint(a.ts)),
            _ => None,
        },
        Output::Ttl(i) => match cell_of(*i) {
            Some(Cell::Atom(a)) if a.is_live(now) => {
                a.expiry.map(|e| Value::Int((e - now).max(0) as i32))
            }
            _ => None,
        },
        Output::Token => Some(Value::Bigint(pk.token)),
        Output::CountStar => None,
    }
}
