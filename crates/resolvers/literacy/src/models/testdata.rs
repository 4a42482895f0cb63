//! Test-only fixture loading: cmudict phones, frequency, and the server's own letter-to-sound
//! predictions, so tests fit and evaluate the model on the features production computes.

use crate::models::WordFacts;
use crate::models::data::{parse_levels, parse_zipf};
use std::collections::{HashMap, HashSet};

pub(crate) const DOLCH: &str = include_str!("../../../../../fixtures/literacy/dolch.json");
pub(crate) const FREQ: &str = include_str!("../../../../../fixtures/literacy/frequency.tsv");
pub(crate) const CMU: &str = include_str!("../../../../../fixtures/literacy/cmudict.dict");
pub(crate) const NAMES: &str = include_str!("../../../../../fixtures/literacy/given_names.txt");

const ARPABET: [&str; 39] = [
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH",
    "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH",
    "UW", "V", "W", "Y", "Z", "ZH",
];

fn intern(s: &str) -> &'static str {
    ARPABET.iter().copied().find(|p| *p == s).unwrap_or("?")
}

/// Owned storage behind a [`WordFacts`].
pub(crate) struct Owned {
    pub(crate) text: &'static str,
    pub(crate) phones: Vec<&'static str>,
    pub(crate) predicted: Vec<&'static str>,
    pub(crate) syllables: usize,
    pub(crate) zipf: Option<f64>,
}

impl Owned {
    pub(crate) fn facts(&self) -> WordFacts<'_> {
        WordFacts {
            text: self.text,
            phones: &self.phones,
            predicted: &self.predicted,
            syllables: self.syllables,
            zipf: self.zipf,
        }
    }
}

/// First cmudict pronunciation of each wanted word: (phones, syllables).
pub(crate) fn cmu_lookup(
    wanted: &HashSet<&str>,
) -> HashMap<&'static str, (Vec<&'static str>, usize)> {
    let mut out = HashMap::new();
    for line in CMU.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut it = line.split_whitespace();
        let Some(w) = it.next() else { continue };
        if !wanted.contains(w) || out.contains_key(w) {
            continue;
        }
        let raw: Vec<&str> = it.collect();
        let syl = raw
            .iter()
            .filter(|p| p.ends_with(|c: char| c.is_ascii_digit()))
            .count();
        let phones = raw
            .iter()
            .map(|p| intern(p.trim_end_matches(|c: char| c.is_ascii_digit())))
            .collect();
        out.insert(w, (phones, syl));
    }
    out
}

/// What the server's letter-to-sound rules predict for `word` (the same rules `analyzeWord`
/// feeds the model, so the fitted constants match what production computes).
pub(crate) fn predict(word: &str) -> Vec<&'static str> {
    crate::phonetics::letter_to_sound(word)
        .iter()
        .map(|p| p.phoneme.as_str())
        .collect()
}

/// All graded words as (level, facts storage), in file order.
pub(crate) fn graded() -> Vec<(u8, Owned)> {
    let levels = parse_levels(DOLCH);
    let wanted: HashSet<&str> = levels
        .iter()
        .flat_map(|l| l.words.iter().copied())
        .collect();
    let cmu = cmu_lookup(&wanted);
    let zipf: HashMap<&str, f64> = parse_zipf(FREQ).into_iter().collect();
    let mut out = Vec::new();
    for l in &levels {
        for w in &l.words {
            let (phones, syllables) = cmu.get(w).cloned().unwrap_or_default();
            let text: &'static str = wanted.get(w).copied().unwrap_or("");
            let o = Owned {
                text,
                phones,
                predicted: predict(text),
                syllables,
                zipf: zipf.get(w).copied(),
            };
            out.push((l.number, o));
        }
    }
    out
}
