//! Events learning emits.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `FLASHCARD_REVIEWED`: a learner reviewed one of their cards (gamification awards points and
/// counts it toward streaks).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FlashcardReviewed {
    /// The learner (the card's owner).
    pub user_id: Uuid,
    /// The card's topic, if it has one.
    #[serde(default)]
    pub topic_id: Option<Uuid>,
    /// The card; absent in rows written by the demo seed.
    #[serde(default)]
    pub flashcard_id: Option<Uuid>,
    /// The SM-2 quality graded (0-5); absent in rows written by the demo seed.
    #[serde(default)]
    pub quality: Option<i32>,
}

impl DomainEvent for FlashcardReviewed {
    const KIND: EventKind = EventKind::FlashcardReviewed;
}

/// `TOPIC_COMPLETED`: a learner completed a topic (written once per learner and topic).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TopicCompleted {
    /// The learner.
    pub user_id: Uuid,
    /// The topic (always written; tolerated absent, as gamification always has).
    #[serde(default)]
    pub topic_id: Option<Uuid>,
}

impl DomainEvent for TopicCompleted {
    const KIND: EventKind = EventKind::TopicCompleted;
}

/// `FLASHCARDS_DUE`: the morning reminder of a learner's cards due before local midnight
/// (notifications tell them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FlashcardsDue {
    /// The learner.
    pub user_id: Uuid,
    /// Cards due.
    pub due_count: i64,
    /// The learner's local date (always written; no reader requires it).
    #[serde(default)]
    pub local_date: Option<NaiveDate>,
}

impl DomainEvent for FlashcardsDue {
    const KIND: EventKind = EventKind::FlashcardsDue;
}

/// `CAPTURE_SUBMITTED`: a learner captured text, a page, a screenshot or a video; learning's
/// capture processor turns it into a topic and cards.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CaptureSubmitted {
    /// The learner.
    pub user_id: Uuid,
    /// The capture.
    pub capture_id: Uuid,
}

impl DomainEvent for CaptureSubmitted {
    const KIND: EventKind = EventKind::CaptureSubmitted;
}
