//! Dates and times as said in a dictation, resolved against the day of the
//! recording: 今天, 昨天, 上周三, 12月3日, 十二月三号, 上午十点半, 下午三点.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};

use super::numbers::{self, NumberToken};
use super::text::starts_with;

/// A date found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateMention {
    /// First cleaned char.
    pub start: usize,
    /// One past the last cleaned char.
    pub end: usize,
    /// The calendar date.
    pub date: NaiveDate,
    /// Whether the date lies after the recording day (a plan, not an event).
    pub future: bool,
}

/// A time of day found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeMention {
    /// First cleaned char.
    pub start: usize,
    /// One past the last cleaned char.
    pub end: usize,
    /// The time.
    pub time: NaiveTime,
}

/// Words for days relative to the recording day, longest first.
const RELATIVE_DAYS: &[(&str, i64)] = &[
    ("大前天", -3),
    ("前天", -2),
    ("昨天", -1),
    ("昨日", -1),
    ("昨儿", -1),
    ("今天", 0),
    ("今日", 0),
    ("今儿", 0),
    ("当天", 0),
    ("明天", 1),
    ("后天", 2),
];

/// Week words with their offset in weeks, longest first.
const WEEKS: &[(&str, i64)] = &[
    ("上个星期", -1),
    ("上个礼拜", -1),
    ("上个周", -1),
    ("上星期", -1),
    ("上礼拜", -1),
    ("上周", -1),
    ("这个星期", 0),
    ("这个礼拜", 0),
    ("这星期", 0),
    ("这礼拜", 0),
    ("本星期", 0),
    ("这周", 0),
    ("本周", 0),
    ("下个星期", 1),
    ("下个礼拜", 1),
    ("下星期", 1),
    ("下礼拜", 1),
    ("下周", 1),
];

/// Month words with their offset in months.
const MONTHS: &[(&str, i32)] = &[
    ("上个月", -1),
    ("上月", -1),
    ("这个月", 0),
    ("本月", 0),
    ("下个月", 1),
    ("下月", 1),
];

/// Every date in `chars`, left to right, resolved against `today`.
pub(crate) fn find_dates(chars: &[char], today: NaiveDate) -> Vec<DateMention> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let date = relative_day(chars, i, today)
            .or_else(|| weekday(chars, i, today))
            .or_else(|| month_relative(chars, i, today))
            .or_else(|| calendar_date(chars, i, today))
            .or_else(|| iso_date(chars, i))
            .or_else(|| day_of_month(chars, i, today));
        match date {
            Some((end, date)) => {
                found.push(DateMention {
                    start: i,
                    end,
                    date,
                    future: date > today,
                });
                i = end;
            }
            None => i += 1,
        }
    }
    found
}

fn relative_day(chars: &[char], i: usize, today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let (word, days) = RELATIVE_DAYS
        .iter()
        .find(|(w, _)| starts_with(chars, i, w))?;
    // 然后天气, 以后天天: 后天 inside another word.
    if *word == "后天" && i > 0 && "然以之最过".contains(chars[i - 1]) {
        return None;
    }
    Some((i + word.chars().count(), today + Duration::days(*days)))
}

fn weekday(chars: &[char], i: usize, today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let (offset, after_week) = match WEEKS.iter().find(|(w, _)| starts_with(chars, i, w)) {
        Some((word, offset)) => (Some(*offset), i + word.chars().count()),
        None => {
            let word = ["星期", "礼拜", "周"]
                .into_iter()
                .find(|w| starts_with(chars, i, w))?;
            (None, i + word.chars().count())
        }
    };
    let day = match *chars.get(after_week)? {
        '日' | '天' | '7' => 7,
        c => match numbers::digit_value(c) {
            Some(d @ 1..=6) if c != '两' && c != '幺' => u32::from(d),
            _ => return None,
        },
    };
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let date = match offset {
        Some(weeks) => monday + Duration::days(weeks * 7 + i64::from(day) - 1),
        // A bare 周三 is the most recent Wednesday, today included.
        None => {
            let this_week = monday + Duration::days(i64::from(day) - 1);
            if this_week > today {
                this_week - Duration::days(7)
            } else {
                this_week
            }
        }
    };
    Some((after_week + 1, date))
}

fn month_relative(chars: &[char], i: usize, today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let (word, offset) = MONTHS.iter().find(|(w, _)| starts_with(chars, i, w))?;
    let at = i + word.chars().count();
    let (end, day) = day_number(chars, at)?;
    let first = today.with_day(1)?;
    let month = shift_months(first, *offset)?;
    Some((end, month.with_day(day)?))
}

/// 2026年12月3日, 十二月三号, 12月3日: a month and day, with or without year.
fn calendar_date(chars: &[char], i: usize, today: NaiveDate) -> Option<(usize, NaiveDate)> {
    let (year, at) = year_prefix(chars, i, today);
    let month = numbers::parse_at(chars, at).filter(|n| !n.approximate)?;
    if chars.get(month.end) != Some(&'月') || !(1..=12).contains(&month.value) {
        return None;
    }
    let (end, day) = day_number(chars, month.end + 1)?;
    let month = month.value as u32;
    match year {
        Some(year) => Some((end, NaiveDate::from_ymd_opt(year, month, day)?)),
        None => {
            // A month and day without a year is the most recent such day,
            // unless it is only a little ahead (a plan for next week).
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
            let date = if this_year > today + Duration::days(62) {
                NaiveDate::from_ymd_opt(today.year() - 1, month, day)?
            } else {
                this_year
            };
            Some((end, date))
        }
    }
}

