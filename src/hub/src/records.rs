//! Storing uploaded revisions and reading records back: the protocol's
//! rules about replays, conflicts, invalid content and ownership.
//!
//! The order of the checks matters. A revision the hub already holds is
//! answered from what is stored before anything else, so a replay always
//! gets the original receipt, even if the record type was retired since.

use voice_ledger::ledger::{Record, check_values};
use voice_ledger::sync::wire::{
    ConflictEntry, ConflictNotice, HubRecord, HubRevision, Outcome, Receipt, RevisionUpload, Role,
};

use crate::admin::Device;
use crate::db::{Conn, Row};
use crate::templates::CatalogState;
use crate::{HubError, now_text};

/// The receipt number of a stored revision's sequence number.
pub fn receipt_number(seq: i64) -> String {
    format!("R-{seq:010}")
}

fn invalid(code: &str, reason: String) -> Outcome {
    Outcome::Invalid {
        code: code.to_string(),
        reason,
    }
}

fn forbidden() -> Outcome {
    Outcome::Forbidden {
        reason: "this record belongs to another neighbourhood committee".to_string(),
    }
}

/// Applies one uploaded revision from `device`. Call inside a transaction.
pub fn apply_upload(
    conn: &mut dyn Conn,
    device: &Device,
    catalog: &CatalogState,
    upload: &RevisionUpload,
) -> Result<Outcome, HubError> {
    let record = &upload.record;
    let Some(committee) = device
        .committee
        .as_ref()
        .filter(|_| device.role == Role::Committee)
    else {
        return Ok(Outcome::Forbidden {
            reason: "sub-district devices read records; only committee devices write them"
                .to_string(),
        });
    };
    if uuid::Uuid::parse_str(&record.id).is_err() {
        return Ok(invalid(
            "bad_record_id",
            format!("record id `{}` is not a UUID", record.id),
        ));
    }
    if record.revision == 0 || upload.base_revision != record.revision - 1 {
        return Ok(invalid(
            "bad_revision",
            format!(
                "revision {} cannot be based on revision {}",
                record.revision, upload.base_revision
            ),
        ));
    }
    let content = upload.content();
    let content_hash = content.hash();
    if content_hash != upload.content_hash {
        return Ok(invalid(
            "hash_mismatch",
            "the revision does not match its content hash; it was altered on the way or made by an incompatible program version".to_string(),
        ));
    }

    // 1. Already here: the same content is a replay, other content a conflict.
    if let Some(stored) = conn.query_opt(
        "SELECT seq, content_hash, received_at, committee_id FROM revisions
         WHERE record_id = $1 AND revision = $2",
        &[record.id.as_str().into(), record.revision.into()],
    )? {
        return replay_or_conflict(conn, device, upload, &content_hash, &stored);
    }

    // 2. Content the hub will never accept as it is.
    let Some(record_type) = catalog
        .catalog
        .record_type_version(&record.record_type, record.type_version)
        .filter(|_| catalog.is_published(&record.record_type, record.type_version))
    else {
        return Ok(invalid(
            "unknown_template",
            format!(
                "record type `{}` version {} is not published by this hub; pull templates (`voice-ledger sync templates`) or ask the sub-district to approve it",
                record.record_type, record.type_version
            ),
        ));
    };
    if let Err(e) = check_values(record_type, &record.fields) {
        return Ok(invalid("bad_value", e.to_string()));
    }

    // 3. Move the record forward, but only from the revision it was based on.
    let now = now_text();
    let snapshot = serde_json::to_string(record).expect("records serialise");
    let event_date = record
        .fields
        .get(&record_type.date_field)
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let moved = if record.revision == 1 {
        conn.execute(
            "INSERT INTO records (id, committee_id, revision, content_hash, latest_seq, record_type,
                 type_version, event_date, snapshot, updated_at)
             VALUES ($1, $2, 1, $3, 0, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO NOTHING",
            &[
                record.id.as_str().into(),
                committee.id.as_str().into(),
                content_hash.as_str().into(),
                record.record_type.as_str().into(),
                record.type_version.into(),
                event_date.into(),
                snapshot.as_str().into(),
                now.as_str().into(),
            ],
        )?
    } else {
        let Some(base_hash) = &upload.base_hash else {
            return Ok(invalid(
                "missing_base",
                format!(
                    "revision {} names no content hash for its base revision",
                    record.revision
                ),
            ));
        };
        conn.execute(
            "UPDATE records SET revision = $3, content_hash = $4, record_type = $5,
                 type_version = $6, event_date = $7, snapshot = $8, updated_at = $9
             WHERE id = $1 AND committee_id = $2 AND revision = $10 AND content_hash = $11",
            &[
                record.id.as_str().into(),
                committee.id.as_str().into(),
                record.revision.into(),
                content_hash.as_str().into(),
                record.record_type.as_str().into(),
                record.type_version.into(),
                event_date.into(),
                snapshot.as_str().into(),
                now.as_str().into(),
                upload.base_revision.into(),
                base_hash.as_str().into(),
            ],
        )?
    };
    if moved == 0 {
        return refuse_move(conn, device, upload, &content_hash);
    }

    let seq = conn
        .query_opt(
            "INSERT INTO revisions (record_id, revision, content_hash, content, committee_id,
                 device_id, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (record_id, revision) DO NOTHING
             RETURNING seq",
            &[
                record.id.as_str().into(),
                record.revision.into(),
                content_hash.as_str().into(),
                content.json().into(),
                committee.id.as_str().into(),
                device.id.as_str().into(),
                now.as_str().into(),
            ],
        )?
        .map(|row| row.int(0))
        .transpose()?
        .ok_or_else(|| {
            HubError::Invalid(format!(
                "revision {} of `{}` appeared twice in one transaction",
                record.revision, record.id
            ))
        })?;
    conn.execute(
        "UPDATE records SET latest_seq = $2 WHERE id = $1",
        &[record.id.as_str().into(), seq.into()],
    )?;
    Ok(Outcome::Created {
        receipt: Receipt {
            number: receipt_number(seq),
            record_id: record.id.clone(),
            revision: record.revision,
            content_hash,
            received_at: now,
        },
    })
}

