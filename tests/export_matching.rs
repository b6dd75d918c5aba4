//! The electronic and paper ledgers match: for the same ledger and period the
//! PDF, XLSX, CSV and JSON hold the same rows in the same order with the same
//! values, and one record feeds every department ledger that needs it.

mod export_support;

use std::collections::HashMap;
use std::path::Path;

use calamine::{Reader, Xlsx, open_workbook};
use export_support::*;
use serde_json::{Value, json};
use voice_ledger::export::{
    Format, LedgerExport, ReportPeriod, export_file_name, exportable_ledgers, write_csv,
    write_json, write_pdf, write_xlsx,
};
use voice_ledger::ledger::{Catalog, Record, RecordState, Resident};

/// The CSV as rows of cells, after checking it starts with a byte-order mark.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a UTF-8 BOM"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The XLSX sheet's heading and data rows (below the title and header lines).
fn read_xlsx(path: &Path) -> (String, Vec<Vec<String>>) {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(names.len(), 1, "one sheet per ledger");
    let range = workbook.worksheet_range(&names[0]).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    (rows[0][0].clone(), rows[2..].to_vec())
}

/// One part of the XLSX package, as text.
fn xlsx_part(path: &Path, name: &str) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut part = archive.by_name(name).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut part, &mut text).unwrap();
    text
}

/// The workbook prints like the paper ledger: A4 in the ledger's
/// orientation, title and headings repeated on each page, page numbers in
/// the footer, headings frozen on screen.
fn check_xlsx_print_setup(path: &Path, landscape: bool) {
    let sheet = xlsx_part(path, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("paperSize=\"9\""), "A4: {sheet}");
    let orientation = if landscape { "landscape" } else { "portrait" };
    assert!(
        sheet.contains(&format!("orientation=\"{orientation}\"")),
        "{orientation}"
    );
    assert!(
        sheet.contains("第 &amp;P 页 共 &amp;N 页"),
        "page numbers in the footer"
    );
    assert!(
        sheet.contains("ySplit=\"3\"") && sheet.contains("state=\"frozen\""),
        "headings frozen"
    );
    assert!(
        sheet.contains("wrapText") || xlsx_part(path, "xl/styles.xml").contains("wrapText"),
        "text wraps"
    );
    let workbook = xlsx_part(path, "xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles") && workbook.contains("$1:$3"),
        "rows 1-3 repeat: {workbook}"
    );
}

