//! Every invalid model declaration is a compile error pointing at the offending token.
//! Snapshots: `tests/ui/*.stderr` (regenerate with `TRYBUILD=overwrite`, then read them).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
