//! Mandarin clean-up of raw recogniser output: traditional characters to
//! simplified, invented boilerplate removed, loops collapsed, and the prompt
//! echoed back recognised.
//!
//! Whisper learnt Chinese largely from subtitled video, so on silence, noise
//! or unclear speech it produces subtitle credits and sign-offs, and it can
//! loop on a phrase. None of that belongs in a visit record.

/// Punctuation that ends a clause; boilerplate is removed clause by clause.
const CLAUSE_ENDS: &[char] = &[
    '。', '！', '？', '，', '；', '：', '、', '!', '?', ',', ';', ':', '\n',
];

/// A clause containing any of these is subtitle or channel boilerplate that
/// never occurs in a dictated record (compared in lower case, simplified).
const BOILERPLATE_MARKERS: &[&str] = &[
    "amara",
    "字幕",
    "明镜与点点",
    "点点栏目",
    "请不吝",
    "独播剧场",
    "yoyo",
    "谢谢观看",
    "感谢观看",
    "谢谢收看",
    "感谢收看",
    "本期视频",
    "下期视频",
    "我的频道",
    "订阅我",
];

/// Social-media calls to action: a clause with two or more of these is a
/// sign-off ("请点赞订阅转发"), while one alone may be ordinary speech.
const CALL_TO_ACTION_WORDS: &[&str] = &["点赞", "订阅", "转发", "打赏", "分享", "关注", "收藏"];

/// Texts that are dropped when they are all a segment says: the sign-offs
/// and fillers whisper produces for near-silence. Inside real sentences they
/// are kept.
const WHOLE_SEGMENT_FILLERS: &[&str] = &[
    "谢谢",
    "谢谢你",
    "谢谢大家",
    "谢谢您",
    "感谢聆听",
    "感谢收听",
    "我们下期再见",
    "下期再见",
    "再见",
    "拜拜",
    "嗯",
    "啊",
    "呃",
    "嗯嗯",
    "哦",
];

/// Converts traditional characters to simplified ones, leaving simplified
/// text, Latin letters and digits as they are.
///
/// Uses an embedded character table with a few context rules (`fast2s`),
/// so it works offline.
pub fn to_simplified(text: &str) -> String {
    fast2s::convert(text)
}

/// Letters, digits and ideographs only: the text a reader would compare.
fn bare(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Removes clauses that are subtitle credits or channel sign-offs.
pub fn remove_boilerplate(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    for clause in clauses(text) {
        let lower = clause.to_lowercase();
        let marked = BOILERPLATE_MARKERS.iter().any(|m| lower.contains(m));
        let calls = CALL_TO_ACTION_WORDS
            .iter()
            .filter(|w| lower.contains(*w))
            .count();
        if marked || calls >= 2 {
            tracing::debug!(clause, "removed recogniser boilerplate");
        } else {
            kept.push_str(clause);
        }
    }
    kept.trim().to_string()
}

/// Splits text after each clause-ending mark, keeping the marks.
fn clauses(text: &str) -> impl Iterator<Item = &str> {
    text.split_inclusive(CLAUSE_ENDS)
}

/// True when a segment says nothing but a filler or sign-off.
pub fn is_only_filler(text: &str) -> bool {
    let bare = bare(text);
    !bare.is_empty() && WHOLE_SEGMENT_FILLERS.contains(&bare.as_str())
}

/// Chinese and Arabic numerals: repeated digits are real (phone numbers,
/// room 202), so they are never collapsed.
fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "零〇一二两三四五六七八九十百千万幺".contains(c)
}

/// How many back-to-back copies of a phrase of `len` characters count as a
/// loop. One- to three-character words repeat in real speech ("好好好",
/// "对对对对", "谢谢"), so they need more copies; a phrase of four or more
/// characters said twice in a row is whisper stuck, not a speaker.
fn loop_copies(len: usize) -> usize {
    match len {
        1 => 5,
        2..=3 => 3,
        _ => 2,
    }
}

/// Collapses a phrase repeated back to back (a decoding loop) to one copy.
pub fn collapse_repeats(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let longest = 40.min(chars.len() / 2);
    let mut changed = true;
    while changed {
        changed = false;
        for len in (1..=longest).rev() {
            let mut start = 0;
            while start + len * 2 <= chars.len() {
                let phrase = &chars[start..start + len];
                let mut copies = 1;
                while start + (copies + 1) * len <= chars.len()
                    && chars[start + copies * len..start + (copies + 1) * len] == *phrase
                {
                    copies += 1;
                }
                let loops = copies >= loop_copies(len)
                    && is_primitive(phrase)
                    && phrase.iter().any(|c| c.is_alphabetic() && !is_numeral(*c));
                if loops {
                    tracing::debug!(copies, phrase = %phrase.iter().collect::<String>(), "collapsed a loop");
                    chars.drain(start + len..start + copies * len);
                    changed = true;
                }
                start += 1;
            }
        }
    }
    chars.into_iter().collect()
}

