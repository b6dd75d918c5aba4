//! What the commands share: the data folder, the loaded speech model (let
//! go after a few idle minutes), dictations waiting for review, the PDF
//! font and the cancel flags of running jobs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use voice_ledger::asr::{Engine, EngineOptions};
use voice_ledger::dictation::Dictation;
use voice_ledger::encryption::{KeySource, open_store};
use voice_ledger::export::{FontChoice, PdfFonts};
use voice_ledger::ledger::Catalog;
use voice_ledger::model;
use voice_ledger::paths::DataDir;
use voice_ledger::profile::Profile;
use voice_ledger::store::Store;

use crate::error::{CommandError, CommandResult};

/// How long the speech model stays loaded without use, unless
/// `VOICE_LEDGER_MODEL_IDLE_SECS` says otherwise.
const DEFAULT_MODEL_IDLE: Duration = Duration::from_secs(300);

/// A dictation read from a recording, waiting for the user to check it.
pub struct PendingDictation {
    /// What was heard and read.
    pub dictation: Dictation,
    /// The recording it came from.
    pub recording: PathBuf,
}

struct LoadedEngine {
    engine: Arc<Engine>,
    path: PathBuf,
    last_used: Instant,
}

/// State shared by all commands.
pub struct Shared {
    /// The data folder.
    pub data: DataDir,
    /// When the app started.
    pub started: Instant,
    engine: Mutex<Option<LoadedEngine>>,
    pending: Mutex<HashMap<String, PendingDictation>>,
    fonts: Mutex<Option<Arc<PdfFonts>>>,
    jobs: Mutex<HashMap<String, Arc<AtomicBool>>>,
    model_idle: Duration,
}

/// The handle commands receive.
pub type AppState = Arc<Shared>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in one command must not lock every later command out.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// State over `data`, for an app started at `started`.
    pub fn new(data: DataDir, started: Instant) -> Shared {
        let model_idle = std::env::var("VOICE_LEDGER_MODEL_IDLE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_MODEL_IDLE);
        Shared {
            data,
            started,
            engine: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
            fonts: Mutex::new(None),
            jobs: Mutex::new(HashMap::new()),
            model_idle,
        }
    }

    /// Opens the record store (creating or migrating it), unlocked with the
    /// data folder's key from the credential store or the passphrase.
    pub fn store(&self) -> CommandResult<Store> {
        open_store(&self.data, &KeySource::from_env()).map_err(|e| CommandError {
            code: "locked",
            message: e.to_string(),
        })
    }

    /// Built-in templates plus the user's templates folder.
    pub fn catalog(&self) -> CommandResult<Catalog> {
        Ok(Catalog::load(&self.data.templates_dir())?)
    }

    /// The names and language of this installation.
    pub fn profile(&self) -> CommandResult<Profile> {
        Ok(Profile::load(&Profile::path(&self.data))?)
    }

    /// The default speech model, loading it on first use.
    pub fn engine(&self) -> CommandResult<Arc<Engine>> {
        let resolved = model::resolve(&self.data, None)?;
        let mut slot = lock(&self.engine);
        if let Some(loaded) = slot.as_mut().filter(|l| l.path == resolved.path) {
            loaded.last_used = Instant::now();
            return Ok(loaded.engine.clone());
        }
        let engine = Arc::new(Engine::load(&resolved.path, &EngineOptions::default())?);
        tracing::info!(model = %resolved.path.display(), "loaded the speech model");
        *slot = Some(LoadedEngine {
            engine: engine.clone(),
            path: resolved.path,
            last_used: Instant::now(),
        });
        Ok(engine)
    }

    /// Whether the speech model is in memory.
    pub fn engine_loaded(&self) -> bool {
        lock(&self.engine).is_some()
    }

    /// Lets the model go when it has not been used for a while; a
    /// dictation still running keeps its own reference.
    pub fn unload_idle_engine(&self) {
        let mut slot = lock(&self.engine);
        if slot
            .as_ref()
            .is_some_and(|l| l.last_used.elapsed() >= self.model_idle)
        {
            *slot = None;
            tracing::info!("unloaded the idle speech model");
        }
    }

    /// How often [`Shared::unload_idle_engine`] should run.
    pub fn idle_check_interval(&self) -> Duration {
        (self.model_idle / 4).clamp(Duration::from_secs(1), Duration::from_secs(30))
    }

    /// Drops the loaded model, e.g. after the default model changed.
    pub fn forget_engine(&self) {
        *lock(&self.engine) = None;
    }

    /// The PDF fonts, found once.
    pub fn fonts(&self) -> CommandResult<Arc<PdfFonts>> {
        let mut slot = lock(&self.fonts);
        if let Some(fonts) = slot.as_ref() {
            return Ok(fonts.clone());
        }
        let fonts = Arc::new(PdfFonts::load(&FontChoice::from_env())?);
        *slot = Some(fonts.clone());
        Ok(fonts)
    }

    /// Keeps a dictation for review under a new id.
    pub fn keep_pending(&self, pending: PendingDictation) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        lock(&self.pending).insert(id.clone(), pending);
        id
    }

    /// Runs `f` on a pending dictation; it is removed when `f` succeeds.
    pub fn with_pending<T>(
        &self,
        id: &str,
        f: impl FnOnce(&PendingDictation) -> CommandResult<T>,
    ) -> CommandResult<T> {
        let mut pending = lock(&self.pending);
        let entry = pending.get(id).ok_or_else(|| {
            CommandError::not_found(format!(
                "the dictation `{id}` is no longer open; import the recording again"
            ))
        })?;
        let result = f(entry)?;
        pending.remove(id);
        Ok(result)
    }

    /// Forgets a pending dictation without saving it.
    pub fn discard_pending(&self, id: &str) {
        lock(&self.pending).remove(id);
    }

    /// Registers a job and returns its cancel flag.
    pub fn start_job(&self, job: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        lock(&self.jobs).insert(job.to_string(), flag.clone());
        flag
    }

    /// Forgets a finished job.
    pub fn finish_job(&self, job: &str) {
        lock(&self.jobs).remove(job);
    }

    /// Asks a running job to stop; false if no such job runs.
    pub fn cancel_job(&self, job: &str) -> bool {
        match lock(&self.jobs).get(job) {
            Some(flag) => {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}
