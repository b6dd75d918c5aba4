//! People as they are named in speech: full names (王秀英), names with an
//! honorific (王秀英阿姨), surname and honorific (王阿姨, 李大爷, 张老伯),
//! familiar forms (老张, 小李), and names after a label (主持人张建国).

use super::text::starts_with;

/// A person named in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PersonMention {
    /// First cleaned char, honorific included.
    pub start: usize,
    /// One past the last cleaned char, honorific included.
    pub end: usize,
    /// The name without honorific (王秀英), or the familiar form when no
    /// full name was said (王阿姨, 老张).
    pub name: String,
    /// The surname.
    pub surname: String,
    /// Whether a full name (surname and given name) was said.
    pub full_name: bool,
    /// The honorific or title after the name.
    pub honorific: Option<&'static str>,
}

/// Honorifics and titles said after a surname or name, longest first.
pub(crate) const HONORIFICS: &[&str] = &[
    "老太太",
    "老先生",
    "老伯伯",
    "老阿姨",
    "老奶奶",
    "老爷爷",
    "阿姨",
    "大爷",
    "老伯",
    "伯伯",
    "先生",
    "女士",
    "小姐",
    "奶奶",
    "爷爷",
    "阿婆",
    "老太",
    "师傅",
    "老师",
    "大妈",
    "大叔",
    "叔叔",
    "婆婆",
    "阿公",
    "爷叔",
    "书记",
    "主任",
    "医生",
    "大姐",
    "大哥",
    "阿姐",
    "阿哥",
    "同志",
    "社工",
];

/// Two-character surnames.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟", "公孙",
    "长孙", "宇文", "端木",
];

/// Common one-character surnames.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万钱严洪武莫孔汤常温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农卓吉缪车项芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池麻迟邝濮储盛芮秦浦陈";

/// Characters that end a name read after a label or before a verb: words
/// that cannot be part of a given name.
const NOT_IN_GIVEN_NAMES: &str = "的了在是和与及跟说讲来去到也都还就又再会要能把被给对向从今昨前明后上下午天年月日号岁个们这那有没不很们等主负记参住家里今反提希已帮协联希因为和同志各位应实到共";

/// Whether `c` is a common surname.
pub(crate) fn is_surname(c: char) -> bool {
    SURNAMES.contains(c)
}

/// The surname at `i`: a compound (欧阳) or a single character.
fn surname_at(chars: &[char], i: usize) -> Option<usize> {
    if COMPOUND_SURNAMES.iter().any(|s| starts_with(chars, i, s)) {
        return Some(2);
    }
    chars.get(i).filter(|c| is_surname(**c)).map(|_| 1)
}

fn honorific_at(chars: &[char], i: usize) -> Option<&'static str> {
    HONORIFICS
        .iter()
        .copied()
        .find(|h| starts_with(chars, i, h))
}

fn is_given_name_char(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) && !NOT_IN_GIVEN_NAMES.contains(c)
}

/// Every person named with an honorific or in a familiar form, plus the
/// registered names in `known` wherever they occur, left to right.
pub(crate) fn find(chars: &[char], known: &[Vec<char>]) -> Vec<PersonMention> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let mention = known_at(chars, i, known)
            .or_else(|| with_honorific(chars, i))
            .or_else(|| familiar(chars, i));
        match mention {
            Some(m) => {
                i = m.end;
                found.push(m);
            }
            None => i += 1,
        }
    }
    found
}

/// A registered name at `i`, with its honorific when one follows.
fn known_at(chars: &[char], i: usize, known: &[Vec<char>]) -> Option<PersonMention> {
    let name = known
        .iter()
        .filter(|n| chars[i..].starts_with(n))
        .max_by_key(|n| n.len())?;
    let surname = surname_at(name, 0).unwrap_or(1);
    let honorific = honorific_at(chars, i + name.len());
    Some(PersonMention {
        start: i,
        end: i + name.len() + honorific.map_or(0, |h| h.chars().count()),
        name: name.iter().collect(),
        surname: name[..surname].iter().collect(),
        full_name: true,
        honorific,
    })
}

/// 王阿姨, 王秀英阿姨, 张老伯, 陈先生.
fn with_honorific(chars: &[char], i: usize) -> Option<PersonMention> {
    if i > 0 && surname_at(chars, i - 1).is_some() && honorific_at(chars, i).is_none() {
        // Inside a longer name; the scan handles it from its start.
        if chars.get(i - 1).is_some_and(|c| is_given_name_char(*c))
            && i >= 2
            && is_surname(chars[i - 2])
        {
            return None;
        }
    }
    let surname_len = surname_at(chars, i)?;
    let surname: String = chars[i..i + surname_len].iter().collect();
    // A surname that is also a common word (和, 时) only counts before an
    // honorific when the word before is not one it usually follows.
    for given in [0, 2, 1] {
        let at = i + surname_len + given;
        if at > chars.len()
            || !chars[i + surname_len..at]
                .iter()
                .all(|c| is_given_name_char(*c))
        {
            continue;
        }
        if given > 0 && honorific_at(chars, i + surname_len).is_some() {
            continue;
        }
        let Some(honorific) = honorific_at(chars, at) else {
            continue;
        };
        let full_name = given > 0;
        let name = if full_name {
            chars[i..at].iter().collect()
        } else {
            format!("{surname}{honorific}")
        };
        return Some(PersonMention {
            start: i,
            end: at + honorific.chars().count(),
            name,
            surname,
            full_name,
            honorific: Some(honorific),
        });
    }
    None
}

