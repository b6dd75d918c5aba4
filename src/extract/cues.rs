//! The words that steer statement reading: a record type's cues, and the
//! small fixed vocabulary of spoken Mandarin around them (subjects, linking
//! words, negations, verbs that end a place).

use super::text::starts_with;
use crate::ledger::{FieldType, RecordType};

/// Cues that announce the value rather than belong to it.
#[rustfmt::skip]
const LABELS: &[&str] = &[
    "反映", "提出", "表示", "诉求", "提到", "抱怨", "说", "讲", "议题", "主题", "内容", "主要内容",
    "主要", "结果", "处理结果", "地点", "对象", "参加对象", "面向", "起因", "概况", "讨论", "咨询",
    "想了解", "问", "因为", "开展了", "举办了", "在", "双方",
];

/// Labels that start a new statement even in the middle of unpunctuated
/// speech (…坏了反映…, …联系物业结果…); other labels only start one at a
/// pause or after a subject.
pub(crate) const STATEMENT_LABELS: &[&str] = &["反映", "提出", "表示", "结果"];

/// Verbs of concluding that start a new statement in unpunctuated speech
/// (…宣传决定下周…).
pub(crate) const CONCLUSIONS: &[&str] = &["会议决定", "会议认为", "一致同意", "决定"];

/// Labels that are nouns (活动内容, 参加对象): right after another cue,
/// they decide the statement.
#[rustfmt::skip]
pub(crate) const NOUN_LABELS: &[&str] = &[
    "内容", "主要内容", "对象", "参加对象", "议题", "主题", "概况", "起因", "地点", "结果",
];

/// Labels that introduce a place; the place ends at a verb of holding.
pub(crate) const PLACE_LABELS: &[&str] = &["在", "地点"];

/// Verbs after a place that end it (在居委会会议室召开…).
#[rustfmt::skip]
pub(crate) const PLACE_ENDS: &[&str] = &[
    "召开", "举行", "开展", "举办", "进行", "组织", "开了", "开会", "开",
];

/// Words after a label that are not part of the value (议题是…, 地点在…).
#[rustfmt::skip]
pub(crate) const AFTER_LABEL: &[&str] = &[
    "的是", "主要是", "主要有", "包括", "是", "为", "：", ":", "了", "一下", "说", "在", "有",
];

/// Speakers and subjects that may open a statement before its cue.
#[rustfmt::skip]
pub(crate) const SUBJECTS: &[&str] = &[
    "老太太", "老先生", "老人家", "老人", "老伯", "阿姨", "大爷", "奶奶", "爷爷", "阿婆", "老太",
    "大妈", "叔叔", "我们", "居委会", "社区", "社工", "双方", "她", "他", "我",
];

/// Subjects that are pronouns and never part of a value.
pub(crate) const PRONOUNS: &[&str] = &["她", "他", "我", "我们"];

/// Subjects that are the staff themselves: what follows 我们说 is not
/// reported speech of the resident.
pub(crate) const STAFF: &[&str] = &["我们", "居委会", "社区", "社工", "我"];

/// People who may be quoted (儿子说, 保姆反映): dropped only before 说 or
/// a label, since elsewhere they are what the statement is about
/// (儿子失业了).
#[rustfmt::skip]
pub(crate) const SPEAKERS: &[&str] = &[
    "儿子", "女儿", "家属", "保姆", "邻居", "老伴", "护工", "子女", "侄子", "侄女", "孙子", "孙女",
];

/// Linking words that may open a statement before its cue.
#[rustfmt::skip]
pub(crate) const CONNECTIVES: &[&str] = &[
    "经过调解", "经过协商", "经调解", "经协商", "然后", "另外", "还有", "同时", "而且", "但是", "不过",
    "所以", "就是", "也", "还", "就", "又", "说",
];

/// Parts of the day that may open a statement before its cue (上午在…).
pub(crate) const TIMES_OF_DAY: &[&str] = &["上午", "下午", "中午", "晚上", "早上", "傍晚"];

/// Labels for what was held (开展了, 举办了): the name that follows is
/// not described further by the statements after it.
pub(crate) const EVENT_LABELS: &[&str] = &["开展了", "举办了"];

/// Nouns that open a statement before 已 (问题已解决, 事情已办好).
pub(crate) const TOPICS: &[&str] = &["问题", "事情", "情况", "此事", "这事"];

/// Openings of a statement that there is nothing to report (没有什么需求).
#[rustfmt::skip]
pub(crate) const NOTHING_OPENERS: &[&str] = &[
    "暂时没有", "不需要", "没什么", "没有", "暂无", "不用", "没", "无",
];

