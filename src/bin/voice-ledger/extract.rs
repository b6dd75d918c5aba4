//! `voice-ledger extract`, `voice-ledger eval extract` and
//! `voice-ledger bench extract`: transcript to ledger fields, measured
//! against a corpus, and timed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use chrono::{Local, NaiveDate};
use clap::{Args, Subcommand};
use voice_ledger::extract::{Extraction, Extractor, Gazetteer, evaluate, extract, load_corpus};
use voice_ledger::ledger::{Catalog, RecordType, Resident, display_value};

use crate::app::{App, bad_input, print_json};

/// Arguments of `voice-ledger extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Record type id, e.g. `home-visit`.
    #[arg(long)]
    record_type: String,
    /// The transcript; `-` reads it from standard input.
    #[arg(long)]
    text: String,
    /// Day of the recording, YYYY-MM-DD (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `voice-ledger eval …`.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Extract every case of a corpus folder and print per-field precision
    /// and recall and the share of fields exactly right.
    Extract {
        /// Corpus folder with registry.toml and case files.
        corpus: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `voice-ledger bench extract`.
#[derive(Debug, Args)]
pub struct ExtractBench {
    /// How many times to extract.
    #[arg(long, default_value_t = 500)]
    iterations: u32,
    /// Size of the synthetic resident registry.
    #[arg(long, default_value_t = 300)]
    residents: usize,
}

/// The committee's gazetteer: built-in places plus `gazetteer.toml` in
/// the data folder.
pub fn gazetteer(app: &App) -> anyhow::Result<Gazetteer> {
    Gazetteer::load(&app.data.root().join("gazetteer.toml")).map_err(bad_input)
}

fn record_type<'c>(catalog: &'c Catalog, id: &str) -> anyhow::Result<&'c RecordType> {
    catalog.record_type(id).ok_or_else(|| {
        bad_input(anyhow!(
            "unknown record type `{id}`; use one of: {}",
            catalog.record_type_ids().join(", ")
        ))
    })
}

pub fn run_extract(app: &App, args: ExtractArgs) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let record_type = record_type(&catalog, &args.record_type)?;
    let text = if args.text == "-" {
        std::io::read_to_string(std::io::stdin())
            .context("cannot read the transcript from standard input")?
    } else {
        args.text
    };
    if text.trim().is_empty() {
        return Err(bad_input(anyhow!(
            "the transcript is empty; pass it with --text \"…\""
        )));
    }
    // Without a readable store the registry is empty: extraction still
    // works, it only cannot link or correct residents' names.
    let residents = app
        .store()
        .and_then(|s| Ok(s.residents()?))
        .unwrap_or_else(|e| {
            tracing::debug!("no resident registry for extraction: {e:#}");
            Vec::new()
        });
    let date = args.date.unwrap_or_else(|| Local::now().date_naive());

    let extraction = extract(record_type, &text, &[], date, &residents, &gazetteer(app)?);
    if args.json {
        return print_json(&extraction);
    }
    print_table(record_type, &extraction);
    Ok(())
}

/// Display width of text in a terminal: Chinese characters take two columns.
fn width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

fn print_table(record_type: &RecordType, extraction: &Extraction) {
    println!("{}（{}）", record_type.title, record_type.id);
    println!(
        "{}{}{}原话 / heard",
        pad("字段 / field", 28),
        pad("值 / value", 30),
        pad("把握", 6),
    );
    for field in &extraction.fields {
        let label = format!("{} {}", field.title, field.key);
        let mut heard = field.span.as_ref().map_or_else(
            || format!("({})", origin_label(field.origin)),
            |s| s.text.clone(),
        );
        if let Some(original) = &field.original {
            heard = format!("{heard}  [更正自 / corrected from: {original}]");
        }
        println!(
            "{}{}{}{}",
            pad(&label, 28),
            pad(&display_value(&field.value), 30),
            pad(&format!("{:.2}", field.confidence), 6),
            heard
        );
    }
    if !extraction.missing_required.is_empty() {
        let missing: Vec<String> = extraction
            .missing_required
            .iter()
            .map(|m| format!("{}（{}）", m.title, m.key))
            .collect();
        println!("缺少必填项 / missing required: {}", missing.join("、"));
    }
    for warning in &extraction.warnings {
        println!("注意 / check: {}", warning.message);
    }
    if let Some(link) = &extraction.resident {
        println!(
            "关联居民 / linked resident: {}（{}）{:.2} — {}",
            link.name, link.id, link.confidence, link.reason
        );
    }
    for c in &extraction.corrections {
        println!("更正 / corrected: {} → {}", c.from, c.to);
    }
}

fn origin_label(origin: voice_ledger::extract::Origin) -> &'static str {
    match origin {
        voice_ledger::extract::Origin::Transcript => "原话",
        voice_ledger::extract::Origin::Registry => "来自居民登记 / from registry",
        voice_ledger::extract::Origin::RecordingDate => "录音日期 / recording date",
    }
}

