//! Free-text and yes/no fields: the transcript is cut into statements, and
//! each statement goes to the field whose cue opens it (她反映…, 已联系…,
//! 下次再去…). Statements without a cue continue the one before.
//!
//! Conventions for values, so that records read alike whoever dictates:
//! a cue that only announces what follows (反映, 提出, 议题, 地点, a label
//! ending in 人 or 员) is left out of the value; a cue that is part of the
//! content (希望, 已, 帮助, 身体) stays in. The speaker or subject before a
//! cue (她, 我们, 社区) is left out, and pauses inside a value become `，`.

use super::text::{clauses, is_pause, starts_with};
use crate::ledger::{FieldType, RecordType};

/// A value for a text field, or a yes/no decision.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    /// Index of the field in the record type.
    pub field: usize,
    /// The text (for yes/no fields, `是` or `否`).
    pub text: String,
    /// Cleaned char spans the value was taken from.
    pub spans: Vec<(usize, usize)>,
}

/// Cues that announce the value rather than belong to it.
const LABELS: &[&str] = &[
    "反映",
    "提出",
    "表示",
    "诉求",
    "提到",
    "抱怨",
    "说",
    "讲",
    "议题",
    "主题",
    "内容",
    "主要内容",
    "主要",
    "结果",
    "处理结果",
    "地点",
    "对象",
    "参加对象",
    "起因",
    "概况",
    "讨论",
    "咨询",
    "想了解",
    "问",
    "因为",
    "开展了",
    "举办了",
    "在",
    "双方",
];

/// Words after a label that are not part of the value (议题是…, 地点在…).
const AFTER_LABEL: &[&str] = &[
    "的是",
    "主要是",
    "是",
    "为",
    "：",
    ":",
    "了",
    "一下",
    "说",
    "在",
    "有",
];

/// Speakers and subjects that may open a statement before its cue.
const SUBJECTS: &[&str] = &[
    "老人家",
    "老人",
    "我们",
    "居委会",
    "社区",
    "社工",
    "双方",
    "她",
    "他",
    "我",
    "目前",
    "现在",
];

/// Linking words that may open a statement before its cue.
const CONNECTIVES: &[&str] = &[
    "然后", "另外", "还有", "同时", "并且", "而且", "但是", "不过", "所以", "就是", "并", "也",
    "还", "就", "又",
];

/// Cues after which a statement is a wish, which may mention actions
/// without being one (希望社区帮她联系物业).
const WISHES: &[&str] = &["希望", "要求", "想要", "请求", "盼望", "担心"];

/// Words that must follow a bare 需要 or 要 for it to mean "follow-up
/// needed" rather than just "needs" (她需要人照顾).
const FOLLOW_UP_WORDS: &[&str] = &[
    "跟进", "回访", "再去", "再来", "继续", "持续", "关注", "定期", "上门", "走访", "跟踪", "再",
];

/// Words just before a yes/no cue that turn it into a no.
const NEGATIONS: &[&str] = &[
    "不需要",
    "不用",
    "无需",
    "不必",
    "没有",
    "没",
    "不",
    "无",
    "未",
];

#[derive(Debug, Clone)]
struct Cue {
    word: Vec<char>,
    field: usize,
    kind: FieldType,
    label: bool,
}

/// Which statements the transcript holds for the record type's text and
/// yes/no fields. `taken` marks chars already used by other values
/// (dates, addresses, names); they split statements and are never text.
pub(crate) fn statements(
    chars: &[char],
    taken: &[bool],
    record_type: &RecordType,
) -> Vec<Statement> {
    let cues = cue_table(record_type);
    let mut pieces = Vec::new();
    for (start, end) in clauses(chars) {
        let touched = (start..end).any(|i| taken[i]);
        let mut piece_start = start;
        for i in (start..end).filter(|i| taken[*i]).chain([end]) {
            if i > piece_start {
                pieces.push((piece_start, i, touched));
            }
            piece_start = i + 1;
        }
    }

    let mut out: Vec<Statement> = Vec::new();
    let mut previous: Option<usize> = None;
    for (start, end, touched) in pieces {
        for (a, b) in split_statements(chars, start, end, &cues) {
            let a = strip_openers(chars, a, b, &cues);
            if a >= b {
                continue;
            }
            match classify(chars, a, b, &cues) {
                Some(Class::Field(cue, _)) if cue.kind == FieldType::YesNo => {
                    let yes = !negated(chars, a, b, cue_position(chars, a, b, cue));
                    push(
                        &mut out,
                        cue.field,
                        if yes { "是" } else { "否" },
                        (a, b),
                        true,
                    );
                    previous = None;
                }
                Some(Class::Field(cue, value_start)) => {
                    push(
                        &mut out,
                        cue.field,
                        &value_text(chars, value_start, b),
                        (value_start, b),
                        false,
                    );
                    previous = Some(cue.field);
                }
                Some(Class::Other) => previous = None,
                None if !touched => {
                    if let Some(field) = previous {
                        push(&mut out, field, &value_text(chars, a, b), (a, b), false);
                    }
                }
                None => previous = None,
            }
        }
    }
    out
}

