//! `voice-ledger-hub`: run the sub-district hub and administer it —
//! committees, device enrolment codes, template approval, conflicts and
//! exports. The only place in the hub that knows about argv, exit codes and
//! printing.
//!
//! Exit codes: 0 ok, 1 failure, 2 bad usage or bad input.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the command line is the one place that prints"
)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow};
use clap::{Parser, Subcommand};
use voice_ledger::sync::wire::Role;
use voice_ledger_hub::templates::{Approval, approve, retire};
use voice_ledger_hub::{Hub, HubError, admin, records};

/// The sub-district hub that Voice Ledger desktops sync their ledger records to.
#[derive(Debug, Parser)]
#[command(name = "voice-ledger-hub", version, about)]
struct Cli {
    /// The hub's database: a SQLite file, or postgres://user:password@host/db.
    #[arg(
        long = "database",
        visible_alias = "db",
        global = true,
        env = "VOICE_LEDGER_HUB_DATABASE",
        default_value = "hub.sqlite3",
        value_name = "PATH|URL"
    )]
    database: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the sync protocol.
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: SocketAddr,
        /// PEM certificate chain, to serve HTTPS directly.
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of the certificate.
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
    },
    /// Neighbourhood committees: add, list.
    #[command(subcommand)]
    Committee(CommitteeCommand),
    /// Devices: enrolment codes, list, revoke.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Templates: approve (准入), retire, list.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Conflicts held for a person to resolve: list, resolve.
    #[command(subcommand)]
    Conflict(ConflictCommand),
    /// Export one ledger for a period across every committee.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// Ledger id (see `template list`).
    #[arg(long)]
    ledger: String,
    /// Month (2026-11), quarter (2026-Q4) or year (2026).
    #[arg(long)]
    period: String,
    /// xlsx, pdf, csv or json (default: from the output file name).
    #[arg(long, value_parser = ["xlsx", "pdf", "csv", "json"])]
    format: Option<String>,
    /// The file to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Sub-district name printed in the header.
    #[arg(long, env = "VOICE_LEDGER_SUB_DISTRICT", default_value = "")]
    sub_district: String,
    /// Chinese font for PDF (default: $VOICE_LEDGER_PDF_FONT or a system font).
    #[arg(long, value_name = "FILE")]
    font: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum CommitteeCommand {
    /// Add a committee.
    Add {
        /// Its name, e.g. 彭浦新村第一居委会.
        name: String,
    },
    /// List committees.
    List,
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Print a one-time enrolment code for a new device.
    EnrollCode {
        /// The committee (id or name) the device will write for.
        #[arg(long, required_unless_present = "admin", conflicts_with = "admin")]
        committee: Option<String>,
        /// A sub-district device that reads every committee's records.
        #[arg(long)]
        admin: bool,
        /// Days until the code expires.
        #[arg(long, default_value_t = 7)]
        valid_days: i64,
    },
    /// List devices.
    List,
    /// Revoke a device: its token is refused from now on.
    Revoke {
        /// Device id (see `device list`).
        device_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum TemplateCommand {
    /// Approve a template file: publish its record type, activate its ledgers.
    Approve {
        /// The .toml template file.
        file: PathBuf,
        /// Who approved it (kept in each ledger's governance).
        #[arg(long)]
        approved_by: Option<String>,
        /// The approval document number.
        #[arg(long)]
        document: Option<String>,
    },
    /// Retire a ledger on every device.
    Retire {
        /// Ledger id.
        id: String,
    },
    /// List published record types and ledgers.
    List,
}

#[derive(Debug, Subcommand)]
enum ConflictCommand {
    /// List conflicts, newest first.
    List,
    /// Mark a conflict resolved, saying how.
    Resolve {
        /// Conflict number.
        id: i64,
        /// How it was resolved.
        #[arg(long)]
        note: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            let bad_input = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<HubError>(),
                    Some(
                        HubError::Invalid(_)
                            | HubError::NotFound(_)
                            | HubError::Template(_)
                            | HubError::Tls { .. }
                    )
                )
            });
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// Logs go to stderr; `VOICE_LEDGER_HUB_LOG` sets the filter (default info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VOICE_LEDGER_HUB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let hub = Hub::open(&cli.database)?;
    match cli.command {
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
        } => serve(hub, listen, tls_cert.zip(tls_key)),
        Command::Committee(CommitteeCommand::Add { name }) => {
            let committee = hub.admin(|conn| admin::add_committee(conn, &name))?;
            println!("{}\t{}", committee.id, committee.name);
            Ok(())
        }
        Command::Committee(CommitteeCommand::List) => {
            for committee in hub.admin(admin::committees)? {
                println!("{}\t{}", committee.id, committee.name);
            }
            Ok(())
        }
        Command::Device(DeviceCommand::EnrollCode {
            committee,
            admin: is_admin,
            valid_days,
        }) => {
            let code = hub.admin(|conn| {
                let committee = committee
                    .as_deref()
                    .map(|c| admin::find_committee(conn, c))
                    .transpose()?;
                let role = if is_admin {
                    Role::Admin
                } else {
                    Role::Committee
                };
                admin::issue_code(conn, role, committee.as_ref(), valid_days)
            })?;
            println!("{code}");
            Ok(())
        }
        Command::Device(DeviceCommand::List) => {
            for device in hub.admin(admin::devices)? {
                let committee = device
                    .committee
                    .as_ref()
                    .map_or("街道 (admin)", |c| &c.name);
                let state = if device.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    device.id, device.name, committee, state, device.enrolled_at
                );
            }
            Ok(())
        }
        Command::Device(DeviceCommand::Revoke { device_id }) => {
            hub.admin(|conn| admin::revoke_device(conn, &device_id))?;
            println!("已停用 / revoked: {device_id}");
            Ok(())
        }
        Command::Template(command) => template(&hub, command),
        Command::Export(args) => export(&hub, args),
        Command::Conflict(ConflictCommand::List) => {
            for c in hub.admin(records::all_conflicts)? {
                println!(
                    "{}\t{}\t{}\trev {}\t{}\t{}",
                    c.id, c.status, c.record_id, c.revision, c.received_at, c.reason
                );
            }
            Ok(())
        }
        Command::Conflict(ConflictCommand::Resolve { id, note }) => {
            hub.admin(|conn| records::resolve_conflict(conn, id, &note))?;
            println!("已处理 / resolved: {id}");
            Ok(())
        }
    }
}

