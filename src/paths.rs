//! Where Voice Ledger keeps its data: database, audio, models, templates, logs.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the data directory.
pub const HOME_ENV: &str = "VOICE_LEDGER_HOME";

/// Errors finding or creating the data directory.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// The platform reported no home directory and none was configured.
    #[error("cannot find a home directory for the data folder; set {HOME_ENV} or pass --data-dir")]
    NoHome,
    /// A folder inside the data directory could not be created.
    #[error("cannot create folder `{path}`: {source}")]
    Create {
        /// The folder that could not be created.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
}

/// The layout of one data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Resolves the data directory: an explicit path wins, then
    /// `VOICE_LEDGER_HOME`, then the platform's data folder
    /// (`~/.local/share/voice-ledger`, `%APPDATA%\voice-ledger\data`, …).
    pub fn resolve(explicit: Option<&Path>) -> Result<DataDir, PathsError> {
        if let Some(path) = explicit {
            return Ok(DataDir::at(path));
        }
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(DataDir::at(PathBuf::from(home)));
        }
        let dirs = directories::ProjectDirs::from("cn", "voice-ledger", "voice-ledger")
            .ok_or(PathsError::NoHome)?;
        Ok(DataDir::at(dirs.data_dir()))
    }

    /// A data directory rooted at `root` (not created until [`DataDir::ensure`]).
    pub fn at(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// Creates the directory and its standard sub-folders if missing.
    pub fn ensure(&self) -> Result<(), PathsError> {
        for dir in [
            self.root.clone(),
            self.audio_dir(),
            self.models_dir(),
            self.templates_dir(),
            self.logs_dir(),
        ] {
            std::fs::create_dir_all(&dir).map_err(|source| PathsError::Create {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.root.join("ledger.sqlite3")
    }

    /// Recordings kept alongside records.
    pub fn audio_dir(&self) -> PathBuf {
        self.root.join("audio")
    }

    /// Installed speech models.
    pub fn models_dir(&self) -> PathBuf {
        self.root.join("models")
    }

    /// User templates that add to or override the built-in ones.
    pub fn templates_dir(&self) -> PathBuf {
        self.root.join("templates")
    }

    /// Log files the user can send when asking for help.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
}
