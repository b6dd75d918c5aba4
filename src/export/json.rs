//! JSON export: the same rows with the record id, revision and record type
//! (template) version behind each, for departments that collect ledgers
//! electronically and for checking a paper copy against the database.
//!
//! The top level names the ledger template and every record type template
//! (id and version) the rows were made from, so a department can tell which
//! form of the ledger it received.

use std::path::Path;

use serde_json::{Value, json};

use super::atomic::write_atomically;
use super::sheet::SheetText;
use super::{ExportError, LedgerExport};

/// The JSON document for `export`.
pub fn json_value(export: &LedgerExport<'_>) -> Result<Value, ExportError> {
    export.check()?;
    let (ledger, rows, header) = (export.ledger, export.rows, export.header);
    let text = SheetText::new(rows);

    let out_rows: Vec<Value> = rows
        .rows
        .iter()
        .zip(&text.body)
        .enumerate()
        .map(|(i, (row, cells))| {
            json!({
                "number": i + 1,
                "number_text": cells[0],
                "record_id": row.record_id,
                "revision": row.revision,
                "record_type": row.record_type,
                "type_version": row.type_version,
                "state": row.state.as_str(),
                "date": row.date,
                "cells": row.cells,
            })
        })
        .collect();
    // Each record type and version behind the rows, in first-seen order.
    let mut templates: Vec<(&str, u32, usize)> = Vec::new();
    for row in &rows.rows {
        match templates
            .iter_mut()
            .find(|(id, version, _)| *id == row.record_type && *version == row.type_version)
        {
            Some(seen) => seen.2 += 1,
            None => templates.push((&row.record_type, row.type_version, 1)),
        }
    }
    let templates: Vec<Value> = templates
        .into_iter()
        .map(|(id, version, count)| json!({ "id": id, "version": version, "rows": count }))
        .collect();
    let sources: Vec<&str> = ledger
        .sources
        .iter()
        .map(|s| s.record_type.as_str())
        .collect();
    let columns: Vec<Value> = ledger
        .columns
        .iter()
        .map(|c| json!({ "title": c.title, "title_en": c.title_en }))
        .collect();

    Ok(json!({
        "format": "voice-ledger/ledger-export",
        "format_version": 1,
        "ledger": {
            "id": ledger.id,
            "code": ledger.code,
            "title": ledger.title,
            "department": ledger.department,
            "sources": sources,
        },
        "templates": templates,
        "sub_district": header.sub_district,
        "committee": header.committee,
        "period": { "from": rows.from, "to": rows.to, "label": header.period_label },
        "exported_at": header.printed_at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "columns": columns,
        "rows": out_rows,
    }))
}

/// Writes `export` as pretty-printed JSON to `path`.
pub fn write_json(export: &LedgerExport<'_>, path: &Path) -> Result<(), ExportError> {
    let value = json_value(export)?;
    let mut bytes = serde_json::to_vec_pretty(&value).expect("a JSON value always serialises");
    bytes.push(b'\n');
    write_atomically(path, &bytes)
}
