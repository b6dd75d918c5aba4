//! Shanghai estate addresses as people say them (彭浦新村三号楼五零二室,
//! 临汾路三百七十五弄十二号), normalised to the written form (彭浦新村3号楼502室).

use std::collections::HashMap;

use super::numbers;
use super::text::is_pause;

/// One part of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// An estate or road name: 彭浦新村, 临汾路.
    Name(String),
    /// A number with its unit: (375, 弄), (3, 号楼), (502, 室).
    Numbered(String, &'static str),
}

/// An address found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AddressMention {
    /// First cleaned char.
    pub start: usize,
    /// One past the last cleaned char.
    pub end: usize,
    /// The parts in spoken order.
    pub parts: Vec<Part>,
    /// Whether the first part is a name from the gazetteer or registry.
    pub known_place: bool,
}

/// Units after a number, longest first so that 号楼 wins over 号.
const UNITS: &[&str] = &[
    "号楼", "支弄", "单元", "号", "弄", "幢", "栋", "座", "室", "楼", "层",
];

/// Units after which a bare three- or four-digit number is a room (12号502).
const BEFORE_ROOM: &[&str] = &["号", "号楼", "幢", "栋", "座", "单元", "楼", "层"];

/// Endings of estate and road names, longest first.
const PLACE_SUFFIXES: &[&str] = &[
    "城市花园",
    "新村",
    "小区",
    "花园",
    "家园",
    "公寓",
    "雅苑",
    "新苑",
    "名城",
    "大楼",
    "公馆",
    "大道",
    "公路",
    "支路",
    "苑",
    "村",
    "路",
    "街",
];

/// Characters that cannot be part of a place name, so a name read leftwards
/// from its ending stops there (去彭浦新村 → 彭浦新村).
const NOT_IN_NAMES: &str =
    "去到在住于是的了和与跟从往向家位里边对给把被就都也还又再您他她它们我你说看望访问个这那些有没";

impl AddressMention {
    /// The written form: 彭浦新村3号楼502室.
    pub fn value(&self) -> String {
        render(&self.parts)
    }

    /// The room number, when one was said.
    pub fn room(&self) -> Option<&str> {
        self.parts.iter().rev().find_map(|p| match p {
            Part::Numbered(n, "室") => Some(n.as_str()),
            _ => None,
        })
    }
}

/// Known estate and road names, found by their first character.
#[derive(Debug, Default)]
pub(crate) struct Places {
    names: Vec<Vec<char>>,
    by_first: HashMap<char, Vec<usize>>,
}

impl Places {
    /// Indexes `names` (duplicates are dropped).
    pub fn new(names: impl IntoIterator<Item = Vec<char>>) -> Places {
        let mut places = Places::default();
        for name in names {
            let Some(&first) = name.first() else { continue };
            let same = places.by_first.entry(first).or_default();
            if same.iter().any(|&i| places.names[i] == name) {
                continue;
            }
            same.push(places.names.len());
            places.names.push(name);
        }
        places
    }

    /// Every name.
    pub fn names(&self) -> &[Vec<char>] {
        &self.names
    }

    /// The longest known name at `i`, as a slice of `chars`' length.
    pub fn longest_at(&self, chars: &[char], i: usize) -> Option<usize> {
        self.by_first
            .get(chars.get(i)?)?
            .iter()
            .map(|&n| &self.names[n])
            .filter(|name| chars[i..].starts_with(name))
            .map(Vec::len)
            .max()
    }
}

/// The written form of address parts.
pub(crate) fn render(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Name(name) => out.push_str(name),
            Part::Numbered(number, unit) => {
                out.push_str(number);
                out.push_str(unit);
            }
        }
    }
    out
}

/// Parses a written address (from the registry) into parts.
pub(crate) fn parse_written(text: &str, known: &Places) -> Vec<Part> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if let Some(mention) = parse_at(&chars, i, known) {
            return mention.parts;
        }
        i += 1;
    }
    Vec::new()
}

/// Estate and road names in `chars` (a registry address), by their endings.
pub(crate) fn place_names(chars: &[char]) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match generic_name_at(chars, i) {
            Some(len) => {
                names.push(chars[i..i + len].iter().collect());
                i += len;
            }
            None => i += 1,
        }
    }
    names
}

/// Every address in `chars`, left to right. `known` are gazetteer and
/// registry place names, as chars.
pub(crate) fn find(chars: &[char], known: &Places) -> Vec<AddressMention> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match parse_at(chars, i, known).filter(|m| is_address(chars, m)) {
            Some(mention) => {
                i = mention.end;
                found.push(mention);
            }
            None => i += 1,
        }
    }
    found
}

