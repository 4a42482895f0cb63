//! What the server and other domains may ask of the knowledge hub: loaders and seeding.

use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use serde::Deserialize;
use uuid::Uuid;

pub use crate::loaders::insert_loaders;
/// A topic row, as [`TopicLoader`] loads it and [`Topic`] renders it.
pub use agora_entities::knowledge::topic::Model as TopicModel;

// What other domains render and read. Battle, community, gamification and learning show topics
// and questions inside their own objects, decode their ids, and read a few rows; none of them
// reaches into `service`, `types` or `loaders` (crates/schema/tests/boundaries.rs checks it).
pub use crate::{
    loaders::{QuestionLoader, TopicLoader},
    service::{
        ContentStatus, QuestionSource,
        validation::{CheckedQuestion, QuestionDraft, check_question},
    },
    types::{
        ARTICLE_TYPE, Article, CHOICE_TYPE, ChoiceInput, QUESTION_TYPE, Question, TOPIC_TYPE, Topic,
    },
};

/// Question reads for battles and submissions, and the one write another domain makes:
/// publishing an approved submission inside the reviewer's transaction (so the review and its
/// question commit together; `insert` emits `QUESTION_PUBLISHED`).
pub mod questions {
    pub use crate::service::questions::{
        DUPLICATE_SIMILARITY, by_ids, choices, choices_of, find, insert, near_duplicate,
        record_attempts,
    };
}

/// Question import and export for the server's `import-questions` task and the export job.
pub mod transfer {
    pub use crate::service::transfer::{TransferFormat, export, import};
}

/// Topic reads: by id, by slug, and a topic with its descendants.
pub mod topics {
    pub use crate::service::topics::{by_slug, find, subtree_ids};
}

/// Article reads for other domains' recommendations.
pub mod article_reads {
    use agora_entities::knowledge::{ContentStatus, article};
    use agora_platform::AppResult;
    use sea_orm::{
        ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    };
    use uuid::Uuid;

    /// Published article `id`, if there is one; one statement.
    pub async fn by_id<C: ConnectionTrait>(
        db: &C,
        id: Uuid,
    ) -> AppResult<Option<crate::types::Article>> {
        Ok(article::Entity::find_by_id(id)
            .filter(article::Column::Status.eq(ContentStatus::Published))
            .one(db)
            .await?
            .map(crate::types::Article))
    }

    /// Whether article `id` exists (any status); one statement.
    pub async fn exists<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<bool> {
        use sea_orm::PaginatorTrait;
        Ok(article::Entity::find_by_id(id).count(db).await? > 0)
    }

    /// Up to `limit` published articles of `topic`, shortest read first (then newest); one
    /// statement.
    pub async fn for_topic<C: ConnectionTrait>(
        db: &C,
        topic: Uuid,
        limit: u64,
    ) -> AppResult<Vec<crate::types::Article>> {
        Ok(article::Entity::find()
            .filter(article::Column::TopicId.eq(topic))
            .filter(article::Column::Status.eq(ContentStatus::Published))
            .order_by_asc(article::Column::ReadingMinutes)
            .order_by_desc(article::Column::CreatedAt)
            .limit(limit)
            .all(db)
            .await?
            .into_iter()
            .map(crate::types::Article)
            .collect())
    }
}

/// Reads the questions whose answers `user` must not see right now: those open or still to
/// come in a battle they play. The battle domain supplies it (knowledge cannot depend on
/// battle); the schema puts an [`AnswerSeal`] holding it in every request's data.
pub type SealedQuestions =
    fn(
        Platform,
        Uuid,
    ) -> futures::future::BoxFuture<'static, AppResult<std::collections::HashSet<Uuid>>>;

/// One request's view of [`SealedQuestions`], read at most once per request and only when a
/// signed-in viewer selects a question's explanation or a choice's correctness.
pub struct AnswerSeal {
    read: SealedQuestions,
    sealed: tokio::sync::OnceCell<std::collections::HashSet<Uuid>>,
}

impl AnswerSeal {
    /// A seal reading with `read`.
    pub fn new(read: SealedQuestions) -> Self {
        Self {
            read,
            sealed: tokio::sync::OnceCell::new(),
        }
    }

    /// Whether `user` must not see `question`'s answer now.
    pub(crate) async fn hides(
        &self,
        platform: &Platform,
        user: Uuid,
        question: Uuid,
    ) -> AppResult<bool> {
        let sealed = self
            .sealed
            .get_or_try_init(|| (self.read)(platform.clone(), user))
            .await?;
        Ok(sealed.contains(&question))
    }
}
use crate::service::{articles, questions as question_rows, topics as topic_rows};

/// A topic of `fixtures/knowledge/topics.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopicFixture {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Subtopics.
    #[serde(default)]
    pub children: Vec<TopicFixture>,
}

