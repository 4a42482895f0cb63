//! Knowledge hub queries.

use agora_platform::{
    AppError,
    auth::{Role, Viewer},
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    service::{ContentStatus, articles, questions, topics},
    types::{
        ARTICLE_TYPE, Article, QUESTION_TYPE, Question, QuestionFilterInput, QuestionPreload,
        TOPIC_TYPE, Topic,
    },
};

/// Knowledge hub's query root.
#[derive(Default)]
pub struct KnowledgeQuery;

fn is_moderator(viewer: &Viewer) -> bool {
    viewer.role().is_some_and(|r| r >= Role::Moderator)
}

/// Non-published content is for moderators; everyone else asking for it is refused.
fn visible_status(
    viewer: &Viewer,
    asked: Option<ContentStatus>,
) -> Result<ContentStatus, AppError> {
    match asked {
        None | Some(ContentStatus::Published) => Ok(ContentStatus::Published),
        Some(other) if is_moderator(viewer) => Ok(other),
        Some(_) => Err(AppError::Forbidden(
            "only moderators see drafts and archived content".into(),
        )),
    }
}

/// The service filter for a client's `QuestionFilterInput`, with the status already settled.
fn question_filter(
    filter: QuestionFilterInput,
    status: ContentStatus,
) -> Result<questions::QuestionFilter, AppError> {
    let topic_id = filter
        .topic_id
        .map(|id| ids::decode(&id, TOPIC_TYPE, "filter.topicId"))
        .transpose()?;
    Ok(questions::QuestionFilter {
        topic_id,
        include_subtopics: filter.include_subtopics,
        tags: filter.tags,
        difficulty: filter.difficulty,
        status: Some(status),
        text: filter.text,
    })
}

/// A page of the questions `filter` selects, with the related rows the selection asks for
/// loaded for the whole page in one concurrent round (the root `questions` and
/// `Topic.questions`).
pub(crate) async fn question_page(
    ctx: &Context<'_>,
    filter: questions::QuestionFilter,
    page: &PageRequest<TimeCursor>,
) -> Result<Connection<String, Question>> {
    let page = questions::list(ctx.platform()?, filter, page).await?;
    let look = ctx.look_ahead();
    let node = if look.field("nodes").exists() {
        look.field("nodes")
    } else {
        look.field("edges").field("node")
    };
    let rows: Vec<_> = page.rows.iter().map(|(_, q)| q).collect();
    let preload = QuestionPreload::load(ctx, node, &rows).await?;
    Ok(page.into_connection(|q| Question::preloaded(q, preload.clone())))
}

/// Knowledge hub's query root.
#[Object]
impl KnowledgeQuery {
    /// Subtopics of `parentId`, or the root topics.
    async fn topics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parent topic's global id; omitted for the root topics.")]
        parent_id: Option<ID>,
    ) -> Result<Vec<Topic>> {
        let parent = parent_id
            .map(|id| ids::decode(&id, TOPIC_TYPE, "parentId"))
            .transpose()?;
        let topics = topics::children(ctx.platform()?, parent).await?;
        Ok(topics.into_iter().map(Topic).collect())
    }

    /// One topic by id, or by path (`science/physics`) or unambiguous slug.
    async fn topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] id: Option<ID>,
        #[graphql(desc = "The topic's path (`science/physics`) or unambiguous slug.")] slug: Option<
            String,
        >,
    ) -> Result<Option<Topic>> {
        let platform = ctx.platform()?;
        let found = match (id, slug) {
            (Some(id), None) => {
                let id = ids::decode(&id, TOPIC_TYPE, "id")?;
                agora_entities::knowledge::topic::Entity::find_by_id(id)
                    .one(&platform.db)
                    .await
                    .map_err(AppError::from)?
            }
            (None, Some(slug)) => topics::by_slug(platform, &slug).await?,
            _ => return Err(AppError::bad_input("id", "pass either id or slug").into()),
        };
        Ok(found.map(Topic))
    }

    /// Questions, newest first. Learners see published questions only.
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    async fn questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
        #[graphql(desc = "Which questions: by topic, tags, difficulty, status or text.")]
        filter: Option<QuestionFilterInput>,
    ) -> Result<Connection<String, Question>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let status = visible_status(ctx.viewer(), filter.status)?;
        question_page(ctx, question_filter(filter, status)?, &page).await
    }

    /// One question; null when it does not exist or is not published (moderators see all).
    async fn question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question's global id.")] id: ID,
    ) -> Result<Option<Question>> {
        let id = ids::decode(&id, QUESTION_TYPE, "id")?;
        let found = questions::by_ids(&ctx.platform()?.db, &[id]).await?.pop();
        Ok(found
            .filter(|q| {
                ContentStatus::from(q.status) == ContentStatus::Published
                    || is_moderator(ctx.viewer())
            })
            .map(Question::new))
    }

    /// Articles, newest first, optionally in one topic. Learners see published ones only.
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn articles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
        #[graphql(
            desc = "Only this status (default PUBLISHED); other than PUBLISHED needs a moderator."
        )]
        status: Option<ContentStatus>,
    ) -> Result<Connection<String, Article>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let status = visible_status(ctx.viewer(), status)?;
        let topic_id = topic_id
            .map(|id| ids::decode(&id, TOPIC_TYPE, "topicId"))
            .transpose()?;
        let page = articles::list(ctx.platform()?, topic_id, status, &page).await?;
        Ok(page.into_connection(Article))
    }

    /// Full-text search over published questions and articles, best first, each hit with a
    /// highlighted snippet.
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for, 1 to 200 characters.")] query: String,
        #[graphql(default = 10, desc = "At most this many hits, 1 to 50.")] first: i32,
        #[graphql(desc = "Only hits of these kinds (default both).")] kinds: Option<
            Vec<crate::service::search::SearchKind>,
        >,
    ) -> Result<Vec<crate::types::SearchHit>> {
        let hits = crate::service::search::search(
            ctx.platform()?,
            &query,
            first,
            &kinds.unwrap_or_default(),
        )
        .await?;
        Ok(hits
            .into_iter()
            .map(|hit| crate::types::SearchHit { hit })
            .collect())
    }

    /// The questions matching `filter` (at most 5,000, newest first) as a JSON or CSV file in
    /// the import format, correct answers included (moderators).
    async fn export_questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which questions: by topic, tags, difficulty, status or text.")]
        filter: Option<QuestionFilterInput>,
        #[graphql(desc = "The file format: JSON or CSV.")]
        format: crate::service::transfer::TransferFormat,
    ) -> Result<Option<String>> {
        ctx.viewer().require_role(Role::Moderator)?;
        let filter = filter.unwrap_or_default();
        // Moderators only, so any status may be exported.
        let status = filter.status.unwrap_or(ContentStatus::Published);
        let filter = question_filter(filter, status)?;
        Ok(Some(
            crate::service::transfer::export(ctx.platform()?, filter, format).await?,
        ))
    }

    /// One article; null when it does not exist or is not published (moderators see all).
    async fn article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's global id.")] id: ID,
    ) -> Result<Option<Article>> {
        let id = ids::decode(&id, ARTICLE_TYPE, "id")?;
        let found = match articles::find(&ctx.platform()?.db, id).await {
            Ok(article) => Some(article),
            Err(AppError::NotFound(_)) => None,
            Err(other) => return Err(other.into()),
        };
        Ok(found
            .filter(|a| {
                ContentStatus::from(a.status) == ContentStatus::Published
                    || is_moderator(ctx.viewer())
            })
            .map(Article))
    }
}

use sea_orm::EntityTrait as _;
