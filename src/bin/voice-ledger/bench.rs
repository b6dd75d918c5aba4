//! `voice-ledger bench …`: commands that measure speed and print figures.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::anyhow;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use clap::{Args, Subcommand};
use serde_json::json;
use voice_ledger::export::{
    HeaderContext, LedgerExport, ReportPeriod, write_csv, write_json, write_pdf, write_xlsx,
};
use voice_ledger::ledger::{FieldValues, Record, RecordState, ledger_rows};

use crate::app::{App, bad_input};
use crate::export::FontArgs;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Export synthetic home visits to PDF, XLSX, CSV and JSON and time each.
    Export(ExportBench),
    /// Time extraction of a 60-second home-visit dictation.
    Extract(crate::extract::ExtractBench),
    /// How soon live dictation has the final text and fields after the user stops.
    Live(crate::live::LiveBench),
    /// Records per second sent through a hub on loopback.
    Sync(crate::sync::SyncBench),
    /// Real-time factor, latency and error rate of speech recognition per
    /// clip length, thread count and encoder window.
    Transcribe(crate::transcribe_bench::TranscribeBenchArgs),
}

#[derive(Debug, Args)]
pub struct ExportBench {
    /// How many home visits to generate.
    #[arg(long, default_value_t = 10_000)]
    records: usize,
    /// Ledger to export.
    #[arg(long, default_value = "visit-general")]
    ledger: String,
    /// Keep the files in this folder (default: a temporary folder, removed).
    #[arg(short = 'o', long, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Time each format this many times and report the fastest run.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    #[command(flatten)]
    font: FontArgs,
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Export(args) => export(app, args),
        Command::Extract(args) => crate::extract::run_bench(app, args),
        Command::Live(args) => crate::live::bench_live(app, args),
        Command::Sync(args) => crate::sync::run_bench(app, args),
        Command::Transcribe(args) => crate::transcribe_bench::run(app, args),
    }
}

