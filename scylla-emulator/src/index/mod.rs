//! Secondary indexes: global (`CREATE INDEX ON t (v)`, collection targets) and local
//! (`CREATE INDEX ON t ((pk), v)`).
//!
//! - [`create`]: validation of `CREATE INDEX` with ScyllaDB's messages, default names and the
//!   `system_schema.indexes` row.
//! - [`store`]: the index data (term → row positions) and its maintenance from live row values.
//! - [`plan`]: which SELECTs an index serves, which need `ALLOW FILTERING` (ScyllaDB's
//!   `statement_restrictions` rules), and which index is chosen.
//!
//! An index is described by an [`IndexSpec`], derived from (and rendered to) the schema's
//! [`IndexDef`] so the `options['target']` string stays the single source of truth.

pub mod create;
pub mod plan;
pub mod store;

use std::collections::BTreeMap;

use crate::schema::{IndexDef, TableDef};
use crate::types::{ColType, Value};

/// What of a column an index indexes (ScyllaDB's `index_target::target_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetType {
    /// A scalar column's value (`CREATE INDEX ON t (v)`).
    RegularValues,
    /// The values of a list or map (`VALUES(l)`, bare `l`, `VALUES(m)`, bare `m`).
    CollectionValues,
    /// The keys of a map (`KEYS(m)`), or the elements of a set (`VALUES(s)` and bare `s` are
    /// rewritten to this, as ScyllaDB does).
    Keys,
    /// The entries of a map (`ENTRIES(m)`).
    Entries,
    /// A whole frozen collection (`FULL(f)`).
    Full,
}

impl TargetType {
    /// ScyllaDB's `to_sstring(target_type)`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::RegularValues => "regular_values",
            TargetType::CollectionValues => "values",
            TargetType::Keys => "keys",
            TargetType::Entries => "entries",
            TargetType::Full => "full",
        }
    }
}

/// A query operator an index may serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ROp {
    /// `c = ?`
    Eq,
    /// `c IN (...)`
    In,
    /// `c > ?`, `c >= ?`, `c < ?`, `c <= ?`
    Slice,
    /// `c CONTAINS ?`
    Contains,
    /// `c CONTAINS KEY ?`
    ContainsKey,
    /// `m[k] = ?`
    MapEntry,
    /// Anything else (`!=`, `LIKE`).
    Other,
}

/// One secondary index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    /// Index name (unique within the keyspace).
    pub name: String,
    /// Indexed column.
    pub column: String,
    /// What of the column is indexed.
    pub target: TargetType,
    /// A local index (`((pk), col)`): entries per partition, usable only with the whole partition
    /// key restricted by `=`.
    pub local: bool,
}

/// Renders a column name the way ScyllaDB's `column_identifier::to_cql_string()` does: bare when
/// it is a lower-case identifier, otherwise double-quoted with `"` doubled.
pub fn maybe_quote(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if simple {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn unquote(s: &str) -> String {
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s[1..s.len() - 1].replace("\"\"", "\"")
    } else {
        s.to_string()
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses the strings of a JSON array `["a","b"]` (the only JSON ScyllaDB stores in targets).
fn json_strings(s: &str) -> Option<Vec<String>> {
    let s = s.trim();
    let inner = s.strip_prefix('[')?.strip_suffix(']')?.trim();
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some('"') => {}
            Some(_) => return None,
        }
        let mut cur = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'u' => {
                        let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                        cur.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    }
                    'n' => cur.push('\n'),
                    't' => cur.push('\t'),
                    c => cur.push(c),
                },
                c => cur.push(c),
            }
        }
        out.push(cur);
    }
    Some(out)
}

impl IndexSpec {
    /// The `options['target']` string ScyllaDB stores (`target_parser::serialize_targets`):
    /// `v`, `keys(s)`, `values(l)`, `entries(m)`, `f` for `FULL(f)`, and for a local index
    /// `{"pk":["p"],"ck":["v"]}`.
    pub fn target_option(&self, table: &TableDef) -> String {
        if self.local {
            let pk: Vec<String> = table.pk_cols().map(|c| json_string(&c.name)).collect();
            return format!(
                "{{\"pk\":[{}],\"ck\":[{}]}}",
                pk.join(","),
                json_string(&self.column)
            );
        }
        match self.target {
            TargetType::RegularValues | TargetType::Full => maybe_quote(&self.column),
            t => format!("{}({})", t.as_str(), maybe_quote(&self.column)),
        }
    }

    /// The schema entry (`system_schema.indexes`: kind `COMPOSITES`, options `{'target': ...}`).
    pub fn to_def(&self, table: &TableDef) -> IndexDef {
        let mut options = BTreeMap::new();
        options.insert("target".to_string(), self.target_option(table));
        IndexDef {
            name: self.name.clone(),
            kind: "COMPOSITES".to_string(),
            options,
        }
    }

