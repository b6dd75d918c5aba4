//! `voice-ledger backup` and `voice-ledger restore`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use voice_ledger::backup::{self, BackupError};
use voice_ledger::encryption::{
    self, EncryptionError, FolderProtection, KeySource, PASSPHRASE_ENV,
};

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Backup file to write (default: the data folder's backups/ folder).
    #[arg(short, long)]
    out: Option<PathBuf>,
    /// Only back up if the newest automatic backup is older than --every-hours,
    /// then keep the newest --keep copies.
    #[arg(long)]
    auto: bool,
    /// Hours between automatic backups.
    #[arg(long, default_value_t = 24)]
    every_hours: u64,
    /// Automatic backups to keep.
    #[arg(long, default_value_t = 7)]
    keep: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_backup(app: &App, args: BackupArgs) -> anyhow::Result<()> {
    let store = app.store()?;
    let passphrase = KeySource::from_env().passphrase;
    let path = match (&args.out, args.auto) {
        (Some(out), false) => {
            backup::create_with_passphrase(&app.data, &store, out, passphrase.as_ref())?;
            if passphrase.is_none()
                && encryption::protection(&app.data)? == FolderProtection::Keyring
            {
                eprintln!(
                    "注意 / note: 此备份只能在本机恢复，其密钥在本机凭据库；设置 {PASSPHRASE_ENV} 再备份即可在其他电脑恢复 / this backup restores only on this computer, whose credential store holds its key; set {PASSPHRASE_ENV} when backing up to restore it elsewhere"
                );
            }
            Some(out.clone())
        }
        _ => backup::automatic(
            &app.data,
            &store,
            Duration::from_secs(if args.auto {
                args.every_hours * 3600
            } else {
                0
            }),
            args.keep,
        )?,
    };
    if args.json {
        return print_json(&serde_json::json!({ "file": path }));
    }
    match path {
        Some(p) => println!("已备份 / backed up to {}", p.display()),
        None => println!("最近已有备份，无需再备份 / a recent backup exists; nothing to do"),
    }
    Ok(())
}

pub fn run_restore(app: &App, args: RestoreArgs) -> anyhow::Result<()> {
    let manifest = backup::restore(&args.file, &app.data).map_err(|e| match e {
        BackupError::NotABackup(_)
        | BackupError::TargetNotEmpty(_)
        | BackupError::Encryption(
            EncryptionError::PassphraseNeeded { .. }
            | EncryptionError::WrongPassphrase { .. }
            | EncryptionError::KeyNotInKeyring { .. },
        ) => bad_input(e),
        other => other.into(),
    })?;
    if args.json {
        return print_json(&manifest);
    }
    println!(
        "已恢复并核对 / restored and verified: {} 条记录 records, {} 个版本 revisions, {} 位居民 residents, {} 个文件 files",
        manifest.records, manifest.revisions, manifest.residents, manifest.files
    );
    Ok(())
}
