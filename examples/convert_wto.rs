//! Converts a recorded WTO RTA-IS export into the built-in world dataset,
//! through the same mapping the WTO refresh uses (`seed::world`):
//!
//!     cargo run --example convert_wto -- EXPORT RETRIEVED OUTPUT [--check]
//!
//! `EXPORT` is the `AllRTAs` sheet (CSV, or the xlsx workbook itself),
//! `RETRIEVED` the day it was taken (YYYY-MM-DD), `OUTPUT` the TOML file to
//! write. With `--check` nothing is written: the run fails when `OUTPUT`
//! differs from what the export gives. `data/wto/convert` runs it with the
//! repository's paths.

use std::path::PathBuf;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    let paths: Vec<&String> = args.iter().filter(|a| *a != "--check").collect();
    let [export, retrieved, output] = paths.as_slice() else {
        bail!("usage: convert_wto EXPORT RETRIEVED OUTPUT [--check]");
    };
    let export = PathBuf::from(export);
    let output = PathBuf::from(output);
    let body = std::fs::read(&export).with_context(|| format!("reading {}", export.display()))?;
    let world = tradepact::seed::world::world_toml(&body, retrieved)
        .with_context(|| format!("converting {}", export.display()))?;
    if check {
        let current = std::fs::read_to_string(&output)
            .with_context(|| format!("reading {}", output.display()))?;
        if current != world {
            bail!(
                "{} is stale: rerun data/wto/convert and commit the result",
                output.display()
            );
        }
        println!("{} is current", output.display());
        return Ok(());
    }
    std::fs::write(&output, world).with_context(|| format!("writing {}", output.display()))?;
    println!("wrote {}", output.display());
    Ok(())
}
