//! Paper ledgers as an inspector sees them: Chinese line breaking, page
//! breaks with the column headings repeated, empty periods, rows taller than
//! a page, record cards, blank rows and missing fonts.
//!
//! Every PDF is also rendered to PNG under the build's tmp folder
//! (`target/tmp/export/…`) so layout changes can be looked at.

mod export_support;

use std::path::PathBuf;

use export_support::*;
use serde_json::json;
use voice_ledger::export::{
    ExportError, FontChoice, PdfFonts, RenderedPdf, normalize_page_code, page_code, page_qr_text,
    write_pdf,
};
use voice_ledger::ledger::{Catalog, LedgerRows, Record};

/// Closing punctuation that must never begin a printed line.
const CLOSING: &str = "，。、；：？！）》」』”’";
/// Opening brackets that must never end a printed line.
const OPENING: &str = "（《「『“‘";

struct Printed {
    path: PathBuf,
    rendered: RenderedPdf,
    rows: LedgerRows,
}

fn print(test: &str, ledger: &str, records: &[Record]) -> Printed {
    let catalog = Catalog::builtin();
    let header = header();
    let rows = rows_for(&catalog, ledger, records);
    let path = scratch(test).join(format!("{ledger}.pdf"));
    let rendered = write_pdf(&export(&catalog, ledger, &rows, &header), &fonts(), &path).unwrap();
    let pngs = render_pngs(&path);
    assert_eq!(pngs.len(), rendered.pages.len(), "one PNG per page");
    Printed {
        path,
        rendered,
        rows,
    }
}

#[test]
fn long_chinese_text_wraps_and_keeps_punctuation_off_line_starts() {
    let concerns = "居民王阿姨反映：楼道里的声控灯坏了一个多月，晚上上下楼看不清台阶（她今年八十二岁，眼睛也不太好），\
        担心摔跤。另外，楼下的“爱心车棚”被电瓶车占满，充电线拖在地上，存在安全隐患！希望居委会尽快联系物业处理，\
        并在楼组里再宣传一次《电动自行车安全管理规定》。她还问：高龄津贴什么时候发？";
    let actions =
        "已当场联系物业经理，约定本周五前修好声控灯；车棚问题已报街道平安办，下周一起检查。";
    let records = vec![visit(
        1,
        5,
        json!({
            "resident": "王秀英", "address": "江川路188弄12号301室", "age": 82,
            "concerns": concerns, "actions": actions, "result": "处理中"
        }),
    )];
    let printed = print("wrapping", "visit-general", &records);

    // Every character arrives, in order, and the text took several lines.
    let raw = squash(&pdf_raw_pages(&printed.path).concat());
    assert!(
        raw.contains(&squash(concerns)),
        "the concerns text is printed whole, in order"
    );
    assert!(raw.contains(&squash(actions)));
    let words = pdf_words(&printed.path);
    let concern_lines = words
        .iter()
        .filter(|w| concerns.contains(w.text.as_str()) && w.text.chars().count() > 3)
        .count();
    assert!(
        concern_lines >= 5,
        "a long text wraps onto several lines, got {concern_lines}"
    );

    for word in &words {
        let first = word.text.chars().next().unwrap();
        let last = word.text.chars().last().unwrap();
        assert!(
            !CLOSING.contains(first),
            "a printed line starts with `{first}`: {:?}",
            word.text
        );
        assert!(
            !OPENING.contains(last),
            "a printed line ends with `{last}`: {:?}",
            word.text
        );
    }
}

