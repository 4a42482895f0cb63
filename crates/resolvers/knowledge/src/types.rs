//! GraphQL types of the knowledge hub.

use std::{collections::HashMap, sync::Arc};

use agora_entities::{
    identity::user,
    knowledge::{article, question, question_choice, tag, topic},
};
use agora_identity::api::{User, UserLoader, load_user};
use agora_platform::{
    AppError,
    auth::Role,
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{
    Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    loaders::{
        ArticleTagsLoader, ChildrenLoader, ChoicesLoader, QuestionTagsLoader, TopicCountsLoader,
        TopicLoader,
    },
    service::{ContentStatus, QuestionSource, questions::QuestionFilter},
};

/// Global-id type names.
pub const TOPIC_TYPE: &str = "Topic";
/// Global-id type name of questions.
pub const QUESTION_TYPE: &str = "Question";
/// Global-id type name of choices.
pub const CHOICE_TYPE: &str = "Choice";
/// Global-id type name of articles.
pub const ARTICLE_TYPE: &str = "Article";
/// Global-id type name of tags.
pub(crate) const TAG_TYPE: &str = "Tag";

async fn author(ctx: &Context<'_>, author_id: Option<uuid::Uuid>) -> Result<Option<User>> {
    match author_id {
        Some(id) => load_user(ctx, id).await,
        None => Ok(None),
    }
}

async fn topic_by_id(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Topic> {
    ctx.loader::<TopicLoader>()?
        .load_one(id)
        .await
        .map_err(AppError::Internal)?
        .map(Topic)
        .ok_or_else(|| AppError::internal(format!("topic {id} vanished")).into())
}

/// A subject in the topic tree.
pub struct Topic(pub topic::Model);

/// A subject in the topic tree.
#[Object]
impl Topic {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(TOPIC_TYPE, self.0.id)
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// URL name, unique among siblings.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// Slugs from the root down, e.g. `science/physics`; `topic(slug:)` accepts it.
    async fn path(&self) -> &str {
        &self.0.path
    }

    /// One-sentence description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The parent; null for a root.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        match self.0.parent_id {
            Some(id) => Ok(Some(topic_by_id(ctx, id).await?)),
            None => Ok(None),
        }
    }

    /// The path from the root down to the parent.
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Topic>> {
        let mut chain = Vec::new();
        let mut next = self.0.parent_id;
        while let Some(id) = next {
            let parent = topic_by_id(ctx, id).await?;
            next = parent.0.parent_id;
            chain.push(parent);
        }
        chain.reverse();
        Ok(chain)
    }

    /// Direct subtopics.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Topic>> {
        let children = ctx
            .loader::<ChildrenLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(children
            .unwrap_or_default()
            .into_iter()
            .map(Topic)
            .collect())
    }

    /// This topic's published questions, newest first, and with `includeSubtopics` its
    /// subtopics' too: a topic page in one request. (Asked on a list of topics, it costs a
    /// statement per topic; `questions(filter: { topicId })` is the same list at the root.)
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    async fn questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor.")] before: Option<String>,
        #[graphql(
            default_with = "Some(false)",
            desc = "Include the questions of every topic below this one (null is false)."
        )]
        include_subtopics: Option<bool>,
    ) -> Result<Connection<String, Question>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let filter = QuestionFilter {
            topic_id: Some(self.0.id),
            include_subtopics: include_subtopics.unwrap_or(false),
            tags: Vec::new(),
            difficulty: None,
            status: Some(ContentStatus::Published),
            text: None,
        };
        crate::query::question_page(ctx, filter, &page).await
    }

    /// Published questions filed directly under this topic.
    async fn question_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let counts = ctx
            .loader::<TopicCountsLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(counts.unwrap_or_default().questions)
    }

    /// Published articles filed directly under this topic.
    async fn article_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let counts = ctx
            .loader::<TopicCountsLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(counts.unwrap_or_default().articles)
    }
}

/// A label on questions and articles.
pub(crate) struct Tag(pub tag::Model);

/// A label on questions and articles.
#[Object]
impl Tag {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(TAG_TYPE, self.0.id)
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Lower-case slug.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
}

/// Whether the viewer must not see `question`'s answer now (see [`crate::api::AnswerSeal`]).
async fn answer_sealed(ctx: &Context<'_>, question: Uuid) -> Result<bool> {
    let (Some(user), Some(seal)) = (
        ctx.viewer().user_id(),
        ctx.data_opt::<crate::api::AnswerSeal>(),
    ) else {
        return Ok(false);
    };
    Ok(seal.hides(ctx.platform()?, user, question).await?)
}

/// One answer a question offers.
pub(crate) struct Choice(pub question_choice::Model);

