//! The knowledge hub's DataLoaders: one SQL statement per batch, whatever the page size.

use std::collections::HashMap;

use agora_entities::knowledge::{
    article, article_tag, question, question_choice, question_tag, tag, topic,
};
use agora_platform::{
    Platform,
    loader::{ByIdLoader, LoadError},
};
use async_graphql::{Data, dataloader::Loader};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::service::ContentStatus;

fn db_error(what: &str) -> impl Fn(sea_orm::DbErr) -> LoadError + '_ {
    move |e| format!("loading {what}: {e}")
}

/// Topics by id.
pub type TopicLoader = ByIdLoader<topic::Entity>;
/// Questions by id (any status; callers decide visibility).
pub type QuestionLoader = ByIdLoader<question::Entity>;
/// Articles by id (any status; callers decide visibility).
pub type ArticleLoader = ByIdLoader<article::Entity>;

/// Direct subtopics in display order, by parent id.
pub struct ChildrenLoader(DatabaseConnection);

impl Loader<Uuid> for ChildrenLoader {
    type Value = Vec<topic::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = topic::Entity::find()
            .filter(topic::Column::ParentId.is_in(keys.iter().copied()))
            .order_by_asc(topic::Column::Position)
            .order_by_asc(topic::Column::Name)
            .all(&self.0)
            .await
            .map_err(db_error("subtopics"))?;
        let mut map: HashMap<Uuid, Self::Value> = HashMap::new();
        for row in rows {
            if let Some(parent) = row.parent_id {
                map.entry(parent).or_default().push(row);
            }
        }
        Ok(map)
    }
}

/// A question's choices in order, by question id.
pub struct ChoicesLoader(DatabaseConnection);

impl Loader<Uuid> for ChoicesLoader {
    type Value = Vec<question_choice::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = question_choice::Entity::find()
            .filter(question_choice::Column::QuestionId.is_in(keys.iter().copied()))
            .order_by_asc(question_choice::Column::QuestionId)
            .order_by_asc(question_choice::Column::Position)
            .all(&self.0)
            .await
            .map_err(db_error("choices"))?;
        let mut map: HashMap<Uuid, Self::Value> = HashMap::new();
        for row in rows {
            map.entry(row.question_id).or_default().push(row);
        }
        Ok(map)
    }
}

/// Tags of questions, by question id.
pub struct QuestionTagsLoader(DatabaseConnection);

/// Tags of articles, by article id.
pub struct ArticleTagsLoader(DatabaseConnection);

#[derive(FromQueryResult)]
struct TaggedRow {
    owner_id: Uuid,
    id: Uuid,
    slug: String,
    name: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

fn group_tags(rows: Vec<TaggedRow>) -> HashMap<Uuid, Vec<tag::Model>> {
    let mut map: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
    for row in rows {
        map.entry(row.owner_id).or_default().push(tag::Model {
            id: row.id,
            slug: row.slug,
            name: row.name,
            created_at: row.created_at,
        });
    }
    map
}

impl Loader<Uuid> for QuestionTagsLoader {
    type Value = Vec<tag::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = tag::Entity::find()
            .select_only()
            .column_as(
                Expr::col((question_tag::Entity, question_tag::Column::QuestionId)),
                "owner_id",
            )
            .column(tag::Column::Id)
            .column(tag::Column::Slug)
            .column(tag::Column::Name)
            .column(tag::Column::CreatedAt)
            .inner_join(question_tag::Entity)
            .filter(question_tag::Column::QuestionId.is_in(keys.iter().copied()))
            .order_by_asc(tag::Column::Slug)
            .into_model::<TaggedRow>()
            .all(&self.0)
            .await
            .map_err(db_error("question tags"))?;
        Ok(group_tags(rows))
    }
}

impl Loader<Uuid> for ArticleTagsLoader {
    type Value = Vec<tag::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = tag::Entity::find()
            .select_only()
            .column_as(
                Expr::col((article_tag::Entity, article_tag::Column::ArticleId)),
                "owner_id",
            )
            .column(tag::Column::Id)
            .column(tag::Column::Slug)
            .column(tag::Column::Name)
            .column(tag::Column::CreatedAt)
            .inner_join(article_tag::Entity)
            .filter(article_tag::Column::ArticleId.is_in(keys.iter().copied()))
            .order_by_asc(tag::Column::Slug)
            .into_model::<TaggedRow>()
            .all(&self.0)
            .await
            .map_err(db_error("article tags"))?;
        Ok(group_tags(rows))
    }
}

/// Published question and article counts, by topic id.
pub struct TopicCountsLoader(DatabaseConnection);

/// Published content under one topic (not its subtopics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopicCounts {
    /// Published questions.
    pub questions: i64,
    /// Published articles.
    pub articles: i64,
}

#[derive(FromQueryResult)]
struct CountRow {
    topic_id: Uuid,
    n: i64,
}

impl Loader<Uuid> for TopicCountsLoader {
    type Value = TopicCounts;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, TopicCounts>, LoadError> {
        let published = ContentStatus::Published.as_str();
        let questions = question::Entity::find()
            .select_only()
            .column(question::Column::TopicId)
            .column_as(Expr::col(question::Column::Id).count(), "n")
            .filter(question::Column::TopicId.is_in(keys.iter().copied()))
            .filter(question::Column::Status.eq(published))
            .group_by(question::Column::TopicId)
            .into_model::<CountRow>()
            .all(&self.0)
            .await
            .map_err(db_error("question counts"))?;
        let articles = article::Entity::find()
            .select_only()
            .column(article::Column::TopicId)
            .column_as(Expr::col(article::Column::Id).count(), "n")
            .filter(article::Column::TopicId.is_in(keys.iter().copied()))
            .filter(article::Column::Status.eq(published))
            .group_by(article::Column::TopicId)
            .into_model::<CountRow>()
            .all(&self.0)
            .await
            .map_err(db_error("article counts"))?;
        let mut map: HashMap<Uuid, TopicCounts> =
            keys.iter().map(|k| (*k, TopicCounts::default())).collect();
        for row in questions {
            map.entry(row.topic_id).or_default().questions = row.n;
        }
        for row in articles {
            map.entry(row.topic_id).or_default().articles = row.n;
        }
        Ok(map)
    }
}

/// Adds the knowledge hub's per-request DataLoaders to `data`.
pub fn insert_loaders(data: &mut Data, platform: &Platform) {
    use agora_platform::loader::batched;
    let db = || platform.db.clone();
    data.insert(batched(TopicLoader::new(
        db(),
        topic::Column::Id,
        |t: &topic::Model| t.id,
    )));
    data.insert(batched(ChildrenLoader(db())));
    data.insert(batched(QuestionLoader::new(
        db(),
        question::Column::Id,
        |q| q.id,
    )));
    data.insert(batched(ArticleLoader::new(
        db(),
        article::Column::Id,
        |a| a.id,
    )));
    data.insert(batched(ChoicesLoader(db())));
    data.insert(batched(QuestionTagsLoader(db())));
    data.insert(batched(ArticleTagsLoader(db())));
    data.insert(batched(TopicCountsLoader(db())));
}