/// A leading year (2026年, 二零二六年, 今年, 去年) and where the month starts.
fn year_prefix(chars: &[char], i: usize, today: NaiveDate) -> (Option<i32>, usize) {
    if starts_with(chars, i, "今年") {
        return (Some(today.year()), i + 2);
    }
    if starts_with(chars, i, "去年") {
        return (Some(today.year() - 1), i + 2);
    }
    if let Some(year) = numbers::parse_at(chars, i) {
        let four_digits = year.digits.as_ref().is_some_and(|d| d.len() == 4);
        if four_digits && chars.get(year.end) == Some(&'年') {
            return (Some(year.value as i32), year.end + 1);
        }
    }
    (None, i)
}

/// `2026-12-03`, `2026/12/3`, `2026.12.3`.
fn iso_date(chars: &[char], i: usize) -> Option<(usize, NaiveDate)> {
    let year = arabic(chars, i).filter(|n| n.end - n.start == 4)?;
    let sep = *chars.get(year.end)?;
    if !matches!(sep, '-' | '/' | '.') {
        return None;
    }
    let month = arabic(chars, year.end + 1)?;
    if chars.get(month.end) != Some(&sep) {
        return None;
    }
    let day = arabic(chars, month.end + 1)?;
    let date = NaiveDate::from_ymd_opt(year.value as i32, month.value as u32, day.value as u32)?;
    Some((day.end, date))
}

fn arabic(chars: &[char], i: usize) -> Option<NumberToken> {
    chars.get(i).filter(|c| c.is_ascii_digit())?;
    numbers::parse_at(chars, i).filter(|n| !n.approximate)
}

/// A day said alone (3号, 十五日): the most recent such day of a month.
fn day_of_month(chars: &[char], i: usize, today: NaiveDate) -> Option<(usize, NaiveDate)> {
    if i > 0 && (numbers::is_numeral(chars[i - 1]) || "弄路村区第月".contains(chars[i - 1])) {
        return None;
    }
    let (end, day) = day_number(chars, i)?;
    if chars
        .get(end)
        .is_some_and(|c| "楼室门幢栋线床房院单弄号位个户".contains(*c))
    {
        return None;
    }
    let this_month = today.with_day(day);
    match this_month {
        Some(date) if date <= today => Some((end, date)),
        _ => {
            let previous = shift_months(today.with_day(1)?, -1)?;
            Some((end, previous.with_day(day)?))
        }
    }
}

/// A day number followed by 日 or 号, and where it ends.
fn day_number(chars: &[char], i: usize) -> Option<(usize, u32)> {
    let day = numbers::parse_at(chars, i).filter(|n| !n.approximate)?;
    if !(1..=31).contains(&day.value) || !matches!(chars.get(day.end), Some('日' | '号')) {
        return None;
    }
    Some((day.end + 1, day.value as u32))
}

fn shift_months(first_of_month: NaiveDate, offset: i32) -> Option<NaiveDate> {
    let index = first_of_month.year() * 12 + first_of_month.month0() as i32 + offset;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
}

/// Parts of the day and whether they move an hour into the afternoon.
const PERIODS: &[(&str, Period)] = &[
    ("凌晨", Period::Night),
    ("早上", Period::Morning),
    ("早晨", Period::Morning),
    ("上午", Period::Morning),
    ("中午", Period::Noon),
    ("下午", Period::Afternoon),
    ("傍晚", Period::Afternoon),
    ("晚上", Period::Afternoon),
    ("夜里", Period::Afternoon),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Night,
    Morning,
    Noon,
    Afternoon,
}

/// Words after N点 that make it "N points" rather than a time (三点意见).
const NOT_TIME_AFTER: &[&str] = &[
    "意见", "建议", "要求", "问题", "内容", "事", "想法", "看法", "注意", "共识", "做法", "措施",
    "整改", "不足", "体会",
];

/// Every time of day in `chars`, left to right.
pub(crate) fn find_times(chars: &[char]) -> Vec<TimeMention> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match time_at(chars, i) {
            Some(mention) => {
                i = mention.end;
                found.push(mention);
            }
            None => i += 1,
        }
    }
    found
}

