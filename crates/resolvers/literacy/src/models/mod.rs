//! Small, dependency-free models for the dyslexia-practice feature of Agora.
//!
//! * [`difficulty`]: how hard a word is to read and spell (a fitted linear
//!   model), reading tips, and given-name detection.
//! * [`recommend`]: which word a learner should practise next.
//! * [`data`]: tiny parsers for the literacy fixtures (graded word list and
//!   word-frequency table), so the server can embed the data itself.
//!
//! The models never look words up themselves: the caller (the server's
//! phonetics module) supplies a [`WordFacts`] per word.

pub(crate) mod data;
pub(crate) mod difficulty;
pub(crate) mod recommend;

#[cfg(test)]
mod testdata;

/// Everything the models need to know about one word, computed by the caller.
///
/// `phones` come from `cmudict.dict` (first pronunciation, stress digits removed) and
/// `predicted` from the letter-to-sound rules ([`crate::phonetics::letter_to_sound`]), in
/// the tests that fit the model and in the server alike.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WordFacts<'a> {
    /// The word, lowercase.
    pub(crate) text: &'a str,
    /// Dictionary ARPAbet symbols without stress digits, e.g. `["W","AO","T","ER"]`.
    pub(crate) phones: &'a [&'a str],
    /// What naive letter-to-sound rules predict for the spelling (same alphabet).
    pub(crate) predicted: &'a [&'a str],
    /// Number of syllables.
    pub(crate) syllables: usize,
    /// Word frequency on the Zipf scale, `None` if unknown.
    pub(crate) zipf: Option<f64>,
}
