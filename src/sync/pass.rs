//! One sync pass: pull templates, then upload queued revisions in batches
//! until the queue is empty or the hub cannot be reached.

use std::time::Duration;

use serde::Serialize;

use super::client::HubClient;
use super::outbox::{
    QueuedRevision, due_revisions, mark_conflict, mark_held, mark_quarantined, mark_retry,
    mark_sent, max_attempts, set_setting,
};
use super::runner::Backoff;
use super::templates::{published_types, pull_templates};
use super::wire::{BatchResponse, MAX_BATCH, Outcome, PublishedType};
use super::{SyncError, now_text, timestamp};
use crate::paths::DataDir;
use crate::store::Store;

/// How a pass behaves.
#[derive(Debug, Clone)]
pub struct PassOptions {
    /// Revisions per request (at most [`MAX_BATCH`]).
    pub batch_size: usize,
    /// Send revisions whose retry time has not come yet (an explicit
    /// "sync now").
    pub ignore_schedule: bool,
    /// When a revision is tried again after a failed request.
    pub backoff: Backoff,
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            batch_size: MAX_BATCH,
            ignore_schedule: false,
            backoff: Backoff::default(),
        }
    }
}

/// What a pass did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PassReport {
    /// Whether new templates were installed.
    pub templates_updated: bool,
    /// Upload requests that got an answer.
    pub batches: usize,
    /// Revisions the hub stored now.
    pub created: usize,
    /// Revisions the hub already had (an earlier answer was lost).
    pub replayed: usize,
    /// Revisions held at the hub as conflicts.
    pub conflicts: usize,
    /// Revisions the hub refused.
    pub quarantined: usize,
    /// Revisions waiting for their record type version to be published.
    pub held: usize,
    /// Why the hub's templates could not be installed, if they could not.
    pub templates_error: Option<String>,
}

impl PassReport {
    /// Revisions the hub now holds, new or replayed.
    pub fn sent(&self) -> usize {
        self.created + self.replayed
    }

    fn add(&mut self, other: &PassReport) {
        self.templates_updated |= other.templates_updated;
        self.batches += other.batches;
        self.created += other.created;
        self.replayed += other.replayed;
        self.conflicts += other.conflicts;
        self.quarantined += other.quarantined;
        self.held += other.held;
        if other.templates_error.is_some() {
            self.templates_error.clone_from(&other.templates_error);
        }
    }
}

/// Runs one pass and notes its end (and any error) in the sync settings.
pub fn sync_once(
    store: &Store,
    data: &DataDir,
    client: &HubClient,
    options: &PassOptions,
) -> Result<PassReport, SyncError> {
    let result = run_pass(store, data, client, options);

    let conn = store.connection();
    let now = now_text();
    set_setting(conn, "last_pass_at", Some(&now))?;
    match &result {
        Ok(report) => {
            set_setting(conn, "last_success_at", Some(&now))?;
            set_setting(conn, "last_error", None)?;
            tracing::debug!(?report, "sync pass finished");
        }
        Err(e) => {
            set_setting(conn, "last_error", Some(&e.to_string()))?;
            tracing::debug!("sync pass stopped: {e}");
        }
    }
    result
}

/// Runs passes until one finishes, retrying transient failures up to
/// `max_failures` times with `options.backoff`. Returns what all passes did.
pub fn sync_until_idle(
    store: &Store,
    data: &DataDir,
    client: &HubClient,
    options: &PassOptions,
    max_failures: u32,
) -> Result<PassReport, SyncError> {
    let mut total = PassReport::default();
    let mut failures = 0;
    loop {
        let before = unsent(store)?;
        match sync_once(store, data, client, options) {
            Ok(report) => {
                total.add(&report);
                return Ok(total);
            }
            Err(e) if e.is_transient() && failures < max_failures => {
                failures += 1;
                // A pass that got some revisions through before failing
                // earns a fresh start of the backoff.
                if unsent(store)? < before {
                    failures = 1;
                }
                let wait = retry_wait(&e, options.backoff.delay(failures));
                tracing::debug!(?wait, failures, "retrying the sync pass: {e}");
                std::thread::sleep(wait);
            }
            Err(e) => return Err(e),
        }
    }
}

fn unsent(store: &Store) -> Result<i64, SyncError> {
    Ok(store.connection().query_row(
        "SELECT COUNT(*) FROM outbox WHERE state = 'pending'",
        [],
        |r| r.get(0),
    )?)
}

/// The backoff delay, or longer if the hub asked for it.
pub(super) fn retry_wait(error: &SyncError, backoff: Duration) -> Duration {
    match error {
        SyncError::Unavailable {
            retry_after: Some(seconds),
            ..
        } => backoff.max(Duration::from_secs(*seconds)),
        _ => backoff,
    }
}