/// Adds a value to its field's statement: text is appended, a yes/no
/// decision keeps the last one said.
fn push(out: &mut Vec<Statement>, field: usize, text: &str, span: (usize, usize), replace: bool) {
    if text.is_empty() {
        return;
    }
    match out.iter_mut().find(|s| s.field == field) {
        Some(existing) if replace => {
            existing.text = text.to_string();
            existing.spans = vec![span];
        }
        Some(existing) => {
            existing.text.push('，');
            existing.text.push_str(text);
            existing.spans.push(span);
        }
        None => out.push(Statement {
            field,
            text: text.to_string(),
            spans: vec![span],
        }),
    }
}

fn cue_table(record_type: &RecordType) -> Vec<Cue> {
    let mut cues: Vec<Cue> = record_type
        .fields
        .iter()
        .enumerate()
        .flat_map(|(field, spec)| {
            spec.cues.iter().map(move |word| Cue {
                word: word.chars().collect(),
                field,
                kind: spec.kind,
                label: LABELS.contains(&word.as_str())
                    || word.ends_with('人')
                    || word.ends_with('员'),
            })
        })
        .collect();
    cues.sort_by_key(|c| std::cmp::Reverse(c.word.len()));
    cues
}

/// Whether a cue of a yes/no field at `i` really means it: a bare 需要
/// must be followed by a follow-up word.
fn cue_holds(chars: &[char], i: usize, cue: &Cue) -> bool {
    let word: String = cue.word.iter().collect();
    if cue.kind != FieldType::YesNo || !matches!(word.as_str(), "需要" | "要" | "有") {
        return true;
    }
    let after = i + cue.word.len();
    (after..(after + 4).min(chars.len()))
        .any(|j| FOLLOW_UP_WORDS.iter().any(|w| starts_with(chars, j, w)))
}

/// The longest text or yes/no cue at `i` that holds there.
fn cue_at<'c>(chars: &[char], i: usize, cues: &'c [Cue]) -> Option<&'c Cue> {
    cues.iter().find(|c| {
        matches!(c.kind, FieldType::Text | FieldType::YesNo)
            && chars[i..].starts_with(&c.word)
            && cue_holds(chars, i, c)
    })
}

/// Whether the cue of a number field (电话, 血压, 身份证, 年龄) opens the
/// statement at `i`, which then is about that number, not text. Cues of
/// dates, times and names (晚上, 阿姨) are ordinary words in a statement.
fn other_cue_at(chars: &[char], i: usize, cues: &[Cue]) -> bool {
    cues.iter().any(|c| {
        matches!(
            c.kind,
            FieldType::Integer | FieldType::Decimal | FieldType::Phone | FieldType::IdNumber
        ) && c.word.len() >= 2
            && chars[i..].starts_with(&c.word)
    })
}

/// Where the cue `cue` sits in `a..b` (for the negation check).
fn cue_position(chars: &[char], a: usize, b: usize, cue: &Cue) -> usize {
    (a..b)
        .find(|&i| chars[i..].starts_with(&cue.word))
        .unwrap_or(a)
}

/// Skips subjects and linking words that open a statement (她, 我们, 然后).
fn strip_openers(chars: &[char], mut a: usize, b: usize, cues: &[Cue]) -> usize {
    loop {
        while a < b && is_pause(chars[a]) {
            a += 1;
        }
        if a < b && cue_at(chars, a, cues).is_some_and(|c| c.word.len() >= 2) {
            break;
        }
        let opener = SUBJECTS
            .iter()
            .chain(CONNECTIVES)
            .find(|w| starts_with(chars, a, w) && a + w.chars().count() < b);
        match opener {
            Some(w) => a += w.chars().count(),
            None => break,
        }
    }
    a
}

/// What decides where a statement goes.
enum Class<'c> {
    /// A text or yes/no field, with where its value starts.
    Field(&'c Cue, usize),
    /// Another kind of field's cue opens it: not text.
    Other,
}

/// The cue that decides which field `a..b` belongs to, and where the value
/// starts: after a label, or at a content cue. A cue at the start wins;
/// otherwise the first cue of two or more characters (or 已) inside.
fn classify<'c>(chars: &[char], a: usize, b: usize, cues: &'c [Cue]) -> Option<Class<'c>> {
    if let Some(cue) = cue_at(chars, a, cues) {
        let after = a + cue.word.len();
        if !cue.label {
            return Some(Class::Field(cue, a));
        }
        if after < b {
            return Some(Class::Field(cue, skip_after_label(chars, after, b)));
        }
    }
    if other_cue_at(chars, a, cues) {
        return Some(Class::Other);
    }
    (a + 1..b).find_map(|i| {
        cue_at(chars, i, cues)
            .filter(|c| c.word.len() >= 2 || c.word == ['已'])
            .map(|c| Class::Field(c, a))
    })
}

