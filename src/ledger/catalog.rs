//! Loading and checking templates: the built-in ones compiled into the
//! program, plus `*.toml` files from the user's templates folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::filter::Filter;
use super::template::{FieldType, Ledger, RecordType};

/// Templates shipped with the program, as (file name, text).
const BUILTIN: &[(&str, &str)] = &[
    ("home-visit.toml", include_str!("builtin/home-visit.toml")),
    ("meeting.toml", include_str!("builtin/meeting.toml")),
    ("activity.toml", include_str!("builtin/activity.toml")),
    ("mediation.toml", include_str!("builtin/mediation.toml")),
    ("enquiry.toml", include_str!("builtin/enquiry.toml")),
];

/// Names a column template or filter may use besides the record's fields.
const RESIDENT_NAMES: &[&str] = &[
    "resident.name",
    "resident.address",
    "resident.phone",
    "resident.birth_year",
    "resident.age",
    "resident.tags",
];
const RECORD_NAMES: &[&str] = &[
    "record.author",
    "record.state",
    "record.committee",
    "record.id",
];

/// A template that cannot be used, with where and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {item}: {problem}; {fix}")]
pub struct TemplateError {
    /// The template file (`builtin:home-visit.toml` for shipped ones).
    pub file: String,
    /// The record type, ledger or field concerned.
    pub item: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

/// One template file: a record type and/or ledgers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    record_type: Option<RecordType>,
    #[serde(default)]
    ledgers: Vec<Ledger>,
}

/// All known record types (every version) and ledgers.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    record_types: BTreeMap<(String, u32), RecordType>,
    ledgers: BTreeMap<String, Ledger>,
    origins: BTreeMap<String, String>,
}

impl Catalog {
    /// The built-in templates only.
    pub fn builtin() -> Catalog {
        let mut catalog = Catalog::default();
        for (name, text) in BUILTIN {
            let file = format!("builtin:{name}");
            catalog
                .add_text(&file, text)
                .unwrap_or_else(|e| panic!("built-in template is broken: {e}"));
        }
        catalog
            .check_links()
            .unwrap_or_else(|e| panic!("built-in template is broken: {e}"));
        catalog
    }