/// Reads address parts starting at `start`.
fn parse_at(chars: &[char], start: usize, known: &Places) -> Option<AddressMention> {
    let mut parts = Vec::new();
    let mut known_place = false;
    let mut i = start;

    if let Some(len) = known_name_at(chars, i, known) {
        parts.push(Part::Name(chars[i..i + len].iter().collect()));
        known_place = true;
        i += len;
    } else if let Some(len) = generic_name_at(chars, i).filter(|len| {
        // A known name inside wins: 今天阳曲小区 is 阳曲小区.
        (i + 1..i + len).all(|j| known_name_at(chars, j, known).is_none())
    }) {
        parts.push(Part::Name(chars[i..i + len].iter().collect()));
        i += len;
    }

    loop {
        let at = i;
        // A pause between a name and its numbers ("彭浦新村，3号楼") is common
        // in recognised text; step over one if numbers follow.
        let mut j = i;
        if !parts.is_empty() && chars.get(j).is_some_and(|c| is_pause(*c)) {
            j += 1;
        }
        let Some(number) = numbers::parse_at(chars, j).filter(|n| !n.approximate) else {
            break;
        };
        let digits = number
            .digits
            .clone()
            .unwrap_or_else(|| number.value.to_string());
        if let Some(unit) = UNITS
            .iter()
            .find(|u| super::text::starts_with(chars, number.end, u))
        {
            parts.push(Part::Numbered(digits, unit));
            i = number.end + unit.chars().count();
            continue;
        }
        let after_building =
            matches!(parts.last(), Some(Part::Numbered(_, u)) if BEFORE_ROOM.contains(u));
        let room_like = number
            .digits
            .as_ref()
            .is_some_and(|d| (3..=4).contains(&d.len()));
        let next_is_digit = chars
            .get(number.end)
            .is_some_and(|c| numbers::is_numeral(*c));
        if after_building && room_like && !next_is_digit {
            parts.push(Part::Numbered(digits, "室"));
            i = number.end;
            continue;
        }
        i = at;
        break;
    }

    if parts.is_empty() {
        return None;
    }
    Some(AddressMention {
        start,
        end: i,
        parts,
        known_place,
    })
}

/// Whether the parts found make an address rather than, say, a floor (3楼)
/// or a bare room name (活动室 has no number).
fn is_address(chars: &[char], mention: &AddressMention) -> bool {
    let named = matches!(mention.parts.first(), Some(Part::Name(_)));
    let numbered: Vec<&str> = mention
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Numbered(_, unit) => Some(*unit),
            _ => None,
        })
        .collect();
    let strong = numbered
        .iter()
        .any(|u| matches!(*u, "室" | "号楼" | "弄" | "幢" | "栋" | "单元" | "号"));
    if named {
        return !numbered.is_empty()
            || mention.known_place && follows_residence_cue(chars, mention.start);
    }
    (numbered.len() >= 2 && strong)
        || (numbered.len() == 1
            && matches!(numbered[0], "室" | "弄")
            && follows_residence_cue(chars, mention.start))
}

/// Whether 住在, 住, 地址 or 家在 comes just before `start`.
fn follows_residence_cue(chars: &[char], start: usize) -> bool {
    let before: String = chars[start.saturating_sub(3)..start].iter().collect();
    ["住在", "住", "地址", "家在", "住址", "地址是", "在"]
        .iter()
        .any(|cue| before.ends_with(cue))
}

/// Length of the longest known place name at `i`.
fn known_name_at(chars: &[char], i: usize, known: &Places) -> Option<usize> {
    known.longest_at(chars, i)
}

/// Length of a place name that starts at `i` and ends with a known ending.
fn generic_name_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && is_name_char(chars[i - 1]) && !NOT_IN_NAMES.contains(chars[i - 1]) {
        // Not the leftmost name char; the scan finds the name from its start.
        return None;
    }
    for body in 1..=4 {
        let body_end = i + body;
        if body_end > chars.len() || !chars[i..body_end].iter().all(|c| is_name_char(*c)) {
            return None;
        }
        if chars[i..body_end].iter().any(|c| NOT_IN_NAMES.contains(*c)) {
            return None;
        }
        if numbers::is_numeral(chars[i]) {
            return None;
        }
        for suffix in PLACE_SUFFIXES {
            if super::text::starts_with(chars, body_end, suffix) {
                let single = suffix.chars().count() == 1;
                // One-char endings (路, 村, 苑) need a two-char body so that
                // 马路 or 农村 are not taken for places.
                if single && body < 2 {
                    continue;
                }
                return Some(body + suffix.chars().count());
            }
        }
    }
    None
}

fn is_name_char(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Places {
        Places::new(
            ["彭浦新村", "临汾路", "阳曲小区"]
                .iter()
                .map(|n| n.chars().collect()),
        )
    }

    /// Renders the addresses found in `input`, separated by `|`.
    fn check(input: &str, expected: &str) {
        let chars: Vec<char> = input.chars().collect();
        let rendered: Vec<String> = find(&chars, &known())
            .iter()
            .map(AddressMention::value)
            .collect();
        assert_eq!(rendered.join("|"), expected, "input: {input}");
    }

    #[test]
    fn estate_building_room() {
        check("三号楼五零二室", "3号楼502室");
        check("去彭浦新村三号楼五零二室看望", "彭浦新村3号楼502室");
        check("彭浦新村，3号楼502室", "彭浦新村3号楼502室");
        check("住在阳曲小区12号502", "阳曲小区12号502室");
        check("新兴小区八号楼三单元301室", "新兴小区8号楼3单元301室");
    }

    #[test]
    fn road_lane_number() {
        check("临汾路三百七十五弄十二号", "临汾路375弄12号");
        check("住在汾西路261弄5号401室", "汾西路261弄5号401室");
    }

    #[test]
    fn not_addresses() {
        check("在社区活动室开展活动", "");
        check("她住三楼", "");
        check("楼道灯坏了", "");
        check("十二月三号", "");
    }

    #[test]
    fn names_in_registry_addresses() {
        let chars: Vec<char> = "彭浦新村3号楼502室".chars().collect();
        assert_eq!(place_names(&chars), ["彭浦新村"]);
        let chars: Vec<char> = "临汾路375弄12号".chars().collect();
        assert_eq!(place_names(&chars), ["临汾路"]);
    }
}