fn skip_after_label(chars: &[char], mut i: usize, b: usize) -> usize {
    for _ in 0..2 {
        while i < b && is_pause(chars[i]) {
            i += 1;
        }
        match AFTER_LABEL
            .iter()
            .find(|w| starts_with(chars, i, w) && i + w.chars().count() < b)
        {
            Some(w) => i += w.chars().count(),
            None => break,
        }
    }
    i
}

/// Cuts an unpunctuated run of speech into statements: before a subject
/// followed by a cue (…坏了她希望…), before 已 (…坏了已联系物业), before a
/// label such as 反映, and before a yes/no cue (…下次再去). Inside a wish,
/// only 已 and yes/no cues cut, since a wish may name actions.
fn split_statements(chars: &[char], start: usize, end: usize, cues: &[Cue]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut a = start;
    let opened = strip_openers(chars, start, end, cues);
    let mut wish = WISHES.iter().any(|w| starts_with(chars, opened, w));
    let mut current = cue_at(chars, opened, cues).map(|c| c.field);
    let mut i = opened + 1;
    while i < end {
        let Some(cue) = cue_at(chars, i, cues) else {
            i += 1;
            continue;
        };
        let Some(field) = current else {
            // The first cue inside decides the statement's field.
            if cue.word.len() >= 2 || cue.word == ['已'] {
                current = Some(cue.field);
                wish = WISHES.iter().any(|w| starts_with(chars, i, w));
            }
            i += cue.word.len();
            continue;
        };
        let subject = SUBJECTS.iter().map(|s| s.chars().count()).find(|&len| {
            i >= a + len
                && SUBJECTS
                    .iter()
                    .any(|s| chars[i - len..i].iter().copied().eq(s.chars()))
        });
        let strong = cue.word[0] == '已'
            || cue.kind == FieldType::YesNo
            || (cue.label && cue.word.len() >= 2);
        let at = subject.map_or(i, |len| i - len);
        if field != cue.field && (strong || (subject.is_some() && !wish)) && at >= a + 2 {
            out.push((a, at));
            a = at;
            current = Some(cue.field);
            wish = WISHES.iter().any(|w| starts_with(chars, i, w));
        }
        i += cue.word.len();
    }
    out.push((a, end));
    out
}

/// Whether a negation comes near the cue at `cue_at` (不需要, 下次不用去,
/// 没有签协议), within the statement `a..b`.
fn negated(chars: &[char], a: usize, b: usize, cue_at: usize) -> bool {
    let from = cue_at.saturating_sub(3).max(a);
    let to = (cue_at + 5).min(b);
    let near: String = chars[from..to].iter().collect();
    NEGATIONS.iter().any(|n| near.contains(n))
}

/// The value text of `a..b`: pauses become `，`, spaces between Chinese
/// characters go, and pauses at either end are dropped.
fn value_text(chars: &[char], a: usize, b: usize) -> String {
    let mut out = String::new();
    let mut pending_pause = false;
    for &c in &chars[a..b] {
        if is_pause(c) {
            pending_pause = !out.is_empty();
            continue;
        }
        if pending_pause {
            out.push('，');
            pending_pause = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Catalog;

    fn check(input: &str, expected: &str) {
        let catalog = Catalog::builtin();
        let rt = catalog.record_type("home-visit").unwrap();
        let chars: Vec<char> = input.chars().collect();
        let taken = vec![false; chars.len()];
        let rendered: Vec<String> = statements(&chars, &taken, rt)
            .iter()
            .map(|s| format!("{}={}", rt.fields[s.field].key, s.text))
            .collect();
        assert_eq!(rendered.join(" | "), expected, "input: {input}");
    }

    #[test]
    fn punctuated_statements() {
        check(
            "她反映楼道灯坏了，晚上看不见。已联系物业。下次再去看看",
            "concerns=楼道灯坏了，晚上看不见 | actions=已联系物业 | follow_up=是",
        );
        check("身体还可以，腿脚不太好", "health=身体还可以，腿脚不太好");
    }

    #[test]
    fn unpunctuated_statements() {
        check(
            "她反映楼道灯坏了已联系物业下次再去看看",
            "concerns=楼道灯坏了 | actions=已联系物业 | follow_up=是",
        );
        check(
            "她希望社区帮她联系物业我们已经帮她登记了",
            "concerns=希望社区帮她联系物业 | actions=已经帮她登记了",
        );
    }

    #[test]
    fn yes_no_needs_a_clear_cue() {
        check("问题已解决，不需要跟进", "result=问题已解决 | follow_up=否");
        check("她需要人照顾", "");
    }
}
