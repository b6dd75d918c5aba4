//! Free-text and yes/no fields: the transcript is cut into statements, and
//! each statement goes to the field whose cue opens it (她反映…, 已联系…,
//! 下次再去…). Statements without a cue continue the one before.
//!
//! Conventions for values, so that records read alike whoever dictates:
//! a cue that only announces what follows (反映, 提出, 议题, 地点, a label
//! ending in 人 or 员) is left out of the value; a cue that is part of the
//! content (希望, 已, 帮助, 身体) stays in. A pronoun or speaker before a
//! cue (她, 我们, 阿姨说) is left out, and pauses inside a value become `，`.

use super::cues::{
    AFTER_LABEL, CONCLUSIONS, CONNECTIVES, Cue, Cues, EVENT_LABELS, NEGATIONS, NOTHING_OF,
    NOTHING_OPENERS, NOUN_LABELS, PLACE_ENDS, PLACE_LABELS, PRONOUNS, SPEAKERS, STAFF,
    STATEMENT_LABELS, SUBJECTS, TIMES_OF_DAY, TOPICS, WISHES, counts_inside, ends_with_any, holds,
};
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

/// A stretch of one clause between values already taken.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    /// Whether its clause holds a taken value (a date, an address).
    touched: bool,
}

/// What the statement before allows the next one to do.
#[derive(Debug, Clone, Copy)]
struct Previous {
    field: usize,
    /// Whether a statement without a cue continues this one.
    continues: bool,
    /// Whether the field was introduced by a label for people (调解员):
    /// its value is the names right after it and nothing more.
    people: bool,
    /// A label said alone (当事人是…): where it ended, so a value read
    /// across a taken address (当事人是[地址]的张三) can still be found.
    label_end: Option<usize>,
}