/// Checks every format of `ledger` against the CSV and returns the row count.
fn check_formats_agree(test: &str, ledger: &str, records: &[Record]) -> usize {
    let catalog = Catalog::builtin();
    let header = header();
    let rows = rows_for(&catalog, ledger, records);
    let export = export(&catalog, ledger, &rows, &header);
    let dir = scratch(test);
    let path = |ext: &str| dir.join(format!("{ledger}.{ext}"));

    write_csv(&export, &path("csv")).unwrap();
    write_json(&export, &path("json")).unwrap();
    write_xlsx(&[export], &path("xlsx")).unwrap();
    let pdf = write_pdf(&export, &fonts(), &path("pdf")).unwrap();
    render_pngs(&path("pdf"));

    let csv = read_csv(&path("csv"));
    let (heading, body) = (&csv[0], &csv[1..]);
    assert_eq!(heading[0], "序号");
    assert_eq!(&heading[1..], rows.columns.as_slice());
    assert_eq!(body.len(), rows.rows.len());

    // XLSX: title above, then exactly the CSV.
    let (title, xlsx) = read_xlsx(&path("xlsx"));
    assert_eq!(title, export.ledger.title);
    assert_eq!(xlsx, csv, "XLSX cells equal CSV cells");
    let landscape = export.ledger.print.orientation == voice_ledger::ledger::Orientation::Landscape;
    check_xlsx_print_setup(&path("xlsx"), landscape);

    // JSON: the same cells, with record ids, revisions and template versions.
    let json: Value = serde_json::from_slice(&std::fs::read(path("json")).unwrap()).unwrap();
    assert_eq!(json["ledger"]["id"], ledger);
    assert_eq!(json["ledger"]["sources"], json!(["home-visit"]));
    let templates = if body.is_empty() {
        json!([])
    } else {
        json!([{ "id": "home-visit", "version": 1, "rows": body.len() }])
    };
    assert_eq!(
        json["templates"], templates,
        "record type templates and versions"
    );
    let titles: Vec<&str> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        heading[1..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let json_rows = json["rows"].as_array().unwrap();
    assert_eq!(json_rows.len(), body.len());
    for ((json_row, csv_row), row) in json_rows.iter().zip(body).zip(&rows.rows) {
        let mut cells = vec![json_row["number_text"].as_str().unwrap().to_string()];
        cells.extend(
            json_row["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string()),
        );
        assert_eq!(&cells, csv_row, "JSON row equals CSV row");
        assert_eq!(json_row["record_id"], row.record_id.as_str());
        assert_eq!(json_row["revision"], row.revision);
        assert_eq!(json_row["record_type"], "home-visit");
        assert_eq!(json_row["type_version"], 1);
    }

    // PDF: page by page, the header and headings, then the rows in order,
    // then the footer; the rows read back equal the CSV rows.
    let pages = pdf_raw_pages(&path("pdf"));
    assert_eq!(pages.len(), pdf.pages.len());
    let top = page_top(&export, true);
    let mut pdf_body = String::new();
    for (text, page) in pages.iter().zip(&pdf.pages) {
        let text = squash(text);
        let bottom = page_bottom(&export, page.number, page.count, &page.code);
        let rest = text
            .strip_prefix(&top)
            .unwrap_or_else(|| panic!("page {} starts with the header: {text}", page.number));
        let rows_text = rest
            .strip_suffix(&bottom)
            .unwrap_or_else(|| panic!("page {} ends with the footer: {rest}", page.number));
        pdf_body.push_str(rows_text);
    }
    let csv_body: String = body.iter().flatten().map(|cell| squash(cell)).collect();
    if body.is_empty() {
        assert_eq!(pdf_body, "本期（2026年11月）无记录");
    } else {
        assert_eq!(pdf_body, csv_body, "PDF rows equal CSV rows, in order");
    }

    // The records each page's code covers are the PDF's rows, in order.
    let on_pages: Vec<(String, u32)> = pdf.pages.iter().flat_map(|p| p.records.clone()).collect();
    let expected: Vec<(String, u32)> = rows
        .rows
        .iter()
        .map(|r| (r.record_id.clone(), r.revision))
        .collect();
    assert_eq!(on_pages, expected);
    body.len()
}

#[test]
fn every_format_of_the_visit_ledger_holds_the_same_rows() {
    let mut records = visits(60);
    // Drafts are shown, marked as such in every format alike.
    records[3].state = RecordState::Draft;
    records[10].state = RecordState::Draft;
    records[7].revision = 4;
    let rows = check_formats_agree("match-visit", "visit-general", &records);
    assert_eq!(rows, 60);

    let csv = read_csv(&scratch_path("match-visit", "visit-general.csv"));
    let drafts: Vec<&str> = csv
        .iter()
        .map(|r| r[0].as_str())
        .filter(|n| n.ends_with("草稿"))
        .collect();
    assert_eq!(drafts.len(), 2, "{drafts:?}");
}

#[test]
fn every_format_of_the_portrait_blood_pressure_register_holds_the_same_rows() {
    let rows = check_formats_agree("match-bp", "bp-register", &visits(80));
    assert_eq!(rows, 40, "every other visit has a reading");
}

#[test]
fn every_format_agrees_when_the_period_has_no_records() {
    assert_eq!(check_formats_agree("match-empty", "elderly-visit", &[]), 0);
}

#[test]
fn text_with_commas_quotes_and_line_breaks_survives_every_format() {
    let records = vec![visit(
        1,
        9,
        json!({
            "resident": "赵德明", "address": "江川路 8 弄 3 号",
            "concerns": "反映\"楼道\"堆物, 消防通道不畅；\n希望清理。",
            "actions": "已通知楼组长，  周六统一清理。", "result": "处理中"
        }),
    )];
    check_formats_agree("match-quoting", "visit-general", &records);
}

fn scratch_path(test: &str, file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("export")
        .join(test)
        .join(file)
}

#[test]
fn one_visit_feeds_every_department_ledger_that_needs_it() {
    // A home visit to an 86-year-old with a blood-pressure reading and a
    // concern raised goes into the visit ledger, the elderly-visit ledger,
    // the blood-pressure register and the concerns log, typed once.
    let visit = visit(
        1,
        12,
        json!({
            "resident": "周玉珍", "address": "鹤庆路12弄5号402室", "age": 86,
            "bp_systolic": 152, "bp_diastolic": 88, "health": "血压偏高",
            "concerns": "希望家庭医生每月上门量一次血压。", "actions": "已联系家庭医生。", "result": "处理中"
        }),
    );
    let catalog = Catalog::builtin();
    let header = header();
    let period = ReportPeriod::parse(PERIOD).unwrap();
    let residents: HashMap<String, Resident> = HashMap::new();
    let dir = scratch("all-ledgers");

    let ledgers = exportable_ledgers(&catalog, std::slice::from_ref(&visit), &residents, &period);
    let mut found = Vec::new();
    for (ledger, rows) in &ledgers {
        let export = LedgerExport {
            ledger,
            rows,
            header: &header,
        };
        let path = dir.join(export_file_name(ledger, &period, Format::Csv));
        write_csv(&export, &path).unwrap();
        let csv = read_csv(&path);
        if csv.len() > 1 {
            assert_eq!(csv.len(), 2, "{}: one row for one visit", ledger.id);
            assert!(
                csv[1].iter().any(|c| c == "周玉珍"),
                "{}: {:?}",
                ledger.id,
                csv[1]
            );
            found.push(ledger.id.as_str());
        }
    }
    found.sort();
    assert_eq!(
        found,
        [
            "bp-register",
            "concerns-log",
            "elderly-visit",
            "visit-general"
        ]
    );
    assert!(dir.join("WJ-02 居民血压测量登记表 2026-11.csv").exists());

    let bp = read_csv(&dir.join("WJ-02 居民血压测量登记表 2026-11.csv"));
    assert_eq!(bp[1][5], "152/88");

    // Active ledgers without rows are still exported (their page says so).
    let ids: Vec<&str> = ledgers.iter().map(|(l, _)| l.id.as_str()).collect();
    assert!(ids.contains(&"meeting-minutes"), "{ids:?}");
}

#[test]
fn a_masked_ledger_hides_phone_and_id_numbers_in_every_format() {
    let mut catalog = Catalog::builtin();
    catalog
        .add_text(
            "masked.toml",
            r#"[[ledgers]]
id = "visit-contacts-masked"
code = "ZH-09"
title = "走访联系台账（对外）"
department = "社区综合"
mask = ["phone", "id_number"]
governance = { status = "draft" }
sources = [{ record_type = "home-visit" }]
columns = [
  { title = "姓名", value = "{resident}" },
  { title = "电话", value = "{phone}" },
  { title = "身份证号", value = "{id_number}" },
]"#,
        )
        .unwrap();
    let records = vec![visit(
        1,
        3,
        json!({"resident": "王秀英", "phone": "13812345678", "id_number": "11010519491231002X"}),
    )];
    let header = header();
    let ledger = catalog.ledger("visit-contacts-masked").unwrap();
    let rows = rows_for(&catalog, &ledger.id, &records);
    let export = LedgerExport {
        ledger,
        rows: &rows,
        header: &header,
    };
    let dir = scratch("masked");
    write_csv(&export, &dir.join("m.csv")).unwrap();
    write_json(&export, &dir.join("m.json")).unwrap();
    write_xlsx(&[export], &dir.join("m.xlsx")).unwrap();
    write_pdf(&export, &fonts(), &dir.join("m.pdf")).unwrap();

    let masked = ["1", "王秀英", "138****5678", "1101**********002X"];
    assert_eq!(read_csv(&dir.join("m.csv"))[1], masked);
    assert_eq!(read_xlsx(&dir.join("m.xlsx")).1[1], masked);
    let json = std::fs::read_to_string(dir.join("m.json")).unwrap();
    assert!(json.contains("138****5678") && json.contains("1101**********002X"));
    let pdf = squash(&pdf_raw_pages(&dir.join("m.pdf")).concat());
    assert!(pdf.contains("王秀英138****56781101**********002X"), "{pdf}");
    let xlsx: String = read_xlsx(&dir.join("m.xlsx")).1.concat().concat();
    let csv = std::fs::read_to_string(dir.join("m.csv")).unwrap();
    for (format, text) in [
        ("CSV", &csv),
        ("JSON", &json),
        ("XLSX", &xlsx),
        ("PDF", &pdf),
    ] {
        assert!(
            !text.contains("13812345678") && !text.contains("19491231"),
            "the {format} file holds an unmasked number"
        );
    }
}
