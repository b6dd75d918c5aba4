//! `voice-ledger records add|list|show|edit|history|verify`.

use anyhow::anyhow;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use voice_ledger::encryption;
use voice_ledger::ledger::{
    Catalog, FieldValues, Record, RecordState, RecordType, display_value, ledgers_containing,
};
use voice_ledger::store::{NewRecord, RecordQuery, RecordUpdate, Store};

use crate::app::{App, bad_input, print_json};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a record from field values.
    Add {
        /// Record type id, e.g. home-visit.
        #[arg(long)]
        record_type: String,
        /// Field value as KEY=VALUE (repeatable), e.g. --field resident=王秀英.
        #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
        fields: Vec<String>,
        /// Save as final instead of draft.
        #[arg(long)]
        r#final: bool,
        #[command(flatten)]
        who: Who,
        /// Registry resident id to link.
        #[arg(long)]
        resident: Option<String>,
        /// Print the saved record as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List records.
    List {
        /// Only this record type.
        #[arg(long)]
        record_type: Option<String>,
        /// Dated on or after (YYYY-MM-DD).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Dated on or before (YYYY-MM-DD).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Only drafts or only final records.
        #[arg(long, value_parser = ["draft", "final"])]
        state: Option<String>,
        /// Text to look for in values and transcripts.
        #[arg(long)]
        search: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one record and the ledgers it feeds.
    Show {
        /// Record id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a record; the old values stay in its history.
    Edit {
        /// Record id.
        id: String,
        /// New value as KEY=VALUE (repeatable).
        #[arg(long = "field", short = 'f', value_name = "KEY=VALUE")]
        fields: Vec<String>,
        /// Clear a field (repeatable).
        #[arg(long, value_name = "KEY")]
        unset: Vec<String>,
        /// Mark the record final.
        #[arg(long)]
        r#final: bool,
        /// Why the change is made (kept in the history).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        who: Who,
        /// Print the new revision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show who changed a record, when, why, and what.
    History {
        /// Record id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the history hash chain and every record against its history.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a record's recording, decrypted, to a file that plays anywhere.
    Audio {
        /// Record id.
        id: String,
        /// The file to write, e.g. visit.wav.
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

/// Who is making the change.
#[derive(Debug, Args)]
pub struct Who {
    /// Staff member's name (default: $VOICE_LEDGER_STAFF).
    #[arg(long)]
    author: Option<String>,
    /// Neighbourhood committee (default: $VOICE_LEDGER_COMMITTEE).
    #[arg(long)]
    committee: Option<String>,
}

impl Who {
    pub fn author(&self) -> String {
        self.author
            .clone()
            .or_else(|| std::env::var("VOICE_LEDGER_STAFF").ok())
            .unwrap_or_else(|| "工作人员".to_string())
    }

    pub fn committee(&self) -> String {
        self.committee
            .clone()
            .or_else(|| std::env::var("VOICE_LEDGER_COMMITTEE").ok())
            .unwrap_or_else(|| "居委会".to_string())
    }
}

pub fn run(app: &App, command: Command) -> anyhow::Result<()> {
    let catalog = app.catalog()?;
    let mut store = app.store()?;
    match command {
        Command::Audio { id, out } => {
            let record = store
                .record(&id)?
                .ok_or_else(|| bad_input(anyhow!("no record with id `{id}`")))?;
            let audio_ref = record.audio_ref.ok_or_else(|| {
                bad_input(anyhow!(
                    "record `{id}` keeps no recording (never had one, or retention deleted it)"
                ))
            })?;
            let bytes = encryption::read_recording(&app.data, store.key(), &audio_ref)?;
            std::fs::write(&out, bytes)
                .map_err(|e| anyhow!("cannot write `{}`: {e}", out.display()))?;
            println!("已写出录音 / recording written to {}", out.display());
            Ok(())
        }
        Command::Add {
            record_type,
            fields,
            r#final,
            who,
            resident,
            json,
        } => {
            let rt = enterable_type(&catalog, &record_type)?;
            let new = NewRecord {
                fields: parse_fields(&fields)?,
                transcript: None,
                audio_ref: None,
                author: who.author(),
                committee: who.committee(),
                resident_id: resident,
                state: if r#final {
                    RecordState::Final
                } else {
                    RecordState::Draft
                },
            };
            let record = store
                .insert_record(rt, new, &who.author(), "手工录入")
                .map_err(store_input_error)?;
            if json {
                return print_json(&record);
            }
            println!("已保存 / saved: {}", record.id);
            print_feeds(&catalog, &store, &record)?;
            Ok(())
        }
        Command::List {
            record_type,
            from,
            to,
            state,
            search,
            json,
        } => {
            let query = RecordQuery {
                record_type,
                from,
                to,
                state: state.as_deref().and_then(RecordState::parse),
                text: search,
                ..RecordQuery::default()
            };
            let records = store.records(&query)?;
            if json {
                return print_json(&records);
            }
            for r in &records {
                println!("{}", summary_line(&catalog, r));
            }
            println!("共 {} 条 / {} records", records.len(), records.len());
            Ok(())
        }
        Command::Show { id, json } => {
            let record = find(&store, &id)?;
            if json {
                let feeds: Vec<_> = feeds(&catalog, &store, &record)?;
                return print_json(&json!({ "record": record, "ledgers": feeds }));
            }
            let rt = catalog.record_type_version(&record.record_type, record.type_version);
            println!(
                "{}  {}  第 {} 版 / revision {}",
                record.id,
                record.state.as_str(),
                record.revision,
                record.revision
            );
            for (key, value) in &record.fields {
                let title = rt
                    .and_then(|rt| rt.field(key))
                    .map(|f| f.title.as_str())
                    .unwrap_or(key);
                println!("  {title}: {}", display_value(value));
            }
            if let Some(t) = &record.transcript {
                println!("  口述原文 / transcript: {t}");
            }
            print_feeds(&catalog, &store, &record)?;
            Ok(())
        }
        Command::Edit {
            id,
            fields,
            unset,
            r#final,
            reason,
            who,
            json,
        } => {
            if reason.trim().is_empty() {
                return Err(bad_input(anyhow!(
                    "give a reason for the change with --reason"
                )));
            }
            let record = find(&store, &id)?;
            let rt = catalog.record_type(&record.record_type).ok_or_else(|| {
                anyhow!("record type `{}` is no longer defined", record.record_type)
            })?;
            let mut values = record.fields.clone();
            values.extend(parse_fields(&fields)?);
            for key in &unset {
                values.remove(key);
            }
            let update = RecordUpdate {
                fields: Some(values),
                state: r#final.then_some(RecordState::Final),
                ..RecordUpdate::default()
            };
            let record = store
                .update_record(rt, &id, update, &who.author(), &reason)
                .map_err(store_input_error)?;
            if json {
                return print_json(&record);
            }
            println!(
                "已修改 / changed: {} → 第 {} 版 / revision {}",
                record.id, record.revision, record.revision
            );
            Ok(())
        }
        Command::History { id, json } => {
            let history = store.history(&id).map_err(store_input_error)?;
            if json {
                return print_json(&history);
            }
            for rev in &history {
                println!(
                    "第 {} 版 / revision {}  {}  {}  {}",
                    rev.revision, rev.revision, rev.at, rev.who, rev.why
                );
                for change in &rev.changes {
                    let show = |v: &Option<Value>| {
                        v.as_ref()
                            .map(display_value)
                            .unwrap_or_else(|| "（空）".into())
                    };
                    println!(
                        "    {}: {} → {}",
                        change.key,
                        show(&change.old),
                        show(&change.new)
                    );
                }
            }
            Ok(())
        }
        Command::Verify { json } => {
            let report = store.verify()?;
            if json {
                print_json(&report)?;
            } else {
                for p in &report.problems {
                    println!("✗ {} revision {:?}: {}", p.record_id, p.revision, p.problem);
                }
                println!(
                    "{} 已检查 {} 条记录、{} 个版本 / checked {} records, {} revisions",
                    if report.is_intact() { "✓" } else { "✗" },
                    report.records,
                    report.revisions,
                    report.records,
                    report.revisions
                );
            }
            if report.is_intact() {
                Ok(())
            } else {
                Err(anyhow!(
                    "{} problems found: the database was changed outside the program; restore from a backup",
                    report.problems.len()
                ))
            }
        }
    }
}

/// Parses `KEY=VALUE` arguments into field values (checked later by the store).
pub fn parse_fields(args: &[String]) -> anyhow::Result<FieldValues> {
    args.iter()
        .map(|arg| {
            let (key, value) = arg.split_once('=').ok_or_else(|| {
                bad_input(anyhow!("`{arg}` is not KEY=VALUE, e.g. resident=王秀英"))
            })?;
            Ok((
                key.trim().to_string(),
                Value::String(value.trim().to_string()),
            ))
        })
        .collect()
}

/// A record type staff may enter now (it has an active ledger).
pub fn enterable_type<'a>(catalog: &'a Catalog, id: &str) -> anyhow::Result<&'a RecordType> {
    let rt = catalog.record_type(id).ok_or_else(|| {
        bad_input(anyhow!(
            "no record type `{id}`; choose one of: {}",
            catalog.record_type_ids().join(", ")
        ))
    })?;
    if catalog.ledgers_for(id).is_empty() {
        return Err(bad_input(anyhow!(
            "record type `{id}` feeds no active ledger (all retired); ask the sub-district office"
        )));
    }
    Ok(rt)
}

fn find(store: &Store, id: &str) -> anyhow::Result<Record> {
    store.record(id)?.ok_or_else(|| {
        bad_input(anyhow!(
            "no record with id `{id}`; list records with `voice-ledger records list`"
        ))
    })
}

/// Value and lookup errors are the user's input; database errors are not.
fn store_input_error(e: voice_ledger::store::StoreError) -> anyhow::Error {
    use voice_ledger::store::StoreError as E;
    match e {
        E::Value(_) | E::NotFound(_) | E::WrongType { .. } => bad_input(e),
        other => anyhow::Error::new(other).context("could not save"),
    }
}

fn summary_line(catalog: &Catalog, r: &Record) -> String {
    let rt = catalog.record_type(&r.record_type);
    let date = rt
        .and_then(|rt| r.fields.get(&rt.date_field))
        .map(display_value)
        .unwrap_or_default();
    let person = ["resident", "visitor", "parties", "place", "name"]
        .iter()
        .find_map(|k| r.fields.get(*k))
        .map(display_value)
        .unwrap_or_default();
    let state = if r.state == RecordState::Draft {
        "草稿"
    } else {
        "定稿"
    };
    format!(
        "{}  {:<10}  {:<10} {:<12} {}",
        r.id, date, r.record_type, person, state
    )
}

/// Titles of the active ledgers whose rows include this record.
fn feeds(catalog: &Catalog, store: &Store, record: &Record) -> anyhow::Result<Vec<String>> {
    let residents = store
        .residents()?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    Ok(ledgers_containing(catalog, record, &residents)
        .iter()
        .map(|l| format!("{}（{}）", l.title, l.department))
        .collect())
}

fn print_feeds(catalog: &Catalog, store: &Store, record: &Record) -> anyhow::Result<()> {
    let titles = feeds(catalog, store, record)?;
    if titles.is_empty() {
        println!("未进入任何台账 / appears in no ledger (check the date field)");
    } else {
        println!("进入台账 / appears in: {}", titles.join("、"));
    }
    Ok(())
}
