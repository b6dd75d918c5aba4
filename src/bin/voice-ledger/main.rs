//! The `voice-ledger` command line: the only place that knows about argv,
//! exit codes and printing.
//!
//! Exit codes: 0 ok, 1 failure, 2 bad usage or bad input.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the command line is the one place that prints"
)]

mod app;
mod backup;
mod bench;
mod capture;
mod dictate;
mod export;
mod extract;
mod live;
mod model;
mod records;
mod residents;
mod retention;
mod security;
mod sync;
mod templates;
mod transcribe;
mod transcribe_bench;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use app::{App, exit_code};

/// Dictate neighbourhood-committee visits and keep matching electronic and paper ledgers.
#[derive(Debug, Parser)]
#[command(name = "voice-ledger", version, about)]
struct Cli {
    /// Data folder (default: $VOICE_LEDGER_HOME or the platform's data folder).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record types and ledgers: list, show, check a template file.
    #[command(subcommand)]
    Templates(templates::Command),
    /// Records: add, list, show, edit, history, verify.
    #[command(subcommand)]
    Records(records::Command),
    /// Write a one-file backup of the data folder.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty data folder and verify it.
    Restore(backup::RestoreArgs),
    /// Recordings kept and when they are deleted: show, run.
    #[command(subcommand)]
    Retention(retention::Command),
    /// Encryption of the data folder: status, encrypt.
    #[command(subcommand)]
    Security(security::Command),
    /// The resident registry: import, list.
    #[command(subcommand)]
    Residents(residents::Command),
    /// Speech models: list, install, import, verify, remove, default, path.
    #[command(subcommand)]
    Model(model::Command),
    /// Export ledgers as PDF (paper), XLSX, CSV or JSON.
    Export(export::ExportArgs),
    /// Check a printed page's verification code (核验码) against the database.
    VerifyPrint(export::VerifyPrintArgs),
    /// Transcribe a recording to simplified-Chinese text.
    Transcribe(transcribe::TranscribeArgs),
    /// Measure speed: bench export, bench extract, bench live, bench transcribe.
    #[command(subcommand)]
    Bench(bench::Command),
    /// Microphones: list them, choose the one to record from.
    Devices(capture::DevicesArgs),
    /// Record from the microphone to a WAV file.
    Record(capture::RecordArgs),
    /// Dictate a record from a recording, or live from the microphone (--live);
    /// --save keeps a draft.
    Dictate(dictate::DictateArgs),
    /// Read a transcript into the fields of a record type.
    Extract(extract::ExtractArgs),
    /// Measure accuracy against a corpus.
    #[command(subcommand)]
    Eval(extract::EvalCommand),
    /// Sync with the sub-district hub: enroll, now, status, receipts, templates.
    #[command(subcommand)]
    Sync(sync::Command),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = App::new(cli.data_dir.as_deref()).and_then(|app| run(&app, cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::debug!("command failed: {e:#}");
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn run(app: &App, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Templates(c) => templates::run(app, c),
        Command::Records(c) => records::run(app, c),
        Command::Residents(c) => residents::run(app, c),
        Command::Retention(c) => retention::run(app, c),
        Command::Security(c) => security::run(app, c),
        Command::Backup(args) => backup::run_backup(app, args),
        Command::Restore(args) => backup::run_restore(app, args),
        Command::Model(c) => model::run(app, c),
        Command::Export(args) => export::run(app, args),
        Command::VerifyPrint(args) => export::verify_print(app, args),
        Command::Transcribe(args) => transcribe::run(app, args),
        Command::Bench(c) => bench::run(app, c),
        Command::Devices(args) => capture::devices(app, args),
        Command::Record(args) => capture::record(app, args),
        Command::Dictate(args) => dictate::run(app, args),
        Command::Extract(args) => extract::run_extract(app, args),
        Command::Eval(c) => extract::run_eval(app, c),
        Command::Sync(c) => sync::run(app, c),
    }
}
