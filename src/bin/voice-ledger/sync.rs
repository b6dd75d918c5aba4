//! `voice-ledger sync enroll|now|status|receipts|templates`: sending records
//! to the sub-district hub.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Subcommand;
use voice_ledger::sync::{
    self, Backoff, ClientOptions, EnrolOptions, EntryState, KeyringUse, PassOptions, PassReport,
    SyncError, SyncStatus, TokenLocation,
};

use crate::app::{App, bad_input, print_json};

/// Transient failures `sync now` rides out before giving up; someone is
/// waiting, so only briefly. The background runner keeps trying.
const NOW_RETRIES: u32 = 2;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enrol this data folder with the sub-district hub using a one-time code.
    Enroll {
        /// The hub's address, e.g. https://hub.example.gov.cn.
        #[arg(long)]
        hub: String,
        /// The one-time code from the sub-district.
        #[arg(long)]
        code: String,
        /// A name the sub-district will see for this computer.
        #[arg(long)]
        name: Option<String>,
        /// PEM file of the CA that signed the hub's certificate, if the
        /// system does not already trust it.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Enrol again (after the device was revoked or moved).
        #[arg(long)]
        force: bool,
    },
    /// Fetch templates and send every queued record now.
    Now {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what is queued, refused or in conflict.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// List sent revisions too.
        #[arg(long)]
        all: bool,
    },
    /// Print the receipts the hub issued (回执), or write them as a
    /// printable sheet (PDF, XLSX, CSV or JSON by the file's extension).
    Receipts {
        /// Print JSON.
        #[arg(long, conflicts_with = "output")]
        json: bool,
        /// Write the receipt sheet to this file.
        #[arg(short = 'o', long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Sub-district (街道) name for the sheet's header (default: $VOICE_LEDGER_SUB_DISTRICT).
        #[arg(long, env = "VOICE_LEDGER_SUB_DISTRICT", default_value = "")]
        sub_district: String,
        #[command(flatten)]
        font: crate::export::FontArgs,
    },
    /// Fetch the record types and ledgers the sub-district has published.
    Templates,
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    let store = app.store()?;
    let keyring = KeyringUse::from_env();
    match command {
        Command::Enroll {
            hub,
            code,
            name,
            ca_cert,
            force,
        } => {
            let options = EnrolOptions {
                hub_url: hub,
                code,
                device_name: name.unwrap_or_else(default_device_name),
                force,
                keyring,
                client: ClientOptions {
                    ca_cert,
                    ..ClientOptions::default()
                },
            };
            let enrolled = sync::enrol(&store, &app.data, &options).map_err(user_error)?;
            let committee = enrolled
                .committee
                .as_ref()
                .map_or("街道 / sub-district", |c| c.name.as_str());
            println!(
                "已加入 / enrolled: {} as device {} ({committee})",
                enrolled.hub_url, enrolled.device_id
            );
            if let Some(TokenLocation::File(path)) = &enrolled.token_location {
                println!(
                    "设备令牌保存在 / device token saved in {} (no OS keyring available)",
                    path.display()
                );
            }
            Ok(())
        }
        Command::Now { json } => {
            let enrolled = sync::enrolment(&store)?
                .ok_or(SyncError::NotEnrolled)
                .map_err(user_error)?;
            let client = enrolled
                .client(&app.data, &ClientOptions::default(), keyring)
                .map_err(user_error)?;
            let options = PassOptions {
                ignore_schedule: true,
                backoff: Backoff {
                    base: Duration::from_secs(1),
                    max: Duration::from_secs(4),
                },
                ..PassOptions::default()
            };
            let report = sync::sync_until_idle(&store, &app.data, &client, &options, NOW_RETRIES)
                .map_err(user_error)?;
            let status = sync::status(&store, false)?;
            if json {
                return print_json(&serde_json::json!({ "pass": report, "status": status }));
            }
            print_report(&report);
            print_problems(&status);
            Ok(())
        }
        Command::Status { json, all } => {
            let status = sync::status(&store, all)?;
            if json {
                return print_json(&status);
            }
            print_status(&status);
            Ok(())
        }
        Command::Receipts {
            json,
            output,
            sub_district,
            font,
        } => {
            let receipts = sync::receipts(&store)?;
            if let Some(path) = output {
                return write_receipt_sheet(app, &store, &receipts, &path, sub_district, &font);
            }
            if json {
                return print_json(&receipts);
            }
            println!(
                "回执号 Receipt\t记录 Record\t版本 Rev\t类型 Type\t日期 Date\t接收时间 Received"
            );
            for r in &receipts {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    r.number,
                    r.record_id,
                    r.revision,
                    r.record_type,
                    r.event_date.as_deref().unwrap_or("-"),
                    r.received_at
                );
            }
            println!("共 {} 张回执 / {} receipts", receipts.len(), receipts.len());
            Ok(())
        }
        Command::Templates => {
            let enrolled = sync::enrolment(&store)?
                .ok_or(SyncError::NotEnrolled)
                .map_err(user_error)?;
            let client = enrolled
                .client(&app.data, &ClientOptions::default(), keyring)
                .map_err(user_error)?;
            let changed = sync::pull_templates(&store, &app.data, &client).map_err(user_error)?;
            let catalog = app
                .catalog()
                .context("the installed templates do not load")?;
            println!(
                "{} ({} record types, {} ledgers)",
                if changed {
                    "模板已更新 / templates updated"
                } else {
                    "模板无变化 / templates unchanged"
                },
                catalog.record_type_ids().len(),
                catalog.ledgers().count()
            );
            Ok(())
        }
    }
}