/// What there may be nothing of.
#[rustfmt::skip]
pub(crate) const NOTHING_OF: &[&str] = &[
    "需求", "问题", "诉求", "要求", "困难", "事", "意见", "帮助", "帮忙",
];

/// Cues after which a statement is a wish, which may mention actions
/// without being one (希望社区帮她联系物业).
pub(crate) const WISHES: &[&str] = &["希望", "要求", "想要", "请求", "盼望", "担心"];

/// Words that must follow a bare 需要 or 要 for it to mean "follow-up
/// needed" rather than just "needs" (她需要人照顾).
#[rustfmt::skip]
const FOLLOW_UP_WORDS: &[&str] = &[
    "跟进", "回访", "再去", "再来", "再上门", "继续", "持续", "关注", "定期", "上门", "走访", "跟踪",
];

/// Words near a yes/no cue that turn it into a no.
#[rustfmt::skip]
pub(crate) const NEGATIONS: &[&str] = &[
    "不需要", "不用", "无需", "不必", "没有", "没", "不", "无", "未",
];

/// One-character cues too common to decide a statement from its middle,
/// unless a verb makes them one (来问).
const NOT_INSIDE: &str = "在和问说讲是有号日点室弄岁";

/// A record type's cue.
#[derive(Debug, Clone)]
pub(crate) struct Cue {
    /// The word.
    pub word: Vec<char>,
    /// Index of its field.
    pub field: usize,
    /// Its field's type.
    pub kind: FieldType,
    /// Whether it announces the value rather than belongs to it.
    pub label: bool,
}

impl Cue {
    /// Whether the cue is `word`.
    pub fn is(&self, word: &str) -> bool {
        self.word.iter().copied().eq(word.chars())
    }

    /// Whether the cue is one of `words`.
    pub fn is_any(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.is(w))
    }

    /// Whether this label introduces people (走访人, 调解员), after which
    /// a following statement is not more of the same.
    pub fn names_people(&self) -> bool {
        self.label && matches!(self.word.last(), Some('人' | '员'))
    }

    fn is_text_or_yes_no(&self) -> bool {
        matches!(self.kind, FieldType::Text | FieldType::YesNo)
    }
}

/// All cues of a record type, longest first.
#[derive(Debug)]
pub(crate) struct Cues {
    cues: Vec<Cue>,
}

impl Cues {
    /// The cues of `record_type`.
    pub fn new(record_type: &RecordType) -> Cues {
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
        Cues { cues }
    }

    /// The longest text or yes/no cue at `i` that holds there.
    pub fn at(&self, chars: &[char], i: usize) -> Option<&Cue> {
        self.cues.iter().find(|c| {
            c.is_text_or_yes_no() && chars[i..].starts_with(&c.word) && holds(chars, i, c)
        })
    }

    /// The cue of a number field (电话, 血压, 参加) of two or more
    /// characters at `i`, if any.
    pub fn number_cue_at(&self, chars: &[char], i: usize) -> Option<&Cue> {
        self.cues.iter().find(|c| {
            matches!(
                c.kind,
                FieldType::Integer | FieldType::Decimal | FieldType::Phone | FieldType::IdNumber
            ) && c.word.len() >= 2
                && chars[i..].starts_with(&c.word)
        })
    }

    /// The yes/no cues.
    pub fn yes_no(&self) -> impl Iterator<Item = &Cue> {
        self.cues.iter().filter(|c| c.kind == FieldType::YesNo)
    }
}

/// Whether a cue at `i` really means it: a bare 需要 must be followed by a
/// follow-up word, and a label followed by 给, 的 or 后 announces nothing
/// (反映给物业, 上次反映的问题, 讨论后).
pub(crate) fn holds(chars: &[char], i: usize, cue: &Cue) -> bool {
    let after = i + cue.word.len();
    if cue.label && matches!(chars.get(after), Some('给' | '的' | '后')) {
        return false;
    }
    if cue.kind != FieldType::YesNo || !cue.is_any(&["需要", "要", "有"]) {
        return true;
    }
    (after..(after + 4).min(chars.len()))
        .any(|j| FOLLOW_UP_WORDS.iter().any(|w| starts_with(chars, j, w)))
}

/// Whether a cue counts at `i` in the middle of a statement: one-character
/// function words (在, 和, 问) do not, unless a verb before makes them a
/// verb phrase (来问).
pub(crate) fn counts_inside(chars: &[char], i: usize, cue: &Cue) -> bool {
    cue.word.len() >= 2
        || !NOT_INSIDE.contains(cue.word[0])
        || (i > 0 && "来去想要询".contains(chars[i - 1]))
}

/// Length of the word of `words` that `chars[a..at]` ends with, or 0.
pub(crate) fn ends_with_any(chars: &[char], a: usize, at: usize, words: &[&str]) -> usize {
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
