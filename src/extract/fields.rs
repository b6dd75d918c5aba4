//! Picking values for the typed fields of a record type from what was
//! found in the text: which date is the record's date, which number is the
//! age, which name belongs in which person field, which choice was meant.

use super::numbers::NumberToken;
use super::people::{self, HONORIFICS, PersonMention};
use super::text::{is_pause, starts_with};
use crate::ledger::{FieldSpec, FieldType, RecordType};

/// Words allowed between a cue and its number (年龄是, 参加的有, 实到).
const CUE_TO_NUMBER: &[&str] = &[
    "大概",
    "大约",
    "一共",
    "总共",
    "共",
    "约",
    "差不多",
    "是",
    "为",
    "有",
    "了",
    "的",
    "：",
    ":",
    "，",
    " ",
    "人数",
    "已经",
    "都",
];

/// Cues naming what a person does, so the name comes before them
/// (张建国主持, 王阿姨来访); other cues come before the name (走访了王阿姨).
const AGENT_VERBS: &[&str] = &["主持", "负责", "来访", "记录", "牵头", "组织", "带队"];

/// Spoken units for a field's unit (人 is also said 位, 名, 个).
fn unit_words(unit: &str) -> Vec<&str> {
    match unit {
        "岁" => vec!["周岁", "岁"],
        "人" => vec!["个人", "人", "位", "名", "个"],
        other => vec![other],
    }
}

/// Whether one of `cues` ends at most a few filler words before `pos`.
pub(crate) fn cue_before(chars: &[char], pos: usize, cues: &[String]) -> Option<usize> {
    let mut at = pos;
    for _ in 0..4 {
        if let Some(cue) = cues
            .iter()
            .filter(|c| {
                let len = c.chars().count();
                at >= len && chars[at - len..at].iter().copied().eq(c.chars())
            })
            .max_by_key(|c| c.chars().count())
        {
            return Some(at - cue.chars().count());
        }
        let filler = CUE_TO_NUMBER.iter().find(|w| {
            let len = w.chars().count();
            at >= len && chars[at - len..at].iter().copied().eq(w.chars())
        })?;
        at -= filler.chars().count();
    }
    None
}

/// Whether one of `cues` is said earlier in the clause of `pos`, at most
/// twelve characters before (参加的居民代表有二十二人).
fn cue_earlier_in_clause(chars: &[char], pos: usize, cues: &[String]) -> bool {
    let from = (pos.saturating_sub(12)..pos)
        .rev()
        .find(|&i| super::text::is_pause(chars[i]))
        .map_or(pos.saturating_sub(12), |i| i + 1);
    let before: String = chars[from..pos].iter().collect();
    cues.iter().any(|c| before.contains(c.as_str()))
}

/// The unit word right after `pos`, if it is one of the field's.
fn unit_after(chars: &[char], pos: usize, unit: &str) -> Option<usize> {
    unit_words(unit)
        .into_iter()
        .find(|w| starts_with(chars, pos, w))
        .map(|w| w.chars().count())
}

/// A number chosen for an integer or decimal field.
pub(crate) struct NumberPick {
    /// Field index.
    pub field: usize,
    /// Index into the numbers found.
    pub token: usize,
    /// Where the value ends, unit included.
    pub end: usize,
    /// Where the evidence starts, cue included.
    pub start: usize,
    /// How sure the pick is.
    pub confidence: f32,
}

