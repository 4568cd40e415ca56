//! Conventions checked mechanically: every source file says what it is.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let undocumented: Vec<_> = files
        .iter()
        // `tests.rs` files are `#[cfg(test)] mod tests;` bodies, documented by their parent.
        .filter(|path| path.file_name().is_some_and(|name| name != "tests.rs"))
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("readable");
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "add a //! line to: {undocumented:?}"
    );
    assert!(files.len() > 10, "found the sources");
}

#[test]
fn the_readme_lists_every_agreement_id() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let seed = tradepact::seed::builtin().expect("built-in dataset parses");
    let listed: Vec<&str> = readme
        .lines()
        .skip_while(|line| *line != "## Agreement ids")
        .take_while(|line| *line != "## More")
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    // The curated agreements; the WTO's are `wto-<RTA ID>`, by rule.
    let ids: Vec<&str> = seed
        .dataset
        .agreements
        .keys()
        .map(String::as_str)
        .filter(|id| !id.starts_with("wto-"))
        .collect();
    let mut sorted_listed = listed.clone();
    sorted_listed.sort_unstable();
    assert_eq!(
        sorted_listed, ids,
        "README agreement table vs data/builtin.toml"
    );
}
