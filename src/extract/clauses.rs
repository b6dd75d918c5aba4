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
#[rustfmt::skip]
const LABELS: &[&str] = &[
    "反映", "提出", "表示", "诉求", "提到", "抱怨", "说", "讲", "议题", "主题", "内容", "主要内容",
    "主要", "结果", "处理结果", "地点", "对象", "参加对象", "起因", "概况", "讨论", "咨询", "想了解",
    "问", "因为", "开展了", "举办了", "在", "双方",
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
#[rustfmt::skip]
const SUBJECTS: &[&str] = &[
    "老太太", "老先生", "老人家", "老人", "老伯", "阿姨", "大爷", "奶奶", "爷爷", "阿婆", "老太",
    "大妈", "叔叔", "我们", "居委会", "社区", "社工", "双方", "她", "他", "我",
];

/// People who may be quoted (儿子说, 保姆反映): dropped only before 说 or
/// a label, since elsewhere they are what the statement is about
/// (儿子失业了).
const SPEAKERS: &[&str] = &[
    "儿子", "女儿", "家属", "保姆", "邻居", "老伴", "护工", "子女", "侄子", "侄女", "孙子", "孙女",
];

/// Subjects that are pronouns and never part of a value.
const PRONOUNS: &[&str] = &["她", "他", "我", "我们"];

/// Subjects that are the staff themselves: what follows 我们说 is not
/// reported speech of the resident.
const STAFF: &[&str] = &["我们", "居委会", "社区", "社工", "我"];

/// Nouns that open a statement before 已 (问题已解决, 事情已办好).
const TOPICS: &[&str] = &["问题", "事情", "情况", "此事", "这事"];

/// Openings of a statement that there is nothing to report (没有什么需求).
const NOTHING_OPENERS: &[&str] = &["暂时没有", "没什么", "没有", "暂无", "没", "无"];

/// What there may be nothing of.
const NOTHING_OF: &[&str] = &["需求", "问题", "诉求", "要求", "困难", "事", "意见"];

/// Linking words that may open a statement before its cue.
#[rustfmt::skip]
const CONNECTIVES: &[&str] = &[
    "然后", "另外", "还有", "同时", "而且", "但是", "不过", "所以", "就是", "也", "还", "就", "又",
    "说",
];

/// Cues after which a statement is a wish, which may mention actions
/// without being one (希望社区帮她联系物业).
const WISHES: &[&str] = &["希望", "要求", "想要", "请求", "盼望", "担心"];

/// Words that must follow a bare 需要 or 要 for it to mean "follow-up
/// needed" rather than just "needs" (她需要人照顾).
#[rustfmt::skip]
const FOLLOW_UP_WORDS: &[&str] = &[
    "跟进", "回访", "再去", "再来", "再上门", "继续", "持续", "关注", "定期", "上门", "走访", "跟踪",
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
            let (a, reported) = strip_openers(chars, a, b, &cues);
            if a >= b {
                continue;
            }
            if nothing_to_report(chars, a, b) {
                previous = None;
                continue;
            }
            match classify(chars, a, b, &cues, reported) {
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
                Some(Class::Label(cue)) => previous = Some(cue.field),
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

/// Whether a cue at `i` really means it: a bare 需要 must be followed by
/// a follow-up word, and a label followed by 给 or 的 announces nothing
/// (反映给物业, 上次反映的问题).
fn cue_holds(chars: &[char], i: usize, cue: &Cue) -> bool {
    let word: String = cue.word.iter().collect();
    if cue.label && matches!(chars.get(i + cue.word.len()), Some('给' | '的')) {
        return false;
    }
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

/// Skips subjects and linking words that open a statement (她, 我们, 然后),
/// and tells whether the statement is reported speech of someone other
/// than the staff (她说…, 阿姨说…).
fn strip_openers(chars: &[char], mut a: usize, b: usize, cues: &[Cue]) -> (usize, bool) {
    let mut reported = false;
    let mut last_subject: Option<&str> = None;
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
            .chain(SPEAKERS)
            .find(|w| {
                let end = a + w.chars().count();
                starts_with(chars, a, w) && end < b && strippable(chars, w, end, last_subject, cues)
            });
        let Some(word) = opener else { break };
        if *word == "说" {
            reported = last_subject.is_none_or(|s| !STAFF.contains(&s));
        } else if SUBJECTS.contains(word) || SPEAKERS.contains(word) {
            last_subject = Some(word);
        }
        a += word.chars().count();
    }
    (a, reported)
}

/// Whether an opener may be dropped: 说 only after a subject (她说, not
/// 说话), and one-character adverbs (还, 也, 就) only before a cue or a
/// subject, since elsewhere they carry meaning (还在当楼组长).
fn strippable(chars: &[char], word: &str, end: usize, subject: Option<&str>, cues: &[Cue]) -> bool {
    if word == "说" {
        return subject.is_some();
    }
    if SPEAKERS.contains(&word) {
        return starts_with(chars, end, "说") || cue_at(chars, end, cues).is_some_and(|c| c.label);
    }
    if SUBJECTS.contains(&word) {
        // 我和小陈 names people and 奶奶的女儿 someone else: the subject
        // is part of what follows.
        if matches!(chars.get(end), Some('和' | '与' | '跟' | '、' | '的')) {
            return false;
        }
        // A pronoun always goes; a noun (老人, 社区) only before a cue or
        // 说, since in 老人过马路来不及 it is what the statement is about.
        return PRONOUNS.contains(&word)
            || starts_with(chars, end, "说")
            || cue_at(chars, end, cues).is_some()
            || SUBJECTS.iter().chain(CONNECTIVES).any(|s| starts_with(chars, end, s));
    }
    if word.chars().count() > 1 {
        return true;
    }
    cue_at(chars, end, cues).is_some() || SUBJECTS.iter().any(|s| starts_with(chars, end, s))
}

/// Whether `a..b` only says there is nothing to report (没有什么需求,
/// 无其他诉求): such a statement fills no field.
fn nothing_to_report(chars: &[char], a: usize, b: usize) -> bool {
    let text: String = chars[a..b].iter().collect();
    b - a <= 10
        && NOTHING_OPENERS.iter().any(|o| text.starts_with(o))
        && NOTHING_OF.iter().any(|w| text.contains(w))
}

/// What decides where a statement goes.
enum Class<'c> {
    /// A text or yes/no field, with where its value starts.
    Field(&'c Cue, usize),
    /// A label said on its own (走访人：…): the next statement is its value.
    Label(&'c Cue),
    /// Another kind of field's cue opens it: not text.
    Other,
}

/// The cue that decides which field `a..b` belongs to, and where the value
/// starts: after a label, or at a content cue. A cue at the start wins;
/// otherwise the first cue of two or more characters (or 已) inside.
///
/// In reported speech (她说已经找到工作了) 已 is the resident's news, not
/// something the staff did, so it decides nothing.
fn classify<'c>(
    chars: &[char],
    a: usize,
    b: usize,
    cues: &'c [Cue],
    reported: bool,
) -> Option<Class<'c>> {
    let usable = |c: &&Cue| !(reported && c.word[0] == '已');
    if let Some(cue) = cue_at(chars, a, cues).filter(usable) {
        let after = a + cue.word.len();
        if !cue.label {
            return Some(Class::Field(cue, a));
        }
        if after < b {
            return Some(Class::Field(cue, skip_after_label(chars, after, b)));
        }
        if cue.kind == FieldType::Text {
            return Some(Class::Label(cue));
        }
    }
    if other_cue_at(chars, a, cues) {
        return Some(Class::Other);
    }
    // A cue inside: what comes before a label or a wish is who said it
    // (女儿反映…, 女儿希望…); before other cues it is part of the statement
    // (问题已解决, 物业已经答应…).
    (a + 1..b).find_map(|i| {
        let cue = cue_at(chars, i, cues)
            .filter(usable)
            .filter(|c| inside_ok(c))?;
        let after = i + cue.word.len();
        let start = if cue.label && after < b {
            skip_after_label(chars, after, b)
        } else if WISHES.iter().any(|w| starts_with(chars, i, w)) {
            i
        } else {
            a
        };
        Some(Class::Field(cue, start))
    })
}

/// Whether a cue counts when it is not at the start of a statement:
/// one-character function words (在, 和, 问) do not.
fn inside_ok(cue: &Cue) -> bool {
    cue.word.len() >= 2 || !NOT_INSIDE.contains(cue.word[0])
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
    let (opened, _) = strip_openers(chars, start, end, cues);
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
            if inside_ok(cue) {
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
        let mut at = subject.map_or(i, |len| i - len);
        // 问题已解决 and 不需要跟进 keep their opening words.
        if cue.word[0] == '已' {
            at -= ends_with_any(chars, a, at, TOPICS);
        }
        if cue.kind == FieldType::YesNo {
            at -= ends_with_any(chars, a, at, NEGATIONS);
        }
        // A label that ends the run, or that follows 向/给/对 (已向城管反映,
        // 向物业提出建议), reports where something went, not a new statement.
        let directed = cue.label
            && (i + cue.word.len() >= end || chars[a..i].iter().any(|c| "向给对跟".contains(*c)));
        if field != cue.field
            && !directed
            && (strong || (subject.is_some() && !wish))
            && at >= a + 2
        {
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

/// One-character cues that are too common to decide a statement from the
/// middle of it.
const NOT_INSIDE: &str = "在和问说讲是有号日点室弄岁";

/// Length of the word of `words` that `chars[a..at]` ends with, or 0.
fn ends_with_any(chars: &[char], a: usize, at: usize, words: &[&str]) -> usize {
    words
        .iter()
        .map(|w| w.chars().count())
        .find(|&len| {
            at >= a + len
                && words
                    .iter()
                    .any(|w| chars[at - len..at].iter().copied().eq(w.chars()))
        })
        .unwrap_or(0)
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
