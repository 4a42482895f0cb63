//! Tags: find-or-create by slug, and (re)linking questions and articles.

use agora_entities::knowledge::{article_tag, question_tag, tag};
use agora_platform::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Ids of the tags with `slugs`, creating the missing ones (name = slug).
pub(crate) async fn ensure<C: ConnectionTrait>(
    db: &C,
    slugs: &[String],
    now: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    let rows = slugs.iter().map(|slug| tag::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.clone()),
        name: Set(slug.clone()),
        created_at: Set(now),
    });
    // Concurrent writers may create the same tag: the unique slug decides, nobody fails.
    tag::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([tag::Column::Slug])
        .exec(db)
        .await?;
    let found = tag::Entity::find()
        .filter(tag::Column::Slug.is_in(slugs.iter().cloned()))
        .all(db)
        .await?;
    Ok(slugs
        .iter()
        .filter_map(|slug| found.iter().find(|t| &t.slug == slug).map(|t| t.id))
        .collect())
}

/// Replaces a question's tags.
pub(crate) async fn set_question_tags<C: ConnectionTrait>(
    db: &C,
    question_id: Uuid,
    slugs: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let ids = ensure(db, slugs, now).await?;
    question_tag::Entity::delete_many()
        .filter(question_tag::Column::QuestionId.eq(question_id))
        .exec(db)
        .await?;
    if !ids.is_empty() {
        question_tag::Entity::insert_many(ids.into_iter().map(|tag_id| {
            question_tag::ActiveModel {
                question_id: Set(question_id),
                tag_id: Set(tag_id),
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// Replaces an article's tags.
pub(crate) async fn set_article_tags<C: ConnectionTrait>(
    db: &C,
    article_id: Uuid,
    slugs: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let ids = ensure(db, slugs, now).await?;
    article_tag::Entity::delete_many()
        .filter(article_tag::Column::ArticleId.eq(article_id))
        .exec(db)
        .await?;
    if !ids.is_empty() {
        article_tag::Entity::insert_many(ids.into_iter().map(|tag_id| article_tag::ActiveModel {
            article_id: Set(article_id),
            tag_id: Set(tag_id),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}