/// What decides where a statement goes.
enum Class<'c> {
    /// A text or yes/no field, with where its value starts.
    Field(&'c Cue, usize),
    /// A label said on its own (走访人：…): the next statement is its value.
    Label(&'c Cue),
    /// Another kind of field's cue opens or closes it: not text.
    Other,
}

/// Which statements the transcript holds for the record type's text and
/// yes/no fields. `taken` marks chars already used by other values
/// (dates, addresses, names); they split statements and are never text.
pub(crate) fn statements(
    chars: &[char],
    taken: &[bool],
    record_type: &RecordType,
) -> Vec<Statement> {
    let cues = Cues::new(record_type);
    let mut out: Vec<Statement> = Vec::new();
    let mut previous: Option<Previous> = None;

    for piece in pieces(chars, taken) {
        for (a, b, fresh) in split_statements(chars, piece.start, piece.end, &cues) {
            let (a, reported) = strip_openers(chars, a, b, &cues);
            if a >= b || only_connective(chars, a, b) || nothing_to_report(chars, a, b) {
                previous = None;
                continue;
            }
            if let Some(p) = previous.filter(|p| across_taken_value(chars, taken, p, a)) {
                push(
                    &mut out,
                    p.field,
                    &value_text(chars, p.label_end.unwrap_or(a), b),
                    (a, b),
                );
                previous = Some(Previous {
                    label_end: None,
                    continues: !p.people,
                    ..p
                });
                continue;
            }
            previous = match classify(chars, a, b, &cues, reported) {
                Some(Class::Field(cue, _)) if cue.kind == FieldType::YesNo => None,
                Some(Class::Field(cue, value_start)) => {
                    push(
                        &mut out,
                        cue.field,
                        &value_text(chars, value_start, b),
                        (value_start, b),
                    );
                    // Names of people, places and events are not described
                    // further by what follows.
                    let named =
                        cue.names_people() || cue.is_any(PLACE_LABELS) || cue.is_any(EVENT_LABELS);
                    Some(Previous {
                        field: cue.field,
                        continues: !named,
                        people: cue.names_people(),
                        label_end: None,
                    })
                }
                Some(Class::Label(cue)) => Some(Previous {
                    field: cue.field,
                    continues: true,
                    people: cue.names_people(),
                    label_end: Some(b),
                }),
                Some(Class::Other) => None,
                None if !piece.touched && !fresh => {
                    if let Some(p) = previous.filter(|p| p.continues) {
                        push(&mut out, p.field, &value_text(chars, a, b), (a, b));
                    }
                    previous.map(|p| Previous {
                        label_end: None,
                        continues: p.continues && !p.people,
                        ..p
                    })
                }
                None => None,
            };
        }
    }
    out.extend(yes_no(chars, taken, &cues));
    out
}

/// The clauses of `chars` cut at taken values.
fn pieces(chars: &[char], taken: &[bool]) -> Vec<Piece> {
    let mut out = Vec::new();
    for (start, end) in clauses(chars) {
        let touched = (start..end).any(|i| taken[i]);
        let mut piece_start = start;
        for i in (start..end).filter(|i| taken[*i]).chain([end]) {
            if i > piece_start {
                out.push(Piece {
                    start: piece_start,
                    end: i,
                    touched,
                });
            }
            piece_start = i + 1;
        }
    }
    out
}

/// Whether the statement at `a` is the value of a label said just before
/// a taken value (当事人是彭浦新村7号楼的张三): only taken chars lie
/// between, and the statement goes on with 的.
fn across_taken_value(chars: &[char], taken: &[bool], previous: &Previous, a: usize) -> bool {
    let Some(label_end) = previous.label_end else {
        return false;
    };
    label_end < a && chars[a] == '的' && (label_end..a).all(|i| taken[i])
}

/// Adds text to its field's statement.
fn push(out: &mut Vec<Statement>, field: usize, text: &str, span: (usize, usize)) {
    if text.is_empty() {
        return;
    }
    match out.iter_mut().find(|s| s.field == field) {
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

/// Yes/no decisions, wherever their cues are said (达成调解协议 inside an
/// outcome, 不需要跟进 on its own); the last one said counts.
fn yes_no(chars: &[char], taken: &[bool], cues: &Cues) -> Vec<Statement> {
    let mut decisions: Vec<Statement> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let cue = cues
            .yes_no()
            .find(|c| chars[i..].starts_with(&c.word) && holds(chars, i, c));
        // 回访丁国庆: the cue names the visit itself, not a decision.
        let names_visit = |c: &Cue| {
            let after = i + c.word.len();
            let after = if chars.get(after) == Some(&'了') {
                after + 1
            } else {
                after
            };
            taken.get(after).copied().unwrap_or(false)
        };
        let Some(cue) = cue.filter(|c| !(i..i + c.word.len()).any(|j| taken[j]) && !names_visit(c))
        else {
            i += 1;
            continue;
        };
        let (start, end) = clause_around(chars, i);
        let yes = !negated(chars, start, end, i, cue.word.len());
        let decision = Statement {
            field: cue.field,
            text: if yes { "是" } else { "否" }.to_string(),
            spans: vec![(start, end)],
        };
        match decisions.iter_mut().find(|d| d.field == cue.field) {
            Some(existing) => *existing = decision,
            None => decisions.push(decision),
        }
        i += cue.word.len();
    }
    decisions
}

/// The clause containing `i`.
fn clause_around(chars: &[char], i: usize) -> (usize, usize) {
    let start = (0..i)
        .rev()
        .find(|&j| is_pause(chars[j]))
        .map_or(0, |j| j + 1);
    let end = (i..chars.len())
        .find(|&j| is_pause(chars[j]))
        .unwrap_or(chars.len());
    (start, end)
}

/// Whether a negation comes just before the cue at `at`, or right after it
/// (不需要跟进, 没有签书面协议, 下次不用去), within its clause.
fn negated(chars: &[char], start: usize, end: usize, at: usize, len: usize) -> bool {
    let before: String = chars[at.saturating_sub(6).max(start)..at].iter().collect();
    let after: String = chars[at + len..(at + len + 3).min(end)].iter().collect();
    NEGATIONS
        .iter()
        .any(|n| before.contains(n) || after.starts_with(n))
}

/// Skips subjects and linking words that open a statement (她, 我们, 然后),
/// and tells whether the statement is reported speech of someone other
/// than the staff (她说…, 阿姨说…).
fn strip_openers(chars: &[char], mut a: usize, b: usize, cues: &Cues) -> (usize, bool) {
    let mut reported = false;
    let mut last_subject: Option<&str> = None;
    loop {
        while a < b && is_pause(chars[a]) {
            a += 1;
        }
        if a < b && cues.at(chars, a).is_some_and(|c| c.word.len() >= 2) {
            break;
        }
        let opener = SUBJECTS
            .iter()
            .chain(CONNECTIVES)
            .chain(SPEAKERS)
            .chain(TIMES_OF_DAY)
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
/// 说话), a quoted speaker only before 说 or a label, a noun subject only
/// before a cue, and one-character adverbs (还, 也) only before a cue or a
/// subject, since elsewhere they carry meaning (还在当楼组长).
fn strippable(chars: &[char], word: &str, end: usize, subject: Option<&str>, cues: &Cues) -> bool {
    let cue_follows = cues.at(chars, end).is_some();
    if word == "说" {
        return subject.is_some();
    }
    if SPEAKERS.contains(&word) {
        return starts_with(chars, end, "说") || cues.at(chars, end).is_some_and(|c| c.label);
    }
    if SUBJECTS.contains(&word) {
        // 我和小陈 names people and 奶奶的女儿 someone else.
        if matches!(chars.get(end), Some('和' | '与' | '跟' | '、' | '的')) {
            return false;
        }
        return PRONOUNS.contains(&word)
            || starts_with(chars, end, "说")
            || cue_follows
            || SUBJECTS
                .iter()
                .chain(CONNECTIVES)
                .any(|s| starts_with(chars, end, s));
    }
    if TIMES_OF_DAY.contains(&word) {
        // 上午在社区活动室…: only before a label such as 在.
        return cues.at(chars, end).is_some_and(|c| c.label);
    }
    if word.chars().count() > 1 {
        return true;
    }
    cue_follows || SUBJECTS.iter().any(|s| starts_with(chars, end, s))
}

/// Whether `a..b` is nothing but a linking phrase (经调解).
fn only_connective(chars: &[char], a: usize, b: usize) -> bool {
    CONNECTIVES
        .iter()
        .any(|w| w.chars().count() >= 2 && chars[a..b].iter().copied().eq(w.chars()))
}

/// Whether `a..b` only says there is nothing to report (没有什么需求,
/// 无其他诉求): such a statement fills no field.
fn nothing_to_report(chars: &[char], a: usize, b: usize) -> bool {
    let text: String = chars[a..b].iter().collect();
    b - a <= 10
        && NOTHING_OPENERS.iter().any(|o| text.starts_with(o))
        && NOTHING_OF.iter().any(|w| text.contains(w))
}

/// The cue that decides which field `a..b` belongs to, and where the value
/// starts. A cue at the start wins; otherwise the first cue inside.
///
/// In reported speech (她说已经找到工作了) 已 is the resident's news, not
/// something the staff did, so it decides nothing.
fn classify<'c>(
    chars: &[char],
    a: usize,
    b: usize,
    cues: &'c Cues,
    reported: bool,
) -> Option<Class<'c>> {
    let usable = |c: &&Cue| !(reported && c.word[0] == '已');
    if let Some(mut cue) = cues.at(chars, a).filter(usable) {
        let mut at = a;
        // 活动内容, 参加对象: a noun label right after a cue decides.
        if let Some(next) = cues
            .at(chars, a + cue.word.len())
            .filter(|c| c.is_any(NOUN_LABELS))
        {
            at = a + cue.word.len();
            cue = next;
        }
        if !cue.label {
            return Some(Class::Field(cue, at));
        }
        let value_start = skip_after_label(chars, at + cue.word.len(), b, cues);
        if value_start < b {
            return Some(Class::Field(cue, value_start));
        }
        return (cue.kind == FieldType::Text).then_some(Class::Label(cue));
    }
    if let Some(other) = cues.number_cue_at(chars, a)
        && cues.at(chars, a + other.word.len()).is_none()
    {
        return Some(Class::Other);
    }
    if (a + 1..b).any(|i| {
        cues.number_cue_at(chars, i)
            .is_some_and(|c| i + c.word.len() == b)
    }) {
        return Some(Class::Other);
    }

    // A cue inside: what comes before a label or a wish is who said it
    // (女儿反映…, 女儿希望…); before other cues it is part of the statement
    // (问题已解决, 物业已经答应…).
    (a + 1..b).find_map(|i| {
        let cue = cues
            .at(chars, i)
            .filter(usable)
            .filter(|c| counts_inside(chars, i, c))
            .filter(|c| c.kind != FieldType::YesNo || yes_no_statement(chars, a, i, b, c))?;
        let after = i + cue.word.len();
        let start = if cue.label {
            skip_after_label(chars, after, b, cues)
        } else if WISHES.iter().any(|w| starts_with(chars, i, w)) {
            i
        } else {
            a
        };
        (start < b).then_some(Class::Field(cue, start))
    })
}

/// Whether a yes/no cue inside `a..b` at `i` makes the statement a yes/no
/// one: it does unless it closes the statement as an object (双方签了调解
/// 协议 continues an outcome), though a statement opened by a negation
/// (没有签书面协议) or a time (下周回访) is still about the decision.
fn yes_no_statement(chars: &[char], a: usize, i: usize, b: usize, cue: &Cue) -> bool {
    let closes = i + cue.word.len() >= b;
    let negation_first = NEGATIONS.iter().any(|n| starts_with(chars, a, n));
    let time_before = "周天月次后再年午".contains(chars[i - 1]);
    !closes || negation_first || time_before
}

/// Skips what may follow a label before its value: 是, 为, a colon, and a
/// second label (议题是讨论…).
fn skip_after_label(chars: &[char], mut i: usize, b: usize, cues: &Cues) -> usize {
    for _ in 0..3 {
        while i < b && is_pause(chars[i]) {
            i += 1;
        }
        if i >= b {
            break;
        }
        if let Some(w) = AFTER_LABEL.iter().find(|w| starts_with(chars, i, w)) {
            i += w.chars().count();
        } else if let Some(label) = cues.at(chars, i).filter(|c| c.label && c.word.len() >= 2) {
            i += label.word.len();
        } else {
            break;
        }
    }
    i
}

/// Cuts a run of speech into statements. At a pause this is already done;
/// inside unpunctuated speech a new statement starts before a subject
/// followed by a cue (…坏了她希望…), before 已 (…坏了已联系物业), before a
/// statement label (反映, 结果) or a conclusion (决定), before a yes/no cue
/// (…下次再去), and where a place ends (在社区活动室|开展了…). Inside a
/// wish, a subject does not cut, since a wish may name actions.
///
/// Returns `(start, end, fresh)`; a fresh statement does not continue the
/// one before when it has no cue of its own (在会议室|召开例会).
fn split_statements(
    chars: &[char],
    start: usize,
    end: usize,
    cues: &Cues,
) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut a = start;
    let mut fresh = false;
    let (opened, _) = strip_openers(chars, start, end, cues);
    let opening = cues.at(chars, opened);
    let mut wish = WISHES.iter().any(|w| starts_with(chars, opened, w));
    let mut current = opening.map(|c| c.field);
    let mut place = opening.is_some_and(|c| c.is_any(PLACE_LABELS));
    let mut i = opened + 1;
    while i < end {
        if place
            && i >= a + 3
            && let Some(verb) = PLACE_ENDS.iter().find(|w| starts_with(chars, i, w))
        {
            out.push((a, i, fresh));
            a = i;
            fresh = true;
            place = false;
            current = cues.at(chars, i).map(|c| c.field);
            i += verb.chars().count();
            continue;
        }
        let Some(cue) = cues.at(chars, i) else {
            i += 1;
            continue;
        };
        // 重阳节敬老活动|在睦邻中心举行: a place phrase inside.
        if cue.is_any(PLACE_LABELS) && i >= opened + 2 && place_end_ahead(chars, i, end) {
            out.push((a, i, fresh));
            a = i;
            fresh = false;
            place = true;
            current = Some(cue.field);
            i += cue.word.len();
            continue;
        }
        let Some(field) = current else {
            // The first cue inside decides the statement's field.
            if counts_inside(chars, i, cue) {
                current = Some(cue.field);
                wish = WISHES.iter().any(|w| starts_with(chars, i, w));
            }
            i += cue.word.len();
            continue;
        };
        // 社区 and 居委会 also name places (社区活动室), so only people mark
        // where a statement starts.
        let subject = ends_with_any(chars, a, i, SUBJECTS).min(
            if ends_with_any(chars, a, i, &["社区", "居委会"]) > 0 {
                0
            } else {
                usize::MAX
            },
        );
        // A yes/no cue that ends the run is an object (达成调解协议), not
        // the start of a statement (下次再去看看).
        let strong = cue.word[0] == '已'
            || (cue.kind == FieldType::YesNo && i + cue.word.len() < end)
            || cue.is_any(STATEMENT_LABELS)
            || cue.is_any(CONCLUSIONS);
        let mut at = i - subject;
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
        if field != cue.field && !directed && (strong || (subject > 0 && !wish)) && at >= a + 2 {
            out.push((a, at, fresh));
            a = at;
            fresh = false;
            current = Some(cue.field);
            wish = WISHES.iter().any(|w| starts_with(chars, i, w));
            place = false;
        }
        i += cue.word.len();
    }
    out.push((a, end, fresh));
    out
}

/// Whether a verb that ends a place follows within a few characters.
fn place_end_ahead(chars: &[char], i: usize, end: usize) -> bool {
    (i + 2..(i + 12).min(end)).any(|j| {
        PLACE_ENDS
            .iter()
            .any(|w| w.chars().count() >= 2 && starts_with(chars, j, w))
    })
}

/// The value text of `a..b`: pauses become `，`, and pauses at either end
/// are dropped.
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

    fn check(record_type: &str, input: &str, expected: &str) {
        let catalog = Catalog::builtin();
        let rt = catalog.record_type(record_type).unwrap();
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
            "home-visit",
            "她反映楼道灯坏了，晚上看不见。已联系物业。下次再去看看",
            "concerns=楼道灯坏了，晚上看不见 | actions=已联系物业 | follow_up=是",
        );
        check(
            "home-visit",
            "身体还可以，腿脚不太好",
            "health=身体还可以，腿脚不太好",
        );
    }

    #[test]
    fn unpunctuated_statements() {
        check(
            "home-visit",
            "她反映楼道灯坏了已联系物业下次再去看看",
            "concerns=楼道灯坏了 | actions=已联系物业 | follow_up=是",
        );
        check(
            "home-visit",
            "她希望社区帮她联系物业我们已经帮她登记了",
            "concerns=希望社区帮她联系物业 | actions=已经帮她登记了",
        );
        check(
            "home-visit",
            "她反映楼上装修噪音很大已经协调好了问题已解决不需要跟进",
            "concerns=楼上装修噪音很大 | actions=已经协调好了 | result=问题已解决 | follow_up=否",
        );
    }

    #[test]
    fn yes_no_needs_a_clear_cue() {
        check(
            "home-visit",
            "问题已解决，不需要跟进",
            "result=问题已解决 | follow_up=否",
        );
        check("home-visit", "她需要人照顾", "");
        check(
            "mediation",
            "双方达成调解协议",
            "outcome=达成调解协议 | agreement=是",
        );
        check("mediation", "没有签书面协议", "agreement=否");
    }

    #[test]
    fn labels_and_places() {
        check(
            "activity",
            "在社区活动室开展了垃圾分类宣传活动",
            "place=社区活动室 | name=垃圾分类宣传活动",
        );
        check(
            "meeting",
            "在居委会会议室召开居委会例会",
            "place=居委会会议室",
        );
        check(
            "meeting",
            "议题是讨论小区加装电梯的事情",
            "topic=小区加装电梯的事情",
        );
        check("home-visit", "走访人：我和小陈", "visitors=我和小陈");
    }

    #[test]
    fn nothing_to_report_fills_nothing() {
        check("home-visit", "身体硬朗，没什么需求", "health=身体硬朗");
    }
}
