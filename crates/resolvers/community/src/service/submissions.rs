//! Submitting and revising questions, and reading submissions.

use agora_entities::community::{submission, submission_review};
use agora_knowledge::api::{
    CheckedQuestion, ContentStatus, QuestionDraft, check_question,
    questions::{self, DUPLICATE_SIMILARITY},
    topics,
};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::{Role, Viewer},
    db::begin_write,
    ids,
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{MAX_OPEN_PER_AUTHOR, REVIEWER_REPUTATION, SubmissionStatus};

/// One stored choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredChoice {
    /// Answer text.
    pub text: String,
    /// The correct one.
    pub is_correct: bool,
}

/// A submission's choices as stored.
pub(crate) fn choices_of(model: &submission::Model) -> AppResult<Vec<StoredChoice>> {
    serde_json::from_str(&model.choices)
        .map_err(|e| AppError::internal(format!("submission {} choices: {e}", model.id)))
}

/// A submission's tag slugs as stored.
pub(crate) fn tags_of(model: &submission::Model) -> AppResult<Vec<String>> {
    serde_json::from_str(&model.tags)
        .map_err(|e| AppError::internal(format!("submission {} tags: {e}", model.id)))
}

/// The submission's current revision as a question draft, checked again.
pub(crate) fn checked_of(model: &submission::Model) -> AppResult<CheckedQuestion> {
    let draft = QuestionDraft {
        prompt: model.prompt.clone(),
        choices: choices_of(model)?
            .into_iter()
            .map(|c| (c.text, c.is_correct))
            .collect(),
        explanation: model.explanation.clone(),
        difficulty: i32::from(model.difficulty),
        tags: tags_of(model)?,
    };
    check_question(&draft, "submission")
}

fn encode<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// The quality gate every submission and revision passes before entering the queue: the
/// question rules (choice count and uniqueness, lengths, exactly one correct answer, tags),
/// an existing topic, and no near-duplicate in the bank (a published duplicate is named; an
/// unpublished one only said to exist).
async fn quality_check<C: ConnectionTrait>(
    db: &C,
    topic_id: Uuid,
    draft: &QuestionDraft,
) -> AppResult<CheckedQuestion> {
    let checked = check_question(draft, "input")?;
    topics::find(db, topic_id)
        .await
        .map_err(|_| AppError::bad_input("input.topicId", "no such topic"))?;
    if let Some((existing, similarity)) = questions::near_duplicate(db, &checked.prompt).await? {
        // An unpublished draft is not the submitter's to read: say it exists, not what it is.
        if ContentStatus::from(existing.status) != ContentStatus::Published {
            return Err(AppError::BadInput {
                message: format!(
                    "this question is {:.0}% alike to one not yet published; near duplicates (≥ {:.0}%) are refused",
                    similarity * 100.0,
                    DUPLICATE_SIMILARITY * 100.0,
                ),
                field: Some("input.prompt".into()),
                detail: Some("NEAR_DUPLICATE"),
                related: None,
            });
        }
        let id = ids::encode(agora_knowledge::api::QUESTION_TYPE, existing.id);
        return Err(AppError::BadInput {
            message: format!(
                "this question is {:.0}% alike to an existing one ({}): {:?}; near duplicates (≥ {:.0}%) are refused",
                similarity * 100.0,
                id.as_str(),
                existing.prompt,
                DUPLICATE_SIMILARITY * 100.0,
            ),
            field: Some("input.prompt".into()),
            detail: Some("NEAR_DUPLICATE"),
            related: Some(id.to_string()),
        });
    }
    Ok(checked)
}

fn apply(
    active: &mut submission::ActiveModel,
    topic_id: Uuid,
    checked: &CheckedQuestion,
) -> AppResult<()> {
    let choices: Vec<StoredChoice> = checked
        .choices
        .iter()
        .map(|(text, is_correct)| StoredChoice {
            text: text.clone(),
            is_correct: *is_correct,
        })
        .collect();
    active.topic_id = Set(Some(topic_id));
    active.prompt = Set(checked.prompt.clone());
    active.choices = Set(encode(&choices)?);
    active.explanation = Set(checked.explanation.clone());
    active.difficulty = Set(checked.difficulty);
    active.tags = Set(encode(&checked.tags)?);
    Ok(())
}

/// Submits a question for review (any signed-in user).
pub(crate) async fn submit(
    platform: &Platform,
    author_id: Uuid,
    topic_id: Uuid,
    draft: QuestionDraft,
) -> AppResult<submission::Model> {
    let txn = begin_write(&platform.db).await?;
    let open = submission::Entity::find()
        .filter(submission::Column::AuthorId.eq(author_id))
        .filter(submission::Column::Status.is_in([
            submission::Status::Pending,
            submission::Status::ChangesRequested,
        ]))
        .count(&txn)
        .await?;
    if open >= MAX_OPEN_PER_AUTHOR {
        return Err(AppError::Conflict(format!(
            "you already have {open} submissions waiting; wait for their reviews first"
        )));
    }
    let checked = quality_check(&txn, topic_id, &draft).await?;
    let now = platform.clock.now();
    let mut active = submission::ActiveModel {
        id: Set(Uuid::now_v7()),
        author_id: Set(author_id),
        status: Set(submission::Status::Pending),
        revision: Set(1),
        question_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        queued_at: Set(now),
        decided_at: Set(None),
        ..Default::default()
    };
    apply(&mut active, topic_id, &checked)?;
    let model = active.insert(&txn).await?;
    txn.commit().await?;
    Ok(model)
}

