//! Character error rate (CER) of a transcript against the text that was
//! spoken, after the normalisation that makes Chinese comparable.
//!
//! Whisper writes numbers either way ("135比85" with greedy decoding,
//! "一百三十五比八十五" with beam search) while the reference spells them
//! out, so both sides are brought to Arabic digits before comparing:
//! quantities by their value (一百三十五 → 135, colloquial 一百四 → 140) and
//! digit strings digit by digit (五零二 → 502, 幺 → 1). Punctuation, spaces
//! and letter case are ignored and traditional characters are simplified.

use super::cleanup::to_simplified;

/// Edits needed to turn a hypothesis into its reference, and the reference
/// length, both in normalised characters. Add counts to pool several clips.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorCount {
    /// Substitutions, insertions and deletions.
    pub edits: usize,
    /// Characters in the normalised reference.
    pub reference_chars: usize,
}

impl ErrorCount {
    /// Compares a hypothesis with its reference.
    pub fn of(reference: &str, hypothesis: &str) -> ErrorCount {
        let reference = normalise(reference);
        let hypothesis = normalise(hypothesis);
        ErrorCount {
            edits: edit_distance(&reference, &hypothesis),
            reference_chars: reference.len(),
        }
    }

    /// Edits per reference character (1.0 for an empty reference with edits).
    pub fn rate(&self) -> f64 {
        if self.reference_chars == 0 {
            return if self.edits == 0 { 0.0 } else { 1.0 };
        }
        self.edits as f64 / self.reference_chars as f64
    }
}

impl std::ops::Add for ErrorCount {
    type Output = ErrorCount;

    fn add(self, other: ErrorCount) -> ErrorCount {
        ErrorCount {
            edits: self.edits + other.edits,
            reference_chars: self.reference_chars + other.reference_chars,
        }
    }
}

/// Character error rate of `hypothesis` against `reference`.
pub fn character_error_rate(reference: &str, hypothesis: &str) -> f64 {
    ErrorCount::of(reference, hypothesis).rate()
}

/// The characters that are compared: simplified, lower case, no punctuation
/// or spaces, numbers in Arabic digits.
pub fn normalise(text: &str) -> Vec<char> {
    let simplified = to_simplified(text);
    let mut out = Vec::with_capacity(simplified.len());
    let mut run = String::new();
    for c in simplified.chars() {
        let c = fullwidth_to_ascii(c);
        if is_chinese_numeral(c) {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            out.extend(numeral_to_digits(&run).chars());
            run.clear();
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    if !run.is_empty() {
        out.extend(numeral_to_digits(&run).chars());
    }
    out
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

fn is_chinese_numeral(c: char) -> bool {
    digit_value(c).is_some() || unit_value(c).is_some()
}

fn digit_value(c: char) -> Option<u64> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn unit_value(c: char) -> Option<u64> {
    Some(match c {
        '十' => 10,
        '百' => 100,
        '千' => 1000,
        '万' => 10_000,
        _ => return None,
    })
}

/// A run of Chinese numerals as Arabic digits: a quantity when it has units
/// (十百千万), otherwise digit by digit. A run that does not parse as a
/// quantity is left as written.
pub fn numeral_to_digits(run: &str) -> String {
    let chars: Vec<char> = run.chars().collect();
    if !chars.iter().any(|c| unit_value(*c).is_some()) {
        return chars
            .iter()
            .filter_map(|c| digit_value(*c))
            .map(|d| char::from(b'0' + d as u8))
            .collect();
    }
    match quantity(&chars) {
        Some(value) => value.to_string(),
        None => run.to_string(),
    }
}

/// Parses 三百七十五, 十二, 一百零五, 两万三千 and the colloquial 一百四
/// (140) and 一千二 (1200).
fn quantity(chars: &[char]) -> Option<u64> {
    let mut total = 0u64;
    let mut section = 0u64;
    let mut digit: Option<u64> = None;
    let mut last_unit: Option<u64> = None;
    for &c in chars {
        if let Some(d) = digit_value(c) {
            if digit.is_some() {
                return None;
            }
            if d == 0 {
                last_unit = None;
            } else {
                digit = Some(d);
            }
        } else if let Some(unit) = unit_value(c) {
            if unit == 10_000 {
                total += (section + digit.unwrap_or(0)) * unit;
                section = 0;
            } else {
                if last_unit.is_some_and(|u| u <= unit) {
                    return None;
                }
                section += digit.unwrap_or(1) * unit;
            }
            digit = None;
            last_unit = Some(unit);
        }
    }
    let tail = match (digit, last_unit) {
        (Some(d), Some(unit @ (100 | 1000))) => d * unit / 10,
        (Some(d), _) => d,
        (None, _) => 0,
    };
    Some(total + section + tail)
}

/// Levenshtein distance between two character sequences.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_become_digits() {
        let cases = [
            ("一百三十五", "135"),
            ("八十五", "85"),
            ("一百四", "140"),
            ("一千二", "1200"),
            ("一百零五", "105"),
            ("十二", "12"),
            ("二十一", "21"),
            ("三百七十五", "375"),
            ("两万三千", "23000"),
            ("五零二", "502"),
            ("幺三九", "139"),
            ("十", "10"),
            ("十十", "十十"),
        ];
        for (run, expected) in cases {
            assert_eq!(numeral_to_digits(run), expected, "run: {run}");
        }
    }

    #[test]
    fn normalisation_makes_both_spellings_equal() {
        let cases = [
            ("血压一百三十五比八十五，", "血压135比85"),
            ("血壓 135/85。", "血压13585"),
            ("彭浦新村三号楼五零二室", "彭浦新村3号楼502室"),
            ("电话一三九一二三四五六七八", "电话13912345678"),
            ("ＡＢ１２", "ab12"),
        ];
        for (text, expected) in cases {
            assert_eq!(
                normalise(text).iter().collect::<String>(),
                expected,
                "text: {text}"
            );
        }
    }

    #[test]
    fn error_rates() {
        let cases = [
            ("今天走访王阿姨", "今天走访王阿姨。", 0.0),
            ("今天走访王阿姨", "今天走访黄阿姨", 1.0 / 7.0),
            ("今天走访王阿姨", "今天走访", 3.0 / 7.0),
            ("高压一百四低压九十", "高压140，低压90", 0.0),
            ("", "", 0.0),
            ("", "多余", 1.0),
        ];
        for (reference, hypothesis, expected) in cases {
            let rate = character_error_rate(reference, hypothesis);
            assert!(
                (rate - expected).abs() < 1e-9,
                "{reference} / {hypothesis}: {rate}"
            );
        }
        let pooled = ErrorCount::of("一二三四", "一二三") + ErrorCount::of("五六", "五六");
        assert_eq!(pooled.edits, 1);
        assert_eq!(pooled.reference_chars, 6);
    }
}
