//! The knowledge hub's DataLoaders: one SQL statement per batch, whatever the page size.

use std::{collections::HashMap, marker::PhantomData};

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
    QuerySelect, Related,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use agora_entities::knowledge::ContentStatus;

fn db_error(what: &str) -> impl Fn(sea_orm::DbErr) -> LoadError + '_ {
    move |e| format!("loading {what}: {e}")
}

/// Topics by id.
pub type TopicLoader = ByIdLoader<topic::Entity>;
/// Questions by id (any status; callers decide visibility).
pub type QuestionLoader = ByIdLoader<question::Entity>;
/// Articles by id (any status; callers decide visibility).
pub(crate) type ArticleLoader = ByIdLoader<article::Entity>;

/// Direct subtopics in display order, by parent id.
pub(crate) struct ChildrenLoader(DatabaseConnection);

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
pub(crate) struct ChoicesLoader(DatabaseConnection);

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

/// A link table between tags and what they tag: which table, and its column holding the
/// tagged row's id.
pub(crate) trait TagLink: Send + Sync + 'static {
    /// The link table.
    type Link: EntityTrait;
    /// Its column holding the tagged row's id.
    const OWNER: <Self::Link as EntityTrait>::Column;
    /// What a failed load names.
    const WHAT: &'static str;
}

/// Questions' tags (`question_tags`).
pub(crate) struct QuestionTags;

impl TagLink for QuestionTags {
    type Link = question_tag::Entity;
    const OWNER: question_tag::Column = question_tag::Column::QuestionId;
    const WHAT: &'static str = "question tags";
}

/// Articles' tags (`article_tags`).
pub(crate) struct ArticleTags;

impl TagLink for ArticleTags {
    type Link = article_tag::Entity;
    const OWNER: article_tag::Column = article_tag::Column::ArticleId;
    const WHAT: &'static str = "article tags";
}

/// Tags in slug order, by the id of what they tag (a question or an article, by `L`).
pub(crate) struct TagsLoader<L>(DatabaseConnection, PhantomData<fn() -> L>);

impl<L> TagsLoader<L> {
    fn new(db: DatabaseConnection) -> Self {
        Self(db, PhantomData)
    }
}

/// Tags of questions, by question id.
pub(crate) type QuestionTagsLoader = TagsLoader<QuestionTags>;

/// Tags of articles, by article id.
pub(crate) type ArticleTagsLoader = TagsLoader<ArticleTags>;

#[derive(FromQueryResult)]
struct TaggedRow {
    owner_id: Uuid,
    id: Uuid,
    slug: String,
    name: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl<L: TagLink> Loader<Uuid> for TagsLoader<L>
where
    tag::Entity: Related<L::Link>,
{
    type Value = Vec<tag::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = tag::Entity::find()
            .select_only()
            .column_as(Expr::col((L::Link::default(), L::OWNER)), "owner_id")
            .column(tag::Column::Id)
            .column(tag::Column::Slug)
            .column(tag::Column::Name)
            .column(tag::Column::CreatedAt)
            .inner_join(L::Link::default())
            .filter(L::OWNER.is_in(keys.iter().copied()))
            .order_by_asc(tag::Column::Slug)
            .into_model::<TaggedRow>()
            .all(&self.0)
            .await
            .map_err(db_error(L::WHAT))?;
        let mut map: HashMap<Uuid, Vec<tag::Model>> = HashMap::new();
        for row in rows {
            map.entry(row.owner_id).or_default().push(tag::Model {
                id: row.id,
                slug: row.slug,
                name: row.name,
                created_at: row.created_at,
            });
        }
        Ok(map)
    }
}

/// Published question and article counts, by topic id.
pub(crate) struct TopicCountsLoader(DatabaseConnection);

/// Published content under one topic (not its subtopics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TopicCounts {
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
        let published = ContentStatus::Published;
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
    data.insert(batched(QuestionTagsLoader::new(db())));
    data.insert(batched(ArticleTagsLoader::new(db())));
    data.insert(batched(TopicCountsLoader(db())));
}
