//! Tables of community contributions: submissions, their reviews, the reputation ledger.

pub mod reputation_event;
pub mod submission;
pub mod submission_review;