    /// Reads an index back from its schema entry (`None` for a target this module cannot parse).
    pub fn from_def(def: &IndexDef, table: &TableDef) -> Option<IndexSpec> {
        let target = def.options.get("target")?;
        let t = target.trim();
        if t.starts_with('{') {
            // {"pk":[...],"ck":[...]}
            let ck_at = t.find("\"ck\"")?;
            let rest = &t[ck_at + 4..];
            let open = rest.find('[')?;
            let close = rest.find(']')?;
            let cols = json_strings(&rest[open..=close])?;
            let column = cols.into_iter().next()?;
            table.column(&column)?;
            return Some(IndexSpec {
                name: def.name.clone(),
                column,
                target: TargetType::RegularValues,
                local: true,
            });
        }
        for (prefix, tt) in [
            ("keys(", TargetType::Keys),
            ("entries(", TargetType::Entries),
            ("values(", TargetType::CollectionValues),
            ("full(", TargetType::Full),
        ] {
            if let Some(inner) = t.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
                let column = unquote(inner);
                table.column(&column)?;
                return Some(IndexSpec {
                    name: def.name.clone(),
                    column,
                    target: tt,
                    local: false,
                });
            }
        }
        let column = unquote(t);
        let (_, c) = table.column(&column)?;
        let target = if matches!(c.ty, ColType::Frozen(_)) && c.ty.is_collection() {
            TargetType::Full
        } else {
            TargetType::RegularValues
        };
        Some(IndexSpec {
            name: def.name.clone(),
            column,
            target,
            local: false,
        })
    }

    /// All indexes of a table that this module understands, in creation order.
    pub fn of_table(table: &TableDef) -> Vec<IndexSpec> {
        table
            .indexes
            .iter()
            .filter_map(|d| IndexSpec::from_def(d, table))
            .collect()
    }

    /// The name of the materialized view ScyllaDB creates behind the index.
    pub fn backing_table_name(&self) -> String {
        backing_table_name(&self.name)
    }

    /// Does this index serve the operator (on its own column)?
    pub fn serves(&self, op: ROp) -> bool {
        matches!(
            (self.target, op),
            (TargetType::RegularValues | TargetType::Full, ROp::Eq)
                | (TargetType::CollectionValues, ROp::Contains)
                | (TargetType::Entries, ROp::MapEntry)
        ) || (self.target == TargetType::Keys && matches!(op, ROp::Contains | ROp::ContainsKey))
    }

    /// Like [`IndexSpec::serves`] but knowing the column type: `KEYS` of a set serves
    /// `CONTAINS`, `KEYS` of a map serves `CONTAINS KEY`.
    pub fn serves_typed(&self, ty: &ColType, op: ROp) -> bool {
        match (self.target, ty.unfrozen()) {
            (TargetType::Keys, ColType::Set(_)) => op == ROp::Contains,
            (TargetType::Keys, ColType::Map(..)) => op == ROp::ContainsKey,
            (TargetType::Keys, _) => false,
            _ => self.serves(op),
        }
    }
}

/// `<index>_index`: the table name of the view behind an index (`secondary_index::index_table_name`).
pub fn backing_table_name(index: &str) -> String {
    format!("{index}_index")
}

/// The index terms of one column value: what a row is found under.
///
/// - regular and `FULL` targets: the value itself;
/// - `KEYS` of a set: its elements; of a map: its keys;
/// - `VALUES` of a list or map: its values (deduplicated);
/// - `ENTRIES` of a map: `(key, value)` tuples.
pub fn terms(target: TargetType, ty: &ColType, value: Option<&Value>) -> Vec<Value> {
    let Some(v) = value else { return vec![] };
    let mut out: Vec<Value> = match (target, v) {
        (TargetType::RegularValues | TargetType::Full, v) => vec![v.clone()],
        (TargetType::Keys, Value::Set(items)) => items.clone(),
        (TargetType::Keys, Value::Map(items)) => items.iter().map(|(k, _)| k.clone()).collect(),
        (TargetType::CollectionValues, Value::List(items) | Value::Set(items)) => items.clone(),
        (TargetType::CollectionValues, Value::Map(items)) => {
            items.iter().map(|(_, x)| x.clone()).collect()
        }
        (TargetType::Entries, Value::Map(items)) => items
            .iter()
            .map(|(k, x)| Value::Tuple(vec![Some(k.clone()), Some(x.clone())]))
            .collect(),
        _ => vec![],
    };
    let _ = ty;
    out.sort();
    out.dedup();
    out
}

