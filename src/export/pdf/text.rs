//! Breaking Chinese (and mixed Latin) text into lines that fit a width,
//! following the usual rules for Chinese typesetting (禁则): closing
//! punctuation never starts a line and opening brackets never end one.

/// Characters that may not begin a line: closing punctuation and marks
/// that belong to the character before them.
const NO_LINE_START: &str = "，。、；：？！）》」』〉】〕〗〙〛’”…‥·・～％‰℃°,.;:?!)]}>%";

/// Characters that may not end a line: opening brackets and quotes.
const NO_LINE_END: &str = "（《「『〈【〔〖〘〚‘“([{<￥$";

/// Characters that join letters and digits into one unbreakable word
/// (dates, phone numbers, readings such as `140/90`, e-mail addresses).
const WORD_JOINERS: &str = "-./:@_#+&'*";

fn is_closing(c: char) -> bool {
    NO_LINE_START.contains(c)
}

fn is_opening(c: char) -> bool {
    NO_LINE_END.contains(c)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || WORD_JOINERS.contains(c)
}

/// A piece of text that is never broken inside, unless it is wider than a
/// whole line on its own.
#[derive(Debug)]
struct Piece<'a> {
    text: &'a str,
    /// Whitespace: a break opportunity that disappears at line ends.
    space: bool,
}

/// Splits `text` into pieces: whitespace runs, Latin words, and single
/// other characters, with closing punctuation glued to what precedes it
/// and opening brackets glued to what follows.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out: Vec<Piece<'_>> = Vec::new();
    let mut chars = text.char_indices().peekable();
    // Whether the last piece ends in an opening bracket, so the next
    // character must stay on the same line.
    let mut glue_next = false;
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        let space = c.is_whitespace();
        if space {
            while let Some(&(i, d)) = chars.peek() {
                if !d.is_whitespace() {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
            out.push(Piece {
                text: &text[start..end],
                space: true,
            });
            glue_next = false;
            continue;
        }
        if is_word_char(c) && !is_closing(c) && !is_opening(c) {
            while let Some(&(i, d)) = chars.peek() {
                if !is_word_char(d) {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
        }
        let joins_previous = (is_closing(c) || glue_next) && out.last().is_some_and(|p| !p.space);
        if joins_previous {
            let last = out.last_mut().expect("checked above");
            let begin = last.text.as_ptr() as usize - text.as_ptr() as usize;
            last.text = &text[begin..end];
        } else {
            out.push(Piece {
                text: &text[start..end],
                space: false,
            });
        }
        glue_next = is_opening(c);
    }
    out
}

/// Breaks `text` into lines no wider than `max_width`, measuring each
/// character with `advance`. Explicit newlines are kept; spaces at line
/// ends are dropped. An empty text gives no lines.
pub(crate) fn wrap(text: &str, max_width: f32, advance: &impl Fn(char) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        wrap_paragraph(
            paragraph.trim_end_matches('\r'),
            max_width,
            advance,
            &mut lines,
        );
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

fn wrap_paragraph(
    text: &str,
    max_width: f32,
    advance: &impl Fn(char) -> f32,
    lines: &mut Vec<String>,
) {
    let width = |s: &str| s.chars().map(advance).sum::<f32>();
    let mut line = String::new();
    let mut line_width = 0.0;
    let mut pending_space: Option<(&str, f32)> = None;

    for piece in pieces(text) {
        let piece_width = width(piece.text);
        if piece.space {
            if !line.is_empty() {
                pending_space = Some((piece.text, piece_width));
            }
            continue;
        }
        let space_width = pending_space.map_or(0.0, |(_, w)| w);
        if line_width + space_width + piece_width <= max_width + f32::EPSILON {
            if let Some((space, w)) = pending_space.take() {
                line.push_str(space);
                line_width += w;
            }
            line.push_str(piece.text);
            line_width += piece_width;
            continue;
        }
        pending_space = None;
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line_width = 0.0;
        }
        if piece_width <= max_width + f32::EPSILON {
            line.push_str(piece.text);
            line_width = piece_width;
            continue;
        }
        // Wider than a whole line (a long number, a run of punctuation):
        // break it between characters, the only choice left.
        for c in piece.text.chars() {
            let w = advance(c);
            if line_width + w > max_width + f32::EPSILON && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            line.push(c);
            line_width += w;
        }
    }
    lines.push(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chinese characters are one unit wide, everything else half a unit.
    fn advance(c: char) -> f32 {
        if c.is_ascii() { 0.5 } else { 1.0 }
    }

    fn check(text: &str, width: f32, expected: &[&str]) {
        let lines = wrap(text, width, &advance);
        assert_eq!(lines, expected, "wrapping {text:?} at width {width}");
        for line in &lines {
            let first = line.chars().next();
            assert!(
                !first.is_some_and(is_closing),
                "line starts with closing punctuation: {line:?}"
            );
        }
    }

    #[test]
    fn chinese_breaks_between_any_characters() {
        check("居民反映楼道灯坏了", 4.0, &["居民反映", "楼道灯坏", "了"]);
    }

    #[test]
    fn closing_punctuation_moves_down_with_the_character_before_it() {
        check(
            "楼道灯坏了，已联系物业。",
            5.0,
            &["楼道灯坏", "了，已联系", "物业。"],
        );
        check("希望增加助餐点。", 8.0, &["希望增加助餐点。"]);
        check("希望增加助餐点。", 7.0, &["希望增加助餐", "点。"]);
        check("已登记》", 3.0, &["已登", "记》"]);
        check("血压偏高！！", 4.0, &["血压偏", "高！！"]);
    }

    #[test]
    fn opening_brackets_stay_with_what_follows() {
        check("反映问题（漏水）", 5.0, &["反映问题", "（漏水）"]);
        check("转告“家庭医生”", 3.0, &["转告", "“家庭", "医生”"]);
    }

    #[test]
    fn latin_words_and_numbers_are_not_split() {
        check("电话13800138000已核实", 8.0, &["电话13800138000", "已核实"]);
        check("电话13800138000", 6.0, &["电话", "13800138000"]);
        check("血压140/90 mmHg", 5.0, &["血压140/90", "mmHg"]);
    }

    #[test]
    fn a_word_longer_than_a_line_is_split_between_characters() {
        check("1234567890", 2.0, &["1234", "5678", "90"]);
    }

    #[test]
    fn newlines_are_kept_and_trailing_space_dropped() {
        check("第一行\n第二行  ", 10.0, &["第一行", "第二行"]);
        check("", 10.0, &[]);
        check("a b", 0.5, &["a", "b"]);
    }
}