/// False for a phrase that is itself a shorter unit repeated ("好的，好的，"):
/// the loop is counted in copies of that unit instead.
fn is_primitive(phrase: &[char]) -> bool {
    let n = phrase.len();
    !(1..n).any(|d| n.is_multiple_of(d) && phrase.chunks(d).all(|chunk| chunk == &phrase[..d]))
}

/// Length of the longest run of characters shared by `a` and `b`.
fn longest_common_run(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    let mut current = vec![0usize; b.len() + 1];
    for &x in a {
        for (j, &y) in b.iter().enumerate() {
            current[j + 1] = if x == y { previous[j] + 1 } else { 0 };
            best = best.max(current[j + 1]);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    best
}

/// True when the output repeats the prompt instead of transcribing speech.
///
/// The prompt lists terms separated by 、 and opens with a fixed sentence, so
/// eight or more characters in a row taken from it cannot come from a
/// dictation (a name or a term is two to five characters). A short output
/// that is mostly prompt text is an echo too.
pub fn is_prompt_echo(output: &str, prompt: &str) -> bool {
    if prompt.is_empty() {
        return false;
    }
    let out: Vec<char> = output.chars().filter(|c| !c.is_whitespace()).collect();
    let source: Vec<char> = prompt.chars().filter(|c| !c.is_whitespace()).collect();
    let run = longest_common_run(&out, &source);
    let length = bare(output).chars().count();
    run >= 8 || (run >= 4 && run * 10 >= length * 6)
}

/// Joins cleaned segment texts. Chinese needs no spaces; a segment that ends
/// without punctuation gets a comma, since a pause separated it.
pub fn join_segments<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut joined = String::new();
    for text in texts {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(last) = joined.chars().last()
            && !last.is_ascii_punctuation()
            && !CLAUSE_ENDS.contains(&last)
            && !"”」』）)…".contains(last)
        {
            joined.push('，');
        }
        joined.push_str(text);
    }
    joined
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// Uses Chinese (full-width) punctuation next to Chinese characters, as a
/// ledger is written: whisper often emits `,` and `?` after hanzi. A `.`
/// between digits (36.5) or a `:` in a time (9:30) stays.
pub fn chinese_punctuation(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let chinese = chars.iter().any(|c| is_han(*c));
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        // A mark ending a Chinese clause after a number ("135比85.") counts too.
        let ends_clause = chinese && after.is_none_or(char::is_whitespace);
        let near_han = before.is_some_and(is_han) || after.is_some_and(is_han) || ends_clause;
        let between_digits =
            before.is_some_and(|b| b.is_ascii_digit()) && after.is_some_and(|a| a.is_ascii_digit());
        let replacement = match c {
            ',' => Some('，'),
            '.' if !between_digits => Some('。'),
            '?' => Some('？'),
            '!' => Some('！'),
            ':' if !between_digits => Some('：'),
            ';' => Some('；'),
            _ => None,
        };
        match replacement {
            Some(full) if near_han => out.push(full),
            _ => out.push(c),
        }
    }
    out
}

/// The clean-up applied to one segment's raw text: simplified script, no
/// boilerplate, no loops, no filler-only output.
pub fn clean_segment(raw: &str) -> String {
    let simplified = chinese_punctuation(&to_simplified(raw.trim()));
    let without_boilerplate = remove_boilerplate(&simplified);
    let collapsed = collapse_repeats(&without_boilerplate);
    if is_only_filler(&collapsed) {
        tracing::debug!(text = %collapsed, "dropped a filler-only segment");
        return String::new();
    }
    collapsed.trim().to_string()
}

/// True when a segment decoded as Mandarin came out as Latin-script words
/// only ("Mrs. gloon"): whisper answers noise it cannot place that way, while
/// dictation, even of "B超" or "CT", always has Chinese around the letters.
/// Digits alone ("135/85") are kept.
pub fn is_latin_only(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_alphabetic()) && !text.chars().any(is_han)
}

