//! Shared by the fuzz targets.

use std::fmt::Debug;
use std::sync::LazyLock;

/// `Some(characters to print)` when `TRADEPACT_FUZZ_SHOW` is set.
static SHOW: LazyLock<Option<usize>> = LazyLock::new(|| {
    let value = std::env::var("TRADEPACT_FUZZ_SHOW").ok()?;
    Some(value.parse().unwrap_or(400).max(1))
});

/// With `TRADEPACT_FUZZ_SHOW` set, prints what a parser returned (cut to
/// 400 characters, or to the number the variable holds), to see what an
/// input does when run by hand:
///
/// ```text
/// TRADEPACT_FUZZ_SHOW=1 fuzz/target/x86_64-unknown-linux-gnu/release/wto_sheet FILE…
/// ```
///
/// Otherwise does nothing; the fuzzers only look for panics.
pub fn show<T: Debug, E: Debug>(label: &str, result: &Result<T, E>) {
    if let Some(limit) = *SHOW {
        let text = format!("{result:?}");
        let cut: String = text.chars().take(limit).collect();
        eprintln!(
            "{label}: {cut}{}",
            if cut.len() < text.len() { "…" } else { "" }
        );
    }
}
