//! Ledger source filters: which records of a type a ledger shows.
//!
//! Grammar: conditions joined by `and`, groups joined by `or` (`and` binds
//! tighter). A condition is `NAME OP LITERAL` with `OP` one of
//! `>= <= > < = !=`, or `NAME present` / `NAME absent`. `NAME` is a field key
//! or `resident.age`, `resident.tags`, `record.state`. Literals are numbers or
//! text in double quotes; `=` on a list value means "contains".

use serde_json::Value;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    any_of: Vec<Vec<Condition>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    name: String,
    test: Test,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Present,
    Absent,
    Compare(Op, Literal),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Number(f64),
    Text(String),
}

/// A filter that cannot be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "cannot read filter `{filter}`: {problem}; write conditions like `age >= 80` or `concerns present`, joined by `and` / `or`"
)]
pub struct FilterError {
    /// The filter text.
    pub filter: String,
    /// What is wrong.
    pub problem: String,
}

impl Filter {
    /// Parses filter text; empty text matches everything.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let error = |problem: String| FilterError {
            filter: text.to_string(),
            problem,
        };
        let mut any_of = Vec::new();
        if text.trim().is_empty() {
            return Ok(Filter { any_of });
        }
        for group in text.split(" or ") {
            let mut all_of = Vec::new();
            for condition in group.split(" and ") {
                all_of.push(parse_condition(condition.trim()).map_err(&error)?);
            }
            any_of.push(all_of);
        }
        Ok(Filter { any_of })
    }

    /// Names (field keys or `resident.*` / `record.*`) the filter reads.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.any_of.iter().flatten().map(|c| c.name.as_str())
    }

    /// Whether a record passes, looking values up by name.
    pub fn matches(&self, lookup: impl Fn(&str) -> Option<Value>) -> bool {
        if self.any_of.is_empty() {
            return true;
        }
        self.any_of
            .iter()
            .any(|all_of| all_of.iter().all(|c| c.holds(lookup(&c.name).as_ref())))
    }
}

fn parse_condition(text: &str) -> Result<Condition, String> {
    let mut parts = text.splitn(2, ' ');
    let name = parts.next().unwrap_or_default().to_string();
    let rest = parts.next().unwrap_or_default().trim();
    if name.is_empty() {
        return Err("a condition is empty".to_string());
    }
    let test = match rest {
        "present" => Test::Present,
        "absent" => Test::Absent,
        _ => {
            let (op, literal) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .into_iter()
            .find_map(|(sym, op)| rest.strip_prefix(sym).map(|l| (op, l.trim())))
            .ok_or_else(|| format!("`{text}` has no operator"))?;
            Test::Compare(op, parse_literal(literal)?)
        }
    };
    Ok(Condition { name, test })
}

fn parse_literal(text: &str) -> Result<Literal, String> {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Ok(Literal::Text(inner.to_string()));
    }
    text.parse::<f64>()
        .map(Literal::Number)
        .map_err(|_| format!("`{text}` is neither a number nor quoted text"))
}

impl Condition {
    fn holds(&self, value: Option<&Value>) -> bool {
        let value = value.filter(|v| !is_empty(v));
        match (&self.test, value) {
            (Test::Present, v) => v.is_some(),
            (Test::Absent, v) => v.is_none(),
            (Test::Compare(_, _), None) => false,
            (Test::Compare(op, literal), Some(v)) => compare(*op, v, literal),
        }
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn compare(op: Op, value: &Value, literal: &Literal) -> bool {
    match (value, literal) {
        (Value::Array(items), Literal::Text(t)) => {
            let contains = items.iter().any(|i| i.as_str() == Some(t));
            match op {
                Op::Eq => contains,
                Op::Ne => !contains,
                _ => false,
            }
        }
        (Value::Bool(b), Literal::Text(t)) => {
            let wanted = matches!(t.as_str(), "是" | "yes" | "true");
            match op {
                Op::Eq => *b == wanted,
                Op::Ne => *b != wanted,
                _ => false,
            }
        }
        (v, Literal::Number(n)) => match v.as_f64().or_else(|| v.as_str()?.parse().ok()) {
            Some(x) => ordered(op, x.partial_cmp(n)),
            None => false,
        },
        (v, Literal::Text(t)) => match v.as_str() {
            Some(s) => ordered(op, Some(s.cmp(t))),
            None => false,
        },
    }
}

fn ordered(op: Op, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    let Some(o) = ordering else { return false };
    match op {
        Op::Ge => o != Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Lt => o == Less,
        Op::Eq => o == Equal,
        Op::Ne => o != Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(filter: &str, values: Value, expected: bool) {
        let filter = Filter::parse(filter).unwrap();
        let got = filter.matches(|name| values.get(name).cloned());
        assert_eq!(got, expected, "{filter:?} on {values}");
    }

    #[test]
    fn conditions() {
        check("", json!({}), true);
        check("age >= 80", json!({"age": 82}), true);
        check("age >= 80", json!({"age": 79}), false);
        check("age >= 80", json!({}), false);
        check(
            "age >= 80 or resident.age >= 80",
            json!({"resident.age": 85}),
            true,
        );
        check("bp_systolic present", json!({"bp_systolic": 135}), true);
        check("concerns present", json!({"concerns": ""}), false);
        check(
            "resident.tags = \"独居\"",
            json!({"resident.tags": ["高龄", "独居"]}),
            true,
        );
        check(
            "follow_up = \"是\" and age > 60",
            json!({"follow_up": true, "age": 61}),
            true,
        );
    }

    #[test]
    fn errors_name_the_filter() {
        let err = Filter::parse("age 80").unwrap_err();
        assert!(err.to_string().contains("`age 80`"), "{err}");
        assert!(Filter::parse("age >= eighty").is_err());
    }
}
