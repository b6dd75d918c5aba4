//! `voice-ledger residents import|list`.

use std::path::PathBuf;

use clap::Subcommand;
use voice_ledger::registry::read_registry;

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import residents from a CSV or XLSX file with Chinese column titles
    /// (姓名, 住址, 楼号, 室号, 联系电话, 出生年份, 标签).
    Import {
        /// The registry file.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List residents.
    List {
        /// Only residents whose name or address contains this text.
        #[arg(long)]
        search: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Import { file, json } => {
            let residents = read_registry(&file).map_err(bad_input)?;
            let counts = app.store()?.upsert_residents(&residents)?;
            if json {
                return print_json(&counts);
            }
            println!(
                "已导入 {} 位居民（新增 {}，更新 {}）/ imported {} residents ({} new, {} updated)",
                residents.len(),
                counts.added,
                counts.updated,
                residents.len(),
                counts.added,
                counts.updated
            );
            Ok(())
        }
        Command::List { search, json } => {
            let mut residents = app.store()?.residents()?;
            if let Some(text) = &search {
                residents.retain(|r| {
                    r.name.contains(text.as_str()) || r.address.contains(text.as_str())
                });
            }
            if json {
                return print_json(&residents);
            }
            for r in &residents {
                println!(
                    "{:<6} {:<24} {:<13} {:<6} {}",
                    r.name,
                    r.address,
                    r.phone.as_deref().unwrap_or("-"),
                    r.birth_year
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "-".into()),
                    r.tags.join("、")
                );
            }
            println!("共 {} 位 / {} residents", residents.len(), residents.len());
            Ok(())
        }
    }
}
