//! Who is using this copy of the program: the sub-district, committee and
//! staff member printed on ledgers and written into records, and the
//! language the desktop app speaks. Kept in `profile.toml` in the data folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::DataDir;

/// Errors reading or writing the profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file exists but cannot be read or parsed.
    #[error(
        "cannot read the profile `{path}`: {detail}; fix or delete the file, then set the names again"
    )]
    Read {
        /// The profile file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The file cannot be written.
    #[error("cannot save the profile `{path}`: {detail}; check the data folder is writable")]
    Write {
        /// The profile file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
}

/// The names and preferences of this installation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Sub-district (街道), printed in ledger headers.
    pub sub_district: String,
    /// Neighbourhood committee (居委会), written into records and headers.
    pub committee: String,
    /// The staff member's name, written into records as their author.
    pub staff: String,
    /// Interface language: `zh-CN` (default) or `en`.
    pub language: String,
}

impl Profile {
    /// Where the profile lives in a data folder.
    pub fn path(data: &DataDir) -> PathBuf {
        data.root().join("profile.toml")
    }

    /// Reads the profile; a missing file means empty names.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let error = |detail: String| ProfileError::Read {
            path: path.to_path_buf(),
            detail,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| error(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profile::default()),
            Err(e) => Err(error(e.to_string())),
        }
    }

    /// Writes the profile through a temporary file, so a crash never leaves
    /// half a file.
    pub fn save(&self, path: &Path) -> Result<(), ProfileError> {
        let error = |detail: String| ProfileError::Write {
            path: path.to_path_buf(),
            detail,
        };
        let text = toml::to_string(self).map_err(|e| error(e.to_string()))?;
        let temporary = path.with_extension("toml.tmp");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| error(e.to_string()))
    }

    /// The author written into records: the staff name, or 工作人员 when unset.
    pub fn author(&self) -> String {
        non_empty(&self.staff).unwrap_or_else(|| "工作人员".to_string())
    }

    /// The committee written into records: its name, or 居委会 when unset.
    pub fn committee_name(&self) -> String {
        non_empty(&self.committee).unwrap_or_else(|| "居委会".to_string())
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_empty_and_saved_profile_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.toml");
        let empty = Profile::load(&path).unwrap();
        assert_eq!(empty.author(), "工作人员");

        let profile = Profile {
            sub_district: "彭浦镇".into(),
            committee: "彭浦新村居委会".into(),
            staff: "李敏".into(),
            language: "zh-CN".into(),
        };
        profile.save(&path).unwrap();
        assert_eq!(Profile::load(&path).unwrap(), profile);
    }

    #[test]
    fn broken_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.toml");
        std::fs::write(&path, "staff = [").unwrap();
        let message = Profile::load(&path).unwrap_err().to_string();
        assert!(message.contains("profile.toml"), "{message}");
    }
}
