//! `voice-ledger bench transcribe`: speed and accuracy figures of the
//! recogniser on the speech fixtures.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use serde::Deserialize;
use voice_ledger::asr::bench::{self, BenchCase, BenchClip, BenchResult};
use voice_ledger::asr::score::ErrorCount;
use voice_ledger::asr::{Engine, PromptTerms, TranscribeOptions};
use voice_ledger::audio::{self, DecodeOptions};
use voice_ledger::ledger::Catalog;

use crate::app::{App, bad_input, print_json};
use crate::transcribe::load_engine;

#[derive(Debug, Args)]
pub struct TranscribeBenchArgs {
    /// Speech model (default: the default installed model).
    #[arg(long)]
    model: Option<String>,
    /// The speech fixtures folder (with `manifest.json`).
    #[arg(long, value_name = "DIR", default_value = "tests/fixtures/speech")]
    fixtures: PathBuf,
    /// Thread counts to compare.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2])]
    threads: Vec<usize>,
    /// Also transcribe every dictation and variant, with and without the
    /// shortened encoder window, and report error rates per kind.
    #[arg(long)]
    accuracy: bool,
    /// Beam width for all runs (default: greedy).
    #[arg(long, value_name = "N")]
    beam: Option<u32>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    files: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
struct Entry {
    id: String,
    kind: String,
    path: String,
    #[serde(default)]
    expected_text: Option<String>,
    #[serde(rename = "use", default)]
    purpose: Option<String>,
    #[serde(default)]
    variant: Option<serde_json::Value>,
}

impl Entry {
    /// `dictation`, or the variant's effect (`noise`, `tempo`, `silences`).
    fn group(&self) -> String {
        self.variant
            .as_ref()
            .and_then(|v| v.get("effect"))
            .and_then(|e| e.as_str())
            .map_or_else(|| self.kind.clone(), |effect| format!("variant/{effect}"))
    }
}

#[derive(Debug, serde::Serialize)]
struct Report {
    model: String,
    load_s: f64,
    /// `/proc/loadavg` before and after: figures taken on a busy machine
    /// are slower than the machine is.
    load_average: [Option<String>; 2],
    speed: Vec<BenchResult>,
    accuracy: Vec<AccuracyRow>,
}

#[derive(Debug, serde::Serialize)]
struct AccuracyRow {
    group: String,
    scaled_audio_ctx: bool,
    clips: usize,
    cer: f64,
    mean_latency_s: f64,
}

pub fn run(app: &App, args: TranscribeBenchArgs) -> anyhow::Result<()> {
    if args.threads.is_empty() || args.threads.contains(&0) {
        return Err(bad_input(anyhow::anyhow!(
            "`--threads` needs thread counts of 1 or more, such as `--threads 1,2`"
        )));
    }
    let manifest_path = args.fixtures.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read `{}`", manifest_path.display()))
        .map_err(bad_input)?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a fixture manifest", manifest_path.display()))
        .map_err(bad_input)?;
    let load_before = load_average();
    let engine = load_engine(app, args.model.as_deref())?;
    let base = TranscribeOptions {
        beam_size: args.beam,
        prompt: PromptTerms {
            vocabulary: Catalog::builtin()
                .record_type("home-visit")
                .map(|t| t.vocabulary.clone())
                .unwrap_or_default(),
            ..PromptTerms::default()
        },
        ..TranscribeOptions::default()
    };

    let clip = |id: &str| -> anyhow::Result<BenchClip> {
        let entry = manifest
            .files
            .iter()
            .find(|e| e.id == id)
            .with_context(|| format!("no fixture `{id}` in `{}`", manifest_path.display()))?;
        load_clip(&args.fixtures, entry, id)
    };
    let short = [
        relabel(clip("bench-3s")?, "3 s"),
        relabel(clip("bench-8s")?, "8 s"),
        relabel(clip("long-30s")?, "30 s"),
    ];
    let dictations: Vec<BenchClip> = manifest
        .files
        .iter()
        .filter(|e| e.kind == "dictation" && e.purpose.is_none())
        .map(|e| load_clip(&args.fixtures, e, &e.id))
        .collect::<anyhow::Result<_>>()?;
    let long = bench::long_recording(&dictations, 0.8, 300.0);

    // One untimed run so allocation and page faults of the first decode do
    // not count against the first figure.
    bench::measure(&engine, &short[1], case(args.threads[0], true), &base)?;

    let mut speed = Vec::new();
    for clip in short.iter().chain([&long]) {
        for &threads in &args.threads {
            for scaled in [false, true] {
                speed.push(bench::measure(&engine, clip, case(threads, scaled), &base)?);
            }
        }
    }

    let accuracy = if args.accuracy {
        accuracy_table(&engine, &manifest, &args, &base)?
    } else {
        Vec::new()
    };
    let report = Report {
        model: engine.model().to_string(),
        load_s: engine.load_s(),
        load_average: [load_before, load_average()],
        speed,
        accuracy,
    };
    if args.json {
        return print_json(&report);
    }
    print_report(&report);
    Ok(())
}

/// The 1, 5 and 15 minute load averages (Linux).
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn case(threads: usize, scaled_audio_ctx: bool) -> BenchCase {
    BenchCase {
        threads,
        scaled_audio_ctx,
    }
}

fn relabel(mut clip: BenchClip, label: &str) -> BenchClip {
    clip.label = label.to_string();
    clip
}

fn load_clip(dir: &Path, entry: &Entry, label: &str) -> anyhow::Result<BenchClip> {
    let audio =
        audio::decode_file(&dir.join(&entry.path), &DecodeOptions::default()).map_err(bad_input)?;
    Ok(BenchClip {
        label: label.to_string(),
        samples: audio.samples,
        reference: entry.expected_text.clone(),
    })
}

/// Error rates per fixture group, with and without the shortened window,
/// at the largest thread count asked for.
fn accuracy_table(
    engine: &Engine,
    manifest: &Manifest,
    args: &TranscribeBenchArgs,
    base: &TranscribeOptions,
) -> anyhow::Result<Vec<AccuracyRow>> {
    let threads = args.threads.iter().copied().max().unwrap_or(1);
    let entries: Vec<&Entry> = manifest
        .files
        .iter()
        .filter(|e| {
            e.expected_text.is_some()
                && matches!(e.kind.as_str(), "dictation" | "variant" | "format")
        })
        .collect();
    let mut rows = Vec::new();
    for scaled in [false, true] {
        let mut groups: Vec<(String, Vec<BenchResult>)> = Vec::new();
        for entry in &entries {
            let clip = load_clip(&args.fixtures, entry, &entry.id)?;
            let result = bench::measure(engine, &clip, case(threads, scaled), base)?;
            let group = entry.group();
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, results)) => results.push(result),
                None => groups.push((group, vec![result])),
            }
        }
        for (group, results) in groups {
            let pooled = pooled_cer(&results, &entries);
            rows.push(AccuracyRow {
                group,
                scaled_audio_ctx: scaled,
                clips: results.len(),
                cer: pooled,
                mean_latency_s: results.iter().map(|r| r.latency_s).sum::<f64>()
                    / results.len() as f64,
            });
        }
    }
    Ok(rows)
}

