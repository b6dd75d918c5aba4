//! Spoken numbers: positional Chinese numerals (一百三十五, 两千零五), the
//! abbreviated forms people use (一百四 = 140), digit-by-digit readings
//! (一三五, 幺三八, 五零二), Arabic digits, and vague amounts (十几, 二十多)
//! that must stay text.

/// A number found in the text, as char offsets into the cleaned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberToken {
    /// First char.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
    /// The numeric value; for vague amounts, the lower bound.
    pub value: i64,
    /// The digits as read one by one (`502` for 五零二 or `0215`), when the
    /// number was said or written as a digit string. Keeps leading zeros.
    pub digits: Option<String>,
    /// A vague amount such as 十几 or 二十多: not a value for a number field.
    pub approximate: bool,
}

/// The value of a single digit character, including the ways digits are
/// read aloud in phone numbers (幺 = 1) and written (〇).
pub(crate) fn digit_value(c: char) -> Option<u8> {
    Some(match c {
        '0' | '零' | '〇' => 0,
        '1' | '一' | '幺' => 1,
        '2' | '二' | '两' => 2,
        '3' | '三' => 3,
        '4' | '四' => 4,
        '5' | '五' => 5,
        '6' | '六' => 6,
        '7' | '七' => 7,
        '8' | '八' => 8,
        '9' | '九' => 9,
        _ => return None,
    })
}

/// Whether `c` is a Chinese or Arabic digit (not a unit such as 十).
pub(crate) fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

fn unit_value(c: char) -> Option<i64> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        '万' => Some(10_000),
        _ => None,
    }
}

/// Whether `c` can be part of a spoken number.
pub(crate) fn is_numeral(c: char) -> bool {
    is_digit(c) || unit_value(c).is_some()
}

/// Chars after a number that make it vague: 二十多, 一百来, 三十余.
const VAGUE_TAILS: &[char] = &['多', '来', '余', '几'];

/// Every number in `chars`, left to right, without overlaps.
pub(crate) fn scan(chars: &[char]) -> Vec<NumberToken> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match parse_at(chars, i) {
            Some(token) => {
                i = token.end.max(i + 1);
                tokens.push(token);
            }
            None => i += 1,
        }
    }
    tokens
}

/// The number starting exactly at `start`, if any.
pub(crate) fn parse_at(chars: &[char], start: usize) -> Option<NumberToken> {
    let c = *chars.get(start)?;
    if c.is_ascii_digit() {
        return Some(parse_arabic(chars, start));
    }
    if c == '几' {
        return parse_vague_prefix(chars, start);
    }
    if !is_numeral(c) || c == '万' || c == '千' || c == '百' {
        return None;
    }
    if let Some(token) = parse_vague_pair(chars, start) {
        return Some(token);
    }
    let digit_run = chars[start..].iter().take_while(|c| is_digit(**c)).count();
    let next_is_unit = chars
        .get(start + digit_run)
        .is_some_and(|c| unit_value(*c).is_some());
    let token = if digit_run >= 2 && !(digit_run == 2 && next_is_unit) {
        parse_digit_string(chars, start, digit_run)
    } else {
        parse_positional(chars, start)?
    };
    Some(mark_vague_tail(chars, token))
}

