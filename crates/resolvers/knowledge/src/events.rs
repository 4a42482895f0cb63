//! Events the knowledge hub writes to the outbox.

use agora_platform::outbox::NewEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnowledgeEvent {
    /// A question went live. Payload: [`QuestionPublished`].
    QuestionPublished,
}

impl KnowledgeEvent {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuestionPublished => "QUESTION_PUBLISHED",
        }
    }
}

/// Body of `QUESTION_PUBLISHED`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QuestionPublished {
    /// The question.
    pub question_id: Uuid,
    /// Its topic.
    pub topic_id: Uuid,
    /// Its author, who earns the points.
    pub author_id: Option<Uuid>,
}

impl QuestionPublished {
    /// The outbox record.
    pub fn event(&self) -> NewEvent {
        NewEvent {
            event_type: KnowledgeEvent::QuestionPublished.as_str(),
            aggregate_id: Some(self.question_id.to_string()),
            payload: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}
