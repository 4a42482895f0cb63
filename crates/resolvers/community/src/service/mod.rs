//! The contributor workflow's rules as plain async functions over the platform handle.

pub(crate) mod reputation;
pub(crate) mod reviews;
pub(crate) mod submissions;

/// Reputation that makes a learner a reviewer.
pub(crate) const REVIEWER_REPUTATION: i32 = 200;
/// Approvals (without a moderator's) that publish a revision.
pub(crate) const APPROVALS_TO_PUBLISH: usize = 2;
/// Rejections (without a moderator's) that reject a revision.
pub(crate) const REJECTIONS_TO_REJECT: usize = 2;
/// Submissions one author may have waiting (pending or returned) at once.
pub(crate) const MAX_OPEN_PER_AUTHOR: u64 = 20;
/// Longest review comment.
pub(crate) const MAX_COMMENT: usize = 1000;

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(remote = "agora_entities::community::submission::Status")]
pub enum SubmissionStatus {
    /// In the review queue.
    Pending,
    /// Returned to the author, who may revise it.
    ChangesRequested,
    /// Approved and published as a question.
    Approved,
    /// Rejected; final.
    Rejected,
}

/// A reviewer's vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(remote = "agora_entities::community::submission_review::Verdict")]
pub enum Verdict {
    /// Publish it.
    Approve,
    /// Refuse it.
    Reject,
    /// Return it to the author for a revision.
    RequestChanges,
}

/// Why a reputation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(remote = "agora_entities::community::reputation_event::Reason")]
pub enum ReputationReason {
    /// Your submission was published (+10).
    SubmissionPublished,
    /// Your submission was rejected (−2).
    SubmissionRejected,
    /// Your vote agreed with the outcome (+1).
    ReviewAgreed,
}

impl ReputationReason {
    /// Points this reason is worth.
    pub fn points(self) -> i32 {
        match self {
            Self::SubmissionPublished => 10,
            Self::SubmissionRejected => -2,
            Self::ReviewAgreed => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reputation_reasons_are_priced() {
        assert_eq!(ReputationReason::SubmissionPublished.points(), 10);
        assert_eq!(ReputationReason::SubmissionRejected.points(), -2);
        assert_eq!(ReputationReason::ReviewAgreed.points(), 1);
    }
}
