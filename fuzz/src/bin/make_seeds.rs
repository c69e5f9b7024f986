//! Writes the seed inputs of every target to `fuzz/seeds/<target>/seed-NN`:
//! `cargo run --manifest-path fuzz/Cargo.toml --bin make_seeds`. The seeds are committed; the
//! fuzz runs start from them and the regression test replays them.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for target in wechat_edge_fuzz::TARGETS {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        let seeds = wechat_edge_fuzz::seeds(target);
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), seed)?;
        }
        println!("{target}: {} seeds", seeds.len());
    }
    Ok(())
}
