//! Learning queries: your flashcards, how many are due, the topics you completed.

use agora_knowledge::api::TOPIC_TYPE;
use agora_platform::{
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    service,
    types::{FLASHCARD_TYPE, Flashcard, TopicCompletion},
};

/// Learning's query root.
#[derive(Default)]
pub struct LearningQuery;

/// Learning's query root.
#[Object]
impl LearningQuery {
    /// Your flashcards, soonest due first; of one topic with `topicId`, only those due now with
    /// `dueOnly` (your study queue).
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn my_flashcards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
        #[graphql(default = false)] due_only: bool,
        first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, Flashcard>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let user = ctx.viewer().require_user()?;
        let topic = topic_id
            .map(|id| ids::decode(&id, TOPIC_TYPE, "topicId"))
            .transpose()?;
        let page = service::page(ctx.platform()?, user, topic, due_only, &page).await?;
        Ok(Some(page.into_connection(Flashcard)))
    }

    /// One of your flashcards; null if there is none with that id among yours.
    async fn flashcard(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Flashcard>> {
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
}
