//! Offline text processing for Agora's "capture → flashcards" feature: a learner pastes
//! text or a URL (the server fetches the page), and gets a handful of flashcards.
//!
//! The pipeline has four steps, each usable on its own:
//!
//! 1. [`readable_text`] reduces an HTML page to its readable text: page chrome
//!    (scripts, navigation, headers, footers, sidebars, forms, cookie banners) is
//!    dropped, the `<article>`/`<main>` container is preferred, and paragraphs,
//!    headings, list items, quotes, table cells and `pre` become blank-line separated
//!    blocks; short link-dense blocks are discarded as boilerplate.
//! 2. [`sentences`] splits text into sentences with the Unicode (UAX #29) sentence
//!    boundaries, repaired after abbreviations and initials, and drops fragments.
//! 3. [`rank_sentences`] scores sentences with TextRank (R. Mihalcea and P. Tarau,
//!    "TextRank: Bringing Order into Texts", EMNLP 2004): sentences are vertices of an
//!    undirected graph whose edge weights are the content-word overlap
//!    `|Si ∩ Sj| / (ln|Si| + ln|Sj|)`, and the score of a sentence is its weighted
//!    PageRank (damping 0.85). Sentences that share vocabulary with many others — the
//!    ones that carry the text's main topic — rank highest. [`key_sentences`] keeps
//!    the top *n* in document order.
//! 4. [`cards_from_text`] turns the best sentences into [`CardDraft`]s: definitions
//!    ("X is a …") and dated events ("X was founded in 1850") become questions, every
//!    other sentence a cloze deletion of its most salient term (a number, a name, or
//!    the text's most widespread content word).
//!
//! Everything is deterministic, needs no network or model, and never panics on
//! arbitrary input.

#![warn(missing_docs)]

mod cards;
mod html;
mod rank;
mod sentences;
mod words;

pub use cards::{BLANK, CardDraft, CardKind, cards_from_text};
pub use html::{Readable, fragment_text, readable_text};
pub use rank::{KeySentence, key_sentences, rank_sentences};
pub use sentences::sentences;

/// One line naming the method, for API documentation.
pub const METHOD: &str = "TextRank (Mihalcea & Tarau 2004) over sentence content-word overlap, \
                          damping 0.85; cloze on the most salient term, questions from \
                          definitions and dates";
