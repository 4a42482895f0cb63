//! Events of the literacy domain (word levels, pronunciation practice, mock tests): it emits
//! these, and gamification prices them (`point_rules` rows `WORD_MASTERED`,
//! `MOCK_TEST_PASSED`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `WORD_MASTERED`: a learner mastered a word: practice passed it for the first time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WordMastered {
    /// The learner.
    pub user_id: Uuid,
    /// The topic the word belongs to, if any.
    #[serde(default)]
    pub topic_id: Option<Uuid>,
    /// The word.
    #[serde(default)]
    pub word_id: Option<Uuid>,
    /// Its level number.
    #[serde(default)]
    pub level: Option<i32>,
}

impl DomainEvent for WordMastered {
    const KIND: EventKind = EventKind::WordMastered;
}

/// `MOCK_TEST_PASSED`: a learner passed a level's mock test for the first time, which unlocks
/// the next word level.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MockTestPassed {
    /// The learner.
    pub user_id: Uuid,
    /// The topic tested, if any.
    #[serde(default)]
    pub topic_id: Option<Uuid>,
    /// The level number passed.
    #[serde(default)]
    pub level: Option<i32>,
    /// The score, in percent.
    #[serde(default)]
    pub score: Option<i32>,
}

impl DomainEvent for MockTestPassed {
    const KIND: EventKind = EventKind::MockTestPassed;
}

/// `PRACTICE_STREAK_EXTENDED`: a learner practised on one more consecutive day than ever
/// before. It comes once per new record day, so a counter of these events is the learner's
/// longest practice streak (gamification's `LONGEST_PRACTICE_STREAK`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PracticeStreakExtended {
    /// The learner.
    pub user_id: Uuid,
    /// The new longest streak, in days.
    pub days: i32,
}

impl DomainEvent for PracticeStreakExtended {
    const KIND: EventKind = EventKind::PracticeStreakExtended;
}
