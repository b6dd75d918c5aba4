//! Audio retention: recordings of residents' voices are deleted a set number
//! of days after their record is final, keeping the transcript and fields.
//!
//! Deletion overwrites the file before removing it and records the removal
//! as a revision of the record, so the history says when and why the
//! recording went.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::ledger::{Catalog, RecordState};
use crate::paths::DataDir;
use crate::store::{RecordQuery, RecordUpdate, Store, StoreError};

/// Who retention revisions are attributed to.
pub const RETENTION_AUTHOR: &str = "系统（保存期限）";

/// Errors applying retention.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// The store could not be read or updated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A recording could not be overwritten or removed.
    #[error(
        "cannot delete recording `{path}`: {source}; close any program using it and run retention again"
    )]
    Delete {
        /// The recording.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
}

/// A recording and when retention removes it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScheduledDeletion {
    /// The record it belongs to.
    pub record_id: String,
    /// The recording, relative to the audio folder.
    pub audio_ref: String,
    /// When the record became final.
    pub final_since: DateTime<Utc>,
    /// When the recording is due for deletion.
    pub delete_after: DateTime<Utc>,
    /// Whether it is due now.
    pub due: bool,
}

/// Every final record's recording that a retention period applies to, with
/// its deletion date, soonest first.
pub fn schedule(
    store: &Store,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Result<Vec<ScheduledDeletion>, RetentionError> {
    let query = RecordQuery {
        state: Some(RecordState::Final),
        ..RecordQuery::default()
    };
    let mut items = Vec::new();
    for record in store.records(&query)? {
        let (Some(audio_ref), Some(days)) = (
            record.audio_ref.clone(),
            catalog
                .record_type(&record.record_type)
                .and_then(|rt| rt.audio_retention_days),
        ) else {
            continue;
        };
        let final_since = store
            .history(&record.id)?
            .iter()
            .find(|r| r.snapshot.state == RecordState::Final)
            .and_then(|r| DateTime::parse_from_rfc3339(&r.at).ok())
            .map_or(record.updated_at, |t| t.with_timezone(&Utc));
        let delete_after = final_since + Duration::days(i64::from(days));
        items.push(ScheduledDeletion {
            record_id: record.id,
            audio_ref,
            final_since,
            delete_after,
            due: delete_after <= now,
        });
    }
    items.sort_by_key(|i| i.delete_after);
    Ok(items)
}

/// Deletes the recordings that are due and notes it in each record's
/// history. Records not due, drafts and records without a retention period
/// are left alone. Returns what was deleted.
pub fn apply(
    data: &DataDir,
    store: &mut Store,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Result<Vec<ScheduledDeletion>, RetentionError> {
    let due: Vec<_> = schedule(store, catalog, now)?
        .into_iter()
        .filter(|i| i.due)
        .collect();
    for item in &due {
        let path = data.audio_dir().join(&item.audio_ref);
        shred(&path).map_err(|source| RetentionError::Delete { path, source })?;
        let Some(record) = store.record(&item.record_id)? else {
            continue;
        };
        let Some(record_type) = catalog.record_type(&record.record_type) else {
            continue;
        };
        let days = record_type.audio_retention_days.unwrap_or_default();
        let update = RecordUpdate {
            audio_ref: Some(None),
            ..RecordUpdate::default()
        };
        let why = format!("录音保存期满（定稿后 {days} 天）已删除，文字记录保留");
        store.update_record(record_type, &record.id, update, RETENTION_AUTHOR, &why)?;
        tracing::info!(record = %record.id, "recording deleted by retention");
    }
    Ok(due)
}

/// Overwrites a file with zeros, flushes it to disk, then removes it. A
/// file already gone counts as deleted. (On SSDs and copy-on-write file
/// systems the old blocks may survive the overwrite; recordings in an
/// encrypted data folder are sealed, so what survives is ciphertext.)
pub(crate) fn shred(path: &Path) -> std::io::Result<()> {
    let length = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = length;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()?;
    drop(file);
    std::fs::remove_file(path)
}
