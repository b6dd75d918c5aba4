//! Transcript clean-up that keeps every character traceable to the
//! original: traditional to simplified characters, full-width to ASCII,
//! filler words dropped, and clause boundaries.

/// The transcript as the extractors read it.
///
/// Every cleaning step replaces one character by one character or drops
/// characters, so each cleaned character still knows where it came from and
/// every value can point at the words it was taken from.
#[derive(Debug, Clone)]
pub(crate) struct Cleaned {
    /// Cleaned characters.
    pub chars: Vec<char>,
    /// For each cleaned character, its char index in the transcript.
    origin: Vec<usize>,
    /// The transcript's characters.
    original: Vec<char>,
}

/// Filler words dropped wherever they occur.
const FILLERS_ANYWHERE: &[&str] = &[
    "嗯",
    "呃",
    "就是说",
    "就是",
    "然后呢",
    "那个那个",
    "这个这个",
];

/// Filler words dropped only before a pause (punctuation, space, end) or at
/// the start of a clause, since elsewhere they may carry meaning
/// (那个楼道, 啊 in a name is unlikely but 这个月 is common).
const FILLERS_AT_PAUSE: &[&str] = &[
    "那个", "这个", "啊", "额", "哦", "呀", "吧", "呢", "嘛", "哈",
];

impl Cleaned {
    /// Cleans `transcript`.
    pub fn new(transcript: &str) -> Cleaned {
        let original: Vec<char> = transcript.chars().collect();
        let simplified: Vec<char> = fast2s::convert(transcript).chars().collect();
        // The converter maps char to char; fall back to the original text if
        // that ever stops being true rather than losing offsets.
        let simplified = if simplified.len() == original.len() {
            simplified
        } else {
            original.clone()
        };
        let widened: Vec<char> = simplified
            .into_iter()
            .map(narrow)
            .map(standard_form)
            .collect();

        let mut chars = Vec::with_capacity(widened.len());
        let mut origin = Vec::with_capacity(widened.len());
        let mut i = 0;
        while i < widened.len() {
            let at_start = chars.last().is_none_or(|c| is_pause(*c));
            if let Some(len) = filler_at(&widened, i, at_start) {
                i += len;
                continue;
            }
            chars.push(widened[i]);
            origin.push(i);
            i += 1;
        }
        Cleaned {
            chars,
            origin,
            original,
        }
    }

    /// Number of cleaned characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// The cleaned text of `start..end`.
    pub fn text(&self, start: usize, end: usize) -> String {
        self.chars[start.min(self.len())..end.min(self.len())]
            .iter()
            .collect()
    }

    /// The transcript char range that cleaned `start..end` came from.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        if start >= end || start >= self.len() {
            let at = self
                .origin
                .get(start)
                .copied()
                .unwrap_or(self.original.len());
            return (at, at);
        }
        let end = end.min(self.len());
        (self.origin[start], self.origin[end - 1] + 1)
    }

    /// The transcript text that cleaned `start..end` came from.
    pub fn original_text(&self, start: usize, end: usize) -> String {
        let (a, b) = self.original_range(start, end);
        self.original[a..b].iter().collect()
    }

    /// Replaces cleaned `start..start + with.len()` by `with` (same length),
    /// used to apply recognition corrections without moving offsets.
    pub fn replace(&mut self, start: usize, with: &[char]) {
        let end = (start + with.len()).min(self.len());
        self.chars[start..end].copy_from_slice(&with[..end - start]);
    }
}

/// Characters the converter leaves in a form that is not the standard
/// simplified one (諮詢 becomes 谘询, but 咨询 is what is written).
fn standard_form(c: char) -> char {
    match c {
        '谘' => '咨',
        other => other,
    }
}

/// Full-width ASCII and the ideographic space to their narrow forms.
fn narrow(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' if !matches!(c, '，' | '：' | '；' | '！' | '？' | '（' | '）') => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        '\u{3000}' | '\t' | '\n' | '\r' => ' ',
        '—' | '－' => '-',
        _ => c,
    }
}