/// One answer a question offers.
#[Object]
impl Choice {
    /// Global id (what `submitAnswer` takes).
    async fn id(&self) -> ID {
        ids::encode(CHOICE_TYPE, self.0.id)
    }

    /// The answer text.
    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Whether this is the correct answer; null unless you are a moderator or admin, and null
    /// for them too while the question is open or still to come in a battle they play.
    async fn is_correct(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        if ctx.viewer().role().is_none_or(|r| r < Role::Moderator)
            || answer_sealed(ctx, self.0.question_id).await?
        {
            return Ok(None);
        }
        Ok(Some(self.0.is_correct))
    }
}

/// How a question has fared in battles.
#[derive(SimpleObject)]
pub(crate) struct AnswerStats {
    /// Answers given.
    pub attempts: i64,
    /// Share of them that were correct, 0 to 1; null before the first answer.
    pub correct_rate: Option<f64>,
}

/// What a page of questions already holds of its related rows, loaded up front by the list
/// resolver for the fields the query selects (one statement per relation, run concurrently),
/// so the page's field resolvers need no DataLoader round. None means "not preloaded": the
/// field falls back to its DataLoader.
#[derive(Default)]
pub struct QuestionPreload {
    topics: Option<HashMap<Uuid, topic::Model>>,
    authors: Option<HashMap<Uuid, user::Model>>,
    tags: Option<HashMap<Uuid, Vec<tag::Model>>>,
    choices: Option<HashMap<Uuid, Vec<question_choice::Model>>>,
}

impl QuestionPreload {
    /// Loads, for `rows`, the relations that `node` (a `Question` selection) asks for.
    pub async fn load(
        ctx: &Context<'_>,
        node: async_graphql::Lookahead<'_>,
        rows: &[&question::Model],
    ) -> Result<Arc<Self>> {
        let ids: Vec<Uuid> = rows.iter().map(|q| q.id).collect();
        let mut topic_ids: Vec<Uuid> = rows.iter().map(|q| q.topic_id).collect();
        topic_ids.sort_unstable();
        topic_ids.dedup();
        let mut author_ids: Vec<Uuid> = rows.iter().filter_map(|q| q.author_id).collect();
        author_ids.sort_unstable();
        author_ids.dedup();
        let (topics, authors, tags, choices) = futures::try_join!(
            preload(
                node.field("topic").exists(),
                ctx.loader::<TopicLoader>()?,
                &topic_ids
            ),
            preload(
                node.field("author").exists(),
                ctx.loader::<UserLoader>()?,
                &author_ids
            ),
            preload(
                node.field("tags").exists(),
                ctx.loader::<QuestionTagsLoader>()?,
                &ids
            ),
            preload(
                node.field("choices").exists(),
                ctx.loader::<ChoicesLoader>()?,
                &ids
            ),
        )
        .map_err(AppError::Internal)?;
        Ok(Arc::new(Self {
            topics,
            authors,
            tags,
            choices,
        }))
    }
}

/// Runs `loader`'s batch query for `keys` directly when `wanted`.
async fn preload<L>(
    wanted: bool,
    loader: &async_graphql::dataloader::DataLoader<L>,
    keys: &[Uuid],
) -> Result<Option<HashMap<Uuid, L::Value>>, String>
where
    L: async_graphql::dataloader::Loader<Uuid, Error = String>,
{
    if !wanted || keys.is_empty() {
        return Ok(None);
    }
    loader.loader().load(keys).await.map(Some)
}

/// A multiple-choice question.
pub struct Question {
    model: question::Model,
    preload: Option<Arc<QuestionPreload>>,
}

impl Question {
    /// A question whose related rows come from DataLoaders.
    pub fn new(model: question::Model) -> Self {
        Self {
            model,
            preload: None,
        }
    }

    /// A question of a page whose related rows were loaded up front.
    pub fn preloaded(model: question::Model, preload: Arc<QuestionPreload>) -> Self {
        Self {
            model,
            preload: Some(preload),
        }
    }

    /// The row.
    pub fn model(&self) -> &question::Model {
        &self.model
    }
}

