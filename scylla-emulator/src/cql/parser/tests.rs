//! Unit tests of the CQL parser.

use super::parse;
use crate::cql::ast::*;

fn ok(s: &str) -> ParsedStatement {
    match parse(s) {
        Ok(p) => p,
        Err(e) => panic!("failed to parse {s:?}: {}", e.message),
    }
}

fn stmt(s: &str) -> Statement {
    ok(s).statement
}

fn err(s: &str) -> String {
    match parse(s) {
        Ok(p) => panic!("{s:?} parsed but should fail: {p:?}"),
        Err(e) => e.message,
    }
}

fn select(s: &str) -> Select {
    match stmt(s) {
        Statement::Select(x) => x,
        other => panic!("not a select: {other:?}"),
    }
}

fn insert(s: &str) -> Insert {
    match stmt(s) {
        Statement::Insert(x) => x,
        other => panic!("not an insert: {other:?}"),
    }
}

fn update(s: &str) -> Update {
    match stmt(s) {
        Statement::Update(x) => x,
        other => panic!("not an update: {other:?}"),
    }
}

fn delete(s: &str) -> Delete {
    match stmt(s) {
        Statement::Delete(x) => x,
        other => panic!("not a delete: {other:?}"),
    }
}

fn create_table(s: &str) -> CreateTable {
    match stmt(s) {
        Statement::CreateTable(x) => x,
        other => panic!("not a create table: {other:?}"),
    }
}

fn create_index(s: &str) -> CreateIndex {
    match stmt(s) {
        Statement::CreateIndex(x) => x,
        other => panic!("not a create index: {other:?}"),
    }
}

fn create_view(s: &str) -> CreateView {
    match stmt(s) {
        Statement::CreateView(x) => x,
        other => panic!("not a create view: {other:?}"),
    }
}

fn alter(s: &str) -> AlterTableOp {
    match stmt(s) {
        Statement::AlterTable(x) => x.op,
        other => panic!("not an alter table: {other:?}"),
    }
}

/// The rhs of the single WHERE relation of `SELECT * FROM t WHERE c = <term>`.
fn term(t: &str) -> Term {
    let s = select(&format!("SELECT * FROM t WHERE c = {t}"));
    match s.where_clause.into_iter().next() {
        Some(Relation::Compare { rhs, .. }) => rhs,
        other => panic!("unexpected relation {other:?}"),
    }
}

fn lit(t: &str) -> Literal {
    match term(t) {
        Term::Literal(l) => l,
        other => panic!("not a literal: {other:?}"),
    }
}

fn qn(ks: Option<&str>, name: &str) -> QualifiedName {
    QualifiedName {
        keyspace: ks.map(str::to_string),
        name: name.to_string(),
    }
}

fn col(c: &str) -> RelationLhs {
    RelationLhs::Column(c.to_string())
}

fn int(s: &str) -> Term {
    Term::Literal(Literal::Integer(s.to_string()))
}

fn string(s: &str) -> Term {
    Term::Literal(Literal::String(s.to_string()))
}

fn native(n: NativeType) -> CqlType {
    CqlType::Native(n)
}

fn cmp(c: &str, op: Operator, rhs: Term) -> Relation {
    Relation::Compare {
        lhs: col(c),
        op,
        rhs,
    }
}

fn prop_str(name: &str, v: &str) -> Property {
    Property {
        name: name.to_string(),
        value: PropertyValue::Constant(Literal::String(v.to_string())),
    }
}

fn s(v: &str) -> String {
    v.to_string()
}

// ===== identifiers and keywords =========================================================