#[test]
fn many_rows_break_into_pages_with_headings_on_each() {
    let records = visits(120);
    let printed = print("many-rows", "visit-general", &records);
    let pages = pdf_pages(&printed.path);
    let count = pages.len();
    assert!(count >= 5, "120 visits take several pages, got {count}");
    assert_eq!(count, printed.rendered.pages.len());

    for (i, page) in pages.iter().enumerate() {
        let n = i + 1;
        assert!(page.contains("入户走访情况台账"), "title on page {n}");
        assert!(
            page.contains("鹤庆居民区居委会") && page.contains("江川路街道"),
            "names on page {n}"
        );
        assert!(
            page.contains("期间：2026年11月") && page.contains("台账编号：ZH-01"),
            "period and code on page {n}"
        );
        for heading in ["序号", "日期", "被访人", "住址", "处理结果", "走访人"] {
            assert!(
                page.contains(heading),
                "column heading {heading} repeated on page {n}"
            );
        }
        assert!(
            squash(page).contains(&format!("第{n}页共{count}页")),
            "page number on page {n}"
        );
        assert!(
            page.contains("填报人：") && page.contains("审核人（书记）："),
            "sign-off on page {n}"
        );
        assert!(
            page.contains("打印时间：2026-12-01 09:30"),
            "print time on page {n}"
        );
    }

    // Each row is on exactly one page: never split, never lost, never doubled.
    let mut seen = Vec::new();
    for page in &printed.rendered.pages {
        assert!(!page.records.is_empty(), "no page without records");
        seen.extend(page.records.iter().map(|(id, _)| id.clone()));
    }
    let expected: Vec<String> = printed
        .rows
        .rows
        .iter()
        .map(|r| r.record_id.clone())
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn the_binding_margin_is_left_free() {
    let printed = print("margin", "bp-register", &visits(30));
    let leftmost = pdf_words(&printed.path)
        .iter()
        .map(|w| w.x_min)
        .fold(f32::MAX, f32::min);
    let millimetres = leftmost / 72.0 * 25.4;
    assert!(
        millimetres >= 25.0,
        "text starts {millimetres:.1} mm from the left edge"
    );
}

#[test]
fn an_empty_period_prints_a_page_saying_so() {
    let printed = print("empty", "visit-general", &[]);
    let pages = pdf_pages(&printed.path);
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert!(page.contains("本期（2026年11月）无记录"), "{page}");
    assert!(page.contains("入户走访情况台账") && page.contains("序号"));
    assert!(squash(page).contains("第1页共1页"));
    assert!(page.contains("填报人："));

    let page_info = &printed.rendered.pages[0];
    assert!(page_info.records.is_empty());
    let code = page_code("visit-general", printed.rows.from, printed.rows.to, 1, &[]);
    assert_eq!(page_info.code, code, "an empty page still has a code");
}

#[test]
fn a_row_taller_than_a_page_splits_only_between_lines() {
    let mut records = visits(3);
    let story = "居民反映邻里之间因为漏水问题产生矛盾，双方多次争执。".repeat(60);
    records[1].fields.insert("concerns".into(), json!(story));
    let printed = print("tall-row", "visit-general", &records);

    let pages = pdf_pages(&printed.path);
    assert!(pages.len() >= 2, "the long row continues on the next page");
    assert!(
        pages[1].contains("续"),
        "the continuation is marked with the row number and 续"
    );
    assert!(
        pages.iter().all(|p| p.contains("序号")),
        "headings repeat on the continuation page"
    );
    // Nothing is lost or printed twice across the break: each sentence has
    // one 矛 and one 执, and no other text on these pages has them.
    let raw = pdf_raw_pages(&printed.path).concat();
    assert_eq!(raw.matches('矛').count(), 60);
    assert_eq!(raw.matches('执').count(), 60);
}

#[test]
fn record_cards_put_several_records_on_a_page() {
    let records = visits(12);
    let printed = print("cards", "concerns-log", &records);
    let rows = printed.rows.rows.len();
    let pages = pdf_pages(&printed.path);
    assert!(pages.len() < rows, "{rows} cards on {} pages", pages.len());

    let all = pages.concat();
    for label in [
        "走访时间",
        "走访对象",
        "走访地点",
        "诉求与建议",
        "办理情况",
        "反馈结果",
        "是否跟进",
    ] {
        assert_eq!(
            all.matches(label).count(),
            rows,
            "label {label} once per card"
        );
    }
    // 记录人 labels a field of each card and a sign-off line on each page.
    assert_eq!(all.matches("记录人").count(), rows + pages.len());
    for (i, row) in printed.rows.rows.iter().enumerate() {
        assert!(
            all.contains(&format!("序号：{}", i + 1)),
            "card {} is numbered",
            i + 1
        );
        let raw = squash(&pdf_raw_pages(&printed.path).concat());
        for cell in &row.cells {
            assert!(raw.contains(&squash(cell)), "card {} shows {cell:?}", i + 1);
        }
    }
    for page in &printed.rendered.pages {
        assert!(!page.records.is_empty());
    }
}

#[test]
fn blank_rows_for_handwriting_never_start_a_page_of_their_own() {
    // bp-register asks for 3 blank rows; whatever the number of records, no
    // page may hold only blank rows.
    for count in [0, 1, 20, 21, 22, 23, 24, 25, 26] {
        let records: Vec<Record> = visits(count * 2);
        let printed = print("blank-rows", "bp-register", &records);
        let with_records = printed
            .rendered
            .pages
            .iter()
            .filter(|p| !p.records.is_empty())
            .count();
        let expected = with_records.max(1);
        assert_eq!(printed.rendered.pages.len(), expected, "{count} readings");
    }
}

#[test]
fn a_configured_font_that_does_not_exist_is_named_in_the_error() {
    let missing = PathBuf::from("/no/such/folder/宋体.ttf");
    let error = PdfFonts::load(&FontChoice::File {
        path: missing,
        index: None,
    })
    .unwrap_err();
    assert!(matches!(error, ExportError::FontUnreadable { .. }));
    let message = error.to_string();
    assert!(message.contains("/no/such/folder/宋体.ttf"), "{message}");
    assert!(message.contains("VOICE_LEDGER_PDF_FONT"), "{message}");
}

#[test]
fn no_chinese_font_found_says_what_to_install() {
    let empty = scratch("no-fonts");
    std::fs::write(empty.join("DejaVuSans.ttf"), b"not a Chinese font").unwrap();
    let error = PdfFonts::search(std::slice::from_ref(&empty)).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("apt-get install fonts-noto-cjk"),
        "{message}"
    );
    assert!(message.contains("宋体"), "{message}");
    assert!(
        message.contains(&empty.display().to_string()),
        "names the folders searched: {message}"
    );
}

