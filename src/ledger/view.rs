//! The rows a ledger shows: the one place where records become ledger cells,
//! so every export format prints the same rows in the same order.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use super::catalog::{Catalog, placeholders};
use super::filter::Filter;
use super::record::{Record, RecordState, Resident};
use super::template::{FieldType, Ledger};
use super::value::display_value;

/// A ledger's rows for a date range, ready for any export format.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LedgerRows {
    /// Ledger id.
    pub ledger_id: String,
    /// Column titles in order.
    pub columns: Vec<String>,
    /// First day included.
    pub from: NaiveDate,
    /// Last day included.
    pub to: NaiveDate,
    /// Rows ordered by record date, then by creation time.
    pub rows: Vec<LedgerRow>,
}

/// One ledger row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LedgerRow {
    /// The record the row shows.
    pub record_id: String,
    /// The record's revision shown.
    pub revision: u32,
    /// Record type and version the row came from.
    pub record_type: String,
    /// Version of the record type.
    pub type_version: u32,
    /// Draft or final.
    pub state: RecordState,
    /// The record's date (its type's date field).
    pub date: NaiveDate,
    /// Cell texts, one per column.
    pub cells: Vec<String>,
}

/// Builds `ledger`'s rows from `records` dated `from..=to`.
///
/// Records of types the ledger does not draw from, records outside the
/// range and records the source filter rejects are left out. Resident
/// registry values come from `residents` by the record's `resident_id`.
pub fn ledger_rows(
    catalog: &Catalog,
    ledger: &Ledger,
    records: &[Record],
    residents: &HashMap<String, Resident>,
    from: NaiveDate,
    to: NaiveDate,
) -> LedgerRows {
    let filters: HashMap<&str, Filter> = ledger
        .sources
        .iter()
        .map(|s| {
            (
                s.record_type.as_str(),
                Filter::parse(&s.filter).unwrap_or_default(),
            )
        })
        .collect();

    let mut rows: Vec<(LedgerRow, chrono::DateTime<chrono::Utc>)> = Vec::new();
    for record in records {
        let Some(filter) = filters.get(record.record_type.as_str()) else {
            continue;
        };
        let Some(date) = record_date(catalog, record) else {
            continue;
        };
        if date < from || date > to {
            continue;
        }
        let resident = record.resident_id.as_ref().and_then(|id| residents.get(id));
        let lookup = |name: &str| lookup(record, resident, date, name);
        if !filter.matches(lookup) {
            continue;
        }
        let masked = |name: &str, text: String| mask_value(catalog, ledger, record, name, text);
        let cells = ledger
            .columns
            .iter()
            .map(|c| render_cell(&c.value, &lookup, &masked))
            .collect();
        let row = LedgerRow {
            record_id: record.id.clone(),
            revision: record.revision,
            record_type: record.record_type.clone(),
            type_version: record.type_version,
            state: record.state,
            date,
            cells,
        };
        rows.push((row, record.created_at));
    }
    rows.sort_by(|(a, a_at), (b, b_at)| {
        (a.date, a_at, &a.record_id).cmp(&(b.date, b_at, &b.record_id))
    });

    LedgerRows {
        ledger_id: ledger.id.clone(),
        columns: ledger.columns.iter().map(|c| c.title.clone()).collect(),
        from,
        to,
        rows: rows.into_iter().map(|(row, _)| row).collect(),
    }
}

/// Active ledgers whose rows include `record`: the answer to "which books
/// does this one visit go into".
pub fn ledgers_containing<'a>(
    catalog: &'a Catalog,
    record: &Record,
    residents: &HashMap<String, Resident>,
) -> Vec<&'a Ledger> {
    let Some(day) = record_date(catalog, record) else {
        return Vec::new();
    };
    catalog
        .ledgers_for(&record.record_type)
        .into_iter()
        .filter(|l| {
            !ledger_rows(
                catalog,
                l,
                std::slice::from_ref(record),
                residents,
                day,
                day,
            )
            .rows
            .is_empty()
        })
        .collect()
}

