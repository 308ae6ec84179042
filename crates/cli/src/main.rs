//! `porchlight`: every core command from the terminal. Text for people, `--json` for scripts.
//!
//! Bad input exits with status 1 and one line naming what is wrong; nothing is stored.

mod args;
mod cases;
mod measures;
mod network;
mod partners;
mod run;
mod sheet;
mod text;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let json = cli.json;
    match run::run(cli) {
        Ok(output) => {
            if !output.is_empty() {
                println!("{output}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                let body = serde_json::json!({ "error": { "kind": e.kind, "message": e.message } });
                eprintln!("{body}");
            } else {
                eprintln!("porchlight: {}", e.message);
            }
            ExitCode::FAILURE
        }
    }
}
