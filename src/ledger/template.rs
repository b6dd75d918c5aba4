//! Template types as written in TOML files (see `builtin/` for examples).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A kind of work a staff member records, e.g. a home visit (入户走访).
///
/// `(id, version)` is immutable once published: a change makes a new version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordType {
    /// Stable identifier such as `home-visit`.
    pub id: String,
    /// Version number; records keep the version they were made with.
    pub version: u32,
    /// Chinese title shown to staff.
    pub title: String,
    /// English title.
    #[serde(default)]
    pub title_en: String,
    /// The date field that places a record in a reporting period.
    pub date_field: String,
    /// Words the speech recogniser should expect for this record type.
    #[serde(default)]
    pub vocabulary: Vec<String>,
    /// Days a recording is kept after its record is final; the transcript
    /// and fields stay. `None` keeps recordings until deleted by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_retention_days: Option<u32>,
    /// Fields in display order.
    pub fields: Vec<FieldSpec>,
}

/// One field of a record type.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Key used in stored values, exports and column templates.
    pub key: String,
    /// Chinese label.
    pub title: String,
    /// English label.
    #[serde(default)]
    pub title_en: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether a final record must have a value.
    #[serde(default)]
    pub required: bool,
    /// Inclusive numeric range `[min, max]` for integer and decimal fields.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// Regular-expression-free pattern: see [`FieldSpec::pattern`].
    ///
    /// A pattern is a string of `9` (any digit), `X` (digit or `X`) and
    /// literal characters; `*` at the end allows any tail. It covers what
    /// ledgers check (codes, room numbers) without a regex engine.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Allowed values for single- and multiple-choice fields.
    #[serde(default)]
    pub choices: Vec<String>,
    /// Unit printed after the value, e.g. `mmHg`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Words that announce the field in speech (血压, 反映, …).
    #[serde(default)]
    pub cues: Vec<String>,
    /// For choice fields: spoken words that select each choice, when people
    /// do not say the choice itself (`入户 = ["上门", "走访"]`). A choice
    /// listed here is selected only by its words; one not listed is
    /// selected when its own text is said.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choice_cues: BTreeMap<String, Vec<String>>,
}

/// The type of a field value.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text.
    Text,
    /// Whole number.
    Integer,
    /// Number with a fractional part.
    Decimal,
    /// Calendar date, stored as `YYYY-MM-DD`.
    Date,
    /// Time of day, stored as `HH:MM`.
    Time,
    /// A person's name.
    Person,
    /// A postal address within the committee's area.
    Address,
    /// Mobile or landline phone number, digits only (landlines may keep a `-`).
    Phone,
    /// 18-character resident identity number with a valid check digit.
    IdNumber,
    /// One of `choices`.
    Choice,
    /// Several of `choices`, stored as a list.
    MultiChoice,
    /// Yes or no, stored as a boolean.
    YesNo,
}

impl FieldType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [FieldType; 12] = [
        FieldType::Text,
        FieldType::Integer,
        FieldType::Decimal,
        FieldType::Date,
        FieldType::Time,
        FieldType::Person,
        FieldType::Address,
        FieldType::Phone,
        FieldType::IdNumber,
        FieldType::Choice,
        FieldType::MultiChoice,
        FieldType::YesNo,
    ];

    /// The name used in template files.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Date => "date",
            FieldType::Time => "time",
            FieldType::Person => "person",
            FieldType::Address => "address",
            FieldType::Phone => "phone",
            FieldType::IdNumber => "id_number",
            FieldType::Choice => "choice",
            FieldType::MultiChoice => "multi_choice",
            FieldType::YesNo => "yes_no",
        }
    }
}