fn export(app: &App, args: ExportBench) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let ledger = catalog
        .ledger(&args.ledger)
        .ok_or_else(|| bad_input(anyhow!("no ledger `{}`", args.ledger)))?;
    let period = ReportPeriod::parse("2026")?;
    let records = synthetic_visits(args.records);
    let (dir, keep) = match &args.output {
        Some(dir) => (dir.clone(), true),
        None => (
            std::env::temp_dir().join(format!("voice-ledger-bench-{}", std::process::id())),
            false,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let header = HeaderContext {
        sub_district: "江川路街道".to_string(),
        committee: "鹤庆居民区居委会".to_string(),
        period_label: period.label.clone(),
        printed_at: chrono::Local::now().naive_local(),
    };

    let started = Instant::now();
    let fonts = args.font.load()?;
    let font_time = started.elapsed();

    let started = Instant::now();
    let rows = ledger_rows(
        &catalog,
        ledger,
        &records,
        &HashMap::new(),
        period.from,
        period.to,
    );
    let rows_time = started.elapsed();
    let export = LedgerExport {
        ledger,
        rows: &rows,
        header: &header,
    };

    let resident = resident_mb();
    let pdf_path = dir.join("bench.pdf");
    let mut pages = 0;
    let pdf = best_of(args.runs, || {
        pages = write_pdf(&export, &fonts, &pdf_path)?.pages.len();
        Ok(())
    })?;
    let xlsx_path = dir.join("bench.xlsx");
    let xlsx = best_of(args.runs, || Ok(write_xlsx(&[export], &xlsx_path)?))?;
    let csv_path = dir.join("bench.csv");
    let csv = best_of(args.runs, || Ok(write_csv(&export, &csv_path)?))?;
    let json_path = dir.join("bench.json");
    let json = best_of(args.runs, || Ok(write_json(&export, &json_path)?))?;

    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let (font_path, face) = fonts.body_file();
    println!(
        "records  {} synthetic home visits → {} rows in {} ({})",
        records.len(),
        rows.rows.len(),
        ledger.id,
        ledger.title
    );
    println!(
        "font     {:>7.3} s  {} face {face}",
        font_time.as_secs_f64(),
        font_path.display()
    );
    println!(
        "rows     {:>7.3} s  process resident before exporting: {}",
        rows_time.as_secs_f64(),
        megabytes(resident)
    );
    println!(
        "         wall (best of {})  cpu        peak resident  file",
        args.runs.max(1)
    );
    println!("pdf      {pdf}  {pages} pages, {:.2} MB", size(&pdf_path));
    println!("xlsx     {xlsx}  {:.2} MB", size(&xlsx_path));
    println!("csv      {csv}  {:.2} MB", size(&csv_path));
    println!("json     {json}  {:.2} MB", size(&json_path));
    if keep {
        println!("files in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// The fastest of several runs: its wall time, the processor time it used
/// and the largest resident memory of the process during the runs (on
/// Linux; elsewhere only wall time).
struct Timing {
    wall: f64,
    cpu: Option<f64>,
    peak_mb: Option<f64>,
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cpu = self.cpu.map_or("-".to_string(), |c| format!("{c:.2} s"));
        write!(
            f,
            "{:>7.3} s           {cpu:>8}   {:>12}",
            self.wall,
            megabytes(self.peak_mb)
        )
    }
}

fn megabytes(mb: Option<f64>) -> String {
    mb.map_or("-".to_string(), |mb| format!("{mb:.0} MB"))
}

fn best_of(runs: u32, mut work: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Timing> {
    let mut best: Option<Timing> = None;
    let mut peak: Option<f64> = None;
    for _ in 0..runs.max(1) {
        reset_peak_memory();
        let (cpu_before, started) = (cpu_seconds(), Instant::now());
        work()?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        if let Some(now) = peak_mb() {
            peak = Some(peak.map_or(now, |before: f64| before.max(now)));
        }
        if best.as_ref().is_none_or(|b| wall < b.wall) {
            best = Some(Timing {
                wall,
                cpu,
                peak_mb: None,
            });
        }
    }
    let mut best = best.expect("at least one run");
    best.peak_mb = peak;
    Ok(best)
}

/// Processor time this process has used, from `/proc/self/stat`: on a busy
/// machine it shows the work done when wall time mostly shows waiting.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports in USER_HZ, which is 100 on every mainstream build.
    Some(ticks / 100.0)
}

/// Starts measuring the process's peak resident memory afresh (Linux: writing
/// 5 to `clear_refs` resets the high-water mark to the current size).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, in megabytes.
fn peak_mb() -> Option<f64> {
    status_kb("VmHWM:").map(|kb| kb / 1024.0)
}

/// Resident memory now, in megabytes.
fn resident_mb() -> Option<f64> {
    status_kb("VmRSS:").map(|kb| kb / 1024.0)
}

fn status_kb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// A small, fixed pseudo-random sequence, so every run measures the same data.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

const SURNAMES: &[&str] = &[
    "王", "张", "李", "陈", "刘", "赵", "周", "吴", "徐", "孙", "朱", "沈", "顾", "陆",
];
const GIVEN: &[&str] = &[
    "秀英", "建国", "桂兰", "志强", "凤英", "德明", "玉珍", "国平", "美华", "金妹", "阿大", "文娟",
    "小弟", "丽萍",
];
const ROADS: &[&str] = &["江川路", "鹤庆路", "沧源路", "永德路", "东川路", "碧江路"];
const HEALTH: &[&str] = &[
    "身体尚可",
    "血压偏高，按时服药",
    "行动不便，需要拐杖",
    "精神很好，每天下楼散步",
    "刚出院，在家休养",
    "糖尿病，饮食控制中",
];
const CONCERNS: &[&str] = &[
    "反映楼道灯坏了，晚上出门不方便，希望尽快修好。",
    "腿脚不便，希望居委会帮忙联系家庭医生上门。",
    "提出小区南门的非机动车乱停放，影响老人通行；建议增设车棚。",
    "子女在外地工作，平时一个人在家，担心突发疾病无人知晓。",
    "反映楼上卫生间漏水，天花板发霉，已多次与楼上住户沟通未果！",
    "希望社区食堂增加送餐服务，最好中午和晚上都有。",
    "询问高龄津贴的申请条件和需要带的材料。",
    "反映垃圾箱房周边有异味，夏天更严重，希望物业每天冲洗。",
    "",
];
const ACTIONS: &[&str] = &[
    "已联系物业，约定本周五上门维修。",
    "已转告社区卫生服务中心，预约家庭医生下周二上门。",
    "已上报街道城管科，并在楼组长群里发了通知。",
    "已为老人安装一键呼叫设备，并请邻居多照看。",
    "已约双方周三晚上在居委会调解。",
    "已当场解答，并留下居委会值班电话。",
    "已登记需求，下周送申请表上门。",
];
const RESULTS: &[&str] = &["已解决", "处理中", "居民满意", "待回访"];
const STAFF: &[&str] = &["李敏", "张伟", "王芳", "陈静"];

/// Home visits that look like a committee's year: varied names, addresses,
/// readings and remarks of everyday length.
fn synthetic_visits(count: usize) -> Vec<Record> {
    let mut seq = Sequence(20_261_101);
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date");
    (0..count)
        .map(|i| {
            let day = start + Duration::days((i * 365 / count.max(1)) as i64);
            let mut fields = FieldValues::new();
            let mut set = |k: &str, v: serde_json::Value| {
                fields.insert(k.to_string(), v);
            };
            set("visit_date", json!(day.format("%Y-%m-%d").to_string()));
            set(
                "visit_time",
                json!(format!("{:02}:{:02}", 9 + seq.next() % 8, seq.next() % 60)),
            );
            set(
                "visit_mode",
                json!(["入户", "入户", "入户", "电话", "约谈"][seq.next() % 5]),
            );
            set(
                "resident",
                json!(format!("{}{}", seq.pick(SURNAMES), seq.pick(GIVEN))),
            );
            set(
                "address",
                json!(format!(
                    "{}{}弄{}号{}室",
                    seq.pick(ROADS),
                    100 + seq.next() % 900,
                    1 + seq.next() % 40,
                    101 + (seq.next() % 6) * 100 + seq.next() % 3
                )),
            );
            set("age", json!(60 + seq.next() % 40));
            if seq.next().is_multiple_of(2) {
                set("bp_systolic", json!(110 + seq.next() % 60));
                set("bp_diastolic", json!(65 + seq.next() % 30));
            }
            set("health", json!(seq.pick(HEALTH)));
            let concerns = seq.pick(CONCERNS);
            if !concerns.is_empty() {
                set("concerns", json!(concerns));
            }
            set("actions", json!(seq.pick(ACTIONS)));
            set("result", json!(seq.pick(RESULTS)));
            set("follow_up", json!(seq.next().is_multiple_of(3)));
            let at = Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).expect("valid time"))
                + Duration::seconds(i as i64);
            Record {
                id: format!("0193a1b2-0000-7000-8000-{i:012}"),
                record_type: "home-visit".to_string(),
                type_version: 1,
                fields,
                transcript: None,
                audio_ref: None,
                author: seq.pick(STAFF).to_string(),
                committee: "鹤庆居民区居委会".to_string(),
                resident_id: None,
                state: RecordState::Final,
                revision: 1,
                created_at: at,
                updated_at: at,
            }
        })
        .collect()
}