/// The date that places a record in a period, from its type's date field.
pub fn record_date(catalog: &Catalog, record: &Record) -> Option<NaiveDate> {
    let record_type = catalog
        .record_type_version(&record.record_type, record.type_version)
        .or_else(|| catalog.record_type(&record.record_type))?;
    let text = record.fields.get(&record_type.date_field)?.as_str()?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn lookup(
    record: &Record,
    resident: Option<&Resident>,
    date: NaiveDate,
    name: &str,
) -> Option<Value> {
    if let Some(key) = name.strip_prefix("resident.") {
        let resident = resident?;
        return match key {
            "name" => Some(Value::from(resident.name.clone())),
            "address" => Some(Value::from(resident.address.clone())),
            "phone" => resident.phone.clone().map(Value::from),
            "birth_year" => resident.birth_year.map(Value::from),
            "age" => resident.age_on(date).map(Value::from),
            "tags" => Some(Value::from(resident.tags.clone())),
            _ => None,
        };
    }
    if let Some(key) = name.strip_prefix("record.") {
        return match key {
            "author" => Some(Value::from(record.author.clone())),
            "committee" => Some(Value::from(record.committee.clone())),
            "id" => Some(Value::from(record.id.clone())),
            "state" => Some(Value::from(match record.state {
                RecordState::Draft => "草稿",
                RecordState::Final => "定稿",
            })),
            _ => None,
        };
    }
    record.fields.get(name).cloned()
}

/// Masks `text` when the ledger hides values of the named field's type.
fn mask_value(
    catalog: &Catalog,
    ledger: &Ledger,
    record: &Record,
    name: &str,
    text: String,
) -> String {
    if ledger.mask.is_empty() || text.is_empty() {
        return text;
    }
    let kind = if name == "resident.phone" {
        Some(FieldType::Phone)
    } else {
        catalog
            .record_type_version(&record.record_type, record.type_version)
            .and_then(|rt| rt.field(name))
            .map(|f| f.kind)
    };
    match kind {
        Some(kind) if ledger.mask.contains(&kind) => mask_text(kind, &text),
        _ => text,
    }
}

/// Hides the middle of a phone or ID number, keeping what staff use to
/// tell people apart: 13812345678 → 138****5678, an ID number keeps its
/// first 4 and last 4 characters.
pub fn mask_text(kind: FieldType, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let (keep_start, keep_end) = match kind {
        FieldType::IdNumber => (4, 4),
        FieldType::Phone if chars.len() == 11 => (3, 4),
        FieldType::Phone if chars.len() >= 7 => {
            (chars.iter().position(|c| *c == '-').map_or(0, |p| p + 1), 2)
        }
        _ => (chars.len(), 0),
    };
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// Fills a column template; a cell whose placeholders are all empty is empty.
fn render_cell(
    template: &str,
    lookup: &impl Fn(&str) -> Option<Value>,
    masked: &impl Fn(&str, String) -> String,
) -> String {
    let mut out = String::new();
    let mut any_value = false;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = after[..close].trim();
        let text = masked(
            name,
            lookup(name).map(|v| display_value(&v)).unwrap_or_default(),
        );
        any_value |= !text.is_empty();
        out.push_str(&text);
        rest = &after[close + 1..];
    }
    out.push_str(rest);

    let has_placeholders = placeholders(template).next().is_some();
    if has_placeholders && !any_value {
        return String::new();
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_ends() {
        let check = |kind, text: &str, expected: &str| {
            assert_eq!(mask_text(kind, text), expected, "{text}")
        };
        check(
            FieldType::IdNumber,
            "31010519491231002X",
            "3101**********002X",
        );
        check(FieldType::Phone, "13812345678", "138****5678");
        check(FieldType::Phone, "021-56781234", "021-******34");
        check(FieldType::Phone, "123", "***");
    }
}
