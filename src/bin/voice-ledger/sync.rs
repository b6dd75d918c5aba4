//! `voice-ledger sync enroll|now|status|receipts|templates`: sending records
//! to the sub-district hub.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Subcommand;
use voice_ledger::sync::{
    self, Backoff, ClientOptions, EnrolOptions, EntryState, KeyringUse, PassOptions, PassReport,
    SyncError, SyncStatus, TokenLocation,
};

use crate::app::{App, bad_input, print_json};

/// Transient failures `sync now` rides out before giving up; someone is
/// waiting, so only briefly. The background runner keeps trying.
const NOW_RETRIES: u32 = 2;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enrol this data folder with the sub-district hub using a one-time code.
    Enroll {
        /// The hub's address, e.g. https://hub.example.gov.cn.
        #[arg(long)]
        hub: String,
        /// The one-time code from the sub-district.
        #[arg(long)]
        code: String,
        /// A name the sub-district will see for this computer.
        #[arg(long)]
        name: Option<String>,
        /// PEM file of the CA that signed the hub's certificate, if the
        /// system does not already trust it.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Enrol again (after the device was revoked or moved).
        #[arg(long)]
        force: bool,
    },
    /// Fetch templates and send every queued record now.
    Now {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what is queued, refused or in conflict.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List sent revisions too.
        #[arg(long)]
        all: bool,
    },
    /// Print the receipts the hub issued (回执).
    Receipts {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fetch the record types and ledgers the sub-district has published.
    Templates,
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    let store = app.store()?;
    let keyring = KeyringUse::from_env();
    match command {
        Command::Enroll {
            hub,
            code,
            name,
            ca_cert,
            force,
        } => {
            let options = EnrolOptions {
                hub_url: hub,
                code,
                device_name: name.unwrap_or_else(default_device_name),
                force,
                keyring,
                client: ClientOptions {
                    ca_cert,
                    ..ClientOptions::default()
                },
            };
            let enrolled = sync::enrol(&store, &app.data, &options).map_err(user_error)?;
            let committee = enrolled
                .committee
                .as_ref()
                .map_or("街道 / sub-district", |c| c.name.as_str());
            println!(
                "已加入 / enrolled: {} as device {} ({committee})",
                enrolled.hub_url, enrolled.device_id
            );
            if let Some(TokenLocation::File(path)) = &enrolled.token_location {
                println!(
                    "设备令牌保存在 / device token saved in {} (no OS keyring available)",
                    path.display()
                );
            }
            Ok(())
        }
        Command::Now { json } => {
            let enrolled = sync::enrolment(&store)?
                .ok_or(SyncError::NotEnrolled)
                .map_err(user_error)?;
            let client = enrolled
                .client(&app.data, &ClientOptions::default(), keyring)
                .map_err(user_error)?;
            let options = PassOptions {
                ignore_schedule: true,
                backoff: Backoff {
                    base: Duration::from_secs(1),
                    max: Duration::from_secs(4),
                },
                ..PassOptions::default()
            };
            let report = sync::sync_until_idle(&store, &app.data, &client, &options, NOW_RETRIES)
                .map_err(user_error)?;
            let status = sync::status(&store, false)?;
            if json {
                return print_json(&serde_json::json!({ "pass": report, "status": status }));
            }
            print_report(&report);
            print_problems(&status);
            Ok(())
        }
        Command::Status { json, all } => {
            let status = sync::status(&store, all)?;
            if json {
                return print_json(&status);
            }
            print_status(&status);
            Ok(())
        }
        Command::Receipts { json } => {
            let receipts = sync::receipts(&store)?;
            if json {
                return print_json(&receipts);
            }
            println!(
                "回执号 Receipt\t记录 Record\t版本 Rev\t类型 Type\t日期 Date\t接收时间 Received"
            );
            for r in &receipts {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.number,
                    r.record_id,
                    r.revision,
                    r.record_type,
                    r.event_date.as_deref().unwrap_or("-"),
                    r.received_at
                );
            }
            println!("共 {} 张回执 / {} receipts", receipts.len(), receipts.len());
            Ok(())
        }
        Command::Templates => {
            let enrolled = sync::enrolment(&store)?
                .ok_or(SyncError::NotEnrolled)
                .map_err(user_error)?;
            let client = enrolled
                .client(&app.data, &ClientOptions::default(), keyring)
                .map_err(user_error)?;
            let changed = sync::pull_templates(&store, &app.data, &client).map_err(user_error)?;
            let catalog = app
                .catalog()
                .context("the installed templates do not load")?;
            println!(
                "{} ({} record types, {} ledgers)",
                if changed {
                    "模板已更新 / templates updated"
                } else {
                    "模板无变化 / templates unchanged"
                },
                catalog.record_type_ids().len(),
                catalog.ledgers().count()
            );
            Ok(())
        }
    }
}