/// Assigns numbers to the number fields in `fields`: a number counts for
/// a field when its unit follows (七十八岁) or its cue comes just before
/// (今年七十八, 实到十二人). Each number goes to one field, and each field
/// takes its best-supported number, the earliest on a tie.
pub(crate) fn pick_numbers(
    chars: &[char],
    record_type: &RecordType,
    fields: &[usize],
    numbers: &[NumberToken],
) -> Vec<NumberPick> {
    let mut options = Vec::new();
    for &field in fields {
        let spec = &record_type.fields[field];
        // With two fields in 人 (应到, 实到), a unit alone cannot say which.
        let shared_unit = fields.iter().any(|&other| {
            other != field && spec.unit.is_some() && record_type.fields[other].unit == spec.unit
        });
        for (index, number) in numbers.iter().enumerate() {
            let unit = spec
                .unit
                .as_deref()
                .and_then(|u| unit_after(chars, number.end, u));
            let cue = cue_before(chars, number.start, &spec.cues);
            let loose = cue.is_none() && cue_earlier_in_clause(chars, number.start, &spec.cues);
            let other_unit = unit.is_none()
                && chars
                    .get(number.end)
                    .is_some_and(|c| "岁人位名个次天年月号楼室元块分点组".contains(*c));
            let score = match (cue.is_some(), loose, unit.is_some()) {
                (true, _, true) => 4,
                (true, _, false) if !other_unit => 3,
                (false, true, true) => 2,
                (false, false, true) if !shared_unit => 1,
                _ => continue,
            };
            options.push((score, number.start, field, index, cue, unit));
        }
    }
    options.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    let mut picks: Vec<NumberPick> = Vec::new();
    for (score, _, field, index, cue, unit) in options {
        if picks.iter().any(|p| p.field == field || p.token == index) {
            continue;
        }
        let number = &numbers[index];
        picks.push(NumberPick {
            field,
            token: index,
            start: cue.unwrap_or(number.start),
            end: number.end + unit.unwrap_or(0),
            confidence: match score {
                4 => 0.95,
                3 => 0.9,
                2 => 0.85,
                _ => 0.75,
            },
        });
    }
    picks
}

/// A name chosen for a person field.
pub(crate) struct PersonPick {
    /// Field index.
    pub field: usize,
    /// The mention.
    pub mention: PersonMention,
    /// Where the evidence starts (a label before the name).
    pub start: usize,
    /// How sure the pick is.
    pub confidence: f32,
}

/// Assigns names to person fields. A name right after one of a field's
/// cues (主持人张建国) or right before it (张建国主持) is that field's; a
/// name with one of its honorifics (王阿姨 for a field cued by 阿姨) comes
/// next; and the main person field (the first required one, else the
/// first) also takes a registered resident, a name with an honorific or
/// 老X, and, when nothing else was said, 小X.
pub(crate) fn pick_people(
    chars: &[char],
    record_type: &RecordType,
    mentions: &[PersonMention],
    registered: &[bool],
    taken: &[bool],
) -> Vec<PersonPick> {
    let person_fields: Vec<usize> = record_type
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FieldType::Person)
        .map(|(i, _)| i)
        .collect();
    let main = person_fields
        .iter()
        .copied()
        .find(|i| record_type.fields[*i].required)
        .or(person_fields.first().copied());

    let mut options: Vec<(u8, usize, usize, PersonMention, usize)> = Vec::new();
    for &field in &person_fields {
        let spec = &record_type.fields[field];
        for cue in spec
            .cues
            .iter()
            .filter(|c| !HONORIFICS.contains(&c.as_str()))
        {
            for at in occurrences(chars, cue) {
                let after = skip_label_tail(chars, at + cue.chars().count());
                if let Some(m) =
                    mention_at(mentions, after).or_else(|| people::name_after_label(chars, after))
                {
                    options.push((3, m.start, field, m, at));
                }
                if !AGENT_VERBS.contains(&cue.as_str()) {
                    continue;
                }
                let by_verb = mentions
                    .iter()
                    .find(|m| m.end == at)
                    .cloned()
                    .or_else(|| people::name_before_verb(chars, at));
                if let Some(m) = by_verb {
                    options.push((3, m.start, field, m.clone(), m.start));
                }
            }
        }
        for m in mentions {
            if m.honorific
                .is_some_and(|h| spec.cues.iter().any(|c| c == h))
            {
                options.push((2, m.start, field, m.clone(), m.start));
            }
        }
        if Some(field) == main {
            for (m, registered) in mentions.iter().zip(registered) {
                if *registered || m.honorific.is_some() || m.name.starts_with('老') {
                    options.push((1, m.start, field, m.clone(), m.start));
                } else {
                    // 小李 is more often a colleague; only if nothing else.
                    options.push((0, m.start, field, m.clone(), m.start));
                }
            }
        }
    }
    options.retain(|(_, _, _, m, _)| !(m.start..m.end).any(|i| taken[i]));
    options.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

    let mut picks: Vec<PersonPick> = Vec::new();
    for (score, _, field, mention, start) in options {
        let overlaps =
            |p: &PersonPick| p.mention.start < mention.end && mention.start < p.mention.end;
        if picks.iter().any(|p| p.field == field || overlaps(p)) {
            continue;
        }
        picks.push(PersonPick {
            field,
            start: start.min(mention.start),
            mention,
            confidence: match score {
                3 => 0.9,
                2 => 0.85,
                _ => 0.75,
            },
        });
    }
    picks
}

