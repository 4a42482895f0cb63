//! Learning: your own flashcards scheduled by SM-2 ([`sm2`]), reviews that earn points
//! (`FLASHCARD_REVIEWED`), topics marked complete (`TOPIC_COMPLETED`, once each), and the
//! hourly "flashcards due" reminder (`FLASHCARDS_DUE`, in each learner's morning). Gamification
//! and notifications consume its events (payloads in `agora_events::learning`) through the
//! outbox; nothing here calls them.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
mod mutation;
mod query;
pub(crate) mod reminders;
pub(crate) mod service;
pub(crate) mod sm2;
pub(crate) mod types;

pub use mutation::LearningMutation;
pub use query::LearningQuery;
