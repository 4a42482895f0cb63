//! GraphQL types of learning.

use agora_entities::learning::{flashcard, topic_completion};
use agora_knowledge::api::{Topic, TopicLoader};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

/// Global id type name of [`Flashcard`].
pub const FLASHCARD_TYPE: &str = "Flashcard";

/// How hard the learner finds a card: their own label (SM-2's ease factor is what schedules).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "flashcard::Difficulty")]
pub enum FlashcardDifficulty {
    /// Easy.
    Easy,
    /// The default.
    Normal,
    /// Hard.
    Hard,
}

async fn topic_of(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Topic>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx
        .loader::<TopicLoader>()?
        .load_one(id)
        .await
        .map_err(AppError::Internal)?
        .map(Topic))
}

/// One of your flashcards, with its SM-2 schedule.
pub struct Flashcard(pub flashcard::Model);

/// One of your flashcards, with its SM-2 schedule.
#[Object]
impl Flashcard {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(FLASHCARD_TYPE, self.0.id)
    }

    /// Its topic; null if the topic was deleted since (the card is kept).
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, self.0.topic_id).await
    }

    /// The prompt side.
    async fn front(&self) -> &str {
        &self.0.front
    }

    /// The answer side.
    async fn back(&self) -> &str {
        &self.0.back
    }

    /// Your own label.
    async fn difficulty(&self) -> FlashcardDifficulty {
        self.0.difficulty.into()
    }

    /// SM-2 ease factor (2.5 for a new card, never below 1.3).
    async fn ease_factor(&self) -> f64 {
        self.0.ease_factor
    }

    /// Days between the last review and the next (0 before the first review).
    async fn interval_days(&self) -> i32 {
        self.0.interval_days
    }

    /// Reviews remembered in a row.
    async fn repetitions(&self) -> i32 {
        self.0.repetitions
    }

    /// When it is due.
    async fn next_review_at(&self) -> DateTime<Utc> {
        self.0.next_review_at
    }

    /// Whether it is due now.
    async fn due(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.next_review_at <= ctx.platform()?.clock.now())
    }

    /// The last review, if any.
    async fn last_reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_reviewed_at
    }

    /// Reviews so far.
    async fn review_count(&self) -> i32 {
        self.0.review_count
    }

    /// Reviews graded below 3 (forgotten).
    async fn lapses(&self) -> i32 {
        self.0.lapses
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A topic you marked complete.
pub(crate) struct TopicCompletion {
    /// The row.
    pub model: topic_completion::Model,
    /// Whether this request marked it (false when it was complete already).
    pub first_time: bool,
}

/// A topic you marked complete.
#[Object]
impl TopicCompletion {
    /// The topic.
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, Some(self.model.topic_id)).await
    }

    /// When it was first marked complete.
    async fn completed_at(&self) -> DateTime<Utc> {
        self.model.completed_at
    }

    /// Whether this request marked it (points are awarded once, the first time).
    async fn first_time(&self) -> bool {
        self.first_time
    }
}

/// `createFlashcard` input.
#[derive(InputObject)]
pub(crate) struct CreateFlashcardInput {
    /// The topic it belongs to.
    pub topic_id: ID,
    /// Prompt side, 1 to 500 characters.
    pub front: String,
    /// Answer side, 1 to 2,000 characters.
    pub back: String,
    /// Your label (default `NORMAL`).
    #[graphql(default_with = "FlashcardDifficulty::Normal")]
    pub difficulty: FlashcardDifficulty,
}

/// `updateFlashcard` input: what is left out stays as it is.
#[derive(InputObject)]
pub(crate) struct UpdateFlashcardInput {
    /// Move it to this topic.
    pub topic_id: Option<ID>,
    /// New prompt side.
    pub front: Option<String>,
    /// New answer side.
    pub back: Option<String>,
    /// New label.
    pub difficulty: Option<FlashcardDifficulty>,
}

/// `reviewFlashcard` input.
#[derive(InputObject)]
pub(crate) struct ReviewFlashcardInput {
    /// The card (yours, and due).
    pub flashcard_id: ID,
    /// How well you recalled it: 0 (blackout) to 5 (perfect); below 3 starts it again.
    pub quality: i32,
}
