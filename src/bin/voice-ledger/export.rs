//! `voice-ledger export` and `voice-ledger verify-print`: electronic and paper
//! ledgers from the same rows, and checking a paper page against the database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use clap::Args;
use serde_json::json;
use voice_ledger::export::{
    ExportError, ExportedFile, FontChoice, Format, HeaderContext, LedgerExport, PdfFonts,
    RecordChange, ReportPeriod, check_printed_page, export_file_name, exportable_ledgers,
    find_printed_page, format_page_code, normalize_page_code, save_printed_pages, write_csv,
    write_json, write_pdf, write_xlsx,
};
use voice_ledger::ledger::{Catalog, Ledger, Record, Resident, ledger_rows};
use voice_ledger::store::{RecordQuery, Store};

use crate::app::{App, bad_input, print_json};

/// Environment variable with the sub-district (街道) name for ledger headers.
const SUB_DISTRICT_ENV: &str = "VOICE_LEDGER_SUB_DISTRICT";
/// Environment variable with the committee (居委会) name.
const COMMITTEE_ENV: &str = "VOICE_LEDGER_COMMITTEE";

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Ledger id, e.g. visit-general (`voice-ledger templates list` shows them).
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    ledger: Option<String>,
    /// Every active ledger, and retired ledgers with rows in the period, one file each.
    #[arg(long)]
    all: bool,
    /// pdf, xlsx, csv or json (default: from the output file's extension; pdf with --all).
    #[arg(long, value_parser = ["pdf", "xlsx", "csv", "json"])]
    format: Option<String>,
    /// A month (2026-11), quarter (2026-Q4) or year (2026); default: this month.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    period: Option<String>,
    /// First day (YYYY-MM-DD), with --to.
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// Last day (YYYY-MM-DD), with --from.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// Output file, or folder with --all.
    #[arg(short = 'o', long, value_name = "PATH")]
    output: PathBuf,
    #[command(flatten)]
    header: HeaderArgs,
    #[command(flatten)]
    font: FontArgs,
    /// Print what was written as JSON.
    #[arg(long)]
    json: bool,
}

/// Names printed in ledger headers.
#[derive(Debug, Args)]
pub struct HeaderArgs {
    /// Sub-district (街道) name (default: $VOICE_LEDGER_SUB_DISTRICT).
    #[arg(long)]
    sub_district: Option<String>,
    /// Committee (居委会) name (default: $VOICE_LEDGER_COMMITTEE, else the records' committee).
    #[arg(long)]
    committee: Option<String>,
}

/// The font embedded in PDFs.
#[derive(Debug, Args)]
pub struct FontArgs {
    /// Chinese font file for PDFs (default: $VOICE_LEDGER_PDF_FONT, else a system font).
    #[arg(long, value_name = "FILE")]
    font: Option<PathBuf>,
    /// Face index inside a .ttc font collection.
    #[arg(long, requires = "font")]
    font_index: Option<usize>,
}

impl FontArgs {
    pub fn load(&self) -> anyhow::Result<PdfFonts> {
        let choice = match &self.font {
            Some(path) => FontChoice::File {
                path: path.clone(),
                index: self.font_index,
            },
            None => FontChoice::from_env(),
        };
        PdfFonts::load(&choice).map_err(|e| match e {
            ExportError::FontUnreadable { .. } | ExportError::FontInvalid { .. } => bad_input(e),
            e => e.into(),
        })
    }
}

#[derive(Debug, Args)]
pub struct VerifyPrintArgs {
    /// The verification code printed at the foot of the page (核验码), e.g. 7G2K-M9QX-4D1T,
    /// or the text its QR code holds (VLP1:7G2K-M9QX-4D1T).
    code: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: ExportArgs) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let store = app.store()?;
    let period = period(&args)?;
    let records = store.records(&RecordQuery {
        from: Some(period.from),
        to: Some(period.to),
        ..RecordQuery::default()
    })?;
    let residents = residents(&store)?;
    let header = header_context(&args.header, &records, &period);

    let written = if args.all {
        let format = match &args.format {
            Some(f) => Format::parse(f).expect("clap checks the format"),
            None => Format::Pdf,
        };
        std::fs::create_dir_all(&args.output)
            .with_context(|| format!("cannot create folder `{}`", args.output.display()))?;
        let fonts = (format == Format::Pdf)
            .then(|| args.font.load())
            .transpose()?;
        let mut written = Vec::new();
        for (ledger, rows) in exportable_ledgers(&catalog, &records, &residents, &period) {
            let path = args.output.join(export_file_name(ledger, &period, format));
            let export = LedgerExport {
                ledger,
                rows: &rows,
                header: &header,
            };
            written.push(write_one(&store, &export, format, fonts.as_ref(), &path)?);
        }
        written
    } else {
        let id = args
            .ledger
            .as_deref()
            .expect("clap requires --ledger without --all");
        let ledger = find_ledger(&catalog, id)?;
        let format = output_format(&args)?;
        let fonts = (format == Format::Pdf)
            .then(|| args.font.load())
            .transpose()?;
        let rows = ledger_rows(
            &catalog,
            ledger,
            &records,
            &residents,
            period.from,
            period.to,
        );
        let export = LedgerExport {
            ledger,
            rows: &rows,
            header: &header,
        };
        vec![write_one(
            &store,
            &export,
            format,
            fonts.as_ref(),
            &args.output,
        )?]
    };

    if args.json {
        let files: Vec<_> = written
            .iter()
            .map(|f| json!({ "ledger": f.ledger_id, "path": f.path, "rows": f.rows, "pages": f.pages }))
            .collect();
        return print_json(&json!({ "period": period.label, "files": files }));
    }
    for file in &written {
        let pages = file.pages.map(|p| format!("，{p} 页")).unwrap_or_default();
        println!(
            "已导出 / exported {}：{} 行{pages} → {}",
            file.ledger_id,
            file.rows,
            file.path.display()
        );
    }
    Ok(())
}

