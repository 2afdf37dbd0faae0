//! `dossier-samples`: writes a synthetic scanner batch and its ground truth.

use std::path::PathBuf;

use clap::Parser;
use dossier_samples::{BatchOptions, generate_batch};

/// Generates synthetic scanned integration dossiers (OUT/batch) and their truth (OUT/truth.json).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Folder to write into.
    #[arg(long, default_value = "samples/generated")]
    out: PathBuf,
    /// Number of dossiers.
    #[arg(long, default_value_t = 3)]
    dossiers: u32,
    /// Documents per dossier (1 to 5).
    #[arg(long, default_value_t = 3)]
    documents: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Largest skew, in degrees either way.
    #[arg(long, default_value_t = 7.0)]
    max_skew: f32,
    #[arg(long, default_value_t = 300)]
    dpi: u32,
    /// Standard deviation of grey noise.
    #[arg(long, default_value_t = 6.0)]
    noise: f32,
    /// No blank versos.
    #[arg(long)]
    no_blank_backs: bool,
    /// Share of pages fed sideways or upside down (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    turned: f32,
    /// Number of the first dossier (`INT-2026-<n>`): batches of several
    /// stations then hold different dossiers.
    #[arg(long, default_value_t = 1)]
    first_number: u32,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = BatchOptions {
        dossiers: args.dossiers,
        seed: args.seed,
        max_skew: args.max_skew,
        dpi: args.dpi,
        noise: args.noise,
        documents: args.documents,
        blank_backs: !args.no_blank_backs,
        first_number: args.first_number,
        turned: args.turned,
    };
    let truth = generate_batch(&args.out, &options)?;
    let pages: usize = truth.dossiers.iter().map(|d| d.pages.len()).sum();
    println!(
        "wrote {} dossiers, {pages} pages to {}",
        truth.dossiers.len(),
        args.out.join("batch").display()
    );
    Ok(())
}
