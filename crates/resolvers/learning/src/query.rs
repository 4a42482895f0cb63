//! Learning queries: your flashcards, how many are due, the topics you completed.

use agora_knowledge::api::TOPIC_TYPE;
use agora_platform::{
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    capture::{
        self,
        types::{CAPTURE_TYPE, Capture, CaptureStatus},
    },
    optimize, personal, service, session, settings, transfer,
    types::{
        FLASHCARD_TYPE, Flashcard, FlashcardFileFormat, FlashcardState, FlashcardStats,
        LearningSettings, PERSONAL_TOPIC_TYPE, PersonalTopic, SCHEDULER_OPTIMIZATION_TYPE,
        SchedulerOptimization, StudySession, TopicCompletion,
    },
};

/// Learning's query root.
#[derive(Default)]
pub struct LearningQuery;

/// Learning's query root.
#[Object]
impl LearningQuery {
    /// Your flashcards, soonest due first; of one topic with `topicId`, only those due now with
    /// `dueOnly`, only those containing `search`, only those in `state`, only those tagged
    /// `tag`.
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn my_flashcards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
        #[graphql(default = false, desc = "Only the cards due now.")] due_only: bool,
        #[graphql(desc = "Only cards whose front or back contains this text (any case).")]
        search: Option<String>,
        #[graphql(desc = "Only cards in this state.")] state: Option<FlashcardState>,
        #[graphql(desc = "Only cards with this tag (any case).")] tag: Option<String>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, Flashcard>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode_opt(topic_id.as_ref(), TOPIC_TYPE, "topicId")?;
        let filter = service::CardFilter {
            topic,
            due_only,
            search: search.map(|text| service::search_text(&text)).transpose()?,
            state,
            tag: tag
                .map(|t| service::tags(&[t], "tag"))
                .transpose()?
                .map(|t| t.trim().to_owned()),
        };
        let page = service::page(ctx.platform()?, user, &filter, &page).await?;
        Ok(Some(page.into_connection(Flashcard)))
    }

    /// One of your flashcards; null if there is none with that id among yours.
    async fn flashcard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flashcard's global id.")] id: ID,
    ) -> Result<Option<Flashcard>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, FLASHCARD_TYPE, "id")?;
        match service::own_card(&ctx.platform()?.db, user, id).await {
            Ok(card) => Ok(Some(Flashcard(card))),
            Err(agora_platform::AppError::NotFound(_)) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// How many of your flashcards are due now.
    async fn due_flashcard_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let user = ctx.viewer().require_user()?;
        let platform = ctx.platform()?;
        let count = service::due_count(&platform.db, user, platform.clock.now()).await?;
        Ok(Some(i32::try_from(count).unwrap_or(i32::MAX)))
    }

    /// The topics you marked complete, newest first.
    async fn my_completed_topics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, TopicCompletion>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let user = ctx.viewer().require_user()?;
        let page = service::completions(ctx.platform()?, user, &page).await?;
        Ok(Some(page.into_connection(|model| TopicCompletion {
            model,
            first_time: false,
        })))
    }

    /// Your scheduler and its targets (the defaults until you change them).
    async fn learning_settings(&self, ctx: &Context<'_>) -> Result<Option<LearningSettings>> {
        let user = ctx.viewer().require_user()?;
        Ok(Some(LearningSettings(
            settings::of(&ctx.platform()?.db, user).await?,
        )))
    }

    /// What to study now: your due cards, the least likely to be recalled first, then new
    /// cards, oldest first, up to what is left of today's new-card limit; `limit` cards at
    /// most (1 to 500, default 50), of one topic with `topicId`.
    async fn study_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
        #[graphql(desc = "Most cards to return: 1 to 500 (default 50).")] limit: Option<i32>,
    ) -> Result<Option<StudySession>> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode_opt(topic_id.as_ref(), TOPIC_TYPE, "topicId")?;
        Ok(Some(StudySession(
            session::study_session(ctx.platform()?, user, topic, limit).await?,
        )))
    }

    /// How your flashcard study has gone and what is coming: counts, true retention, reviews
    /// per day over the last 30 days, due cards per day over the next 30, counts per topic.
    async fn flashcard_stats(&self, ctx: &Context<'_>) -> Result<Option<FlashcardStats>> {
        let user = ctx.viewer().require_user()?;
        Ok(Some(FlashcardStats(
            session::stats(ctx.platform()?, user).await?,
        )))
    }

    /// One of your scheduler optimisations; null if there is none with that id among yours.
    async fn scheduler_optimization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run's global id.")] id: ID,
    ) -> Result<Option<SchedulerOptimization>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, SCHEDULER_OPTIMIZATION_TYPE, "id")?;
        Ok(optimize::find(ctx.platform()?, user, id)
            .await?
            .map(SchedulerOptimization))
    }

    /// Your cards as Anki-compatible text, oldest first, front, back and tags: TSV (Anki's
    /// "Notes in Plain Text", importable as is) or CSV with a `front,back,tags` header; of one
    /// topic with `topicId`.
    async fn export_flashcards(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "FlashcardFileFormat::Tsv",
            desc = "The format (default TSV)."
        )]
        format: FlashcardFileFormat,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
    ) -> Result<Option<String>> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode_opt(topic_id.as_ref(), TOPIC_TYPE, "topicId")?;
        Ok(Some(
            transfer::export(ctx.platform()?, user, topic, format.into()).await?,
        ))
    }

    /// Your own topics under `parentId` (the top ones without it), by name.
    async fn my_topics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of your topics, for its subtopics.")] parent_id: Option<ID>,
    ) -> Result<Option<Vec<PersonalTopic>>> {
        let user = ctx.viewer().require_user()?;
        let parent = ids::decode_opt(parent_id.as_ref(), PERSONAL_TOPIC_TYPE, "parentId")?;
        Ok(Some(
            personal::topics(&ctx.platform()?.db, user, parent)
                .await?
                .into_iter()
                .map(PersonalTopic)
                .collect(),
        ))
    }

    /// One of your own topics; null if there is none with that id among yours.
    async fn my_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] id: ID,
    ) -> Result<Option<PersonalTopic>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, PERSONAL_TOPIC_TYPE, "id")?;
        match personal::own_topic(&ctx.platform()?.db, user, id).await {
            Ok(topic) => Ok(Some(PersonalTopic(topic))),
            Err(agora_platform::AppError::NotFound(_)) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Your captures, newest first; only those in `status` with it.
    #[graphql(complexity = "first.unwrap_or(20) as usize * child_complexity + 1")]
    async fn captures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only captures in this status.")] status: Option<CaptureStatus>,
        #[graphql(desc = "At most this many (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
    ) -> Result<Option<Connection<String, Capture>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, None, None)?;
        let user = ctx.viewer().require_user()?;
        let page = capture::page(ctx.platform()?, user, status.map(Into::into), &page).await?;
        Ok(Some(page.into_connection(Capture)))
    }

    /// One of your captures; null if there is none with that id among yours.
    async fn capture(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The capture's global id.")] id: ID,
    ) -> Result<Option<Capture>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, CAPTURE_TYPE, "id")?;
        Ok(capture::find(ctx.platform()?, user, id).await?.map(Capture))
    }
}
