//! Measuring extraction against a corpus of dictations with the fields a
//! clerk would fill in: per-field precision and recall, and the share of
//! fields exactly right.
//!
//! A corpus is a folder with `registry.toml` (`[[resident]]` entries) and
//! any number of case files (`[[case]]` entries with `id`, `record_type`,
//! `date`, `text`, an optional `resident` id and an `[case.expect]` table
//! holding only the fields the dictation states).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Gazetteer, extract};
use crate::ledger::{Catalog, FieldType, Resident, check_value};

/// A corpus that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file or folder could not be read.
    #[error(
        "cannot read `{path}`: {source}; give the corpus folder (with registry.toml and case files)"
    )]
    Read {
        /// The path.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A file is not valid TOML of the expected shape.
    #[error("`{path}` is not a valid corpus file: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A case names a record type or field that does not exist.
    #[error("case `{case}` in `{path}`: {problem}")]
    Case {
        /// The file.
        path: PathBuf,
        /// The case id.
        case: String,
        /// What is wrong.
        problem: String,
    },
}

/// One dictation with the fields it states.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique id, e.g. `hv-012`.
    pub id: String,
    /// Record type id.
    pub record_type: String,
    /// Day of the recording.
    pub date: NaiveDate,
    /// The transcript as the recogniser wrote it.
    pub text: String,
    /// The registry resident the dictation is about, if any.
    #[serde(default)]
    pub resident: Option<String>,
    /// Expected values of the fields the dictation states.
    pub expect: BTreeMap<String, toml::Value>,
}

/// Cases and the registry they refer to.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The registry.
    pub residents: Vec<Resident>,
    /// All cases, in file then entry order.
    pub cases: Vec<(PathBuf, Case)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    resident: Vec<Resident>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    case: Vec<Case>,
}

/// Reads a corpus folder.
pub fn load_corpus(dir: &Path) -> Result<Corpus, EvalError> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| EvalError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let parse_error = |path: &Path, e: toml::de::Error| EvalError::Parse {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    };

    let mut corpus = Corpus::default();
    let registry = dir.join("registry.toml");
    if registry.exists() {
        let text = read(&registry)?;
        let file: RegistryFile = toml::from_str(&text).map_err(|e| parse_error(&registry, e))?;
        corpus.residents = file.resident;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| EvalError::Read {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml") && *p != registry)
        .collect();
    files.sort();
    for path in files {
        let text = read(&path)?;
        let file: CaseFile = toml::from_str(&text).map_err(|e| parse_error(&path, e))?;
        corpus
            .cases
            .extend(file.case.into_iter().map(|c| (path.clone(), c)));
    }
    Ok(corpus)
}

/// Counts for one field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FieldScore {
    /// Extracted and right.
    pub correct: usize,
    /// Extracted but different from what was expected.
    pub wrong: usize,
    /// Expected but not extracted.
    pub missed: usize,
    /// Extracted but not stated in the dictation.
    pub spurious: usize,
}

impl FieldScore {
    /// Share of extracted values that are right.
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.correct + self.wrong + self.spurious)
    }

    /// Share of expected values extracted right.
    pub fn recall(&self) -> f64 {
        ratio(self.correct, self.correct + self.wrong + self.missed)
    }

    fn add(&mut self, other: &FieldScore) {
        self.correct += other.correct;
        self.wrong += other.wrong;
        self.missed += other.missed;
        self.spurious += other.spurious;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// A field that came out wrong, for reading through failures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// Case id.
    pub case: String,
    /// Field key (`resident_id` for the registry link).
    pub key: String,
    /// Expected value, if stated.
    pub expected: Option<Value>,
    /// Extracted value, if any.
    pub got: Option<Value>,
}

/// The result of running a corpus.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Scores per `record_type/field`.
    pub fields: BTreeMap<String, FieldScore>,
    /// Every mismatch.
    pub mismatches: Vec<Mismatch>,
    /// Number of cases.
    pub cases: usize,
}

impl Report {
    /// All fields together.
    pub fn total(&self) -> FieldScore {
        let mut total = FieldScore::default();
        for score in self.fields.values() {
            total.add(score);
        }
        total
    }