/// 老张, 小李: a familiar form, when not part of a common word (老师, 小区).
fn familiar(chars: &[char], i: usize) -> Option<PersonMention> {
    let prefix = *chars.get(i)?;
    if prefix != '老' && prefix != '小' {
        return None;
    }
    let surname = *chars.get(i + 1)?;
    // Surnames that start common words after 老/小: 小时, 小学, 老师傅.
    if !is_surname(surname) || "时学孩组区伙师年家人伴朋毛病两样费".contains(surname)
    {
        return None;
    }
    Some(PersonMention {
        start: i,
        end: i + 2,
        name: chars[i..i + 2].iter().collect(),
        surname: surname.to_string(),
        full_name: false,
        honorific: None,
    })
}

/// A name (surname and one or two given chars) right after a label such as
/// 主持人 or 负责人: `at` is where the name should start.
pub(crate) fn name_after_label(chars: &[char], at: usize) -> Option<PersonMention> {
    if let Some(m) = with_honorific(chars, at).or_else(|| familiar(chars, at)) {
        return Some(m);
    }
    let surname_len = surname_at(chars, at)?;
    let given = chars[at + surname_len..]
        .iter()
        .take(2)
        .take_while(|c| is_given_name_char(**c))
        .count();
    if given == 0 {
        return None;
    }
    let end = at + surname_len + given;
    Some(PersonMention {
        start: at,
        end,
        name: chars[at..end].iter().collect(),
        surname: chars[at..at + surname_len].iter().collect(),
        full_name: true,
        honorific: None,
    })
}

/// A name ending right before a verb such as 主持 or 负责 at `verb`
/// (张建国主持, 由李芳负责).
pub(crate) fn name_before_verb(chars: &[char], verb: usize) -> Option<PersonMention> {
    if let Some(h) = HONORIFICS.iter().find(|h| {
        let len = h.chars().count();
        verb >= len && chars[verb - len..verb].iter().copied().eq(h.chars())
    }) {
        let len = h.chars().count();
        for start in [verb - len - 3, verb - len - 2, verb - len - 1]
            .into_iter()
            .filter(|s| *s < verb)
        {
            if let Some(m) = with_honorific(chars, start).filter(|m| m.end == verb) {
                return Some(m);
            }
        }
    }
    for len in [3, 2] {
        let Some(start) = verb.checked_sub(len) else {
            continue;
        };
        if surname_at(chars, start) != Some(1)
            || !chars[start + 1..verb]
                .iter()
                .all(|c| is_given_name_char(*c))
        {
            continue;
        }
        if let Some(m) = familiar(chars, start).filter(|m| m.end == verb) {
            return Some(m);
        }
        return Some(PersonMention {
            start,
            end: verb,
            name: chars[start..verb].iter().collect(),
            surname: chars[start].to_string(),
            full_name: true,
            honorific: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let known: Vec<Vec<char>> = ["王秀英", "李国强"]
            .iter()
            .map(|n| n.chars().collect())
            .collect();
        let rendered: Vec<String> = find(&chars, &known)
            .iter()
            .map(|m| {
                let mut out = m.name.clone();
                if let Some(h) = m.honorific {
                    out.push_str(&format!("({h})"));
                }
                out
            })
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    #[test]
    fn honorifics() {
        check("走访了王阿姨", "王阿姨(阿姨)");
        check("看望李大爷和张老伯", "李大爷(大爷) 张老伯(老伯)");
        check("陈先生来咨询", "陈先生(先生)");
        check("周美华阿姨", "周美华(阿姨)");
        check("看望了刘奶奶", "刘奶奶(奶奶)");
    }

    #[test]
    fn registered_names() {
        check("王秀英阿姨今年78岁", "王秀英(阿姨)");
        check("李国强说", "李国强");
    }

    #[test]
    fn familiar_forms() {
        check("和小李一起去的", "小李");
        check("老张反映", "老张");
        check("小区里的老人", "");
        check("老师说", "");
    }

    #[test]
    fn labels_and_verbs() {
        let chars: Vec<char> = "主持人张建国，".chars().collect();
        assert_eq!(name_after_label(&chars, 3).unwrap().name, "张建国");
        let chars: Vec<char> = "由李芳主持".chars().collect();
        assert_eq!(name_before_verb(&chars, 3).unwrap().name, "李芳");
        let chars: Vec<char> = "会议由张书记主持".chars().collect();
        assert_eq!(name_before_verb(&chars, 6).unwrap().name, "张书记");
    }
}