/// A multiple-choice question.
#[Object]
impl Question {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(QUESTION_TYPE, self.model.id)
    }

    /// The question text.
    async fn prompt(&self) -> &str {
        &self.model.prompt
    }

    /// The choices, in display order.
    async fn choices(&self, ctx: &Context<'_>) -> Result<Vec<Choice>> {
        let preloaded = self
            .preload
            .as_ref()
            .and_then(|p| p.choices.as_ref())
            .map(|m| m.get(&self.model.id).cloned());
        let choices = match preloaded {
            Some(found) => found,
            None => ctx
                .loader::<ChoicesLoader>()?
                .load_one(self.model.id)
                .await
                .map_err(AppError::Internal)?,
        };
        Ok(choices
            .unwrap_or_default()
            .into_iter()
            .map(Choice)
            .collect())
    }

    /// Why the correct answer is correct; null while this question is open or still to come
    /// in a battle you play (it gives the answer away).
    async fn explanation(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        if answer_sealed(ctx, self.model.id).await? {
            return Ok(None);
        }
        Ok(Some(&self.model.explanation))
    }

    /// 1 (easy) to 5 (hard).
    async fn difficulty(&self) -> i32 {
        self.model.difficulty.into()
    }

    /// Lifecycle state.
    async fn status(&self) -> Result<ContentStatus> {
        Ok(self.model.status.into())
    }

    /// Where it came from.
    async fn source(&self) -> Result<QuestionSource> {
        Ok(self.model.source.into())
    }

    /// The topic.
    async fn topic(&self, ctx: &Context<'_>) -> Result<Topic> {
        if let Some(found) = self
            .preload
            .as_ref()
            .and_then(|p| p.topics.as_ref())
            .and_then(|m| m.get(&self.model.topic_id))
        {
            return Ok(Topic(found.clone()));
        }
        topic_by_id(ctx, self.model.topic_id).await
    }

    /// Tags, by slug.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let preloaded = self
            .preload
            .as_ref()
            .and_then(|p| p.tags.as_ref())
            .map(|m| m.get(&self.model.id).cloned());
        let tags = match preloaded {
            Some(found) => found,
            None => ctx
                .loader::<QuestionTagsLoader>()?
                .load_one(self.model.id)
                .await
                .map_err(AppError::Internal)?,
        };
        Ok(tags.unwrap_or_default().into_iter().map(Tag).collect())
    }

    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.model.author_id else {
            return Ok(None);
        };
        if let Some(authors) = self.preload.as_ref().and_then(|p| p.authors.as_ref()) {
            return Ok(authors.get(&id).cloned().map(User::new));
        }
        author(ctx, Some(id)).await
    }

    /// Battle answer statistics.
    async fn stats(&self) -> AnswerStats {
        AnswerStats {
            attempts: self.model.attempts,
            correct_rate: (self.model.attempts > 0)
                .then(|| self.model.correct_attempts as f64 / self.model.attempts as f64),
        }
    }

    /// Creation time.
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }

    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.model.published_at
    }
}

/// A reading article.
pub struct Article(pub article::Model);

/// A reading article.
#[Object]
impl Article {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(ARTICLE_TYPE, self.0.id)
    }

    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// One or two sentences.
    async fn summary(&self) -> &str {
        &self.0.summary
    }

    /// Markdown body.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Estimated minutes to read (200 words a minute).
    async fn reading_minutes(&self) -> i32 {
        self.0.reading_minutes
    }

    /// Lifecycle state.
    async fn status(&self) -> Result<ContentStatus> {
        Ok(self.0.status.into())
    }

    /// The topic.
    async fn topic(&self, ctx: &Context<'_>) -> Result<Topic> {
        topic_by_id(ctx, self.0.topic_id).await
    }

    /// Tags, by slug.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let tags = ctx
            .loader::<ArticleTagsLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(tags.unwrap_or_default().into_iter().map(Tag).collect())
    }

    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        author(ctx, self.0.author_id).await
    }

    /// Creation time.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
}

/// One choice of a question input.
#[derive(InputObject)]
pub struct ChoiceInput {
    /// Answer text, 1–200 characters, unique within the question.
    pub text: String,
    /// Exactly one choice per question is correct.
    pub is_correct: bool,
}

/// A question as written (createQuestion; the same shape serves submissions and imports).
#[derive(InputObject)]
pub(crate) struct CreateQuestionInput {
    /// Topic to file it under.
    pub topic_id: ID,
    /// Question text, 10–500 characters.
    pub prompt: String,
    /// 2–6 choices, exactly one correct.
    pub choices: Vec<ChoiceInput>,
    /// Why the answer is right, 1–2000 characters.
    pub explanation: String,
    /// 1 (easy) to 5 (hard).
    pub difficulty: i32,
    /// Up to 10 tags; normalised to lower-case slugs.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// PUBLISHED (default) or DRAFT.
    pub status: Option<ContentStatus>,
}

/// Changes to a question; omitted fields stay. New choices replace all old ones.
#[derive(InputObject)]
pub(crate) struct UpdateQuestionInput {
    /// Move to this topic.
    pub topic_id: Option<ID>,
    /// New text.
    pub prompt: Option<String>,
    /// New choices.
    pub choices: Option<Vec<ChoiceInput>>,
    /// New explanation.
    pub explanation: Option<String>,
    /// New difficulty.
    pub difficulty: Option<i32>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New status.
    pub status: Option<ContentStatus>,
}

