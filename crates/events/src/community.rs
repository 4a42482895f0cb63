//! Events the contributor workflow emits.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// The global-id type name of a submission: the community crate encodes its ids with it, and
/// notifications links the author's notification to the submission with it.
pub const SUBMISSION_TYPE: &str = "Submission";

/// `SUBMISSION_REVIEWED`: a vote was cast on a submission (notifications tell the author of
/// decisions). Publishing itself emits [`crate::QuestionPublished`] in the same transaction.
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
    /// The submission's status after the vote (`PENDING`, `APPROVED`, `REJECTED`,
    /// `CHANGES_REQUESTED`).
    pub status: String,
}

impl DomainEvent for SubmissionReviewed {
    const KIND: EventKind = EventKind::SubmissionReviewed;
}