/// A department ledger (台账): a view over records of one or more types.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Ledger {
    /// Stable identifier such as `bp-register`.
    pub id: String,
    /// Ledger code printed in the page header, e.g. `WJ-03`.
    pub code: String,
    /// Chinese title.
    pub title: String,
    /// English title.
    #[serde(default)]
    pub title_en: String,
    /// Owning department line (条线), e.g. 民政, 卫健.
    pub department: String,
    /// How rows are grouped for reporting.
    #[serde(default)]
    pub period: Period,
    /// Approval and lifecycle.
    pub governance: Governance,
    /// Record types feeding this ledger and which of their records qualify.
    pub sources: Vec<Source>,
    /// Columns in print order.
    pub columns: Vec<Column>,
    /// Paper layout.
    #[serde(default)]
    pub print: PrintSettings,
    /// Field types shown masked in every export of this ledger, for
    /// departments that do not need them: `phone` (138****5678) and
    /// `id_number` (3101**********1234).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mask: Vec<FieldType>,
}

/// Reporting period of a ledger.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Monthly ledger.
    #[default]
    Month,
    /// Quarterly ledger.
    Quarter,
    /// Yearly ledger.
    Year,
}

/// Lifecycle and approval of a ledger (准入 at the sub-district).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Governance {
    /// Draft, active or retired.
    pub status: GovernanceStatus,
    /// Who approved the ledger.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// The approval document number.
    #[serde(default)]
    pub approval_document: Option<String>,
    /// When it was approved.
    #[serde(default)]
    pub approved_on: Option<NaiveDate>,
    /// When it must be reviewed again.
    #[serde(default)]
    pub review_on: Option<NaiveDate>,
}

/// Lifecycle state of a ledger.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GovernanceStatus {
    /// Proposed, not yet approved: not offered for entries.
    Draft,
    /// Approved and in use.
    Active,
    /// No longer kept: not offered for new entries, history still exportable.
    Retired,
}

/// One record type feeding a ledger, with an optional filter such as
/// `age >= 80 or resident.age >= 80`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The record type id.
    pub record_type: String,
    /// Filter expression; empty means every record.
    #[serde(default)]
    pub filter: String,
}

/// A ledger column.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// Chinese column title.
    pub title: String,
    /// English column title.
    #[serde(default)]
    pub title_en: String,
    /// Value template: literal text with `{field}` placeholders for record
    /// fields, `{resident.name|address|phone|birth_year|age|tags}` for the
    /// resident registry and `{record.author|state|committee}` for record
    /// metadata. A cell whose placeholders are all empty is empty.
    pub value: String,
    /// Relative width on paper and in spreadsheets (characters).
    #[serde(default = "default_width")]
    pub width: f32,
}

fn default_width() -> f32 {
    10.0
}

/// Paper layout settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrintSettings {
    /// Page orientation on A4.
    #[serde(default)]
    pub orientation: Orientation,
    /// Table rows or one card per record.
    #[serde(default)]
    pub layout: Layout,
    /// Sign-off lines in the footer (填报人, 审核人, 日期 …).
    #[serde(default = "default_sign_off")]
    pub sign_off: Vec<String>,
    /// Empty rows added after the last record for handwritten entries.
    #[serde(default)]
    pub blank_rows: u32,
}

impl Default for PrintSettings {
    fn default() -> Self {
        PrintSettings {
            orientation: Orientation::default(),
            layout: Layout::default(),
            sign_off: default_sign_off(),
            blank_rows: 0,
        }
    }
}

fn default_sign_off() -> Vec<String> {
    ["填报人", "审核人", "日期"].map(String::from).to_vec()
}

/// Page orientation.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Tall page.
    #[default]
    Portrait,
    /// Wide page, for ledgers with many columns.
    Landscape,
}

/// How a ledger is laid out on paper.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One row per record with repeated column headers.
    #[default]
    Table,
    /// One block of label/value cells per record.
    Card,
}

impl RecordType {
    /// The field with this key.
    pub fn field(&self, key: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }
}

impl Ledger {
    /// Whether staff may file new entries against this ledger.
    pub fn accepts_entries(&self) -> bool {
        self.governance.status == GovernanceStatus::Active
    }

    /// Whether records of `record_type` feed this ledger.
    pub fn source_for(&self, record_type: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.record_type == record_type)
    }
}
