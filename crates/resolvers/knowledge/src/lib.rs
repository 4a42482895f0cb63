//! The knowledge hub: the topic tree, tags, the question bank and articles — the content store
//! battle rooms draw their questions from.
//!
//! Emits `QUESTION_PUBLISHED` (`agora_events::QuestionPublished`) through the outbox whenever a
//! question goes live (gamification awards its author). Listens to nothing yet. Reads users through `agora_identity::api`.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod events;
pub(crate) mod loaders;
mod mutation;
mod query;
pub(crate) mod service;
pub(crate) mod types;

pub use mutation::KnowledgeMutation;
pub use query::KnowledgeQuery;