/// Error rate pooled over clips (total edits / total reference characters).
fn pooled_cer(results: &[BenchResult], entries: &[&Entry]) -> f64 {
    let total = results
        .iter()
        .filter_map(|r| {
            let entry = entries.iter().find(|e| e.id == r.clip)?;
            let reference = entry.expected_text.as_deref()?;
            Some(ErrorCount::of(reference, &r.text))
        })
        .fold(ErrorCount::default(), |a, b| a + b);
    total.rate()
}

fn print_report(report: &Report) {
    println!(
        "模型 / model: {}   加载 / load: {:.2} s   load average: {} → {}",
        report.model,
        report.load_s,
        report.load_average[0].as_deref().unwrap_or("-"),
        report.load_average[1].as_deref().unwrap_or("-"),
    );
    println!();
    println!(
        "{:<7} {:>8} {:>7} {:>10} {:>10} {:>12} {:>7} {:>7}",
        "clip", "audio_s", "threads", "audio_ctx", "latency_s", "x_real_time", "cpu_s", "CER"
    );
    for r in &report.speed {
        println!(
            "{:<7} {:>8.1} {:>7} {:>10} {:>10.2} {:>12.1} {:>7} {:>7}",
            r.clip,
            r.audio_s,
            r.threads,
            if r.scaled_audio_ctx { "scaled" } else { "full" },
            r.latency_s,
            r.real_time_factor,
            r.cpu_s.map_or_else(|| "-".into(), |c| format!("{c:.2}")),
            r.cer
                .map_or_else(|| "-".into(), |c| format!("{:.1}%", c * 100.0)),
        );
    }
    if report.accuracy.is_empty() {
        return;
    }
    println!();
    println!(
        "{:<20} {:>10} {:>6} {:>7} {:>15}",
        "fixtures", "audio_ctx", "clips", "CER", "mean_latency_s"
    );
    for row in &report.accuracy {
        println!(
            "{:<20} {:>10} {:>6} {:>6.1}% {:>15.2}",
            row.group,
            if row.scaled_audio_ctx {
                "scaled"
            } else {
                "full"
            },
            row.clips,
            row.cer * 100.0,
            row.mean_latency_s
        );
    }
}
