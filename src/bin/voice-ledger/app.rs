//! Shared command-line plumbing: data folder, logging, store, catalog,
//! output and the mapping from errors to exit codes.

use std::path::Path;

use anyhow::Context as _;
use voice_ledger::encryption::{self, DataKey, EncryptionError, KeySource};
use voice_ledger::ledger::Catalog;
use voice_ledger::paths::DataDir;
use voice_ledger::store::Store;

/// What every subcommand gets: the resolved data folder.
pub struct App {
    pub data: DataDir,
    /// The data key, once unlocked (`None` inside: an unencrypted folder).
    key: std::cell::OnceCell<Option<DataKey>>,
    _log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl App {
    pub fn new(explicit: Option<&Path>) -> anyhow::Result<App> {
        let data = DataDir::resolve(explicit)?;
        data.ensure()?;
        let guard = init_logging(&data);
        tracing::debug!(data_dir = %data.root().display(), "using data folder");
        Ok(App {
            data,
            key: std::cell::OnceCell::new(),
            _log_guard: guard,
        })
    }

    /// Opens (creating or migrating) the record store, unlocking the data
    /// folder with the credential store or `VOICE_LEDGER_PASSPHRASE`.
    pub fn store(&self) -> anyhow::Result<Store> {
        let key = self.key()?;
        Ok(Store::open_with_key(&self.data.database(), key)?)
    }

    /// The data folder's key, unlocked once per run.
    pub fn key(&self) -> anyhow::Result<Option<&DataKey>> {
        if let Some(key) = self.key.get() {
            return Ok(key.as_ref());
        }
        let key = encryption::unlock(&self.data, &KeySource::from_env()).map_err(|e| match e {
            EncryptionError::PassphraseNeeded { .. }
            | EncryptionError::WrongPassphrase { .. }
            | EncryptionError::NoKeyStore { .. } => bad_input(e),
            other => other.into(),
        })?;
        Ok(self.key.get_or_init(|| key).as_ref())
    }

    /// Built-in templates plus the user's templates folder.
    pub fn catalog(&self) -> anyhow::Result<Catalog> {
        Catalog::load(&self.data.templates_dir()).map_err(bad_input)
    }
}

/// Logs go to a daily file in the data folder; nothing is logged to the terminal.
fn init_logging(data: &DataDir) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::daily(data.logs_dir(), "voice-ledger.log");
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

/// Marks an error as the user's input being wrong (exit code 2).
#[derive(Debug)]
pub struct BadInput(pub anyhow::Error);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for BadInput {}

/// Wraps any error as bad input.
pub fn bad_input(e: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.into()))
}

/// 2 for bad input, 1 for everything else.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<BadInput>()) {
        2
    } else {
        1
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("cannot write JSON")?;
    println!("{text}");
    Ok(())
}