/// Skips 是, 为, ：, 人 after a label so the name can be read (主持人是张建国).
fn skip_label_tail(chars: &[char], mut i: usize) -> usize {
    for _ in 0..3 {
        match chars.get(i) {
            Some('是' | '为' | '：' | ':' | '人' | '了' | '的') => i += 1,
            Some(c) if is_pause(*c) => i += 1,
            _ => break,
        }
    }
    i
}

fn mention_at(mentions: &[PersonMention], at: usize) -> Option<PersonMention> {
    mentions.iter().find(|m| m.start == at).cloned()
}

/// Start positions of `word` in `chars`.
pub(crate) fn occurrences(chars: &[char], word: &str) -> Vec<usize> {
    let word: Vec<char> = word.chars().collect();
    if word.is_empty() || word.len() > chars.len() {
        return Vec::new();
    }
    (0..=chars.len() - word.len())
        .filter(|&i| chars[i..i + word.len()] == word[..])
        .collect()
}

/// The choice said for a choice field, with its span. Each choice is
/// recognised by its `choice_cues` when it has them, otherwise by its own
/// text or by a field cue that is part of exactly this choice (漏水 for
/// 房屋漏水). When words for several choices are said, the earliest wins,
/// and a longer word beats a shorter one inside it (电话走访 over 走访).
///
/// A word inside a longer cue of another field is not said for the choice
/// (走访 inside 走访人): `other_words` are those cues' spans. Words inside
/// `excluded` spans (what the staff did: 已告知带户口本…) do not count.
pub(crate) fn pick_choices(
    chars: &[char],
    spec: &FieldSpec,
    other_words: &[(usize, usize)],
    excluded: &[(usize, usize)],
) -> Vec<(String, usize, usize)> {
    let mut hits: Vec<(usize, usize, &str)> = Vec::new();
    for choice in &spec.choices {
        let words: Vec<&str> = match spec.choice_cues.get(choice) {
            Some(words) => words.iter().map(String::as_str).collect(),
            None => {
                let mut words = vec![choice.as_str()];
                words.extend(spec.cues.iter().map(String::as_str).filter(|cue| {
                    choice.contains(cue)
                        && spec.choices.iter().filter(|c| c.contains(cue)).count() == 1
                }));
                words
            }
        };
        for word in words {
            for at in occurrences(chars, word) {
                hits.push((at, at + word.chars().count(), choice));
            }
        }
    }
    hits.retain(|(s, _, _)| !excluded.iter().any(|(a, b)| a <= s && s < b));
    hits.retain(|(s, e, _)| {
        !other_words
            .iter()
            .any(|(s2, e2)| s2 <= s && e <= e2 && e2 - s2 > e - s)
    });
    let kept: Vec<&(usize, usize, &str)> = hits
        .iter()
        .filter(|(s, e, _)| {
            !hits
                .iter()
                .any(|(s2, e2, _)| s2 <= s && e <= e2 && (e2 - s2) > (e - s))
        })
        .collect();
    let mut chosen: Vec<(String, usize, usize)> = Vec::new();
    let mut ordered = kept;
    ordered.sort_by_key(|(s, e, _)| (*s, usize::MAX - e));
    for (s, e, choice) in ordered {
        if !chosen.iter().any(|(c, ..)| c == choice) {
            chosen.push((choice.to_string(), *s, *e));
        }
    }
    chosen
}
