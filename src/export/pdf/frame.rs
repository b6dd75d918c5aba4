//! The page header (names, title, period, ledger code, department) and
//! footer (sign-off lines, page numbers, print time, verification code).

use super::draw::{Align, Canvas, FontKind};
use super::layout::PageGeometry;
use super::qr::draw_qr;
use crate::export::LedgerExport;
use crate::export::code::{format_page_code, page_qr_text};

const SMALL_PT: f32 = 9.0;
const INFO_PT: f32 = 10.0;
const TITLE_PT: f32 = 18.0;
const SIGN_PT: f32 = 10.5;

/// Side of the QR code in millimetres.
const QR_SIZE: f32 = 17.0;

pub(crate) fn draw_header(canvas: &mut Canvas<'_>, geo: &PageGeometry, export: &LedgerExport<'_>) {
    let (ledger, header) = (export.ledger, export.header);
    let (x, width) = (geo.left, geo.content_width());

    let names = format!("{}　{}", header.sub_district, header.committee);
    let names = names.trim_matches('　');
    canvas.text_at(
        x,
        width,
        geo.top + 4.0,
        names,
        INFO_PT,
        FontKind::Body,
        Align::Left,
    );
    let department = format!("条线：{}", ledger.department);
    canvas.text_at(
        x,
        width,
        geo.top + 4.0,
        &department,
        INFO_PT,
        FontKind::Body,
        Align::Right,
    );

    canvas.text_at(
        x,
        width,
        geo.top + 13.5,
        &ledger.title,
        TITLE_PT,
        FontKind::Heading,
        Align::Center,
    );

    let period = format!("期间：{}", header.period_label);
    canvas.text_at(
        x,
        width,
        geo.top + 20.5,
        &period,
        INFO_PT,
        FontKind::Body,
        Align::Left,
    );
    let code = format!("台账编号：{}", ledger.code);
    canvas.text_at(
        x,
        width,
        geo.top + 20.5,
        &code,
        INFO_PT,
        FontKind::Body,
        Align::Right,
    );
}

pub(crate) fn draw_footer(
    canvas: &mut Canvas<'_>,
    geo: &PageGeometry,
    export: &LedgerExport<'_>,
    page: usize,
    count: usize,
    code: &str,
) {
    let (left, right, bottom) = (geo.left, geo.right, geo.bottom);
    let text_right = right - QR_SIZE - 2.0;

    // Sign-off lines share the width evenly, each a label and a rule to write on.
    let labels = &export.ledger.print.sign_off;
    if !labels.is_empty() {
        let slot = (text_right - left) / labels.len() as f32;
        let baseline = bottom - 10.0;
        for (i, label) in labels.iter().enumerate() {
            let x = left + slot * i as f32;
            let text = format!("{label}：");
            canvas.text_at(
                x,
                slot,
                baseline,
                &text,
                SIGN_PT,
                FontKind::Body,
                Align::Left,
            );
            let start = x + canvas.typesetter().width(&text, SIGN_PT, FontKind::Body);
            let end = x + slot - 5.0;
            if end > start + 5.0 {
                canvas.hline_weight(start, end, baseline + 0.8, 0.4);
            }
        }
    }

    let baseline = bottom - 2.0;
    let printed = format!(
        "打印时间：{}",
        export.header.printed_at.format("%Y-%m-%d %H:%M")
    );
    canvas.text_at(
        left,
        text_right - left,
        baseline,
        &printed,
        SMALL_PT,
        FontKind::Body,
        Align::Left,
    );
    let pages = format!("第 {page} 页 共 {count} 页");
    canvas.text_at(
        left,
        right - left,
        baseline,
        &pages,
        INFO_PT,
        FontKind::Body,
        Align::Center,
    );
    let printed_code = format!("核验码 {}", format_page_code(code));
    canvas.text_at(
        left,
        text_right - left,
        baseline,
        &printed_code,
        SMALL_PT,
        FontKind::Body,
        Align::Right,
    );

    draw_qr(
        canvas,
        &page_qr_text(code),
        right - QR_SIZE,
        bottom - QR_SIZE,
        QR_SIZE,
    );
}
