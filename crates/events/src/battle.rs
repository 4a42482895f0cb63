//! Events battle rooms emit.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// One player's line in [`BattleFinished`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FinishedPlayer {
    /// The player.
    pub user_id: Uuid,
    /// 1 for the winner.
    pub rank: i32,
    /// Battle points.
    pub score: i32,
    /// Correct answers.
    pub correct_count: i32,
}

/// `BATTLE_FINISHED`: a battle's final results (gamification awards points from them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BattleFinished {
    /// The room.
    pub room_id: Uuid,
    /// Its topic.
    pub topic_id: Option<Uuid>,
    /// Questions played.
    pub question_count: i32,
    /// Every player who finished, by rank.
    pub players: Vec<FinishedPlayer>,
}

impl DomainEvent for BattleFinished {
    const KIND: EventKind = EventKind::BattleFinished;
}
