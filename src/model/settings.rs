//! The record of installed models (`models/installed.toml` in the data
//! folder): which one is the default, and what each file's SHA-256 was when
//! it was installed, so `verify` can tell a damaged file from a good one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::paths::DataDir;

/// File name of the record inside the models folder.
const FILE_NAME: &str = "installed.toml";

/// Errors reading or writing the record.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read or written.
    #[error("cannot access model settings `{path}`: {source}")]
    Io {
        /// The settings file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error(
        "model settings `{path}` are damaged ({reason}); fix or delete the file and reinstall models"
    )]
    Invalid {
        /// The settings file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
}

/// What is recorded about the installed models.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The model used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Installed models by name.
    #[serde(default)]
    pub models: BTreeMap<String, InstalledRecord>,
}

/// One installed model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledRecord {
    /// File name in the models folder.
    pub file: String,
    /// SHA-256 of the file as installed.
    pub sha256: String,
    /// Size in bytes as installed.
    pub size: u64,
    /// Where it came from: a URL, PyPI packages or an imported path.
    pub source: String,
    /// When it was installed (RFC 3339).
    pub installed_at: String,
}

/// Where the record lives.
pub fn path(data: &DataDir) -> PathBuf {
    data.models_dir().join(FILE_NAME)
}

impl Settings {
    /// Reads the record; a missing file is an empty record.
    pub fn load(data: &DataDir) -> Result<Settings, SettingsError> {
        let path = path(data);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => return Err(SettingsError::Io { path, source }),
        };
        toml::from_str(&text).map_err(|e| SettingsError::Invalid {
            path,
            reason: e.to_string(),
        })
    }

    /// Writes the record atomically (temporary file, then rename).
    pub fn save(&self, data: &DataDir) -> Result<(), SettingsError> {
        let path = path(data);
        let text = toml::to_string_pretty(self).map_err(|e| SettingsError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomically(&path, text.as_bytes())
            .map_err(|source| SettingsError::Io { path, source })
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::at(dir.path());
        assert_eq!(Settings::load(&data).unwrap(), Settings::default());

        let mut settings = Settings {
            default: Some("base".to_owned()),
            ..Settings::default()
        };
        settings.models.insert(
            "base".to_owned(),
            InstalledRecord {
                file: "ggml-base.bin".to_owned(),
                sha256: "0".repeat(64),
                size: 1,
                source: "test".to_owned(),
                installed_at: "2025-01-01T00:00:00+08:00".to_owned(),
            },
        );
        settings.save(&data).unwrap();
        assert_eq!(Settings::load(&data).unwrap(), settings);
    }

    #[test]
    fn damaged_file_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::at(dir.path());
        std::fs::create_dir_all(data.models_dir()).unwrap();
        std::fs::write(path(&data), "default = [").unwrap();
        let error = Settings::load(&data).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "model settings `{}` are damaged",
                path(&data).display()
            )),
            "{error}"
        );
    }
}
