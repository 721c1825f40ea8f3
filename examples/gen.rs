//! Writes a generated topology to stdout: `cargo run --release --example gen -- COMPONENTS [SEED]`.
//!
//! About ten components per application cell; see `infra_lint::generate`.

use std::io::Write;

use infra_lint::generate::{COMPONENTS_PER_CELL, Shape, topology};

fn main() {
    let mut args = std::env::args().skip(1);
    let components: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let text = topology(Shape {
        cells: (components / COMPONENTS_PER_CELL).max(1),
        seed,
        varied_style: false,
    });
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).is_err() {
        std::process::exit(1);
    }
}
