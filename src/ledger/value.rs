//! Field values: checking them against a record type and showing them.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use serde_json::Value;

use super::template::{FieldSpec, FieldType, RecordType};

/// Field values of a record by field key. Dates are `YYYY-MM-DD` strings,
/// times `HH:MM`, yes/no booleans, multiple choices arrays of strings.
pub type FieldValues = BTreeMap<String, Value>;

/// A value that does not fit its field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// The record type has no such field.
    #[error("record type `{record_type}` has no field `{key}`; known fields: {known}")]
    UnknownField {
        /// Record type id.
        record_type: String,
        /// The unknown key.
        key: String,
        /// Comma-separated list of valid keys.
        known: String,
    },
    /// The value has the wrong form for the field type.
    #[error("field `{key}` ({title}) expects {expected}, got `{got}`")]
    Type {
        /// Field key.
        key: String,
        /// Field title.
        title: String,
        /// What the field accepts.
        expected: String,
        /// The rejected value.
        got: String,
    },
    /// The value is outside the template's constraints.
    #[error("field `{key}` ({title}): {problem}")]
    Constraint {
        /// Field key.
        key: String,
        /// Field title.
        title: String,
        /// What is wrong, in words a user can act on.
        problem: String,
    },
}

/// Checks and normalises every value against `record_type`.
///
/// Numbers given as text are turned into numbers, dates and times into their
/// canonical form, and empty text is dropped. Unknown keys are an error so
/// that a typo never silently loses a value.
pub fn check_values(
    record_type: &RecordType,
    values: &FieldValues,
) -> Result<FieldValues, ValueError> {
    let mut checked = FieldValues::new();
    for (key, value) in values {
        let Some(spec) = record_type.field(key) else {
            return Err(ValueError::UnknownField {
                record_type: record_type.id.clone(),
                key: key.clone(),
                known: record_type
                    .fields
                    .iter()
                    .map(|f| f.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        if let Some(value) = check_value(spec, value)? {
            checked.insert(key.clone(), value);
        }
    }
    Ok(checked)
}

/// Required fields of `record_type` that `values` leaves empty.
pub fn missing_required<'a>(
    record_type: &'a RecordType,
    values: &FieldValues,
) -> Vec<&'a FieldSpec> {
    record_type
        .fields
        .iter()
        .filter(|f| f.required && !values.contains_key(&f.key))
        .collect()
}

/// Checks one value; `Ok(None)` means the value is empty and should be dropped.
pub fn check_value(spec: &FieldSpec, value: &Value) -> Result<Option<Value>, ValueError> {
    let type_error = |expected: &str| ValueError::Type {
        key: spec.key.clone(),
        title: spec.title.clone(),
        expected: expected.to_string(),
        got: match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
    };
    if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let text = value.as_str().map(str::trim);

    let normalised = match spec.kind {
        FieldType::Text | FieldType::Person | FieldType::Address => match text {
            Some(t) => Value::String(t.to_string()),
            None => return Err(type_error("text")),
        },
        FieldType::Integer => {
            let n = match (value.as_i64(), text) {
                (Some(n), _) => n,
                (None, Some(t)) => t.parse::<i64>().map_err(|_| type_error("a whole number"))?,
                _ => return Err(type_error("a whole number")),
            };
            check_range(spec, n as f64)?;
            Value::from(n)
        }
        FieldType::Decimal => {
            let n = match (value.as_f64(), text) {
                (Some(n), _) => n,
                (None, Some(t)) => t.parse::<f64>().map_err(|_| type_error("a number"))?,
                _ => return Err(type_error("a number")),
            };
            check_range(spec, n)?;
            Value::from(n)
        }
        FieldType::Date => {
            let t = text.ok_or_else(|| type_error("a date like 2026-12-03"))?;
            let date = NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| type_error("a date like 2026-12-03"))?;
            Value::String(date.format("%Y-%m-%d").to_string())
        }
        FieldType::Time => {
            let t = text.ok_or_else(|| type_error("a time like 14:30"))?;
            let time = NaiveTime::parse_from_str(t, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
                .map_err(|_| type_error("a time like 14:30"))?;
            Value::String(time.format("%H:%M").to_string())
        }
        FieldType::Phone => {
            let t = text.ok_or_else(|| type_error("a phone number"))?;
            if !is_phone_number(t) {
                return Err(type_error(
                    "an 11-digit mobile number or a landline such as 021-56781234",
                ));
            }
            Value::String(t.to_string())
        }
        FieldType::IdNumber => {
            let t = text.ok_or_else(|| type_error("an 18-character ID number"))?;
            let upper = t.to_ascii_uppercase();
            if !id_number_is_valid(&upper) {
                return Err(ValueError::Constraint {
                    key: spec.key.clone(),
                    title: spec.title.clone(),
                    problem: format!(
                        "`{t}` is not a valid ID number (18 characters with a matching check digit); check it against the ID card"
                    ),
                });
            }
            Value::String(upper)
        }
        FieldType::Choice => {
            let t = text.ok_or_else(|| type_error("one of the listed choices"))?;
            check_choice(spec, t)?;
            Value::String(t.to_string())
        }
        FieldType::MultiChoice => {
            let items: Vec<String> = match value {
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| type_error("a list of choices"))
                    })
                    .collect::<Result<_, _>>()?,
                Value::String(s) => s
                    .split(['、', ',', '，', ';', '；'])
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
                _ => return Err(type_error("a list of choices")),
            };
            for item in &items {
                check_choice(spec, item)?;
            }
            Value::from(items)
        }
        FieldType::YesNo => match (value.as_bool(), text) {
            (Some(b), _) => Value::Bool(b),
            (None, Some("是" | "yes" | "true" | "需要" | "有")) => Value::Bool(true),
            (None, Some("否" | "no" | "false" | "不需要" | "无")) => Value::Bool(false),
            _ => return Err(type_error("是 or 否 (yes or no)")),
        },
    };

    if let (Some(pattern), Some(t)) = (&spec.pattern, normalised.as_str())
        && !matches_pattern(pattern, t)
    {
        {
            return Err(ValueError::Constraint {
                key: spec.key.clone(),
                title: spec.title.clone(),
                problem: format!("`{t}` does not have the form `{pattern}`"),
            });
        }
    }
    Ok(Some(normalised))
}

