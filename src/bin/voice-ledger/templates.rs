//! `voice-ledger templates list|show|check`.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Subcommand;
use serde_json::json;
use voice_ledger::ledger::{Catalog, GovernanceStatus};

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List record types and ledgers with their status.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one record type or ledger in full.
    Show {
        /// Record type or ledger id.
        id: String,
        /// Print JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
    /// Retire a ledger: no new entries, history stays exportable.
    Retire {
        /// Ledger id.
        id: String,
    },
    /// Check a template file without installing it.
    Check {
        /// The .toml file to check.
        file: PathBuf,
    },
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    match command {
        Command::List { json } => list(&app.catalog()?, json),
        Command::Show { id, json } => show(&app.catalog()?, &id, json),
        Command::Retire { id } => {
            let mut catalog = app.catalog()?;
            let today = chrono::Local::now().date_naive();
            let path = catalog
                .retire_ledger(&id, &app.data.templates_dir(), today)
                .map_err(bad_input)?;
            println!("已停用 / retired: {id} ({})", path.display());
            Ok(())
        }
        Command::Check { file } => {
            let catalog = Catalog::check_file(&file).map_err(bad_input)?;
            println!(
                "✓ {} 可以使用 / is valid ({} record types, {} ledgers known with it)",
                file.display(),
                catalog.record_type_ids().len(),
                catalog.ledgers().count()
            );
            Ok(())
        }
    }
}

fn status_label(status: GovernanceStatus) -> &'static str {
    match status {
        GovernanceStatus::Draft => "草稿 draft",
        GovernanceStatus::Active => "启用 active",
        GovernanceStatus::Retired => "停用 retired",
    }
}

fn list(catalog: &Catalog, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&json!({
            "record_types": catalog.record_types().iter().map(|rt| json!({
                "id": rt.id, "version": rt.version, "title": rt.title, "title_en": rt.title_en,
                "fields": rt.fields.len(),
                "ledgers": catalog.ledgers_for(&rt.id).iter().map(|l| &l.id).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "ledgers": catalog.ledgers().map(|l| json!({
                "id": l.id, "code": l.code, "title": l.title, "title_en": l.title_en,
                "department": l.department, "status": l.governance.status,
                "sources": l.sources.iter().map(|s| &s.record_type).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }));
    }
    println!("记录类型 / Record types");
    for rt in catalog.record_types() {
        println!(
            "  {:<12} v{}  {}  ({} fields)",
            rt.id,
            rt.version,
            rt.title,
            rt.fields.len()
        );
    }
    println!("\n台账 / Ledgers");
    for l in catalog.ledgers() {
        println!(
            "  {:<20} {:<6} {:<16} {:<12} {}",
            l.id,
            l.code,
            l.title,
            l.department,
            status_label(l.governance.status)
        );
    }
    Ok(())
}

fn show(catalog: &Catalog, id: &str, json: bool) -> anyhow::Result<()> {
    if let Some(rt) = catalog.record_type(id) {
        return if json {
            print_json(rt)
        } else {
            println!("{}", toml::to_string_pretty(rt)?);
            Ok(())
        };
    }
    if let Some(ledger) = catalog.ledger(id) {
        return if json {
            print_json(ledger)
        } else {
            println!("{}", toml::to_string_pretty(ledger)?);
            Ok(())
        };
    }
    Err(bad_input(anyhow!(
        "no record type or ledger `{id}`; see `voice-ledger templates list`"
    )))
}