/// Answers an upload of a revision the hub already holds.
fn replay_or_conflict(
    conn: &mut dyn Conn,
    device: &Device,
    upload: &RevisionUpload,
    content_hash: &str,
    stored: &Row,
) -> Result<Outcome, HubError> {
    let own = device.committee.as_ref().map(|c| c.id.as_str());
    if own != Some(stored.text(3)?.as_str()) {
        return Ok(forbidden());
    }
    if stored.text(1)? == content_hash {
        return Ok(Outcome::Replayed {
            receipt: Receipt {
                number: receipt_number(stored.int(0)?),
                record_id: upload.record.id.clone(),
                revision: upload.record.revision,
                content_hash: content_hash.to_string(),
                received_at: stored.text(2)?,
            },
        });
    }
    let hub_revision = latest_revision(conn, &upload.record.id)?.unwrap_or(0);
    record_conflict(
        conn,
        device,
        upload,
        content_hash,
        format!(
            "revision {} of this record already reached the hub with different content",
            upload.record.revision
        ),
        hub_revision,
    )
}

/// Explains why a revision could not move the record forward.
fn refuse_move(
    conn: &mut dyn Conn,
    device: &Device,
    upload: &RevisionUpload,
    content_hash: &str,
) -> Result<Outcome, HubError> {
    let record = &upload.record;
    let row = conn.query_opt(
        "SELECT committee_id, revision, content_hash FROM records WHERE id = $1",
        &[record.id.as_str().into()],
    )?;
    let own = device.committee.as_ref().map(|c| c.id.as_str());
    let (reason, hub_revision) = match row {
        Some(row) if own != Some(row.text(0)?.as_str()) => return Ok(forbidden()),
        None => (
            format!(
                "revision {} is based on revision {}, but the hub has no revision of this record",
                record.revision, upload.base_revision
            ),
            0,
        ),
        Some(row) => {
            let hub_revision = row.int(1)?;
            let reason = if hub_revision == i64::from(upload.base_revision) {
                format!(
                    "revision {} is based on a revision {} that differs from the hub's",
                    record.revision, upload.base_revision
                )
            } else {
                format!(
                    "revision {} is based on revision {}, but the hub's latest is {hub_revision}",
                    record.revision, upload.base_revision
                )
            };
            (reason, hub_revision)
        }
    };
    // A concurrent upload of this very revision may have won the race.
    if let Some(stored) = conn.query_opt(
        "SELECT seq, content_hash, received_at, committee_id FROM revisions
         WHERE record_id = $1 AND revision = $2",
        &[record.id.as_str().into(), record.revision.into()],
    )? {
        return replay_or_conflict(conn, device, upload, content_hash, &stored);
    }
    record_conflict(
        conn,
        device,
        upload,
        content_hash,
        reason,
        hub_revision as u32,
    )
}