#[test]
fn keywords_are_case_insensitive() {
    let a = ok("select * from t where a = 1");
    let b = ok("SELECT * FROM T WHERE A = 1");
    let c = ok("SeLeCt * FrOm t WhErE a = 1");
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn unquoted_identifiers_lowercased_quoted_keep_case() {
    let x = select(r#"SELECT MyCol, "MyCol", "with ""quote""" FROM "Ks"."Tab""#);
    let items = x.items.unwrap();
    assert_eq!(items[0].selector, Selector::Column(s("mycol")));
    assert_eq!(items[1].selector, Selector::Column(s("MyCol")));
    assert_eq!(items[2].selector, Selector::Column(s("with \"quote\"")));
    assert_eq!(x.from, qn(Some("Ks"), "Tab"));
}

#[test]
fn unreserved_keywords_are_identifiers() {
    for name in [
        "key",
        "status",
        "type",
        "values",
        "keys",
        "week",
        "count",
        "ttl",
        "timestamp",
        "date",
        "time",
        "text",
        "list",
        "map",
        "kind",
        "value",
        "updated",
        "position",
        "json",
        "distinct",
        "static",
        "frozen",
        "tuple",
        "contains",
        "exists",
        "filtering",
        "as",
        "custom",
        "options",
        "cache",
        "bypass",
        "per",
        "partition",
        "group",
        "like",
        "timeout",
        "writetime",
        "desc",
        "describe",
        "execute",
        "user",
        "role",
        "login",
        "clustering",
        "compact",
        "storage",
        "keyspaces",
        "tables",
        "function",
        "language",
        "input",
        "vector",
        "counter",
        "int",
        "varchar",
        "blob",
        "uuid",
        "duration",
        "all",
        "only",
        "service",
        "level",
    ] {
        let q = format!("SELECT {name} FROM t WHERE {name} = ? AND {name} IN ?");
        let x = select(&q);
        assert_eq!(
            x.items.unwrap()[0].selector,
            Selector::Column(name.to_string()),
            "{q}"
        );
        assert_eq!(
            x.where_clause[0],
            cmp(name, Operator::Eq, Term::Bind(0)),
            "{q}"
        );
        // As column definitions too.
        let t = create_table(&format!("CREATE TABLE t ({name} int PRIMARY KEY)"));
        assert_eq!(t.columns[0].name, name);
        // And as table / keyspace names.
        let i = insert(&format!("INSERT INTO {name}.{name} ({name}) VALUES (1)"));
        assert_eq!(i.table, qn(Some(name), name));
    }
}

#[test]
fn reserved_keywords_are_not_identifiers() {
    for name in [
        "add",
        "allow",
        "alter",
        "and",
        "apply",
        "asc",
        "authorize",
        "batch",
        "begin",
        "by",
        "columnfamily",
        "create",
        "delete",
        "drop",
        "entries",
        "from",
        "full",
        "grant",
        "if",
        "in",
        "index",
        "infinity",
        "insert",
        "into",
        "keyspace",
        "limit",
        "modify",
        "nan",
        "norecursive",
        "not",
        "null",
        "of",
        "on",
        "or",
        "order",
        "primary",
        "rename",
        "revoke",
        "schema",
        "select",
        "set",
        "table",
        "to",
        "token",
        "truncate",
        "unlogged",
        "update",
        "use",
        "using",
        "where",
        "with",
        "is",
        "view",
        "materialized",
    ] {
        let q = format!("CREATE TABLE t ({name} int PRIMARY KEY)");
        assert!(parse(&q).is_err(), "{q} should fail");
        let q = format!("CREATE TABLE t (\"{name}\" int PRIMARY KEY)");
        assert_eq!(create_table(&q).columns[0].name, name);
    }
    // Booleans are never identifiers.
    assert!(parse("CREATE TABLE t (true int PRIMARY KEY)").is_err());
}

#[test]
fn qualified_names() {
    assert_eq!(
        select("SELECT * FROM system.local").from,
        qn(Some("system"), "local")
    );
    assert_eq!(
        select("SELECT * FROM system_schema.columns").from,
        qn(Some("system_schema"), "columns")
    );
    assert_eq!(select("SELECT * FROM t").from, qn(None, "t"));
    assert_eq!(select("SELECT * FROM ks . t").from, qn(Some("ks"), "t"));
}

#[test]
fn comments_whitespace_and_semicolons() {
    let base = select("SELECT a FROM t");
    for q in [
        "SELECT a FROM t;",
        "SELECT a FROM t;;;",
        "  SELECT\n\ta\r\nFROM t  ;  ",
        "-- leading comment\nSELECT a FROM t",
        "SELECT a // trailing\nFROM t",
        "SELECT /* inline \n multi-line */ a FROM t",
        "SELECT a FROM t; -- comment after",
        "SELECT a FROM t -- comment at end without newline",
    ] {
        assert_eq!(select(q), base, "{q}");
    }
}

// ===== literals ===========================================================================

#[test]
fn string_literals() {
    assert_eq!(lit("'it''s'"), Literal::String(s("it's")));
    assert_eq!(lit("''"), Literal::String(s("")));
    assert_eq!(lit("$$it's $ raw$$"), Literal::String(s("it's $ raw")));
    assert_eq!(lit("'ünïcødé ✓'"), Literal::String(s("ünïcødé ✓")));
    assert_eq!(lit("'multi\nline'"), Literal::String(s("multi\nline")));
}

#[test]
fn numeric_literals() {
    assert_eq!(lit("42"), Literal::Integer(s("42")));
    assert_eq!(lit("-42"), Literal::Integer(s("-42")));
    assert_eq!(
        lit("123456789012345678901234567890"),
        Literal::Integer(s("123456789012345678901234567890"))
    );
    assert_eq!(lit("1.5"), Literal::Float(s("1.5")));
    assert_eq!(lit("-1.5"), Literal::Float(s("-1.5")));
    assert_eq!(lit("1."), Literal::Float(s("1.")));
    assert_eq!(lit("1e10"), Literal::Float(s("1e10")));
    assert_eq!(lit("-2.5E-3"), Literal::Float(s("-2.5E-3")));
    assert_eq!(lit("NaN"), Literal::Float(s("NaN")));
    assert_eq!(lit("Infinity"), Literal::Float(s("Infinity")));
    assert_eq!(lit("-Infinity"), Literal::Float(s("-Infinity")));
    assert_eq!(lit("- NaN"), Literal::Float(s("-NaN")));
}

#[test]
fn other_literals() {
    assert_eq!(lit("true"), Literal::Bool(true));
    assert_eq!(lit("FALSE"), Literal::Bool(false));
    assert_eq!(lit("null"), Literal::Null);
    assert_eq!(lit("NULL"), Literal::Null);
    assert_eq!(
        lit("550e8400-e29b-41d4-a716-446655440000"),
        Literal::Uuid(s("550e8400-e29b-41d4-a716-446655440000"))
    );
    assert_eq!(
        lit("ABCDEF01-E29B-41D4-A716-446655440000"),
        Literal::Uuid(s("ABCDEF01-E29B-41D4-A716-446655440000"))
    );
    assert_eq!(lit("0xCAFE"), Literal::Blob(vec![0xca, 0xfe]));
    assert_eq!(lit("0x"), Literal::Blob(vec![]));
    assert_eq!(lit("0X00ff"), Literal::Blob(vec![0, 255]));
    assert!(err("SELECT * FROM t WHERE c = 0xABC").contains("odd number of hex digits"));
    assert!(
        err("SELECT * FROM t WHERE c = 1h30m")
            .contains("A duration literal is not supported by the emulator")
    );
}

#[test]
fn collection_and_tuple_terms() {
    assert_eq!(term("[1, 2]"), Term::List(vec![int("1"), int("2")]));
    assert_eq!(term("[]"), Term::List(vec![]));
    assert_eq!(term("{1, 2}"), Term::Set(vec![int("1"), int("2")]));
    assert_eq!(term("{}"), Term::Map(vec![]));
    assert_eq!(
        term("{'a': 1, 'b': ?}"),
        Term::Map(vec![(string("a"), int("1")), (string("b"), Term::Bind(0))])
    );
    assert_eq!(term("(1, 'x')"), Term::Tuple(vec![int("1"), string("x")]));
    assert_eq!(term("(1)"), Term::Tuple(vec![int("1")]));
    assert_eq!(
        term("{'k': [1, {2}], 'l': (3, 4)}"),
        Term::Map(vec![
            (
                string("k"),
                Term::List(vec![int("1"), Term::Set(vec![int("2")])])
            ),
            (string("l"), Term::Tuple(vec![int("3"), int("4")])),
        ])
    );
}

#[test]
fn function_call_terms() {
    assert_eq!(
        term("now()"),
        Term::FunctionCall {
            name: s("now"),
            args: vec![]
        }
    );
    assert_eq!(
        term("UUID()"),
        Term::FunctionCall {
            name: s("uuid"),
            args: vec![]
        }
    );
    assert_eq!(
        term("toTimestamp(now())"),
        Term::FunctionCall {
            name: s("totimestamp"),
            args: vec![Term::FunctionCall {
                name: s("now"),
                args: vec![]
            }]
        }
    );
    assert_eq!(
        term("token(?)"),
        Term::FunctionCall {
            name: s("token"),
            args: vec![Term::Bind(0)]
        }
    );
    assert_eq!(
        term("system.now()"),
        Term::FunctionCall {
            name: s("now"),
            args: vec![]
        }
    );
    assert!(err("SELECT * FROM t WHERE c = myks.f()").contains("not supported by the emulator"));
    assert!(err("SELECT * FROM t WHERE c = (int) 3").contains("A type cast is not supported"));
    assert!(
        err("SELECT * FROM t WHERE c = {a: 1}")
            .contains("A user-defined type literal is not supported")
    );
}

// ===== bind markers =======================================================================

#[test]
fn bind_markers_numbered_in_textual_order() {
    let p = ok("SELECT * FROM t WHERE a = ? AND b IN ? AND c > ? LIMIT ?");
    assert_eq!(p.bind_count, 4);
    let Statement::Select(x) = p.statement else {
        panic!()
    };
    assert_eq!(x.where_clause[0], cmp("a", Operator::Eq, Term::Bind(0)));
    assert_eq!(
        x.where_clause[1],
        Relation::In {
            lhs: col("b"),
            values: InValues::Bind(1)
        }
    );
    assert_eq!(x.where_clause[2], cmp("c", Operator::Gt, Term::Bind(2)));
    assert_eq!(x.limit, Some(Term::Bind(3)));

    let p = ok("INSERT INTO t (a, b) VALUES (?, ?) USING TTL ? AND TIMESTAMP ?");
    assert_eq!(p.bind_count, 4);
    let Statement::Insert(i) = p.statement else {
        panic!()
    };
    assert_eq!(i.values, vec![Term::Bind(0), Term::Bind(1)]);
    assert_eq!(i.using.ttl, Some(Term::Bind(2)));
    assert_eq!(i.using.timestamp, Some(Term::Bind(3)));

    let p = ok("UPDATE t USING TTL ? SET a = ?, m[?] = ? WHERE k = ? IF v = ?");
    assert_eq!(p.bind_count, 6);
    let Statement::Update(u) = p.statement else {
        panic!()
    };
    assert_eq!(u.using.ttl, Some(Term::Bind(0)));
    assert_eq!(
        u.assignments,
        vec![
            Assignment::Set {
                column: s("a"),
                value: Term::Bind(1)
            },
            Assignment::SetElement {
                column: s("m"),
                key: Term::Bind(2),
                value: Term::Bind(3)
            },
        ]
    );
    assert_eq!(u.where_clause, vec![cmp("k", Operator::Eq, Term::Bind(4))]);
    assert_eq!(u.conditions[0].value, Term::Bind(5));

    let p = ok("SELECT * FROM t PER PARTITION LIMIT ? LIMIT ?");
    assert_eq!(p.bind_count, 2);
    let Statement::Select(x) = p.statement else {
        panic!()
    };
    assert_eq!(x.per_partition_limit, Some(Term::Bind(0)));
    assert_eq!(x.limit, Some(Term::Bind(1)));

    assert_eq!(ok("SELECT * FROM t").bind_count, 0);
}

#[test]
fn bind_markers_across_batch() {
    let p = ok("BEGIN BATCH USING TIMESTAMP ? \
         INSERT INTO t (a, b) VALUES (?, ?); \
         UPDATE t SET b = ? WHERE a = ?; \
         DELETE FROM t WHERE a = ? \
         APPLY BATCH");
    assert_eq!(p.bind_count, 6);
    let Statement::Batch(b) = p.statement else {
        panic!()
    };
    assert_eq!(b.using.timestamp, Some(Term::Bind(0)));
    let Statement::Delete(d) = &b.statements[2] else {
        panic!()
    };
    assert_eq!(d.where_clause, vec![cmp("a", Operator::Eq, Term::Bind(5))]);
}

#[test]
fn named_bind_markers_rejected() {
    let e = err("SELECT * FROM t WHERE a = :a");
    assert!(e.starts_with("line 1:26 "), "{e}");
    assert!(e.contains("named bind markers"), "{e}");
    assert!(e.contains("not supported by the emulator"), "{e}");
    assert!(err("SELECT * FROM t WHERE a IN :a").contains("named bind markers"));
    assert!(err("INSERT INTO t (a) VALUES (:a)").contains("named bind markers"));
}

// ===== SELECT =============================================================================

#[test]
fn select_full_form() {
    let x = select(
        "SELECT DISTINCT a, b AS bee, COUNT(*), count(1), count(c), writetime(d), ttl(e), \
         token(a), min(f), max(f), sum(f), avg(f) FROM ks.t WHERE a = 1 AND b > 2 \
         GROUP BY a, b ORDER BY b DESC, c ASC, d PER PARTITION LIMIT 5 LIMIT 10 \
         ALLOW FILTERING BYPASS CACHE USING TIMEOUT 30000ms",
    );
    assert!(x.distinct);
    assert!(!x.json);
    let items = x.items.unwrap();
    let sel: Vec<_> = items.iter().map(|i| i.selector.clone()).collect();
    let f = |name: &str, arg: &str| Selector::Function {
        name: name.to_string(),
        args: vec![Selector::Column(arg.to_string())],
    };
    assert_eq!(
        sel,
        vec![
            Selector::Column(s("a")),
            Selector::Column(s("b")),
            Selector::CountStar,
            Selector::CountStar,
            f("count", "c"),
            f("writetime", "d"),
            f("ttl", "e"),
            f("token", "a"),
            f("min", "f"),
            f("max", "f"),
            f("sum", "f"),
            f("avg", "f"),
        ]
    );
    assert_eq!(items[1].alias, Some(s("bee")));
    assert_eq!(items[0].alias, None);
    assert_eq!(x.from, qn(Some("ks"), "t"));
    assert_eq!(x.group_by, vec![s("a"), s("b")]);
    assert_eq!(
        x.order_by,
        vec![
            (s("b"), Order::Desc),
            (s("c"), Order::Asc),
            (s("d"), Order::Asc)
        ]
    );
    assert_eq!(x.per_partition_limit, Some(int("5")));
    assert_eq!(x.limit, Some(int("10")));
    assert!(x.allow_filtering);
    assert!(x.bypass_cache);
    assert_eq!(x.timeout, Some(s("30000ms")));
}

#[test]
fn select_minimal_and_json() {
    let x = select("SELECT * FROM t");
    assert_eq!(x.items, None);
    assert!(!x.distinct && !x.json && !x.allow_filtering && !x.bypass_cache);
    assert!(x.where_clause.is_empty() && x.order_by.is_empty() && x.group_by.is_empty());
    assert_eq!(
        (x.limit, x.per_partition_limit, x.timeout),
        (None, None, None)
    );

    let x = select("SELECT JSON * FROM t");
    assert!(x.json);
    assert_eq!(x.items, None);
    let x = select("SELECT JSON DISTINCT a FROM t");
    assert!(x.json && x.distinct);
    // `json` / `distinct` as column names.
    let x = select("SELECT json FROM t");
    assert!(!x.json);
    assert_eq!(x.items.unwrap()[0].selector, Selector::Column(s("json")));
    let x = select("SELECT distinct, json FROM t");
    assert!(!x.json && !x.distinct);
    assert_eq!(x.items.unwrap().len(), 2);
    let x = select("SELECT JSON json FROM t");
    assert!(x.json);
    assert_eq!(x.items.unwrap()[0].selector, Selector::Column(s("json")));
}

#[test]
fn select_literal_and_function_selectors() {
    let x = select("SELECT now(), toTimestamp(now()) AS ts, 'x', 1 FROM t");
    let items = x.items.unwrap();
    assert_eq!(
        items[0].selector,
        Selector::Function {
            name: s("now"),
            args: vec![]
        }
    );
    assert_eq!(
        items[1].selector,
        Selector::Function {
            name: s("totimestamp"),
            args: vec![Selector::Function {
                name: s("now"),
                args: vec![]
            }]
        }
    );
    assert_eq!(items[1].alias, Some(s("ts")));
    assert_eq!(
        items[2].selector,
        Selector::Literal(Literal::String(s("x")))
    );
    assert_eq!(
        items[3].selector,
        Selector::Literal(Literal::Integer(s("1")))
    );
    assert!(err("SELECT ? FROM t").contains("A bind marker in the select clause is not supported"));
    assert!(err("SELECT CAST(a AS text) FROM t").contains("CAST"));
    assert!(err("SELECT m['k'] FROM t").contains("not supported by the emulator"));
}

#[test]
fn where_relations() {
    let x = select(
        "SELECT * FROM t WHERE a = 1 AND b != 2 AND c < 3 AND d <= 4 AND e > 5 AND f >= 6 \
         AND s CONTAINS 7 AND m CONTAINS KEY 'k' AND n LIKE 'a%' AND p IN (1, 2, ?) \
         AND q IN ? AND r IN () AND m['k'] = 'v' AND v IS NOT NULL",
    );
    assert_eq!(
        x.where_clause,
        vec![
            cmp("a", Operator::Eq, int("1")),
            cmp("b", Operator::Neq, int("2")),
            cmp("c", Operator::Lt, int("3")),
            cmp("d", Operator::Lte, int("4")),
            cmp("e", Operator::Gt, int("5")),
            cmp("f", Operator::Gte, int("6")),
            cmp("s", Operator::Contains, int("7")),
            cmp("m", Operator::ContainsKey, string("k")),
            cmp("n", Operator::Like, string("a%")),
            Relation::In {
                lhs: col("p"),
                values: InValues::List(vec![int("1"), int("2"), Term::Bind(0)])
            },
            Relation::In {
                lhs: col("q"),
                values: InValues::Bind(1)
            },
            Relation::In {
                lhs: col("r"),
                values: InValues::List(vec![])
            },
            Relation::Compare {
                lhs: RelationLhs::MapElement {
                    column: s("m"),
                    key: string("k")
                },
                op: Operator::Eq,
                rhs: string("v")
            },
            Relation::IsNotNull(s("v")),
        ]
    );
}

#[test]
fn token_and_tuple_relations() {
    let x = select(
        "SELECT * FROM t WHERE token(a, b) > ? AND token(a) <= token(?) AND (c1, c2) > (?, ?) \
         AND (c1, c2) <= ? AND (c1) = (1) AND (c1, c2) IN ((1, 2), (3, 4)) AND (c1, c2) IN (?, ?) \
         AND (c1, c2) IN ?",
    );
    let tup = |c: &[&str]| RelationLhs::Tuple(c.iter().map(|x| x.to_string()).collect());
    assert_eq!(
        x.where_clause,
        vec![
            Relation::Compare {
                lhs: RelationLhs::Token(vec![s("a"), s("b")]),
                op: Operator::Gt,
                rhs: Term::Bind(0)
            },
            Relation::Compare {
                lhs: RelationLhs::Token(vec![s("a")]),
                op: Operator::Lte,
                rhs: Term::FunctionCall {
                    name: s("token"),
                    args: vec![Term::Bind(1)]
                }
            },
            Relation::Compare {
                lhs: tup(&["c1", "c2"]),
                op: Operator::Gt,
                rhs: Term::Tuple(vec![Term::Bind(2), Term::Bind(3)])
            },
            Relation::Compare {
                lhs: tup(&["c1", "c2"]),
                op: Operator::Lte,
                rhs: Term::Bind(4)
            },
            Relation::Compare {
                lhs: tup(&["c1"]),
                op: Operator::Eq,
                rhs: Term::Tuple(vec![int("1")])
            },
            Relation::In {
                lhs: tup(&["c1", "c2"]),
                values: InValues::List(vec![
                    Term::Tuple(vec![int("1"), int("2")]),
                    Term::Tuple(vec![int("3"), int("4")]),
                ])
            },
            Relation::In {
                lhs: tup(&["c1", "c2"]),
                values: InValues::List(vec![Term::Bind(5), Term::Bind(6)])
            },
            Relation::In {
                lhs: tup(&["c1", "c2"]),
                values: InValues::Bind(7)
            },
        ]
    );
    assert_eq!(ok("SELECT * FROM t WHERE (c1, c2) IN ?").bind_count, 1);
}

#[test]
fn parenthesized_relation() {
    let x = select("SELECT * FROM t WHERE (a = 1) AND ((b > 2))");
    assert_eq!(
        x.where_clause,
        vec![
            cmp("a", Operator::Eq, int("1")),
            cmp("b", Operator::Gt, int("2"))
        ]
    );
}

#[test]
fn select_unsupported_forms() {
    assert!(err("SELECT * FROM t WHERE a NOT IN (1)").contains("NOT IN is not supported"));
    assert!(err("SELECT * FROM t WHERE f(a) = 1").contains("not supported by the emulator"));
    assert!(err("SELECT * FROM t USING TIMEOUT ?").contains("not supported by the emulator"));
    assert!(
        err("SELECT * FROM t USING SERVICE LEVEL sl").contains("not supported by the emulator")
    );
    assert!(
        err("SELECT * FROM t ORDER BY similarity(v, ?)").contains("not supported by the emulator")
    );
    assert!(err("SELECT * FROM MUTATION_FRAGMENTS(t)").contains("not supported by the emulator"));
}

#[test]
fn driver_metadata_queries() {
    let queries = [
        "SELECT host_id, rpc_address, data_center, rack, tokens, cluster_name FROM system.local WHERE key='local'",
        "SELECT host_id, rpc_address, data_center, rack, tokens FROM system.peers",
        "SELECT keyspace_name, replication, durable_writes FROM system_schema.keyspaces",
        "SELECT keyspace_name, type_name, field_names, field_types FROM system_schema.types",
        "SELECT keyspace_name, table_name, column_name, kind, position, type FROM system_schema.columns",
        "SELECT keyspace_name, table_name, partitioner FROM system_schema.scylla_tables",
        "SELECT keyspace_name, table_name FROM system_schema.tables",
        "SELECT keyspace_name, view_name, base_table_name FROM system_schema.views",
        "SELECT keyspace_name, initial_tablets FROM system_schema.scylla_keyspaces",
        "SELECT schema_version FROM system.local WHERE key='local'",
        "SELECT * FROM system.local WHERE key='local'",
        "SELECT * FROM system.peers",
        "SELECT * FROM system.peers_v2",
        "SELECT * FROM system_schema.keyspaces",
        "SELECT * FROM system_schema.tables",
        "SELECT * FROM system_schema.columns",
        "SELECT * FROM system_schema.views",
        "SELECT * FROM system_schema.indexes",
        "SELECT * FROM system_schema.types",
        "SELECT * FROM system_schema.functions",
        "SELECT * FROM system_schema.aggregates",
        "SELECT * FROM system_schema.triggers",
        "SELECT peer, data_center, host_id, preferred_ip, rack, release_version, rpc_address, schema_version, tokens FROM system.peers",
        "SELECT cluster_name, release_version FROM system.local",
    ];
    for q in queries {
        let x = select(q);
        assert!(x.from.keyspace.is_some(), "{q}");
        // Partial refreshes append a keyspace filter; ScyllaDB-aware drivers append a timeout.
        if !q.contains("WHERE") {
            let p = ok(&format!("{q} where keyspace_name in ?"));
            assert_eq!(p.bind_count, 1, "{q}");
            let Statement::Select(x) = p.statement else {
                panic!()
            };
            assert_eq!(
                x.where_clause,
                vec![Relation::In {
                    lhs: col("keyspace_name"),
                    values: InValues::Bind(0)
                }]
            );
        }
        let x = select(&format!("{q} USING TIMEOUT 30000ms"));
        assert_eq!(x.timeout, Some(s("30000ms")), "{q}");
    }
    let x = select("SELECT * FROM system.local WHERE key='local'");
    assert_eq!(
        x.where_clause,
        vec![cmp("key", Operator::Eq, string("local"))]
    );
    let x = select(
        "SELECT keyspace_name, table_name, column_name, kind, position, type FROM system_schema.columns",
    );
    assert_eq!(x.items.unwrap()[5].selector, Selector::Column(s("type")));
}

// ===== INSERT / UPDATE / DELETE / BATCH ===================================================

#[test]
fn insert_forms() {
    let i = insert("INSERT INTO ks.t (a, \"B\", c) VALUES (1, 'x', [1, 2])");
    assert_eq!(i.table, qn(Some("ks"), "t"));
    assert_eq!(i.columns, vec![s("a"), s("B"), s("c")]);
    assert_eq!(
        i.values,
        vec![int("1"), string("x"), Term::List(vec![int("1"), int("2")])]
    );
    assert!(!i.if_not_exists);
    assert_eq!(i.using, Using::default());

    let i = insert("INSERT INTO t (a) VALUES (1) IF NOT EXISTS USING TTL 86400 AND TIMESTAMP 123");
    assert!(i.if_not_exists);
    assert_eq!(i.using.ttl, Some(int("86400")));
    assert_eq!(i.using.timestamp, Some(int("123")));

    let i = insert("INSERT INTO t (a) VALUES (1) USING TIMEOUT 5s");
    assert_eq!(i.using.timeout, Some(s("5s")));

    assert!(err("INSERT INTO t JSON '{}'").contains("INSERT JSON is not supported"));
    assert!(err("INSERT INTO t (a, b) VALUES (1)").contains("Unmatched column names/values"));
    assert!(parse("INSERT INTO t (a) VALUES (1) USING TTL 1 IF NOT EXISTS").is_err());
    assert!(err("INSERT INTO t (a) VALUES (1) USING TTL 1 AND TTL 2").contains("Duplicate"));
}

#[test]
fn update_forms() {
    let u = update(
        "UPDATE ks.t USING TTL 10 AND TIMESTAMP 20 SET a = 1, s = s + {1}, s = s - {2}, \
         l = [0] + l, l = l + [3], m = m + {'k': 'v'}, m['k'] = 'v', l[0] = 5, c = c + 1, \
         c = c - 1, c = c -1, ts = toTimestamp(now()) WHERE k = 1 AND c1 > 2",
    );
    assert_eq!(u.table, qn(Some("ks"), "t"));
    assert_eq!(u.using.ttl, Some(int("10")));
    assert_eq!(u.using.timestamp, Some(int("20")));
    use Assignment::*;
    assert_eq!(
        u.assignments,
        vec![
            Set {
                column: s("a"),
                value: int("1")
            },
            Append {
                column: s("s"),
                value: Term::Set(vec![int("1")])
            },
            Remove {
                column: s("s"),
                value: Term::Set(vec![int("2")])
            },
            Prepend {
                column: s("l"),
                value: Term::List(vec![int("0")])
            },
            Append {
                column: s("l"),
                value: Term::List(vec![int("3")])
            },
            Append {
                column: s("m"),
                value: Term::Map(vec![(string("k"), string("v"))])
            },
            SetElement {
                column: s("m"),
                key: string("k"),
                value: string("v")
            },
            SetElement {
                column: s("l"),
                key: int("0"),
                value: int("5")
            },
            Append {
                column: s("c"),
                value: int("1")
            },
            Remove {
                column: s("c"),
                value: int("1")
            },
            // `c -1` lexes as `c`, `-1` (as in ScyllaDB): an addition of -1.
            Append {
                column: s("c"),
                value: int("-1")
            },
            Set {
                column: s("ts"),
                value: Term::FunctionCall {
                    name: s("totimestamp"),
                    args: vec![Term::FunctionCall {
                        name: s("now"),
                        args: vec![]
                    }]
                }
            },
        ]
    );
    assert_eq!(
        u.where_clause,
        vec![
            cmp("k", Operator::Eq, int("1")),
            cmp("c1", Operator::Gt, int("2"))
        ]
    );
    assert!(!u.if_exists);
    assert!(u.conditions.is_empty());

    let u = update("UPDATE t SET a = 1 WHERE k = 1 IF EXISTS");
    assert!(u.if_exists);
    let u = update("UPDATE t SET a = 1 WHERE k = 1 IF a = 2 AND b != null AND c > 3");
    assert!(!u.if_exists);
    assert_eq!(
        u.conditions,
        vec![
            Condition {
                column: s("a"),
                op: Operator::Eq,
                value: int("2")
            },
            Condition {
                column: s("b"),
                op: Operator::Neq,
                value: Term::Literal(Literal::Null)
            },
            Condition {
                column: s("c"),
                op: Operator::Gt,
                value: int("3")
            },
        ]
    );
    // `exists` is an unreserved keyword, usable as a column in a condition.
    let u = update("UPDATE t SET a = 1 WHERE k = 1 IF exists = true");
    assert!(!u.if_exists);
    assert_eq!(u.conditions[0].column, "exists");

    let e = err("UPDATE t SET a = b + 1 WHERE k = 1");
    assert!(
        e.contains("Only expressions of the form X = X +<value> are supported."),
        "{e}"
    );
    assert_eq!(
        e,
        "Only expressions of the form X = X +<value> are supported."
    );
    let e = err("UPDATE t SET a = [1] + b WHERE k = 1");
    assert!(e.contains("X = <value> + X"), "{e}");
    assert!(err("UPDATE t SET a = 1").contains("expecting K_WHERE"));
    assert!(err("UPDATE t SET a = 1 WHERE k = 1 IF m['x'] = 1").contains("not supported"));
    assert!(err("UPDATE t SET a = 1 WHERE k = 1 IF a IN (1, 2)").contains("not supported"));
    assert!(err("UPDATE t SET u.f = 1 WHERE k = 1").contains("not supported"));
}

#[test]
fn delete_forms() {
    let d = delete("DELETE FROM ks.t WHERE k = 1");
    assert!(d.targets.is_empty());
    assert_eq!(d.table, qn(Some("ks"), "t"));
    let d = delete(
        "DELETE a, m['k'], l[0] FROM t USING TIMESTAMP 5 WHERE k = 1 AND c >= 2 AND c < 5 IF EXISTS",
    );
    assert_eq!(
        d.targets,
        vec![
            DeleteTarget {
                column: s("a"),
                element: None
            },
            DeleteTarget {
                column: s("m"),
                element: Some(string("k"))
            },
            DeleteTarget {
                column: s("l"),
                element: Some(int("0"))
            },
        ]
    );
    assert_eq!(d.using.timestamp, Some(int("5")));
    assert_eq!(d.where_clause.len(), 3);
    assert!(d.if_exists);
    let d = delete("DELETE FROM t USING TIMESTAMP ? AND TIMEOUT 1s WHERE k = ? IF a = ?");
    assert_eq!(d.using.timestamp, Some(Term::Bind(0)));
    assert_eq!(d.using.timeout, Some(s("1s")));
    assert_eq!(d.conditions[0].value, Term::Bind(2));
    delete("DELETE FROM t WHERE k = 1 BYPASS LARGE_DATA_GUARDRAILS");
    // No TTL on DELETE.
    assert!(parse("DELETE FROM t USING TTL 5 WHERE k = 1").is_err());
    assert!(parse("DELETE FROM t").is_err());
}

#[test]
fn batch_forms() {
    let Statement::Batch(b) =
        stmt("BEGIN BATCH INSERT INTO t (a) VALUES (1) INSERT INTO t (a) VALUES (2); APPLY BATCH;")
    else {
        panic!()
    };
    assert_eq!(b.kind, BatchKind::Logged);
    assert_eq!(b.statements.len(), 2);
    let Statement::Batch(b) = stmt(
        "begin unlogged batch using timestamp 1 and ttl 2 update t set a = 1 where k = 1; \
         delete from t where k = 2; apply batch",
    ) else {
        panic!()
    };
    assert_eq!(b.kind, BatchKind::Unlogged);
    assert_eq!(b.using.timestamp, Some(int("1")));
    assert_eq!(b.using.ttl, Some(int("2")));
    assert!(matches!(b.statements[0], Statement::Update(_)));
    assert!(matches!(b.statements[1], Statement::Delete(_)));
    let Statement::Batch(b) = stmt(
        "BEGIN COUNTER BATCH UPDATE t SET c = c + 1 WHERE k = 1; UPDATE t SET c = c - 1 WHERE k = 2; APPLY BATCH",
    ) else {
        panic!()
    };
    assert_eq!(b.kind, BatchKind::Counter);
    let Statement::Batch(b) = stmt("BEGIN BATCH APPLY BATCH") else {
        panic!()
    };
    assert!(b.statements.is_empty());
    let e = err("BEGIN BATCH SELECT * FROM t APPLY BATCH");
    assert_eq!(e, "line 1:12 mismatched input 'SELECT' expecting K_APPLY");
}

// ===== DDL ================================================================================

#[test]
fn keyspaces() {
    let Statement::CreateKeyspace(k) = stmt(
        "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1} \
         AND durable_writes = true AND tablets = {'enabled': false}",
    ) else {
        panic!()
    };
    assert_eq!(k.name, "ks");
    assert!(k.if_not_exists);
    assert_eq!(
        k.properties,
        vec![
            Property {
                name: s("replication"),
                value: PropertyValue::Map(vec![
                    (
                        Literal::String(s("class")),
                        Literal::String(s("NetworkTopologyStrategy"))
                    ),
                    (
                        Literal::String(s("replication_factor")),
                        Literal::Integer(s("1"))
                    ),
                ])
            },
            Property {
                name: s("durable_writes"),
                value: PropertyValue::Constant(Literal::Bool(true))
            },
            Property {
                name: s("tablets"),
                value: PropertyValue::Map(vec![(
                    Literal::String(s("enabled")),
                    Literal::Bool(false)
                )])
            },
        ]
    );
    let Statement::CreateKeyspace(k) =
        stmt("create schema \"MyKs\" with replication = {'class': 'SimpleStrategy'}")
    else {
        panic!()
    };
    assert_eq!(k.name, "MyKs");
    assert!(!k.if_not_exists);
    assert_eq!(
        stmt("DROP KEYSPACE IF EXISTS ks"),
        Statement::DropKeyspace {
            name: s("ks"),
            if_exists: true
        }
    );
    assert_eq!(
        stmt("DROP KEYSPACE ks"),
        Statement::DropKeyspace {
            name: s("ks"),
            if_exists: false
        }
    );
    assert_eq!(stmt("USE ks"), Statement::Use(s("ks")));
    assert_eq!(stmt("USE \"Ks\";"), Statement::Use(s("Ks")));
    assert!(err("USE ?").contains("Bind variables cannot be used for keyspace names"));
}

#[test]
fn create_table_forms() {
    let t = create_table(
        "CREATE TABLE IF NOT EXISTS ks.t (pk1 int, pk2 text, c1 timeuuid, c2 bigint, s int STATIC, \
         v varchar, l list<int>, st set<text>, m map<int, text>, f frozen<set<int>>, \
         tu tuple<int, text, frozen<list<blob>>>, PRIMARY KEY ((pk1, pk2), c1, c2)) \
         WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC) AND comment = 'hello' AND gc_grace_seconds = 10 \
         AND compaction = {'class': 'SizeTieredCompactionStrategy'} AND caching = {'keys': 'ALL'}",
    );
    assert_eq!(t.name, qn(Some("ks"), "t"));
    assert!(t.if_not_exists);
    let types: Vec<_> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.ty.clone()))
        .collect();
    use NativeType as N;
    assert_eq!(
        types,
        vec![
            ("pk1", native(N::Int)),
            ("pk2", native(N::Text)),
            ("c1", native(N::Timeuuid)),
            ("c2", native(N::Bigint)),
            ("s", native(N::Int)),
            ("v", native(N::Text)),
            ("l", CqlType::List(Box::new(native(N::Int)))),
            ("st", CqlType::Set(Box::new(native(N::Text)))),
            (
                "m",
                CqlType::Map(Box::new(native(N::Int)), Box::new(native(N::Text)))
            ),
            (
                "f",
                CqlType::Frozen(Box::new(CqlType::Set(Box::new(native(N::Int)))))
            ),
            (
                "tu",
                CqlType::Tuple(vec![
                    native(N::Int),
                    native(N::Text),
                    CqlType::Frozen(Box::new(CqlType::List(Box::new(native(N::Blob))))),
                ])
            ),
        ]
    );
    assert!(t.columns[4].is_static);
    assert!(!t.columns[0].is_static);
    assert!(t.columns.iter().all(|c| !c.primary_key));
    assert_eq!(
        t.primary_key,
        Some(PrimaryKey {
            partition: vec![s("pk1"), s("pk2")],
            clustering: vec![s("c1"), s("c2")]
        })
    );
    assert_eq!(
        t.clustering_order,
        vec![(s("c1"), Order::Desc), (s("c2"), Order::Asc)]
    );
    assert_eq!(t.properties[0], prop_str("comment", "hello"));
    assert_eq!(
        t.properties[1],
        Property {
            name: s("gc_grace_seconds"),
            value: PropertyValue::Constant(Literal::Integer(s("10")))
        }
    );
    assert_eq!(t.properties.len(), 4);

    let t = create_table("CREATE TABLE t (id uuid PRIMARY KEY, v int)");
    assert!(t.columns[0].primary_key);
    assert_eq!(t.primary_key, None);
    assert!(t.clustering_order.is_empty() && t.properties.is_empty());

    let t = create_table("CREATE COLUMNFAMILY t (a int, c int, PRIMARY KEY (a, c),)");
    assert_eq!(
        t.primary_key,
        Some(PrimaryKey {
            partition: vec![s("a")],
            clustering: vec![s("c")]
        })
    );
    let t = create_table("CREATE TABLE t (a int, PRIMARY KEY ((a)))");
    assert_eq!(t.primary_key.unwrap().partition, vec![s("a")]);

    // Every native type.
    let all = "ascii bigint blob boolean counter date decimal double duration float inet int \
               smallint text time timestamp timeuuid tinyint uuid varint varchar";
    let cols: Vec<String> = all
        .split_whitespace()
        .enumerate()
        .map(|(i, ty)| format!("c{i} {ty}"))
        .collect();
    let t = create_table(&format!(
        "CREATE TABLE t (k int PRIMARY KEY, {})",
        cols.join(", ")
    ));
    assert_eq!(t.columns.len(), 22);
    assert_eq!(t.columns[21].ty, native(N::Text));
    assert_eq!(t.columns[5].ty, native(N::Counter));

    assert!(
        err("CREATE TABLE t (a int PRIMARY KEY) WITH COMPACT STORAGE").contains("COMPACT STORAGE")
    );
    assert!(
        err("CREATE TABLE t (a my_udt PRIMARY KEY)")
            .contains("A user-defined type is not supported")
    );
    assert!(err("CREATE TABLE t (a vector<float, 3> PRIMARY KEY)").contains("not supported"));
    assert!(
        err("CREATE TABLE t (a int, PRIMARY KEY (a), PRIMARY KEY (a))")
            .contains("Multiple PRIMARY KEYs")
    );
    assert!(parse("CREATE TABLE t (a int PRIMARY KEY) WITH CLUSTERING ORDER BY (a)").is_err());
    assert!(parse("CREATE TABLE t (a set PRIMARY KEY)").is_err());
}

