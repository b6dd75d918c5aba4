//! The outbox, receipts and sync settings in the local database: the only
//! SQL of the sync client.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::wire::{ConflictNotice, Receipt, RevisionContent, RevisionUpload};
use super::{SyncError, now_text};
use crate::ledger::Record;
use crate::store::{Store, StoreError};

/// The sync state of one queued revision, as staff see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Waiting to be sent (also after a failed try).
    Pending,
    /// Waiting until the hub publishes the revision's record type version.
    Held,
    /// The hub holds it; a receipt number proves it.
    Sent,
    /// Held at the hub for a person to resolve; later revisions of the
    /// record wait behind it.
    Conflict,
    /// Refused by the hub as it is; not retried. Later revisions of the
    /// record wait behind it.
    Quarantined,
}

impl EntryState {
    /// Every state, in the order a status report lists them.
    pub const ALL: [EntryState; 5] = [
        EntryState::Pending,
        EntryState::Held,
        EntryState::Sent,
        EntryState::Conflict,
        EntryState::Quarantined,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Held => "held",
            EntryState::Sent => "sent",
            EntryState::Conflict => "conflict",
            EntryState::Quarantined => "quarantined",
        }
    }

    /// Chinese label for staff.
    pub fn label_zh(self) -> &'static str {
        match self {
            EntryState::Pending => "待上传",
            EntryState::Held => "等待模板发布",
            EntryState::Sent => "已上传",
            EntryState::Conflict => "冲突待处理",
            EntryState::Quarantined => "被退回",
        }
    }

    fn parse(text: &str) -> EntryState {
        EntryState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .unwrap_or(EntryState::Pending)
    }
}

/// One queued revision, ready to upload.
#[derive(Debug, Clone)]
pub(super) struct QueuedRevision {
    pub outbox_id: i64,
    pub upload: RevisionUpload,
}

/// Reads a sync setting.
pub(super) fn setting(conn: &Connection, key: &str) -> Result<Option<String>, SyncError> {
    Ok(conn
        .query_row(
            "SELECT value FROM sync_settings WHERE key = ?1",
            [key],
            |r| r.get(0),
        )
        .optional()?)
}

