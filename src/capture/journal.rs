//! Recordings written to disk as they are captured, so a crash, a killed
//! process or a power cut loses at most about a second of speech.
//!
//! A recording is a 16 kHz mono 16-bit WAV file. While it grows, its header
//! is rewritten every time samples are flushed (about every half second) and
//! the data is synced to disk, so the file is always a valid WAV holding
//! everything up to the last flush. Next to it, in the audio folder, a small
//! marker file `<id>.recording` names the WAV and stays locked while the
//! recording runs; [`recover`] finds markers whose owner has gone, fixes the
//! header to cover every sample that reached the disk, and removes the marker.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::audio::SAMPLE_RATE;

/// Size of the canonical PCM WAV header written here.
const HEADER_LEN: u64 = 44;

/// Bytes per sample (16-bit mono).
const BYTES_PER_SAMPLE: u64 = 2;

/// Samples collected before they are written out: half a second.
const FLUSH_SAMPLES: usize = SAMPLE_RATE as usize / 2;

/// Minimum time between two syncs to disk. Writing every half second keeps a
/// killed process from losing more than that; syncing as often guards against
/// power loss, but on an unpaced test source thousands of syncs a second
/// would only slow capture down, so syncs are spaced by wall time.
const SYNC_INTERVAL: Duration = Duration::from_millis(500);

/// The extension of marker files.
const MARKER_EXTENSION: &str = "recording";

/// Errors writing or repairing a recording, always naming the file.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The recording or its marker could not be created, written or synced.
    #[error(
        "cannot write recording `{path}`: {source}; check the disk has space and the folder is writable"
    )]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
    /// An unfinished recording could not be repaired.
    #[error("cannot repair unfinished recording `{path}`: {source}")]
    Repair {
        /// The recording or marker file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
}

/// What a marker file records about the recording it guards.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Marker {
    /// The WAV file being written.
    path: PathBuf,
    /// When recording started (RFC 3339).
    started: String,
}

/// A WAV recording being written while it is captured.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    marker_path: PathBuf,
    marker: File,
    pending: Vec<u8>,
    samples_written: u64,
    last_sync: Instant,
}

impl Journal {
    /// Starts a recording at `path`, leaving a locked marker in `audio_dir`
    /// so that [`recover`] can repair it if this process dies.
    ///
    /// An existing file at `path` is replaced.
    pub fn create(path: &Path, audio_dir: &Path) -> Result<Journal, JournalError> {
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| JournalError::Write { path, source }
        };
        std::fs::create_dir_all(audio_dir).map_err(write_error(audio_dir))?;
        let path = absolute(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error(parent))?;
        }

        // The marker goes first and reaches the disk before any audio, so a
        // recording can never exist without the note that it is unfinished.
        let id = uuid::Uuid::now_v7();
        let marker_path = audio_dir.join(format!("{id}.{MARKER_EXTENSION}"));
        let mut marker = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&marker_path)
            .map_err(write_error(&marker_path))?;
        marker
            .try_lock()
            .map_err(|e| write_error(&marker_path)(std::io::Error::other(e)))?;
        let note = Marker {
            path: path.clone(),
            started: chrono::Local::now().to_rfc3339(),
        };
        let text = serde_json::to_vec_pretty(&note).map_err(std::io::Error::other);
        text.and_then(|t| marker.write_all(&t))
            .and_then(|()| marker.sync_all())
            .map_err(write_error(&marker_path))?;
        sync_folder(audio_dir);

        let mut file = File::create(&path).map_err(write_error(&path))?;
        file.write_all(&header(0))
            .and_then(|()| file.sync_all())
            .map_err(write_error(&path))?;
        if let Some(parent) = path.parent() {
            sync_folder(parent);
        }
        tracing::debug!(path = %path.display(), marker = %marker_path.display(), "recording started");
        Ok(Journal {
            path,
            file,
            marker_path,
            marker,
            pending: Vec::with_capacity(FLUSH_SAMPLES * 2 * BYTES_PER_SAMPLE as usize),
            samples_written: 0,
            last_sync: Instant::now(),
        })
    }

    /// The WAV file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Samples appended so far, flushed or not.
    pub fn samples(&self) -> u64 {
        self.samples_written + self.pending.len() as u64 / BYTES_PER_SAMPLE
    }

    /// Appends 16 kHz mono samples; writes them out every half second.
    pub fn append(&mut self, samples: &[f32]) -> Result<(), JournalError> {
        for &sample in samples {
            self.pending
                .extend_from_slice(&to_i16(sample).to_le_bytes());
        }
        if self.pending.len() >= FLUSH_SAMPLES * BYTES_PER_SAMPLE as usize {
            self.flush(false)?;
        }
        Ok(())
    }

    /// Writes pending samples and the header that covers them; syncs to disk
    /// when `force` is set or the last sync is long enough ago.
    pub fn flush(&mut self, force: bool) -> Result<(), JournalError> {
        let path = self.path.clone();
        let write_error = |source| JournalError::Write { path, source };
        if !self.pending.is_empty() {
            let offset = HEADER_LEN + self.samples_written * BYTES_PER_SAMPLE;
            self.file
                .seek(SeekFrom::Start(offset))
                .and_then(|_| self.file.write_all(&self.pending))
                .map_err(write_error)?;
            self.samples_written += self.pending.len() as u64 / BYTES_PER_SAMPLE;
            self.pending.clear();
            let data_len = self.samples_written * BYTES_PER_SAMPLE;
            let path = self.path.clone();
            write_sizes(&mut self.file, data_len)
                .map_err(|source| JournalError::Write { path, source })?;
        }
        if force || self.last_sync.elapsed() >= SYNC_INTERVAL {
            let path = self.path.clone();
            self.file
                .sync_data()
                .map_err(|source| JournalError::Write { path, source })?;
            self.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Completes the recording: final header, sync, marker removed.
    /// Returns the file and its length in samples.
    pub fn finish(mut self) -> Result<(PathBuf, u64), JournalError> {
        self.flush(true)?;
        // The marker is removed only once the WAV is complete on disk.
        remove_marker(&self.marker_path, self.marker).map_err(|source| JournalError::Write {
            path: self.marker_path.clone(),
            source,
        })?;
        tracing::debug!(
            path = %self.path.display(),
            samples = self.samples_written,
            "recording finished"
        );
        Ok((self.path, self.samples_written))
    }
}

/// A recording that was repaired by [`recover`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovered {
    /// The repaired WAV file.
    pub path: PathBuf,
    /// When its recording started, as noted in the marker (RFC 3339).
    pub started: String,
    /// Seconds of audio it now holds.
    pub duration_s: f64,
}

