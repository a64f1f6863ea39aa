//! Which SELECTs an index serves: a transcription of ScyllaDB's `statement_restrictions`
//! constructor, `need_filtering()`, `score()`/`find_idx()` and `select_statement::check_needs_filtering`
//! (2026 development tree), over an abstract description of the WHERE clause.
//!
//! Outcomes, for a table with indexes:
//! - [`Decision::UseIndex`]: read through that index with the restriction on that column; every
//!   other restriction (and, for safety, the served one too) is re-checked on each fetched row.
//! - [`Decision::NoIndex`]: no index is involved; the base-table rules apply unchanged (including
//!   their errors).
//! - `Err`: ScyllaDB's rejection (mostly the generic filtering error).
//!
//! Rules that follow from the transcription (spec §1, §2, §5):
//! - an index serves `=` on a regular column (`FULL` too), `CONTAINS` on a set/list/map values
//!   index, `CONTAINS KEY` on a map keys index, `m[k] = v` on an entries index; never ranges or IN;
//! - a local index is considered only when every partition-key column is restricted by `=`;
//!   it then wins over a global one (score 2 against 1);
//! - `pk IN (...)` + an indexed column, two restricted regular columns, or an indexed column plus a
//!   clustering restriction without the partition key: `ALLOW FILTERING` needed;
//! - with `ALLOW FILTERING` a range on an indexed column is filtered, not served (the index does
//!   not support it), and among several usable indexes the first one in creation order wins
//!   (ScyllaDB iterates its index manager's hash map: an unspecified order).

use super::{IndexSpec, ROp};
use crate::error::{CqlError, Result};
use crate::schema::TableDef;

/// All restrictions on one column (a column may be restricted several times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColRestr {
    /// Index into `TableDef::columns`.
    pub col: usize,
    pub ops: Vec<ROp>,
}

/// The shape of a WHERE clause.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// Single-column restrictions on partition-key columns.
    pub pk: Vec<ColRestr>,
    /// A `token(...)` restriction is present.
    pub token: bool,
    /// Single-column restrictions on clustering columns.
    pub ck: Vec<ColRestr>,
    /// A multi-column `(c1, c2) ...` restriction is present.
    pub ck_multi_column: bool,
    /// Restrictions on regular and static columns.
    pub regular: Vec<ColRestr>,
    pub allow_filtering: bool,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No index involved: apply the base-table rules.
    NoIndex,
    /// Read through `indexes[index]` using the restriction `op` on column `col`.
    UseIndex { index: usize, col: usize, op: ROp },
}

/// ScyllaDB's message when an index would be used with `pk IN (...)`.
pub const INDEX_WITH_IN_MESSAGE: &str = "Index cannot be used if the partition key is restricted with IN clause. This query would require filtering instead.";

fn supported(def: &TableDef, idx: &IndexSpec, r: &ColRestr, allow_local: bool) -> bool {
    if idx.local && !allow_local {
        return false;
    }
    let c = &def.columns[r.col];
    c.name == idx.column && r.ops.iter().any(|op| idx.serves_typed(&c.ty, *op))
}

fn any_supported(
    def: &TableDef,
    indexes: &[IndexSpec],
    rs: &[ColRestr],
    allow_local: bool,
) -> bool {
    rs.iter()
        .any(|r| indexes.iter().any(|i| supported(def, i, r, allow_local)))
}

fn needs_filtering_op(op: ROp) -> bool {
    matches!(
        op,
        ROp::Contains | ROp::ContainsKey | ROp::MapEntry | ROp::Other
    )
}

/// `num_clustering_prefix_columns_that_need_not_be_filtered()`.
fn ck_prefix_len(def: &TableDef, ck: &[ColRestr]) -> usize {
    let mut sorted: Vec<&ColRestr> = ck.iter().collect();
    sorted.sort_by_key(|r| def.columns[r.col].position);
    let mut position = 0i32;
    let mut count = 0;
    for r in sorted {
        let pos = def.columns[r.col].position;
        if r.ops.iter().any(|o| needs_filtering_op(*o)) || pos != position {
            return count;
        }
        if !r.ops.contains(&ROp::Slice) {
            position = pos + 1;
        }
        count += 1;
    }
    count
}

