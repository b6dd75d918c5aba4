//! Sync to the sub-district's (街道) hub: enrolment, the offline outbox,
//! one sync pass, and a background runner that retries with backoff.
//!
//! Every revision the store saves is queued in the `outbox` table. A sync
//! pass first pulls the templates the hub has published, then uploads queued
//! revisions in batches, oldest first and one revision per record per batch,
//! and records what became of each: `sent` with the hub's receipt number,
//! `conflict` (held at the hub for a person to resolve), `quarantined` (the
//! hub will never accept it as it is; not retried) or `held` (its record
//! type version is not published by the hub yet). Anything that is not a
//! parseable answer from the hub — a dropped connection, a 5xx, a captive
//! portal's HTML page — leaves the revision pending for a later try.
//!
//! The protocol is described in `src/hub/PROTOCOL.md`; its messages are
//! defined once, in [`wire`].

mod client;
mod credentials;
mod enrol;
mod outbox;
mod pass;
mod receipt_sheet;
mod runner;
mod templates;
pub mod wire;

use std::path::PathBuf;

pub use client::{ClientOptions, HubClient};
pub use credentials::{
    DeviceToken, KeyringUse, TokenLocation, forget_token, load_token, save_token,
};
pub use enrol::{EnrolOptions, Enrolment, enrol, enrolment};
pub use outbox::{EntryState, OutboxEntryStatus, StoredReceipt, SyncStatus, receipts, status};
pub use pass::{PassOptions, PassReport, sync_once, sync_until_idle};
pub use receipt_sheet::{RECEIPTS_SHEET_ID, receipt_rows, receipts_ledger};
pub use runner::{Backoff, RunnerEvent, RunnerOptions, SyncRunner};
pub use templates::pull_templates;

use crate::store::StoreError;

/// The outbox's sync columns, the receipts the hub issued and the sync
/// settings. Applied as a store migration.
pub const SYNC_SCHEMA: &str = r#"
    ALTER TABLE outbox ADD COLUMN conflict INTEGER;
    ALTER TABLE outbox ADD COLUMN changed_at TEXT;
    CREATE INDEX outbox_by_state ON outbox (state, id);

    CREATE TABLE sync_receipts (
        record_id     TEXT NOT NULL,
        revision      INTEGER NOT NULL,
        number        TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        received_at   TEXT NOT NULL,
        hub           TEXT NOT NULL,
        PRIMARY KEY (record_id, revision)
    ) STRICT;

    CREATE TABLE sync_settings (
        key           TEXT PRIMARY KEY,
        value         TEXT NOT NULL
    ) STRICT;
"#;

/// Errors while syncing.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The data folder has not been enrolled with a hub.
    #[error(
        "this data folder is not enrolled with a sub-district hub; ask the sub-district for an enrolment code and run `voice-ledger sync enroll --hub URL --code CODE`"
    )]
    NotEnrolled,
    /// The data folder is already enrolled.
    #[error(
        "this data folder is already enrolled with `{hub}` as device `{device_id}`; pass --force to enrol again"
    )]
    AlreadyEnrolled {
        /// The hub it is enrolled with.
        hub: String,
        /// Its device id.
        device_id: String,
    },
    /// The hub address cannot be used.
    #[error("hub address `{url}` cannot be used: {problem}")]
    BadUrl {
        /// The address given.
        url: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The device token is missing from both the keyring and the file.
    #[error(
        "the token of device `{device_id}` is missing from the keyring and the data folder; enrol again with a new code"
    )]
    NoToken {
        /// The device id.
        device_id: String,
    },
    /// The hub could not be reached or the connection broke.
    #[error(
        "cannot reach the hub at `{url}`: {reason}; the records stay queued and are sent when the network is back"
    )]
    Network {
        /// The request address.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The hub answered that it cannot take requests now (429 or 5xx).
    #[error(
        "the hub at `{url}` is unavailable (HTTP {status}); the records stay queued and are retried later"
    )]
    Unavailable {
        /// The request address.
        url: String,
        /// HTTP status.
        status: u16,
        /// Seconds the hub asked to wait, from `Retry-After`.
        retry_after: Option<u64>,
    },
    /// Something answered that is not the hub, e.g. a captive portal.
    #[error(
        "the answer from `{url}` (HTTP {status}) is not from a Voice Ledger hub — the network may need a sign-in page first, or the address is wrong; the records stay queued"
    )]
    NotAHub {
        /// The request address.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// The hub's answer does not match the request.
    #[error(
        "the hub at `{url}` answered in a way that does not match the request: {problem}; the records stay queued"
    )]
    Protocol {
        /// The request address.
        url: String,
        /// What did not match.
        problem: String,
    },
    /// The hub does not recognise the device token.
    #[error(
        "the hub at `{hub}` does not recognise this device ({message}); ask the sub-district for a new code and run `voice-ledger sync enroll --force`"
    )]
    Unauthorized {
        /// The hub.
        hub: String,
        /// The hub's message.
        message: String,
    },
    /// The device has been revoked by the sub-district.
    #[error(
        "the sub-district has revoked this device at `{hub}`; nothing more is sent. Ask the sub-district for a new code and run `voice-ledger sync enroll --force`"
    )]
    Revoked {
        /// The hub.
        hub: String,
    },
    /// The hub refused a request for a reason retrying will not change.
    #[error("the hub refused the request to `{url}` (HTTP {status}, {code}): {message}")]
    Rejected {
        /// The request address.
        url: String,
        /// HTTP status.
        status: u16,
        /// The hub's error code.
        code: String,
        /// The hub's message.
        message: String,
    },
    /// The templates the hub published do not load.
    #[error(
        "the templates published by the hub cannot be used: {0}; ask the sub-district to check them"
    )]
    Templates(#[from] crate::ledger::TemplateError),
    /// A CA certificate file could not be used.
    #[error(
        "cannot use the CA certificate `{path}`: {problem}; give a PEM file with the hub's CA certificate"
    )]
    CaCert {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A file in the data folder could not be read or written.
    #[error("cannot read or write `{path}`: {source}; check the data folder is writable")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// The background thread could not be started.
    #[error("cannot start the background sync thread: {0}; close other programs and try again")]
    Thread(std::io::Error),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The data folder could not be unlocked.
    #[error(transparent)]
    Encryption(#[from] crate::encryption::EncryptionError),
    /// The local database failed.
    #[error("database error while syncing: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl SyncError {
    /// Whether trying again later may succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Network { .. }
                | SyncError::Unavailable { .. }
                | SyncError::NotAHub { .. }
                | SyncError::Protocol { .. }
        )
    }

    /// Whether the device must be enrolled again before syncing can resume.
    pub fn needs_enrolment(&self) -> bool {
        matches!(
            self,
            SyncError::NotEnrolled
                | SyncError::NoToken { .. }
                | SyncError::Unauthorized { .. }
                | SyncError::Revoked { .. }
        )
    }
}

/// Now in the form the sync tables store (RFC 3339, UTC, microseconds), so
/// that timestamps compare correctly as text.
pub(crate) fn now_text() -> String {
    timestamp(chrono::Utc::now())
}

pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
