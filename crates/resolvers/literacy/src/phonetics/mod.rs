//! Pure-Rust phonetics for Agora's dyslexia-practice feature.
//!
//! * [`dictionary`]: CMU Pronouncing Dictionary parsing and lookup, the [`Phoneme`] set.
//! * [`mod@letter_to_sound`]: rule-based spelling → phonemes fallback for unknown words.
//! * [`syllables`]: syllable counting and splitting (sounds and spelling).
//! * [`mod@align`]: articulatory substitution costs and the reading scorer.
//! * [`tips`]: one kind, concrete tip for the most important mistake.
//!
//! The crate has no dependencies and never reads files: callers pass the data text
//! (`cmudict.dict`, `phonemes.tsv`) so the server can embed it however it likes.

pub(crate) mod align;
pub(crate) mod dictionary;
pub(crate) mod letter_to_sound;
pub(crate) mod syllables;
pub(crate) mod tips;

pub(crate) use align::{CostTable, MistakeKind, best_alignment, transcript_phones};
pub(crate) use dictionary::{Dictionary, Phone, Phoneme, Pronunciation};
pub(crate) use letter_to_sound::letter_to_sound;
pub(crate) use syllables::{split_spelling, syllable_count};
pub(crate) use tips::tip;

#[cfg(test)]
mod fixture_tests;
