//! `voice-ledger model list|install|import|verify|remove|default|path`.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use voice_ledger::model::{self, ModelError, Progress};

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List supported and installed speech models.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download (or fetch and convert) a model from the manifest.
    Install {
        /// Model name, e.g. `base`.
        name: String,
        /// Reinstall even if a good copy is installed.
        #[arg(long)]
        force: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a ggml `.bin` file or a faster-whisper model folder.
    Import {
        /// The file or folder.
        path: PathBuf,
        /// Name to install it as (default: from the file name).
        #[arg(long)]
        name: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check installed models: checksum and a real load.
    Verify {
        /// Only this model.
        name: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete an installed model.
    Remove {
        /// Model name.
        name: String,
    },
    /// Make an installed model the default.
    Default {
        /// Model name.
        name: String,
    },
    /// Print the file of a model (default: the default model).
    Path {
        /// Model name.
        name: Option<String>,
    },
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    match command {
        Command::List { json } => list(app, json),
        Command::Install { name, force, json } => {
            let installed = model::install_by_name(&app.data, &name, force, &mut show_progress())
                .map_err(classify)?;
            finish_line();
            report_installed(&installed, json)
        }
        Command::Import { path, name, json } => {
            let installed =
                model::install::import(&app.data, &path, name.as_deref(), &mut show_progress())
                    .map_err(classify)?;
            finish_line();
            report_installed(&installed, json)
        }
        Command::Verify { name, json } => verify(app, name.as_deref(), json),
        Command::Remove { name } => {
            let path = model::remove(&app.data, &name).map_err(classify)?;
            println!("已删除 / removed: {name} ({})", path.display());
            Ok(())
        }
        Command::Default { name } => {
            model::set_default(&app.data, &name).map_err(classify)?;
            println!("默认模型 / default model: {name}");
            Ok(())
        }
        Command::Path { name } => {
            let resolved = model::resolve(&app.data, name.as_deref()).map_err(classify)?;
            println!("{}", resolved.path.display());
            Ok(())
        }
    }
}

/// Errors about what the user typed or pointed at are bad input (exit 2).
fn classify(e: ModelError) -> anyhow::Error {
    match e {
        ModelError::Unknown { .. }
        | ModelError::NotInstalled { .. }
        | ModelError::NoneInstalled
        | ModelError::BadName { .. }
        | ModelError::NotFound { .. }
        | ModelError::NotAModel { .. } => bad_input(e),
        ModelError::Convert(model::convert::ConvertError::MissingFile { .. }) => bad_input(e),
        other => other.into(),
    }
}

fn list(app: &App, json: bool) -> anyhow::Result<()> {
    let rows = model::list(&app.data)?;
    if json {
        return print_json(&rows);
    }
    println!(
        "{:<22} {:>9}  {:<6} 状态 / status",
        "名称 / name", "大小/size", "语言"
    );
    for row in rows {
        let size = row.size.or(row.approx_size).map_or_else(String::new, mib);
        let language = match row.multilingual {
            Some(true) => "多语",
            Some(false) => "英语",
            None => "?",
        };
        let mut status = String::new();
        if row.installed {
            status.push_str("已安装 installed");
        }
        if row.default {
            status.push_str(" · 默认 default");
        }
        if !row.supported {
            status.push_str(" · 导入 imported");
        }
        println!(
            "{:<22} {:>9}  {:<6} {}",
            row.name,
            size,
            language,
            status.trim()
        );
    }
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", (bytes + (1 << 19)) >> 20)
}

fn report_installed(installed: &model::Installed, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(installed);
    }
    let verb = if installed.changed {
        "已安装 / installed"
    } else {
        "已是最新 / already installed"
    };
    println!("{verb}: {} → {}", installed.name, installed.path.display());
    println!("  SHA-256 {}  ({} bytes)", installed.sha256, installed.size);
    Ok(())
}

fn verify(app: &App, name: Option<&str>, json: bool) -> anyhow::Result<()> {
    let reports = model::verify(&app.data, name).map_err(classify)?;
    if json {
        print_json(&reports)?;
    } else {
        for report in &reports {
            match &report.problem {
                None => println!("✓ {} ({})", report.name, report.path.display()),
                Some(problem) => println!("✗ {}: {problem}", report.name),
            }
        }
    }
    let bad: Vec<&str> = reports
        .iter()
        .filter(|r| !r.ok())
        .map(|r| r.name.as_str())
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("model check failed for {}", bad.join(", "))
    }
}

/// A progress printer for stderr: one line per step, and a percentage that
/// rewrites itself in place while downloading.
fn show_progress() -> impl FnMut(Progress) {
    let mut last_percent = None;
    move |progress| {
        let mut err = std::io::stderr().lock();
        let _ = match progress {
            Progress::Trying {
                index,
                count,
                source,
            } => {
                last_percent = None;
                writeln!(err, "[{index}/{count}] {source}")
            }
            Progress::Downloaded { done, total } => {
                let percent = total.filter(|&t| t > 0).map(|t| done * 100 / t);
                if percent == last_percent && percent.is_some() {
                    return;
                }
                last_percent = percent;
                match percent {
                    Some(p) => write!(err, "\r  下载 / downloading {p:>3}% ({})", mib(done)),
                    None => write!(err, "\r  下载 / downloading {}", mib(done)),
                }
            }
            Progress::FetchingPackages => {
                writeln!(err, "  获取 Python 包 / fetching packages (pip)")
            }
            Progress::Converting => writeln!(err, "  转换 / converting to ggml"),
            Progress::Checking => {
                if last_percent.take().is_some() {
                    let _ = writeln!(err);
                }
                writeln!(err, "  校验 / checking")
            }
            Progress::SourceFailed { error, .. } => {
                if last_percent.take().is_some() {
                    let _ = writeln!(err);
                }
                writeln!(
                    err,
                    "  失败，改用下一个来源 / failed, trying the next source: {error}"
                )
            }
        };
    }
}

fn finish_line() {
    let _ = std::io::stderr().flush();
}