pub fn run_eval(app: &App, command: EvalCommand) -> anyhow::Result<()> {
    let EvalCommand::Extract { corpus, json } = command;
    let loaded = load_corpus(&corpus).map_err(bad_input)?;
    if loaded.cases.is_empty() {
        return Err(bad_input(anyhow!(
            "`{}` holds no cases; give a folder with registry.toml and *.toml files of [[case]] entries",
            corpus.display()
        )));
    }
    let catalog = app.catalog()?;
    let report = evaluate(&catalog, &loaded, &gazetteer(app)?).map_err(bad_input)?;
    if json {
        return print_json(&report);
    }

    println!(
        "{}{:>10}{:>8}{:>8}{:>8}{:>8}{:>8}",
        pad("field", 30),
        "precision",
        "recall",
        "right",
        "wrong",
        "missed",
        "extra"
    );
    for (key, score) in &report.fields {
        println!(
            "{}{:>10.3}{:>8.3}{:>8}{:>8}{:>8}{:>8}",
            pad(key, 30),
            score.precision(),
            score.recall(),
            score.correct,
            score.wrong,
            score.missed,
            score.spurious
        );
    }
    let total = report.total();
    println!(
        "{}{:>10.3}{:>8.3}{:>8}{:>8}{:>8}{:>8}",
        pad("all fields", 30),
        total.precision(),
        total.recall(),
        total.correct,
        total.wrong,
        total.missed,
        total.spurious
    );
    for m in &report.mismatches {
        let show =
            |v: &Option<serde_json::Value>| v.as_ref().map_or("-".to_string(), display_value);
        println!(
            "  {} {}: expected {} got {}",
            m.case,
            m.key,
            show(&m.expected),
            show(&m.got)
        );
    }
    println!(
        "{} cases; exact-field accuracy {:.3}",
        report.cases,
        report.accuracy()
    );
    Ok(())
}

/// About sixty seconds of a home-visit dictation as the recogniser writes
/// it: no punctuation in places, a misheard name and estate, fillers.
const BENCH_TRANSCRIPT: &str = "嗯今天是十二月三号上午十点半我和社工小李一起到彭普新村三号楼五零二室走访了汪秀英阿姨，\
她今年七十八岁一个人住，那个儿子在浦东工作每周来看她一次。血压量了一下一百四十五八十八，比上个月高一点，\
她说最近睡眠不太好晚上老是醒，腿脚还可以就是上下楼有点吃力。她反映楼道里的灯坏了好几天了晚上出门看不见，\
另外希望社区能帮忙申请助餐服务，中午吃饭不方便。我们已经联系物业下午来修灯，助餐的事帮她登记了，\
要等街道审核。她的电话是幺三九一六二五八七四三，身份证没带。下次走访的时候再去看看助餐批下来没有需要继续跟进。";

/// A registry of `count` made-up residents, with 王秀英 among them.
fn synthetic_registry(count: usize) -> Vec<Resident> {
    let surnames = [
        '王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴', '徐', '孙', '沈', '陆',
    ];
    let given = [
        "秀英", "建国", "桂英", "国强", "美华", "志明", "丽萍", "永福", "金妹", "玉兰", "德才",
        "凤英",
    ];
    let estates = ["彭浦新村", "临汾小区", "阳曲小区", "汾西小区", "三泉家园"];
    let mut residents = vec![Resident {
        id: "bench-0".to_string(),
        name: "王秀英".to_string(),
        address: "彭浦新村3号楼502室".to_string(),
        ..Resident::default()
    }];
    for i in 1..count {
        residents.push(Resident {
            id: format!("bench-{i}"),
            name: format!(
                "{}{}",
                surnames[i % surnames.len()],
                given[(i / surnames.len()) % given.len()]
            ),
            address: format!(
                "{}{}号楼{}室",
                estates[i % estates.len()],
                1 + i % 40,
                101 + (i % 6) * 100 + i % 4
            ),
            ..Resident::default()
        });
    }
    residents
}

/// Times extraction of a 60-second home-visit dictation.
pub fn run_bench(app: &App, args: ExtractBench) -> anyhow::Result<()> {
    let ExtractBench {
        iterations,
        residents,
    } = args;
    let catalog = app.catalog()?;
    let record_type = record_type(&catalog, "home-visit")?;
    let registry = synthetic_registry(residents.max(1));
    let gazetteer = gazetteer(app)?;
    let date = NaiveDate::from_ymd_opt(2026, 12, 3).context("bench date")?;

    // A dictation prepares the registry once per recording; the UI, once
    // per session. Both are timed.
    let runs = iterations.max(1);
    let mut fields = 0;
    let one_shot = time_runs(runs, || {
        fields = extract(
            record_type,
            BENCH_TRANSCRIPT,
            &[],
            date,
            &registry,
            &gazetteer,
        )
        .fields
        .len();
    });
    let extractor = Extractor::new(&registry, &gazetteer);
    let prepared = time_runs(runs, || {
        extractor.extract(record_type, BENCH_TRANSCRIPT, &[], date);
    });
    let preparing = time_runs(runs.min(50), || {
        Extractor::new(&registry, &gazetteer);
    });

    println!(
        "extract: {} characters, {} residents, {} fields, {} runs",
        BENCH_TRANSCRIPT.chars().count(),
        registry.len(),
        fields,
        runs
    );
    println!(
        "time per extraction, registry prepared once: {}",
        summary(&prepared)
    );
    println!(
        "time per extraction, registry prepared each time: {}",
        summary(&one_shot)
    );
    println!("time to prepare the registry: {}", summary(&preparing));
    Ok(())
}

/// Milliseconds taken by each of `runs` calls of `work`, sorted.
fn time_runs(runs: u32, mut work: impl FnMut()) -> Vec<f64> {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Mean, median, 95th percentile and maximum of sorted times.
fn summary(times: &[f64]) -> String {
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    format!(
        "mean {mean:.3} ms, median {:.3} ms, p95 {:.3} ms, max {:.3} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    )
}
