//! Reporting periods as staff type them (`2026-11`, `2026-Q4`, `2026`, or a
//! date range) and as ledgers print them (`2026年11月`).

use chrono::{Datelike, NaiveDate};

use crate::ledger::parse_period;

/// A period's dates and printed label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    /// First day included.
    pub from: NaiveDate,
    /// Last day included.
    pub to: NaiveDate,
    /// As printed in the ledger header, e.g. `2026年11月`.
    pub label: String,
    /// Short form for file names, e.g. `2026-11`.
    pub slug: String,
}

/// A period that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is not a month, quarter, year or date.
    #[error(
        "`{0}` is not a period; write a month like 2026-11, a quarter like 2026-Q4 or a year like 2026"
    )]
    Unreadable(String),
    /// A date in a range cannot be read.
    #[error("`{0}` is not a date; write it as YYYY-MM-DD, e.g. 2026-11-05")]
    BadDate(String),
    /// The range ends before it starts.
    #[error("the period ends ({to}) before it starts ({from}); swap --from and --to")]
    Reversed {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

impl ReportPeriod {
    /// Parses `2026-11` (a month), `2026-Q4` (a quarter) or `2026` (a year).
    pub fn parse(text: &str) -> Result<ReportPeriod, PeriodError> {
        let text = text.trim();
        let (from, to) =
            parse_period(text).map_err(|_| PeriodError::Unreadable(text.to_string()))?;
        if let Some((_, quarter)) = text.split_once(['Q', 'q']) {
            let quarter: usize = quarter.parse().unwrap_or(1);
            let names = ["一", "二", "三", "四"];
            let label = format!("{}年第{}季度", from.year(), names[(quarter - 1).min(3)]);
            let slug = format!("{}-Q{quarter}", from.year());
            return Ok(ReportPeriod {
                from,
                to,
                label,
                slug,
            });
        }
        if from.month() == 1 && to.month() == 12 {
            let (label, slug) = (format!("{}年度", from.year()), from.year().to_string());
            return Ok(ReportPeriod {
                from,
                to,
                label,
                slug,
            });
        }
        Ok(ReportPeriod::month_of(from, to))
    }

    /// The days `from..=to` given as `YYYY-MM-DD` texts.
    pub fn parse_range(from: &str, to: &str) -> Result<ReportPeriod, PeriodError> {
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| PeriodError::BadDate(s.to_string()))
        };
        ReportPeriod::range(date(from)?, date(to)?)
    }

    /// The days `from..=to`; a whole calendar month is labelled as a month.
    pub fn range(from: NaiveDate, to: NaiveDate) -> Result<ReportPeriod, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed { from, to });
        }
        let whole_month = from.day() == 1
            && (from.year(), from.month()) == (to.year(), to.month())
            && last_of_month(to.year(), to.month()) == Some(to);
        if whole_month {
            return Ok(ReportPeriod::month_of(from, to));
        }
        let label = format!(
            "{}年{}月{}日至{}年{}月{}日",
            from.year(),
            from.month(),
            from.day(),
            to.year(),
            to.month(),
            to.day()
        );
        let slug = format!("{}_{}", from.format("%Y%m%d"), to.format("%Y%m%d"));
        Ok(ReportPeriod {
            from,
            to,
            label,
            slug,
        })
    }

    fn month_of(from: NaiveDate, to: NaiveDate) -> ReportPeriod {
        ReportPeriod {
            from,
            to,
            label: format!("{}年{}月", from.year(), from.month()),
            slug: from.format("%Y-%m").to_string(),
        }
    }
}

fn first_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn last_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    first_of_month(y, m)?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &str) {
        let got = match ReportPeriod::parse(text) {
            Ok(p) => format!("{} {} {} {}", p.from, p.to, p.label, p.slug),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expected, "parsing {text:?}");
    }

    #[test]
    fn periods() {
        check("2026-11", "2026-11-01 2026-11-30 2026年11月 2026-11");
        check("2026-02", "2026-02-01 2026-02-28 2026年2月 2026-02");
        check("2026-12", "2026-12-01 2026-12-31 2026年12月 2026-12");
        check("2026-Q4", "2026-10-01 2026-12-31 2026年第四季度 2026-Q4");
        check("2026", "2026-01-01 2026-12-31 2026年度 2026");
        check(
            "2026-13",
            "error: `2026-13` is not a period; write a month like 2026-11, a quarter like 2026-Q4 or a year like 2026",
        );
        check(
            "十一月",
            "error: `十一月` is not a period; write a month like 2026-11, a quarter like 2026-Q4 or a year like 2026",
        );
    }

    #[test]
    fn ranges() {
        let p = ReportPeriod::parse_range("2026-11-01", "2026-11-15").unwrap();
        assert_eq!(
            (p.label.as_str(), p.slug.as_str()),
            ("2026年11月1日至2026年11月15日", "20261101_20261115")
        );
        let p = ReportPeriod::parse_range("2026-11-01", "2026-11-30").unwrap();
        assert_eq!(p.label, "2026年11月");
        let e = ReportPeriod::parse_range("2026-11-30", "2026-11-01").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the period ends (2026-11-01) before it starts (2026-11-30); swap --from and --to"
        );
    }
}
