//! Events the contributor workflow writes to the outbox.

use agora_platform::outbox::NewEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `SUBMISSION_REVIEWED`: a vote was cast (notifications tell the author). Publishing itself
/// emits the knowledge hub's `QUESTION_PUBLISHED` in the same transaction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionReviewed {
    /// The submission.
    pub submission_id: Uuid,
    /// Its author.
    pub author_id: Uuid,
    /// Who voted.
    pub reviewer_id: Uuid,
    /// `APPROVE`, `REJECT` or `REQUEST_CHANGES`.
    pub verdict: String,
    /// The submission's status after the vote.
    pub status: String,
}

impl SubmissionReviewed {
    /// Stored event name.
    pub const NAME: &'static str = "SUBMISSION_REVIEWED";

    /// The outbox record.
    pub fn event(&self) -> NewEvent {
        NewEvent {
            event_type: Self::NAME,
            aggregate_id: Some(self.submission_id.to_string()),
            payload: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}
