//! The question bank: create, update, archive, list with filters.

use agora_entities::knowledge::{
    ContentStatus as StoredStatus, question, question_choice, question_tag, tag, topic,
};
use agora_platform::{
    AppError, AppResult, Platform,
    db::{begin_write, contains_ci},
    outbox::{self, NewEvent},
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::{
    ContentStatus, QuestionSource, topics,
    validation::{CheckedQuestion, QuestionDraft, check_question, normalize_tags},
};
use crate::events::QuestionPublished;

/// Loads a question or fails with `NOT_FOUND`.
pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<question::Model> {
    question::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such question".into()))
}

/// A question's choices in display order.
pub async fn choices<C: ConnectionTrait>(
    db: &C,
    question_id: Uuid,
) -> AppResult<Vec<question_choice::Model>> {
    Ok(question_choice::Entity::find()
        .filter(question_choice::Column::QuestionId.eq(question_id))
        .order_by_asc(question_choice::Column::Position)
        .all(db)
        .await?)
}

/// The choices of `question_ids` in display order, by question id, in one statement.
pub async fn choices_of<C: ConnectionTrait>(
    db: &C,
    question_ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<question_choice::Model>>> {
    let mut by_question: std::collections::HashMap<Uuid, Vec<question_choice::Model>> =
        std::collections::HashMap::new();
    if question_ids.is_empty() {
        return Ok(by_question);
    }
    for choice in question_choice::Entity::find()
        .filter(question_choice::Column::QuestionId.is_in(question_ids.iter().copied()))
        .order_by_asc(question_choice::Column::QuestionId)
        .order_by_asc(question_choice::Column::Position)
        .all(db)
        .await?
    {
        by_question
            .entry(choice.question_id)
            .or_default()
            .push(choice);
    }
    Ok(by_question)
}

async fn insert_choices<C: ConnectionTrait>(
    db: &C,
    question_id: Uuid,
    choices: &[(String, bool)],
) -> AppResult<()> {
    question_choice::Entity::delete_many()
        .filter(question_choice::Column::QuestionId.eq(question_id))
        .exec(db)
        .await?;
    question_choice::Entity::insert_many(choices.iter().enumerate().map(
        |(position, (text, correct))| question_choice::ActiveModel {
            id: Set(Uuid::now_v7()),
            question_id: Set(question_id),
            position: Set(position as i16),
            text: Set(text.clone()),
            is_correct: Set(*correct),
        },
    ))
    .exec(db)
    .await?;
    Ok(())
}

/// Creates a question in `topic_id` from a checked draft, inside the caller's transaction;
/// a published question emits `QUESTION_PUBLISHED`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    topic_id: Uuid,
    author_id: Option<Uuid>,
    checked: &CheckedQuestion,
    status: ContentStatus,
    source: QuestionSource,
) -> AppResult<question::Model> {
    let id = Uuid::now_v7();
    let published = status == ContentStatus::Published;
    let model = question::ActiveModel {
        id: Set(id),
        topic_id: Set(topic_id),
        author_id: Set(author_id),
        prompt: Set(checked.prompt.clone()),
        explanation: Set(checked.explanation.clone()),
        difficulty: Set(checked.difficulty),
        status: Set(status.into()),
        source: Set(source.into()),
        attempts: Set(0),
        correct_attempts: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(published.then_some(now)),
    }
    .insert(db)
    .await?;
    insert_choices(db, id, &checked.choices).await?;
    super::tags::set_question_tags(db, id, &checked.tags, now).await?;
    if published {
        let event = QuestionPublished {
            question_id: id,
            topic_id,
            author_id,
        };
        outbox::enqueue(db, now, NewEvent::of(id, &event)?).await?;
    }
    Ok(model)
}

/// Creates a question (moderators).
pub(crate) async fn create(
    platform: &Platform,
    author_id: Uuid,
    topic_id: Uuid,
    draft: QuestionDraft,
    status: ContentStatus,
) -> AppResult<question::Model> {
    let checked = check_question(&draft, "input")?;
    if status == ContentStatus::Archived {
        return Err(AppError::bad_input(
            "input.status",
            "a new question cannot be archived",
        ));
    }
    let txn = begin_write(&platform.db).await?;
    topics::find(&txn, topic_id)
        .await
        .map_err(|_| AppError::bad_input("input.topicId", "no such topic"))?;
    let now = platform.clock.now();
    let question = insert(
        &txn,
        now,
        topic_id,
        Some(author_id),
        &checked,
        status,
        QuestionSource::Manual,
    )
    .await?;
    txn.commit().await?;
    platform.wake_outbox();
    Ok(question)
}

/// Changes to a question; `None` leaves a field as it is. New choices replace the old ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct QuestionChanges {
    /// Move to this topic.
    pub topic_id: Option<Uuid>,
    /// New prompt.
    pub prompt: Option<String>,
    /// New choices.
    pub choices: Option<Vec<(String, bool)>>,
    /// New explanation.
    pub explanation: Option<String>,
    /// New difficulty.
    pub difficulty: Option<i32>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New status.
    pub status: Option<ContentStatus>,
}