/// Finds recordings in `audio_dir` that were still being written when their
/// process died (crash, kill, power loss) and repairs them: the WAV header is
/// made to cover every whole sample on disk, and the marker is removed.
///
/// Recordings still running in another process are left alone. A marker
/// whose WAV never got its header is simply removed. Returns the repaired
/// recordings, oldest first.
pub fn recover(audio_dir: &Path) -> Result<Vec<Recovered>, JournalError> {
    let repair_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| JournalError::Repair { path, source }
    };
    let entries = match std::fs::read_dir(audio_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(repair_error(audio_dir)(e)),
    };
    let mut markers: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == MARKER_EXTENSION))
        .collect();
    markers.sort();

    let mut recovered = Vec::new();
    for marker_path in markers {
        let mut marker_file = match OpenOptions::new().read(true).write(true).open(&marker_path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(repair_error(&marker_path)(e)),
        };
        if marker_file.try_lock().is_err() {
            tracing::debug!(marker = %marker_path.display(), "recording still in progress; left alone");
            continue;
        }
        // Read through the locked handle: on Windows a lock also bars
        // reads through any other handle.
        let mut text = Vec::new();
        marker_file
            .read_to_end(&mut text)
            .map_err(repair_error(&marker_path))?;
        let Ok(marker) = serde_json::from_slice::<Marker>(&text) else {
            // The marker itself was cut short by the crash: the recording
            // it announced never got its header written either.
            tracing::debug!(marker = %marker_path.display(), "unreadable marker removed");
            remove_marker(&marker_path, marker_file).map_err(repair_error(&marker_path))?;
            continue;
        };
        if let Some(duration_s) = repair(&marker.path)? {
            tracing::debug!(path = %marker.path.display(), duration_s, "recovered recording");
            recovered.push(Recovered {
                path: marker.path,
                started: marker.started,
                duration_s,
            });
        }
        remove_marker(&marker_path, marker_file).map_err(repair_error(&marker_path))?;
    }
    sync_folder(audio_dir);
    Ok(recovered)
}

/// Deletes a marker while still holding its lock where the platform allows
/// it (so no other process can take it over in between), else just after.
fn remove_marker(path: &Path, locked: File) -> std::io::Result<()> {
    let first = std::fs::remove_file(path);
    drop(locked);
    match first {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// Rewrites the header of an unfinished WAV to cover all whole samples on
/// disk. Returns its duration, or `None` when there is nothing to repair.
fn repair(path: &Path) -> Result<Option<f64>, JournalError> {
    let repair_error = |source| JournalError::Repair {
        path: path.to_path_buf(),
        source,
    };
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(repair_error(e)),
    };
    let len = file.metadata().map_err(repair_error)?.len();
    if len < HEADER_LEN {
        return Ok(None);
    }
    // A half-written last sample is cut off; the header must describe
    // whole samples only.
    let data_len = (len - HEADER_LEN) / BYTES_PER_SAMPLE * BYTES_PER_SAMPLE;
    file.set_len(HEADER_LEN + data_len)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&header(data_len)))
        .and_then(|()| file.sync_all())
        .map_err(repair_error)?;
    Ok(Some(
        (data_len / BYTES_PER_SAMPLE) as f64 / f64::from(SAMPLE_RATE),
    ))
}