/// Writes the receipts as a sheet through the ledger exporters.
fn write_receipt_sheet(
    app: &App,
    store: &voice_ledger::store::Store,
    receipts: &[sync::StoredReceipt],
    path: &std::path::Path,
    sub_district: String,
    font: &crate::export::FontArgs,
) -> anyhow::Result<()> {
    use voice_ledger::export::{Format, HeaderContext, LedgerExport};

    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let format = Format::parse(extension).ok_or_else(|| {
        bad_input(anyhow::anyhow!(
            "cannot tell the format of `{}`; end the file name in .pdf, .xlsx, .csv or .json",
            path.display()
        ))
    })?;
    let catalog = app.catalog()?;
    let now = chrono::Local::now().naive_local();
    let rows = sync::receipt_rows(&catalog, receipts, now.date());
    let ledger = sync::receipts_ledger();
    let committee = sync::enrolment(store)?
        .and_then(|e| e.committee)
        .map_or_else(|| "居委会".to_string(), |c| c.name);
    let header = HeaderContext {
        sub_district,
        committee,
        period_label: format!("{} 至 {}", rows.from, rows.to),
        printed_at: now,
    };
    let export = LedgerExport {
        ledger: &ledger,
        rows: &rows,
        header: &header,
    };
    let fonts = (format == Format::Pdf).then(|| font.load()).transpose()?;
    let written = crate::export::write_one(store, &export, format, fonts.as_ref(), path)?;
    println!(
        "回执单 / receipt sheet: {} ({} 张回执 / receipts{})",
        path.display(),
        written.rows,
        written
            .pages
            .map(|p| format!(", {p} 页 / pages"))
            .unwrap_or_default()
    );
    Ok(())
}

/// Enrolment problems and refusals are the user's to fix (exit code 2);
/// network trouble is not.
fn user_error(e: SyncError) -> anyhow::Error {
    if e.needs_enrolment()
        || matches!(
            e,
            SyncError::BadUrl { .. }
                | SyncError::AlreadyEnrolled { .. }
                | SyncError::Rejected { .. }
                | SyncError::CaCert { .. }
        )
    {
        bad_input(e)
    } else {
        e.into()
    }
}

fn default_device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "voice-ledger".to_string())
}

