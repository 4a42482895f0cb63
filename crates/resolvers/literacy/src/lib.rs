//! Literacy, the dyslexia hub: graded word levels (the Dolch sight words and a harder sixth),
//! spoken practice scored by phonemes (a weighted edit distance with articulatory costs, see
//! [`phonetics`]), mastery above 70 (`WORD_MASTERED`), mock tests that unlock the next level
//! (`MOCK_TEST_PASSED`), feedback and next-word recommendations ([`models::recommend`]),
//! progress with a daily practice streak, and the analysis of any word ([`models::difficulty`],
//! WordNet, picture cards). Gamification prices its events through the outbox; nothing here
//! calls it. The word data is compiled in from `fixtures/literacy/` ([`lexicon`]).
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod card;
pub(crate) mod feedback;
pub(crate) mod lexicon;
pub(crate) mod loaders;
pub(crate) mod media;
pub(crate) mod models;
mod mutation;
pub(crate) mod phonetics;
mod query;
pub(crate) mod service;
mod settings;
pub(crate) mod speech;
mod subscription;
pub(crate) mod types;
pub(crate) mod wordnet;

pub use mutation::LiteracyMutation;
pub use query::LiteracyQuery;
pub use settings::LiteracySettings;
pub use subscription::LiteracySubscription;

/// Longest word `analyzeWord` and the picture cards take, in characters.
pub(crate) const MAX_WORD: usize = 64;
