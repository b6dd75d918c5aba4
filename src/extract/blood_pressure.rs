//! Blood pressure as people say it: 血压135比85, 高压一百四低压九十,
//! 一百三十五八十五 (two numbers without a break), 135/85.

use super::numbers::{self, NumberToken};
use super::text::{is_pause, starts_with};

/// A blood-pressure reading found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Systolic (high) value and its cleaned char span.
    pub systolic: Option<(i64, usize, usize)>,
    /// Diastolic (low) value and its cleaned char span.
    pub diastolic: Option<(i64, usize, usize)>,
    /// The whole mention, cue included.
    pub start: usize,
    /// One past its end.
    pub end: usize,
}

/// Words between a cue and its number (血压是, 血压测了, 高压有).
const LEAD_INS: &[&str] = &[
    "测出来是",
    "测出来",
    "量出来",
    "测下来",
    "一下",
    "测得",
    "测了",
    "量了",
    "测量",
    "是",
    "为",
    "有",
    "在",
    "大概",
    "差不多",
    "的话",
    "：",
    ":",
    "，",
    ",",
    " ",
    "了",
];

/// Words between the two numbers of a pair (135比85, 135/85).
const SEPARATORS: &[&str] = &["比", "/", "／", ":", "：", " ", "，", ",", "、", "-", "对"];

/// Finds readings, using `high_cues` (血压, 高压, 收缩压) and `low_cues`
/// (低压, 舒张压) from the record type's two blood-pressure fields.
pub(crate) fn find(chars: &[char], high_cues: &[String], low_cues: &[String]) -> Vec<Reading> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let reading = cue_at(chars, i, high_cues)
            .and_then(|after| after_high_cue(chars, i, after, low_cues))
            .or_else(|| cue_at(chars, i, low_cues).and_then(|after| low_only(chars, i, after)))
            .or_else(|| bare_pair(chars, i));
        match reading {
            Some(reading) => {
                i = reading.end.max(i + 1);
                found.push(reading);
            }
            None => i += 1,
        }
    }
    found
}

/// Where the text after a cue at `i` begins, if one of `cues` is at `i`.
fn cue_at(chars: &[char], i: usize, cues: &[String]) -> Option<usize> {
    cues.iter()
        .filter(|c| starts_with(chars, i, c))
        .map(|c| i + c.chars().count())
        .max()
}

/// Skips lead-in words after a cue.
fn skip_lead_ins(chars: &[char], mut i: usize) -> usize {
    for _ in 0..4 {
        match LEAD_INS.iter().find(|w| starts_with(chars, i, w)) {
            Some(w) => i += w.chars().count(),
            None => break,
        }
    }
    i
}

fn after_high_cue(
    chars: &[char],
    start: usize,
    after_cue: usize,
    low_cues: &[String],
) -> Option<Reading> {
    let at = number_soon_after(chars, skip_lead_ins(chars, after_cue))?;
    if let Some((high, low)) = pair_at(chars, at) {
        return Some(Reading {
            systolic: Some((high.value, high.start, high.end)),
            diastolic: Some((low.value, low.start, low.end)),
            start,
            end: low.end,
        });
    }
    let high = numbers::parse_at(chars, at)
        .filter(|n| !n.approximate && n.digits.as_ref().is_none_or(|d| d.len() <= 3))?;
    // 高压一百四，低压九十: the low value follows its own cue nearby.
    let mut diastolic = None;
    let mut end = high.end;
    for j in (skip_lead_ins(chars, high.end)..).take(4) {
        if let Some(after) = cue_at(chars, j, low_cues) {
            let k = skip_lead_ins(chars, after);
            if let Some(low) = numbers::parse_at(chars, k).filter(|n| !n.approximate) {
                diastolic = Some((low.value, low.start, low.end));
                end = low.end;
            }
            break;
        }
        if chars.get(j).is_none_or(|c| !is_pause(*c)) {
            break;
        }
    }
    Some(Reading {
        systolic: Some((high.value, high.start, high.end)),
        diastolic,
        start,
        end,
    })
}

fn low_only(chars: &[char], start: usize, after_cue: usize) -> Option<Reading> {
    let at = skip_lead_ins(chars, after_cue);
    let low = numbers::parse_at(chars, at).filter(|n| !n.approximate)?;
    Some(Reading {
        systolic: None,
        diastolic: Some((low.value, low.start, low.end)),
        start,
        end: low.end,
    })
}

/// Where the first number that could be a reading starts within a few
/// words of `at` (血压有点高，一百四十八…), not crossing a sentence end.
fn number_soon_after(chars: &[char], at: usize) -> Option<usize> {
    (at..(at + 7).min(chars.len()))
        .take_while(|&i| !matches!(chars[i], '。' | '？' | '！' | '；'))
        .find(|&i| {
            (i == at || !numbers::is_numeral(chars[i - 1]))
                && numbers::parse_at(chars, i).is_some_and(|n| n.value >= 60)
        })
}