/// Writes one ledger in `format`; a PDF's page codes are kept for `verify-print`.
pub fn write_one(
    store: &Store,
    export: &LedgerExport<'_>,
    format: Format,
    fonts: Option<&PdfFonts>,
    path: &Path,
) -> anyhow::Result<ExportedFile> {
    let mut pages = None;
    match format {
        Format::Csv => write_csv(export, path)?,
        Format::Json => write_json(export, path)?,
        Format::Xlsx => write_xlsx(&[*export], path)?,
        Format::Pdf => {
            let fonts = fonts.expect("fonts are loaded for PDF exports");
            let rendered = write_pdf(export, fonts, path)?;
            save_printed_pages(store.connection(), export, &rendered.pages)?;
            if !rendered.missing_glyphs.is_empty() {
                let chars: String = rendered.missing_glyphs.iter().collect();
                eprintln!(
                    "警告 / warning: the font has no glyphs for `{chars}` in `{}`; they print as boxes. \
                     Choose another font with --font",
                    path.display()
                );
            }
            pages = Some(rendered.pages.len());
        }
    }
    Ok(ExportedFile {
        ledger_id: export.ledger.id.clone(),
        path: path.to_path_buf(),
        rows: export.rows.rows.len(),
        pages,
    })
}

pub fn verify_print(app: &App, args: VerifyPrintArgs) -> anyhow::Result<()> {
    let code = normalize_page_code(&args.code).ok_or_else(|| {
        bad_input(anyhow!(
            "`{}` is not a page verification code; copy the 12 characters after 核验码 at the foot of the page, e.g. 7G2K-M9QX-4D1T",
            args.code
        ))
    })?;
    let store = app.store()?;
    let page = find_printed_page(store.connection(), &code)?.ok_or_else(|| {
        bad_input(anyhow!(
            "no page printed from this database has the code `{}`; check the code, and that this is the computer the ledger was printed on",
            format_page_code(&code)
        ))
    })?;

    let mut current: HashMap<String, Record> = HashMap::new();
    for (id, _) in &page.records {
        if let Some(record) = store.record(id)? {
            current.insert(id.clone(), record);
        }
    }
    let check = check_printed_page(page, |id| current.get(id).map(|r| r.revision));
    let changes = changed_cells(app, &store, &check.page.ledger_id, &check, &current)?;

    if args.json {
        print_json(&json!({ "check": check, "changed_cells": changes }))?;
    } else {
        let page = &check.page;
        println!(
            "核验码 {}：{} {}，{}，第 {} 页 共 {} 页，打印于 {}",
            format_page_code(&page.code),
            page.ledger_code,
            page.ledger_title,
            page.period_label,
            page.page_number,
            page.page_count,
            page.last_printed_at
        );
        let changed = check
            .records
            .iter()
            .filter(|r| r.change != RecordChange::Unchanged)
            .count();
        if check.matches {
            println!(
                "与数据库一致 / matches the database: {} 条记录未改动 / records unchanged",
                check.records.len()
            );
        } else {
            println!(
                "与数据库不一致 / does not match the database: {changed} 条记录在打印后有变动 / of {} records changed since printing",
                check.records.len()
            );
        }
        for record in check
            .records
            .iter()
            .filter(|r| r.change != RecordChange::Unchanged)
        {
            match record.current_revision {
                Some(now) => println!(
                    "  {}  打印时第 {} 版，现为第 {} 版 / printed revision {}, now {}",
                    record.record_id, record.printed_revision, now, record.printed_revision, now
                ),
                None => println!(
                    "  {}  打印时第 {} 版，现已不在数据库中 / no longer in the database",
                    record.record_id, record.printed_revision
                ),
            }
            for change in changes.iter().filter(|c| c.0 == record.record_id) {
                println!(
                    "      {}：{} → {}",
                    change.1,
                    show(&change.2),
                    show(&change.3)
                );
            }
        }
    }
    if check.matches {
        Ok(())
    } else {
        Err(anyhow!(
            "the printed page no longer matches the database; reprint the ledger"
        ))
    }
}

