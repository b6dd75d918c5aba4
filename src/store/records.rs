//! Creating, editing and querying records; every write adds a revision.

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
use rusqlite::{OptionalExtension, Row, params};

use super::history::append_revision;
use super::{Store, StoreError};
use crate::ledger::{FieldValues, Record, RecordState, RecordType, check_values};

/// What a new record starts with.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Field values; checked against the record type.
    pub fields: FieldValues,
    /// The dictated text, if any.
    pub transcript: Option<String>,
    /// The recording, relative to the audio folder.
    pub audio_ref: Option<String>,
    /// Staff member.
    pub author: String,
    /// Neighbourhood committee.
    pub committee: String,
    /// Linked registry resident.
    pub resident_id: Option<String>,
    /// Draft or final.
    pub state: RecordState,
}

/// A change to a record; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct RecordUpdate {
    /// Replacement field values (the whole set).
    pub fields: Option<FieldValues>,
    /// New state.
    pub state: Option<RecordState>,
    /// New resident link (`Some(None)` removes it).
    pub resident_id: Option<Option<String>>,
    /// New transcript.
    pub transcript: Option<String>,
    /// New recording reference (`Some(None)` removes it, e.g. after retention).
    pub audio_ref: Option<Option<String>>,
}

/// Which records to list.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    /// Only this record type.
    pub record_type: Option<String>,
    /// Dated on or after.
    pub from: Option<NaiveDate>,
    /// Dated on or before.
    pub to: Option<NaiveDate>,
    /// Only this state.
    pub state: Option<RecordState>,
    /// Text contained in any field value or the transcript.
    pub text: Option<String>,
    /// Only records linked to this resident.
    pub resident_id: Option<String>,
    /// At most this many, newest first when set.
    pub limit: Option<usize>,
}

/// Now, to the microsecond: what the database keeps, so a record read back
/// equals the record written.
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn event_date(record_type: &RecordType, fields: &FieldValues) -> Option<String> {
    fields
        .get(&record_type.date_field)?
        .as_str()
        .map(str::to_string)
}

impl Store {
    /// Saves a new record as revision 1, after checking its values.
    pub fn insert_record(
        &mut self,
        record_type: &RecordType,
        new: NewRecord,
        who: &str,
        why: &str,
    ) -> Result<Record, StoreError> {
        let fields = check_values(record_type, &new.fields)?;
        let now = now();
        let record = Record {
            id: uuid::Uuid::now_v7().to_string(),
            record_type: record_type.id.clone(),
            type_version: record_type.version,
            fields,
            transcript: new.transcript,
            audio_ref: new.audio_ref,
            author: new.author,
            committee: new.committee,
            resident_id: new.resident_id,
            state: new.state,
            revision: 1,
            created_at: now,
            updated_at: now,
        };

        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO records (id, record_type, type_version, fields, transcript, audio_ref,
                 author, committee, resident_id, state, revision, event_date, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                record.id,
                record.record_type,
                record.type_version,
                serde_json::to_string(&record.fields).expect("field values serialise"),
                record.transcript,
                record.audio_ref,
                record.author,
                record.committee,
                record.resident_id,
                record.state.as_str(),
                record.revision,
                event_date(record_type, &record.fields),
                timestamp(record.created_at),
                timestamp(record.updated_at),
            ],
        )?;
        append_revision(&tx, &record, None, who, why)?;
        tx.commit()?;
        tracing::debug!(id = %record.id, record_type = %record.record_type, "record created");
        Ok(record)
    }

    /// Applies `update` to a record as a new revision. The previous values
    /// stay in the history; an update that changes nothing adds nothing.
    pub fn update_record(
        &mut self,
        record_type: &RecordType,
        id: &str,
        update: RecordUpdate,
        who: &str,
        why: &str,
    ) -> Result<Record, StoreError> {
        let tx = self.conn.transaction()?;
        let old = load_record(&tx, id)?.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        if old.record_type != record_type.id {
            return Err(StoreError::WrongType {
                id: id.to_string(),
                actual: old.record_type,
                given: record_type.id.clone(),
            });
        }

        let mut new = old.clone();
        if let Some(fields) = update.fields {
            new.fields = check_values(record_type, &fields)?;
            new.type_version = record_type.version;
        }
        if let Some(state) = update.state {
            new.state = state;
        }
        if let Some(resident_id) = update.resident_id {
            new.resident_id = resident_id;
        }
        if let Some(transcript) = update.transcript {
            new.transcript = Some(transcript);
        }
        if let Some(audio_ref) = update.audio_ref {
            new.audio_ref = audio_ref;
        }
        if new == old {
            return Ok(old);
        }
        new.revision = old.revision + 1;
        new.updated_at = now();

        tx.execute(
            "UPDATE records SET type_version = ?2, fields = ?3, transcript = ?4, audio_ref = ?5,
                 resident_id = ?6, state = ?7, revision = ?8, event_date = ?9, updated_at = ?10
             WHERE id = ?1",
            params![
                new.id,
                new.type_version,
                serde_json::to_string(&new.fields).expect("field values serialise"),
                new.transcript,
                new.audio_ref,
                new.resident_id,
                new.state.as_str(),
                new.revision,
                event_date(record_type, &new.fields),
                timestamp(new.updated_at),
            ],
        )?;
        append_revision(&tx, &new, Some(&old.fields), who, why)?;
        tx.commit()?;
        tracing::debug!(id = %new.id, revision = new.revision, "record revised");
        Ok(new)
    }

    /// A record by id.
    pub fn record(&self, id: &str) -> Result<Option<Record>, StoreError> {
        load_record(&self.conn, id)
    }

    /// Records matching `query`, ordered by date then creation.
    pub fn records(&self, query: &RecordQuery) -> Result<Vec<Record>, StoreError> {
        let mut sql = String::from(&*format!("SELECT {COLUMNS} FROM records WHERE 1 = 1"));
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(t) = &query.record_type {
            args.push(Box::new(t.clone()));
            sql += &format!(" AND record_type = ?{}", args.len());
        }
        if let Some(from) = query.from {
            args.push(Box::new(from.format("%Y-%m-%d").to_string()));
            sql += &format!(" AND event_date >= ?{}", args.len());
        }
        if let Some(to) = query.to {
            args.push(Box::new(to.format("%Y-%m-%d").to_string()));
            sql += &format!(" AND event_date <= ?{}", args.len());
        }
        if let Some(state) = query.state {
            args.push(Box::new(state.as_str()));
            sql += &format!(" AND state = ?{}", args.len());
        }
        if let Some(resident_id) = &query.resident_id {
            args.push(Box::new(resident_id.clone()));
            sql += &format!(" AND resident_id = ?{}", args.len());
        }
        if let Some(text) = &query.text {
            args.push(Box::new(format!("%{text}%")));
            let n = args.len();
            sql += &format!(" AND (fields LIKE ?{n} OR transcript LIKE ?{n})");
        }
        sql += " ORDER BY event_date, created_at, id";
        if let Some(limit) = query.limit {
            sql += &format!(" LIMIT {limit}");
        }

        let mut statement = self.conn.prepare(&sql)?;
        let params = rusqlite::params_from_iter(args.iter().map(|a| a.as_ref()));
        let rows = statement.query_map(params, read_row)?;
        rows.map(|row| row?.into_record()).collect()
    }
}

