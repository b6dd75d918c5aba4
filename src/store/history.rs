//! The append-only revision history and its hash chain.
//!
//! Each revision stores the record's full snapshot, the field values it
//! replaced, who made it and why. Revisions form one chain across the whole
//! database: each hash covers the previous hash and the revision's stored
//! text, so editing, removing or inserting a revision — or changing a record
//! row behind the program's back — is detected by [`Store::verify`].

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use rusqlite::{Transaction, params};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::records::{all_records, timestamp};
use super::{Store, StoreError};
use crate::ledger::{FieldValues, Record};

/// Stands for "no previous values" (a created record) in the hash input.
const NO_OLD_FIELDS: &str = "\u{0}";

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One revision of a record.
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    /// Record id.
    pub record_id: String,
    /// Revision number (1 = created).
    pub revision: u32,
    /// When it was saved (RFC 3339, UTC).
    pub at: String,
    /// Who saved it.
    pub who: String,
    /// Why (e.g. 口述录入, 更正血压).
    pub why: String,
    /// Field changes against the previous revision.
    pub changes: Vec<FieldChange>,
    /// The record as it was after this revision.
    pub snapshot: Record,
    /// Hash of this link of the chain.
    pub hash: String,
}

/// One field's change between two revisions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldChange {
    /// Field key.
    pub key: String,
    /// Value before (absent for a new value).
    pub old: Option<Value>,
    /// Value after (absent when cleared).
    pub new: Option<Value>,
}

/// The outcome of checking the hash chain and the record rows.
#[derive(Debug, Clone, Serialize, Default)]
pub struct VerifyReport {
    /// Revisions checked.
    pub revisions: usize,
    /// Records checked.
    pub records: usize,
    /// Everything found wrong; empty when the database is intact.
    pub problems: Vec<VerifyProblem>,
}

/// One inconsistency found by [`Store::verify`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerifyProblem {
    /// The record concerned.
    pub record_id: String,
    /// The revision concerned, when one is.
    pub revision: Option<u32>,
    /// What is wrong.
    pub problem: String,
}

impl VerifyReport {
    /// Whether nothing was found wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The hash of one link: the previous hash and the revision's stored text,
/// each part length-prefixed so no two different links hash alike.
/// Parts: prev hash, record id, revision, at, who, why, old fields, snapshot.
fn link_hash(parts: [&str; 8]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends the revision for `record` (already written to `records`) and
/// queues it for sync.
pub(super) fn append_revision(
    tx: &Transaction<'_>,
    record: &Record,
    old_fields: Option<&FieldValues>,
    who: &str,
    why: &str,
) -> Result<(), StoreError> {
    let prev: String = tx
        .query_row(
            "SELECT hash FROM revisions ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(GENESIS.to_string()),
            e => Err(e),
        })?;
    let at = timestamp(Utc::now());
    let old_text = old_fields.map(|f| serde_json::to_string(f).expect("field values serialise"));
    let snapshot = serde_json::to_string(record).expect("records serialise");
    let revision = record.revision.to_string();
    let old = old_text.as_deref().unwrap_or(NO_OLD_FIELDS);
    let hash = link_hash([&prev, &record.id, &revision, &at, who, why, old, &snapshot]);

    tx.execute(
        "INSERT INTO revisions (record_id, revision, at, who, why, old_fields, snapshot, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![record.id, record.revision, at, who, why, old_text, snapshot, prev, hash],
    )?;
    tx.execute(
        "INSERT INTO outbox (record_id, revision) VALUES (?1, ?2)",
        params![record.id, record.revision],
    )?;
    Ok(())
}

/// Differences between two sets of field values, in key order.
pub fn field_changes(old: &FieldValues, new: &FieldValues) -> Vec<FieldChange> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| FieldChange {
            key: k.clone(),
            old: old.get(k).cloned(),
            new: new.get(k).cloned(),
        })
        .collect()
}

struct StoredRevision {
    record_id: String,
    revision: u32,
    at: String,
    who: String,
    why: String,
    old_fields: Option<String>,
    snapshot: String,
    prev_hash: String,
    hash: String,
}