/// For each edited record, the ledger cells that differ between the printed
/// revision and now: (record id, column title, printed text, current text).
fn changed_cells(
    app: &App,
    store: &Store,
    ledger_id: &str,
    check: &voice_ledger::export::PrintCheck,
    current: &HashMap<String, Record>,
) -> anyhow::Result<Vec<(String, String, String, String)>> {
    let catalog = app.catalog()?;
    let Some(ledger) = catalog.ledger(ledger_id) else {
        return Ok(Vec::new());
    };
    let residents = residents(store)?;
    let mut out = Vec::new();
    for record in check
        .records
        .iter()
        .filter(|r| r.change == RecordChange::Edited)
    {
        let (Some(now), Some(then)) = (
            current.get(&record.record_id),
            store.record_at_revision(&record.record_id, record.printed_revision)?,
        ) else {
            continue;
        };
        let cells = |r: &Record| {
            let all = chrono::NaiveDate::MIN;
            let rows = ledger_rows(
                &catalog,
                ledger,
                std::slice::from_ref(r),
                &residents,
                all,
                chrono::NaiveDate::MAX,
            );
            rows.rows
                .into_iter()
                .next()
                .map(|row| row.cells)
                .unwrap_or_default()
        };
        let (before, after) = (cells(&then), cells(now));
        for (i, column) in ledger.columns.iter().enumerate() {
            let old = before.get(i).cloned().unwrap_or_default();
            let new = after.get(i).cloned().unwrap_or_default();
            if old != new {
                out.push((record.record_id.clone(), column.title.clone(), old, new));
            }
        }
    }
    Ok(out)
}

fn show(text: &str) -> &str {
    if text.is_empty() { "（空）" } else { text }
}

fn period(args: &ExportArgs) -> anyhow::Result<ReportPeriod> {
    let period = match (&args.period, &args.from, &args.to) {
        (Some(p), _, _) => ReportPeriod::parse(p),
        (None, Some(from), Some(to)) => ReportPeriod::parse_range(from, to),
        _ => {
            let today = chrono::Local::now().date_naive();
            ReportPeriod::parse(&today.format("%Y-%m").to_string())
        }
    };
    period.map_err(bad_input)
}

fn output_format(args: &ExportArgs) -> anyhow::Result<Format> {
    if let Some(f) = &args.format {
        return Ok(Format::parse(f).expect("clap checks the format"));
    }
    let extension = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    Format::parse(extension).ok_or_else(|| {
        bad_input(anyhow!(
            "cannot tell the format of `{}`; add --format pdf|xlsx|csv|json or end the file name in one of them",
            args.output.display()
        ))
    })
}

fn find_ledger<'a>(catalog: &'a Catalog, id: &str) -> anyhow::Result<&'a Ledger> {
    catalog.ledger(id).ok_or_else(|| {
        let known: Vec<&str> = catalog.ledgers().map(|l| l.id.as_str()).collect();
        bad_input(anyhow!(
            "no ledger `{id}`; known ledgers: {}",
            known.join(", ")
        ))
    })
}

fn residents(store: &Store) -> anyhow::Result<HashMap<String, Resident>> {
    Ok(store
        .residents()?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect())
}

/// Header names from options, then the environment, then the records.
pub fn header_context(
    args: &HeaderArgs,
    records: &[Record],
    period: &ReportPeriod,
) -> HeaderContext {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let committee = args
        .committee
        .clone()
        .or_else(|| from_env(COMMITTEE_ENV))
        .or_else(|| most_common_committee(records))
        .unwrap_or_else(|| "居委会".to_string());
    HeaderContext {
        sub_district: args
            .sub_district
            .clone()
            .or_else(|| from_env(SUB_DISTRICT_ENV))
            .unwrap_or_default(),
        committee,
        period_label: period.label.clone(),
        printed_at: chrono::Local::now().naive_local(),
    }
}

fn most_common_committee(records: &[Record]) -> Option<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in records {
        *counts.entry(r.committee.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(name, n)| (*n, std::cmp::Reverse(*name)))
        .map(|(name, _)| name.to_string())
}
