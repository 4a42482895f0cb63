//! The word data literacy ships, compiled in from `fixtures/literacy/` and parsed once on
//! first use: the CMU Pronouncing Dictionary, the articulatory phoneme table, word
//! frequencies, given names, CLDR emoji, and WordNet 3.0 entries for the level words (the
//! full WordNet is read from Debian's `wordnet-base` when installed). Every other module asks
//! this one for pronunciations, scores and analyses, so the data and its parsing live here.

use std::{collections::HashMap, path::Path, sync::OnceLock};

use serde::{Deserialize, Serialize};

use crate::{
    card::EmojiIndex,
    models::{
        WordFacts,
        difficulty::{self, Difficulty, NameList},
    },
    phonetics::{self, CostTable, Dictionary, MistakeKind as Kind, Phone, Phoneme, Pronunciation},
    wordnet::WordNet,
};

const CMUDICT: &str = include_str!("../../../../fixtures/literacy/cmudict.dict");
const PHONEMES: &str = include_str!("../../../../fixtures/literacy/phonemes.tsv");
const FREQUENCY: &str = include_str!("../../../../fixtures/literacy/frequency.tsv");
const NAMES: &str = include_str!("../../../../fixtures/literacy/given_names.txt");
const EMOJI: &str = include_str!("../../../../fixtures/literacy/emoji.tsv");
const WORDNET_FIXTURE: &str = include_str!("../../../../fixtures/literacy/wordnet.json");
/// Where Debian's `wordnet-base` puts the WordNet 3.0 database.
const WORDNET_DIR: &str = "/usr/share/wordnet";

fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| Dictionary::parse(CMUDICT))
}

fn costs() -> &'static CostTable {
    static COSTS: OnceLock<CostTable> = OnceLock::new();
    // The table is compiled in and checked by a test: a parse failure is a build defect.
    COSTS.get_or_init(|| CostTable::parse(PHONEMES).unwrap_or_else(|e| panic!("phonemes.tsv: {e}")))
}

fn frequencies() -> &'static HashMap<&'static str, f64> {
    static FREQ: OnceLock<HashMap<&'static str, f64>> = OnceLock::new();
    FREQ.get_or_init(|| {
        crate::models::data::parse_zipf(FREQUENCY)
            .into_iter()
            .collect()
    })
}

fn names() -> &'static NameList {
    static NAMES_LIST: OnceLock<NameList> = OnceLock::new();
    NAMES_LIST.get_or_init(|| NameList::parse(NAMES))
}

fn emoji() -> &'static EmojiIndex {
    static INDEX: OnceLock<EmojiIndex> = OnceLock::new();
    INDEX.get_or_init(|| EmojiIndex::parse(EMOJI))
}

/// A WordNet entry: a short definition and synonyms.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct Sense {
    /// Short definition.
    pub definition: String,
    /// Synonyms, at most 8.
    #[serde(default)]
    pub synonyms: Vec<String>,
}

#[derive(Deserialize)]
struct WordNetFixture {
    words: HashMap<String, Sense>,
}

fn wordnet_fixture() -> &'static HashMap<String, Sense> {
    static FIXTURE: OnceLock<HashMap<String, Sense>> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        serde_json::from_str::<WordNetFixture>(WORDNET_FIXTURE)
            .map(|f| f.words)
            .unwrap_or_default()
    })
}

fn wordnet() -> Option<&'static WordNet> {
    static DB: OnceLock<Option<WordNet>> = OnceLock::new();
    DB.get_or_init(|| match WordNet::open(Path::new(WORDNET_DIR)) {
        Ok(db) => Some(db),
        Err(err) => {
            tracing::info!(error = %err, "WordNet not installed (Debian wordnet-base): definitions of words outside the levels are off");
            None
        }
    })
    .as_ref()
}

/// The WordNet entry of `word`: the shipped fixture for level words, else the installed
/// WordNet database, else none.
pub(crate) fn sense(word: &str) -> Option<Sense> {
    if let Some(sense) = wordnet_fixture().get(word) {
        return Some(sense.clone());
    }
    let entry = wordnet()?.lookup(word).ok()??;
    Some(Sense {
        definition: entry.definition,
        synonyms: entry.synonyms,
    })
}

/// How a word sounds, and where that came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pronounced {
    /// ARPAbet with stress digits, space-separated.
    pub phonemes: String,
    /// The spelling split by syllable.
    pub syllables: Vec<String>,
    /// From the dictionary (else from letter-to-sound rules).
    pub known: bool,
}

