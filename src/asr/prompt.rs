//! The initial prompt: a short simplified-Chinese text whisper reads before
//! the audio, which steers it towards simplified characters, punctuation and
//! the words and names a committee actually uses.

/// Opening sentence of every prompt. Written in simplified Chinese with
/// punctuation, it is the known way to make whisper answer in simplified
/// characters rather than traditional ones.
pub const PREAMBLE: &str = "以下是普通话的句子，是居委会的工作记录。";

/// Words to prime the recogniser with, in priority order within each list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromptTerms {
    /// The record type's vocabulary (`vocabulary` in its template).
    pub vocabulary: Vec<String>,
    /// Residents' names from the registry, most likely first.
    pub names: Vec<String>,
    /// Estates, roads and buildings from the registry.
    pub places: Vec<String>,
}

impl PromptTerms {
    /// True when there is nothing beyond the preamble to say.
    pub fn is_empty(&self) -> bool {
        self.vocabulary.is_empty() && self.names.is_empty() && self.places.is_empty()
    }
}

/// Builds the prompt, adding terms while `fits` accepts the text (the engine
/// passes a check against whisper's prompt token limit). Vocabulary comes
/// first, then names, then places; each list ends with 。 so the prompt
/// reads as punctuated sentences.
pub fn compose(terms: &PromptTerms, fits: impl Fn(&str) -> bool) -> String {
    let mut prompt = PREAMBLE.to_string();
    let sections = [
        ("常用词：", &terms.vocabulary),
        ("居民：", &terms.names),
        ("地点：", &terms.places),
    ];
    let mut seen = std::collections::HashSet::new();
    for (label, list) in sections {
        let mut section = String::new();
        for term in list {
            let term = term.trim();
            if term.is_empty() || term.contains('\0') || !seen.insert(term.to_string()) {
                continue;
            }
            let candidate = if section.is_empty() {
                format!("{label}{term}")
            } else {
                format!("{section}、{term}")
            };
            if !fits(&format!("{prompt}{candidate}。")) {
                break;
            }
            section = candidate;
        }
        if !section.is_empty() {
            prompt.push_str(&section);
            prompt.push('。');
        }
    }
    prompt
}

/// The estate or road part of a registry address, for the prompt:
/// `彭浦新村3号楼502室` → `彭浦新村`, `临汾路375弄12号` → `临汾路`.
/// Numbers are left out because whisper hears them without help.
pub fn place_name(address: &str) -> Option<String> {
    let place: String = address
        .trim()
        .chars()
        .take_while(|c| !c.is_ascii_digit() && !"零〇一二两三四五六七八九十百幺".contains(*c))
        .collect();
    let place = place.trim();
    (place.chars().count() >= 2).then(|| place.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(vocabulary: &[&str], names: &[&str], places: &[&str]) -> PromptTerms {
        let owned = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        PromptTerms {
            vocabulary: owned(vocabulary),
            names: owned(names),
            places: owned(places),
        }
    }

    #[test]
    fn lists_terms_as_sentences() {
        let t = terms(&["血压", "独居"], &["王秀英", "李建国"], &["彭浦新村"]);
        assert_eq!(
            compose(&t, |_| true),
            format!("{PREAMBLE}常用词：血压、独居。居民：王秀英、李建国。地点：彭浦新村。")
        );
    }

    #[test]
    fn places_are_the_named_part_of_addresses() {
        let cases = [
            ("彭浦新村3号楼502室", Some("彭浦新村")),
            ("临汾路375弄12号601室", Some("临汾路")),
            ("共康小区十二号楼", Some("共康小区")),
            ("12号", None),
            ("", None),
        ];
        for (address, expected) in cases {
            assert_eq!(place_name(address).as_deref(), expected, "{address}");
        }
    }

    #[test]
    fn skips_empty_and_duplicate_terms() {
        let t = terms(&["血压", " ", "血压"], &[], &["", "共康小区"]);
        assert_eq!(
            compose(&t, |_| true),
            format!("{PREAMBLE}常用词：血压。地点：共康小区。")
        );
    }

    #[test]
    fn stops_adding_terms_at_the_limit() {
        let t = terms(&["入户走访", "家庭医生"], &["王秀英"], &[]);
        let limit = PREAMBLE.chars().count() + 10;
        let prompt = compose(&t, |p| p.chars().count() <= limit);
        assert_eq!(prompt, format!("{PREAMBLE}常用词：入户走访。"));
        assert_eq!(compose(&PromptTerms::default(), |_| false), PREAMBLE);
    }
}