fn latest_revision(conn: &mut dyn Conn, record_id: &str) -> Result<Option<u32>, HubError> {
    Ok(conn
        .query_opt(
            "SELECT revision FROM records WHERE id = $1",
            &[record_id.into()],
        )?
        .map(|row| row.int(0))
        .transpose()?
        .map(|r| r as u32))
}

/// Keeps a revision aside for a person to resolve; the same conflicting
/// upload sent again gets the same conflict number.
fn record_conflict(
    conn: &mut dyn Conn,
    device: &Device,
    upload: &RevisionUpload,
    content_hash: &str,
    reason: String,
    hub_revision: u32,
) -> Result<Outcome, HubError> {
    let record = &upload.record;
    let committee = device
        .committee
        .as_ref()
        .map(|c| c.id.as_str())
        .unwrap_or_default();
    conn.execute(
        "INSERT INTO conflicts (record_id, revision, content_hash, content, reason, hub_revision,
             committee_id, device_id, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (record_id, revision, content_hash) DO NOTHING",
        &[
            record.id.as_str().into(),
            record.revision.into(),
            content_hash.into(),
            upload.content().json().into(),
            reason.as_str().into(),
            hub_revision.into(),
            committee.into(),
            device.id.as_str().into(),
            now_text().into(),
        ],
    )?;
    let row = conn
        .query_opt(
            "SELECT id, reason, hub_revision FROM conflicts
             WHERE record_id = $1 AND revision = $2 AND content_hash = $3",
            &[
                record.id.as_str().into(),
                record.revision.into(),
                content_hash.into(),
            ],
        )?
        .ok_or_else(|| HubError::NotFound("the conflict just recorded".into()))?;
    tracing::info!(record_id = %record.id, revision = record.revision, "conflict recorded: {reason}");
    Ok(Outcome::Conflict {
        conflict: ConflictNotice {
            id: row.int(0)?,
            reason: row.text(1)?,
            hub_revision: row.int(2)? as u32,
        },
    })
}

/// The committee a device may read: `None` means every committee.
fn readable_committee(device: &Device, wanted: Option<&str>) -> Result<Option<String>, HubError> {
    match (device.role, &device.committee) {
        (Role::Admin, _) => Ok(wanted.map(str::to_string)),
        (Role::Committee, Some(own)) => match wanted {
            Some(w) if w != own.id && w != own.name => Err(HubError::Forbidden(
                "a committee device reads only its own committee's records".into(),
            )),
            _ => Ok(Some(own.id.clone())),
        },
        (Role::Committee, None) => Err(HubError::Forbidden("the device has no committee".into())),
    }
}

fn hub_record(row: &Row) -> Result<HubRecord, HubError> {
    let record: Record = serde_json::from_str(&row.text(0)?)
        .map_err(|e| HubError::Invalid(format!("stored record is unreadable: {e}")))?;
    Ok(HubRecord {
        record,
        committee_id: row.text(1)?,
        receipt: receipt_number(row.int(2)?),
    })
}

/// A page of records the device may read, ordered by id, after `after`.
pub fn list_records(
    conn: &mut dyn Conn,
    device: &Device,
    committee: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<HubRecord>, Option<String>), HubError> {
    let committee = match committee {
        Some(c) if device.role == Role::Admin => Some(crate::admin::find_committee(conn, c)?.id),
        other => readable_committee(device, other)?,
    };
    let limit = limit.clamp(1, 1000);
    let rows = conn.query(
        "SELECT snapshot, committee_id, latest_seq, id FROM records
         WHERE ($1 = '' OR committee_id = $1) AND id > $2
         ORDER BY id LIMIT $3",
        &[
            committee.unwrap_or_default().into(),
            after.unwrap_or_default().into(),
            (limit as i64 + 1).into(),
        ],
    )?;
    let more = rows.len() > limit;
    let records = rows
        .iter()
        .take(limit)
        .map(hub_record)
        .collect::<Result<Vec<_>, _>>()?;
    let next = more
        .then(|| records.last().map(|r| r.record.id.clone()))
        .flatten();
    Ok((records, next))
}