/// Writes (or with `None` removes) a sync setting.
pub(super) fn set_setting(
    conn: &Connection,
    key: &str,
    value: Option<&str>,
) -> Result<(), SyncError> {
    match value {
        Some(value) => conn.execute(
            "INSERT INTO sync_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?,
        None => conn.execute("DELETE FROM sync_settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// Pending revisions due now (or all pending ones with `ignore_schedule`),
/// oldest first. A revision is only offered once every earlier revision of
/// its record is sent, so each record appears at most once and in order.
pub(super) fn due_revisions(
    conn: &Connection,
    ignore_schedule: bool,
    limit: usize,
) -> Result<Vec<QueuedRevision>, SyncError> {
    let mut statement = conn.prepare_cached(
        "SELECT o.id, o.record_id, o.revision, r.snapshot, r.who, r.why, r.at, b.content_hash
         FROM outbox o
         JOIN revisions r ON r.record_id = o.record_id AND r.revision = o.revision
         LEFT JOIN sync_receipts b ON b.record_id = o.record_id AND b.revision = o.revision - 1
         WHERE o.state = 'pending'
           AND (?1 OR o.next_attempt IS NULL OR o.next_attempt <= ?2)
           AND NOT EXISTS (
               SELECT 1 FROM outbox p
               WHERE p.record_id = o.record_id AND p.revision < o.revision AND p.state <> 'sent')
         ORDER BY o.id
         LIMIT ?3",
    )?;
    let rows = statement.query_map(params![ignore_schedule, now_text(), limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;

    let mut queued = Vec::new();
    for row in rows {
        let (outbox_id, record_id, revision, snapshot, who, why, at, base_hash) = row?;
        let record: Record = serde_json::from_str(&snapshot).map_err(|e| StoreError::Corrupt {
            id: record_id.clone(),
            problem: format!("revision {revision} snapshot: {e}"),
        })?;
        let content_hash = RevisionContent {
            record: &record,
            who: &who,
            why: &why,
            at: &at,
        }
        .hash();
        queued.push(QueuedRevision {
            outbox_id,
            upload: RevisionUpload {
                record,
                who,
                why,
                at,
                base_revision: revision - 1,
                base_hash,
                content_hash,
            },
        });
    }
    Ok(queued)
}

/// Marks a revision sent and keeps its receipt.
pub(super) fn mark_sent(
    tx: &Transaction<'_>,
    outbox_id: i64,
    receipt: &Receipt,
    hub: &str,
) -> Result<(), SyncError> {
    tx.execute(
        "INSERT INTO sync_receipts (record_id, revision, number, content_hash, received_at, hub)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (record_id, revision) DO UPDATE SET number = excluded.number,
             content_hash = excluded.content_hash, received_at = excluded.received_at,
             hub = excluded.hub",
        params![
            receipt.record_id,
            receipt.revision,
            receipt.number,
            receipt.content_hash,
            receipt.received_at,
            hub
        ],
    )?;
    tx.execute(
        "UPDATE outbox SET state = 'sent', receipt = ?2, error = NULL, conflict = NULL,
             attempts = attempts + 1, next_attempt = NULL, changed_at = ?3
         WHERE id = ?1",
        params![outbox_id, receipt.number, now_text()],
    )?;
    Ok(())
}

/// Marks a revision as held at the hub as a conflict.
pub(super) fn mark_conflict(
    tx: &Transaction<'_>,
    outbox_id: i64,
    conflict: &ConflictNotice,
) -> Result<(), SyncError> {
    tx.execute(
        "UPDATE outbox SET state = 'conflict', conflict = ?2, error = ?3,
             attempts = attempts + 1, next_attempt = NULL, changed_at = ?4
         WHERE id = ?1",
        params![outbox_id, conflict.id, conflict.reason, now_text()],
    )?;
    Ok(())
}

/// Marks a revision refused by the hub: kept, shown with the reason, not retried.
pub(super) fn mark_quarantined(
    tx: &Transaction<'_>,
    outbox_id: i64,
    reason: &str,
) -> Result<(), SyncError> {
    tx.execute(
        "UPDATE outbox SET state = 'quarantined', error = ?2,
             attempts = attempts + 1, next_attempt = NULL, changed_at = ?3
         WHERE id = ?1",
        params![outbox_id, reason, now_text()],
    )?;
    Ok(())
}

/// Marks a revision as waiting for its record type version to be published.
pub(super) fn mark_held(conn: &Connection, outbox_id: i64, reason: &str) -> Result<(), SyncError> {
    conn.execute(
        "UPDATE outbox SET state = 'held', error = ?2, changed_at = ?3 WHERE id = ?1",
        params![outbox_id, reason, now_text()],
    )?;
    Ok(())
}

/// Puts every held revision back in the queue (after new templates arrived).
pub(super) fn release_held(conn: &Connection) -> Result<usize, SyncError> {
    Ok(conn.execute(
        "UPDATE outbox SET state = 'pending', error = NULL, changed_at = ?1 WHERE state = 'held'",
        [now_text()],
    )?)
}

/// Records a failed try: the revisions stay pending until `next_attempt`.
pub(super) fn mark_retry(
    conn: &Connection,
    outbox_ids: &[i64],
    error: &str,
    next_attempt: &str,
) -> Result<(), SyncError> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut statement = tx.prepare_cached(
            "UPDATE outbox SET attempts = attempts + 1, error = ?2, next_attempt = ?3
             WHERE id = ?1 AND state = 'pending'",
        )?;
        for id in outbox_ids {
            statement.execute(params![id, error, next_attempt])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// How many attempts the most-tried of these revisions has had.
pub(super) fn max_attempts(conn: &Connection, outbox_ids: &[i64]) -> Result<u32, SyncError> {
    let mut statement = conn.prepare_cached("SELECT attempts FROM outbox WHERE id = ?1")?;
    let mut most = 0;
    for id in outbox_ids {
        let attempts: u32 = statement.query_row([id], |r| r.get(0))?;
        most = most.max(attempts);
    }
    Ok(most)
}

/// One queued revision's state, for the status report.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxEntryStatus {
    /// Record id.
    pub record_id: String,
    /// Revision number.
    pub revision: u32,
    /// Record type.
    pub record_type: String,
    /// The record's date, when its type has one.
    pub event_date: Option<String>,
    /// Sync state.
    pub state: EntryState,
    /// Tries so far.
    pub attempts: u32,
    /// When the next try is due (pending revisions after a failure).
    pub next_attempt: Option<String>,
    /// The hub's receipt number (sent revisions).
    pub receipt: Option<String>,
    /// The hub's conflict number (conflicts).
    pub conflict: Option<i64>,
    /// The last error or the hub's reason.
    pub error: Option<String>,
}

/// The sync state of the whole outbox.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    /// The hub this folder is enrolled with.
    pub hub: Option<String>,
    /// The device id.
    pub device_id: Option<String>,
    /// The committee the device belongs to.
    pub committee: Option<String>,
    /// How many revisions are in each state.
    pub counts: Vec<(EntryState, usize)>,
    /// When the last sync pass ended, and when one last succeeded.
    pub last_pass_at: Option<String>,
    /// When a pass last reached the end of the queue.
    pub last_success_at: Option<String>,
    /// What stopped the last pass, if it failed.
    pub last_error: Option<String>,
    /// Every revision not yet sent, oldest first (all revisions with `all`).
    pub entries: Vec<OutboxEntryStatus>,
}

impl SyncStatus {
    /// How many revisions are in `state`.
    pub fn count(&self, state: EntryState) -> usize {
        self.counts
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }
}

/// The sync state of every revision not yet sent (or of all with `all`).
pub fn status(store: &Store, all: bool) -> Result<SyncStatus, SyncError> {
    let conn = store.connection();
    let mut counts: Vec<(EntryState, usize)> = EntryState::ALL.map(|s| (s, 0)).to_vec();
    {
        let mut statement =
            conn.prepare("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")?;
        let rows =
            statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            let state = EntryState::parse(&state);
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 += n as usize;
            }
        }
    }

    let mut statement = conn.prepare(
        "SELECT o.record_id, o.revision, r.record_type, r.event_date, o.state, o.attempts,
                o.next_attempt, o.receipt, o.conflict, o.error
         FROM outbox o LEFT JOIN records r ON r.id = o.record_id
         WHERE ?1 OR o.state <> 'sent'
         ORDER BY o.id",
    )?;
    let entries = statement
        .query_map([all], |r| {
            Ok(OutboxEntryStatus {
                record_id: r.get(0)?,
                revision: r.get(1)?,
                record_type: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                event_date: r.get(3)?,
                state: EntryState::parse(&r.get::<_, String>(4)?),
                attempts: r.get(5)?,
                next_attempt: r.get(6)?,
                receipt: r.get(7)?,
                conflict: r.get(8)?,
                error: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;

    Ok(SyncStatus {
        hub: setting(conn, "hub_url")?,
        device_id: setting(conn, "device_id")?,
        committee: setting(conn, "committee_name")?,
        counts,
        last_pass_at: setting(conn, "last_pass_at")?,
        last_success_at: setting(conn, "last_success_at")?,
        last_error: setting(conn, "last_error")?,
        entries,
    })
}

/// A receipt kept on the device, with what it is for.
#[derive(Debug, Clone, Serialize)]
pub struct StoredReceipt {
    /// Receipt number.
    pub number: String,
    /// Record id.
    pub record_id: String,
    /// Revision number.
    pub revision: u32,
    /// Record type.
    pub record_type: String,
    /// The record's date.
    pub event_date: Option<String>,
    /// Content hash the hub confirmed.
    pub content_hash: String,
    /// When the hub stored it.
    pub received_at: String,
    /// The hub that issued it.
    pub hub: String,
}

/// Every receipt, in the order the hub issued them.
pub fn receipts(store: &Store) -> Result<Vec<StoredReceipt>, SyncError> {
    let mut statement = store.connection().prepare(
        "SELECT s.number, s.record_id, s.revision, r.record_type, r.event_date, s.content_hash,
                s.received_at, s.hub
         FROM sync_receipts s LEFT JOIN records r ON r.id = s.record_id
         ORDER BY s.received_at, s.number",
    )?;
    let receipts = statement
        .query_map([], |r| {
            Ok(StoredReceipt {
                number: r.get(0)?,
                record_id: r.get(1)?,
                revision: r.get(2)?,
                record_type: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                event_date: r.get(4)?,
                content_hash: r.get(5)?,
                received_at: r.get(6)?,
                hub: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(receipts)
}
