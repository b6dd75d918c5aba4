//! Sound-alike correction: names of registered residents and places that
//! the recogniser wrote with a homophone (汪秀英 for 王秀英, 彭普 for 彭浦)
//! or a near-homophone of southern Mandarin (z/zh, c/ch, s/sh, n/ng, l/n).

use std::collections::HashMap;

use pinyin::ToPinyinMulti;
use serde::Serialize;

use super::text::Cleaned;

/// What kind of name a candidate is; places must share more characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// A resident's name from the registry.
    Person,
    /// An estate or road from the gazetteer or registry.
    Place,
}

/// Why a piece of the transcript was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    /// A resident's name, matched by sound against the registry.
    ResidentName,
    /// A place name, matched by sound against the gazetteer.
    PlaceName,
    /// A room number with a stray digit, matched against the registry.
    RoomNumber,
}

/// A change made to what the recogniser wrote, kept so the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    /// First char of the transcript that was changed.
    pub start: usize,
    /// One past the last changed char.
    pub end: usize,
    /// What the transcript said.
    pub from: String,
    /// What it was read as.
    pub to: String,
    /// Why.
    pub kind: CorrectionKind,
}

/// How alike two characters sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Likeness {
    /// Alike once z/zh, c/ch, s/sh, n/ng and l/n are merged.
    Near,
    /// The same syllable (tones ignored).
    SameSound,
    /// The same character.
    Same,
}

