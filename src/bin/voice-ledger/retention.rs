//! `voice-ledger retention show|run`.

use chrono::Utc;
use clap::Subcommand;
use voice_ledger::retention;

use crate::app::{App, print_json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show when each kept recording will be deleted.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete the recordings whose retention period has passed.
    Run {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let mut store = app.store()?;
    match command {
        Command::Show { json } => {
            let items = retention::schedule(&store, &catalog, Utc::now())?;
            if json {
                return print_json(&items);
            }
            for i in &items {
                println!(
                    "{}  {}  {} 删除 / deleted after {}",
                    i.record_id,
                    i.audio_ref,
                    if i.due { "已到期" } else { "将于" },
                    i.delete_after.format("%Y-%m-%d")
                );
            }
            println!("共 {} 个录音 / {} recordings", items.len(), items.len());
            Ok(())
        }
        Command::Run { json } => {
            let deleted = retention::apply(&app.data, &mut store, &catalog, Utc::now())?;
            if json {
                return print_json(&deleted);
            }
            println!(
                "已删除 {} 个到期录音 / deleted {} recordings",
                deleted.len(),
                deleted.len()
            );
            Ok(())
        }
    }
}