fn check_range(spec: &FieldSpec, n: f64) -> Result<(), ValueError> {
    if let Some([min, max]) = spec.range
        && (n < min || n > max)
    {
        {
            return Err(ValueError::Constraint {
                key: spec.key.clone(),
                title: spec.title.clone(),
                problem: format!("{n} is outside the allowed range {min}–{max}; check the value"),
            });
        }
    }
    Ok(())
}

fn check_choice(spec: &FieldSpec, choice: &str) -> Result<(), ValueError> {
    if spec.choices.iter().any(|c| c == choice) {
        return Ok(());
    }
    Err(ValueError::Constraint {
        key: spec.key.clone(),
        title: spec.title.clone(),
        problem: format!("`{choice}` is not one of: {}", spec.choices.join("、")),
    })
}

/// Whether `pattern` (see [`FieldSpec::pattern`]) matches `text`.
pub fn matches_pattern(pattern: &str, text: &str) -> bool {
    let mut chars = text.chars();
    for p in pattern.chars() {
        if p == '*' {
            return true;
        }
        let Some(c) = chars.next() else { return false };
        let ok = match p {
            '9' => c.is_ascii_digit(),
            'X' => c.is_ascii_digit() || c == 'X',
            literal => c == literal,
        };
        if !ok {
            return false;
        }
    }
    chars.next().is_none()
}

/// An 11-digit mainland mobile number (1[3-9]…) or a landline with an
/// optional area code (`021-56781234`, `56781234`).
pub fn is_phone_number(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if text.len() == 11 && digits(text) && text.starts_with('1') {
        return matches!(text.as_bytes()[1], b'3'..=b'9');
    }
    match text.split_once('-') {
        Some((area, local)) => {
            digits(area)
                && area.starts_with('0')
                && (3..=4).contains(&area.len())
                && digits(local)
                && (7..=8).contains(&local.len())
        }
        None => digits(text) && (7..=8).contains(&text.len()),
    }
}

/// Whether an 18-character resident ID number has a valid ISO 7064 check digit.
pub fn id_number_is_valid(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = id.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize] == bytes[17]
}

/// The text a ledger cell shows for a value (without unit).
pub fn display_value(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "是".to_string(),
        Value::Bool(false) => "否".to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join("、"),
        Value::Object(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_number_check_digit() {
        assert!(id_number_is_valid("11010519491231002X"));
        assert!(!id_number_is_valid("110105194912310021"));
        assert!(!id_number_is_valid("1101051949"));
    }

    #[test]
    fn phone_numbers() {
        for ok in ["13812345678", "021-56781234", "56781234"] {
            assert!(is_phone_number(ok), "{ok}");
        }
        for bad in ["12812345678", "1381234567", "21-5678", "abc"] {
            assert!(!is_phone_number(bad), "{bad}");
        }
    }

    #[test]
    fn patterns() {
        assert!(matches_pattern("MZ-99", "MZ-07"));
        assert!(!matches_pattern("MZ-99", "MZ-7"));
        assert!(matches_pattern("31*", "3101"));
    }
}
