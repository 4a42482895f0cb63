//! Learning mutations: your flashcards and their reviews, topics marked complete.

use agora_knowledge::api::TOPIC_TYPE;
use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    optimize,
    service::{self, CardChanges, NewCard},
    settings::{self, SettingsChanges},
    transfer,
    types::{
        CreateFlashcardInput, FLASHCARD_TYPE, Flashcard, FlashcardImportReport,
        ImportFlashcardsInput, LearningSettings, ReviewFlashcardInput, SchedulerOptimization,
        TopicCompletion, UpdateFlashcardInput, UpdateLearningSettingsInput,
        UpdateLearningSettingsPayload,
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

    /// Chooses your scheduler and its targets. Switching scheduler converts every card you
    /// have reviewed from its review log (FSRS: stability and difficulty; SM-2: ease factor and
    /// repetitions), all or nothing; due dates stay as they are. Values out of range are one
    /// `BAD_USER_INPUT` naming each field, and nothing changes.
    async fn update_learning_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change; fields left out stay as they are.")]
        input: UpdateLearningSettingsInput,
    ) -> Result<UpdateLearningSettingsPayload> {
        let user = ctx.viewer().require_user()?;
        let changes = SettingsChanges {
            scheduler: input.scheduler.map(Into::into),
            desired_retention: input.desired_retention,
            maximum_interval_days: input.maximum_interval_days,
            new_cards_per_day: input.new_cards_per_day,
        };
        let (settings, converted) = settings::update(ctx.platform()?, user, changes).await?;
        Ok(UpdateLearningSettingsPayload {
            settings: LearningSettings(settings),
            converted_cards: i32::try_from(converted).unwrap_or(i32::MAX),
        })
    }

    /// Fits your own FSRS parameters to your review log, in the background: returns the run at
    /// once (`RUNNING`); follow it with the `schedulerOptimization` query or subscription. When
    /// done it reports log-loss and RMSE of SM-2, default FSRS and the fitted FSRS on your
    /// newest fifth of reviews (held out from the fit) and saves the parameters to your
    /// settings. Needs at least 400 reviews, one run at a time (`CONFLICT` otherwise).
    async fn optimize_my_scheduler(&self, ctx: &Context<'_>) -> Result<SchedulerOptimization> {
        let user = ctx.viewer().require_user()?;
        Ok(SchedulerOptimization(
            optimize::start(ctx.platform()?, user).await?,
        ))
    }

    /// Imports cards from Anki-compatible text (TSV: Anki's "Notes in Plain Text"; or CSV)
    /// into one topic, all or nothing: every row is checked (both sides, duplicates within the
    /// file and in the topic) and reported by line; one refused row and nothing is stored.
    /// `dryRun` reports without storing. At most 2,000 rows and 900,000 bytes per import.
    async fn import_flashcards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and where its cards go.")] input: ImportFlashcardsInput,
    ) -> Result<FlashcardImportReport> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?;
        let report = transfer::import(
            ctx.platform()?,
            user,
            topic,
            input.format.into(),
            &input.content,
            input.dry_run,
        )
        .await?;
        Ok(report.into())
    }
}
