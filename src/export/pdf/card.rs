//! The record-card layout (记录卡): one block of label and value cells per
//! record, as many blocks per page as fit, a block never split unless it is
//! taller than a page.

use super::draw::{Align, FontKind};
use super::layout::{BODY_PT, Block, Cell, PageGeometry, Row, Typesetter};
use crate::export::LedgerExport;
use crate::export::sheet::{ROW_NUMBER_TITLE, SheetText};

/// Width of a label cell in millimetres.
const LABEL_WIDTH: f32 = 26.0;

/// Columns at most this wide (in template width units) share a line in pairs.
const SHORT_COLUMN: f32 = 12.0;

/// Space between cards.
const CARD_GAP: f32 = 5.0;

/// Smallest height of a field line.
const FIELD_MIN: f32 = 7.0;

/// Height of the box saying the period has no records.
const EMPTY_NOTICE: f32 = 18.0;

/// One block per record, then `blank_rows` empty cards to fill in by hand.
pub(crate) fn card_blocks(
    ts: Typesetter<'_>,
    geo: &PageGeometry,
    export: &LedgerExport<'_>,
) -> Vec<Block> {
    let text = SheetText::new(export.rows);
    let titles = &export.rows.columns;
    let widths: Vec<f32> = export.ledger.columns.iter().map(|c| c.width).collect();

    let mut blocks: Vec<Block> = text
        .body
        .iter()
        .zip(&export.rows.rows)
        .map(|(cells, row)| {
            let record = Some((row.record_id.clone(), row.revision));
            card(ts, geo, &cells[0], titles, &cells[1..], &widths, record)
        })
        .collect();

    if blocks.is_empty() {
        let notice = format!("本期（{}）无记录", export.header.period_label);
        let cell = Cell::new(
            ts,
            geo.left,
            geo.content_width(),
            &notice,
            Align::Center,
            FontKind::Body,
            BODY_PT,
        )
        .middle();
        blocks.push(Block {
            rows: vec![Row {
                cells: vec![cell],
                min_height: EMPTY_NOTICE,
                record: None,
            }],
            gap: 0.0,
            optional: false,
            continued: None,
        });
    }

    let empty = vec![String::new(); titles.len()];
    for _ in 0..export.ledger.print.blank_rows {
        let mut blank = card(ts, geo, "", titles, &empty, &widths, None);
        blank.optional = true;
        blocks.push(blank);
    }
    blocks
}

fn card(
    ts: Typesetter<'_>,
    geo: &PageGeometry,
    number: &str,
    titles: &[String],
    values: &[String],
    widths: &[f32],
    record: Option<(String, u32)>,
) -> Block {
    let (left, full) = (geo.left, geo.content_width());
    let half = full / 2.0;
    // A label is shown again (with 续) when a long value continues on the
    // next page, so the continuation is never an unlabelled box.
    let label = |x: f32, title: &str| {
        let mut cell = Cell::new(
            ts,
            x,
            LABEL_WIDTH,
            title,
            Align::Center,
            FontKind::Body,
            BODY_PT,
        )
        .shaded();
        cell.repeat_on_split = true;
        cell
    };
    let value = |x: f32, width: f32, text: &str| {
        Cell::new(ts, x, width, text, Align::Left, FontKind::Body, BODY_PT)
    };
    let row = |cells: Vec<Cell>| Row {
        cells,
        min_height: FIELD_MIN,
        record: record.clone(),
    };

    let title = format!("{ROW_NUMBER_TITLE}：{number}");
    let mut rows = vec![row(vec![
        Cell::new(
            ts,
            left,
            full,
            &title,
            Align::Left,
            FontKind::Heading,
            BODY_PT,
        )
        .shaded(),
    ])];

    let mut i = 0;
    while i < titles.len() {
        let short = |j: usize| j < titles.len() && widths[j] <= SHORT_COLUMN;
        if short(i) && short(i + 1) {
            rows.push(row(vec![
                label(left, &titles[i]),
                value(left + LABEL_WIDTH, half - LABEL_WIDTH, &values[i]),
                label(left + half, &titles[i + 1]),
                value(
                    left + half + LABEL_WIDTH,
                    half - LABEL_WIDTH,
                    &values[i + 1],
                ),
            ]));
            i += 2;
        } else {
            rows.push(row(vec![
                label(left, &titles[i]),
                value(left + LABEL_WIDTH, full - LABEL_WIDTH, &values[i]),
            ]));
            i += 1;
        }
    }
    let continued = row(vec![
        Cell::new(
            ts,
            left,
            full,
            &format!("{title}（续）"),
            Align::Left,
            FontKind::Heading,
            BODY_PT,
        )
        .shaded(),
    ]);
    Block {
        rows,
        gap: CARD_GAP,
        optional: false,
        continued: Some(continued),
    }
}
