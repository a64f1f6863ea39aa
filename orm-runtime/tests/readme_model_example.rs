//! The README's model example is the doc test of the `Model` trait (`src/model.rs`), which
//! runs it against the emulator: this keeps the two texts identical.

use std::path::Path;

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("`{end}` not found after `{start}`"));
    &text[from..from + len]
}

#[test]
fn readme_model_example_is_the_model_doc_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).expect("README.md");
    let source = std::fs::read_to_string(root.join("src/model.rs")).expect("src/model.rs");
    let in_readme = between(&readme, "## A model\n\n```rust\n", "```\n");
    let doc = between(
        &source,
        "/// ```\n/// use std::collections::BTreeSet;",
        "/// # #[tokio::main",
    );
    let in_doc: String = format!("/// use std::collections::BTreeSet;{doc}")
        .lines()
        .map(|l| {
            l.strip_prefix("/// ")
                .unwrap_or(l.trim_start_matches("///"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        in_readme, in_doc,
        "README.md's model example and the `Model` doc test in src/model.rs differ: keep them identical"
    );
}