/// `word`'s first dictionary pronunciation, or the letter-to-sound rules' guess.
pub(crate) fn pronounce(word: &str) -> Pronounced {
    let (phones, known) = match dictionary().lookup(word).and_then(|p| p.first()) {
        Some(first) => (first.phones().to_vec(), true),
        None => (phonetics::letter_to_sound(word), false),
    };
    let count = phonetics::syllable_count(&phones).max(1);
    Pronounced {
        phonemes: Pronunciation(phones).to_string(),
        syllables: phonetics::split_spelling(word, count),
        known,
    }
}

/// The phonemes of stored `phonemes` without stress digits.
pub(crate) fn strip_stress(phonemes: &str) -> Vec<String> {
    phonemes
        .split_whitespace()
        .filter_map(Phone::parse)
        .map(|p| p.phoneme.as_str().to_owned())
        .collect()
}

/// What a transcript sounds like (each word's first pronunciation, else the rules' guess),
/// ARPAbet without stress.
pub(crate) fn transcript_phones(transcript: &str) -> Vec<String> {
    phonetics::transcript_phones(dictionary(), transcript)
        .into_iter()
        .map(|p| p.phoneme.as_str().to_owned())
        .collect()
}

/// Keeps the ARPAbet symbols of `heard` (any stress digit dropped, unknown symbols skipped).
fn heard_phones(heard: &[String]) -> Vec<Phone> {
    heard
        .iter()
        .filter_map(|s| Phoneme::parse(s.trim_end_matches(|c: char| c.is_ascii_digit())))
        .map(|p| Phone::new(p, None))
        .collect()
}

/// One difference between the word and what was heard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mistake {
    /// The expected phoneme (none for an extra sound).
    pub expected: Option<String>,
    /// What was heard instead (none for a missed sound).
    pub heard: Option<String>,
    /// Index in the expected phonemes.
    pub position: i32,
    /// `SUBSTITUTION`, `OMISSION` or `INSERTION`.
    pub kind: MistakeKind,
}

/// The kind of a [`Mistake`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum MistakeKind {
    /// A sound said as another.
    Substitution,
    /// A sound missed.
    Omission,
    /// A sound added.
    Insertion,
}

/// A scored answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scored {
    /// 0–100.
    pub similarity: i32,
    /// The differences, in order.
    pub mistakes: Vec<Mistake>,
    /// One concrete tip for the most important mistake.
    pub tip: Option<String>,
}

/// Scores `heard` (ARPAbet) against `word`: the best alignment over its dictionary
/// pronunciations, else over the stored `phonemes`.
pub(crate) fn score(word: &str, phonemes: &str, heard: &[String]) -> Scored {
    let stored;
    let expected: &[Pronunciation] = match dictionary().lookup(word) {
        Some(prons) if !prons.is_empty() => prons,
        _ => {
            stored = [Pronunciation(
                phonemes
                    .split_whitespace()
                    .filter_map(Phone::parse)
                    .collect(),
            )];
            &stored
        }
    };
    let alignment =
        phonetics::best_alignment(dictionary(), expected, &heard_phones(heard), costs());
    Scored {
        similarity: i32::from(alignment.similarity),
        tip: phonetics::tip(&alignment.mistakes),
        mistakes: alignment
            .mistakes
            .iter()
            .map(|m| Mistake {
                expected: m.expected.map(|p| p.as_str().to_owned()),
                heard: m.heard.map(|p| p.as_str().to_owned()),
                position: i32::try_from(m.position).unwrap_or(i32::MAX),
                kind: match m.kind {
                    Kind::Substitution => MistakeKind::Substitution,
                    Kind::Omission => MistakeKind::Omission,
                    Kind::Insertion => MistakeKind::Insertion,
                },
            })
            .collect(),
    }
}

/// The IPA of an ARPAbet symbol (stress ignored), for messages.
pub(crate) fn ipa(symbol: &str) -> Option<&'static str> {
    Phoneme::parse(symbol.trim_end_matches(|c: char| c.is_ascii_digit())).map(Phoneme::ipa)
}

/// A word's Zipf frequency, if it is among the 50,000 most frequent.
pub(crate) fn zipf(word: &str) -> Option<f64> {
    frequencies().get(word).copied()
}