fn time_at(chars: &[char], start: usize) -> Option<TimeMention> {
    let period = PERIODS.iter().find(|(w, _)| starts_with(chars, start, w));
    let at = start + period.map_or(0, |(w, _)| w.chars().count());
    let hour = numbers::parse_at(chars, at).filter(|n| !n.approximate)?;
    if hour.value > 24 {
        return None;
    }
    let (minute, end) = match chars.get(hour.end) {
        Some(':') => {
            let minute = arabic(chars, hour.end + 1).filter(|m| m.end - m.start == 2)?;
            (minute.value, minute.end)
        }
        Some('点' | '时') => minutes_after(chars, hour.end + 1),
        _ => return None,
    };
    if chars.get(hour.end) != Some(&':') {
        let tail: String = chars[end.min(chars.len())..(end + 2).min(chars.len())]
            .iter()
            .collect();
        if NOT_TIME_AFTER.iter().any(|w| tail.starts_with(w)) {
            return None;
        }
        // 一点 is more often "a little" than one o'clock.
        if hour.value == 1 && period.is_none() && end == hour.end + 1 {
            return None;
        }
    }
    let mut h = hour.value as u32;
    match period.map(|(_, p)| *p) {
        Some(Period::Afternoon) if h < 12 => h += 12,
        Some(Period::Noon) if h <= 2 => h += 12,
        Some(Period::Night | Period::Morning | Period::Noon | Period::Afternoon) => {}
        // Without a part of the day, 1 to 6 o'clock is read as afternoon:
        // committee work happens in office hours.
        None if (1..=6).contains(&h) => h += 12,
        None => {}
    }
    let time = NaiveTime::from_hms_opt(h % 24, minute as u32, 0)?;
    Some(TimeMention {
        start: if period.is_some() { start } else { at },
        end,
        time,
    })
}

/// Minutes after 点: 半, 一刻, 三刻, 十五(分), 零五, and where they end.
fn minutes_after(chars: &[char], i: usize) -> (i64, usize) {
    if chars.get(i) == Some(&'半') {
        return (30, i + 1);
    }
    if starts_with(chars, i, "一刻") {
        return (15, i + 2);
    }
    if starts_with(chars, i, "三刻") {
        return (45, i + 2);
    }
    if chars.get(i) == Some(&'钟') {
        return (0, i + 1);
    }
    match numbers::parse_at(chars, i).filter(|n| !n.approximate && (0..60).contains(&n.value)) {
        Some(minute) if chars.get(minute.end) != Some(&'点') => {
            let end = if chars.get(minute.end) == Some(&'分') {
                minute.end + 1
            } else {
                minute.end
            };
            // 十点十个人 is not 10:10.
            if chars
                .get(minute.end)
                .is_some_and(|c| "个人位名岁次天".contains(*c))
            {
                return (0, i);
            }
            (minute.value, end)
        }
        _ => (0, i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        // A Thursday.
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn check_dates(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let rendered: Vec<String> = find_dates(&chars, today())
            .iter()
            .map(|d| {
                format!(
                    "{}={}",
                    chars[d.start..d.end].iter().collect::<String>(),
                    d.date
                )
            })
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    fn check_times(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let rendered: Vec<String> = find_times(&chars)
            .iter()
            .map(|t| {
                let text: String = chars[t.start..t.end].iter().collect();
                format!("{text}={}", t.time.format("%H:%M"))
            })
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    #[test]
    fn relative_days() {
        check_dates("今天去了", "今天=2026-12-03");
        check_dates("昨天下午", "昨天=2026-12-02");
        check_dates("前天", "前天=2026-12-01");
        check_dates("然后天气不好", "");
    }

    #[test]
    fn weekdays() {
        check_dates("上周三", "上周三=2026-11-25");
        check_dates("上个星期五", "上个星期五=2026-11-27");
        check_dates("周二", "周二=2026-12-01");
        check_dates("周五", "周五=2026-11-27");
        check_dates("这周一", "这周一=2026-11-30");
        check_dates("下周三再去", "下周三=2026-12-09");
    }

    #[test]
    fn calendar_dates() {
        check_dates("12月3日", "12月3日=2026-12-03");
        check_dates("十二月三号", "十二月三号=2026-12-03");
        check_dates("十一月二十八号", "十一月二十八号=2026-11-28");
        check_dates("2026年11月5日", "2026年11月5日=2026-11-05");
        check_dates("二零二六年十月一日", "二零二六年十月一日=2026-10-01");
        check_dates("2026-11-30", "2026-11-30=2026-11-30");
        check_dates("上个月15号", "上个月15号=2026-11-15");
        check_dates("1号去的", "1号=2026-12-01");
        check_dates("5号", "5号=2026-11-05");
    }

    #[test]
    fn numbers_that_are_not_dates() {
        check_dates("三号楼", "");
        check_dates("375弄12号", "");
    }

    #[test]
    fn times() {
        check_times("上午十点半", "上午十点半=10:30");
        check_times("下午三点", "下午三点=15:00");
        check_times("下午两点一刻", "下午两点一刻=14:15");
        check_times("晚上七点", "晚上七点=19:00");
        check_times("14:30开会", "14:30=14:30");
        check_times("九点十五分", "九点十五分=09:15");
        check_times("三点钟", "三点钟=15:00");
        check_times("中午12点", "中午12点=12:00");
        check_times("上午9点", "上午9点=09:00");
    }

    #[test]
    fn points_that_are_not_times() {
        check_times("提了三点意见", "");
        check_times("好一点了", "");
        check_times("上午", "");
    }
}
