//! Articles: create, update, list.

use agora_entities::knowledge::{ContentStatus as StoredStatus, article, topic};
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Order,
    QueryFilter,
};
use uuid::Uuid;

use super::{ContentStatus, tags, topics, validation::normalize_tags};

/// Reading speed behind `readingMinutes`.
pub(crate) const WORDS_PER_MINUTE: usize = 200;

/// An article's fields as the client sends them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ArticleDraft {
    /// Title, 3–200 characters.
    pub title: Option<String>,
    /// Summary, 1–500 characters.
    pub summary: Option<String>,
    /// Markdown body, 1–100,000 characters.
    pub body: Option<String>,
    /// Topic.
    pub topic_id: Option<Uuid>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Status.
    pub status: Option<ContentStatus>,
}

fn bounded(value: &str, min: usize, max: usize, field: &str) -> AppResult<String> {
    let value = value.trim();
    let n = value.chars().count();
    if n < min || n > max {
        return Err(AppError::bad_input(
            field,
            format!("must be {min} to {max} characters (got {n})"),
        ));
    }
    Ok(value.to_owned())
}

/// Minutes to read `body` at [`WORDS_PER_MINUTE`], at least 1.
pub(crate) fn reading_minutes(body: &str) -> i32 {
    body.split_whitespace()
        .count()
        .div_ceil(WORDS_PER_MINUTE)
        .max(1) as i32
}

/// Loads an article or fails with `NOT_FOUND`.
pub(crate) async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<article::Model> {
    article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such article".into()))
}

/// Creates an article (moderators); every field but tags and status is required.
pub(crate) async fn create(
    platform: &Platform,
    author_id: Option<Uuid>,
    draft: ArticleDraft,
) -> AppResult<article::Model> {
    let title = bounded(
        draft.title.as_deref().unwrap_or_default(),
        3,
        200,
        "input.title",
    )?;
    let summary = bounded(
        draft.summary.as_deref().unwrap_or_default(),
        1,
        500,
        "input.summary",
    )?;
    let body = bounded(
        draft.body.as_deref().unwrap_or_default(),
        1,
        100_000,
        "input.body",
    )?;
    let tag_slugs = normalize_tags(draft.tags.as_deref().unwrap_or_default(), "input.tags")?;
    let status = draft.status.unwrap_or(ContentStatus::Published);
    let topic_id = draft
        .topic_id
        .ok_or_else(|| AppError::bad_input("input.topicId", "topicId is required"))?;
    let txn = begin_write(&platform.db).await?;
    topics::find(&txn, topic_id)
        .await
        .map_err(|_| AppError::bad_input("input.topicId", "no such topic"))?;
    let now = platform.clock.now();
    let id = Uuid::now_v7();
    let model = article::ActiveModel {
        id: Set(id),
        topic_id: Set(topic_id),
        author_id: Set(author_id),
        title: Set(title),
        summary: Set(summary),
        reading_minutes: Set(reading_minutes(&body)),
        body: Set(body),
        status: Set(status.into()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set((status == ContentStatus::Published).then_some(now)),
    }
    .insert(&txn)
    .await?;
    tags::set_article_tags(&txn, id, &tag_slugs, now).await?;
    txn.commit().await?;
    Ok(model)
}

/// Updates an article; absent fields stay.
pub(crate) async fn update(
    platform: &Platform,
    id: Uuid,
    draft: ArticleDraft,
) -> AppResult<article::Model> {
    let txn = begin_write(&platform.db).await?;
    let current = find(&txn, id).await?;
    let now = platform.clock.now();
    let was_published = ContentStatus::from(current.status) == ContentStatus::Published;
    let mut active: article::ActiveModel = current.into();
    if let Some(title) = &draft.title {
        active.title = Set(bounded(title, 3, 200, "input.title")?);
    }
    if let Some(summary) = &draft.summary {
        active.summary = Set(bounded(summary, 1, 500, "input.summary")?);
    }
    if let Some(body) = &draft.body {
        let body = bounded(body, 1, 100_000, "input.body")?;
        active.reading_minutes = Set(reading_minutes(&body));
        active.body = Set(body);
    }
    if let Some(topic_id) = draft.topic_id {
        topics::find(&txn, topic_id)
            .await
            .map_err(|_| AppError::bad_input("input.topicId", "no such topic"))?;
        active.topic_id = Set(topic_id);
    }
    if let Some(status) = draft.status {
        active.status = Set(status.into());
        if status == ContentStatus::Published && !was_published {
            active.published_at = Set(Some(now));
        }
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    if let Some(tag_list) = &draft.tags {
        let slugs = normalize_tags(tag_list, "input.tags")?;
        tags::set_article_tags(&txn, id, &slugs, now).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// One page of articles with `status` (published unless a moderator asks), newest first,
/// optionally in one topic.
pub(crate) async fn list(
    platform: &Platform,
    topic_id: Option<Uuid>,
    status: ContentStatus,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<article::Model>> {
    let mut select =
        article::Entity::find().filter(article::Column::Status.eq(StoredStatus::from(status)));
    if let Some(topic_id) = topic_id {
        if topic::Entity::find_by_id(topic_id)
            .one(&platform.db)
            .await?
            .is_none()
        {
            return Err(AppError::bad_input("topicId", "no such topic"));
        }
        select = select.filter(article::Column::TopicId.eq(topic_id));
    }
    fetch_time_page(
        &platform.db,
        select,
        (article::Column::CreatedAt, article::Column::Id),
        Order::Desc,
        page,
        |a| TimeCursor {
            t: a.created_at,
            id: a.id,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_time_rounds_up_at_two_hundred_words() {
        assert_eq!(reading_minutes("word"), 1);
        assert_eq!(reading_minutes(&"w ".repeat(200)), 1);
        assert_eq!(reading_minutes(&"w ".repeat(201)), 2);
    }
}