fn print_report(report: &PassReport) {
    println!(
        "已上传 / sent: {} (新 new {}, 已有 already there {})",
        report.sent(),
        report.created,
        report.replayed
    );
    if report.templates_updated {
        println!("模板已更新 / templates updated");
    }
    if let Some(error) = &report.templates_error {
        println!("警告 / warning: 模板未更新 / templates not installed: {error}");
    }
    for (label, n) in [
        ("冲突待处理 / conflicts", report.conflicts),
        ("被退回 / refused", report.quarantined),
        ("等待模板发布 / waiting for templates", report.held),
    ] {
        if n > 0 {
            println!("{label}: {n}");
        }
    }
}

fn print_status(status: &SyncStatus) {
    match (&status.hub, &status.device_id) {
        (Some(hub), Some(device)) => println!(
            "中心 / hub: {hub}\n设备 / device: {device}\n居委会 / committee: {}",
            status.committee.as_deref().unwrap_or("-")
        ),
        _ => {
            println!("未加入 / not enrolled: run `voice-ledger sync enroll --hub URL --code CODE`")
        }
    }
    if let Some(at) = &status.last_success_at {
        println!("上次成功同步 / last successful sync: {at}");
    }
    if let Some(error) = &status.last_error {
        println!("上次同步失败 / last sync failed: {error}");
    }
    for state in EntryState::ALL {
        println!(
            "  {:<14} {:<12} {}",
            state.label_zh(),
            state.as_str(),
            status.count(state)
        );
    }
    if !status.entries.is_empty() {
        println!();
    }
    for entry in &status.entries {
        let detail = match entry.state {
            EntryState::Sent => entry.receipt.clone().unwrap_or_default(),
            EntryState::Conflict => format!(
                "冲突 #{}: {}",
                entry.conflict.unwrap_or_default(),
                entry.error.as_deref().unwrap_or_default()
            ),
            _ => entry.error.clone().unwrap_or_default(),
        };
        println!(
            "{}\t{}\trev {}\t{}\t{}\t{}",
            entry.state.label_zh(),
            entry.record_id,
            entry.revision,
            entry.record_type,
            entry.event_date.as_deref().unwrap_or("-"),
            detail
        );
    }
}

fn print_problems(status: &SyncStatus) {
    for entry in status
        .entries
        .iter()
        .filter(|e| matches!(e.state, EntryState::Conflict | EntryState::Quarantined))
    {
        println!(
            "{}\t{}\trev {}\t{}",
            entry.state.label_zh(),
            entry.record_id,
            entry.revision,
            entry.error.as_deref().unwrap_or_default()
        );
    }
}

/// `voice-ledger bench sync`: records per second through a hub on loopback.
#[derive(Debug, clap::Args)]
pub struct SyncBench {
    /// How many home visits to send.
    #[arg(long, default_value_t = 10_000)]
    records: usize,
    /// Revisions per request.
    #[arg(long, default_value_t = voice_ledger::sync::wire::MAX_BATCH)]
    batch: usize,
    /// The hub program to start (default: `voice-ledger-hub` next to this program).
    #[arg(long, value_name = "FILE")]
    hub_bin: Option<PathBuf>,
    /// Use this running hub instead of starting one (needs --code).
    #[arg(long, requires = "code")]
    hub: Option<String>,
    /// Enrolment code for --hub.
    #[arg(long)]
    code: Option<String>,
}

/// A hub started for the benchmark; stopped when dropped.
struct BenchHub {
    child: std::process::Child,
    url: String,
}

