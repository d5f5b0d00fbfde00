//! Pull a model set with progress bars and report the time per asset:
//! `cargo run --release -p callassist-models --example pull -- [ci|default|all]`.

use std::time::Instant;

use callassist_models::{ModelHome, ModelSet, PullOptions, ensure, pull_assets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let set: ModelSet = std::env::args().nth(1).as_deref().unwrap_or("ci").parse()?;
    let home = ModelHome::from_env();
    println!("cache: {}", home.root().display());
    let opts = PullOptions { progress: true };
    for asset in set.assets() {
        let started = Instant::now();
        pull_assets(&home, &[*asset], &opts)?;
        let dir = ensure(&home, *asset)?;
        println!(
            "{asset}: {:.1} s -> {}",
            started.elapsed().as_secs_f32(),
            dir.display()
        );
    }
    Ok(())
}
