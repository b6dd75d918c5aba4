//! Reporting periods written the way staff write them: `2026-11`,
//! `2026-Q4`, `2026`.

use chrono::{Datelike, NaiveDate};

/// A period that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "cannot read period `{0}`; write a month like 2026-11, a quarter like 2026-Q4 or a year like 2026"
)]
pub struct PeriodError(pub String);

/// The first and last day of a period.
pub fn parse_period(text: &str) -> Result<(NaiveDate, NaiveDate), PeriodError> {
    let error = || PeriodError(text.to_string());
    let text = text.trim();
    let (year, rest) = text.split_at(text.find('-').unwrap_or(text.len()));
    let year: i32 = year.parse().map_err(|_| error())?;
    let rest = rest.trim_start_matches('-');
    let (first_month, months) = if rest.is_empty() {
        (1, 12)
    } else if let Some(q) = rest.strip_prefix(['Q', 'q']) {
        let q: u32 = q.parse().map_err(|_| error())?;
        if !(1..=4).contains(&q) {
            return Err(error());
        }
        ((q - 1) * 3 + 1, 3)
    } else {
        let m: u32 = rest.parse().map_err(|_| error())?;
        (m, 1)
    };
    let from = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(error)?;
    let to = from
        .checked_add_months(chrono::Months::new(months))
        .and_then(|d| d.pred_opt())
        .ok_or_else(error)?;
    Ok((from, to))
}

/// A period label for page headers, e.g. `2026年11月`, or the range.
pub fn period_label(from: NaiveDate, to: NaiveDate) -> String {
    let month_end = from
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt());
    if from.day() == 1 && Some(to) == month_end {
        return format!("{}年{}月", from.year(), from.month());
    }
    if from.day() == 1
        && from.month() == 1
        && to.month() == 12
        && to.day() == 31
        && from.year() == to.year()
    {
        return format!("{}年", from.year());
    }
    format!("{} 至 {}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(&str, &str)>) {
        let got = parse_period(text)
            .ok()
            .map(|(a, b)| (a.to_string(), b.to_string()));
        let expected = expected.map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(got, expected, "{text}");
    }

    #[test]
    fn periods() {
        check("2026-11", Some(("2026-11-01", "2026-11-30")));
        check("2024-02", Some(("2024-02-01", "2024-02-29")));
        check("2026-Q4", Some(("2026-10-01", "2026-12-31")));
        check("2026", Some(("2026-01-01", "2026-12-31")));
        check("2026-13", None);
        check("November", None);
    }

    #[test]
    fn labels() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(period_label(d("2026-11-01"), d("2026-11-30")), "2026年11月");
        assert_eq!(period_label(d("2026-01-01"), d("2026-12-31")), "2026年");
        assert_eq!(
            period_label(d("2026-11-03"), d("2026-11-09")),
            "2026-11-03 至 2026-11-09"
        );
    }
}