#[test]
fn table_properties_values() {
    let t = create_table(
        "CREATE TABLE t (a int PRIMARY KEY) WITH x = -1.5 AND y = text AND z = null \
         AND w = 'str' AND \"Quoted\" = 1",
    );
    assert_eq!(
        t.properties[0].value,
        PropertyValue::Constant(Literal::Float(s("-1.5")))
    );
    assert_eq!(
        t.properties[1].value,
        PropertyValue::Constant(Literal::Identifier(s("text")))
    );
    assert_eq!(
        t.properties[2].value,
        PropertyValue::Constant(Literal::Null)
    );
    assert_eq!(t.properties[4].name, "Quoted");
    // A plain identifier is not a property value in ScyllaDB (only unreserved keywords are).
    assert!(parse("CREATE TABLE t (a int PRIMARY KEY) WITH x = foo").is_err());
    assert!(parse("CREATE TABLE t (a int PRIMARY KEY) WITH x = {'a': [1]}").is_err());
}

#[test]
fn drop_truncate() {
    assert_eq!(
        stmt("DROP TABLE IF EXISTS ks.t"),
        Statement::DropTable {
            name: qn(Some("ks"), "t"),
            if_exists: true
        }
    );
    assert_eq!(
        stmt("DROP COLUMNFAMILY t"),
        Statement::DropTable {
            name: qn(None, "t"),
            if_exists: false
        }
    );
    assert_eq!(stmt("TRUNCATE t"), Statement::Truncate(qn(None, "t")));
    assert_eq!(
        stmt("TRUNCATE TABLE ks.t"),
        Statement::Truncate(qn(Some("ks"), "t"))
    );
    assert_eq!(
        stmt("TRUNCATE COLUMNFAMILY ks.t USING TIMEOUT 10s"),
        Statement::Truncate(qn(Some("ks"), "t"))
    );
    assert_eq!(
        stmt("DROP INDEX IF EXISTS ks.idx"),
        Statement::DropIndex {
            name: qn(Some("ks"), "idx"),
            if_exists: true
        }
    );
    assert_eq!(
        stmt("DROP INDEX idx"),
        Statement::DropIndex {
            name: qn(None, "idx"),
            if_exists: false
        }
    );
    assert_eq!(
        stmt("DROP MATERIALIZED VIEW IF EXISTS ks.mv"),
        Statement::DropView {
            name: qn(Some("ks"), "mv"),
            if_exists: true
        }
    );
    assert!(err("DROP TABLE ?").contains("Bind variables cannot be used for table names"));
}

