//! The explain output of an index read.

use std::fmt;

use super::{Chosen, Planned};
use crate::bucketing::Bucket;

/// One statement of an explained read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainStatement {
    /// The CQL text (bind markers only; unqualified).
    pub cql: String,
    /// The bound index values (hash and bucket, or packed values); the partition key is bound
    /// first.
    pub bound: String,
}

/// What an index read will do (from `IndexQuery::explain`); its `Display` is the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explain {
    /// The table.
    pub table: &'static str,
    /// The predicates, as given.
    pub pattern: String,
    /// The index chosen (its declaration name).
    pub index: &'static str,
    /// `"hash"`, `"packed"`, or `"nothing"` when the predicates match no row.
    pub kind: &'static str,
    /// The planner's report (buckets and waste, or the packed strategy).
    pub plan: String,
    /// The buckets read (hash indexes).
    pub buckets: Vec<Bucket>,
    /// Waste of the bucket coverage (hash indexes).
    pub waste: Option<u64>,
    /// The packed strategy: `"lookups"`, `"slices"` or `"allow filtering scan"` (packed
    /// indexes).
    pub strategy: Option<&'static str>,
    /// Whether rows are filtered in memory on the original predicates (always for hash
    /// indexes; for packed ones when truncation or splitting can over-fetch).
    pub post_filter: bool,
    /// Whether any statement carries `ALLOW FILTERING`.
    pub allow_filtering: bool,
    /// Every statement.
    pub statements: Vec<ExplainStatement>,
}

impl Explain {
    pub(super) fn new(table: &'static str, pattern: &str, planned: &Planned) -> Self {
        let statements: Vec<ExplainStatement> = planned
            .statements
            .iter()
            .map(|s| ExplainStatement {
                cql: s.cql.clone(),
                bound: s.bound.clone(),
            })
            .collect();
        let allow_filtering = statements.iter().any(|s| s.cql.contains("ALLOW FILTERING"));
        let mut e = Explain {
            table,
            pattern: pattern.to_owned(),
            index: planned.chosen.index(),
            kind: "nothing",
            plan: String::new(),
            buckets: Vec::new(),
            waste: None,
            strategy: None,
            post_filter: false,
            allow_filtering,
            statements,
        };
        match &planned.chosen {
            Chosen::Hash { plan, .. } => {
                e.kind = "hash";
                e.plan = plan.to_string();
                e.buckets = plan.coverage().buckets().to_vec();
                e.waste = Some(plan.coverage().waste());
                e.post_filter = true;
            }
            Chosen::Packed { plan, .. } => {
                e.kind = "packed";
                e.plan = plan.to_string();
                e.strategy = Some(match plan.strategy() {
                    crate::packing::PackedStrategy::Lookups { .. } => "lookups",
                    crate::packing::PackedStrategy::Slices { .. } => "slices",
                    crate::packing::PackedStrategy::FilteringScan { .. } => "allow filtering scan",
                });
                e.post_filter = plan.needs_post_filter();
            }
            Chosen::Nothing { reason, .. } => {
                e.plan = format!("matches nothing ({reason}): no statement is sent");
            }
        }
        e
    }
}

impl fmt::Display for Explain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "index read on {} WHERE {} through {} index `{}`",
            self.table, self.pattern, self.kind, self.index
        )?;
        for line in self.plan.lines() {
            writeln!(f, "  {line}")?;
        }
        writeln!(
            f,
            "  post-filter in memory: {}; ALLOW FILTERING: {}",
            if self.post_filter { "yes" } else { "no" },
            if self.allow_filtering { "yes" } else { "no" }
        )?;
        writeln!(f, "  statements ({}):", self.statements.len())?;
        for (i, s) in self.statements.iter().enumerate() {
            writeln!(f, "    {}. {}  -- {}", i + 1, s.cql, s.bound)?;
        }
        Ok(())
    }
}
