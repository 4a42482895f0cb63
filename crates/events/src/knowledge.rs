//! Events the knowledge hub emits.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `QUESTION_PUBLISHED`: a question went live (gamification awards its author).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QuestionPublished {
    /// The question.
    pub question_id: Uuid,
    /// Its topic.
    pub topic_id: Uuid,
    /// Its author, who earns the points (none for imported questions).
    pub author_id: Option<Uuid>,
}

impl DomainEvent for QuestionPublished {
    const KIND: EventKind = EventKind::QuestionPublished;
}