/// Drops a segment that repeats the previous one word for word (whisper can
/// produce the same sentence for neighbouring stretches of audio).
pub fn is_repeat_of(previous: Option<&str>, text: &str) -> bool {
    previous.is_some_and(|p| !bare(p).is_empty() && bare(p) == bare(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(f: fn(&str) -> String, cases: &[(&str, &str)]) {
        for (input, expected) in cases {
            assert_eq!(f(input), *expected, "input: {input}");
        }
    }

    #[test]
    fn traditional_becomes_simplified() {
        check(
            to_simplified,
            &[
                (
                    "今天上午到彭浦新村走訪了王阿姨",
                    "今天上午到彭浦新村走访了王阿姨",
                ),
                (
                    "血壓一百三十五比八十五，反映樓道燈壞了",
                    "血压一百三十五比八十五，反映楼道灯坏了",
                ),
                ("聯繫物業，下週再去看看。", "联系物业，下周再去看看。"),
                ("已经是简体字", "已经是简体字"),
                ("502室 Amara.org", "502室 Amara.org"),
            ],
        );
    }

    #[test]
    fn subtitle_credits_and_sign_offs_are_removed() {
        check(
            remove_boilerplate,
            &[
                ("字幕由Amara.org社区提供", ""),
                ("中文字幕由 Amara.org 社群提供", ""),
                ("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", ""),
                ("走访了王阿姨。谢谢观看！", "走访了王阿姨。"),
                ("血压正常，请点赞订阅。", "血压正常，"),
                // One call-to-action word alone is ordinary speech.
                ("她想订阅一份报纸。", "她想订阅一份报纸。"),
                ("反映楼道灯坏了", "反映楼道灯坏了"),
            ],
        );
    }

    #[test]
    fn fillers_are_dropped_only_when_they_are_everything() {
        let cases = [
            ("谢谢大家", true),
            ("谢谢大家。", true),
            (" 谢谢。", true),
            ("嗯", true),
            ("谢谢大家的配合，下周再来", false),
            ("走访王阿姨，谢谢", false),
            ("", false),
        ];
        for (input, expected) in cases {
            assert_eq!(is_only_filler(input), expected, "input: {input}");
        }
    }

    #[test]
    fn loops_collapse_but_real_repetition_stays() {
        check(
            collapse_repeats,
            &[
                ("好的，好的，好的，好的，", "好的，"),
                ("下周再去看看下周再去看看", "下周再去看看"),
                (
                    "血压一百三十五比八十五。血压一百三十五比八十五。",
                    "血压一百三十五比八十五。",
                ),
                ("啊啊啊啊啊啊啊", "啊"),
                // Real speech: reduplication, short repeats, numbers.
                ("谢谢", "谢谢"),
                ("好好好", "好好好"),
                ("看看看看", "看看看看"),
                (
                    "电话是幺三五幺三五幺三五零零",
                    "电话是幺三五幺三五幺三五零零",
                ),
                ("13513513500", "13513513500"),
                ("二零二室", "二零二室"),
            ],
        );
    }

    #[test]
    fn prompt_echoes_are_recognised() {
        let prompt =
            "以下是普通话的句子。入户走访记录：血压、高龄、独居、家庭医生。居民：王秀英、李建国。";
        let cases = [
            ("以下是普通话的句子。", true),
            ("血压、高龄、独居、家庭医生", true),
            ("王秀英、李建国。", true),
            ("入户走访", true),
            ("今天上午入户走访了王秀英阿姨，血压正常。", false),
            ("李建国老伯八十五岁，独居。", false),
            ("", false),
        ];
        for (output, expected) in cases {
            assert_eq!(is_prompt_echo(output, prompt), expected, "output: {output}");
        }
        assert!(!is_prompt_echo("以下是普通话的句子。", ""));
    }

    #[test]
    fn latin_only_output_is_recognised() {
        let cases = [
            ("Mrs. gloon", true),
            ("Thank you.", true),
            ("做了B超", false),
            ("135/85", false),
            ("", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_latin_only(text), expected, "{text}");
        }
    }

    #[test]
    fn punctuation_next_to_hanzi_is_chinese() {
        check(
            chinese_punctuation,
            &[
                ("她今年82岁,血压135比85.", "她今年82岁，血压135比85。"),
                ("体温36.5度,9:30到", "体温36.5度，9:30到"),
                ("好吗?", "好吗？"),
                ("Amara.org, ok", "Amara.org, ok"),
            ],
        );
    }

    #[test]
    fn segments_join_without_spaces() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["今天走访了王阿姨。", " 她八十二岁。"],
                "今天走访了王阿姨。她八十二岁。",
            ),
            (
                &["今天走访了王阿姨", "她八十二岁"],
                "今天走访了王阿姨，她八十二岁",
            ),
            (&["", "血压正常", "  "], "血压正常"),
        ];
        for (parts, expected) in cases {
            assert_eq!(join_segments(parts.iter().copied()), *expected);
        }
    }

    #[test]
    fn whole_clean_up() {
        check(
            clean_segment,
            &[
                (
                    " 今天上午走訪了王阿姨。字幕由Amara.org社區提供",
                    "今天上午走访了王阿姨。",
                ),
                ("謝謝大家。", ""),
                (
                    "下周再去看看，下周再去看看，下周再去看看，",
                    "下周再去看看，",
                ),
            ],
        );
        assert!(is_repeat_of(Some("血压正常。"), "血压正常"));
        assert!(!is_repeat_of(None, "血压正常"));
        assert!(!is_repeat_of(Some("。"), "，"));
    }
}