/// `135`, `0215`, `5020`: Arabic digits, value and digit string both kept.
fn parse_arabic(chars: &[char], start: usize) -> NumberToken {
    let end = start
        + chars[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
    let digits: String = chars[start..end].iter().collect();
    let value = digits.parse::<i64>().unwrap_or(i64::MAX);
    mark_vague_tail(
        chars,
        NumberToken {
            start,
            end,
            value,
            digits: Some(digits),
            approximate: false,
        },
    )
}

/// 一三五, 五零二, 幺三八: a digit-by-digit reading.
fn parse_digit_string(chars: &[char], start: usize, len: usize) -> NumberToken {
    let digits: String = chars[start..start + len]
        .iter()
        .map(|c| char::from(b'0' + digit_value(*c).unwrap_or(0)))
        .collect();
    NumberToken {
        start,
        end: start + len,
        value: digits.parse::<i64>().unwrap_or(i64::MAX),
        digits: Some(digits),
        approximate: false,
    }
}

/// 一百三十五, 两千零五, 三万五 (= 35000), 十二, 一百四 (= 140).
///
/// Reading stops where a second number obviously begins, so that
/// 一百三十五八十五 (a blood pressure said without a break) gives 135 and
/// then 85.
fn parse_positional(chars: &[char], start: usize) -> Option<NumberToken> {
    let mut total = 0i64;
    let mut section = 0i64;
    let mut pending: Option<i64> = None;
    let mut last_unit = i64::MAX;
    let mut zero_since_unit = false;
    let mut i = start;
    while let Some(&c) = chars.get(i) {
        if let Some(d) = digit_value(c) {
            if d == 0 {
                if pending.is_some() || last_unit == i64::MAX {
                    break;
                }
                zero_since_unit = true;
                i += 1;
                continue;
            }
            if pending.is_some() || last_unit == 10 {
                // A digit right after a ones digit, or a second ones digit
                // after 十: a new number begins here.
                if last_unit == 10 && pending.is_none() {
                    pending = Some(i64::from(d));
                    i += 1;
                }
                break;
            }
            pending = Some(i64::from(d));
            i += 1;
        } else if let Some(unit) = unit_value(c) {
            if unit == 10_000 {
                section += pending.take().unwrap_or(0);
                if section == 0 && total == 0 {
                    break;
                }
                total = (total + section) * 10_000;
                section = 0;
                last_unit = 10_000;
            } else {
                if unit >= last_unit && last_unit != 10_000 {
                    break;
                }
                let d = match pending.take() {
                    Some(d) => d,
                    None if unit == 10 => 1,
                    None => break,
                };
                section += d * unit;
                last_unit = unit;
            }
            zero_since_unit = false;
            i += 1;
        } else {
            break;
        }
    }
    if i == start {
        return None;
    }
    if let Some(d) = pending {
        // 一百四 means 140 and 三万五 means 35000, but 一百零四 is 104.
        if !zero_since_unit && last_unit >= 100 && last_unit != i64::MAX {
            section += d * (last_unit / 10);
        } else {
            section += d;
        }
    }
    Some(NumberToken {
        start,
        end: i,
        value: total + section,
        digits: None,
        approximate: false,
    })
}

/// 三四十, 七八个, 五六百: two neighbouring digits for a rough amount.
fn parse_vague_pair(chars: &[char], start: usize) -> Option<NumberToken> {
    let a = digit_value(*chars.get(start)?)?;
    let b = digit_value(*chars.get(start + 1)?)?;
    if b != a + 1 || a == 0 {
        return None;
    }
    let after = chars.get(start + 2).copied();
    if chars.get(start + 3).is_some_and(|c| is_digit(*c)) {
        return None;
    }
    let (value, end) = match after.and_then(unit_value) {
        Some(unit) => (i64::from(a) * unit, start + 3),
        None if after.is_some_and(|c| "个人岁天次位名户家年月楼".contains(c)) => {
            (i64::from(a), start + 2)
        }
        None => return None,
    };
    Some(NumberToken {
        start,
        end,
        value,
        digits: None,
        approximate: true,
    })
}

/// 几十, 几百: a rough amount with no lower digit.
fn parse_vague_prefix(chars: &[char], start: usize) -> Option<NumberToken> {
    let unit = unit_value(*chars.get(start + 1)?)?;
    Some(NumberToken {
        start,
        end: start + 2,
        value: unit,
        digits: None,
        approximate: true,
    })
}

/// Extends a token over 多, 来, 余 or 几 and marks it vague (二十多, 十几).
fn mark_vague_tail(chars: &[char], mut token: NumberToken) -> NumberToken {
    if let Some(&c) = chars.get(token.end)
        && VAGUE_TAILS.contains(&c)
        && (token.digits.is_none() || c != '几')
    {
        token.end += 1;
        token.approximate = true;
    }
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders every number found in `input` as `text=value` (`~` for vague,
    /// `#digits` for digit strings).
    fn check(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let rendered: Vec<String> = scan(&chars)
            .iter()
            .map(|t| {
                let text: String = chars[t.start..t.end].iter().collect();
                let mut out = format!("{text}={}", t.value);
                if let Some(d) = &t.digits {
                    out.push_str(&format!("#{d}"));
                }
                if t.approximate {
                    out.push('~');
                }
                out
            })
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    #[test]
    fn positional_numbers() {
        check("一百三十五", "一百三十五=135");
        check("十二号", "十二=12");
        check("两千零五年", "两千零五=2005");
        check("三百七十五弄", "三百七十五=375");
        check("一百零四", "一百零四=104");
        check("三万五千", "三万五千=35000");
        check("二十", "二十=20");
        check("七十八岁", "七十八=78");
    }

    #[test]
    fn abbreviated_numbers() {
        check("一百四", "一百四=140");
        check("两千三", "两千三=2300");
        check("三万五", "三万五=35000");
    }

    #[test]
    fn numbers_said_back_to_back() {
        check("一百三十五八十五", "一百三十五=135 八十五=85");
        check("一百四低压九十", "一百四=140 九十=90");
        check("135比85", "135=135#135 85=85#85");
        check("一百四八十", "一百四=140 八十=80");
    }

    #[test]
    fn digit_strings() {
        check("五零二室", "五零二=502#502");
        check("幺三八", "幺三八=138#138");
        check("一三五", "一三五=135#135");
        check("零二一", "零二一=21#021");
        check("5020室", "5020=5020#5020");
    }

    #[test]
    fn vague_amounts() {
        check("十几个人", "十几=10~");
        check("二十多人", "二十多=20~");
        check("三四十人", "三四十=30~");
        check("七八个", "七八=7~");
        check("几十人", "几十=10~");
        check("一百来人", "一百来=100~");
    }

    #[test]
    fn words_that_are_not_numbers() {
        check("万一", "一=1");
        check("百姓", "");
    }
}
