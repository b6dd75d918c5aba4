//! XLSX export: one sheet per ledger, laid out like the paper ledger and set
//! up to print well from Excel or WPS (A4, the ledger's orientation, title
//! and column headings on every page, page numbers in the footer).

use std::collections::HashSet;
use std::path::Path;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::atomic::write_atomically;
use super::sheet::SheetText;
use super::{ExportError, LedgerExport};
use crate::ledger::Orientation;

/// Rows above the data: title, header line, column headings.
const TITLE_ROW: u32 = 0;
const INFO_ROW: u32 = 1;
const HEADING_ROW: u32 = 2;
const FIRST_DATA_ROW: u32 = 3;

/// Excel paper size code for A4.
const PAPER_A4: u8 = 9;

/// Font most Chinese office PCs have; others substitute their CJK font.
const FONT: &str = "宋体";

/// Line height of 11-point text in points, for sizing wrapped rows.
const LINE_POINTS: f64 = 14.5;

/// A workbook with one sheet per ledger in `exports`.
pub fn xlsx_bytes(exports: &[LedgerExport<'_>]) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let mut names = HashSet::new();
    for export in exports {
        export.check()?;
        let failed = |source| ExportError::Xlsx {
            ledger: export.ledger.id.clone(),
            source,
        };
        let sheet = workbook.add_worksheet();
        sheet
            .set_name(unique_sheet_name(export, &mut names))
            .map_err(failed)?;
        fill_sheet(sheet, export).map_err(failed)?;
    }
    workbook
        .save_to_buffer()
        .map_err(|source| ExportError::Xlsx {
            ledger: exports
                .iter()
                .map(|e| e.ledger.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            source,
        })
}

/// Writes a workbook with one sheet per ledger to `path`.
pub fn write_xlsx(exports: &[LedgerExport<'_>], path: &Path) -> Result<(), ExportError> {
    write_atomically(path, &xlsx_bytes(exports)?)
}

fn fill_sheet(sheet: &mut Worksheet, export: &LedgerExport<'_>) -> Result<(), XlsxError> {
    let (ledger, header) = (export.ledger, export.header);
    let text = SheetText::new(export.rows);
    let last_col = u16::try_from(text.header.len() - 1).unwrap_or(u16::MAX);

    let base = Format::new().set_font_name(FONT).set_font_size(11);
    let title = base
        .clone()
        .set_font_size(18)
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let info = base
        .clone()
        .set_align(FormatAlign::Left)
        .set_align(FormatAlign::VerticalCenter);
    let heading = base
        .clone()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xE7E6E6));
    let cell = base
        .clone()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let number = cell.clone().set_align(FormatAlign::Center);

    // Column widths in Excel's units (the width of a digit); a Chinese
    // character takes about two.
    let mut widths = vec![6.0];
    widths.extend(
        ledger
            .columns
            .iter()
            .map(|c| f64::from(c.width) * 1.7 + 1.0),
    );
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }

    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, &ledger.title, &title)?;
    sheet.set_row_height(TITLE_ROW, 32)?;
    let info_line = format!(
        "{} {}    期间：{}    台账编号：{}    条线：{}",
        header.sub_district, header.committee, header.period_label, ledger.code, ledger.department
    );
    sheet.merge_range(INFO_ROW, 0, INFO_ROW, last_col, &info_line, &info)?;
    sheet.set_row_height(INFO_ROW, 20)?;

    for (col, title) in text.header.iter().enumerate() {
        sheet.write_string_with_format(HEADING_ROW, col as u16, title, &heading)?;
    }
    sheet.set_row_height(HEADING_ROW, row_height(&text.header, &widths))?;

    for (i, row) in text.body.iter().enumerate() {
        let r = FIRST_DATA_ROW + i as u32;
        for (col, value) in row.iter().enumerate() {
            let format = if col == 0 { &number } else { &cell };
            sheet.write_string_with_format(r, col as u16, value, format)?;
        }
        sheet.set_row_height(r, row_height(row, &widths))?;
    }

    sheet.set_freeze_panes(FIRST_DATA_ROW, 0)?;
    sheet.set_paper_size(PAPER_A4);
    match ledger.print.orientation {
        Orientation::Portrait => sheet.set_portrait(),
        Orientation::Landscape => sheet.set_landscape(),
    };
    // Inches; the wide left margin leaves room for binding, as on the PDF.
    sheet.set_margins(1.1, 0.5, 0.6, 0.8, 0.3, 0.35);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(TITLE_ROW, HEADING_ROW)?;
    sheet.set_footer(footer(export));
    Ok(())
}

/// Sign-off lines at the left, page numbers at the right of every page.
fn footer(export: &LedgerExport<'_>) -> String {
    let sign_off: Vec<String> = export
        .ledger
        .print
        .sign_off
        .iter()
        .map(|label| format!("{}：＿＿＿＿＿＿", label.replace('&', "&&")))
        .collect();
    format!("&L&9{}&R&9第 &P 页 共 &N 页", sign_off.join("  "))
}

/// A row height that shows every wrapped line, estimated from text widths.
fn row_height(cells: &[String], widths: &[f64]) -> f64 {
    let lines = cells
        .iter()
        .zip(widths)
        .map(|(text, width)| {
            let room = (width - 1.0).max(1.0);
            text.split('\n')
                .map(|part| {
                    let units: f64 = part
                        .chars()
                        .map(|c| if c.is_ascii() { 1.1 } else { 2.0 })
                        .sum();
                    (units / room).ceil().max(1.0)
                })
                .sum::<f64>()
        })
        .fold(1.0, f64::max);
    lines * LINE_POINTS + 4.0
}

/// `ZH-01 入户走访情况台账`, shortened to Excel's 31 characters, without
/// the characters sheet names may not hold, and unique in the workbook.
fn unique_sheet_name(export: &LedgerExport<'_>, taken: &mut HashSet<String>) -> String {
    let raw = format!("{} {}", export.ledger.code, export.ledger.title);
    let clean: String = raw
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    let mut name: String = clean.chars().take(31).collect();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        let suffix = format!("~{n}");
        name = clean
            .chars()
            .take(31 - suffix.chars().count())
            .chain(suffix.chars())
            .collect();
        n += 1;
    }
    name
}
