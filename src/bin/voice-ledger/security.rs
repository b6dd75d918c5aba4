//! `voice-ledger security status|encrypt`: how the data folder is protected.

use clap::Subcommand;
use serde_json::json;
use voice_ledger::encryption::{self, FolderProtection, KeySource, recording};

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show whether the database and recordings are encrypted and where the key is kept.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Encrypt a data folder made before encryption existed (close the desktop app first).
    Encrypt {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Status { json } => status(app, json),
        Command::Encrypt { json } => {
            let catalog = app.catalog()?;
            let report = encryption::encrypt_folder(&app.data, &catalog, &KeySource::from_env())
                .map_err(bad_input)?;
            if json {
                return print_json(&report);
            }
            println!(
                "已加密 / encrypted: 数据库 database {}, 录音 recordings {}",
                if report.database {
                    "已转换 converted"
                } else {
                    "原已加密 already encrypted"
                },
                report.recordings
            );
            Ok(())
        }
    }
}

fn status(app: &App, json: bool) -> anyhow::Result<()> {
    let protection = encryption::protection(&app.data)?;
    let (mut sealed, mut plain) = (0usize, 0usize);
    let mut pending = vec![app.data.audio_dir()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == recording::SEALED_EXTENSION)
            {
                sealed += 1;
            } else if path.extension().is_some_and(|e| e != "recording") {
                plain += 1;
            }
        }
    }
    if json {
        return print_json(&json!({
            "protection": protection,
            "database_encrypted": matches!(protection, FolderProtection::Keyring | FolderProtection::Passphrase),
            "sealed_recordings": sealed,
            "plain_recordings": plain,
        }));
    }
    let line = match protection {
        FolderProtection::New => {
            "尚无数据；首次使用时加密 / no data yet; encrypted when first used"
        }
        FolderProtection::Unencrypted => {
            "未加密（旧版数据）；运行 `voice-ledger security encrypt` / not encrypted (made by an older version); run `voice-ledger security encrypt`"
        }
        FolderProtection::Keyring => {
            "已加密，密钥在系统凭据库 / encrypted, key in the OS credential store"
        }
        FolderProtection::Passphrase => {
            "已加密，密钥由口令保护 / encrypted, key protected by a passphrase"
        }
    };
    println!("{line}");
    println!("加密录音 / sealed recordings: {sealed}；未加密录音 / plain recordings: {plain}");
    Ok(())
}