/// A question of `fixtures/knowledge/questions/*.json` (the createQuestion shape with a topic slug).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionFixture {
    /// Topic slug.
    pub topic: String,
    /// Prompt.
    pub prompt: String,
    /// Choices.
    pub choices: Vec<ChoiceFixture>,
    /// Explanation.
    pub explanation: String,
    /// 1–5.
    pub difficulty: i32,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A choice of a [`QuestionFixture`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChoiceFixture {
    /// Text.
    pub text: String,
    /// Whether it is the correct one.
    pub is_correct: bool,
}

/// An article of `fixtures/knowledge/articles.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArticleFixture {
    /// Topic slug.
    pub topic: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Markdown body.
    pub body: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// What [`seed`] created.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    /// Topics created.
    pub topics: usize,
    /// Questions created.
    pub questions: usize,
    /// Articles created.
    pub articles: usize,
}

/// Loads the demo content if the bank is empty (idempotent): topics, then questions and
/// articles as published, authored by `author`. Every question passes the same checks as
/// `createQuestion`; one bad fixture fails the whole seed, naming it.
pub async fn seed(
    platform: &Platform,
    author: Option<Uuid>,
    tree: &[TopicFixture],
    question_rows: &[QuestionFixture],
    article_rows: &[ArticleFixture],
) -> AppResult<SeedReport> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    if agora_entities::knowledge::topic::Entity::find()
        .count(&platform.db)
        .await?
        > 0
    {
        return Ok(SeedReport::default());
    }
    let mut report = SeedReport::default();
    let mut ids = std::collections::HashMap::new();
    for root in tree {
        let parent = topic_rows::create(
            platform,
            topic_rows::NewTopic {
                name: root.name.clone(),
                slug: Some(root.slug.clone()),
                parent_id: None,
                description: root.description.clone(),
            },
        )
        .await?;
        ids.insert(root.slug.clone(), parent.id);
        report.topics += 1;
        for child in &root.children {
            let topic = topic_rows::create(
                platform,
                topic_rows::NewTopic {
                    name: child.name.clone(),
                    slug: Some(child.slug.clone()),
                    parent_id: Some(parent.id),
                    description: child.description.clone(),
                },
            )
            .await?;
            ids.insert(child.slug.clone(), topic.id);
            report.topics += 1;
        }
    }
    let topic_of = |slug: &str, at: &str| {
        ids.get(slug)
            .copied()
            .ok_or_else(|| AppError::bad_input(at, format!("unknown topic slug {slug:?}")))
    };
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    for (index, row) in question_rows.iter().enumerate() {
        let at = format!("questions[{index}]");
        let draft = QuestionDraft {
            prompt: row.prompt.clone(),
            choices: row
                .choices
                .iter()
                .map(|c| (c.text.clone(), c.is_correct))
                .collect(),
            explanation: row.explanation.clone(),
            difficulty: row.difficulty,
            tags: row.tags.clone(),
        };
        let checked = check_question(&draft, &at)?;
        let topic_id = topic_of(&row.topic, &at)?;
        question_rows::insert(
            &txn,
            now,
            topic_id,
            author,
            &checked,
            ContentStatus::Published,
            QuestionSource::Imported,
        )
        .await?;
        report.questions += 1;
    }
    txn.commit().await?;
    for (index, row) in article_rows.iter().enumerate() {
        let topic_id = topic_of(&row.topic, &format!("articles[{index}]"))?;
        articles::create(
            platform,
            author,
            articles::ArticleDraft {
                topic_id: Some(topic_id),
                title: Some(row.title.clone()),
                summary: Some(row.summary.clone()),
                body: Some(row.body.clone()),
                tags: Some(row.tags.clone()),
                status: Some(ContentStatus::Published),
            },
        )
        .await?;
        report.articles += 1;
    }
    platform.wake_outbox();
    Ok(report)
}

/// Topic `id` for `node(id:)`; None when it does not exist.
pub async fn topic_node(platform: &Platform, id: Uuid) -> AppResult<Option<Topic>> {
    match topic_rows::find(&platform.db, id).await {
        Ok(topic) => Ok(Some(Topic(topic))),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Question `id` for `node(id:)`: published ones for everyone, the rest for moderators.
pub async fn question_node(
    platform: &Platform,
    moderator: bool,
    id: Uuid,
) -> AppResult<Option<Question>> {
    let found = question_rows::by_ids(&platform.db, &[id]).await?.pop();
    Ok(found
        .filter(|q| ContentStatus::from(q.status) == ContentStatus::Published || moderator)
        .map(Question::new))
}

/// Article `id` for `node(id:)`: published ones for everyone, the rest for moderators.
pub async fn article_node(
    platform: &Platform,
    moderator: bool,
    id: Uuid,
) -> AppResult<Option<Article>> {
    match articles::find(&platform.db, id).await {
        Ok(a) if ContentStatus::from(a.status) == ContentStatus::Published || moderator => {
            Ok(Some(Article(a)))
        }
        Ok(_) | Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}