/// One record, if the device may read it.
pub fn get_record(
    conn: &mut dyn Conn,
    device: &Device,
    id: &str,
) -> Result<Option<HubRecord>, HubError> {
    let Some(row) = conn.query_opt(
        "SELECT snapshot, committee_id, latest_seq FROM records WHERE id = $1",
        &[id.into()],
    )?
    else {
        return Ok(None);
    };
    let record = hub_record(&row)?;
    // Another committee's record is reported as absent, not forbidden,
    // so that ids do not reveal what other committees hold.
    Ok(match readable_committee(device, None)? {
        Some(own) if own != record.committee_id => None,
        _ => Some(record),
    })
}

/// Every stored revision of a record the device may read, oldest first.
pub fn record_revisions(
    conn: &mut dyn Conn,
    device: &Device,
    id: &str,
) -> Result<Option<Vec<HubRevision>>, HubError> {
    if get_record(conn, device, id)?.is_none() {
        return Ok(None);
    }
    #[derive(serde::Deserialize)]
    struct Content {
        record: Record,
        who: String,
        why: String,
        at: String,
    }
    let rows = conn.query(
        "SELECT seq, revision, content_hash, received_at, content FROM revisions
         WHERE record_id = $1 ORDER BY revision",
        &[id.into()],
    )?;
    let mut revisions = Vec::with_capacity(rows.len());
    for row in rows {
        let content: Content = serde_json::from_str(&row.text(4)?)
            .map_err(|e| HubError::Invalid(format!("stored revision is unreadable: {e}")))?;
        revisions.push(HubRevision {
            revision: row.int(1)? as u32,
            receipt: Receipt {
                number: receipt_number(row.int(0)?),
                record_id: id.to_string(),
                revision: row.int(1)? as u32,
                content_hash: row.text(2)?,
                received_at: row.text(3)?,
            },
            who: content.who,
            why: content.why,
            at: content.at,
            record: content.record,
        });
    }
    Ok(Some(revisions))
}

/// Conflicts the device may see, newest first.
pub fn conflicts(conn: &mut dyn Conn, device: &Device) -> Result<Vec<ConflictEntry>, HubError> {
    let committee = readable_committee(device, None)?;
    conn.query(
        "SELECT id, record_id, revision, reason, committee_id, device_id, received_at, status
         FROM conflicts WHERE ($1 = '' OR committee_id = $1) ORDER BY id DESC",
        &[committee.unwrap_or_default().into()],
    )?
    .iter()
    .map(conflict_entry)
    .collect()
}

fn conflict_entry(row: &Row) -> Result<ConflictEntry, HubError> {
    Ok(ConflictEntry {
        id: row.int(0)?,
        record_id: row.text(1)?,
        revision: row.int(2)? as u32,
        reason: row.text(3)?,
        committee_id: row.text(4)?,
        device_id: row.text(5)?,
        received_at: row.text(6)?,
        status: row.text(7)?,
    })
}

/// Every conflict, for the admin command line.
pub fn all_conflicts(conn: &mut dyn Conn) -> Result<Vec<ConflictEntry>, HubError> {
    conn.query(
        "SELECT id, record_id, revision, reason, committee_id, device_id, received_at, status
         FROM conflicts ORDER BY id DESC",
        &[],
    )?
    .iter()
    .map(conflict_entry)
    .collect()
}

/// Marks a conflict resolved with a note saying how.
pub fn resolve_conflict(conn: &mut dyn Conn, id: i64, note: &str) -> Result<(), HubError> {
    let changed = conn.execute(
        "UPDATE conflicts SET status = 'resolved', resolved_at = $2, note = $3 WHERE id = $1",
        &[id.into(), now_text().into(), note.into()],
    )?;
    if changed == 0 {
        return Err(HubError::NotFound(format!(
            "conflict {id}; see `voice-ledger-hub conflict list`"
        )));
    }
    Ok(())
}

/// Every record of the given types dated within `from..=to`, across all
/// committees, with each one's committee id.
pub fn records_for_export(
    conn: &mut dyn Conn,
    record_types: &[String],
    from: &str,
    to: &str,
) -> Result<Vec<(Record, String)>, HubError> {
    let mut out = Vec::new();
    for record_type in record_types {
        let rows = conn.query(
            "SELECT snapshot, committee_id, latest_seq FROM records
             WHERE record_type = $1 AND event_date >= $2 AND event_date <= $3
             ORDER BY event_date, id",
            &[record_type.into(), from.into(), to.into()],
        )?;
        for row in rows {
            let record = hub_record(&row)?;
            out.push((record.record, record.committee_id));
        }
    }
    Ok(out)
}