#[test]
fn a_file_that_is_not_a_font_is_refused_with_its_name() {
    let dir = scratch("not-a-font");
    let path = dir.join("notes.ttf");
    std::fs::write(&path, "这不是字体").unwrap();
    let error = PdfFonts::load(&FontChoice::File {
        path: path.clone(),
        index: None,
    })
    .unwrap_err();
    assert!(matches!(error, ExportError::FontInvalid { .. }), "{error}");
    assert!(error.to_string().contains(&path.display().to_string()));
}

#[test]
fn the_embedded_font_is_a_subset() {
    let printed = print("subset", "bp-register", &visits(10));
    let output = std::process::Command::new("pdffonts")
        .arg(&printed.path)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&output.stdout);
    let fonts: Vec<&str> = listing.lines().skip(2).collect();
    assert!(!fonts.is_empty());
    for font in fonts {
        let columns: Vec<&str> = font.split_whitespace().collect();
        assert!(columns[0].contains('+'), "subset tag on {font}");
        // emb, sub and uni are all `yes`: embedded, subset, with a Unicode map.
        assert_eq!(
            &columns[columns.len() - 5..columns.len() - 2],
            ["yes", "yes", "yes"],
            "{font}"
        );
    }
    let size = std::fs::metadata(&printed.path).unwrap().len();
    assert!(
        size < 400_000,
        "a two-page ledger stays small, got {size} bytes"
    );
}