/// Filters for `questions`.
#[derive(InputObject, Default)]
pub(crate) struct QuestionFilterInput {
    /// Only this topic...
    pub topic_id: Option<ID>,
    /// ...and, when true, its subtopics.
    #[graphql(default)]
    pub include_subtopics: bool,
    /// Only questions carrying all of these tags.
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Only this difficulty.
    pub difficulty: Option<i32>,
    /// Only this status; other than PUBLISHED needs a moderator.
    pub status: Option<ContentStatus>,
    /// Case-insensitive part of the prompt.
    pub text: Option<String>,
}

/// `createTopic` input.
#[derive(InputObject)]
pub(crate) struct CreateTopicInput {
    /// Display name, 1–120 characters.
    pub name: String,
    /// URL name; derived from the name when omitted.
    pub slug: Option<String>,
    /// Parent topic; omitted for a root.
    pub parent_id: Option<ID>,
    /// One-sentence description.
    pub description: Option<String>,
}

/// `updateTopic` input; omitted fields stay. `parentId: null` makes the topic a root.
#[derive(InputObject)]
pub(crate) struct UpdateTopicInput {
    /// New name.
    pub name: Option<String>,
    /// New slug.
    pub slug: Option<String>,
    /// New parent (never one of the topic's own descendants).
    pub parent_id: MaybeUndefined<ID>,
    /// New description.
    pub description: Option<String>,
}

/// `createArticle` / `updateArticle` input; on update omitted fields stay.
#[derive(InputObject)]
pub(crate) struct ArticleInput {
    /// Topic to file it under (required on create).
    pub topic_id: Option<ID>,
    /// Title, 3–200 characters (required on create).
    pub title: Option<String>,
    /// Summary, 1–500 characters (required on create).
    pub summary: Option<String>,
    /// Markdown body (required on create).
    pub body: Option<String>,
    /// Up to 10 tags.
    pub tags: Option<Vec<String>>,
    /// PUBLISHED (default on create), DRAFT or ARCHIVED.
    pub status: Option<ContentStatus>,
}

/// One search result.
pub(crate) struct SearchHit {
    /// The ranked hit.
    pub hit: crate::service::search::Hit,
}

/// One search result.
#[Object]
impl SearchHit {
    /// Question or article.
    async fn kind(&self) -> crate::service::search::SearchKind {
        self.hit.kind
    }

    /// Relevance; higher is better, comparable within one answer.
    async fn score(&self) -> f64 {
        self.hit.score
    }

    /// An HTML-escaped excerpt with the matches wrapped in `<mark>`.
    async fn snippet(&self) -> &str {
        &self.hit.snippet
    }

    /// The question, for QUESTION hits.
    async fn question(&self, ctx: &Context<'_>) -> Result<Option<Question>> {
        if self.hit.kind != crate::service::search::SearchKind::Question {
            return Ok(None);
        }
        let found = ctx
            .loader::<crate::loaders::QuestionLoader>()?
            .load_one(self.hit.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(found.map(Question::new))
    }

    /// The article, for ARTICLE hits.
    async fn article(&self, ctx: &Context<'_>) -> Result<Option<Article>> {
        if self.hit.kind != crate::service::search::SearchKind::Article {
            return Ok(None);
        }
        let found = ctx
            .loader::<crate::loaders::ArticleLoader>()?
            .load_one(self.hit.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(found.map(Article))
    }
}

/// The outcome of one import row.
#[derive(SimpleObject)]
pub(crate) struct ImportRow {
    /// 0-based row number.
    pub index: i32,
    /// Whether the row passed every check.
    pub ok: bool,
    /// The field at fault, e.g. `rows[3].choices`.
    pub field: Option<String>,
    /// What is wrong.
    pub message: Option<String>,
    /// The question created from it.
    pub question: Option<ID>,
}

/// What `importQuestions` did.
#[derive(SimpleObject)]
pub(crate) struct ImportReport {
    /// Whether the questions were written (false for a dry run or when any row is bad).
    pub committed: bool,
    /// Rows that passed every check.
    pub valid: i32,
    /// Rows that did not.
    pub invalid: i32,
    /// Every row's outcome, in order.
    pub rows: Vec<ImportRow>,
}

impl From<crate::service::transfer::ImportReport> for ImportReport {
    fn from(report: crate::service::transfer::ImportReport) -> Self {
        let invalid = report.rows.len() - report.valid;
        Self {
            committed: report.committed,
            valid: report.valid as i32,
            invalid: invalid as i32,
            rows: report
                .rows
                .into_iter()
                .map(|row| ImportRow {
                    index: row.index as i32,
                    ok: row.field.is_none(),
                    field: row.field,
                    message: row.message,
                    question: row.question_id.map(|id| ids::encode(QUESTION_TYPE, id)),
                })
                .collect(),
        }
    }
}