#[test]
fn alter_table_forms() {
    assert_eq!(
        alter("ALTER TABLE t ADD v int"),
        AlterTableOp::Add(vec![ColumnDef {
            name: s("v"),
            ty: native(NativeType::Int),
            is_static: false,
            primary_key: false
        }])
    );
    let AlterTableOp::Add(cols) = alter("ALTER TABLE ks.t ADD (a int, b set<text> static)") else {
        panic!()
    };
    assert_eq!(cols.len(), 2);
    assert!(cols[1].is_static);
    assert_eq!(
        alter("ALTER TABLE t DROP v"),
        AlterTableOp::Drop(vec![s("v")])
    );
    assert_eq!(
        alter("ALTER TABLE t DROP (a, b)"),
        AlterTableOp::Drop(vec![s("a"), s("b")])
    );
    assert_eq!(
        alter("ALTER TABLE t WITH comment = 'x' AND gc_grace_seconds = 0"),
        AlterTableOp::With(vec![
            prop_str("comment", "x"),
            Property {
                name: s("gc_grace_seconds"),
                value: PropertyValue::Constant(Literal::Integer(s("0")))
            }
        ])
    );
    assert_eq!(
        alter("ALTER TABLE t RENAME a TO b AND c TO d"),
        AlterTableOp::Rename(vec![(s("a"), s("b")), (s("c"), s("d"))])
    );
    assert_eq!(
        alter("ALTER TABLE t ALTER v TYPE blob"),
        AlterTableOp::AlterType {
            column: s("v"),
            ty: native(NativeType::Blob)
        }
    );
    let Statement::AlterTable(a) = stmt("ALTER TABLE ks.t ADD v int") else {
        panic!()
    };
    assert_eq!(a.name, qn(Some("ks"), "t"));
    assert!(err("ALTER TABLE t DROP v USING TIMESTAMP 1").contains("not supported"));
    assert!(parse("ALTER TABLE t ADD v int PRIMARY KEY").is_err());
    assert!(parse("ALTER TABLE t").is_err());
}

