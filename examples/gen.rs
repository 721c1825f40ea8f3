//! Writes a generated topology to stdout:
//! `cargo run --release --example gen -- COMPONENTS [SEED] [SHAPE]`.
//!
//! SHAPE is `estate` (the default: about ten components per application cell, one cell
//! in ten with defects), `defects` (every cell with defects), `one-host` (every
//! component on one host), `group` (one service group of every component) or `no-group`
//! (the same servers without the group); see `infra_lint::generate`.

use std::io::Write;

use infra_lint::generate::{COMPONENTS_PER_CELL, Shape, one_host, service_group, topology};

fn main() {
    let mut args = std::env::args().skip(1);
    let components: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let estate = |defect_every| {
        topology(Shape {
            cells: (components / COMPONENTS_PER_CELL).max(1),
            seed,
            defect_every,
            ..Shape::default()
        })
    };
    let text = match args.next().as_deref().unwrap_or("estate") {
        "estate" => estate(10),
        "defects" => estate(1),
        "one-host" => one_host(components),
        "group" => service_group(components, true),
        "no-group" => service_group(components, false),
        other => {
            eprintln!("unknown shape {other}: estate, defects, one-host, group or no-group");
            std::process::exit(2);
        }
    };
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).is_err() {
        std::process::exit(1);
    }
}
