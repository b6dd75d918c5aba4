//! Phone numbers and resident ID numbers, spoken digit by digit
//! (幺三八…, 五六七八一二三四) or written with spaces and dashes.

use super::numbers;
use crate::ledger::id_number_is_valid;

/// What a run of digits turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContactKind {
    /// An 11-digit mobile number.
    Mobile,
    /// A landline with its area code, stored as `021-56781234`.
    Landline,
    /// A local landline without area code (`56781234`): only a phone when a
    /// phone cue is near, since eight digits can be many things.
    LocalLandline,
    /// An ID number with a valid check digit.
    IdNumber,
    /// Eighteen characters that look like an ID number but fail the check
    /// digit: reported, never stored.
    BadIdNumber,
}

/// A phone or ID number found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContactMention {
    /// First cleaned char.
    pub start: usize,
    /// One past the last cleaned char.
    pub end: usize,
    /// The stored form.
    pub value: String,
    /// Its kind.
    pub kind: ContactKind,
}

/// Spoken forms of the letter X closing an ID number.
const SPOKEN_X: &[&str] = &["艾克斯", "爱克斯", "叉", "X", "x"];

/// Every phone and ID number in `chars`.
pub(crate) fn find(chars: &[char]) -> Vec<ContactMention> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_run =
            numbers::is_digit(chars[i]) && !(i > 0 && (numbers::is_numeral(chars[i - 1])));
        if !starts_run {
            i += 1;
            continue;
        }
        let (digits, end) = digit_run(chars, i);
        match classify(&digits) {
            Some((value, kind)) => {
                found.push(ContactMention {
                    start: i,
                    end,
                    value,
                    kind,
                });
                i = end;
            }
            None => i = end.max(i + 1),
        }
    }
    found
}

/// Digits from `start`, over single spaces and dashes between digits, with
/// a closing X. Stops at a unit such as 十, which makes it a quantity.
fn digit_run(chars: &[char], start: usize) -> (String, usize) {
    let mut digits = String::new();
    let mut i = start;
    let mut end = start;
    while i < chars.len() {
        let c = chars[i];
        if let Some(d) = numbers::digit_value(c) {
            digits.push(char::from(b'0' + d));
            i += 1;
            end = i;
        } else if matches!(c, ' ' | '-' | ',' | '、')
            && chars.get(i + 1).is_some_and(|n| numbers::is_digit(*n))
        {
            i += 1;
        } else {
            break;
        }
    }
    if chars.get(end).is_some_and(|c| "十百千万".contains(*c)) {
        return (String::new(), end);
    }
    if digits.len() == 17
        && let Some(x) = SPOKEN_X
            .iter()
            .find(|x| super::text::starts_with(chars, end, x))
    {
        digits.push('X');
        end += x.chars().count();
    }
    (digits, end)
}

fn classify(digits: &str) -> Option<(String, ContactKind)> {
    let len = digits.len();
    let bytes = digits.as_bytes();
    if len == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]) {
        return Some((digits.to_string(), ContactKind::Mobile));
    }
    if bytes.first() == Some(&b'0') && (10..=12).contains(&len) {
        let area = if matches!(bytes.get(1), Some(b'1' | b'2')) {
            3
        } else {
            4
        };
        let local = len - area;
        if (7..=8).contains(&local) {
            return Some((
                format!("{}-{}", &digits[..area], &digits[area..]),
                ContactKind::Landline,
            ));
        }
    }
    if (7..=8).contains(&len) && bytes[0] != b'0' {
        return Some((digits.to_string(), ContactKind::LocalLandline));
    }
    if len == 18 {
        let kind = if id_number_is_valid(digits) {
            ContactKind::IdNumber
        } else {
            ContactKind::BadIdNumber
        };
        return Some((digits.to_string(), kind));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let rendered: Vec<String> = find(&chars)
            .iter()
            .map(|m| format!("{}:{:?}", m.value, m.kind))
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    #[test]
    fn mobiles() {
        check("手机13812345678", "13812345678:Mobile");
        check("电话幺三八一二三四五六七八", "13812345678:Mobile");
        check("138 1234 5678", "13812345678:Mobile");
        check("139-1111-2222", "13911112222:Mobile");
    }

    #[test]
    fn landlines() {
        check("座机021-56781234", "021-56781234:Landline");
        check("零二一五六七八一二三四", "021-56781234:Landline");
        check("电话五六七八一二三四", "56781234:LocalLandline");
    }

    #[test]
    fn id_numbers() {
        check("身份证11010519491231002X", "11010519491231002X:IdNumber");
        check(
            "一一零一零五一九四九一二三一零零二叉",
            "11010519491231002X:IdNumber",
        );
        check("110105194912310021", "110105194912310021:BadIdNumber");
    }

    #[test]
    fn quantities_are_not_numbers() {
        check("七十八岁", "");
        check("135比85", "");
        check("2026年", "");
    }
}
