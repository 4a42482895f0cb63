//! What the server asks of learning: its scheduled job and the demo deck.

use std::sync::Arc;

use agora_entities::learning::flashcard;
use agora_platform::{AppResult, Platform, schedule::ScheduledJob};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

use crate::service::{self, NewCard};

/// Learning's scheduled jobs.
pub fn jobs() -> Vec<Arc<dyn ScheduledJob>> {
    vec![crate::reminders::job()]
}

/// Learning's outbox handler: the capture processor, running with `runtime`.
pub fn outbox_handlers(
    runtime: &CaptureRuntime,
) -> Vec<Arc<dyn agora_platform::outbox::OutboxHandler>> {
    vec![Arc::new(crate::capture::CaptureProcessor {
        runtime: Arc::new(runtime.clone()),
    })]
}

/// A demo card (`fixtures/learning/flashcards.json`).
#[derive(Debug, Deserialize)]
pub struct FlashcardFixture {
    /// Slug of its topic.
    pub topic: String,
    /// Prompt side.
    pub front: String,
    /// Answer side.
    pub back: String,
    /// Its tags (none when left out).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Gives each learner in `learners` the demo deck (cards whose topic exists), due at once.
/// Idempotent: a learner who holds cards already gets none. Returns the cards created.
pub async fn seed_demo(
    platform: &Platform,
    learners: &[Uuid],
    cards: &[FlashcardFixture],
) -> AppResult<usize> {
    let mut created = 0;
    for learner in learners {
        let held = flashcard::Entity::find()
            .filter(flashcard::Column::OwnerId.eq(*learner))
            .count(&platform.db)
            .await?;
        if held > 0 {
            continue;
        }
        for card in cards {
            let Some(topic) = agora_knowledge::api::topics::by_slug(platform, &card.topic).await?
            else {
                continue;
            };
            let new = NewCard {
                topic_id: topic.id,
                front: card.front.clone(),
                back: card.back.clone(),
                difficulty: flashcard::Difficulty::Normal,
                tags: card.tags.clone(),
            };
            service::create(platform, *learner, new).await?;
            created += 1;
        }
    }
    Ok(created)
}

pub use crate::capture::{
    CaptureRuntime,
    types::{CAPTURE_TYPE, Capture},
};
pub use crate::simulate::{Simulation, simulate};
pub use crate::types::{
    FLASHCARD_TYPE, Flashcard, PERSONAL_TOPIC_TYPE, PersonalTopic, SCHEDULER_OPTIMIZATION_TYPE,
    SYLLABUS_ITEM_TYPE, SchedulerOptimization, SyllabusItem,
};

/// Topic `id` of `owner`'s own, for `node(id:)`.
pub async fn personal_topic_node(
    platform: &Platform,
    owner: Uuid,
    id: Uuid,
) -> AppResult<Option<PersonalTopic>> {
    match crate::personal::own_topic(&platform.db, owner, id).await {
        Ok(topic) => Ok(Some(PersonalTopic(topic))),
        Err(agora_platform::AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Syllabus item `id` of `owner`'s, for `node(id:)`.
pub async fn syllabus_item_node(
    platform: &Platform,
    owner: Uuid,
    id: Uuid,
) -> AppResult<Option<SyllabusItem>> {
    match crate::personal::own_item(&platform.db, owner, id).await {
        Ok(item) => Ok(Some(SyllabusItem(item))),
        Err(agora_platform::AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Capture `id` of `owner`'s, for `node(id:)`.
pub async fn capture_node(
    platform: &Platform,
    owner: Uuid,
    id: Uuid,
) -> AppResult<Option<Capture>> {
    Ok(crate::capture::find(platform, owner, id)
        .await?
        .map(Capture))
}

/// Optimisation run `id` of `owner`'s, for `node(id:)`.
pub async fn scheduler_optimization_node(
    platform: &Platform,
    owner: Uuid,
    id: Uuid,
) -> AppResult<Option<SchedulerOptimization>> {
    Ok(crate::optimize::find(platform, owner, id)
        .await?
        .map(SchedulerOptimization))
}

/// Flashcard `id` for `node(id:)`: its owner's only.
pub async fn flashcard_node(
    platform: &Platform,
    owner: Uuid,
    id: Uuid,
) -> AppResult<Option<Flashcard>> {
    match service::own_card(&platform.db, owner, id).await {
        Ok(card) => Ok(Some(Flashcard(card))),
        Err(agora_platform::AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// What the dashboard shows of a learner's cards.
pub struct CardsOverview {
    /// Reviewed cards due now.
    pub due: u64,
    /// New cards the next session introduces (within today's limit).
    pub new_in_next_session: u64,
    /// Cards the next session holds (at most [`NEXT_SESSION`]).
    pub next_session_size: u64,
    /// The due cards least likely to be recalled now, most at risk first.
    pub most_at_risk: Vec<Flashcard>,
}

/// The session size the dashboard announces.
pub const NEXT_SESSION: i32 = 50;

/// `user`'s next study session in figures and the `at_risk` due cards least likely to be
/// recalled; a fixed number of statements (the study session's).
pub async fn cards_overview(
    platform: &Platform,
    user: Uuid,
    at_risk: usize,
) -> AppResult<CardsOverview> {
    let session = crate::session::study_session(platform, user, None, Some(NEXT_SESSION)).await?;
    Ok(CardsOverview {
        due: session.due_count,
        new_in_next_session: session.new_count,
        next_session_size: session.cards.len() as u64,
        most_at_risk: session
            .cards
            .into_iter()
            .filter(|card| card.card.review_count > 0)
            .take(at_risk)
            .map(|card| Flashcard(card.card))
            .collect(),
    })
}

/// A learner's reviews of the cards in one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTally {
    /// The topic (null: cards whose topic was deleted).
    pub topic_id: Option<Uuid>,
    /// Reviews.
    pub attempts: i64,
    /// Of which recalled (graded 3 or more).
    pub recalled: i64,
}

/// `user`'s reviews counted by the topic their card had at each review, from the tallies
/// every review keeps; one statement reading one row per topic.
pub async fn reviews_by_topic<C: sea_orm::ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<Vec<ReviewTally>> {
    use agora_entities::learning::review_tally;
    Ok(review_tally::Entity::find()
        .filter(review_tally::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|row| ReviewTally {
            topic_id: Some(row.topic_id),
            attempts: row.attempts,
            recalled: row.recalled,
        })
        .collect())
}
