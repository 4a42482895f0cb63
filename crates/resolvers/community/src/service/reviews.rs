//! Voting on submissions and what a vote decides.
//!
//! Per revision: a moderator's APPROVE publishes and a moderator's REJECT is final; otherwise
//! two APPROVEs publish and two REJECTs reject. Any REQUEST_CHANGES returns the submission to
//! its author. Votes on earlier revisions never count. Publishing creates the question, emits
//! `QUESTION_PUBLISHED` and pays reputation in the same transaction as the deciding vote.

use agora_entities::community::{submission, submission_review};
use agora_knowledge::api::{ContentStatus, QuestionSource, questions};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::{Role, Viewer},
    db::begin_write,
    error::on_unique_violation,
    outbox::{self, NewEvent},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    APPROVALS_TO_PUBLISH, MAX_COMMENT, REJECTIONS_TO_REJECT, ReputationReason, SubmissionStatus,
    Verdict, reputation,
    submissions::{self, checked_of, decided},
};
use crate::events::SubmissionReviewed;

/// A vote to cast.
#[derive(Debug, Clone)]
pub(crate) struct Vote {
    /// The submission.
    pub submission_id: Uuid,
    /// The verdict.
    pub verdict: Verdict,
    /// Words to the author; required unless approving.
    pub comment: Option<String>,
}

fn check_comment(verdict: Verdict, comment: Option<String>) -> AppResult<Option<String>> {
    let comment = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    match &comment {
        None if verdict != Verdict::Approve => Err(AppError::bad_input(
            "comment",
            "say why: a comment is required to reject or request changes",
        )),
        Some(text) if text.chars().count() > MAX_COMMENT => Err(AppError::bad_input(
            "comment",
            format!("a comment must be at most {MAX_COMMENT} characters"),
        )),
        _ => Ok(comment),
    }
}

/// Votes of the submission's current revision, oldest first.
async fn current_votes<C: ConnectionTrait>(
    db: &C,
    current: &submission::Model,
) -> AppResult<Vec<submission_review::Model>> {
    Ok(submission_review::Entity::find()
        .filter(submission_review::Column::SubmissionId.eq(current.id))
        .filter(submission_review::Column::Revision.eq(current.revision))
        .order_by_asc(submission_review::Column::CreatedAt)
        .order_by_asc(submission_review::Column::Id)
        .all(db)
        .await?)
}

/// What the votes so far decide.
fn outcome(votes: &[submission_review::Model]) -> AppResult<Option<SubmissionStatus>> {
    let mut approvals = 0;
    let mut rejections = 0;
    for vote in votes {
        match Verdict::from(vote.verdict) {
            Verdict::Approve if vote.by_moderator => return Ok(Some(SubmissionStatus::Approved)),
            Verdict::Reject if vote.by_moderator => return Ok(Some(SubmissionStatus::Rejected)),
            Verdict::Approve => approvals += 1,
            Verdict::Reject => rejections += 1,
            Verdict::RequestChanges => return Ok(Some(SubmissionStatus::ChangesRequested)),
        }
    }
    Ok(if approvals >= APPROVALS_TO_PUBLISH {
        Some(SubmissionStatus::Approved)
    } else if rejections >= REJECTIONS_TO_REJECT {
        Some(SubmissionStatus::Rejected)
    } else {
        None
    })
}

/// Casts `viewer`'s vote and applies what it decides; returns the submission afterwards.
pub(crate) async fn review(
    platform: &Platform,
    viewer: &Viewer,
    vote: Vote,
) -> AppResult<submission::Model> {
    let comment = check_comment(vote.verdict, vote.comment)?;
    let txn = begin_write(&platform.db).await?;
    let reviewer_id = submissions::require_reviewer(&txn, viewer).await?;
    let current = submissions::find_locked(&txn, vote.submission_id).await?;
    if current.author_id == reviewer_id {
        return Err(AppError::Forbidden(
            "you cannot review your own submission".into(),
        ));
    }
    if current.status != submission::Status::Pending {
        return Err(AppError::Conflict(format!(
            "the submission is not waiting for review (it is {})",
            current.status.to_value()
        )));
    }
    let now = platform.clock.now();
    submission_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        submission_id: Set(current.id),
        reviewer_id: Set(reviewer_id),
        revision: Set(current.revision),
        verdict: Set(vote.verdict.into()),
        comment: Set(comment),
        by_moderator: Set(viewer.role().is_some_and(|r| r >= Role::Moderator)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| on_unique_violation(e, "you already reviewed this revision"))?;

    let votes = current_votes(&txn, &current).await?;
    let (author_id, submission_id) = (current.author_id, current.id);
    let updated = match outcome(&votes)? {
        None => current,
        Some(SubmissionStatus::Approved) => publish(&txn, now, current, &votes).await?,
        Some(SubmissionStatus::Rejected) => {
            let rejected = decided(current, SubmissionStatus::Rejected, now)
                .update(&txn)
                .await?;
            settle(&txn, now, &rejected, &votes, Verdict::Reject).await?;
            rejected
        }
        Some(status) => decided(current, status, now).update(&txn).await?,
    };
    let event = SubmissionReviewed {
        submission_id,
        author_id,
        reviewer_id,
        verdict: submission_review::Verdict::from(vote.verdict).to_value(),
        status: updated.status.to_value(),
    };
    outbox::enqueue(&txn, now, NewEvent::of(submission_id, &event)?).await?;
    txn.commit().await?;
    platform.wake_outbox();
    Ok(updated)
}

