//! The sync protocol's messages, shared by the desktop client and the hub so
//! that the two can never disagree on a field name. `src/hub/PROTOCOL.md`
//! describes them in prose.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ledger::Record;

/// Sent in every response so a client can tell a hub from anything else that
/// answers on the same address (a captive portal, a misconfigured proxy).
pub const PROTOCOL: &str = "voice-ledger-sync/1";

/// The most revisions one batch request may carry.
pub const MAX_BATCH: usize = 500;

/// Header carrying the protocol name on every hub response.
pub const PROTOCOL_HEADER: &str = "voice-ledger-protocol";

/// `POST /v1/enrol`: trade a one-time code for a device token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The code printed by `voice-ledger-hub device enroll-code`.
    pub code: String,
    /// A name that helps the sub-district recognise the device.
    pub device_name: String,
}

/// What a device may do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A neighbourhood committee's device: reads and writes its own records.
    Committee,
    /// The sub-district: reads every committee's records.
    Admin,
}

/// A neighbourhood committee as the hub knows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Committee {
    /// The hub's id for the committee.
    pub id: String,
    /// Its name, e.g. 彭浦新村第一居委会.
    pub name: String,
}

/// The answer to a successful enrolment. The token is shown once.
#[derive(Serialize, Deserialize)]
pub struct EnrolResponse {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// The hub's id for this device.
    pub device_id: String,
    /// The bearer token for every further request.
    pub token: String,
    /// What the device may do.
    pub role: Role,
    /// The committee the device belongs to (none for the sub-district).
    pub committee: Option<Committee>,
}

impl std::fmt::Debug for EnrolResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolResponse")
            .field("device_id", &self.device_id)
            .field("token", &"<redacted>")
            .field("role", &self.role)
            .field("committee", &self.committee)
            .finish()
    }
}

/// `GET /v1/whoami`: the device a token belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhoAmI {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// Device id.
    pub device_id: String,
    /// Device name given at enrolment.
    pub device_name: String,
    /// What the device may do.
    pub role: Role,
    /// Its committee, for committee devices.
    pub committee: Option<Committee>,
}

/// The part of a revision its content hash covers: the record as it was
/// after the revision, and who made the revision, when and why.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionContent<'a> {
    /// The record after this revision.
    pub record: &'a Record,
    /// Who saved the revision.
    pub who: &'a str,
    /// Why.
    pub why: &'a str,
    /// When, as stored on the device (RFC 3339, UTC).
    pub at: &'a str,
}

impl RevisionContent<'_> {
    /// SHA-256 (hex) of the content's JSON. Both sides serialise the same
    /// typed structure, so the text — and the hash — is the same.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.json()))
    }

    /// The content as JSON text, as the hub stores it.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("revision content serialises")
    }
}

/// One record revision sent to the hub.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevisionUpload {
    /// The record after this revision; `record.revision` is the revision.
    pub record: Record,
    /// Who saved the revision.
    pub who: String,
    /// Why.
    pub why: String,
    /// When, as stored on the device.
    pub at: String,
    /// The revision this one was made from (`revision - 1`; 0 for a new record).
    pub base_revision: u32,
    /// The content hash of the base revision as the hub acknowledged it;
    /// absent for a new record.
    pub base_hash: Option<String>,
    /// [`RevisionContent::hash`] of this revision.
    pub content_hash: String,
}

impl RevisionUpload {
    /// The hashed part of the upload.
    pub fn content(&self) -> RevisionContent<'_> {
        RevisionContent {
            record: &self.record,
            who: &self.who,
            why: &self.why,
            at: &self.at,
        }
    }
}

/// `POST /v1/revisions/batch` request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRequest {
    /// At most [`MAX_BATCH`] revisions.
    pub revisions: Vec<RevisionUpload>,
}

/// `POST /v1/revisions/batch` response body: one result per revision, in
/// request order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResponse {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// Results, in the order of the request.
    pub results: Vec<ItemResult>,
}

/// The hub's proof that it holds a revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Receipt {
    /// Receipt number, e.g. `R-0000012345`; printable on a paper ledger.
    pub number: String,
    /// Record id.
    pub record_id: String,
    /// Revision number.
    pub revision: u32,
    /// Content hash the hub stored.
    pub content_hash: String,
    /// When the hub first stored it (RFC 3339, UTC).
    pub received_at: String,
}

/// A revision the hub holds aside for a person to resolve.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConflictNotice {
    /// The hub's conflict number.
    pub id: i64,
    /// Why the revision could not be applied.
    pub reason: String,
    /// The hub's latest revision of the record (0 if it has none).
    pub hub_revision: u32,
}

