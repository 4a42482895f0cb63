//! Events the contributor workflow writes to the outbox: `SUBMISSION_REVIEWED` on every vote
//! (notifications tell the author of decisions). Publishing itself emits the knowledge hub's
//! `QUESTION_PUBLISHED` in the same transaction. Payloads are typed in `agora_events`.

pub(crate) use agora_events::SubmissionReviewed;