/// Pinyin readings of characters, computed once per character.
#[derive(Debug, Default)]
pub(crate) struct Readings {
    cache: HashMap<char, Vec<(&'static str, String)>>,
}

impl Readings {
    /// Plain and folded readings of `c` (several for 多音字 such as 单).
    fn of(&mut self, c: char) -> &[(&'static str, String)] {
        self.cache
            .entry(c)
            .or_insert_with(|| match c.to_pinyin_multi() {
                Some(multi) => multi
                    .into_iter()
                    .map(|p| (p.plain(), fold(p.plain())))
                    .collect(),
                None => Vec::new(),
            })
    }

    /// Whether two characters (surnames, say) sound alike.
    pub fn alike(&mut self, a: char, b: char) -> bool {
        self.likeness(a, b).is_some()
    }

    fn likeness(&mut self, a: char, b: char) -> Option<Likeness> {
        if a == b {
            return Some(Likeness::Same);
        }
        let ra = self.of(a).to_vec();
        let rb = self.of(b);
        if ra.iter().any(|(pa, _)| rb.iter().any(|(pb, _)| pa == pb)) {
            return Some(Likeness::SameSound);
        }
        if ra.iter().any(|(_, fa)| rb.iter().any(|(_, fb)| fa == fb)) {
            return Some(Likeness::Near);
        }
        None
    }
}

/// Merges the sounds that southern speakers and the recogniser confuse:
/// zh/z, ch/c, sh/s, n/l at the start, and -ng/-n at the end.
fn fold(syllable: &str) -> String {
    let mut s = syllable.replace('ü', "v");
    for (from, to) in [("zh", "z"), ("ch", "c"), ("sh", "s")] {
        if let Some(rest) = s.strip_prefix(from) {
            s = format!("{to}{rest}");
        }
    }
    if let Some(rest) = s.strip_prefix('n') {
        s = format!("l{rest}");
    }
    if let Some(stem) = s.strip_suffix("ng") {
        s = format!("{stem}n");
    }
    s
}

/// How a stretch of text compares with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    same_chars: usize,
    worst: Likeness,
}

/// Compares `window` with `name`, character by character.
fn score(readings: &mut Readings, window: &[char], name: &[char]) -> Option<Score> {
    let mut same_chars = 0;
    let mut worst = Likeness::Same;
    for (&a, &b) in window.iter().zip(name) {
        let likeness = readings.likeness(a, b)?;
        if likeness == Likeness::Same {
            same_chars += 1;
        }
        worst = worst.min(likeness);
    }
    Some(Score { same_chars, worst })
}

/// Whether a score is close enough to change the text.
fn good_enough(kind: NameKind, len: usize, score: Score, window: &[char], name: &[char]) -> bool {
    if score.same_chars == 0 || score.same_chars == len {
        return false;
    }
    match kind {
        // Two differing characters must sound exactly alike; a two-char
        // name is short enough that only an exact homophone is safe.
        NameKind::Person => {
            if len - score.same_chars >= 2 || len <= 2 {
                score.worst >= Likeness::SameSound
            } else {
                true
            }
        }
        // The ending (新村, 路) must be right, and most characters too.
        NameKind::Place => window.last() == name.last() && score.same_chars * 2 >= len,
    }
}

/// Rewrites sound-alike names in `cleaned` to the registered spelling and
/// lists the changes. A stretch of text that already spells one of the
/// names is never changed, and a stretch that two names fit equally well
/// is left alone.
pub(crate) fn correct(cleaned: &mut Cleaned, names: &Names) -> Vec<Correction> {
    let mut readings = Readings::default();
    let mut corrections = Vec::new();
    let starts = names.sharing_starts(&cleaned.chars);
    let names = &names.list[..];
    let mut protected = vec![false; cleaned.len()];
    for (i, indices) in starts.iter().enumerate() {
        for &index in indices {
            let name = &names[index].0;
            if cleaned.chars[i..].starts_with(name) {
                protected[i..i + name.len()]
                    .iter_mut()
                    .for_each(|p| *p = true);
            }
        }
    }

    let mut i = 0;
    while i < cleaned.len() {
        let mut candidates: Vec<(Score, usize)> = Vec::new();
        for &index in &starts[i] {
            let (name, kind) = &names[index];
            let len = name.len();
            if i + len > cleaned.len() || protected[i..i + len].iter().any(|p| *p) {
                continue;
            }
            let window = &cleaned.chars[i..i + len];
            if !window.iter().all(|c| is_han(*c)) || !window.iter().zip(name).any(|(a, b)| a == b) {
                continue;
            }
            if let Some(s) = score(&mut readings, window, name)
                && good_enough(*kind, len, s, window, name)
            {
                candidates.push((s, index));
            }
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        let chosen = match candidates.as_slice() {
            [first, second, ..] if first.0 == second.0 && names[first.1].0 != names[second.1].0 => {
                None
            }
            [first, ..] => Some(first.1),
            [] => None,
        };
        match chosen {
            Some(index) => {
                let (name, kind) = &names[index];
                let (start, end) = cleaned.original_range(i, i + name.len());
                let correction = Correction {
                    start,
                    end,
                    from: cleaned.original_text(i, i + name.len()),
                    to: name.iter().collect(),
                    kind: match kind {
                        NameKind::Person => CorrectionKind::ResidentName,
                        NameKind::Place => CorrectionKind::PlaceName,
                    },
                };
                tracing::debug!(from = %correction.from, to = %correction.to, "sound-alike name");
                corrections.push(correction);
                cleaned.replace(i, name);
                i += name.len();
            }
            None => i += 1,
        }
    }
    corrections
}

/// Names to correct towards, indexed by their characters.
#[derive(Debug, Default)]
pub(crate) struct Names {
    list: Vec<(Vec<char>, NameKind)>,
    /// For each character, the names holding it and where.
    by_char: HashMap<char, Vec<(usize, usize)>>,
}

impl Names {
    /// Indexes `list`.
    pub fn new(list: Vec<(Vec<char>, NameKind)>) -> Names {
        let mut by_char: HashMap<char, Vec<(usize, usize)>> = HashMap::new();
        for (index, (name, _)) in list.iter().enumerate() {
            for (offset, &c) in name.iter().enumerate() {
                by_char.entry(c).or_default().push((index, offset));
            }
        }
        Names { list, by_char }
    }

    /// For each position of `chars`, the names that share at least one
    /// character with the text when laid over it there: only those can be
    /// close enough to correct, so the others are never compared.
    fn sharing_starts(&self, chars: &[char]) -> Vec<Vec<usize>> {
        let mut starts: Vec<Vec<usize>> = vec![Vec::new(); chars.len()];
        for (j, c) in chars.iter().enumerate() {
            for &(index, offset) in self.by_char.get(c).map_or(&[][..], Vec::as_slice) {
                if let Some(start) = j.checked_sub(offset)
                    && start + self.list[index].0.len() <= chars.len()
                    && !starts[start].contains(&index)
                {
                    starts[start].push(index);
                }
            }
        }
        starts
    }
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let names: Vec<(Vec<char>, NameKind)> = [
            ("王秀英", NameKind::Person),
            ("陈志明", NameKind::Person),
            ("沈建国", NameKind::Person),
            ("彭浦新村", NameKind::Place),
            ("临汾路", NameKind::Place),
        ]
        .iter()
        .map(|(n, k)| (n.chars().collect(), *k))
        .collect();
        let mut cleaned = Cleaned::new(input);
        let corrections = correct(&mut cleaned, &Names::new(names));
        let rendered: Vec<String> = corrections
            .iter()
            .map(|c| format!("{}→{}", c.from, c.to))
            .collect();
        assert_eq!(rendered.join(" "), expected, "input: {input}");
    }

    #[test]
    fn homophones_of_registered_names() {
        check("走访了汪秀英阿姨", "汪秀英→王秀英");
        check("彭普新村三号楼", "彭普新村→彭浦新村");
        check("林汾路375弄", "林汾路→临汾路");
    }

    #[test]
    fn near_homophones() {
        check("陈子明老伯", "陈子明→陈志明");
        check("森建国", "森建国→沈建国");
    }

    #[test]
    fn exact_and_unrelated_text_is_kept() {
        check("王秀英阿姨", "");
        check("秀英阿姨说", "");
        check("彭浦新村", "");
        check("新村三号楼", "");
    }
}