/// Updates a question; the result is checked as a whole, as on creation.
pub(crate) async fn update(
    platform: &Platform,
    id: Uuid,
    changes: QuestionChanges,
) -> AppResult<question::Model> {
    let txn = begin_write(&platform.db).await?;
    let current = find(&txn, id).await?;
    let old_choices = choices(&txn, id).await?;
    let old_tags: Vec<String> = tag::Entity::find()
        .inner_join(question_tag::Entity)
        .filter(question_tag::Column::QuestionId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.slug)
        .collect();
    let replacing_choices = changes.choices.is_some();
    let draft = QuestionDraft {
        prompt: changes.prompt.unwrap_or_else(|| current.prompt.clone()),
        choices: changes.choices.unwrap_or_else(|| {
            old_choices
                .iter()
                .map(|c| (c.text.clone(), c.is_correct))
                .collect()
        }),
        explanation: changes
            .explanation
            .unwrap_or_else(|| current.explanation.clone()),
        difficulty: changes.difficulty.unwrap_or(current.difficulty as i32),
        tags: changes.tags.clone().unwrap_or(old_tags),
    };
    let checked = check_question(&draft, "input")?;
    if let Some(topic_id) = changes.topic_id {
        topics::find(&txn, topic_id)
            .await
            .map_err(|_| AppError::bad_input("input.topicId", "no such topic"))?;
    }
    let now = platform.clock.now();
    let was_published = ContentStatus::from(current.status) == ContentStatus::Published;
    let status = changes.status.unwrap_or(current.status.into());
    let publishing = !was_published && status == ContentStatus::Published;
    let topic_id = changes.topic_id.unwrap_or(current.topic_id);
    let author_id = current.author_id;
    let mut active: question::ActiveModel = current.into();
    active.topic_id = Set(topic_id);
    active.prompt = Set(checked.prompt.clone());
    active.explanation = Set(checked.explanation.clone());
    active.difficulty = Set(checked.difficulty);
    active.status = Set(status.into());
    active.updated_at = Set(now);
    if publishing {
        active.published_at = Set(Some(now));
    }
    let updated = active.update(&txn).await?;
    if replacing_choices {
        insert_choices(&txn, id, &checked.choices).await?;
    }
    if changes.tags.is_some() {
        super::tags::set_question_tags(&txn, id, &checked.tags, now).await?;
    }
    if publishing {
        let event = QuestionPublished {
            question_id: id,
            topic_id,
            author_id,
        };
        outbox::enqueue(&txn, now, NewEvent::of(id, &event)?).await?;
    }
    txn.commit().await?;
    platform.wake_outbox();
    Ok(updated)
}

/// Filters for `questions`.
#[derive(Debug, Clone, Default)]
pub struct QuestionFilter {
    /// Only this topic...
    pub topic_id: Option<Uuid>,
    /// ...and its subtopics.
    pub include_subtopics: bool,
    /// Questions carrying every one of these tags.
    pub tags: Vec<String>,
    /// Only this difficulty.
    pub difficulty: Option<i32>,
    /// Only this status (moderators; everyone else sees PUBLISHED only).
    pub status: Option<ContentStatus>,
    /// Case-insensitive part of the prompt.
    pub text: Option<String>,
}

/// One page of questions, newest first.
pub(crate) async fn list(
    platform: &Platform,
    filter: QuestionFilter,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<question::Model>> {
    let db = &platform.db;
    let status = filter.status.unwrap_or(ContentStatus::Published);
    let mut select =
        question::Entity::find().filter(question::Column::Status.eq(StoredStatus::from(status)));
    if let Some(topic_id) = filter.topic_id {
        let Some(root) = topic::Entity::find_by_id(topic_id).one(db).await? else {
            return Err(AppError::bad_input("filter.topicId", "no such topic"));
        };
        select = if filter.include_subtopics {
            select.filter(question::Column::TopicId.is_in(topics::subtree_ids(db, &root).await?))
        } else {
            select.filter(question::Column::TopicId.eq(topic_id))
        };
    }
    if let Some(difficulty) = filter.difficulty {
        if !(1..=5).contains(&difficulty) {
            return Err(AppError::bad_input(
                "filter.difficulty",
                "difficulty must be 1 to 5",
            ));
        }
        select = select.filter(question::Column::Difficulty.eq(difficulty as i16));
    }
    let tags = normalize_tags(&filter.tags, "filter.tags")?;
    if !tags.is_empty() {
        // Questions carrying all the tags: one grouped sub-select, no per-tag joins.
        let mut having = Query::select();
        having
            .column((question_tag::Entity, question_tag::Column::QuestionId))
            .from(question_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id))
                    .equals((question_tag::Entity, question_tag::Column::TagId)),
            )
            .and_where(Expr::col((tag::Entity, tag::Column::Slug)).is_in(tags.clone()))
            .group_by_col((question_tag::Entity, question_tag::Column::QuestionId))
            .and_having(
                Expr::col((question_tag::Entity, question_tag::Column::TagId))
                    .count()
                    .eq(tags.len() as i64),
            );
        select = select.filter(question::Column::Id.in_subquery(having.to_owned()));
    }
    if let Some(text) = filter
        .text
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        if text.chars().count() > 100 {
            return Err(AppError::bad_input(
                "filter.text",
                "text must be at most 100 characters",
            ));
        }
        select = select.filter(contains_ci(
            (question::Entity, question::Column::Prompt),
            &text,
        ));
    }
    fetch_time_page(
        db,
        select,
        (question::Column::CreatedAt, question::Column::Id),
        Order::Desc,
        page,
        |q| TimeCursor {
            t: q.created_at,
            id: q.id,
        },
    )
    .await
}

