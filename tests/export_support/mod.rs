//! Shared helpers for the export tests: realistic home-visit records, the
//! header printed on every ledger, and text extraction from PDFs with
//! poppler's `pdftotext`.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use voice_ledger::export::{FontChoice, HeaderContext, LedgerExport, PdfFonts, ReportPeriod};
use voice_ledger::ledger::{Catalog, LedgerRows, Record, RecordState, Resident, ledger_rows};

pub const PERIOD: &str = "2026-11";

pub fn header() -> HeaderContext {
    HeaderContext {
        sub_district: "江川路街道".to_string(),
        committee: "鹤庆居民区居委会".to_string(),
        period_label: "2026年11月".to_string(),
        printed_at: NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    }
}

pub fn fonts() -> PdfFonts {
    PdfFonts::load(&FontChoice::Search)
        .expect("a Chinese font is installed (Debian: apt-get install fonts-noto-cjk)")
}

/// A home visit on `day` of November 2026 with the given field values.
pub fn visit(n: usize, day: u32, fields: Value) -> Record {
    let mut values: voice_ledger::ledger::FieldValues = serde_json::from_value(fields).unwrap();
    values.insert("visit_date".into(), json!(format!("2026-11-{day:02}")));
    values.entry("visit_mode".into()).or_insert(json!("入户"));
    let at =
        Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).unwrap() + chrono::Duration::seconds(n as i64);
    Record {
        id: format!("0193a1b2-0000-7000-8000-{n:012}"),
        record_type: "home-visit".to_string(),
        type_version: 1,
        fields: values,
        transcript: None,
        audio_ref: None,
        author: "李敏".to_string(),
        committee: "鹤庆居民区居委会".to_string(),
        resident_id: None,
        state: RecordState::Final,
        revision: 1,
        created_at: at,
        updated_at: at,
    }
}

const NAMES: &[&str] = &[
    "王秀英",
    "张建国",
    "李桂兰",
    "陈志强",
    "刘凤英",
    "赵德明",
    "周玉珍",
    "吴国平",
];
const CONCERNS: &[&str] = &[
    "反映楼道灯坏了，晚上出门不方便，希望尽快修好。",
    "老伯腿脚不便，希望居委会帮忙联系家庭医生上门。",
    "提出小区南门的非机动车乱停放，影响老人通行；建议增设车棚。",
    "子女在外地工作，平时一个人在家，担心突发疾病无人知晓（已登记为独居老人）。",
    "反映楼上卫生间漏水，天花板发霉，已多次与楼上住户沟通未果！",
    "",
];
const ACTIONS: &[&str] = &[
    "已联系物业，约定本周五上门维修。",
    "已转告社区卫生服务中心，预约家庭医生下周二上门。",
    "已上报街道城管科，并在楼组长群里发了通知。",
    "已为老人安装一键呼叫设备，并请邻居多照看。",
    "已约双方周三晚上在居委会调解。",
];

/// `count` varied, realistic visits spread over November 2026.
pub fn visits(count: usize) -> Vec<Record> {
    (0..count)
        .map(|i| {
            let health = ["身体尚可", "血压偏高，按时服药", "行动不便，需要拐杖", "精神很好"][i % 4];
            let result = ["已解决", "处理中", "居民满意"][i % 3];
            let mut fields = json!({
                "resident": NAMES[i % NAMES.len()],
                "address": format!("江川路{}弄{}号{}室", 100 + i % 90, 1 + i % 30, 101 + (i % 6) * 100),
                "age": 62 + (i * 7) % 33,
                "health": health,
                "actions": ACTIONS[i % ACTIONS.len()],
                "result": result,
                "follow_up": i % 3 == 1,
            });
            let concerns = CONCERNS[i % CONCERNS.len()];
            if !concerns.is_empty() {
                fields["concerns"] = json!(concerns);
            }
            if i % 2 == 0 {
                fields["bp_systolic"] = json!(118 + (i * 3) % 50);
                fields["bp_diastolic"] = json!(72 + i % 20);
            }
            fields["visit_time"] = json!(format!("{:02}:{:02}", 9 + i % 8, (i * 13) % 60));
            visit(i + 1, 1 + (i % 30) as u32, fields)
        })
        .collect()
}

pub fn rows_for(catalog: &Catalog, ledger: &str, records: &[Record]) -> LedgerRows {
    let period = ReportPeriod::parse(PERIOD).unwrap();
    let ledger = catalog.ledger(ledger).unwrap();
    ledger_rows(
        catalog,
        ledger,
        records,
        &HashMap::<String, Resident>::new(),
        period.from,
        period.to,
    )
}

pub fn export<'a>(
    catalog: &'a Catalog,
    ledger: &str,
    rows: &'a LedgerRows,
    header: &'a HeaderContext,
) -> LedgerExport<'a> {
    LedgerExport {
        ledger: catalog.ledger(ledger).unwrap(),
        rows,
        header,
    }
}

/// A scratch folder under the build's target directory, kept after the
/// test so rendered pages can be looked at.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("export")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The text of each page, laid out as on paper.
pub fn pdf_pages(pdf: &Path) -> Vec<String> {
    let output = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian: apt-get install poppler-utils)");
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// One word on a page with its box, in points from the top-left corner.
#[derive(Debug, Clone)]
pub struct Word {
    pub page: usize,
    pub x_min: f32,
    pub y_min: f32,
    pub x_max: f32,
    pub y_max: f32,
    pub text: String,
}