    /// Share of fields exactly right, counting each expected or extracted
    /// field once: right / (right + wrong + missed + spurious).
    pub fn accuracy(&self) -> f64 {
        let t = self.total();
        ratio(t.correct, t.correct + t.wrong + t.missed + t.spurious)
    }
}

/// Runs every case and compares. Text is compared without punctuation and
/// spaces, since where the recogniser puts commas is not the extractor's
/// to decide; every other value must be identical in stored form.
pub fn evaluate(
    catalog: &Catalog,
    corpus: &Corpus,
    gazetteer: &Gazetteer,
) -> Result<Report, EvalError> {
    let mut report = Report::default();
    for (path, case) in &corpus.cases {
        let case_error = |problem: String| EvalError::Case {
            path: path.clone(),
            case: case.id.clone(),
            problem,
        };
        let record_type = catalog
            .record_type(&case.record_type)
            .ok_or_else(|| case_error(format!("unknown record type `{}`", case.record_type)))?;
        let extraction = extract(
            record_type,
            &case.text,
            &[],
            case.date,
            &corpus.residents,
            gazetteer,
        );
        let got = extraction.values();

        let mut expected = BTreeMap::new();
        for (key, value) in &case.expect {
            let spec = record_type
                .field(key)
                .ok_or_else(|| case_error(format!("`{}` has no field `{key}`", record_type.id)))?;
            let json = serde_json::to_value(value).map_err(|e| case_error(e.to_string()))?;
            let checked = check_value(spec, &json)
                .map_err(|e| case_error(format!("expected value does not fit: {e}")))?
                .ok_or_else(|| case_error(format!("expected `{key}` is empty")))?;
            expected.insert(key.clone(), checked);
        }

        let keys: std::collections::BTreeSet<&String> = expected.keys().chain(got.keys()).collect();
        for key in keys {
            let kind = record_type.field(key).map(|f| f.kind);
            let outcome = compare(kind, expected.get(key), got.get(key));
            record(
                &mut report,
                &case.record_type,
                key,
                &case.id,
                outcome,
                expected.get(key),
                got.get(key),
            );
        }
        let linked = extraction
            .resident
            .as_ref()
            .map(|r| Value::from(r.id.clone()));
        let wanted = case.resident.clone().map(Value::from);
        if linked.is_some() || wanted.is_some() {
            let outcome = compare(None, wanted.as_ref(), linked.as_ref());
            record(
                &mut report,
                &case.record_type,
                "resident_id",
                &case.id,
                outcome,
                wanted.as_ref(),
                linked.as_ref(),
            );
        }
        report.cases += 1;
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Correct,
    Wrong,
    Missed,
    Spurious,
}

fn compare(kind: Option<FieldType>, expected: Option<&Value>, got: Option<&Value>) -> Outcome {
    match (expected, got) {
        (Some(e), Some(g)) => {
            let same = match kind {
                Some(FieldType::Text) => squeeze(e) == squeeze(g),
                _ => e == g,
            };
            if same {
                Outcome::Correct
            } else {
                Outcome::Wrong
            }
        }
        (Some(_), None) => Outcome::Missed,
        (None, Some(_)) => Outcome::Spurious,
        (None, None) => Outcome::Correct,
    }
}

/// Text without punctuation and spaces.
fn squeeze(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn record(
    report: &mut Report,
    record_type: &str,
    key: &str,
    case: &str,
    outcome: Outcome,
    expected: Option<&Value>,
    got: Option<&Value>,
) {
    let score = report
        .fields
        .entry(format!("{record_type}/{key}"))
        .or_default();
    match outcome {
        Outcome::Correct => score.correct += 1,
        Outcome::Wrong => score.wrong += 1,
        Outcome::Missed => score.missed += 1,
        Outcome::Spurious => score.spurious += 1,
    }
    if outcome != Outcome::Correct {
        report.mismatches.push(Mismatch {
            case: case.to_string(),
            key: key.to_string(),
            expected: expected.cloned(),
            got: got.cloned(),
        });
    }
}