/// The term a served restriction looks up: `=`/`CONTAINS`/`CONTAINS KEY` use the value,
/// `m[k] = v` looks up the `(k, v)` entry.
pub fn lookup_term(op: ROp, key: Option<&Value>, value: &Value) -> Value {
    match (op, key) {
        (ROp::MapEntry, Some(k)) => Value::Tuple(vec![Some(k.clone()), Some(value.clone())]),
        _ => value.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::{ColumnDef, ColumnKind};

    pub(crate) fn table(cols: &[(&str, ColType, ColumnKind, i32)]) -> TableDef {
        let mut d = TableDef {
            keyspace: "ks".into(),
            name: "t".into(),
            id: uuid::Uuid::nil(),
            columns: cols
                .iter()
                .enumerate()
                .map(|(i, (n, ty, k, p))| ColumnDef {
                    id: i as u32,
                    name: n.to_string(),
                    ty: ty.clone(),
                    kind: *k,
                    position: *p,
                    desc: false,
                })
                .collect(),
            partition_key: vec![],
            clustering: vec![],
            next_column_id: cols.len() as u32,
            properties: BTreeMap::new(),
            indexes: vec![],
            dropped: BTreeMap::new(),
        };
        d.reindex();
        d
    }

    fn t() -> TableDef {
        use ColumnKind::*;
        table(&[
            ("p", ColType::Int, PartitionKey, 0),
            ("c", ColType::Int, Clustering, 0),
            ("v", ColType::Int, Regular, -1),
            ("s", ColType::Set(Box::new(ColType::Int)), Regular, -1),
            (
                "m",
                ColType::Map(Box::new(ColType::Int), Box::new(ColType::Text)),
                Regular,
                -1,
            ),
            (
                "f",
                ColType::Frozen(Box::new(ColType::Set(Box::new(ColType::Int)))),
                Regular,
                -1,
            ),
            ("Odd", ColType::Int, Regular, -1),
        ])
    }

    #[test]
    fn target_strings_roundtrip() {
        let tab = t();
        let cases = [
            (
                IndexSpec {
                    name: "a".into(),
                    column: "v".into(),
                    target: TargetType::RegularValues,
                    local: false,
                },
                "v",
            ),
            (
                IndexSpec {
                    name: "b".into(),
                    column: "s".into(),
                    target: TargetType::Keys,
                    local: false,
                },
                "keys(s)",
            ),
            (
                IndexSpec {
                    name: "c".into(),
                    column: "m".into(),
                    target: TargetType::CollectionValues,
                    local: false,
                },
                "values(m)",
            ),
            (
                IndexSpec {
                    name: "d".into(),
                    column: "m".into(),
                    target: TargetType::Entries,
                    local: false,
                },
                "entries(m)",
            ),
            (
                IndexSpec {
                    name: "e".into(),
                    column: "f".into(),
                    target: TargetType::Full,
                    local: false,
                },
                "f",
            ),
            (
                IndexSpec {
                    name: "g".into(),
                    column: "v".into(),
                    target: TargetType::RegularValues,
                    local: true,
                },
                "{\"pk\":[\"p\"],\"ck\":[\"v\"]}",
            ),
            (
                IndexSpec {
                    name: "h".into(),
                    column: "Odd".into(),
                    target: TargetType::RegularValues,
                    local: false,
                },
                "\"Odd\"",
            ),
        ];
        for (spec, s) in cases {
            assert_eq!(spec.target_option(&tab), s);
            let def = spec.to_def(&tab);
            assert_eq!(def.kind, "COMPOSITES");
            assert_eq!(IndexSpec::from_def(&def, &tab).as_ref(), Some(&spec));
        }
    }

    #[test]
    fn terms_per_target() {
        let set = Value::Set(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(
            terms(
                TargetType::Keys,
                &ColType::Set(Box::new(ColType::Int)),
                Some(&set)
            ),
            vec![Value::Int(1), Value::Int(2)]
        );
        let m = Value::Map(vec![
            (Value::Int(1), Value::Text("a".into())),
            (Value::Int(2), Value::Text("a".into())),
        ]);
        let mt = ColType::Map(Box::new(ColType::Int), Box::new(ColType::Text));
        assert_eq!(
            terms(TargetType::CollectionValues, &mt, Some(&m)),
            vec![Value::Text("a".into())]
        );
        assert_eq!(terms(TargetType::Keys, &mt, Some(&m)).len(), 2);
        assert_eq!(
            terms(TargetType::Entries, &mt, Some(&m))[0],
            lookup_term(
                ROp::MapEntry,
                Some(&Value::Int(1)),
                &Value::Text("a".into())
            )
        );
        assert!(terms(TargetType::RegularValues, &ColType::Int, None).is_empty());
    }

    #[test]
    fn serves() {
        let s = IndexSpec {
            name: "i".into(),
            column: "s".into(),
            target: TargetType::Keys,
            local: false,
        };
        assert!(s.serves_typed(&ColType::Set(Box::new(ColType::Int)), ROp::Contains));
        assert!(!s.serves_typed(&ColType::Set(Box::new(ColType::Int)), ROp::ContainsKey));
        let v = IndexSpec {
            name: "i".into(),
            column: "v".into(),
            target: TargetType::RegularValues,
            local: true,
        };
        assert!(v.serves(ROp::Eq));
        assert!(!v.serves(ROp::Slice));
        assert!(!v.serves(ROp::In));
    }
}