    /// Built-in templates plus every `*.toml` in `dir` (which may not exist).
    /// A user ledger with a built-in ledger's id replaces it, which is how a
    /// committee retires or re-approves a ledger.
    pub fn load(dir: &Path) -> Result<Catalog, TemplateError> {
        let mut catalog = Catalog::builtin();
        let mut files: Vec<_> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(TemplateError {
                    file: dir.display().to_string(),
                    item: "templates folder".to_string(),
                    problem: e.to_string(),
                    fix: "check that the folder exists and can be read".to_string(),
                });
            }
        };
        files.sort();
        for path in files {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path).map_err(|e| TemplateError {
                file: file.clone(),
                item: "file".to_string(),
                problem: e.to_string(),
                fix: "save the template as UTF-8 text".to_string(),
            })?;
            catalog.add_text(&file, &text)?;
        }
        catalog.check_links()?;
        Ok(catalog)
    }

    /// Checks one template file on its own against the built-in catalog,
    /// without installing it.
    pub fn check_file(path: &Path) -> Result<Catalog, TemplateError> {
        let mut catalog = Catalog::builtin();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TemplateError {
            file: file.clone(),
            item: "file".to_string(),
            problem: e.to_string(),
            fix: "give the path of a readable UTF-8 .toml file".to_string(),
        })?;
        catalog.add_text(&file, &text)?;
        catalog.check_links()?;
        Ok(catalog)
    }

    /// Parses one template text and adds what it defines.
    pub fn add_text(&mut self, file: &str, text: &str) -> Result<(), TemplateError> {
        let parsed: TemplateFile = toml::from_str(text).map_err(|e| TemplateError {
            file: file.to_string(),
            item: describe_toml_location(text, e.span()),
            problem: e.message().to_string(),
            fix: "correct the TOML as described; see ARCHITECTURE.md, section Templates, for the format"
                .to_string(),
        })?;
        if parsed.record_type.is_none() && parsed.ledgers.is_empty() {
            return Err(TemplateError {
                file: file.to_string(),
                item: "file".to_string(),
                problem: "defines neither a [record_type] nor any [[ledgers]]".to_string(),
                fix: "add a [record_type] table or [[ledgers]] entries".to_string(),
            });
        }
        if let Some(record_type) = parsed.record_type {
            check_record_type(file, &record_type)?;
            let key = (record_type.id.clone(), record_type.version);
            if let Some(existing) = self.record_types.get(&key)
                && *existing != record_type
            {
                {
                    return Err(TemplateError {
                        file: file.to_string(),
                        item: format!("record type `{}` version {}", key.0, key.1),
                        problem: format!(
                            "differs from the one already defined in {}, and a published version never changes",
                            self.origins[&format!("rt:{}", key.0)]
                        ),
                        fix: format!("give the changed record type `version = {}`", key.1 + 1),
                    });
                }
            }
            self.origins
                .insert(format!("rt:{}", key.0), file.to_string());
            self.record_types.insert(key, record_type);
        }
        for ledger in parsed.ledgers {
            check_ledger_shape(file, &ledger)?;
            self.origins
                .insert(format!("ledger:{}", ledger.id), file.to_string());
            self.ledgers.insert(ledger.id.clone(), ledger);
        }
        Ok(())
    }

    /// Checks what ledgers refer to: record types, filter names, column names.
    fn check_links(&self) -> Result<(), TemplateError> {
        for ledger in self.ledgers.values() {
            let file = self.origins[&format!("ledger:{}", ledger.id)].clone();
            let item = format!("ledger `{}`", ledger.id);
            let mut known: BTreeSet<&str> =
                RESIDENT_NAMES.iter().chain(RECORD_NAMES).copied().collect();
            for source in &ledger.sources {
                let Some(record_type) = self.record_type(&source.record_type) else {
                    return Err(TemplateError {
                        file,
                        item,
                        problem: format!(
                            "source record type `{}` is not defined",
                            source.record_type
                        ),
                        fix: format!("use one of: {}", self.record_type_ids().join(", ")),
                    });
                };
                let fields: BTreeSet<&str> =
                    record_type.fields.iter().map(|f| f.key.as_str()).collect();
                let filter = Filter::parse(&source.filter).map_err(|e| TemplateError {
                    file: file.clone(),
                    item: item.clone(),
                    problem: e.to_string(),
                    fix: "correct the filter".to_string(),
                })?;
                for name in filter.names() {
                    if !fields.contains(name)
                        && !RESIDENT_NAMES.contains(&name)
                        && !RECORD_NAMES.contains(&name)
                    {
                        return Err(TemplateError {
                            file,
                            item,
                            problem: format!(
                                "filter names `{name}`, which `{}` does not have",
                                record_type.id
                            ),
                            fix: format!(
                                "use a field of `{}` or resident.age / resident.tags",
                                record_type.id
                            ),
                        });
                    }
                }
                known.extend(fields);
            }
            for column in &ledger.columns {
                for name in placeholders(&column.value) {
                    if !known.contains(name) {
                        return Err(TemplateError {
                            file,
                            item: format!("{item} column `{}`", column.title),
                            problem: format!("`{{{name}}}` is not a field of the source record types"),
                            fix: "use a field key, resident.name|address|phone|birth_year|age|tags or record.author|state|committee".to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The newest version of a record type.
    pub fn record_type(&self, id: &str) -> Option<&RecordType> {
        self.record_types
            .range((id.to_string(), 0)..=(id.to_string(), u32::MAX))
            .next_back()
            .map(|(_, rt)| rt)
    }

    /// A specific version of a record type.
    pub fn record_type_version(&self, id: &str, version: u32) -> Option<&RecordType> {
        self.record_types.get(&(id.to_string(), version))
    }

    /// Ids of all record types.
    pub fn record_type_ids(&self) -> Vec<&str> {
        let ids: BTreeSet<&str> = self
            .record_types
            .keys()
            .map(|(id, _)| id.as_str())
            .collect();
        ids.into_iter().collect()
    }

    /// The newest version of every record type.
    pub fn record_types(&self) -> Vec<&RecordType> {
        self.record_type_ids()
            .into_iter()
            .filter_map(|id| self.record_type(id))
            .collect()
    }

    /// Every ledger, including drafts and retired ones.
    pub fn ledgers(&self) -> impl Iterator<Item = &Ledger> {
        self.ledgers.values()
    }

    /// A ledger by id.
    pub fn ledger(&self, id: &str) -> Option<&Ledger> {
        self.ledgers.get(id)
    }

    /// Active ledgers that records of `record_type` feed.
    pub fn ledgers_for(&self, record_type: &str) -> Vec<&Ledger> {
        self.ledgers
            .values()
            .filter(|l| l.accepts_entries() && l.source_for(record_type).is_some())
            .collect()
    }

    /// Record types that have at least one active ledger: what staff may enter.
    pub fn enterable_record_types(&self) -> Vec<&RecordType> {
        self.record_types()
            .into_iter()
            .filter(|rt| !self.ledgers_for(&rt.id).is_empty())
            .collect()
    }

    /// Retires a ledger: writes a user template that replaces the built-in
    /// one with status `retired`. Its records and history stay exportable;
    /// it is no longer offered for new entries.
    pub fn retire_ledger(
        &mut self,
        id: &str,
        dir: &Path,
        on: chrono::NaiveDate,
    ) -> Result<std::path::PathBuf, TemplateError> {
        let fail = |problem: String, fix: &str| TemplateError {
            file: dir.display().to_string(),
            item: format!("ledger `{id}`"),
            problem,
            fix: fix.to_string(),
        };
        let mut ledger = self
            .ledger(id)
            .cloned()
            .ok_or_else(|| fail("is not defined".into(), "see `voice-ledger templates list`"))?;
        ledger.governance.status = super::GovernanceStatus::Retired;
        ledger.governance.review_on = Some(on);

        #[derive(serde::Serialize)]
        struct Override<'a> {
            ledgers: [&'a Ledger; 1],
        }
        let text = toml::to_string(&Override { ledgers: [&ledger] })
            .map_err(|e| fail(e.to_string(), "report this as a bug"))?;
        let path = dir.join(format!("ledger-{id}.toml"));
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, format!("# Retired on {on}.\n{text}")))
            .map_err(|e| {
                fail(
                    format!("cannot write `{}`: {e}", path.display()),
                    "check the data folder is writable",
                )
            })?;
        self.origins
            .insert(format!("ledger:{id}"), path.display().to_string());
        self.ledgers.insert(id.to_string(), ledger);
        Ok(path)
    }

    /// The file a template item came from.
    pub fn origin_of_ledger(&self, id: &str) -> Option<&str> {
        self.origins
            .get(&format!("ledger:{id}"))
            .map(String::as_str)
    }
}

/// The `{name}` placeholders of a column value template.
pub(crate) fn placeholders(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name.trim()))
}

fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_record_type(file: &str, rt: &RecordType) -> Result<(), TemplateError> {
    let fail = |item: String, problem: String, fix: &str| TemplateError {
        file: file.to_string(),
        item,
        problem,
        fix: fix.to_string(),
    };
    let item = format!("record type `{}`", rt.id);
    if !is_slug(&rt.id) {
        return Err(fail(
            item,
            "id must be lower-case letters, digits and `-`".into(),
            "rename it, e.g. `home-visit`",
        ));
    }
    if rt.version == 0 {
        return Err(fail(
            item,
            "version must be 1 or more".into(),
            "set `version = 1`",
        ));
    }
    if rt.title.trim().is_empty() {
        return Err(fail(
            item,
            "title is empty".into(),
            "give it a Chinese title such as 入户走访记录",
        ));
    }
    if rt.fields.is_empty() {
        return Err(fail(
            item,
            "has no fields".into(),
            "add [[record_type.fields]] entries",
        ));
    }
    let mut seen = BTreeSet::new();
    for field in &rt.fields {
        let item = format!("record type `{}` field `{}`", rt.id, field.key);
        if !is_slug(&field.key) {
            return Err(fail(
                item,
                "key must be lower-case letters, digits and `_`".into(),
                "rename the key, e.g. `visit_date`",
            ));
        }
        if !seen.insert(field.key.as_str()) {
            return Err(fail(
                item,
                "is defined twice".into(),
                "remove or rename one of them",
            ));
        }
        let numeric = matches!(field.kind, FieldType::Integer | FieldType::Decimal);
        let choice = matches!(field.kind, FieldType::Choice | FieldType::MultiChoice);
        if let Some([min, max]) = field.range {
            if !numeric {
                return Err(fail(
                    item,
                    format!("has a range but is of type `{}`", field.kind.name()),
                    "remove `range` or make the field integer or decimal",
                ));
            }
            if min > max {
                return Err(fail(
                    item,
                    format!("range [{min}, {max}] is empty"),
                    "write the smaller bound first",
                ));
            }
        }
        if choice && field.choices.is_empty() {
            return Err(fail(
                item,
                "is a choice field without choices".into(),
                "add `choices = [\"…\", \"…\"]`",
            ));
        }
        if !choice && !field.choices.is_empty() {
            return Err(fail(
                item,
                format!("lists choices but is of type `{}`", field.kind.name()),
                "use `type = \"choice\"` or remove `choices`",
            ));
        }
        if let Some(unknown) = field
            .choice_cues
            .keys()
            .find(|k| !field.choices.contains(k))
        {
            return Err(fail(
                item,
                format!("has choice_cues for `{unknown}`, which is not one of its choices"),
                "use a key from `choices`",
            ));
        }
    }
    match rt.field(&rt.date_field) {
        Some(f) if f.kind == FieldType::Date => Ok(()),
        Some(_) => Err(fail(
            item,
            format!("date_field `{}` is not of type `date`", rt.date_field),
            "point date_field at a date field",
        )),
        None => Err(fail(
            item,
            format!("date_field `{}` is not one of its fields", rt.date_field),
            "point date_field at a date field",
        )),
    }
}

fn check_ledger_shape(file: &str, ledger: &Ledger) -> Result<(), TemplateError> {
    let fail = |problem: String, fix: &str| TemplateError {
        file: file.to_string(),
        item: format!("ledger `{}`", ledger.id),
        problem,
        fix: fix.to_string(),
    };
    if !is_slug(&ledger.id) {
        return Err(fail(
            "id must be lower-case letters, digits and `-`".into(),
            "rename it, e.g. `bp-register`",
        ));
    }
    if ledger.sources.is_empty() {
        return Err(fail(
            "has no sources".into(),
            "add `sources = [{ record_type = \"home-visit\" }]`",
        ));
    }
    if ledger.columns.is_empty() {
        return Err(fail(
            "has no columns".into(),
            "add [[ledgers.columns]] entries",
        ));
    }
    if ledger.title.trim().is_empty() || ledger.department.trim().is_empty() {
        return Err(fail(
            "title or department is empty".into(),
            "fill in `title` and `department`",
        ));
    }
    if ledger.governance.status != super::GovernanceStatus::Draft
        && ledger.governance.approved_by.is_none()
    {
        return Err(fail(
            "is active or retired but has no `approved_by`".into(),
            "record who approved it under [ledgers.governance], or set `status = \"draft\"`",
        ));
    }
    Ok(())
}

/// "line N" for a TOML error span, so users can find the problem.
fn describe_toml_location(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}")
        }
        None => "file".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads() {
        let catalog = Catalog::builtin();
        for id in ["home-visit", "meeting", "activity", "mediation", "enquiry"] {
            assert!(catalog.record_type(id).is_some(), "{id}");
        }
        let ids: Vec<_> = catalog
            .ledgers_for("home-visit")
            .iter()
            .map(|l| l.id.as_str())
            .collect();
        assert_eq!(ids.len(), 4, "{ids:?}");
    }

    fn check_error(text: &str, expected: &[&str]) {
        let mut catalog = Catalog::builtin();
        let err = catalog
            .add_text("user.toml", text)
            .and_then(|()| catalog.check_links())
            .unwrap_err()
            .to_string();
        for part in expected {
            assert!(err.contains(part), "`{err}` lacks `{part}`");
        }
    }

    #[test]
    fn template_errors_name_file_item_and_fix() {
        check_error(
            "[record_type]\nid = \"x\"\n",
            &["user.toml", "line", "missing field"],
        );
        check_error(
            r#"[record_type]
id = "note"
version = 1
title = "笔记"
date_field = "day"
fields = [{ key = "day", title = "日期", type = "date" },
          { key = "mood", title = "心情", type = "choice" }]"#,
            &["user.toml", "field `mood`", "without choices", "choices ="],
        );
        check_error(
            r#"[record_type]
id = "home-visit"
version = 1
title = "改过的"
date_field = "d"
fields = [{ key = "d", title = "日期", type = "date" }]"#,
            &["never changes", "version = 2"],
        );
        check_error(
            r#"[[ledgers]]
id = "x-ledger"
code = "X-1"
title = "测试"
department = "民政"
governance = { status = "draft" }
sources = [{ record_type = "home-visit", filter = "weight > 3" }]
columns = [{ title = "姓名", value = "{resident}" }]"#,
            &["ledger `x-ledger`", "`weight`"],
        );
        check_error(
            r#"[[ledgers]]
id = "x-ledger"
code = "X-1"
title = "测试"
department = "民政"
governance = { status = "draft" }
sources = [{ record_type = "home-visit" }]
columns = [{ title = "体重", value = "{weight}" }]"#,
            &["column `体重`", "`{weight}`"],
        );
    }
}