const COLUMNS: &str = "id, record_type, type_version, fields, transcript, audio_ref, author,
    committee, resident_id, state, revision, created_at, updated_at";

/// A record row as stored, before its JSON and timestamps are parsed.
pub(super) struct RawRecord {
    id: String,
    record_type: String,
    type_version: u32,
    fields: String,
    transcript: Option<String>,
    audio_ref: Option<String>,
    author: String,
    committee: String,
    resident_id: Option<String>,
    state: String,
    revision: u32,
    created_at: String,
    updated_at: String,
}

fn read_row(row: &Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok(RawRecord {
        id: row.get(0)?,
        record_type: row.get(1)?,
        type_version: row.get(2)?,
        fields: row.get(3)?,
        transcript: row.get(4)?,
        audio_ref: row.get(5)?,
        author: row.get(6)?,
        committee: row.get(7)?,
        resident_id: row.get(8)?,
        state: row.get(9)?,
        revision: row.get(10)?,
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

impl RawRecord {
    pub(super) fn into_record(self) -> Result<Record, StoreError> {
        let corrupt = |problem: String| StoreError::Corrupt {
            id: self.id.clone(),
            problem,
        };
        let fields =
            serde_json::from_str(&self.fields).map_err(|e| corrupt(format!("fields: {e}")))?;
        let state = RecordState::parse(&self.state)
            .ok_or_else(|| corrupt(format!("state `{}`", self.state)))?;
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| corrupt(format!("timestamp `{text}`: {e}")))
        };
        Ok(Record {
            created_at: time(&self.created_at)?,
            updated_at: time(&self.updated_at)?,
            id: self.id,
            record_type: self.record_type,
            type_version: self.type_version,
            fields,
            transcript: self.transcript,
            audio_ref: self.audio_ref,
            author: self.author,
            committee: self.committee,
            resident_id: self.resident_id,
            state,
            revision: self.revision,
        })
    }
}

pub(super) fn load_record(
    conn: &rusqlite::Connection,
    id: &str,
) -> Result<Option<Record>, StoreError> {
    let raw = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM records WHERE id = ?1"),
            [id],
            read_row,
        )
        .optional()?;
    raw.map(RawRecord::into_record).transpose()
}

pub(super) fn all_records(conn: &rusqlite::Connection) -> Result<Vec<Record>, StoreError> {
    let mut statement = conn.prepare(&format!("SELECT {COLUMNS} FROM records ORDER BY id"))?;
    let rows = statement.query_map([], read_row)?;
    rows.map(|row| row?.into_record()).collect()
}
