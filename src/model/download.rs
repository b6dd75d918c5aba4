//! Resumable HTTP downloads into a `.part` file.
//!
//! A download that breaks off leaves its `.part` file behind; the next try
//! asks the server for the rest with a `Range` header and appends. A server
//! that ignores the range sends the whole file again, which replaces the
//! partial one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How many times one URL is tried, as long as each try makes progress.
const ATTEMPTS: usize = 3;

/// Errors downloading a file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server could not be reached or the transfer broke off.
    #[error("cannot download `{url}`: {reason}")]
    Transfer {
        /// The URL.
        url: String,
        /// What went wrong, in ureq's words.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("cannot download `{url}`: the server answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The caller asked to stop; the `.part` file is kept for resuming.
    #[error("download of `{url}` was cancelled")]
    Cancelled {
        /// The URL.
        url: String,
    },
    /// The `.part` file could not be written.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The partial file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
}

/// A blocking HTTP client with timeouts suited to large files.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .user_agent(concat!("voice-ledger/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Downloads `url` into `part`, resuming what is already there, and calls
/// `progress(bytes_so_far, total)` as data arrives. Returns the final size.
/// Setting `cancel` stops the transfer at the next chunk.
pub fn download(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<u64, DownloadError> {
    let mut attempt = 1;
    loop {
        let before = existing_len(part);
        match download_once(agent, url, part, cancel, progress) {
            Ok(size) => return Ok(size),
            Err(e @ DownloadError::Transfer { .. }) if attempt < ATTEMPTS => {
                // Retry only if this try got somewhere: a dropped connection
                // in the middle of a large file is worth resuming, a server
                // that cannot be reached at all is not.
                if existing_len(part) <= before {
                    return Err(e);
                }
                tracing::debug!(url, attempt, "download broke off, resuming: {e}");
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn existing_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn download_once(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<u64, DownloadError> {
    let transfer = |e: &dyn std::fmt::Display| DownloadError::Transfer {
        url: url.to_owned(),
        reason: e.to_string(),
    };
    let io = |source| DownloadError::Io {
        path: part.to_owned(),
        source,
    };

    let have = existing_len(part);
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let mut response = request.call().map_err(|e| transfer(&e))?;
    let status = response.status().as_u16();
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());

    let (mut file, start) = match status {
        206 if have > 0 => {
            tracing::debug!(url, have, "resuming download");
            let file = OpenOptions::new().append(true).open(part).map_err(io)?;
            (file, have)
        }
        200 => (File::create(part).map_err(io)?, 0),
        // The range starts at the end: the partial file is already complete.
        416 if have > 0 => return Ok(have),
        _ => {
            return Err(DownloadError::Status {
                url: url.to_owned(),
                status,
            });
        }
    };
    let total = length.map(|l| l + start);

    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0; 256 * 1024];
    let mut done = start;
    progress(done, total);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(DownloadError::Cancelled {
                url: url.to_owned(),
            });
        }
        let n = reader.read(&mut buf).map_err(|e| transfer(&e))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(io)?;
        done += n as u64;
        progress(done, total);
    }
    file.sync_all().map_err(io)?;

    if let Some(total) = total.filter(|&t| t != done) {
        return Err(transfer(&format!(
            "the connection closed after {done} of {total} bytes"
        )));
    }
    Ok(done)
}
