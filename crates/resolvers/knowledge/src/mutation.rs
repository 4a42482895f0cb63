//! Knowledge hub mutations (moderators and admins): thin wrappers over [`crate::service`].

use agora_platform::{auth::Role, context::ContextExt, ids};
use async_graphql::{Context, ID, MaybeUndefined, Object, Result};

use crate::{
    service::{
        ContentStatus, articles, questions, topics,
        transfer::{self, TransferFormat},
        validation::QuestionDraft,
    },
    types::{
        ARTICLE_TYPE, Article, ArticleInput, CreateQuestionInput, CreateTopicInput, ImportReport,
        QUESTION_TYPE, Question, TOPIC_TYPE, Topic, UpdateQuestionInput, UpdateTopicInput,
    },
};

/// Knowledge hub's mutation root.
#[derive(Default)]
pub struct KnowledgeMutation;

fn article_draft(input: ArticleInput) -> Result<articles::ArticleDraft> {
    Ok(articles::ArticleDraft {
        topic_id: input
            .topic_id
            .map(|id| ids::decode(&id, TOPIC_TYPE, "input.topicId"))
            .transpose()?,
        title: input.title,
        summary: input.summary,
        body: input.body,
        tags: input.tags,
        status: input.status,
    })
}

/// Knowledge hub's mutation root.
#[Object]
impl KnowledgeMutation {
    /// Creates a topic (moderators).
    async fn create_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new topic: its name, slug, parent and description.")]
        input: CreateTopicInput,
    ) -> Result<Topic> {
        ctx.viewer().require_role(Role::Moderator)?;
        let parent_id = input
            .parent_id
            .map(|id| ids::decode(&id, TOPIC_TYPE, "input.parentId"))
            .transpose()?;
        let topic = topics::create(
            ctx.platform()?,
            topics::NewTopic {
                name: input.name,
                slug: input.slug,
                parent_id,
                description: input.description,
            },
        )
        .await?;
        Ok(Topic(topic))
    }

    /// Renames or moves a topic (moderators). Moving it under its own descendant is refused.
    async fn update_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] id: ID,
        #[graphql(desc = "The new name, slug, parent or description; omitted fields stay.")]
        input: UpdateTopicInput,
    ) -> Result<Topic> {
        ctx.viewer().require_role(Role::Moderator)?;
        let id = ids::decode(&id, TOPIC_TYPE, "id")?;
        let parent_id = match input.parent_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(parent) => {
                Some(Some(ids::decode(&parent, TOPIC_TYPE, "input.parentId")?))
            }
        };
        let changes = topics::TopicChanges {
            name: input.name,
            slug: input.slug,
            parent_id,
            description: input.description,
        };
        Ok(Topic(topics::update(ctx.platform()?, id, changes).await?))
    }

    /// Deletes a topic without subtopics (moderators); its questions and articles move to
    /// `reassignTo`, which is required when it has any. Returns the deleted topic's id.
    async fn delete_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] id: ID,
        #[graphql(
            desc = "Where the topic's questions and articles go (required when it has any)."
        )]
        reassign_to: Option<ID>,
    ) -> Result<ID> {
        ctx.viewer().require_role(Role::Moderator)?;
        let id = ids::decode(&id, TOPIC_TYPE, "id")?;
        let target = reassign_to
            .map(|t| ids::decode(&t, TOPIC_TYPE, "reassignTo"))
            .transpose()?;
        topics::delete(ctx.platform()?, id, target).await?;
        Ok(ids::encode(TOPIC_TYPE, id))
    }

    /// Adds a question to the bank (moderators); published unless `status: DRAFT`.
    async fn create_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The new question: its topic, prompt, choices, explanation, difficulty, tags and status."
        )]
        input: CreateQuestionInput,
    ) -> Result<Question> {
        let author = ctx.viewer().require_role(Role::Moderator)?;
        let topic_id = ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?;
        let draft = QuestionDraft {
            prompt: input.prompt,
            choices: input
                .choices
                .into_iter()
                .map(|c| (c.text, c.is_correct))
                .collect(),
            explanation: input.explanation,
            difficulty: input.difficulty,
            tags: input.tags,
        };
        let status = input.status.unwrap_or(ContentStatus::Published);
        Ok(Question::new(
            questions::create(ctx.platform()?, author, topic_id, draft, status).await?,
        ))
    }

    /// Edits a question (moderators); the result is checked as a whole.
    async fn update_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question's global id.")] id: ID,
        #[graphql(
            desc = "The fields to change; omitted fields stay, new choices replace all old ones."
        )]
        input: UpdateQuestionInput,
    ) -> Result<Question> {
        ctx.viewer().require_role(Role::Moderator)?;
        let id = ids::decode(&id, QUESTION_TYPE, "id")?;
        let changes = questions::QuestionChanges {
            topic_id: input
                .topic_id
                .map(|t| ids::decode(&t, TOPIC_TYPE, "input.topicId"))
                .transpose()?,
            prompt: input.prompt,
            choices: input
                .choices
                .map(|cs| cs.into_iter().map(|c| (c.text, c.is_correct)).collect()),
            explanation: input.explanation,
            difficulty: input.difficulty,
            tags: input.tags,
            status: input.status,
        };
        Ok(Question::new(
            questions::update(ctx.platform()?, id, changes).await?,
        ))
    }

    /// Withdraws a question from play (moderators).
    async fn archive_question(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The question's global id.")] id: ID,
    ) -> Result<Question> {
        ctx.viewer().require_role(Role::Moderator)?;
        let id = ids::decode(&id, QUESTION_TYPE, "id")?;
        Ok(Question::new(
            questions::archive(ctx.platform()?, id).await?,
        ))
    }

    /// Imports questions from JSON or CSV (moderators): all or nothing — one bad row imports
    /// nothing and the report names every bad row and field. `dryRun` only checks.
    async fn import_questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The format of `data`: JSON or CSV.")] format: TransferFormat,
        #[graphql(
            desc = "The rows to import, at most 1,000, as a JSON array or CSV with a header line."
        )]
        data: String,
        #[graphql(desc = "Check every row, write nothing (default false).")] dry_run: Option<bool>,
    ) -> Result<ImportReport> {
        let dry_run = dry_run.unwrap_or(false);
        let author = ctx.viewer().require_role(Role::Moderator)?;
        let report =
            transfer::import(ctx.platform()?, Some(author), format, &data, dry_run).await?;
        Ok(report.into())
    }

    /// Writes an article (moderators).
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new article: its topic, title, summary, body, tags and status.")]
        input: ArticleInput,
    ) -> Result<Article> {
        let author = ctx.viewer().require_role(Role::Moderator)?;
        Ok(Article(
            articles::create(ctx.platform()?, Some(author), article_draft(input)?).await?,
        ))
    }

    /// Edits an article (moderators).
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The article's global id.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields stay.")] input: ArticleInput,
    ) -> Result<Article> {
        ctx.viewer().require_role(Role::Moderator)?;
        let id = ids::decode(&id, ARTICLE_TYPE, "id")?;
        Ok(Article(
            articles::update(ctx.platform()?, id, article_draft(input)?).await?,
        ))
    }
}