impl Store {
    fn stored_revisions(&self, record_id: Option<&str>) -> Result<Vec<StoredRevision>, StoreError> {
        let mut statement = self.conn.prepare(
            "SELECT record_id, revision, at, who, why, old_fields, snapshot, prev_hash, hash
             FROM revisions WHERE ?1 IS NULL OR record_id = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map([record_id], |r| {
            Ok(StoredRevision {
                record_id: r.get(0)?,
                revision: r.get(1)?,
                at: r.get(2)?,
                who: r.get(3)?,
                why: r.get(4)?,
                old_fields: r.get(5)?,
                snapshot: r.get(6)?,
                prev_hash: r.get(7)?,
                hash: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A record's revisions, oldest first, with the field changes of each.
    pub fn history(&self, record_id: &str) -> Result<Vec<Revision>, StoreError> {
        let stored = self.stored_revisions(Some(record_id))?;
        if stored.is_empty() && self.record(record_id)?.is_none() {
            return Err(StoreError::NotFound(record_id.to_string()));
        }
        let mut previous = FieldValues::new();
        let mut revisions = Vec::with_capacity(stored.len());
        for s in stored {
            let snapshot: Record =
                serde_json::from_str(&s.snapshot).map_err(|e| StoreError::Corrupt {
                    id: s.record_id.clone(),
                    problem: format!("revision {} snapshot: {e}", s.revision),
                })?;
            let changes = field_changes(&previous, &snapshot.fields);
            previous = snapshot.fields.clone();
            revisions.push(Revision {
                record_id: s.record_id,
                revision: s.revision,
                at: s.at,
                who: s.who,
                why: s.why,
                changes,
                snapshot,
                hash: s.hash,
            });
        }
        Ok(revisions)
    }

    /// The record as it was at `revision`.
    pub fn record_at_revision(
        &self,
        record_id: &str,
        revision: u32,
    ) -> Result<Option<Record>, StoreError> {
        Ok(self
            .history(record_id)?
            .into_iter()
            .find(|r| r.revision == revision)
            .map(|r| r.snapshot))
    }

    /// Checks the whole hash chain and that every record row matches its
    /// latest revision.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let mut expected_prev = GENESIS.to_string();
        let mut latest: HashMap<String, (u32, String)> = HashMap::new();

        for s in self.stored_revisions(None)? {
            report.revisions += 1;
            let mut problem = |text: &str| {
                report.problems.push(VerifyProblem {
                    record_id: s.record_id.clone(),
                    revision: Some(s.revision),
                    problem: text.to_string(),
                })
            };
            if s.prev_hash != expected_prev {
                problem(
                    "the chain is broken before this revision: a revision was removed, inserted or reordered",
                );
            }
            let recomputed = link_hash([
                &s.prev_hash,
                &s.record_id,
                &s.revision.to_string(),
                &s.at,
                &s.who,
                &s.why,
                s.old_fields.as_deref().unwrap_or(NO_OLD_FIELDS),
                &s.snapshot,
            ]);
            if recomputed != s.hash {
                problem("this revision was altered after it was saved");
            }
            let (last, _) = latest
                .get(&s.record_id)
                .cloned()
                .unwrap_or((0, String::new()));
            if s.revision != last + 1 {
                problem(&format!(
                    "revision numbers jump from {last} to {}",
                    s.revision
                ));
            }
            expected_prev = s.hash.clone();
            latest.insert(s.record_id.clone(), (s.revision, s.snapshot));
        }

        for record in all_records(&self.conn)? {
            report.records += 1;
            let mut problem = |text: String| {
                report.problems.push(VerifyProblem {
                    record_id: record.id.clone(),
                    revision: Some(record.revision),
                    problem: text,
                })
            };
            match latest.get(&record.id) {
                None => {
                    problem("the record has no history: it was added outside the program".into())
                }
                Some((revision, snapshot)) => {
                    let stored: Option<Value> = serde_json::from_str(snapshot).ok();
                    let current = serde_json::to_value(&record).ok();
                    if *revision != record.revision || stored != current {
                        problem(format!(
                            "the record differs from its latest revision ({revision}): it was changed outside the program"
                        ));
                    }
                }
            }
        }
        Ok(report)
    }
}
