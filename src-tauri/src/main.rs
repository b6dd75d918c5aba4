//! Voice Ledger's desktop app: a thin Tauri shell over the core library.
//! Commands (in `commands/`) convert arguments, call the core and map
//! errors; the front end in `ui/` reaches them only through its API module.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod jobs;
mod state;

use std::sync::Arc;

use voice_ledger::paths::DataDir;

use crate::state::Shared;

fn main() {
    let started = std::time::Instant::now();
    let data = match DataDir::resolve(None).and_then(|d| d.ensure().map(|()| d)) {
        Ok(data) => data,
        Err(e) => {
            // No window can show this yet; the log folder may not exist.
            #[allow(
                clippy::print_stderr,
                reason = "nowhere else to say it before the window exists"
            )]
            {
                eprintln!("voice-ledger-desktop: {e}");
            }
            std::process::exit(1);
        }
    };
    let _log_guard = init_logging(&data);
    tracing::info!(data_dir = %data.root().display(), "desktop app starting");
    let shared = Arc::new(Shared::new(data, started));
    spawn_idle_unloader(shared.clone());

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            use tauri::Manager;
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .manage(shared)
        .invoke_handler(tauri::generate_handler![
            commands::cancel_job,
            commands::setup::app_status,
            commands::setup::ui_ready,
            commands::setup::profile_save,
            commands::setup::models_list,
            commands::setup::model_install,
            commands::setup::model_import,
            commands::setup::model_set_default,
            commands::setup::microphones,
            commands::setup::microphone_choose,
            commands::dictate::dictate_file,
            commands::dictate::dictation_save,
            commands::dictate::dictation_discard,
            commands::records::records_list,
            commands::records::record_open,
            commands::records::record_edit,
            commands::ledgers::catalog,
            commands::ledgers::ledger_retire,
            commands::ledgers::ledger_rows_for,
            commands::ledgers::ledger_export,
            commands::ledgers::current_period,
            commands::residents::residents_import,
            commands::residents::residents_list,
            commands::residents::visit_coverage,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the app stopped with an error");
        std::process::exit(1);
    }
}

/// Lets the speech model go after a few idle minutes, so an open app
/// holds little memory between dictations.
fn spawn_idle_unloader(shared: Arc<Shared>) {
    let interval = shared.idle_check_interval();
    std::thread::Builder::new()
        .name("model-idle".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                shared.unload_idle_engine();
            }
        })
        .expect("cannot start the idle-model thread");
}

/// Logs go to a daily file in the data folder's `logs/`.
fn init_logging(data: &DataDir) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::daily(data.logs_dir(), "voice-ledger-desktop.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("VOICE_LEDGER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
