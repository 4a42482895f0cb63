//! Word-level helpers shared by ranking and card generation: tokenising into
//! normalised content words, the embedded English stop-word list and a light
//! plural-stripping stemmer.

/// English function words ignored when comparing sentences, sorted (byte order) so that
/// membership is a binary search. Contractions are listed without their apostrophe,
/// matching [`normalize`].
pub(crate) const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "already",
    "also",
    "although",
    "always",
    "am",
    "among",
    "an",
    "and",
    "another",
    "any",
    "are",
    "arent",
    "around",
    "as",
    "at",
    "be",
    "became",
    "because",
    "become",
    "becomes",
    "been",
    "before",
    "began",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "couldnt",
    "did",
    "didnt",
    "do",
    "does",
    "doesnt",
    "doing",
    "done",
    "dont",
    "down",
    "during",
    "each",
    "eight",
    "either",
    "else",
    "ever",
    "every",
    "few",
    "five",
    "for",
    "four",
    "from",
    "further",
    "got",
    "had",
    "hadnt",
    "has",
    "hasnt",
    "have",
    "havent",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "inside",
    "into",
    "is",
    "isnt",
    "it",
    "its",
    "itself",
    "just",
    "lets",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "next",
    "nine",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "onto",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "rather",
    "said",
    "same",
    "see",
    "seven",
    "several",
    "shall",
    "she",
    "should",
    "shouldnt",
    "since",
    "six",
    "so",
    "some",
    "still",
    "such",
    "ten",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "three",
    "through",
    "thus",
    "to",
    "too",
    "two",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "via",
    "was",
    "wasnt",
    "we",
    "were",
    "werent",
    "what",
    "when",
    "where",
    "whereas",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "wont",
    "would",
    "wouldnt",
    "yes",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Whether `word` (already lowercased, apostrophes removed) is a stop word.
pub(crate) fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

/// Lowercases a raw token and keeps only letters and digits; a possessive `'s` is dropped
/// first, so `"Plant's"` becomes `"plant"` and `"don't"` becomes `"dont"`.
pub(crate) fn normalize(token: &str) -> String {
    let token = token
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches("'s")
        .trim_end_matches("\u{2019}s");
    token
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Light suffix stripping so that simple plurals match their singular:
/// `plants → plant`, `species → specy` (harmless, both sides agree), `classes → class`.
/// Words ending in `ss`, `us` or `is` (`glass`, `virus`, `photosynthesis`) are kept.
pub(crate) fn stem(word: &str) -> String {
    let chars = word.chars().count();
    if chars > 4 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.ends_with("sses") {
        word[..word.len() - 2].to_owned()
    } else if chars > 3
        && word.ends_with('s')
        && !["ss", "us", "is"].iter().any(|end| word.ends_with(end))
    {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// Splits text into raw word tokens: runs of letters, digits and apostrophes.
pub(crate) fn raw_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '\u{2019}'))
        .filter(|token| token.chars().any(char::is_alphanumeric))
}

/// The content-word key of a raw token (normalised and stemmed), or `None` for stop
/// words and tokens shorter than two characters.
pub(crate) fn content_key(token: &str) -> Option<String> {
    let word = normalize(token);
    if word.chars().count() < 2 || is_stop_word(&word) {
        return None;
    }
    Some(stem(&word))
}

/// The distinct content-word keys of a sentence, sorted.
pub(crate) fn content_words(sentence: &str) -> Vec<String> {
    let mut words: Vec<String> = raw_tokens(sentence).filter_map(content_key).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Collapses every run of whitespace to a single space and trims the ends.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_and_unique() {
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(STOP_WORDS.len() >= 150);
        assert!(is_stop_word("the") && is_stop_word("dont") && !is_stop_word("plant"));
    }

    #[test]
    fn stemming_matches_simple_plurals_only() {
        assert_eq!(stem("plants"), "plant");
        assert_eq!(stem("bacteria"), "bacteria");
        assert_eq!(stem("photosynthesis"), "photosynthesis");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("berries"), stem("berry"));
        assert_eq!(stem("classes"), "class");
        assert_eq!(stem("gas"), "gas");
    }

    #[test]
    fn content_words_drop_stop_words_and_punctuation() {
        let words = content_words("The plant's leaves, and the Plants: don't they grow?");
        assert_eq!(words, vec!["grow", "leave", "plant"]);
    }

    #[test]
    fn normalize_keeps_letters_and_digits() {
        assert_eq!(normalize("CO2,"), "co2");
        assert_eq!(normalize("Ingenhousz\u{2019}s"), "ingenhousz");
        assert_eq!(normalize("--"), "");
    }
}
