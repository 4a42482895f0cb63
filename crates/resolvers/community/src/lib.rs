//! Community contributions: any signed-in user submits questions; reviewers (CONTRIBUTOR and
//! up, or 200 reputation) vote on them; approved submissions become published questions of the
//! knowledge hub in the same transaction; every decision moves reputation.
//!
//! Writes questions through `agora_knowledge::api::questions::insert` (which emits
//! `QUESTION_PUBLISHED`) and emits `SUBMISSION_REVIEWED` (`agora_events::SubmissionReviewed`)
//! through the outbox. Reads users
//! through `agora_identity::api`.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod events;
pub(crate) mod loaders;
mod mutation;
mod query;
pub(crate) mod service;
pub(crate) mod types;

pub use mutation::CommunityMutation;
pub use query::CommunityQuery;
