//! Learning: your own flashcards scheduled by SM-2 ([`sm2`]) or FSRS ([`scheduler`], chosen per
//! learner in [`settings`]), study sessions and statistics ([`session`]), the FSRS optimiser
//! ([`optimize`]), reviews that earn points
//! (`FLASHCARD_REVIEWED`), topics marked complete (`TOPIC_COMPLETED`, once each), and the
//! hourly "flashcards due" reminder (`FLASHCARDS_DUE`, in each learner's morning). Gamification
//! and notifications consume its events (payloads in `agora_events::learning`) through the
//! outbox; nothing here calls them.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod apkg;
pub(crate) mod capture;
mod mutation;
pub(crate) mod optimize;
pub(crate) mod personal;
mod query;
pub(crate) mod reminders;
pub(crate) mod scheduler;
pub(crate) mod service;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod simulate;
pub(crate) mod sm2;
mod subscription;
pub(crate) mod transfer;
pub(crate) mod types;

pub use capture::settings::CaptureSettings;
pub use mutation::LearningMutation;
pub use query::LearningQuery;
pub use subscription::LearningSubscription;