/// Loads a submission or fails with `NOT_FOUND`; locks it for the transaction on PostgreSQL.
pub(crate) async fn find_locked<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<submission::Model> {
    submission::Entity::find_by_id(id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such submission".into()))
}

/// A new revision of a submission returned with `REQUEST_CHANGES` (its author only); it goes
/// back to the end of the queue and earlier votes no longer count.
pub(crate) async fn revise(
    platform: &Platform,
    author_id: Uuid,
    id: Uuid,
    topic_id: Uuid,
    draft: QuestionDraft,
) -> AppResult<submission::Model> {
    let txn = begin_write(&platform.db).await?;
    let current = find_locked(&txn, id).await?;
    if current.author_id != author_id {
        return Err(AppError::Forbidden(
            "only the author may revise a submission".into(),
        ));
    }
    if current.status != submission::Status::ChangesRequested {
        return Err(AppError::Conflict(format!(
            "only a submission returned for changes can be revised (this one is {})",
            current.status.to_value()
        )));
    }
    let checked = quality_check(&txn, topic_id, &draft).await?;
    let now = platform.clock.now();
    let revision = current.revision + 1;
    let mut active: submission::ActiveModel = current.into();
    apply(&mut active, topic_id, &checked)?;
    active.revision = Set(revision);
    active.status = Set(submission::Status::Pending);
    active.updated_at = Set(now);
    active.queued_at = Set(now);
    let model = active.update(&txn).await?;
    txn.commit().await?;
    Ok(model)
}

/// Whether `viewer` may review submissions: CONTRIBUTOR and up, or reputation ≥ 200.
pub(crate) async fn may_review<C: ConnectionTrait>(db: &C, viewer: &Viewer) -> AppResult<bool> {
    let Some(user_id) = viewer.user_id() else {
        return Ok(false);
    };
    if viewer.role().is_some_and(|r| r >= Role::Contributor) {
        return Ok(true);
    }
    Ok(super::reputation::current(db, user_id).await? >= REVIEWER_REPUTATION)
}

/// Refuses viewers who may not review.
pub(crate) async fn require_reviewer<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
) -> AppResult<Uuid> {
    let user_id = viewer.require_user()?;
    if !may_review(db, viewer).await? {
        return Err(AppError::Forbidden(format!(
            "reviewing needs the CONTRIBUTOR role or {REVIEWER_REPUTATION} reputation"
        )));
    }
    Ok(user_id)
}

/// A submission as `viewer` may see it: its author, reviewers and moderators.
pub(crate) async fn find_visible(
    platform: &Platform,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<submission::Model>> {
    let user_id = viewer.require_user()?;
    let Some(found) = submission::Entity::find_by_id(id).one(&platform.db).await? else {
        return Ok(None);
    };
    if found.author_id == user_id || may_review(&platform.db, viewer).await? {
        Ok(Some(found))
    } else {
        Err(AppError::Forbidden(
            "only its author and reviewers see a submission".into(),
        ))
    }
}

/// The author's submissions, newest first, optionally of one status.
pub(crate) async fn mine(
    platform: &Platform,
    author_id: Uuid,
    status: Option<SubmissionStatus>,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<submission::Model>> {
    let mut select = submission::Entity::find().filter(submission::Column::AuthorId.eq(author_id));
    if let Some(status) = status {
        select = select.filter(submission::Column::Status.eq(submission::Status::from(status)));
    }
    fetch_time_page(
        &platform.db,
        select,
        (submission::Column::CreatedAt, submission::Column::Id),
        Order::Desc,
        page,
        |s| TimeCursor {
            t: s.created_at,
            id: s.id,
        },
    )
    .await
}

/// The review queue for `reviewer_id`: pending submissions, oldest in the queue first, never
/// the reviewer's own and never a revision they already voted on.
pub(crate) async fn queue(
    platform: &Platform,
    reviewer_id: Uuid,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<submission::Model>> {
    let voted = Query::select()
        .expr(Expr::val(1))
        .from(submission_review::Entity)
        .and_where(
            Expr::col((
                submission_review::Entity,
                submission_review::Column::SubmissionId,
            ))
            .equals((submission::Entity, submission::Column::Id)),
        )
        .and_where(
            Expr::col((
                submission_review::Entity,
                submission_review::Column::Revision,
            ))
            .equals((submission::Entity, submission::Column::Revision)),
        )
        .and_where(
            Expr::col((
                submission_review::Entity,
                submission_review::Column::ReviewerId,
            ))
            .eq(reviewer_id),
        )
        .to_owned();
    let select = submission::Entity::find()
        .filter(submission::Column::Status.eq(submission::Status::Pending))
        .filter(submission::Column::AuthorId.ne(reviewer_id))
        .filter(Expr::exists(voted).not());
    fetch_time_page(
        &platform.db,
        select,
        (submission::Column::QueuedAt, submission::Column::Id),
        Order::Asc,
        page,
        |s| TimeCursor {
            t: s.queued_at,
            id: s.id,
        },
    )
    .await
}

/// Marks the submission decided at `now` with `status`.
pub(crate) fn decided(
    current: submission::Model,
    status: SubmissionStatus,
    now: DateTime<Utc>,
) -> submission::ActiveModel {
    let mut active: submission::ActiveModel = current.into();
    active.status = Set(status.into());
    active.updated_at = Set(now);
    if matches!(
        status,
        SubmissionStatus::Approved | SubmissionStatus::Rejected
    ) {
        active.decided_at = Set(Some(now));
    }
    active
}
