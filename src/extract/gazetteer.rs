//! The place names of the committee's area (estates and roads) that spoken
//! addresses are matched against: a built-in list, the committee's own
//! additions, and the places of the resident registry.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::address;
use crate::ledger::Resident;

/// The built-in list, compiled into the program.
const BUILTIN: &str = include_str!("gazetteer.toml");

/// Estates (小区, 新村) and roads (路) known to the committee.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gazetteer {
    estates: Vec<String>,
    roads: Vec<String>,
}

/// A gazetteer file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    /// The file could not be read.
    #[error(
        "cannot read gazetteer `{path}`: {source}; check that the file exists and is UTF-8 text"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The file is not a valid gazetteer.
    #[error(
        "gazetteer `{path}` is not valid: {message}; write `estates = [\"…\"]` and `roads = [\"…\"]`"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the TOML reader reported.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GazetteerFile {
    #[serde(default)]
    estates: Vec<String>,
    #[serde(default)]
    roads: Vec<String>,
}

impl Gazetteer {
    /// The built-in list only.
    pub fn builtin() -> Gazetteer {
        let file: GazetteerFile =
            toml::from_str(BUILTIN).unwrap_or_else(|e| panic!("built-in gazetteer is broken: {e}"));
        let mut gazetteer = Gazetteer::default();
        gazetteer.extend(file);
        gazetteer
    }

    /// The built-in list plus `path` when that file exists.
    pub fn load(path: &Path) -> Result<Gazetteer, GazetteerError> {
        let mut gazetteer = Gazetteer::builtin();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(gazetteer),
            Err(source) => {
                return Err(GazetteerError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let file: GazetteerFile = toml::from_str(&text).map_err(|e| GazetteerError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })?;
        gazetteer.extend(file);
        Ok(gazetteer)
    }

    /// Adds the estates and roads named in the registry's addresses.
    pub fn with_residents(mut self, residents: &[Resident]) -> Gazetteer {
        for resident in residents {
            let chars: Vec<char> = resident.address.chars().collect();
            for name in address::place_names(&chars) {
                if name.ends_with('路') || name.ends_with('街') {
                    push_unique(&mut self.roads, name);
                } else {
                    push_unique(&mut self.estates, name);
                }
            }
        }
        self
    }

    /// Adds one estate name.
    pub fn add_estate(&mut self, name: &str) {
        push_unique(&mut self.estates, name.to_string());
    }

    /// Adds one road name.
    pub fn add_road(&mut self, name: &str) {
        push_unique(&mut self.roads, name.to_string());
    }

    /// Every place name, estates first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.estates.iter().chain(&self.roads).map(String::as_str)
    }

    fn extend(&mut self, file: GazetteerFile) {
        for name in file.estates {
            push_unique(&mut self.estates, name);
        }
        for name in file.roads {
            push_unique(&mut self.roads, name);
        }
    }
}

fn push_unique(list: &mut Vec<String>, name: String) {
    let name = name.trim().to_string();
    if name.chars().count() >= 2 && !list.contains(&name) {
        list.push(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_registry_places() {
        let residents = [Resident {
            name: "王秀英".into(),
            address: "新兴小区8号楼301室".into(),
            ..Resident::default()
        }];
        let gazetteer = Gazetteer::builtin().with_residents(&residents);
        let names: Vec<&str> = gazetteer.names().collect();
        assert!(names.contains(&"彭浦新村"));
        assert!(names.contains(&"临汾路"));
        assert!(names.contains(&"新兴小区"));
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gazetteer.toml");
        std::fs::write(&path, "estates = 3").unwrap();
        let err = Gazetteer::load(&path).unwrap_err().to_string();
        assert!(err.contains("gazetteer.toml"), "{err}");
        assert!(err.contains("estates = ["), "{err}");
        assert_eq!(
            Gazetteer::load(&dir.path().join("none.toml")).unwrap(),
            Gazetteer::builtin()
        );
    }
}
