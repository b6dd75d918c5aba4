//! A record (what a staff member did) and a resident of the registry.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::value::FieldValues;

/// One filled-in record of a record type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// UUIDv7, generated on the device that made the record.
    pub id: String,
    /// Record type id.
    pub record_type: String,
    /// Record type version the values were made with.
    pub type_version: u32,
    /// Field values by key.
    pub fields: FieldValues,
    /// What was said, when the record was dictated.
    #[serde(default)]
    pub transcript: Option<String>,
    /// Path of the recording, relative to the data directory's audio folder.
    #[serde(default)]
    pub audio_ref: Option<String>,
    /// Staff member who made the record.
    pub author: String,
    /// Neighbourhood committee (居委会) the record belongs to.
    pub committee: String,
    /// Registry resident the record is about, when linked.
    #[serde(default)]
    pub resident_id: Option<String>,
    /// Draft or final.
    pub state: RecordState,
    /// Revision number, 1 for a new record, +1 on each edit.
    pub revision: u32,
    /// When the record was first saved.
    pub created_at: DateTime<Utc>,
    /// When the current revision was saved.
    pub updated_at: DateTime<Utc>,
}

/// Whether a record is still being worked on.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// Saved but not yet confirmed; still shown in ledgers, marked as draft.
    Draft,
    /// Confirmed by the staff member.
    Final,
}

impl RecordState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Draft => "draft",
            RecordState::Final => "final",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<RecordState> {
        match text {
            "draft" => Some(RecordState::Draft),
            "final" => Some(RecordState::Final),
            _ => None,
        }
    }
}

/// A household member in the committee's resident registry.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Resident {
    /// Stable id (UUIDv7).
    pub id: String,
    /// Full name.
    pub name: String,
    /// Address as written in the registry.
    pub address: String,
    /// Building (楼/号), when known.
    #[serde(default)]
    pub building: Option<String>,
    /// Room (室), when known.
    #[serde(default)]
    pub room: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Year of birth.
    #[serde(default)]
    pub birth_year: Option<i32>,
    /// Tags such as 独居 (lives alone), 高龄 (over 80), 低保 (minimum-income support).
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Resident {
    /// Age in whole years on `on`, from the birth year.
    pub fn age_on(&self, on: NaiveDate) -> Option<i64> {
        self.birth_year.map(|year| i64::from(on.year() - year))
    }
}
