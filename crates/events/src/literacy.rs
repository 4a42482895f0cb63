//! Events of the literacy domain (word levels, pronunciation practice, mock tests;
//! `seeds/dyslexia-hub.txt`). That domain is not built yet: it will emit these, and
//! gamification already prices them (`point_rules` rows `WORD_MASTERED`, `MOCK_TEST_PASSED`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `WORD_MASTERED`: a learner mastered a word (the literacy domain will emit it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WordMastered {
    /// The learner.
    pub user_id: Uuid,
    /// The topic the word belongs to, if any.
    #[serde(default)]
    pub topic_id: Option<Uuid>,
}

impl DomainEvent for WordMastered {
    const KIND: EventKind = EventKind::WordMastered;
}

/// `MOCK_TEST_PASSED`: a learner passed a mock test, which unlocks the next word level (the
/// literacy domain will emit it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MockTestPassed {
    /// The learner.
    pub user_id: Uuid,
    /// The topic tested, if any.
    #[serde(default)]
    pub topic_id: Option<Uuid>,
}

impl DomainEvent for MockTestPassed {
    const KIND: EventKind = EventKind::MockTestPassed;
}