#[test]
fn create_index_forms() {
    let i = create_index(
        "CREATE INDEX IF NOT EXISTS sale_order__zz_hb_detail_products_ids_week_b4_index_0 ON ks.sale_order (VALUES(zz_hb_detail_products_ids_week_b4))",
    );
    assert_eq!(
        i.name.as_deref(),
        Some("sale_order__zz_hb_detail_products_ids_week_b4_index_0")
    );
    assert!(i.if_not_exists);
    assert_eq!(i.table, qn(Some("ks"), "sale_order"));
    assert_eq!(
        i.target,
        IndexTarget::Global(IndexColumn {
            kind: IndexKind::Values,
            column: s("zz_hb_detail_products_ids_week_b4")
        })
    );
    assert_eq!(i.custom_class, None);
    assert!(i.properties.is_empty());

    let i = create_index("CREATE INDEX ON t ((empresa_id), zz_ixp_status_updated)");
    assert_eq!(i.name, None);
    assert!(!i.if_not_exists);
    assert_eq!(
        i.target,
        IndexTarget::Local {
            partition: vec![s("empresa_id")],
            column: IndexColumn {
                kind: IndexKind::Bare,
                column: s("zz_ixp_status_updated")
            }
        }
    );

    let i = create_index("CREATE INDEX ON t ((p1, p2), VALUES(s))");
    assert_eq!(
        i.target,
        IndexTarget::Local {
            partition: vec![s("p1"), s("p2")],
            column: IndexColumn {
                kind: IndexKind::Values,
                column: s("s")
            }
        }
    );
    for (q, kind) in [
        ("CREATE INDEX i ON t (v)", IndexKind::Bare),
        ("CREATE INDEX i ON t (KEYS(m))", IndexKind::Keys),
        ("CREATE INDEX i ON t (entries(m))", IndexKind::Entries),
        ("CREATE INDEX i ON t (FULL(m))", IndexKind::Full),
        ("CREATE INDEX i ON t (values(m))", IndexKind::Values),
    ] {
        let i = create_index(q);
        assert_eq!(i.name.as_deref(), Some("i"));
        let IndexTarget::Global(c) = i.target else {
            panic!()
        };
        assert_eq!(c.kind, kind, "{q}");
    }
    // Columns named like the index functions.
    let i = create_index("CREATE INDEX ON t (values)");
    assert_eq!(
        i.target,
        IndexTarget::Global(IndexColumn {
            kind: IndexKind::Bare,
            column: s("values")
        })
    );
    let i = create_index("CREATE INDEX ON t (keys)");
    assert_eq!(
        i.target,
        IndexTarget::Global(IndexColumn {
            kind: IndexKind::Bare,
            column: s("keys")
        })
    );

    let i = create_index(
        "CREATE CUSTOM INDEX IF NOT EXISTS ON t (v) USING 'org.apache.cassandra.index.sasi.SASIIndex' \
         WITH OPTIONS = {'mode': 'CONTAINS'}",
    );
    assert_eq!(
        i.custom_class.as_deref(),
        Some("org.apache.cassandra.index.sasi.SASIIndex")
    );
    assert_eq!(i.properties[0].name, "options");
    assert!(parse("CREATE INDEX ON t ()").is_err());
    assert!(err("CREATE INDEX ON t (a, b)").contains("not supported by the emulator"));
    assert!(parse("CREATE INDEX ON t ((a, b))").is_err());
}