/// A 44-byte PCM WAV header for `data_len` bytes of 16 kHz mono 16-bit audio.
fn header(data_len: u64) -> [u8; HEADER_LEN as usize] {
    let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let byte_rate = SAMPLE_RATE * BYTES_PER_SAMPLE as u32;
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_len).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&SAMPLE_RATE.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&(BYTES_PER_SAMPLE as u16).to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}

/// Updates the two size fields of the header in place.
fn write_sizes(file: &mut File, data_len: u64) -> std::io::Result<()> {
    let full = header(data_len);
    file.seek(SeekFrom::Start(4))?;
    file.write_all(&full[4..8])?;
    file.seek(SeekFrom::Start(40))?;
    file.write_all(&full[40..44])?;
    Ok(())
}

/// Converts a sample in [-1, 1] to 16-bit PCM, rounding to nearest.
pub(crate) fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Makes a new or removed directory entry durable. Only possible (and only
/// needed) on Unix; failure costs nothing but durability, so it is logged.
fn sync_folder(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|f| f.sync_all()) {
        tracing::debug!(dir = %dir.display(), "cannot sync folder: {e}");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_wav(path: &Path) -> (u32, Vec<i16>) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(&bytes[36..40], b"data");
        let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
        let data = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
        assert_eq!(riff, data + 36);
        let samples = bytes[44..44 + data as usize]
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        (data, samples)
    }

    fn ramp(n: usize) -> Vec<f32> {
        (0..n).map(|i| (i % 200) as f32 / 400.0).collect()
    }

    #[test]
    fn finished_recording_is_a_complete_wav_and_leaves_no_marker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wav");
        let mut journal = Journal::create(&path, dir.path()).unwrap();
        journal.append(&ramp(20_000)).unwrap();
        journal.append(&ramp(123)).unwrap();
        let (written, samples) = journal.finish().unwrap();
        assert_eq!(written, std::path::absolute(&path).unwrap());
        assert_eq!(samples, 20_123);
        let (_, data) = read_wav(&path);
        assert_eq!(data.len(), 20_123);
        assert_eq!(data[1], to_i16(1.0 / 400.0));
        assert_eq!(recover(dir.path()).unwrap(), Vec::new());
    }

    #[test]
    fn header_is_valid_while_recording() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("growing.wav");
        let mut journal = Journal::create(&path, dir.path()).unwrap();
        assert_eq!(read_wav(&path).1.len(), 0);
        journal.append(&ramp(FLUSH_SAMPLES * 3 + 10)).unwrap();
        // Everything but the last partial half second is on disk.
        assert_eq!(read_wav(&path).1.len(), FLUSH_SAMPLES * 3 + 10);
        journal.append(&ramp(100)).unwrap();
        assert_eq!(read_wav(&path).1.len(), FLUSH_SAMPLES * 3 + 10);
        drop(journal);
    }

    #[test]
    fn recover_repairs_a_recording_whose_process_died() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crashed.wav");
        let mut journal = Journal::create(&path, dir.path()).unwrap();
        journal.append(&ramp(FLUSH_SAMPLES * 2)).unwrap();
        // While the recording runs, another recover() leaves it alone.
        assert_eq!(recover(dir.path()).unwrap(), Vec::new());
        // Simulate the crash: samples reached the file but not the header,
        // and the last sample is cut in half.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[1, 0, 2, 0, 3]).unwrap();
        drop(file);
        drop(journal);

        let recovered = recover(dir.path()).unwrap();
        assert_eq!(recovered.len(), 1);
        assert_eq!(recovered[0].path, std::path::absolute(&path).unwrap());
        let expected = FLUSH_SAMPLES * 2 + 2;
        assert_eq!(recovered[0].duration_s, expected as f64 / 16_000.0);
        let (_, data) = read_wav(&path);
        assert_eq!(data.len(), expected);
        assert_eq!(&data[expected - 2..], &[1, 2]);
        // Done once; nothing left to recover.
        assert_eq!(recover(dir.path()).unwrap(), Vec::new());
    }

    #[test]
    fn markers_without_audio_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.recording"), b"{\"pa").unwrap();
        let gone = Marker {
            path: dir.path().join("never-created.wav"),
            started: "2026-01-01T00:00:00+08:00".into(),
        };
        std::fs::write(
            dir.path().join("y.recording"),
            serde_json::to_vec(&gone).unwrap(),
        )
        .unwrap();
        assert_eq!(recover(dir.path()).unwrap(), Vec::new());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_audio_folder_has_nothing_to_recover() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(recover(&dir.path().join("none")).unwrap(), Vec::new());
    }
}