fn run_pass(
    store: &Store,
    data: &DataDir,
    client: &HubClient,
    options: &PassOptions,
) -> Result<PassReport, SyncError> {
    let mut report = PassReport::default();
    match pull_templates(store, data, client) {
        Ok(updated) => report.templates_updated = updated,
        // Templates this program cannot use must not stop records of
        // already published types from going out; the error is reported.
        Err(SyncError::Templates(e)) => {
            tracing::warn!("the hub's templates were not installed: {e}");
            report.templates_error = Some(SyncError::Templates(e).to_string());
        }
        Err(e) => return Err(e),
    }
    let published = published_types(store)?.unwrap_or_default();
    let mut batch_size = options.batch_size.clamp(1, MAX_BATCH);

    loop {
        let conn = store.connection();
        let due = due_revisions(conn, options.ignore_schedule, batch_size)?;
        if due.is_empty() {
            return Ok(report);
        }
        let (ready, unpublished): (Vec<QueuedRevision>, Vec<QueuedRevision>) =
            due.into_iter().partition(|q| {
                published.contains(&PublishedType {
                    id: q.upload.record.record_type.clone(),
                    version: q.upload.record.type_version,
                })
            });
        for queued in &unpublished {
            let record = &queued.upload.record;
            let reason = format!(
                "record type `{}` version {} is not published by the sub-district hub yet; it is sent once the hub approves it",
                record.record_type, record.type_version
            );
            mark_held(conn, queued.outbox_id, &reason)?;
            report.held += 1;
        }
        if ready.is_empty() {
            continue;
        }

        let uploads: Vec<_> = ready.iter().map(|q| q.upload.clone()).collect();
        let answer = client
            .upload_batch(&uploads)
            .and_then(|response| check_answer(&ready, response, client.base_url()));
        match answer {
            Ok(response) => {
                report.batches += 1;
                apply(store, &ready, response, client.base_url(), &mut report)?;
            }
            Err(SyncError::Rejected { status, .. })
                if matches!(status, 400 | 413) && ready.len() > 1 =>
            {
                // Too large, or one revision the hub cannot even read:
                // halve until the culprit stands alone.
                batch_size = (ready.len() / 2).max(1);
                tracing::debug!(batch_size, status, "hub refused the batch; splitting it");
            }
            Err(SyncError::Rejected {
                status: 400 | 413,
                code,
                message,
                ..
            }) => {
                let tx = conn.unchecked_transaction()?;
                mark_quarantined(&tx, ready[0].outbox_id, &format!("{message} ({code})"))?;
                tx.commit()?;
                report.quarantined += 1;
            }
            Err(e) if e.is_transient() => {
                let ids: Vec<i64> = ready.iter().map(|q| q.outbox_id).collect();
                let attempts = max_attempts(conn, &ids)? + 1;
                let wait = retry_wait(&e, options.backoff.delay(attempts));
                let next = chrono::Utc::now()
                    + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                mark_retry(conn, &ids, &e.to_string(), &timestamp(next))?;
                return Err(e);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Accepts a batch answer only if it answers exactly what was asked.
fn check_answer(
    sent: &[QueuedRevision],
    response: BatchResponse,
    hub: &str,
) -> Result<BatchResponse, SyncError> {
    let mismatch = |problem: String| SyncError::Protocol {
        url: hub.to_string(),
        problem,
    };
    if response.results.len() != sent.len() {
        return Err(mismatch(format!(
            "{} results for {} revisions",
            response.results.len(),
            sent.len()
        )));
    }
    for (queued, result) in sent.iter().zip(&response.results) {
        let upload = &queued.upload;
        if result.record_id != upload.record.id || result.revision != upload.record.revision {
            return Err(mismatch(format!(
                "result for `{}` revision {} where `{}` revision {} was sent",
                result.record_id, result.revision, upload.record.id, upload.record.revision
            )));
        }
        if let Outcome::Created { receipt } | Outcome::Replayed { receipt } = &result.outcome
            && (receipt.record_id != upload.record.id
                || receipt.revision != upload.record.revision
                || receipt.content_hash != upload.content_hash)
        {
            return Err(mismatch(format!(
                "receipt {} does not match `{}` revision {} as sent",
                receipt.number, upload.record.id, upload.record.revision
            )));
        }
    }
    Ok(response)
}

fn apply(
    store: &Store,
    sent: &[QueuedRevision],
    response: BatchResponse,
    hub: &str,
    report: &mut PassReport,
) -> Result<(), SyncError> {
    let tx = store.connection().unchecked_transaction()?;
    for (queued, result) in sent.iter().zip(response.results) {
        match result.outcome {
            Outcome::Created { receipt } => {
                mark_sent(&tx, queued.outbox_id, &receipt, hub)?;
                report.created += 1;
            }
            Outcome::Replayed { receipt } => {
                mark_sent(&tx, queued.outbox_id, &receipt, hub)?;
                report.replayed += 1;
            }
            Outcome::Conflict { conflict } => {
                mark_conflict(&tx, queued.outbox_id, &conflict)?;
                report.conflicts += 1;
            }
            Outcome::Invalid { code, reason } => {
                mark_quarantined(&tx, queued.outbox_id, &format!("{reason} ({code})"))?;
                report.quarantined += 1;
            }
            Outcome::Forbidden { reason } => {
                mark_quarantined(&tx, queued.outbox_id, &format!("{reason} (forbidden)"))?;
                report.quarantined += 1;
            }
        }
    }
    tx.commit()?;
    Ok(())
}
