//! Events the knowledge hub writes to the outbox: `QUESTION_PUBLISHED` whenever a question goes
//! live. The payload is typed in `agora_events`, shared with its readers (gamification).

pub(crate) use agora_events::QuestionPublished;