#[test]
fn create_view_forms() {
    let v = create_view(
        "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id)",
    );
    assert_eq!(v.name, qn(None, "mv"));
    assert!(!v.if_not_exists);
    assert_eq!(v.base, qn(None, "t"));
    assert_eq!(v.columns, None);
    assert_eq!(
        v.where_clause,
        vec![
            Relation::IsNotNull(s("pk")),
            Relation::IsNotNull(s("packed")),
            Relation::IsNotNull(s("id")),
        ]
    );
    assert_eq!(
        v.primary_key,
        PrimaryKey {
            partition: vec![s("pk")],
            clustering: vec![s("packed"), s("id")]
        }
    );
    assert!(v.clustering_order.is_empty() && v.properties.is_empty());

    let v = create_view(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS ks.mv AS SELECT a, b, c FROM ks.t \
         WHERE a IS NOT NULL AND b IS NOT NULL AND c = 5 PRIMARY KEY (b, a) \
         WITH CLUSTERING ORDER BY (a DESC) AND synchronous_updates = true AND comment = 'x'",
    );
    assert!(v.if_not_exists);
    assert_eq!(v.name, qn(Some("ks"), "mv"));
    assert_eq!(v.columns, Some(vec![s("a"), s("b"), s("c")]));
    assert_eq!(v.where_clause[2], cmp("c", Operator::Eq, int("5")));
    assert_eq!(
        v.primary_key,
        PrimaryKey {
            partition: vec![s("b")],
            clustering: vec![s("a")]
        }
    );
    assert_eq!(v.clustering_order, vec![(s("a"), Order::Desc)]);
    assert_eq!(
        v.properties[0],
        Property {
            name: s("synchronous_updates"),
            value: PropertyValue::Constant(Literal::Bool(true))
        }
    );
    let v = create_view("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t PRIMARY KEY ((a, b), c)");
    assert!(v.where_clause.is_empty());
    assert_eq!(v.primary_key.partition, vec![s("a"), s("b")]);
    assert!(
        err("CREATE MATERIALIZED VIEW mv AS SELECT a AS x FROM t PRIMARY KEY (a)")
            .contains("not supported by the emulator")
    );
    assert!(parse("CREATE MATERIALIZED VIEW mv AS SELECT * FROM t").is_err());
}