/// Creates the question (source CONTRIBUTED, published, emitting `QUESTION_PUBLISHED`) and
/// marks the submission approved.
async fn publish<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    current: submission::Model,
    votes: &[submission_review::Model],
) -> AppResult<submission::Model> {
    let Some(topic_id) = current.topic_id else {
        return Err(AppError::Conflict(
            "the submission's topic was deleted; request changes so the author picks another"
                .into(),
        ));
    };
    let checked = checked_of(&current)?;
    let question = questions::insert(
        db,
        now,
        topic_id,
        Some(current.author_id),
        &checked,
        ContentStatus::Published,
        QuestionSource::Contributed,
    )
    .await?;
    let mut approved = decided(current, SubmissionStatus::Approved, now);
    approved.question_id = Set(Some(question.id));
    let approved = approved.update(db).await?;
    settle(db, now, &approved, votes, Verdict::Approve).await?;
    Ok(approved)
}

/// Pays reputation for a final decision: the author +10 on publish or −2 on reject, and +1 to
/// every reviewer of this revision whose vote was `agreeing`.
async fn settle<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    decided: &submission::Model,
    votes: &[submission_review::Model],
    agreeing: Verdict,
) -> AppResult<()> {
    let reason = if agreeing == Verdict::Approve {
        ReputationReason::SubmissionPublished
    } else {
        ReputationReason::SubmissionRejected
    };
    reputation::award(db, now, decided.author_id, reason, Some(decided.id)).await?;
    for vote in votes {
        if Verdict::from(vote.verdict) == agreeing {
            reputation::award(
                db,
                now,
                vote.reviewer_id,
                ReputationReason::ReviewAgreed,
                Some(decided.id),
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(verdict: Verdict, by_moderator: bool) -> submission_review::Model {
        submission_review::Model {
            id: Uuid::now_v7(),
            submission_id: Uuid::nil(),
            reviewer_id: Uuid::now_v7(),
            revision: 1,
            verdict: verdict.into(),
            comment: None,
            by_moderator,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn two_approvals_publish_and_one_does_not() {
        let one = [vote(Verdict::Approve, false)];
        assert_eq!(outcome(&one).expect("ok"), None);
        let two = [vote(Verdict::Approve, false), vote(Verdict::Approve, false)];
        assert_eq!(outcome(&two).expect("ok"), Some(SubmissionStatus::Approved));
    }

    #[test]
    fn a_moderator_decides_alone() {
        let approve = [vote(Verdict::Approve, true)];
        assert_eq!(
            outcome(&approve).expect("ok"),
            Some(SubmissionStatus::Approved)
        );
        let reject = [vote(Verdict::Approve, false), vote(Verdict::Reject, true)];
        assert_eq!(
            outcome(&reject).expect("ok"),
            Some(SubmissionStatus::Rejected)
        );
    }

    #[test]
    fn split_votes_wait_and_two_rejections_reject() {
        let split = [vote(Verdict::Approve, false), vote(Verdict::Reject, false)];
        assert_eq!(outcome(&split).expect("ok"), None);
        let two = [vote(Verdict::Reject, false), vote(Verdict::Reject, false)];
        assert_eq!(outcome(&two).expect("ok"), Some(SubmissionStatus::Rejected));
        let back = [vote(Verdict::RequestChanges, false)];
        assert_eq!(
            outcome(&back).expect("ok"),
            Some(SubmissionStatus::ChangesRequested)
        );
    }

    #[test]
    fn comments_are_required_to_refuse_and_bounded() {
        assert!(check_comment(Verdict::Approve, None).expect("ok").is_none());
        assert!(check_comment(Verdict::Reject, Some("  ".into())).is_err());
        assert!(check_comment(Verdict::RequestChanges, Some("x".repeat(1001))).is_err());
        assert_eq!(
            check_comment(Verdict::Reject, Some(" wrong answer ".into())).expect("ok"),
            Some("wrong answer".into())
        );
    }
}
