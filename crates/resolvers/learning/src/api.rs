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

/// A demo card (`fixtures/learning/flashcards.json`).
#[derive(Debug, Deserialize)]
pub struct FlashcardFixture {
    /// Slug of its topic.
    pub topic: String,
    /// Prompt side.
    pub front: String,
    /// Answer side.
    pub back: String,
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
            };
            service::create(platform, *learner, new).await?;
            created += 1;
        }
    }
    Ok(created)
}

pub use crate::simulate::{Simulation, simulate};
pub use crate::types::{FLASHCARD_TYPE, Flashcard};

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