#[test]
fn unsupported_statements() {
    for (q, what) in [
        ("CREATE TYPE ks.address (street text)", "CREATE TYPE"),
        (
            "CREATE FUNCTION f (a int) CALLED ON NULL INPUT RETURNS int LANGUAGE lua AS 'return a'",
            "CREATE FUNCTION",
        ),
        (
            "CREATE OR REPLACE FUNCTION f () RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE lua AS ''",
            "CREATE FUNCTION",
        ),
        (
            "CREATE AGGREGATE a (int) SFUNC f STYPE int",
            "CREATE AGGREGATE",
        ),
        ("CREATE ROLE r", "CREATE ROLE"),
        ("CREATE USER u WITH PASSWORD 'p'", "CREATE USER"),
        ("CREATE SERVICE LEVEL sl", "CREATE SERVICE LEVEL"),
        (
            "ALTER KEYSPACE ks WITH durable_writes = false",
            "ALTER KEYSPACE",
        ),
        ("ALTER TYPE t ADD f int", "ALTER TYPE"),
        (
            "ALTER MATERIALIZED VIEW mv WITH comment = ''",
            "ALTER MATERIALIZED VIEW",
        ),
        ("ALTER ROLE r WITH LOGIN = true", "ALTER ROLE"),
        ("ALTER USER u WITH PASSWORD 'x'", "ALTER USER"),
        ("DROP TYPE t", "DROP TYPE"),
        ("DROP FUNCTION f", "DROP FUNCTION"),
        ("DROP AGGREGATE a", "DROP AGGREGATE"),
        ("DROP ROLE r", "DROP ROLE"),
        ("DROP USER u", "DROP USER"),
        ("GRANT SELECT ON ks.t TO r", "GRANT"),
        ("REVOKE SELECT ON ks.t FROM r", "REVOKE"),
        ("LIST ROLES", "LIST ROLES"),
        ("LIST ALL PERMISSIONS", "LIST ALL"),
        ("DESCRIBE KEYSPACES", "DESCRIBE"),
        ("DESC TABLE t", "DESCRIBE"),
        ("PRUNE MATERIALIZED VIEW mv", "PRUNE MATERIALIZED VIEW"),
    ] {
        let e = err(q);
        assert!(
            e.contains(&format!("{what} is not supported by the emulator")),
            "{q}: {e}"
        );
        assert!(e.starts_with("line 1:"), "{q}: {e}");
    }
}

// ===== errors =============================================================================