/// Enrolment problems and refusals are the user's to fix (exit code 2);
/// network trouble is not.
fn user_error(e: SyncError) -> anyhow::Error {
    if e.needs_enrolment()
        || matches!(
            e,
            SyncError::BadUrl { .. }
                | SyncError::AlreadyEnrolled { .. }
                | SyncError::Rejected { .. }
                | SyncError::CaCert { .. }
        )
    {
        bad_input(e)
    } else {
        e.into()
    }
}

fn default_device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "voice-ledger".to_string())
}

fn print_report(report: &PassReport) {
    println!(
        "已上传 / sent: {} (新 new {}, 已有 already there {})",
        report.sent(),
        report.created,
        report.replayed
    );
    if report.templates_updated {
        println!("模板已更新 / templates updated");
    }
    for (label, n) in [
        ("冲突待处理 / conflicts", report.conflicts),
        ("被退回 / refused", report.quarantined),
        ("等待模板发布 / waiting for templates", report.held),
    ] {
        if n > 0 {
            println!("{label}: {n}");
        }
    }
}

fn print_status(status: &SyncStatus) {
    match (&status.hub, &status.device_id) {
        (Some(hub), Some(device)) => println!(
            "中心 / hub: {hub}\n设备 / device: {device}\n居委会 / committee: {}",
            status.committee.as_deref().unwrap_or("-")
        ),
        _ => {
            println!("未加入 / not enrolled: run `voice-ledger sync enroll --hub URL --code CODE`")
        }
    }
    if let Some(at) = &status.last_success_at {
        println!("上次成功同步 / last successful sync: {at}");
    }
    if let Some(error) = &status.last_error {
        println!("上次同步失败 / last sync failed: {error}");
    }
    for state in EntryState::ALL {
        println!(
            "  {:<14} {:<12} {}",
            state.label_zh(),
            state.as_str(),
            status.count(state)
        );
    }
    if !status.entries.is_empty() {
        println!();
    }
    for entry in &status.entries {
        let detail = match entry.state {
            EntryState::Sent => entry.receipt.clone().unwrap_or_default(),
            EntryState::Conflict => format!(
                "冲突 #{}: {}",
                entry.conflict.unwrap_or_default(),
                entry.error.as_deref().unwrap_or_default()
            ),
            _ => entry.error.clone().unwrap_or_default(),
        };
        println!(
            "{}\t{}\trev {}\t{}\t{}\t{}",
            entry.state.label_zh(),
            entry.record_id,
            entry.revision,
            entry.record_type,
            entry.event_date.as_deref().unwrap_or("-"),
            detail
        );
    }
}

fn print_problems(status: &SyncStatus) {
    for entry in status
        .entries
        .iter()
        .filter(|e| matches!(e.state, EntryState::Conflict | EntryState::Quarantined))
    {
        println!(
            "{}\t{}\trev {}\t{}",
            entry.state.label_zh(),
            entry.record_id,
            entry.revision,
            entry.error.as_deref().unwrap_or_default()
        );
    }
}