/// Length of a filler word at `i`, if one starts there.
fn filler_at(chars: &[char], i: usize, at_clause_start: bool) -> Option<usize> {
    for filler in FILLERS_ANYWHERE {
        if starts_with(chars, i, filler) {
            return Some(filler.chars().count());
        }
    }
    for filler in FILLERS_AT_PAUSE {
        if !starts_with(chars, i, filler) {
            continue;
        }
        let len = filler.chars().count();
        let before_pause = chars.get(i + len).is_none_or(|c| is_pause(*c));
        // Sentence-final particles (吧, 呢) only go before a pause; 那个 and
        // 这个 also go at the start of a clause when another word follows.
        let leading_ok = at_clause_start && matches!(*filler, "那个" | "啊" | "额" | "哦");
        if before_pause || leading_ok {
            return Some(len);
        }
    }
    None
}

/// Whether `chars[i..]` starts with `word`.
pub(crate) fn starts_with(chars: &[char], i: usize, word: &str) -> bool {
    word.chars()
        .enumerate()
        .all(|(k, w)| chars.get(i + k) == Some(&w))
}

/// Punctuation and spaces that end a clause.
pub(crate) fn is_pause(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '.' | '！' | '!' | '？' | '?' | '；' | ';' | '：' | ':' | ' ' | '…'
    )
}

/// Clause ranges of `chars`: split at pauses, except a `.` or `:` between
/// digits (3.5, 10:30) and spaces between digits (138 1234 5678).
pub(crate) fn clauses(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if !is_pause(c) || is_inside_number(chars, i) {
            continue;
        }
        if i > start {
            out.push((start, i));
        }
        start = i + 1;
    }
    if start < chars.len() {
        out.push((start, chars.len()));
    }
    out
}

/// Whether the pause at `i` sits between two digits and so belongs to a
/// number (10:30, 138 1234 5678, 3.5).
fn is_inside_number(chars: &[char], i: usize) -> bool {
    let digit = |j: Option<usize>| {
        j.and_then(|j| chars.get(j))
            .is_some_and(|c| c.is_ascii_digit())
    };
    matches!(chars[i], '.' | ':' | ' ' | ',') && digit(i.checked_sub(1)) && digit(Some(i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let cleaned = Cleaned::new(input);
        assert_eq!(cleaned.text(0, cleaned.len()), expected, "input: {input}");
    }

    #[test]
    fn traditional_and_full_width() {
        check("王秀英阿姨，電話１３８", "王秀英阿姨，电话138");
        check("彭浦新村３號樓", "彭浦新村3号楼");
        check("諮詢醫保", "咨询医保");
    }

    #[test]
    fn fillers_are_dropped() {
        check("嗯，那个，她反映楼道灯坏了吧。", "，，她反映楼道灯坏了。");
        check("然后呢就是说她腿脚不好", "她腿脚不好");
        check("那个楼道灯坏了", "楼道灯坏了");
        check("这个月来了两次", "这个月来了两次");
    }

    #[test]
    fn offsets_point_at_the_original() {
        let cleaned = Cleaned::new("嗯王阿姨");
        assert_eq!(cleaned.text(0, 3), "王阿姨");
        assert_eq!(cleaned.original_range(0, 3), (1, 4));
        assert_eq!(cleaned.original_text(0, 1), "王");
    }

    #[test]
    fn clause_boundaries_keep_numbers_whole() {
        let chars: Vec<char> = "上午10:30到，电话138 1234 5678。好".chars().collect();
        let parts: Vec<String> = clauses(&chars)
            .iter()
            .map(|(a, b)| chars[*a..*b].iter().collect())
            .collect();
        assert_eq!(parts, ["上午10:30到", "电话138 1234 5678", "好"]);
    }
}