#[test]
fn error_messages_and_positions() {
    assert_eq!(err("FOO"), "line 1:0 no viable alternative at input 'FOO'");
    assert_eq!(
        err("SELEC * FROM t"),
        "line 1:0 no viable alternative at input 'SELEC'"
    );
    assert_eq!(err(""), "line 1:0 no viable alternative at input '<EOF>'");
    assert_eq!(
        err("   "),
        "line 1:3 no viable alternative at input '<EOF>'"
    );
    assert_eq!(
        err("SELECT a, b, c, d, e;"),
        "line 1:20 mismatched input ';' expecting K_FROM"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE"),
        "line 1:21 no viable alternative at input '<EOF>'"
    );
    assert_eq!(
        err("SELECT * FROM t LIMIT 1 ALLOW FILTERING WHERE a = 1"),
        "line 1:40 mismatched input 'WHERE' expecting EOF"
    );
    assert_eq!(
        err("SELECT * FROM t\nWHERE a = 1\n  AND b FOO 2"),
        "line 3:8 no viable alternative at input 'FOO'"
    );
    assert_eq!(
        err("INSERT INTO t (a) VALUES (1"),
        "line 1:27 mismatched input '<EOF>' expecting ')'"
    );
    assert_eq!(
        err("INSERT t (a) VALUES (1)"),
        "line 1:7 mismatched input 't' expecting K_INTO"
    );
    assert_eq!(
        err("CREATE TABLE t (a int PRIMARY KEY"),
        "line 1:33 mismatched input '<EOF>' expecting ')'"
    );
    assert_eq!(
        err("CREATE TABLE t (select int PRIMARY KEY)"),
        "line 1:16 no viable alternative at input 'select'"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE a = 1 AND"),
        "line 1:31 no viable alternative at input '<EOF>'"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE a @ 1"),
        "line 1:24 no viable alternative at character '@'"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE a = 'unterminated"),
        "line 1:39 mismatched character '<EOF>' expecting '''"
    );
    assert_eq!(
        err("SELECT * FROM t; SELECT * FROM t"),
        "line 1:17 mismatched input 'SELECT' expecting EOF"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE a = 1 'str'"),
        "line 1:28 mismatched input 'str' expecting EOF"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE \"Col\" \"X\""),
        "line 1:28 no viable alternative at input 'X'"
    );
    // Recognition errors ScyllaDB reports without a position.
    assert_eq!(
        err("USE ?"),
        "Bind variables cannot be used for keyspace names"
    );
    assert_eq!(
        err("SELECT * FROM ?"),
        "Bind variables cannot be used for table names"
    );
    assert_eq!(
        err("SELECT * FROM ?.t"),
        "Bind variables cannot be used for keyspace names"
    );
    assert_eq!(
        err("CREATE INDEX ? ON t (a)"),
        "Bind variables cannot be used for index names"
    );
    assert_eq!(
        err("UPDATE t SET c = c2 - 1 WHERE k = 1"),
        "Only expressions of the form X = X -<value> are supported."
    );
    assert_eq!(
        err("UPDATE t SET c = c2 -1 WHERE k = 1"),
        "Only expressions of the form X = X - <value> are supported."
    );
    assert_eq!(
        err("CREATE TABLE t (a empty PRIMARY KEY)"),
        "Invalid (reserved) user type name empty"
    );
    assert_eq!(
        err(&format!(
            "SELECT * FROM t WHERE a = {}1{}",
            "[".repeat(11),
            "]".repeat(11)
        )),
        "expression nested too deeply"
    );
    // ScyllaDB's limit is 12 levels (relation + 11 terms here).
    ok(&format!(
        "SELECT * FROM t WHERE a = {}1{}",
        "[".repeat(10),
        "]".repeat(10)
    ));
    // Columns count characters, not bytes.
    assert_eq!(
        err("SELECT * FROM t WHERE a = 'é' FOO"),
        "line 1:30 mismatched input 'FOO' expecting EOF"
    );
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let deep = format!(
        "SELECT * FROM t WHERE a = {}1{}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(err(&deep).contains("expression nested too deeply"));
    let deep = format!(
        "INSERT INTO t (a) VALUES ({}1{})",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(err(&deep).contains("nested too deeply"));
    let deep = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(err(&deep).contains("nested too deeply"));
    let deep = format!(
        "SELECT {}a{} FROM t",
        "f(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(err(&deep).contains("nested too deeply"));
    let deep = format!(
        "CREATE TABLE t (a {}int{} PRIMARY KEY)",
        "frozen<".repeat(10_000),
        ">".repeat(10_000)
    );
    assert!(err(&deep).contains("nested too deeply"));
    let deep = format!(
        "SELECT * FROM t WHERE a = {}1{}",
        "{".repeat(10_000),
        "}".repeat(10_000)
    );
    assert!(err(&deep).contains("nested too deeply"));
    // Reasonable nesting is fine.
    ok("INSERT INTO t (a) VALUES ({'k': [{1: (2, [3])}]})");
    ok(
        "CREATE TABLE t (a frozen<map<text, frozen<list<frozen<set<frozen<tuple<int, text>>>>>>>> PRIMARY KEY)",
    );
}

#[test]
fn large_statement_parses_quickly() {
    let mut q = String::from("BEGIN UNLOGGED BATCH ");
    for i in 0..5_000 {
        q.push_str(&format!(
            "INSERT INTO ks.t (a, b, c) VALUES ({i}, 'v{i}', ?); "
        ));
    }
    q.push_str("APPLY BATCH");
    let start = std::time::Instant::now();
    let p = ok(&q);
    assert_eq!(p.bind_count, 5_000);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

// ===== ORM DDL ============================================================================

#[test]
fn orm_generated_ddl() {
    ok(
        "CREATE KEYSPACE IF NOT EXISTS orm_test WITH replication = {'class': 'NetworkTopologyStrategy', 'replication_factor': 1} AND tablets = {'enabled': false}",
    );
    ok(
        "CREATE TABLE IF NOT EXISTS orm_test.sale_order (empresa_id bigint, id uuid, week int, status text, updated timestamp, zz_hb_detail_products_ids_week_b4 set<bigint>, zz_ixp_status_updated text, packed blob, PRIMARY KEY ((empresa_id), id)) WITH CLUSTERING ORDER BY (id ASC)",
    );
    ok(
        "CREATE INDEX IF NOT EXISTS sale_order__zz_hb_detail_products_ids_week_b4_index_0 ON ks.sale_order (VALUES(zz_hb_detail_products_ids_week_b4))",
    );
    ok("CREATE INDEX ON t ((empresa_id), zz_ixp_status_updated)");
    ok(
        "CREATE MATERIALIZED VIEW mv AS SELECT * FROM t WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id)",
    );
    ok(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS ks.mv AS SELECT * FROM ks.t WHERE pk IS NOT NULL AND packed IS NOT NULL AND id IS NOT NULL PRIMARY KEY ((pk), packed, id) WITH synchronous_updates = true",
    );
    ok("SELECT * FROM ks.mv WHERE pk = ? AND packed >= ? AND packed <= ?");
    ok(
        "SELECT id, status FROM ks.sale_order WHERE empresa_id = ? AND zz_hb_detail_products_ids_week_b4 CONTAINS ?",
    );
    ok(
        "UPDATE ks.sale_order SET zz_hb_detail_products_ids_week_b4 = zz_hb_detail_products_ids_week_b4 + ? WHERE empresa_id = ? AND id = ?",
    );
}

// ===== fuzzing ============================================================================

mod fuzz {
    use super::super::parse;
    use proptest::prelude::*;

    const VOCAB: &[&str] = &[
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "FROM",
        "WHERE",
        "AND",
        "INTO",
        "VALUES",
        "SET",
        "IF",
        "NOT",
        "EXISTS",
        "IN",
        "CONTAINS",
        "KEY",
        "TOKEN",
        "IS",
        "NULL",
        "CREATE",
        "TABLE",
        "INDEX",
        "ON",
        "MATERIALIZED",
        "VIEW",
        "AS",
        "PRIMARY",
        "WITH",
        "CLUSTERING",
        "ORDER",
        "BY",
        "DESC",
        "ASC",
        "LIMIT",
        "PER",
        "PARTITION",
        "ALLOW",
        "FILTERING",
        "BYPASS",
        "CACHE",
        "USING",
        "TTL",
        "TIMESTAMP",
        "TIMEOUT",
        "BEGIN",
        "BATCH",
        "APPLY",
        "UNLOGGED",
        "COUNTER",
        "KEYSPACE",
        "DROP",
        "ALTER",
        "ADD",
        "RENAME",
        "TO",
        "TYPE",
        "TRUNCATE",
        "USE",
        "COUNT",
        "DISTINCT",
        "JSON",
        "GROUP",
        "frozen",
        "list",
        "map",
        "set",
        "tuple",
        "int",
        "text",
        "VALUES",
        "KEYS",
        "ENTRIES",
        "FULL",
        "CUSTOM",
        "STATIC",
        "NaN",
        "Infinity",
        "true",
        "a",
        "b",
        "ks",
        "t",
        "\"Q\"",
        "'s'",
        "$$d$$",
        "1",
        "-1",
        "1.5",
        "1e3",
        "0xCAFE",
        "30000ms",
        "550e8400-e29b-41d4-a716-446655440000",
        "?",
        ":n",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ";",
        ".",
        ":",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "now()",
        "--c\n",
        "/*c*/",
    ];

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_strings_never_panic(s in ".{0,200}") {
            let _ = parse(&s);
        }

        #[test]
        fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..200)) {
            let s = String::from_utf8_lossy(&b);
            let _ = parse(&s);
        }

        #[test]
        fn token_soup_never_panics(idx in proptest::collection::vec(0..VOCAB.len(), 0..60)) {
            let q: Vec<&str> = idx.iter().map(|&i| VOCAB[i]).collect();
            let q = q.join(" ");
            if let Err(e) = parse(&q) {
                prop_assert!(!e.message.is_empty());
            }
        }

        #[test]
        fn token_soup_after_valid_prefix_never_panics(
            prefix in 0usize..6,
            idx in proptest::collection::vec(0..VOCAB.len(), 0..40),
        ) {
            let prefixes = [
                "SELECT * FROM t WHERE",
                "INSERT INTO t (a, b) VALUES",
                "UPDATE t SET",
                "CREATE TABLE t (",
                "CREATE INDEX ON t (",
                "BEGIN BATCH",
            ];
            let tail: Vec<&str> = idx.iter().map(|&i| VOCAB[i]).collect();
            let q = format!("{} {}", prefixes[prefix], tail.join(" "));
            let _ = parse(&q);
        }

        #[test]
        fn bind_count_matches_markers_in_valid_inserts(n in 1usize..30) {
            let cols: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            let marks = vec!["?"; n].join(", ");
            let q = format!("INSERT INTO t ({}) VALUES ({}) USING TTL ?", cols.join(", "), marks);
            let p = parse(&q).unwrap();
            prop_assert_eq!(p.bind_count, n + 1);
        }
    }
}