/// Sets the question's status to ARCHIVED.
pub(crate) async fn archive(platform: &Platform, id: Uuid) -> AppResult<question::Model> {
    update(
        platform,
        id,
        QuestionChanges {
            status: Some(ContentStatus::Archived),
            ..Default::default()
        },
    )
    .await
}

/// How alike two prompts must be (Sørensen–Dice over character pairs of the normalised text)
/// to count as the same question.
pub const DUPLICATE_SIMILARITY: f64 = 0.85;

/// A prompt reduced to what makes it the same question: lower case, letters and digits,
/// single spaces.
pub(crate) fn normalize_prompt(prompt: &str) -> String {
    prompt
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Similarity of two prompts, 0 to 1, after normalisation.
pub(crate) fn prompt_similarity(a: &str, b: &str) -> f64 {
    strsim::sorensen_dice(&normalize_prompt(a), &normalize_prompt(b))
}

/// The existing (draft or published) question most like `prompt`, if it is at least
/// [`DUPLICATE_SIMILARITY`] alike, with its similarity. Candidates come from the search index,
/// so the cost does not grow with the bank.
pub async fn near_duplicate<C: ConnectionTrait>(
    db: &C,
    prompt: &str,
) -> AppResult<Option<(question::Model, f64)>> {
    let ids = super::search::similar_question_ids(db, prompt, 20).await?;
    if ids.is_empty() {
        return Ok(None);
    }
    let best = by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|q| {
            let similarity = prompt_similarity(prompt, &q.prompt);
            (q, similarity)
        })
        .filter(|(_, similarity)| *similarity >= DUPLICATE_SIMILARITY)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    Ok(best)
}

/// Adds battle answers to a question's statistics (inside the caller's transaction).
pub async fn record_attempts<C: ConnectionTrait>(
    db: &C,
    question_id: Uuid,
    attempts: i64,
    correct: i64,
) -> AppResult<()> {
    if attempts == 0 {
        return Ok(());
    }
    question::Entity::update_many()
        .col_expr(
            question::Column::Attempts,
            Expr::col(question::Column::Attempts).add(attempts),
        )
        .col_expr(
            question::Column::CorrectAttempts,
            Expr::col(question::Column::CorrectAttempts).add(correct),
        )
        .filter(question::Column::Id.eq(question_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Questions with these ids, any status, in one statement (none for no ids); callers decide
/// visibility.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<Vec<question::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(question::Entity::find()
        .filter(question::Column::Id.is_in(ids.iter().copied()))
        .limit(ids.len() as u64)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewording_of_case_punctuation_and_spacing_is_the_same_prompt() {
        assert_eq!(
            normalize_prompt("  What's the CAPITAL of   France?!"),
            "what s the capital of france"
        );
        let same = prompt_similarity(
            "What is the capital of France?",
            "what is the capital of france",
        );
        assert!((same - 1.0).abs() < 1e-9, "{same}");
    }

    #[test]
    fn small_edits_are_near_duplicates_and_different_questions_are_not() {
        let near = prompt_similarity(
            "What is the capital city of France?",
            "What is the capital of France?",
        );
        assert!(near >= DUPLICATE_SIMILARITY, "{near}");
        let other = prompt_similarity(
            "What is the capital of Germany?",
            "What is the capital of France?",
        );
        assert!(other < DUPLICATE_SIMILARITY, "{other}");
        let unrelated = prompt_similarity(
            "Which gas do plants absorb from the air?",
            "What is the capital of France?",
        );
        assert!(unrelated < 0.5, "{unrelated}");
    }
}