/// 135/85 or 135比85 without a cue, when the values look like a reading.
fn bare_pair(chars: &[char], i: usize) -> Option<Reading> {
    if i > 0 && numbers::is_numeral(chars[i - 1]) {
        return None;
    }
    let high = numbers::parse_at(chars, i).filter(|n| !n.approximate)?;
    let sep = SEPARATORS[..3]
        .iter()
        .find(|s| starts_with(chars, high.end, s))?;
    let low =
        numbers::parse_at(chars, high.end + sep.chars().count()).filter(|n| !n.approximate)?;
    if !plausible(high.value, low.value) {
        return None;
    }
    Some(Reading {
        systolic: Some((high.value, high.start, high.end)),
        diastolic: Some((low.value, low.start, low.end)),
        start: i,
        end: low.end,
    })
}

/// Two numbers at `at` forming a plausible reading: separated (135比85),
/// back to back (一百三十五八十五), or glued digits (13585).
fn pair_at(chars: &[char], at: usize) -> Option<(NumberToken, NumberToken)> {
    let first = numbers::parse_at(chars, at).filter(|n| !n.approximate)?;

    if let Some(d) = first
        .digits
        .as_ref()
        .filter(|d| d.len() >= 5 && chars[at].is_ascii_digit())
    {
        return split_glued(d, first.start, first.end);
    }
    for sep in SEPARATORS {
        if starts_with(chars, first.end, sep) {
            let second = numbers::parse_at(chars, first.end + sep.chars().count())
                .filter(|n| !n.approximate)?;
            return plausible(first.value, second.value).then_some((first, second));
        }
    }
    if let Some(second) = numbers::parse_at(chars, first.end).filter(|n| !n.approximate)
        && plausible(first.value, second.value)
    {
        return Some((first, second));
    }
    split_spoken_run(chars, at)
}

/// 13585 written without a break: the split that reads as a reading.
fn split_glued(digits: &str, start: usize, end: usize) -> Option<(NumberToken, NumberToken)> {
    for cut in [3, 2] {
        if cut >= digits.len() {
            continue;
        }
        let (a, b) = digits.split_at(cut);
        let (Ok(high), Ok(low)) = (a.parse::<i64>(), b.parse::<i64>()) else {
            continue;
        };
        if plausible(high, low) && b.len() <= 3 {
            let token = |value, s, e, d: &str| NumberToken {
                start: s,
                end: e,
                value,
                digits: Some(d.to_string()),
                approximate: false,
            };
            return Some((
                token(high, start, start + cut, a),
                token(low, start + cut, end, b),
            ));
        }
    }
    None
}

/// A run of Chinese numerals read as two numbers, trying every cut
/// (一百四十八十 is 140 and 80, not 148 and 10).
fn split_spoken_run(chars: &[char], at: usize) -> Option<(NumberToken, NumberToken)> {
    let run = chars[at..]
        .iter()
        .take_while(|c| numbers::is_numeral(**c))
        .count();
    for cut in 1..run {
        let head = &chars[at..at + cut];
        let tail = &chars[at + cut..at + run];
        let (Some(a), Some(b)) = (whole_number(head), whole_number(tail)) else {
            continue;
        };
        if plausible(a, b) {
            let token = |value, s, e| NumberToken {
                start: s,
                end: e,
                value,
                digits: None,
                approximate: false,
            };
            return Some((token(a, at, at + cut), token(b, at + cut, at + run)));
        }
    }
    None
}

/// The value of `chars` when they read as exactly one number.
fn whole_number(chars: &[char]) -> Option<i64> {
    let token = numbers::parse_at(chars, 0)?;
    (token.end == chars.len() && !token.approximate).then_some(token.value)
}

/// Whether two values look like a systolic and diastolic reading.
fn plausible(high: i64, low: i64) -> bool {
    (70..=260).contains(&high) && (30..=160).contains(&low) && high > low
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let high = vec!["血压".to_string(), "高压".to_string(), "收缩压".to_string()];
        let low = vec!["低压".to_string(), "舒张压".to_string()];
        let rendered: Vec<String> = find(&chars, &high, &low)
            .iter()
            .map(|r| {
                let show =
                    |v: Option<(i64, usize, usize)>| v.map_or("-".to_string(), |v| v.0.to_string());
                format!("{}/{}", show(r.systolic), show(r.diastolic))
            })
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    #[test]
    fn readings() {
        check("血压135比85", "135/85");
        check("高压一百四低压九十", "140/90");
        check("高压一百四，低压九十", "140/90");
        check("血压一百三十五八十五", "135/85");
        check("血压135/85", "135/85");
        check("血压是一百四十八十", "140/80");
        check("血压测了一下130，80", "130/80");
        check("测了血压13585", "135/85");
        check("收缩压128舒张压76", "128/76");
        check("量了一下是145/95", "145/95");
    }

    #[test]
    fn not_readings() {
        check("血压有点高", "");
        check("三比二", "");
    }
}
