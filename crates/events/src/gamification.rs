//! Events gamification emits.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `LEVEL_UP`: a user reached a new level (notifications tell them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LevelUp {
    /// Who.
    pub user_id: Uuid,
    /// The new level.
    pub level: i32,
    /// The level before.
    pub previous_level: i32,
    /// Total XP now.
    pub xp: i64,
}

impl DomainEvent for LevelUp {
    const KIND: EventKind = EventKind::LevelUp;
}

/// `ACHIEVEMENT_UNLOCKED`: a user unlocked an achievement (once per user and achievement).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AchievementUnlocked {
    /// Who.
    pub user_id: Uuid,
    /// The achievement's key.
    pub achievement_key: String,
    /// Its name.
    pub name: String,
    /// What it was for.
    pub description: String,
    /// When (always written; tolerated absent, as notifications always have).
    #[serde(default)]
    pub unlocked_at: Option<DateTime<Utc>>,
}

impl DomainEvent for AchievementUnlocked {
    const KIND: EventKind = EventKind::AchievementUnlocked;
}

/// `STREAK_AT_RISK`: the evening reminder for a user with a streak and nothing done today.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StreakAtRisk {
    /// Who.
    pub user_id: Uuid,
    /// The streak that ends at local midnight.
    pub streak: i32,
    /// Freezes held (one would save it); always written, no reader requires it.
    #[serde(default)]
    pub freezes: i32,
    /// The user's local date.
    pub local_date: NaiveDate,
}

impl DomainEvent for StreakAtRisk {
    const KIND: EventKind = EventKind::StreakAtRisk;
}
