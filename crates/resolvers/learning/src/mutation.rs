//! Learning mutations: your flashcards and their reviews, topics marked complete.

use agora_knowledge::api::TOPIC_TYPE;
use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    service::{self, CardChanges, NewCard},
    types::{
        CreateFlashcardInput, FLASHCARD_TYPE, Flashcard, ReviewFlashcardInput, TopicCompletion,
        UpdateFlashcardInput,
    },
};

/// Learning's mutation root.
#[derive(Default)]
pub struct LearningMutation;

/// Learning's mutation root.
#[Object]
impl LearningMutation {
    /// Adds a flashcard to your deck, due at once.
    async fn create_flashcard(
        &self,
        ctx: &Context<'_>,
        input: CreateFlashcardInput,
    ) -> Result<Flashcard> {
        let user = ctx.viewer().require_user()?;
        let card = NewCard {
            topic_id: ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?,
            front: input.front,
            back: input.back,
            difficulty: input.difficulty.into(),
        };
        Ok(Flashcard(
            service::create(ctx.platform()?, user, card).await?,
        ))
    }

    /// Edits one of your flashcards (its schedule is kept).
    async fn update_flashcard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flashcard's global id.")] id: ID,
        input: UpdateFlashcardInput,
    ) -> Result<Flashcard> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, FLASHCARD_TYPE, "id")?;
        let changes = CardChanges {
            front: input.front,
            back: input.back,
            difficulty: input.difficulty.map(Into::into),
            topic_id: input
                .topic_id
                .map(|t| ids::decode(&t, TOPIC_TYPE, "input.topicId"))
                .transpose()?,
        };
        Ok(Flashcard(
            service::update(ctx.platform()?, user, id, changes).await?,
        ))
    }

    /// Deletes one of your flashcards and its review history; returns its id (`NOT_FOUND` when
    /// you have no such card).
    async fn delete_flashcard(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, FLASHCARD_TYPE, "id")?;
        service::delete(ctx.platform()?, user, id).await?;
        Ok(ids::encode(FLASHCARD_TYPE, id))
    }

    /// Reviews one of your due flashcards: SM-2 sets its next review from `quality`. The review
    /// earns points (`FLASHCARD_REVIEWED`) when it comes on a later local day than the card was
    /// made (a card made and reviewed today earns nothing). A card not yet due is a `CONFLICT`.
    async fn review_flashcard(
        &self,
        ctx: &Context<'_>,
        input: ReviewFlashcardInput,
    ) -> Result<Flashcard> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&input.flashcard_id, FLASHCARD_TYPE, "input.flashcardId")?;
        Ok(Flashcard(
            service::review(ctx.platform()?, user, id, input.quality).await?,
        ))
    }

    /// Marks a topic complete for you once you have studied it (two passing reviews of your
    /// cards in it, each on a later day than its card was made; `BAD_USER_INPUT` before that);
    /// points (`TOPIC_COMPLETED`) come the first time only.
    async fn complete_topic(&self, ctx: &Context<'_>, topic_id: ID) -> Result<TopicCompletion> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode(&topic_id, TOPIC_TYPE, "topicId")?;
        let (model, first_time) = service::complete_topic(ctx.platform()?, user, topic).await?;
        Ok(TopicCompletion { model, first_time })
    }
}