#[test]
fn a_card_taller_than_a_page_continues_with_its_labels() {
    let mut records = visits(2);
    let story = "楼上住户装修噪音扰民，多次沟通无果，希望居委会出面协调。".repeat(70);
    records[0].fields.insert("concerns".into(), json!(story));
    let printed = print("tall-card", "concerns-log", &records);
    let pages = pdf_pages(&printed.path);
    assert!(pages.len() >= 2);
    assert!(
        pages[1].contains("序号：1（续）"),
        "the card number repeats: {}",
        pages[1]
    );
    assert!(
        pages[1].contains("诉求与建议"),
        "the label repeats: {}",
        pages[1]
    );
    let raw = pdf_raw_pages(&printed.path).concat();
    assert_eq!(raw.matches('噪').count(), 70, "nothing lost or doubled");
}

/// A TrueType (glyf) Chinese font collection, the kind Windows' 宋体
/// (simsun.ttc) is; on Debian from `fonts-wqy-microhei`.
const TRUETYPE_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

#[test]
fn a_configured_truetype_font_is_embedded_as_a_subset_and_reads_back() {
    let fonts = PdfFonts::load(&FontChoice::File {
        path: TRUETYPE_FONT.into(),
        index: None,
    })
    .expect("fonts-wqy-microhei is installed (cargo xtask setup)");
    let catalog = Catalog::builtin();
    let header = header();
    let records = visits(12);
    let rows = rows_for(&catalog, "bp-register", &records);
    let path = scratch("truetype").join("bp-register.pdf");
    write_pdf(
        &export(&catalog, "bp-register", &rows, &header),
        &fonts,
        &path,
    )
    .unwrap();
    render_pngs(&path);

    let text = pdf_pages(&path).concat();
    assert!(
        text.contains("居民血压测量登记表") && text.contains("江川路100弄1号101室"),
        "{text}"
    );
    let listing = std::process::Command::new("pdffonts")
        .arg(&path)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("CID TrueType"), "{listing}");
    assert!(listing.contains('+'), "subset: {listing}");
    assert!(std::fs::metadata(&path).unwrap().len() < 300_000);
}

#[test]
fn characters_the_font_cannot_draw_are_reported() {
    let records = vec![visit(
        1,
        3,
        json!({"resident": "王秀英", "address": "江川路1号", "concerns": "谢谢居委会😀"}),
    )];
    let printed = print("missing-glyphs", "visit-general", &records);
    assert_eq!(printed.rendered.missing_glyphs, vec!['😀']);
}

#[test]
fn printed_pages_have_ink_a_free_binding_margin_and_a_qr_code_that_scans() {
    // The landscape visit ledger and the portrait blood-pressure register.
    for (ledger, landscape) in [("visit-general", true), ("bp-register", false)] {
        let printed = print(&format!("raster-{ledger}"), ledger, &visits(60));
        let pages = &printed.rendered.pages;
        assert!(pages.len() >= 2, "{ledger}: several pages");

        for info in [&pages[0], &pages[pages.len() - 1]] {
            let n = info.number as usize;
            let page = render_grey(&printed.path, n, 150);
            let (width, height) = (
                page.width as f32 / page.scale,
                page.height as f32 / page.scale,
            );
            let (long, short) = (297.0, 210.0);
            let expected = if landscape {
                (long, short)
            } else {
                (short, long)
            };
            assert!(
                (width - expected.0).abs() < 1.0 && (height - expected.1).abs() < 1.0,
                "{ledger} page {n} is A4 {}: {width:.0} × {height:.0} mm",
                if landscape { "landscape" } else { "portrait" }
            );

            let table = page.ink(28.0, 40.0, width - 12.0, height - 35.0);
            assert!(
                table > 0.005,
                "{ledger} page {n}: the table is printed ({table:.4})"
            );
            let margin = page.ink(0.0, 0.0, 25.0, height);
            assert_eq!(
                margin, 0.0,
                "{ledger} page {n}: nothing in the binding margin"
            );

            let codes = read_qr_codes(&page, width - 40.0, height - 40.0, width, height);
            assert_eq!(
                codes,
                [page_qr_text(&info.code)],
                "{ledger} page {n}: the QR code holds the page's code"
            );
            assert_eq!(
                normalize_page_code(&codes[0]).as_deref(),
                Some(info.code.as_str())
            );
        }
    }
}
