//! Loading a ggml model into whisper.cpp from memory.
//!
//! whisper.cpp opens files by a narrow-character path, which breaks on
//! Windows profiles with non-ASCII names (common here: `C:\Users\王芳`).
//! Reading the file in Rust and handing whisper.cpp the bytes avoids that.

use std::path::{Path, PathBuf};

use whisper_rs::{WhisperContext, WhisperContextParameters};

/// Errors loading a model.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read model `{path}`: {source}")]
    Io {
        /// The model file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// whisper.cpp refused the file.
    #[error(
        "whisper.cpp cannot load model `{path}` ({reason}); the file is damaged or not a whisper ggml model, reinstall it with `voice-ledger model install`"
    )]
    Rejected {
        /// The model file.
        path: PathBuf,
        /// whisper-rs's description.
        reason: String,
    },
}

/// Reads `path` and loads it with `params`.
///
/// whisper.cpp's own messages go to `tracing` rather than the terminal.
pub fn load_context(
    path: &Path,
    params: WhisperContextParameters,
) -> Result<WhisperContext, LoadError> {
    whisper_rs::install_logging_hooks();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    tracing::debug!(path = %path.display(), bytes = bytes.len(), "loading model from memory");
    WhisperContext::new_from_buffer_with_params(&bytes, params).map_err(|e| LoadError::Rejected {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Loads `path` on the CPU with default settings, as a check that
/// whisper.cpp accepts it.
pub fn check_loads(path: &Path) -> Result<(), LoadError> {
    let mut params = WhisperContextParameters::default();
    params.use_gpu(false);
    load_context(path, params).map(drop)
}
