//! The table layout (名册): column headings repeated on every page, one row
//! per record, optional blank rows for handwritten entries.

use super::draw::{Align, FontKind};
use super::layout::{BODY_PT, Block, Cell, PageGeometry, Row, Typesetter};
use crate::export::LedgerExport;
use crate::export::sheet::SheetText;

/// Width of the row-number column in millimetres.
const NUMBER_WIDTH: f32 = 12.0;

/// Smallest height of a record row: room to add a word by hand.
const ROW_MIN: f32 = 8.0;

/// Height of an empty row for handwriting.
const BLANK_ROW: f32 = 9.5;

/// Height of the box saying the period has no records.
const EMPTY_NOTICE: f32 = 18.0;

/// The heading row and the blocks (one per row) of a table ledger.
pub(crate) fn table_rows(
    ts: Typesetter<'_>,
    geo: &PageGeometry,
    export: &LedgerExport<'_>,
) -> (Row, Vec<Block>) {
    let columns = column_boxes(geo, export);
    let text = SheetText::new(export.rows);

    let heading = Row {
        cells: columns
            .iter()
            .zip(&text.header)
            .map(|(&(x, width), title)| {
                Cell::new(
                    ts,
                    x,
                    width,
                    title,
                    Align::Center,
                    FontKind::Heading,
                    BODY_PT,
                )
                .shaded()
            })
            .collect(),
        min_height: 9.0,
        record: None,
    };

    let mut blocks: Vec<Block> = text
        .body
        .iter()
        .zip(&export.rows.rows)
        .map(|(cells, row)| {
            let cells = columns
                .iter()
                .zip(cells)
                .enumerate()
                .map(|(i, (&(x, width), value))| {
                    if i > 0 {
                        return Cell::new(
                            ts,
                            x,
                            width,
                            value,
                            Align::Left,
                            FontKind::Body,
                            BODY_PT,
                        );
                    }
                    // The narrow number column shows a draft mark on its own line.
                    let number = value.replace(' ', "\n");
                    let mut cell = Cell::new(
                        ts,
                        x,
                        width,
                        &number,
                        Align::Center,
                        FontKind::Body,
                        BODY_PT,
                    );
                    cell.repeat_on_split = true;
                    cell
                })
                .collect();
            Block {
                rows: vec![Row {
                    cells,
                    min_height: ROW_MIN,
                    record: Some((row.record_id.clone(), row.revision)),
                }],
                gap: 0.0,
                optional: false,
                continued: None,
            }
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

    for _ in 0..export.ledger.print.blank_rows {
        let cells = columns
            .iter()
            .map(|&(x, width)| Cell::new(ts, x, width, "", Align::Left, FontKind::Body, BODY_PT))
            .collect();
        blocks.push(Block {
            rows: vec![Row {
                cells,
                min_height: BLANK_ROW,
                record: None,
            }],
            gap: 0.0,
            optional: true,
            continued: None,
        });
    }

    (heading, blocks)
}

/// Left edge and width of each column: the row number, then the ledger's
/// columns sharing the rest in proportion to their `width`.
fn column_boxes(geo: &PageGeometry, export: &LedgerExport<'_>) -> Vec<(f32, f32)> {
    let weights: Vec<f32> = export
        .ledger
        .columns
        .iter()
        .map(|c| c.width.max(1.0))
        .collect();
    let total: f32 = weights.iter().sum();
    let unit = (geo.content_width() - NUMBER_WIDTH) / total.max(1.0);

    let mut boxes = vec![(geo.left, NUMBER_WIDTH)];
    let mut x = geo.left + NUMBER_WIDTH;
    for weight in weights {
        boxes.push((x, weight * unit));
        x += weight * unit;
    }
    boxes
}