/// What became of one uploaded revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Stored now (HTTP 201 for a single upload).
    Created {
        /// The new receipt.
        receipt: Receipt,
    },
    /// Already stored with the same content; the original receipt (HTTP 200).
    Replayed {
        /// The original receipt.
        receipt: Receipt,
    },
    /// Not applied; held as a conflict for a person to resolve (HTTP 409).
    Conflict {
        /// The conflict.
        conflict: ConflictNotice,
    },
    /// Content the hub will never accept as sent (HTTP 422); do not retry.
    Invalid {
        /// Machine-readable reason, e.g. `unknown_template`, `bad_value`.
        code: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The record belongs to another committee, or the device may not write (HTTP 403).
    Forbidden {
        /// Why.
        reason: String,
    },
}

impl Outcome {
    /// The HTTP status a single upload answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Outcome::Created { .. } => 201,
            Outcome::Replayed { .. } => 200,
            Outcome::Conflict { .. } => 409,
            Outcome::Invalid { .. } => 422,
            Outcome::Forbidden { .. } => 403,
        }
    }
}

/// One revision's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ItemResult {
    /// Record id.
    pub record_id: String,
    /// Revision number.
    pub revision: u32,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// `PUT /v1/records/{id}/revisions/{revision}` response body, whatever the
/// status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadResponse {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// What became of the revision.
    pub result: ItemResult,
}

/// Every error response outside the per-revision results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code and a message for people.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable code, e.g. `unauthorized`, `device_revoked`, `batch_too_large`.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}

/// A record type version the hub has published.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublishedType {
    /// Record type id.
    pub id: String,
    /// Version.
    pub version: u32,
}

/// One template file of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateFile {
    /// File name to save it under in the templates folder (`hub-*.toml`).
    pub name: String,
    /// The TOML text.
    pub toml: String,
}

/// `GET /v1/templates`: what the sub-district has approved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TemplateBundle {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// Changes whenever the bundle changes; also sent as the `ETag` header.
    pub etag: String,
    /// Every record type version records may be submitted against,
    /// including the built-in ones.
    pub published: Vec<PublishedType>,
    /// Approved templates beyond the built-in ones, and ledgers that replace
    /// built-in ones (e.g. retired).
    pub files: Vec<TemplateFile>,
}

/// A record as the hub holds it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HubRecord {
    /// The record at its latest revision on the hub.
    pub record: Record,
    /// The hub id of the committee owning it.
    pub committee_id: String,
    /// Receipt of the latest revision.
    pub receipt: String,
}

/// `GET /v1/records` response body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordPage {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// Records ordered by id.
    pub records: Vec<HubRecord>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

/// One stored revision, from `GET /v1/records/{id}/revisions`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HubRevision {
    /// Revision number.
    pub revision: u32,
    /// The receipt issued for it.
    pub receipt: Receipt,
    /// Who saved it on the device.
    pub who: String,
    /// Why.
    pub why: String,
    /// When, on the device.
    pub at: String,
    /// The record after this revision.
    pub record: Record,
}

/// `GET /v1/records/{id}/revisions` response body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevisionList {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// Oldest first.
    pub revisions: Vec<HubRevision>,
}

/// A conflict as listed by `GET /v1/conflicts`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConflictEntry {
    /// Conflict number.
    pub id: i64,
    /// Record id.
    pub record_id: String,
    /// The revision that could not be applied.
    pub revision: u32,
    /// Why.
    pub reason: String,
    /// The hub id of the committee that sent it.
    pub committee_id: String,
    /// The device that sent it.
    pub device_id: String,
    /// When it arrived.
    pub received_at: String,
    /// `open` or `resolved`.
    pub status: String,
}

/// `GET /v1/conflicts` response body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConflictList {
    /// Protocol name; always [`PROTOCOL`].
    pub protocol: String,
    /// Newest first.
    pub conflicts: Vec<ConflictEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: Outcome, expected_json: &str) {
        let item = ItemResult {
            record_id: "r".into(),
            revision: 2,
            outcome,
        };
        let text = serde_json::to_string(&item).unwrap();
        assert_eq!(text, expected_json);
        assert_eq!(serde_json::from_str::<ItemResult>(&text).unwrap(), item);
    }

    #[test]
    fn item_results_are_flat_objects_tagged_by_status() {
        check(
            Outcome::Invalid {
                code: "bad_value".into(),
                reason: "field `age`".into(),
            },
            r#"{"record_id":"r","revision":2,"status":"invalid","code":"bad_value","reason":"field `age`"}"#,
        );
        check(
            Outcome::Forbidden { reason: "x".into() },
            r#"{"record_id":"r","revision":2,"status":"forbidden","reason":"x"}"#,
        );
        check(
            Outcome::Conflict {
                conflict: ConflictNotice {
                    id: 7,
                    reason: "stale".into(),
                    hub_revision: 1,
                },
            },
            r#"{"record_id":"r","revision":2,"status":"conflict","conflict":{"id":7,"reason":"stale","hub_revision":1}}"#,
        );
    }

    #[test]
    fn enrol_response_debug_hides_the_token() {
        let response = EnrolResponse {
            protocol: PROTOCOL.into(),
            device_id: "d1".into(),
            token: "secret-token-value".into(),
            role: Role::Committee,
            committee: None,
        };
        assert!(!format!("{response:?}").contains("secret-token-value"));
    }
}