/// Every word of the PDF with its position (`pdftotext -bbox`).
pub fn pdf_words(pdf: &Path) -> Vec<Word> {
    let output = Command::new("pdftotext")
        .args(["-bbox", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian: apt-get install poppler-utils)");
    assert!(output.status.success());
    let html = String::from_utf8(output.stdout).unwrap();
    let mut words = Vec::new();
    let mut page = 0;
    for line in html.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            page += 1;
            continue;
        }
        let Some(rest) = line.strip_prefix("<word ") else {
            continue;
        };
        let attr = |name: &str| -> f32 {
            let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = start + rest[start..].find('"').unwrap();
            rest[start..end].parse().unwrap()
        };
        let text_start = rest.find('>').unwrap() + 1;
        let text_end = rest.rfind("</word>").unwrap();
        words.push(Word {
            page,
            x_min: attr("xMin"),
            y_min: attr("yMin"),
            x_max: attr("xMax"),
            y_max: attr("yMax"),
            text: unescape(&rest[text_start..text_end]),
        });
    }
    words
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Renders each page to a PNG next to the PDF (for looking at layouts).
pub fn render_pngs(pdf: &Path) -> Vec<PathBuf> {
    let prefix = pdf.with_extension("");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm runs (Debian: apt-get install poppler-utils)");
    assert!(status.success());
    let dir = pdf.parent().unwrap();
    let stem = prefix.file_name().unwrap().to_string_lossy().to_string();
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{stem}-"))
        })
        .collect();
    pngs.sort();
    pngs
}

/// Strips all whitespace, for comparing cell texts whose line breaks differ.
pub fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of each page in content-stream order (`pdftotext -raw`): the
/// order the exporter drew it, which for a table is row by row, cell by cell.
pub fn pdf_raw_pages(pdf: &Path) -> Vec<String> {
    let output = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian: apt-get install poppler-utils)");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// What every page of `export` starts with, squashed: the header lines and
/// (for tables) the column headings.
pub fn page_top(export: &LedgerExport<'_>, with_headings: bool) -> String {
    let (ledger, header) = (export.ledger, export.header);
    let mut top = format!(
        "{}{}条线：{}{}期间：{}台账编号：{}",
        header.sub_district,
        header.committee,
        ledger.department,
        ledger.title,
        header.period_label,
        ledger.code
    );
    if with_headings {
        top.push_str("序号");
        for column in &export.rows.columns {
            top.push_str(column);
        }
    }
    squash(&top)
}

/// What page `number` of `count` ends with, squashed: sign-off labels, print
/// time, page numbers and the verification code.
pub fn page_bottom(export: &LedgerExport<'_>, number: u32, count: u32, code: &str) -> String {
    let mut bottom: String = export
        .ledger
        .print
        .sign_off
        .iter()
        .map(|l| format!("{l}："))
        .collect();
    bottom.push_str(&format!(
        "打印时间：{}第{number}页共{count}页核验码{}",
        export.header.printed_at.format("%Y-%m-%d %H:%M"),
        voice_ledger::export::format_page_code(code)
    ));
    squash(&bottom)
}

/// A page rendered in shades of grey: 0 is black, 255 white.
pub struct GreyPage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
    /// Pixels per millimetre.
    pub scale: f32,
}

impl GreyPage {
    /// The grey level at `(x, y)` pixels from the top-left corner.
    pub fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    /// Share of pixels in the box (millimetres from the top-left corner)
    /// darker than mid-grey: how much ink is there.
    pub fn ink(&self, left: f32, top: f32, right: f32, bottom: f32) -> f32 {
        let px = |mm: f32, limit: usize| ((mm * self.scale).round().max(0.0) as usize).min(limit);
        let (x0, x1) = (px(left, self.width), px(right, self.width));
        let (y0, y1) = (px(top, self.height), px(bottom, self.height));
        let total = (x1.saturating_sub(x0) * y1.saturating_sub(y0)).max(1);
        let dark = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| self.at(x, y) < 128)
            .count();
        dark as f32 / total as f32
    }
}

/// Page `page` (from 1) of the PDF rendered by poppler's `pdftoppm` at
/// `dpi`, in grey (a PGM file next to the PDF).
pub fn render_grey(pdf: &Path, page: usize, dpi: u32) -> GreyPage {
    let out = pdf.with_file_name(format!(
        "{}-grey-{page}",
        pdf.file_stem().unwrap().to_string_lossy()
    ));
    let status = Command::new("pdftoppm")
        .args(["-gray", "-singlefile", "-r", &dpi.to_string()])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg(&out)
        .status()
        .expect("pdftoppm runs (Debian: apt-get install poppler-utils)");
    assert!(status.success());
    let bytes = std::fs::read(out.with_extension("pgm")).unwrap();

    // Binary PGM: `P5`, width, height, maximum value, one whitespace, pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).to_string());
    }
    assert_eq!(fields[0], "P5", "a binary grey map");
    assert_eq!(fields[3], "255");
    let (width, height): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height);
    GreyPage {
        width,
        height,
        pixels,
        scale: dpi as f32 / 25.4,
    }
}

/// The texts of the QR codes found in the box (millimetres from the top-left
/// corner) of a rendered page.
pub fn read_qr_codes(page: &GreyPage, left: f32, top: f32, right: f32, bottom: f32) -> Vec<String> {
    let px = |mm: f32| (mm * page.scale).round() as usize;
    let (x0, y0) = (px(left), px(top));
    let (width, height) = (
        px(right).min(page.width) - x0,
        px(bottom).min(page.height) - y0,
    );
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| page.at(x0 + x, y0 + y));
    image
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}