/// Words that rhyme with `phones` (same last vowel and what follows it), most frequent
/// first, `word` itself left out.
pub(crate) fn rhymes(word: &str, phones: &[&str], max: usize) -> Vec<&'static str> {
    static INDEX: OnceLock<HashMap<String, Vec<&'static str>>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index: HashMap<String, Vec<&'static str>> = HashMap::new();
        // The 20,000 most frequent plain words, in frequency order.
        for (text, _) in crate::models::data::parse_zipf(FREQUENCY)
            .into_iter()
            .filter(|(w, _)| w.len() > 1 && w.chars().all(|c| c.is_ascii_lowercase()))
            .take(20_000)
        {
            if let Some(first) = dictionary().lookup(text).and_then(|p| p.first()) {
                let symbols: Vec<&str> =
                    first.phones().iter().map(|p| p.phoneme.as_str()).collect();
                if let Some(key) = rhyme_key(&symbols) {
                    index.entry(key).or_default().push(text);
                }
            }
        }
        index
    });
    rhyme_key(phones)
        .and_then(|key| index.get(&key))
        .map(|words| {
            words
                .iter()
                .copied()
                .filter(|w| *w != word)
                .take(max)
                .collect()
        })
        .unwrap_or_default()
}

/// The last vowel and every sound after it.
fn rhyme_key(phones: &[&str]) -> Option<String> {
    let last_vowel = phones
        .iter()
        .rposition(|p| Phoneme::parse(p).is_some_and(Phoneme::is_vowel))?;
    Some(phones[last_vowel..].join(" "))
}

/// A word's difficulty, explained.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    /// The word, lowercase.
    pub text: String,
    /// Looks like a given name.
    pub is_name: bool,
    /// Pronunciation and syllables.
    pub pronounced: Pronounced,
    /// WordNet entry, if any.
    pub sense: Option<Sense>,
    /// The difficulty model's verdict.
    pub difficulty: Difficulty,
    /// Concrete tips.
    pub advice: Vec<String>,
}

/// Analyses `text` (already checked: 1–64 letters or apostrophes). `as_typed` keeps the
/// capitals the user typed, which tell names from words (`Will` against `will`).
pub(crate) fn analyze(as_typed: &str) -> Analysis {
    let text = as_typed.to_lowercase();
    let pronounced = pronounce(&text);
    let phones = strip_stress(&pronounced.phonemes);
    let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
    let predicted: Vec<String> = phonetics::letter_to_sound(&text)
        .iter()
        .map(|p| p.phoneme.as_str().to_owned())
        .collect();
    let predicted: Vec<&str> = predicted.iter().map(String::as_str).collect();
    let frequency = zipf(&text);
    let facts = WordFacts {
        text: &text,
        phones: &phones,
        predicted: &predicted,
        syllables: pronounced.syllables.len(),
        zipf: frequency,
    };
    let difficulty = difficulty::FITTED.predict(&facts);
    let rhyming = if pronounced.syllables.len() == 1 {
        rhymes(&text, &phones, 4)
    } else {
        Vec::new()
    };
    let advice = difficulty::advice(
        &facts,
        &difficulty,
        (!rhyming.is_empty()).then_some(rhyming.as_slice()),
    );
    Analysis {
        is_name: difficulty::is_name(as_typed, names(), frequency),
        sense: sense(&text),
        text,
        pronounced,
        difficulty,
        advice,
    }
}

/// The SVG picture card of `text` (already checked): the word in a dyslexia-friendly
/// typeface with a matching emoji from the CLDR annotations, a name shown as a name.
pub(crate) fn picture(as_typed: &str) -> String {
    let text = as_typed.to_lowercase();
    let is_name = difficulty::is_name(as_typed, names(), zipf(&text));
    let emoji = if is_name { None } else { emoji().pick(&text) };
    crate::card::render(&text, is_name, emoji)
}

/// `BAD_USER_INPUT` on `field` unless `text` is 1–64 letters (apostrophes inside allowed).
pub(crate) fn check_word(text: &str, field: &str) -> agora_platform::AppResult<String> {
    use agora_platform::AppError;
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::bad_input(field, "give a word"));
    }
    if text.chars().count() > crate::MAX_WORD {
        return Err(AppError::bad_input(
            field,
            format!("at most {} letters", crate::MAX_WORD),
        ));
    }
    if !text.chars().all(|c| c.is_alphabetic() || c == '\'')
        || !text.chars().next().is_some_and(char::is_alphabetic)
    {
        return Err(AppError::bad_input(
            field,
            "one word of letters only (an apostrophe inside is fine)",
        ));
    }
    Ok(text.to_owned())
}