impl Drop for BenchHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hub_command(
    bin: &std::path::Path,
    db: &std::path::Path,
    args: &[&str],
) -> anyhow::Result<String> {
    let out = std::process::Command::new(bin)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("VOICE_LEDGER_HUB_LOG", "warn")
        .output()
        .with_context(|| format!("cannot run `{}`", bin.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "`{} {}` failed: {}",
        bin.display(),
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Starts `voice-ledger-hub` on a fresh database in `dir` and returns it
/// with an enrolment code.
fn start_bench_hub(
    bin: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<(BenchHub, String)> {
    use std::io::BufRead as _;

    let db = dir.join("hub.sqlite3");
    hub_command(bin, &db, &["committee", "add", "基准测试居委会"])?;
    let code = hub_command(
        bin,
        &db,
        &["device", "enroll-code", "--committee", "基准测试居委会"],
    )?;
    let mut child = std::process::Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("VOICE_LEDGER_HUB_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{}`", bin.display()))?;
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| anyhow::anyhow!("the hub did not start: `{}`", line.trim()))?
        .to_string();
    Ok((BenchHub { child, url }, code))
}

pub fn run_bench(app: &App, args: SyncBench) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("voice-ledger-sync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = bench_in(app, &args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench_in(app: &App, args: &SyncBench, dir: &std::path::Path) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let home_visit = catalog
        .record_type("home-visit")
        .context("the home-visit record type is missing")?;

    let (_hub, url, code) = match (&args.hub, &args.code) {
        (Some(url), Some(code)) => (None, url.clone(), code.clone()),
        _ => {
            let bin = match &args.hub_bin {
                Some(bin) => bin.clone(),
                None => std::env::current_exe()?
                    .with_file_name(format!("voice-ledger-hub{}", std::env::consts::EXE_SUFFIX)),
            };
            anyhow::ensure!(
                bin.exists(),
                "cannot find the hub program `{}`; build it with `cargo build --release -p voice-ledger-hub` or pass --hub-bin",
                bin.display()
            );
            let (hub, code) = start_bench_hub(&bin, dir)?;
            let url = hub.url.clone();
            (Some(hub), url, code)
        }
    };

    let data = voice_ledger::paths::DataDir::at(dir.join("desk"));
    data.ensure()?;
    let mut store = voice_ledger::store::Store::open(&data.database())?;
    let enrolled = sync::enrol(
        &store,
        &data,
        &EnrolOptions {
            hub_url: url.clone(),
            code,
            device_name: "基准测试".into(),
            force: false,
            keyring: KeyringUse::FileOnly,
            client: ClientOptions::default(),
        },
    )?;

    let started = std::time::Instant::now();
    for n in 0..args.records {
        let fields = serde_json::json!({
            "visit_date": format!("2026-11-{:02}", 1 + n % 28),
            "visit_mode": "入户",
            "resident": format!("居民{n}"),
            "address": format!("鹤庆路{}弄{}号{}室", 1 + n % 50, 1 + n % 30, 101 + n % 6),
            "age": 60 + n % 40,
            "bp_systolic": 110 + n % 60,
            "bp_diastolic": 70 + n % 25,
            "concerns": "反映楼道灯不亮",
        });
        store.insert_record(
            home_visit,
            voice_ledger::store::NewRecord {
                fields: fields
                    .as_object()
                    .expect("an object")
                    .clone()
                    .into_iter()
                    .collect(),
                transcript: Some(format!("今天上午走访了居民{n}")),
                audio_ref: None,
                author: "李敏".into(),
                committee: "基准测试居委会".into(),
                resident_id: None,
                state: voice_ledger::ledger::RecordState::Final,
            },
            "李敏",
            "基准测试",
        )?;
    }
    let saving = started.elapsed();

    let client = enrolled.client(&data, &ClientOptions::default(), KeyringUse::FileOnly)?;
    let options = PassOptions {
        batch_size: args.batch,
        ignore_schedule: true,
        ..PassOptions::default()
    };
    let started = std::time::Instant::now();
    let report = sync::sync_once(&store, &data, &client, &options)?;
    let elapsed = started.elapsed();
    let started = std::time::Instant::now();
    let idle = sync::sync_once(&store, &data, &client, &options)?;
    let idle_time = started.elapsed();
    anyhow::ensure!(
        report.sent() == args.records && idle.sent() == 0,
        "the benchmark sent {} of {} records",
        report.sent(),
        args.records
    );

    let rate = report.sent() as f64 / elapsed.as_secs_f64();
    println!(
        "sync: {} records in {:.2} s through the hub at {url}: {rate:.0} records/s \
         ({} requests of up to {} revisions)",
        report.sent(),
        elapsed.as_secs_f64(),
        report.batches,
        args.batch
    );
    println!(
        "sync: a pass with nothing to send takes {:.1} ms; saving the {} records took {:.2} s",
        idle_time.as_secs_f64() * 1000.0,
        args.records,
        saving.as_secs_f64()
    );
    Ok(())
}