fn template(hub: &Hub, command: TemplateCommand) -> anyhow::Result<()> {
    let today = chrono::Local::now().date_naive();
    match command {
        TemplateCommand::Approve {
            file,
            approved_by,
            document,
        } => {
            let approval = Approval {
                approved_by,
                document,
                on: today,
            };
            let approved = hub.admin(|conn| approve(conn, &file, &approval))?;
            if let Some(rt) = &approved.record_type {
                println!(
                    "已发布记录类型 / published record type: {} v{}",
                    rt.id, rt.version
                );
            }
            for ledger in &approved.ledgers {
                println!("已准入台账 / approved ledger: {ledger}");
            }
            Ok(())
        }
        TemplateCommand::Retire { id } => {
            hub.admin(|conn| retire(conn, hub.catalog(), &id, today))?;
            println!("已停用 / retired: {id}");
            Ok(())
        }
        TemplateCommand::List => {
            let state = hub.admin(|conn| hub.catalog().get(conn))?;
            println!("记录类型 / Record types");
            for published in &state.published {
                println!("  {:<16} v{}", published.id, published.version);
            }
            println!("\n台账 / Ledgers");
            for ledger in state.catalog.ledgers() {
                println!(
                    "  {:<20} {:<8} {:<16} {:?}",
                    ledger.id, ledger.code, ledger.title, ledger.governance.status
                );
            }
            Ok(())
        }
    }
}

fn export(hub: &Hub, args: ExportArgs) -> anyhow::Result<()> {
    use voice_ledger::export::{FontChoice, Format, PdfFonts, ReportPeriod};

    let period = ReportPeriod::parse(&args.period).map_err(|e| HubError::Invalid(e.to_string()))?;
    let extension = args.output.extension().and_then(|e| e.to_str());
    let format = args
        .format
        .as_deref()
        .or(extension)
        .and_then(Format::parse)
        .ok_or_else(|| {
            HubError::Invalid(format!(
                "cannot tell the format of `{}`; add --format xlsx|pdf|csv|json",
                args.output.display()
            ))
        })?;
    let fonts = if format == Format::Pdf {
        let choice = match args.font {
            Some(path) => FontChoice::File { path, index: None },
            None => FontChoice::from_env(),
        };
        Some(PdfFonts::load(&choice)?)
    } else {
        None
    };
    let summary = voice_ledger_hub::export::export_ledger(
        hub,
        &args.ledger,
        &period,
        format,
        &args.output,
        &args.sub_district,
        fonts.as_ref(),
    )?;
    let pages = summary
        .pages
        .map(|p| format!("，{p} 页 / pages"))
        .unwrap_or_default();
    println!(
        "已导出 / exported {}：{} 行 / rows，{} 个居委会 / committees{pages} → {}",
        args.ledger,
        summary.rows,
        summary.committees,
        args.output.display()
    );
    Ok(())
}

fn serve(hub: Hub, listen: SocketAddr, tls: Option<(PathBuf, PathBuf)>) -> anyhow::Result<()> {
    let tls = tls
        .map(|(cert, key)| voice_ledger_hub::tls::load_tls(&cert, &key))
        .transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}; is another hub running there?"))?;
        let address = voice_ledger_hub::bound_address(&listener)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Scripts and tests read this line to learn the port.
        println!("listening on {scheme}://{address}");
        std::io::stdout().flush()?;
        voice_ledger_hub::serve(hub, listener, tls, shutdown_signal())
            .await
            .map_err(|e| anyhow!("the hub stopped: {e}"))
    })
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or(()),
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutting down");
}