/// Decides how a SELECT on a table with `indexes` is executed (see the module docs).
pub fn decide(def: &TableDef, indexes: &[IndexSpec], s: &Shape) -> Result<Decision> {
    let af = s.allow_filtering;
    let pk_size = def.partition_key.len();
    let pk_all_restricted = !s.token && s.pk.len() == pk_size;
    let pk_all_eq = s.pk.iter().all(|r| r.ops.iter().all(|o| *o == ROp::Eq));
    let pk_has_in = s.pk.iter().any(|r| r.ops.contains(&ROp::In));
    let allow_local = pk_all_restricted && pk_all_eq;

    // add_restriction-time errors that no index lifts.
    if !af
        && s.pk
            .iter()
            .any(|r| r.ops.iter().any(|o| !matches!(o, ROp::Eq | ROp::In)))
    {
        return Err(CqlError::invalid(
            "Only EQ and IN relation are supported on the partition key (unless you use the token() function or ALLOW FILTERING)",
        ));
    }

    let has_q_ck = !s.ck_multi_column && any_supported(def, indexes, &s.ck, allow_local);
    let has_q_pk = !s.token && any_supported(def, indexes, &s.pk, allow_local);
    let has_q_reg = any_supported(def, indexes, &s.regular, allow_local);
    let partition_range_is_simple = !pk_has_in;

    let mut uses = false;
    let mut is_key_range = false;
    // index_restrictions(), in ScyllaDB's push order.
    let mut index_restrictions: Vec<&[ColRestr]> = Vec::new();

    // process_partition_key_restrictions
    if s.token || s.pk.is_empty() {
        is_key_range = true;
        if !s.token {
            uses = has_q_pk;
        }
    }
    let pk_need_filtering = !s.pk.is_empty()
        && !s.token
        && (s.pk.len() < pk_size
            || s.pk
                .iter()
                .any(|r| r.ops.iter().any(|o| !matches!(o, ROp::Eq | ROp::In))));
    if pk_need_filtering {
        if !af && !has_q_pk {
            return Err(CqlError::filtering());
        }
        is_key_range = true;
        uses = has_q_pk;
    }
    if uses || pk_need_filtering {
        index_restrictions.push(&s.pk);
    }

    // process_clustering_columns_restrictions
    let ck_need_filtering = !s.ck_multi_column && ck_prefix_len(def, &s.ck) < s.ck.len();
    if !s.ck.is_empty() {
        let ck_contains = s.ck.iter().any(|r| {
            r.ops
                .iter()
                .any(|o| matches!(o, ROp::Contains | ROp::ContainsKey))
        });
        if ck_contains && !has_q_ck && !af {
            return Err(CqlError::invalid(
                "Cannot restrict clustering columns by a CONTAINS relation without a secondary index or filtering",
            ));
        }
        if ck_need_filtering {
            if has_q_ck {
                uses = true;
            } else if !af {
                let mut sorted: Vec<&ColRestr> = s.ck.iter().collect();
                sorted.sort_by_key(|r| def.columns[r.col].position);
                for (k, r) in sorted.iter().enumerate() {
                    let expected = &def.columns[def.clustering[k]];
                    let got = &def.columns[r.col];
                    if expected.name != got.name {
                        return Err(CqlError::invalid(format!(
                            "PRIMARY KEY column \"{}\" cannot be restricted as preceding column \"{}\" is not restricted",
                            got.name, expected.name
                        )));
                    }
                }
            }
        }
    }
    if is_key_range && has_q_ck && !s.ck_multi_column {
        uses = true;
    }
    if uses || ck_need_filtering {
        index_restrictions.push(&s.ck);
    }

    if !s.regular.is_empty() {
        if has_q_reg && partition_range_is_simple {
            uses = true;
        } else if !af {
            return Err(CqlError::filtering());
        }
        index_restrictions.push(&s.regular);
    }
    if uses && !af && pk_has_in {
        return Err(CqlError::invalid(INDEX_WITH_IN_MESSAGE));
    }

    // need_filtering()
    let token_known = pk_all_restricted && pk_all_eq;
    let need_filtering = || -> bool {
        if uses && s.token {
            return s.ck.len() + s.regular.len() > 1;
        }
        let npart = s.pk.len();
        if npart > 0 && npart < pk_size {
            return !(npart == 1 && has_q_pk && s.ck.is_empty() && s.regular.is_empty());
        }
        if pk_need_filtering {
            return true;
        }
        let nreg = s.regular.len();
        if nreg > 1 || (nreg == 1 && !has_q_reg) {
            return true;
        }
        if nreg == 1 {
            if npart == 0 && s.ck.is_empty() {
                return false;
            }
            return !token_known || ck_need_filtering || s.ck_multi_column;
        }
        if s.ck_multi_column {
            return false;
        }
        if has_q_ck && uses {
            return s.ck.len() > 1;
        }
        ck_need_filtering
    };
    // select_statement::check_needs_filtering
    if !af && (is_key_range || uses) && need_filtering() {
        return Err(CqlError::filtering());
    }
    if !uses {
        return Ok(Decision::NoIndex);
    }

    // find_idx(): highest score wins, first found on ties.
    let score = |i: &IndexSpec| {
        if i.local {
            if allow_local { 2 } else { 0 }
        } else {
            1
        }
    };
    let mut chosen: Option<(usize, usize, ROp)> = None;
    let mut best = 0;
    for (n, idx) in indexes.iter().enumerate() {
        for rs in &index_restrictions {
            if s.token && std::ptr::eq(*rs, s.pk.as_slice()) {
                continue;
            }
            for r in rs.iter() {
                if supported(def, idx, r, true) && score(idx) > best {
                    let c = &def.columns[r.col];
                    let op = *r.ops.iter().find(|o| idx.serves_typed(&c.ty, **o)).unwrap();
                    chosen = Some((n, r.col, op));
                    best = score(idx);
                }
            }
        }
    }
    Ok(match chosen {
        Some((index, col, op)) => Decision::UseIndex { index, col, op },
        None => Decision::NoIndex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FILTERING_MESSAGE;
    use crate::index::TargetType;
    use crate::index::tests::table;
    use crate::schema::ColumnKind::*;
    use crate::types::ColType;

    // p | c1 c2 | v w | s (set) | m (map)
    fn def() -> TableDef {
        table(&[
            ("p", ColType::Int, PartitionKey, 0),
            ("c1", ColType::Int, Clustering, 0),
            ("c2", ColType::Int, Clustering, 1),
            ("v", ColType::Int, Regular, -1),
            ("w", ColType::Int, Regular, -1),
            ("s", ColType::Set(Box::new(ColType::Int)), Regular, -1),
            (
                "m",
                ColType::Map(Box::new(ColType::Int), Box::new(ColType::Int)),
                Regular,
                -1,
            ),
            ("u", ColType::Int, Regular, -1),
        ])
    }

    fn idx(name: &str, col: &str, target: TargetType, local: bool) -> IndexSpec {
        IndexSpec {
            name: name.into(),
            column: col.into(),
            target,
            local,
        }
    }

    fn global_v() -> IndexSpec {
        idx("gv", "v", TargetType::RegularValues, false)
    }
    fn global_w() -> IndexSpec {
        idx("gw", "w", TargetType::RegularValues, false)
    }
    fn local_v() -> IndexSpec {
        idx("lv", "v", TargetType::RegularValues, true)
    }
    fn set_s() -> IndexSpec {
        idx("gs", "s", TargetType::Keys, false)
    }

    /// Parses `"p=,v>,c1=,s contains"`-style shorthand.
    fn shape(d: &TableDef, spec: &str, af: bool) -> Shape {
        let mut s = Shape {
            allow_filtering: af,
            ..Default::default()
        };
        for part in spec.split(',').filter(|x| !x.is_empty()) {
            let part = part.trim();
            let (name, op) = if let Some(n) = part.strip_suffix(" contains key") {
                (n, ROp::ContainsKey)
            } else if let Some(n) = part.strip_suffix(" contains") {
                (n, ROp::Contains)
            } else if let Some(n) = part.strip_suffix("[]=") {
                (n, ROp::MapEntry)
            } else if let Some(n) = part.strip_suffix(" in") {
                (n, ROp::In)
            } else if let Some(n) = part.strip_suffix('=') {
                (n, ROp::Eq)
            } else if let Some(n) = part.strip_suffix('>') {
                (n, ROp::Slice)
            } else if part == "token" {
                s.token = true;
                continue;
            } else {
                panic!("{part}")
            };
            let (col, c) = d.column(name).unwrap();
            let list = match c.kind {
                PartitionKey => &mut s.pk,
                Clustering => &mut s.ck,
                _ => &mut s.regular,
            };
            match list.iter_mut().find(|r| r.col == col) {
                Some(r) => r.ops.push(op),
                None => list.push(ColRestr { col, ops: vec![op] }),
            }
        }
        s
    }

    fn run(indexes: &[IndexSpec], spec: &str, af: bool) -> std::result::Result<Decision, String> {
        let d = def();
        decide(&d, indexes, &shape(&d, spec, af)).map_err(|e| e.message)
    }

    fn uses(indexes: &[IndexSpec], spec: &str, af: bool) -> Option<String> {
        match run(indexes, spec, af) {
            Ok(Decision::UseIndex { index, .. }) => Some(indexes[index].name.clone()),
            Ok(Decision::NoIndex) => None,
            Err(e) => panic!("{spec}: unexpected error {e}"),
        }
    }

    fn filtering(indexes: &[IndexSpec], spec: &str) {
        assert_eq!(
            run(indexes, spec, false),
            Err(FILTERING_MESSAGE.to_string()),
            "{spec}"
        );
    }

    #[test]
    fn global_equality_served() {
        let ix = [global_v()];
        assert_eq!(uses(&ix, "v=", false).as_deref(), Some("gv"));
        assert_eq!(uses(&ix, "p=,v=", false).as_deref(), Some("gv"));
        assert_eq!(uses(&ix, "p=,c1=,v=", false).as_deref(), Some("gv"));
        assert_eq!(uses(&ix, "p=,c1=,c2>,v=", false).as_deref(), Some("gv"));
        // No restriction on regular columns: the index is not involved.
        assert_eq!(uses(&ix, "p=", false), None);
        assert_eq!(uses(&ix, "", false), None);
    }

    #[test]
    fn global_needs_filtering() {
        let ix = [global_v(), global_w()];
        filtering(&ix, "v>");
        filtering(&ix, "v in");
        filtering(&ix, "p in,v=");
        filtering(&ix, "v=,w=");
        filtering(&ix, "v=,c1=");
        filtering(&ix, "v=,u=");
        assert_eq!(
            run(&ix, "p=,c2=,v=", false),
            Err("PRIMARY KEY column \"c2\" cannot be restricted as preceding column \"c1\" is not restricted".into())
        );
        assert_eq!(uses(&ix, "p=,c2=,v=", true).as_deref(), Some("gv"));
        // With ALLOW FILTERING: ranges are filtered (no index), equality picks an index.
        assert_eq!(uses(&ix, "v>", true), None);
        assert_eq!(uses(&ix, "v>,v=", true).as_deref(), Some("gv"));
        assert_eq!(uses(&ix, "p in,v=", true), None);
        assert_eq!(uses(&ix, "v=,w=", true).as_deref(), Some("gv"));
        assert_eq!(
            uses(&[global_w(), global_v()], "v=,w=", true).as_deref(),
            Some("gw")
        );
        assert_eq!(uses(&ix, "v=,c1=", true).as_deref(), Some("gv"));
        assert_eq!(uses(&ix, "w=,u>", true).as_deref(), Some("gw"));
    }

    #[test]
    fn collection_indexes() {
        let ix = [
            set_s(),
            idx("mk", "m", TargetType::Keys, false),
            idx("me", "m", TargetType::Entries, false),
        ];
        assert_eq!(uses(&ix, "s contains", false).as_deref(), Some("gs"));
        assert_eq!(uses(&ix, "p=,s contains", false).as_deref(), Some("gs"));
        filtering(&ix, "p in,s contains");
        assert_eq!(uses(&ix, "p in,s contains", true), None);
        assert_eq!(uses(&ix, "m contains key", false).as_deref(), Some("mk"));
        assert_eq!(uses(&ix, "m[]=", false).as_deref(), Some("me"));
        filtering(&ix, "m contains");
        // CONTAINS on an unindexed set.
        filtering(&[global_v()], "s contains");
        // = on a set column is not served by a values index.
        filtering(&ix, "s=");
    }

    #[test]
    fn local_index_rules() {
        let ix = [local_v()];
        assert_eq!(uses(&ix, "p=,v=", false).as_deref(), Some("lv"));
        assert_eq!(uses(&ix, "p=,c1=,v=", false).as_deref(), Some("lv"));
        filtering(&ix, "p=,v>");
        filtering(&ix, "p=,v in");
        filtering(&ix, "v=");
        filtering(&ix, "p in,v=");
        assert_eq!(uses(&ix, "p=,v>", true), None);
        assert_eq!(uses(&ix, "p=,v in", true), None);
        assert_eq!(uses(&ix, "v=", true), None);
        // Local beats global when the partition key is given; global otherwise.
        let both = [global_v(), local_v()];
        assert_eq!(uses(&both, "p=,v=", false).as_deref(), Some("lv"));
        assert_eq!(uses(&both, "v=", false).as_deref(), Some("gv"));
    }

    #[test]
    fn token_restrictions() {
        let ix = [global_v(), global_w()];
        assert_eq!(uses(&ix, "token,v=", false).as_deref(), Some("gv"));
        filtering(&ix, "token,v=,w=");
        filtering(&ix, "token,v=,c1=");
        assert_eq!(uses(&ix, "token,v=,c1=", true).as_deref(), Some("gv"));
        // token() alone never involves an index.
        assert_eq!(uses(&ix, "token", false), None);
    }

    #[test]
    fn partition_key_errors_come_first() {
        let ix = [global_v()];
        assert_eq!(
            run(&ix, "p>,v=", false),
            Err("Only EQ and IN relation are supported on the partition key (unless you use the token() function or ALLOW FILTERING)".into())
        );
        // With ALLOW FILTERING the partition key is filtered and the index on v is used.
        assert_eq!(uses(&ix, "p>,v=", true).as_deref(), Some("gv"));
    }

    #[test]
    fn clustering_and_pk_component_indexes() {
        let d = def();
        let ck2 = idx("ic2", "c2", TargetType::RegularValues, false);
        // Skipping c1 is fine when c2 is indexed.
        assert_eq!(
            uses(std::slice::from_ref(&ck2), "p=,c2=", false).as_deref(),
            Some("ic2")
        );
        assert_eq!(
            uses(std::slice::from_ref(&ck2), "c2=", false).as_deref(),
            Some("ic2")
        );
        assert_eq!(
            run(&[global_v()], "p=,c2=", false),
            Err("PRIMARY KEY column \"c2\" cannot be restricted as preceding column \"c1\" is not restricted".into())
        );
        assert_eq!(
            run(std::slice::from_ref(&ck2), "p in,c2=", false),
            Err(INDEX_WITH_IN_MESSAGE.into())
        );
        // Composite partition key with an index on one component.
        let d2 = table(&[
            ("a", ColType::Int, PartitionKey, 0),
            ("b", ColType::Int, PartitionKey, 1),
            ("v", ColType::Int, Regular, -1),
        ]);
        let ia = [idx("ia", "a", TargetType::RegularValues, false)];
        let mut s = Shape::default();
        s.pk.push(ColRestr {
            col: 0,
            ops: vec![ROp::Eq],
        });
        assert_eq!(
            decide(&d2, &ia, &s),
            Ok(Decision::UseIndex {
                index: 0,
                col: 0,
                op: ROp::Eq
            })
        );
        s.regular.push(ColRestr {
            col: 2,
            ops: vec![ROp::Eq],
        });
        assert_eq!(decide(&d2, &ia, &s).unwrap_err().message, FILTERING_MESSAGE);
        let _ = d;
    }
}
